package estimate

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"blackstart/placement"
)

// TestEvaluateRunPoints pins where a run is scored (evaluateRun): fixed
// 10-s starts one at a time on one node, calm, come up at 10, 20, 30 and
// 40 s (each up followed at the same instant by the next start). The
// instance points (10, 25, 50, 75 % of 4 up: 1, 1, 2, 3 instances) are
// scored at 10, 10, 20 and 30 s, after every event of that instant (the
// last of which is a start: they were scored late, at a later up that
// ended its instant, before this test); the duration points at 4, 10,
// 20 and 30 s (10 ... 75 % of the actual 40 s). Every moment after the
// first up sees the rest exactly: the throughput ETA and the replays'
// median and band are 40 s. With 2 instances (up at 10 and 20 s) the
// 75 % point needs both up, which only happens at the actual finish: it
// is not scored (there is nothing left to estimate). Three starts of 10,
// 20 and 30 s at once on 3 slots, each up the last event of its instant:
// the points at 10, 10 and 20 s, the duration points at 3, 7.5, 15 and
// 22.5 s.
func TestEvaluateRunPoints(t *testing.T) {
	fixed := func(n int) string {
		return fmt.Sprintf("[[service]]\nid = \"a\"\ninstances = %d\nstart = { dist = \"fixed\", s = 10 }\n", n)
	}
	for _, tt := range []struct {
		n        int
		services string
		slots    int
		actual   float64
		inst     []float64 // the instance points' times, by point
		dur      []float64
	}{
		{4, fixed(4), 1, 40, []float64{10, 10, 20, 30}, []float64{4, 10, 20, 30}},
		{2, fixed(2), 1, 20, []float64{10, 10, 10}, []float64{2, 5, 10, 15}},
		// Three starts at once, of 10, 20 and 30 s: each up ends its
		// instant.
		{3, `
[[service]]
id = "a"
instances = 1
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
instances = 1
start = { dist = "fixed", s = 20 }
[[service]]
id = "c"
instances = 1
start = { dist = "fixed", s = 30 }
`, 3, 30, []float64{10, 10, 20}, []float64{3, 7.5, 15, 22.5}},
	} {
		c := oneNode(t, tt.slots, tt.services)
		p := placement.NewPlan(c)
		o, err := EvaluateOptions{Runs: 1, Seed: 1, Replays: 3, Bootstrap: 10}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		rr, err := evaluateRun(c, p, o, ScenarioCalm, 1)
		if err != nil {
			t.Fatal(err)
		}
		if rr.actual != tt.actual {
			t.Fatalf("%d instances: actual finish %g s, want %g s", tt.n, rr.actual, tt.actual)
		}
		var inst, dur []float64
		for _, m := range rr.moments {
			if m.point < len(Progress) {
				if m.point != len(inst) {
					t.Errorf("%d instances: instance point %d scored after point %d", tt.n, m.point, len(inst)-1)
				}
				inst = append(inst, m.now)
			} else {
				dur = append(dur, m.now)
			}
			if m.now >= 10 && (m.eta[0] != tt.actual || m.eta[2] != tt.actual || m.lo[2] != tt.actual || m.hi[2] != tt.actual) {
				t.Errorf("%d instances, point %d at %g s: throughput ETA %g s, replays %g s [%g, %g]; want %g s", tt.n, m.point, m.now, m.eta[0], m.eta[2], m.lo[2], m.hi[2], tt.actual)
			}
		}
		slices.Sort(dur)
		if !slices.Equal(inst, tt.inst) || !slices.Equal(dur, tt.dur) {
			t.Errorf("%d instances: instance points at %v s, duration points at %v s; want %v and %v", tt.n, inst, dur, tt.inst, tt.dur)
		}
	}
}

