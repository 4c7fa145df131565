package estimate

import (
	"fmt"
	"math"
	"testing"

	"blackstart/placement"
)

// TestDispatchByPlanRank: a node starts the waiting instance of lowest
// plan rank first, not the lowest index. n1 (1 slot) holds a and b (fixed
// 10 s each); c (100 s, on n2) depends on b, so the plan ranks b first (b
// 0, c 1, a 2): from 2 s b is up at 12 s, c at 112 s, a at 22 s. In
// instance order a would go first and c be up at 122 s. Both nodes' speeds
// are pinned at 1 by a fixed 2-s start each.
func TestDispatchByPlanRank(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "a"
instances = 1
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
instances = 1
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "c"
instances = 1
depends_on = ["b"]
pinned = ["n2"]
start = { dist = "fixed", s = 100 }
`)
	p := placement.NewPlan(c)
	if a, b := p.Rank(2), p.Rank(3); !(b < a) {
		t.Fatalf("setup: plan ranks a %d, b %d; want b first", a, b)
	}
	l := NewLive(c, p)
	for n := range int32(2) {
		l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
		l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
	}
	s := l.Estimate(2)
	if len(s.Tiers) != 2 || math.Abs(s.ETAAllS-112) > 1e-9 || math.Abs(s.Tiers[0].ETAS-22) > 1e-9 {
		t.Errorf("all up at %g s, tiers %+v; want 112 s, tier 0 (a, b) at 22 s", s.ETAAllS, s.Tiers)
	}
}

// TestGivenUpAtOnce: an instance none of whose starts can end before its
// timeout is given up when its first start fails, and counted neither up
// nor at risk; the ETAs are those of what can come up. On n1 (10 slots,
// speed pinned at 1 by a fixed 2-s start), eight fixed 10-s starts of x
// from 2 s are up at 12 s, and u's two fixed 100-s starts with a 50-s
// timeout fail at 52 s and are given up: all that can come up is up at
// 12 s, none at risk, u's tier (behind pin) has no ETA (null). The 90 %
// point of the 11 instances is the 10th up, but only 9 can come up: it is
// the all-up ETA, 12 s (both count only what can come up). With a
// 100-s timeout u is up at 102 s: all up at 102 s, the 10th at 102 s.
func TestGivenUpAtOnce(t *testing.T) {
	for _, tt := range []struct {
		timeout            float64
		all, ninety, tierU float64
	}{
		{50, 12, 12, math.Inf(1)},
		{100, 102, 102, 102},
	} {
		c := oneNode(t, 10, fmt.Sprintf(`
[[service]]
id = "pin"
instances = 1
start = { dist = "fixed", s = 2 }
[[service]]
id = "x"
instances = 8
start = { dist = "fixed", s = 10 }
[[service]]
id = "u"
instances = 2
depends_on = ["pin"]
timeout_s = %g
start = { dist = "fixed", s = 100 }
`, tt.timeout))
		l := NewLive(c, placement.NewPlan(c))
		l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: 2, Instance: 0, Node: 0, State: placement.Up})
		s := l.Estimate(2)
		if s.ETAAllS != tt.all || s.ETAAllHighS != tt.all || s.ETA90S != tt.ninety || s.AtRisk != 0 || len(s.Tiers) != 2 || s.Tiers[1].ETAS != tt.tierU {
			t.Errorf("u's timeout %g s: all up at %g s [%g, %g], 90 %% at %g s, %d at risk, tiers %+v; want %g s, %g s, 0, u's tier at %g s",
				tt.timeout, s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS, s.ETA90S, s.AtRisk, s.Tiers, tt.all, tt.ninety, tt.tierU)
		}
	}
}

// TestNextUpAfterObservedFailures: the retry draws a projection reads are
// counted from now on: an instance that failed once before now (observed)
// fails its first start from now on alone (its slot frees at 1,000 s, and
// it is due after the back-off of a 2nd failure, 20 s), then starts its
// first retry from now on with its first retry draw. Starts of 1–100 s
// (uniform), 50-s timeout, speed 1. That retry, started at 950 s and
// failing (p.att 3), holds its slot for the futile retries after it, read
// from the second draw on: to 1,000 s when the second can come up, and it
// is due at 1,000 + 40 s; to 1,050 s with one futile, due at 1,050 + 40 +
// 80 = 1,170 s (4 attempts).
func TestNextUpAfterObservedFailures(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "u"
instances = 100
timeout_s = 50
start = { dist = "uniform", min_s = 1, max_s = 100 }
`)
	l := NewLive(c, nil)
	for i := range int32(100) {
		l.Observe(placement.Event{TS: 0, Instance: i, Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: 50, Instance: i, Node: 0, State: placement.Failed})
	}
	l.Estimate(50) // lays the draws out
	var p projector
	p.att = make([]uint8, len(c.Instances))
	found := map[int]int{}
	for i := range c.Instances {
		for k := range Samples {
			l.minRetry(i, k)
			rs := l.retryBlock(i, k)
			if e := l.end(i, k, 1, 950, 50, false, 1); e.kind != evFail || e.t != 1000 {
				t.Fatalf("instance %d, projection %d: the first start from now on's end %+v; want failed at 1000 s", i, k, e)
			}
			p.att[i] = 2
			if at, ok := l.nextUp(&p, i, k, 1000, 1); !ok || at != 1020 || p.att[i] != 2 {
				t.Fatalf("instance %d, projection %d: queued after the first start from now on at %g s (%v), %d attempts; want 1020 s, 2", i, k, at, ok, p.att[i])
			}
			if a, _ := l.attempt(i, k, 1, 1, 0); a != min(rs[0], 50) {
				t.Fatalf("instance %d, projection %d: the first retry from now on takes %g s; want its first draw %g s (at most the 50-s timeout)", i, k, a, rs[0])
			}
			futile := 0
			for 1+futile < len(rs) && rs[1+futile] > 50 {
				futile++
			}
			if futile > 1 {
				continue
			}
			found[futile]++
			e := l.end(i, k, 2, 950, 50, false, 1)
			if free := []float64{1000, 1050}[futile]; e.kind != evFail || e.t != free {
				t.Fatalf("instance %d, projection %d, draws from now on %v: the failed retry's end %+v; want failed at %g s", i, k, rs[:3], e, free)
			}
			p.att[i] = 3
			at, ok := l.nextUp(&p, i, k, e.t, 1)
			if want := []float64{1040, 1170}[futile]; !ok || at != want || p.att[i] != uint8(3+futile) {
				t.Fatalf("instance %d, projection %d, draws from now on %v: queued at %g s (%v), %d attempts; want %g s, %d", i, k, rs[:3], at, ok, p.att[i], want, 3+futile)
			}
		}
	}
	if found[0] == 0 || found[1] == 0 {
		t.Fatalf("cases with 0 and 1 futile retries: %v; want each", found)
	}
}

