package power

import (
	"fmt"
	"testing"
)

// TestBalanceSpreadAtThreshold: a line spread exactly at the threshold is
// within it. Two 400 W servers on L1 put 3.646 A on L1 of both breakers
// and nothing on L2 and L3: a spread of 28.49 % of 12.8 A; with the
// threshold set to that spread, nothing is imbalanced and nothing moves,
// and a hair under it (28.48 %) the one move of TestBalanceHandCases
// fixes it.
func TestBalanceSpreadAtThreshold(t *testing.T) {
	n := oneRack(t, []balDev{{"s1", 400, 1, 1}, {"s2", 400, 1, 1}}, false, srv1)
	s := newBalancer(n, BalanceOptions{})
	var sp []float64
	for g := range s.b.elems {
		if s.three[g] {
			sp = append(sp, s.spread(int32(g)))
		}
	}
	if len(sp) != 2 || sp[0] != sp[1] || !near(sp[0], 3.646/12.8, 1e-4) {
		t.Fatalf("setup: got spreads %v, want two of 3.646 A / 12.8 A", sp)
	}
	rep, err := Balance(n, BalanceOptions{MaxMoves: 3, ImbalancePct: 100 * sp[0]})
	if got := balanceSummary(rep); err != nil || got != fmt.Sprintf("exhaustive %.0f%%; before [] after [] balanced true", 100*sp[0]) {
		t.Errorf("threshold at the spread: got %s (error %v), want nothing imbalanced", got, err)
	}
	rep, err = Balance(n, BalanceOptions{MaxMoves: 3, ImbalancePct: 28.48})
	if err != nil || len(rep.Moves) != 1 || len(rep.Before.Imbalanced) != 2 || rep.Before.Imbalanced[0].SpreadPct != 28.5 || !rep.Balanced {
		t.Errorf("threshold 28.48 %%: got %s (error %v), want one move fixing a spread of 28.5 %%", balanceSummary(rep), err)
	}
}

// TestBalanceSearchLimit: the exhaustive search of TestBalanceHandCases'
// three 700 W servers (two moves) examines 116 states: the 24 single
// moves (3 servers on the bad L1 banks and breakers, 8 other slots each;
// cord moves would leave a server on one side), then 92 in the second
// round before the first pair that balances. With a limit of 116 it is
// exhaustive; with 115 it gives up and the greedy search answers (the
// same two moves here). Three 700 W servers that need both PSUs have
// the same 24 candidate moves and none is safe: one move's search
// examines exactly 24 states and, within a limit of 24, ends exhaustive
// with no move; with 23 the greedy answers.
func TestBalanceSearchLimit(t *testing.T) {
	n := oneRack(t, []balDev{{"s1", 700, 1, 1}, {"s2", 700, 1, 1}, {"s3", 700, 1, 1}}, false, srv1)
	for _, c := range []struct {
		limit int
		want  string
	}{{116, "exhaustive"}, {115, "greedy"}} {
		rep, err := Balance(n, BalanceOptions{MaxMoves: 2, SearchLimit: c.limit})
		if err != nil || rep.Search != c.want || len(rep.Moves) != 2 || !rep.Balanced {
			t.Errorf("search limit %d: got %s (error %v), want %s, 2 moves, balanced", c.limit, balanceSummary(rep), err, c.want)
		}
	}
	stuck := oneRack(t, []balDev{{"s1", 700, 1, 1}, {"s2", 700, 1, 1}, {"s3", 700, 1, 1}}, false, "psus_required = 2")
	for _, c := range []struct {
		limit int
		want  string
	}{{24, "exhaustive"}, {23, "greedy"}} {
		rep, err := Balance(stuck, BalanceOptions{MaxMoves: 1, SearchLimit: c.limit})
		if err != nil || rep.Search != c.want || len(rep.Moves) != 0 || rep.Balanced {
			t.Errorf("servers on both PSUs, search limit %d: got %s (error %v), want %s, no move", c.limit, balanceSummary(rep), err, c.want)
		}
	}
}

