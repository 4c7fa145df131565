package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRankHeapOrder: a node's heap of released instances pops, under
// random pushes and pops, exactly the lowest rank it holds each time, as
// a sorted list does (ranks are distinct: a permutation).
func TestRankHeapOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for round := range 200 {
		n := 1 + r.IntN(40)
		h := &rankHeap{rank: make([]int32, n)}
		for i, k := range r.Perm(n) {
			h.rank[i] = int32(k)
		}
		var ref []int32 // held instances
		next := int32(0)
		for step := 0; next < int32(n) || len(ref) > 0; step++ {
			if next < int32(n) && (len(ref) == 0 || r.IntN(3) > 0) {
				h.push(next)
				ref = append(ref, next)
				next++
				continue
			}
			slices.SortFunc(ref, func(a, b int32) int { return int(h.rank[a] - h.rank[b]) })
			if got := h.pop(); got != ref[0] {
				t.Fatalf("round %d, step %d: popped instance %d (rank %d), want %d (rank %d)", round, step, got, h.rank[got], ref[0], h.rank[ref[0]])
			}
			ref = ref[1:]
		}
	}
}

// TestDryRunByRank: one node, one start at a time, six services of fixed
// 10, 20, …, 60 s released together: the dry run starts them longest
// first (dispatch priority), so 60 s runs 0–60 s, 50 s 60–110 s, 40 s
// 110–150 s, 30 s 150–180 s, 20 s 180–200 s and 10 s 200–210 s, whatever
// the order the services are given in.
func TestDryRunByRank(t *testing.T) {
	for _, order := range [][]int{{10, 20, 30, 40, 50, 60}, {20, 60, 30, 10, 40, 50}, {60, 50, 40, 30, 20, 10}} {
		text := "[[rack]]\nid = \"r\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 64\ncpu_cores = 16\n" +
			"[[device]]\nid = \"n\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 1\n"
		for _, d := range order {
			text += fmt.Sprintf("[[service]]\nid = \"s%d\"\nram_gib = 1\nstart = { dist = \"fixed\", s = %d }\n", d, d)
		}
		c := NewCluster(parseModel(t, "rank.toml", text))
		p := NewPlan(c)
		start := map[int]float64{60: 0, 50: 60, 40: 110, 30: 150, 20: 180, 10: 200}
		for s, d := range order {
			if a := p.Assign[c.First(s)]; a.StartS != start[d] || a.UpS != start[d]+float64(d) {
				t.Errorf("order %v: the %d s start runs %g–%g s, want %g–%g s", order, d, a.StartS, a.UpS, start[d], start[d]+float64(d))
			}
		}
		if p.MakespanS != 210 {
			t.Errorf("order %v: makespan %g s, want 210 s", order, p.MakespanS)
		}
	}
}

// TestOrderTiesByRank: a node's start order (Plan.Order) lists starts
// planned at the same time by dispatch priority, as the node takes them.
// One node, two starts at a time: a (fixed 20 s) and b (exponential, mean
// 5 s: p99 = 5 × ln 100 = 23.0 s) both start at 0 s; b's p99 puts it
// first in dispatch priority, though a's longer mean placed a first.
func TestOrderTiesByRank(t *testing.T) {
	c := NewCluster(parseModel(t, "ties.toml", `[[rack]]
id = "r"
[[device_model]]
id = "m"
peak_w = 100
ram_gib = 64
cpu_cores = 16
[[device]]
id = "n"
rack = "r"
model = "m"
feeds = [""]
start_concurrency = 2
[[service]]
id = "a"
ram_gib = 1
start = { dist = "fixed", s = 20 }
[[service]]
id = "b"
ram_gib = 1
start = { dist = "exponential", mean_s = 5 }
`))
	p := NewPlan(c)
	if fmt.Sprint(p.Order[0]) != "[1 0]" || p.Assign[0].StartS != 0 || p.Assign[1].StartS != 0 {
		t.Errorf("got order %v (a at %g s, b at %g s), want [1 0]: b then a, both at 0 s", p.Order[0], p.Assign[0].StartS, p.Assign[1].StartS)
	}
}
