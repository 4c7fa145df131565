package estimate

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"

	"blackstart/placement"

	"gonum.org/v1/gonum/stat"
)

// EvaluateOptions set up an accuracy evaluation.
type EvaluateOptions struct {
	Policy string // policy of the simulated recoveries; "plan" when empty
	Runs   int    // simulated recoveries per scenario set, 1 to MaxRuns
	Seed   uint64 // run k of each set uses seed Seed+k
	// Replays is how many continuations the replay reference simulates
	// at each scoring moment; DefaultReplays when 0, at most MaxReplays.
	Replays int
	// Bootstrap is how many resamples of the runs the 95 % intervals are
	// drawn from; DefaultBootstrap when 0, at most MaxBootstrap.
	Bootstrap int
	// SpeedsKnown adds a diagnostic estimator, EstimatorSpeedsKnown: the
	// throughput estimate given every node's true speed. It runs a second
	// live estimator per run (projecting, not fitting), so the evaluation
	// takes longer: 13 % on 50 runs of the platform.
	SpeedsKnown bool
	// Progress, when set, is called after each run with the runs done and
	// the total (2 × Runs: both scenario sets), from the calling goroutine.
	Progress func(done, total int)
}

// Defaults and bounds of EvaluateOptions.
const (
	DefaultReplays   = Samples // as many as the throughput estimate projects
	DefaultBootstrap = 1000
	MaxReplays       = 10_000 // continuations per scoring moment
	MaxBootstrap     = 100_000
)

// withDefaults returns o with its defaults filled in (policy "plan",
// DefaultReplays, DefaultBootstrap), or an error naming the first count
// out of its bounds (runs 1 to MaxRuns, replays to MaxReplays, bootstrap
// resamples to MaxBootstrap, each bound included).
func (o EvaluateOptions) withDefaults() (EvaluateOptions, error) {
	if o.Policy == "" {
		o.Policy = placement.PolicyPlan
	}
	if o.Runs < 1 || o.Runs > MaxRuns {
		return o, fmt.Errorf("runs must be 1 to %d, got %d", MaxRuns, o.Runs)
	}
	if o.Replays <= 0 {
		o.Replays = DefaultReplays
	}
	if o.Bootstrap <= 0 {
		o.Bootstrap = DefaultBootstrap
	}
	if o.Replays > MaxReplays {
		return o, fmt.Errorf("replays must be 1 to %d, got %d", MaxReplays, o.Replays)
	}
	if o.Bootstrap > MaxBootstrap {
		return o, fmt.Errorf("bootstrap resamples must be at most %d, got %d", MaxBootstrap, o.Bootstrap)
	}
	return o, nil
}

// Scenario sets an evaluation scores.
const (
	// ScenarioPerturbed: each run perturbs the recovery (see perturb).
	ScenarioPerturbed = "perturbed"
	// ScenarioCalm: nothing goes wrong; start durations are still drawn.
	ScenarioCalm = "calm"
)

// Estimators an evaluation scores.
const (
	// EstimatorThroughput is the live throughput estimate (Live).
	EstimatorThroughput = "throughput"
	// EstimatorRAM is the RAM baseline's linear extrapolation (RAM).
	EstimatorRAM = "ram"
	// EstimatorReplay is the reference of a perfect estimator: the rest
	// of the run simulated from its true state (true node speeds and
	// deaths, what is up, running and backing off) with start durations
	// from an independent seed (placement.Replay); the ETA is the median
	// of the continuations, the band their 10th to 90th percentile.
	EstimatorReplay = "replay"
	// EstimatorClimatology is the reference that knows nothing of the
	// run: the median finish of the other runs of its scenario set
	// (leave-one-out, so never the seed it scores), the band their 10th
	// to 90th percentile; never before now.
	EstimatorClimatology = "climatology"
	// EstimatorSpeedsKnown is a diagnostic, scored only when asked for
	// (EvaluateOptions.SpeedsKnown): the throughput estimate of the same
	// events and seed given every node's true speed (Live.SetKnownSpeeds;
	// nominal in the calm set), still blind to deaths and to the start
	// durations to come. Its gap to EstimatorThroughput is the error that
	// estimating node speeds costs; its gap to EstimatorReplay what the
	// projection's model and its nine draws cost.
	EstimatorSpeedsKnown = "speeds_known"
)

