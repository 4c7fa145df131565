package placement

import (
	"math"
	"testing"
)

// retryModel is one node (c = 4, no power elements) and the services
// given.
func retryModel(t *testing.T, services string) *Cluster {
	t.Helper()
	return NewCluster(parseModel(t, "retry.toml", `[[rack]]
id = "r"
[[device_model]]
id = "srv"
peak_w = 100
[[device]]
id = "n1"
rack = "r"
model = "srv"
feeds = [""]
`+services))
}

// TestRetryLowerBoundByHand: the simulator's lower bound counts the
// attempts that must fail before an instance can come up. One instance
// of a uniform 5–15 s start, timeout 10 s, 3 attempts, the default
// back-off (10 s, doubling, at least half of it after jitter); seeds
// chosen by their draws w0, w1, w2, w3:
//   - w0, w1 > 10 s, w2 ≤ 10 s: the first two time out (10 s each) and
//     wait at least 5 and 10 s, so the bound is 10 + 5 + 10 + 10 + w2 =
//     35 s + w2, and the recovery ends no sooner;
//   - w0, w1, w2 > 10 s, w3 ≤ 10 s: every attempt it has times out, it
//     never comes up, and it takes no part in the bound (0 s): the fourth
//     draw is not an attempt.
//
// Without a timeout, the default 300 s holds: a fixed 20 s start is
// bounded at 20 s.
func TestRetryLowerBoundByHand(t *testing.T) {
	c := retryModel(t, `[[service]]
id = "a"
timeout_s = 10
start = { dist = "uniform", min_s = 5, max_s = 15 }
`)
	draws := func(seed uint64, over int) bool { // the first `over` draws above 10 s, the next one not
		for a := 0; a < over; a++ {
			if c.Work(seed, 0, a) <= 10 {
				return false
			}
		}
		return c.Work(seed, 0, over) <= 10
	}
	seedFor := func(over int) uint64 {
		seed := uint64(1)
		for !draws(seed, over) {
			seed++
		}
		return seed
	}
	o := SimOptions{Policy: PolicyPlan, MaxAttempts: 3}

	o.Seed = seedFor(2)
	res, err := Simulate(c, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	want := 35 + c.Work(o.Seed, 0, 2)
	if math.Abs(res.LowerBoundS-want) > 1e-9 || res.Timeouts != 2 || res.MakespanS < want {
		t.Errorf("up on the third attempt (seed %d): bound %g s, %d timeouts, makespan %g s; want %g s, 2, no less", o.Seed, res.LowerBoundS, res.Timeouts, res.MakespanS, want)
	}

	o.Seed = seedFor(3)
	if res, err = Simulate(c, nil, o); err != nil {
		t.Fatal(err)
	}
	if res.LowerBoundS != 0 || res.NeverUp != 1 || res.MakespanS != 0 {
		t.Errorf("never up in 3 attempts (seed %d): bound %g s, never up %d, makespan %g s; want 0 s, 1, 0 s", o.Seed, res.LowerBoundS, res.NeverUp, res.MakespanS)
	}

	c = retryModel(t, `[[service]]
id = "b"
start = { dist = "fixed", s = 20 }
`)
	if res, err = Simulate(c, nil, SimOptions{Policy: PolicyPlan, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if res.LowerBoundS != 20 || res.MakespanS != 20 {
		t.Errorf("fixed 20 s, default timeout: bound %g s, makespan %g s; want 20 s, 20 s", res.LowerBoundS, res.MakespanS)
	}
}

// TestStartAtItsTimeout: a start that lasts exactly its timeout (fixed
// 10 s, timeout 10 s) comes up at 10 s under every policy, as Exceeds (no
// risk: it does not last longer), the lower bound (10 s) and the
// estimate's projection count it; the simulator used to time it out (its
// timeout was queued before its completion at the same instant), ten
// attempts in a row, and never bring it up.
func TestStartAtItsTimeout(t *testing.T) {
	c := retryModel(t, `[[service]]
id = "a"
timeout_s = 10
start = { dist = "fixed", s = 10 }
`)
	if p := Exceeds(c.M.Services[0].Start, 10); p != 0 {
		t.Errorf("Exceeds(fixed 10 s, 10 s) = %g, want 0", p)
	}
	for _, pol := range Policies {
		res, err := Simulate(c, nil, SimOptions{Policy: pol, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.UpS[0] != 10 || res.Timeouts != 0 || res.NeverUp != 0 || res.LowerBoundS != 10 {
			t.Errorf("%s: up at %g s, %d timeouts, %d never up, bound %g s; want 10 s, 0, 0, 10 s", pol, res.UpS[0], res.Timeouts, res.NeverUp, res.LowerBoundS)
		}
	}
	// Beside it, b (uniform 5–15 s, timeout 10 s: several of its 10 draws
	// can succeed, so the bound refines over them) leaves the bound valid:
	// finite, at most the makespan.
	c = retryModel(t, `[[service]]
id = "a"
timeout_s = 10
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
timeout_s = 10
start = { dist = "uniform", min_s = 5, max_s = 15 }
`)
	for _, pol := range Policies {
		res, err := Simulate(c, nil, SimOptions{Policy: pol, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.NeverUp != 0 || !(res.LowerBoundS >= 10 && res.LowerBoundS <= res.MakespanS) {
			t.Errorf("%s, with b: bound %g s, makespan %g s, %d never up; want a bound of 10 s to the makespan, all up", pol, res.LowerBoundS, res.MakespanS, res.NeverUp)
		}
	}
}
