package placement

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// oneNode returns testdata/ps-one-node.toml with the node's concurrency c,
// and the service's instances, fixed start duration and timeout replaced.
func oneNode(t *testing.T, c, instances int, startS, timeoutS float64) *Cluster {
	t.Helper()
	text := strings.NewReplacer(
		"start_concurrency = 2", fmt.Sprintf("start_concurrency = %d", c),
		"instances = 4", fmt.Sprintf("instances = %d", instances),
		"s = 10 }", fmt.Sprintf("s = %g }", startS),
		"timeout_s = 300", fmt.Sprintf("timeout_s = %g", timeoutS),
	).Replace(readTestdata(t, "ps-one-node.toml"))
	m := parseModel(t, fmt.Sprintf("ps-one-node c=%d instances=%d start=%g timeout=%g", c, instances, startS, timeoutS), text)
	sv := &m.Services[0]
	if m.Devices[0].StartConcurrency != c || sv.Instances != instances || sv.Start.S != startS || sv.TimeoutS != timeoutS {
		t.Fatalf("setup: got c %d, %d instances of %g s, timeout %g s; want %d, %d, %g, %g",
			m.Devices[0].StartConcurrency, sv.Instances, sv.Start.S, sv.TimeoutS, c, instances, startS, timeoutS)
	}
	return NewCluster(m)
}

