package power

import (
	"fmt"
	"sort"
	"strings"
)

func sortOverloads(o []Overload) {
	sort.SliceStable(o, func(i, j int) bool {
		if o[i].Verdict != o[j].Verdict {
			return o[i].Verdict > o[j].Verdict
		}
		if o[i].Ratio != o[j].Ratio {
			return o[i].Ratio > o[j].Ratio
		}
		return o[i].Element < o[j].Element
	})
}

// SweepOptions tune the N-1 sweep.
type SweepOptions struct {
	HorizonS float64 // cascade horizon, s; DefaultHorizonS when 0
	// Progress, when set, is called with the scenarios done and the total,
	// at most about a hundred times per sweep.
	Progress func(done, total int)
	// Stop, when set, is polled before each element's scenario; once it
	// returns true the sweep ends early with a report that only says
	// Stopped (a server stops the work of a client that went away).
	Stop func() bool
}

// SweepSummary counts the outcome of a sweep.
type SweepSummary struct {
	Scenarios      int      `json:"scenarios"`       // single failures simulated (elements and PSUs)
	RiskyScenarios int      `json:"risky_scenarios"` // failures ending in a trip or dark load
	TripScenarios  int      `json:"trip_scenarios"`  // failures the cascade turns into a trip
	DarkScenarios  int      `json:"dark_scenarios"`  // failures leaving a device dark
	DarkRacks      int      `json:"dark_racks"`      // racks that go entirely dark in at least one scenario
	DarkRackIDs    []string `json:"dark_rack_ids"`
	Headline       string   `json:"headline"`
	Basis          string   `json:"basis"`
	HorizonS       float64  `json:"horizon_s"`
}

// SweepReport is the N-1 sweep: every single failure, ranked by risk.
type SweepReport struct {
	Summary   SweepSummary `json:"summary"`
	Scenarios []Scenario   `json:"scenarios"` // worst first
	// Stopped is set when SweepOptions.Stop ended the sweep: the report is
	// empty.
	Stopped bool `json:"-"`
}

// Sweep simulates every single failure: each power element, and each PSU
// (whose fault opens the protective device above it: its outcome is that
// device's scenario when opening the device de-energizes the PSU's feed;
// when the feed stays live, through a transfer switch, the faulted PSU is
// lost on top of it and the PSU's scenario is run on its own), each
// followed by its cascade.
func (n *Network) Sweep(o SweepOptions) SweepReport {
	if o.HorizonS <= 0 {
		o.HorizonS = DefaultHorizonS
	}
	m := n.M
	s := NewSim(n)
	byElem := make([]Scenario, len(m.Elements))
	total := len(m.Elements)
	for _, d := range m.Devices {
		total += len(d.Feeds)
	}
	step := max(total/100, 1)
	done := 0
	tick := func() {
		done++
		if o.Progress != nil && (done%step == 0 || done == total) {
			o.Progress(done, total)
		}
	}
	for e := range m.Elements {
		if o.Stop != nil && o.Stop() {
			return SweepReport{Stopped: true}
		}
		byElem[e] = s.Run([]int32{int32(e)}, -1, -1, o.HorizonS)
		tick()
	}
	rep := SweepReport{Scenarios: make([]Scenario, 0, total)}
	rep.Scenarios = append(rep.Scenarios, byElem...)
	for d := range m.Devices {
		for k := range m.Devices[d].Feeds {
			target := n.FaultTarget(d, k)
			if feed := m.Devices[d].Feeds[k]; n.switchedBetween(feed, target) && s.feedSurvives(target, feed) {
				// The feed survives the opening (a transfer switch moved
				// it): the faulted PSU is one more loss.
				rep.Scenarios = append(rep.Scenarios, s.Run(nil, int32(d), int32(k), o.HorizonS))
				tick()
				continue
			}
			sc := byElem[target] // same outcome: the fault opens target
			name := PSUName(m, d, k)
			sc.Failed = []string{name}
			sc.Kind = "psu"
			sc.Opens = m.Elements[target].ID
			sc.Events = append([]Event{n.psuFaultEvent(int32(d), int32(k))}, sc.Events...)
			rep.Scenarios = append(rep.Scenarios, sc)
			tick()
		}
	}
	rankScenarios(rep.Scenarios)
	rep.Summary = summarize(rep.Scenarios, n.Basis.String(), o.HorizonS)
	return rep
}

// switchedBetween reports whether an element with two inputs lies on the
// preferred path from feed up to (not including) its protective device
// target: only then can opening target leave the feed live.
func (n *Network) switchedBetween(feed, target int32) bool {
	for e := feed; e != target; {
		el := &n.M.Elements[e]
		if len(el.Inputs) == 2 {
			return true
		}
		if len(el.Inputs) == 0 {
			return false
		}
		e = el.Inputs[el.Preferred]
	}
	return false
}

// feedSurvives reports whether element feed is still live once target opens.
func (s *Sim) feedSurvives(target, feed int32) bool {
	s.apply([]int32{target}, -1, -1)
	return s.cur.Live[feed]
}

// rankScenarios sorts worst first: trips, then dark load, then by verdict
// and load ratio; ties keep model order.
func rankScenarios(sc []Scenario) {
	// Sort indices, then permute once: scenarios are large to swap.
	idx := make([]int32, len(sc))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := &sc[idx[i]], &sc[idx[j]]
		if (a.Tripped > 0) != (b.Tripped > 0) {
			return a.Tripped > 0
		}
		if len(a.Dark.Devices) != len(b.Dark.Devices) {
			return len(a.Dark.Devices) > len(b.Dark.Devices)
		}
		if a.Verdict != b.Verdict {
			return a.Verdict > b.Verdict
		}
		return a.worst > b.worst
	})
	out := make([]Scenario, len(sc))
	for i, k := range idx {
		out[i] = sc[k]
	}
	copy(sc, out)
}

func summarize(sc []Scenario, basis string, horizon float64) SweepSummary {
	s := SweepSummary{Scenarios: len(sc), Basis: basis, HorizonS: horizon, DarkRackIDs: []string{}}
	racks := map[string]bool{}
	for i := range sc {
		if sc[i].Risky {
			s.RiskyScenarios++
		}
		if sc[i].Tripped > 0 {
			s.TripScenarios++
		}
		if len(sc[i].Dark.Devices) > 0 {
			s.DarkScenarios++
		}
		for _, r := range sc[i].Dark.Racks {
			if !racks[r] {
				racks[r] = true
				s.DarkRackIDs = append(s.DarkRackIDs, r)
			}
		}
	}
	sort.Strings(s.DarkRackIDs)
	s.DarkRacks = len(racks)
	parts := []string{fmt.Sprintf("%d of %d single failures end in a trip", s.TripScenarios, s.Scenarios)}
	if s.DarkScenarios > 0 {
		parts = append(parts, fmt.Sprintf("%d leave devices dark", s.DarkScenarios))
	}
	parts = append(parts, fmt.Sprintf("%d %s dark", s.DarkRacks, plural(s.DarkRacks, "rack goes", "racks go")))
	s.Headline = strings.Join(parts, "; ")
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
