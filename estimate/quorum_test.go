package estimate

import (
	"fmt"
	"math"
	"testing"

	"blackstart/placement"
)

// A dependent is released when its dependency has exactly its quorum up,
// not before and not only when all are: a's three 10-s starts run one
// after another on n1 from 2 s (up at 12, 22, 32 s); b (5 s on n2)
// depends on a, so with a quorum of 1, 2 or 3 b is up at 17, 27 or 37 s,
// and all are up at 32, 32 or 37 s. Both nodes' speeds are pinned at 1 by
// a fixed 2-s start each.
func TestQuorumReleases(t *testing.T) {
	for q, want := range map[int]struct{ b, all float64 }{1: {17, 32}, 2: {27, 32}, 3: {37, 37}} {
		c := nodes(t, 1, 2, fmt.Sprintf(`
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "a"
instances = 3
ready_quorum = %d
pinned = ["n1", "n1", "n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
instances = 1
depends_on = ["a"]
pinned = ["n2"]
start = { dist = "fixed", s = 5 }
`, q))
		l := NewLive(c, placement.NewPlan(c))
		for n := range int32(2) {
			l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
			l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
		}
		s := l.Estimate(2)
		if len(s.Tiers) != 2 || math.Abs(s.Tiers[1].ETAS-want.b) > 1e-9 || math.Abs(s.ETAAllS-want.all) > 1e-9 {
			t.Errorf("quorum %d of 3: b's tier at %+v, all up at %g s; want b up at %g s, all at %g s", q, s.Tiers, s.ETAAllS, want.b, want.all)
		}
	}
}

