package placement

import "testing"

// TestP2CPicksBetter: "p2c" draws two nodes that fit and takes the one
// with more free RAM in the snapshot. n1 has 64 GiB, n2 32 GiB: one
// instance lands on n2 only when both draws are n2, a quarter of the
// time: over 400 seeds, n1 takes 300 ± 9 (binomial), "random" 200 ± 10.
func TestP2CPicksBetter(t *testing.T) {
	c := NewCluster(parseModel(t, "p2c.toml", `[[rack]]
id = "r"
[[device_model]]
id = "big"
peak_w = 100
ram_gib = 64
cpu_cores = 16
[[device_model]]
id = "small"
peak_w = 100
ram_gib = 32
cpu_cores = 16
[[device]]
id = "n1"
rack = "r"
model = "big"
feeds = [""]
[[device]]
id = "n2"
rack = "r"
model = "small"
feeds = [""]
[[service]]
id = "a"
ram_gib = 8
start = { dist = "fixed", s = 10 }
`))
	for _, tc := range []struct {
		policy   string
		min, max int
	}{{PolicyP2C, 260, 340}, {PolicyRandom, 160, 240}} {
		onN1 := 0
		for seed := uint64(1); seed <= 400; seed++ {
			res, err := Simulate(c, nil, SimOptions{Policy: tc.policy, Seed: seed, NoBound: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Placement[0] == 0 {
				onN1++
			}
		}
		if onN1 < tc.min || onN1 > tc.max {
			t.Errorf("%s: n1 took %d of 400, want %d–%d", tc.policy, onN1, tc.min, tc.max)
		}
	}
}
