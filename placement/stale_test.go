package placement

import "testing"

// TestStaleSnapshot: the stale policy ranks nodes by free RAM as last
// refreshed, at each multiple of the refresh period, ties in the nodes'
// order. n1 and n3 have 64 GiB, n2 48 GiB; a (20 GiB, fixed 10 s) starts
// at 0 s on n1, the first of the most free; b (8 GiB) is released at
// 10 s. Refreshed every 30 s, the snapshot is still 0 s's (64, 48, 64
// GiB): b goes to n1, which still fits it. Refreshed every 5 s, it is
// 10 s's (44, 48, 64 GiB): b goes to n3.
func TestStaleSnapshot(t *testing.T) {
	c := NewCluster(parseModel(t, "stale.toml", `[[rack]]
id = "r"
[[device_model]]
id = "big"
peak_w = 100
ram_gib = 64
cpu_cores = 16
[[device_model]]
id = "small"
peak_w = 100
ram_gib = 48
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
[[device]]
id = "n3"
rack = "r"
model = "big"
feeds = [""]
[[service]]
id = "a"
ram_gib = 20
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
ram_gib = 8
depends_on = ["a"]
start = { dist = "fixed", s = 10 }
`))
	for _, tc := range []struct {
		refreshS float64
		want     int32 // b's node
	}{{30, 0}, {5, 2}} {
		res, err := Simulate(c, nil, SimOptions{Policy: PolicyStale, Seed: 1, RefreshS: tc.refreshS})
		if err != nil {
			t.Fatal(err)
		}
		if res.Placement[0] != 0 || res.Placement[1] != tc.want || res.MakespanS != 20 {
			t.Errorf("refreshed every %g s: a on node %d, b on %d, makespan %g s; want 0, %d, 20 s", tc.refreshS, res.Placement[0], res.Placement[1], res.MakespanS, tc.want)
		}
		// One start at a time on any node: the peak names the first node
		// to reach it, n1.
		if res.PeakConcurrent != 1 || res.PeakNode != "n1" || res.PeakC != DefaultConcurrency {
			t.Errorf("refreshed every %g s: peak %d on %q (c = %d), want 1 on n1 (c = %d)", tc.refreshS, res.PeakConcurrent, res.PeakNode, res.PeakC, DefaultConcurrency)
		}
	}
}
