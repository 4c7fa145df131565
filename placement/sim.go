package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Policies the simulator runs.
const (
	PolicyPlan   = "plan"
	PolicyStale  = "stale"
	PolicyRandom = "random"
	PolicyP2C    = "p2c"
)

// Policies lists every policy, ours first.
var Policies = []string{PolicyPlan, PolicyStale, PolicyRandom, PolicyP2C}

// SimOptions set up one simulated recovery.
type SimOptions struct {
	Policy       string  // one of Policies
	Seed         uint64  // drives start durations, backoff jitter and random choices
	RefreshS     float64 // stale metrics refresh period, s: 0 (DefaultRefreshS) or MinRefreshS to MaxRefreshS
	DispatchPerS float64 // cluster-wide dispatch rate of the baselines, starts/s: 0 (unlimited) or MinDispatchPerS to MaxDispatchPerS
	MaxAttempts  int     // attempts per instance; DefaultMaxAttempts when 0
	BackoffS     float64 // first retry delay, s; DefaultBackoffS when 0
	HorizonS     float64 // simulated time limit, s; 24 h when 0
	// Speed, when set, scales each node's start throughput (1 = nominal);
	// DiesAtS, when set, is the time each node dies (+Inf or 0: never).
	Speed   []float64
	DiesAtS []float64
	// OnEvent, when set, receives every progress event in time order.
	OnEvent func(Event)
	// NoBound leaves Result.LowerBoundS at 0: the bound takes longer to
	// compute than the recovery to simulate, and an evaluation of the
	// ETA needs only the recovery.
	NoBound bool
}

// State of an instance in a progress event.
type State uint8

// Progress states, as in an event stream.
const (
	Scheduled State = iota // assigned to a node
	Started                // its start began on the node
	Up                     // it is up
	Failed                 // the attempt failed (timeout, rejection or node death)
)

var stateNames = [...]string{"scheduled", "started", "up", "failed"}

// String returns the state as written in event files.
func (s State) String() string { return stateNames[s] }

// Event is one progress report of the recovery.
type Event struct {
	TS       float64 // s from power-on
	Instance int32   // index into Cluster.Instances
	Node     int32   // index into Model.Devices
	State    State
}

// Result is the outcome of one simulated recovery.
type Result struct {
	Policy      string
	Seed        uint64
	MakespanS   float64 // time the last instance came up, s
	LowerBoundS float64 // LowerBound on the durations this seed drew, s
	Timeouts    int     // attempts that outlived their timeout
	Rejections  int     // starts refused because the node lacked room
	Retries     int     // attempts after the first
	NodeDeaths  int     // attempts lost with their node
	// PeakConcurrent is the most starts any node ran at once; PeakNode names it.
	PeakConcurrent int
	PeakNode       string
	PeakC          int       // that node's concurrency c
	UpS            []float64 // per instance: time it came up, s; -1 if never
	NeverUp        int       // instances placed but never up within the attempts or horizon
	Unplaced       []Unplaced
	P50UpS         float64
	P95UpS         float64
	Placement      []int32 // per instance: node it came up on, -1 if none
}

// Bounds of SimOptions a caller may set (docs/limits.md).
const (
	MinRefreshS     = 0.1   // s
	MaxRefreshS     = 86400 // s, one day
	MinDispatchPerS = 0.01  // starts/s: one start every 100 s
	MaxDispatchPerS = 1e6   // starts/s
)

// CheckOptions says what is wrong with the options a caller may set (the
// refresh period and the dispatch rate), or nil: NaN, infinities and
// values past the bounds are refused, never clamped.
func CheckOptions(o SimOptions) error {
	if o.RefreshS != 0 && !(o.RefreshS >= MinRefreshS && o.RefreshS <= MaxRefreshS) {
		return fmt.Errorf("refresh period must be %g to %g s, got %g", float64(MinRefreshS), float64(MaxRefreshS), o.RefreshS)
	}
	if o.DispatchPerS != 0 && !(o.DispatchPerS >= MinDispatchPerS && o.DispatchPerS <= MaxDispatchPerS) {
		return fmt.Errorf("dispatch rate must be 0 (no limit) or %g to %g starts/s, got %g", float64(MinDispatchPerS), float64(MaxDispatchPerS), o.DispatchPerS)
	}
	return nil
}

