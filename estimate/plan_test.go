package estimate

import (
	"slices"
	"testing"

	"blackstart/placement"
)

// TestPlanLayoutSame: with every instance on its planned node the node
// places are the plan's, laid out once (planLayout), and hopeful counts a
// node whose planned instances all come up at their first start from the
// plan's bounds alone; the estimates are those of the places laid out at
// each estimate (shape.noPlan). Checked along the platform's early stream
// (nodes skipped by the bounds), a recovery by the plan on nodes of which
// some are slowed tenfold (their starts time out: nodes not skipped,
// instances marked hopeless, back-offs) and a herded one, where instances
// leave their planned nodes and the places are laid out again; and
// Live.offPlan, which decides it, against a count of the instances off
// their planned node after every event.
func TestPlanLayoutSame(t *testing.T) {
	for _, st := range []struct {
		name  string
		make  func(*testing.T) (*placement.Cluster, *placement.Plan, []placement.Event)
		every int
		moves bool // instances leave their planned nodes
	}{{"earlyStream", func(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
		return earlyStream(t, 6000)
	}, 500, false}, {"planSlow", planSlow, 500, false}, {"herdingShort", herdingShort, 4_000, true}} {
		c, p, evs := st.make(t)
		plan, ref := NewLive(c, p), NewLive(c, p)
		ref.shape.noPlan = true
		byPlan, notByPlan, skips, marks := 0, 0, 0, 0
		for k, e := range evs {
			plan.Observe(e)
			ref.Observe(e)
			off := 0
			for i, n := range plan.node {
				if n != p.Assign[i].Node {
					off++
				}
			}
			if off != plan.offPlan {
				t.Fatalf("%s after %d events: %d instances off their planned node, offPlan %d", st.name, k+1, off, plan.offPlan)
			}
			if (k+1)%st.every != 0 {
				continue
			}
			for _, now := range []float64{e.TS, e.TS + 300} {
				skips0, marks0 := 0, 0
				for _, pj := range plan.shape.projs {
					skips0 += pj.skips
					marks0 += pj.marks
				}
				a := snapJSON(t, plan.Estimate(now))
				b := snapJSON(t, ref.Estimate(now))
				if a != b {
					t.Fatalf("%s after %d events, at %g s: plan's places\n%s\nlaid out\n%s", st.name, k+1, now, a, b)
				}
				if ref.shape.byPlan {
					t.Fatalf("%s after %d events: noPlan took the plan's places", st.name, k+1)
				}
				if !plan.shape.local && !plan.shape.mixed {
					continue
				}
				if !plan.shape.byPlan {
					notByPlan++
					continue
				}
				byPlan++
				checkAllFirst(t, plan, st.name, k+1)
				for _, pj := range plan.shape.projs {
					skips += pj.skips
					marks += pj.marks
				}
				skips -= skips0
				marks -= marks0
			}
		}
		t.Logf("%s: %d estimates node by node with the plan's places (%d nodes skipped, %d marks), %d without", st.name, byPlan, skips, marks, notByPlan)
		switch {
		case st.moves && notByPlan == 0:
			t.Fatalf("%s: no estimate node by node with instances off their planned nodes", st.name)
		case !st.moves && (byPlan == 0 || skips == 0):
			t.Fatalf("%s: %d estimates with the plan's places, %d nodes skipped: want some", st.name, byPlan, skips)
		case st.name == "planSlow" && marks == 0:
			t.Fatalf("%s: no hopeless marks with the plan's places", st.name)
		}
	}
}

// checkAllFirst checks planFirsts.allFirst at l's latest speeds: where it
// holds for a node and projection, every instance planned there has its
// first draw within its timeout at that speed, as attempt compares.
func checkAllFirst(t *testing.T, l *Live, name string, at int) {
	t.Helper()
	pl, firsts := l.shape.planFirst, firstsOf(l.c)
	nInst := len(l.c.Instances)
	for k := range Samples {
		for n := range l.c.M.Devices {
			sp := max(l.speedBuf[k][n], 1e-3)
			if !pl.allFirst(k, int32(n), sp) {
				continue
			}
			for i := range nInst {
				if l.p.Assign[i].Node == int32(n) && firsts[k*nInst+i] > l.shape.timeout[i]*sp {
					t.Fatalf("%s after %d events: node %d, projection %d: instance %d's first draw %g beyond its timeout at speed %g, %g, with allFirst", name, at, n, k, i, firsts[k*nInst+i], sp, l.shape.timeout[i]*sp)
				}
			}
		}
	}
}

