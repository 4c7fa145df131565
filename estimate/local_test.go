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

// TestDoomedExact: a node is found doomed (projectLocal skips it,
// counting its instances given up) exactly when projecting it brings
// nothing up, and then every instance on it is given up once; checked on
// every node of every projection at points of BenchmarkLive's herded
// recovery where the projections run node by node.
func TestDoomedExact(t *testing.T) {
	c, p, evs := herdingRecovery(t)
	l := NewLive(c, p)
	l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
	sh := &l.shape
	doomed, alive := 0, 0
	at := map[int]bool{600_000: true, 800_000: true, 1_000_000: true}
	for k, e := range evs {
		l.Observe(e)
		if !at[k+1] {
			continue
		}
		now := e.TS
		l.Estimate(now)
		if !sh.local {
			t.Fatalf("after %d events: not node by node", k+1)
		}
		stale := make([]bool, len(c.M.Devices))
		for n := range stale {
			stale[n] = l.stale(int32(n), now)
		}
		for kind := 0; kind < Samples; kind++ {
			var pj projector
			l.project(&pj, now, stale, kind, l.speedBuf[kind]) // lays the running starts out by node
			for n := range c.M.Devices {
				run := pj.runNode[sh.runOff[n]:sh.runOff[n+1]]
				later := sh.laterNode[sh.laterOff[n]:sh.laterOff[n+1]]
				if stale[n] || len(run)+len(later)+len(sh.atNow[n]) == 0 {
					continue
				}
				copy(pj.att, l.fails)
				sp := l.speedBuf[kind][n]
				d := l.doomed(run, later, sh.atNow[n], kind, sp)
				pr := projection{tiers: make([]TierStatus, sh.maxTier+1)}
				lost := pj.lost
				ups := l.projectNode(&pj, &pr, int32(n), now, kind, sp, run, later, nil)
				if d != (len(ups) == 0) {
					t.Fatalf("after %d events, projection %d, node %d: doomed %v, but projecting it brings %d up", k+1, kind, n, d, len(ups))
				}
				if d {
					doomed++
					if got, want := pj.lost-lost, len(run)+len(later)+len(sh.atNow[n]); got != want {
						t.Fatalf("after %d events, projection %d, node %d (doomed): %d given up, want %d", k+1, kind, n, got, want)
					}
				} else {
					alive++
				}
			}
		}
	}
	if doomed == 0 || alive == 0 {
		t.Fatalf("%d nodes doomed, %d not: want both", doomed, alive)
	}
	t.Logf("%d nodes doomed, %d not", doomed, alive)
}
