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

// TestEvaluateOptionsBounds: each count's bound is accepted and one past
// it refused with its message (checked on the options, before any run:
// 10,000 runs would take minutes); 0 replays and resamples take the
// defaults (Samples and 1,000), an empty policy "plan".
func TestEvaluateOptionsBounds(t *testing.T) {
	o, err := EvaluateOptions{Runs: MaxRuns, Replays: MaxReplays, Bootstrap: MaxBootstrap}.withDefaults()
	if err != nil || o.Runs != 10_000 || o.Replays != 10_000 || o.Bootstrap != 100_000 || o.Policy != placement.PolicyPlan {
		t.Errorf("at the bounds (10,000 runs, 10,000 replays, 100,000 resamples): got %+v, %v; want them kept, policy plan", o, err)
	}
	if o, err := (EvaluateOptions{Runs: 1}).withDefaults(); err != nil || o.Replays != Samples || o.Bootstrap != 1000 {
		t.Errorf("defaults: got %d replays, %d resamples, %v; want %d and 1000", o.Replays, o.Bootstrap, err, Samples)
	}
	for _, c := range []struct {
		o    EvaluateOptions
		want string
	}{
		{EvaluateOptions{Runs: 0}, "runs must be 1 to 10000, got 0"},
		{EvaluateOptions{Runs: MaxRuns + 1}, "runs must be 1 to 10000, got 10001"},
		{EvaluateOptions{Runs: 1, Replays: MaxReplays + 1}, "replays must be 1 to 10000, got 10001"},
		{EvaluateOptions{Runs: 1, Bootstrap: MaxBootstrap + 1}, "bootstrap resamples must be at most 100000, got 100001"},
	} {
		if _, err := c.o.withDefaults(); err == nil || err.Error() != c.want {
			t.Errorf("%+v: got %v, want %q", c.o, err, c.want)
		}
	}
}

// TestEvaluateUsesTheGivenPlan: Evaluate simulates the plan it is given
// (here NewPlan's with the two nodes' instances swapped: the seeded
// perturbations slow other instances), and NewPlan's when given none.
func TestEvaluateUsesTheGivenPlan(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "long"
instances = 4
start = { dist = "lognormal", median_s = 100, p90_s = 150 }
[[service]]
id = "short"
instances = 4
start = { dist = "lognormal", median_s = 5, p90_s = 8 }
`)
	p := placement.NewPlan(c)
	q := placement.NewPlan(c) // the two nodes' instances swapped
	for i := range q.Assign {
		q.Assign[i].Node = 1 - q.Assign[i].Node
	}
	q.Order[0], q.Order[1] = q.Order[1], q.Order[0]
	o := EvaluateOptions{Runs: 2, Seed: 1, Replays: 20, Bootstrap: 10}
	js := func(p *placement.Plan) string {
		t.Helper()
		ev, err := Evaluate(c, p, o)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(ev)
		return string(b)
	}
	ep, eq, en := js(p), js(q), js(nil)
	if ep == eq {
		t.Errorf("the plan with its nodes swapped evaluates as NewPlan's: the given plan is not the one simulated")
	}
	if en != ep {
		t.Errorf("no plan: the evaluation differs from NewPlan's")
	}
}

// TestEvaluateRunSeeds: run k of an evaluation simulates seed Seed + k:
// Evaluate's scores with Seed 5 and two runs are those rebuilt from the
// runs of seeds 5 and 6, for both scenario sets, and not those of seeds 5
// and 4.
func TestEvaluateRunSeeds(t *testing.T) {
	c := nodes(t, 1, 2, `
[[service]]
id = "long"
instances = 4
start = { dist = "lognormal", median_s = 100, p90_s = 150 }
[[service]]
id = "short"
instances = 4
start = { dist = "lognormal", median_s = 5, p90_s = 8 }
`)
	p := placement.NewPlan(c)
	o, err := EvaluateOptions{Runs: 2, Seed: 5, Replays: 20, Bootstrap: 10}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(c, p, o)
	if err != nil {
		t.Fatal(err)
	}
	rebuild := func(seeds ...uint64) string {
		t.Helper()
		var scores []Score
		for _, scen := range []string{ScenarioPerturbed, ScenarioCalm} {
			var runs []runResult
			for _, s := range seeds {
				r, err := evaluateRun(c, p, o, scen, s)
				if err != nil {
					t.Fatal(err)
				}
				runs = append(runs, r)
			}
			climatology(runs)
			scores = append(scores, score(scen, runs, o)...)
		}
		b, _ := json.Marshal(scores)
		return string(b)
	}
	got, _ := json.Marshal(ev.Scores)
	if string(got) != rebuild(5, 6) {
		t.Error("Evaluate's scores are not those of the runs of seeds 5 and 6")
	}
	if rebuild(5, 6) == rebuild(5, 4) {
		t.Error("seeds 5, 6 and 5, 4 score alike: the test cannot tell them apart")
	}
}
