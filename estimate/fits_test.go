package estimate

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// The speed model's rules in fits.go, each on a case small enough to check
// by hand (issue 19).

// Before any start is seen the fleet is the hyperprior: μ 0 and τ
// tauStart (0.3), every node's posterior N(0, 0.3²); each node draws each
// of the nine t(4) quantiles at (j+½)/9 once (−2.0387, −1.0994, −0.6424,
// −0.3019, 0, and their mirrors), so its middle projection is its
// posterior mean, speed 1, and the nodes are not drawn in step.
func TestDrawsStratified(t *testing.T) {
	c := nodes(t, 1, 4, `
[[service]]
id = "a"
instances = 4
start = { dist = "lognormal", median_s = 10, p90_s = 30 }
`)
	l := NewLive(c, nil)
	sp := l.speeds(0, nil)
	if l.tau != 0.3 || l.mu[0] != 0 {
		t.Fatalf("no starts seen: μ %g, τ %g; want 0 and 0.3", l.mu[0], l.tau)
	}
	want := []float64{-2.0386730, -1.0993556, -0.6424451, -0.3018947, 0, 0.3018947, 0.6424451, 1.0993556, 2.0386730}
	orders := map[string]bool{}
	for d := range c.M.Devices {
		if l.postM[d] != 0 || math.Abs(l.postV[d]-0.09) > 1e-15 {
			t.Errorf("node %d: posterior N(%g, %g); want N(0, 0.09)", d, l.postM[d], l.postV[d])
		}
		z := make([]float64, Samples)
		order := ""
		for k := range Samples {
			z[k] = math.Log(sp[k][d]) / 0.3
			order += string(rune('a' + int(math.Round(z[k]*10))))
		}
		orders[order] = true
		slices.Sort(z)
		for j := range want {
			if math.Abs(z[j]-want[j]) > 1e-6 {
				t.Fatalf("node %d: standardized log speeds %v; want the t(4) quantiles %v, each once", d, z, want)
			}
		}
	}
	if len(orders) < 3 {
		t.Errorf("4 nodes drew their quantiles in %d orders; want them not in step", len(orders))
	}
}

// Start distributions are matched to a lognormal by median and p90: log
// median, and 1/(σ√2) with σ = ln(p90/median)/z90 (at least 0.05); a
// fixed duration is its own median with σ 0.05 for censored starts.
func TestMatchDist(t *testing.T) {
	for _, tt := range []struct {
		d        topology.Dist
		med, sig float64
	}{
		{topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 60}, 20, math.Log(3) / 1.2815515655446004},
		{topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 20}, 20, 0.05},   // no spread: the floor
		{topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 20.5}, 20, 0.05}, // σ 0.0193: the floor
		{topology.Dist{Kind: "exponential", MeanS: 10}, 10 * math.Ln2, math.Log(math.Log(10)/math.Ln2) / 1.2815515655446004},
		{topology.Dist{Kind: "uniform", MinS: 10, MaxS: 30}, 20, math.Log(28.0/20) / 1.2815515655446004},
		{topology.Dist{Kind: "fixed", S: 7}, 7, 0.05},
	} {
		got := matchDist(tt.d)
		if math.Abs(got.lnMed-math.Log(tt.med)) > 1e-12 || math.Abs(got.inv-1/(tt.sig*math.Sqrt2)) > 1e-9 || got.fixed != (tt.d.Kind == "fixed") {
			t.Errorf("%+v: log median %.6f, 1/(σ√2) %.6f, fixed %v; want median %g s, σ %.6f", tt.d, got.lnMed, got.inv, got.fixed, tt.med, tt.sig)
		}
	}
}

