package estimate

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
	"runtime"
	"sync"

	"blackstart/placement"
	"blackstart/topology"
)

// fits keeps every start seen, per node, in the form the speed estimate
// needs, and estimates every node's start speed with its uncertainty.
//
// The model: a start's work W follows its service's start distribution and
// takes W/s on a node of speed s, so log duration = log W − log s. Node log
// speeds x = log s are drawn, per role, from a normal distribution N(μ_role,
// τ²): most nodes near their role's typical speed, some far from it, a role
// that stalls all slow. A start that came up after t seconds says log W =
// log t + x; a start still running after t seconds, or one that failed
// after t (its timeout, or its node died), says log W > log t + x (a
// censored observation). Each node's posterior for x under the prior is
// approximated by a normal (its mode, found by Newton's method, and the
// curvature there), and μ_role and τ are fitted to the nodes by a few EM
// steps at every estimate, so a fleet whose nodes differ widely gets a wide
// prior and a node with little data of its own is as uncertain as the fleet
// says. Projections draw each node's speed from its posterior (with a t
// distribution's tails, see drawNu): the slowest of many nodes, not their
// typical one, sets when everything is up.
//
// Distributions other than lognormal are matched to a lognormal by their
// median and p90 for this purpose; a fixed duration is exact: one start that
// came up fixes the node's speed.
//
// Finished starts are kept grouped by (start distribution, time on test,
// came up): the many starts that ran into the same timeout are one group.
// Completed starts of a distribution reduce to three sums (count, Σ a, Σ
// a²), running starts are kept apart: their time on test grows with now.
type fits struct {
	c      *placement.Cluster
	dists  []distInfo // distinct start distributions
	distOf []int32    // per service: index into dists

	node []startSet // per node
	role []int32    // per node: index of its role
	nRol int

	open     []int32 // per instance: index of its running start in node[openNode].running, -1
	openNode []int32 // per instance: node of its running start

	// post is, per node, the latest posterior of its log speed: mean and
	// variance (0: known exactly); mu per role and tau the fleet's.
	postM, postV []float64
	mu           []float64
	tau          float64
	terms        []censTerm // the censored observations at the latest estimate, node by node
	// warm is the fit at the latest checkpoint (every fitEvery events,
	// see checkpoint): each fit starts from it, so that a fit is a
	// function of the events and of now alone, however often estimates
	// were asked for, and starts near where it ends.
	warm struct {
		ok    bool
		mu    []float64
		tau   float64
		postM []float64
	}
	// gen counts the checkpoints; ver, per node, the changes to its
	// starts. first keeps, per node, its posterior in the first EM step
	// of the latest fit, and the gen and ver it was made at: in a fit's
	// first step μ, τ and Newton's starting points are the checkpoint's,
	// so a node without running starts (whose terms do not move with
	// now) and unchanged since has the same posterior again (see fit).
	gen   uint32
	ver   []uint32
	first struct {
		gen, ver []uint32 // gen+1: 0 is none
		m, v     []float64
	}
	// pending: a checkpoint's fit under way in the background, on frozen
	// (a copy of the starts as they were at the checkpoint; see
	// checkpoint), closed when done; nil when none. settle waits for it
	// and keeps its fit as the checkpoint.
	pending chan struct{}
	frozen  *fits
	noReuse bool      // every posterior computed in every step (tests and benchmarks)
	atOnce  bool      // checkpoints fitted at once on f itself, as before the background (tests)
	seen    int       // events counted towards the next checkpoint
	every   int       // events between checkpoints: fitEvery (tests set fewer)
	termOff []int32   // per node: its first term in terms; one more entry at the end
	z       []float64 // per node and projection: a standard normal draw, fixed
	// known, when set, is every node's true start speed (relative to
	// nominal), which every projection takes instead of a draw: see
	// Live.SetKnownSpeeds.
	known []float64
}

// distInfo is a start distribution and its lognormal match: log median and
// 1/(σ√2); fixed for a fixed duration.
type distInfo struct {
	d     topology.Dist
	fixed bool
	lnMed float64
	inv   float64 // 1/(σ√2)
}

