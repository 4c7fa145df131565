package estimate

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"blackstart/placement"
)

type projection struct {
	all, ninety float64
	atRisk      int
	tiers       []TierStatus
}

// Samples is the number of Monte-Carlo projections behind each estimate.
const Samples = 9

// shape is what every projection needs of the cluster, computed once.
type shape struct {
	deps    [][]int32 // per service: the services that depend on it
	maxTier int
	tier    []int32 // per instance: its service's tier
	slotOff []int32 // per node: its first slot in a projector's slots; one more entry at the end
	projs   []projector
	ready   bool
	// Each instance's draws per projection (see drawAll), at
	// k·instances + i: the first attempt's (-1 until drawn), a summary of
	// the retries', and all attempts−1 retries' from (k·instances + i)·
	// (attempts−1) on. Projections write disjoint parts.
	first   []float64
	retry   []retryDraws
	retries []float64
	svc     []svcInfo

	// What every projection of one estimate shares: the running starts
	// (instance order), and per tier the instances, those up and the
	// latest up time (-1 none).
	running  []runItem
	tierTot  []int32
	tierUp   []int32
	tierUpT  []float64
	upLast   float64 // latest up time of any instance, 0 none
	upNinety float64 // the k-th up time when the 90 % point falls among them
	upT      []float64
}

// svcInfo is what a projection needs of a service's starts.
type svcInfo struct {
	timeout float64 // per attempt, s
	quorum  int32   // instances up before dependents are released, at least 1
}

// runItem is a running start as the projections see it.
type runItem struct {
	inst    int32
	node    int32 // -1: at risk (no node, or a stale one)
	elapsed float64
}

// projector holds one projection's working memory, reused from estimate
// to estimate.
type projector struct {
	slots  []float64 // every node's start slots: when each frees, s
	finish []float64 // per instance: projected up time, s; -1 at risk, -2 not yet projected
	ready  []float64 // per service: when its quorum is projected up, s
	left   []int32   // per service: dependencies not yet released
	q      relQueue
	fs     []float64
	ups    []float64 // projected up times, finite
	sel    []float64 // kthLarge's working memory
}

func (l *Live) prepare() {
	if l.shape.ready {
		return
	}
	l.shape.ready = true
	c, m := l.c, l.c.M
	sh := &l.shape
	sh.deps = make([][]int32, len(m.Services))
	for s := range m.Services {
		for _, d := range m.Services[s].DependsOn {
			sh.deps[d] = append(sh.deps[d], int32(s))
		}
		sh.maxTier = max(sh.maxTier, m.Services[s].Tier)
	}
	sh.tier = make([]int32, len(c.Instances))
	for i, in := range c.Instances {
		sh.tier[i] = int32(m.Services[in.Service].Tier)
	}
	sh.first = make([]float64, len(c.Instances)*Samples)
	for j := range sh.first {
		sh.first[j] = -1
	}
	sh.retry = make([]retryDraws, len(c.Instances)*Samples)
	sh.retries = make([]float64, len(c.Instances)*Samples*(attempts-1))
	sh.svc = make([]svcInfo, len(m.Services))
	for s := range m.Services {
		sv := &m.Services[s]
		timeout := sv.TimeoutS
		if timeout <= 0 {
			timeout = placement.DefaultTimeoutS
		}
		sh.svc[s] = svcInfo{timeout: timeout, quorum: int32(max(sv.ReadyQuorum, 1))}
	}
	sh.tierTot = make([]int32, sh.maxTier+1)
	for _, t := range sh.tier {
		sh.tierTot[t]++
	}
	sh.slotOff = make([]int32, len(m.Devices)+1)
	for n := range m.Devices {
		k := m.Devices[n].StartConcurrency
		if k <= 0 {
			k = placement.DefaultConcurrency
		}
		sh.slotOff[n+1] = sh.slotOff[n] + int32(k)
	}
}

// projectAll runs the Samples projections, spread over the processors;
// projection k is the same whichever worker runs it.
func (l *Live) projectAll(now float64, stale []bool, speed [][]float64) []projection {
	l.prepare()
	l.view(now, stale)
	workers := min(runtime.GOMAXPROCS(0), Samples)
	if len(l.shape.projs) < workers {
		l.shape.projs = append(l.shape.projs, make([]projector, workers-len(l.shape.projs))...)
	}
	out := make([]projection, Samples)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := w; k < Samples; k += workers {
				out[k] = l.project(&l.shape.projs[w], now, stale, k, speed[k])
			}
		}(w)
	}
	wg.Wait()
	return out
}

