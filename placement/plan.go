package placement

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"blackstart/topology"
)

// Assignment is where and when one instance is planned to start.
type Assignment struct {
	Node   int32   // index into Model.Devices; -1 when unplaced
	StartS float64 // planned start, s from power-on
	UpS    float64 // planned up time: start + expected duration, s
}

// Unplaced is an instance the planner could not place, and why.
type Unplaced struct {
	Instance int
	Reason   string
}

// TierSpan is the planned window of one restart tier.
type TierSpan struct {
	Tier      int
	Instances int
	StartS    float64 // first planned start, s
	UpS       float64 // last planned up time, s
}

// Plan is a restart plan.
type Plan struct {
	C        *Cluster
	Assign   []Assignment // per instance of C.Instances
	Order    [][]int32    // per node: its instances in planned start order
	Unplaced []Unplaced
	Tiers    []TierSpan
	// SpreadShort counts services whose instances share a failure domain
	// because the pool has too few domains or nodes with room; Shortages
	// says which, and on which nodes (len(Shortages) == SpreadShort).
	SpreadShort int
	Shortages   []Shortage
	MakespanS   float64 // last planned up time, s
	LowerBoundS float64 // LowerBound with expected durations, s
	// TimeoutRisk lists the services whose timeout a start can outlast
	// even at full speed on an idle node, worst first: no placement avoids
	// those timeouts; the timeout is short for the start-time distribution.
	TimeoutRisk []TimeoutRisk
	// DrawW is, per device, its draw once every instance placed on it
	// runs: idle + (peak − idle) × the share of its cores requested, W.
	// The power budget (power.Budget) held these draws N-1-safe.
	DrawW []float64
	gpus  [][]int // per instance: the GPUs of its node it takes (nil without GPUs)
	// rank is each instance's position in dispatch priority (dispatchRank):
	// a node starts its released instances lowest rank first.
	rank []int32
	// placeUpS is, per instance, the up time the placement assumed (each
	// node in release order), before the plan is timed by dispatch priority.
	placeUpS []float64
	hint     []float64 // per service: the release time of its dependents the placement took, or nil (see place)
	readyS   []float64 // per service: when a quorum of it is up in the dry run
	// scans counts the instances for which the placement scanned the
	// whole pool (the heaps' search gave up): the same plan either way,
	// but O(pool) each; tests hold the heaps to finding the rest.
	scans int
}

// TimeoutRisk is a service whose own start-time distribution exceeds its
// timeout with some probability.
type TimeoutRisk struct {
	Service  int32   // index into Model.Services
	TimeoutS float64 // the start timeout, s
	P        float64 // probability that one start outlasts it at full speed, in (0, 1]
	Expected float64 // expected timeouts over the service's instances (first attempts)
}

// slots tracks when each start slot of each node frees up (planned).
type slots struct {
	free [][]float64 // per node: c slot-free times
}

func (s *slots) earliest(n int32) float64 {
	f := s.free[n]
	m := f[0]
	for _, x := range f[1:] {
		m = min(m, x)
	}
	return m
}

// take books the earliest slot of node n from time at for dur seconds and
// returns the start time.
func (s *slots) take(n int32, at, dur float64) float64 {
	f := s.free[n]
	k := 0
	for j := range f {
		if f[j] < f[k] {
			k = j
		}
	}
	start := max(at, f[k])
	f[k] = start + dur
	return start
}

// nodeHeap orders nodes by their earliest free slot, then the instances
// of the service being placed they hold, then index.
type nodeHeap struct {
	list []heapItem
}

type heapItem struct {
	key  float64 // the node's earliest free slot, s
	mine int32   // instances of the service being placed on the node (0 in a pool's heap)
	node int32
}

// The heap's operations are typed (no boxing of every item in an
// interface, as container/heap would) and the heap is 4-ary (half the
// levels of a binary heap over a large pool): the planner pops and pushes
// a node for every instance it places. Items are totally ordered (key,
// mine, then node), so any heap pops them in the same order.

func (h *nodeHeap) Len() int { return len(h.list) }

func (a heapItem) less(b heapItem) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	if a.mine != b.mine {
		return a.mine < b.mine
	}
	return a.node < b.node
}

func (h *nodeHeap) init() {
	for i := (len(h.list) - 2) / 4; i >= 0; i-- {
		h.down(i)
	}
}

func (h *nodeHeap) push(it heapItem) {
	h.list = append(h.list, it)
	l := h.list
	j := len(l) - 1
	for j > 0 {
		i := (j - 1) / 4
		if !it.less(l[i]) {
			break
		}
		l[j] = l[i]
		j = i
	}
	l[j] = it
}

func (h *nodeHeap) pop() heapItem {
	l := h.list
	n := len(l) - 1
	top := l[0]
	l[0] = l[n]
	h.list = l[:n]
	h.down(0)
	return top
}

func (h *nodeHeap) down(i int) {
	l := h.list
	n := len(l)
	if i >= n {
		return
	}
	x := l[i]
	for {
		j := 4*i + 1
		if j >= n {
			break
		}
		best := j
		for k := j + 1; k < min(j+4, n); k++ {
			if l[k].less(l[best]) {
				best = k
			}
		}
		if !l[best].less(x) {
			break
		}
		l[i] = l[best]
		i = best
	}
	l[i] = x
}

