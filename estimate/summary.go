package estimate

import (
	"math"
	"slices"

	"blackstart/placement"
)

// How the projections are summarized: by conditional Monte Carlo.
//
// A projection's finish is the latest of thousands of up times, each the
// end of a heavy-tailed start, so it is a noisy draw: the median of nine of
// them is a poor estimate of the finish's median, and their lowest and
// highest a poor band (a calm recovery's finish is set by whether one of
// its last starts runs into its timeout, a chance of a few percent that
// nine draws see or not). Most of that noise comes from starts whose
// duration changes nothing else in the projection: a start is free when
// no instance waited on its node from its beginning on, its node never
// ran out of slots after it ended, it cannot change when a quorum of its
// service is up (its service has no dependents, or its quorum was up before
// it began), and no instance was placed by weighing its node's slots after
// it began. Whatever a free start takes (failing at its timeout and
// retrying on its node included), the rest of the projection is the same;
// so given the rest, the finish is below T with probability
//
//	1[base ≤ T] · Π_free P(start i up by T)
//
// with base the latest up time of the other instances. Each estimate's
// finish distribution is this, averaged over its projections (a mixture of
// Samples distributions instead of Samples points), and the ETA is its
// median, the band its 10th to 90th percentile.

// freeStart is a free start of one projection (see above): its instance's
// first start from now on, and the retry that follows if it fails.
type freeStart struct {
	s0      float64 // when it began, s
	speed   float64 // its node's projected speed
	timeout float64 // per attempt, s
	backoff float64 // the back-off before its retry, s; -1: no retry (given up)
	done    float64 // work done at now: elapsed × speed, s at full speed (0: began after now)
	surv0   float64 // P(duration > done)
	svc     int32
	tier    int32
}

// resetFree readies p's records of what freeStarts needs for a projection
// from now.
func (l *Live) resetFree(p *projector, now float64) {
	c := l.c
	nn, ns := len(c.M.Devices), len(c.M.Services)
	p.s0 = resize(p.s0, len(c.Instances))
	p.el = resize(p.el, len(c.Instances))
	p.upI = p.upI[:0]
	p.waitLast = resize(p.waitLast, nn)
	p.fullEnd = resize(p.fullEnd, nn)
	p.blocked = resize(p.blocked, nn)
	for n := 0; n < nn; n++ {
		p.waitLast[n], p.fullEnd[n], p.blocked[n] = math.Inf(-1), math.Inf(-1), false
	}
	p.quorumT = resize(p.quorumT, ns)
	for s := range p.quorumT {
		p.quorumT[s] = math.Inf(1)
		if l.upBy[s] >= l.shape.svc[s].quorum {
			p.quorumT[s] = math.Inf(-1)
		}
	}
	p.clock = now
}

// freeStarts lays out projection k's free starts in l.shape.free[k] and
// returns its base: the latest up time of every instance up or projected
// up but those of the free starts.
func (l *Live) freeStarts(p *projector, k int, speed []float64) float64 {
	sh := &l.shape
	c := l.c
	if len(sh.free) != Samples {
		sh.free = make([][]freeStart, Samples)
	}
	out := sh.free[k][:0]
	base := sh.upLast
	for j, t := range p.ups {
		i := p.upI[j]
		n := p.startNode[i]
		s := c.Instances[i].Service
		s0 := p.s0[i]
		if p.waitLast[n] > s0 || p.fullEnd[n] > t || p.quorumT[s] > s0 && len(c.Dependents(int(s))) > 0 {
			base = max(base, t)
			continue
		}
		fs := freeStart{s0: s0, speed: max(speed[n], 1e-3), timeout: sh.svc[s].timeout, backoff: -1, svc: s, tier: sh.tier[i], surv0: 1}
		if a := int(l.fails[i]) + 1; l.retry.Again(a) {
			fs.backoff = l.retry.Backoff(a)
		}
		if el := p.el[i]; el > 0 {
			fs.done = el * fs.speed
			fs.surv0 = placement.Exceeds(c.M.Services[s].Start, fs.done)
			if !(fs.surv0 > 0) {
				base = max(base, t) // past what its distribution reaches
				continue
			}
		}
		out = append(out, fs)
	}
	sh.free[k] = out
	return base
}

// notUpBy is the probability that free start f's instance is not up by
// T: its start (given the work done at now) still running, or failed and
// its retry not up yet. A second failure is counted as resolved once the
// retry's timeout is past (its chance is the square of a timeout's).
func (l *Live) notUpBy(f *freeStart, T float64) float64 {
	a := T - f.s0
	if a <= 0 {
		return 1
	}
	d := l.c.M.Services[f.svc].Start
	sTau := placement.Exceeds(d, f.timeout*f.speed)
	sa := sTau
	if a < f.timeout {
		sa = placement.Exceeds(d, max(a*f.speed, f.done))
	}
	q := sa - sTau // still running, will come up
	if f.backoff >= 0 {
		switch a2 := a - f.timeout - f.backoff; {
		case a2 <= 0:
			q += sTau
		case a2 < f.timeout:
			q += sTau * placement.Exceeds(d, a2*f.speed)
		}
	}
	return min(max(q/f.surv0, 0), 1)
}

