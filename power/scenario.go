package power

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"sort"
	"strconv"

	"blackstart/topology"
)

// Seconds is a duration in seconds that may be infinite (never); it encodes
// as a JSON number, or null when infinite.
type Seconds float64

// MarshalJSON writes null for +Inf.
func (s Seconds) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(s), 0) || math.IsNaN(float64(s)) {
		return []byte("null"), nil
	}
	return json.Marshal(round(float64(s), 3))
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// Event is one step of a cascade timeline.
type Event struct {
	TS       Seconds `json:"t_s"`                  // time since the initial failure, s
	Element  string  `json:"element"`              // element id, or device/psuN for a PSU fault
	Event    string  `json:"event"`                // fail, psu-fault, transfer, overload or trip
	CurrentA float64 `json:"current_a"`            // current at the event, A (for a trip: the current it tripped at)
	BeforeA  float64 `json:"before_a"`             // current just before the event, A
	AfterA   float64 `json:"after_a"`              // current just after the event, A
	Verdict  string  `json:"verdict,omitempty"`    // overload events: the verdict reached
	Detail   string  `json:"detail,omitempty"`     // transfer events: "to INPUT"
	TripMinS Seconds `json:"trip_min_s,omitempty"` // trip and overload events: earliest trip from t = 0, s
	TripMaxS Seconds `json:"trip_max_s,omitempty"` // latest trip from t = 0 (null: not required to trip), s
}

// Overload is the worst load one element sees in a scenario.
type Overload struct {
	Element  string  `json:"element"`
	Kind     string  `json:"kind"`
	TS       Seconds `json:"t_s"`       // when it was seen, s
	CurrentA float64 `json:"current_a"` // largest line current, A
	RatingA  float64 `json:"rating_a"`  // In, A (for a UPS: the current at its rated power)
	Ratio    float64 `json:"ratio"`     // current over In (UPS: power over capacity)
	Verdict  Verdict `json:"verdict"`
	TripMinS Seconds `json:"trip_min_s"` // earliest trip at this load, s; null: holds
	TripMaxS Seconds `json:"trip_max_s"` // latest trip at this load, s; null: not required to trip
	ShedW    float64 `json:"shed_w"`     // watts to remove to be back within the continuous limit
}

// Dark is what a scenario leaves without power.
type Dark struct {
	Elements []string `json:"elements"` // de-energized power elements, topological order
	Racks    []string `json:"racks"`    // racks with every device dark
	Devices  []string `json:"devices"`  // devices with fewer powered PSUs than they need
	// Instances are the workload instances on dark devices, service#index:
	// those pinned there; the CLI adds those the restart plan places there.
	Instances []string `json:"instances"`
}

// Pickup is an element whose load rises when a failure moves load onto
// it: what it carried before the failure and right after it (with every
// transfer made, before any cascade trip).
type Pickup struct {
	Element    string  `json:"element"`
	Kind       string  `json:"kind"`
	BeforeA    float64 `json:"before_a"`    // largest line current in normal operation, A
	AfterA     float64 `json:"after_a"`     // largest line current after the failure, A
	BeforeW    float64 `json:"before_w"`    // real power in normal operation, W
	AfterW     float64 `json:"after_w"`     // real power after the failure, W
	RatingA    float64 `json:"rating_a"`    // In, A (a UPS or source: the current at its rated power); 0 when unrated
	BeforePct  float64 `json:"before_pct"`  // load over rating before, % (a UPS or source: power over capacity); 0 when unrated
	AfterPct   float64 `json:"after_pct"`   // load over rating after, %
	Verdict    Verdict `json:"verdict"`     // verdict of the load after the failure
	CapacityKW float64 `json:"capacity_kw"` // a UPS or source rated in power: its real-power capacity, kW; 0 otherwise
}

// Certain is the cascade in which only what must trip trips: an element
// opens when its latest trip time (the must-trip side of its band,
// integrated over the changing current) comes within the horizon; a
// may-trip element never does.
type Certain struct {
	Tripped int     `json:"tripped"` // elements this cascade opened
	Trips   []Event `json:"trips"`   // its trip events, by time
	Dark    Dark    `json:"dark"`    // what it leaves without power
}

