package estimate

import (
	"math"

	"blackstart/placement"
	"blackstart/topology"
)

// fits keeps every start seen, per node and for the whole fleet, in the
// form the speed estimate needs, and solves for the speeds.
//
// A node's speed s is the one under which the starts seen would be
// expected to have completed as many times as they did: Σ P(duration ≤
// s·time on test) = completions, counting running and failed starts with
// the time they have run (censored observations). Each node's estimate is
// shrunk towards the fleet's by a prior worth three completions: three
// virtual starts that went the fleet's way, so a node with little data of
// its own keeps near the fleet, one whose starts run long without
// completing falls below it.
//
// Finished starts are kept grouped by (start distribution, time on test):
// the many starts that ran into the same timeout are one group, so the
// sums cost what the distinct observations cost, not what the events
// did. Running starts are kept apart, their time on test grows with now.
type fits struct {
	c      *placement.Cluster
	dists  []distInfo // distinct start distributions
	distOf []int32    // per service: index into dists

	node  []startSet // per node
	fleet startSet   // every node's starts
	first []int32    // per node: instance of its first start, -1 none

	open     []int32 // per instance: index of its running start in node[openNode].running, -1
	openNode []int32 // per instance: node of its running start

	// lastX is, per node, the log speed solved at the previous estimate:
	// where the next solve starts. lastFleetX likewise for the fleet.
	lastX      []float64
	lastFleetX float64

	speed []float64 // per node, the latest speeds (reused)
	run   []term    // scratch: running starts as terms
}

// distInfo is a start distribution and, for a lognormal one, what its CDF
// needs: log median and 1/(σ√2).
type distInfo struct {
	d     topology.Dist
	logn  bool // lognormal with σ > 0
	lnMed float64
	inv   float64 // 1/(σ√2)
}

// startSet is a set of starts.
type startSet struct {
	n       int // starts, finished and running
	ups     int // starts that came up
	groups  []group
	index   map[groupKey]int32
	running []runStart // running starts; the fleet's stay with their nodes
}

type groupKey struct {
	dist int32
	dur  float64 // time on test, s
}

// group is a count of finished starts of one distribution that ran the
// same time; a is log(dur) − log median for a lognormal distribution.
type group struct {
	dist  int32
	dur   float64
	a     float64
	count float64
}

type runStart struct {
	inst  int32
	begin float64 // s
}

// term is one observation as the solver sees it.
type term struct {
	dist  int32
	dur   float64
	a     float64
	count float64
}

func (f *fits) init(c *placement.Cluster) {
	n, nn := len(c.Instances), len(c.M.Devices)
	f.c = c
	f.distOf = make([]int32, len(c.M.Services))
	seen := map[topology.Dist]int32{}
	for s := range c.M.Services {
		d := c.M.Services[s].Start
		k, ok := seen[d]
		if !ok {
			k = int32(len(f.dists))
			seen[d] = k
			info := distInfo{d: d}
			if d.Kind == "lognormal" && d.MedianS > 0 && d.P90S > d.MedianS {
				sg := math.Log(d.P90S/d.MedianS) / z90
				info.logn, info.lnMed, info.inv = true, math.Log(d.MedianS), 1/(sg*math.Sqrt2)
			}
			f.dists = append(f.dists, info)
		}
		f.distOf[s] = k
	}
	f.node = make([]startSet, nn)
	f.first = make([]int32, nn)
	f.lastX = make([]float64, nn)
	f.speed = make([]float64, nn)
	for k := range f.first {
		f.first[k] = -1
		f.lastX[k] = math.NaN()
	}
	f.lastFleetX = math.NaN()
	f.open = make([]int32, n)
	f.openNode = make([]int32, n)
	for i := range f.open {
		f.open[i] = -1
	}
}

// z90 is the 90th percentile of the standard normal distribution.
const z90 = 1.2815515655446004

// openStart records that instance i began a start on node n at t.
func (f *fits) openStart(i, n int32, t float64) {
	if f.first[n] < 0 {
		f.first[n] = i
	}
	f.open[i], f.openNode[i] = int32(len(f.node[n].running)), n
	f.node[n].running = append(f.node[n].running, runStart{inst: i, begin: t})
	f.node[n].n++
	f.fleet.n++
}

// closeStart ends instance i's running start, if any, at t.
func (f *fits) closeStart(i int32, t float64, up bool) {
	k := f.open[i]
	if k < 0 {
		return
	}
	n := f.openNode[i]
	ns := &f.node[n]
	r := ns.running[k]
	last := len(ns.running) - 1
	if int(k) != last {
		moved := ns.running[last]
		ns.running[k] = moved
		f.open[moved.inst] = k
	}
	ns.running = ns.running[:last]
	f.open[i] = -1
	dist := f.distOf[f.c.Instances[i].Service]
	dur := max(t-r.begin, 0)
	ns.add(f, dist, dur, up)
	f.fleet.add(f, dist, dur, up)
}

