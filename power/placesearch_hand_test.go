package power

import (
	"fmt"
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
