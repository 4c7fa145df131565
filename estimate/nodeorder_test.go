package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestSecondNodeAllUp: node by node, a node's projection stops once as
// many of its own instances are up as it can bring up, counted from the
// ups of the nodes projected before it. n1 (one start slot) has one
// 10-s instance, n2 three: all up at 30 s, 90 % (4 of 4: every one) at
// 30 s. Counting the earlier ups the other way (+ instead of −) stopped
// n2 after its first up: all up at 10 s.
func TestSecondNodeAllUp(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "a"
instances = 1
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
instances = 3
pinned = ["n2", "n2", "n2"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, placement.NewPlan(c))
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	s := l.Estimate(0)
	if !l.shape.local || s.ETAAllS != 30 || s.ETA90S != 30 {
		t.Errorf("node by node %v, all up at %g s, 90 %% at %g s; want true, 30 s, 30 s", l.shape.local, s.ETAAllS, s.ETA90S)
	}
}

// TestSecondNodeHeldUps: the same counting for ends a node holds (more
// starts running than its one slot): n2's three 10-s starts began at 0,
// 1 and 2 s, the first two ends held; n1's began at 0 s. The running
// starts' ends are drawn, so the figures are checked against the
// projection-wide loop, which projects every node at once and never
// stops early: the two snapshots are equal (all up at 12.9 s, 2 s after
// n2's first end). The other count stopped n2 after its first held end:
// all up at 10.9 s.
func TestSecondNodeHeldUps(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "a"
instances = 1
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
instances = 3
pinned = ["n2", "n2", "n2"]
start = { dist = "fixed", s = 10 }
`)
	local, global := NewLive(c, placement.NewPlan(c)), NewLive(c, placement.NewPlan(c))
	global.shape.noLocal = true
	for _, l := range []*Live{local, global} {
		l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
		for k := range int32(3) {
			l.Observe(placement.Event{TS: float64(k), Instance: 1 + k, Node: 1, State: placement.Started})
		}
	}
	a, b := snapJSON(t, local.Estimate(2)), snapJSON(t, global.Estimate(2))
	if !local.shape.local || a != b {
		t.Errorf("node by node (%v)\n%s\nprojection-wide\n%s", local.shape.local, a, b)
	}
}
