package estimate

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"sort"

	"blackstart/placement"
)

// Instance states as the live estimator tracks them.
const (
	stPending   = iota // not scheduled yet, or back after a failed attempt
	stScheduled        // assigned to a node, not started
	stStarted          // its start is running on its node
	stUp               // up
)

// Live is the live ETA: it takes the progress events of a recovery, in
// time order, and estimates at any moment when everything (and 90 %) will
// be up. It learns each node's start throughput from the starts it
// completed (observed against expected durations, smoothed towards the
// fleet's), keeps the remaining work per node, and projects it forward
// through the dependency barriers: a service's instances start once a
// quorum of each dependency is projected up, each node runs at most c at
// once at its learnt speed. A node that stopped reporting while it had
// work is noticed and its remaining instances are counted as at risk, not
// projected.
type Live struct {
	c *placement.Cluster
	p *placement.Plan // planned nodes of instances not yet scheduled; may be nil

	state  []uint8
	node   []int32   // per instance: the node of its latest event, -1 none
	startT []float64 // per instance: when its running start began
	upT    []float64 // per instance: when it came up, -1
	nUp    int
	upBy   []int32 // per service: instances up

	lastSeen []float64 // per node: time of its latest event, s; -1 never
	busy     []int32   // per node: instances scheduled or started there

	ram   *RAM
	lastT float64

	// lastFailed: per node, its latest event was a failed start.
	lastFailed []bool

	// The starts seen, per node, for the speed estimate (see fits.go).
	fits
}

// NewLive starts a live estimate for cluster c. p, when given, supplies
// the node of instances no event has placed yet.
func NewLive(c *placement.Cluster, p *placement.Plan) *Live {
	n, nn := len(c.Instances), len(c.M.Devices)
	l := &Live{c: c, p: p, state: make([]uint8, n), node: make([]int32, n), startT: make([]float64, n), upT: make([]float64, n),
		upBy:     make([]int32, len(c.M.Services)),
		lastSeen: make([]float64, nn), busy: make([]int32, nn), ram: NewRAM(c), lastFailed: make([]bool, nn)}
	l.fits.init(c)
	for i := range l.node {
		l.node[i], l.upT[i] = -1, -1
		if p != nil {
			l.node[i] = p.Assign[i].Node
		}
	}
	for k := range l.lastSeen {
		l.lastSeen[k] = -1
	}
	return l
}

// Observe takes one progress event; events come in time order.
func (l *Live) Observe(e placement.Event) {
	i := e.Instance
	if i < 0 || int(i) >= len(l.state) {
		return
	}
	l.lastT = max(l.lastT, e.TS)
	l.ram.Observe(e)
	if e.Node >= 0 && int(e.Node) < len(l.lastSeen) {
		l.lastSeen[e.Node] = e.TS
		l.lastFailed[e.Node] = e.State == placement.Failed
	}
	prev := l.state[i]
	if prev == stUp {
		return
	}
	if (prev == stScheduled || prev == stStarted) && l.node[i] >= 0 {
		l.busy[l.node[i]]--
	}
	switch e.State {
	case placement.Scheduled:
		l.state[i], l.node[i] = stScheduled, e.Node
	case placement.Started:
		l.state[i], l.node[i], l.startT[i] = stStarted, e.Node, e.TS
		if e.Node >= 0 {
			l.closeStart(i, e.TS, false)
			l.openStart(i, e.Node, e.TS)
		}
	case placement.Up:
		l.closeStart(i, e.TS, true)
		l.state[i], l.upT[i] = stUp, e.TS
		if e.Node >= 0 {
			l.node[i] = e.Node
		}
		l.nUp++
		l.upBy[l.c.Instances[i].Service]++
		return
	case placement.Failed:
		l.closeStart(i, e.TS, false)
		l.state[i] = stPending
		return
	}
	if l.node[i] >= 0 {
		l.busy[l.node[i]]++
	}
}

// stale reports whether node n stopped reporting: it has starts under way
// and no event for longer than staleAfter, or its last word was a failed
// start and nothing followed for longer than the longest retry back-off
// (a live node starts its next instance, or retries, by then).
func (l *Live) stale(n int32, now float64) bool {
	if l.lastSeen[n] < 0 {
		return false
	}
	quiet := now - l.lastSeen[n]
	return l.busy[n] > 0 && quiet > staleAfter || l.lastFailed[n] && quiet > placement.MaxBackoffS
}

// staleAfter is how long a node with work may stay silent, s.
const staleAfter = 900.0