// planSlow is herdingShort's cluster restarted by the plan policy, every
// sixth node at a tenth of its speed (its starts time out and are retried
// there): instances stay on their planned nodes.
func planSlow(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
	t.Helper()
	return slowSixthOf(t, "", placement.PolicyPlan, false)
}

// TestPureProjectionSame: projectNodePure (a node on which nothing fails:
// its running starts all coming up within its slots, every instance
// waiting or to queue there up at its next start) gives the estimates of projectNodeFast's event loop
// (shape.noPure), along the platform's early stream (every node such once
// every service is released; before, the closed nodes of mixed
// projections, and the sinks, with their arrivals), the plan recovery
// with slow nodes (back-offs to queue) and a herded one (node places laid
// out at each estimate), at the latest event's time and later.
func TestPureProjectionSame(t *testing.T) {
	for _, st := range []struct {
		name  string
		make  func(*testing.T) (*placement.Cluster, *placement.Plan, []placement.Event)
		every int
	}{{"earlyStream", func(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
		return earlyStream(t, 24_000)
	}, 1_000}, {"planSlow", planSlow, 500}, {"herdingShort", herdingShort, 2_000}} {
		c, p, evs := st.make(t)
		pure, ref := NewLive(c, p), NewLive(c, p)
		ref.shape.noPure = true
		pures, queued, mixed := 0, 0, 0
		for k, e := range evs {
			pure.Observe(e)
			ref.Observe(e)
			if (k+1)%st.every != 0 {
				continue
			}
			for _, now := range []float64{e.TS, e.TS + 300} {
				pures0 := 0
				for _, pj := range pure.shape.projs {
					pures0 += pj.pures
					queued -= pj.queued
				}
				a := snapJSON(t, pure.Estimate(now))
				b := snapJSON(t, ref.Estimate(now))
				if a != b {
					t.Fatalf("%s after %d events, at %g s: list scheduling\n%s\nevent loop\n%s", st.name, k+1, now, a, b)
				}
				for _, pj := range ref.shape.projs {
					if pj.pures != 0 {
						t.Fatalf("%s: noPure took projectNodePure", st.name)
					}
				}
				n := -pures0
				for _, pj := range pure.shape.projs {
					n += pj.pures
					queued += pj.queued
				}
				pures += n
				if n > 0 && pure.shape.mixed {
					mixed++
				}
			}
		}
		t.Logf("%s: %d nodes projected without events (%d with back-offs or arrivals to queue), in %d mixed estimates", st.name, pures, queued, mixed)
		if pures == 0 || queued == 0 && st.name != "herdingShort" || st.name == "earlyStream" && mixed == 0 {
			t.Fatalf("%s: %d nodes projected without events (%d with back-offs or arrivals to queue), in %d mixed estimates: want some of each", st.name, pures, queued, mixed)
		}
	}
}

