package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestHoldOverSame: the projection-wide loop with the ends of the starts
// beyond their nodes' slots held (holdOver) gives exactly the estimates it
// gives without, along the first half of BenchmarkLive's herded recovery
// (services still being released, nodes running hundreds of starts, retries
// and back-offs under way), at the latest event's time and later; and
// holdOver does take ends out there.
func TestHoldOverSame(t *testing.T) {
	var c *placement.Cluster
	var p *placement.Plan
	var evs []placement.Event
	var at map[int]bool // estimates compared after so many events
	if testing.Short() {
		c, p, evs = herdingShortHeld(t)
		at = map[int]bool{2_000: true, 8_000: true, 20_000: true, 44_000: true}
	} else {
		c, p, evs = herdingRecovery(t)
		at = map[int]bool{20_000: true, 100_000: true, 250_000: true, 350_000: true}
	}
	last := 0
	for k := range at {
		last = max(last, k)
	}
	hold, plain := NewLive(c, p), NewLive(c, p)
	plain.shape.noHold = true
	for _, l := range []*Live{hold, plain} {
		l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
		l.shape.noMixed = true // every node in the projection-wide loop
	}
	dropped := 0
	for k, e := range evs[:last] {
		hold.Observe(e)
		plain.Observe(e)
		if !at[k+1] {
			continue
		}
		for _, now := range []float64{e.TS, e.TS + 400} {
			a := snapJSON(t, hold.Estimate(now))
			if hold.shape.local || hold.shape.mixed || hold.shape.anyUnplaced {
				t.Fatalf("after %d events: local %v, mixed %v, an instance with no node %v; want the projection-wide loop with holdOver", k+1, hold.shape.local, hold.shape.mixed, hold.shape.anyUnplaced)
			}
			b := snapJSON(t, plain.Estimate(now))
			if a != b {
				t.Fatalf("after %d events, at %g s: with holdOver\n%s\nwithout\n%s", k+1, now, a, b)
			}
			running := 0
			for _, r := range hold.shape.running {
				if r.node >= 0 {
					running++
				}
			}
			pj := &hold.shape.projs[0]
			dropped += running - len(pj.run)
		}
	}
	if dropped == 0 {
		t.Fatal("holdOver took no running start's end out: the comparison tests nothing")
	}
	t.Logf("%d ends taken out of the running starts of worker 0's last projection at each estimate compared (which projection it was depends on the board)", dropped)
}
