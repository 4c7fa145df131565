package estimate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"weak"

	"blackstart/placement"
)

// randDiffCluster is a small random cluster: 2 to 7 nodes of 1 to 3
// slots, 2 to 5 services of 1 to 14 instances, each depending on some
// earlier ones with a random quorum, fixed or lognormal starts, timeouts
// of 15 to 80 s (some starts time out), and pinned instances sometimes.
// With big, 2 to 4 nodes and up to 150 instances a service (a node's
// places span several words of the bit sets). With ties, every start is fixed (whole seconds): ends, back-offs and
// the releases' arrivals fall on the same times.
func randDiffCluster(t *testing.T, r *rand.Rand, ties, big bool) *placement.Cluster {
	t.Helper()
	nn := 2 + r.IntN(6)
	most := 14
	if big {
		nn, most = 2+r.IntN(3), 150
	}
	var b strings.Builder
	ns := 2 + r.IntN(4)
	for s := range ns {
		inst := 1 + r.IntN(most)
		fmt.Fprintf(&b, "[[service]]\nid = \"s%d\"\ninstances = %d\ntimeout_s = %d\n", s, inst, 15+r.IntN(66))
		if r.IntN(3) > 0 {
			fmt.Fprintf(&b, "ready_quorum = %d\n", 1+r.IntN(inst))
		}
		var deps []string
		for d := range s {
			if r.IntN(2) == 0 {
				deps = append(deps, fmt.Sprintf("%q", fmt.Sprintf("s%d", d)))
			}
		}
		if len(deps) > 0 {
			fmt.Fprintf(&b, "depends_on = [%s]\n", strings.Join(deps, ", "))
		}
		if r.IntN(5) == 0 {
			var pins []string
			for range inst {
				pins = append(pins, fmt.Sprintf("\"n%d\"", 1+r.IntN(nn)))
			}
			fmt.Fprintf(&b, "pinned = [%s]\n", strings.Join(pins, ", "))
		}
		if ties || r.IntN(3) == 0 {
			fmt.Fprintf(&b, "start = { dist = \"fixed\", s = %d }\n", 1+r.IntN(40))
		} else {
			m := 3 + r.IntN(30)
			fmt.Fprintf(&b, "start = { dist = \"lognormal\", median_s = %d, p90_s = %d }\n", m, m+1+r.IntN(80))
		}
	}
	return nodesDrawing(t, r.IntN(4), nn, 5, b.String())
}

// randDiffStream simulates a recovery of c by plan p (a random policy,
// node speeds and deaths, attempts), then stirs in events a recovery
// reports oddly: an instance scheduled on another node and back on its
// planned one, events with no node (-1) or an unknown one, failures of
// instances not started, ups with no node, all at the time of the event
// before (ties).
func randDiffStream(t *testing.T, r *rand.Rand, c *placement.Cluster, p *placement.Plan, attempts int, ties bool) []placement.Event {
	t.Helper()
	nn := len(c.M.Devices)
	speed := make([]float64, nn)
	dies := make([]float64, nn)
	for n := range speed {
		speed[n] = 0.3 + 1.5*r.Float64()
		if ties {
			speed[n] = 1
		} else if r.IntN(4) == 0 {
			speed[n] *= 0.1
		}
		if r.IntN(8) == 0 {
			dies[n] = 5 + 200*r.Float64()
		}
	}
	pol := []string{placement.PolicyPlan, placement.PolicyStale, placement.PolicyRandom}[r.IntN(3)]
	var evs []placement.Event
	if _, err := placement.Simulate(c, p, placement.SimOptions{Policy: pol, Seed: r.Uint64(), MaxAttempts: attempts, NoBound: true,
		Speed: speed, DiesAtS: dies, HorizonS: 4000, OnEvent: func(e placement.Event) { evs = append(evs, e) }}); err != nil {
		t.Fatal(err)
	}
	if r.IntN(4) == 0 {
		return evs
	}
	nInst := int32(len(c.Instances))
	var out []placement.Event
	for _, e := range evs {
		out = append(out, e)
		if r.IntN(6) != 0 {
			continue
		}
		i := r.Int32N(nInst)
		planned := int32(-1)
		if p != nil {
			planned = p.Assign[i].Node
		}
		other := r.Int32N(int32(nn))
		switch r.IntN(7) {
		case 0: // moved, and back
			out = append(out, placement.Event{TS: e.TS, Instance: i, Node: other, State: placement.Scheduled},
				placement.Event{TS: e.TS, Instance: i, Node: planned, State: placement.Scheduled})
		case 1: // moved
			out = append(out, placement.Event{TS: e.TS, Instance: i, Node: other, State: placement.Scheduled})
		case 2: // started with no node
			out = append(out, placement.Event{TS: e.TS, Instance: i, Node: -1, State: placement.State(r.IntN(2))})
		case 3: // an unknown node, an unknown instance
			out = append(out, placement.Event{TS: e.TS, Instance: i, Node: int32(nn), State: placement.Scheduled},
				placement.Event{TS: e.TS, Instance: nInst, Node: 0, State: placement.Started})
		case 4: // failed, unstarted
			out = append(out, placement.Event{TS: e.TS, Instance: i, Node: e.Node, State: placement.Failed})
		case 5: // up with no node
			out = append(out, placement.Event{TS: e.TS, Instance: i, Node: -1, State: placement.Up})
		case 6: // started on another node, past its slots
			out = append(out, placement.Event{TS: e.TS, Instance: i, Node: other, State: placement.Started})
		}
	}
	return out
}

