package power

import (
	"math"
	"math/cmplx"
	"sort"

	"blackstart/topology"
)

// NewNetworkMetered prepares model m on BasisMeasured with the draws
// measured outside the model: metered maps a device id to its measured
// draw, W (>= 0; the p95 of its meter readings over a window). A device in
// metered draws that figure (DrawBasis BasisMeteredP95); any other falls
// back as BasisMeasured does without meters: to its own or its model's
// measured_w, else the model's most conservative figure. Ids that are not
// devices of m are ignored.
func NewNetworkMetered(m *topology.Model, metered map[string]float64) *Network {
	drawW := make([]float64, len(m.Devices))
	basis := make([]Basis, len(m.Devices))
	for d := range m.Devices {
		dev := &m.Devices[d]
		if w, ok := metered[dev.ID]; ok {
			drawW[d], basis[d] = w, BasisMeteredP95
		} else {
			drawW[d], basis[d] = Draw(m, dev, BasisMeasured)
		}
	}
	n := newNetwork(m, BasisMeasured, drawW)
	copy(n.DrawBasis, basis) // the flow does not read it: which figure each draw came from
	return n
}

// Metered is one measured series summarized over a window: the input of
// Gap. Values are watts for power_w, amperes for current_a.
type Metered struct {
	Element  string  // device or element id
	Line     string  // "" for the whole element, else "L1", "L2" or "L3"
	Quantity string  // "power_w" or "current_a"
	Readings int     // readings summarized, >= 1
	P95      float64 // 95th percentile
	Max      float64 // peak
}

// GapRow is one measured series against the model's figure for it. The
// power fields (W) are set for power_w rows, the current fields (A) for
// current_a rows; Model* is absent where the model gives no figure for the
// series (a per-line power).
type GapRow struct {
	Element  string   `json:"element"`
	Kind     string   `json:"kind"` // device, rack_pdu, bank, circuit or breaker
	Rack     string   `json:"rack,omitempty"`
	Line     string   `json:"line,omitempty"`
	Quantity string   `json:"quantity"` // power_w or current_a
	Readings int      `json:"readings"`
	ModelW   *float64 `json:"model_w,omitempty"`  // the model's draw or load on the analysis basis, W
	P95W     *float64 `json:"p95_w,omitempty"`    // measured 95th percentile, W
	MaxW     *float64 `json:"max_w,omitempty"`    // measured peak, W
	ModelA   *float64 `json:"model_a,omitempty"`  // the model's current on the analysis basis, A
	P95A     *float64 `json:"p95_a,omitempty"`    // measured 95th percentile, A
	MaxA     *float64 `json:"max_a,omitempty"`    // measured peak, A
	RatingA  float64  `json:"rating_a,omitempty"` // In of the element, A (current rows of rated elements)
	// P95GapPct and PeakGapPct are (measured − model) / model, %: positive
	// when the meters read more than the model assumes. Absent without a
	// model figure > 0.
	P95GapPct  *float64 `json:"p95_gap_pct,omitempty"`
	PeakGapPct *float64 `json:"peak_gap_pct,omitempty"`
	// PeakExceedsModel flags a measured peak above the model's figure: the
	// plan's figures for this element are not conservative.
	PeakExceedsModel bool `json:"peak_exceeds_model"`
}

// RackGap is one rack's modelled draw against its measured draw.
type RackGap struct {
	Rack string `json:"rack"`
	// Source is what was measured: "rack_pdu" when every rack PDU of the
	// rack has power readings (their sum), else "devices" (the measured
	// devices only, and ModelW is the model's figure for those devices).
	Source           string  `json:"source"`
	Devices          int     `json:"devices"`          // devices in the rack
	DevicesMeasured  int     `json:"devices_measured"` // of which have power readings
	ModelW           float64 `json:"model_w"`          // the model's draw of what was measured, W
	P95W             float64 `json:"p95_w"`            // sum of the measured 95th percentiles, W
	MaxW             float64 `json:"max_w"`            // sum of the measured peaks, W
	P95GapPct        float64 `json:"p95_gap_pct"`      // (p95 − model) / model, %; 0 when the model figure is 0
	PeakGapPct       float64 `json:"peak_gap_pct"`
	PeakExceedsModel bool    `json:"peak_exceeds_model"`
}

// GapReport compares measured loads with the model, worst first.
type GapReport struct {
	Basis     string    `json:"basis"` // the model's figures compared
	Exceeding int       `json:"peak_exceeds_model"`
	Rows      []GapRow  `json:"elements"` // largest peak over model first; rows without a model figure last
	Racks     []RackGap `json:"racks"`    // largest peak over model first
	Unknown   []string  `json:"unknown_elements,omitempty"`
}