// Simulate runs the recovery of c under o.Policy. For "plan", p is the plan
// to follow (NewPlan(c) when nil); the baselines place on the fly.
func Simulate(c *Cluster, p *Plan, o SimOptions) (*Result, error) {
	s, err := newRun(c, p, o)
	if err != nil {
		return nil, err
	}
	s.run()
	return s.result(), nil
}

// Event kinds of the simulator's queue.
const (
	evReady    = iota // instance ready to dispatch
	evDone            // node's next completion (versioned)
	evTimeout         // an attempt's timeout (versioned by attempt)
	evDispatch        // rate-limited dispatcher tick
	evDeath           // node dies
	evFill            // plan policy: fill the slots freed this instant, after every other event of it
)

type simEvent struct {
	t    float64
	seq  uint64
	kind uint8
	id   int32 // instance or node
	ver  int32
}

type eventQueue []simEvent

// before orders events by time, then by the order they were queued: a
// total order, so every heap pops them in the same sequence.
func (a *simEvent) before(b *simEvent) bool {
	return a.t < b.t || a.t == b.t && a.seq < b.seq
}

// push adds x to the 4-ary min-heap q (the simulator's own, without
// container/heap's interface calls and boxing).
func (q *eventQueue) push(x simEvent) {
	h := append(*q, x)
	j := len(h) - 1
	for j > 0 {
		up := (j - 1) / 4
		if !h[j].before(&h[up]) {
			break
		}
		h[j], h[up] = h[up], h[j]
		j = up
	}
	*q = h
}

// pop removes the earliest event of the 4-ary min-heap q.
func (q *eventQueue) pop() simEvent {
	h := *q
	top := h[0]
	last := len(h) - 1
	x := h[last]
	h = h[:last]
	j := 0
	for {
		a := 4*j + 1
		if a >= len(h) {
			break
		}
		best := a
		for b := a + 1; b < min(a+4, len(h)); b++ {
			if h[b].before(&h[best]) {
				best = b
			}
		}
		if !h[best].before(&x) {
			break
		}
		h[j] = h[best]
		j = best
	}
	if len(h) > 0 {
		h[j] = x
	}
	*q = h
	return top
}

// simNode is a node's dynamic state: its running starts under processor
// sharing and, for the plan, its queue.
type simNode struct {
	running []int32 // instances starting now
	v       float64 // virtual progress clock: seconds of work a lone start has done
	lastT   float64
	ver     int32
	queue   []int32 // plan: ready instances waiting for a slot, by dispatch priority
	dead    bool
}

type simInst struct {
	node    int32   // its node, set when a start begins (read only while starting)
	attempt int32   // attempts so far: starts and rejections
	starts  int32   // starts so far: the k-th start draws Work(seed, i, k), whatever was rejected before
	vBeg    float64 // virtual time its start began
	vEnd    float64 // virtual time its start completes
	state   int8    // 0 waiting, 1 ready/queued, 2 starting, 3 up, 4 given up
	startT  float64
}

type sim struct {
	c        *Cluster
	p        *Plan
	o        SimOptions
	q        eventQueue
	seq      uint64
	toFill   []int32
	marked   []bool
	now      float64
	nodes    []simNode
	inst     []simInst
	u        *usage
	rng      *rand.Rand
	depsLeft []int32 // per service: dependencies not yet at quorum
	upCount  []int32 // per service: instances up
	rank     []int32 // plan: each instance's dispatch priority, lowest first (Plan.rank)
	drawSeed uint64  // seed of the start durations: o.Seed, or a replay's own from its fork on
	draw     drawer

	pending      []int32 // baselines: instances waiting for the rate-limited dispatcher
	nextDispatch float64

	snapK    int64              // the stale snapshot's refresh: now / RefreshS rounded down (-1: none yet)
	snapFree []float64          // per node: free RAM in the snapshot, GiB
	snapSort map[string][]int32 // per role: nodes by snapshot free RAM, most first

	res *Result
}

