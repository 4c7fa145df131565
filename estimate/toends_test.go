package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestToEndsMixedTimeouts: where a node holds services of different
// timeouts, the ends at a timeout do not come in the order they are
// started (an instance of the 60 s service started after one of the
// 1,000 s service ends first): projectNodeFast queues those out of order
// in the node's heap, not in projector.toEnds, and the estimates are
// exactly those with every end in the heap (shape.noToEnds) and those of
// the reference (shape.noFast). herdingShort's services all time out at
// 60 s, so that its ends at a timeout always come in order and the
// heap's branch is never taken there; here it is, some 10,000 times under
// -short (an end dropped there fails this test, not the others). Taking
// them out of order instead (toEnds unsorted) is not caught: along this
// recovery it changes no estimate.
func TestToEndsMixedTimeouts(t *testing.T) {
	c, p, evs := herdingShortOf(t, `
[[service]]
id = "side"
instances = 96
depends_on = ["base"]
timeout_s = 1000
start = { dist = "lognormal", median_s = 20, p90_s = 70 }
`)
	ls := []*Live{NewLive(c, p), NewLive(c, p), NewLive(c, p)}
	ls[1].shape.noToEnds = true
	ls[2].shape.noFast = true
	for _, l := range ls {
		l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
	}
	at := []int{len(evs) / 4, len(evs) / 2, len(evs) * 3 / 4, len(evs)}
	next, byNode, marked := 0, 0, 0
	for k, e := range evs {
		for _, l := range ls {
			l.Observe(e)
		}
		if next == len(at) || k+1 != at[next] {
			continue
		}
		next++
		for _, now := range []float64{e.TS, e.TS + 400} {
			var docs [3]string
			for j, l := range ls {
				docs[j] = snapJSON(t, l.Estimate(now))
			}
			if docs[0] != docs[1] || docs[0] != docs[2] {
				t.Fatalf("after %d events, at %g s: toEnds\n%s\nevery end in the heap\n%s\nreference\n%s", k+1, now, docs[0], docs[1], docs[2])
			}
			if ls[0].shape.local || ls[0].shape.mixed {
				byNode++
			}
			for _, pj := range ls[0].shape.projs {
				if pj.marks > 0 {
					marked++
				}
			}
		}
	}
	if byNode == 0 || marked == 0 {
		t.Fatalf("%d estimates node by node, %d projectors with hopeless marks: the recovery tests nothing of toEnds", byNode, marked)
	}
	mixed := false
	for _, order := range p.Order {
		seen := map[float64]bool{}
		for _, i := range order {
			seen[c.M.Services[c.Instances[i].Service].TimeoutS] = true
		}
		mixed = mixed || len(seen) > 1
	}
	if !mixed {
		t.Fatal("setup: no node holds services of different timeouts")
	}
}
