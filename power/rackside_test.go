package power

import "testing"

// A rack side's failover verdict is that of the worst element between its
// breaker and the rack's PSUs: in small-dc the 32 A branch breakers of rack
// r1-02 hold on failover (19.60 A, 61 %), but its 16 A line-1 banks carry the
// same 19.60 A, past their no-trip current.
func TestRackSideWorstElement(t *testing.T) {
	n := NewNetwork(loadFiles(t, smallDC...), BasisConservative)
	rep := n.Load()
	want := map[string]struct {
		worst   string
		verdict Verdict
		breaker string
	}{
		"cir-r1-02-a": {"pdu-r1-02-a-l1", MayTrip, "brk-r1-02-a"},
		"cir-r1-02-b": {"pdu-r1-02-b-l1", MayTrip, "brk-r1-02-b"},
		"cir-r2-02-a": {"brk-r2-02-a", OverContinuous, "brk-r2-02-a"},
	}
	seen := 0
	for _, r := range rep.Racks {
		for _, s := range r.Sides {
			w, ok := want[s.Feed]
			if !ok {
				continue
			}
			seen++
			if s.WorstElement != w.worst || s.FailoverVerdict != w.verdict || s.Breaker != w.breaker {
				t.Errorf("%s: worst %s (%s), breaker %s; want %s (%s), breaker %s", s.Feed, s.WorstElement, s.FailoverVerdict, s.Breaker, w.worst, w.verdict, w.breaker)
			}
			if s.Feed == "cir-r1-02-a" && (abs(s.WorstCurrentA-19.60) > 0.01 || s.WorstRatingA != 16 || abs(s.FailoverA-19.60) > 0.01 || s.RatingA != 32) {
				t.Errorf("%s: worst %.3f A of %.0f A, breaker %.3f A of %.0f A; want 19.60 of 16 and 19.60 of 32", s.Feed, s.WorstCurrentA, s.WorstRatingA, s.FailoverA, s.RatingA)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d sides", seen, len(want))
	}
	// The sweep agrees: losing side B trips bank A-L1 within the hour.
	sc := NewSim(n).Run(ids(t, n.M, "brk-r1-02-b"), -1, -1, DefaultHorizonS)
	tripped := false
	for _, e := range sc.Events {
		if e.Event == "trip" && e.Element == "pdu-r1-02-a-l1" {
			tripped = true
		}
	}
	if !tripped {
		t.Errorf("losing brk-r1-02-b does not trip pdu-r1-02-a-l1: %+v", sc.Events)
	}
}
