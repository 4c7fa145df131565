package estimate

import (
	"fmt"
	"reflect"
	"slices"
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
	var c *placement.Cluster
	var p *placement.Plan
	var evs []placement.Event
	var at map[int]bool // whether node by node after so many events
	if testing.Short() {
		c, p, evs = herdingShort(t)
		at = map[int]bool{500: false, 10_000: true, 38_000: true, 44_000: true}
	} else {
		c, p, evs = herdingRecovery(t)
		at = map[int]bool{300_000: false, 550_000: true, 1_000_000: true}
	}
	local, global := NewLive(c, p), NewLive(c, p)
	global.shape.noLocal = true
	for _, l := range []*Live{local, global} {
		l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
	}
	for k, e := range evs {
		local.Observe(e)
		global.Observe(e)
		want, ok := at[k+1]
		if !ok {
			continue
		}
		for _, now := range []float64{e.TS, e.TS + 400} { // and with the back-offs under way over
			a := snapJSON(t, local.Estimate(now))
			if local.shape.local != want {
				t.Fatalf("after %d events: node by node %v, want %v", k+1, local.shape.local, want)
			}
			b := snapJSON(t, global.Estimate(now))
			if a != b {
				t.Fatalf("after %d events, at %g s: node by node\n%s\nprojection-wide\n%s", k+1, now, a, b)
			}
		}
	}
}

// TestHopefulExact: hopeful counts exactly the instances that projecting
// a node brings up, and a node's projection stopped once they are up (or
// skipped when there are none) brings up the same, at the same times, and
// gives up the same count as projecting it to the end; and that taking
// the ends splitHeld holds first, in any order, brings up and gives up
// the same as taking every running start's end in time order; checked on
// every node of every projection at points of BenchmarkLive's herded
// recovery where the projections run node by node.
func TestHopefulExact(t *testing.T) {
	var c *placement.Cluster
	var p *placement.Plan
	var evs []placement.Event
	var at map[int]bool
	if testing.Short() {
		c, p, evs = herdingShort(t)
		at = map[int]bool{38_000: true, 41_000: true, 43_000: true, 44_000: true}
	} else {
		c, p, evs = herdingRecovery(t)
		at = map[int]bool{600_000: true, 800_000: true, 1_000_000: true}
	}
	l := NewLive(c, p)
	l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
	sh := &l.shape
	doomed, alive, cut, splitNodes := 0, 0, 0, 0
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
				sp := l.speedBuf[kind][n]
				hope := l.hopeful(&pj, int32(n), run, later, sh.atNow[n], nil, kind, sp)
				// The reference: every running start's end in order, none
				// held (as before splitHeld).
				sorted := slices.Clone(run)
				slices.SortFunc(sorted, compare[finishEv])
				held, rest := pj.splitHeld(run, sh.slotOff[n+1]-sh.slotOff[n])
				nodeOf := func(held, rest []finishEv, hope int) ([]float64, projection, int) {
					copy(pj.att, l.fails)
					pr := projection{tiers: make([]TierStatus, sh.maxTier+1)}
					lost := pj.lost
					ups := l.projectNode(&pj, &pr, int32(n), now, kind, sp, held, rest, later, nil, hope, nil)
					return ups, pr, pj.lost - lost
				}
				node := func(hope int) ([]float64, projection, int) { return nodeOf(held, rest, hope) }
				ups, pr, lost := node(-1) // to the end
				where := fmt.Sprintf("after %d events, projection %d, node %d", k+1, kind, n)
				// The fast path against the reference (rankQueues, every
				// start through attempt): the same ups in the same order.
				sh.noFast = true
				fups, fpr, flost := node(-1)
				sh.noFast = false
				if !slices.Equal(fups, ups) || !reflect.DeepEqual(fpr, pr) || flost != lost {
					t.Fatalf("%s: fast path ups %v, %+v, %d given up; reference %v, %+v, %d", where, ups, pr, lost, fups, fpr, flost)
				}
				rups, rpr, rlost := nodeOf(nil, sorted, -1)
				if len(held) > 0 {
					splitNodes++
				}
				if !slices.Equal(slices.Sorted(slices.Values(rups)), slices.Sorted(slices.Values(ups))) || !reflect.DeepEqual(rpr, pr) || rlost != lost {
					t.Fatalf("%s: with %d ends held: ups %v, %+v, %d given up; all in order %v, %+v, %d", where, len(held), ups, pr, lost, rups, rpr, rlost)
				}
				if hope != len(ups) {
					t.Fatalf("%s: hopeful %d, but projecting it brings %d up", where, hope, len(ups))
				}
				if got, want := lost, len(run)+len(later)+len(sh.atNow[n])-len(ups); got != want {
					t.Fatalf("%s: %d given up, want %d", where, got, want)
				}
				if hope == 0 {
					doomed++
					continue
				}
				alive++
				cupS, cpr, clost := node(hope)
				if !slices.Equal(cupS, ups) || !reflect.DeepEqual(cpr, pr) || clost != lost {
					t.Fatalf("%s: stopped at its last hopeful instance: ups %v, %+v, %d given up; to the end %v, %+v, %d", where, cupS, cpr, clost, ups, pr, lost)
				}
				if len(pj.nodeEv) > 0 || len(pj.toEnds) > 0 {
					cut++ // stopped with events left
				}
			}
		}
	}
	if doomed == 0 || alive == 0 || cut == 0 || splitNodes == 0 {
		t.Fatalf("%d nodes doomed, %d not, %d stopped early, %d with ends held: want each", doomed, alive, cut, splitNodes)
	}
	t.Logf("%d nodes doomed, %d not, %d stopped early, %d with ends held", doomed, alive, cut, splitNodes)
}