// Scenario is the outcome of one failure and the cascade that follows.
//
// Two cascades are reported: the worst case (the darkest outcome the trip
// bands allow: elements trip at the earliest time of their band, in the
// order, where bands overlap, that darkens most; Events, Tripped and Dark)
// and the certain one (only what must trip trips, at the latest time of
// its band; Certain). Outcome grades the scenario: Trip when dark load or a trip is
// certain, MayTrip when they come only in the worst case, else the worst
// element verdict the failure causes.
type Scenario struct {
	Failed []string `json:"failed"`          // ids of the failed elements (device/psuN for a PSU)
	Kind   string   `json:"kind"`            // kind of the first failed element, or "psu"
	Opens  string   `json:"opens,omitempty"` // PSU faults: the protective device the fault opens
	// SameAs is set by the sweep on a PSU fault that ends exactly as the
	// failure of Opens: its Events (without the psu-fault event),
	// Overloads, Pickups, Dark and Certain are that scenario's, shared.
	SameAs    string     `json:"same_as,omitempty"`
	Outcome   Verdict    `json:"outcome"`   // trip, may-trip, or the worst element verdict below that
	Verdict   Verdict    `json:"verdict"`   // worst element verdict seen in the worst case (trip when it trips something)
	Tripped   int        `json:"tripped"`   // elements the worst-case cascade opened
	Risky     bool       `json:"risky"`     // Outcome is may-trip or trip
	Events    []Event    `json:"events"`    // worst-case timeline, by time
	Overloads []Overload `json:"overloads"` // worst load per overloaded element in the worst case, worst first
	Pickups   []Pickup   `json:"pickups"`   // every element whose load the failure raises, worst verdict first
	Dark      Dark       `json:"dark"`      // what the worst case leaves without power
	Certain   Certain    `json:"certain"`   // the cascade of certain trips only
	// WorstSearchCapped is set when the worst case's search over
	// overlapping trip bands stopped at its cap (WorstSearchCascades
	// cascades) with orders of trips left unexplored: Dark is then the
	// darkest outcome found, not proved the darkest the bands allow.
	WorstSearchCapped bool    `json:"worst_search_capped,omitempty"`
	worst             float64 // largest ratio, for ranking
}

// DefaultHorizonS is the cascade horizon, seconds.
const DefaultHorizonS = 3600

// PSUName names PSU k (0-based) of device d as printed: "device/psuN", N from 1.
func PSUName(m *topology.Model, d, k int) string {
	return m.Devices[d].ID + "/psu" + strconv.Itoa(k+1)
}

// FaultTarget returns the element a fault of PSU k of device d opens: the
// protective device nearest above its feed, or the source when nothing
// protects it.
func (n *Network) FaultTarget(d, k int) int32 {
	f := int(n.M.Devices[d].Feeds[k])
	if b := n.M.ProtectedBy(f); b >= 0 {
		return int32(b)
	}
	for {
		el := &n.M.Elements[f]
		if len(el.Inputs) == 0 {
			return int32(f)
		}
		f = int(el.Inputs[el.Preferred])
	}
}

// dueTrip is an element that will trip dt seconds from now under the
// current loads.
type dueTrip struct {
	e  int32
	dt float64
}

// tieTol is the relative difference under which two trips are simultaneous:
// an incremental flow and one recomputed from scratch may differ in the
// last bits.
const tieTol = 1e-9

// noteTransfers records the transfer switches the last step moved to
// their other input.
func (s *Sim) noteTransfers(sc *Scenario, transferred map[int32]bool, t float64) {
	n := s.n
	m := n.M
	for _, e := range s.fresh {
		if s.cur.Live[e] && s.cur.Active[e] != n.Base.Active[e] && !transferred[e] {
			transferred[e] = true
			in := m.Elements[e].Inputs[s.cur.Active[e]]
			c := s.cur.CurrentA(int(e))
			sc.Events = append(sc.Events, Event{TS: Seconds(t), Element: m.Elements[e].ID, Event: "transfer", Detail: "to " + m.Elements[in].ID, CurrentA: r3(c), BeforeA: r3(n.Base.CurrentA(int(e))), AfterA: r3(c)})
		}
	}
}

