package estimate

import (
	"encoding/json"
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
				a, err := json.Marshal(plan.Estimate(now))
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(ref.Estimate(now))
				if err != nil {
					t.Fatal(err)
				}
				if string(a) != string(b) {
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

// checkAllFirst checks planLayout.allFirst at l's latest speeds: where it
// holds for a node and projection, every instance planned there has its
// first draw within its timeout at that speed, as attempt compares.
func checkAllFirst(t *testing.T, l *Live, name string, at int) {
	t.Helper()
	pl, firsts := l.shape.plan, firstsOf(l.c)
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
	c := nodesDrawing(t, 6, 48, 5, `
[[service]]
id = "base"
instances = 48
ready_quorum = 48
timeout_s = 60
start = { dist = "lognormal", median_s = 20, p90_s = 70 }
[[service]]
id = "app"
instances = 480
depends_on = ["base"]
timeout_s = 60
start = { dist = "lognormal", median_s = 20, p90_s = 70 }
`)
	p := placement.NewPlan(c)
	pt := perturb(c, 1)
	for n := 0; n < len(pt.speed); n += 6 {
		pt.speed[n] *= 0.1
	}
	var evs []placement.Event
	if _, err := placement.Simulate(c, p, placement.SimOptions{Policy: placement.PolicyPlan, Seed: 1, MaxAttempts: benchAttempts, NoBound: true,
		Speed: pt.speed, OnEvent: func(e placement.Event) { evs = append(evs, e) }}); err != nil {
		t.Fatal(err)
	}
	return c, p, evs
}

// TestPureProjectionSame: projectNodePure (a node whose projection is list
// scheduling: no back-off or arrival to come, its running starts all
// coming up within its slots, every waiting instance up at its next
// start) gives the estimates of projectNodeFast's event loop
// (shape.noPure), along the platform's early stream (every node such once
// every service is released; closed nodes of mixed projections before),
// the plan recovery with slow nodes and a herded one (node places laid out
// at each estimate), at the latest event's time and later.
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
		pures, mixed := 0, 0
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
				}
				a, err := json.Marshal(pure.Estimate(now))
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(ref.Estimate(now))
				if err != nil {
					t.Fatal(err)
				}
				if string(a) != string(b) {
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
				}
				pures += n
				if n > 0 && pure.shape.mixed {
					mixed++
				}
			}
		}
		t.Logf("%s: %d nodes projected by list scheduling, in %d mixed estimates", st.name, pures, mixed)
		if pures == 0 || st.name == "earlyStream" && mixed == 0 {
			t.Fatalf("%s: %d nodes projected by list scheduling, in %d mixed estimates: want some", st.name, pures, mixed)
		}
	}
}
