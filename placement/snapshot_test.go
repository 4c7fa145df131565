package placement

import "testing"

// TestFirstSnapshotLate: a baseline's first choice takes the first
// snapshot whenever it falls, here in the second refresh period. a (20
// GiB, fixed 1.5 s) is pinned to n1, so nothing is chosen before b (8 GiB)
// is released at 1.5 s; refreshed every second, the snapshot is 1 s's
// (n1 44, n2 48, n3 64 GiB free): the stale policy puts b on n3, up at
// 11.5 s.
func TestFirstSnapshotLate(t *testing.T) {
	c := NewCluster(parseModel(t, "late.toml", `[[rack]]
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
pinned = ["n1"]
start = { dist = "fixed", s = 1.5 }
[[service]]
id = "b"
ram_gib = 8
depends_on = ["a"]
start = { dist = "fixed", s = 10 }
`))
	res, err := Simulate(c, nil, SimOptions{Policy: PolicyStale, Seed: 1, RefreshS: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Placement[0] != 0 || res.Placement[1] != 2 || res.UpS[1] != 11.5 {
		t.Errorf("a on node %d, b on %d up at %g s; want 0, 2 (n3), 11.5 s", res.Placement[0], res.Placement[1], res.UpS[1])
	}
}