func newSim(c *Cluster, p *Plan, o SimOptions) *sim {
	m := c.M
	s := &sim{c: c, p: p, o: o, nodes: make([]simNode, len(c.nodes)), inst: make([]simInst, len(c.Instances)),
		u: newUsage(c), rng: rand.New(rand.NewPCG(o.Seed, 0x5eed^uint64(len(o.Policy)))),
		depsLeft: make([]int32, len(m.Services)), upCount: make([]int32, len(m.Services)),
		snapK: -1, drawSeed: o.Seed,
		res: &Result{Policy: o.Policy, Seed: o.Seed, UpS: make([]float64, len(c.Instances)), Placement: make([]int32, len(c.Instances))}}
	for i := range s.res.UpS {
		s.res.UpS[i] = -1
		s.res.Placement[i] = -1
	}
	for sv := range m.Services {
		s.depsLeft[sv] = int32(len(m.Services[sv].DependsOn))
	}
	if p != nil && o.Policy == PolicyPlan {
		s.rank = p.rank
		s.res.Unplaced = p.Unplaced
		s.u.planned = p.gpus // each start takes the GPUs the plan packed for it
	}
	for n := range c.nodes {
		if o.DiesAtS != nil && o.DiesAtS[n] > 0 && o.DiesAtS[n] < o.HorizonS {
			s.push(o.DiesAtS[n], evDeath, int32(n), 0)
		}
	}
	for sv := range m.Services {
		if s.depsLeft[sv] == 0 {
			s.release(int32(sv))
		}
	}
	return s
}

func (s *sim) push(t float64, kind uint8, id, ver int32) {
	s.seq++
	s.q.push(simEvent{t: t, seq: s.seq, kind: kind, id: id, ver: ver})
}

func (s *sim) emit(i, n int32, st State) {
	if s.o.OnEvent != nil {
		s.o.OnEvent(Event{TS: s.now, Instance: i, Node: n, State: st})
	}
}

// release makes every instance of service sv ready now.
func (s *sim) release(sv int32) {
	c := s.c
	first := c.first[sv]
	for k := int32(0); k < int32(c.M.Services[sv].Instances); k++ {
		i := first + k
		if s.p != nil && s.o.Policy == PolicyPlan && s.p.Assign[i].Node < 0 {
			continue // unplaced
		}
		s.push(s.now, evReady, i, 0)
	}
}

func (s *sim) run() {
	s.runUntil(s.o.HorizonS)
	s.finish()
}

// runUntil handles the events due by limit (s).
func (s *sim) runUntil(limit float64) {
	for len(s.q) > 0 {
		if s.q[0].t > limit || s.q[0].t > s.o.HorizonS {
			return
		}
		ev := s.q.pop()
		s.now = ev.t
		switch ev.kind {
		case evReady:
			s.ready(ev.id)
		case evDone:
			n := &s.nodes[ev.id]
			if ev.ver == n.ver && !n.dead {
				s.complete(ev.id)
			}
		case evTimeout:
			in := &s.inst[ev.id]
			if in.state == 2 && in.attempt == ev.ver && !s.endsBy(ev.id) {
				s.res.Timeouts++
				s.fail(ev.id, true)
			}
		case evDispatch:
			s.dispatchPending()
		case evDeath:
			s.death(ev.id)
		case evFill:
			// Every end and release of this instant is in: fill the
			// slots (in the order the nodes were marked).
			for _, n := range s.toFill {
				s.marked[n] = false
				s.fillSlots(n)
			}
			s.toFill = s.toFill[:0]
		}
	}
}

// endsBy reports whether instance i's running start has done its work by
// now: a start that ends exactly at its timeout is up, not timed out (its
// completion is due at the same instant, queued after the timeout), as
// Exceeds, the lower bound's attempts and the estimate's projection count
// it. It computes the node's progress as advance would, changing nothing.
func (s *sim) endsBy(i int32) bool {
	in := &s.inst[i]
	nd := &s.nodes[in.node]
	v := nd.v
	if k := len(nd.running); k > 0 {
		v += (s.now - nd.lastT) * s.rate(in.node, k)
	}
	return in.vEnd <= v+1e-9
}