// startSet is a set of starts.
type startSet struct {
	n       int // starts, finished and running
	ups     int // starts that came up
	groups  []group
	index   map[groupKey]int32
	running []runStart
	// Completed starts per distribution: count, Σ a and Σ a² with a =
	// log(duration) − log median.
	comp []compSum
}

type compSum struct{ n, a, aa float64 }

type groupKey struct {
	dist int32
	dur  float64 // time on test, s
}

// group is a count of failed starts of one distribution that ran the same
// time (censored observations); a is log(dur) − log median.
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

func (f *fits) init(c *placement.Cluster) {
	n, nn := len(c.Instances), len(c.M.Devices)
	f.c = c
	f.every = fitEvery
	f.distOf = make([]int32, len(c.M.Services))
	seen := map[topology.Dist]int32{}
	for s := range c.M.Services {
		d := c.M.Services[s].Start
		k, ok := seen[d]
		if !ok {
			k = int32(len(f.dists))
			seen[d] = k
			f.dists = append(f.dists, matchDist(d))
		}
		f.distOf[s] = k
	}
	f.node = make([]startSet, nn)
	f.role = make([]int32, nn)
	roles := map[string]int32{}
	for d := range c.M.Devices {
		r, ok := roles[c.M.Devices[d].Role]
		if !ok {
			r = int32(len(roles))
			roles[c.M.Devices[d].Role] = r
		}
		f.role[d] = r
	}
	f.nRol = len(roles)
	f.postM, f.postV = make([]float64, nn), make([]float64, nn)
	f.ver = make([]uint32, nn)
	f.first.gen, f.first.ver = make([]uint32, nn), make([]uint32, nn)
	f.first.m, f.first.v = make([]float64, nn), make([]float64, nn)
	f.mu, f.tau = make([]float64, f.nRol), tauStart
	// Stratified draws: each node gets every quantile (k+½)/Samples of a
	// Student t with drawNu degrees of freedom once, in an order of its
	// own, so the middle projection of a single node is its posterior mean
	// and nodes are not drawn in step. The t's tails stand for what a
	// normal posterior leaves out: a few nodes far slower than the rest
	// (broken, throttled), which are the ones that set the finish.
	// The orders come from generators of their own (the seed's salt,
	// node): see order.
	f.z = make([]float64, nn*Samples)
	f.order(0)
	f.open = make([]int32, n)
	f.openNode = make([]int32, n)
	for i := range f.open {
		f.open[i] = -1
	}
}

// order lays out every node's stratified draws (f.z) in the order its
// generator (salt: seedSalt of the estimator's seed; node) gives them.
func (f *fits) order(salt uint64) {
	nn := len(f.z) / Samples
	for d := 0; d < nn; d++ {
		r := rand.New(rand.NewPCG(0x5eed5^salt, uint64(d)))
		for k, j := range r.Perm(Samples) {
			f.z[d*Samples+k] = tQuantiles[j]
		}
	}
}

// matchDist matches a start distribution to a lognormal by median and p90
// (σ at least minSigma), or marks it fixed.
func matchDist(d topology.Dist) distInfo {
	info := distInfo{d: d}
	if d.Kind == "fixed" {
		info.fixed = true
		info.lnMed = math.Log(max(d.S, 1e-9))
		info.inv = 1 / (minSigma * math.Sqrt2) // for censored starts
		return info
	}
	med := max(placement.Quantile(d, 0.5), 1e-9)
	sg := max(math.Log(max(placement.Quantile(d, 0.9), med)/med)/z90, minSigma)
	info.lnMed, info.inv = math.Log(med), 1/(sg*math.Sqrt2)
	return info
}

// tQuantiles are the quantiles (j+½)/Samples of a Student t with drawNu
// degrees of freedom, j = 0…Samples−1: computed once, not per node and
// estimator (they were 1,710 inverse incomplete beta functions, about 5
// ms, in every new estimator of the incident-scale platform).
var tQuantiles = func() [Samples]float64 {
	var q [Samples]float64
	for j := range q {
		q[j] = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: drawNu}.Quantile((float64(j) + 0.5) / Samples)
	}
	return q
}()

// drawNu is the degrees of freedom of the t distribution node speeds are
// drawn with around their posterior (4: a conventional robust choice).
const drawNu = 4

// minSigma is the narrowest log spread a start distribution is matched to.
const minSigma = 0.05

