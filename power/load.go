package power

import (
	"encoding/json"
	"fmt"
	"math/cmplx"
	"slices"
	"sort"

	"blackstart/topology"
)

// ElementLoad is the load on one element in normal operation.
type ElementLoad struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	Live          bool      `json:"live"`
	VoltageV      float64   `json:"voltage_v"`
	Phases        int       `json:"phases"`
	Line          string    `json:"line,omitempty"`            // connection to a three-phase supply
	PowerW        float64   `json:"power_w"`                   // real power, W
	ApparentVA    float64   `json:"apparent_va"`               // apparent power, VA
	CurrentA      float64   `json:"current_a"`                 // largest line current, A
	LineCurrentsA []float64 `json:"line_currents_a,omitempty"` // three-phase: L1, L2, L3 phasor sums, A
	ImbalancePct  float64   `json:"imbalance_pct,omitempty"`   // largest deviation from the mean line current, % of the mean
	// NeutralA is the neutral current of a three-phase element, A: the
	// phasor sum of its line currents on a wye supply, null on a delta one
	// (no neutral); absent on single-phase elements. Fundamental only:
	// triplen harmonics are not included.
	NeutralA         Neutral `json:"neutral_a,omitzero"`
	NeutralRatingA   float64 `json:"neutral_rating_a,omitempty"` // the neutral's rating, A (wye with a rating: neutral_rating_a, default rating_a)
	NeutralPct       float64 `json:"neutral_pct,omitempty"`      // neutral current over its rating, %
	NeutralVerdict   string  `json:"neutral_verdict,omitempty"`  // the neutral's verdict against its rating (wye with a rating)
	RatingA          float64 `json:"rating_a"`                   // In, A; 0 when unrated
	ContinuousLimitA float64 `json:"continuous_limit_a"`         // limit × In, A
	CapacityVA       float64 `json:"capacity_va,omitempty"`      // UPS/source apparent capacity, VA
	CapacityW        float64 `json:"capacity_w,omitempty"`       // UPS/source real capacity, W
	UtilizationPct   float64 `json:"utilization_pct"`            // load over rating, % (a 4-pole breaker: the worse of its lines and its neutral)
	ContinuousPct    float64 `json:"continuous_pct"`             // load over the continuous limit, %
	Verdict          Verdict `json:"verdict"`
	TripMinS         Seconds `json:"trip_min_s"`
	TripMaxS         Seconds `json:"trip_max_s"`
	ShedW            float64 `json:"shed_w"`
}

// Neutral is the neutral current of an element for output: a number of
// amperes on a three-phase wye element, null on a three-phase delta one
// (it has no neutral), and nothing at all (omitted) on a single-phase one.
type Neutral struct {
	ThreePhase bool    // the element is three-phase
	Wye        bool    // and wye-connected: A is its neutral current
	A          float64 // neutral current, A, >= 0
}

// IsZero reports a single-phase element, whose field is omitted.
func (n Neutral) IsZero() bool { return !n.ThreePhase }

// MarshalJSON writes the current, or null without a neutral.
func (n Neutral) MarshalJSON() ([]byte, error) {
	if !n.Wye {
		return []byte("null"), nil
	}
	return json.Marshal(n.A)
}

// UnmarshalJSON reads a current or null (a field that is absent leaves a
// single-phase zero value).
func (n *Neutral) UnmarshalJSON(b []byte) error {
	*n = Neutral{ThreePhase: true}
	if string(b) == "null" {
		return nil
	}
	n.Wye = true
	return json.Unmarshal(b, &n.A)
}

