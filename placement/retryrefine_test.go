package placement

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestRetryBoundRefinement pins retryBound's search on hand-made tries.
// Four instances of one service on one node of c = 1; each has the same
// starts that can succeed (path from release to up, work), as
// attemptTimes gives them with a 10 s timeout and the default 10 s
// back-off: a start after k failed ones has path 15 + … + its work (the
// first failure costs 10 s plus half of 10 s). LowerBound alone takes the
// least path and the least work: max(8, 4 × least work). For a horizon H
// below a start's path that start cannot have brought an instance up, so
// the work counted is the least over the starts whose path fits (f(H));
// every H with f(H) ≥ H is a bound. The search starts at lo = LowerBound,
// hi = f(lo), returns hi if f(hi) ≥ hi, else halves [lo, hi] 12 times.
//
//   - starts (8, 8), (17, 2): LowerBound is 8 s; f is 32 s below 17 s, 8
//     s from it. The halvings of [8, 32]: 20 (f = 8: hi), 14 (f = 32: lo),
//     17 (f = 8: hi; the start of path 17 s fits by 17 s), then nine more
//     below 17: 17 − 3/512 = 16.994140625 s.
//   - starts (8, 8), (37, 2) (the second draw timed out): f is 32 s below
//     37 s, so f(32) = 32: 32 s, hi itself.
//   - starts (8, 8), (20, 5), (37, 2): f is 32, 20 then 8 s; f(20) = 20,
//     so 20 is kept (lo) and every later midpoint falls: 20 s.
func TestRetryBoundRefinement(t *testing.T) {
	c := boundModel(t, []string{"n1"}, []int{1},
		"[[service]]\nid = \"a\"\ninstances = 4\nstart = { dist = \"fixed\", s = 8 }\n")
	tests := []struct {
		name  string
		tries []try
		want  float64
	}{
		{"a later start fits from 17 s", []try{{8, 8}, {17, 2}}, 16.994140625},
		{"f(hi) = hi", []try{{8, 8}, {37, 2}}, 32},
		{"f(mid) = mid", []try{{8, 8}, {20, 5}, {37, 2}}, 20},
	}
	for _, tt := range tests {
		n := len(c.Instances)
		path, work, take, tries := make([]float64, n), make([]float64, n), make([]bool, n), make([][]try, n)
		for i := range n {
			path[i], work[i], take[i], tries[i] = tt.tries[0].path, math.Inf(1), true, tt.tries
			for _, tr := range tt.tries {
				work[i] = min(work[i], tr.work)
			}
		}
		if got := c.LowerBound(path, work, take); got != 8 {
			t.Errorf("%s: setup: LowerBound = %g s, want 8 s", tt.name, got)
		}
		if got := c.retryBound(path, work, take, tries); got != tt.want {
			t.Errorf("%s: retryBound = %.10g s, want %.10g s", tt.name, got, tt.want)
		}
	}
}

// TestAttemptTimes pins the starts attemptTimes counts: one instance of
// a uniform 5–15 s start, timeout 10 s, 3 attempts, the default back-off
// (10 s, doubling; at least half of it after jitter). For a seed whose
// first two draws w0, w1 are at most 10 s and the third w2 above: the
// starts that can succeed are (w0, w0) and (10 + 5 + w1, w1); the path is
// w0, the work min(w0, w1). For a seed whose first draw is above 10 s and
// the next two not: (15 + w1, w1) and (15 + 10 + 10 + w2, w2).
func TestAttemptTimes(t *testing.T) {
	c := retryModel(t, `[[service]]
id = "a"
timeout_s = 10
start = { dist = "uniform", min_s = 5, max_s = 15 }
`)
	seedFor := func(ok ...bool) uint64 { // draws at most 10 s exactly where ok
		for seed := uint64(1); ; seed++ {
			match := true
			for a, want := range ok {
				if (c.Work(seed, 0, a) <= 10) != want {
					match = false
				}
			}
			if match {
				return seed
			}
		}
	}
	o := SimOptions{MaxAttempts: 3}
	all := func(int) bool { return true }

	o.Seed = seedFor(true, true, false)
	w0, w1 := c.Work(o.Seed, 0, 0), c.Work(o.Seed, 0, 1)
	path, work, take, tries := c.attemptTimes(o, all)
	if want := []try{{w0, w0}, {15 + w1, w1}}; !take[0] || path[0] != w0 || work[0] != min(w0, w1) || !equalTries(tries[0], want) {
		t.Errorf("seed %d (w0 = %g, w1 = %g s): take %v, path %g, work %g, tries %v; want true, %g, %g, %v", o.Seed, w0, w1, take[0], path[0], work[0], tries[0], w0, min(w0, w1), want)
	}

	o.Seed = seedFor(false, true, true)
	w1, w2 := c.Work(o.Seed, 0, 1), c.Work(o.Seed, 0, 2)
	path, work, take, tries = c.attemptTimes(o, all)
	if want := []try{{15 + w1, w1}, {35 + w2, w2}}; !take[0] || path[0] != 15+w1 || work[0] != min(w1, w2) || !equalTries(tries[0], want) {
		t.Errorf("seed %d (w1 = %g, w2 = %g s): take %v, path %g, work %g, tries %v; want true, %g, %g, %v", o.Seed, w1, w2, take[0], path[0], work[0], tries[0], 15+w1, min(w1, w2), want)
	}
}

func equalTries(a, b []try) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if math.Abs(a[k].path-b[k].path) > 1e-9 || a[k].work != b[k].work {
			return false
		}
	}
	return true
}

// TestSimultaneousEventsInQueueOrder pins the simulator's order of events
// at one instant: the order they were queued (simEvent.before). Three
// nodes of c = 2, each running x (fixed 5 s) and y (10 s) from 0 s under
// the plan: at 5 s the three completions, queued n0, n1, n2 as the
// nodes' starts were filled, pop in that order, and each queues its
// node's next completion (y, at 10 s) in turn; so both instants come up
// n0, n1, n2. A sequence counter that went back when the plan's slot
// filling was queued gave two of the 10 s completions the same number,
// and the heap then brought up n1's y before n0's.
func TestSimultaneousEventsInQueueOrder(t *testing.T) {
	c := boundModel(t, []string{"n0", "n1", "n2"}, []int{2, 2, 2},
		"[[service]]\nid = \"x\"\ninstances = 3\npinned = [\"n0\", \"n1\", \"n2\"]\nstart = { dist = \"fixed\", s = 5 }\n"+
			"[[service]]\nid = \"y\"\ninstances = 3\npinned = [\"n0\", \"n1\", \"n2\"]\nstart = { dist = \"fixed\", s = 10 }\n")
	var ups []string
	o := SimOptions{Policy: PolicyPlan, Seed: 1, OnEvent: func(e Event) {
		if e.State == Up {
			in := c.Instances[e.Instance]
			ups = append(ups, fmt.Sprintf("%g s %s on %s", e.TS, c.M.Services[in.Service].ID, c.M.Devices[e.Node].ID))
		}
	}}
	if _, err := Simulate(c, NewPlan(c), o); err != nil {
		t.Fatal(err)
	}
	want := []string{"5 s x on n0", "5 s x on n1", "5 s x on n2", "10 s y on n0", "10 s y on n1", "10 s y on n2"}
	if !slices.Equal(ups, want) {
		t.Errorf("up events %q, want %q", ups, want)
	}
}
