package estimate

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// oneNode is a model with one node of c concurrent starts and the given
// services (TOML), for hand-checkable estimates.
func oneNode(t *testing.T, c int, services string) *placement.Cluster {
	t.Helper()
	return nodes(t, c, 1, services)
}

// nodes is a model with nodes n1…nN in one rack, each of c concurrent
// starts (c 0: start_concurrency not given), and the given services (TOML).
func nodes(t *testing.T, c, n int, services string) *placement.Cluster {
	t.Helper()
	return nodesDrawing(t, c, n, 100, services)
}

// nodesDrawing is nodes with each node drawing w watts (a big fleet must
// draw little to fit the one breaker).
func nodesDrawing(t *testing.T, c, n int, w float64, services string) *placement.Cluster {
	t.Helper()
	var devs strings.Builder
	for k := 1; k <= n; k++ {
		fmt.Fprintf(&devs, "[[device]]\nid = \"n%d\"\nrack = \"r1\"\nmodel = \"box\"\nfeeds = [\"pdu\"]\n", k)
	}
	concurrency := ""
	if c > 0 {
		concurrency = fmt.Sprintf("start_concurrency = %d\n", c)
	}
	text := fmt.Sprintf(`
[[source]]
id = "grid"
voltage_v = 230
[[breaker]]
id = "brk"
input = "grid"
standard = "iec60898"
curve = "C"
rating_a = 32
[[rack]]
id = "r1"
[[rack_pdu]]
id = "pdu"
rack = "r1"
input = "brk"
[[device_model]]
id = "box"
typical_w = %g
ram_gib = 1000
cpu_cores = 1000
%s%s%s`, w, concurrency, devs.String(), services)
	m, err := topology.Parse(topology.File{Name: "nodes.toml", Data: []byte(text)})
	if err != nil {
		t.Fatal(err)
	}
	return placement.NewCluster(m)
}

// tenFixed is one node of one slot and ten instances of fixed 10-s
// starts; threeUp is its estimator after three starts up one after the
// other at full speed and the fourth begun (at 30 s).
func tenFixed(t *testing.T) *placement.Cluster {
	return oneNode(t, 1, `
[[service]]
id = "app"
instances = 10
start = { dist = "fixed", s = 10 }
`)
}

func threeUp(c *placement.Cluster) *Live {
	l := NewLive(c, nil)
	for i := 0; i < 3; i++ {
		t0 := float64(10 * i)
		l.Observe(placement.Event{TS: t0, Instance: int32(i), Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: t0 + 10, Instance: int32(i), Node: 0, State: placement.Up})
	}
	l.Observe(placement.Event{TS: 30, Instance: 3, Node: 0, State: placement.Started})
	return l
}

// One node starting one instance at a time, 10 s each: after three are up
// at t = 30 s, the ten are all up at 100 s and 90 % at 90 s, exactly.
func TestLiveConstantThroughput(t *testing.T) {
	c := tenFixed(t)
	l := threeUp(c)
	s := l.Estimate(30)
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6 } // the speed is solved for numerically
	if s.Up != 3 || !near(s.ETAAllS, 100) || !near(s.ETA90S, 90) || !near(s.ETAAllLowS, 100) || !near(s.ETAAllHighS, 100) {
		t.Errorf("got %d up, ETA %g s [%g, %g], 90 %% %g s; want 3, 100 [100, 100], 90", s.Up, s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS, s.ETA90S)
	}
	// The node runs at half the expected speed: 20 s per start (a fixed
	// start time pins the speed from one completion).
	l = NewLive(c, nil)
	for i := 0; i < 4; i++ {
		t0 := float64(20 * i)
		l.Observe(placement.Event{TS: t0, Instance: int32(i), Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: t0 + 20, Instance: int32(i), Node: 0, State: placement.Up})
	}
	// The speed is 0.5 exactly.
	if s := l.Estimate(80); math.Abs(s.ETAAllS-200) > 1e-6 {
		t.Errorf("half-speed node: ETA %g s, want 200", s.ETAAllS)
	}
}