// The first start from now on that fails frees its slot at its timeout,
// and the instance is due again after the back-off; a retry that fails
// holds its slot also for the timeouts of the retries after it that would
// outlast theirs (end, failHold), and the instance is due again after the
// back-offs of all those failures (nextUp), as if each futile retry ran in
// turn. Starts of 1–100 s (uniform) with a 50-s timeout on a node of speed
// 1. A first start from 950 s fails at 1,000 s and is due at 1,010 s
// (back-off 10 s), whatever its retries. A first retry from 950 s (the
// 2nd failure) with a second retry that can come up frees its slot at
// 1,000 s and is due at 1,020 s; with one futile retry after it, 1,050 s
// and 1,050 + 20 + 40 = 1,110 s (3 attempts); with two, 1,100 s and
// 1,240 s. At speed 2 the limit is 100 s of work, so every retry can.
// The 9th start of 10 attempts that fails: due at 1,300 s (the 300-s
// cap) if the last can come up, else it holds its slot for that one's
// timeout too and ends given up.
func TestNextUpSkipsFutileStarts(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "u"
instances = 200
timeout_s = 50
start = { dist = "uniform", min_s = 1, max_s = 100 }
`)
	l := NewLive(c, nil)
	l.Estimate(0) // lays the draws out
	var p projector
	p.att = make([]uint8, len(c.Instances))
	found := map[int]int{}
	for i := range c.Instances {
		for k := range Samples {
			l.minRetry(i, k)
			rs := l.retryBlock(i, k)
			if e := l.end(i, k, 0, 950, 50, false, 1); e.kind != evFail || e.t != 1000 {
				t.Fatalf("instance %d, projection %d: the first start's end %+v; want failed (%d) at 1000 s", i, k, e, evFail)
			}
			p.att[i] = 1
			if at, ok := l.nextUp(&p, i, k, 1000, 1); !ok || at != 1010 || p.att[i] != 1 {
				t.Fatalf("instance %d, projection %d: queued after the first start at %g s (%v), %d attempts; want 1010 s, 1", i, k, at, ok, p.att[i])
			}
			// The first retry, and the futile ones after it (draws 2 on).
			futile := 0
			for 1+futile < len(rs) && rs[1+futile] > 50 {
				futile++
			}
			if futile > 2 {
				continue
			}
			found[futile]++
			e := l.end(i, k, 1, 950, 50, false, 1)
			if free := []float64{1000, 1050, 1100}[futile]; e.kind != evFail || e.t != free {
				t.Fatalf("instance %d, projection %d, retries %v: the failed retry's end %+v; want failed (%d) at %g s", i, k, rs[:3], e, evFail, free)
			}
			p.att[i] = 2
			at, ok := l.nextUp(&p, i, k, e.t, 1)
			want := []float64{1020, 1110, 1240}[futile]
			if !ok || at != want || p.att[i] != uint8(2+futile) {
				t.Fatalf("instance %d, projection %d, retries %v: queued at %g s (%v), %d attempts; want %g s, %d", i, k, rs[:3], at, ok, p.att[i], want, 2+futile)
			}
			if e := l.end(i, k, 1, 950, 50, false, 2); e.kind != evFail || e.t != 1000 {
				t.Fatalf("instance %d, projection %d, speed 2: the failed retry's end %+v; want failed at 1000 s", i, k, e)
			}
			p.att[i] = 2
			if at, ok := l.nextUp(&p, i, k, 1000, 2); !ok || at != 1020 || p.att[i] != 2 {
				t.Fatalf("instance %d, projection %d, speed 2: queued at %g s (%v), %d attempts; want 1020 s, 2", i, k, at, ok, p.att[i])
			}
			// After the 9th failure of 10 attempts one start is left: due
			// after the capped 300-s back-off if it can come up, else the
			// 9th start holds its slot for the last one's timeout too and
			// ends given up, and nextUp gives it up with all 10 counted.
			can := rs[8] <= 50
			e = l.end(i, k, 8, 950, 50, false, 1)
			if can && (e.kind != evFail || e.t != 1000) || !can && (e.kind != evLost || e.t != 1050) {
				t.Fatalf("instance %d, projection %d, 9th start, last draw %g s: its end %+v", i, k, rs[8], e)
			}
			p.att[i] = 9
			at, ok = l.nextUp(&p, i, k, 1000, 1)
			if ok != can || can && (at != 1300 || p.att[i] != 9) || !can && p.att[i] != 10 {
				t.Fatalf("instance %d, projection %d, 9 failures, last draw %g s: queued at %g s (%v), %d attempts", i, k, rs[8], at, ok, p.att[i])
			}
			if !ok {
				found[-1]++
			}
		}
	}
	if found[0] == 0 || found[1] == 0 || found[2] == 0 || found[-1] == 0 {
		t.Fatalf("cases with 0, 1, 2 futile retries, and given up (-1): %v; want each", found)
	}
}

// How a projection draws a start's end (attempt): starts of 10–30 s
// (uniform) with a 25-s timeout, 300 instances × 9 projections. Not yet
// started: up after 10–25 s in 3 of 4 draws, else failed at 25 s. Running
// for 20 s at speed 1: the draw given it exceeds 20 s, uniform on 20–30
// s, so up within 0–5 s in half the draws (mean 2.5 s; 0.511 and 2.422
// s here, 2,700 draws), else failed 5 s
// on. Running 20 s at speed 2 (40 s of work, past any draw): up at once;
// at speed 0.5 (10 s of work: no draw is below it) up within 5 s when the
// draw is at most 12.5 s, 1 in 8, else failed at the timeout. A
// retry (q = 1) ignores the time run and draws afresh: 10–25 s, or 25 s
// and failed.
func TestAttemptDraws(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "u"
instances = 300
timeout_s = 25
start = { dist = "uniform", min_s = 10, max_s = 30 }
`)
	l := NewLive(c, nil)
	l.Estimate(0) // lays the draws out
	var n, upFresh, upRun, upRetry, upSlow float64
	var sumRun float64
	for i := range c.Instances {
		for k := range Samples {
			n++
			check := func(what string, d float64, up bool, lo, hi, fail float64) {
				t.Helper()
				if up && (d < lo || d > hi) || !up && d != fail {
					t.Fatalf("instance %d, projection %d, %s: %g s more, up %v; want up in [%g, %g] s or failed at %g s", i, k, what, d, up, lo, hi, fail)
				}
			}
			d, up := l.attempt(i, k, 0, 1, 0)
			check("not started", d, up, 10, 25, 25)
			if up {
				upFresh++
			}
			d, up = l.attempt(i, k, 0, 1, 20)
			check("running 20 s", d, up, 0, 5, 5)
			if up {
				upRun++
				sumRun += d
			}
			d, up = l.attempt(i, k, 0, 2, 20)
			check("running 20 s at speed 2", d, up, 0, 0, -1)
			d, up = l.attempt(i, k, 0, 0.5, 20)
			check("running 20 s at speed 0.5", d, up, 0, 5, 5)
			if up {
				upSlow++
			}
			d, up = l.attempt(i, k, 1, 1, 20)
			check("a retry", d, up, 10, 25, 25)
			if up {
				upRetry++
			}
		}
	}
	if math.Abs(upSlow/n-0.125) > 0.02 {
		t.Errorf("running 20 s at speed 0.5: %.3f up; want 0.125", upSlow/n)
	}
	if math.Abs(upFresh/n-0.75) > 0.03 || math.Abs(upRetry/n-0.75) > 0.03 || math.Abs(upRun/n-0.5) > 0.03 || math.Abs(sumRun/upRun-2.5) > 0.15 {
		t.Errorf("up: %.3f not started, %.3f running (mean %.3f s more), %.3f retries; want 0.75, 0.5 (2.5 s), 0.75", upFresh/n, upRun/n, sumRun/upRun, upRetry/n)
	}
	t.Logf("up: %.3f not started, %.3f running (mean %.3f s more), %.3f retries", upFresh/n, upRun/n, sumRun/upRun, upRetry/n)
}