// ready handles an instance whose dependencies are met (or whose retry is
// due). It is waiting (state 0): an instance has one ready event at a
// time, queued by its service's release (once) or by retry (after its
// attempt ended).
func (s *sim) ready(i int32) {
	in := &s.inst[i]
	in.state = 1
	if s.o.Policy == PolicyPlan {
		n := s.p.Assign[i].Node
		if s.nodes[n].dead {
			s.giveUp(i)
			return
		}
		s.emit(i, n, Scheduled)
		s.enqueue(n, i)
		s.markFill(n)
		return
	}
	if s.o.DispatchPerS > 0 {
		s.pending = append(s.pending, i)
		if len(s.pending) == 1 {
			s.push(max(s.now, s.nextDispatch), evDispatch, 0, 0)
		}
		return
	}
	s.dispatch(i)
}

// enqueue inserts i into node n's queue by dispatch priority.
func (s *sim) enqueue(n, i int32) {
	q := s.nodes[n].queue
	k := sort.Search(len(q), func(j int) bool { return s.rank[q[j]] > s.rank[i] })
	q = append(q, 0)
	copy(q[k+1:], q[k:])
	q[k] = i
	s.nodes[n].queue = q
}

// fillSlots starts queued instances on n while it runs fewer than c.
func (s *sim) fillSlots(n int32) {
	nd := &s.nodes[n]
	for len(nd.queue) > 0 && len(nd.running) < s.c.nodes[n].c && !nd.dead {
		i := nd.queue[0]
		nd.queue = nd.queue[1:]
		s.start(n, i)
	}
}

func (s *sim) dispatchPending() {
	if len(s.pending) == 0 {
		return
	}
	i := s.pending[0]
	s.pending = s.pending[1:]
	s.nextDispatch = s.now + 1/s.o.DispatchPerS
	s.dispatch(i)
	if len(s.pending) > 0 {
		s.push(s.nextDispatch, evDispatch, 0, 0)
	}
}

// dispatch places instance i now under a baseline policy and starts it.
func (s *sim) dispatch(i int32) {
	n := s.choose(i)
	if n < 0 {
		s.res.Rejections++
		s.retry(i)
		return
	}
	s.emit(i, n, Scheduled)
	if ok, why := s.u.fits(n, int(i)); !ok && why != reasonPower || s.nodes[n].dead { // a pinned node may be full or dead
		s.res.Rejections++
		s.emit(i, n, Failed)
		s.retry(i)
		return
	}
	s.start(n, i)
}

// choose picks a node for i under a baseline. Like a real scheduler, a
// baseline only considers nodes whose free capacity (requests accounted the
// moment they are bound) fits the instance; it ranks them by the stale
// metrics snapshot: "stale" takes the most available, "random" any, "p2c"
// the better of two random ones. Pinned instances go to their node.
func (s *sim) choose(i int32) int32 {
	c := s.c
	sv := &c.M.Services[c.Instances[i].Service]
	if len(sv.Pinned) > 0 {
		return sv.Pinned[c.Instances[i].Index]
	}
	pool := c.pool(c.Instances[i].Service)
	if len(pool) == 0 {
		return -1
	}
	s.snapshot()
	fits := func(n int32) bool {
		if s.nodes[n].dead {
			return false
		}
		ok, why := s.u.fits(n, int(i))
		return ok || why == reasonPower // baselines know nothing of power budgets
	}
	randomFit := func() int32 {
		for try := 0; try < 32; try++ {
			if n := pool[s.rng.IntN(len(pool))]; fits(n) {
				return n
			}
		}
		var ok []int32
		for _, n := range pool {
			if fits(n) {
				ok = append(ok, n)
			}
		}
		if len(ok) == 0 {
			return -1
		}
		return ok[s.rng.IntN(len(ok))]
	}
	switch s.o.Policy {
	case PolicyStale:
		for _, n := range s.sorted(sv.Role) {
			if fits(n) {
				return n
			}
		}
		return -1
	case PolicyRandom:
		return randomFit()
	default: // p2c
		a, b := randomFit(), randomFit()
		if a < 0 || b >= 0 && s.snapFree[b] > s.snapFree[a] {
			return b
		}
		return a
	}
}

