package estimate

import (
	"math"
	"testing"

	"blackstart/placement"
)

// retryCluster is one node running one start at a time: "pin" (fixed 2 s)
// pins its speed at 1 with one completion, "stuck" (fixed 10 s, timeout
// 5 s) can never come up, "quick" (fixed 3 s) can.
func retryCluster(t *testing.T) *placement.Cluster {
	t.Helper()
	return oneNode(t, 1, `
[[service]]
id = "pin"
instances = 1
start = { dist = "fixed", s = 2 }
[[service]]
id = "stuck"
instances = 1
start = { dist = "fixed", s = 10 }
timeout_s = 5
[[service]]
id = "quick"
instances = 1
start = { dist = "fixed", s = 3 }
`)
}

// pinned feeds the start of "pin" (0 s, up at 2 s): the node's speed is 1.
func pinned(t *testing.T, c *placement.Cluster) *Live {
	t.Helper()
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 2, Instance: 0, Node: 0, State: placement.Up})
	return l
}

// A start that will time out frees its slot at its timeout, as the
// simulator's does: "quick" waits behind "stuck" only until stuck's
// timeout (7 s), so it is up at 10 s. Before, the projection held the
// slot through all of stuck's retries and back-offs (quick up after
// 1,000 s), and brought stuck up after its last attempt although every
// attempt of it outlasts its timeout: the simulator gives it up.
func TestProjectionRetriesFreeSlot(t *testing.T) {
	c := retryCluster(t)
	l := pinned(t, c)
	l.Observe(placement.Event{TS: 2, Instance: 1, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 2, Instance: 2, Node: 0, State: placement.Scheduled})
	s := l.Estimate(3)
	if math.Abs(s.ETAAllS-10) > 1e-6 || math.Abs(s.ETAAllHighS-10) > 1e-6 {
		t.Errorf("ETA of all up %g s [%g, %g], want 10 s: quick starts at stuck's timeout (7 s), stuck never comes up", s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS)
	}
	// Cross-check with the simulator on the same recovery.
	res, err := placement.Simulate(c, nil, placement.SimOptions{Policy: placement.PolicyPlan, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.UpS[1] >= 0 || res.NeverUp != 1 {
		t.Errorf("simulator: stuck up at %g s, %d never up; want never up, 1", res.UpS[1], res.NeverUp)
	}
}

// An instance that failed its last allowed attempt is given up, as the
// simulator gives it up: it is not projected up, and its tier has no ETA.
// Before, the projection gave it a fresh set of attempts, the last of
// which it assumed succeeds.
func TestProjectionGivesUp(t *testing.T) {
	c := retryCluster(t)
	l := pinned(t, c)
	rule := placement.DefaultRetry()
	ts := 2.0
	for a := 1; a <= rule.MaxAttempts; a++ {
		l.Observe(placement.Event{TS: ts, Instance: 1, Node: 0, State: placement.Started})
		ts += 5
		l.Observe(placement.Event{TS: ts, Instance: 1, Node: 0, State: placement.Failed})
		ts += rule.Backoff(a)
	}
	l.Observe(placement.Event{TS: ts, Instance: 2, Node: 0, State: placement.Started})
	s := l.Estimate(ts)
	if math.Abs(s.ETAAllS-(ts+3)) > 1e-6 || s.AtRisk != 0 {
		t.Errorf("ETA of all up %g s (%d at risk), want %g s (quick's end; stuck given up, not at risk)", s.ETAAllS, s.AtRisk, ts+3)
	}
	// The tier (all three services share tier 0) still has an ETA: quick
	// can come up.
	for _, tr := range s.Tiers {
		if math.IsInf(tr.ETAS, 1) && tr.Up+1 < tr.Total {
			t.Errorf("tier %d: no ETA with %d of %d up", tr.Tier, tr.Up, tr.Total)
		}
	}
	// One attempt short of the last, stuck gets one more start (which
	// times out), and nothing comes up later than quick.
	l = pinned(t, c)
	ts = 2.0
	for a := 1; a < rule.MaxAttempts; a++ {
		l.Observe(placement.Event{TS: ts, Instance: 1, Node: 0, State: placement.Started})
		ts += 5
		l.Observe(placement.Event{TS: ts, Instance: 1, Node: 0, State: placement.Failed})
		ts += rule.Backoff(a)
	}
	l.Observe(placement.Event{TS: ts, Instance: 1, Node: 0, State: placement.Started})
	s = l.Estimate(ts + 1)
	if want := ts + 5 + 3; math.Abs(s.ETAAllS-want) > 1e-6 {
		t.Errorf("stuck on its last attempt: ETA of all up %g s, want %g s (stuck times out at %g s and is given up, quick then takes 3 s)", s.ETAAllS, want, ts+5)
	}
}

// An instance waiting out a back-off restarts when it ends (its mean: the
// jitter averages out), not at once.
func TestProjectionWaitsOutBackoff(t *testing.T) {
	c := retryCluster(t)
	l := pinned(t, c)
	rule := placement.DefaultRetry()
	// quick failed 5 times (a rejected dispatch, say); its 5th failure at
	// 100 s: it is due again at 100 + Backoff(5) = 260 s.
	for a := 1; a <= 5; a++ {
		l.Observe(placement.Event{TS: float64(80 + 4*a), Instance: 2, Node: 0, State: placement.Failed})
	}
	l.Observe(placement.Event{TS: 100, Instance: 1, Node: 0, State: placement.Failed}) // stuck out of the way: failed 1 of 10
	for a := 2; a <= rule.MaxAttempts; a++ {
		l.Observe(placement.Event{TS: 100, Instance: 1, Node: 0, State: placement.Failed})
	}
	s := l.Estimate(101)
	if want := 100 + rule.Backoff(5) + 3; math.Abs(s.ETAAllS-want) > 1e-6 {
		t.Errorf("ETA of all up %g s, want %g s: quick restarts when its back-off (%g s) is over", s.ETAAllS, want, rule.Backoff(5))
	}
}
