package power

import (
	"math"
	"math/cmplx"
	"sync"

	"blackstart/topology"
)

// Phasors are RMS complex amperes in the frame of the site: each element
// carries, per line of its supply, the phasor of the current it draws. A
// single-phase element uses index 0 only, with the phasor already rotated to
// the angle of the voltage it is connected across. Angles are those of the
// preferred supply path (Network.angle): below a transfer switch running on
// its other input they are off by the angle between its two inputs, which
// lift applies when it carries them above the switch.
type phasors [3]complex128

// lineAngle is the angle of line k's line-to-neutral voltage, radians.
var lineAngle = [3]float64{0, -2 * math.Pi / 3, 2 * math.Pi / 3}

// lineIndex maps a line-to-neutral connection to its line, and a
// line-to-line connection to its (from, to) lines.
func lineIndex(l topology.Line) (int, int) {
	switch l {
	case topology.LineL1:
		return 0, -1
	case topology.LineL2:
		return 1, -1
	case topology.LineL3:
		return 2, -1
	case topology.LineL1L2:
		return 0, 1
	case topology.LineL2L3:
		return 1, 2
	case topology.LineL3L1:
		return 2, 0
	}
	return -1, -1
}

// Network is the static electrical structure of a model under one draw
// basis, with its flow in normal operation. It is immutable once built and
// safe for concurrent readers; scenarios run on a Sim that borrows it.
type Network struct {
	M     *topology.Model
	Basis Basis

	DrawW     []float64 // per device: draw used, W, >= 0
	DrawBasis []Basis   // per device: the figure the draw came from
	pf        []float64 // per device: power factor in (0, 1]

	qf        []float64  // per device: reactive over real power, tan φ
	psuUnit   []phasors  // per PSU (device-major, see psuOff): line currents in its feed per watt drawn
	psuOff    []int32    // per device: index of its first PSU in psuUnit
	children  [][]int32  // element → elements that list it as an input
	feedPSUs  [][]psuRef // element → PSUs plugged into it
	angle     []float64  // element → angle of its supply voltage (L1 for three-phase), radians
	transform []bool     // element sets its own voltage (transformer panel or UPS)
	curve     []Curve    // element → trip characteristic, valid where hasCurve
	hasCurve  []bool

	hotOnce  sync.Once
	hot      []int32 // elements at may-trip or worse in the base flow
	rackOnce sync.Once
	perRack  []int // devices per rack
	pinOnce  sync.Once
	pins     [][]instanceRef // per device: instances pinned to it

	// Base is the flow in normal operation: everything energized, every
	// transfer switch on its preferred input, every PSU sharing its device.
	Base Flow
}

// psuRef names PSU k of device d.
type psuRef struct {
	dev int32
	k   int32
}

// Flow is the electrical state of every element.
type Flow struct {
	Live   []bool    // energized
	Active []int8    // index into Inputs of the input carrying the element, -1 when dead
	Cur    []phasors // line currents, A
	P      []float64 // real power through the element, W
	Q      []float64 // reactive power through the element, var
}

// CurrentA returns the current of element e in flow f: the largest line
// current, amperes.
func (f *Flow) CurrentA(e int) float64 {
	c := &f.Cur[e]
	return max(cmplx.Abs(c[0]), cmplx.Abs(c[1]), cmplx.Abs(c[2]))
}

// ApparentVA returns the apparent power through element e, VA.
func (f *Flow) ApparentVA(e int) float64 { return math.Hypot(f.P[e], f.Q[e]) }

func newFlow(n int) Flow {
	return Flow{Live: make([]bool, n), Active: make([]int8, n), Cur: make([]phasors, n), P: make([]float64, n), Q: make([]float64, n)}
}

// NewNetwork prepares model m for analysis on draw basis b and computes the
// flow in normal operation.
func NewNetwork(m *topology.Model, b Basis) *Network { return newNetwork(m, b, nil) }

// NewNetworkDraws is NewNetwork with device d drawing drawW[d] watts (>= 0,
// one per device) instead of a basis figure: the draws of a plan's end
// state, or of a capacity scenario. DrawBasis says b for every device.
func NewNetworkDraws(m *topology.Model, b Basis, drawW []float64) *Network {
	return newNetwork(m, b, drawW)
}

