package power

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
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
	// Keep, when set, says which scenarios the report lists: the summary
	// counts every scenario, but only those kept are held and ranked, so
	// that the sweep of a large site holds no more than what will be
	// shown. Nil keeps them all. Keep sees each scenario before its
	// Pickups are listed (they are nil then): the sweep lists them only
	// for the scenarios kept.
	Keep func(*Scenario) bool
	// each, when set, is called with every scenario and the failure it
	// simulates, before Keep.
	each func(failure, *Scenario)
}

// SweepSummary counts the outcome of a sweep.
type SweepSummary struct {
	Scenarios      int `json:"scenarios"`       // single failures simulated (elements and PSUs)
	RiskyScenarios int `json:"risky_scenarios"` // failures whose outcome is trip or may-trip
	// TripScenarios counts the failures whose outcome is trip: dark load
	// or a trip is certain; MayTripScenarios those whose outcome is
	// may-trip: dark load or a trip only in the worst case of the bands.
	TripScenarios    int `json:"trip_scenarios"`
	MayTripScenarios int `json:"may_trip_scenarios"`
	DarkScenarios    int `json:"dark_scenarios"`         // failures leaving a device dark in the worst case
	CertainDark      int `json:"certain_dark_scenarios"` // failures leaving a device dark in the certain cascade
	// WorstSearchCapped counts the failures whose worst-case search
	// stopped at its cap (Scenario.WorstSearchCapped).
	WorstSearchCapped int `json:"worst_search_capped_scenarios,omitempty"`
	// DarkRacks counts the racks that go entirely dark in the worst case
	// of at least one scenario; CertainDarkRackIDs those that do in a
	// certain cascade.
	DarkRacks          int      `json:"dark_racks"`
	DarkRackIDs        []string `json:"dark_rack_ids"`
	CertainDarkRackIDs []string `json:"certain_dark_rack_ids"`
	// CannotJudgeRacks counts the racks the model cannot support an N-1
	// judgement of (topology.Model.RackGaps), named in CannotJudgeRackIDs.
	CannotJudgeRacks   int      `json:"cannot_judge_racks,omitempty"`
	CannotJudgeRackIDs []string `json:"cannot_judge_rack_ids,omitempty"`
	Headline           string   `json:"headline"`
	Basis              string   `json:"basis"`
	HorizonS           float64  `json:"horizon_s"`
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
	// With Keep, the pickups (a list per scenario, most of them never
	// shown) are listed only for the scenarios kept, from the state the
	// simulator keeps of the last failure it ran (or, for a PSU fault
	// whose element's scenario was not kept, by putting the simulator back
	// in the state right after that element's failure).
	s.skipPickups = o.Keep != nil
	t := newTally()
	// The scenarios kept, by reference: the report's list is built at the
	// end, in one allocation of the size it needs.
	var refs []keptRef
	var own []Scenario // PSU faults run on their own
	if o.Keep == nil {
		refs = make([]keptRef, 0, total)
	}
	// keep counts sc and notes it when kept: sc is the scenario s ran
	// last, or, when target >= 0, a PSU fault whose scenario is that of
	// element target (whose pickups it shares).
	keep := func(f failure, sc *Scenario, target int32) bool {
		if o.each != nil {
			o.each(f, sc)
		}
		t.add(sc)
		if o.Keep == nil {
			return true
		}
		if !o.Keep(sc) {
			return false
		}
		if sc.Pickups == nil {
			if target >= 0 {
				if byElem[target].Pickups == nil {
					byElem[target].Pickups = s.pickupsAfter([]int32{target})
				}
				sc.Pickups = byElem[target].Pickups
			} else {
				sc.Pickups = s.snapPickups() // sc is the scenario Run just ran
			}
		}
		return true
	}
	one := make([]int32, 1)
	for e := range m.Elements {
		if o.Stop != nil && o.Stop() {
			return SweepReport{Stopped: true}
		}
		one[0] = int32(e)
		byElem[e] = s.Run(one, -1, -1, o.HorizonS)
		if keep(failure{elem: e, psu: -1}, &byElem[e], -1) {
			refs = append(refs, keptRef{e: int32(e), own: -1})
		}
		tick()
	}
	elem := func(e int32) Scenario { return byElem[e] }
	for d := range m.Devices {
		for k := range m.Devices[d].Feeds {
			psu, target := n.psuScenario(s, d, k, elem, o.HorizonS)
			if keep(failure{elem: -1, dev: d, psu: k}, &psu, target) {
				if target < 0 {
					refs = append(refs, keptRef{e: -1, own: int32(len(own))})
					own = append(own, psu)
				} else {
					refs = append(refs, keptRef{e: target, own: -1, failed: psu.Failed})
				}
			}
			tick()
		}
	}
	rep := SweepReport{Scenarios: make([]Scenario, len(refs))}
	for i, r := range refs {
		switch {
		case r.own >= 0:
			rep.Scenarios[i] = own[r.own]
		case r.failed == nil:
			rep.Scenarios[i] = byElem[r.e]
		default:
			sc := &rep.Scenarios[i]
			*sc = byElem[r.e]
			sc.Failed, sc.Kind, sc.Opens, sc.SameAs = r.failed, "psu", m.Elements[r.e].ID, m.Elements[r.e].ID
		}
	}
	rankScenarios(rep.Scenarios)
	rep.Summary = t.summary(n.Basis.String(), o.HorizonS)
	rep.Summary.cannotJudge(m)
	return rep
}