// TestRetryAtExactlyTheTimeout: a retry whose start takes exactly its
// timeout can come up (as the first start can: TestStartAtItsTimeout), so
// a failure is not given up for it: fixed 50-s starts with a 50-s timeout
// at speed 1: a failed start ends as a failure (not lost), its next start
// is due after the first back-off, at 1,010 s.
func TestRetryAtExactlyTheTimeout(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "u"
instances = 1
timeout_s = 50
start = { dist = "fixed", s = 50 }
`)
	l := NewLive(c, nil)
	l.Estimate(0) // lays the draws out
	var p projector
	p.att = make([]uint8, 1)
	for k := range Samples {
		if e := l.end(0, k, 0, 950, 50, false, 1); e.kind != evFail || e.t != 1000 {
			t.Fatalf("projection %d: a failed start's end %+v, want evFail (%d) at 1000 s: its retries can come up, none futile", k, e, evFail)
		}
		p.att[0] = 1
		if at, ok := l.nextUp(&p, 0, k, 1000, 1); !ok || at != 1010 || p.att[0] != 1 {
			t.Fatalf("projection %d: queued at %g s (%v), %d attempts; want 1010 s, 1", k, at, ok, p.att[0])
		}
	}
}

// TestNinetyProjectedAtTheCount: when as many are up as the 90 % point's
// index, the point is the first projected up, not an observed one: 10
// instances on one slot (pin 2 s, then nine 10-s starts of a, speed 1);
// at 72 s, 8 are up (pin and a#0 … a#6) and a#7 is running: the 9th up
// (the 90 % point) is a#7's at 82 s, all up at 92 s.
func TestNinetyProjectedAtTheCount(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "pin"
instances = 1
start = { dist = "fixed", s = 2 }
[[service]]
id = "a"
instances = 9
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 2, Instance: 0, Node: 0, State: placement.Up})
	for k := range int32(8) {
		t0 := 2 + 10*float64(k)
		l.Observe(placement.Event{TS: t0, Instance: 1 + k, Node: 0, State: placement.Started})
		if k < 7 {
			l.Observe(placement.Event{TS: t0 + 10, Instance: 1 + k, Node: 0, State: placement.Up})
		}
	}
	if s := l.Estimate(72); s.Up != 8 || s.ETA90S != 82 || s.ETAAllS != 92 {
		t.Errorf("8 of 10 up at 72 s: %d up, 90 %% at %g s, all at %g s; want 8, 82 s, 92 s", s.Up, s.ETA90S, s.ETAAllS)
	}
}

// TestOwnSlotsBeforeRelease: before the last release each node runs at
// most its own start_concurrency (here 1) in the projection-wide loop
// too: on n2, a's two fixed 10-s starts from 2 s run one after the other
// (12, 22 s), then z, released by a's quorum of 2 and queued on n2, runs
// 22–32 s: all up at 32 s (with a slot more, 22 s). Speeds pinned at 1 by
// a fixed 2-s start on each node.
func TestOwnSlotsBeforeRelease(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "a"
instances = 2
ready_quorum = 2
pinned = ["n2", "n2"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "z"
instances = 1
depends_on = ["a"]
pinned = ["n2"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, placement.NewPlan(c))
	for n := range int32(2) {
		l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
		l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
	}
	if s := l.Estimate(2); s.ETAAllS != 32 || len(s.Tiers) != 2 || s.Tiers[0].ETAS != 22 {
		t.Errorf("all up at %g s, tiers %+v; want 32 s, a's tier at 22 s", s.ETAAllS, s.Tiers)
	}
}

// TestMostFreeTieFirstNode: an instance with no node goes, on a tie in
// room, to the first node of its pool in model order: n1 (speed 1, its
// fixed 2-s start up at 2 s) and n2 (speed 0.5: up at 4 s), one slot
// each, both free at 4 s; x (fixed 10 s) goes to n1: up at 14 s (on n2 it
// would be 24 s).
func TestMostFreeTieFirstNode(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "x"
instances = 1
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	for n := range int32(2) {
		l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
		l.Observe(placement.Event{TS: 2 + 2*float64(n), Instance: n, Node: n, State: placement.Up})
	}
	if s := l.Estimate(4); s.ETAAllS != 14 || s.ETAAllLowS != 14 || s.ETAAllHighS != 14 {
		t.Errorf("x up at %g s [%g, %g]; want 14 s (n1, the first node on a tie)", s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS)
	}
}

// TestMostFreeCountsQueued: an instance's room on a node counts the
// instances already released there and waiting (free slots less those
// waiting): n1 and n2 with one slot each; w's two instances scheduled on
// n1 at 2 s wait there, x (no node) goes to n2: x up at 12 s, w at 12 and
// 22 s, all up at 22 s (on n1, behind w, x would be up at 32 s).
func TestMostFreeCountsQueued(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "w"
instances = 2
start = { dist = "fixed", s = 10 }
[[service]]
id = "x"
instances = 1
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	for n := range int32(2) {
		l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
		l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
	}
	for i := int32(2); i < 4; i++ {
		l.Observe(placement.Event{TS: 2, Instance: i, Node: 0, State: placement.Scheduled})
	}
	if s := l.Estimate(2); s.ETAAllS != 22 || s.ETAAllHighS != 22 {
		t.Errorf("all up at %g s [%g, %g]; want 22 s (x on n2)", s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS)
	}
}

// TestMostFreeAfterQueueStarted: a placement later in the projection
// counts, of the instances released on a node before now, only those
// not yet started. Two nodes of 2 slots at speed 1; on n1, w's three
// 10-s instances are scheduled: two start at 2 s, one waits; on n2 gate
// (5 s) and long (100 s) run from 2 s and y's three 10-s instances wait.
// At 7 s gate is up and releases x (no node): n1's room is 0 free less 1
// waiting, n2's 1 free less 3 waiting, so x goes to n1 and starts beside
// w's last at 12 s: x's tier is up at 22 s (on n2, after y's, 47 s).
func TestMostFreeAfterQueueStarted(t *testing.T) {
	c := nodes(t, 2, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "gate"
instances = 1
start = { dist = "fixed", s = 5 }
[[service]]
id = "long"
instances = 1
start = { dist = "fixed", s = 100 }
[[service]]
id = "w"
instances = 3
start = { dist = "fixed", s = 10 }
[[service]]
id = "y"
instances = 3
start = { dist = "fixed", s = 10 }
[[service]]
id = "x"
instances = 1
depends_on = ["gate"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	ev := func(ts float64, i, n int32, st placement.State) {
		l.Observe(placement.Event{TS: ts, Instance: i, Node: n, State: st})
	}
	for n := range int32(2) {
		ev(0, n, n, placement.Started)
		ev(2, n, n, placement.Up)
	}
	ev(2, 2, 1, placement.Started) // gate
	ev(2, 3, 1, placement.Started) // long
	for i := int32(4); i < 7; i++ {
		ev(2, i, 0, placement.Scheduled) // w on n1
	}
	for i := int32(7); i < 10; i++ {
		ev(2, i, 1, placement.Scheduled) // y on n2
	}
	if s := l.Estimate(2); len(s.Tiers) != 2 || s.Tiers[1].ETAS != 22 || s.ETAAllS != 102 {
		t.Errorf("all up at %g s, tiers %+v; want 102 s, x's tier at 22 s (x on n1)", s.ETAAllS, s.Tiers)
	}
}

// TestOwnSlotsNodeByNode: once everything is released the nodes are
// projected one by one (shape.local), each with its own slots: a's two
// fixed 10-s starts on n2 (1 slot) from 2 s are up at 12 and 22 s (with
// a slot more, both at 12 s).
func TestOwnSlotsNodeByNode(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "a"
instances = 2
pinned = ["n2", "n2"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, placement.NewPlan(c))
	for n := range int32(2) {
		l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
		l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
	}
	if s := l.Estimate(2); !l.shape.local || s.ETAAllS != 22 {
		t.Errorf("node by node %v, all up at %g s; want true, 22 s", l.shape.local, s.ETAAllS)
	}
}

// TestLastAttemptAtTheLimit: with one attempt (no retry), an instance
// whose only start takes exactly its timeout can still come up, node by
// node too: fixed 50-s start, 50-s timeout, speed 1, waiting at 2 s: up
// at 52 s, not given up.
func TestLastAttemptAtTheLimit(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "pin"
instances = 1
start = { dist = "fixed", s = 2 }
[[service]]
id = "x"
instances = 1
timeout_s = 50
start = { dist = "fixed", s = 50 }
`)
	l := NewLive(c, placement.NewPlan(c))
	l.SetRetry(placement.Retry{MaxAttempts: 1})
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 2, Instance: 0, Node: 0, State: placement.Up})
	if s := l.Estimate(2); !l.shape.local || s.ETAAllS != 52 || len(s.Tiers) != 1 || s.Tiers[0].ETAS != 52 {
		t.Errorf("node by node %v, all up at %g s, tiers %+v; want true, 52 s", l.shape.local, s.ETAAllS, s.Tiers)
	}
}