// Snapshot is the estimate at one moment.
type Snapshot struct {
	TS       float64 `json:"t_s"`
	Up       int     `json:"up"`
	Total    int     `json:"total"`
	Fraction float64 `json:"up_fraction"`
	// Throughput estimate: when everything is up, and 90 %, with a band
	// (durations at their median and at their p90).
	ETAAllS     float64      `json:"eta_all_s"`
	ETAAllLowS  float64      `json:"eta_all_low_s"`
	ETAAllHighS float64      `json:"eta_all_high_s"`
	ETA90S      float64      `json:"eta_90_s"`
	ETA90LowS   float64      `json:"eta_90_low_s"`
	ETA90HighS  float64      `json:"eta_90_high_s"`
	AtRisk      int          `json:"at_risk"` // instances on nodes that stopped reporting
	RAMFraction float64      `json:"ram_fraction"`
	RAMETAAllS  float64      `json:"ram_eta_all_s"` // the incident team's linear extrapolation
	RAMETA90S   float64      `json:"ram_eta_90_s"`
	StaleNodes  []string     `json:"stale_nodes"`
	Tiers       []TierStatus `json:"tiers"`
}

// TierStatus is one tier's progress and projected completion.
type TierStatus struct {
	Tier  int     `json:"tier"`
	Up    int     `json:"up"`
	Total int     `json:"total"`
	ETAS  float64 `json:"eta_s"`
}

// Estimate projects the recovery from its state at now (s).
func (l *Live) Estimate(now float64) Snapshot {
	c := l.c
	m := c.M
	now = max(now, l.lastT)
	s := Snapshot{TS: now, Up: l.nUp, Total: len(c.Instances)}
	if s.Total > 0 {
		s.Fraction = float64(l.nUp) / float64(s.Total)
	}
	stale := make([]bool, len(m.Devices))
	for n := range stale {
		if l.stale(int32(n), now) {
			stale[n] = true
			s.StaleNodes = append(s.StaleNodes, m.Devices[n].ID)
		}
	}
	// Monte-Carlo over the remaining start durations: the ETA is the median
	// projection, the band its 10th and 90th percentiles.
	var alls, nineties []float64
	var last projection
	speed := l.speeds(now)
	for k := 0; k < Samples; k++ {
		pr := l.project(now, stale, k, speed)
		alls = append(alls, pr.all)
		nineties = append(nineties, pr.ninety)
		if k == 0 {
			last = pr
		}
	}
	qa, q9 := quantiles(alls), quantiles(nineties)
	s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS = qa.P50, qa.P10, qa.P90
	s.ETA90S, s.ETA90LowS, s.ETA90HighS = q9.P50, q9.P10, q9.P90
	s.AtRisk = last.atRisk
	mid := last
	s.RAMFraction = l.ram.Fraction()
	if v, ok := l.ram.ETA(now, 1); ok {
		s.RAMETAAllS = v
	} else {
		s.RAMETAAllS = math.Inf(1)
	}
	if v, ok := l.ram.ETA(now, 0.9); ok {
		s.RAMETA90S = v
	} else {
		s.RAMETA90S = math.Inf(1)
	}
	for t, ts := range mid.tiers {
		if ts.Total > 0 {
			ts.Tier = t
			s.Tiers = append(s.Tiers, ts)
		}
	}
	return s
}

type projection struct {
	all, ninety float64
	atRisk      int
	tiers       []TierStatus
}

// Samples is the number of Monte-Carlo projections behind each estimate.
const Samples = 9

// duration draws, for projection k, how long instance i still needs on a
// node of the given speed when it has already run elapsed seconds (0 if
// not started): a start duration from its service's distribution given it
// exceeds what is done, and, when that outlasts the timeout, the timeout,
// a back-off and a fresh draw. The draws come from a generator of their
// own (fixed seed, instance, projection), not from the recovery's.
func (l *Live) duration(i, k int, speed, elapsed float64) float64 {
	sv := &l.c.M.Services[l.c.Instances[i].Service]
	d := sv.Start
	timeout := sv.TimeoutS
	if timeout <= 0 {
		timeout = placement.DefaultTimeoutS
	}
	sp := max(speed, 1e-3)
	r := rand.New(rand.NewPCG(0xe57a11e, uint64(i)<<8|uint64(k&0xff)))
	done := elapsed * sp // work done so far
	lo := 1 - placement.Exceeds(d, done)
	x := placement.Quantile(d, min(lo+r.Float64()*(1-lo), 1-1e-9))
	total := 0.0
	for a := 0; x/sp > timeout && a < placement.DefaultMaxAttempts-1; a++ {
		total += timeout - elapsed + placement.DefaultBackoffS*math.Pow(2, float64(a))
		elapsed = 0
		x = placement.Quantile(d, r.Float64())
	}
	return total + max(x/sp-elapsed, 0)
}