func newNetwork(m *topology.Model, b Basis, drawW []float64) *Network {
	ne := len(m.Elements)
	n := &Network{
		M: m, Basis: b,
		DrawW: make([]float64, len(m.Devices)), DrawBasis: make([]Basis, len(m.Devices)), pf: make([]float64, len(m.Devices)),
		children: make([][]int32, ne), feedPSUs: make([][]psuRef, ne),
		angle: make([]float64, ne), transform: make([]bool, ne),
		curve: make([]Curve, ne), hasCurve: make([]bool, ne),
	}
	for i := range m.Elements {
		e := &m.Elements[i]
		for _, in := range e.Inputs {
			n.children[in] = append(n.children[in], int32(i))
		}
		n.curve[i], n.hasCurve[i] = CurveFor(e)
		if len(e.Inputs) == 0 {
			continue
		}
		sup := &m.Elements[e.Inputs[e.Preferred]]
		// A transformer (a UPS or panel that sets its own voltage) is the only
		// element below its supply without a line connection that changes
		// voltage or phases.
		n.transform[i] = e.Line == topology.LineNone && (e.VoltageV != sup.VoltageV || e.Phases != sup.Phases)
		a := n.angle[e.Inputs[e.Preferred]]
		if j, k := lineIndex(e.Line); j >= 0 {
			a += lineAngle[j]
			if k >= 0 {
				a += math.Pi / 6 // V_jk leads V_j by 30°
			}
		}
		n.angle[i] = a
	}
	psus := 0
	for d := range m.Devices {
		psus += len(m.Devices[d].Feeds)
	}
	n.qf, n.psuOff, n.psuUnit = make([]float64, 0, len(m.Devices)), make([]int32, 0, len(m.Devices)), make([]phasors, 0, psus)
	for d := range m.Devices {
		dev := &m.Devices[d]
		n.DrawW[d], n.DrawBasis[d] = Draw(m, dev, b)
		if drawW != nil {
			n.DrawW[d], n.DrawBasis[d] = drawW[d], b
		}
		pf := m.DeviceModels[dev.Model].PowerFactor
		if pf == 0 && len(dev.Feeds) > 0 {
			pf = m.Elements[dev.Feeds[0]].PowerFactor
		}
		if pf == 0 { // an imported node with no power topology
			pf = 1
		}
		n.pf[d] = pf
		n.qf = append(n.qf, math.Tan(math.Acos(pf)))
		n.psuOff = append(n.psuOff, int32(len(n.psuUnit)))
		for _, f := range dev.Feeds {
			n.psuUnit = append(n.psuUnit, n.psuPhasors(f, 1, pf))
		}
		for k, f := range dev.Feeds {
			n.feedPSUs[f] = append(n.feedPSUs[f], psuRef{int32(d), int32(k)})
		}
	}
	n.Base = n.fullFlow(nil, -1, -1)
	return n
}

// powered counts device d's PSUs whose feed is live, leaving out PSU
// faultK when d is faultDev (a faulted PSU draws nothing).
func (n *Network) powered(live []bool, d, faultDev, faultK int32) int {
	k := 0
	for j, f := range n.M.Devices[d].Feeds {
		if live[f] && !(d == faultDev && int32(j) == faultK) {
			k++
		}
	}
	return k
}

// psuPhasors returns the line currents a PSU drawing w watts at power
// factor pf causes in feed element f.
func (n *Network) psuPhasors(f int32, w, pf float64) phasors {
	var out phasors
	if w == 0 {
		return out
	}
	e := &n.M.Elements[f]
	phi := math.Acos(pf)
	if e.Phases == 3 { // a load on a three-phase feed is taken as balanced
		mag := w / (math.Sqrt(3) * e.VoltageV * pf)
		for k := range out {
			out[k] = cmplx.Rect(mag, n.angle[f]+lineAngle[k]-phi)
		}
		return out
	}
	out[0] = cmplx.Rect(w/(e.VoltageV*pf), n.angle[f]-phi)
	return out
}