// Kinds of progress point.
const (
	PointInstances = "instances" // a share of the instances is up
	PointDuration  = "duration"  // a share of the run's actual duration has passed
)

// Progress points at which the estimators are scored: shares of the
// instances up, and shares of the actual duration.
var Progress = []float64{0.10, 0.25, 0.50, 0.75}

// BandLevel is the nominal coverage of the throughput estimate's band
// (its projections' 10th to 90th percentile) and of the references'.
const BandLevel = 0.80

// Interval is a figure and its bootstrap 95 % interval (percentile
// method, the runs resampled). NaN (null in JSON) when there is no
// sample; +Inf (null) when an estimator gave no finite ETA.
type Interval struct {
	Value, Low, High float64
}

// MarshalJSON writes {"value", "ci95_low", "ci95_high"} rounded to 4
// decimals (as the CSV shows them), non-finite as null.
func (v Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Value *float64 `json:"value"`
		Low   *float64 `json:"ci95_low"`
		High  *float64 `json:"ci95_high"`
	}{roundedPtr(v.Value, 4), roundedPtr(v.Low, 4), roundedPtr(v.High, 4)})
}

// Score is how one estimator's all-up ETA fared at one progress point of
// one scenario set, over its runs. Errors are relative to the actual
// remaining time: (ETA − actual) / (actual − now), positive when late
// (the ETA after the actual finish).
type Score struct {
	Scenario  string  `json:"scenario"`  // ScenarioPerturbed or ScenarioCalm
	Estimator string  `json:"estimator"` // EstimatorThroughput, …
	Point     string  `json:"point"`     // PointInstances or PointDuration
	Progress  float64 `json:"progress"`  // share of instances up, or of the duration passed
	Samples   int     `json:"samples"`   // runs scored (a run whose recovery ended before the point has none)
	// MedianAbsError and P90AbsError: median and 90th percentile of
	// |ETA − actual| / actual remaining.
	MedianAbsError Interval `json:"median_abs_error"`
	P90AbsError    Interval `json:"p90_abs_error"`
	// MedianSignedError is the bias: the median of (ETA − actual) /
	// actual remaining; negative when early.
	MedianSignedError Interval `json:"median_signed_error"`
	// Coverage is the share of runs whose actual finish lies in the
	// band; NaN (null) for an estimator without one (RAM).
	Coverage Interval `json:"coverage"`
	// NominalCoverage is the band's nominal level (BandLevel); 0 without one.
	NominalCoverage float64 `json:"nominal_coverage"`
}

// Evaluation is the accuracy of the estimators and references over two
// scenario sets of simulated recoveries.
type Evaluation struct {
	Policy  string `json:"policy"`
	Runs    int    `json:"runs"` // per scenario set
	Seed    uint64 `json:"seed"`
	Replays int    `json:"replays"`
	// SpeedsKnown: the scores include EstimatorSpeedsKnown's.
	SpeedsKnown bool    `json:"speeds_known"`
	Scores      []Score `json:"scores"`
}

// Find returns the score of (scenario, estimator, point, progress), nil
// when there is none.
func (e *Evaluation) Find(scenario, estimator, point string, progress float64) *Score {
	for k := range e.Scores {
		s := &e.Scores[k]
		if s.Scenario == scenario && s.Estimator == estimator && s.Point == point && s.Progress == progress {
			return s
		}
	}
	return nil
}

