package estimate

import (
	"math"
	"strings"
	"testing"

	"blackstart/placement"
)

// SetKnownSpeeds overrides the fitted speeds in every projection: one
// node starting fixed 10-s starts one at a time has done three at full
// speed by 30 s (fitted speed 1: all ten up at 100 s); told it runs at
// half speed, the fourth (begun at 30 s) is up at 50 s and the six after
// it take 20 s each: 170 s, in every projection (a band of one point).
// nil goes back to the fit.
func TestSetKnownSpeeds(t *testing.T) {
	l := threeUp(tenFixed(t))
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6 }
	check := func(what string, want float64) {
		t.Helper()
		s := l.Estimate(30)
		if !near(s.ETAAllS, want) || !near(s.ETAAllLowS, want) || !near(s.ETAAllHighS, want) {
			t.Errorf("%s: ETA %g s [%g, %g], want %g s [%g, %g]", what, s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS, want, want, want)
		}
	}
	check("fitted speed", 100)
	if err := l.SetKnownSpeeds([]float64{0.5}); err != nil {
		t.Fatal(err)
	}
	check("known half speed", 170)
	if err := l.SetKnownSpeeds(nil); err != nil {
		t.Fatal(err)
	}
	check("back to the fit", 100)
}

// SetKnownSpeeds takes a speed per device, finite and positive: else an
// error naming the device (or the count), and the estimator keeps the
// speeds it knew.
func TestSetKnownSpeedsRefused(t *testing.T) {
	c := nodes(t, 1, 2, "[[service]]\nid = \"app\"\ninstances = 2\nstart = { dist = \"fixed\", s = 10 }\n")
	l := NewLive(c, nil)
	if err := l.SetKnownSpeeds([]float64{0.5, 2}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		speed []float64
		want  string
	}{
		{[]float64{1}, "1 for 2 devices"},
		{[]float64{1, 0}, "device n2: speed 0,"},
		{[]float64{math.NaN(), 1}, "device n1: speed NaN"},
		{[]float64{1, math.Inf(1)}, "device n2: speed +Inf"},
		{[]float64{-1, 1}, "device n1: speed -1"},
	} {
		err := l.SetKnownSpeeds(tt.speed)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SetKnownSpeeds(%v): %v, want an error with %q", tt.speed, err, tt.want)
		}
		if k := l.fits.known; len(k) != 2 || k[0] != 0.5 || k[1] != 2 {
			t.Errorf("SetKnownSpeeds(%v) refused, and the speeds known before are now %v, want [0.5 2]", tt.speed, k)
		}
	}
}

// The speeds_known diagnostic of a calm run of fixed 10-s starts, one at
// a time on one node, knows everything there is to know: its ETA is the
// actual finish, its band that point, at every moment; the throughput
// estimate, still fitting the node's speed before the first start is up
// (at 10 % of the time), has a band around it. Without the option there
// is no diagnostic (NaN).
func TestEvaluateRunSpeedsKnown(t *testing.T) {
	c := oneNode(t, 1, "[[service]]\nid = \"a\"\ninstances = 4\nstart = { dist = \"fixed\", s = 10 }\n")
	p := placement.NewPlan(c)
	for _, known := range []bool{false, true} {
		o, err := EvaluateOptions{Runs: 1, Seed: 1, Replays: 3, Bootstrap: 10, SpeedsKnown: known}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		rr, err := evaluateRun(c, p, o, ScenarioCalm, 1)
		if err != nil {
			t.Fatal(err)
		}
		if rr.actual != 40 || len(rr.moments) == 0 {
			t.Fatalf("actual %g s, %d moments; want 40 s and some", rr.actual, len(rr.moments))
		}
		for _, m := range rr.moments {
			e, lo, hi := m.eta[4], m.lo[4], m.hi[4]
			if !known {
				if !math.IsNaN(e) || !math.IsNaN(lo) || !math.IsNaN(hi) {
					t.Errorf("not asked for: speeds_known at %g s is %g [%g, %g], want NaN", m.now, e, lo, hi)
				}
				continue
			}
			if math.Abs(e-40) > 1e-6 || math.Abs(lo-40) > 1e-6 || math.Abs(hi-40) > 1e-6 {
				t.Errorf("speeds_known at %g s: %g [%g, %g], want 40 [40, 40]", m.now, e, lo, hi)
			}
			if m.now < 10 && !(m.lo[0] < m.hi[0]) {
				t.Errorf("throughput at %g s, nothing up yet: band [%g, %g], want a spread", m.now, m.lo[0], m.hi[0])
			}
		}
	}
}

// Asking for the diagnostic adds its scores and changes no other: the
// four estimators score the same, and the diagnostic scores every point
// of both sets.
func TestEvaluateSpeedsKnownAddsOnly(t *testing.T) {
	c := nodes(t, 2, 3, `
[[service]]
id = "a"
instances = 12
start = { dist = "lognormal", median_s = 10, p90_s = 30 }
`)
	o := EvaluateOptions{Runs: 3, Seed: 5, Replays: 3, Bootstrap: 20}
	plain, err := Evaluate(c, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	o.SpeedsKnown = true
	with, err := Evaluate(c, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if plain.SpeedsKnown || !with.SpeedsKnown {
		t.Errorf("speeds_known %v without the option, %v with; want false and true", plain.SpeedsKnown, with.SpeedsKnown)
	}
	var others []Score
	known := 0
	for _, s := range with.Scores {
		if s.Estimator == EstimatorSpeedsKnown {
			known++
			continue
		}
		others = append(others, s)
	}
	if known != 2*2*len(Progress) {
		t.Errorf("%d speeds_known scores, want %d", known, 2*2*len(Progress))
	}
	if len(others) != len(plain.Scores) {
		t.Fatalf("%d other scores with the diagnostic, %d without", len(others), len(plain.Scores))
	}
	for k := range others {
		a, b := others[k], plain.Scores[k]
		same := func(x, y Interval) bool {
			eq := func(u, v float64) bool { return u == v || math.IsNaN(u) && math.IsNaN(v) }
			return eq(x.Value, y.Value) && eq(x.Low, y.Low) && eq(x.High, y.High)
		}
		if a.Scenario != b.Scenario || a.Estimator != b.Estimator || a.Point != b.Point || a.Progress != b.Progress || a.Samples != b.Samples ||
			!same(a.MedianAbsError, b.MedianAbsError) || !same(a.P90AbsError, b.P90AbsError) || !same(a.MedianSignedError, b.MedianSignedError) || !same(a.Coverage, b.Coverage) {
			t.Errorf("score %d changed by the diagnostic: %+v, without it %+v", k, a, b)
		}
	}
}