// add counts a finished start.
func (s *startSet) add(f *fits, dist int32, dur float64, up bool) {
	if up {
		s.ups++
	}
	if s.index == nil {
		s.index = map[groupKey]int32{}
	}
	key := groupKey{dist, dur}
	if g, ok := s.index[key]; ok {
		s.groups[g].count++
		return
	}
	s.index[key] = int32(len(s.groups))
	s.groups = append(s.groups, group{dist: dist, dur: dur, a: f.logA(dist, dur), count: 1})
}

// logA is log(dur) − log median of a lognormal distribution, 0 otherwise.
func (f *fits) logA(dist int32, dur float64) float64 {
	if di := &f.dists[dist]; di.logn && dur > 0 {
		return math.Log(dur) - di.lnMed
	}
	return 0
}

// speeds estimates every node's start speed relative to the expected one.
// The slice is reused by the next call.
func (f *fits) speeds(now float64) []float64 {
	fleet := f.solve(&f.fleet, now, 1, nil, &f.lastFleetX)
	for n := range f.node {
		ns := &f.node[n]
		if ns.n == 0 {
			f.speed[n] = fleet
			continue
		}
		i := f.first[n]
		dist := f.distOf[f.c.Instances[i].Service]
		dur := f.c.MeanS(int(i)) / fleet
		prior := term{dist: dist, dur: dur, a: f.logA(dist, dur), count: priorWeight}
		f.speed[n] = f.solve(ns, now, fleet, &prior, &f.lastX[n])
	}
	return f.speed
}

// priorWeight is how many completions the fleet prior is worth.
const priorWeight = 3

// solve finds the speed s with Σ P(duration ≤ s·t) = completions over
// set ss (plus the prior, which came up), by safeguarded Newton steps on
// log s within [log 0.02, log 50] (bisection where Newton would leave the
// bracket or the sum is flat); def when there is nothing to fit. *warm is
// where to start, and takes the solution.
func (f *fits) solve(ss *startSet, now, def float64, prior *term, warm *float64) float64 {
	done := float64(ss.ups)
	if prior != nil {
		done += prior.count
	}
	if done == 0 || ss.n == 0 {
		return def
	}
	f.run = f.run[:0]
	if prior != nil {
		f.run = append(f.run, *prior)
	}
	addRunning := func(rs []runStart) {
		for _, r := range rs {
			dist := f.distOf[f.c.Instances[r.inst].Service]
			dur := max(now-r.begin, 0)
			f.run = append(f.run, term{dist: dist, dur: dur, a: f.logA(dist, dur), count: 1})
		}
	}
	if ss == &f.fleet { // the fleet's running starts are the nodes'
		for n := range f.node {
			addRunning(f.node[n].running)
		}
	} else {
		addRunning(ss.running)
	}
	lo, hi := math.Log(0.02), math.Log(50)
	if v, _ := f.expected(ss, hi); v < done {
		return math.Exp(hi)
	}
	x := *warm
	if !(x > lo && x < hi) {
		x = (lo + hi) / 2
	}
	for it := 0; it < 200; it++ {
		v, dv := f.expected(ss, x)
		g := v - done
		if g < 0 {
			lo = x
		} else {
			hi = x
		}
		if hi-lo < 1e-11 {
			break
		}
		// Where the sum is flat at exactly done (its terms round to 1),
		// the answer is the flat part's lower end, as bisection finds it.
		nx := (lo + hi) / 2
		if dv > 0 && g != 0 {
			if t := x - g/dv; t > lo && t < hi {
				nx = t
			}
			if math.Abs(nx-x) < 1e-13 {
				x = nx
				break
			}
		}
		x = nx
	}
	*warm = x
	return math.Exp(x)
}

// expected is Σ P(duration ≤ e^x·t) over the set's finished starts and
// the running ones in f.run, and its derivative in x (from the lognormal
// terms; the others count as flat).
func (f *fits) expected(ss *startSet, x float64) (v, dv float64) {
	s := math.Exp(x)
	add := func(dist int32, dur, a, count float64) {
		di := &f.dists[dist]
		// The value exactly as placement.Exceeds has it (its rounding
		// decides where a sum of terms near 1 reaches done).
		v += count * (1 - placement.Exceeds(di.d, s*dur))
		if di.logn && dur > 0 {
			z := (x + a) * di.inv
			dv += count * di.inv / math.SqrtPi * math.Exp(-z*z)
		}
	}
	for _, g := range ss.groups {
		add(g.dist, g.dur, g.a, g.count)
	}
	for _, t := range f.run {
		add(t.dist, t.dur, t.a, t.count)
	}
	return v, dv
}
