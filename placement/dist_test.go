package placement

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"blackstart/topology"
)

// TestDistQuantileMean pins each start distribution's quantile, mean and
// draw by hand: uniform 10–20 s has its quarter point at 12.5 s and mean
// 15 s; lognormal of median 10 s and 90th percentile 20 s has σ = ln 2 /
// 1.28155 = 0.540866, its 90th percentile 20 s, median 10 s and mean
// 10·e^(σ²/2) = 11.57506 s, and a draw is the median times e^(σ·N) for
// the generator's normal N; one of median 0 (or of 90th percentile equal
// to the median) has σ 0: mean 0 (10 s); exponential of mean 10 s has
// its median at 10·ln 2 = 6.931472 s; fixed 7 s is 7 s.
func TestDistQuantileMean(t *testing.T) {
	uni := topology.Dist{Kind: "uniform", MinS: 10, MaxS: 20}
	logn := topology.Dist{Kind: "lognormal", MedianS: 10, P90S: 20}
	exp := topology.Dist{Kind: "exponential", MeanS: 10}
	fixed := topology.Dist{Kind: "fixed", S: 7}
	near := func(what string, got, want float64) {
		t.Helper()
		if !(math.Abs(got-want) <= 1e-5*math.Max(1, math.Abs(want))) {
			t.Errorf("%s = %.7g, want %.7g", what, got, want)
		}
	}
	near("uniform quantile 0.25", Quantile(uni, 0.25), 12.5)
	near("uniform mean", Mean(uni), 15)
	near("lognormal quantile 0.9", Quantile(logn, 0.9), 20)
	near("lognormal quantile 0.5", Quantile(logn, 0.5), 10)
	near("lognormal mean", Mean(logn), 11.57506)
	near("lognormal of median 0, mean", Mean(topology.Dist{Kind: "lognormal", P90S: 5}), 0)
	near("lognormal of p90 = median, mean", Mean(topology.Dist{Kind: "lognormal", MedianS: 10, P90S: 10}), 10)
	near("exponential quantile 0.5", Quantile(exp, 0.5), 6.931472)
	near("exponential mean", Mean(exp), 10)
	near("fixed quantile", Quantile(fixed, 0.3), 7)
	r1, r2 := rand.New(rand.NewPCG(7, 8)), rand.New(rand.NewPCG(7, 8))
	for range 5 {
		near("lognormal draw", Sample(logn, r1), 10*math.Exp(0.5408656*r2.NormFloat64()))
	}
}

// TestIdleDrawDefault: a device model that gives no idle draw idles at
// half its peak: peak_w 100 W, idle 50 W (and a node draws its idle power
// before anything runs on it).
func TestIdleDrawDefault(t *testing.T) {
	c := boundModel(t, []string{"n1"}, []int{0}, `
[[service]]
id = "a"
instances = 1
start = { dist = "fixed", s = 1 }
`)
	if nd := c.nodes[0]; nd.peakW != 100 || nd.idleW != 50 {
		t.Errorf("peak %g W, idle %g W; want 100 W, 50 W", nd.peakW, nd.idleW)
	}
	if u := newUsage(c); u.drawW[0] != 50 {
		t.Errorf("an idle node draws %g W, want 50 W", u.drawW[0])
	}
}

// TestNoCoresNoExtraDraw: a node whose model gives no CPU cores draws its
// idle power whatever runs on it (no share of cores to scale the draw by):
// peak 100 W, idle 50 W, 50 W with an instance placed.
func TestNoCoresNoExtraDraw(t *testing.T) {
	m := parseModel(t, "nocores.toml", `[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "srv"
peak_w = 100
ram_gib = 64
[[device]]
id = "n1"
rack = "r"
model = "srv"
feeds = ["c"]
[[service]]
id = "a"
instances = 1
start = { dist = "fixed", s = 1 }
`)
	c := NewCluster(m)
	u := newUsage(c)
	u.add(0, 0)
	if u.drawW[0] != 50 {
		t.Errorf("with an instance on a node of no cores: %g W, want 50 W", u.drawW[0])
	}
}

// TestPickGPUs: a share of one GPU goes to the fullest GPU that still has
// it (free 1000, 300, 600 milli-GPUs: 250 goes to the 300), an exact fit
// included (250 of 250 free), the first of equals (300, 300: the first);
// whole GPUs take entirely free ones (2 of 1000, 999, 1000: the first and
// third), nil when too few.
func TestPickGPUs(t *testing.T) {
	for _, c := range []struct {
		free  []int32
		count int
		milli int32
		want  []int
	}{
		{[]int32{1000, 300, 600}, 1, 250, []int{1}},
		{[]int32{1000, 250}, 1, 250, []int{1}},
		{[]int32{300, 300}, 1, 250, []int{0}},
		{[]int32{200, 100}, 1, 250, nil},
		{[]int32{1000, 999, 1000}, 2, 1000, []int{0, 2}},
		{[]int32{1000, 999}, 2, 1000, nil},
	} {
		if got := pickGPUs(c.free, c.count, c.milli); !slices.Equal(got, c.want) {
			t.Errorf("pickGPUs(%v, %d, %d) = %v, want %v", c.free, c.count, c.milli, got, c.want)
		}
	}
}