// liveProtector returns the protective device above feed f on the path
// that now carries it, when f is still energized; -1 otherwise.
func (s *Sim) liveProtector(f int32) int32 {
	if !s.cur.Live[f] {
		return -1
	}
	m := s.n.M
	for e := f; ; {
		el := &m.Elements[e]
		if el.Standard != topology.StdNone && !s.open[e] {
			return e
		}
		if len(el.Inputs) == 0 || s.cur.Active[e] < 0 {
			return -1
		}
		e = el.Inputs[s.cur.Active[e]]
	}
}

// psuFaultEvent is the first event of a PSU fault: the PSU's share of its
// device in normal operation drops to nothing.
func (n *Network) psuFaultEvent(d, k int32) Event {
	u := n.psuUnit[int(n.psuOff[d])+int(k)]
	a := n.DrawW[d] / float64(len(n.M.Devices[d].Feeds)) * max(cmplx.Abs(u[0]), cmplx.Abs(u[1]), cmplx.Abs(u[2]))
	return Event{Element: PSUName(n.M, int(d), int(k)), Event: "psu-fault", CurrentA: r3(a), BeforeA: r3(a)}
}

// heat is the thermal state of one element: the fractions of its earliest
// and latest trip times already used (trip when a fraction reaches 1).
type heat struct {
	min, max float64
	band     Band // the band at the element's present load
}

// dueMin is the time from now to the element's earliest trip under its
// present load, seconds (+Inf: it holds).
func (h *heat) dueMin() float64 {
	if h.band.MinS == inf {
		return inf
	}
	return max(0, 1-h.min) * h.band.MinS
}

// dueMax is the time from now by which the element must have tripped under
// its present load, seconds (+Inf: it may hold).
func (h *heat) dueMax() float64 {
	if h.band.MaxS == inf {
		return inf
	}
	return max(0, 1-h.max) * h.band.MaxS
}

// Run simulates the failure of the elements fail (and, when psuDev >= 0,
// the fault of PSU psuK of device psuDev, which opens FaultTarget) and the
// cascade that follows, up to horizonS seconds. Trip times integrate
// 1/t(I) over the piecewise-constant current, so heat accumulated before a
// later trip counts; the worst case takes the earliest trip of each band,
// in the order that darkens most where bands overlap (see worstCase), and
// reports the latest beside it.
//
// It runs two cascades (see Scenario): the worst case, whose timeline,
// overloads and pickups the scenario reports, and the certain one, needed
// only when the worst case trips something (without a trip both end in
// the same state: a must-trip time is never before a may-trip one). The
// certain cascade starts from the state the worst case checkpointed right
// after the failure (the same state, not recomputed).
func (s *Sim) Run(fail []int32, psuDev, psuK int32, horizonS float64) Scenario {
	sc := s.worstCase(fail, psuDev, psuK, horizonS)
	c := Certain{Tripped: sc.Tripped, Trips: []Event{}, Dark: sc.Dark}
	certainV := sc.Verdict
	if sc.Tripped > 0 {
		cs := s.run(fail, psuDev, psuK, horizonS, true, nil)
		c = Certain{Tripped: cs.Tripped, Trips: []Event{}, Dark: cs.Dark}
		for _, e := range cs.Events {
			if e.Event == "trip" {
				c.Trips = append(c.Trips, e)
			}
		}
		certainV = cs.Verdict
	}
	sc.Certain = c
	worstV := sc.Verdict
	if len(sc.Dark.Devices) > 0 {
		worstV = Trip
	}
	if c.Tripped > 0 || len(c.Dark.Devices) > 0 {
		certainV = Trip
	}
	sc.Outcome = max(certainV, min(worstV, MayTrip))
	sc.Risky = sc.Outcome >= MayTrip
	return sc
}

// WorstSearchCascades caps the cascades the worst case explores per
// scenario (see worstCase); a scenario that reaches it says so
// (Scenario.WorstSearchCapped).
const WorstSearchCascades = 64