// hyperWeight is how many nodes the hyperprior (nominal speed, spread
// tauStart) is worth in the fit of each role's μ and the fleet's τ.
const hyperWeight = 1.0

// tauStart is the fleet's spread of log speeds before any data, and the
// bounds it is kept within.
const (
	tauStart = 0.3
	tauMin   = 0.05
	tauMax   = 1.5
)

// z90 is the 90th percentile of the standard normal distribution.
const z90 = 1.2815515655446004

// openStart records that instance i began a start on node n at t.
func (f *fits) openStart(i, n int32, t float64) {
	f.open[i], f.openNode[i] = int32(len(f.node[n].running)), n
	f.ver[n]++
	f.node[n].running = append(f.node[n].running, runStart{inst: i, begin: t})
	f.node[n].n++
}

// closeStart ends instance i's running start, if any, at t.
func (f *fits) closeStart(i int32, t float64, up bool) {
	k := f.open[i]
	if k < 0 {
		return
	}
	n := f.openNode[i]
	f.ver[n]++
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
}

// add counts a finished start.
func (s *startSet) add(f *fits, dist int32, dur float64, up bool) {
	a := f.logA(dist, dur)
	if up {
		s.ups++
		for len(s.comp) <= int(dist) {
			s.comp = append(s.comp, compSum{})
		}
		c := &s.comp[dist]
		c.n++
		c.a += a
		c.aa += a * a
		return
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
	s.groups = append(s.groups, group{dist: dist, dur: dur, a: a, count: 1})
}

// logA is log(dur) − log median of the distribution's match.
func (f *fits) logA(dist int32, dur float64) float64 {
	return math.Log(max(dur, 1e-6)) - f.dists[dist].lnMed
}

// emSteps bounds the EM steps that refit μ and τ at each estimate, from
// the latest checkpoint's values; they stop once neither moves by emTol.
const (
	emSteps = 200
	emTol   = 1e-4
)

// fitEvery is how many events apart the fit's checkpoints are (see
// checkpoint).
const fitEvery = 2048

// observed counts one event towards the fit's next checkpoint; now is the
// time of the latest event, s.
func (f *fits) observed(now float64) {
	if f.seen++; f.seen >= f.every {
		f.seen = 0
		f.checkpoint(now)
	}
}

// checkpoint fits at now, from the previous checkpoint, and keeps the fit
// as the next fits' starting point. The checkpoints fall every fitEvery
// events, whenever estimates are asked for, so a fit (which converges only
// to within emTol, to a point that depends on where it started) is a
// function of the events and now alone: the service's ETA, asked any
// number of times and after events sent in any batches, equals estimate
// live's on the same events. Starting cold at every estimate took about
// ten EM steps each on a big recovery; from a checkpoint, two to four.
//
// The checkpoint's fit runs in the background, so that the events that
// follow are taken meanwhile (a herded recovery's checkpoints were a third
// of its events' ingest, on one core while the other waited): its
// censored terms are laid out now and the starts' sums copied (freeze),
// and its EM steps run on that copy; the next fit or checkpoint waits for
// it first (settle). The fit is the same bits as when made at once: the
// same inputs, and nothing reads or changes the checkpoint's state (warm,
// gen, first) until it is kept.
func (f *fits) checkpoint(now float64) {
	f.settle()
	if f.atOnce {
		f.fit(now)
		f.gen++
		f.warm.ok = true
		f.warm.mu = append(f.warm.mu[:0], f.mu...)
		f.warm.postM = append(f.warm.postM[:0], f.postM...)
		f.warm.tau = f.tau
		return
	}
	g := f.freeze(now)
	done := make(chan struct{})
	f.pending = done
	go func() {
		defer close(done)
		g.em()
	}()
}

// freeze returns f.frozen set up to fit as f would at now: the censored
// terms laid out, the sums of the completed starts copied, the running
// starts' count kept (their terms are laid out); the rest (the
// distributions, roles, the first-step cache) shared, read-only but for
// the cache, which only fits write, one at a time (see settle).
func (f *fits) freeze(now float64) *fits {
	g := f.frozen
	if g == nil {
		g = &fits{c: f.c, dists: f.dists, distOf: f.distOf, role: f.role, nRol: f.nRol,
			node: make([]startSet, len(f.node)), postM: make([]float64, len(f.postM)), postV: make([]float64, len(f.postV)),
			mu: make([]float64, len(f.mu)), ver: make([]uint32, len(f.ver))}
		f.frozen = g
	}
	g.noReuse, g.gen, g.first, g.warm = f.noReuse, f.gen, f.first, f.warm
	copy(g.ver, f.ver)
	for d := range f.node {
		comp := append(g.node[d].comp[:0], f.node[d].comp...)
		g.node[d] = f.node[d]
		g.node[d].comp, g.node[d].index = comp, nil
	}
	g.censored(now)
	for d := range g.node {
		// Past censored, only the running starts' count is read.
		g.node[d].groups = nil
		g.node[d].running = g.node[d].running[:len(g.node[d].running):len(g.node[d].running)]
	}
	return g
}

// settle waits for the checkpoint's fit under way, if any, and keeps it as
// the next fits' starting point.
func (f *fits) settle() {
	if f.pending == nil {
		return
	}
	<-f.pending
	f.pending = nil
	g := f.frozen
	f.gen++
	f.warm.ok = true
	f.warm.mu = append(f.warm.mu[:0], g.mu...)
	f.warm.postM = append(f.warm.postM[:0], g.postM...)
	f.warm.tau = g.tau
}

// speeds fits the fleet and every node's posterior (see fits) and returns,
// for each projection k, every node's drawn speed; when the speeds are
// known (Live.SetKnownSpeeds) it returns them and fits nothing (nothing
// else reads the fit; the checkpoints still fit, so that the fit goes on
// from them once the known speeds are dropped).
func (f *fits) speeds(now float64, out [][]float64) [][]float64 {
	nn := len(f.node)
	if f.known == nil {
		f.fit(now)
	}
	if len(out) != Samples {
		out = make([][]float64, Samples)
	}
	for k := range out {
		if len(out[k]) != nn {
			out[k] = make([]float64, nn)
		}
		if f.known != nil {
			copy(out[k], f.known)
			continue
		}
		for d := 0; d < nn; d++ {
			x := f.postM[d] + math.Sqrt(f.postV[d])*f.z[d*Samples+k]
			out[k][d] = math.Exp(min(max(x, logSpeedMin), logSpeedMax))
		}
	}
	return out
}

// fit sets μ, τ and every node's posterior at now by EM from the latest
// checkpoint (cold before the first: μ 0, τ tauStart).
func (f *fits) fit(now float64) {
	f.settle()
	f.censored(now)
	f.em()
}

// em is fit's EM steps over the censored terms laid out.
func (f *fits) em() {
	nn := len(f.node)
	if f.warm.ok {
		copy(f.mu, f.warm.mu)
		copy(f.postM, f.warm.postM) // Newton's starting points (see posterior)
		f.tau = f.warm.tau
	} else {
		clear(f.mu)
		clear(f.postM)
		f.tau = tauStart
	}
	for it := 0; it < emSteps; it++ {
		oldTau, moved := f.tau, 0.0
		// Every node that started something informs the fit, the ones
		// whose starts are still under way too (leaving them out would
		// fit the fleet to its fast nodes). A pseudo-node at the nominal
		// speed with the starting spread keeps a fleet of one or two
		// nodes from running away.
		sum, cnt := make([]float64, f.nRol), make([]float64, f.nRol)
		for r := range sum {
			cnt[r] = hyperWeight
		}
		f.posteriors(it == 0)
		for d := 0; d < nn; d++ {
			if f.node[d].n == 0 {
				continue
			}
			sum[f.role[d]] += f.postM[d]
			cnt[f.role[d]]++
		}
		for r := range f.mu {
			mu := sum[r] / cnt[r]
			moved = max(moved, math.Abs(mu-f.mu[r]))
			f.mu[r] = mu
		}
		varSum, n := hyperWeight*tauStart*tauStart, hyperWeight
		for d := 0; d < nn; d++ {
			if f.node[d].n == 0 {
				continue
			}
			dm := f.postM[d] - f.mu[f.role[d]]
			varSum += f.postV[d] + dm*dm
			n++
		}
		f.tau = math.Sqrt(min(max(varSum/n, tauMin*tauMin), tauMax*tauMax))
		if max(moved, math.Abs(f.tau-oldTau)) < emTol {
			break
		}
	}
	f.posteriors(false)
	for d := 0; d < nn; d++ {
		if f.node[d].n == 0 {
			f.postM[d], f.postV[d] = f.mu[f.role[d]], f.tau*f.tau
		}
	}
}

// The range of log speeds a node is given: 1/50 to 50 times its expected
// throughput.
var (
	logSpeedMin = math.Log(0.02)
	logSpeedMax = math.Log(50)
)

// posteriors sets the posterior of every node that started something
// under the current μ and τ, the nodes split over the processors (each
// node's the same whichever computes it). In a fit's first EM step
// (first), a node without running starts and unchanged since the latest
// fit's first step, made at the same checkpoint, takes that step's
// posterior again: its inputs (its terms, μ, τ and Newton's starting
// point, the checkpoint's) are the same bits.
func (f *fits) posteriors(first bool) {
	first = first && !f.noReuse
	fs := &f.first
	nn := len(f.node)
	workers := min(runtime.GOMAXPROCS(0), max(len(f.terms)/minTermsPerWorker, 1))
	var wg sync.WaitGroup
	// Worker w takes the nodes from the one where its share of the terms
	// begins.
	from := 0
	for w := 0; w < workers; w++ {
		to := nn
		if w < workers-1 {
			cut := int32((w + 1) * len(f.terms) / workers)
			to = from
			for to < nn && f.termOff[to] < cut {
				to++
			}
		}
		wg.Add(1)
		go func(from, to int) {
			defer wg.Done()
			for d := from; d < to; d++ {
				ns := &f.node[d]
				switch {
				case ns.n == 0:
				case !first || len(ns.running) > 0:
					f.postM[d], f.postV[d] = f.posterior(d, f.mu[f.role[d]], f.tau)
				case fs.gen[d] == f.gen+1 && fs.ver[d] == f.ver[d]:
					f.postM[d], f.postV[d] = fs.m[d], fs.v[d]
				default:
					f.postM[d], f.postV[d] = f.posterior(d, f.mu[f.role[d]], f.tau)
					fs.m[d], fs.v[d] = f.postM[d], f.postV[d]
					fs.gen[d], fs.ver[d] = f.gen+1, f.ver[d]
				}
			}
		}(from, to)
		from = to
	}
	wg.Wait()
}

// minTermsPerWorker is how many censored terms make another worker worth
// starting for the posteriors.
const minTermsPerWorker = 2000

// censTerm is a censored observation (or a group of equal ones) as the
// posterior's Newton steps use it: at log speed x it adds log erfc(z)
// count times to the log likelihood, z = x·inv + off.
type censTerm struct {
	inv, off float64
	w, w2    float64 // count·inv, count·inv²
}

// censored lays out, per node, the censored observations at now: the
// failed groups and the running starts, whose time on test is now − begin.
func (f *fits) censored(now float64) {
	nn := len(f.node)
	f.termOff = resize(f.termOff, nn+1)
	terms := f.terms[:0]
	add := func(dist int32, a, count float64) {
		inv := f.dists[dist].inv
		terms = append(terms, censTerm{inv: inv, off: a * inv, w: count * inv, w2: count * inv * inv})
	}
	for d := range f.node {
		ns := &f.node[d]
		f.termOff[d] = int32(len(terms))
		for _, gr := range ns.groups {
			add(gr.dist, gr.a, gr.count) // gr.a is logA(gr.dist, gr.dur), kept
		}
		for _, r := range ns.running {
			dist := f.distOf[f.c.Instances[r.inst].Service]
			add(dist, f.logA(dist, now-r.begin), 1)
		}
	}
	f.termOff[nn] = int32(len(terms))
	f.terms = terms
}

// posterior is node d's posterior for its log speed under the prior N(mu,
// tau²): mean and variance (0 when a fixed-duration start pins it), over
// its finished starts and the censored terms laid out by censored.
func (f *fits) posterior(d int, mu, tau float64) (float64, float64) {
	ns := &f.node[d]
	// Completed starts: a normal likelihood in x with precision P about
	// B/P; fixed durations pin x.
	P, B := 1/(tau*tau), mu/(tau*tau)
	pin, pinN := 0.0, 0.0
	for k, c := range ns.comp {
		if c.n == 0 {
			continue
		}
		di := &f.dists[k]
		if di.fixed {
			pin -= c.a
			pinN += c.n
			continue
		}
		w := 2 * di.inv * di.inv
		P += w * c.n
		B -= w * c.a
	}
	if pinN > 0 {
		return pin / pinN, 0
	}
	terms := f.terms[f.termOff[d]:f.termOff[d+1]]
	if len(terms) == 0 {
		return B / P, 1 / P
	}
	skewed := ns.ups <= fewUps && len(terms) <= fewTerms
	// Censored starts: log S(x) = log(erfc(z)/2), concave in x. Newton's
	// method (steps at most 1) from the last estimate's mode: the
	// posterior is strictly concave, so where it starts only changes how
	// many steps it takes. Once a step is below newtonTol the next would
	// be below its square: the mode is then known to about 1e-12.
	x := f.postM[d]
	h := -P
	for it := 0; it < 50; it++ {
		g := B - P*x
		h = -P
		for _, t := range terms {
			z := x*t.inv + t.off
			if z < hazardLo {
				continue // hazard below 1e-15
			}
			lam := erfcHazard(z)
			g -= t.w * lam
			h -= t.w2 * lam * (lam - 2*z)
		}
		step := min(max(-g/h, -1), 1)
		x += step
		if math.Abs(step) < newtonTol {
			break
		}
	}
	if skewed {
		return postMoments(terms, P, B, x, -1/h)
	}
	return x, -1 / h
}

// fewUps and fewTerms bound the completed starts and the censored ones
// (groups and running starts) a node may have for its posterior to be
// taken by its moments (postMoments) rather than by its mode and
// curvature: with more data the posterior is close to normal and the two
// agree, and a node that herded hundreds of starts would make the
// quadrature costly.
const (
	fewUps   = 5
	fewTerms = 32
)

// postMoments is the posterior mean and variance of a node's log speed
// from its prior and completed starts (a normal: precision P, P·mean B)
// and its censored starts (running, or failed), given the posterior's
// mode and Laplace variance v. Each censored start is a soft upper bound
// on the speed, so with little else the posterior is skewed towards slow
// and its mode is faster than its mean. Taking the mode for the mean made
// the fleet look fast and narrow early in a recovery, when most nodes
// have only running starts (on the Alibaba restart, at 10 % of the pods
// up, μ +0.15 and τ 0.39 against a true 0 and 0.54). The moments come
// from Gauss–Hermite quadrature (quadPoints points) about the mode, each
// point weighted by the posterior over its normal.
func postMoments(terms []censTerm, P, B, mode, v float64) (float64, float64) {
	sd := math.Sqrt(v)
	logPost := func(x float64) float64 {
		lp := x * (B - P*x/2)
		for _, t := range terms {
			lp += t.w / t.inv * logErfc(x*t.inv+t.off)
		}
		return lp
	}
	at := logPost(mode)
	var sw, sx, sxx float64
	for k, u := range quadX {
		x := mode + math.Sqrt2*sd*u
		w := quadW[k] * math.Exp(logPost(x)-at+u*u)
		sw += w
		sx += w * x
		sxx += w * x * x
	}
	if !(sw > 0) {
		return mode, v
	}
	m := sx / sw
	return m, max(sxx/sw-m*m, 1e-12)
}

// quadPoints is the order of the Gauss–Hermite rule of censoredMoments.
const quadPoints = 24

// quadX, quadW are the Gauss–Hermite rule's points and weights (for the
// weight exp(−u²)), from gonum.
var quadX, quadW = func() ([]float64, []float64) {
	x, w := make([]float64, quadPoints), make([]float64, quadPoints)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	return x, w
}()

// logErfc is log erfc(z), accurate where erfc underflows. Below −6
// math.Erfc is exactly 2 (it returns 2 there without computing), so its
// log is log 2 without calling either (about one call in eight of the
// posteriors' quadrature in a herded recovery). From −6 to 8 it is read
// from logErfcTable (within 1.2e-10 of math.Log(math.Erfc(z)), absolute),
// where the two calls were a fifth of an estimate's CPU at a new time
// with 100,000 events in; from 8 on, the asymptotic series.
func logErfc(z float64) float64 {
	if z < -6 {
		return logTwo
	}
	if z < logErfcHi {
		// Cubic Hermite interpolation: the values and the derivatives,
		// −λ(z) (the hazard), at both ends of the step, the derivatives
		// scaled to the step.
		return logErfcTable.at(z)
	}
	u := 1 / (2 * z * z)
	return -z*z - math.Log(z*math.SqrtPi) + math.Log1p(-u*(1-3*u*(1-5*u)))
}

// The log erfc table: it spans [hazardLo, logErfcHi), with logErfcPerStep
// steps per unit of z (the interpolation's error is largest near −1.46,
// 1.2e-10; 7.3e-12 at twice as many steps, 1.9e-9 at half as many).
const (
	logErfcHi      = 8.0
	logErfcPerStep = 64.0
)

// logErfcTable holds, per step, log erfc(z) at both ends and its
// derivative −λ(z) (28 kB).
var logErfcTable = newHermite(hazardLo, logErfcHi, logErfcPerStep, func(z float64) (float64, float64) {
	ec := math.Erfc(z)
	return math.Log(ec), -2 / math.SqrtPi * math.Exp(-z*z) / ec
})

// logTwo is math.Log(2), as logErfc computed it where math.Erfc is 2.
var logTwo = math.Log(2)

// newtonTol is the Newton step below which a node's mode is taken as found.
const newtonTol = 1e-6

// erfcHazard is −d/dz log erfc(z) = 2/√π·exp(−z²)/erfc(z): cubic Hermite
// interpolation in a table over [hazardLo, hazardHi] (error below 1e-6 ×
// max(λ, 0.01)), its asymptotic series above (relative error below 1e-8),
// 0 below (where it is under 1e-15).
func erfcHazard(z float64) float64 {
	if !(z >= hazardLo) {
		if z != z {
			return z // NaN in, NaN out: not an index below the table
		}
		return 0
	}
	if z >= hazardHi {
		u := 1 / (2 * z * z)
		return 2 * z / (1 - u*(1-u*(3-u*(15-105*u))))
	}
	return hazardTable.at(z)
}

// The hazard table: its range and steps per unit of z.
const (
	hazardLo      = -6.0
	hazardHi      = 10.0
	hazardPerStep = 32.0
)

// hazardTable holds, per step of the table, the hazard at both ends and
// its derivative λ' = λ(λ − 2z).
var hazardTable = newHermite(hazardLo, hazardHi, hazardPerStep, func(z float64) (float64, float64) {
	y := 2 / math.SqrtPi * math.Exp(-z*z) / math.Erfc(z)
	return y, y * (y - 2*z)
})

// hermite is a function tabulated for cubic Hermite interpolation: per
// step of 1/perStep from lo, the cubic in t ∈ [0, 1] that takes the
// function's values and derivatives at both ends, as its coefficients
// (c0 + t·(c1 + t·(c2 + t·c3))).
type hermite struct {
	lo, perStep float64
	tab         []struct{ c0, c1, c2, c3 float64 }
}

// newHermite tabulates f (its value and derivative at z) over [lo, hi].
func newHermite(lo, hi, perStep float64, f func(z float64) (float64, float64)) hermite {
	h := hermite{lo: lo, perStep: perStep, tab: make([]struct{ c0, c1, c2, c3 float64 }, int((hi-lo)*perStep))}
	at := func(k int) (float64, float64) {
		y, d := f(lo + float64(k)/perStep)
		return y, d / perStep // the derivative in t
	}
	for k := range h.tab {
		y0, d0 := at(k)
		y1, d1 := at(k + 1)
		h.tab[k].c0, h.tab[k].c1 = y0, d0
		h.tab[k].c2, h.tab[k].c3 = 3*(y1-y0)-2*d0-d1, 2*(y0-y1)+d0+d1
	}
	return h
}

// at interpolates at z, lo <= z < hi (hi itself too: the largest float
// below it can round to the end of the last step, which it reads there).
func (h *hermite) at(z float64) float64 {
	t := (z - h.lo) * h.perStep
	k := min(int(t), len(h.tab)-1)
	t -= float64(k)
	e := &h.tab[k]
	return e.c0 + t*(e.c1+t*(e.c2+t*e.c3))
}
