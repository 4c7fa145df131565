package estimate

import (
	"math"
	"slices"
	"testing"

	"blackstart/placement"
)

// TestSinkProjectionSame: in a mixed projection the sinks (open nodes
// none of whose instances counts towards a release) are left out of the
// projection-wide loop but for the releases that queue instances on
// them, and projected on their own afterwards (projectSinks); the
// estimates must be exactly those with the sinks in the loop
// (shape.noSink). Checked along a new incident's first events on the
// incident-scale platform (every node open; the application nodes are
// sinks, the databases' and internal services' are not), and along a
// herded recovery before its last release (herdingShortHeld under -short,
// else the first half of BenchmarkLive's), at the latest event's time and
// later.
func TestSinkProjectionSame(t *testing.T) {
	type stream struct {
		name string
		make func(*testing.T) (*placement.Cluster, *placement.Plan, []placement.Event)
		at   []int
		arr  bool // releases queue instances on sinks during the projections
	}
	streams := []stream{{"early", func(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) {
		return earlyStream(t, 6000)
	},
		[]int{1, 1000, 3000, 6000}, true}}
	if testing.Short() {
		// The tail is never released: its 6 nodes are sinks once their
		// app instances are up.
		streams = append(streams, stream{"herdingShortHeld", herdingShortHeld, []int{2_000, 20_000, 44_000}, false})
	} else {
		streams = append(streams, stream{"herdingRecovery", func(t *testing.T) (*placement.Cluster, *placement.Plan, []placement.Event) { return herdingRecovery(t) },
			[]int{20_000, 30_000, 150_000, 300_000, 420_000}, true})
	}
	for _, st := range streams {
		c, p, evs := st.make(t)
		sink, ref := NewLive(c, p), NewLive(c, p)
		ref.shape.noSink = true
		for _, l := range []*Live{sink, ref} {
			l.SetRetry(placement.Retry{MaxAttempts: benchAttempts})
		}
		sinks, arrived := 0, 0
		next := 0
		for k, e := range evs {
			sink.Observe(e)
			ref.Observe(e)
			if next == len(st.at) || k+1 != st.at[next] {
				continue
			}
			next++
			for _, now := range []float64{e.TS, e.TS + 400} {
				a := snapJSON(t, sink.Estimate(now))
				b := snapJSON(t, ref.Estimate(now))
				if ref.shape.anySink {
					t.Fatal("noSink: want no sinks")
				}
				if a != b {
					t.Fatalf("%s after %d events, at %g s: with sinks\n%s\nwithout\n%s", st.name, k+1, now, a, b)
				}
				if sink.shape.mixed && sink.shape.anySink {
					sinks++
				}
				arrived += len(sink.shape.projs[0].arr)
			}
		}
		if next != len(st.at) || sinks == 0 || st.arr && arrived == 0 {
			t.Fatalf("%s: %d of %d points reached, %d estimates with sinks, %d arrivals in worker 0's last projections: want all, and some", st.name, next, len(st.at), sinks, arrived)
		}
		t.Logf("%s: %d estimates with sinks, %d arrivals in worker 0's last projections", st.name, sinks, arrived)
	}
}

