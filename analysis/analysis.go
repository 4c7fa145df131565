package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"blackstart/diff"
	"blackstart/estimate"
	"blackstart/placement"
	"blackstart/power"
	"blackstart/topology"
)

// ErrInvalid marks an option or a model the analysis cannot run on (a bad
// input, not a failure): the CLI exits 2, the API answers 400 or 422.
var ErrInvalid = errors.New("invalid analysis input")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Message returns err's text without the ErrInvalid prefix.
func Message(err error) string {
	return strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
}

// WriteJSON writes v as the CLI's --format json does: indented by two
// spaces, one trailing newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Network builds the power network of m on basis; a model without power
// elements has nothing to analyse (ErrInvalid).
func Network(m *topology.Model, basis power.Basis) (*power.Network, error) {
	if len(m.Elements) == 0 {
		return nil, invalid("%s: the model has no power elements (sources, breakers, circuits…) to analyse", strings.Join(m.Files, " + "))
	}
	return power.NewNetwork(m, basis), nil
}

// CheckHorizon reports whether h is a usable cascade horizon, seconds.
func CheckHorizon(h float64) error {
	if !(h > 0) || math.IsInf(h, 0) {
		return invalid("--horizon must be a finite number of seconds > 0, got %g", h)
	}
	return nil
}

// FailoverOptions choose what Failover runs.
type FailoverOptions struct {
	HorizonS float64 // cascade horizon, seconds, finite and > 0
	// Fail lists the element ids (or DEVICE/psuN, at most one PSU) failed
	// together in one scenario; empty runs the N-1 sweep.
	Fail []string
	// All keeps every scenario of the sweep, not only the risky ones.
	All bool
	// Keep, when set, overrides which scenarios of the sweep are held and
	// written (the CLI's table also shows those that overload something).
	Keep func(*power.Scenario) bool
	// Progress, when set, is called as the sweep advances (see
	// power.SweepOptions).
	Progress func(done, total int)
	// Stop, when set, is polled during the sweep; once it returns true the
	// sweep ends early and Failover returns ErrStopped.
	Stop func() bool
	// Readings, when set, says n draws each device's measured p95 over
	// this window of readings (the measured basis with a database): the
	// sweep's JSON then starts with readings_window and draws (which
	// devices drew which figure).
	Readings *ReadingsWindow
}

// ReadingsWindow is the window of measured readings a metered network's
// draws come from: readings at Unix times in (StartMS, EndMS],
// milliseconds (EndMS is 0 when the database holds no readings).
type ReadingsWindow struct {
	StartMS int64 `json:"start_ms"` // exclusive, Unix ms
	EndMS   int64 `json:"end_ms"`   // inclusive, Unix ms
}

// ErrStopped is returned by an analysis its Stop function ended.
var ErrStopped = errors.New("analysis stopped")

// FailoverResult is one failover scenario or the whole sweep.
type FailoverResult struct {
	// Scenario is the one scenario run, when FailoverOptions.Fail named
	// failures; nil for a sweep.
	Scenario *power.Scenario
	// Sweep is the sweep holding the scenarios kept (the risky ones unless
	// All or Keep say otherwise; the summary counts them all), with the
	// workload instances on dark devices; nil for one scenario.
	Sweep *power.SweepReport
	// Readings is FailoverOptions.Readings, and Draws the network's draw
	// sources (which devices drew a measured p95, which fell back), when
	// the network is metered; both nil otherwise.
	Readings *ReadingsWindow
	Draws    []power.DrawSource
	keep     func(*power.Scenario) bool
}

// Risky reports whether any failure ends in a trip or dark load (the CLI
// exits 3; the API still answers 200).
func (f *FailoverResult) Risky() bool {
	if f.Scenario != nil {
		return f.Scenario.Risky
	}
	return f.Sweep.Summary.RiskyScenarios > 0
}

// CannotJudge reports whether the sweep found racks the model cannot
// support a judgement of (the CLI exits 4 when nothing is risky).
func (f *FailoverResult) CannotJudge() bool {
	return f.Sweep != nil && f.Sweep.Summary.CannotJudgeRacks > 0
}

// WriteJSON writes the result as power failover --format json does.
func (f *FailoverResult) WriteJSON(w io.Writer) error {
	if f.Scenario != nil {
		return WriteJSON(w, f.Scenario)
	}
	if f.Readings == nil {
		return f.Sweep.WriteJSON(w, f.keep)
	}
	// The sweep's object with two more keys first.
	head, err := json.Marshal(struct {
		Window *ReadingsWindow    `json:"readings_window"`
		Draws  []power.DrawSource `json:"draws"`
	}{f.Readings, f.Draws})
	if err != nil {
		return err
	}
	// {"readings_window":…,"draws":[…]} + "," + the sweep's object without its "{".
	if _, err := w.Write(append(head[:len(head)-1], ",\n"...)); err != nil {
		return err
	}
	return f.Sweep.WriteJSON(&skipFirst{w: w}, f.keep)
}

// skipFirst drops the first byte written through it.
type skipFirst struct {
	w       io.Writer
	skipped bool
}

