package estimate

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"blackstart/placement"
)

// TestStaleThresholds pins the three ways a node counts as stale, each on
// both sides of its threshold with literal seconds: 900 s of silence with
// a start under way; 30 s past a start's timeout; and, after a failed
// start with work left, 1.5 × the 300 s back-off cap + 30 s = 480 s.
func TestStaleThresholds(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "app"
instances = 3
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Up})
	l.Observe(placement.Event{TS: 10, Instance: 1, Node: 0, State: placement.Started})
	// The start's default timeout (300 s) + 30 s would say stale at 340 s:
	// the app's start has no timeout_s, so it is the default.
	for _, tt := range []struct {
		at    float64
		stale bool
	}{{339, false}, {340, false}, {341, true}} { // stale after more than
		if got := len(l.Estimate(tt.at).StaleNodes) == 1; got != tt.stale {
			t.Errorf("start at 10 s, default timeout: stale at %g s = %v, want %v", tt.at, got, tt.stale)
		}
	}

	c = oneNode(t, 2, `
[[service]]
id = "app"
instances = 3
timeout_s = 100000
start = { dist = "fixed", s = 10 }
`)
	l = NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Up})
	l.Observe(placement.Event{TS: 10, Instance: 1, Node: 0, State: placement.Started})
	for _, tt := range []struct {
		at    float64
		stale bool
	}{{909, false}, {910, false}, {911, true}} {
		if got := len(l.Estimate(tt.at).StaleNodes) == 1; got != tt.stale {
			t.Errorf("silent since 10 s with a start under way: stale at %g s = %v, want %v (900 s)", tt.at, got, tt.stale)
		}
	}

	c = twoNodes(t)
	for _, tt := range []struct {
		at    float64
		stale bool
	}{{10 + 479, false}, {10 + 480, false}, {10 + 481, true}} {
		l = NewLive(c, nil)
		l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Failed})
		if got := strings.Join(l.Estimate(tt.at).StaleNodes, ",") == "n1"; got != tt.stale {
			t.Errorf("failed at 10 s, work left: stale at %g s = %v, want %v (480 s after)", tt.at, got, tt.stale)
		}
	}
}

// TestProjectionBackoffCap: the projection waits out the capped back-off
// (300 s after the 6th failure, not 10·2^5 = 320 s), then the 3 s start.
func TestProjectionBackoffCap(t *testing.T) {
	c := retryCluster(t)
	l := pinned(t, c)
	for a := 1; a <= 6; a++ {
		l.Observe(placement.Event{TS: float64(76 + 4*a), Instance: 2, Node: 0, State: placement.Failed})
	}
	for a := 1; a <= 10; a++ { // stuck given up, out of the way
		l.Observe(placement.Event{TS: 100, Instance: 1, Node: 0, State: placement.Failed})
	}
	if s := l.Estimate(101); math.Abs(s.ETAAllS-403) > 1e-6 {
		t.Errorf("ETA of all up %g s, want 100 + 300 + 3 = 403 s", s.ETAAllS)
	}
}

// TestQuantiles pins the empirical quantiles (the smallest sample with at
// least the fraction p of the samples at or below it).
func TestQuantiles(t *testing.T) {
	xs := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	if q := quantiles(xs); q != (Quantiles{P10: 1, P50: 5, P90: 9}) {
		t.Errorf("quantiles(1..10) = %+v, want 1, 5, 9", q)
	}
	if q := quantiles([]float64{3}); q != (Quantiles{P10: 3, P50: 3, P90: 3}) {
		t.Errorf("quantiles(3) = %+v, want 3, 3, 3", q)
	}
	if q := quantiles(nil); q != (Quantiles{}) {
		t.Errorf("quantiles() = %+v, want zero", q)
	}
	if got := quantile([]float64{0.5, 0, 1, 0.2, 0.2}, 0.9); got != 1 {
		t.Errorf("quantile(…, 0.9) of 5 = %g, want 1 (the 5th)", got)
	}
	if got := quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("quantile(nil) = %g, want NaN", got)
	}
}

