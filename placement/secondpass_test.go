package placement

import (
	"fmt"
	"testing"
)

// secondPassModel is a site where the first placement's release times are
// wrong and the second placement, on the dry run's, places better. n0
// (role db, one start at a time) holds y (fixed 30 s) and x (exponential,
// mean 10 s, p99 = 10 × ln 100 = 46.1 s); n2 (role app) holds w (fixed
// 40 s); p (depends on x) and q (depends on y) need 6 of the 8 GiB of an
// app node, so n1 and n2 take one each. The first placement books n0 in
// release order by bottom level, y (30 + dQ) before x (10 + dP), so it
// has y up at 30 s and x at 40 s, and places q first: on n1, free at 0,
// and p on n2. The dry run starts x first (dispatch priority: its p99 and
// chain, 46.1 + dP, above y's 30 + dQ): x up at 10 s, y at 40 s; p waits
// on n2 for w until 40 s. The second placement takes x's 10 s and y's
// 40 s: p comes first and takes n1 at 10 s, q takes n2 at 40 s.
func secondPassModel(dP, dQ int) string {
	return fmt.Sprintf(`[[rack]]
id = "r"
[[device_model]]
id = "m"
peak_w = 100
ram_gib = 8
cpu_cores = 16
[[device]]
id = "n0"
rack = "r"
model = "m"
feeds = [""]
role = "db"
start_concurrency = 1
[[device]]
id = "n1"
rack = "r"
model = "m"
feeds = [""]
role = "app"
start_concurrency = 1
[[device]]
id = "n2"
rack = "r"
model = "m"
feeds = [""]
role = "app"
start_concurrency = 1
[[service]]
id = "w"
role = "app"
pinned = ["n2"]
ram_gib = 1
start = { dist = "fixed", s = 40 }
[[service]]
id = "y"
role = "db"
pinned = ["n0"]
ram_gib = 1
start = { dist = "fixed", s = 30 }
[[service]]
id = "x"
role = "db"
pinned = ["n0"]
ram_gib = 1
start = { dist = "exponential", mean_s = 10 }
[[service]]
id = "p"
role = "app"
depends_on = ["x"]
ram_gib = 6
start = { dist = "fixed", s = %d }
[[service]]
id = "q"
role = "app"
depends_on = ["y"]
ram_gib = 6
start = { dist = "fixed", s = %d }
`, dP, dQ)
}

// TestSecondPlacement: NewPlan keeps the second placement when it places
// as many instances and its dry run ends sooner, and the first on a tie.
// With p of 20 s and q of 5 s (secondPassModel) the first placement ends
// when p is up on n2 at 40 + 20 = 60 s; the second when q is up on n2 at
// 40 + 5 = 45 s (p up on n1 at 10 + 20 = 30 s): NewPlan's makespan is
// 45 s, p on n1. With both of 5 s, both placements end at 45 s (p up at
// 45 s on n2 or at 15 s on n1): the first is kept, p on n2.
func TestSecondPlacement(t *testing.T) {
	for _, tc := range []struct {
		dP, dQ        int
		first, want   float64 // the first placement's and NewPlan's makespan, s
		pNode, pStart int     // NewPlan's node for p (index) and its start, s
	}{
		{20, 5, 60, 45, 1, 10},
		{5, 5, 45, 45, 2, 40},
	} {
		c := NewCluster(parseModel(t, "second.toml", secondPassModel(tc.dP, tc.dQ)))
		first := place(c, nil, nil)
		p := NewPlan(c)
		a := p.Assign[c.First(3)] // p
		if first.MakespanS != tc.first || p.MakespanS != tc.want || len(p.Unplaced) != 0 || a.Node != int32(tc.pNode) || a.StartS != float64(tc.pStart) {
			t.Errorf("p %d s, q %d s: got first placement %g s, plan %g s (%d unplaced), p on n%d at %g s; want %g s, %g s (0), n%d at %d s",
				tc.dP, tc.dQ, first.MakespanS, p.MakespanS, len(p.Unplaced), a.Node, a.StartS, tc.first, tc.want, tc.pNode, tc.pStart)
		}
	}
}