func (s *skipFirst) Write(p []byte) (int, error) {
	if !s.skipped && len(p) > 0 {
		s.skipped = true
		n, err := s.w.Write(p[1:])
		return n + 1, err
	}
	return s.w.Write(p)
}

// Keep returns which scenarios the sweep holds.
func (f *FailoverResult) Keep() func(*power.Scenario) bool { return f.keep }

// Failover runs one scenario (o.Fail) or the N-1 sweep of n, and lists in
// each dark set the workload instances the restart plan puts on the dark
// devices (the plan is made beside the sweep).
func Failover(m *topology.Model, n *power.Network, o FailoverOptions) (*FailoverResult, error) {
	if err := CheckHorizon(o.HorizonS); err != nil {
		return nil, err
	}
	var draws []power.DrawSource
	if o.Readings != nil {
		draws = n.DrawSources()
	}
	if len(o.Fail) > 0 {
		sc, err := Scenario(m, n, o.Fail, o.HorizonS)
		if err != nil {
			return nil, err
		}
		if len(sc.Dark.Devices) > 0 || len(sc.Certain.Dark.Devices) > 0 {
			if h := hosting(n); h != nil {
				h.FillDark(&sc)
			}
		}
		return &FailoverResult{Scenario: &sc, Readings: o.Readings, Draws: draws}, nil
	}
	keep := o.Keep
	if keep == nil {
		keep = func(sc *power.Scenario) bool { return sc.Risky }
		if o.All {
			keep = func(*power.Scenario) bool { return true }
		}
	}
	so := power.SweepOptions{HorizonS: o.HorizonS, Progress: o.Progress, Stop: o.Stop, Keep: keep}
	if o.All && o.Keep == nil {
		so.Keep = nil // every scenario: the sweep lists each one's pickups as it runs it
	}
	rep := n.Sweep(so)
	if rep.Stopped {
		return nil, ErrStopped
	}
	// Name the instances on dark devices where they are written: the kept
	// scenarios that are not a PSU fault's copy of another. The plan that
	// says where instances run is made after the sweep, not beside it, and
	// only when a kept scenario darkens a device: the sweep's and the
	// plan's working memory are never held together (on the largest
	// generated site under 10 MB that halves the peak above the model,
	// 390 MB to 200 MB), and a site without dark load plans nothing.
	var h *placement.Hosting
	for i := range rep.Scenarios {
		sc := &rep.Scenarios[i]
		if sc.SameAs == "" && (len(sc.Dark.Devices) > 0 || len(sc.Certain.Dark.Devices) > 0) {
			if h == nil {
				if h = hosting(n); h == nil {
					break
				}
			}
			h.FillDark(sc)
		}
	}
	return &FailoverResult{Sweep: &rep, Readings: o.Readings, Draws: draws, keep: keep}, nil
}

// hosting makes the restart plan that says which instances run on which
// device of n's model (nil when the model has no workloads).
func hosting(n *power.Network) *placement.Hosting {
	if len(n.M.Services) == 0 {
		return nil
	}
	return placement.NewHosting(placement.NewClusterOn(n))
}

// Scenario resolves fail ids (elements or DEVICE/psuN, at most one PSU)
// and runs them as one scenario with its cascade over horizon seconds.
func Scenario(m *topology.Model, n *power.Network, ids []string, horizon float64) (power.Scenario, error) {
	var fail []int32
	psuDev, psuK := int32(-1), int32(-1)
	for _, id := range ids {
		if e, ok := m.ElementIndex(id); ok {
			fail = append(fail, int32(e))
			continue
		}
		if dev, psu, ok := strings.Cut(id, "/psu"); ok {
			d, okd := m.DeviceIndex(dev)
			k, err := strconv.Atoi(psu)
			if okd && err == nil && k >= 1 && k <= len(m.Devices[d].Feeds) {
				if psuDev >= 0 {
					return power.Scenario{}, invalid("--fail: only one PSU fault per scenario, got %q and %q", power.PSUName(m, int(psuDev), int(psuK)), id)
				}
				psuDev, psuK = int32(d), int32(k-1)
				continue
			}
		}
		return power.Scenario{}, invalid("--fail %q: no such element or PSU (write an element id, or DEVICE/psuN)", id)
	}
	s := power.NewSim(n)
	return s.Run(fail, psuDev, psuK, horizon), nil
}

// CheckPolicy reports whether p names a restart policy.
func CheckPolicy(p string) error {
	for _, x := range placement.Policies {
		if p == x {
			return nil
		}
	}
	return invalid("--policy must be plan, stale, random or p2c, got %q", p)
}

// ETAOptions choose a planned ETA.
type ETAOptions struct {
	Policy string // restart policy of the simulated recoveries; plan when ""
	Runs   int    // Monte-Carlo runs, >= 1
	Seed   uint64 // run k uses Seed+k
	// Progress, when set, is called after each run with the runs done and
	// the total, from the calling goroutine.
	Progress func(done, total int)
	// Stop, when set, is polled before each run; once it returns true
	// PlannedETA ends early and returns ErrStopped.
	Stop func() bool
}

