package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestOpenNodeUpStartNotDoomed: the mixed projection's pre-check for a
// doomed open node (hopefulUpTo with most 1) counts a running start that
// comes up. n1 is open (z, pinned there, waits on a's release) and z can
// never come up (a fixed 100-s start against its 50-s timeout), so the
// node's only hope is r, running there since 2 s, a fixed 10-s start: up
// at 12 s. a (n2, a fixed 5-s start from 2 s) is up at 7 s and releases z
// onto n1, where it starts at 12 s and is given up. All that can come up
// is up at 12 s, tier 0 at 12 s; counting n1 doomed would lose r and give
// 7 s. Speeds pinned at 1 by a fixed 2-s start on n1 and n2.
func TestOpenNodeUpStartNotDoomed(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "r"
instances = 1
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "a"
instances = 1
pinned = ["n2"]
start = { dist = "fixed", s = 5 }
[[service]]
id = "z"
instances = 1
depends_on = ["a"]
pinned = ["n1"]
start = { dist = "fixed", s = 100 }
timeout_s = 50
`)
	p := placement.NewPlan(c)
	mixed, global := NewLive(c, p), NewLive(c, p)
	global.shape.noMixed = true
	for _, l := range []*Live{mixed, global} {
		for n := range int32(2) {
			l.Observe(placement.Event{TS: 0, Instance: n, Node: n, State: placement.Started})
			l.Observe(placement.Event{TS: 2, Instance: n, Node: n, State: placement.Up})
			l.Observe(placement.Event{TS: 2, Instance: n + 2, Node: n, State: placement.Started})
		}
	}
	s, g := mixed.Estimate(2), global.Estimate(2)
	if !mixed.shape.mixed || !mixed.shape.open[0] || mixed.shape.open[1] {
		t.Fatalf("mixed %v, open %v: want mixed with n1 open, n2 closed", mixed.shape.mixed, mixed.shape.open)
	}
	for _, e := range []Snapshot{s, g} {
		if e.ETAAllS != 12 || e.Up != 2 || e.Tiers[0].ETAS != 12 {
			t.Errorf("all up at %g s, %d up, tiers %+v; want 12 s, 2 up, tier 0 at 12 s", e.ETAAllS, e.Up, e.Tiers)
		}
	}
}

// TestOpenNodeRetryNotDoomed: the pre-check counts a running start that
// fails but whose retry can come up, on a node of speed 2 by the retry
// limit timeout × speed (the work a start does before its timeout). n1
// (speed 2) is open (z, pinned there, waits on a's release; z never comes
// up: 100 s of work against 40 s × 2) and runs r: a uniform 30–50 s start
// against a 20-s timeout (40 s of work at speed 2), under way for 20 s at
// now (21 s), so it has done 40 s of work and fails now; each of its nine
// retries comes up with probability ½ (a draw of 30–40 s: 15–20 s at speed
// 2). In every projection r is up, no sooner than 41 s (the shortest
// back-off, 5 s, then a 15-s retry), and the mixed projection gives the
// projection-wide loop's figures; counting n1 doomed (a limit of timeout /
// speed, 10 s of work, which no retry fits) would lose r.
func TestOpenNodeRetryNotDoomed(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "pin"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 2 }
[[service]]
id = "r"
instances = 1
pinned = ["n1"]
start = { dist = "uniform", min_s = 30, max_s = 50 }
timeout_s = 20
[[service]]
id = "a"
instances = 1
pinned = ["n2"]
start = { dist = "fixed", s = 30 }
[[service]]
id = "z"
instances = 1
depends_on = ["a"]
pinned = ["n1"]
start = { dist = "fixed", s = 100 }
timeout_s = 40
`)
	p := placement.NewPlan(c)
	mixed, global := NewLive(c, p), NewLive(c, p)
	global.shape.noMixed = true
	const now = 21
	for _, l := range []*Live{mixed, global} {
		l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: 1, Instance: 0, Node: 0, State: placement.Up})
		l.Observe(placement.Event{TS: 1, Instance: 2, Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: 0, Instance: 1, Node: 1, State: placement.Started})
		l.Observe(placement.Event{TS: 2, Instance: 1, Node: 1, State: placement.Up})
		l.Observe(placement.Event{TS: 2, Instance: 3, Node: 1, State: placement.Started})
		l.Estimate(now) // lays out what the projections share
	}
	if !mixed.shape.mixed || !mixed.shape.open[0] || mixed.shape.open[1] {
		t.Fatalf("mixed %v, open %v: want mixed with n1 open, n2 closed", mixed.shape.mixed, mixed.shape.open)
	}
	stale := []bool{mixed.stale(0, now), mixed.stale(1, now)}
	if stale[0] || stale[1] {
		t.Fatalf("stale %v at %d s; want neither", stale, now)
	}
	speed := []float64{2, 1}
	for k := range Samples {
		var pm, pg projector
		m := mixed.project(&pm, now, stale, k, speed)
		g := global.project(&pg, now, stale, k, speed)
		rUp := -1.0
		for _, u := range pm.ups {
			if u != 32 { // a's up
				rUp = u
			}
		}
		if len(pm.ups) != 2 || rUp < 41 || m.all != rUp {
			t.Errorf("projection %d: ups %v, all up at %g s; want a's at 32 s and r's no sooner than 41 s, last", k, pm.ups, m.all)
		}
		if m.all != g.all || len(pm.ups) != len(pg.ups) || m.atRisk != g.atRisk {
			t.Errorf("projection %d: all up at %g s, %d ups, %d at risk; the projection-wide loop %g s, %d, %d", k, m.all, len(pm.ups), m.atRisk, g.all, len(pg.ups), g.atRisk)
		}
	}
}