// SideLoad is one feed of a rack: its share in normal operation and what it
// carries when every other feed of the rack is lost.
type SideLoad struct {
	Feed    string  `json:"feed"`     // branch circuit (or breaker) id
	Breaker string  `json:"breaker"`  // protective device of the feed, "" if none
	RatingA float64 `json:"rating_a"` // In of that device, A (0 if none)
	// NormalA, NormalPct, FailoverA and FailoverPct are the current through
	// the protective device (the feed itself when there is none).
	NormalA     float64 `json:"normal_a"`   // current in normal operation, A
	NormalW     float64 `json:"normal_w"`   // real power in normal operation, W
	SharePct    float64 `json:"share_pct"`  // share of the rack's feeds' power on this side, %
	NormalPct   float64 `json:"normal_pct"` // normal current over In, %
	FailoverA   float64 `json:"failover_a"` // current when the rack's other feeds are lost, A
	FailoverW   float64 `json:"failover_w"`
	FailoverPct float64 `json:"failover_pct"` // failover current over In, %
	// FailoverVerdict is the worst verdict, in that failover state, of the
	// elements on the side's path from its source to the rack's PSUs (the
	// source, UPS, panels, the feed's breaker, the circuit, the rack PDU,
	// its banks); WorstElement names it (the element nearest its rating
	// among those with the worst verdict: what limits the side), with its
	// kind, current, rating and load over rating.
	FailoverVerdict Verdict `json:"failover_verdict"`
	WorstElement    string  `json:"worst_element"`
	WorstKind       string  `json:"worst_kind"`
	WorstCurrentA   float64 `json:"worst_current_a"`
	WorstRatingA    float64 `json:"worst_rating_a"` // In, A (a UPS or source: the current at its rated power); 0 when unrated
	WorstPct        float64 `json:"worst_pct"`      // its load over its rating, % (a UPS or source: power over capacity)
	TripMinS        Seconds `json:"trip_min_s"`     // band of the worst element at the failover load, s; null: holds
	TripMaxS        Seconds `json:"trip_max_s"`     // null: not required to trip
	ShedW           float64 `json:"shed_w"`         // watts the worst element must shed to be within its continuous limit
}

// RackLoad is a rack's feeds.
type RackLoad struct {
	ID    string     `json:"id"`
	Sides []SideLoad `json:"sides"`
	// Worst is the worst failover verdict of the sides; at least
	// CannotJudge when CannotJudge lists reasons.
	Worst Verdict `json:"worst_failover_verdict"`
	// CannotJudge says why the model cannot support an N-1 judgement of
	// the rack (topology.Model.RackGaps); empty when it can.
	CannotJudge []string `json:"cannot_judge,omitempty"`
}

// DeviceDraw says which figure a device's draw came from.
type DeviceDraw struct {
	ID    string  `json:"id"`
	Basis string  `json:"basis"`
	DrawW float64 `json:"draw_w"`
}

// LoadReport is the load flow in normal operation.
type LoadReport struct {
	Basis       string         `json:"basis"`
	BasisCounts map[string]int `json:"basis_counts"` // devices per figure used
	Worst       Verdict        `json:"worst_verdict"`
	Elements    []ElementLoad  `json:"elements"`
	Racks       []RackLoad     `json:"racks"` // worst failover first
	Devices     []DeviceDraw   `json:"devices"`
}

// Load reports the normal-operation flow: every element and line, every
// rack's sides with their failover load, and the draw basis of every device.
func (n *Network) Load() LoadReport {
	m := n.M
	rep := LoadReport{Basis: n.Basis.String(), BasisCounts: map[string]int{}}
	f := &n.Base
	for e := range m.Elements {
		el := &m.Elements[e]
		a := n.assess(f, e)
		l := ElementLoad{ID: el.ID, Kind: el.Kind.String(), Live: f.Live[e], VoltageV: r3(el.VoltageV), Phases: el.Phases,
			PowerW: r3(f.P[e]), ApparentVA: r3(f.ApparentVA(e)), CurrentA: r3(f.CurrentA(e)), RatingA: el.RatingA,
			ContinuousLimitA: r3(el.ContinuousLimit * el.RatingA), CapacityVA: el.CapacityVA, CapacityW: el.CapacityW,
			UtilizationPct: round(a.Ratio*100, 2), Verdict: a.Verdict, TripMinS: Seconds(a.Band.MinS), TripMaxS: Seconds(a.Band.MaxS),
			ShedW: round(a.ShedW, 0)}
		if el.Line != topology.LineNone && el.Line != topology.LineAll {
			l.Line = el.Line.String()
		}
		if a.Rated && el.ContinuousLimit > 0 {
			l.ContinuousPct = round(a.Ratio/el.ContinuousLimit*100, 2)
		}
		if el.Phases == 3 {
			c := f.Cur[e]
			l.LineCurrentsA = []float64{r3(cmplx.Abs(c[0])), r3(cmplx.Abs(c[1])), r3(cmplx.Abs(c[2]))}
			l.ImbalancePct = round(Imbalance(cmplx.Abs(c[0]), cmplx.Abs(c[1]), cmplx.Abs(c[2])), 2)
			l.NeutralA = Neutral{ThreePhase: true}
			if nA, ok := NeutralA(el, (*[3]complex128)(&c)); ok {
				l.NeutralA = Neutral{ThreePhase: true, Wye: true, A: r3(nA)}
				if el.NeutralRatingA > 0 {
					v, _ := n.NeutralVerdict(e, nA)
					l.NeutralRatingA, l.NeutralPct, l.NeutralVerdict = el.NeutralRatingA, round(nA/el.NeutralRatingA*100, 2), v.String()
				}
			}
		}
		rep.Worst = max(rep.Worst, a.Verdict)
		rep.Elements = append(rep.Elements, l)
	}
	rep.Racks = n.rackSides()
	for d := range m.Devices {
		b := n.DrawBasis[d].String()
		rep.BasisCounts[b]++
		rep.Devices = append(rep.Devices, DeviceDraw{ID: m.Devices[d].ID, Basis: b, DrawW: n.DrawW[d]})
	}
	return rep
}

