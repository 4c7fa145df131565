package estimate

import (
	"math/rand/v2"
	"slices"
	"testing"

	"blackstart/placement"
)

// TestFastProjectionSame: the node-by-node projections' fast path (the
// waiting in a rankSet, the instances hopeful marks as never coming up
// started without their draws) gives exactly the estimates of the
// reference (shape.noFast: rankQueues, attempt and end for every
// start). Checked along herded recoveries where nodes are projected on
// their own: all of them (after the last release) and the closed ones of
// a mixed projection (before it), at the latest event's time and later.
func TestFastProjectionSame(t *testing.T) {
	type stream struct {
		name string
		make func(*testing.T) (*placement.Cluster, *placement.Plan, []placement.Event)
		at   []int
	}
	var streams []stream
	if testing.Short() {
		streams = []stream{{"herdingShort", herdingShort, []int{10_000, 38_000, 44_000}},
			{"herdingShortHeld", herdingShortHeld, []int{2_000, 8_000, 20_000, 44_000}}}
	} else {
		streams = []stream{{"herdingRecovery", func(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) { return herdingRecovery(t) }, []int{150_000, 350_000, 600_000, 1_000_000}}}
	}
	for _, st := range streams {
		c, p, evs := st.make(t)
		fast, ref := NewLive(c, p), NewLive(c, p)
		ref.shape.noFast = true
		for _, l := range []*Live{fast, ref} {
			l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
		}
		byNode, marked := 0, 0
		next := 0
		for k, e := range evs {
			fast.Observe(e)
			ref.Observe(e)
			if next == len(st.at) || k+1 != st.at[next] {
				continue
			}
			next++
			for _, now := range []float64{e.TS, e.TS + 400} {
				a := snapJSON(t, fast.Estimate(now))
				b := snapJSON(t, ref.Estimate(now))
				if a != b {
					t.Fatalf("%s after %d events, at %g s: fast path\n%s\nreference\n%s", st.name, k+1, now, a, b)
				}
				if fast.shape.local || fast.shape.mixed {
					byNode++
				}
				for _, pj := range fast.shape.projs {
					if pj.marks > 0 {
						marked++
					}
				}
			}
		}
		if next != len(st.at) || byNode == 0 || marked == 0 {
			t.Fatalf("%s: %d of %d points reached, %d estimates node by node, %d projectors with hopeless marks: want all, and some", st.name, next, len(st.at), byNode, marked)
		}
	}
}

// TestRankSetOrder: a rankSet gives up its least place first, as a
// rankQueue of the same instances (by rank, then instance) would: random
// pushes and pops over places spanning several summary words, against a
// sorted reference; and clear leaves it empty for the next use.
func TestRankSetOrder(t *testing.T) {
	var s rankSet
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 50; trial++ {
		n := 1 + r.IntN(10_000)
		s.reset(n)
		in := make([]bool, n)
		var ref []int32
		for step := 0; step < 600; step++ {
			if len(ref) == 0 || r.IntN(3) > 0 {
				x := int32(r.IntN(n))
				if in[x] {
					continue
				}
				in[x] = true
				s.push(x)
				ref = append(ref, x)
				continue
			}
			slices.Sort(ref)
			if got := s.pop(); got != ref[0] {
				t.Fatalf("trial %d (%d places) step %d: pop %d, want %d", trial, n, step, got, ref[0])
			}
			in[ref[0]] = false
			ref = ref[1:]
		}
		if s.n != len(ref) {
			t.Fatalf("trial %d: %d in the set, want %d", trial, s.n, len(ref))
		}
		s.clear()
		if s.n != 0 || slices.ContainsFunc(s.words, func(w uint64) bool { return w != 0 }) || slices.ContainsFunc(s.sum, func(w uint64) bool { return w != 0 }) {
			t.Fatalf("trial %d: not empty after clear", trial)
		}
	}
	// By hand: places 130, 5, 64, 4,095 leave as 5, 64, 130, 4,095.
	s.reset(5000)
	for _, x := range []int32{130, 5, 64, 4095} {
		s.push(x)
	}
	var got []int32
	for s.n > 0 {
		got = append(got, s.pop())
	}
	if want := []int32{5, 64, 130, 4095}; !slices.Equal(got, want) {
		t.Errorf("popped %v, want %v", got, want)
	}
}

// TestRankPosOrder: rankPos and rankInst are inverse, and ordering
// instances by rankPos orders them by dispatch rank, then instance, as
// mkRank does.
func TestRankPosOrder(t *testing.T) {
	c, p, _ := herdingShort(t)
	l := NewLive(c, p)
	l.prepare()
	sh := &l.shape
	for i := range c.Instances {
		if sh.rankInst[sh.rankPos[i]] != int32(i) {
			t.Fatalf("instance %d at place %d, which holds %d", i, sh.rankPos[i], sh.rankInst[sh.rankPos[i]])
		}
	}
	for pos := 1; pos < len(sh.rankInst); pos++ {
		a, b := sh.rankInst[pos-1], sh.rankInst[pos]
		if !mkRank(l.rank(int(a)), a).less(mkRank(l.rank(int(b)), b)) {
			t.Fatalf("places %d, %d hold instances %d (rank %d), %d (rank %d): out of order", pos-1, pos, a, l.rank(int(a)), b, l.rank(int(b)))
		}
	}
}