// A node with only completed starts has the conjugate normal posterior:
// lognormal starts of σ 0.5 (median 10 s) that took 20 s and 20 s, under
// the prior N(0, 0.3²): precision 1/0.09 + 2/0.25 = 19.111, mean
// −(2 ln 2 / 0.25)/19.111 = −0.29013 (slower than nominal), variance
// 0.052326. A fixed 10-s start that took 20 s pins the log speed at
// −ln 2 exactly, whatever the prior.
func TestPosteriorConjugate(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "a"
instances = 2
pinned = ["n1", "n1"]
start = { dist = "lognormal", median_s = 10, p90_s = 18.97953 }
[[service]]
id = "b"
instances = 2
pinned = ["n2", "n2"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	for k, at := range []float64{0, 20} {
		for n := range 2 {
			l.Observe(placement.Event{TS: at, Instance: int32(2*n + k), Node: int32(n), State: placement.Started})
			l.Observe(placement.Event{TS: at + 20, Instance: int32(2*n + k), Node: int32(n), State: placement.Up})
		}
	}
	l.fits.censored(40)
	// σ of the match: ln(18.97953/10)/z90 = 0.5000.
	sig := 1 / (l.fits.dists[0].inv * math.Sqrt2)
	if math.Abs(sig-0.5) > 1e-5 {
		t.Fatalf("setup: σ %.6f, want 0.5", sig)
	}
	P := 1/0.09 + 2/(sig*sig)
	m, v := l.fits.posterior(0, 0, 0.3)
	if math.Abs(m-(-2*math.Ln2/(sig*sig))/P) > 1e-12 || math.Abs(v-1/P) > 1e-12 || math.Abs(m+0.29013) > 1e-4 || math.Abs(v-0.052326) > 1e-5 {
		t.Errorf("two 20-s starts of median 10 s: posterior N(%.5f, %.6f); want N(-0.29013, 0.052326)", m, v)
	}
	// The prior's mean moves it: μ 0.5 adds 0.5/0.09/19.111 = 0.29070.
	if m2, _ := l.fits.posterior(0, 0.5, 0.3); math.Abs(m2-m-0.5/0.09/P) > 1e-12 {
		t.Errorf("prior mean 0.5: posterior mean %.5f, want %.5f", m2, m+0.5/0.09/P)
	}
	if m, v := l.fits.posterior(1, 0.5, 0.3); math.Abs(m+math.Ln2) > 1e-12 || v != 0 {
		t.Errorf("fixed 10-s starts that took 20 s: posterior N(%g, %g); want N(-ln 2, 0)", m, v)
	}
}

// A node's drawn speeds stay within 1/50 and 50 times nominal: fixed
// 10-s starts that took 1,000 s (log speed −ln 100) are drawn at 0.02,
// and ones that took 0.1 s at 50, in every projection.
func TestSpeedsClamped(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "a"
instances = 2
pinned = ["n1", "n2"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 0, Instance: 1, Node: 1, State: placement.Started})
	l.Observe(placement.Event{TS: 0.1, Instance: 1, Node: 1, State: placement.Up})
	l.Observe(placement.Event{TS: 1000, Instance: 0, Node: 0, State: placement.Up})
	sp := l.speeds(1000, nil)
	for k := range Samples {
		if math.Abs(sp[k][0]-0.02) > 1e-12 || math.Abs(sp[k][1]-50) > 1e-9 {
			t.Fatalf("projection %d: speeds %g and %g; want 0.02 and 50", k, sp[k][0], sp[k][1])
		}
	}
	if math.Abs(l.postM[0]+math.Log(100)) > 1e-12 || math.Abs(l.postM[1]-math.Log(100)) > 1e-12 {
		t.Errorf("log speeds %g and %g; want -ln 100 and ln 100 (only the draws are clamped)", l.postM[0], l.postM[1])
	}
}