// keptRef names a scenario a sweep keeps: own[own] when own >= 0 (a PSU
// fault run on its own), else element e's scenario, as the failure of PSU
// failed[0] when failed is set (a PSU fault that opens e).
type keptRef struct {
	e, own int32
	failed []string
}

// psuScenario is the failure of PSU k of device d: the fault opens the
// protective device above it (FaultTarget), so the scenario is that
// element's (elem returns it, as run by s) under the PSU's name; when the
// feed survives the opening, through a transfer switch, the faulted PSU is
// one more loss and its own scenario is run. shared is the element whose
// scenario it is, or -1 when it was run on its own (then it is the last
// scenario s ran).
func (n *Network) psuScenario(s *Sim, d, k int, elem func(int32) Scenario, horizonS float64) (sc Scenario, shared int32) {
	m := n.M
	target := n.FaultTarget(d, k)
	if feed := m.Devices[d].Feeds[k]; n.switchedBetween(feed, target) && s.feedSurvives(target, feed) {
		return s.Run(nil, int32(d), int32(k), horizonS), -1
	}
	sc = elem(target) // same outcome: the fault opens target
	sc.Failed = []string{PSUName(m, d, k)}
	sc.Kind = "psu"
	sc.Opens = m.Elements[target].ID
	sc.SameAs = sc.Opens // Events, Overloads, Pickups, Dark and Certain are target's, shared
	return sc, target
}

// failure names one single failure of a sweep: element elem (psu < 0),
// or PSU psu of device dev (indices into the model).
type failure struct {
	elem, dev, psu int
}

// outcomes runs only the given single failures, each exactly as Sweep
// runs it at the default horizon (DefaultHorizonS), and returns their
// outcomes in the same order.
func (n *Network) outcomes(fs []failure) []Verdict {
	horizonS := float64(DefaultHorizonS)
	s := NewSim(n)
	ran := map[int32]Scenario{}
	elem := func(e int32) Scenario {
		sc, ok := ran[e]
		if !ok {
			sc = s.Run([]int32{e}, -1, -1, horizonS)
			ran[e] = sc
		}
		return sc
	}
	out := make([]Verdict, len(fs))
	for i, f := range fs {
		if f.psu < 0 {
			out[i] = elem(int32(f.elem)).Outcome
			continue
		}
		sc, _ := n.psuScenario(s, f.dev, f.psu, elem, horizonS)
		out[i] = sc.Outcome
	}
	return out
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

// rankScenarios sorts worst first: by outcome, then trips, dark load,
// verdict and load ratio; ties keep model order.
func rankScenarios(sc []Scenario) {
	// Sort indices, then permute in place by cycles: scenarios are large
	// to move, and a second array of them is as large as the first.
	idx := make([]int32, len(sc))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(i, j int32) int {
		a, b := &sc[i], &sc[j]
		switch {
		case a.Outcome != b.Outcome:
			return cmp.Compare(b.Outcome, a.Outcome)
		case (a.Tripped > 0) != (b.Tripped > 0):
			if a.Tripped > 0 {
				return -1
			}
			return 1
		case len(a.Dark.Devices) != len(b.Dark.Devices):
			return cmp.Compare(len(b.Dark.Devices), len(a.Dark.Devices))
		case a.Verdict != b.Verdict:
			return cmp.Compare(b.Verdict, a.Verdict)
		}
		return cmp.Compare(b.worst, a.worst)
	})
	// Position i takes scenario idx[i].
	for i := range idx {
		if idx[i] < 0 {
			continue
		}
		tmp := sc[i]
		j := i
		for {
			k := int(idx[j])
			idx[j] = -1
			if k == i {
				sc[j] = tmp
				break
			}
			sc[j] = sc[k]
			j = k
		}
	}
}