// Two tiers on a node with three slots: b (4 × 10 s) waits for a quorum of
// both instances of a (2 × 20 s): all up at 20 + 2 × 10 = 40 s (30 s
// without the barrier).
func TestLiveTierBarrier(t *testing.T) {
	// Three slots: without the barrier b would take the free one at 5 s
	// and all be up by 30 s; with it, b waits for both a (20 s).
	c := oneNode(t, 3, `
[[service]]
id = "a"
instances = 2
ready_quorum = 2
start = { dist = "fixed", s = 20 }
[[service]]
id = "b"
instances = 4
depends_on = ["a"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 0, Instance: 1, Node: 0, State: placement.Started})
	s := l.Estimate(5)
	// The node's speed is its posterior mean: the prior's (1), nudged
	// slower by the two starts still running at 5 s, which rule out a
	// node over 3.5 times as fast (4.6 σ of the prior out: a shift of
	// about 3e-6 in log speed, 1e-4 s on 40 s).
	near := func(a, b float64) bool { return math.Abs(a-b) <= 5e-4 }
	if !near(s.ETAAllS, 40) || len(s.Tiers) != 2 || !near(s.Tiers[0].ETAS, 20) || !near(s.Tiers[1].ETAS, 40) {
		t.Errorf("ETA %g s, tiers %+v; want 40, tier 0 at 20, tier 1 at 40", s.ETAAllS, s.Tiers)
	}
	// The RAM baseline stands beside it, nothing up yet: no extrapolation.
	if !math.IsInf(s.RAMETAAllS, 1) {
		t.Errorf("RAM ETA %g with nothing up", s.RAMETAAllS)
	}
}

// A node that stopped reporting while starting is noticed, and its
// instances counted at risk rather than projected.
func TestLiveStaleNode(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "app"
instances = 3
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Up})
	l.Observe(placement.Event{TS: 10, Instance: 1, Node: 0, State: placement.Started})
	s := l.Estimate(10 + staleAfter + 1)
	if strings.Join(s.StaleNodes, ",") != "n1" || s.AtRisk != 2 {
		t.Errorf("stale %v, at risk %d; want [n1], 2", s.StaleNodes, s.AtRisk)
	}
}

// A live node reports every start up, or failed at its timeout: a start
// past its timeout with no word of it means the node stopped reporting,
// long before staleAfter.
func TestLiveStaleAfterTimeout(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "app"
instances = 3
timeout_s = 100
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Up})
	l.Observe(placement.Event{TS: 10, Instance: 1, Node: 0, State: placement.Started})
	if s := l.Estimate(10 + 100 + timeoutSlack - 1); len(s.StaleNodes) != 0 {
		t.Errorf("stale %v within the slack after the timeout", s.StaleNodes)
	}
	s := l.Estimate(10 + 100 + timeoutSlack + 1)
	if strings.Join(s.StaleNodes, ",") != "n1" || s.AtRisk != 2 {
		t.Errorf("stale %v, at risk %d; want [n1], 2", s.StaleNodes, s.AtRisk)
	}
}

// After a failed start, a node that has nothing left to start may stay
// quiet: it is not stale. One that still has work is, after the longest
// back-off.
func TestLiveQuietAfterFailure(t *testing.T) {
	c := twoNodes(t)
	l := NewLive(c, nil)
	// n1 fails instance 0, which goes to... nowhere else here, so it is
	// pending on n1: n1 has work.
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Failed})
	late := 10 + 1.5*placement.MaxBackoffS + timeoutSlack + 1
	if s := l.Estimate(late); strings.Join(s.StaleNodes, ",") != "n1" {
		t.Errorf("stale %v; want n1 (a failed start, work left, silent past the back-off)", s.StaleNodes)
	}
	// The failed instance is then scheduled on n2: n1 has no work left.
	l.Observe(placement.Event{TS: late, Instance: 0, Node: 1, State: placement.Scheduled})
	if s := l.Estimate(late + 1); len(s.StaleNodes) != 0 {
		t.Errorf("stale %v; want none (n1 has nothing left to start)", s.StaleNodes)
	}
}

// Instances with no node go to a node that still reports, and an ETA is
// never in the past while something is still down.
func TestLiveStaleNodeAvoided(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "app"
instances = 3
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Up})
	l.Observe(placement.Event{TS: 10, Instance: 1, Node: 0, State: placement.Started})
	now := 10 + staleAfter + 1
	s := l.Estimate(now)
	if s.AtRisk != 2 || s.ETAAllS < now || !math.IsInf(s.Tiers[0].ETAS, 1) && s.Tiers[0].ETAS < now {
		t.Errorf("at risk %d, ETA %g s, tier ETA %g s at %g s; want 2 at risk and nothing in the past", s.AtRisk, s.ETAAllS, s.Tiers[0].ETAS, now)
	}
}

// TestObserveOutOfRange: an event naming an instance past the cluster's
// (index = count, or -1) is ignored, by Live and by RAM, and does not
// count an instance up; the snapshot's fraction is up over total (5 of
// twoNodes' 20 instances: 0.25). (A node index is not checked: an event
// with a node past the model's panics in Live; callers map node names.)
func TestObserveOutOfRange(t *testing.T) {
	c := twoNodes(t)
	l := NewLive(c, nil)
	r := NewRAM(c)
	n := int32(len(c.Instances))
	for _, e := range []placement.Event{
		{TS: 1, Instance: n, Node: 0, State: placement.Up},
		{TS: 1, Instance: -1, Node: 0, State: placement.Up},
		{TS: 1, Instance: 0, Node: int32(len(c.M.Devices)), State: placement.Started}, // a node past the model's
		{TS: 1, Instance: 1, Node: -2, State: placement.Started},
	} {
		l.Observe(e)
		r.Observe(e)
	}
	if r.Fraction() != 0 {
		t.Errorf("RAM after out-of-range events: fraction %g, want 0", r.Fraction())
	}
	for k := range 5 {
		l.Observe(placement.Event{TS: 2, Instance: int32(k), Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: 12, Instance: int32(k), Node: 0, State: placement.Up})
	}
	if s := l.Estimate(12); s.Up != 5 || s.Total != 20 || s.Fraction != 0.25 {
		t.Errorf("5 of 20 up: got up %d, total %d, fraction %g; want 5, 20, 0.25", s.Up, s.Total, s.Fraction)
	}
	// Node −1 means none, and is taken: an up of instance 5 without a
	// node makes 6 of 20.
	l.Observe(placement.Event{TS: 13, Instance: 5, Node: -1, State: placement.Up})
	if s := l.Estimate(13); s.Up != 6 {
		t.Errorf("an up with node -1: %d up, want 6", s.Up)
	}
}

// TestRoundTo: decimals places, half away from zero; NaN and infinities
// kept.
func TestRoundTo(t *testing.T) {
	for _, c := range []struct{ v, want float64 }{{1.23456, 1.23}, {-2.345, -2.35}, {1234.5, 1234.5}, {0.005, 0.01}} {
		if got := roundTo(c.v, 2); got != c.want {
			t.Errorf("roundTo(%g, 2) = %g, want %g", c.v, got, c.want)
		}
	}
	if got := roundTo(1234.5, 0); got != 1235 {
		t.Errorf("roundTo(1234.5, 0) = %g, want 1235", got)
	}
	if !math.IsInf(roundTo(math.Inf(1), 2), 1) || !math.IsNaN(roundTo(math.NaN(), 2)) {
		t.Errorf("roundTo must keep infinities and NaN")
	}
}

// The least overdue time stale keeps per node (overdueAt) is the one a
// scan of the node's running starts finds, along a herded recovery in
// which starts time out and nodes die: checked for every node every 97
// events, at moments on both sides of it, stale's answer too.
func TestStaleOverdueKept(t *testing.T) {
	c, p, evs := herdingShort(t)
	l := NewLive(c, p)
	checked, overdue := 0, 0
	for k, e := range evs {
		l.Observe(e)
		if k%97 != 0 && k != len(evs)-1 {
			continue
		}
		for n := range c.M.Devices {
			want := math.Inf(1)
			for _, r := range l.fits.node[n].running {
				timeout := c.M.Services[c.Instances[r.inst].Service].TimeoutS
				if timeout <= 0 {
					timeout = placement.DefaultTimeoutS
				}
				want = min(want, r.begin+timeout+timeoutSlack)
			}
			if got := l.overdueAt(int32(n)); got != want {
				t.Fatalf("event %d, node %d: overdue at %g s, a scan of its %d running starts %g s", k, n, got, len(l.fits.node[n].running), want)
			}
			checked++
			if !math.IsInf(want, 1) {
				overdue++
				for _, now := range []float64{want - 1, want + 1} {
					now = max(now, l.lastT)
					if l.stale(int32(n), now) != staleScan(l, int32(n), now) {
						t.Fatalf("event %d, node %d at %g s: stale %v, by a scan %v", k, n, now, l.stale(int32(n), now), !l.stale(int32(n), now))
					}
				}
			}
		}
	}
	if overdue < 100 {
		t.Fatalf("%d nodes checked, %d with starts running; want many", checked, overdue)
	}
}

// staleScan is stale as it was before overdueAt: the node's running starts
// scanned at every call.
func staleScan(l *Live, n int32, now float64) bool {
	if l.lastSeen[n] < 0 {
		return false
	}
	quiet := now - l.lastSeen[n]
	if l.busy[n] > 0 && quiet > staleAfter {
		return true
	}
	if l.lastFailed[n] && quiet > 1.5*placement.MaxBackoffS+timeoutSlack && (l.busy[n] > 0 || l.pending[n] > 0) {
		return true
	}
	if !(l.lastSeen[n] < now-timeoutSlack) {
		return false
	}
	for _, r := range l.fits.node[n].running {
		timeout := l.c.M.Services[l.c.Instances[r.inst].Service].TimeoutS
		if timeout <= 0 {
			timeout = placement.DefaultTimeoutS
		}
		if now > r.begin+timeout+timeoutSlack {
			return true
		}
	}
	return false
}