// Imbalance is the current imbalance of three line currents: the largest
// deviation from their mean, in percent of the mean (0 when all are 0).
func Imbalance(a, b, c float64) float64 {
	mean := (a + b + c) / 3
	if mean == 0 {
		return 0
	}
	return max(abs(a-mean), abs(b-mean), abs(c-mean)) / mean * 100
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// RackLoads returns the racks of the load report (LoadReport.Racks, worst
// failover first) without the rest of it: for a caller that needs only
// each rack's sides.
func (n *Network) RackLoads() []RackLoad { return n.rackSides() }

// rackSides computes, for each rack, each feed's normal load and the load
// it carries when the rack's other feeds are lost.
func (n *Network) rackSides() []RackLoad {
	m := n.M
	feeds := m.Feeds()
	rackFeeds := make([][]int32, len(m.Racks))
	rackDevs := make([][]int32, len(m.Racks))
	for d, dev := range m.Devices {
		rackDevs[dev.Rack] = append(rackDevs[dev.Rack], int32(d))
		for _, f := range dev.Feeds {
			for _, x := range feeds[f] {
				if !slices.Contains(rackFeeds[dev.Rack], x) {
					rackFeeds[dev.Rack] = append(rackFeeds[dev.Rack], x)
				}
			}
		}
	}
	gaps := m.RackGaps()
	s := NewSim(n)
	out := make([]RackLoad, len(m.Racks))
	for r := range m.Racks {
		fs := rackFeeds[r]
		sort.Slice(fs, func(i, j int) bool { return fs[i] < fs[j] })
		rl := RackLoad{ID: m.Racks[r].ID, Sides: []SideLoad{}}
		var totalW float64
		for _, f := range fs {
			totalW += n.Base.P[f]
		}
		for _, f := range fs {
			prot := int(f)
			side := SideLoad{Feed: m.Elements[f].ID, NormalW: r3(n.Base.P[f])}
			if b := m.ProtectedBy(int(f)); b >= 0 {
				prot = b
				side.Breaker = m.Elements[b].ID
				side.RatingA = m.Elements[b].RatingA
			}
			side.NormalA = r3(n.Base.CurrentA(prot))
			if totalW > 0 {
				side.SharePct = round(n.Base.P[f]/totalW*100, 2)
			}
			if side.RatingA > 0 {
				side.NormalPct = round(n.Base.CurrentA(prot)/side.RatingA*100, 2)
			}
			var others []int32
			for _, g := range fs {
				if g != f {
					others = append(others, g)
				}
			}
			s.apply(others, -1, -1)
			side.FailoverA, side.FailoverW = r3(s.cur.CurrentA(prot)), r3(s.cur.P[prot])
			if side.RatingA > 0 {
				side.FailoverPct = round(side.FailoverA/side.RatingA*100, 2)
			}
			worst, wa := -1, Assessment{}
			for _, e := range n.sidePath(int32(prot), f, rackDevs[r]) {
				a := n.assess(&s.cur, int(e))
				if worst < 0 || a.Verdict > wa.Verdict || a.Verdict == wa.Verdict && a.Ratio > wa.Ratio {
					worst, wa = int(e), a
				}
			}
			side.FailoverVerdict, side.ShedW = wa.Verdict, round(wa.ShedW, 0)
			side.WorstElement, side.WorstCurrentA, side.WorstRatingA = m.Elements[worst].ID, r3(wa.CurrentA), r3(wa.RatingA)
			side.WorstKind, side.WorstPct = m.Elements[worst].Kind.String(), round(wa.Ratio*100, 2)
			side.TripMinS, side.TripMaxS = Seconds(wa.Band.MinS), Seconds(wa.Band.MaxS)
			rl.Worst = max(rl.Worst, wa.Verdict)
			rl.Sides = append(rl.Sides, side)
		}
		if len(gaps[r]) > 0 {
			rl.CannotJudge, rl.Worst = gaps[r], max(rl.Worst, CannotJudge)
		}
		out[r] = rl
	}
	s.reset()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Worst != out[j].Worst {
			return out[i].Worst > out[j].Worst
		}
		return maxFailover(out[i]) > maxFailover(out[j])
	})
	return out
}

