package estimate

import (
	"math"
	"testing"

	"blackstart/placement"
)

// TestEvaluateRunSeeds: run k of an evaluation is the run of seed
// Seed + k, so two runs from seed 3 pool one run from seed 3 and one
// from seed 4: at every point the samples add up, and the coverage (the
// share of scored runs whose finish lies in the band) is their
// sample-weighted mean.
func TestEvaluateRunSeeds(t *testing.T) {
	c := twoNodes(t)
	p := placement.NewPlan(c)
	eval := func(runs int, seed uint64) *Evaluation {
		e, err := Evaluate(c, p, EvaluateOptions{Runs: runs, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	both, a, b := eval(2, 3), eval(1, 3), eval(1, 4)
	checked := 0
	for _, s := range both.Scores {
		sa := a.Find(s.Scenario, s.Estimator, s.Point, s.Progress)
		sb := b.Find(s.Scenario, s.Estimator, s.Point, s.Progress)
		if sa == nil || sb == nil {
			t.Fatalf("%s %s %s %g: no score in the single runs", s.Scenario, s.Estimator, s.Point, s.Progress)
		}
		if s.Samples != sa.Samples+sb.Samples {
			t.Errorf("%s %s %s %g: %d samples, want %d + %d", s.Scenario, s.Estimator, s.Point, s.Progress, s.Samples, sa.Samples, sb.Samples)
			continue
		}
		if s.Samples == 0 || math.IsNaN(s.Coverage.Value) {
			continue
		}
		sum := 0.0
		for _, x := range []*Score{sa, sb} {
			if x.Samples > 0 {
				sum += x.Coverage.Value * float64(x.Samples)
			}
		}
		if want := sum / float64(s.Samples); math.Abs(s.Coverage.Value-want) > 1e-12 {
			t.Errorf("%s %s %s %g: coverage %g, want %g", s.Scenario, s.Estimator, s.Point, s.Progress, s.Coverage.Value, want)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no score with a band and samples")
	}
}