// branch is a choice the worst-case search has yet to explore: the trips
// of a cascade up to a point (path), the last one an alternative to the
// earliest.
type branch struct{ path []int32 }

// worstCase runs the worst-case cascade: the darkest outcome the trip
// bands allow. A cascade that takes every band at its earliest time is not
// always the darkest: when two elements' bands overlap (one can trip no
// later than the other must), the first to trip may relieve the other (a
// device below the other, or one whose trip darkens devices that the other
// also feeds), which then never trips. So at each step every element whose
// earliest trip comes, within the horizon, no later than every other's
// latest is a possible next trip, at its earliest time; the search follows
// the earliest first (the model's order on ties), then, depth first, each
// other choice whose element that cascade leaves closed and energized (one
// that trips anyway or goes dark with what is above it cannot darken
// more), up to WorstSearchCascades cascades, and keeps the darkest end:
// the most dark devices, then the most de-energized elements, then the
// first found. Without overlapping bands it is the one cascade of earliest
// times.
func (s *Sim) worstCase(fail []int32, psuDev, psuK int32, horizonS float64) Scenario {
	s.branches = s.branches[:0]
	best := s.run(fail, psuDev, psuK, horizonS, false, nil)
	if len(s.branches) == 0 {
		return best
	}
	base := best
	base.Events = base.Events[:s.ck.events]
	limit := WorstSearchCascades
	if s.searchCap > 0 {
		limit = s.searchCap
	}
	for runs := 1; len(s.branches) > 0 && runs < limit; runs++ {
		b := s.branches[len(s.branches)-1]
		s.branches = s.branches[:len(s.branches)-1]
		sc := s.run(fail, psuDev, psuK, horizonS, false, b.path, &base)
		if darker(&sc, &best) {
			best = sc
		}
	}
	best.WorstSearchCapped = len(s.branches) > 0
	return best
}

// darker reports whether a leaves more devices dark than b, or as many and
// more elements de-energized.
func darker(a, b *Scenario) bool {
	if len(a.Dark.Devices) != len(b.Dark.Devices) {
		return len(a.Dark.Devices) > len(b.Dark.Devices)
	}
	return len(a.Dark.Elements) > len(b.Dark.Elements)
}