// TestRandomProjectionsSame: over random small clusters and recoveries
// (with a plan or none; herded, slow or dying nodes; retries; instances
// moved and moved back, events with no node or an unknown one, ties), the
// estimates of the default paths (the plan's node places, projectNodePure
// and projectNodeQueued, projectNodeFast) are byte-identical to the
// references' (noPlan, noPure, noFast, the projection-wide loop), alone
// and sharing their working memory, and with the node-by-node parts
// projected on the projection's worker alone (noHelp) or every one split
// with a second worker (splitAll: it must project some nodes); and
// Live.offPlan counts the instances
// off their planned node (with no plan: with a node) after every event.
func TestRandomProjectionsSame(t *testing.T) {
	seeds := 60
	if s := os.Getenv("RANDDIFF_SEEDS"); s != "" {
		seeds, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		seeds = 20
	}
	refs := []struct {
		name string
		set  func(*Live)
	}{
		{"noPlan", func(l *Live) { l.shape.noPlan = true }},
		{"noPure", func(l *Live) { l.shape.noPure = true }},
		{"noFast", func(l *Live) { l.shape.noFast = true; l.shape.noPlan = true }},
		{"noLocal", func(l *Live) { l.shape.noLocal = true }},
		{"shared", func(l *Live) { l.ShareWorkspace() }},
		{"noHelp", func(l *Live) { l.shape.noHelp = true }},
		{"splitAll", func(l *Live) { l.shape.splitAll = true }},
		{"splitAll shared", func(l *Live) { l.shape.splitAll = true; l.ShareWorkspace() }},
	}
	pures, queued, byPlan, helped := 0, 0, 0, 0
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		ties := seed%3 == 2
		c := randDiffCluster(t, r, ties, seed%4 == 1)
		var p *placement.Plan
		if seed%5 != 4 {
			p = placement.NewPlan(c)
		}
		attempts := 1 + r.IntN(4)
		evs := randDiffStream(t, r, c, p, attempts, ties)
		retry := placement.Retry{MaxAttempts: attempts}
		def := NewLive(c, p)
		def.SetRetry(retry)
		ls := []*Live{def}
		for _, ref := range refs {
			l := NewLive(c, p)
			l.SetRetry(retry)
			ref.set(l)
			ls = append(ls, l)
		}
		every := max(1, len(evs)/25)
		for k, e := range evs {
			for _, l := range ls {
				l.Observe(e)
			}
			off := 0
			for i, n := range def.node {
				if p != nil && n != p.Assign[i].Node || p == nil && n >= 0 {
					off++
				}
			}
			if off != def.offPlan {
				t.Fatalf("seed %d after %d events (%+v): %d instances off their planned node, offPlan %d", seed, k+1, e, off, def.offPlan)
			}
			if k%every != 0 && k != len(evs)-1 {
				continue
			}
			for _, now := range []float64{e.TS, e.TS + 1 + 200*r.Float64()} {
				var want string
				for j, l := range ls {
					b := snapJSON(t, l.Estimate(now))
					if j == 0 {
						want = b
						if l.shape.byPlan && (l.shape.local || l.shape.mixed) {
							byPlan++ // byPlan is left as it was by an estimate that lays out no places
						}
						continue
					}
					if b != want {
						t.Fatalf("seed %d after %d events (%+v), at %g s: default\n%s\n%s\n%s", seed, k+1, e, now, want, refs[j-1].name, b)
					}
				}
			}
		}
		for _, pj := range def.shape.projs {
			pures += pj.pures
			queued += pj.queued
		}
		for _, l := range ls {
			if l.shape.splitAll && !l.shared {
				for _, pj := range l.shape.projs {
					helped += pj.helped
				}
			}
		}
	}
	t.Logf("%d estimates node by node with the plan's places, %d nodes projected by projectNodePure (%d by projectNodeQueued), %d by the second worker with splitAll",
		byPlan, pures, queued, helped)
	if byPlan == 0 || pures == 0 || queued == 0 || helped == 0 {
		t.Fatalf("%d estimates with the plan's places, %d nodes by projectNodePure (%d by projectNodeQueued), %d by splitAll's second worker: want some of each",
			byPlan, pures, queued, helped)
	}
}

