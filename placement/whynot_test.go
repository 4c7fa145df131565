package placement

import "testing"

// TestWhyNot: an instance no node takes is reported with every reason
// and how many nodes it excludes, most first, then by reason, "node" for
// one (each case 20 times: the reasons are counted in a map, whose order
// varies from run to run, so a tie broken wrongly shows). A service of
// 40 GiB and 8 cores: n1 (32 GiB, 16 cores) lacks RAM,
// n2 and n3 (64 GiB, 4 cores) lack CPU; with n3 left out, one node each.
func TestWhyNot(t *testing.T) {
	c := NewCluster(parseModel(t, "whynot.toml", `[[rack]]
id = "r"
[[device_model]]
id = "ram"
peak_w = 100
ram_gib = 32
cpu_cores = 16
[[device_model]]
id = "cpu"
peak_w = 100
ram_gib = 64
cpu_cores = 4
[[device]]
id = "n1"
rack = "r"
model = "ram"
feeds = [""]
[[device]]
id = "n2"
rack = "r"
model = "cpu"
feeds = [""]
[[device]]
id = "n3"
rack = "r"
model = "cpu"
feeds = [""]
[[service]]
id = "big"
ram_gib = 40
cpu_cores = 8
start = { dist = "fixed", s = 10 }
`))
	u := newUsage(c)
	for _, tc := range []struct {
		pool []int32
		want string
	}{
		{[]int32{0, 1, 2}, "no node fits (2 nodes: not enough free CPU; 1 node: not enough free RAM)"},
		{[]int32{0, 1}, "no node fits (1 node: not enough free CPU; 1 node: not enough free RAM)"},
		{[]int32{1, 0}, "no node fits (1 node: not enough free CPU; 1 node: not enough free RAM)"},
	} {
		for range 20 {
			if got := c.whyNot(tc.pool, 0, u); got != tc.want {
				t.Fatalf("pool %v: %q, want %q", tc.pool, got, tc.want)
			}
		}
	}
	if p := NewPlan(c); len(p.Unplaced) != 1 || p.Unplaced[0].Reason != "no node fits (2 nodes: not enough free CPU; 1 node: not enough free RAM)" {
		t.Errorf("plan: unplaced %+v", p.Unplaced)
	}
}