// Perturbations of one evaluation run, drawn from its seed: node start
// speeds spread lognormal (σ 0.5), a tenth of the nodes at half speed,
// in one run out of four one role's nodes stalled (a fifth of their
// speed), and one node in fifty dying: at a moment drawn uniformly in the
// first half of the run (the perturbed recovery's duration without the
// deaths), so mid-recovery.
type perturbation struct {
	speed []float64
	// dieAt is, per node, the moment it dies as a share of the duration
	// (in [0, 0.5)); -1 when it does not.
	dieAt []float64
}

func perturb(c *placement.Cluster, seed uint64) perturbation {
	m := c.M
	r := rand.New(rand.NewPCG(seed, 0xe7a1))
	pt := perturbation{speed: make([]float64, len(m.Devices)), dieAt: make([]float64, len(m.Devices))}
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
		pt.dieAt[n] = -1
		if r.Float64() < 0.02 {
			pt.dieAt[n] = 0.5 * r.Float64()
		}
	}
	return pt
}

// diesAt is each node's death time for a run lasting durationS, s (0: it
// does not die).
func (pt perturbation) diesAt(durationS float64) []float64 {
	out := make([]float64, len(pt.dieAt))
	for n, f := range pt.dieAt {
		if f >= 0 {
			out[n] = max(f*durationS, 1e-3)
		}
	}
	return out
}

// moment is one scoring moment of a run: every estimator's ETA of all up
// and its band, s.
type moment struct {
	point  int // index into points
	now    float64
	eta    [nEstimators]float64
	lo, hi [nEstimators]float64
}

// The estimators in the order an evaluation keeps them (the diagnostic
// last: the others' bootstrap seeds are those of their index).
var estimators = [...]string{EstimatorThroughput, EstimatorRAM, EstimatorReplay, EstimatorClimatology, EstimatorSpeedsKnown}

const nEstimators = len(estimators)

// points are the scoring points: the instance shares, then the duration
// shares.
type pointDef struct {
	kind     string
	progress float64
}

func points() []pointDef {
	var out []pointDef
	for _, k := range []string{PointInstances, PointDuration} {
		for _, p := range Progress {
			out = append(out, pointDef{k, p})
		}
	}
	return out
}

// runResult is one run of a scenario set.
type runResult struct {
	actual  float64
	moments []moment
}

// Evaluate simulates o.Runs recoveries in each scenario set (perturbed
// and calm), replays each event stream into the live throughput
// estimator and into the RAM baseline, computes the two references, and
// scores all four at every progress point: the median and p90 of the
// absolute relative error, the median signed error (bias) and the
// band's coverage, each with a bootstrap 95 % interval. Runs are spread
// over the processors; the result is the same whatever their number.
func Evaluate(c *placement.Cluster, p *placement.Plan, o EvaluateOptions) (*Evaluation, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if p == nil {
		p = placement.NewPlan(c)
	}
	ev := &Evaluation{Policy: o.Policy, Runs: o.Runs, Seed: o.Seed, Replays: o.Replays, SpeedsKnown: o.SpeedsKnown}
	done := 0 // runs done over both sets
	for _, scen := range []string{ScenarioPerturbed, ScenarioCalm} {
		runs := make([]runResult, o.Runs)
		errs := make([]error, o.Runs)
		var wg sync.WaitGroup
		next := make(chan int)
		finished := make(chan struct{})
		for w := 0; w < min(runtime.GOMAXPROCS(0), o.Runs); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range next {
					runs[k], errs[k] = evaluateRun(c, p, o, scen, o.Seed+uint64(k))
					finished <- struct{}{}
				}
			}()
		}
		// The calling goroutine hands out the runs and counts those done,
		// so that Progress is called from it.
		for sent, got := 0, 0; got < o.Runs; {
			var send chan int
			if sent < o.Runs {
				send = next
			}
			select {
			case send <- sent:
				sent++
				if sent == o.Runs {
					close(next)
				}
			case <-finished:
				got++
				done++
				if o.Progress != nil {
					o.Progress(done, 2*o.Runs)
				}
			}
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		climatology(runs)
		ev.Scores = append(ev.Scores, score(scen, runs, o)...)
	}
	return ev, nil
}

