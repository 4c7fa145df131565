package estimate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"blackstart/placement"

	"gonum.org/v1/gonum/stat"
)

// Quantiles are the 10th, 50th and 90th percentiles of a time, seconds.
type Quantiles struct {
	P10 float64 `json:"p10_s"`
	P50 float64 `json:"p50_s"`
	P90 float64 `json:"p90_s"`
}

// quantiles summarizes xs (sorted in place); zero when empty.
func quantiles(xs []float64) Quantiles {
	if len(xs) == 0 {
		return Quantiles{}
	}
	sort.Float64s(xs)
	q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, xs, nil) }
	return Quantiles{P10: q(0.1), P50: q(0.5), P90: q(0.9)}
}

// PlannedOptions set up a planned ETA.
type PlannedOptions struct {
	Policy string // placement policy to simulate; "plan" when empty
	Runs   int    // Monte-Carlo runs, >= 1
	Seed   uint64 // run k uses seed Seed+k
	// SlowSigma is the spread of node speeds: each run draws every node's
	// speed as exp(SlowSigma·Z), Z standard normal (0: every node nominal).
	SlowSigma float64
	// Progress, when set, is called after each run with the runs done and
	// the total, from the calling goroutine.
	Progress func(done, total int)
	// Stop, when set, is polled before each run; once it returns true
	// Planned ends early and returns ErrStopped.
	Stop func() bool
}

// MaxRuns bounds the runs of a planned ETA and of an accuracy evaluation.
const MaxRuns = 10_000

// ErrStopped is returned by Planned when its Stop function ended it.
var ErrStopped = errors.New("planned ETA stopped")

// DefaultSlowSigma spreads node speeds by about ±20 % (one sigma).
const DefaultSlowSigma = 0.2

// TierETA is when one restart tier is fully up.
type TierETA struct {
	Tier int       `json:"tier"`
	UpS  Quantiles `json:"up"`
}

// PlannedETA is the distribution of recovery times over the runs.
type PlannedETA struct {
	Policy    string    `json:"policy"`
	Runs      int       `json:"runs"`
	Seed      uint64    `json:"seed"`
	AllUpS    Quantiles `json:"all_up"`    // every placed instance up
	NinetyUpS Quantiles `json:"ninety_up"` // 90 % of the placed instances up
	Tiers     []TierETA `json:"tiers"`
	// NeverUp is the largest number of instances a run left down (gave up
	// after its attempts); their runs count the last instance that did
	// come up.
	NeverUp int `json:"never_up_max"`
}

// Planned simulates the recovery o.Runs times, each with its own seed
// (start durations) and node speeds, and summarizes when everything, 90 %,
// and each tier is up.
func Planned(c *placement.Cluster, p *placement.Plan, o PlannedOptions) (PlannedETA, error) {
	if o.Policy == "" {
		o.Policy = placement.PolicyPlan
	}
	if o.Runs < 1 || o.Runs > MaxRuns {
		return PlannedETA{}, fmt.Errorf("runs must be 1 to %d, got %d", MaxRuns, o.Runs)
	}
	if o.SlowSigma < 0 || math.IsNaN(o.SlowSigma) {
		return PlannedETA{}, fmt.Errorf("node speed spread must be >= 0, got %g", o.SlowSigma)
	}
	m := c.M
	tierOf := make([]int, len(c.Instances))
	maxTier := 0
	for i, in := range c.Instances {
		tierOf[i] = m.Services[in.Service].Tier
		maxTier = max(maxTier, tierOf[i])
	}
	var all, ninety []float64
	tiers := make([][]float64, maxTier+1)
	out := PlannedETA{Policy: o.Policy, Runs: o.Runs, Seed: o.Seed}
	for k := 0; k < o.Runs; k++ {
		if o.Stop != nil && o.Stop() {
			return PlannedETA{}, ErrStopped
		}
		seed := o.Seed + uint64(k)
		speed := make([]float64, len(m.Devices))
		r := rand.New(rand.NewPCG(seed, 0x51075))
		for n := range speed {
			speed[n] = math.Exp(o.SlowSigma * r.NormFloat64())
		}
		res, err := placement.Simulate(c, p, placement.SimOptions{Policy: o.Policy, Seed: seed, Speed: speed})
		if err != nil {
			return PlannedETA{}, err
		}
		if o.Progress != nil {
			o.Progress(k+1, o.Runs)
		}
		out.NeverUp = max(out.NeverUp, res.NeverUp)
		var ups []float64
		tierUp := make([]float64, maxTier+1)
		for i, t := range res.UpS {
			if t >= 0 {
				ups = append(ups, t)
				tierUp[tierOf[i]] = max(tierUp[tierOf[i]], t)
			}
		}
		if len(ups) == 0 {
			continue
		}
		sort.Float64s(ups)
		all = append(all, ups[len(ups)-1])
		placed := len(c.Instances) - len(res.Unplaced)
		k90 := int(math.Ceil(0.9*float64(placed))) - 1
		if k90 >= 0 && k90 < len(ups) {
			ninety = append(ninety, ups[k90])
		}
		for t, v := range tierUp {
			if v > 0 {
				tiers[t] = append(tiers[t], v)
			}
		}
	}
	out.AllUpS = quantiles(all)
	out.NinetyUpS = quantiles(ninety)
	for t, xs := range tiers {
		if len(xs) > 0 {
			out.Tiers = append(out.Tiers, TierETA{Tier: t, UpS: quantiles(xs)})
		}
	}
	return out, nil
}
