package estimate

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// The same events give the same estimates, whichever goroutine runs which
// projection, and the same evaluation for the same seed.
func TestDeterministic(t *testing.T) {
	m, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	p := placement.NewPlan(c)
	pt := perturb(c, 3)
	var evs []placement.Event
	if _, err := placement.Simulate(c, p, placement.SimOptions{Policy: placement.PolicyPlan, Seed: 3, NoBound: true, Speed: pt.speed, DiesAtS: pt.diesAt(p.MakespanS),
		OnEvent: func(e placement.Event) { evs = append(evs, e) }}); err != nil {
		t.Fatal(err)
	}
	history := func() []Snapshot {
		l := NewLive(c, p)
		var out []Snapshot
		for k, e := range evs {
			l.Observe(e)
			if k%7 == 6 {
				out = append(out, l.Estimate(e.TS))
			}
		}
		return out
	}
	a, b := history(), history()
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Errorf("two replays of the same %d events differ", len(evs))
	}
	e1, err := Evaluate(c, p, EvaluateOptions{Runs: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := Evaluate(c, p, EvaluateOptions{Runs: 3, Seed: 5})
	j1, _ := json.Marshal(e1) // JSON: the figures without a sample are NaN, which DeepEqual never finds equal
	j2, _ := json.Marshal(e2)
	if !bytes.Equal(j1, j2) {
		t.Error("two evaluations with seed 5 differ")
	}
}

// The replay reference knows each run's true state, but not the start
// durations still to be drawn: it is not the future, its error is above
// zero; the throughput estimate's error is no smaller than zero either, and
// the RAM line has no band.
func TestReplayNotTheFuture(t *testing.T) {
	m, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	ev, err := Evaluate(c, placement.NewPlan(c), EvaluateOptions{Runs: 4, Seed: 1, Bootstrap: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, scen := range []string{ScenarioPerturbed, ScenarioCalm} {
		s := ev.Find(scen, EstimatorReplay, PointInstances, 0.25)
		if s == nil || s.Samples == 0 || !(s.MedianAbsError.Value > 0) {
			t.Errorf("%s: replay at 25 %% up: %+v; want samples and a median error above zero", scen, s)
		}
		if r := ev.Find(scen, EstimatorRAM, PointInstances, 0.25); r == nil || r.NominalCoverage != 0 || !math.IsNaN(r.Coverage.Value) {
			t.Errorf("%s: the RAM line has no band, got %+v", scen, r)
		}
	}
	if got, want := len(ev.Scores), 2*4*8; got != want {
		t.Errorf("%d scores, want %d (2 scenario sets × 4 estimators × 8 points)", got, want)
	}
}

// An estimate is a function of the events and its time alone: the speed
// fit starts from checkpoints every so many events, not from the previous
// estimate, so the same events give the same estimates however often
// estimates were asked for in between (as the service answers GET eta
// after batches of any size, and estimate live once at the end).
func TestEstimateIndependentOfBatching(t *testing.T) {
	const nn = 20
	c := nodesDrawing(t, 3, nn, 5, `
[[service]]
id = "pod"
instances = 200
start = { dist = "lognormal", median_s = 20, p90_s = 60 }
timeout_s = 90
`)
	p := placement.NewPlan(c)
	r := rand.New(rand.NewPCG(7, 12))
	speed := make([]float64, nn)
	for d := range speed {
		speed[d] = math.Exp(0.5 * r.NormFloat64())
	}
	var evs []placement.Event
	if _, err := placement.Simulate(c, p, placement.SimOptions{Policy: placement.PolicyPlan, Seed: 7, Speed: speed, NoBound: true,
		OnEvent: func(e placement.Event) { evs = append(evs, e) }}); err != nil {
		t.Fatal(err)
	}
	const every, at = 25, 53 // checkpoints every 25 events; compared every 53
	// history estimates after every batch-th event and returns those
	// after every at-th.
	history := func(batch int) []Snapshot {
		l := NewLive(c, p)
		l.fits.every = every
		var out []Snapshot
		for k, e := range evs {
			l.Observe(e)
			if (k+1)%batch == 0 || (k+1)%at == 0 {
				s := l.Estimate(e.TS)
				if (k+1)%at == 0 {
					out = append(out, s)
				}
			}
		}
		l.fits.settle()
		if !l.fits.warm.ok {
			t.Fatalf("%d events: no checkpoint of the fit", len(evs))
		}
		return out
	}
	want := history(at) // only at the moments compared
	if len(want) < 3 {
		t.Fatalf("only %d events", len(evs))
	}
	batches := []int{2, 7}
	if testing.Short() {
		batches = batches[1:] // mutation testing's fast first stage
	}
	for _, batch := range batches {
		if got := history(batch); !reflect.DeepEqual(got, want) {
			for k := range got {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("estimates after every %d events: at event %d ETA %.9g s, estimated only there %.9g s", batch, (k+1)*at, got[k].ETAAllS, want[k].ETAAllS)
					break
				}
			}
		}
	}
}