// PlannedETA is the planned ETA (estimate plan) of the model's restart
// plan: o.Runs simulated recoveries (1 to estimate.MaxRuns), node speeds
// spread by estimate.DefaultSlowSigma; times rounded to 0.1 s, as every
// output shows them.
func PlannedETA(m *topology.Model, o ETAOptions) (estimate.PlannedETA, error) {
	if o.Policy != "" {
		if err := CheckPolicy(o.Policy); err != nil {
			return estimate.PlannedETA{}, err
		}
	}
	if o.Runs < 1 || o.Runs > estimate.MaxRuns {
		return estimate.PlannedETA{}, invalid("--runs must be 1 to %d, got %d", estimate.MaxRuns, o.Runs)
	}
	if err := Workloads(m); err != nil {
		return estimate.PlannedETA{}, err
	}
	cl := placement.NewCluster(m)
	e, err := estimate.Planned(cl, placement.NewPlan(cl), estimate.PlannedOptions{Policy: o.Policy, Runs: o.Runs, Seed: o.Seed,
		SlowSigma: estimate.DefaultSlowSigma, Progress: o.Progress, Stop: o.Stop})
	if errors.Is(err, estimate.ErrStopped) {
		return estimate.PlannedETA{}, ErrStopped
	}
	if err != nil {
		return estimate.PlannedETA{}, invalid("%v", err)
	}
	return roundPlanned(e), nil
}

// roundPlanned rounds a planned ETA's times to 0.1 s, as the CSV and the
// table show them.
func roundPlanned(e estimate.PlannedETA) estimate.PlannedETA {
	q := func(x estimate.Quantiles) estimate.Quantiles {
		return estimate.Quantiles{P10: R1(x.P10), P50: R1(x.P50), P90: R1(x.P90)}
	}
	e.AllUpS, e.NinetyUpS = q(e.AllUpS), q(e.NinetyUpS)
	tiers := make([]estimate.TierETA, len(e.Tiers))
	for k, t := range e.Tiers {
		tiers[k] = estimate.TierETA{Tier: t.Tier, UpS: q(t.UpS)}
	}
	e.Tiers = tiers
	return e
}

// RevisionLabel names a stored revision in a diff: "MODEL@SEQ HASH12".
func RevisionLabel(model string, seq int, sha string) string {
	return fmt.Sprintf("%s@%d %s", model, seq, sha[:min(12, len(sha))])
}

// Diff answers "what did this change do" (blackstart diff): the element
// diff and the analysis diff of two models, each side labelled (files or
// RevisionLabel).
func Diff(old, new *topology.Model, oldLabel, newLabel string, basis power.Basis, horizonS float64) (diff.Report, error) {
	return DiffUntil(old, new, oldLabel, newLabel, basis, horizonS, nil)
}

// DiffUntil is Diff with a stop function, polled by both sides' sweeps
// before each scenario; once it returns true the diff ends early with
// ErrStopped.
func DiffUntil(old, new *topology.Model, oldLabel, newLabel string, basis power.Basis, horizonS float64, stop func() bool) (diff.Report, error) {
	if err := CheckHorizon(horizonS); err != nil {
		return diff.Report{}, err
	}
	for _, s := range []struct {
		m     *topology.Model
		label string
	}{{old, oldLabel}, {new, newLabel}} {
		if len(s.m.Elements) == 0 {
			return diff.Report{}, invalid("diff: %s has no power elements to analyse", s.label)
		}
	}
	rep := diff.Compare(old, new, diff.Options{Basis: basis, HorizonS: horizonS, Stop: stop})
	if rep.Analysis.Stopped {
		return diff.Report{}, ErrStopped
	}
	rep.Old, rep.New = oldLabel, newLabel
	return rep, nil
}

// LoadResult is power load's answer: the load report (as selected), and
// with a metered network the readings window and the draw sources.
type LoadResult struct {
	Report   power.LoadReport
	Readings *ReadingsWindow    // nil unless the network is metered
	Draws    []power.DrawSource // nil unless the network is metered
}

// Load computes the load of every element and rack side of n in normal
// operation and selects from it as o says (a rack that does not exist is
// ErrInvalid). readings, when set, is the window n's measured draws come
// from.
func Load(n *power.Network, o power.LoadOptions, readings *ReadingsWindow) (*LoadResult, error) {
	if o.Worst < 0 {
		return nil, invalid("--worst must be >= 0, got %d", o.Worst)
	}
	rep, err := n.Select(n.Load(), o)
	if err != nil {
		return nil, invalid("--rack: %v", err)
	}
	res := &LoadResult{Report: rep, Readings: readings}
	if readings != nil {
		res.Draws = n.DrawSources()
	}
	return res, nil
}

// WriteJSON writes the result as power load --format json does: the
// report, with readings_window first when the network is metered.
func (l *LoadResult) WriteJSON(w io.Writer) error {
	if l.Readings == nil {
		return WriteJSON(w, l.Report)
	}
	return WriteJSON(w, struct {
		Window *ReadingsWindow `json:"readings_window"`
		power.LoadReport
	}{l.Readings, l.Report})
}
