package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestMixedProjectionSame: before the last release, the nodes no release
// queues anything on are projected on their own and the others by the
// projection-wide loop (shape.mixed); the estimates must be exactly those
// of the projection-wide loop alone. Checked along the first half of
// BenchmarkLive's herded recovery (nodes running hundreds of starts,
// retries and back-offs under way), at the latest event's time and later,
// where some nodes are closed and some open. Under -short: along
// herdingShortHeld's recovery (6 nodes open, 42 closed).
func TestMixedProjectionSame(t *testing.T) {
	var c *placement.Cluster
	var p *placement.Plan
	var evs []placement.Event
	var at map[int]bool // estimates compared after so many events
	if testing.Short() {
		c, p, evs = herdingShortHeld(t)
		at = map[int]bool{2_000: true, 8_000: true, 20_000: true, 44_000: true}
	} else {
		c, p, evs = herdingRecovery(t)
		at = map[int]bool{20_000: true, 150_000: true, 300_000: true, 350_000: true, 420_000: true}
	}
	last := 0
	for k := range at {
		last = max(last, k)
	}
	mixed, global := NewLive(c, p), NewLive(c, p)
	global.shape.noMixed = true
	for _, l := range []*Live{mixed, global} {
		l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
	}
	doomed := 0 // open nodes a projection found nothing on can come up
	for k, e := range evs[:last] {
		mixed.Observe(e)
		global.Observe(e)
		if !at[k+1] {
			continue
		}
		for _, now := range []float64{e.TS, e.TS + 400} {
			a := snapJSON(t, mixed.Estimate(now))
			sh := &mixed.shape
			open := 0
			for _, o := range sh.open {
				if o {
					open++
				}
			}
			if !sh.mixed || open == 0 || open == len(sh.open) {
				t.Fatalf("after %d events: mixed %v with %d of %d nodes open; want some open, some closed", k+1, sh.mixed, open, len(sh.open))
			}
			b := snapJSON(t, global.Estimate(now))
			if global.shape.mixed {
				t.Fatal("noMixed: the projection-wide loop alone, want no mixed")
			}
			if a != b {
				t.Fatalf("after %d events, at %g s (%d of %d nodes open): mixed\n%s\nprojection-wide\n%s", k+1, now, open, len(sh.open), a, b)
			}
			for _, d := range sh.projs[0].doomed {
				if d {
					doomed++
				}
			}
		}
	}
	if doomed == 0 {
		t.Fatal("no open node was found doomed: that part is not compared")
	}
	t.Logf("%d open nodes doomed in worker 0's last projection at each estimate compared", doomed)
}
