package placement

import "testing"

// TestUpAtHorizon: the simulator handles every event due by its horizon,
// one exactly at it included. A fixed 10 s start is up at 10 s with a
// horizon of 10 s; with 9.99 s it is never up.
func TestUpAtHorizon(t *testing.T) {
	c := boundModel(t, []string{"n1"}, []int{1}, "[[service]]\nid = \"a\"\nstart = { dist = \"fixed\", s = 10 }\n")
	for _, tc := range []struct {
		horizonS, upS float64
		neverUp       int
	}{{10, 10, 0}, {9.99, -1, 1}} {
		res, err := Simulate(c, nil, SimOptions{Policy: PolicyPlan, Seed: 1, HorizonS: tc.horizonS})
		if err != nil {
			t.Fatal(err)
		}
		if res.UpS[0] != tc.upS || res.NeverUp != tc.neverUp {
			t.Errorf("horizon %g s: up at %g s, %d never up; want %g s, %d", tc.horizonS, res.UpS[0], res.NeverUp, tc.upS, tc.neverUp)
		}
	}
}

// TestReplayAtAnUp: a replay at time t continues from everything due by
// t, a start ending exactly at t included: it is up, not redrawn. In
// replayHandModel at full speed a is up at 10 s and b (uniform 10–30 s)
// at 10 s + its draw; replayed at that instant, every continuation ends
// then.
func TestReplayAtAnUp(t *testing.T) {
	c := NewCluster(parseModel(t, "replay.toml", replayHandModel))
	o := SimOptions{Policy: PolicyPlan, Seed: 1}
	res, err := Simulate(c, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	end := res.UpS[1]
	if res.UpS[0] != 10 || end <= 20 || end >= 40 || res.MakespanS != end {
		t.Fatalf("a up at %g s, b at %g s (makespan %g s); want 10 s, 20–40 s, b last", res.UpS[0], end, res.MakespanS)
	}
	out, err := Replay(c, nil, o, []float64{end}, 8, 7)
	if err != nil {
		t.Fatal(err)
	}
	for j, ms := range out[0] {
		if ms != end {
			t.Errorf("continuation %d from %g s: makespan %g s, want %g s", j, end, ms, end)
		}
	}
}