// snapshot refreshes the stale metrics at each multiple of RefreshS.
func (s *sim) snapshot() {
	k := int64(s.now / s.o.RefreshS)
	if k == s.snapK {
		return
	}
	s.snapK = k
	if s.snapFree == nil {
		s.snapFree = make([]float64, len(s.c.nodes))
	}
	for n := range s.c.nodes {
		s.snapFree[n] = s.c.nodes[n].ramGiB - s.u.ram[n]
	}
	s.snapSort = map[string][]int32{}
}

// sorted returns a role's nodes by snapshot free RAM, most first.
func (s *sim) sorted(role string) []int32 {
	if l, ok := s.snapSort[role]; ok {
		return l
	}
	l := append([]int32(nil), s.c.pools[role]...)
	sort.SliceStable(l, func(a, b int) bool { return s.snapFree[l[a]] > s.snapFree[l[b]] })
	s.snapSort[role] = l
	return l
}

// advance brings node n's virtual clock to now.
func (s *sim) advance(n int32) {
	nd := &s.nodes[n]
	if k := len(nd.running); k > 0 {
		nd.v += (s.now - nd.lastT) * s.rate(n, k)
	}
	nd.lastT = s.now
}

// rate is the progress of each start on node n with k running: full speed
// up to c, then c/k (processor sharing), times the node's speed.
func (s *sim) rate(n int32, k int) float64 {
	r := 1.0
	if c := s.c.nodes[n].c; k > c {
		r = float64(c) / float64(k)
	}
	if s.o.Speed != nil {
		r *= s.o.Speed[n]
	}
	return r
}

// reschedule queues node n's next completion.
func (s *sim) reschedule(n int32) {
	nd := &s.nodes[n]
	nd.ver++
	if len(nd.running) == 0 {
		return
	}
	next := s.inst[nd.running[0]].vEnd
	for _, i := range nd.running[1:] {
		next = min(next, s.inst[i].vEnd)
	}
	r := s.rate(n, len(nd.running))
	if r <= 0 {
		return
	}
	s.push(s.now+max(next-nd.v, 0)/r, evDone, n, nd.ver)
}

func (s *sim) start(n, i int32) {
	in := &s.inst[i]
	if in.state == 3 || in.state == 4 {
		return
	}
	s.advance(n)
	nd := &s.nodes[n]
	s.u.add(n, int(i))
	in.node, in.state, in.startT = n, 2, s.now
	in.vBeg = nd.v
	in.vEnd = nd.v + s.c.work(&s.draw, s.drawSeed, int(i), int(in.starts))
	in.starts++
	nd.running = append(nd.running, i)
	if k := len(nd.running); k > s.res.PeakConcurrent {
		s.res.PeakConcurrent, s.res.PeakNode, s.res.PeakC = k, s.c.M.Devices[n].ID, s.c.nodes[n].c
	}
	s.emit(i, n, Started)
	sv := &s.c.M.Services[s.c.Instances[i].Service]
	timeout := sv.TimeoutS
	if timeout <= 0 {
		timeout = DefaultTimeoutS
	}
	// Under the plan a node never runs more than c starts, so a start
	// keeps its rate until it ends or its node dies: one that ends before
	// its timeout needs no timeout event (leaving it out changes nothing
	// but the queue's size).
	if s.o.Policy != PolicyPlan || (in.vEnd-nd.v)/s.rate(n, len(nd.running)) >= timeout*(1-1e-9) {
		s.push(s.now+timeout, evTimeout, i, in.attempt)
	}
	s.reschedule(n)
}