// herdingShort is herdingRecovery's stand-in under -short (mutation
// testing's fast first stage): 48 nodes starting 6 at a time, 48 base
// instances that must all be up before 480 app instances are released,
// starts (median 20 s, p90 70 s) that time out at 60 s, restarted by the
// stale-metrics policy with the evaluation's perturbation of seed 1 (one
// node dies) and every sixth node at a tenth of its speed besides, and up
// to benchAttempts attempts: the app's starts herd onto the slow nodes,
// time out, back off and retry until most give up, 44,436 events in all,
// simulated in well under a second (the platform's 1,000,000 take
// seconds).
func herdingShort(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
	t.Helper()
	return herdingShortOf(t, "")
}

// herdingShortHeld is herdingShort with a release still to come: the app
// needs all 480 instances up (ready_quorum 480, which the recovery never
// reaches) before a "tail" service of 6 instances (on 6 of the 48 nodes)
// is released. The stream is herdingShort's, the same 44,436 events (tail
// never starts), but every estimate along it is before the last release:
// nodes run more starts than their slots (holdOver takes ends out), and
// the 6 nodes a release would queue tail on are open, the other 42 closed.
// It stands in for the first half of herdingRecovery under -short.
func herdingShortHeld(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
	t.Helper()
	return herdingShortOf(t, `ready_quorum = 480
[[service]]
id = "tail"
instances = 6
depends_on = ["app"]
start = { dist = "fixed", s = 10 }
`)
}

// herdingShortOf builds herdingShort's recovery with more appended to its
// services (the app's table is the last one open).
func herdingShortOf(t *testing.T, more string) (*placement.Cluster, *placement.Plan, []placement.Event) {
	t.Helper()
	return slowSixthOf(t, more, placement.PolicyStale, true)
}

// slowSixthOf is herdingShort's cluster, with more appended to its
// services, restarted by policy with every sixth node at a tenth of its
// speed (stalled: its starts time out; the stale policy herds onto them),
// its nodes dying as perturb draws when dies.
func slowSixthOf(t *testing.T, more, policy string, dies bool) (*placement.Cluster, *placement.Plan, []placement.Event) {
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
`+more)
	p := placement.NewPlan(c)
	pt := perturb(c, 1)
	for n := 0; n < len(pt.speed); n += 6 {
		pt.speed[n] *= 0.1
	}
	o := placement.SimOptions{Policy: policy, Seed: 1, MaxAttempts: benchAttempts, NoBound: true, Speed: pt.speed}
	if dies {
		o.DiesAtS = pt.diesAt(p.MakespanS)
	}
	var evs []placement.Event
	o.OnEvent = func(e placement.Event) { evs = append(evs, e) }
	if _, err := placement.Simulate(c, p, o); err != nil {
		t.Fatal(err)
	}
	return c, p, evs
}
