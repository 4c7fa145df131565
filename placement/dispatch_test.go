package placement

import (
	"slices"
	"testing"
)

// TestDispatchRate: a baseline's dispatcher takes one start every
// 1 / DispatchPerS seconds, those made ready after it ran dry too. On one
// node of c = 4: a, three instances of a fixed 1 s start, ready at 0 s,
// then b, two of 10 s, released once all three are up (ready_quorum 3).
// At 0.5 starts/s a is dispatched at 0, 2 and 4 s (up at 1, 3 and 5 s),
// b at 6 and 8 s (the next tick after 4 s, then 2 s later: up at 16 and
// 18 s); without a limit a is up at 1 s and b at 11 s.
func TestDispatchRate(t *testing.T) {
	c := NewCluster(parseModel(t, "dispatch.toml", `[[rack]]
id = "r"
[[device_model]]
id = "srv"
peak_w = 100
ram_gib = 64
cpu_cores = 16
[[device]]
id = "n1"
rack = "r"
model = "srv"
feeds = [""]
[[service]]
id = "a"
instances = 3
ready_quorum = 3
start = { dist = "fixed", s = 1 }
[[service]]
id = "b"
instances = 2
depends_on = ["a"]
start = { dist = "fixed", s = 10 }
`))
	for _, tc := range []struct {
		rate float64
		want []float64
	}{
		{0.5, []float64{1, 3, 5, 16, 18}},
		{0, []float64{1, 1, 1, 11, 11}},
	} {
		for _, pol := range []string{PolicyStale, PolicyRandom, PolicyP2C} {
			res, err := Simulate(c, nil, SimOptions{Policy: pol, Seed: 1, DispatchPerS: tc.rate})
			if err != nil {
				t.Fatal(err)
			}
			up := slices.Clone(res.UpS)
			slices.Sort(up[:3])
			slices.Sort(up[3:])
			if !slices.Equal(up, tc.want) || res.MakespanS != tc.want[4] {
				t.Errorf("%s at %g starts/s: up at %v s (makespan %g s), want %v s", pol, tc.rate, up, res.MakespanS, tc.want)
			}
		}
	}
}