// Gap compares each measured series with the model's figure for it on
// n's basis: a device's draw, an element's real power, current (its
// largest line) or one line's current (the phasor sum) in normal
// operation. Series of ids not in the model are listed in Unknown.
func (n *Network) Gap(meas []Metered) GapReport {
	m := n.M
	rep := GapReport{Basis: n.Basis.String(), Rows: []GapRow{}, Racks: []RackGap{}}
	f := &n.Base
	devP := map[string]Metered{} // device → its power_w series
	elP := map[string]Metered{}
	for _, s := range meas {
		row := GapRow{Element: s.Element, Line: s.Line, Quantity: s.Quantity, Readings: s.Readings}
		var model float64
		hasModel := false
		if d, ok := m.DeviceIndex(s.Element); ok {
			dev := &m.Devices[d]
			row.Kind = "device"
			row.Rack = m.Racks[dev.Rack].ID
			switch {
			case s.Quantity == "power_w" && s.Line == "":
				model, hasModel = n.DrawW[d], true
				devP[s.Element] = s
			case s.Quantity == "current_a" && s.Line == "" && len(dev.Feeds) > 0:
				if fe := &m.Elements[dev.Feeds[0]]; fe.Phases == 1 && fe.VoltageV > 0 {
					model, hasModel = n.DrawW[d]/(fe.VoltageV*n.pf[d]), true
				}
			}
		} else if e, ok := m.ElementIndex(s.Element); ok {
			el := &m.Elements[e]
			row.Kind = el.Kind.String()
			if el.Rack >= 0 {
				row.Rack = m.Racks[el.Rack].ID
			}
			switch {
			case s.Quantity == "power_w" && s.Line == "":
				model, hasModel = f.P[e], true
				elP[s.Element] = s
			case s.Quantity == "current_a" && s.Line == "":
				model, hasModel = f.CurrentA(e), true
				row.RatingA = el.RatingA
			case s.Quantity == "current_a":
				k := int(s.Line[1] - '1')
				model, hasModel = cmplx.Abs(f.Cur[e][k]), true
				row.RatingA = el.RatingA
			}
		} else {
			rep.Unknown = append(rep.Unknown, s.Element)
			continue
		}
		p95, mx := r3(s.P95), r3(s.Max)
		mv := r3(model)
		if s.Quantity == "power_w" {
			row.P95W, row.MaxW = &p95, &mx
			if hasModel {
				row.ModelW = &mv
			}
		} else {
			row.P95A, row.MaxA = &p95, &mx
			if hasModel {
				row.ModelA = &mv
			}
		}
		if hasModel && model > 0 {
			g1, g2 := round((s.P95-model)/model*100, 2), round((s.Max-model)/model*100, 2)
			row.P95GapPct, row.PeakGapPct = &g1, &g2
		}
		row.PeakExceedsModel = hasModel && s.Max > model*(1+1e-9)
		if row.PeakExceedsModel {
			rep.Exceeding++
		}
		rep.Rows = append(rep.Rows, row)
	}
	key := func(r GapRow) float64 {
		if r.PeakGapPct == nil {
			return math.Inf(-1)
		}
		return *r.PeakGapPct
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if ka, kb := key(a), key(b); ka != kb {
			return ka > kb
		}
		if a.Element != b.Element {
			return a.Element < b.Element
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Quantity < b.Quantity
	})
	rep.Racks = n.rackGaps(devP, elP)
	return rep
}

// rackGaps sums each rack's measured power: its rack PDUs when all are
// measured, else its measured devices.
func (n *Network) rackGaps(devP, elP map[string]Metered) []RackGap {
	m := n.M
	racks := make([]RackGap, len(m.Racks))
	pdus := make([][]int, len(m.Racks))
	for i := range m.Racks {
		racks[i].Rack = m.Racks[i].ID
	}
	for e := range m.Elements {
		if el := &m.Elements[e]; el.Kind == topology.KindRackPDU && el.Rack >= 0 {
			pdus[el.Rack] = append(pdus[el.Rack], e)
		}
	}
	var devModel, devP95, devMax = make([]float64, len(m.Racks)), make([]float64, len(m.Racks)), make([]float64, len(m.Racks))
	for d := range m.Devices {
		r := m.Devices[d].Rack
		racks[r].Devices++
		if s, ok := devP[m.Devices[d].ID]; ok {
			racks[r].DevicesMeasured++
			devModel[r] += n.DrawW[d]
			devP95[r] += s.P95
			devMax[r] += s.Max
		}
	}
	out := []RackGap{}
	for i := range racks {
		g := &racks[i]
		all := len(pdus[i]) > 0
		for _, e := range pdus[i] {
			if _, ok := elP[m.Elements[e].ID]; !ok {
				all = false
			}
		}
		switch {
		case all:
			g.Source = "rack_pdu"
			for _, e := range pdus[i] {
				s := elP[m.Elements[e].ID]
				g.ModelW += n.Base.P[e]
				g.P95W += s.P95
				g.MaxW += s.Max
			}
		case g.DevicesMeasured > 0:
			g.Source = "devices"
			g.ModelW, g.P95W, g.MaxW = devModel[i], devP95[i], devMax[i]
		default:
			continue
		}
		if g.ModelW > 0 {
			g.P95GapPct = round((g.P95W-g.ModelW)/g.ModelW*100, 2)
			g.PeakGapPct = round((g.MaxW-g.ModelW)/g.ModelW*100, 2)
		}
		g.PeakExceedsModel = g.MaxW > g.ModelW*(1+1e-9)
		g.ModelW, g.P95W, g.MaxW = r3(g.ModelW), r3(g.P95W), r3(g.MaxW)
		out = append(out, *g)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].PeakGapPct != out[j].PeakGapPct {
			return out[i].PeakGapPct > out[j].PeakGapPct
		}
		return out[i].Rack < out[j].Rack
	})
	return out
}

// DrawSource lists the devices whose draw came from one figure.
type DrawSource struct {
	Basis   string   `json:"basis"` // measured-p95, measured, nameplate, …
	Devices []string `json:"devices"`
}

// DrawSources groups the devices by the figure their draw came from, in
// the order measured-p95, measured, then the model's figures.
func (n *Network) DrawSources() []DrawSource {
	order := []Basis{BasisMeteredP95, BasisMeasured, BasisNameplate, BasisPeak, BasisAllocated, BasisTypical, BasisConservative}
	by := map[Basis][]string{}
	for d := range n.M.Devices {
		by[n.DrawBasis[d]] = append(by[n.DrawBasis[d]], n.M.Devices[d].ID)
	}
	out := []DrawSource{}
	for _, b := range order {
		if ids := by[b]; len(ids) > 0 {
			out = append(out, DrawSource{Basis: b.String(), Devices: ids})
		}
	}
	return out
}
