package estimate

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// TestPerturbStallsOneRunInFour pins the stall rule of the evaluation's
// perturbations: in one run out of four, one role's nodes start at a fifth
// of their speed. On 30 nodes of each of the roles a, b and c, a stalled
// role's mean log speed is about ln 0.2 = −1.6 (else about −0.07, the
// tenth of nodes at half speed; its spread over 30 nodes is about 0.1), so
// the test counts, over 400 seeds, the runs with a role whose mean is below
// −0.8: about 100 (1 in 4; 3 in 4 would be 300), never two roles at once;
// in the other runs the mean log speed shows a tenth of the nodes at half
// speed; and one node in fifty dies, in the first half of the run.
func TestPerturbStallsOneRunInFour(t *testing.T) {
	var b strings.Builder
	b.WriteString("[[source]]\nid = \"u\"\nvoltage_v = 230\n[[circuit]]\nid = \"c\"\ninput = \"u\"\n[[rack]]\nid = \"r\"\n[[device_model]]\nid = \"m\"\ntypical_w = 10\nram_gib = 64\ncpu_cores = 64\n")
	for k := range 90 {
		fmt.Fprintf(&b, "[[device]]\nid = \"n%d\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"c\"]\nrole = %q\n", k, []string{"a", "b", "c"}[k%3])
	}
	m, err := topology.Parse(topology.File{Name: "roles.toml", Data: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	stalled, free, freeMean, dying := 0, 0, 0.0, 0
	for seed := range uint64(400) {
		pt := perturb(c, seed)
		var sum [3]float64
		for n, s := range pt.speed {
			sum[n%3] += math.Log(s) / 30
		}
		for _, d := range pt.dieAt {
			switch {
			case d >= 0 && d < 0.5:
				dying++
			case d != -1:
				t.Fatalf("seed %d: a node dies at %g of the run, want -1 (never) or [0, 0.5)", seed, d)
			}
		}
		roles := 0
		for _, v := range sum {
			if v < -0.8 {
				roles++
			}
		}
		switch {
		case roles > 1:
			t.Fatalf("seed %d: %d roles stalled (mean log speeds %.2f), want at most one", seed, roles, sum)
		case roles == 1:
			stalled++
		default:
			free++
			freeMean += (sum[0] + sum[1] + sum[2]) / 3
		}
	}
	// One node in fifty dies: 720 of 36,000.
	if dying < 600 || dying > 840 {
		t.Errorf("got %d of 36000 nodes dying, want about 720 (one in fifty)", dying)
	}
	// A tenth of the nodes at half speed: mean log speed 0.1 × ln 0.5 =
	// −0.069 in the runs without a stall (nine tenths would give −0.62).
	if freeMean /= float64(free); freeMean < -0.12 || freeMean > -0.02 {
		t.Errorf("mean log speed of the runs without a stall: got %.3f, want about −0.069 (a tenth of the nodes at half speed)", freeMean)
	}
	if stalled < 70 || stalled > 130 {
		t.Errorf("got %d of 400 runs with a stalled role, want about 100 (one in four)", stalled)
	}
	t.Logf("%d of 400 runs stall a role; the others' mean log speed %.3f; %d of 36000 nodes die", stalled, freeMean, dying)
}

// TestDiesAt: a node's death moment is its share of the run's duration,
// at least 1 ms; -1 is never.
func TestDiesAt(t *testing.T) {
	got := perturbation{dieAt: []float64{-1, 0.25, 0, 0.49}}.diesAt(100)
	want := []float64{0, 25, 1e-3, 49}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("diesAt(100 s)[%d] = %g s, want %g s", i, got[i], want[i])
		}
	}
}

// TestEvaluateRunsBounds: 1 to MaxRuns runs; no Replays, no Bootstrap is
// the default.
func TestEvaluateRunsBounds(t *testing.T) {
	c := twoNodes(t)
	p := placement.NewPlan(c)
	for _, runs := range []int{0, MaxRuns + 1} {
		if _, err := Evaluate(c, p, EvaluateOptions{Runs: runs, Seed: 1}); err == nil || !strings.Contains(err.Error(), "runs must be 1 to 10000") {
			t.Errorf("%d runs: got %v, want the runs bound", runs, err)
		}
	}
	if ev, err := Evaluate(c, p, EvaluateOptions{Runs: 1, Seed: 1}); err != nil || ev == nil {
		t.Errorf("1 run: got %v, want an evaluation", err)
	}
	e0, err0 := Evaluate(c, p, EvaluateOptions{Runs: 2, Seed: 3})
	eD, errD := Evaluate(c, p, EvaluateOptions{Runs: 2, Seed: 3, Replays: DefaultReplays})
	j0, _ := json.Marshal(e0)
	jD, _ := json.Marshal(eD)
	if err0 != nil || errD != nil || string(j0) != string(jD) {
		t.Errorf("Replays 0 and %d differ: %v, %v", DefaultReplays, err0, errD)
	}
	eB, errB := Evaluate(c, p, EvaluateOptions{Runs: 2, Seed: 3, Bootstrap: DefaultBootstrap})
	jB, _ := json.Marshal(eB)
	if errB != nil || string(j0) != string(jB) {
		t.Errorf("Bootstrap 0 and %d differ: %v", DefaultBootstrap, errB)
	}
}
