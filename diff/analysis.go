package diff

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"blackstart/power"
	"blackstart/topology"
)

// Outcome is what one single failure does, as the N-1 sweep finds it.
type Outcome struct {
	Risky       bool   `json:"risky"`        // the outcome is trip or may-trip (power.Scenario.Risky)
	Outcome     string `json:"outcome"`      // power.Scenario.Outcome: trip (certain), may-trip (worst case only), or the worst element verdict below
	Verdict     string `json:"verdict"`      // worst verdict seen in the worst case: ok … trip
	Tripped     int    `json:"tripped"`      // elements the cascade opened
	DarkDevices int    `json:"dark_devices"` // devices left without enough powered PSUs
	DarkRacks   int    `json:"dark_racks"`   // racks with every device dark
	verdict     power.Verdict
	outcome     power.Verdict
}

// Outcomes turns a sweep into the outcome of each scenario, keyed by the
// failed ids joined with "+" (a PSU is DEVICE/psuN). It is the only place
// the diff reads power's scenarios.
func Outcomes(rep power.SweepReport) map[string]Outcome {
	out := make(map[string]Outcome, len(rep.Scenarios))
	for i := range rep.Scenarios {
		sc := &rep.Scenarios[i]
		out[strings.Join(sc.Failed, "+")] = Outcome{
			Risky: sc.Risky, Outcome: sc.Outcome.String(), outcome: sc.Outcome, Verdict: sc.Verdict.String(), verdict: sc.Verdict, Tripped: sc.Tripped,
			DarkDevices: len(sc.Dark.Devices), DarkRacks: len(sc.Dark.Racks),
		}
	}
	return out
}

// RackFailover is a rack's worst failover load: the side that carries the
// most, against its protective device's rating, when the rack's other
// feeds are lost.
type RackFailover struct {
	Feed        string  `json:"feed"`         // branch circuit (or breaker) of that side
	Breaker     string  `json:"breaker"`      // its protective device, "" if none
	FailoverA   float64 `json:"failover_a"`   // current through it, A
	RatingA     float64 `json:"rating_a"`     // In, A (0 if unrated)
	FailoverPct float64 `json:"failover_pct"` // current over In, %
	Verdict     string  `json:"verdict"`      // worst verdict between the feed and the rack's PSUs in that state
	verdict     power.Verdict
}