// run is one cascade: the worst case (every element trips at the earliest
// time of its band; path, when given, names the first trips, and the
// choices it did not take are left in s.branches) or, when certain, only
// the elements that must trip, at the latest time of their band. A replay
// (base given) starts from the checkpoint, with base's events up to it.
func (s *Sim) run(fail []int32, psuDev, psuK int32, horizonS float64, certain bool, path []int32, base ...*Scenario) Scenario {
	n := s.n
	m := n.M
	var sc Scenario
	replaying := len(base) > 0
	opened := append([]int32(nil), fail...)
	if psuDev >= 0 {
		sc.Failed = []string{PSUName(m, int(psuDev), int(psuK))}
		sc.Kind = "psu"
		t := n.FaultTarget(int(psuDev), int(psuK))
		sc.Opens = m.Elements[t].ID
		sc.Events = append(sc.Events, n.psuFaultEvent(psuDev, psuK))
		opened = append(opened, t)
	} else if len(fail) > 0 {
		sc.Kind = m.Elements[fail[0]].Kind.String()
	}
	for k, e := range opened {
		if psuDev < 0 || k < len(fail) {
			sc.Failed = append(sc.Failed, m.Elements[e].ID)
		}
		c := n.Base.CurrentA(int(e))
		sc.Events = append(sc.Events, Event{Element: m.Elements[e].ID, Event: "fail", CurrentA: r3(c), BeforeA: r3(c)})
	}
	if replaying {
		sc.Events = append(sc.Events[:0], base[0].Events...)
		sc.Pickups = base[0].Pickups
	}
	if s.hot == nil {
		s.hot, s.worst, s.reported, s.transferred = map[int32]*heat{}, map[int32]worstLoad{}, map[int32]Verdict{}, map[int32]bool{}
	}
	clear(s.hot)
	clear(s.worst)
	clear(s.reported)
	clear(s.transferred)
	hot, worst, reported, transferred := s.hot, s.worst, s.reported, s.transferred
	if replaying {
		for _, e := range s.ck.transferred {
			transferred[e] = true
		}
	}
	var due []dueTrip
	var chosen []int32 // the worst case's trips so far
	var alts []branch  // its choices not taken
	t := 0.0
	for iter := 0; iter <= len(m.Elements); iter++ {
		if iter == 0 && (certain || replaying) {
			// The same failure as the worst case's, whose state right
			// after it Run checkpointed: the certain cascade starts from
			// there (its fail and transfer events are not reported).
			s.restore()
			opened = append(opened[:0], s.ck.opened...)
		} else if iter == 0 {
			s.apply(opened, psuDev, psuK)
			// A faulted PSU behind a transfer switch: the switch moves the
			// fault with the load, and the device protecting the new input
			// opens too, until the fault has no supply.
			for {
				p := s.faultFollows(psuDev, psuK)
				if p < 0 {
					break
				}
				s.noteTransfers(&sc, transferred, t)
				c := s.cur.CurrentA(int(p))
				sc.Events = append(sc.Events, Event{Element: m.Elements[p].ID, Event: "fail", Detail: "the fault follows the transfer", CurrentA: r3(c), BeforeA: r3(c)})
				opened = append(opened, p)
				s.step([]int32{p}, -1, -1)
			}
		} else { // the cascade opened one more element: recompute below it only
			s.step(opened[len(opened)-1:], -1, -1)
		}
		// Transfers and overloads in the new state: only what the step
		// recomputed or changed needs looking at again.
		s.noteTransfers(&sc, transferred, t)
		changed := s.stepTouched
		if iter == 0 {
			if !certain && !replaying {
				s.checkpoint(opened, len(sc.Events), transferred)
				if !s.skipPickups {
					sc.Pickups = s.pickups(&s.cur, s.touched)
				}
			}
			changed = s.candidates()
		}
		for _, e := range changed {
			a := n.assess(&s.cur, int(e))
			h := hot[e]
			if a.Verdict == OK || !s.cur.Live[e] {
				if h != nil {
					h.band = Band{MinS: inf, MaxS: inf} // cannot trip now; its heat stays
				}
				continue
			}
			s.noteOverload(&sc, worst, e, a, t)
			if h == nil && a.Band.MinS < inf {
				h = &heat{}
				hot[e] = h
			}
			if h != nil {
				h.band = a.Band
			}
			if reported[e] < a.Verdict && (a.Verdict >= MayTrip || s.changed(e)) {
				reported[e] = a.Verdict
				// Just before: normal operation at the failure; after a
				// trip, the currents before its step (every element
				// looked at then was touched by that step).
				b := n.Base.CurrentA(int(e))
				if iter > 0 && s.touchStep[e] == s.stamp {
					c := &s.preCur[e]
					b = max(cmplx.Abs(c[0]), cmplx.Abs(c[1]), cmplx.Abs(c[2]))
				}
				ev := Event{TS: Seconds(t), Element: m.Elements[e].ID, Event: "overload", Verdict: a.Verdict.String(),
					CurrentA: r3(a.CurrentA), BeforeA: r3(b), AfterA: r3(a.CurrentA), TripMinS: Seconds(inf), TripMaxS: Seconds(inf)}
				if h != nil {
					ev.TripMinS, ev.TripMaxS = Seconds(t+(1-h.min)*a.Band.MinS), Seconds(t+(1-h.max)*a.Band.MaxS)
				}
				sc.Events = append(sc.Events, ev)
			}
		}
		// The earliest trip; trips due at the same time (to rounding) go in
		// model order, whatever order the flow's sums were taken in.
		var next int32 = -1
		nextDT := inf
		due = due[:0]
		mustBy := inf // the worst case: the earliest latest trip
		for e, h := range hot {
			switch {
			case !certain && h.band.MinS < inf:
				due = append(due, dueTrip{e, h.dueMin()})
				mustBy = min(mustBy, h.dueMax())
			case certain && h.band.MaxS < inf:
				due = append(due, dueTrip{e, h.dueMax()})
			default:
				continue
			}
			nextDT = min(nextDT, due[len(due)-1].dt)
		}
		for _, c := range due {
			if c.dt <= nextDT*(1+tieTol) && (next < 0 || c.e < next) {
				next = c.e
			}
		}
		if next < 0 || t+nextDT > horizonS {
			break
		}
		if !certain {
			// Every other element that can trip first: its earliest trip,
			// within the horizon, no later than any must.
			k := len(chosen)
			if k < len(path) {
				next = path[k]
				nextDT = hot[next].dueMin()
			} else {
				slices.SortFunc(due, func(a, b dueTrip) int { return cmp.Compare(a.e, b.e) })
				for _, c := range due {
					if c.e != next && c.dt <= mustBy*(1+tieTol) && t+c.dt <= horizonS {
						p := make([]int32, k+1)
						copy(p, chosen)
						p[k] = c.e
						alts = append(alts, branch{p})
					}
				}
			}
			chosen = append(chosen, next)
		}
		// Advance every hot element's heat to the trip.
		for _, h := range hot {
			if h.band.MinS < inf {
				h.min += nextDT / h.band.MinS
			}
			if h.band.MaxS < inf {
				h.max += nextDT / h.band.MaxS
			}
		}
		t += nextDT
		a := n.assess(&s.cur, int(next))
		earliest, latest := t, inf
		if a.Band.MaxS < inf {
			latest = t + max(0, 1-hot[next].max)*a.Band.MaxS
		}
		if certain { // it must have tripped by now; how early it may have is the worst case's business
			earliest, latest = inf, t
		}
		sc.Events = append(sc.Events, Event{TS: Seconds(t), Element: m.Elements[next].ID, Event: "trip", CurrentA: r3(a.CurrentA),
			BeforeA: r3(a.CurrentA), TripMinS: Seconds(earliest), TripMaxS: Seconds(latest)})
		sc.Tripped++
		delete(hot, next)
		opened = append(opened, next)
	}
	// A choice is explored only when this cascade leaves its element
	// closed and energized (see worstCase).
	for _, b := range alts {
		if u := b.path[len(b.path)-1]; !s.open[u] && s.cur.Live[u] {
			s.branches = append(s.branches, b)
		}
	}
	s.finish(&sc, psuDev, psuK)
	return sc
}

