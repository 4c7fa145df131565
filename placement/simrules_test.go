package placement

import (
	"maps"
	"math"
	"testing"
)

// TestSimSpeedDeathQuantiles pins three rules of the simulator by hand on
// one node of fixed 10-s starts (ps-one-node): a node's speed multiplies
// its throughput (at 0.5, the plan's two waves of 2 on c = 2 end at 20
// and 40 s; stale's four at once share c = 2 at 0.5 × 2/4: all up at 40
// s); a node that dies fails its running starts (one node death) and
// gives up its queue, and a retry due on a dead node is given up (c = 1,
// three starts, death at 15 s: the first up at 10 s, the second failed at
// 15 s and retried once, the third given up with it: 2 never up, makespan
// 10 s; a death time of 0 is never, one at the horizon is not simulated);
// the result's p50 and p95 are nearest-rank quantiles of the up
// times (the rank 0.5 n and 0.95 n rounded): of twenty instances only 16
// fit the node's 16 cores, so the plan places 16, started one at a time
// and up at 10, 20, … 160 s: the 8th, 80 s, and the 15th (15.2
// rounded), 150 s; the 4 the plan could not place are unplaced, not
// "never up".
func TestSimSpeedDeathQuantiles(t *testing.T) {
	for _, tc := range []struct {
		policy string
		want   []float64
	}{
		{PolicyPlan, []float64{20, 20, 40, 40}},
		{PolicyStale, []float64{40, 40, 40, 40}},
	} {
		res, err := Simulate(oneNode(t, 2, 4, 10, 300), nil, SimOptions{Policy: tc.policy, Seed: 1, Speed: []float64{0.5}})
		if err != nil {
			t.Fatal(err)
		}
		if !approxSlice(res.UpS, tc.want) {
			t.Errorf("%s at speed 0.5: up at %v s, want %v s", tc.policy, res.UpS, tc.want)
		}
	}

	var failed []float64
	res, err := Simulate(oneNode(t, 1, 3, 10, 300), nil, SimOptions{Policy: PolicyPlan, Seed: 1, DiesAtS: []float64{15},
		OnEvent: func(e Event) {
			if e.State == Failed {
				failed = append(failed, e.TS)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !approxSlice(res.UpS, []float64{10, -1, -1}) || res.NodeDeaths != 1 || res.Retries != 1 || res.Timeouts != 0 ||
		res.NeverUp != 2 || res.MakespanS != 10 || len(failed) != 1 || failed[0] != 15 {
		t.Errorf("death at 15 s: up at %v s, %d deaths, %d retries, %d timeouts, %d never up, makespan %g s, failed at %v s; want [10 -1 -1], 1, 1, 0, 2, 10 s, [15]",
			res.UpS, res.NodeDeaths, res.Retries, res.Timeouts, res.NeverUp, res.MakespanS, failed)
	}

	// A death time of 0 is never; one at the horizon or past it is not
	// simulated (c = 1, horizon 15 s: the second start still running then).
	for _, dies := range []float64{0, 15, 16} {
		res, err = Simulate(oneNode(t, 1, 3, 10, 300), nil, SimOptions{Policy: PolicyPlan, Seed: 1, HorizonS: 15, DiesAtS: []float64{dies}})
		if err != nil {
			t.Fatal(err)
		}
		if !approxSlice(res.UpS, []float64{10, -1, -1}) || res.NodeDeaths != 0 || res.Retries != 0 {
			t.Errorf("horizon 15 s, death at %g s: up at %v s, %d deaths, %d retries; want [10 -1 -1], none", dies, res.UpS, res.NodeDeaths, res.Retries)
		}
	}

	res, err = Simulate(oneNode(t, 1, 20, 10, 300), nil, SimOptions{Policy: PolicyPlan, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.P50UpS != 80 || res.P95UpS != 150 || res.MakespanS != 160 || math.Abs(res.LowerBoundS-160) > 1e-9 || res.NeverUp != 0 || len(res.Unplaced) != 4 {
		t.Errorf("16 of 20 placed, 10-s starts one at a time: p50 %g s, p95 %g s, makespan %g s, bound %g s, %d never up, %d unplaced; want 80, 150, 160, 160, 0, 4",
			res.P50UpS, res.P95UpS, res.MakespanS, res.LowerBoundS, res.NeverUp, len(res.Unplaced))
	}
}

// TestDispatchRank pins the plan's dispatch priority: the 99th percentile
// of an instance's own start plus the expected chain behind it, highest
// first, ties by index, unplaced last. Keys: b (fixed 5 s, tail's 100 s
// behind it) 5 + 100 = 105; tail 100; d (lognormal, median 10 s, p90 30
// s: σ = ln 3 / 1.28155 = 0.85725, p99 = 10 · e^(2.32635 σ) = 10 ·
// e^1.99427 = 73.47 s); a and e (fixed 10 s) 10 each, a first by index; f
// needs more RAM than any node (2,000 GiB of 1,024) and is unplaced:
// ranks b 0, tail 1, d 2, a 3, e 4, f 5.
func TestDispatchRank(t *testing.T) {
	c := boundModel(t, []string{"n1"}, []int{4}, `
[[service]]
id = "a"
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
start = { dist = "fixed", s = 5 }
[[service]]
id = "tail"
depends_on = ["b"]
start = { dist = "fixed", s = 100 }
[[service]]
id = "d"
start = { dist = "lognormal", median_s = 10, p90_s = 30 }
[[service]]
id = "e"
start = { dist = "fixed", s = 10 }
[[service]]
id = "f"
ram_gib = 2000
start = { dist = "fixed", s = 1 }
`)
	p := NewPlan(c)
	rank := map[string]int32{}
	for i := range c.Instances {
		sv := &c.M.Services[c.Instances[i].Service]
		rank[sv.ID] = p.Rank(i)
		if sv.ID == "d" {
			if p99 := Quantile(sv.Start, 0.99); math.Abs(p99-73.47) > 0.01 {
				t.Fatalf("setup: d's p99 %g s, want 73.47 s", p99)
			}
		}
	}
	want := map[string]int32{"b": 0, "tail": 1, "d": 2, "a": 3, "e": 4, "f": 5}
	if !maps.Equal(rank, want) || len(p.Unplaced) != 1 {
		t.Errorf("ranks %v (%d unplaced); want %v (f unplaced)", rank, len(p.Unplaced), want)
	}
}

// TestDryRunEndsBeforeFills: the plan's timing (dryRun) takes every start
// ending at an instant, and every release they make, before it fills the
// slots they free. n1 (1 slot) runs a#0 from 0 to 10 s; p (on n2) is up
// at 10 s too and releases q (on n1, key 10 + 100 s of z behind it) ahead
// of a#1 (key 10): q runs 10–20 s, z (n2) 20–120 s, a#1 20–30 s; the plan
// ends at 120 s (filling first would give a#1 the slot: 130 s). The
// simulator's plan policy follows the same rule (TestSimEndsBeforeFills).
func TestDryRunEndsBeforeFills(t *testing.T) {
	c := endsBeforeFillsModel(t)
	p := NewPlan(c)
	start := map[string]float64{}
	for i := range c.Instances {
		start[c.Name(i)] = p.Assign[i].StartS
	}
	want := map[string]float64{"a#0": 0, "a#1": 20, "p#0": 0, "q#0": 10, "z#0": 20}
	if !maps.Equal(start, want) || p.MakespanS != 120 {
		t.Errorf("planned starts %v, makespan %g s; want %v, 120 s", start, p.MakespanS, want)
	}
}

// TestSimEndsBeforeFills: the simulator's plan policy fills the slots
// freed at an instant only after every end and release of that instant,
// as the plan's timing does, so the simulated recovery of
// TestDryRunEndsBeforeFills's plan (fixed durations) starts each instance
// when the plan says and ends at its 120 s. Before, the simulator filled
// n1's slot as a#0 ended, before p's end at the same instant released q:
// a#1 took the slot and the recovery took 130 s.
func TestSimEndsBeforeFills(t *testing.T) {
	c := endsBeforeFillsModel(t)
	p := NewPlan(c)
	res, err := Simulate(c, p, SimOptions{Policy: PolicyPlan, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Instances {
		if res.UpS[i] != p.Assign[i].UpS {
			t.Errorf("%s up at %g s, planned %g s", c.Name(i), res.UpS[i], p.Assign[i].UpS)
		}
	}
	if res.MakespanS != 120 {
		t.Errorf("simulated makespan %g s, want the plan's 120 s", res.MakespanS)
	}
}

func endsBeforeFillsModel(t *testing.T) *Cluster {
	t.Helper()
	return boundModel(t, []string{"n1", "n2"}, []int{1, 1}, `
[[service]]
id = "a"
instances = 2
pinned = ["n1", "n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "p"
pinned = ["n2"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "q"
depends_on = ["p"]
pinned = ["n1"]
start = { dist = "fixed", s = 10 }
[[service]]
id = "z"
depends_on = ["q"]
pinned = ["n2"]
start = { dist = "fixed", s = 100 }
`)
}