// The fleet's fit is the EM fixed point with the hyperprior worth one
// node: μ of a role is the sum of its started nodes' posterior means over
// their count plus one, τ² is (0.3² + Σ (posterior variance + (mean −
// μ)²)) over the same count, within [0.05², 1.5²]; a node that started
// nothing gets N(μ, τ²). Here n1 and n2 each completed two fixed 10-s
// starts in 5 s and 20 s (log speeds ln 2 and −ln 2, known exactly): μ
// = 0, τ² = (0.09 + 2 ln² 2)/3 = 0.35031.
func TestFleetFitFixedPoint(t *testing.T) {
	c := nodes(t, 1, 3, `
[[service]]
id = "a"
instances = 4
pinned = ["n1", "n1", "n2", "n2"]
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	for k, d := range []float64{5, 5, 20, 20} {
		at := float64(k%2) * 30
		l.Observe(placement.Event{TS: at, Instance: int32(k), Node: int32(k / 2), State: placement.Started})
		l.Observe(placement.Event{TS: at + d, Instance: int32(k), Node: int32(k / 2), State: placement.Up})
	}
	l.speeds(60, nil)
	tau2 := (0.09 + 2*math.Ln2*math.Ln2) / 3
	if math.Abs(l.mu[0]) > 1e-12 || math.Abs(l.tau*l.tau-tau2) > 1e-9 || math.Abs(tau2-0.35031) > 1e-5 {
		t.Errorf("μ %g, τ² %.6f; want 0 and %.6f", l.mu[0], l.tau*l.tau, tau2)
	}
	if l.postM[2] != l.mu[0] || math.Abs(l.postV[2]-tau2) > 1e-9 {
		t.Errorf("n3 started nothing: N(%g, %g); want N(μ, τ²) = N(0, %.6f)", l.postM[2], l.postV[2], tau2)
	}
	// n nodes each with one fixed 10-s start done in d s, all alike:
	// log speed x = ln(10/d), μ = n x/(n+1) (the hyperprior pulls to 0),
	// τ² = (0.09 + n (x − μ)²)/(n + 1), kept within [0.05², 1.5²].
	same := func(n int, d float64) (float64, float64) {
		pins := ""
		for k := 1; k <= n; k++ {
			pins += fmt.Sprintf("%q, ", fmt.Sprintf("n%d", k))
		}
		c := nodes(t, 1, n, fmt.Sprintf(`
[[service]]
id = "a"
instances = %d
pinned = [%s]
start = { dist = "fixed", s = 10 }
`, n, pins))
		l := NewLive(c, nil)
		for k := range n {
			l.Observe(placement.Event{TS: 0, Instance: int32(k), Node: int32(k), State: placement.Started})
			l.Observe(placement.Event{TS: d, Instance: int32(k), Node: int32(k), State: placement.Up})
		}
		l.speeds(d, nil)
		return l.mu[0], l.tau
	}
	for _, tt := range []struct {
		n       int
		d       float64
		mu, tau float64
	}{
		{3, 5, 3 * math.Ln2 / 4, math.Sqrt((0.09 + 3*math.Ln2*math.Ln2/16) / 4)}, // μ 0.51986, τ 0.21220
		{40, 10, 0, 0.05},                  // τ² 0.09/41 = 0.0022: the floor
		{1, 0.01, math.Log(1000) / 2, 1.5}, // τ² (0.09 + (ln 1000)²/4)/2 = 6.01: the ceiling
	} {
		mu, tau := same(tt.n, tt.d)
		if math.Abs(mu-tt.mu) > 1e-12 || math.Abs(tau-tt.tau) > 1e-9 {
			t.Errorf("%d nodes, fixed 10-s starts done in %g s: μ %.6f, τ %.6f; want %.6f and %.6f", tt.n, tt.d, mu, tau, tt.mu, tt.tau)
		}
	}
}

// logErfc is log erfc(z) from its table below 8, within 1.2e-10 of
// math.Log(math.Erfc(z)) over a fine sweep of [−6, 8), and past where erfc
// underflows by its asymptotic series from z = 8 on: against math.Erfc
// where that is still finite, within twice the series' first term left
// out (105/(16 z⁸): 3.8e-7 at z = 8, 2.6e-10 at 20; the last term kept is
// 15/(8 z⁶), 18 times more at 8); and erfcHazard, the table and the series above
// z = 10, against 2/√π·exp(−z²)/erfc(z) within 1e-6 × max(λ, 0.01) (the
// table) and 1e-8 × λ (the series, from 10 to 25; at exactly 10 too), and 0 below −6.
func TestErfcTails(t *testing.T) {
	for _, z := range []float64{8, 9, 10, 12, 15, 20, 25} {
		want := math.Log(math.Erfc(z))
		u := 1 / (2 * z * z)
		tol := 1e-12*math.Abs(want) + 2*105*u*u*u*u // twice the series' first term left out
		if got := logErfc(z); math.Abs(got-want) > tol {
			t.Errorf("logErfc(%g) = %.12g, want %.12g", z, got, want)
		}
	}
	worst, at := 0.0, 0.0
	for z := -6.0; z < 8; z += 0.0003217 {
		if d := math.Abs(logErfc(z) - math.Log(math.Erfc(z))); d > worst {
			worst, at = d, z
		}
	}
	if worst > 1.2e-10 || worst == 0 {
		t.Errorf("logErfc's table is off log erfc by up to %.3g (at %.4f); want at most 1.2e-10 (and not exact: the sweep falls between knots)", worst, at)
	}
	zs := []float64{hazardLo, hazardHi} // exactly at the table's ends
	for z := -7.0; z <= 25; z += 0.0371 {
		zs = append(zs, z)
	}
	for _, z := range zs {
		got := erfcHazard(z)
		want := 2 / math.SqrtPi * math.Exp(-z*z) / math.Erfc(z)
		if z < -6 {
			want = 0
		}
		tol := 1e-6 * max(want, 0.01) // the table's
		if z >= 10 {
			tol = 1e-8 * want // the series'
		}
		if math.Abs(got-want) > tol {
			t.Fatalf("erfcHazard(%.4f) = %.12g, want %.12g", z, got, want)
		}
	}
}

// A fixed-duration start that failed is a soft bound with σ 0.05 (its
// duration is known; the bound is not made exact, so that a node is not
// pinned by a start that never finished): a fixed 10-s start failed after
// 20 s says log speed < −ln 2; under the prior N(0, 0.3²) the posterior
// is a normal cut there softly, mean −0.77606 and variance 0.011115
// (integrated on a grid of 1e-5 by hand, not by the package; the
// package's 24-point quadrature gets −0.775964 and 0.0110486).
func TestFixedStartCensored(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "a"
instances = 1
timeout_s = 20
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 20, Instance: 0, Node: 0, State: placement.Failed})
	l.fits.censored(20)
	m, v := l.fits.posterior(0, 0, 0.3)
	if math.Abs(m+0.77606) > 1e-4 || math.Abs(v-0.011115) > 0.01*0.011115 {
		t.Errorf("a fixed 10-s start failed at 20 s: posterior N(%.5f, %.6f); want N(-0.77606, 0.011115)", m, v)
	}
}

// The fit's checkpoints fall every fitEvery (2,048) events, counted from
// the last: none after 2,047, one at the 2,048th, the next at 4,096.
func TestCheckpointEvery(t *testing.T) {
	c := oneNode(t, 1, `
[[service]]
id = "a"
instances = 3000
start = { dist = "fixed", s = 1 }
`)
	l := NewLive(c, nil)
	at := 0.0
	n := 0
	ev := func() {
		// Starts and ups in turn, one a second.
		l.Observe(placement.Event{TS: at, Instance: int32(n / 2), Node: 0, State: placement.State(1 + n%2)})
		n++
		at++
	}
	for n < 2047 {
		ev()
	}
	l.fits.settle()
	if l.fits.warm.ok {
		t.Fatalf("a checkpoint after %d events; want the first at 2,048", n)
	}
	ev()
	l.fits.settle() // the checkpoint's fit runs in the background
	if !l.fits.warm.ok || l.fits.seen != 0 {
		t.Fatalf("after 2,048 events: checkpoint %v, %d counted since; want one, 0", l.fits.warm.ok, l.fits.seen)
	}
	for n < 4095 {
		ev()
	}
	if l.fits.seen != 2047 {
		t.Fatalf("after 4,095 events: %d counted since the checkpoint; want 2,047", l.fits.seen)
	}
	ev()
	if l.fits.seen != 0 {
		t.Errorf("after 4,096 events: %d counted since the checkpoint; want 0 (a checkpoint)", l.fits.seen)
	}
}

// The posteriors are split over the processors by their censored terms
// (a worker per 2,000): with 9,000 running starts over 60 nodes and 4
// processors, four workers compute every node once, each exactly as
// posterior alone does, whichever worker takes it.
func TestPosteriorsSplit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const nn = 60
	c := nodes(t, 200, nn, `
[[service]]
id = "a"
instances = 9000
timeout_s = 100000
start = { dist = "lognormal", median_s = 10, p90_s = 30 }
`)
	l := NewLive(c, nil)
	for i := range 9000 {
		// Uneven: node n gets a share growing with n.
		n := int32(math.Sqrt(float64(i)/9000) * nn)
		l.Observe(placement.Event{TS: float64(i % 7), Instance: int32(i), Node: n, State: placement.Started})
	}
	f := &l.fits
	f.censored(40)
	if len(f.terms) != 9000 {
		t.Fatalf("setup: %d censored terms, want 9000", len(f.terms))
	}
	f.mu[0], f.tau = -0.2, 0.4
	for d := range f.postM {
		f.postM[d], f.postV[d] = 7, 7 // not a posterior: each must be overwritten
	}
	f.posteriors(false)
	for d := range nn {
		if f.node[d].n == 0 {
			if f.postM[d] != 7 {
				t.Errorf("node %d started nothing: posterior set to %g", d, f.postM[d])
			}
			continue
		}
		keep := f.postM[d]
		f.postM[d] = 7 // the same Newton start as the workers had
		m, v := f.posterior(d, -0.2, 0.4)
		f.postM[d] = keep
		if keep != m || f.postV[d] != v {
			t.Errorf("node %d: split posterior N(%g, %g), alone N(%g, %g)", d, keep, f.postV[d], m, v)
		}
	}
}

// A node with few data (at most 5 completed starts and at most 32
// censored ones) is given its posterior's mean and variance (the
// posterior is skewed: its mode is faster than its mean); with more, the
// mode and curvature. Both sides of both limits, against a grid of the log
// posterior (logPost), prior N(0, 0.5²), ups at 8 s and starts running
// for 28-30 s of a lognormal of median 10 s: 5 ups and 2 running take the
// mean (−0.195899; mode −0.194810), 6 ups the mode (−0.155211; mean
// −0.156072); 32 running the mean (−2.107987; mode −2.083931), 33 the mode
// (−2.097540; mean −2.121717). The package agrees with the grid to 1e-6.
func TestSkewedLimits(t *testing.T) {
	for _, tt := range []struct {
		ups, running int
		mean         bool
	}{{5, 2, true}, {6, 2, false}, {0, 32, true}, {0, 33, false}} {
		c := nodes(t, 100, 1, `
[[service]]
id = "a"
instances = 100
timeout_s = 100000
start = { dist = "lognormal", median_s = 10, p90_s = 30 }
`)
		l := NewLive(c, nil)
		i := int32(0)
		for range tt.ups {
			l.Observe(placement.Event{TS: 0, Instance: i, Node: 0, State: placement.Started})
			l.Observe(placement.Event{TS: 8, Instance: i, Node: 0, State: placement.Up})
			i++
		}
		for k := range tt.running {
			l.Observe(placement.Event{TS: float64(k % 3), Instance: i, Node: 0, State: placement.Started})
			i++
		}
		const now, mu, tau = 30, 0.0, 0.5
		l.fits.censored(now)
		m, _ := l.fits.posterior(0, mu, tau)
		// The log posterior is concave: its mode by ternary search.
		lo, hi := -4.0, 4.0
		for hi-lo > 1e-10 {
			a, b := lo+(hi-lo)/3, hi-(hi-lo)/3
			if logPost(l, 0, now, mu, tau, a) < logPost(l, 0, now, mu, tau, b) {
				lo = a
			} else {
				hi = b
			}
		}
		mode := (lo + hi) / 2
		top := logPost(l, 0, now, mu, tau, mode)
		// Its mean by Simpson's rule over the mode ± 3 (the posterior's
		// sd is below 0.5 here).
		var sw, sx float64
		const steps, h = 6000, 1e-3
		for j := 0; j <= steps; j++ {
			x := mode - 3 + float64(j)*h
			w := math.Exp(logPost(l, 0, now, mu, tau, x) - top)
			switch {
			case j == 0 || j == steps:
			case j%2 == 1:
				w *= 4
			default:
				w *= 2
			}
			sw, sx = sw+w, sx+w*x
		}
		mean := sx / sw
		if math.Abs(mean-mode) < 5e-4 {
			t.Fatalf("%d ups, %d running: mean %.4f and mode %.4f too close to tell apart", tt.ups, tt.running, mean, mode)
		}
		want, what := mode, "mode"
		if tt.mean {
			want, what = mean, "mean"
		}
		if math.Abs(m-want) > 1e-4 {
			t.Errorf("%d ups, %d running: posterior at %.4f; want its %s %.4f (mean %.4f, mode %.4f)", tt.ups, tt.running, m, what, want, mean, mode)
		}
	}
}

// TestPostMomentsManyStarts: the quadrature of a node's posterior is taken
// relative to its mode's density, so a node with thousands of starts does
// not overflow it. With no censored terms the log posterior x·(B − P·x/2)
// is N(B/P, 1/P): P = 8,000 (2,000 starts of σ 0.5), B = 2,400 gives
// N(0.3, 1.25e-4), whose density at the mode is e^360 (e^720 overflows a
// float64).
func TestPostMomentsManyStarts(t *testing.T) {
	for _, c := range []struct{ P, B, m, v float64 }{
		{8000, 2400, 0.3, 1.25e-4},
		{4, 2, 0.5, 0.25},
	} {
		m, v := postMoments(nil, c.P, c.B, c.B/c.P, 1/c.P)
		if !(math.Abs(m-c.m) <= 1e-9) || !(math.Abs(v-c.v) <= 1e-9*c.v) { // NaN fails too
			t.Errorf("P %g, B %g: N(%g, %g), want N(%g, %g)", c.P, c.B, m, v, c.m, c.v)
		}
	}
}

// TestLogErfcBelowSix: logErfc's shortcut below −6 gives exactly what it
// computed there before, log of math.Erfc, down to the most negative
// floats and up to just below −6; at −6 and above it reads its table,
// which at a knot (−6, −5.5, −5: math.Erfc is 2 from about −5.9 down, not
// at −5.5) is exactly log erfc: these catch a shortcut taken too early,
// such as below −5.
func TestLogErfcBelowSix(t *testing.T) {
	zs := []float64{math.Nextafter(-6, math.Inf(-1)), -6.000001, -6.5, -7, -8, -27.9, -28, -30, -1e10, -math.MaxFloat64}
	for _, z := range zs {
		if got, want := logErfc(z), math.Log(math.Erfc(z)); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("logErfc(%g) = %v, log erfc = %v", z, got, want)
		}
	}
	for _, z := range []float64{-6, -5.5, -5, 0, 3, 7.984375} {
		if got, want := logErfc(z), math.Log(math.Erfc(z)); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("logErfc(%g) = %v, log erfc = %v", z, got, want)
		}
	}
}

// TestLogErfcTableEnds: logErfc at the ends of its table and beyond
// them: every float just inside [−6, 8) reads a step of the table (the
// largest below 8 makes z + 6 round up to 14, one step past the last:
// an index out of range before it was clamped), within the table's
// 1.2e-10 of log erfc; NaN and ±Inf give what log erfc gives.
func TestLogErfcTableEnds(t *testing.T) {
	zs := []float64{-6, math.Nextafter(-6, 0), math.Nextafter(8, 0), math.Nextafter(math.Nextafter(8, 0), 0), 8 - 1e-15, 7.99999999999}
	for _, z := range zs {
		got, want := logErfc(z), math.Log(math.Erfc(z))
		if d := math.Abs(got - want); !(d <= 1.2e-10) {
			t.Errorf("logErfc(%v) = %v, log erfc = %v (off by %.3g)", z, got, want, d)
		}
	}
	if got := logErfc(math.NaN()); !math.IsNaN(got) {
		t.Errorf("logErfc(NaN) = %v, want NaN", got)
	}
	if got := logErfc(math.Inf(1)); !math.IsInf(got, -1) {
		t.Errorf("logErfc(+Inf) = %v, want -Inf", got)
	}
	if got := logErfc(math.Inf(-1)); got != logTwo {
		t.Errorf("logErfc(-Inf) = %v, want log 2", got)
	}
	// erfcHazard's table is indexed the same way: NaN gives NaN (it
	// indexed below the table, a panic), the infinities their limits.
	if got := erfcHazard(math.NaN()); !math.IsNaN(got) {
		t.Errorf("erfcHazard(NaN) = %v, want NaN", got)
	}
	if got := erfcHazard(math.Inf(-1)); got != 0 {
		t.Errorf("erfcHazard(-Inf) = %v, want 0", got)
	}
	if got := erfcHazard(math.Nextafter(hazardHi, 0)); !(math.Abs(got-2/math.SqrtPi*math.Exp(-hazardHi*hazardHi)/math.Erfc(hazardHi)) < 1e-5) {
		t.Errorf("erfcHazard just below %g = %v", hazardHi, got)
	}
}

// TestFirstStepReuse: a fit that takes the posteriors of its first EM step
// again for the nodes without running starts and unchanged since (see
// posteriors) gives the same bits as one that computes every posterior:
// the herding incident's first 30,000 events (newAtStream), fitted after
// every 1,000 at three times (the latest event's, and later, as GET eta at
// a new time asks), the checkpoints every 2,048 events between.
func TestFirstStepReuse(t *testing.T) {
	c, p, evs := newAtStream(t)
	evs = evs[:30_000]
	ls := [2]*Live{NewLive(c, p), NewLive(c, p)}
	ls[1].fits.noReuse = true
	fa, fb := &ls[0].fits, &ls[1].fits
	same := func(a, b []float64) bool {
		for k := range a {
			if math.Float64bits(a[k]) != math.Float64bits(b[k]) {
				return false
			}
		}
		return true
	}
	reusable := 0
	for k, e := range evs {
		ls[0].Observe(e)
		ls[1].Observe(e)
		if (k+1)%1000 != 0 {
			continue
		}
		for _, dt := range []float64{0, 0.5, 7} {
			fa.settle() // a checkpoint's fit under way writes the cache read below
			for d := range fa.node {
				if fa.first.gen[d] == fa.gen+1 && fa.first.ver[d] == fa.ver[d] && len(fa.node[d].running) == 0 && fa.node[d].n > 0 {
					reusable++
				}
			}
			now := e.TS + dt
			fa.fit(now)
			fb.fit(now)
			if !same(fa.postM, fb.postM) || !same(fa.postV, fb.postV) || !same(fa.mu, fb.mu) || fa.tau != fb.tau {
				t.Fatalf("after %d events, at %g s: the fits differ", k+1, now)
			}
		}
	}
	if reusable < 500 {
		t.Fatalf("%d posteriors could be taken again, want 500 or more", reusable)
	}
	at := evs[len(evs)-1].TS + 3
	if a, b := ls[0].Estimate(at), ls[1].Estimate(at); !reflect.DeepEqual(a, b) {
		t.Fatalf("the estimates differ:\n%+v\n%+v", a, b)
	}
	t.Logf("%d posteriors taken again", reusable)
}

// A checkpoint's fit made in the background, while the events that follow
// are taken, is the fit made at once: along the herded stream, with a
// checkpoint every 97 events, the estimates every 500 events and the
// checkpoints' fits (μ, τ and every node's starting point) are the same
// bits either way. Run under -race it also checks that the background fit
// reads nothing the events change.
func TestCheckpointInBackground(t *testing.T) {
	c, p, evs := herdingShort(t)
	bg, now := NewLive(c, p), NewLive(c, p)
	bg.fits.every, now.fits.every = 97, 97
	now.fits.atOnce = true
	checked := 0
	for k, e := range evs {
		bg.Observe(e)
		now.Observe(e)
		if (k+1)%500 != 0 && k != len(evs)-1 {
			continue
		}
		ja, jb := snapJSON(t, bg.Estimate(e.TS)), snapJSON(t, now.Estimate(e.TS))
		if ja != jb {
			t.Fatalf("event %d: estimate with the checkpoints in the background\n%s\nat once\n%s", k, ja, jb)
		}
		wa, wb := bg.fits.warm, now.fits.warm
		if !wa.ok || wa.tau != wb.tau || !slices.Equal(wa.mu, wb.mu) || !slices.Equal(wa.postM, wb.postM) || bg.fits.gen != now.fits.gen {
			t.Fatalf("event %d: checkpoint %d τ %v μ %v in the background, %d τ %v μ %v at once", k, bg.fits.gen, wa.tau, wa.mu, now.fits.gen, wb.tau, wb.mu)
		}
		checked++
	}
	if bg.fits.gen < 400 || checked < 80 {
		t.Fatalf("%d checkpoints, %d estimates compared; want many", bg.fits.gen, checked)
	}
}