// TestBackoffAloneNodeByNode: node by node, a node whose only work is an
// instance waiting out a back-off is projected too: x (fixed 10 s) failed
// at 10 s on n1, due again after the 10-s back-off at 20 s; at 12 s
// nothing runs: x up at 30 s.
func TestBackoffAloneNodeByNode(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "pin"
instances = 1
start = { dist = "fixed", s = 2 }
[[service]]
id = "x"
instances = 1
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, placement.NewPlan(c))
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 2, Instance: 0, Node: 0, State: placement.Up})
	l.Observe(placement.Event{TS: 2, Instance: 1, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 1, Node: 0, State: placement.Failed})
	if s := l.Estimate(12); !l.shape.local || s.ETAAllS != 30 {
		t.Errorf("node by node %v, all up at %g s; want true, 30 s", l.shape.local, s.ETAAllS)
	}
}

// TestReleaseOntoFirstNode: a node that a release will queue an instance
// on is open (projected by the projection-wide loop), the first node too,
// and is not doomed while that instance can come up: z waits on a's
// quorum of 2 and is pinned to n1 (node 0), which runs nothing now; a's
// two fixed 10-s starts on n2 run 2–12 and 12–22 s (one slot), z then runs
// on n1 22–32 s: all that can come up is up at 32 s, z's tier at 32 s, as
// the projection-wide loop alone gives (counting n1 doomed gives 22 s and
// no tier 1). x (instance 0, on n3) outlasts its 50-s timeout at every
// attempt, so it never comes up. Speeds pinned at 1 by a fixed 2-s start
// on n1 and n2.
func TestReleaseOntoFirstNode(t *testing.T) {
	c := nodes(t, 1, 3, `
[[service]]
id = "x"
instances = 1
pinned = ["n3"]
start = { dist = "fixed", s = 100 }
timeout_s = 50
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "a"
instances = 2
ready_quorum = 2
pinned = ["n2", "n2"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "z"
instances = 1
depends_on = ["a"]
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
`)
	p := placement.NewPlan(c)
	mixed, global := NewLive(c, p), NewLive(c, p)
	global.shape.noMixed = true
	for _, l := range []*Live{mixed, global} {
		for n := range int32(2) {
			l.Observe(placement.Event{TS: 0, Instance: n + 1, Node: n, State: placement.Started})
			l.Observe(placement.Event{TS: 2, Instance: n + 1, Node: n, State: placement.Up})
		}
	}
	s, g := mixed.Estimate(2), global.Estimate(2)
	if !mixed.shape.mixed || !mixed.shape.open[0] {
		t.Fatalf("mixed %v, open %v: want mixed with n1 open", mixed.shape.mixed, mixed.shape.open)
	}
	for _, e := range []Snapshot{s, g} {
		if e.ETAAllS != 32 || e.Up != 2 || len(e.Tiers) != 2 || e.Tiers[1].ETAS != 32 {
			t.Errorf("all up at %g s, %d up, tiers %+v; want 32 s, 2 up, tier 1 at 32 s", e.ETAAllS, e.Up, e.Tiers)
		}
	}
}