// complete finishes the start(s) of node n due now.
func (s *sim) complete(n int32) {
	s.advance(n)
	nd := &s.nodes[n]
	var done []int32
	keep := nd.running[:0]
	for _, i := range nd.running {
		if s.inst[i].vEnd <= nd.v+1e-9 {
			done = append(done, i)
		} else {
			keep = append(keep, i)
		}
	}
	nd.running = keep
	for _, i := range done {
		s.up(i, n)
	}
	s.reschedule(n)
	if s.o.Policy == PolicyPlan {
		s.markFill(n)
	}
}

// markFill queues node n's slot filling (plan policy) for the end of this
// instant: its event's seq has the top bit set, so it pops after every
// other event at the same time, including the ready events that ends at
// this instant release. Starts ending together and the instances they
// release thus compete for the freed slots by rank, as in the plan's
// timing (Plan.dryRun).
func (s *sim) markFill(n int32) {
	if s.marked == nil {
		s.marked = make([]bool, len(s.nodes))
	}
	if s.marked[n] {
		return
	}
	s.marked[n] = true
	if len(s.toFill) == 0 {
		s.seq++
		s.q.push(simEvent{t: s.now, seq: s.seq | 1<<63, kind: evFill})
	}
	s.toFill = append(s.toFill, n)
}

func (s *sim) up(i, n int32) {
	in := &s.inst[i]
	in.state = 3
	s.res.UpS[i] = s.now
	s.res.Placement[i] = n
	s.emit(i, n, Up)
	sv := s.c.Instances[i].Service
	s.upCount[sv]++
	// At its quorum-th up, as NewPlan counts quorums.
	if s.upCount[sv] == int32(s.c.M.Services[sv].Quorum()) {
		for _, d := range s.c.Dependents(int(sv)) {
			s.depsLeft[d]--
			if s.depsLeft[d] == 0 {
				s.release(d)
			}
		}
	}
}

// fail ends instance i's current attempt (timeout or node death) and
// schedules a retry.
func (s *sim) fail(i int32, timeout bool) {
	in := &s.inst[i]
	n := in.node
	s.advance(n)
	nd := &s.nodes[n]
	for k, j := range nd.running {
		if j == i {
			nd.running = append(nd.running[:k], nd.running[k+1:]...)
			break
		}
	}
	s.u.remove(n, int(i))
	s.emit(i, n, Failed)
	s.reschedule(n)
	if s.o.Policy == PolicyPlan {
		s.fillSlots(n)
	}
	s.retry(i)
}

// retry schedules the next attempt after a jittered back-off, or gives
// the instance up, by the recovery's Retry rule.
func (s *sim) retry(i int32) {
	in := &s.inst[i]
	in.attempt++
	in.state = 0
	rule := s.o.retry()
	if !rule.Again(int(in.attempt)) {
		s.giveUp(i)
		return
	}
	s.res.Retries++
	s.push(s.now+rule.Jittered(int(in.attempt), s.rng.Float64()), evReady, i, 0)
}

// retry is the options' retry rule, defaults resolved.
func (o *SimOptions) retry() Retry {
	return Retry{MaxAttempts: o.MaxAttempts, BackoffS: o.BackoffS}.Resolved()
}

func (s *sim) giveUp(i int32) {
	s.inst[i].state = 4
}

// death kills node n: its starts fail, it takes no more.
func (s *sim) death(n int32) {
	nd := &s.nodes[n]
	s.advance(n)
	nd.dead = true
	running := append([]int32(nil), nd.running...)
	for _, i := range running {
		s.res.NodeDeaths++
		s.fail(i, false)
	}
	queued := nd.queue
	nd.queue = nil
	for _, i := range queued {
		s.giveUp(i)
	}
}

func (s *sim) finish() {
	r := s.res
	var ups []float64
	for i := range s.inst {
		if r.UpS[i] >= 0 {
			ups = append(ups, r.UpS[i])
			r.MakespanS = max(r.MakespanS, r.UpS[i])
		} else if s.o.Policy != PolicyPlan || s.p.Assign[i].Node >= 0 {
			r.NeverUp++
		}
	}
	sort.Float64s(ups)
	r.P50UpS = quantile(ups, 0.5)
	r.P95UpS = quantile(ups, 0.95)
	if s.o.NoBound {
		return
	}
	path, work, take, tries := s.c.attemptTimes(s.o, func(i int) bool { return s.o.Policy != PolicyPlan || s.p.Assign[i].Node >= 0 })
	r.LowerBoundS = s.c.retryBound(path, work, take, tries)
}