// TestBalanceGreedyHand pins the greedy search on two cases.
//
//   - d0 on L1 of both sides, d1 on L2 of side a and L1 of side b (400 W
//     each): side a carries 1.823 A on L1 and L2 (14.2 %), side b 3.646 A
//     on L1 (28.5 %, over 20 %). d0's first candidate, its cord b to L2,
//     balances side b: the greedy takes it though it is candidate 0.
//   - three 700 W servers that need both PSUs: no move is safe (a cord
//     out would leave a server on one PSU), so the greedy finds none,
//     and Balance, beyond its search limit, reports no move.
func TestBalanceGreedyHand(t *testing.T) {
	n := oneRack(t, []balDev{{"d0", 400, 1, 1}, {"d1", 400, 2, 1}}, false, srv1)
	s := newBalancer(n, BalanceOptions{ImbalancePct: DefaultImbalancePct})
	seq := s.greedy(3)
	if len(seq) != 1 || seq[0].d != 0 || fmt.Sprint(seq[0].to) != fmt.Sprint([]int32{mustElem(t, n, "pdu-a-l1"), mustElem(t, n, "pdu-b-l2")}) || seq[0].cord != -1 {
		t.Errorf("greedy: got %+v, want d0 to pdu-a-l1, pdu-b-l2", seq)
	}
	if v := s.badness(); !near(v, 3.646/12.8-0.2, 1e-4) {
		t.Errorf("greedy left the state changed: badness %g, want side b's spread over 20 %%, 0.0849", v)
	}

	stuck := oneRack(t, []balDev{{"s1", 700, 1, 1}, {"s2", 700, 1, 1}, {"s3", 700, 1, 1}}, false, "psus_required = 2")
	if seq := newBalancer(stuck, BalanceOptions{ImbalancePct: DefaultImbalancePct}).greedy(2); len(seq) != 0 {
		t.Errorf("servers on both PSUs: greedy gave %+v, want no move", seq)
	}
	rep, err := Balance(stuck, BalanceOptions{MaxMoves: 2, SearchLimit: 1})
	if err != nil || rep.Search != "greedy" || len(rep.Moves) != 0 || rep.Balanced {
		t.Errorf("servers on both PSUs, search limit 1: got %s (error %v), want greedy, no move", balanceSummary(rep), err)
	}
}

func mustElem(t *testing.T, n *Network, id string) int32 {
	t.Helper()
	e, ok := n.M.ElementIndex(id)
	if !ok {
		t.Fatalf("no element %s", id)
	}
	return int32(e)
}

// threeSidesTOML is one rack with three sides (400 V wye, PF 0.95): pdu-a
// behind a 16 A 3-pole breaker with a single 10 A bank on L1, pdu-b on
// grid-b with nothing rated, and pdu-c behind another 16 A 3-pole breaker
// with a 10 A bank per line; two 400 W servers with cord a on pdu-a-l1
// and cord b on pdu-b.
const threeSidesTOML = `[site]
name = "three-sides"
power_factor = 0.95

[[source]]
id = "grid-a"
voltage_v = 400
phases = 3
wiring = "wye"

[[source]]
id = "grid-b"
voltage_v = 400
phases = 3
wiring = "wye"

[[device_model]]
id = "srv"
psus = 2
psus_required = 1
typical_w = 100

[[rack]]
id = "r1"

[[breaker]]
id = "brk-a"
input = "grid-a"
standard = "iec60898"
curve = "C"
rating_a = 16
poles = 3

[[breaker]]
id = "brk-c"
input = "grid-b"
standard = "iec60898"
curve = "C"
rating_a = 16
poles = 3

[[rack_pdu]]
id = "pdu-a"
rack = "r1"
input = "brk-a"
  [[rack_pdu.bank]]
  id = "pdu-a-l1"
  line = "L1"
  standard = "iec60898"
  curve = "C"
  rating_a = 10

[[rack_pdu]]
id = "pdu-b"
rack = "r1"
input = "grid-b"

[[rack_pdu]]
id = "pdu-c"
rack = "r1"
input = "brk-c"
  [[rack_pdu.bank]]
  id = "pdu-c-l1"
  line = "L1"
  standard = "iec60898"
  curve = "C"
  rating_a = 10
  [[rack_pdu.bank]]
  id = "pdu-c-l2"
  line = "L2"
  standard = "iec60898"
  curve = "C"
  rating_a = 10
  [[rack_pdu.bank]]
  id = "pdu-c-l3"
  line = "L3"
  standard = "iec60898"
  curve = "C"
  rating_a = 10

[[device]]
id = "d1"
rack = "r1"
model = "srv"
measured_w = 400
feeds = ["pdu-a-l1", "pdu-b"]

[[device]]
id = "d2"
rack = "r1"
model = "srv"
measured_w = 400
feeds = ["pdu-a-l1", "pdu-b"]
`

// TestBalanceCordToThirdSide: in threeSidesTOML's rack, brk-a carries
// both servers on L1 in its failover case, 3.646 A and nothing on L2 and
// L3: a spread of 28.5 %. A device move cannot help (a 2-PSU device's
// slots put its first PSU on side a, whose one feed point is pdu-a-l1),
// nor can cord b (to side a it would leave the server on one side; to
// side c, brk-a still carries it when c fails). Moving d1's first cord
// to side c keeps its two sides and leaves 1.823 A on brk-a's L1 and on
// brk-c's (14.2 %): one move, a cord move of PSU 1.
func TestBalanceCordToThirdSide(t *testing.T) {
	rep, err := Balance(parseNet(t, "three-sides.toml", threeSidesTOML), BalanceOptions{MaxMoves: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "exhaustive 20%; move cord of d1/psu1 from pdu-a-l1 to pdu-c-l1 (1 steps, fixed [brk-a balanced], worst 1.823 A of 8 A); before [brk-a spread 28.5 %] after [] balanced true"
	if got := balanceSummary(rep); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