// faultFollows returns the protective device that opens next when PSU
// psuK of device psuDev is faulted and a transfer switch has moved its
// feed onto a live input (the fault follows the load): the device
// protecting the feed's present path; -1 when there is none (or no PSU
// fault).
func (s *Sim) faultFollows(psuDev, psuK int32) int32 {
	if psuDev < 0 {
		return -1
	}
	return s.liveProtector(s.n.M.Devices[psuDev].Feeds[psuK])
}

// pickupsAfter lists the pickups of the failure of the elements fail
// (Scenario.Pickups: the elements whose load the failure raises, right
// after it) without running its cascade. Run lists the same unless the
// sweep asked it not to. A PSU fault's pickups are not asked for: the
// sweep keeps those of the scenario it has just run (snapPickups).
func (s *Sim) pickupsAfter(fail []int32) []Pickup {
	s.apply(fail, -1, -1)
	return s.pickups(&s.cur, s.touched)
}

// checkpoint keeps the present state, right after a failure that opened
// the elements opened, in s.ck.
func (s *Sim) checkpoint(opened []int32, events int, transferred map[int32]bool) {
	ck := &s.ck
	if ck.flow.Live == nil {
		ck.flow = newFlow(len(s.n.M.Elements))
	}
	for _, e := range s.touched {
		ck.flow.Live[e], ck.flow.Active[e], ck.flow.Cur[e], ck.flow.P[e], ck.flow.Q[e] = s.cur.Live[e], s.cur.Active[e], s.cur.Cur[e], s.cur.P[e], s.cur.Q[e]
	}
	ck.touched = append(ck.touched[:0], s.touched...)
	ck.region = append(ck.region[:0], s.region...)
	ck.devs = append(ck.devs[:0], s.devs...)
	ck.opened = append(ck.opened[:0], opened...)
	ck.faultDev, ck.faultK = s.faultDev, s.faultK
	ck.events = events
	ck.transferred = ck.transferred[:0]
	for e := range transferred {
		ck.transferred = append(ck.transferred, e)
	}
}

