package power

import (
	"fmt"
	"strings"
	"testing"

	"blackstart/topology"
)

// parseNet parses one model file's text and returns its network on the
// measured basis.
func parseNet(t *testing.T, name, src string) *Network {
	t.Helper()
	m, err := topology.Parse(topology.File{Name: name, Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	return NewNetwork(m, BasisMeasured)
}

// bigModel is a second device model for oneRackTOML's site: 600 W, two
// PSUs, either carries it.
const bigModel = "\n[[device_model]]\nid = \"big\"\npsus = 2\npsus_required = 1\ntypical_w = 600\n"

// TestPlaceLowerBoundTerms pins PlaceLowerBound's value on hand-made
// cases where each of its terms decides the bound (issue 19). The site is
// oneRackTOML's: 230.94 V line to neutral, power factor 0.95, so a 100 W
// srv draws 0.455806 A on its line; a bank's limit is 8 A, a 3-pole
// breaker's 12.8 A a line. In a side's failover case the other side's
// devices are wholly on it, so each bank carries every device with a
// cord on it.
//
//   - The LP term, on the rated rows: 7 srv on the empty rack. Split in
//     fractions over the three lines, each bank carries 7/3 srv:
//     7 × 0.455806 / (3 × 8) = 0.132943 (the best whole placement, 3, 2,
//     2, is 0.170927). 9 slots (3 lines a side): 10 variables with the
//     bound; 6 bank rows and 2 × 3 breaker-line rows, and one for the
//     request: 13 rows. The restricted program starts with the 4 best
//     slots and needs a second round.
//   - The "now" term: three 700 W servers on L1 put both L1 banks over
//     (9.5718 A, 119.6 %), so no slot on L1 takes a device: 4 slots (L2
//     or L3 a side). The devices split over L2 and L3 give 1.59532 A a
//     bank, 0.199414; but brk-a, which they reach, already carries the
//     three servers' 9.5718 A on L1 against 12.8 A: 0.747802 decides.
//   - The UPS's apparent power: side a behind a 2 kVA UPS, a 300 W server
//     there, 7 srv: in side b's failover case the UPS carries 1,000 W at
//     PF 0.95, 1,052.63 VA: 0.526316 (the banks' level is (1.367418 +
//     3.190642) / 3 / 8 = 0.189919).
//   - The UPS's real power: the same UPS rated 1.2 kW too: 1,000 W /
//     1,200 W = 0.833333; rated 1.2 kW alone, the same, with no row for
//     apparent power.
//   - Rows that are one constraint: pdu-a rated 16 A like the breaker
//     ahead of it carries the same currents against the same 12.8 A, so
//     its three line rows are the breaker's and are kept once: still 13
//     rows, the same bound, pdu-a among the elements.
//   - Two models: 7 srv and 2 big (600 W) beside the 300 W server: 2,200
//     W, 10.0276 A, levelled over three banks: 0.417819; and 1 big and
//     20 srv, big asked first: 2,900 W, 13.2184 A, 0.550762.
//   - A slot priced in: two 100 W servers on pdu-a-l2 (one to pdu-b-l1,
//     one to pdu-b-l3) and 7 srv: each side's three banks level at (7 +
//     2) / 3 = 3 srv: 3 × 0.455806 / 8 = 0.170927. The restricted
//     program starts with the 4 slots with the lowest worst row after one
//     device, none on pdu-a-l2 (3 srv there after it, at most 2
//     elsewhere); the level needs one new device there, and the second
//     round prices such slots in at the first round's duals (below μ, the
//     least price of a slot in the program). Were μ read less a row's
//     dual, none would price in, the generation would stop at once and
//     the bound fall to the load now, pdu-a-l2's 0.911612 A, 0.113951.
func TestPlaceLowerBoundTerms(t *testing.T) {
	three700 := []balDev{{"s1", 700, 1, 1}, {"s2", 700, 1, 1}, {"s3", 700, 1, 1}}
	s300 := []balDev{{"s1", 300, 1, 1}}
	ups := func(rating string) string {
		return strings.Replace(oneRackTOML(s300, true, srv1), "capacity_kva = 10", rating, 1)
	}
	srv7 := []PlaceRequest{{Model: "srv", Count: 7}}
	const oneRackElems = "[brk-a brk-b pdu-a-l1 pdu-a-l2 pdu-a-l3 pdu-b-l1 pdu-b-l2 pdu-b-l3]"
	const upsElems = "[ups-a brk-a brk-b pdu-a-l1 pdu-a-l2 pdu-a-l3 pdu-b-l1 pdu-b-l2 pdu-b-l3]"
	cases := []struct {
		name  string
		src   string
		add   []PlaceRequest
		ratio float64
		lp    float64
		elems string
		// Vars, Rows, Iterations, RestrictedVars, RestrictedRows
		shape [5]int
	}{
		{"LP term: 7 srv on the empty rack", oneRackTOML(nil, false, srv1), srv7, 0.132943, 0.132943, oneRackElems, [5]int{10, 13, 2, 8, 13}},
		{"now term: L1 over", oneRackTOML(three700, false, srv1), srv7, 0.747802, 0.199414, "[brk-a brk-b pdu-a-l2 pdu-a-l3 pdu-b-l2 pdu-b-l3]", [5]int{5, 9, 1, 5, 9}},
		{"UPS kVA", ups("capacity_kva = 2"), srv7, 0.526316, 0.526316, upsElems, [5]int{10, 14, 1, 5, 10}},
		{"UPS kW", ups("capacity_kva = 2\ncapacity_kw = 1.2"), srv7, 0.833333, 0.833333, upsElems, [5]int{10, 15, 1, 5, 13}},
		{"identical rows", strings.Replace(oneRackTOML(nil, false, srv1), "id = \"pdu-a\"\nrack = \"r1\"\ninput = \"brk-a\"\n", "id = \"pdu-a\"\nrack = \"r1\"\ninput = \"brk-a\"\nrating_a = 16\n", 1), srv7, 0.132943, 0.132943,
			"[brk-a brk-b pdu-a pdu-a-l1 pdu-a-l2 pdu-a-l3 pdu-b-l1 pdu-b-l2 pdu-b-l3]", [5]int{10, 13, 2, 8, 13}},
		{"UPS kW alone", ups("capacity_kw = 1.2"), srv7, 0.833333, 0.833333, upsElems, [5]int{10, 14, 1, 5, 12}},
		{"two models", oneRackTOML(s300, false, srv1) + bigModel, []PlaceRequest{{Model: "srv", Count: 7}, {Model: "big", Count: 2}}, 0.417819, 0.417819, oneRackElems, [5]int{19, 14, 2, 15, 14}},
		{"a slot priced in", oneRackTOML([]balDev{{"s1", 100, 2, 1}, {"s2", 100, 2, 3}}, false, srv1), srv7, 0.170927, 0.170927, oneRackElems, [5]int{10, 13, 2, 8, 13}},
		{"two models, big first", oneRackTOML(s300, false, srv1) + bigModel, []PlaceRequest{{Model: "big", Count: 1}, {Model: "srv", Count: 20}}, 0.550762, 0.550762, oneRackElems, [5]int{19, 14, 2, 15, 14}},
	}
	for _, c := range cases {
		n := parseNet(t, "one-rack.toml", c.src)
		b, err := PlaceLowerBound(n, PlaceOptions{Add: c.add})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var ids []string
		for _, e := range b.Elements {
			ids = append(ids, n.M.Elements[e].ID)
		}
		if !near(b.Ratio, c.ratio, 1e-6) || !near(b.LPRatio, c.lp, 1e-6) || !near(b.LPUpper, c.lp, 1e-6) || !b.Closed {
			t.Errorf("%s: got bound %.6f, LP %.6f to %.6f, closed %v; want %.6f, LP %.6f closed", c.name, b.Ratio, b.LPRatio, b.LPUpper, b.Closed, c.ratio, c.lp)
		}
		if fmt.Sprint(ids) != c.elems {
			t.Errorf("%s: got elements %v, want %s", c.name, ids, c.elems)
		}
		if got := [5]int{b.Vars, b.Rows, b.Iterations, b.RestrictedVars, b.RestrictedRows}; got != c.shape {
			t.Errorf("%s: got vars, rows, iterations, restricted vars and rows %v, want %v", c.name, got, c.shape)
		}
		// The bound is the larger of the LP and the worst load now over
		// the elements it covers.
		if now := WorstOver(n, b.Elements); !near(b.Ratio, max(b.LPRatio, now), 1e-12) {
			t.Errorf("%s: bound %.6f, but the LP is %.6f and the worst load now %.6f", c.name, b.Ratio, b.LPRatio, now)
		}
	}
}

// TestPlaceLowerBoundErrors: PlaceLowerBound refuses an unknown rack, an
// unknown model, a count below 1 and a request no slot takes (three 700 W
// servers on every line leave no bank room for a 3 kW device), and
// bounds over the allowed racks only.
func TestPlaceLowerBoundErrors(t *testing.T) {
	src := oneRackTOML(nil, false, srv1) + "\n[[device_model]]\nid = \"huge\"\npsus = 2\npsus_required = 1\ntypical_w = 3000\n"
	n := parseNet(t, "one-rack.toml", src)
	for _, c := range []struct {
		o    PlaceOptions
		want string
	}{
		{PlaceOptions{Add: []PlaceRequest{{Model: "srv", Count: 1}}, Racks: []string{"r9"}}, `--rack "r9": no such rack in the model`},
		{PlaceOptions{Add: []PlaceRequest{{Model: "nope", Count: 1}}}, "bound: request nope=1: unknown model or count below 1"},
		{PlaceOptions{Add: []PlaceRequest{{Model: "srv", Count: 0}}}, "bound: request srv=0: unknown model or count below 1"},
		{PlaceOptions{Add: []PlaceRequest{{Model: "srv", Count: 1}, {Model: "huge", Count: 1}}}, "bound: no slot takes one device of huge"},
	} {
		if _, err := PlaceLowerBound(n, c.o); err == nil || err.Error() != c.want {
			t.Errorf("%+v: got error %v, want %s", c.o, err, c.want)
		}
	}
	// The rack named: the same bound as with every rack (there is one).
	b, err := PlaceLowerBound(n, PlaceOptions{Add: []PlaceRequest{{Model: "srv", Count: 7}}, Racks: []string{"r1"}})
	if err != nil || !near(b.Ratio, 0.132943, 1e-6) || b.Vars != 10 {
		t.Errorf("rack r1 named: got %.6f with %d variables (error %v), want 0.132943 and 10", b.Ratio, b.Vars, err)
	}
}