// view lays out what every projection at now shares: the running starts,
// the tiers' counts and latest up times, and where the 90 % point falls if
// among the instances already up.
func (l *Live) view(now float64, stale []bool) {
	sh := &l.shape
	sh.running = sh.running[:0]
	sh.tierUp = resize(sh.tierUp, sh.maxTier+1)
	sh.tierUpT = resize(sh.tierUpT, sh.maxTier+1)
	for t := range sh.tierUp {
		sh.tierUp[t], sh.tierUpT[t] = 0, -1
	}
	sh.upLast = 0
	sh.upT = sh.upT[:0]
	for i, st := range l.state {
		switch st {
		case stUp:
			t := sh.tier[i]
			sh.tierUp[t]++
			sh.tierUpT[t] = max(sh.tierUpT[t], l.upT[i])
			sh.upLast = max(sh.upLast, l.upT[i])
			sh.upT = append(sh.upT, l.upT[i])
		case stStarted:
			n := l.node[i]
			if n < 0 || stale[n] {
				n = -1
			}
			sh.running = append(sh.running, runItem{inst: int32(i), node: n, elapsed: now - l.startT[i]})
		}
	}
	if k := ninetyK(len(l.state)); k >= 0 && k < len(sh.upT) {
		sh.upNinety = kth(sh.upT, k)
	}
}

// ninetyK is the index, in up times sorted, of the 90 % point of n
// instances.
func ninetyK(n int) int { return int(math.Ceil(0.9*float64(n))) - 1 }

// uniform is the next draw in [0, 1) of r, as rand.Rand.Float64 makes it.
func uniform(r *rand.PCG) float64 {
	return float64(r.Uint64()<<11>>11) / (1 << 53)
}

// duration draws, for projection k, how long instance i still needs on a
// node of the given speed when it has already run elapsed seconds (0 if
// not started): a start duration from its service's distribution given it
// exceeds what is done, and, when that outlasts the timeout, the timeout,
// a back-off and a fresh draw; never less than 0. The draws come from
// generators of their own (fixed seed, instance, projection), not from the
// recovery's. The start duration given what is done is the instance's
// first draw when that exceeds it (so a start keeps the draw it was
// projected with before it began, as long as it can), else one drawn from
// the distribution beyond what is done by a generator of its own: together
// exactly the distribution given what is done.
func (l *Live) duration(i, k int, speed, elapsed float64) float64 {
	sh := &l.shape
	slot := k*len(l.c.Instances) + i
	sp := max(speed, 1e-3)
	x := sh.first[slot]
	if x < 0 {
		l.drawAll(i, k)
		x = sh.first[slot]
	}
	if elapsed > 0 {
		if done := elapsed * sp; x <= done { // work done so far
			d := l.c.M.Services[l.c.Instances[i].Service].Start
			var r rand.PCG
			r.Seed(0xc0d171, uint64(i)<<8|uint64(k&0xff))
			lo := 1 - placement.Exceeds(d, done)
			x = placement.Quantile(d, min(lo+uniform(&r)*(1-lo), 1-1e-9))
		}
	} else {
		elapsed = 0
	}
	timeout := sh.svc[l.c.Instances[i].Service].timeout
	limit := timeout * sp // work an attempt does before its timeout
	if x <= limit {
		return max(x/sp-elapsed, 0)
	}
	// Retries until one ends before its timeout, the last one whatever.
	j := attempts - 1
	if rd := &sh.retry[slot]; rd.min <= limit {
		rs := sh.retries[slot*(attempts-1):]
		for j = 1; rs[j-1] > limit; j++ {
		}
		x = rs[j-1]
	} else {
		x = rd.last
	}
	return max(float64(j)*timeout-elapsed+backoffSum[j]+x/sp, 0)
}

// attempts is how many starts an instance is projected to make at most.
const attempts = placement.DefaultMaxAttempts

// backoffSum[j] is the projected back-off before retry j, summed over the
// first j retries, s.
var backoffSum = func() (b [attempts]float64) {
	for a := 1; a < attempts; a++ {
		b[a] = b[a-1] + placement.DefaultBackoffS*math.Pow(2, float64(a-1))
	}
	return b
}()

// retryDraws summarizes an instance's retry draws for one projection: the
// least of those whose attempt is checked against the timeout (all but
// the last), and the last; min is -1 until drawn.
type retryDraws struct{ min, last float64 }

