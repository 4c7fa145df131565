package placement

import (
	"testing"
)

// replayHandModel: one node (c = 4) and no power elements; service a
// (fixed 10 s of work) then b, which depends on it: uniform 10–30 s of
// work, timeout 50 s; each runs alone on the node.
const replayHandModel = `[[rack]]
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
start = { dist = "fixed", s = 10 }
[[service]]
id = "b"
depends_on = ["a"]
timeout_s = 50
start = { dist = "uniform", min_s = 10, max_s = 30 }
`

// TestReplayByHand: a replay redraws the rest of a running start given
// the work it has done, and times it out when the redraw passes its
// timeout. The node runs at half speed, so a second of work takes 2 s: a
// is up at 20 s; b starts then and times out at 70 s (20 + 50 s, 25 s of
// work). The seed is chosen so that b's first draw is 20–25 s of work: the
// run queues no timeout for it (it ends before).
//
// At 60 s, b has done 20 s of work. Given that, its work is uniform on
// 20–30 s, so a continuation either ends at 60 + 2 × 0…5 = 60–70 s (half
// of them, their mean 65 s), or passes the timeout, fails at 70 s and is
// retried after a back-off of 10 s × 0.5–1.5 and a new start of at least
// 10 s of work (20 s): up at 95 s or later. None ends between 70 and 95 s.
//
// At 10 s, a (fixed 10 s, the default timeout) has done 5 s of work: it
// ends at 20 s in every continuation, and b's fresh draw (10–30 s of work,
// 20–60 s) brings it up before 60 s in half of them.
func TestReplayByHand(t *testing.T) {
	c := NewCluster(parseModel(t, "replay.toml", replayHandModel))
	if len(c.M.Elements) != 0 || c.budget != nil {
		t.Fatalf("the case wants no power elements (%d) and no budget", len(c.M.Elements))
	}
	// A draw falls in 20–25 s with probability 1/4: the first 100 seeds
	// hold one unless the draw is broken (a bounded search fails instead
	// of hanging).
	seed := uint64(1)
	for w := c.Work(seed, 1, 0); w <= 20 || w >= 25; w = c.Work(seed, 1, 0) {
		if seed++; seed > 100 {
			t.Fatalf("no seed of 1–100 draws b's work in 20–25 s (uniform 10–30 s): the draw is broken")
		}
	}
	o := SimOptions{Policy: PolicyPlan, Seed: seed, Speed: []float64{0.5}}
	res, err := Simulate(c, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Work(seed, 1, 0); res.UpS[0] != 20 || res.UpS[1] != 20+2*w || res.Timeouts != 0 {
		t.Fatalf("seed %d: a, b up at %v s with %d timeouts, want 20 s and 20 + 2 × %g s, none", seed, res.UpS, res.Timeouts, w)
	}
	const n = 400
	fins, err := Replay(c, nil, o, []float64{10, 60}, n, 5)
	if err != nil || len(fins) != 2 || len(fins[0]) != n || len(fins[1]) != n {
		t.Fatalf("Replay: %d times, %v", len(fins), err)
	}
	before60 := 0
	for _, f := range fins[0] {
		if f < 40 {
			t.Errorf("at 10 s: a continuation ends at %g s, want 40 s or later (a up at 20 s, b's 10 s of work or more at half speed)", f)
		}
		if f < 60 {
			before60++
		}
	}
	// Binomial(400, 1/2): 200 ± 10.
	if before60 < 160 || before60 > 240 {
		t.Errorf("at 10 s: %d of %d continuations end before 60 s, want about half", before60, n)
	}
	early, sum := 0, 0.0
	for _, f := range fins[1] {
		switch {
		case f >= 60 && f <= 70:
			early++
			sum += f
		case f < 95:
			t.Errorf("at 60 s: a continuation ends at %g s, want 60–70 s (no timeout) or from 95 s (timed out at 70 s, retried)", f)
		}
	}
	// About 200 of uniform 60–70 s: a mean of 65 ± 0.2 s.
	if early < 160 || early > 240 {
		t.Errorf("at 60 s: %d of %d continuations end by 70 s, want about half", early, n)
	} else if mean := sum / float64(early); mean < 64 || mean > 66 {
		t.Errorf("at 60 s: those end at %.2f s on average, want 65 s (uniform over 60–70 s)", mean)
	}
	if _, err := Replay(c, nil, SimOptions{Policy: "fifo"}, []float64{1}, 1, 1); err == nil {
		t.Error("Replay with an unknown policy: no error")
	}
}
