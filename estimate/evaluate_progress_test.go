package estimate

import (
	"encoding/json"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// TestEvaluateProgress: the progress callback counts every run of both
// scenario sets once, in order, up to 2 × Runs, and does not change the
// evaluation; the bounds on runs and replays are refused.
func TestEvaluateProgress(t *testing.T) {
	m, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	p := placement.NewPlan(c)
	var calls [][2]int
	o := EvaluateOptions{Runs: 3, Seed: 2, Bootstrap: 20, Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }}
	e1, err := Evaluate(c, p, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 6 {
		t.Fatalf("progress called %d times, want 6: %v", len(calls), calls)
	}
	for k, cl := range calls {
		if cl != [2]int{k + 1, 6} {
			t.Errorf("call %d: %v, want [%d 6]", k, cl, k+1)
		}
	}
	o.Progress = nil
	e2, err := Evaluate(c, p, o)
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(e1) // NaN fields: compare what is written
	j2, _ := json.Marshal(e2)
	if len(j1) == 0 || string(j1) != string(j2) {
		t.Errorf("the progress callback changed the evaluation")
	}
	if _, err := Evaluate(c, p, EvaluateOptions{Runs: MaxRuns + 1}); err == nil {
		t.Errorf("runs past MaxRuns accepted")
	}
	if _, err := Evaluate(c, p, EvaluateOptions{Runs: 1, Replays: MaxReplays + 1}); err == nil {
		t.Errorf("replays past MaxReplays accepted")
	}
}
