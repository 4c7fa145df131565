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