// TestSinkArrivalOrder: an arrival on a sink comes in the projection-wide
// loop's order, at the time and instance of the event that released it,
// not at its own instance. n1 holds a (instance 2, a fixed 10-s start
// running since 2 s), which nothing waits on there: n1 is closed, and a's
// up releases z (4) onto n2. n2 (one slot) holds r (3, a fixed 10-s start
// running since 2 s) and w (5, released, waiting), and z is to be released
// there: no instance on n2 counts towards a release, so n2 is a sink. At
// 20 s both running starts are over: a's up (2) comes before r's end (3),
// so z is waiting when the slot frees and, of lower rank than w (without
// a plan the rank is the instance), starts first: z up at 25 s (5 s), w at
// 32 s (7 s). Taken at z's own instance (4), z would come after r's end,
// w would start first and z be up at 32 s, w at 27 s.
func TestSinkArrivalOrder(t *testing.T) {
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
id = "r"
instances = 1
pinned = ["n2"]
start = { dist = "fixed", s = 10 }
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
	for i, want := range []string{"pin#0", "pin#1", "a#0", "r#0", "z#0", "w#0"} {
		if got := c.Name(i); got != want {
			t.Fatalf("instance %d is %s, want %s", i, got, want)
		}
	}
	sink, ref := NewLive(c, nil), NewLive(c, nil)
	ref.shape.noSink = true
	const now = 20
	for _, l := range []*Live{sink, ref} {
		for n := range int32(2) {
			l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
			l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
		}
		l.Observe(placement.Event{TS: 2, Instance: 2, Node: 0, State: placement.Started})   // a
		l.Observe(placement.Event{TS: 2, Instance: 3, Node: 1, State: placement.Started})   // r
		l.Observe(placement.Event{TS: 2, Instance: 4, Node: 1, State: placement.Scheduled}) // z
		l.Observe(placement.Event{TS: 2, Instance: 5, Node: 1, State: placement.Scheduled}) // w
		l.Estimate(now)                                                                     // lays out what the projections share
	}
	sh := &sink.shape
	if !sh.mixed || sh.open[0] || !sh.open[1] || !sh.sink[1] || sh.sink[0] {
		t.Fatalf("mixed %v, open %v, sink %v: want mixed, n1 closed, n2 an open sink", sh.mixed, sh.open, sh.sink)
	}
	stale := []bool{false, false}
	speed := []float64{1, 1}
	for k := range Samples {
		for _, l := range []*Live{sink, ref} {
			var pj projector
			pr := l.project(&pj, now, stale, k, speed)
			ups := slices.Sorted(slices.Values(pj.ups))
			if !slices.Equal(ups, []float64{20, 20, 25, 32}) || pr.all != 32 || pr.tiers[0].ETAS != 20 || pr.tiers[1].ETAS != 32 || pr.atRisk != 0 || pj.lost != 0 {
				t.Errorf("noSink %v, projection %d: ups %v, all up at %g s, tiers at %g and %g s, %d at risk, %d given up; want 20, 20, 25, 32 (a, r, z, w), 32, 20 and 32, none, none",
					l.shape.noSink, k, ups, pr.all, pr.tiers[0].ETAS, pr.tiers[1].ETAS, pr.atRisk, pj.lost)
			}
			if !l.shape.noSink && (len(pj.arr) != 1 || pj.arr[0] != arrival{t: now, src: 2, inst: 4}) {
				t.Errorf("projection %d: arrivals %+v; want z (4) at 20 s by a's up (2)", k, pj.arr)
			}
		}
	}
	if s := sink.Estimate(now); math.Abs(s.ETAAllS-32) > 1e-6 {
		t.Errorf("estimate: all up at %g s, want 32", s.ETAAllS)
	}
}

// TestDoomedSinkBackoffLost: a sink none of whose instances can come up is
// not projected, and its instances are each given up once, those waiting
// out a back-off too (left out of the projection-wide loop, they are not
// given up there). n2 holds b (a fixed 100-s start against its 50-s
// timeout, failed once at 52 s, waiting out its back-off) and z (the same
// start; released onto n2 by a's up), so nothing on n2 can come up; a
// (n1, a fixed 10-s start from 50 s) is up at 60 s. Both b and z are
// given up: none at risk. Speeds pinned at 1 by a fixed 2-s start on n1
// and n2.
func TestDoomedSinkBackoffLost(t *testing.T) {
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
pinned = ["n2"]
start = { dist = "fixed", s = 100 }
timeout_s = 50
[[service]]
id = "z"
instances = 1
depends_on = ["a"]
pinned = ["n2"]
start = { dist = "fixed", s = 100 }
timeout_s = 50
`)
	for i, want := range []string{"pin#0", "pin#1", "a#0", "b#0", "z#0"} {
		if got := c.Name(i); got != want {
			t.Fatalf("instance %d is %s, want %s", i, got, want)
		}
	}
	sink, ref := NewLive(c, nil), NewLive(c, nil)
	ref.shape.noSink = true
	const now = 52
	for _, l := range []*Live{sink, ref} {
		for n := range int32(2) {
			l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
			l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
		}
		l.Observe(placement.Event{TS: 2, Instance: 3, Node: 1, State: placement.Started})   // b
		l.Observe(placement.Event{TS: 2, Instance: 4, Node: 1, State: placement.Scheduled}) // z
		l.Observe(placement.Event{TS: 50, Instance: 2, Node: 0, State: placement.Started})  // a
		l.Observe(placement.Event{TS: 52, Instance: 3, Node: 1, State: placement.Failed})   // b
		l.Estimate(now)                                                                     // lays out what the projections share
	}
	sh := &sink.shape
	if !sh.mixed || !sh.sink[1] || len(sh.later) != 1 || sh.later[0].inst != 3 {
		t.Fatalf("mixed %v, sink %v, back-offs %+v: want mixed, n2 a sink, b waiting out its back-off", sh.mixed, sh.sink, sh.later)
	}
	stale := []bool{false, false}
	speed := []float64{1, 1}
	for k := range Samples {
		for _, l := range []*Live{sink, ref} {
			var pj projector
			pr := l.project(&pj, now, stale, k, speed)
			if !pj.doomed[1] || pr.all != 60 || pr.atRisk != 0 || pj.lost != 2 {
				t.Errorf("noSink %v, projection %d: n2 doomed %v, all up at %g s, %d at risk, %d given up; want doomed, 60 (a), none at risk, 2 (b, z)",
					l.shape.noSink, k, pj.doomed[1], pr.all, pr.atRisk, pj.lost)
			}
		}
	}
}