// TestPlannedPoints pins what the planned ETA reports: eleven instances
// of 1 … 11 s started at once on a node that runs 16 at full speed come
// up at 1 … 11 s in every run; all up is the last (11 s), 90 % up the
// ⌈0.9 × 11⌉ = 10th (10 s), and tier 0 (all of them) 11 s.
func TestPlannedPoints(t *testing.T) {
	var b strings.Builder
	for k := 1; k <= 11; k++ {
		fmt.Fprintf(&b, "[[service]]\nid = \"s%d\"\ntier = 0\nstart = { dist = \"fixed\", s = %d }\n", k, k)
	}
	c := oneNode(t, 16, b.String())
	p := placement.NewPlan(c)
	got, err := Planned(c, p, PlannedOptions{Runs: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	all, ninety := Quantiles{11, 11, 11}, Quantiles{10, 10, 10}
	if got.AllUpS != all || got.NinetyUpS != ninety || len(got.Tiers) != 1 || got.Tiers[0].UpS != all {
		t.Errorf("all up %+v, 90 %% up %+v, tiers %+v; want 11 s, 10 s, one tier at 11 s", got.AllUpS, got.NinetyUpS, got.Tiers)
	}
}

// TestScoreFormulas pins the evaluation's arithmetic on five hand-made
// runs, each 100 s long and scored at 50 s (50 s remaining): ETAs of 110,
// 90, 150, 100 and 75 s are errors of +0.2, −0.2, +1, 0 and −0.5 of the
// remaining time; the median absolute error is 0.2, its 90th percentile
// 1, the median signed error 0; the bands [80, 120], [60, 95], [120, 200],
// [90, 110] and [50, 100] hold the finish in 3 of 5 runs (0.6). The RAM
// baseline has no band: no coverage, no nominal level.
func TestScoreFormulas(t *testing.T) {
	etas := []float64{110, 90, 150, 100, 75}
	bands := [][2]float64{{80, 120}, {60, 95}, {120, 200}, {90, 110}, {50, 100}}
	var runs []runResult
	for k, eta := range etas {
		m := moment{point: 0, now: 50}
		m.eta[0], m.lo[0], m.hi[0] = eta, bands[k][0], bands[k][1]
		m.eta[1], m.lo[1], m.hi[1] = eta, math.NaN(), math.NaN()
		m.eta[2], m.eta[3] = math.Inf(1), 100
		runs = append(runs, runResult{actual: 100, moments: []moment{m}})
	}
	scores := score(ScenarioCalm, runs, EvaluateOptions{Seed: 1, Bootstrap: 200})
	find := func(est string) Score {
		for _, s := range scores {
			if s.Estimator == est && s.Point == PointInstances && s.Progress == Progress[0] {
				return s
			}
		}
		t.Fatalf("no score of %s at the first point", est)
		return Score{}
	}
	s := find(EstimatorThroughput)
	if s.Samples != 5 || s.MedianAbsError.Value != 0.2 || s.P90AbsError.Value != 1 || s.MedianSignedError.Value != 0 ||
		math.Abs(s.Coverage.Value-0.6) > 1e-12 || s.NominalCoverage != 0.8 {
		t.Errorf("throughput: got %d samples, median |error| %g, p90 %g, median signed %g, coverage %g (nominal %g); want 5, 0.2, 1, 0, 0.6 (0.8)",
			s.Samples, s.MedianAbsError.Value, s.P90AbsError.Value, s.MedianSignedError.Value, s.Coverage.Value, s.NominalCoverage)
	}
	if !(s.MedianAbsError.Low <= 0.2 && 0.2 <= s.MedianAbsError.High) || s.MedianAbsError.Low < 0 || s.MedianAbsError.High > 1 {
		t.Errorf("throughput: median |error| interval [%g, %g], want it around 0.2 within [0, 1]", s.MedianAbsError.Low, s.MedianAbsError.High)
	}
	if r := find(EstimatorRAM); !math.IsNaN(r.Coverage.Value) || r.NominalCoverage != 0 || r.MedianAbsError.Value != 0.2 {
		t.Errorf("RAM: coverage %g (nominal %g), median |error| %g; want NaN (0), 0.2", r.Coverage.Value, r.NominalCoverage, r.MedianAbsError.Value)
	}
	if r := find(EstimatorReplay); !math.IsInf(r.MedianAbsError.Value, 1) || !math.IsInf(r.MedianSignedError.Value, 1) {
		t.Errorf("replay with no finite ETA: median |error| %g, signed %g; want +Inf (no estimate is never right)", r.MedianAbsError.Value, r.MedianSignedError.Value)
	}
	if r := find(EstimatorClimatology); r.MedianAbsError.Value != 0 {
		t.Errorf("climatology at the actual finish: median |error| %g, want 0", r.MedianAbsError.Value)
	}
}

// TestClimatology pins the leave-one-out reference: of runs lasting 100,
// 200 and 300 s, the first's reference is the others' median (200 s, the
// lower of two), its band their 10th to 90th percentile (200 to 300 s),
// never before now.
func TestClimatology(t *testing.T) {
	runs := []runResult{
		{actual: 100, moments: []moment{{now: 50}, {now: 250}}},
		{actual: 200, moments: []moment{{now: 50}}},
		{actual: 300, moments: []moment{{now: 50}}},
	}
	climatology(runs)
	for _, tt := range []struct {
		run, k      int
		eta, lo, hi float64
		what        string
	}{
		{0, 0, 200, 200, 300, "run 1 at 50 s"},
		{0, 1, 250, 250, 300, "run 1 at 250 s (never before now)"},
		{1, 0, 100, 100, 300, "run 2"},
		{2, 0, 100, 100, 200, "run 3"},
	} {
		m := runs[tt.run].moments[tt.k]
		if m.eta[3] != tt.eta || m.lo[3] != tt.lo || m.hi[3] != tt.hi {
			t.Errorf("%s: got %g [%g, %g], want %g [%g, %g]", tt.what, m.eta[3], m.lo[3], m.hi[3], tt.eta, tt.lo, tt.hi)
		}
	}
}

// TestFind: an evaluation's score is found by all four keys, each of
// which tells scores apart; a key that matches none finds nothing.
func TestFind(t *testing.T) {
	e := &Evaluation{}
	for _, sc := range []string{ScenarioPerturbed, ScenarioCalm} {
		for _, est := range []string{EstimatorThroughput, EstimatorRAM} {
			for _, pt := range []string{PointInstances, PointDuration} {
				for _, p := range []float64{0.25, 0.5} {
					e.Scores = append(e.Scores, Score{Scenario: sc, Estimator: est, Point: pt, Progress: p, Samples: len(e.Scores)})
				}
			}
		}
	}
	k := 0
	for _, sc := range []string{ScenarioPerturbed, ScenarioCalm} {
		for _, est := range []string{EstimatorThroughput, EstimatorRAM} {
			for _, pt := range []string{PointInstances, PointDuration} {
				for _, p := range []float64{0.25, 0.5} {
					if got := e.Find(sc, est, pt, p); got == nil || got.Samples != k {
						t.Errorf("Find(%s, %s, %s, %g) = %+v, want score %d", sc, est, pt, p, got, k)
					}
					k++
				}
			}
		}
	}
	if got := e.Find(ScenarioCalm, EstimatorReplay, PointInstances, 0.25); got != nil {
		t.Errorf("Find of an estimator not scored = %+v, want nil", got)
	}
}

// TestDependencyMetByUps: a service whose dependency is already up starts
// at once in the projection: a (fixed 10 s) up at 10 s, b depends on a
// (fixed 10 s): every ETA point is 20 s.
func TestDependencyMetByUps(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "a"
instances = 1
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
instances = 1
depends_on = ["a"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Up})
	s := l.Estimate(10)
	if s.ETAAllS != 20 || s.ETAAllLowS != 20 || s.ETAAllHighS != 20 {
		t.Errorf("b after a, a up at 10 s: ETA %g s [%g, %g], want 20 s [20, 20]", s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS)
	}
}

// TestPlannedRunSeeds: Planned's run k uses seed Seed+k and there are
// exactly Runs of them: with 2 runs from seed 7, the all-up quantiles are
// those of the single runs from seeds 7 and 8 (which differ), and the
// progress ends at 2 of 2.
func TestPlannedRunSeeds(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "app"
instances = 4
start = { dist = "lognormal", median_s = 20, p90_s = 60 }
`)
	p := placement.NewPlan(c)
	one := func(seed uint64) float64 {
		t.Helper()
		e, err := Planned(c, p, PlannedOptions{Runs: 1, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if e.AllUpS.P10 != e.AllUpS.P90 {
			t.Fatalf("1 run from seed %d: all-up quantiles %+v, want one value", seed, e.AllUpS)
		}
		return e.AllUpS.P50
	}
	a7, a8 := one(7), one(8)
	if a7 == a8 {
		t.Fatalf("setup: seeds 7 and 8 give the same all-up time %g s", a7)
	}
	var last [2]int
	e, err := Planned(c, p, PlannedOptions{Runs: 2, Seed: 7, Progress: func(d, n int) { last = [2]int{d, n} }})
	if err != nil {
		t.Fatal(err)
	}
	if want := quantiles([]float64{a7, a8}); e.AllUpS != want || last != [2]int{2, 2} {
		t.Errorf("2 runs from seed 7: all-up %+v, progress %v; want %+v (seeds 7 and 8: %g, %g s), 2 of 2", e.AllUpS, last, want, a7, a8)
	}
}

// TestStaleAfterFailureWithPlannedWork: the work left that makes a quiet
// node stale 480 s after a failed start includes the instances the plan
// puts on it that have not started (twoNodes' plan: 10 on n1; instance 0
// fails at 10 s, the other 9 still planned there): stale at 491 s, not at
// 489 s.
func TestStaleAfterFailureWithPlannedWork(t *testing.T) {
	c := twoNodes(t)
	p := placement.NewPlan(c)
	for _, tt := range []struct {
		at    float64
		stale bool
	}{{10 + 479, false}, {10 + 481, true}} {
		l := NewLive(c, p)
		l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
		l.Observe(placement.Event{TS: 10, Instance: 0, Node: 0, State: placement.Failed})
		got := strings.Join(l.Estimate(tt.at).StaleNodes, ",")
		if (got == "n1") != tt.stale || got != "" && got != "n1" {
			t.Errorf("failed at 10 s, 9 planned instances left on n1: stale nodes at %g s %q, want n1 %v", tt.at, got, tt.stale)
		}
	}
}