// TestPureTies: projectNodePure takes a sink's arrivals and its slots'
// ends in the projection-wide loop's order when their times tie (an
// arrival at the time and instance of the up that released it, an end at
// its own instance). n1 (one slot) runs a (instance 3, ending at 20 s) and
// b (4, at 27 s), whose ups release z (6) and y (5) onto n2, a sink with
// one slot running r (2, ending at 20 s) and w (7) waiting. At 20 s r's
// end (2) comes before a's up (3): w starts, not z, up at 27 s. At 27 s
// b's up (4) comes before w's end (7): y is waiting beside z when the slot
// frees, and of lower rank (without a plan, its instance) starts first, up
// at 30 s, then z at 35 s. The same by projectNodeFast's event loop
// (noPure) and the projection-wide loop (noSink).
func TestPureTies(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "r"
instances = 1
pinned = ["n2"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "a"
instances = 1
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
instances = 1
pinned = ["n1"]
start = { dist = "fixed", s = 25 }
[[service]]
id = "y"
instances = 1
depends_on = ["b"]
pinned = ["n2"]
start = { dist = "fixed", s = 3 }
[[service]]
id = "z"
instances = 1
depends_on = ["a"]
pinned = ["n2"]
start = { dist = "fixed", s = 5 }
[[service]]
id = "w"
instances = 1
depends_on = ["pin"]
pinned = ["n2"]
start = { dist = "fixed", s = 7 }
`)
	for i, want := range []string{"pin#0", "pin#1", "r#0", "a#0", "b#0", "y#0", "z#0", "w#0"} {
		if got := c.Name(i); got != want {
			t.Fatalf("instance %d is %s, want %s", i, got, want)
		}
	}
	pure, fast, ref := NewLive(c, nil), NewLive(c, nil), NewLive(c, nil)
	fast.shape.noPure = true
	ref.shape.noSink = true
	const now = 20
	for _, l := range []*Live{pure, fast, ref} {
		for n := range int32(2) {
			l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
			l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
		}
		l.Observe(placement.Event{TS: 2, Instance: 2, Node: 1, State: placement.Started}) // r
		l.Observe(placement.Event{TS: 2, Instance: 3, Node: 0, State: placement.Started}) // a
		l.Observe(placement.Event{TS: 2, Instance: 4, Node: 0, State: placement.Started}) // b
		for _, i := range []int32{5, 6, 7} {                                              // y, z, w
			l.Observe(placement.Event{TS: 2, Instance: i, Node: 1, State: placement.Scheduled})
		}
		l.Estimate(now) // lays out what the projections share
	}
	if sh := &pure.shape; !sh.mixed || !sh.sink[1] || sh.sink[0] {
		t.Fatalf("mixed %v, sink %v: want mixed, n2 a sink", sh.mixed, sh.sink)
	}
	for k := range Samples {
		for _, l := range []*Live{pure, fast, ref} {
			var pj projector
			pr := l.project(&pj, now, []bool{false, false}, k, []float64{1, 1})
			ups := slices.Sorted(slices.Values(pj.ups))
			if !slices.Equal(ups, []float64{20, 20, 27, 27, 30, 35}) || pr.all != 35 || pr.atRisk != 0 || pj.lost != 0 {
				t.Errorf("noPure %v, noSink %v, projection %d: ups %v, all up at %g s, %d at risk, %d given up; want 20, 20, 27, 27, 30, 35 (a, r, b, w, y, z), 35, none, none",
					l.shape.noPure, l.shape.noSink, k, ups, pr.all, pr.atRisk, pj.lost)
			}
			if l == pure && pj.queued != 1 {
				t.Errorf("projection %d: %d nodes by projectNodeQueued, want n2", k, pj.queued)
			}
		}
	}
}

// TestAtNowByRank: view lays each node's released instances (atNow) out
// by rank, then instance, taken in the rank order (shape.rankInst):
// checked against the instances sorted, gathered as view's loop over the
// services gathers them, along the platform's early stream (ranks on a
// node not in the instances' order) and a herded recovery (back-offs,
// instances moved off their planned nodes).
func TestAtNowByRank(t *testing.T) {
	for _, st := range []struct {
		name  string
		make  func(*testing.T) (*placement.Cluster, *placement.Plan, []placement.Event)
		every int
	}{{"earlyStream", func(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
		return earlyStream(t, 6_000)
	}, 1_000}, {"herdingShort", herdingShort, 4_000}} {
		c, p, evs := st.make(t)
		l := NewLive(c, p)
		unsorted := 0
		for k, e := range evs {
			l.Observe(e)
			if (k+1)%st.every != 0 {
				continue
			}
			l.Estimate(e.TS)
			sh := &l.shape
			stale := make([]bool, len(c.M.Devices))
			for n := range stale {
				stale[n] = l.stale(int32(n), e.TS)
			}
			want := make([][]rankItem, len(c.M.Devices))
			for s := range c.M.Services {
				if sh.left[s] > 0 {
					continue
				}
				first := c.First(s)
				for i := first; i < first+c.M.Services[s].Instances; i++ {
					if st := l.state[i]; st == stUp || st == stStarted || l.givenUp(i) || l.readyAt(i) > e.TS {
						continue
					}
					if n := l.node[i]; n >= 0 && !stale[n] {
						want[n] = append(want[n], mkRank(l.rank(i), int32(i)))
					}
				}
			}
			for n := range want {
				if !slices.IsSorted(want[n]) {
					unsorted++
				}
				slices.Sort(want[n])
				if !slices.Equal(sh.atNow[n], want[n]) {
					t.Fatalf("%s after %d events: node %d waiting %v, want %v", st.name, k+1, n, sh.atNow[n], want[n])
				}
			}
		}
		if st.name == "earlyStream" && unsorted == 0 {
			t.Fatalf("%s: every node's released instances in rank order by instance already: the check cannot tell", st.name)
		}
	}
}
