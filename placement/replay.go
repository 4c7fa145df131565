package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Replay continues the recovery o describes from its true state at each
// of the times at (s, ascending), n times each: what a perfect estimator
// could know at that moment. Everything true then carries over (what is
// up, running, queued or backing off, every node's speed and death time
// from o); what is still chance is drawn afresh from the continuation's
// own seed (derived from seed, the time's index and the continuation's):
// the durations of starts not yet begun, the rest of each running start
// (its duration given what it has done), back-off jitter and the
// baselines' random choices. It returns, per time, the n continuations'
// makespans: when the last instance came up, s (the instances up before
// the time included).
func Replay(c *Cluster, p *Plan, o SimOptions, at []float64, n int, seed uint64) ([][]float64, error) {
	if !slices.IsSorted(at) {
		return nil, fmt.Errorf("replay times must be ascending")
	}
	o.OnEvent = nil
	base, err := newRun(c, p, o)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(at))
	for k, t := range at {
		base.runUntil(t)
		base.now = max(base.now, t)
		out[k] = make([]float64, n)
		for j := range out[k] {
			r := base.clone()
			r.fork(seed ^ (uint64(k)<<32 | uint64(j)) ^ 0x7e91a1)
			r.runUntil(r.o.HorizonS)
			out[k][j] = r.makespan()
		}
	}
	return out, nil
}

// newRun resolves o and sets up a simulation, as Simulate does.
func newRun(c *Cluster, p *Plan, o SimOptions) (*sim, error) {
	if err := CheckOptions(o); err != nil {
		return nil, err
	}
	if o.RefreshS <= 0 {
		o.RefreshS = DefaultRefreshS
	}
	rule := o.retry()
	o.MaxAttempts, o.BackoffS = rule.MaxAttempts, rule.BackoffS
	if o.HorizonS <= 0 {
		o.HorizonS = 24 * 3600
	}
	switch o.Policy {
	case PolicyPlan:
		if p == nil {
			p = NewPlan(c)
		}
	case PolicyStale, PolicyRandom, PolicyP2C:
	default:
		return nil, fmt.Errorf("unknown policy %q (plan, stale, random or p2c)", o.Policy)
	}
	return newSim(c, p, o), nil
}

// makespan is when the last instance came up so far, s.
func (s *sim) makespan() float64 {
	m := 0.0
	for _, t := range s.res.UpS {
		m = max(m, t)
	}
	return m
}

// clone copies the simulation's state; the copy runs on its own.
func (s *sim) clone() *sim {
	r := *s
	r.draw = drawer{}
	r.q = slices.Clone(s.q)
	r.nodes = slices.Clone(s.nodes)
	for n := range r.nodes {
		r.nodes[n].running = slices.Clone(s.nodes[n].running)
		r.nodes[n].queue = slices.Clone(s.nodes[n].queue)
	}
	r.inst = slices.Clone(s.inst)
	u := *s.u
	u.ram, u.cpu, u.drawW = slices.Clone(u.ram), slices.Clone(u.cpu), slices.Clone(u.drawW)
	if u.power != nil {
		// The budget's loads rebuilt from the draws (the same up to
		// rounding; no policy the simulator runs refuses a start for
		// power: the plan checked it, the baselines know nothing of it).
		u.power = s.c.budget.Load(u.drawW)
	}
	u.gpuFree = slices.Clone(u.gpuFree)
	for n := range u.gpuFree {
		u.gpuFree[n] = slices.Clone(u.gpuFree[n])
	}
	u.gpuOf = slices.Clone(u.gpuOf) // its entries are replaced, never written
	r.u = &u
	r.depsLeft, r.upCount = slices.Clone(s.depsLeft), slices.Clone(s.upCount)
	r.pending = slices.Clone(s.pending)
	r.snapFree = slices.Clone(s.snapFree)
	snap := make(map[string][]int32, len(s.snapSort))
	for k, v := range s.snapSort {
		snap[k] = v // sorted lists are never written
	}
	r.snapSort = snap
	res := *s.res
	res.UpS, res.Placement = slices.Clone(s.res.UpS), slices.Clone(s.res.Placement)
	r.res = &res
	return &r
}

// fork makes what is still chance draw from seed from now on: the
// durations of later starts, back-off jitter and random choices, and the
// rest of every running start, drawn from its duration's distribution
// given the work it has done.
func (s *sim) fork(seed uint64) {
	s.drawSeed = seed
	s.rng = rand.New(rand.NewPCG(seed, 0xf0c4))
	for n := range s.nodes {
		nd := &s.nodes[n]
		if len(nd.running) == 0 || nd.dead {
			continue
		}
		s.advance(int32(n))
		for _, i := range nd.running {
			in := &s.inst[i]
			d := s.c.M.Services[s.c.Instances[i].Service].Start
			done := nd.v - in.vBeg
			lo := 1 - Exceeds(d, done)
			w := Quantile(d, min(lo+s.rng.Float64()*(1-lo), 1-1e-9))
			in.vEnd = in.vBeg + max(w, done)
			// The simulator queues no timeout for a start that was to end
			// before it (see start); one redrawn past it needs its own (a
			// second one for the same attempt does nothing).
			timeout := s.c.M.Services[s.c.Instances[i].Service].TimeoutS
			if timeout <= 0 {
				timeout = DefaultTimeoutS
			}
			if s.now+(in.vEnd-nd.v)/s.rate(int32(n), len(nd.running)) >= (in.startT+timeout)*(1-1e-9) {
				s.push(max(in.startT+timeout, s.now), evTimeout, i, in.attempt)
			}
		}
		s.reschedule(int32(n))
	}
}
