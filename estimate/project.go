package estimate

import (
	"math"
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
	// draws: per instance, projection and j < cachedDraws, the j-th
	// draw (see draw); -1 until drawn. Projections write disjoint parts.
	draws []float64
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
	ups    []float64
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
	sh.draws = make([]float64, len(c.Instances)*Samples*cachedDraws)
	for j := range sh.draws {
		sh.draws[j] = -1
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

// uniform is the next draw in [0, 1) of r, as rand.Rand.Float64 makes it.
func uniform(r *rand.PCG) float64 {
	return float64(r.Uint64()<<11>>11) / (1 << 53)
}

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
	var x float64
	if elapsed <= 0 {
		x = l.draw(i, k, 0)
	} else {
		var r rand.PCG
		r.Seed(0xe57a11e, uint64(i)<<8|uint64(k&0xff))
		done := elapsed * sp // work done so far
		lo := 1 - placement.Exceeds(d, done)
		x = placement.Quantile(d, min(lo+uniform(&r)*(1-lo), 1-1e-9))
	}
	total := 0.0
	for a := 0; x/sp > timeout && a < placement.DefaultMaxAttempts-1; a++ {
		total += timeout - elapsed + backoff[a]
		elapsed = 0
		x = l.draw(i, k, a+1)
	}
	return total + max(x/sp-elapsed, 0)
}

// backoff is the projected back-off before retry a+1, s.
var backoff = func() (b [placement.DefaultMaxAttempts]float64) {
	for a := range b {
		b[a] = placement.DefaultBackoffS * math.Pow(2, float64(a))
	}
	return b
}()

// cachedDraws is how many of each instance's draws per projection are
// kept: all of its attempts' (on a slow node every attempt but the last
// may outlast its timeout): 720 bytes an instance.
const cachedDraws = placement.DefaultMaxAttempts

// draw is the j-th draw of instance i's generator for projection k, as a
// start duration at full speed (the first given nothing done yet): the
// same on every call, kept for j < cachedDraws.
func (l *Live) draw(i, k, j int) float64 {
	slot := -1
	if j < cachedDraws {
		slot = (i*Samples+k)*cachedDraws + j
		if x := l.shape.draws[slot]; x >= 0 {
			return x
		}
	}
	var r rand.PCG
	r.Seed(0xe57a11e, uint64(i)<<8|uint64(k&0xff))
	for range j {
		r.Uint64()
	}
	d := l.c.M.Services[l.c.Instances[i].Service].Start
	u := uniform(&r)
	if j == 0 {
		u = min(u, 1-1e-9)
	}
	x := placement.Quantile(d, u)
	if slot >= 0 {
		l.shape.draws[slot] = x
	}
	return x
}

// project runs the remaining work forward: services in release order,
// each instance on its node's earliest free slot.
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
	pr := projection{tiers: make([]TierStatus, sh.maxTier+1)}
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
			take(slots(n), now, rest)
			finish[i] = now + rest
		}
	}
	// Services in release order (dependency quorum projected up).
	p.ready = resize(p.ready, len(m.Services))
	p.left = resize(p.left, len(m.Services))
	ready, left := p.ready, p.left
	q := &p.q
	*q = (*q)[:0]
	for s := range m.Services {
		left[s] = int32(len(m.Services[s].DependsOn))
		if left[s] == 0 {
			q.push(relItem{now, int32(s)})
		}
	}
	for len(*q) > 0 {
		it := q.pop()
		s := it.svc
		sv := &m.Services[s]
		first := c.First(int(s))
		fs := p.fs[:0]
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
					start := take(slots(n), max(it.rel, now), d)
					finish[i] = start + d
				}
			}
			if finish[i] >= 0 {
				fs = append(fs, finish[i])
			}
		}
		p.fs = fs
		ready[s] = math.Inf(1) // a dependency that cannot reach quorum holds its dependents
		if qn := max(sv.ReadyQuorum, 1); qn <= len(fs) {
			ready[s] = kth(fs, qn-1)
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
	ups := p.ups[:0]
	for i, f := range finish {
		t := sh.tier[i]
		pr.tiers[t].Total++
		if l.state[i] == stUp {
			pr.tiers[t].Up++
		}
		if f < 0 || math.IsInf(f, 1) {
			pr.atRisk++
			continue
		}
		ups = append(ups, f)
		pr.all = max(pr.all, f)
		pr.tiers[t].ETAS = max(pr.tiers[t].ETAS, f)
	}
	p.ups = ups
	if k := int(math.Ceil(0.9*float64(len(c.Instances)))) - 1; k >= 0 && k < len(ups) {
		pr.ninety = kth(ups, k)
	} else {
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

// relQueue is a binary min-heap of services by release time, then index.
type relQueue []relItem

func (a relItem) less(b relItem) bool {
	if a.rel != b.rel {
		return a.rel < b.rel
	}
	return a.svc < b.svc
}

func (q *relQueue) push(x relItem) {
	*q = append(*q, x)
	h := *q
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
	h := *q
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
	*q = h
	return top
}
