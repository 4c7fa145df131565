package placement

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"blackstart/topology"
)

func TestExceeds(t *testing.T) {
	cases := []struct {
		name string
		d    topology.Dist
		t    float64
		want float64
	}{
		{"lognormal at its p90", topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 60}, 60, 0.10},
		{"lognormal at its median", topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 60}, 20, 0.5},
		{"exponential at its mean", topology.Dist{Kind: "exponential", MeanS: 40}, 40, math.Exp(-1)},
		{"uniform three quarters in", topology.Dist{Kind: "uniform", MinS: 20, MaxS: 60}, 50, 0.25},
		{"uniform above", topology.Dist{Kind: "uniform", MinS: 20, MaxS: 60}, 90, 0},
		{"fixed longer", topology.Dist{Kind: "fixed", S: 10}, 5, 1},
		{"fixed equal", topology.Dist{Kind: "fixed", S: 10}, 10, 0},
	}
	for _, c := range cases {
		if got := Exceeds(c.d, c.t); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: got %.12f, want %.12f", c.name, got, c.want)
		}
	}
	// Against the sampler the simulator uses.
	r := rand.New(rand.NewPCG(7, 7))
	for _, c := range cases {
		const n = 200000
		over := 0
		for range n {
			if Sample(c.d, r) > c.t {
				over++
			}
		}
		if got := float64(over) / n; math.Abs(got-c.want) > 0.005 {
			t.Errorf("%s: %.4f of %d samples exceed %g s, Exceeds says %.4f", c.name, got, n, c.t, c.want)
		}
	}
}

// With fixed timeouts (databases 900 s, internal services and etcd 600 s,
// apps 300 s), the platform's databases (lognormal, p90 up to 3× the
// median) and slowest internal services (p90 3× a 90 s median) can outlast
// their timeout on an idle node; its apps (p90 at most 2× a 40 s median)
// cannot, in any measurable share. The generator now sets each timeout at
// least at the start's p99.99, so none is at risk and a whole restart
// expects well under one timeout no placement could avoid.
func TestTimeoutRisk(t *testing.T) {
	m, _, p := platform2019(t)
	inherent := 0.0
	for s := range m.Services {
		sv := &m.Services[s]
		inherent += Exceeds(sv.Start, sv.TimeoutS) * float64(sv.Instances)
	}
	if len(p.TimeoutRisk) != 0 || inherent > 0.5 {
		t.Errorf("generated timeouts: %d services at risk, %.3f inherent timeouts expected; want 0 and < 0.5", len(p.TimeoutRisk), inherent)
	}
	t.Logf("generated timeouts: %.3f inherent timeouts expected per restart", inherent)

	fixed := map[string]float64{"etcd": 600, "service": 600, "database": 900, "app": 300}
	own := *m // the shared model stays as loaded
	own.Services = slices.Clone(m.Services)
	m = &own
	for s := range m.Services {
		m.Services[s].TimeoutS = fixed[m.Services[s].Kind]
	}
	risks := timeoutRisks(m)
	if len(risks) == 0 {
		t.Fatal("fixed timeouts: no timeout risk found on the platform")
	}
	sum := 0.0
	kinds := map[string]int{}
	for k, r := range risks {
		sv := &m.Services[r.Service]
		kinds[sv.Kind]++
		if sv.Kind == "app" || sv.Kind == "etcd" {
			t.Errorf("%s (%s) listed at risk: P = %g", sv.ID, sv.Kind, r.P)
		}
		if k > 0 && r.P > risks[k-1].P {
			t.Errorf("risks not sorted worst first at %d", k)
		}
		if want := Exceeds(sv.Start, sv.TimeoutS); r.P != want || r.Expected != want*float64(sv.Instances) {
			t.Errorf("%s: P %g, expected %g; want %g, %g", sv.ID, r.P, r.Expected, want, want*float64(sv.Instances))
		}
		sum += r.Expected
	}
	if kinds["database"] == 0 || kinds["service"] == 0 {
		t.Errorf("fixed timeouts: kinds at risk %v; want databases and internal services", kinds)
	}
	if sum < 1 || sum > 20 {
		t.Errorf("fixed timeouts: expected %.2f inherent timeouts over the databases; want a few", sum)
	}
	t.Logf("fixed timeouts: %d services at risk, %.2f inherent timeouts expected per restart", len(risks), sum)
}
