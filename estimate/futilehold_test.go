package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestFutileRetriesHoldTheSlot: a start that fails holds its node's slot
// for its timeout and for the timeouts of the retries after it that would
// outlast theirs too, as the simulator runs them (there each one holds a
// slot while it runs), where the projection once freed the slot at the
// first failure and let the futile retries take none. One slot, 3
// attempts; "a" (fixed 60-s starts, 50-s timeout: none can come up) ranked
// before "b" (fixed 10-s starts). a starts at 0; it and its two retries
// hold the slot for 3 × 50 = 150 s, in one piece (failHold), then b runs:
// up at 160 s, where freeing the slot at a's first failure gave 60 s.
// Once a's first start has failed (at 50 s) and a waits out its back-off,
// the slot is free: b runs in it then, as in the simulator (up by 70 s at
// any speed above 0.5: the speed fitted from a's failure is below 1.2),
// and a's retries come after.
func TestFutileRetriesHoldTheSlot(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "a"
instances = 1
timeout_s = 50
start = { dist = "fixed", s = 60 }
[[service]]
id = "b"
instances = 1
start = { dist = "fixed", s = 10 }
`)
	for _, noFast := range []bool{false, true} {
		l := NewLive(c, nil)
		l.SetRetry(placement.Retry{MaxAttempts: 3})
		l.shape.noFast = noFast
		l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
		s := l.Estimate(0)
		if s.ETAAllS != 160 {
			t.Errorf("noFast %v: all up at %g s; want 160 s (b after a's three 50-s starts)", noFast, s.ETAAllS)
		}
		l.Observe(placement.Event{TS: 50, Instance: 0, Node: 0, State: placement.Failed})
		if s := l.Estimate(50); !(s.ETAAllS > 60 && s.ETAAllS < 70) {
			t.Errorf("noFast %v, a waiting out its back-off: all up at %g s; want b up in it, by 70 s", noFast, s.ETAAllS)
		}
	}
}
