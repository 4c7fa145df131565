package placement

import (
	"testing"

	"blackstart/topology"
)

// TestExceedsDegenerate: Exceeds on distributions of no spread, by hand:
// a uniform start of 10–10 s and a lognormal of median 20 s with its p90
// at the median (σ = 0) last exactly that long, so they exceed a shorter
// time with probability 1 and their own length or more with 0; an
// exponential start of mean 0 s exceeds nothing, 0 s included.
func TestExceedsDegenerate(t *testing.T) {
	for _, c := range []struct {
		d    topology.Dist
		t    float64
		want float64
	}{
		{topology.Dist{Kind: "uniform", MinS: 10, MaxS: 10}, 5, 1},
		{topology.Dist{Kind: "uniform", MinS: 10, MaxS: 10}, 10, 0},
		{topology.Dist{Kind: "uniform", MinS: 10, MaxS: 10}, 15, 0},
		{topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 20}, 10, 1},
		{topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 20}, 20, 0},
		{topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 20}, 30, 0},
		{topology.Dist{Kind: "exponential", MeanS: 0}, 0, 0},
		{topology.Dist{Kind: "exponential", MeanS: 0}, 5, 0},
	} {
		if got := Exceeds(c.d, c.t); got != c.want {
			t.Errorf("Exceeds(%+v, %g s) = %g, want %g", c.d, c.t, got, c.want)
		}
	}
}

// TestTimeoutRiskEdges: a service without a timeout is judged against
// the default 300 s (a fixed 10 s start: no risk, though it exceeds 0 s);
// a risk of exactly one in ten thousand is kept (uniform 1–10,001 s
// against a 10,000 s timeout: 1 / 10,000); equal risks keep the services'
// order.
func TestTimeoutRiskEdges(t *testing.T) {
	m := parseModel(t, "risk.toml", `[[rack]]
id = "r"
[[device_model]]
id = "srv"
peak_w = 100
[[device]]
id = "n1"
rack = "r"
model = "srv"
feeds = [""]
[[service]]
id = "quick"
start = { dist = "fixed", s = 10 }
[[service]]
id = "edge"
instances = 2
timeout_s = 10000
start = { dist = "uniform", min_s = 1, max_s = 10001 }
[[service]]
id = "twin"
timeout_s = 10000
start = { dist = "uniform", min_s = 1, max_s = 10001 }
`)
	risks := timeoutRisks(m)
	if len(risks) != 2 {
		t.Fatalf("risks %+v, want edge and twin", risks)
	}
	for k, want := range []TimeoutRisk{{Service: 1, TimeoutS: 10000, P: 1e-4, Expected: 2e-4}, {Service: 2, TimeoutS: 10000, P: 1e-4, Expected: 1e-4}} {
		if risks[k] != want {
			t.Errorf("risk %d: %+v, want %+v", k, risks[k], want)
		}
	}
}
