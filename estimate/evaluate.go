package estimate

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"blackstart/placement"

	"gonum.org/v1/gonum/stat"
)

// EvaluateOptions set up an accuracy evaluation.
type EvaluateOptions struct {
	Policy string // policy of the simulated recoveries; "plan" when empty
	Runs   int    // simulated recoveries, >= 1
	Seed   uint64 // run k uses seed Seed+k
	// Progress, when set, is called after each run with the runs done and
	// the total, from the calling goroutine.
	Progress func(done, total int)
}

// Progress points at which the estimators are scored: shares of the
// instances up.
var Progress = []float64{0.10, 0.25, 0.50, 0.75}

// Accuracy is how far one estimator's all-up ETA was from the truth at
// one progress point, over the runs: |ETA − actual| / actual remaining.
// An estimator that gave no finite ETA (the RAM baseline with no RAM
// requested anywhere) is infinitely wrong: +Inf, null in JSON. With no
// sample, the errors are NaN (null in JSON).
type Accuracy struct {
	Estimator      string  `json:"estimator"` // "throughput" or "ram"
	Progress       float64 `json:"progress"`
	MedianAbsError float64 `json:"median_abs_error"`
	P90AbsError    float64 `json:"p90_abs_error"`
	Samples        int     `json:"samples"`
}

// MarshalJSON writes non-finite errors as null.
func (a Accuracy) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		Estimator      string   `json:"estimator"`
		Progress       float64  `json:"progress"`
		MedianAbsError *float64 `json:"median_abs_error"`
		P90AbsError    *float64 `json:"p90_abs_error"`
		Samples        int      `json:"samples"`
	}{a.Estimator, a.Progress, num(a.MedianAbsError), num(a.P90AbsError), a.Samples})
}

// Perturbations of one evaluation run, drawn from its seed: a tenth of the
// nodes run at half speed, one node in fifty dies at a random moment of the
// first half of the planned recovery, start times are multiplied by a
// heavy-tailed factor per node (lognormal, sigma 0.5), and in one run out of
// four one tier's nodes stall (a fifth of their speed).
type perturbation struct {
	speed []float64
	dies  []float64
}

func perturb(c *placement.Cluster, p *placement.Plan, seed uint64) perturbation {
	m := c.M
	r := rand.New(rand.NewPCG(seed, 0xe7a1))
	pt := perturbation{speed: make([]float64, len(m.Devices)), dies: make([]float64, len(m.Devices))}
	horizon := p.MakespanS
	stallRole := ""
	if r.IntN(4) == 0 {
		roles := []string{}
		seen := map[string]bool{}
		for _, d := range m.Devices {
			if !seen[d.Role] {
				seen[d.Role] = true
				roles = append(roles, d.Role)
			}
		}
		sort.Strings(roles)
		stallRole = roles[r.IntN(len(roles))]
	}
	for n := range pt.speed {
		s := math.Exp(0.5 * r.NormFloat64())
		if r.Float64() < 0.1 {
			s *= 0.5
		}
		if stallRole != "" && m.Devices[n].Role == stallRole {
			s *= 0.2
		}
		pt.speed[n] = s
		if r.Float64() < 0.02 {
			pt.dies[n] = horizon * 0.5 * r.Float64()
		}
	}
	return pt
}

// Evaluate simulates o.Runs perturbed recoveries, replays each event
// stream into the live throughput estimator and into the RAM baseline, and
// scores both at each progress point.
func Evaluate(c *placement.Cluster, p *placement.Plan, o EvaluateOptions) ([]Accuracy, error) {
	if o.Policy == "" {
		o.Policy = placement.PolicyPlan
	}
	if o.Runs < 1 || o.Runs > MaxRuns {
		return nil, fmt.Errorf("runs must be 1 to %d, got %d", MaxRuns, o.Runs)
	}
	errs := map[string][][]float64{"throughput": make([][]float64, len(Progress)), "ram": make([][]float64, len(Progress))}
	for k := 0; k < o.Runs; k++ {
		seed := o.Seed + uint64(k)
		pt := perturb(c, p, seed)
		var evs []placement.Event
		res, err := placement.Simulate(c, p, placement.SimOptions{Policy: o.Policy, Seed: seed, Speed: pt.speed, DiesAtS: pt.dies,
			OnEvent: func(e placement.Event) { evs = append(evs, e) }})
		if err != nil {
			return nil, err
		}
		actual := res.MakespanS
		l := NewLive(c, p)
		total := len(c.Instances)
		next := 0
		for j, e := range evs {
			l.Observe(e)
			if next >= len(Progress) || e.State != placement.Up {
				continue
			}
			if j+1 < len(evs) && evs[j+1].TS == e.TS {
				continue // score after every event of this instant
			}
			for next < len(Progress) && float64(l.nUp) >= Progress[next]*float64(total) {
				now := e.TS
				remaining := actual - now
				if remaining > 0 {
					s := l.Estimate(now)
					errs["throughput"][next] = append(errs["throughput"][next], math.Abs(s.ETAAllS-actual)/remaining)
					errs["ram"][next] = append(errs["ram"][next], math.Abs(s.RAMETAAllS-actual)/remaining)
				}
				next++
			}
		}
		if o.Progress != nil {
			o.Progress(k+1, o.Runs)
		}
	}
	var out []Accuracy
	for _, est := range []string{"throughput", "ram"} {
		for k, pr := range Progress {
			xs := errs[est][k]
			a := Accuracy{Estimator: est, Progress: pr, Samples: len(xs), MedianAbsError: math.NaN(), P90AbsError: math.NaN()}
			if len(xs) > 0 {
				sort.Float64s(xs)
				a.MedianAbsError = stat.Quantile(0.5, stat.Empirical, xs, nil)
				a.P90AbsError = stat.Quantile(0.9, stat.Empirical, xs, nil)
			}
			out = append(out, a)
		}
	}
	return out, nil
}