// lift converts the line currents of element c into the contribution they
// make to its input p.
//
// The phasors below c are in the frame of c's preferred input (angle). When
// a transfer switch or dual-input rack PDU runs on its other input, whose
// voltage may sit at another angle (two circuits on different lines), they
// are rotated by the difference.
func (n *Network) lift(c int32, p int32, v phasors) phasors {
	e := &n.M.Elements[c]
	if len(e.Inputs) == 2 && p != e.Inputs[e.Preferred] {
		r := cmplx.Rect(1, n.angle[p]-n.angle[e.Inputs[e.Preferred]])
		for k := range v {
			v[k] *= r
		}
	}
	var out phasors
	if n.transform[c] {
		sup := &n.M.Elements[p]
		// Ideal transformer: the same complex power at the supply voltage,
		// phase by phase when both sides have three phases.
		if e.Phases == sup.Phases {
			r := complex(e.VoltageV/sup.VoltageV, 0)
			for k := range v {
				out[k] = v[k] * r
			}
			return out
		}
		s := n.complexPower(c, v)
		if sup.Phases == 1 {
			out[0] = cmplx.Conj(s / cmplx.Rect(sup.VoltageV, n.angle[p]))
			return out
		}
		for k := range out {
			out[k] = cmplx.Conj(s / 3 / cmplx.Rect(sup.VoltageV/math.Sqrt(3), n.angle[p]+lineAngle[k]))
		}
		return out
	}
	switch j, k := lineIndex(e.Line); {
	case j < 0: // same system: single-phase under single-phase, or three-phase under three-phase
		return v
	case k < 0:
		out[j] = v[0]
	default:
		out[j] = v[0]
		out[k] = -v[0]
	}
	return out
}

// complexPower returns the complex power S = Σ V·conj(I) of element e
// carrying line currents v.
func (n *Network) complexPower(e int32, v phasors) complex128 {
	el := &n.M.Elements[e]
	if el.Phases == 1 {
		return cmplx.Rect(el.VoltageV, n.angle[e]) * cmplx.Conj(v[0])
	}
	var s complex128
	for k := range v {
		s += cmplx.Rect(el.VoltageV/math.Sqrt(3), n.angle[e]+lineAngle[k]) * cmplx.Conj(v[k])
	}
	return s
}

// fullFlow computes a flow from scratch with the elements in open opened,
// PSU k of device dev faulted (dev < 0: none). It is the reference the
// incremental scenarios are checked against, and builds the normal flow.
func (n *Network) fullFlow(open []bool, dev, k int) Flow {
	m := n.M
	f := newFlow(len(m.Elements))
	for i := range m.Elements {
		e := &m.Elements[i]
		f.Active[i] = -1
		if open != nil && open[i] {
			continue
		}
		if len(e.Inputs) == 0 {
			f.Live[i], f.Active[i] = true, 0
			continue
		}
		if f.Live[e.Inputs[e.Preferred]] {
			f.Live[i], f.Active[i] = true, int8(e.Preferred)
		} else if len(e.Inputs) == 2 && f.Live[e.Inputs[1-e.Preferred]] {
			f.Live[i], f.Active[i] = true, int8(1-e.Preferred)
		}
	}
	for d := range m.Devices {
		dev2 := &m.Devices[d]
		powered := n.powered(f.Live, int32(d), int32(dev), int32(k))
		if powered < m.DeviceModels[dev2.Model].PSUsRequired {
			continue
		}
		w := n.DrawW[d] / float64(powered)
		for j, fe := range dev2.Feeds {
			if f.Live[fe] && !(d == dev && j == k) {
				v := n.psuPhasors(fe, w, n.pf[d])
				for l := range v {
					f.Cur[fe][l] += v[l]
				}
				f.P[fe] += w
				f.Q[fe] += w * math.Tan(math.Acos(n.pf[d]))
			}
		}
	}
	for i := len(m.Elements) - 1; i >= 0; i-- {
		e := &m.Elements[i]
		if !f.Live[i] || len(e.Inputs) == 0 {
			continue
		}
		p := e.Inputs[f.Active[i]]
		v := n.lift(int32(i), p, f.Cur[i])
		for l := range v {
			f.Cur[p][l] += v[l]
		}
		f.P[p] += f.P[i]
		f.Q[p] += f.Q[i]
	}
	return f
}
