package power

import (
	"fmt"
	"strings"
	"testing"

	"blackstart/topology"
)

// oneRackTOML is a rack with two three-phase rack PDUs (sides a and b,
// 400 V wye: 230.94 V line to neutral, power factor 0.95), a 10 A bank
// per line (8 A continuous) behind a 16 A 3-pole breaker per side
// (12.8 A continuous), and dual-corded servers of the given draws,
// each cord on the bank of the line given (devs: id, watts, line a,
// line b); model adds to the device model srv (2 PSUs, typical 100 W)
// its psus_required and other fields. With ups, side a's breaker is behind
// a three-phase 10 kVA UPS.
func oneRackTOML(devs []balDev, ups bool, model string) string {
	var sb strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...) }
	p("[site]\nname = \"one-rack\"\npower_factor = 0.95\n")
	for _, s := range []string{"a", "b"} {
		p("\n[[source]]\nid = \"grid-%s\"\nvoltage_v = 400\nphases = 3\nwiring = \"wye\"\n", s)
	}
	p("\n[[device_model]]\nid = \"srv\"\npsus = 2\n%s\ntypical_w = 100\n", model)
	p("\n[[rack]]\nid = \"r1\"\n")
	if ups {
		p("\n[[ups]]\nid = \"ups-a\"\ninput = \"grid-a\"\ncapacity_kva = 10\n")
	}
	for _, s := range []string{"a", "b"} {
		in := "grid-" + s
		if ups && s == "a" {
			in = "ups-a"
		}
		p("\n[[breaker]]\nid = \"brk-%s\"\ninput = \"%s\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = 16\npoles = 3\n", s, in)
		p("\n[[rack_pdu]]\nid = \"pdu-%s\"\nrack = \"r1\"\ninput = \"brk-%s\"\n", s, s)
		for k := 1; k <= 3; k++ {
			p("  [[rack_pdu.bank]]\n  id = \"pdu-%s-l%d\"\n  line = \"L%d\"\n  standard = \"iec60898\"\n  curve = \"C\"\n  rating_a = 10\n", s, k, k)
		}
	}
	for _, d := range devs {
		side, lb := "b", d.lb
		if lb < 0 {
			side, lb = "a", -lb
		}
		p("\n[[device]]\nid = \"%s\"\nrack = \"r1\"\nmodel = \"srv\"\nmeasured_w = %d\nfeeds = [\"pdu-a-l%d\", \"pdu-%s-l%d\"]\n", d.id, d.w, d.la, side, lb)
	}
	return sb.String()
}

type balDev struct {
	id     string
	w      int
	la, lb int // the lines of cords a and b; lb < 0: cord b on side a's line −lb
}

// srv1 is srv on one PSU of two: psus_required = 1.
const srv1 = "psus_required = 1"

func oneRack(t *testing.T, devs []balDev, ups bool, model string) *Network {
	t.Helper()
	m, err := topology.Parse(topology.File{Name: "one-rack.toml", Data: []byte(oneRackTOML(devs, ups, model))})
	if err != nil {
		t.Fatal(err)
	}
	return NewNetwork(m, BasisMeasured)
}

