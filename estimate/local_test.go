package estimate

import (
	"encoding/json"
	"testing"

	"blackstart/placement"
)

// TestLocalProjectionSame: once every service is released, the
// projections run node by node (shape.local); their estimates must be
// exactly those of the projection-wide event loop. Checked along
// BenchmarkLive's herded recovery (retries, back-offs under way, nodes
// with hundreds of starts running, stale nodes), before and after the
// last release.
func TestLocalProjectionSame(t *testing.T) {
	c, p, evs := herdingRecovery(t)
	local, global := NewLive(c, p), NewLive(c, p)
	global.shape.noLocal = true
	for _, l := range []*Live{local, global} {
		l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
	}
	at := map[int]bool{300_000: false, 550_000: true, 1_000_000: true} // whether node by node
	for k, e := range evs {
		local.Observe(e)
		global.Observe(e)
		want, ok := at[k+1]
		if !ok {
			continue
		}
		for _, now := range []float64{e.TS, e.TS + 400} { // and with the back-offs under way over
			a, err := json.Marshal(local.Estimate(now))
			if err != nil {
				t.Fatal(err)
			}
			if local.shape.local != want {
				t.Fatalf("after %d events: node by node %v, want %v", k+1, local.shape.local, want)
			}
			b, err := json.Marshal(global.Estimate(now))
			if err != nil {
				t.Fatal(err)
			}
			if string(a) != string(b) {
				t.Fatalf("after %d events, at %g s: node by node\n%s\nprojection-wide\n%s", k+1, now, a, b)
			}
		}
	}
}