// RackFailovers turns a load report into each rack's worst failover load,
// keyed by rack id. It is the only place the diff reads power's rack
// sides.
func RackFailovers(rep power.LoadReport) map[string]RackFailover {
	out := make(map[string]RackFailover, len(rep.Racks))
	for _, r := range rep.Racks {
		best := -1
		for i, s := range r.Sides {
			if best < 0 || s.FailoverPct > r.Sides[best].FailoverPct ||
				s.FailoverPct == r.Sides[best].FailoverPct && s.FailoverA > r.Sides[best].FailoverA {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		s := r.Sides[best]
		out[r.ID] = RackFailover{Feed: s.Feed, Breaker: s.Breaker, FailoverA: s.FailoverA, RatingA: s.RatingA,
			FailoverPct: s.FailoverPct, Verdict: s.FailoverVerdict.String(), verdict: s.FailoverVerdict}
	}
	return out
}

// Scenario changes, as ScenarioChange.Change says them.
const (
	NewRisky     = "new-risky"     // a new failure (a new element or PSU) that is risky
	BecameRisky  = "became-risky"  // was safe, now trips something or darkens a device
	Worse        = "worse"         // risky before and after, with more tripped, dark or a worse verdict
	Better       = "better"        // risky before and after, with less
	BecameSafe   = "became-safe"   // was risky, now safe
	RemovedRisky = "removed-risky" // a risky failure whose element is gone
	VerdictMoved = "verdict"       // safe before and after, with another worst verdict
)

// ScenarioChange is one single failure whose outcome differs.
type ScenarioChange struct {
	Scenario string   `json:"scenario"` // failed ids joined with "+"
	Change   string   `json:"change"`   // new-risky, became-risky, worse, better, became-safe, removed-risky or verdict
	Old      *Outcome `json:"old"`      // null when the failure did not exist
	New      *Outcome `json:"new"`      // null when it no longer exists
}

// AddsRisk reports whether the change makes the site riskier: a new risky
// failure, one that became risky, or one that got worse.
func (c ScenarioChange) AddsRisk() bool {
	return c.Change == NewRisky || c.Change == BecameRisky || c.Change == Worse
}

// RackChange is a rack whose worst failover load moved.
type RackChange struct {
	Rack   string        `json:"rack"`
	DeltaA float64       `json:"delta_a"` // new minus old failover current, A (0 when a side is missing)
	Old    *RackFailover `json:"old"`     // null for a new rack
	New    *RackFailover `json:"new"`     // null for a removed rack
}

// RackHeadroom is one side's N-1-safe headroom of a rack.
type RackHeadroom struct {
	Safe bool `json:"n1_safe"` // every limited element above the rack within its limit in its failover case
	// HeadroomW is the power that can still be added, W (0 when not
	// safe); null when nothing above the rack is limited.
	HeadroomW *float64 `json:"headroom_w"`
	// Binding is the element that binds the rack (when not safe: the one
	// furthest over), "" when none.
	Binding string `json:"binding"`
}

// HeadroomChange is a rack whose N-1-safe headroom moved.
type HeadroomChange struct {
	Rack   string        `json:"rack"`
	DeltaW float64       `json:"delta_w"` // new minus old headroom, W (0 when a side is missing or unlimited)
	Old    *RackHeadroom `json:"old"`     // null for a new rack
	New    *RackHeadroom `json:"new"`     // null for a removed rack
}

// Analysis is what a change did to the N-1 picture.
type Analysis struct {
	// Stopped is set when Options.Stop ended the sweeps early: the rest of
	// the Analysis is incomplete and must not be used.
	Stopped    bool               `json:"-"`
	Basis      string             `json:"basis"`
	HorizonS   float64            `json:"horizon_s"`
	OldSummary power.SweepSummary `json:"old_summary"`
	NewSummary power.SweepSummary `json:"new_summary"`
	Scenarios  []ScenarioChange   `json:"scenarios"` // adding risk first, then the rest; within a group by scenario
	Racks      []RackChange       `json:"racks"`     // largest |delta_a| first
	// Headroom lists the racks whose N-1-safe headroom (power.Headroom,
	// the figures of `power headroom`) moved by at least 1 W, became safe
	// or unsafe, or is bound by another element; largest |delta_w| first.
	Headroom     []HeadroomChange `json:"headroom"`
	AddsRisk     bool             `json:"adds_risk"`
	RiskyAdded   int              `json:"risky_added"`   // scenarios that add risk
	RiskyRemoved int              `json:"risky_removed"` // scenarios that became safe or were removed while risky
}

// Options say how to run the analysis.
type Options struct {
	Basis    power.Basis
	HorizonS float64 // cascade horizon of the sweeps, s; power.DefaultHorizonS when 0
	// ToleranceA is how much a rack's failover current must move to be
	// listed, A; 0.01 when 0. A change of verdict or feed is always listed.
	ToleranceA float64
	// Stop, when set, is polled by both sweeps before each scenario; once
	// it returns true they end early and Analyze returns an Analysis with
	// Stopped set (and nothing else to trust).
	Stop func() bool
}

// Analyze runs the load flow and the N-1 sweep on both models (the two
// sides concurrently) and compares them: scenarios whose outcome changed
// and racks whose worst failover load moved.
func Analyze(old, new *topology.Model, o Options) Analysis {
	if o.HorizonS <= 0 {
		o.HorizonS = power.DefaultHorizonS
	}
	if o.ToleranceA <= 0 {
		o.ToleranceA = 0.01
	}
	var stopped [2]bool
	run := func(m *topology.Model, k int) side {
		n := power.NewNetwork(m, o.Basis)
		sw := n.Sweep(power.SweepOptions{HorizonS: o.HorizonS, Stop: o.Stop})
		stopped[k] = sw.Stopped
		// Keep what the comparison needs, not the sweep's timelines.
		sd := summarizeSide(sw, n.Load())
		if !sw.Stopped {
			sd.headroom = rackHeadrooms(n)
		}
		return sd
	}
	var a, b side
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a = run(old, 0) }()
	b = run(new, 1)
	wg.Wait()
	if stopped[0] || stopped[1] {
		return Analysis{Stopped: true}
	}
	return compareSides(a, b, o)
}

// side is what Analyze keeps of one model's analysis.
type side struct {
	summary   power.SweepSummary
	scenarios []string // scenario keys, in the sweep's (worst first) order
	outcomes  map[string]Outcome
	racks     []string // rack ids, in the load report's order
	failovers map[string]RackFailover
	headroom  map[string]RackHeadroom
}

// rackHeadrooms returns every rack's N-1-safe headroom, by rack id.
func rackHeadrooms(n *power.Network) map[string]RackHeadroom {
	rep, err := power.Headroom(n, power.HeadroomOptions{})
	out := map[string]RackHeadroom{}
	if err != nil { // only a device model not in the model fails; none is asked
		return out
	}
	for _, r := range rep.Racks {
		h := RackHeadroom{Safe: r.Safe, HeadroomW: r.HeadroomW}
		if r.Binding != nil {
			h.Binding = r.Binding.Element
		}
		out[r.Rack] = h
	}
	return out
}

func summarizeSide(sw power.SweepReport, load power.LoadReport) side {
	s := side{summary: sw.Summary, scenarios: make([]string, len(sw.Scenarios)), outcomes: Outcomes(sw),
		racks: make([]string, len(load.Racks)), failovers: RackFailovers(load)}
	for i := range sw.Scenarios {
		s.scenarios[i] = strings.Join(sw.Scenarios[i].Failed, "+")
	}
	for i, r := range load.Racks {
		s.racks[i] = r.ID
	}
	return s
}

func compareSides(oldSide, newSide side, o Options) Analysis {
	an := Analysis{Basis: newSide.summary.Basis, HorizonS: o.HorizonS, OldSummary: oldSide.summary, NewSummary: newSide.summary,
		Scenarios: []ScenarioChange{}, Racks: []RackChange{}}
	oldOut, newOut := oldSide.outcomes, newSide.outcomes
	for _, key := range oldSide.scenarios {
		oo := oldOut[key]
		if _, ok := newOut[key]; !ok && oo.Risky {
			an.Scenarios = append(an.Scenarios, ScenarioChange{Scenario: key, Change: RemovedRisky, Old: &oo})
		}
	}
	for _, key := range newSide.scenarios {
		no := newOut[key]
		oo, existed := oldOut[key]
		change := ""
		switch {
		case !existed:
			if no.Risky {
				change = NewRisky
			}
		case !oo.Risky && no.Risky:
			change = BecameRisky
		case oo.Risky && !no.Risky:
			change = BecameSafe
		case oo.Risky && no.Risky:
			switch worse, better := compareOutcomes(oo, no); {
			case worse:
				change = Worse
			case better:
				change = Better
			}
		case oo.verdict != no.verdict:
			change = VerdictMoved
		}
		if change == "" {
			continue
		}
		c := ScenarioChange{Scenario: key, Change: change, New: &no}
		if existed {
			c.Old = &oo
		}
		an.Scenarios = append(an.Scenarios, c)
	}
	rank := func(c ScenarioChange) int {
		switch {
		case c.AddsRisk():
			return 0
		case c.Change == BecameSafe || c.Change == RemovedRisky || c.Change == Better:
			return 1
		}
		return 2
	}
	sortStable(an.Scenarios, func(x, y ScenarioChange) bool {
		if rx, ry := rank(x), rank(y); rx != ry {
			return rx < ry
		}
		return x.Scenario < y.Scenario
	})
	for _, c := range an.Scenarios {
		switch rank(c) {
		case 0:
			an.RiskyAdded++
		case 1:
			if c.Change != Better {
				an.RiskyRemoved++
			}
		}
	}
	an.AddsRisk = an.RiskyAdded > 0

	oldRacks, newRacks := oldSide.failovers, newSide.failovers
	for _, id := range oldSide.racks {
		if _, ok := newRacks[id]; !ok {
			if of, ok := oldRacks[id]; ok {
				an.Racks = append(an.Racks, RackChange{Rack: id, Old: &of})
			}
		}
	}
	for _, id := range newSide.racks {
		nf, ok := newRacks[id]
		if !ok {
			continue
		}
		of, existed := oldRacks[id]
		if !existed {
			an.Racks = append(an.Racks, RackChange{Rack: id, New: &nf})
			continue
		}
		delta := nf.FailoverA - of.FailoverA
		if math.Abs(delta) < o.ToleranceA && nf.verdict == of.verdict && nf.Feed == of.Feed && nf.RatingA == of.RatingA {
			continue
		}
		an.Racks = append(an.Racks, RackChange{Rack: id, DeltaA: round3(delta), Old: &of, New: &nf})
	}
	sortStable(an.Racks, func(x, y RackChange) bool {
		ax, ay := math.Abs(x.DeltaA), math.Abs(y.DeltaA)
		if (x.Old == nil || x.New == nil) != (y.Old == nil || y.New == nil) {
			return x.Old != nil && x.New != nil
		}
		if ax != ay {
			return ax > ay
		}
		return x.Rack < y.Rack
	})
	an.Headroom = compareHeadroom(oldSide, newSide)
	return an
}

// compareHeadroom lists the racks whose N-1-safe headroom moved by at
// least 1 W, whose safety or binding element changed, or that were added
// or removed.
func compareHeadroom(oldSide, newSide side) []HeadroomChange {
	out := []HeadroomChange{}
	w := func(h RackHeadroom) float64 {
		if h.HeadroomW == nil {
			return math.Inf(1)
		}
		return *h.HeadroomW
	}
	for _, id := range oldSide.racks {
		if oh, ok := oldSide.headroom[id]; ok {
			if _, still := newSide.headroom[id]; !still {
				out = append(out, HeadroomChange{Rack: id, Old: &oh})
			}
		}
	}
	for _, id := range newSide.racks {
		nh, ok := newSide.headroom[id]
		if !ok {
			continue
		}
		oh, existed := oldSide.headroom[id]
		if !existed {
			out = append(out, HeadroomChange{Rack: id, New: &nh})
			continue
		}
		a, b := w(oh), w(nh)
		delta := 0.0
		if !math.IsInf(a, 0) && !math.IsInf(b, 0) {
			delta = b - a
		}
		if math.Abs(delta) < 1 && oh.Safe == nh.Safe && oh.Binding == nh.Binding && math.IsInf(a, 0) == math.IsInf(b, 0) {
			continue
		}
		out = append(out, HeadroomChange{Rack: id, DeltaW: math.Round(delta*100) / 100, Old: &oh, New: &nh})
	}
	sortStable(out, func(x, y HeadroomChange) bool {
		if (x.Old == nil || x.New == nil) != (y.Old == nil || y.New == nil) {
			return x.Old != nil && x.New != nil
		}
		if ax, ay := math.Abs(x.DeltaW), math.Abs(y.DeltaW); ax != ay {
			return ax > ay
		}
		return x.Rack < y.Rack
	})
	return out
}

// compareOutcomes says whether b is worse or better than a, both risky.
func compareOutcomes(a, b Outcome) (worse, better bool) {
	cmp := func(x, y int) int {
		switch {
		case x < y:
			return 1
		case x > y:
			return -1
		}
		return 0
	}
	for _, c := range []int{cmp(int(a.outcome), int(b.outcome)), cmp(int(a.verdict), int(b.verdict)), cmp(a.Tripped, b.Tripped), cmp(a.DarkDevices, b.DarkDevices), cmp(a.DarkRacks, b.DarkRacks)} {
		worse = worse || c > 0
		better = better || c < 0
	}
	if worse {
		better = false
	}
	return worse, better
}

func sortStable[T any](s []T, less func(a, b T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Report is the whole answer to "what did this change do".
type Report struct {
	Old      string      `json:"old"` // what the old side is: files or a revision
	New      string      `json:"new"`
	Elements ElementDiff `json:"elements"`
	Analysis Analysis    `json:"analysis"`
	AddsRisk bool        `json:"adds_risk"` // the new side adds a risk (the command exits 3)
	Headline string      `json:"headline"`
}

// Compare diffs two models: entities key by key, and the analysis.
func Compare(old, new *topology.Model, o Options) Report {
	r := Report{Elements: CompareElements(old, new), Analysis: Analyze(old, new, o)}
	r.AddsRisk = r.Analysis.AddsRisk
	r.Headline = headline(r)
	return r
}

func headline(r Report) string {
	e := r.Elements
	parts := []string{fmt.Sprintf("%d added, %d removed, %d changed", len(e.Added), len(e.Removed), len(e.Changed))}
	a := r.Analysis
	parts = append(parts, fmt.Sprintf("%d single %s add risk, %d less risky",
		a.RiskyAdded, plural(a.RiskyAdded, "failure", "failures"), a.RiskyRemoved))
	parts = append(parts, fmt.Sprintf("risky failures %d → %d", a.OldSummary.RiskyScenarios, a.NewSummary.RiskyScenarios))
	parts = append(parts, fmt.Sprintf("%d %s worst failover load moved", len(a.Racks), plural(len(a.Racks), "rack's", "racks'")))
	parts = append(parts, fmt.Sprintf("%d %s N-1-safe headroom moved", len(a.Headroom), plural(len(a.Headroom), "rack's", "racks'")))
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
