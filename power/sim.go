package power

import (
	"math"
	"slices"
)

// Sim evaluates failure scenarios incrementally against a Network: only the
// elements below a failure and the paths above the devices that lose a PSU
// are recomputed, then restored. A Sim is not safe for concurrent use; run
// one per goroutine over a shared Network.
type Sim struct {
	n   *Network
	cur Flow // the scenario's flow: Base plus the changes listed in touched

	touched   []int32
	isTouched []bool
	open      []bool
	region    []int32 // elements below an opened element (energization recomputed)
	inRegion  []bool
	devs      []int32 // devices whose PSU currents or paths change
	devMark   []bool
}

// NewSim returns a simulator over n.
func NewSim(n *Network) *Sim {
	ne, nd := len(n.M.Elements), len(n.M.Devices)
	s := &Sim{n: n, cur: newFlow(ne), isTouched: make([]bool, ne), open: make([]bool, ne),
		inRegion: make([]bool, ne), devMark: make([]bool, nd)}
	copy(s.cur.Live, n.Base.Live)
	copy(s.cur.Active, n.Base.Active)
	copy(s.cur.Cur, n.Base.Cur)
	copy(s.cur.P, n.Base.P)
	copy(s.cur.Q, n.Base.Q)
	return s
}

func (s *Sim) touch(e int32) {
	if !s.isTouched[e] {
		s.isTouched[e] = true
		s.touched = append(s.touched, e)
	}
}

// reset restores the base flow.
func (s *Sim) reset() {
	b := &s.n.Base
	for _, e := range s.touched {
		s.cur.Live[e], s.cur.Active[e], s.cur.Cur[e], s.cur.P[e], s.cur.Q[e] = b.Live[e], b.Active[e], b.Cur[e], b.P[e], b.Q[e]
		s.isTouched[e] = false
	}
	s.touched = s.touched[:0]
	for _, e := range s.region {
		s.inRegion[e], s.open[e] = false, false
	}
	s.region = s.region[:0]
	for _, d := range s.devs {
		s.devMark[d] = false
	}
	s.devs = s.devs[:0]
}

// apply sets the scenario flow for the opened elements and, when dev >= 0,
// PSU k of device dev faulted. Touched lists every element whose state
// differs from the base flow.
func (s *Sim) apply(opened []int32, dev, k int32) {
	s.reset()
	n := s.n
	m := n.M
	// The region: everything below an opened element.
	var stack []int32
	for _, e := range opened {
		s.open[e] = true
		if !s.inRegion[e] {
			s.inRegion[e] = true
			s.region = append(s.region, e)
			stack = append(stack, e)
		}
	}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range n.children[e] {
			if !s.inRegion[c] {
				s.inRegion[c] = true
				s.region = append(s.region, c)
				stack = append(stack, c)
			}
		}
	}
	slices.Sort(s.region) // topological order
	for _, e := range s.region {
		el := &m.Elements[e]
		live, active := false, int8(-1)
		switch {
		case s.open[e]:
		case len(el.Inputs) == 0:
			live, active = true, 0
		case s.cur.Live[el.Inputs[el.Preferred]]:
			live, active = true, int8(el.Preferred)
		case len(el.Inputs) == 2 && s.cur.Live[el.Inputs[1-el.Preferred]]:
			live, active = true, int8(1-el.Preferred)
		}
		if live != s.cur.Live[e] || active != s.cur.Active[e] {
			s.touch(e)
			s.cur.Live[e], s.cur.Active[e] = live, active
		}
	}
	// Devices below the region change PSU currents or paths.
	for _, e := range s.region {
		for _, p := range n.feedPSUs[e] {
			s.markDev(p.dev)
		}
	}
	if dev >= 0 {
		s.markDev(dev)
	}
	for _, d := range s.devs {
		s.reroute(d, dev, k)
	}
	for _, e := range s.region {
		if !s.cur.Live[e] { // clear rounding residue on dead elements
			s.touch(e)
			s.cur.Cur[e], s.cur.P[e], s.cur.Q[e] = phasors{}, 0, 0
		}
	}
}

func (s *Sim) markDev(d int32) {
	if !s.devMark[d] {
		s.devMark[d] = true
		s.devs = append(s.devs, d)
	}
}

// reroute removes device d's base PSU currents along their base paths and
// adds its scenario currents along the scenario paths.
func (s *Sim) reroute(d, faultDev, faultK int32) {
	n := s.n
	m := n.M
	dev := &m.Devices[d]
	nps := len(dev.Feeds)
	w0 := n.DrawW[d] / float64(nps)
	q := math.Tan(math.Acos(n.pf[d]))
	for _, f := range dev.Feeds {
		s.walk(f, n.psuPhasors(f, w0, n.pf[d]), -w0, -w0*q, n.Base.Active)
	}
	powered := 0
	for j, f := range dev.Feeds {
		if s.cur.Live[f] && !(d == faultDev && int32(j) == faultK) {
			powered++
		}
	}
	if powered < m.DeviceModels[dev.Model].PSUsRequired {
		return // dark
	}
	w := n.DrawW[d] / float64(powered)
	for j, f := range dev.Feeds {
		if s.cur.Live[f] && !(d == faultDev && int32(j) == faultK) {
			s.walk(f, n.psuPhasors(f, w, n.pf[d]), w, w*q, s.cur.Active)
		}
	}
}

// walk adds (sign included in p, q and, for removal, the negated phasors)
// a PSU's contribution from feed f up to its source along the inputs that
// active selects.
func (s *Sim) walk(f int32, v phasors, p, q float64, active []int8) {
	n := s.n
	neg := p < 0
	if neg {
		for i := range v {
			v[i] = -v[i]
		}
	}
	e := f
	for {
		s.touch(e)
		c := &s.cur.Cur[e]
		c[0] += v[0]
		c[1] += v[1]
		c[2] += v[2]
		s.cur.P[e] += p
		s.cur.Q[e] += q
		el := &n.M.Elements[e]
		if len(el.Inputs) == 0 || active[e] < 0 {
			return
		}
		par := el.Inputs[active[e]]
		v = n.lift(e, par, v)
		e = par
	}
}

// Dead reports whether device d is dark in the current scenario.
func (s *Sim) deviceDark(d int32, faultDev, faultK int32) bool {
	dev := &s.n.M.Devices[d]
	powered := 0
	for j, f := range dev.Feeds {
		if s.cur.Live[f] && !(d == faultDev && int32(j) == faultK) {
			powered++
		}
	}
	return powered < s.n.M.DeviceModels[dev.Model].PSUsRequired
}