// restore puts the simulator back in the state s.ck kept.
func (s *Sim) restore() {
	s.reset()
	ck := &s.ck
	for _, e := range ck.touched {
		s.isTouched[e] = true
		s.cur.Live[e], s.cur.Active[e], s.cur.Cur[e], s.cur.P[e], s.cur.Q[e] = ck.flow.Live[e], ck.flow.Active[e], ck.flow.Cur[e], ck.flow.P[e], ck.flow.Q[e]
	}
	s.touched = append(s.touched, ck.touched...)
	for _, e := range ck.region {
		s.inRegion[e] = true
	}
	s.region = append(s.region, ck.region...)
	for _, e := range ck.opened {
		s.open[e] = true
	}
	for _, d := range ck.devs {
		s.devMark[d] = true
	}
	s.devs = append(s.devs, ck.devs...)
	s.faultDev, s.faultK = ck.faultDev, ck.faultK
	s.fresh = s.fresh[:0] // no step has run since
}

// snapPickups lists the pickups of the last scenario Run ran (with
// skipPickups set: Scenario.Pickups, as Run lists them without it), from
// its checkpoint.
func (s *Sim) snapPickups() []Pickup {
	s.restore()
	return s.pickups(&s.cur, s.touched)
}

// candidates lists the elements whose load may have changed, plus those
// already overloaded in normal operation.
func (s *Sim) candidates() []int32 {
	out := s.touched
	for _, e := range s.n.baseHot() {
		if !s.isTouched[e] {
			out = append(out, e)
		}
	}
	return out
}

// baseHot lists elements at or above may-trip in normal operation.
func (n *Network) baseHot() []int32 {
	n.hotOnce.Do(func() {
		for e := range n.M.Elements {
			if n.assess(&n.Base, e).Verdict >= MayTrip {
				n.hot = append(n.hot, int32(e))
			}
		}
	})
	return n.hot
}

// worstLoad locates an element's entry in Scenario.Overloads and keeps its
// ratio unrounded (the entry's is rounded to 4 digits).
type worstLoad struct {
	i     int // index in Scenario.Overloads
	ratio float64
}

// noteOverload records the load a on element e at time t when it is the
// worst seen: an equal load seen later (to rounding) keeps the first.
func (s *Sim) noteOverload(sc *Scenario, worst map[int32]worstLoad, e int32, a Assessment, t float64) {
	el := &s.n.M.Elements[e]
	o := Overload{Element: el.ID, Kind: el.Kind.String(), TS: Seconds(t), CurrentA: r3(a.CurrentA), RatingA: r3(a.RatingA),
		Ratio: round(a.Ratio, 4), Verdict: a.Verdict, TripMinS: Seconds(a.Band.MinS), TripMaxS: Seconds(a.Band.MaxS), ShedW: math.Round(a.ShedW)}
	if w, ok := worst[e]; ok {
		if a.Ratio > w.ratio*(1+tieTol) {
			sc.Overloads[w.i] = o
			worst[e] = worstLoad{w.i, a.Ratio}
		}
		return
	}
	worst[e] = worstLoad{len(sc.Overloads), a.Ratio}
	sc.Overloads = append(sc.Overloads, o)
}