// sidePath lists the elements one side of a rack loads: from the source
// down through the protective device prot to feed f, and from f down to
// every PSU of the rack's devices that hangs below f.
func (n *Network) sidePath(prot, f int32, devs []int32) []int32 {
	m := n.M
	var out []int32
	seen := map[int32]bool{}
	add := func(e int32) {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for e := f; ; { // f up through prot to the source: panels, UPSes and sources limit a side too
		add(e)
		el := &m.Elements[e]
		if len(el.Inputs) == 0 {
			break
		}
		e = el.Inputs[el.Preferred]
	}
	below := map[int32]bool{f: true}
	stack := []int32{f}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range n.children[e] {
			if !below[c] {
				below[c] = true
				stack = append(stack, c)
			}
		}
	}
	for _, d := range devs {
		for _, e := range m.Devices[d].Feeds {
			for e := e; below[e] && !seen[e]; { // up from the PSU to f
				add(e)
				el := &m.Elements[e]
				next := int32(-1)
				for _, in := range el.Inputs {
					if below[in] {
						next = in
						break
					}
				}
				if next < 0 {
					break
				}
				e = next
			}
		}
	}
	return out
}

func maxFailover(r RackLoad) float64 {
	w := 0.0
	for _, s := range r.Sides {
		w = max(w, s.FailoverPct)
	}
	return w
}

// LoadOptions narrow a load report to what a planner asked about.
type LoadOptions struct {
	// Racks, when not empty, keeps only these racks' sides and the
	// elements that feed them: every element on a path from a source down
	// to a PSU of a device in one of the racks.
	Racks []string
	// Worst, when > 0, keeps only the Worst worst elements (by verdict,
	// then load over rating) and the Worst worst racks.
	Worst int
}

// Select returns the part of load report rep (from n.Load) that o asks
// for: elements stay in model order, racks worst first; Worst is
// recomputed over what is kept. An unknown rack id is an error naming it.
func (n *Network) Select(rep LoadReport, o LoadOptions) (LoadReport, error) {
	m := n.M
	out := rep
	if len(o.Racks) > 0 {
		want := map[string]bool{}
		for _, id := range o.Racks {
			r, ok := m.RackIndex(id)
			if !ok {
				return LoadReport{}, fmt.Errorf("no rack %q in the model", id)
			}
			want[m.Racks[r].ID] = true
		}
		feeds := make([]bool, len(m.Elements))
		for d := range m.Devices {
			if !want[m.Racks[m.Devices[d].Rack].ID] {
				continue
			}
			stack := append([]int32(nil), m.Devices[d].Feeds...)
			for len(stack) > 0 {
				e := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if feeds[e] {
					continue
				}
				feeds[e] = true
				stack = append(stack, m.Elements[e].Inputs...)
			}
		}
		out.Elements, out.Racks = nil, nil
		for e := range rep.Elements {
			if feeds[e] {
				out.Elements = append(out.Elements, rep.Elements[e])
			}
		}
		for _, r := range rep.Racks {
			if want[r.ID] {
				out.Racks = append(out.Racks, r)
			}
		}
	}
	if o.Worst > 0 {
		idx := make([]int, len(out.Elements))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool {
			a, b := &out.Elements[idx[i]], &out.Elements[idx[j]]
			if a.Verdict != b.Verdict {
				return a.Verdict > b.Verdict
			}
			return a.UtilizationPct > b.UtilizationPct
		})
		if len(idx) > o.Worst {
			idx = idx[:o.Worst]
		}
		sort.Ints(idx) // model order
		els := make([]ElementLoad, len(idx))
		for i, k := range idx {
			els[i] = out.Elements[k]
		}
		out.Elements = els
		if len(out.Racks) > o.Worst {
			out.Racks = out.Racks[:o.Worst]
		}
	}
	if out.Elements == nil {
		out.Elements = []ElementLoad{}
	}
	if out.Racks == nil {
		out.Racks = []RackLoad{}
	}
	out.Worst = OK
	for _, e := range out.Elements {
		out.Worst = max(out.Worst, e.Verdict)
	}
	return out, nil
}