// TestEvaluateRunNothingUp: a run in which nothing comes up (fixed 100-s
// starts with a 50-s timeout, every attempt fails) has an actual finish
// of 0 and is scored nowhere: no moment (the time left would be 0 − now).
func TestEvaluateRunNothingUp(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "a"
instances = 2
timeout_s = 50
start = { dist = "fixed", s = 100 }
`)
	o, err := EvaluateOptions{Runs: 1, Seed: 1, Replays: 3, Bootstrap: 10}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := evaluateRun(c, placement.NewPlan(c), o, ScenarioCalm, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rr.actual != 0 || len(rr.moments) != 0 {
		t.Errorf("nothing up: actual %g s, %d moments; want 0 s and none", rr.actual, len(rr.moments))
	}
}

// TestBootstrapInterval pins bootstrap: the value is f of the sample
// itself (which it leaves in its order), the interval the 2.5th and
// 97.5th percentiles of f over resamples drawn with replacement: a
// constant sample gives [c, c]; the mean of {0, 1} is 0.5, and of 1,000
// resamples about a quarter have mean 0 and a quarter 1, so the interval
// is [0, 1]; of {0, 1, 1, 1} the median is 1, its interval [0, 1] (a
// resample has at least 2 zeros in 4 one time in 4.5); no sample: NaN.
func TestBootstrapInterval(t *testing.T) {
	med := func(xs []float64) float64 { return quantile(xs, 0.5) }
	for _, tt := range []struct {
		xs               []float64
		f                func([]float64) float64
		value, low, high float64
	}{
		{[]float64{3, 3, 3}, mean, 3, 3, 3},
		{[]float64{0, 1}, mean, 0.5, 0, 1},
		{[]float64{1, 0, 1, 1}, med, 1, 0, 1},
	} {
		xs := slices.Clone(tt.xs)
		v := bootstrap(xs, tt.f, 1000, 7)
		if v.Value != tt.value || v.Low != tt.low || v.High != tt.high {
			t.Errorf("%v: %g [%g, %g], want %g [%g, %g]", tt.xs, v.Value, v.Low, v.High, tt.value, tt.low, tt.high)
		}
		if !slices.Equal(xs, tt.xs) {
			t.Errorf("bootstrap reordered its sample: %v, was %v", xs, tt.xs)
		}
	}
	if v := bootstrap(nil, mean, 1000, 7); !math.IsNaN(v.Value) || !math.IsNaN(v.Low) || !math.IsNaN(v.High) {
		t.Errorf("no sample: %+v, want NaN", v)
	}
}

// TestCoverageBounds: a band covers the actual finish with both ends
// included: of four runs finishing at 100 s, bands [100, 120], [80, 100],
// [100.5, 120] and [80, 99.5] cover two: coverage 0.5.
func TestCoverageBounds(t *testing.T) {
	var runs []runResult
	for _, b := range [][2]float64{{100, 120}, {80, 100}, {100.5, 120}, {80, 99.5}} {
		m := moment{point: 0, now: 50}
		for e := range m.eta {
			m.eta[e], m.lo[e], m.hi[e] = 100, b[0], b[1]
		}
		runs = append(runs, runResult{actual: 100, moments: []moment{m}})
	}
	for _, s := range score(ScenarioCalm, runs, EvaluateOptions{Seed: 1, Bootstrap: 100}) {
		if s.Point == PointInstances && s.Progress == Progress[0] && s.Estimator == EstimatorThroughput && (s.Coverage.Value != 0.5 || s.Samples != 4) {
			t.Errorf("coverage %g of %d samples; want 0.5 of 4 (both ends of a band included)", s.Coverage.Value, s.Samples)
		}
	}
}

// TestClimatologyOneRun: with a single run there are no other runs to
// take the climatology from: its ETA and band are NaN, not
// the time of the moment.
func TestClimatologyOneRun(t *testing.T) {
	runs := []runResult{{actual: 100, moments: []moment{{now: 50}}}}
	climatology(runs)
	if m := runs[0].moments[0]; !math.IsNaN(m.eta[3]) || !math.IsNaN(m.lo[3]) || !math.IsNaN(m.hi[3]) {
		t.Errorf("one run: climatology %g [%g, %g], want NaN", m.eta[3], m.lo[3], m.hi[3])
	}
}
