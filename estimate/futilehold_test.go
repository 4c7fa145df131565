package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestFutileRetriesHoldTheSlot: a retry that fails holds its node's slot
// for its timeout and for the timeouts of the retries after it that would
// outlast theirs too, as the simulator runs them (each holding a slot
// while it runs), where the projection once let the futile retries take
// no slot at all. One slot, 3 attempts; "a" (fixed 60-s starts, 50-s
// timeout: none can come up) ranked before "b" (4 instances, fixed 10-s
// starts), a running from 0 (the median projection's speed is 1). a's first start fails at 50 s
// and frees the slot: b#0 runs in a's back-off, up at 60 s. a is due again
// at 60 s and ranks first: its retry and the last one after it hold the
// slot for 2 × 50 s, to 160 s, and a is given up; then b#1–b#3, all up at
// 190 s. The simulator, at the back-offs' means, gets the same 190 s (b#1
// and b#2 run in a's second back-off, b#3 after a's last start); leaving
// the futile retries out gave 90 s.
func TestFutileRetriesHoldTheSlot(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "a"
instances = 1
timeout_s = 50
start = { dist = "fixed", s = 60 }
[[service]]
id = "b"
instances = 4
start = { dist = "fixed", s = 10 }
`)
	for _, noFast := range []bool{false, true} {
		l := NewLive(c, nil)
		l.SetRetry(placement.Retry{MaxAttempts: 3})
		l.shape.noFast = noFast
		l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
		s := l.Estimate(0)
		if s.ETAAllS != 190 {
			t.Errorf("noFast %v: all up at %g s; want 190 s (b#1–b#3 after a's retries' 100 s)", noFast, s.ETAAllS)
		}
	}
}