// TestProcessorSharing starts k equal starts at once on one node: up to c
// run at full speed, above c each runs at c/k, so all come up together
// after work × k/c. The plan never runs more than c: it starts them in
// waves of c.
func TestProcessorSharing(t *testing.T) {
	for _, tc := range []struct {
		name         string
		c, instances int
		policy       string
		wantUp       []float64
		wantPeak     int
	}{
		{"stale: 4 starts of 10 s on c = 2, each at half speed", 2, 4, PolicyStale, []float64{20, 20, 20, 20}, 4},
		{"random: 4 starts of 10 s on c = 2, each at half speed", 2, 4, PolicyRandom, []float64{20, 20, 20, 20}, 4},
		{"stale: 3 starts of 10 s on c = 2, each at 2/3 speed", 2, 3, PolicyStale, []float64{15, 15, 15}, 3},
		{"stale: 2 starts of 10 s on c = 2, full speed", 2, 2, PolicyStale, []float64{10, 10}, 2},
		{"stale: 6 starts of 10 s on c = 1, each at 1/6 speed", 1, 6, PolicyStale, []float64{60, 60, 60, 60, 60, 60}, 6},
		{"plan: 4 starts of 10 s on c = 2, in two waves", 2, 4, PolicyPlan, []float64{10, 10, 20, 20}, 2},
		{"plan: 3 starts of 10 s on c = 1, one at a time", 1, 3, PolicyPlan, []float64{10, 20, 30}, 1},
	} {
		c := oneNode(t, tc.c, tc.instances, 10, 300)
		res, err := Simulate(c, nil, SimOptions{Policy: tc.policy, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !approxSlice(res.UpS, tc.wantUp) {
			t.Errorf("%s: got up times %v, want %v", tc.name, res.UpS, tc.wantUp)
		}
		if res.PeakConcurrent != tc.wantPeak || res.Timeouts != 0 || res.Retries != 0 {
			t.Errorf("%s: got peak %d, %d timeouts, %d retries; want peak %d and none", tc.name, res.PeakConcurrent, res.Timeouts, res.Retries, tc.wantPeak)
		}
		if want := tc.wantUp[len(tc.wantUp)-1]; !approxEq(res.MakespanS, want) {
			t.Errorf("%s: got makespan %g, want %g", tc.name, res.MakespanS, want)
		}
		// The bound: 10 s of path, k × 10 s of work over c slots.
		if want := max(10, float64(tc.instances)*10/float64(tc.c)); !approxEq(res.LowerBoundS, want) {
			t.Errorf("%s: got lower bound %g, want %g", tc.name, res.LowerBoundS, want)
		}
	}
}

func approxSlice(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !approxEq(a[i], b[i]) {
			return false
		}
	}
	return true
}

// retryLog records, per instance, its failures and the time it was next
// scheduled after each.
type retryLog struct {
	starts   map[int32]int
	failures map[int32][]float64
	gaps     map[int32][]float64 // scheduled − the failure before it, s
}

func newRetryLog() *retryLog {
	return &retryLog{starts: map[int32]int{}, failures: map[int32][]float64{}, gaps: map[int32][]float64{}}
}

func (l *retryLog) event(e Event) {
	switch e.State {
	case Started:
		l.starts[e.Instance]++
	case Failed:
		l.failures[e.Instance] = append(l.failures[e.Instance], e.TS)
	case Scheduled:
		if f := l.failures[e.Instance]; len(f) > len(l.gaps[e.Instance]) {
			l.gaps[e.Instance] = append(l.gaps[e.Instance], e.TS-f[len(f)-1])
		}
	}
}

// TestTimeoutRetry: three 10 s starts at once on a node with c = 1 run at
// a third of full speed and outlive a 25 s timeout together; each is
// retried after a back-off of 10 s × [0.5, 1.5) and comes up later.
func TestTimeoutRetry(t *testing.T) {
	c := oneNode(t, 1, 3, 10, 25)
	for seed := uint64(1); seed <= 20; seed++ {
		l := newRetryLog()
		res, err := Simulate(c, nil, SimOptions{Policy: PolicyStale, Seed: seed, OnEvent: l.event})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("seed %d", seed)
		for i := int32(0); i < 3; i++ {
			if f := l.failures[i]; len(f) == 0 || f[0] != 25 {
				t.Errorf("%s: instance %d: got failures at %v, want the first at 25 s (its timeout)", name, i, f)
			}
		}
		failures := 0
		for i, f := range l.failures {
			failures += len(f)
			for k, gap := range l.gaps[i] {
				base := min(DefaultBackoffS*math.Pow(2, float64(k)), MaxBackoffS)
				if gap < 0.5*base-1e-9 || gap >= 1.5*base {
					t.Errorf("%s: instance %d retry %d: got back-off %g s, want [%g, %g)", name, i, k+1, gap, 0.5*base, 1.5*base)
				}
			}
		}
		if res.Timeouts != failures || res.Timeouts < 3 {
			t.Errorf("%s: got %d timeouts, want the %d failures (at least 3)", name, res.Timeouts, failures)
		}
		if res.Retries != res.Timeouts || res.NeverUp != 0 {
			t.Errorf("%s: got %d retries and %d never up, want one retry per timeout (%d) and every instance up", name, res.Retries, res.NeverUp, res.Timeouts)
		}
		if res.MakespanS < 25+5+10 {
			t.Errorf("%s: got makespan %g, want >= 40 s (timeout, half the back-off, a full start)", name, res.MakespanS)
		}
	}
}

// TestMaxAttempts: a 10 s start with a 5 s timeout never succeeds; each
// instance is started MaxAttempts times, retried MaxAttempts − 1 times,
// then given up, under every policy.
func TestMaxAttempts(t *testing.T) {
	c := oneNode(t, 4, 2, 10, 5)
	for _, tc := range []struct {
		policy      string
		maxAttempts int
		wantStarts  int
	}{
		{PolicyPlan, 3, 3},
		{PolicyStale, 3, 3},
		{PolicyRandom, 1, 1},
		{PolicyP2C, 4, 4},
		{PolicyPlan, 0, DefaultMaxAttempts},
		{PolicyStale, 0, DefaultMaxAttempts},
	} {
		name := fmt.Sprintf("%s, max attempts %d", tc.policy, tc.maxAttempts)
		l := newRetryLog()
		res, err := Simulate(c, nil, SimOptions{Policy: tc.policy, Seed: 7, MaxAttempts: tc.maxAttempts, OnEvent: l.event})
		if err != nil {
			t.Fatal(err)
		}
		for i := int32(0); i < 2; i++ {
			if got := l.starts[i]; got != tc.wantStarts {
				t.Errorf("%s: instance %d: got %d starts, want %d", name, i, got, tc.wantStarts)
			}
		}
		if res.Timeouts != 2*tc.wantStarts || res.Retries != 2*(tc.wantStarts-1) || res.NeverUp != 2 {
			t.Errorf("%s: got %d timeouts, %d retries, %d never up; want %d, %d, 2",
				name, res.Timeouts, res.Retries, res.NeverUp, 2*tc.wantStarts, 2*(tc.wantStarts-1))
		}
		if res.MakespanS != 0 || res.UpS[0] != -1 || res.UpS[1] != -1 {
			t.Errorf("%s: got makespan %g and up times %v, want 0 and none up", name, res.MakespanS, res.UpS)
		}
	}
}

// TestStaleHerds: sixty starts ready at once on ten nodes with c = 2. The
// stale policy sends those of one 30 s window to the one node its snapshot
// ranks first; the plan runs at most c on any node.
func TestStaleHerds(t *testing.T) {
	m := loadTestdata(t, "herd.toml")
	c := NewCluster(m)
	const cNode = 2
	results := map[string]*Result{}
	for _, pol := range Policies {
		window := map[int32]int{} // node → starts in [0, 30 s)
		res, err := Simulate(c, nil, SimOptions{Policy: pol, Seed: 3, OnEvent: func(e Event) {
			if e.State == Started && e.TS < DefaultRefreshS {
				window[e.Node]++
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		results[pol] = res
		top := 0
		for _, k := range window {
			top = max(top, k)
		}
		t.Logf("%-6s peak %2d starts on a node (c = %d), %2d on one node in the first window; makespan %6.1f s, %3d timeouts, %d never up",
			pol, res.PeakConcurrent, res.PeakC, top, res.MakespanS, res.Timeouts, res.NeverUp)
		switch pol {
		case PolicyStale:
			if top < 5*cNode || res.PeakConcurrent < 5*cNode {
				t.Errorf("stale: got %d starts on one node in the first 30 s window and a peak of %d, want >= %d (herding)", top, res.PeakConcurrent, 5*cNode)
			}
		case PolicyPlan:
			if res.PeakConcurrent > cNode {
				t.Errorf("plan: got peak %d and %d starts on one node in 30 s, want peak <= c = %d", res.PeakConcurrent, top, cNode)
			}
		}
	}
	if stale, plan := results[PolicyStale], results[PolicyPlan]; stale.Timeouts == 0 || plan.Timeouts != 0 || plan.MakespanS >= stale.MakespanS {
		t.Errorf("got stale %d timeouts, makespan %g s; plan %d timeouts, makespan %g s; want the herd to time out and the plan to finish first without",
			stale.Timeouts, stale.MakespanS, plan.Timeouts, plan.MakespanS)
	}
}
