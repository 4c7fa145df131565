package power

import (
	"fmt"
	"strings"
	"testing"
)

// TestPlaceSearchLeavesOffWorst: the local search moves only devices on
// the most loaded element. On oneRackTOML's rack (a 100 W srv draws
// 0.455806 A on its line; banks 8 A) with a 700 W and a 600 W server on
// L1 of both sides (5.925 A a bank, 74.07 %, the worst element) and a
// 100 W one on L2, one srv goes to L3 on both sides, the slot whose banks
// and breaker lines carry least (0.456 A, 5.7 %). It does not reach the
// worst element, so it stays there. (Were every device tried, it would
// be moved to the first slot that stays below the worst, (a-l2, b-l2),
// then to the next, (a-l2, b-l3), and back, for the search's even number
// of rounds, 4 × 1 + 16: it would end on (a-l2, b-l3), pdu-a-l2 at
// 0.912 A, 11.4 %.)
func TestPlaceSearchLeavesOffWorst(t *testing.T) {
	devs := []balDev{{"s1", 700, 1, 1}, {"s2", 600, 1, 1}, {"s3", 100, 2, 2}}
	n := parseNet(t, "one-rack.toml", oneRackTOML(devs, false, srv1))
	p, err := Place(n, PlaceOptions{Add: []PlaceRequest{{Model: "srv", Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	var l2 ElementChange
	for _, e := range p.Racks[0].Elements {
		if e.Element == "pdu-a-l2" {
			l2 = e
		}
	}
	if got := fmt.Sprint(p.Placed); got != "[{srv-new-1 srv r1 [pdu-a-l3 pdu-b-l3] 100}]" || p.WorstAfter.Element != "pdu-a-l1" || p.WorstAfter.LoadA != 5.925 || l2.AfterA != 0.456 {
		t.Errorf("got %s, worst %s %g A, pdu-a-l2 %g A; want srv-new-1 on pdu-a-l3 and pdu-b-l3, worst pdu-a-l1 5.925 A, pdu-a-l2 0.456 A", got, p.WorstAfter.Element, p.WorstAfter.LoadA, l2.AfterA)
	}
}

// TestPlaceSearchRackUnits: the local search moves a device only to a
// rack with room for it. On twoRackTOML (a 100 W device draws 0.455806 A
// on its bank, whose limit is 8 A), one b (300 W, 1 U) and two s (200 W,
// 2 U): the greedy puts b in empty r1 (1.367 A there against 2.735 A in
// r2, beside the old 300 W server), and the two s in r1 too, r2 having
// less than 2 U free: r1's banks carry 700 W, 3.191 A (39.88 %), the
// worst. With u = 2, r2 has exactly b's 1 U free: b moves there (r2 at
// 600 W, 2.735 A, 34.19 %, the worst after). With u = 1, r2 is full and b
// stays in r1.
func TestPlaceSearchRackUnits(t *testing.T) {
	for _, c := range []struct {
		u2    int
		rack  string
		worst string
	}{{2, "r2", "pdu2-a-l1 2.735 A"}, {1, "r1", "pdu1-a-l1 3.191 A"}} {
		n := parseNet(t, "two-racks.toml", twoRackTOML(c.u2))
		p, err := Place(n, PlaceOptions{Add: []PlaceRequest{{Model: "b", Count: 1}, {Model: "s", Count: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("b in %s, s in %s %s, worst %s %.3f A", p.Placed[0].Rack, p.Placed[1].Rack, p.Placed[2].Rack, p.WorstAfter.Element, p.WorstAfter.LoadA)
		if want := fmt.Sprintf("b in %s, s in r1 r1, worst %s", c.rack, c.worst); got != want || len(p.Unplaced) != 0 {
			t.Errorf("r2 with u = %d: got %s, unplaced %v; want %s", c.u2, got, p.Unplaced, want)
		}
	}
}

// twoRackTOML is a site of two racks, r1 and r2, each with one
// single-bank rack PDU a side (10 A bank on L1 behind a 16 A three-pole
// breaker, 400Y/230 V, power factor 0.95), and three device models of two
// PSUs either of which carries the device: b (300 W, 1 U), s (200 W, 2 U)
// and old (1 U). r2 holds a 300 W old server and has u2 rack units; r1 is
// empty and has no u.
func twoRackTOML(u2 int) string {
	var sb strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...) }
	p("[site]\nname = \"two-racks\"\npower_factor = 0.95\n")
	for _, s := range []string{"a", "b"} {
		p("\n[[source]]\nid = \"grid-%s\"\nvoltage_v = 400\nphases = 3\nwiring = \"wye\"\n", s)
	}
	p("\n[[device_model]]\nid = \"b\"\npsus = 2\npsus_required = 1\ntypical_w = 300\nu_height = 1\n")
	p("\n[[device_model]]\nid = \"s\"\npsus = 2\npsus_required = 1\ntypical_w = 200\nu_height = 2\n")
	p("\n[[device_model]]\nid = \"old\"\npsus = 2\npsus_required = 1\ntypical_w = 300\n")
	for r := 1; r <= 2; r++ {
		p("\n[[rack]]\nid = \"r%d\"\n", r)
		if r == 2 {
			p("u = %d\n", u2)
		}
		for _, s := range []string{"a", "b"} {
			p("\n[[breaker]]\nid = \"brk%d-%s\"\ninput = \"grid-%s\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = 16\npoles = 3\n", r, s, s)
			p("\n[[rack_pdu]]\nid = \"pdu%d-%s\"\nrack = \"r%d\"\ninput = \"brk%d-%s\"\n", r, s, r, r, s)
			p("  [[rack_pdu.bank]]\n  id = \"pdu%d-%s-l1\"\n  line = \"L1\"\n  standard = \"iec60898\"\n  curve = \"C\"\n  rating_a = 10\n", r, s)
		}
	}
	p("\n[[device]]\nid = \"o1\"\nrack = \"r2\"\nmodel = \"old\"\nmeasured_w = 300\nfeeds = [\"pdu2-a-l1\", \"pdu2-b-l1\"]\n")
	return sb.String()
}

// rowRack is one rack of rowSiteTOML: its banks' rating (A), the draw of
// an old server in it (W; 0: none) and its rack units (0: no u).
type rowRack struct{ bankA, oldW, u int }

// rowSiteTOML is a row of racks r1, r2, …, each with one single-bank
// rack PDU a side (a bank on L1 behind a 32 A three-pole breaker,
// 400Y/230 V, power factor 0.95: a 10 A bank's limit is 8 A, a 16 A
// one's 12.8 A, and 100 W draw 0.455806 A), an old server where asked,
// and two device models of two PSUs either of which carries the device:
// x (xw W, xh U) and y (yw W, 1 U).
func rowSiteTOML(racks []rowRack, xw, yw, xh int) string {
	var sb strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...) }
	p("[site]\nname = \"row\"\npower_factor = 0.95\n")
	for _, s := range []string{"a", "b"} {
		p("\n[[source]]\nid = \"grid-%s\"\nvoltage_v = 400\nphases = 3\nwiring = \"wye\"\n", s)
	}
	p("\n[[device_model]]\nid = \"x\"\npsus = 2\npsus_required = 1\ntypical_w = %d\nu_height = %d\n", xw, xh)
	p("\n[[device_model]]\nid = \"y\"\npsus = 2\npsus_required = 1\ntypical_w = %d\nu_height = 1\n", yw)
	p("\n[[device_model]]\nid = \"old\"\npsus = 2\npsus_required = 1\ntypical_w = 200\n")
	for i, rk := range racks {
		r := i + 1
		p("\n[[rack]]\nid = \"r%d\"\n", r)
		if rk.u > 0 {
			p("u = %d\n", rk.u)
		}
		for _, s := range []string{"a", "b"} {
			p("\n[[breaker]]\nid = \"brk%d-%s\"\ninput = \"grid-%s\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = 32\npoles = 3\n", r, s, s)
			p("\n[[rack_pdu]]\nid = \"pdu%d-%s\"\nrack = \"r%d\"\ninput = \"brk%d-%s\"\n", r, s, r, r, s)
			p("  [[rack_pdu.bank]]\n  id = \"pdu%d-%s-l1\"\n  line = \"L1\"\n  standard = \"iec60898\"\n  curve = \"C\"\n  rating_a = %d\n", r, s, rk.bankA)
		}
		if rk.oldW > 0 {
			p("\n[[device]]\nid = \"o%d\"\nrack = \"r%d\"\nmodel = \"old\"\nmeasured_w = %d\nfeeds = [\"pdu%d-a-l1\", \"pdu%d-b-l1\"]\n", r, r, rk.oldW, r, r)
		}
	}
	return sb.String()
}

// TestPlaceSearchSwaps: the local search swaps two new devices of
// different models on different slots when that lowers the worst
// failover load, and only where rack units allow it. One x (500 W) and
// two y (400 W) on two racks of rowSiteTOML with 10 A banks, an old 200
// W server in r1: the greedy
// puts x in empty r2 (500 W there against 700 W in r1), the first y in r1
// (600 W against 900 W), the second in r2 (900 W against 1,000 W): r2's
// banks carry 900 W, 4.102 A (0.5128), the worst. Moving x to r1 would
// put 1,100 W there; swapping it with r1's y leaves r1 at 700 W and r2 at
// 800 W, 3.646 A (0.4558). The same with the old server in r2 is the
// mirror: x in r1 (500 W against 700 W), a y in r2 (600 W against 900
// W), the other in r1 (900 W against 1,000 W); x swaps with r2's y. In
// the first x goes to the first slot of its list (r1), in the second y
// does.
//
// Swapping devices of different heights changes the units each rack
// uses: with x of 2 U it is done where neither rack has a u, and not
// when either has one, however many units are free (here 10); devices
// of one height swap in racks with u.
func TestPlaceSearchSwaps(t *testing.T) {
	const swapped, kept = "x r1, y r2, y r2, worst pdu2-a-l1 3.646 A", "x r2, y r1, y r2, worst pdu2-a-l1 4.102 A"
	for _, c := range []struct {
		name string
		old  int
		xh   int
		u    [2]int
		want string
	}{
		{"x into the first slot", 1, 1, [2]int{}, swapped},
		{"y into the first slot", 2, 1, [2]int{}, "x r2, y r1, y r1, worst pdu1-a-l1 3.646 A"},
		{"one height, r2 with u", 1, 1, [2]int{0, 10}, swapped},
		{"one height, r1 with u", 1, 1, [2]int{10, 0}, swapped},
		{"x of 2 U, no u", 1, 2, [2]int{}, swapped},
		{"x of 2 U, r2 with u", 1, 2, [2]int{0, 10}, kept},
		{"x of 2 U, r1 with u", 1, 2, [2]int{10, 0}, kept},
	} {
		racks := []rowRack{{10, 0, c.u[0]}, {10, 0, c.u[1]}}
		racks[c.old-1].oldW = 200
		n := parseNet(t, "row.toml", rowSiteTOML(racks, 500, 400, c.xh))
		p, err := Place(n, PlaceOptions{Add: []PlaceRequest{{Model: "x", Count: 1}, {Model: "y", Count: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("x %s, y %s, y %s, worst %s %.3f A", p.Placed[0].Rack, p.Placed[1].Rack, p.Placed[2].Rack, p.WorstAfter.Element, p.WorstAfter.LoadA)
		if got != c.want || len(p.Unplaced) != 0 {
			t.Errorf("%s: got %s, unplaced %v; want %s", c.name, got, p.Unplaced, c.want)
		}
	}
}

// TestPlaceSearchNoTieSwap: a swap is made only when it lowers the worst
// failover load, on both devices' new slots.
//
//   - On rowSiteTOML's r1 (16 A banks, an old 200 W server), r2 (10 A, an
//     old 300 W one) and r3 (10 A, empty), two x (500 W) and three y (300
//     W): the greedy puts the first x in r1 (700 W, 3.191 A of 12.8 A,
//     0.249, against 0.456 in r2 and 0.285 in r3), the second in r3, the
//     first y in r2 (600 W, 0.342), the second in r1 (1,000 W, 0.356), the
//     third in r3: 800 W, 3.646 A of 8 A (0.4558), the worst. Moving the x
//     in r3 to r1 or r2 puts 1,500 W (0.534) or 1,100 W (0.627) there.
//     Swapping it with r2's y puts r2 at 800 W, exactly the worst: not
//     made. With r1's y: r1 at 1,200 W, 5.470 A (0.4273), r3 at 600 W:
//     made, and the worst is r1's.
//   - On three 10 A racks, the old 300 W server in r2, one x and one y of
//     500 W each and two z of 400 W: the greedy puts x in r1 (500 W; r3
//     ties, the lower rack wins), y in r3, the first z in r2 (700 W), the
//     second in r1: 900 W, 4.102 A (0.5128), the worst. x cannot move
//     alone (1,200 W in r2, 1,000 W in r3). Swapping it with y (in r3)
//     leaves r1 at 900 W, y's 500 W in x's place: not made. With r2's z:
//     r2 and r1 at 800 W, 3.646 A (0.4558): made.
//
// (Were either tie swap made, it and its reverse would fill the search's
// even number of rounds and end where it began, at 0.4558 and 0.5128.)
func TestPlaceSearchNoTieSwap(t *testing.T) {
	const z = "\n[[device_model]]\nid = \"z\"\npsus = 2\npsus_required = 1\ntypical_w = 400\n"
	for _, c := range []struct {
		src  string
		adds []PlaceRequest
		want string
	}{
		{rowSiteTOML([]rowRack{{16, 200, 0}, {10, 300, 0}, {10, 0, 0}}, 500, 300, 1), []PlaceRequest{{Model: "x", Count: 2}, {Model: "y", Count: 3}},
			"[x r1 x r1 y r2 y r3 y r3], worst pdu1-a-l1 5.470 A (0.4273)"},
		{rowSiteTOML([]rowRack{{10, 0, 0}, {10, 300, 0}, {10, 0, 0}}, 500, 500, 1) + z, []PlaceRequest{{Model: "x", Count: 1}, {Model: "y", Count: 1}, {Model: "z", Count: 2}},
			"[x r2 y r3 z r1 z r1], worst pdu2-a-l1 3.646 A (0.4558)"},
	} {
		p, err := Place(parseNet(t, "row.toml", c.src), PlaceOptions{Add: c.adds})
		if err != nil {
			t.Fatal(err)
		}
		var racks []string
		for _, d := range p.Placed {
			racks = append(racks, d.Model+" "+d.Rack)
		}
		if got := fmt.Sprintf("%v, worst %s %.3f A (%.4f)", racks, p.WorstAfter.Element, p.WorstAfter.LoadA, p.WorstAfter.Ratio); got != c.want {
			t.Errorf("%v: got %s; want %s", c.adds, got, c.want)
		}
	}
}