// balanceSummary says a report in one line: search, moves (each with its
// steps, what it fixed and the worst element after it, amps), what was
// wrong before and after, and whether it balanced.
func balanceSummary(rep BalanceReport) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %.0f%%;", rep.Search, rep.ImbalancePct)
	for _, mv := range rep.Moves {
		fmt.Fprintf(&sb, " %s (%d steps, fixed %v, worst %.3f A of %g A);", mv, mv.Steps, mv.Fixed, mv.WorstAfter.LoadA, mv.WorstAfter.LimitA)
	}
	state := func(st BalanceState) string {
		var parts []string
		for _, b := range st.Over {
			parts = append(parts, fmt.Sprintf("%s %.3f A over %g A", b.Element, b.LoadA, b.LimitA))
		}
		for _, l := range st.Imbalanced {
			parts = append(parts, fmt.Sprintf("%s spread %.1f %%", l.Element, l.SpreadPct))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	fmt.Fprintf(&sb, " before %s after %s balanced %v", state(rep.Before), state(rep.After), rep.Balanced)
	return sb.String()
}

// TestBalanceHandCases pins Balance's work list on one rack whose
// numbers are checked by hand. A server of W watts draws W / (230.94 V ×
// 0.95) on its line: 400 W 1.823 A, 700 W 3.191 A. In a side's failover
// case the other side's servers are on it too, so every bank of a line
// carries every server of that line; a bank's limit is 8 A, a 3-pole
// breaker's 12.8 A, and its line spread is (largest − smallest line
// current) / 12.8 A.
//
//   - two 400 W servers on L1: 3.646 A on L1, 0 on L2 and L3, a spread
//     of 28.5 % on both breakers: over a 20 % (and a 28 %) threshold, not
//     29 % or 40 %. One device move, its two cords one at a time, puts s1
//     on L2 on both sides: 1.823 A on L1 and L2, spread 14.2 %. A UPS in
//     kVA ahead of side a's breaker (three-phase, no rating in amps) has
//     no line spread to check: the same work list.
//   - three 700 W servers on L1: 9.572 A on each L1 bank, over its 8 A
//     (119.7 %), spread 74.8 %. One move (s1 to L2) brings the banks
//     within (6.381 A), spread 49.9 % (L3 still at 0): not balanced in 1
//     move, and the best single move is the one given. Two moves (s2 to
//     L3 as well) leave 3.191 A on every line: balanced. The greedy search
//     (a search limit of 1 state) finds the same. Servers that need
//     both PSUs cannot have a cord out: no move.
//   - three 400 W servers on L1 but s3's cord b on L2: side a's breaker
//     carries 5.469 A on L1 (spread 42.7 %), side b's 3.646 and 1.823 A
//     (28.5 %), listed worst first (and the other way round with s3's
//     cord a on L2). Every single move leaves a side with two servers on
//     a line and none on another (28.5 %): two moves, the first a cord of
//     s1 (1 step), the second s2 to L3 (each line 1.823 A, spread 0).
//   - three 700 W servers, s3 with both cords on side a (L1, L2): side
//     a's L1 bank carries all three (9.572 A, over), side b only s1 and
//     s2 (6.381 A on L1: 49.9 %). s1 to L2, then s3 to a slot of one cord
//     a side (L3 of each): 3.191 A on every line of side a.
//   - s1 600 W (L2, L2), s2 500 W (L2, L1), s3 700 W (L1, L1), s4 700 W
//     (L1, L3): side a 1,400, 1,100, 0 W (49.9 %), side b 1,200, 600,
//     700 W (21.4 %). s2's cord b to L2 balances side b alone (700,
//     1,100, 700 W: 14.2 %; side a's L1 at 6.381 A the worst), then s3's
//     cord a to L3 side a (the same 14.2 %; 5.014 A). Each move lists
//     only the element it fixed.
func TestBalanceHandCases(t *testing.T) {
	two400 := []balDev{{"s1", 400, 1, 1}, {"s2", 400, 1, 1}}
	three700 := []balDev{{"s1", 700, 1, 1}, {"s2", 700, 1, 1}, {"s3", 700, 1, 1}}
	const (
		moveS1 = "move device s1 from pdu-a-l1, pdu-b-l1 to pdu-a-l2, pdu-b-l2"
		moveS2 = "move device s2 from pdu-a-l1, pdu-b-l1 to pdu-a-l3, pdu-b-l3"
	)
	cases := []struct {
		name string
		devs []balDev
		ups  bool
		o    BalanceOptions
		want string
	}{
		{"two 400 W, 20 %", two400, false, BalanceOptions{MaxMoves: 3, ImbalancePct: 20},
			"exhaustive 20%; " + moveS1 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 1.823 A of 8 A); before [brk-a spread 28.5 %, brk-b spread 28.5 %] after [] balanced true"},
		{"two 400 W, the default threshold", two400, false, BalanceOptions{MaxMoves: 3},
			"exhaustive 20%; " + moveS1 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 1.823 A of 8 A); before [brk-a spread 28.5 %, brk-b spread 28.5 %] after [] balanced true"},
		{"two 400 W, 28 %", two400, false, BalanceOptions{MaxMoves: 3, ImbalancePct: 28},
			"exhaustive 28%; " + moveS1 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 1.823 A of 8 A); before [brk-a spread 28.5 %, brk-b spread 28.5 %] after [] balanced true"},
		{"two 400 W, 29 %", two400, false, BalanceOptions{MaxMoves: 3, ImbalancePct: 29},
			"exhaustive 29%; before [] after [] balanced true"},
		{"two 400 W, 40 %", two400, false, BalanceOptions{MaxMoves: 3, ImbalancePct: 40},
			"exhaustive 40%; before [] after [] balanced true"},
		{"two 400 W behind a UPS", two400, true, BalanceOptions{MaxMoves: 3, ImbalancePct: 20},
			"exhaustive 20%; " + moveS1 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 1.823 A of 8 A); before [brk-a spread 28.5 %, brk-b spread 28.5 %] after [] balanced true"},
		{"three 700 W, 1 move", three700, false, BalanceOptions{MaxMoves: 1, ImbalancePct: 20},
			"exhaustive 20%; " + moveS1 + " (2 steps, fixed [pdu-a-l1 within its limit pdu-b-l1 within its limit], worst 6.381 A of 8 A); before [pdu-a-l1 9.572 A over 8 A, pdu-b-l1 9.572 A over 8 A, brk-a spread 74.8 %, brk-b spread 74.8 %] after [brk-a spread 49.9 %, brk-b spread 49.9 %] balanced false"},
		{"three 700 W, 2 moves", three700, false, BalanceOptions{MaxMoves: 2, ImbalancePct: 20},
			"exhaustive 20%; " + moveS1 + " (2 steps, fixed [pdu-a-l1 within its limit pdu-b-l1 within its limit], worst 6.381 A of 8 A); " + moveS2 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 3.191 A of 8 A); before [pdu-a-l1 9.572 A over 8 A, pdu-b-l1 9.572 A over 8 A, brk-a spread 74.8 %, brk-b spread 74.8 %] after [] balanced true"},
		{"three 700 W, greedy", three700, false, BalanceOptions{MaxMoves: 2, ImbalancePct: 20, SearchLimit: 1},
			"greedy 20%; " + moveS1 + " (2 steps, fixed [pdu-a-l1 within its limit pdu-b-l1 within its limit], worst 6.381 A of 8 A); " + moveS2 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 3.191 A of 8 A); before [pdu-a-l1 9.572 A over 8 A, pdu-b-l1 9.572 A over 8 A, brk-a spread 74.8 %, brk-b spread 74.8 %] after [] balanced true"},
		{"three 700 W, greedy, 1 move", three700, false, BalanceOptions{MaxMoves: 1, ImbalancePct: 20, SearchLimit: 1},
			"greedy 20%; " + moveS1 + " (2 steps, fixed [pdu-a-l1 within its limit pdu-b-l1 within its limit], worst 6.381 A of 8 A); before [pdu-a-l1 9.572 A over 8 A, pdu-b-l1 9.572 A over 8 A, brk-a spread 74.8 %, brk-b spread 74.8 %] after [brk-a spread 49.9 %, brk-b spread 49.9 %] balanced false"},
		{"three 400 W, s3 on L2 of side b", []balDev{{"s1", 400, 1, 1}, {"s2", 400, 1, 1}, {"s3", 400, 1, 2}}, false, BalanceOptions{MaxMoves: 3},
			"exhaustive 20%; move device s1 from pdu-a-l1, pdu-b-l1 to pdu-a-l2, pdu-b-l1 (1 steps, fixed [], worst 3.646 A of 8 A); " + moveS2 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 1.823 A of 8 A); before [brk-a spread 42.7 %, brk-b spread 28.5 %] after [] balanced true"},
		{"three 400 W, s3 on L2 of side a", []balDev{{"s1", 400, 1, 1}, {"s2", 400, 1, 1}, {"s3", 400, 2, 1}}, false, BalanceOptions{MaxMoves: 3},
			"exhaustive 20%; move device s1 from pdu-a-l1, pdu-b-l1 to pdu-a-l1, pdu-b-l2 (1 steps, fixed [], worst 3.646 A of 8 A); " + moveS2 + " (2 steps, fixed [brk-a balanced brk-b balanced], worst 1.823 A of 8 A); before [brk-b spread 42.7 %, brk-a spread 28.5 %] after [] balanced true"},
		{"s3 with both cords on side a", []balDev{{"s1", 700, 1, 1}, {"s2", 700, 1, 1}, {"s3", 700, 1, -2}}, false, BalanceOptions{MaxMoves: 3},
			"exhaustive 20%; " + moveS1 + " (2 steps, fixed [pdu-a-l1 within its limit], worst 6.381 A of 8 A); move device s3 from pdu-a-l1, pdu-a-l2 to pdu-a-l3, pdu-b-l3 (2 steps, fixed [brk-a balanced brk-b balanced], worst 3.191 A of 8 A); before [pdu-a-l1 9.572 A over 8 A, brk-a spread 74.8 %, brk-b spread 49.9 %] after [] balanced true"},
		{"one side at a time", []balDev{{"s1", 600, 2, 2}, {"s2", 500, 2, 1}, {"s3", 700, 1, 1}, {"s4", 700, 1, 3}}, false, BalanceOptions{MaxMoves: 3},
			"exhaustive 20%; move device s2 from pdu-a-l2, pdu-b-l1 to pdu-a-l2, pdu-b-l2 (1 steps, fixed [brk-b balanced], worst 6.381 A of 8 A); move device s3 from pdu-a-l1, pdu-b-l1 to pdu-a-l3, pdu-b-l1 (1 steps, fixed [brk-a balanced], worst 5.014 A of 8 A); before [brk-a spread 49.9 %, brk-b spread 21.4 %] after [] balanced true"},
	}
	for _, c := range cases {
		rep, err := Balance(oneRack(t, c.devs, c.ups, srv1), c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := balanceSummary(rep); got != c.want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.name, got, c.want)
		}
		if c.name != "three 700 W, 2 moves" {
			continue
		}
		// A PSU rated exactly the server's 700 W carries it alone while the
		// other cord is out: the same work list.
		rep, err = Balance(oneRack(t, c.devs, c.ups, srv1+"\npsu_rating_w = 700"), c.o)
		if got := balanceSummary(rep); err != nil || got != c.want {
			t.Errorf("%s, PSUs of 700 W:\ngot  %s (error %v)\nwant %s", c.name, got, err, c.want)
		}
	}
	// When no single move balances, the one kept leaves the least excess
	// (the sum over elements of ratio − 1 over a limit and spread − 20 %
	// over the threshold), exhaustive and greedy alike. In watts (219.39 W
	// an amp): a bank's limit is 1,755 W, 20 % of a breaker's 2,808 W.
	//   - s1 300 W (L1, L3), s2 600 W (L1, L3), s3 300 W (L2, L2), s4
	//     600 W (L1, L1): side a 1,500, 300, 0 W (53.4 %), side b 600, 300,
	//     900 W (21.4 %). s2 to L3 and L2 leaves 21.4 % on both (excess
	//     0.027); s1 to L3 and L2 would balance side b but leave side a at
	//     1,200, 300, 300 W (32.0 %: excess 0.120). A move that clears an
	//     element is worth its excess only, not the threshold too.
	//   - s1 300 W (L3, L2), s2 400 W (L3, L2), s3 600 W (L1, L3), s4 300 W
	//     (L1, L2), s5 700 W (L1, L2), s6 800 W (L2, L2): side b's L2 bank
	//     2,500 W (11.395 A over 8 A, spread 89.0 %), side a 1,600, 800,
	//     700 W (32.0 %). s5 to L3 and L1 leaves 1,800 W (8.204 A, 2.6 %
	//     over) and spreads of 42.7 and 21.4 %: excess 0.267; s6 to L2 and
	//     L1 would bring the bank within (1,700 W) but leave 39.2 and 32.0 %:
	//     0.312. Clearing an over element is worth its excess, no more.
	partial := []struct {
		devs []balDev
		want string
	}{
		{[]balDev{{"s1", 300, 1, 3}, {"s2", 600, 1, 3}, {"s3", 300, 2, 2}, {"s4", 600, 1, 1}},
			"move device s2 from pdu-a-l1, pdu-b-l3 to pdu-a-l3, pdu-b-l2 (2 steps, fixed [], worst 4.102 A of 8 A); before [brk-a spread 53.4 %, brk-b spread 21.4 %] after [brk-a spread 21.4 %, brk-b spread 21.4 %] balanced false"},
		{[]balDev{{"s1", 300, 3, 2}, {"s2", 400, 3, 2}, {"s3", 600, 1, 3}, {"s4", 300, 1, 2}, {"s5", 700, 1, 2}, {"s6", 800, 2, 2}},
			"move device s5 from pdu-a-l1, pdu-b-l2 to pdu-a-l3, pdu-b-l1 (2 steps, fixed [], worst 8.204 A of 8 A); before [pdu-b-l2 11.395 A over 8 A, brk-b spread 89.0 %, brk-a spread 32.0 %] after [pdu-b-l2 8.204 A over 8 A, brk-b spread 42.7 %, brk-a spread 21.4 %] balanced false"},
	}
	for i, c := range partial {
		for _, o := range []BalanceOptions{{MaxMoves: 1}, {MaxMoves: 1, SearchLimit: 1}} {
			rep, err := Balance(oneRack(t, c.devs, false, srv1), o)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := balanceSummary(rep), map[bool]string{false: "exhaustive", true: "greedy"}[o.SearchLimit == 1]+" 20%; "+c.want; got != want {
				t.Errorf("partial case %d, search limit %d:\ngot  %s\nwant %s", i+1, o.SearchLimit, got, want)
			}
		}
	}
	if _, err := Balance(oneRack(t, two400, false, srv1), BalanceOptions{MaxMoves: 0}); err == nil || err.Error() != "--max-moves must be at least 1, got 0" {
		t.Errorf("MaxMoves 0: got error %v, want --max-moves must be at least 1, got 0", err)
	}
	// Servers that need both PSUs (psus_required = 2) cannot have a cord
	// out, so no move is safe: nothing moves, and the report says what
	// stays wrong.
	rep, err := Balance(oneRack(t, three700, false, "psus_required = 2"), BalanceOptions{MaxMoves: 2})
	const stuck = "[pdu-a-l1 9.572 A over 8 A, pdu-b-l1 9.572 A over 8 A, brk-a spread 74.8 %, brk-b spread 74.8 %]"
	if want := "exhaustive 20%; before " + stuck + " after " + stuck + " balanced false"; err != nil || balanceSummary(rep) != want {
		t.Errorf("psus_required 2: got %s (error %v)\nwant %s", balanceSummary(rep), err, want)
	}
}