// drawAll draws instance i's starts for projection k, as start durations
// at full speed, from its generator (fixed seed, instance, projection):
// the first attempt's into first, the retries' into retries and retry.
func (l *Live) drawAll(i, k int) {
	sh := &l.shape
	slot := k*len(l.c.Instances) + i
	var r rand.PCG
	r.Seed(0xe57a11e, uint64(i)<<8|uint64(k&0xff))
	d := l.c.M.Services[l.c.Instances[i].Service].Start
	sh.first[slot] = placement.Quantile(d, min(uniform(&r), 1-1e-9))
	rs := sh.retries[slot*(attempts-1) : (slot+1)*(attempts-1)]
	rd := retryDraws{min: math.Inf(1)}
	for j := range rs {
		rs[j] = placement.Quantile(d, uniform(&r))
		if j < len(rs)-1 {
			rd.min = min(rd.min, rs[j])
		}
	}
	rd.last = rs[len(rs)-1]
	sh.retry[slot] = rd
}

// project runs the remaining work forward: services in release order,
// each instance on its node's earliest free slot. Instances up are done by
// now, every projected one is up at now or later: a service with a quorum
// up releases its dependents at now, the 90 % point is among the up times
// (view) or among the projected ones.
func (l *Live) project(p *projector, now float64, stale []bool, kind int, speed []float64) projection {
	c := l.c
	m := c.M
	sh := &l.shape
	p.slots = resize(p.slots, int(sh.slotOff[len(m.Devices)]))
	for j := range p.slots {
		p.slots[j] = now
	}
	slots := func(n int32) []float64 { return p.slots[sh.slotOff[n]:sh.slotOff[n+1]] }
	p.finish = resize(p.finish, len(c.Instances))
	finish := p.finish
	pr := projection{tiers: make([]TierStatus, sh.maxTier+1), all: sh.upLast}
	for t := range pr.tiers {
		pr.tiers[t] = TierStatus{Total: int(sh.tierTot[t]), Up: int(sh.tierUp[t]), ETAS: max(sh.tierUpT[t], 0)}
	}
	// Running starts hold a slot until their projected end.
	for _, r := range sh.running {
		if r.node < 0 {
			finish[r.inst] = -1
			continue
		}
		rest := l.duration(int(r.inst), kind, speed[r.node], r.elapsed)
		take(slots(r.node), now, rest)
		finish[r.inst] = now + rest
	}
	// Services in release order (dependency quorum projected up).
	p.ready = resize(p.ready, len(m.Services))
	p.left = resize(p.left, len(m.Services))
	ready, left := p.ready, p.left
	q := &p.q
	q.reset(now, len(m.Services))
	for s := range m.Services {
		left[s] = int32(len(m.Services[s].DependsOn))
		if left[s] == 0 {
			q.push(relItem{now, int32(s)})
		}
	}
	ups := p.ups[:0]
	for q.len() > 0 {
		it := q.pop()
		s := it.svc
		sv := &m.Services[s]
		first := c.First(int(s))
		fs := p.fs[:0]
		for i := first; i < first+sv.Instances; i++ {
			var f float64
			switch l.state[i] {
			case stUp:
				continue
			case stStarted:
				f = finish[i]
			default:
				n := l.node[i]
				if n < 0 {
					n = l.leastBusy(slots, int32(s))
				}
				if n < 0 || stale[n] {
					f = -1
				} else {
					d := l.duration(i, kind, speed[n], 0)
					f = take(slots(n), max(it.rel, now), d) + d
				}
			}
			if f < 0 {
				continue
			}
			fs = append(fs, f)
			if math.IsInf(f, 1) {
				continue
			}
			ups = append(ups, f)
			pr.all = max(pr.all, f)
			t := &pr.tiers[sh.tier[i]]
			t.ETAS = max(t.ETAS, f)
		}
		p.fs = fs
		// A dependency that cannot reach quorum holds its dependents.
		switch up := int(l.upBy[s]); {
		case up >= int(sh.svc[s].quorum):
			ready[s] = now
		case int(sh.svc[s].quorum)-up <= len(fs):
			ready[s] = kth(fs, int(sh.svc[s].quorum)-up-1)
		default:
			ready[s] = math.Inf(1)
		}
		for _, d := range sh.deps[s] {
			if left[d]--; left[d] == 0 {
				rel := now
				for _, dep := range m.Services[d].DependsOn {
					rel = max(rel, ready[dep])
				}
				q.push(relItem{rel, d})
			}
		}
	}
	p.ups = ups
	pr.atRisk = len(c.Instances) - l.nUp - len(ups)
	switch k := ninetyK(len(c.Instances)); {
	case k < 0:
		pr.ninety = pr.all
	case k < l.nUp:
		pr.ninety = sh.upNinety
	case k-l.nUp < len(ups):
		pr.ninety = p.kthLarge(ups, k-l.nUp)
	default:
		pr.ninety = pr.all
	}
	return pr
}