// tally counts a sweep's scenarios as they come.
type tally struct {
	s           SweepSummary
	racks, sure map[string]bool
}

func newTally() *tally {
	return &tally{s: SweepSummary{DarkRackIDs: []string{}, CertainDarkRackIDs: []string{}}, racks: map[string]bool{}, sure: map[string]bool{}}
}

func (t *tally) add(sc *Scenario) {
	s := &t.s
	s.Scenarios++
	if sc.Risky {
		s.RiskyScenarios++
	}
	switch sc.Outcome {
	case Trip:
		s.TripScenarios++
	case MayTrip:
		s.MayTripScenarios++
	}
	if len(sc.Dark.Devices) > 0 {
		s.DarkScenarios++
	}
	if len(sc.Certain.Dark.Devices) > 0 {
		s.CertainDark++
	}
	if sc.WorstSearchCapped {
		s.WorstSearchCapped++
	}
	for _, r := range sc.Dark.Racks {
		if !t.racks[r] {
			t.racks[r] = true
			s.DarkRackIDs = append(s.DarkRackIDs, r)
		}
	}
	for _, r := range sc.Certain.Dark.Racks {
		if !t.sure[r] {
			t.sure[r] = true
			s.CertainDarkRackIDs = append(s.CertainDarkRackIDs, r)
		}
	}
}

// summary finishes the counts: the dark racks sorted, the headline.
func (t *tally) summary(basis string, horizon float64) SweepSummary {
	s := t.s
	s.Basis, s.HorizonS = basis, horizon
	sort.Strings(s.DarkRackIDs)
	sort.Strings(s.CertainDarkRackIDs)
	s.DarkRacks = len(t.racks)
	parts := []string{fmt.Sprintf("%d of %d single failures end in a certain trip", s.TripScenarios, s.Scenarios),
		fmt.Sprintf("%d may trip", s.MayTripScenarios)}
	if s.DarkScenarios > 0 {
		parts = append(parts, fmt.Sprintf("%d leave devices dark (%d certainly)", s.DarkScenarios, s.CertainDark))
	}
	rk := fmt.Sprintf("%d %s dark", s.DarkRacks, plural(s.DarkRacks, "rack goes", "racks go"))
	if s.DarkRacks > 0 {
		rk += fmt.Sprintf(" (%d certainly)", len(s.CertainDarkRackIDs))
	}
	s.Headline = strings.Join(append(parts, rk), "; ")
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sameAsJSON is what the JSON of a sweep says of a PSU fault that ends as
// the failure of the element it opens (Scenario.SameAs): its name, and
// where to read the rest.
type sameAsJSON struct {
	Failed  []string `json:"failed"`
	Kind    string   `json:"kind"`
	Opens   string   `json:"opens"`
	SameAs  string   `json:"same_as"`
	Outcome Verdict  `json:"outcome"`
	Verdict Verdict  `json:"verdict"`
	Tripped int      `json:"tripped"`
	Risky   bool     `json:"risky"`
}

// WriteJSON writes the sweep to w as JSON while it encodes it: the
// summary, then the scenarios for which keep returns true (all when keep
// is nil), in rank order, one compact scenario per line. A PSU fault
// whose scenario is that of the element it opens (SameAs) is written
// short, as failed, kind, opens, same_as, outcome, verdict, tripped and
// risky: its events, overloads, pickups and dark sets are those of the
// same_as scenario, which the sweep always lists (same risk, so the same
// filter keeps it); the PSU's own psu-fault event is implied.
func (r *SweepReport) WriteJSON(w io.Writer, keep func(*Scenario) bool) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	sum, err := json.Marshal(r.Summary)
	if err != nil {
		return err
	}
	bw.WriteString(`{"summary":`)
	bw.Write(sum)
	bw.WriteString(",\n\"scenarios\":[")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	first := true
	for i := range r.Scenarios {
		sc := &r.Scenarios[i]
		if keep != nil && !keep(sc) {
			continue
		}
		if first {
			bw.WriteString("\n")
		} else {
			bw.WriteString(",\n")
		}
		first = false
		var v any = sc
		if sc.SameAs != "" {
			v = sameAsJSON{Failed: sc.Failed, Kind: sc.Kind, Opens: sc.Opens, SameAs: sc.SameAs, Outcome: sc.Outcome, Verdict: sc.Verdict, Tripped: sc.Tripped, Risky: sc.Risky}
		}
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