// finish fills the dark set, the verdict and the risk of a scenario from
// the final state.
func (s *Sim) finish(sc *Scenario, psuDev, psuK int32) {
	n := s.n
	m := n.M
	sc.Dark = Dark{Racks: []string{}, Instances: []string{}} // Elements and Devices below: empty, not nil, when none
	if sc.Overloads == nil {
		sc.Overloads = []Overload{}
	}
	slices.Sort(s.region) // topological order
	dead := 0
	for _, e := range s.region {
		if !s.cur.Live[e] {
			dead++
		}
	}
	sc.Dark.Elements = make([]string, 0, dead)
	for _, e := range s.region {
		if !s.cur.Live[e] {
			sc.Dark.Elements = append(sc.Dark.Elements, m.Elements[e].ID)
		}
	}
	var darkDevs []int32
	perRack := map[int32]int{}
	for _, d := range s.devs {
		if s.deviceDark(d, psuDev, psuK) {
			darkDevs = append(darkDevs, d)
			perRack[m.Devices[d].Rack]++
		}
	}
	slices.Sort(darkDevs)
	var racks []int32
	sc.Dark.Devices = make([]string, 0, len(darkDevs))
	for _, d := range darkDevs {
		sc.Dark.Devices = append(sc.Dark.Devices, m.Devices[d].ID)
		r := m.Devices[d].Rack
		if c := perRack[r]; c > 0 && c == n.rackDevices()[r] {
			racks = append(racks, r)
			perRack[r] = 0 // once
		}
		for _, in := range n.pinnedOn()[d] {
			sc.Dark.Instances = append(sc.Dark.Instances, fmt.Sprintf("%s#%d", m.Services[in.svc].ID, in.i))
		}
	}
	slices.Sort(racks)
	for _, r := range racks {
		sc.Dark.Racks = append(sc.Dark.Racks, m.Racks[r].ID)
	}
	sort.Strings(sc.Dark.Instances)
	sortOverloads(sc.Overloads)
	for _, o := range sc.Overloads {
		sc.Verdict = max(sc.Verdict, o.Verdict)
		sc.worst = max(sc.worst, o.Ratio)
	}
	if sc.Tripped > 0 {
		sc.Verdict = Trip
	}
}

// changed reports whether element e's line currents differ from normal
// operation (beyond rounding): only then is a load below may-trip news.
func (s *Sim) changed(e int32) bool {
	for k := range 3 {
		if cmplx.Abs(s.cur.Cur[e][k]-s.n.Base.Cur[e][k]) > 1e-9 {
			return true
		}
	}
	return false
}

// pickupTol is the relative rise under which an element's load counts as
// unchanged (rounding of the incremental sums).
const pickupTol = 1e-6

// pickups lists the elements among elems (those a failure touched) whose
// current flow f raises above normal operation, worst verdict first, then
// by load over rating.
func (s *Sim) pickups(f *Flow, elems []int32) []Pickup {
	n := s.n
	m := n.M
	out := make([]Pickup, 0, 8)
	for _, e := range elems {
		if !f.Live[e] {
			continue
		}
		before, after := n.Base.CurrentA(int(e)), f.CurrentA(int(e))
		if after <= before*(1+pickupTol)+1e-9 {
			continue
		}
		el := &m.Elements[e]
		a := n.assess(f, int(e))
		b := n.assess(&n.Base, int(e))
		p := Pickup{Element: el.ID, Kind: el.Kind.String(), BeforeA: r3(before), AfterA: r3(after), BeforeW: r3(n.Base.P[e]), AfterW: r3(f.P[e]),
			RatingA: r3(a.RatingA), BeforePct: round(b.Ratio*100, 2), AfterPct: round(a.Ratio*100, 2), Verdict: a.Verdict}
		if el.RatingA == 0 {
			p.CapacityKW = el.CapacityW / 1000
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Verdict != out[j].Verdict {
			return out[i].Verdict > out[j].Verdict
		}
		if out[i].AfterPct != out[j].AfterPct {
			return out[i].AfterPct > out[j].AfterPct
		}
		return out[i].Element < out[j].Element
	})
	return out
}

// instanceRef is instance i of service svc.
type instanceRef struct{ svc, i int32 }

// pinnedOn lists, per device, the workload instances pinned to it.
func (n *Network) pinnedOn() [][]instanceRef {
	n.pinOnce.Do(func() {
		n.pins = make([][]instanceRef, len(n.M.Devices))
		for s, sv := range n.M.Services {
			for i, d := range sv.Pinned {
				n.pins[d] = append(n.pins[d], instanceRef{int32(s), int32(i)})
			}
		}
	})
	return n.pins
}

// rackDevices counts devices per rack.
func (n *Network) rackDevices() []int {
	n.rackOnce.Do(func() {
		n.perRack = make([]int, len(n.M.Racks))
		for _, d := range n.M.Devices {
			n.perRack[d.Rack]++
		}
	})
	return n.perRack
}

func r3(v float64) float64 { return round(v, 3) }