// resize returns s with length n, reusing its storage when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// kth returns the k-th smallest of xs (0-based), the value sorting would
// put at index k; it reorders xs.
func kth(xs []float64, k int) float64 {
	if len(xs) <= 16 {
		slices.Sort(xs)
		return xs[k]
	}
	lo, hi := 0, len(xs)-1
	for lo < hi {
		// Median of three as the pivot, then Hoare's partition.
		mid := lo + (hi-lo)/2
		a, b, c := xs[lo], xs[mid], xs[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// kthLarge returns the k-th smallest of xs (0-based) as kth does, in about
// one pass for many: the values between two of a sample's around the k-th
// are collected and the k-th found among them (in all of xs when the
// sample misses it: about 1 time in 10⁴ for the 90 % point, 1 in 100 for
// the median). It may reorder xs.
func (p *projector) kthLarge(xs []float64, k int) float64 {
	// The k-th's place in the sample varies by √(sample·q·(1−q)) for q =
	// k/n: 4.8 at the 90 % point.
	const sample, margin = 256, 20
	n := len(xs)
	if n < 8*sample {
		return kth(xs, k)
	}
	smp := resize(p.sel, sample)
	for j := range smp {
		smp[j] = xs[j*n/sample]
	}
	slices.Sort(smp)
	r := k * sample / n
	lo, hi := math.Inf(-1), math.Inf(1)
	if r-margin >= 0 {
		lo = smp[r-margin]
	}
	if r+margin < sample {
		hi = smp[r+margin]
	}
	below, mid := 0, smp[:0]
	for _, x := range xs {
		if x < lo {
			below++
		} else if x <= hi {
			mid = append(mid, x)
		}
	}
	p.sel = mid
	if k >= below && k < below+len(mid) {
		return kth(mid, k-below)
	}
	return kth(xs, k)
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
func (l *Live) leastBusy(slots func(int32) []float64, s int32) int32 {
	best, bestT := int32(-1), math.Inf(1)
	for _, n := range l.c.Pool(s) {
		ns := slots(n)
		t := ns[0]
		for _, x := range ns[1:] {
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

// relQueue orders services by release time, then index. Every release is
// at now or later; those at now, most of them, are kept as a set of
// indices (taken lowest first), the later ones in a binary min-heap.
type relQueue struct {
	now  float64
	at   []uint64 // services released at now, one bit each
	low  int      // no word of at below this one has a bit set
	nAt  int
	heap []relItem
}

func (a relItem) less(b relItem) bool {
	if a.rel != b.rel {
		return a.rel < b.rel
	}
	return a.svc < b.svc
}

// reset empties q for releases at now or later of n services.
func (q *relQueue) reset(now float64, n int) {
	q.now = now
	q.at = resize(q.at, (n+63)/64)
	clear(q.at)
	q.low, q.nAt = len(q.at), 0
	q.heap = q.heap[:0]
}

func (q *relQueue) len() int { return q.nAt + len(q.heap) }

func (q *relQueue) push(x relItem) {
	if x.rel <= q.now {
		w := int(x.svc) >> 6
		q.at[w] |= 1 << (uint(x.svc) & 63)
		q.low = min(q.low, w)
		q.nAt++
		return
	}
	q.heap = append(q.heap, x)
	h := q.heap
	j := len(h) - 1
	for j > 0 {
		i := (j - 1) / 2
		if !h[j].less(h[i]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		j = i
	}
}

func (q *relQueue) pop() relItem {
	if q.nAt > 0 {
		for q.at[q.low] == 0 {
			q.low++
		}
		b := bits.TrailingZeros64(q.at[q.low])
		q.at[q.low] &^= 1 << uint(b)
		q.nAt--
		return relItem{q.now, int32(q.low<<6 + b)}
	}
	h := q.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h[r].less(h[l]) {
			j = r
		}
		if !h[j].less(h[i]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
	q.heap = h
	return top
}