// TestNodePosOrder: layOutNodes lays the instances with a node out by
// their latest node (l.node, which the events move away from the plan's),
// then rank, then instance: nodePos and nodeInst inverse, each node's
// places one run, ttN the instance's timeout and tier, -1 for an
// instance with no node. Checked along a herded recovery where instances
// moved, and on the platform's early stream, whose ranks on a node are
// not the instances' order. Along the herded recovery it is also checked
// as Estimate left it, at each estimate that projects node by node: the
// layout is redone there, after the instances moved since the last.
func TestNodePosOrder(t *testing.T) {
	moved, swapped, byEstimate := 0, 0, 0
	check := func(name string, l *Live, at int) {
		sh := &l.shape
		placed := 0
		for i := range l.c.Instances {
			pos := sh.nodePos[i]
			if l.node[i] < 0 {
				if pos != -1 {
					t.Fatalf("%s after %d events: instance %d has no node but place %d", name, at, i, pos)
				}
				continue
			}
			placed++
			if sh.nodeInst[pos] != int32(i) || sh.ttN[pos] != sh.tt[i] {
				t.Fatalf("%s after %d events: instance %d at place %d, which holds %d (%v, want %v)", name, at, i, pos, sh.nodeInst[pos], sh.ttN[pos], sh.tt[i])
			}
			if l.node[i] != l.p.Assign[i].Node {
				moved++
			}
		}
		if placed != len(sh.nodeInst) {
			t.Fatalf("%s after %d events: %d places for %d instances with a node", name, at, len(sh.nodeInst), placed)
		}
		for pos := 1; pos < len(sh.nodeInst); pos++ {
			a, b := sh.nodeInst[pos-1], sh.nodeInst[pos]
			na, nb := l.node[a], l.node[b]
			if na > nb || na == nb && !mkRank(l.rank(int(a)), a).less(mkRank(l.rank(int(b)), b)) {
				t.Fatalf("%s after %d events: places %d, %d hold instances %d (node %d, rank %d), %d (node %d, rank %d): out of order", name, at, pos-1, pos, a, na, l.rank(int(a)), b, nb, l.rank(int(b)))
			}
			if na == nb && a > b {
				swapped++
			}
		}
	}
	c, p, evs := herdingShort(t)
	l := NewLive(c, p)
	l.prepare()
	l.layOutNodes()
	check("herdingShort", l, 0)
	for k, e := range evs {
		l.Observe(e)
		if (k+1)%5_000 == 0 {
			l.Estimate(e.TS)
			if l.shape.local || l.shape.mixed {
				check("herdingShort (as estimated)", l, k+1)
				byEstimate++
			}
		}
		if (k+1)%10_000 == 0 {
			l.layOutNodes()
			check("herdingShort", l, k+1)
		}
	}
	c, p, evs = earlyStream(t, 3000)
	l = NewLive(c, p)
	l.prepare()
	for _, e := range evs {
		l.Observe(e)
	}
	l.layOutNodes()
	check("earlyStream", l, len(evs))
	if moved == 0 || swapped == 0 || byEstimate < 2 {
		t.Fatalf("%d instances on another node than the plan's, %d neighbours on a node out of instance order, %d estimates node by node: the streams cannot tell the layout from one by the plan's node or by instance, or a layout redone from one kept", moved, swapped, byEstimate)
	}
}

// TestNoNodeOrderSame: with shape.noNodeOrder (the node places laid out
// in the rank order, which the Node/RankOrder benchmarks compare against)
// the estimates are those of the node order, along a herded recovery, one
// with ends held (mixed projections), and the platform's early stream
// (sinks; services of several timeouts and tiers, which the herded
// recoveries' one service cannot tell apart), at points where they
// project node by node: the switch changes where the projections read,
// never what.
func TestNoNodeOrderSame(t *testing.T) {
	for _, st := range []struct {
		name  string
		make  func(*testing.T) (*placement.Cluster, *placement.Plan, []placement.Event)
		every int
	}{{"herdingShort", herdingShort, 4_000}, {"herdingShortHeld", herdingShortHeld, 4_000},
		{"earlyStream", func(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
			return earlyStream(t, 3000)
		}, 1_000}} {
		c, p, evs := st.make(t)
		node, rank := NewLive(c, p), NewLive(c, p)
		rank.shape.noNodeOrder = true
		byNode := 0
		for k, e := range evs {
			node.Observe(e)
			rank.Observe(e)
			if (k+1)%st.every != 0 {
				continue
			}
			a := snapJSON(t, node.Estimate(e.TS))
			b := snapJSON(t, rank.Estimate(e.TS))
			if a != b {
				t.Fatalf("%s after %d events: node order\n%s\nrank order\n%s", st.name, k+1, a, b)
			}
			if node.shape.local || node.shape.mixed {
				byNode++
			}
		}
		if byNode == 0 {
			t.Fatalf("%s: no estimate node by node", st.name)
		}
	}
}
