package estimate

import (
	"math"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

func smallDC(t testing.TB) *placement.Cluster {
	t.Helper()
	m, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	return placement.NewCluster(m)
}

// The incident's extrapolation, by hand: small-dc's 32 instances request
// 3×8 + 2×2 + 2×4 + 4 + 8×64 + 6×4 + 4×8 + 6×16 = 704 GiB. With the eight
// 64 GiB databases up (512 GiB, 72.7 %) at t = 600 s, everything is due at
// 600 / 0.727 = 825 s and 90 % at 742.5 s.
func TestRAMBaseline(t *testing.T) {
	c := smallDC(t)
	r := NewRAM(c)
	if _, ok := r.ETA(10, 1); ok {
		t.Errorf("ETA with nothing up")
	}
	for i, in := range c.Instances {
		if c.M.Services[in.Service].Kind != "database" { // started, not up: no RAM yet
			r.Observe(placement.Event{TS: 500, Instance: int32(i), State: placement.Started})
		}
	}
	for i, in := range c.Instances {
		if c.M.Services[in.Service].Kind == "database" {
			e := placement.Event{TS: 600, Instance: int32(i), State: placement.Up}
			r.Observe(e)
			r.Observe(e) // a repeated up counts once
			r.Observe(placement.Event{TS: 600, Instance: int32(i), State: placement.Started})
		}
	}
	if got, want := r.Fraction(), 512.0/704; math.Abs(got-want) > 1e-12 {
		t.Errorf("fraction %g, want %g", got, want)
	}
	// The first instance counts like any other.
	r0 := NewRAM(c)
	r0.Observe(placement.Event{TS: 1, Instance: 0, State: placement.Up})
	if got, want := r0.Fraction(), c.M.Services[c.Instances[0].Service].RAMGiB/704; got != want || want == 0 {
		t.Errorf("instance 0 up: fraction %g, want %g", got, want)
	}
	all, _ := r.ETA(600, 1)
	ninety, _ := r.ETA(600, 0.9)
	if math.Abs(all-825) > 1e-9 || math.Abs(ninety-742.5) > 1e-9 {
		t.Errorf("ETA all %g s, 90 %% %g s; want 825, 742.5", all, ninety)
	}
}

// The planned ETA on small-dc: quantiles ordered, the same for a seed,
// every tier after the one it depends on, and a slower fleet later.
func TestPlanned(t *testing.T) {
	c := smallDC(t)
	p := placement.NewPlan(c)
	o := PlannedOptions{Runs: 30, Seed: 4, SlowSigma: DefaultSlowSigma}
	a, err := Planned(c, p, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Planned(c, p, o)
	if a.AllUpS != b.AllUpS || a.NinetyUpS != b.NinetyUpS {
		t.Errorf("same seed, different ETA: %+v vs %+v", a, b)
	}
	for _, q := range []Quantiles{a.AllUpS, a.NinetyUpS} {
		if !(q.P10 > 0 && q.P10 <= q.P50 && q.P50 <= q.P90) {
			t.Errorf("quantiles not ordered: %+v", q)
		}
	}
	if a.NinetyUpS.P50 > a.AllUpS.P50 {
		t.Errorf("90 %% up (%g s) after all up (%g s)", a.NinetyUpS.P50, a.AllUpS.P50)
	}
	for k := 1; k < len(a.Tiers); k++ {
		if a.Tiers[k].UpS.P50 < a.Tiers[k-1].UpS.P10 {
			t.Errorf("tier %d up at %g s, before tier %d could be (%g s)", a.Tiers[k].Tier, a.Tiers[k].UpS.P50, a.Tiers[k-1].Tier, a.Tiers[k-1].UpS.P10)
		}
	}
	// Runs equal to a direct simulation with nominal speeds.
	one, _ := Planned(c, p, PlannedOptions{Runs: 1, Seed: 9})
	r, _ := placement.Simulate(c, p, placement.SimOptions{Policy: placement.PolicyPlan, Seed: 9, Speed: ones(len(c.M.Devices))})
	if one.AllUpS.P50 != r.MakespanS {
		t.Errorf("one run: all up %g s, simulation %g s", one.AllUpS.P50, r.MakespanS)
	}
	if _, err := Planned(c, p, PlannedOptions{Runs: 0}); err == nil {
		t.Errorf("0 runs accepted")
	}
}

func ones(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}