// try is a start that can succeed at full speed: the least time from the
// instance's release to its being up through it (the starts before it
// failed), and its work.
type try struct{ path, work float64 }

// horizonSteps is how many times retryBound halves its interval.
const horizonSteps = 12

// retryBound tightens LowerBound(path, work, take) where instances have
// more than one start that can succeed (tries). LowerBound takes the least
// work over them, as a policy may let a start fail and succeed later with
// a shorter draw; but that start is up no sooner than its own path after
// the instance's release. For a horizon H, an instance up by H succeeds by
// a start whose path fits before H, so its work is at least the least over
// those (work(H)); if the recovery ended before H, it would be no shorter
// than LowerBound with work(H). So every H with LowerBound(work(H)) ≥ H is
// a lower bound. retryBound searches such H by bisection; each one it
// keeps is checked, so it is valid whatever the search finds.
func (c *Cluster) retryBound(path, work []float64, take []bool, tries [][]try) float64 {
	est, ready, cp := c.releases(path, take)
	base := c.poolBound(path, work, take, est, ready, cp)
	multi := false
	for _, ts := range tries {
		multi = multi || len(ts) > 1
	}
	if !multi {
		return base
	}
	w := make([]float64, len(work))
	f := func(h float64) float64 {
		for i, ts := range tries {
			if !take[i] {
				continue
			}
			r := est[c.Instances[i].Service]
			w[i] = math.Inf(1) // no start up by h: the recovery ends after h
			for _, t := range ts {
				if r+t.path <= h {
					w[i] = min(w[i], t.work)
				}
			}
			if math.IsInf(w[i], 1) {
				return math.Inf(1)
			}
		}
		return c.poolBound(path, w, take, est, ready, cp)
	}
	lo, hi := base, f(base)
	if hi <= lo {
		return base
	}
	if f(hi) >= hi {
		return hi
	}
	for range horizonSteps {
		mid := (lo + hi) / 2
		if f(mid) >= mid {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// attemptTimes gives, for the seed's draws, each instance's least time from
// release to up and the least work a successful start needs. Draws go by
// start (a rejection draws nothing). The path is that of its first start
// that can succeed at full speed (work ≤ timeout): the starts before it
// fail whatever the policy, each lasting its timeout plus at least half
// the backoff that follows. The work is the least over that start and the
// later ones that can succeed: a start slowed past its timeout fails, and
// the one that succeeds may need less. An instance with no such start can
// never come up and takes no part.
func (c *Cluster) attemptTimes(o SimOptions, placed func(int) bool) (path, work []float64, take []bool, tries [][]try) {
	path = make([]float64, len(c.Instances))
	work = make([]float64, len(c.Instances))
	take = make([]bool, len(c.Instances))
	tries = make([][]try, len(c.Instances))
	for i, in := range c.Instances {
		if !placed(i) {
			continue
		}
		timeout := c.M.Services[in.Service].TimeoutS
		if timeout <= 0 {
			timeout = DefaultTimeoutS
		}
		lost := 0.0
		for a := 0; a < o.MaxAttempts; a++ {
			w := c.Work(o.Seed, i, a)
			if w <= timeout {
				tries[i] = append(tries[i], try{lost + w, w})
			}
			switch {
			case w > timeout:
			case !take[i]:
				path[i], work[i], take[i] = lost+w, w, true
			default:
				work[i] = min(work[i], w)
			}
			lost += timeout + 0.5*o.retry().Backoff(a+1)
		}
	}
	return path, work, take, tries
}

// quantile returns the q-quantile (0 ≤ q ≤ 1) of sorted xs (nearest rank),
// 0 if empty. The rank is at most len(xs) − 1 there.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	k := int(q*float64(len(xs))+0.5) - 1
	return xs[max(0, k)]
}

func (s *sim) result() *Result { return s.res }
