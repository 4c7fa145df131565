package placement

import (
	"testing"

	"blackstart/topology"
)

// A replay continues the run from its true state: after the recovery
// ended, every continuation is the recovery itself; before, the
// continuations differ from one another (fresh start durations) and never
// end before an instance already up.
func TestReplay(t *testing.T) {
	m, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCluster(m)
	p := NewPlan(c)
	o := SimOptions{Policy: PolicyPlan, Seed: 3}
	res, err := Simulate(c, p, o)
	if err != nil {
		t.Fatal(err)
	}
	at := []float64{0.25 * res.MakespanS, 0.5 * res.MakespanS, res.MakespanS + 1}
	fins, err := Replay(c, p, o, at, 9, 77)
	if err != nil {
		t.Fatal(err)
	}
	for k, fs := range fins {
		upBefore := 0.0
		for _, u := range res.UpS {
			if u >= 0 && u <= at[k] {
				upBefore = max(upBefore, u)
			}
		}
		distinct := map[float64]bool{}
		for _, f := range fs {
			distinct[f] = true
			if f < upBefore {
				t.Errorf("replay at %.0f s ends at %.1f s, before an instance already up at %.1f s", at[k], f, upBefore)
			}
		}
		if at[k] > res.MakespanS {
			if len(distinct) != 1 || !distinct[res.MakespanS] {
				t.Errorf("replay after the end (%.0f s): finishes %v, want all %.3f s", at[k], fs, res.MakespanS)
			}
		} else if len(distinct) < 2 {
			t.Errorf("replay at %.0f s: all 9 continuations end at %v; want fresh draws to differ", at[k], fs)
		}
	}
	// Deterministic: the same seed, the same continuations.
	again, _ := Replay(c, p, o, at, 9, 77)
	for k := range fins {
		for j := range fins[k] {
			if fins[k][j] != again[k][j] {
				t.Fatalf("replay %d/%d: %g then %g with the same seed", k, j, fins[k][j], again[k][j])
			}
		}
	}
	if _, err := Replay(c, p, o, []float64{2, 1}, 1, 1); err == nil {
		t.Error("replay times out of order: no error")
	}
}