// mixture is the finish distribution of an estimate's projections (see
// above), by its working copies of their free starts.
type mixture struct {
	l      *Live
	base   []float64
	starts [][]freeStart
	q      []float64 // per start of the one being evaluated: notUpBy
}

// cdf is the mixture's P(finish ≤ T). It keeps every free start's
// notUpBy(T) for prune.
func (m *mixture) cdf(T float64) float64 {
	g := 0.0
	m.q = m.q[:0]
	for k, fs := range m.starts {
		if m.base[k] > T {
			for range fs {
				m.q = append(m.q, 1)
			}
			continue
		}
		lg := 0.0
		for j := range fs {
			q := m.l.notUpBy(&fs[j], T)
			m.q = append(m.q, q)
			lg += math.Log1p(-min(q, 1))
		}
		g += math.Exp(lg)
	}
	return g / float64(len(m.starts))
}

// prune drops the free starts almost surely up by the T of the latest
// cdf: the caller asks for no earlier T again.
func (m *mixture) prune() {
	j := 0
	for k, fs := range m.starts {
		keep := fs[:0]
		for _, f := range fs {
			if m.q[j] > pruneBelow {
				keep = append(keep, f)
			}
			j++
		}
		m.starts[k] = keep
	}
}

// pruneBelow is the chance of not being up by then below which a free
// start is dropped from later evaluations: thousands of them change the
// distribution by less than 1e-9.
const pruneBelow = 1e-13

// quantiles returns the mixture's p-quantiles, ps ascending, none before
// now: bisections on log(T − now), each from where the previous ended,
// then the least of the distribution's atoms in the last interval whose
// P(finish ≤ atom) reaches p, if any (the quantile falls on an atom when
// every projection's finish is fixed, or a start takes a fixed time).
func (m *mixture) quantiles(now float64, ps []float64) []float64 {
	hi := now
	var atoms []float64
	for k, fs := range m.starts {
		hi = max(hi, m.base[k])
		atoms = append(atoms, m.base[k])
		for _, f := range fs {
			end := f.s0 + f.timeout
			atoms = append(atoms, end)
			if f.backoff >= 0 {
				end += f.backoff + f.timeout
				atoms = append(atoms, end)
			}
			hi = max(hi, end)
			if d := m.l.c.M.Services[f.svc].Start; placement.Quantile(d, 0.1) == placement.Quantile(d, 0.9) {
				x := placement.Quantile(d, 0.5) / f.speed
				atoms = append(atoms, f.s0+x)
				if f.backoff >= 0 {
					atoms = append(atoms, f.s0+f.timeout+f.backoff+x)
				}
			}
		}
	}
	slices.Sort(atoms)
	out := make([]float64, len(ps))
	lo := now // cdf(lo) < p, or lo is the answer
	loG := m.cdf(lo)
	m.prune()
	for j, p := range ps {
		if loG >= p || hi <= lo {
			out[j] = lo // G(hi) = 1, so hi > lo here unless G(lo) = 1
			continue
		}
		// Bisect on x = log(T − now) between lo and hi.
		const iters = 24
		xl, xh := math.Log(max(lo-now, (hi-now)*1e-7)), math.Log(hi-now)
		for it := 0; it < iters; it++ {
			xm := (xl + xh) / 2
			T := now + math.Exp(xm)
			if g := m.cdf(T); g < p {
				xl, lo, loG = xm, T, g
				m.prune()
			} else {
				xh = xm
			}
		}
		out[j] = now + math.Exp(xh)
		from, _ := slices.BinarySearch(atoms, lo)
		for _, a := range atoms[from:] {
			if a > out[j] {
				break
			}
			if a > lo && m.cdf(a) >= p {
				out[j] = a
				break
			}
		}
	}
	return out
}

// summary is the finish's median and 10th and 90th percentiles over the
// projections prs made at now, by conditional Monte Carlo (see above):
// the instances of tier t only when tier >= 0, all when tier < 0 (base is
// then each projection's tier's latest up time but of its free starts).
func (l *Live) summary(prs []projection, now float64, tier int, base []float64, ps []float64) []float64 {
	sh := &l.shape
	m := mixture{l: l, base: base, starts: make([][]freeStart, len(prs))}
	for k := range prs {
		for _, f := range sh.free[k] {
			if tier < 0 || int(f.tier) == tier {
				m.starts[k] = append(m.starts[k], f)
			}
		}
	}
	return m.quantiles(now, ps)
}