// project runs the remaining work forward: services in release order,
// each instance on its node's earliest free slot.
func (l *Live) project(now float64, stale []bool, kind int, speed []float64) projection {
	c := l.c
	m := c.M
	nn := len(m.Devices)
	slots := make([][]float64, nn)
	for n := range slots {
		k := m.Devices[n].StartConcurrency
		if k <= 0 {
			k = placement.DefaultConcurrency
		}
		slots[n] = make([]float64, k)
		for j := range slots[n] {
			slots[n][j] = now
		}
	}
	finish := make([]float64, len(c.Instances)) // projected up time; -1: at risk
	pr := projection{tiers: make([]TierStatus, 0)}
	maxTier := 0
	for _, sv := range m.Services {
		maxTier = max(maxTier, sv.Tier)
	}
	pr.tiers = make([]TierStatus, maxTier+1)
	// Running starts hold a slot until their projected end.
	for i := range finish {
		finish[i] = -2 // not yet projected
		switch l.state[i] {
		case stUp:
			finish[i] = l.upT[i]
		case stStarted:
			n := l.node[i]
			if n < 0 || stale[n] {
				finish[i] = -1
				continue
			}
			rest := l.duration(i, kind, speed[n], now-l.startT[i])
			end := now + rest
			take(slots[n], now, rest)
			finish[i] = end
		}
	}
	// Services in release order (dependency quorum projected up).
	ready := make([]float64, len(m.Services))
	left := make([]int, len(m.Services))
	deps := make([][]int32, len(m.Services))
	q := &relQueue{}
	for s := range m.Services {
		left[s] = len(m.Services[s].DependsOn)
		for _, d := range m.Services[s].DependsOn {
			deps[d] = append(deps[d], int32(s))
		}
		if left[s] == 0 {
			heap.Push(q, relItem{now, int32(s)})
		}
	}
	var ups []float64
	for q.Len() > 0 {
		it := heap.Pop(q).(relItem)
		s := it.svc
		sv := &m.Services[s]
		first := c.First(int(s))
		var fs []float64
		for k := 0; k < sv.Instances; k++ {
			i := first + k
			if finish[i] == -2 {
				n := l.node[i]
				if n < 0 {
					n = l.leastBusy(slots, int32(s))
				}
				if n < 0 || stale[n] {
					finish[i] = -1
				} else {
					d := l.duration(i, kind, speed[n], 0)
					start := take(slots[n], max(it.rel, now), d)
					finish[i] = start + d
				}
			}
			if finish[i] >= 0 {
				fs = append(fs, finish[i])
			}
		}
		sort.Float64s(fs)
		ready[s] = math.Inf(1) // a dependency that cannot reach quorum holds its dependents
		if qn := max(sv.ReadyQuorum, 1); qn <= len(fs) {
			ready[s] = fs[qn-1]
		}
		for _, d := range deps[s] {
			if left[d]--; left[d] == 0 {
				rel := now
				for _, dep := range m.Services[d].DependsOn {
					rel = max(rel, ready[dep])
				}
				heap.Push(q, relItem{rel, d})
			}
		}
	}
	for i, f := range finish {
		t := m.Services[c.Instances[i].Service].Tier
		pr.tiers[t].Total++
		if l.state[i] == stUp {
			pr.tiers[t].Up++
		}
		if f < 0 || math.IsInf(f, 1) {
			pr.atRisk++
			continue
		}
		if f < 0 || f == -2 {
			continue
		}
		ups = append(ups, f)
		pr.all = max(pr.all, f)
		pr.tiers[t].ETAS = max(pr.tiers[t].ETAS, f)
	}
	sort.Float64s(ups)
	if k := int(math.Ceil(0.9*float64(len(c.Instances)))) - 1; k >= 0 && k < len(ups) {
		pr.ninety = ups[k]
	} else {
		pr.ninety = pr.all
	}
	return pr
}

// take books the earliest of a node's slots from time at for d seconds and
// returns the start.
func take(slots []float64, at, d float64) float64 {
	k := 0
	for j := range slots {
		if slots[j] < slots[k] {
			k = j
		}
	}
	start := max(at, slots[k])
	slots[k] = start + d
	return start
}

// leastBusy picks, for an instance no event or plan has placed, the node
// of its service's pool whose earliest slot frees first.
func (l *Live) leastBusy(slots [][]float64, s int32) int32 {
	best, bestT := int32(-1), math.Inf(1)
	for _, n := range l.c.Pool(s) {
		t := slots[n][0]
		for _, x := range slots[n][1:] {
			t = min(t, x)
		}
		if t < bestT {
			best, bestT = n, t
		}
	}
	return best
}

type relItem struct {
	rel float64
	svc int32
}

type relQueue []relItem

func (q relQueue) Len() int { return len(q) }
func (q relQueue) Less(i, j int) bool {
	if q[i].rel != q[j].rel {
		return q[i].rel < q[j].rel
	}
	return q[i].svc < q[j].svc
}
func (q relQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *relQueue) Push(x any)   { *q = append(*q, x.(relItem)) }
func (q *relQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