// An instance no plan or event placed goes, when released, to the node of
// its pool with the most room (free slots less those waiting; the first
// node on ties): two nodes of 2 slots at speed 1, n1 running x's first
// start (0–10 s); at 2 s the other three go to n2, n1 and n2, all start at
// once: all up at 12 s (piled on n1 they would end at 22 s).
func TestUnplacedMostRoom(t *testing.T) {
	c := nodes(t, 2, 2, `
[[service]]
id = "pin"
instances = 2
start = { dist = "fixed", s = 2 }
[[service]]
id = "x"
instances = 4
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	for n := range int32(2) {
		l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
		l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
	}
	l.Observe(placement.Event{TS: 0, Instance: 2, Node: 0, State: placement.Started})
	if s := l.Estimate(2); math.Abs(s.ETAAllS-12) > 1e-9 || math.Abs(s.ETAAllHighS-12) > 1e-9 {
		t.Errorf("ETA of all up %g s [%g, %g]; want 12 s", s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS)
	}
}

// A node whose model gives no start_concurrency starts placement's
// default, 4, at a time: eight fixed 10-s starts from 2 s (the node's
// speed pinned at 1 by a fixed 2-s start) are all up at 22 s.
func TestDefaultConcurrency(t *testing.T) {
	c := nodes(t, 0, 1, `
[[service]]
id = "pin"
instances = 1
start = { dist = "fixed", s = 2 }
[[service]]
id = "x"
instances = 8
start = { dist = "fixed", s = 10 }
`)
	m := c.M
	if m.Devices[0].StartConcurrency != 0 {
		t.Fatalf("setup: start concurrency %d, want 0 (not given)", m.Devices[0].StartConcurrency)
	}
	l := NewLive(c, placement.NewPlan(c))
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 2, Instance: 0, Node: 0, State: placement.Up})
	if s := l.Estimate(2); math.Abs(s.ETAAllS-22) > 1e-9 {
		t.Errorf("8 starts of 10 s, 4 at a time from 2 s: ETA of all up %g s, want 22 s", s.ETAAllS)
	}
}

// The 90 % point of 10 instances is the 9th up: with 8 up (the index of
// the 9th equal to the count up) it is projected, not before now; with 9
// up it is now (nothing is reported in the past while one is down); all
// up, it is the 9th's observed time (19 s), all up and the tier's the
// 10th's (20 s). One instance up at 7 s: both at 7 s.
func TestNinetyObserved(t *testing.T) {
	c := oneNode(t, 10, `
[[service]]
id = "a"
instances = 10
timeout_s = 100000
start = { dist = "lognormal", median_s = 15, p90_s = 30 }
`)
	l := NewLive(c, nil)
	for i := range int32(10) {
		l.Observe(placement.Event{TS: 0, Instance: i, Node: 0, State: placement.Started})
	}
	for i := range int32(8) {
		l.Observe(placement.Event{TS: float64(11 + i), Instance: i, Node: 0, State: placement.Up})
	}
	if s := l.Estimate(18.5); s.Up != 8 || !(s.ETA90LowS >= 18.5) || !(s.ETA90S >= s.ETA90LowS) {
		t.Errorf("8 of 10 up at 18.5 s: 90 %% up at %g s [%g, %g]; want projected, not before now", s.ETA90S, s.ETA90LowS, s.ETA90HighS)
	}
	l.Observe(placement.Event{TS: 19, Instance: 8, Node: 0, State: placement.Up})
	if s := l.Estimate(19.5); s.ETA90S != 19.5 || s.ETA90LowS != 19.5 {
		t.Errorf("9 of 10 up, the 9th at 19 s: 90 %% up at %g s [%g, %g]; want now, 19.5 s (while one is down, no ETA is before now)", s.ETA90S, s.ETA90LowS, s.ETA90HighS)
	}
	l.Observe(placement.Event{TS: 20, Instance: 9, Node: 0, State: placement.Up})
	if s := l.Estimate(25); s.ETA90S != 19 || s.ETA90LowS != 19 || s.ETA90HighS != 19 || s.ETAAllS != 20 || len(s.Tiers) != 1 || s.Tiers[0].Up != 10 || s.Tiers[0].ETAS != 20 {
		t.Errorf("all 10 up, the 9th at 19 s, the 10th at 20 s: 90 %% up at %g s [%g, %g], all at %g s, tiers %+v; want 19 s and 20 s, the tier's 10 up at 20 s", s.ETA90S, s.ETA90LowS, s.ETA90HighS, s.ETAAllS, s.Tiers)
	}
	// One instance: its 90 % point (index 0) is its own up.
	c = oneNode(t, 1, `
[[service]]
id = "a"
instances = 1
start = { dist = "fixed", s = 7 }
`)
	l = NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 7, Instance: 0, Node: 0, State: placement.Up})
	if s := l.Estimate(9); s.ETA90S != 7 || s.ETAAllS != 7 {
		t.Errorf("one instance up at 7 s: 90 %% up at %g s, all at %g s; want 7 s", s.ETA90S, s.ETAAllS)
	}
}

// A start that takes exactly its timeout comes up, as the simulator counts
// it (work <= timeout): a fixed 10-s start with a 10-s timeout on a node of
// speed 1 from 2 s is up at 12 s.
func TestStartAtItsTimeout(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "pin"
instances = 1
start = { dist = "fixed", s = 2 }
[[service]]
id = "x"
instances = 1
timeout_s = 10
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 2, Instance: 0, Node: 0, State: placement.Up})
	if s := l.Estimate(2); s.ETAAllS != 12 || s.AtRisk != 0 {
		t.Errorf("a 10-s start with a 10-s timeout from 2 s: ETA of all up %g s, %d at risk; want 12 s, none", s.ETAAllS, s.AtRisk)
	}
}