// evaluateRun simulates one recovery of the scenario set and records the
// ETAs of the throughput estimate, the RAM baseline and the replay at
// every progress point.
func evaluateRun(c *placement.Cluster, p *placement.Plan, o EvaluateOptions, scen string, seed uint64) (runResult, error) {
	so := placement.SimOptions{Policy: o.Policy, Seed: seed, NoBound: true}
	if scen == ScenarioPerturbed {
		pt := perturb(c, seed)
		so.Speed = pt.speed
		// The deaths fall in the first half of the run: of the perturbed
		// recovery without them.
		res, err := placement.Simulate(c, p, so)
		if err != nil {
			return runResult{}, err
		}
		so.DiesAtS = pt.diesAt(res.MakespanS)
	}
	var evs []placement.Event
	so.OnEvent = func(e placement.Event) { evs = append(evs, e) }
	res, err := placement.Simulate(c, p, so)
	if err != nil {
		return runResult{}, err
	}
	so.OnEvent = nil
	rr := runResult{actual: res.MakespanS}
	if rr.actual <= 0 {
		return rr, nil
	}
	total := len(c.Instances)
	l := NewLive(c, p)
	l.SetRetry(placement.Retry{MaxAttempts: so.MaxAttempts, BackoffS: so.BackoffS})
	l.SetSeed(seed) // each run its own draws, as each incident has (see SetSeed)
	var known *Live // the diagnostic given the true speeds, when asked for
	if o.SpeedsKnown {
		known = NewLive(c, p)
		known.SetRetry(placement.Retry{MaxAttempts: so.MaxAttempts, BackoffS: so.BackoffS})
		known.SetSeed(seed)
		speed := so.Speed
		if speed == nil {
			speed = make([]float64, len(c.M.Devices))
			for d := range speed {
				speed[d] = 1
			}
		}
		if err := known.SetKnownSpeeds(speed); err != nil {
			return rr, err
		}
	}
	record := func(k int, now float64) {
		s := l.Estimate(now)
		m := moment{point: k, now: now}
		m.eta[0], m.lo[0], m.hi[0] = s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS
		m.eta[1], m.lo[1], m.hi[1] = s.RAMETAAllS, math.NaN(), math.NaN()
		m.eta[4], m.lo[4], m.hi[4] = math.NaN(), math.NaN(), math.NaN()
		if known != nil {
			s := known.Estimate(now)
			m.eta[4], m.lo[4], m.hi[4] = s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS
		}
		rr.moments = append(rr.moments, m)
	}
	nextInst, nextDur := 0, 0 // next instance point; next duration point
	durAt := func(k int) float64 { return Progress[k] * rr.actual }
	for j, e := range evs {
		for nextDur < len(Progress) && durAt(nextDur) < e.TS {
			record(len(Progress)+nextDur, durAt(nextDur))
			nextDur++
		}
		l.Observe(e)
		if known != nil {
			known.Observe(e)
		}
		if nextInst >= len(Progress) {
			continue
		}
		if j+1 < len(evs) && evs[j+1].TS == e.TS {
			continue // score after every event of this instant (the last may be a start)
		}
		for nextInst < len(Progress) && float64(l.nUp) >= Progress[nextInst]*float64(total) {
			if e.TS < rr.actual {
				record(nextInst, e.TS)
			}
			nextInst++
		}
	}
	// The replays, at every moment in time order.
	slices.SortStableFunc(rr.moments, func(a, b moment) int {
		switch {
		case a.now < b.now:
			return -1
		case a.now > b.now:
			return 1
		}
		return 0
	})
	at := make([]float64, len(rr.moments))
	for k, m := range rr.moments {
		at[k] = m.now
	}
	fins, err := placement.Replay(c, p, so, at, o.Replays, seed^0x4e91a7)
	if err != nil {
		return rr, err
	}
	for k := range rr.moments {
		q := quantiles(fins[k])
		m := &rr.moments[k]
		m.eta[2], m.lo[2], m.hi[2] = q.P50, q.P10, q.P90
	}
	return rr, nil
}