// svcQueue orders services ready to plan by release time, then longest
// chain behind them (bottom level), then index: a total order, so its
// typed binary heap pops them as container/heap would.
type svcQueue []svcItem

type svcItem struct {
	est, negDur float64
	svc         int32
}

func (a *svcItem) less(b *svcItem) bool {
	if a.est != b.est {
		return a.est < b.est
	}
	if a.negDur != b.negDur {
		return a.negDur < b.negDur
	}
	return a.svc < b.svc
}

func (q *svcQueue) push(x svcItem) {
	h := append(*q, x)
	for j := len(h) - 1; j > 0; {
		i := (j - 1) / 2
		if !h[j].less(&h[i]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		j = i
	}
	*q = h
}

func (q *svcQueue) pop() svcItem {
	h := *q
	n := len(h) - 1
	top := h[0]
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h[r].less(&h[j]) {
			j = r
		}
		if !h[j].less(&h[i]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
	*q = h
	return top
}

// maxPops bounds the heap search for one instance before a full scan.
const maxPops = 64

// Shortage is a service whose instances share a failure domain.
type Shortage struct {
	Service int32 // index into Model.Services
	// Nodes are the nodes (indices into Model.Devices, ascending) of its
	// instances that share a domain with another of its instances.
	Nodes []int32
	// Domains is how many of its spread's domains (racks, feeds or nodes)
	// hold more than one of its instances: at least 1, at most len(Nodes).
	Domains int32
}

// shortage lists the nodes of service s's placed instances whose failure
// domain holds more than one of them.
func (c *Cluster) shortage(p *Plan, s int32) Shortage {
	sv := &c.M.Services[s]
	byDomain := map[int32][]int32{}
	for k := 0; k < sv.Instances; k++ {
		if n := p.Assign[int(c.first[s])+k].Node; n >= 0 {
			d := c.domain(n, sv.Spread)
			byDomain[d] = append(byDomain[d], n)
		}
	}
	var nodes []int32
	var domains int32
	for _, ns := range byDomain {
		if len(ns) > 1 {
			nodes = append(nodes, ns...)
			domains++
		}
	}
	slices.Sort(nodes)
	return Shortage{Service: s, Nodes: slices.Compact(nodes), Domains: domains}
}

// NewPlan plans the restart of every instance of c: services in release order,
// each instance on the node of its pool where it can start earliest (the
// least busy), among the nodes where it fits and, when the pool allows, in
// a failure domain its service does not use yet; among the nodes free
// equally early, on the one holding fewer instances of its service, then
// the lowest index (so a service whose domains are all used, or that has
// none, keeps spreading over nodes rather than filling one node's slots).
// Durations are the expected ones (the mean of each service's distribution).
//
// The plan is carried out by dispatch priority (dispatchRank), not in
// the order services were placed, so its times are those of a dry run of
// that rule (dryRun), and the services come up at other times than the
// placement assumed. A second placement takes the dry run's release
// times; NewPlan keeps it when it places as many instances and its dry
// run ends sooner.
func NewPlan(c *Cluster) *Plan { return NewPlanWith(c, PlanOptions{}) }

// PlanOptions are NewPlanWith's options; none changes the plan.
type PlanOptions struct {
	// Progress, when set, is called from the calling goroutine as the
	// planning advances, with the work done and its total, in units of
	// one instance placed (or found unplaceable) in each of the two
	// placement passes, plus one for the tiers and the lower bound:
	// done rises monotonically to total = 2 × instances + 1. It never
	// changes the plan.
	Progress func(done, total int)
}

// NewPlanWith is NewPlan reporting its progress (see PlanOptions).
func NewPlanWith(c *Cluster, o PlanOptions) *Plan {
	pr := newTicker(o.Progress, 2*len(c.Instances)+1)
	p := placementsTick(c, pr)
	p.finish()
	p.bound()
	pr.add(1)
	return p
}

// ticker reports units of work done to a progress callback, about once
// per percent and always at the end; a nil ticker or callback does
// nothing.
type ticker struct {
	f                 func(done, total int)
	done, total, step int
}

func newTicker(f func(done, total int), total int) *ticker {
	if f == nil {
		return nil
	}
	return &ticker{f: f, total: total, step: max(total/100, 1)}
}

// add marks k more units done.
func (t *ticker) add(k int) {
	if t == nil || k <= 0 {
		return
	}
	prev := t.done
	t.done = min(t.done+k, t.total)
	if t.done/t.step != prev/t.step || t.done == t.total {
		t.f(t.done, t.total)
	}
}

// placements is NewPlan without finish and the lower bound (LowerBoundS
// is 0, Tiers and TimeoutRisk empty, each node's Order in planning
// order): the same assignments, for callers that only need to know where
// instances run (Hosting).
func placements(c *Cluster) *Plan { return placementsTick(c, nil) }

// placementsTick is placements reporting each instance of both passes to
// pr (nil: none).
func placementsTick(c *Cluster, pr *ticker) *Plan {
	p := place(c, nil, pr)
	if q := place(c, p.readyS, pr); len(q.Unplaced) <= len(p.Unplaced) && q.MakespanS < p.MakespanS {
		return q
	}
	return p
}

// bound sets LowerBoundS: LowerBound with expected durations.
func (p *Plan) bound() {
	c := p.C
	durs := make([]float64, len(c.Instances))
	for i, in := range c.Instances {
		durs[i] = c.meanS[in.Service]
	}
	p.LowerBoundS = c.LowerBound(durs, durs, p.placed())
}

// place plans every instance of c as NewPlan says. When hint is set, a
// service's dependents are released at hint[s] (the time a quorum of s
// is up) instead of the time the placement computes. Each instance
// placed or found unplaceable is one unit done on pr (nil: none).
func place(c *Cluster, hint []float64, pr *ticker) *Plan {
	m := c.M
	p := &Plan{C: c, Assign: make([]Assignment, len(c.Instances)), Order: make([][]int32, len(c.nodes)), hint: hint}
	u := newUsage(c)
	sl := &slots{free: make([][]float64, len(c.nodes))}
	for n := range c.nodes {
		sl.free[n] = make([]float64, c.nodes[n].c)
	}
	// A node whose free RAM or CPU is below every request of its pool can
	// take nothing more: it leaves the pool's heap for good.
	minRAM, minCPU := map[string]float64{}, map[string]float64{}
	for s := range m.Services {
		sv := &m.Services[s]
		if r, ok := minRAM[sv.Role]; !ok || sv.RAMGiB < r {
			minRAM[sv.Role] = sv.RAMGiB
		}
		if r, ok := minCPU[sv.Role]; !ok || sv.CPUCores < r {
			minCPU[sv.Role] = sv.CPUCores
		}
	}
	exhausted := func(n int32, role string) bool {
		nd := &c.nodes[n]
		return nd.ramGiB-u.ram[n] < minRAM[role]-eps || nd.cpu-u.cpu[n] < minCPU[role]-eps
	}
	heaps := map[string]*nodeHeap{}
	heapFor := func(role string) *nodeHeap {
		h, ok := heaps[role]
		if !ok {
			h = &nodeHeap{}
			for _, n := range c.pools[role] {
				h.list = append(h.list, heapItem{node: n})
			}
			h.init()
			heaps[role] = h
		}
		return h
	}
	domainCount := map[string]int{}
	ready := make([]float64, len(m.Services)) // planned time a quorum of each service is up
	var aside []heapItem
	var used []int32
	// mine counts, per node, the instances of the service being placed
	// (its nodes listed in mineNodes, reset after each service); own
	// holds the nodes of its pool's heap that hold one, keyed by that
	// count: among the nodes free equally early, an instance goes to one
	// holding fewer instances of its service, then the lowest index.
	// Nodes holding none stay in the pool's heap (mine 0), so the two
	// heads compare as one heap's would.
	mine := make([]int32, len(c.nodes))
	var mineNodes []int32
	own := &nodeHeap{}
	// Services are planned in the order they can start (list scheduling by
	// release time): a service enters the queue once everything it depends
	// on is planned, keyed by the time a quorum of each is up; longer starts
	// first among equal release times. Slots then fill in time order, with
	// no idle gap left behind a late release.
	left := make([]int, len(m.Services))
	for s := range m.Services {
		left[s] = len(m.Services[s].DependsOn)
	}
	// Bottom level: the longest chain of expected starts from a service to
	// the end of the restart. Among services released together, the one
	// with the longest chain behind it goes first (critical-path priority).
	bl := make([]float64, len(m.Services))
	for s := len(m.Services) - 1; s >= 0; s-- { // services are in tier order
		for _, d := range c.Dependents(s) {
			bl[s] = max(bl[s], bl[d])
		}
		bl[s] += c.meanS[s]
	}
	placed := make([]int, len(m.Services)) // per service: instances placed
	sq := &svcQueue{}
	for s := range m.Services {
		if left[s] == 0 {
			sq.push(svcItem{0, -bl[s], int32(s)})
		}
	}
	for len(*sq) > 0 {
		si := sq.pop()
		s := int(si.svc)
		sv := &m.Services[s]
		est := si.est
		blocked := "" // a dependency short of its quorum: no instance can ever start
		for _, d := range sv.DependsOn {
			if q := m.Services[d].Quorum(); placed[d] < q {
				blocked = fmt.Sprintf("%s: %q has %d of %d instances placed", reasonQuorum, m.Services[d].ID, placed[d], q)
				break
			}
		}
		dur := c.meanS[s]
		used = used[:0]
		pool := c.pool(int32(s))
		domains := c.domains(sv.Role, sv.Spread, domainCount)
		short := false
		var ups []float64
		for k := 0; k < sv.Instances; k++ {
			i := int(c.first[s]) + k
			p.Assign[i].Node = -1
			var n int32 = -1
			reason := ""
			fromScan := false
			switch {
			case blocked != "":
				reason = blocked
			case len(sv.Pinned) > 0:
				n = sv.Pinned[k]
				if ok, why := u.fits(n, i); !ok {
					n, reason = -1, reasonPinned+": "+why
				}
			case len(pool) == 0:
				reason = reasonRole + fmt.Sprintf(" (%q)", sv.Role)
			default:
				h := heapFor(sv.Role)
				wantNew := sv.Spread != topology.DomainNone && len(used) < domains
				aside = aside[:0]
				pops := 0
				src := h // the heap the chosen node was popped from
				for h.Len() > 0 && pops < maxPops {
					it := h.pop()
					if cur := sl.earliest(it.node); cur != it.key { // stale entry
						h.push(heapItem{key: cur, node: it.node})
						continue
					}
					if k := mine[it.node]; k > 0 { // taken by a scan: ranked with the service's nodes
						own.push(heapItem{it.key, k, it.node})
						continue
					}
					pops++
					if ok, _ := u.fits(it.node, i); !ok {
						if !exhausted(it.node, sv.Role) {
							aside = append(aside, it)
						}
						continue
					}
					if wantNew && containsInt32(used, c.domain(it.node, sv.Spread)) {
						aside = append(aside, it)
						continue
					}
					n = it.node // re-pushed below with its new key
					break
				}
				for _, it := range aside {
					h.push(it)
				}
				// Without an unused domain to seek, a node holding the
				// service's instances is chosen only when it is free
				// strictly earlier than the pool's best (own's items
				// rank after any with the same key and mine 0).
				settled := n >= 0 && (wantNew || own.Len() == 0)
				if n >= 0 && !settled {
					best := heapItem{key: sl.earliest(n), node: n}
					aside = aside[:0]
					for own.Len() > 0 && pops < maxPops {
						it := own.pop()
						if cur, k := sl.earliest(it.node), mine[it.node]; cur != it.key || k != it.mine { // stale entry
							own.push(heapItem{cur, k, it.node})
							continue
						}
						if !it.less(best) {
							own.push(it)
							settled = true
							break
						}
						pops++
						if ok, _ := u.fits(it.node, i); !ok {
							if !exhausted(it.node, sv.Role) {
								aside = append(aside, it)
							}
							continue
						}
						h.push(best) // the pool's best goes back
						n, src, settled = it.node, own, true
						break
					}
					settled = settled || own.Len() == 0
					for _, it := range aside {
						own.push(it)
					}
					if !settled { // search cut short: the scan decides
						h.push(best)
						n = -1
					}
				}
				if n < 0 { // the heap's head is full or same-domain: scan the pool
					var fallback int32 // the earliest fit in a used domain (-1: none)
					n, fallback = c.scan(pool, i, u, sl, used, sv.Spread, wantNew, mine)
					p.scans++
					fromScan = true // the chosen node's heap entry stays, corrected when popped
					if n < 0 {
						n = fallback
					}
				}
				// In a domain the service uses already: no unused domain
				// has a node with room, or the pool has no domain left.
				if n >= 0 && sv.Spread != topology.DomainNone && containsInt32(used, c.domain(n, sv.Spread)) {
					// (Never with min_spread 0: one domain at least is used.)
					if distinct(used)+sv.Instances-k-1 < sv.MinSpread {
						if !fromScan { // popped from a heap: put it back
							src.push(heapItem{sl.earliest(n), mine[n], n})
						}
						n, reason = -1, reasonSpread
					} else {
						short = true
					}
				}
			}
			if n < 0 {
				if reason == "" { // no node of the pool takes it
					reason = c.whyNot(pool, i, u)
				}
				p.Unplaced = append(p.Unplaced, Unplaced{Instance: i, Reason: reason})
				pr.add(1)
				continue
			}
			u.add(n, i)
			start := sl.take(n, est, dur)
			if len(sv.Pinned) == 0 {
				if mine[n] == 0 {
					mineNodes = append(mineNodes, n)
				}
				mine[n]++
				if !fromScan { // a scan's choice keeps its entry, corrected when popped
					own.push(heapItem{sl.earliest(n), mine[n], n})
				}
			}
			p.Assign[i] = Assignment{Node: n, StartS: start, UpS: start + dur}
			p.Order[n] = append(p.Order[n], int32(i))
			used = append(used, c.domain(n, sv.Spread))
			ups = append(ups, start+dur)
			pr.add(1)
		}
		// The service's nodes go back to its pool's heap, holding none of
		// the next service's instances.
		for _, it := range own.list {
			heapFor(sv.Role).push(heapItem{key: sl.earliest(it.node), node: it.node})
		}
		own.list = own.list[:0]
		for _, n := range mineNodes {
			mine[n] = 0
		}
		mineNodes = mineNodes[:0]
		if short {
			p.SpreadShort++
			p.Shortages = append(p.Shortages, c.shortage(p, int32(s)))
		}
		placed[s] = len(ups)
		sort.Float64s(ups)
		// Ready when its quorum is up (the last placed instance when
		// fewer are placed; its release time when none is).
		ready[s] = est
		if k := min(sv.Quorum(), len(ups)); k > 0 {
			ready[s] = ups[k-1]
		}
		if hint != nil && placed[s] >= sv.Quorum() {
			ready[s] = hint[s]
		}
		for _, d := range c.Dependents(s) {
			if left[d]--; left[d] == 0 {
				e := 0.0
				for _, dep := range m.Services[d].DependsOn {
					e = max(e, ready[dep])
				}
				sq.push(svcItem{e, -bl[d], d})
			}
		}
	}
	// The placement's times assumed each node starts its instances in the
	// order they were planned (release order). The plan is carried out
	// otherwise: each node starts, among its released instances, the one
	// of highest dispatch priority first. Its times are those of that
	// rule on expected durations.
	p.placeUpS = make([]float64, len(p.Assign))
	for i, a := range p.Assign {
		p.placeUpS[i] = a.UpS
	}
	p.rank = c.dispatchRank(p, bl)
	p.MakespanS, p.readyS = p.dryRun()
	p.gpus = u.gpuOf
	p.DrawW = u.drawW
	return p
}

// finish completes the plan placements chose for NewPlan: each node's
// start order, the tier spans and the timeout risks. Hosting, which only
// needs where the instances run, skips it.
func (p *Plan) finish() {
	for n := range p.Order {
		o := p.Order[n]
		sort.SliceStable(o, func(a, b int) bool {
			x, y := &p.Assign[o[a]], &p.Assign[o[b]]
			if x.StartS != y.StartS {
				return x.StartS < y.StartS
			}
			return p.rank[o[a]] < p.rank[o[b]]
		})
	}
	p.Tiers = p.tierSpans()
	p.TimeoutRisk = timeoutRisks(p.C.M)
}

// dispatchQuantile is the quantile of its own start time a dispatch
// priority counts: a start that may run long goes first, as long as one.
const dispatchQuantile = 0.99

// dispatchRank orders the placed instances by dispatch priority: the
// 99th percentile of the instance's own start time plus the longest chain
// of expected starts behind it (bl: the bottom levels, own mean included),
// highest first; ties by index. Among the instances released on a node,
// the highest goes first. Longest first (LEPT) keeps a long start from
// being left to the end, where it alone sets the makespan; counting the
// tail, not the mean, does the same for a start whose distribution is
// heavy-tailed (a lognormal with p90 = 3× its median has its p99 at 7×),
// which is known only in distribution, never in advance. The chain
// behind keeps critical-path priority between tiers.
func (c *Cluster) dispatchRank(p *Plan, bl []float64) []int32 {
	key := make([]float64, len(c.M.Services))
	for s := range c.M.Services {
		key[s] = bl[s] - c.meanS[s] + Quantile(c.M.Services[s].Start, dispatchQuantile)
	}
	var order []int32
	for i, a := range p.Assign {
		if a.Node >= 0 {
			order = append(order, int32(i))
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		return key[c.Instances[order[a]].Service] > key[c.Instances[order[b]].Service]
	})
	rank := make([]int32, len(p.Assign))
	for i := range rank {
		rank[i] = int32(len(order)) // unplaced: last
	}
	for k, i := range order {
		rank[i] = int32(k)
	}
	return rank
}

// rankHeap is a node's released instances, lowest rank first (ranks are
// distinct: a typed binary heap pops them as container/heap would).
type rankHeap struct {
	list []int32
	rank []int32
}

func (h *rankHeap) push(x int32) {
	l := append(h.list, x)
	for j := len(l) - 1; j > 0; {
		i := (j - 1) / 2
		if h.rank[l[j]] >= h.rank[l[i]] {
			break
		}
		l[i], l[j] = l[j], l[i]
		j = i
	}
	h.list = l
}

func (h *rankHeap) pop() int32 {
	l := h.list
	n := len(l) - 1
	top := l[0]
	l[0] = l[n]
	l = l[:n]
	for i := 0; ; {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.rank[l[r]] < h.rank[l[j]] {
			j = r
		}
		if h.rank[l[j]] >= h.rank[l[i]] {
			break
		}
		l[i], l[j] = l[j], l[i]
		i = j
	}
	h.list = l
	return top
}

// dryRun times the placed instances as the plan policy runs them, on
// expected durations: a service's instances are released when a quorum of
// each dependency is up; each node runs at most c starts, taking its
// released instances by rank. It sets each placement's StartS and UpS and
// returns the last up time and, per service, the time a quorum of it is up
// (0 for those never at quorum: NewPlan reads it only for services placed
// up to their quorum, which reach it).
func (p *Plan) dryRun() (float64, []float64) {
	c := p.C
	m := c.M
	left := make([]int, len(m.Services))
	for s := range m.Services {
		left[s] = len(m.Services[s].DependsOn)
	}
	queued := make([]rankHeap, len(c.nodes))
	for n := range queued {
		queued[n].rank = p.rank
	}
	running := make([]int, len(c.nodes))
	upCount := make([]int, len(m.Services))
	readyS := make([]float64, len(m.Services))
	// id: instance up at t. Ends at the same time are handled together
	// before any slot is filled, and ranks are distinct, so their order
	// (seq, left 0) changes nothing.
	done := &eventQueue{}
	now, last := 0.0, 0.0
	fill := func(n int32) {
		h := &queued[n]
		for len(h.list) > 0 && running[n] < c.nodes[n].c {
			i := h.pop()
			running[n]++
			dur := c.meanS[c.Instances[i].Service]
			p.Assign[i].StartS, p.Assign[i].UpS = now, now+dur
			done.push(simEvent{t: now + dur, id: i})
		}
	}
	var touched []int32
	release := func(s int32) {
		for k := 0; k < m.Services[s].Instances; k++ {
			i := c.first[s] + int32(k)
			if n := p.Assign[i].Node; n >= 0 {
				queued[n].push(i)
				touched = append(touched, n)
			}
		}
	}
	for s := range m.Services {
		if left[s] == 0 {
			release(int32(s))
		}
	}
	for {
		for _, n := range touched {
			fill(n)
		}
		touched = touched[:0]
		if len(*done) == 0 {
			break
		}
		// Every start ending now, and every release they make, before
		// the freed slots are filled.
		now = (*done)[0].t
		last = now
		for len(*done) > 0 && (*done)[0].t == now {
			i := done.pop().id
			n := p.Assign[i].Node
			running[n]--
			touched = append(touched, n)
			s := c.Instances[i].Service
			upCount[s]++
			if upCount[s] == m.Services[s].Quorum() {
				readyS[s] = now
				for _, d := range c.Dependents(int(s)) {
					if left[d]--; left[d] == 0 {
						release(d)
					}
				}
			}
		}
	}
	return last, readyS
}

func distinct(s []int32) int {
	seen := map[int32]bool{}
	for _, x := range s {
		seen[x] = true
	}
	return len(seen)
}

// domains counts the failure domains of a role's pool.
func (c *Cluster) domains(role string, d topology.Domain, cache map[string]int) int {
	key := role + "/" + d.String()
	if v, ok := cache[key]; ok {
		return v
	}
	seen := map[int32]bool{}
	for _, n := range c.pools[role] {
		seen[c.domain(n, d)] = true
	}
	cache[key] = len(seen)
	return len(seen)
}

// scan finds, over the whole pool, the node where instance i starts
// earliest among those where it fits (in a new domain when wantNew), and a
// fallback in a used domain; on a tie, the node holding fewer instances
// of i's service (mine), then the lowest index, as the heaps order them.
func (c *Cluster) scan(pool []int32, i int, u *usage, sl *slots, used []int32, d topology.Domain, wantNew bool, mine []int32) (int32, int32) {
	best, fallback := heapItem{node: -1}, heapItem{node: -1}
	for _, n := range pool {
		if ok, _ := u.fits(n, i); !ok {
			continue
		}
		it := heapItem{sl.earliest(n), mine[n], n}
		if wantNew && containsInt32(used, c.domain(n, d)) {
			if fallback.node < 0 || it.less(fallback) {
				fallback = it
			}
			continue
		}
		if best.node < 0 || it.less(best) {
			best = it
		}
	}
	return best.node, fallback.node
}

// whyNot explains why no node of the pool takes instance i: the reasons,
// most frequent first, with the number of nodes each excludes.
func (c *Cluster) whyNot(pool []int32, i int, u *usage) string {
	count := map[string]int{}
	for _, n := range pool {
		if ok, why := u.fits(n, i); !ok {
			count[why]++
		}
	}
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range count {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(a, b int) bool {
		if list[a].v != list[b].v {
			return list[a].v > list[b].v
		}
		return list[a].k < list[b].k
	})
	parts := make([]string, len(list))
	for k, e := range list {
		noun := "nodes"
		if e.v == 1 {
			noun = "node"
		}
		parts[k] = fmt.Sprintf("%d %s: %s", e.v, noun, e.k)
	}
	return reasonNoNodes + " (" + strings.Join(parts, "; ") + ")"
}

func (p *Plan) placed() []bool {
	out := make([]bool, len(p.Assign))
	for i, a := range p.Assign {
		out[i] = a.Node >= 0
	}
	return out
}

func (p *Plan) tierSpans() []TierSpan {
	byTier := map[int]*TierSpan{}
	var tiers []int
	for i, a := range p.Assign {
		if a.Node < 0 {
			continue
		}
		t := p.C.M.Services[p.C.Instances[i].Service].Tier
		ts := byTier[t]
		if ts == nil {
			ts = &TierSpan{Tier: t, StartS: a.StartS, UpS: a.UpS}
			byTier[t] = ts
			tiers = append(tiers, t)
		}
		ts.Instances++
		ts.StartS = min(ts.StartS, a.StartS)
		ts.UpS = max(ts.UpS, a.UpS)
	}
	sort.Ints(tiers)
	out := make([]TierSpan, len(tiers))
	for k, t := range tiers {
		out[k] = *byTier[t]
	}
	return out
}

// tailSamples bounds the tails θ the pool bound tries, besides 0.
const tailSamples = 16

// LowerBound returns a makespan no schedule can beat, given for each
// instance the least time from its release to its being up (path, s), the
// work its successful start needs at full speed (work, s), and which
// instances take part. It is the largest of:
//   - the critical path: an instance cannot start before what it depends
//     on can be up (a quorum of each dependency, each started as early as
//     its own dependencies allow), and is up path later;
//   - per node pool (the nodes of a role, every node, and each node for the
//     instances pinned to it): for every release time τ, τ plus the work
//     that cannot start before τ divided by the pool's start slots
//     (Σ c): slots are the pool's whole start capacity, and starts never
//     run faster than at full speed;
//   - the same with a tail: of the instances that cannot start before τ,
//     those whose tail is at least θ need τ + their work / (Σ c) for the
//     last of them to be up, and θ more after it. An instance's tail is
//     the least time from its being up to the end when every instance of
//     its service is needed for the quorum (one database behind its
//     apps): its dependents start after it, and each is up path later, and
//     theirs after their quorum (after, below); 0 otherwise.
//
// All hold for any placement and order, which tests check against brute
// force on small cases.
func (c *Cluster) LowerBound(path, work []float64, take []bool) float64 {
	est, ready, lb := c.releases(path, take)
	return c.poolBound(path, work, take, est, ready, lb)
}

// releases returns, per service, the earliest time its instances can
// start (est) and a quorum of it be up (ready) when every instance takes
// path from its release, and the critical path: the latest up time.
func (c *Cluster) releases(dur []float64, take []bool) (est, ready []float64, cp float64) {
	m := c.M
	est = make([]float64, len(m.Services))
	ready = make([]float64, len(m.Services))
	lb := 0.0
	for s := range m.Services {
		sv := &m.Services[s]
		for _, d := range sv.DependsOn {
			est[s] = max(est[s], ready[d])
		}
		var ds []float64
		for k := 0; k < sv.Instances; k++ {
			i := int(c.first[s]) + k
			if take[i] {
				ds = append(ds, dur[i])
				lb = max(lb, est[s]+dur[i])
			}
		}
		sort.Float64s(ds)
		// A quorum is up at the quorum-th least path; with fewer
		// instances taking part than the quorum, when the last of them is.
		ready[s] = est[s]
		if k := min(sv.Quorum(), len(ds)); k > 0 {
			ready[s] = est[s] + ds[k-1]
		}
	}
	return est, ready, lb
}

// poolBound is LowerBound's pool part, at least lb, given the releases.
func (c *Cluster) poolBound(dur, work []float64, take []bool, est, ready []float64, lb float64) float64 {
	m := c.M
	// after: per service, the least time from a quorum of it being up to
	// the last instance up: each dependent's instances start after it and
	// take path; the dependent's own dependents wait for its quorum.
	taken := make([]int, len(m.Services))
	maxPath := make([]float64, len(m.Services))
	qPath := make([]float64, len(m.Services)) // the quorum-th least path, when reached
	for s := range m.Services {
		sv := &m.Services[s]
		var ds []float64
		for k := 0; k < sv.Instances; k++ {
			if i := int(c.first[s]) + k; take[i] {
				ds = append(ds, dur[i])
			}
		}
		sort.Float64s(ds)
		taken[s] = len(ds)
		if len(ds) > 0 {
			maxPath[s] = ds[len(ds)-1]
		}
		if q := sv.Quorum(); q <= len(ds) {
			qPath[s] = ds[q-1]
		}
	}
	after := make([]float64, len(m.Services))
	for s := len(m.Services) - 1; s >= 0; s-- { // dependents come later
		for _, d := range m.Services[s].DependsOn {
			if taken[s] == 0 {
				continue
			}
			a := maxPath[s]
			if m.Services[s].Quorum() <= taken[s] {
				a = max(a, qPath[s]+after[s])
			}
			after[d] = max(after[d], a)
		}
	}
	type item struct{ est, dur, tail float64 }
	pools := map[string][]item{}
	capOf := map[string]float64{}
	for role, nodes := range c.pools {
		for _, n := range nodes {
			capOf["role:"+role] += float64(c.nodes[n].c)
		}
	}
	for i, in := range c.Instances {
		if !take[i] {
			continue
		}
		sv := &m.Services[in.Service]
		it := item{est[in.Service], work[i], 0}
		if sv.Quorum() >= taken[in.Service] { // every instance of it up before its dependents start
			it.tail = after[in.Service]
		}
		pools["role:"] = append(pools["role:"], it)
		if len(sv.Pinned) > 0 { // on its node, whatever the service's role
			n := sv.Pinned[in.Index]
			key := fmt.Sprintf("node:%d", n)
			pools[key] = append(pools[key], it)
			capOf[key] = float64(c.nodes[n].c)
			if r := c.nodes[n].role; r != "" {
				pools["role:"+r] = append(pools["role:"+r], it)
			}
		} else if sv.Role != "" {
			pools["role:"+sv.Role] = append(pools["role:"+sv.Role], it)
		}
	}
	for key, items := range pools {
		cp := capOf[key]
		if cp == 0 {
			continue
		}
		sort.Slice(items, func(a, b int) bool { return items[a].est > items[b].est })
		// θ: 0 and up to tailSamples of the tails; each gives a bound.
		var tails []float64
		for _, it := range items {
			if it.tail > 0 {
				tails = append(tails, it.tail)
			}
		}
		sort.Float64s(tails)
		thetas := []float64{0}
		for k := 1; k <= tailSamples && len(tails) > 0; k++ {
			thetas = append(thetas, tails[(len(tails)-1)*k/tailSamples])
		}
		for _, theta := range thetas {
			work := 0.0
			for _, it := range items {
				if it.tail < theta {
					continue
				}
				work += it.dur
				lb = max(lb, it.est+work/cp+theta)
			}
		}
	}
	return max(lb, c.gatedBound(est, ready, work, take, lb))
}

// gatedBound tightens the pool bound where a pool's work waits for
// single-instance services pinned to a few nodes (databases behind their
// applications). By time t a node n with c_n slots can have finished at
// most c_n·(t − τ_n) seconds of its pinned work (τ_n: its earliest
// release), so at most the work it gates that a fractional knapsack over
// its pinned services fits into that budget can have been released. For
// every sampled t, the pool needs t + (its work not yet released) / (its
// slots). The knapsack overestimates what is released, so each value is a
// valid bound.
func (c *Cluster) gatedBound(est, ready, work []float64, take []bool, horizon float64) float64 {
	m := c.M
	// gate: per service, the single-instance pinned dependency it waits
	// for longest (by its earliest possible ready time), or -1.
	gateOf := make([]int32, len(m.Services))
	for s := range m.Services {
		gateOf[s] = -1
		for _, d := range m.Services[s].DependsOn {
			dv := &m.Services[d]
			if dv.Instances == 1 && len(dv.Pinned) == 1 && take[c.first[d]] && (gateOf[s] < 0 || ready[d] > ready[gateOf[s]]) {
				gateOf[s] = d
			}
		}
	}
	type gated struct {
		w, a, upMin float64 // the gate's work, the work it gates, its earliest up time
	}
	lb := 0.0
	for role, pool := range c.pools {
		cp := 0.0
		for _, n := range pool {
			cp += float64(c.nodes[n].c)
		}
		if cp == 0 {
			continue
		}
		var free []struct{ est, w float64 } // work not behind a gate
		perGate := map[int32]float64{}
		for i, in := range c.Instances {
			sv := &m.Services[in.Service]
			if !take[i] || (role != "" && sv.Role != role) || len(sv.Pinned) > 0 {
				continue
			}
			if g := gateOf[in.Service]; g >= 0 {
				perGate[g] += work[i]
			} else {
				free = append(free, struct{ est, w float64 }{est[in.Service], work[i]})
			}
		}
		if len(perGate) == 0 {
			continue
		}
		byNode := map[int32][]gated{}
		tau := map[int32]float64{}
		for g, a := range perGate {
			n := m.Services[g].Pinned[0]
			i := c.first[g]
			byNode[n] = append(byNode[n], gated{w: work[i], a: a, upMin: est[g] + work[i]})
			if t, ok := tau[n]; !ok || est[g] < t {
				tau[n] = est[g]
			}
		}
		for n, gs := range byNode { // best ratio first for the fractional knapsack
			sort.Slice(gs, func(a, b int) bool { return gs[a].a*gs[b].w > gs[b].a*gs[a].w })
			byNode[n] = gs
		}
		const samples = 256
		for k := 1; k <= samples; k++ {
			t := horizon * 1.5 * float64(k) / samples
			// rest: the work that cannot have been released by t, summed
			// from what is left (total − released would leave a rounding
			// residue, and t + residue is no bound).
			rest := 0.0
			for _, f := range free {
				if f.est > t {
					rest += f.w
				}
			}
			for n, gs := range byNode {
				budget := float64(c.nodes[n].c) * (t - tau[n])
				for _, g := range gs {
					switch {
					case budget <= 0 || g.upMin > t:
						rest += g.a
					case g.w <= budget:
						budget -= g.w
					default:
						rest += g.a * (1 - budget/g.w)
						budget = 0
					}
				}
			}
			if rest > 0 {
				lb = max(lb, t+rest/cp)
			}
		}
	}
	return lb
}

// timeoutRisks finds the services whose start can outlast the timeout even
// at full speed: P(start > timeout) from the distribution, kept when it is
// at least one in ten thousand.
func timeoutRisks(m *topology.Model) []TimeoutRisk {
	var out []TimeoutRisk
	for s := range m.Services {
		sv := &m.Services[s]
		t := sv.TimeoutS
		if t <= 0 {
			t = DefaultTimeoutS
		}
		if p := Exceeds(sv.Start, t); p >= 1e-4 {
			out = append(out, TimeoutRisk{Service: int32(s), TimeoutS: t, P: p, Expected: p * float64(sv.Instances)})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].P > out[b].P })
	return out
}

// Exceeds returns the probability that a start drawn from d lasts longer
// than t seconds.
func Exceeds(d topology.Dist, t float64) float64 {
	switch d.Kind {
	case "uniform":
		if d.MaxS <= d.MinS {
			return b2f(d.MinS > t)
		}
		return math.Min(1, math.Max(0, (d.MaxS-t)/(d.MaxS-d.MinS)))
	case "lognormal":
		sg := sigma(d)
		if sg == 0 {
			return b2f(d.MedianS > t)
		}
		return 0.5 * math.Erfc(math.Log(t/d.MedianS)/(sg*math.Sqrt2))
	case "exponential":
		if d.MeanS <= 0 {
			return 0
		}
		return math.Exp(-t / d.MeanS)
	}
	return b2f(d.S > t)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Rank is instance i's place in dispatch priority: a node starts, among
// the instances released to it, the one of lowest rank first (the plan
// policy does; a live projection of the plan should too). Unplaced
// instances rank last.
func (p *Plan) Rank(i int) int32 {
	if p.rank == nil {
		return int32(i)
	}
	return p.rank[i]
}