// TestHeadroomOneRack checks Headroom on oneRack's rack by hand. A bank
// takes 8 A × 219.39 W/A = 1,755.14 W of new draw in its failover case
// (a new dual-corded device is wholly on one side when the other fails;
// the breakers' 12.8 A per line never bind first); new devices of model
// srv draw 100 W (its typical draw: no measured figure).
//
//   - two 400 W servers on L1: 800 W on each L1 bank leaves 955.14 W
//     there, 1,755.14 W on L2 and L3 (the largest device); filled
//     greedily the rack takes 1,755.14 on L2, 1,755.14 on L3 and 955.14
//     on L1: 4,465.43 W. srv fits 9 + 17 + 17 = 43 times (a side's three
//     banks), in the rack and in the site.
//   - three 700 W servers on L1: the L1 banks are over (9.572 A, 119.65
//     %): the rack is not N-1-safe, binds on pdu-a-l1, and takes new
//     draw only where nothing is over: 2 × 1,755.14 = 3,510.28 W, srv
//     17 + 17 = 34 times.
func TestHeadroomOneRack(t *testing.T) {
	cases := []struct {
		name         string
		devs         []balDev
		safe         bool
		headroom, l1 float64
		binding      string
		bindingA     float64
		fit, usedU   int
	}{
		{"two 400 W on L1", []balDev{{"s1", 400, 1, 1}, {"s2", 400, 1, 1}}, true, 4465.43, 955.14, "pdu-a-l2", 8, 43, 2},
		{"three 700 W on L1", []balDev{{"s1", 700, 1, 1}, {"s2", 700, 1, 1}, {"s3", 700, 1, 1}}, false, 3510.28, 0, "pdu-a-l1", 9.572, 34, 3},
	}
	for _, c := range cases {
		n := oneRack(t, c.devs, false, srv1)
		for _, model := range []string{"", "srv"} {
			rep, err := Headroom(n, HeadroomOptions{DeviceModel: model})
			if err != nil {
				t.Fatal(err)
			}
			unsafe := 0
			if !c.safe {
				unsafe = 1
			}
			if rep.Basis != "measured" || rep.UnsafeRacks != unsafe || len(rep.Racks) != 1 {
				t.Fatalf("%s: got basis %s, %d unsafe of %d racks; want measured, %d of 1", c.name, rep.Basis, rep.UnsafeRacks, len(rep.Racks), unsafe)
			}
			r := rep.Racks[0]
			if r.Safe != c.safe || r.HeadroomW == nil || *r.HeadroomW != c.headroom || r.LargestDeviceW == nil || *r.LargestDeviceW != 1755.14 || r.PSUs != 2 || r.UsedU != c.usedU {
				t.Errorf("%s: got safe %v, headroom %v W, largest %v W, %d PSUs, %d U used; want %v, %.2f W, 1755.14 W, 2, %d", c.name, r.Safe, fmtPtr(r.HeadroomW), fmtPtr(r.LargestDeviceW), r.PSUs, r.UsedU, c.safe, c.headroom, c.usedU)
			}
			if r.Binding == nil || r.Binding.Element != c.binding || r.Binding.LoadA != c.bindingA || r.Binding.LimitA != 8 {
				t.Errorf("%s: got binding %+v, want %s at %g A of 8 A", c.name, r.Binding, c.binding, c.bindingA)
			}
			want := map[string]float64{"pdu-a-l1": c.l1, "pdu-a-l2": 1755.14, "pdu-a-l3": 1755.14, "pdu-b-l1": c.l1, "pdu-b-l2": 1755.14, "pdu-b-l3": 1755.14}
			var got []string
			for _, f := range r.Feeds {
				got = append(got, f.Side+" "+f.Feed+" "+f.Line)
				if f.HeadroomW == nil || *f.HeadroomW != want[f.Feed] {
					t.Errorf("%s: feed %s: got %v W, want %.2f W", c.name, f.Feed, fmtPtr(f.HeadroomW), want[f.Feed])
				}
				// What binds a feed point is a bank at its limit (the L1 ones
				// over it in the unsafe rack): on side a the feed point's own.
				limitA := 8.0
				if f.Line == "L1" && !c.safe {
					limitA = c.bindingA
				}
				if b := f.Binding; b == nil || b.Kind != "bank" || b.LoadA != limitA || f.Side == "pdu-a" && b.Element != f.Feed {
					t.Errorf("%s: feed %s: got binding %+v, want a bank at %g A (its own on side a)", c.name, f.Feed, b, limitA)
				}
			}
			if fmt.Sprint(got) != "[pdu-a pdu-a-l1 L1 pdu-a pdu-a-l2 L2 pdu-a pdu-a-l3 L3 pdu-b pdu-b-l1 L1 pdu-b pdu-b-l2 L2 pdu-b pdu-b-l3 L3]" {
				t.Errorf("%s: got feeds %v, want each bank of pdu-a then pdu-b with its line", c.name, got)
			}
			if model == "" {
				if r.Fit != nil || rep.FitTotal != nil || rep.DeviceModel != "" || rep.DeviceW != 0 {
					t.Errorf("%s: without a device model got fit %v, total %v, model %q, %g W", c.name, fmtIntPtr(r.Fit), fmtIntPtr(rep.FitTotal), rep.DeviceModel, rep.DeviceW)
				}
				continue
			}
			if rep.DeviceModel != "srv" || rep.DeviceW != 100 || r.Fit == nil || *r.Fit != c.fit || r.FitLimit != "power" || rep.FitTotal == nil || *rep.FitTotal != c.fit {
				t.Errorf("%s: got %s at %g W, fit %v (%s), in the site %v; want srv at 100 W, %d (power), %d", c.name, rep.DeviceModel, rep.DeviceW, fmtIntPtr(r.Fit), r.FitLimit, fmtIntPtr(rep.FitTotal), c.fit, c.fit)
			}
		}
	}
	// A rack of 12 U with the two 400 W servers (1 U each) takes 10 srv,
	// exactly filling it: the units stop the 11th, not the power.
	src := strings.Replace(oneRackTOML(cases[0].devs, false, srv1), "[[rack]]\nid = \"r1\"\n", "[[rack]]\nid = \"r1\"\nu = 12\n", 1)
	m, err := topology.Parse(topology.File{Name: "one-rack.toml", Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Headroom(NewNetwork(m, BasisMeasured), HeadroomOptions{DeviceModel: "srv"})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Racks[0]; r.U != 12 || fmtIntPtr(r.Fit) != "10" || r.FitLimit != "units" {
		t.Errorf("a 12 U rack: got %d U, fit %s (%s); want 12 U, 10 (units)", r.U, fmtIntPtr(r.Fit), r.FitLimit)
	}
	// The rack empty: new devices are assumed to have one PSU a side (2),
	// and each side's three banks take 3 × 1,755.14 W: 5,265.43 W, srv 51
	// times.
	rep, err = Headroom(oneRack(t, nil, false, srv1), HeadroomOptions{DeviceModel: "srv"})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Racks[0]; r.PSUs != 2 || fmtPtr(r.HeadroomW) != "5265.43" || fmtIntPtr(r.Fit) != "51" {
		t.Errorf("the rack empty: got %d PSUs, %s W, fit %s; want 2, 5265.43 W, 51", r.PSUs, fmtPtr(r.HeadroomW), fmtIntPtr(r.Fit))
	}
	if _, err := Headroom(oneRack(t, nil, false, srv1), HeadroomOptions{DeviceModel: "nope"}); err == nil || err.Error() != `device model "nope" is not in the model` {
		t.Errorf("an unknown device model: got error %v", err)
	}
}

func fmtPtr(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func fmtIntPtr(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}