// TestSharedPlanLayoutsAtOnce: estimators of one cluster sharing their
// working memory, two plans of it (b: an instance
// planned on node n in a is on n+1 or n+2, by its index, and so in its
// stream), each
// fed a recovery on its own plan's nodes (every instance on its planned
// node: the plan's node places, planLayout), estimate at once, several
// rounds; each estimates exactly what an estimator with its own memory
// does, and the plans' layouts are two, one per plan. Under -race it
// also checks the layouts and the pooled views are not written while
// another reads them.
func TestSharedPlanLayoutsAtOnce(t *testing.T) {
	c, a, evA := planSlow(t)
	nn := int32(len(c.M.Devices))
	b := *a
	b.Assign = slices.Clone(a.Assign)
	for i := range b.Assign {
		if n := b.Assign[i].Node; n >= 0 {
			b.Assign[i].Node = (n + 1 + int32(i)%2) % nn
		}
	}
	evB := slices.Clone(evA)
	for k := range evB {
		if evB[k].Node >= 0 {
			evB[k].Node = (evB[k].Node + 1 + evB[k].Instance%2) % nn
		}
	}
	plans := []*placement.Plan{a, &b, a, &b}
	streams := [][]placement.Event{evA, evB, evA, evB}
	const rounds = 4
	point := func(j, k int) int { return len(evA) * (1 + k*len(plans) + j) / (rounds*len(plans) + 1) }
	want := make([][]string, len(plans))
	byPlan := 0
	for j, p := range plans {
		own, ref := NewLive(c, p), NewLive(c, p)
		ref.shape.noPlan = true
		fed := 0
		for k := range rounds {
			to := point(j, k)
			for _, e := range streams[j][fed:to] {
				own.Observe(e)
				ref.Observe(e)
			}
			fed = to
			s, _ := json.Marshal(own.Estimate(streams[j][to-1].TS + 5))
			want[j] = append(want[j], string(s))
			if s2, _ := json.Marshal(ref.Estimate(streams[j][to-1].TS + 5)); string(s2) != string(s) {
				t.Fatalf("estimator %d (plan %d), round %d: the plan's places give\n%s\nlaid out\n%s", j, j%2, k, s, s2)
			}
			if own.shape.byPlan && (own.shape.local || own.shape.mixed) {
				byPlan++
			}
		}
	}
	t.Logf("%d of %d estimates node by node with the plan's places", byPlan, rounds*len(plans))
	if byPlan == 0 {
		t.Fatal("no estimate with the plan's places: the test cannot tell")
	}
	got := make([][]string, len(plans))
	var wg sync.WaitGroup
	for j, p := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := NewLive(c, p)
			l.ShareWorkspace()
			fed := 0
			for k := range rounds {
				to := point(j, k)
				for _, e := range streams[j][fed:to] {
					l.Observe(e)
				}
				fed = to
				s, _ := json.Marshal(l.Estimate(streams[j][to-1].TS + 5))
				got[j] = append(got[j], string(s))
			}
		}()
	}
	wg.Wait()
	for j := range plans {
		for k := range rounds {
			if got[j][k] != want[j][k] {
				t.Fatalf("estimator %d (plan %d), round %d: sharing gives\n%s\nwant\n%s", j, j%2, k, got[j][k], want[j][k])
			}
		}
	}
	e := sharedOf(c)
	e.mu.Lock()
	defer e.mu.Unlock()
	layouts := map[*planLayout]bool{}
	for _, f := range e.fixed {
		if f.plan != nil {
			layouts[f.plan] = true
		}
	}
	if len(e.fixed) != 2 || len(layouts) != 2 {
		t.Fatalf("%d fixed shapes, %d plan layouts: want 2 and 2 (plan a, plan b)", len(e.fixed), len(layouts))
	}
	d := &e.zero
	d.mu.Lock()
	defer d.mu.Unlock()
	for pl := range layouts {
		if d.plans[weak.Make(pl)] == nil {
			t.Fatal("a plan layout without its first draws by place")
		}
	}
	if len(d.plans) != 2 {
		t.Fatalf("%d plan layouts' first draws: want 2 (plan a, plan b)", len(d.plans))
	}
}