// climatology sets each run's climatology ETA: the median finish of the
// other runs (their 10th to 90th percentile the band), never before now.
func climatology(runs []runResult) {
	others := make([]float64, 0, len(runs))
	for k := range runs {
		others = others[:0]
		for j := range runs {
			if j != k {
				others = append(others, runs[j].actual)
			}
		}
		q := Quantiles{P10: math.NaN(), P50: math.NaN(), P90: math.NaN()}
		if len(others) > 0 {
			q = quantiles(others)
		}
		for i := range runs[k].moments {
			m := &runs[k].moments[i]
			m.eta[3], m.lo[3], m.hi[3] = max(q.P50, m.now), max(q.P10, m.now), max(q.P90, m.now)
		}
	}
}

// score summarizes the runs of one scenario set.
func score(scen string, runs []runResult, o EvaluateOptions) []Score {
	pts := points()
	var out []Score
	for e, est := range estimators {
		if est == EstimatorSpeedsKnown && !o.SpeedsKnown {
			continue
		}
		for k, pt := range pts {
			var abs, signed, cover []float64
			for _, r := range runs {
				for _, m := range r.moments {
					if m.point != k {
						continue
					}
					rem := r.actual - m.now
					d := (m.eta[e] - r.actual) / rem
					if math.IsInf(m.eta[e], 1) {
						d = math.Inf(1)
					}
					abs = append(abs, math.Abs(d))
					signed = append(signed, d)
					if !math.IsNaN(m.lo[e]) {
						cover = append(cover, b2f(m.lo[e] <= r.actual && r.actual <= m.hi[e]))
					}
				}
			}
			s := Score{Scenario: scen, Estimator: est, Point: pt.kind, Progress: pt.progress, Samples: len(abs)}
			seed := o.Seed ^ uint64(e)<<40 ^ uint64(k)<<32
			s.MedianAbsError = bootstrap(abs, func(xs []float64) float64 { return quantile(xs, 0.5) }, o.Bootstrap, seed)
			s.P90AbsError = bootstrap(abs, func(xs []float64) float64 { return quantile(xs, 0.9) }, o.Bootstrap, seed+1)
			s.MedianSignedError = bootstrap(signed, func(xs []float64) float64 { return quantile(xs, 0.5) }, o.Bootstrap, seed+2)
			s.Coverage = Interval{math.NaN(), math.NaN(), math.NaN()}
			if len(cover) > 0 {
				s.Coverage = bootstrap(cover, mean, o.Bootstrap, seed+3)
				s.NominalCoverage = BandLevel
			}
			out = append(out, s)
		}
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func mean(xs []float64) float64 { return stat.Mean(xs, nil) }

// quantile is the q-quantile of xs (empirical, as gonum's stat.Quantile
// takes it); it sorts xs. NaN when empty.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Float64s(xs)
	return stat.Quantile(q, stat.Empirical, xs, nil)
}

// bootstrap is f of xs with its 95 % percentile-bootstrap interval over n
// resamples drawn from seed.
func bootstrap(xs []float64, f func([]float64) float64, n int, seed uint64) Interval {
	if len(xs) == 0 {
		return Interval{math.NaN(), math.NaN(), math.NaN()}
	}
	v := Interval{Value: f(slices.Clone(xs))}
	r := rand.New(rand.NewPCG(seed, 0xb0075))
	stats := make([]float64, n)
	buf := make([]float64, len(xs))
	for b := range stats {
		for j := range buf {
			buf[j] = xs[r.IntN(len(xs))]
		}
		stats[b] = f(buf)
	}
	v.Low, v.High = quantile(stats, 0.025), quantile(stats, 0.975)
	return v
}
