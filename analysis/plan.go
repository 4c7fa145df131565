package analysis

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"blackstart/placement"
	"blackstart/topology"
)

// Plan is the restart plan as plan restart --format json writes it.
type Plan struct {
	Instances   int     `json:"instances"`     // instances of the model's services
	Placed      int     `json:"placed"`        // of them placed on a node
	MakespanS   float64 `json:"makespan_s"`    // planned time to everything up, s (0.1 s)
	LowerBoundS float64 `json:"lower_bound_s"` // lower bound on any plan's makespan, s
	Ratio       float64 `json:"ratio"`         // makespan / lower bound (3 decimals), 0 without a bound
	SpreadShort int     `json:"spread_short"`  // services that share a failure domain for want of room
	// Shortages: the services counted in SpreadShort and the nodes where
	// their instances share a failure domain.
	Shortages []Shortage `json:"spread_shortages"`
	Tiers     []Tier     `json:"tiers"`
	Unplaced  []Unplaced `json:"unplaced"`
	// TimeoutRisk: services whose start can outlast its timeout even on an
	// idle node; ExpectedTimeouts sums their expected first-attempt timeouts.
	TimeoutRisk      []TimeoutRisk `json:"timeout_risk"`
	ExpectedTimeouts float64       `json:"expected_timeouts"`
	Assignments      []Assignment  `json:"assignments"`
}

// Shortage is a service whose instances share a failure domain for want of
// room: its spread rule, how many of its domains hold more than one of its
// instances, and the nodes that hold those instances.
type Shortage struct {
	Service       string   `json:"service"`
	Spread        string   `json:"spread"`
	SharedDomains int      `json:"shared_domains"`
	Nodes         []string `json:"nodes"`
}

// TimeoutRisk is a service whose start can outlast its timeout.
type TimeoutRisk struct {
	Service          string  `json:"service"`
	TimeoutS         float64 `json:"timeout_s"`
	Probability      float64 `json:"probability"` // that one start outlasts the timeout at full speed
	ExpectedTimeouts float64 `json:"expected_timeouts"`
}

// Tier is one dependency tier of the plan: its first start and last up, s.
type Tier struct {
	Tier      int     `json:"tier"`
	Instances int     `json:"instances"`
	StartS    float64 `json:"start_s"`
	UpS       float64 `json:"up_s"`
}

// Unplaced is an instance the plan could not place, and why.
type Unplaced struct {
	Instance string `json:"instance"`
	Reason   string `json:"reason"`
}

// Assignment is one placed instance: its node and planned times, s.
type Assignment struct {
	Instance string  `json:"instance"`
	Node     string  `json:"node"`
	Tier     int     `json:"tier"`
	StartS   float64 `json:"start_s"`
	UpS      float64 `json:"up_s"`
}

// Round4 rounds to 4 decimals as the JSON documents do.
func Round4(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 4, 64), 64)
	return f
}

// R1 rounds to 1 decimal (times in seconds) as the JSON documents do.
func R1(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 1, 64), 64)
	return f
}

// Ratio is a/b to 3 decimals, 0 when b <= 0.
func Ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(a/b, 'f', 3, 64), 64)
	return f
}

// RestartPlan plans the cold restart of the model (plan restart).
// progress, when not nil, is called from the calling goroutine as the
// planner advances (placement.PlanOptions); it never changes the plan.
func RestartPlan(m *topology.Model, progress func(done, total int)) Plan {
	return PlanDocument(placement.NewPlanWith(placement.NewCluster(m), placement.PlanOptions{Progress: progress}))
}

// PlanDocument is the document of a plan already made.
func PlanDocument(p *placement.Plan) Plan {
	c := p.C
	m := c.M
	out := Plan{Instances: len(c.Instances), Placed: len(c.Instances) - len(p.Unplaced), MakespanS: R1(p.MakespanS),
		LowerBoundS: R1(p.LowerBoundS), Ratio: Ratio(p.MakespanS, p.LowerBoundS), SpreadShort: p.SpreadShort,
		Tiers: []Tier{}, Unplaced: []Unplaced{}, Assignments: []Assignment{}, TimeoutRisk: []TimeoutRisk{}, Shortages: []Shortage{}}
	for _, sh := range p.Shortages {
		sv := m.Services[sh.Service]
		j := Shortage{Service: sv.ID, Spread: sv.Spread.String(), SharedDomains: int(sh.Domains), Nodes: []string{}}
		for _, n := range sh.Nodes {
			j.Nodes = append(j.Nodes, m.Devices[n].ID)
		}
		out.Shortages = append(out.Shortages, j)
	}
	for _, r := range p.TimeoutRisk {
		out.TimeoutRisk = append(out.TimeoutRisk, TimeoutRisk{m.Services[r.Service].ID, r.TimeoutS, Round4(r.P), Round4(r.Expected)})
		out.ExpectedTimeouts += r.Expected
	}
	out.ExpectedTimeouts = Round4(out.ExpectedTimeouts)
	for _, t := range p.Tiers {
		out.Tiers = append(out.Tiers, Tier{t.Tier, t.Instances, R1(t.StartS), R1(t.UpS)})
	}
	for _, u := range p.Unplaced {
		out.Unplaced = append(out.Unplaced, Unplaced{c.Name(u.Instance), u.Reason})
	}
	for i, a := range p.Assign {
		if a.Node < 0 {
			continue
		}
		out.Assignments = append(out.Assignments, Assignment{c.Name(i), m.Devices[a.Node].ID,
			m.Services[c.Instances[i].Service].Tier, R1(a.StartS), R1(a.UpS)})
	}
	return out
}

