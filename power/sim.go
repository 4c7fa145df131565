package power

import (
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
	fresh     []int32  // elements recomputed by the current step
	seen      []uint32 // per element: the step that last visited it
	touchStep []uint32 // per element: the step that last touched it
	// stepTouched lists the elements whose state the latest step changed.
	stepTouched []int32
	stamp       uint32
	batch       []int32 // devices rerouted by the current step
	batchMark   []bool
	// Per-run bookkeeping of Run, kept to reuse the maps' storage.
	hot         map[int32]*heat
	worst       map[int32]worstLoad
	reported    map[int32]Verdict
	transferred map[int32]bool
	preCur      []phasors // per element: its line currents before the step that touched it (valid where touchStep is the step's stamp)

	faultDev int32 // device with a faulted PSU, -1 for none
	faultK   int32 // its faulted PSU

	// skipPickups leaves Scenario.Pickups nil in Run: the sweep lists
	// them (snapPickups, from the checkpoint) only for the scenarios it
	// keeps.
	skipPickups bool
	// ck is the state right after the failure of the last scenario Run
	// ran, before any cascade trip (see checkpoint).
	ck checkpoint
	// branches are the worst-case search's choices yet to explore.
	branches []branch
	// searchCap, when above 0, replaces WorstSearchCascades (tests only).
	searchCap int
}

// checkpoint is a Sim's state right after a failure (every element the
// failure opened, the fault followed through transfer switches), kept so
// that the certain cascade and the pickups start from it instead of
// recomputing it: restoring copies what the failure touched, where
// recomputing reroutes every device below the failure.
type checkpoint struct {
	flow                  Flow    // the touched elements' state, by element index
	touched, region, devs []int32 // Sim's lists at that point, in order
	opened                []int32 // the elements opened, in order
	faultDev, faultK      int32
	events                int     // the worst case's events up to it
	transferred           []int32 // transfer switches moved by then
}

// NewSim returns a simulator over n.
func NewSim(n *Network) *Sim {
	ne, nd := len(n.M.Elements), len(n.M.Devices)
	s := &Sim{n: n, cur: newFlow(ne), isTouched: make([]bool, ne), open: make([]bool, ne),
		inRegion: make([]bool, ne), devMark: make([]bool, nd), seen: make([]uint32, ne), touchStep: make([]uint32, ne), batchMark: make([]bool, nd), faultDev: -1, faultK: -1, preCur: make([]phasors, ne)}
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
	if s.touchStep[e] != s.stamp { // first touched in this step: its currents are still the step's starting ones
		s.touchStep[e], s.preCur[e] = s.stamp, s.cur.Cur[e]
		s.stepTouched = append(s.stepTouched, e)
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
	s.faultDev, s.faultK = -1, -1
}

// apply sets the scenario flow for the opened elements and, when dev >= 0,
// PSU k of device dev faulted. Touched lists every element whose state
// differs from the base flow.
func (s *Sim) apply(opened []int32, dev, k int32) {
	s.reset()
	s.step(opened, dev, k)
}

// step opens more elements on top of the current scenario: it recomputes
// energization below them, and moves the PSU currents of the devices below
// them from their present paths and shares to the new ones. Work is
// proportional to what lies below the newly opened elements.
//
// When dev >= 0, PSU k of device dev faults in this step (it stops drawing
// and counts as unpowered from now on).
func (s *Sim) step(opened []int32, dev, k int32) {
	n := s.n
	m := n.M
	// fresh: the opened elements and everything below them, whether or not
	// an earlier step already reached it (a transfer switch on its other
	// input, say, must be looked at again).
	s.stamp++
	s.stepTouched = s.stepTouched[:0]
	fresh := s.fresh[:0]
	var stack []int32
	visit := func(e int32) {
		if s.seen[e] == s.stamp {
			return
		}
		s.seen[e] = s.stamp
		fresh = append(fresh, e)
		stack = append(stack, e)
		if !s.inRegion[e] {
			s.inRegion[e] = true
			s.region = append(s.region, e)
		}
	}
	for _, e := range opened {
		s.open[e] = true
		visit(e)
	}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range n.children[e] {
			visit(c)
		}
	}
	slices.Sort(fresh) // topological order
	fresh = slices.Compact(fresh)
	s.fresh = fresh
	// The devices below change PSU shares or paths: take their present
	// contributions out before energization changes.
	s.batch = s.batch[:0]
	for _, e := range fresh {
		for _, p := range n.feedPSUs[e] {
			s.markBatch(p.dev)
		}
	}
	if dev >= 0 {
		s.markBatch(dev)
	}
	for _, d := range s.batch {
		s.route(d, -1)
	}
	if dev >= 0 {
		s.faultDev, s.faultK = dev, k
	}
	for _, e := range fresh {
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
	for _, d := range s.batch {
		s.route(d, +1)
		s.batchMark[d] = false
	}
	for _, e := range fresh {
		if !s.cur.Live[e] { // clear rounding residue on dead elements
			s.touch(e)
			s.cur.Cur[e], s.cur.P[e], s.cur.Q[e] = phasors{}, 0, 0
		}
	}
}

func (s *Sim) markBatch(d int32) {
	if !s.batchMark[d] {
		s.batchMark[d] = true
		s.batch = append(s.batch, d)
	}
	s.markDev(d)
}

// route adds (sign +1) or removes (sign -1) device d's PSU currents along
// the paths the current energization selects, each powered PSU carrying an
// equal share; a device below its required PSU count carries nothing.
func (s *Sim) route(d int32, sign float64) {
	n := s.n
	dev := &n.M.Devices[d]
	powered := n.powered(s.cur.Live, d, s.faultDev, s.faultK)
	if powered < n.M.DeviceModels[dev.Model].PSUsRequired {
		return
	}
	w := n.DrawW[d] / float64(powered)
	off := n.psuOff[d]
	for j, f := range dev.Feeds {
		if s.cur.Live[f] && !(d == s.faultDev && int32(j) == s.faultK) {
			u := n.psuUnit[int(off)+j]
			k := complex(sign*w, 0)
			s.walk(f, phasors{u[0] * k, u[1] * k, u[2] * k}, sign*w, sign*w*n.qf[d])
		}
	}
}

func (s *Sim) markDev(d int32) {
	if !s.devMark[d] {
		s.devMark[d] = true
		s.devs = append(s.devs, d)
	}
}

// walk adds a PSU's line currents v (and real and reactive power p, q) from
// feed f up to its source along the active inputs.
func (s *Sim) walk(f int32, v phasors, p, q float64) {
	n := s.n
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
		a := s.cur.Active[e]
		if len(el.Inputs) == 0 || a < 0 {
			return
		}
		par := el.Inputs[a]
		v = n.lift(e, par, v)
		e = par
	}
}

// deviceDark reports whether device d is dark in the current scenario.
func (s *Sim) deviceDark(d int32, faultDev, faultK int32) bool {
	dev := &s.n.M.Devices[d]
	return s.n.powered(s.cur.Live, d, faultDev, faultK) < s.n.M.DeviceModels[dev.Model].PSUsRequired
}