// PolicyResult is one simulated recovery as plan simulate and plan compare
// write it; times in seconds (0.1 s).
type PolicyResult struct {
	Policy               string  `json:"policy"`
	Seed                 uint64  `json:"seed"`
	MakespanS            float64 `json:"makespan_s"`
	LowerBoundS          float64 `json:"lower_bound_s"`
	Ratio                float64 `json:"ratio"`
	Timeouts             int     `json:"timeouts"`
	Retries              int     `json:"retries"`
	Rejections           int     `json:"rejections"`
	PeakConcurrentStarts int     `json:"peak_concurrent_starts"`
	PeakNode             string  `json:"peak_node"`
	PeakNodeConcurrency  int     `json:"peak_node_concurrency"`
	P50UpS               float64 `json:"p50_up_s"`
	P95UpS               float64 `json:"p95_up_s"`
	NeverUp              int     `json:"never_up"`
	Unplaced             int     `json:"unplaced"`
}

// PolicyDocument is the document of one simulated recovery.
func PolicyDocument(r *placement.Result) PolicyResult {
	return PolicyResult{Policy: r.Policy, Seed: r.Seed, MakespanS: R1(r.MakespanS), LowerBoundS: R1(r.LowerBoundS),
		Ratio: Ratio(r.MakespanS, r.LowerBoundS), Timeouts: r.Timeouts, Retries: r.Retries, Rejections: r.Rejections,
		PeakConcurrentStarts: r.PeakConcurrent, PeakNode: r.PeakNode, PeakNodeConcurrency: r.PeakC,
		P50UpS: R1(r.P50UpS), P95UpS: R1(r.P95UpS), NeverUp: r.NeverUp, Unplaced: len(r.Unplaced)}
}

// SimOptions choose the simulated recoveries of Simulate.
type SimOptions struct {
	Seed         uint64  // seed of durations, jitter and random choices
	RefreshS     float64 // metrics refresh period of the stale policies, s, > 0
	DispatchPerS float64 // cluster-wide dispatch limit of the baselines, starts/s, >= 0 (0: none)
	// Events, when set, receives each policy's progress events once its
	// recovery is simulated; an error it returns ends Simulate.
	Events func(cl *placement.Cluster, policy string, evs []placement.Event) error
	// Stop, when set, is polled before each policy's recovery; once it
	// returns true Simulate ends with ErrStopped.
	Stop func() bool
	// Progress, when set, is called after each step (the plan, when a
	// policy follows it, and each policy's recovery) with the steps done
	// and their total, from the calling goroutine.
	Progress func(done, total int)
}

// Workloads reports whether m has workloads to plan: a model without
// services has none (ErrInvalid), and its restart plan, simulations and
// ETAs would be tables of zeros.
func Workloads(m *topology.Model) error {
	if len(m.Services) == 0 {
		return invalid("%s: the model has no workloads (services) to plan", strings.Join(m.Files, " + "))
	}
	return nil
}

// Simulate runs the recovery under each policy on the same seeded
// durations (plan simulate with one, plan compare with all of
// placement.Policies).
func Simulate(m *topology.Model, policies []string, o SimOptions) ([]PolicyResult, error) {
	for _, p := range policies {
		if err := CheckPolicy(p); err != nil {
			return nil, err
		}
	}
	if err := CheckSimOptions(o); err != nil {
		return nil, err
	}
	if err := Workloads(m); err != nil {
		return nil, err
	}
	cl := placement.NewCluster(m)
	var plan *placement.Plan
	var results []PolicyResult
	steps, done := len(policies), 0
	if slices.Contains(policies, placement.PolicyPlan) {
		steps++ // the plan itself
	}
	step := func() {
		done++
		if o.Progress != nil {
			o.Progress(done, steps)
		}
	}
	for _, pol := range policies {
		if o.Stop != nil && o.Stop() {
			return nil, ErrStopped
		}
		so := placement.SimOptions{Policy: pol, Seed: o.Seed, RefreshS: o.RefreshS, DispatchPerS: o.DispatchPerS}
		if pol == placement.PolicyPlan && plan == nil {
			plan = placement.NewPlan(cl)
			step()
		}
		var evs []placement.Event
		if o.Events != nil {
			so.OnEvent = func(e placement.Event) { evs = append(evs, e) }
		}
		r, err := placement.Simulate(cl, plan, so)
		if err != nil {
			return nil, invalid("%v", err)
		}
		if o.Events != nil {
			if err := o.Events(cl, pol, evs); err != nil {
				return nil, err
			}
		}
		results = append(results, PolicyDocument(r))
		step()
	}
	return results, nil
}

// CheckSimOptions says what is wrong with the refresh period and the
// dispatch rate (bounds in placement: MinRefreshS..MaxRefreshS s; 0 or
// MinDispatchPerS..MaxDispatchPerS starts/s), or nil; NaN and infinities
// are refused, never clamped.
func CheckSimOptions(o SimOptions) error {
	if !(o.RefreshS >= placement.MinRefreshS && o.RefreshS <= placement.MaxRefreshS) {
		return invalid("--refresh must be %g to %g s, got %g", float64(placement.MinRefreshS), float64(placement.MaxRefreshS), o.RefreshS)
	}
	if err := placement.CheckOptions(placement.SimOptions{DispatchPerS: o.DispatchPerS}); err != nil {
		return invalid("--dispatch-rate: %v", err)
	}
	return nil
}

// WriteResults writes simulated recoveries as the CLI does: one object for
// one policy, an array for several.
func WriteResults(w io.Writer, res []PolicyResult) error {
	if len(res) == 1 {
		return WriteJSON(w, res[0])
	}
	return WriteJSON(w, res)
}
