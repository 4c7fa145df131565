package placement

import (
	"fmt"
	"strings"
	"testing"
)

// boundModel builds a cluster of nodes (conc[k] is node k's
// start_concurrency, 0 = not written; a name "p:…" gives the node role
// "db") and the services as written.
func boundModel(t *testing.T, nodes []string, conc []int, services string) *Cluster {
	t.Helper()
	var b strings.Builder
	b.WriteString(`[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "srv"
peak_w = 100
ram_gib = 1024
cpu_cores = 1024
`)
	for k, n := range nodes {
		role, id, ok := strings.Cut(n, ":") // "p:n1": role db; "a:n1": role a
		if !ok {
			role, id = "", n
		} else if role == "p" {
			role = "db"
		}
		fmt.Fprintf(&b, "[[device]]\nid = %q\nrack = \"r\"\nmodel = \"srv\"\nfeeds = [\"c\"]\n", id)
		if conc[k] > 0 {
			fmt.Fprintf(&b, "start_concurrency = %d\n", conc[k])
		}
		if role != "" {
			fmt.Fprintf(&b, "role = %q\n", role)
		}
	}
	b.WriteString(services)
	return NewCluster(parseModel(t, "bound.toml", b.String()))
}

// TestLowerBoundTerms pins the value of LowerBound on hand-made cases
// where each of its terms decides it (the optimum is the same number in
// each: the bound is tight there).
func TestLowerBoundTerms(t *testing.T) {
	tests := []struct {
		name     string
		nodes    []string
		conc     []int
		services string
		dur      []float64 // per instance, s; nil: the services' fixed starts
		want     float64
	}{
		{
			// db (30 s) then api (20 s): 50 s whatever the capacity.
			"critical path", []string{"n1"}, []int{4},
			"[[service]]\nid = \"db\"\nstart = { dist = \"fixed\", s = 30 }\n" +
				"[[service]]\nid = \"api\"\ndepends_on = [\"db\"]\nstart = { dist = \"fixed\", s = 20 }\n",
			nil, 50,
		},
		{
			// etcd members of 10, 20 and 30 s (c = 8 runs all at once):
			// its default quorum, a majority (2 of 3), is up at 20 s;
			// then the 15 s api: 35 s (all three would say 45 s).
			"quorum", []string{"n1"}, []int{8},
			"[[service]]\nid = \"etcd\"\nkind = \"etcd\"\ninstances = 3\n" +
				"[[service]]\nid = \"api\"\ndepends_on = [\"etcd\"]\n",
			[]float64{10, 20, 30, 15}, 35,
		},
		{
			// 8 starts of 10 s on c = 2: 80 s of work over 2 slots.
			"pool work", []string{"n1"}, []int{2},
			"[[service]]\nid = \"app\"\ninstances = 8\nstart = { dist = \"fixed\", s = 10 }\n",
			nil, 40,
		},
		{
			// No start_concurrency: the default c = 4, so 80 s over 4 slots.
			"default concurrency", []string{"n1"}, []int{0},
			"[[service]]\nid = \"app\"\ninstances = 8\nstart = { dist = \"fixed\", s = 10 }\n",
			nil, 20,
		},
		{
			// Released at 30 s (db up), 80 s of apps over 2 slots: 30 + 40.
			"release then pool", []string{"n1"}, []int{2},
			"[[service]]\nid = \"db\"\nstart = { dist = \"fixed\", s = 30 }\n" +
				"[[service]]\nid = \"app\"\ndepends_on = [\"db\"]\ninstances = 8\nstart = { dist = \"fixed\", s = 10 }\n",
			nil, 70,
		},
		{
			// 6 starts of 10 s pinned to n1 (c = 1) while n2 idles: 60 s,
			// though the whole pool (c = 2) would say 30 s.
			"pinned node", []string{"n1", "n2"}, []int{1, 1},
			"[[service]]\nid = \"db\"\ninstances = 6\npinned = [\"n1\", \"n1\", \"n1\", \"n1\", \"n1\", \"n1\"]\nstart = { dist = \"fixed\", s = 10 }\n",
			nil, 60,
		},
		{
			// 6 starts of 10 s that only the role's node (c = 1) runs.
			"role pool", []string{"p:n1", "n2"}, []int{1, 4},
			"[[service]]\nid = \"db\"\nrole = \"db\"\ninstances = 6\nstart = { dist = \"fixed\", s = 10 }\n",
			nil, 60,
		},
		{
			// Every instance of the 4 × 10 s database is needed (quorum
			// 4) before the 100 s app starts: 40 s over 2 slots, then
			// 100 s: 120 s; the path alone says 110 s, the pool 70 s.
			"tail", []string{"n1"}, []int{2},
			"[[service]]\nid = \"db\"\ninstances = 4\nready_quorum = 4\nstart = { dist = \"fixed\", s = 10 }\n" +
				"[[service]]\nid = \"app\"\ndepends_on = [\"db\"]\nstart = { dist = \"fixed\", s = 100 }\n",
			nil, 120,
		},
	}
	for _, tt := range tests {
		c := boundModel(t, tt.nodes, tt.conc, tt.services)
		dur := make([]float64, len(c.Instances))
		take := make([]bool, len(c.Instances))
		for i, in := range c.Instances {
			dur[i], take[i] = c.M.Services[in.Service].Start.S, true
		}
		if tt.dur != nil {
			copy(dur, tt.dur)
		}
		if got := c.LowerBound(dur, dur, take); !approxEq(got, tt.want) {
			t.Errorf("%s: LowerBound = %g s, want %g s", tt.name, got, tt.want)
		}
		if opt := optimalMakespan(c, dur); !approxEq(opt, tt.want) {
			t.Errorf("%s: setup: optimum %g s, want %g s (the bound is tight here)", tt.name, opt, tt.want)
		}
	}
}

// TestLowerBoundGatedTerm pins the gated term of LowerBound on a case
// where it alone decides the bound. Node n0 (c = 1) hosts three pinned
// single-instance services: q (5 s) and p (10 s) from t = 0, and b (2 s)
// after p, so b is up at 12 s at the earliest. Behind them, on the role
// pool n1 (c = 2): 1 × 5 s of work behind q, 4 × 1 s behind p, 40 × 1 s
// behind b. The other terms give 32 s: released at 12 s, b's 40 s of work
// over 2 slots (12 + 20), or at 10 s, p's and b's (10 + 44/2); the
// critical path is 13 s, n0's own work with its tail 18 s.
//
// The gated term sees that n0 cannot have run q and all of p before
// 15 s: by t in [10, 12) it has run at most t s of them, q first (the
// better ratio of work released per second, 1 against 0.4), so p's work
// not yet released is 4 × (1 − (t − 5)/10), and b's 40 s is not released
// before 12 s: t + (40 + 4 − 0.4 (t − 5))/2. It samples t every
// 1.5 × 32/256 = 0.1875 s, and the last sample before 12 s,
// 11.8125 s, gives 11.8125 + (40 + 1.275)/2 = 32.45 s. Without the term
// the bound is 32 s; the plan's makespan is above both.
func TestLowerBoundGatedTerm(t *testing.T) {
	c := boundModel(t, []string{"n0", "a:n1"}, []int{1, 2},
		"[[service]]\nid = \"q\"\npinned = [\"n0\"]\nstart = { dist = \"fixed\", s = 5 }\n"+
			"[[service]]\nid = \"p\"\npinned = [\"n0\"]\nstart = { dist = \"fixed\", s = 10 }\n"+
			"[[service]]\nid = \"b\"\npinned = [\"n0\"]\ndepends_on = [\"p\"]\nstart = { dist = \"fixed\", s = 2 }\n"+
			"[[service]]\nid = \"app-q\"\nrole = \"a\"\ndepends_on = [\"q\"]\nstart = { dist = \"fixed\", s = 5 }\n"+
			"[[service]]\nid = \"app-p\"\nrole = \"a\"\ninstances = 4\ndepends_on = [\"p\"]\nstart = { dist = \"fixed\", s = 1 }\n"+
			"[[service]]\nid = \"app-b\"\nrole = \"a\"\ninstances = 40\ndepends_on = [\"b\"]\nstart = { dist = \"fixed\", s = 1 }\n")
	dur := make([]float64, len(c.Instances))
	take := make([]bool, len(c.Instances))
	for i, in := range c.Instances {
		dur[i], take[i] = c.M.Services[in.Service].Start.S, true
	}
	if got := c.LowerBound(dur, dur, take); !approxEq(got, 32.45) {
		t.Errorf("LowerBound = %g s, want 32.45 s (the gated term; 32 s without it)", got)
	}
	est, ready, lb := c.releases(dur, take)
	if got := c.gatedBound(est, ready, dur, take, 32); !approxEq(got, 32.45) {
		t.Errorf("gatedBound(horizon 32 s) = %g s, want 32.45 s", got)
	}
	if lb != 13 {
		t.Errorf("setup: critical path %g s, want 13 s", lb)
	}
	if p := NewPlan(c); p.MakespanS < 32.45 {
		t.Errorf("setup: planned makespan %g s below the bound 32.45 s", p.MakespanS)
	}
}

// TestRetryRule pins the retry rule with literal numbers: 10 attempts,
// a first back-off of 10 s doubling to a cap of 300 s (10, 20, 40, 80,
// 160, 300, 300 …), jitter from × 0.5 to × 1.5; unset fields resolve to
// those defaults.
func TestRetryRule(t *testing.T) {
	r := Retry{}.Resolved()
	if r.MaxAttempts != 10 || r.BackoffS != 10 {
		t.Fatalf("defaults: got %d attempts, %g s; want 10, 10 s", r.MaxAttempts, r.BackoffS)
	}
	want := []float64{10, 20, 40, 80, 160, 300, 300, 300, 300}
	for k, w := range want {
		if got := r.Backoff(k + 1); got != w {
			t.Errorf("Backoff(%d) = %g s, want %g s", k+1, got, w)
		}
	}
	if got := (Retry{MaxAttempts: 3, BackoffS: 100}).Backoff(3); got != 300 {
		t.Errorf("Backoff(3) from 100 s = %g s, want the 300 s cap (not 400 s)", got)
	}
	if got := (Retry{MaxAttempts: 3, BackoffS: 7}).Backoff(2); got != 14 {
		t.Errorf("Backoff(2) from 7 s = %g s, want 14 s", got)
	}
	if lo, hi := r.Jittered(6, 0), r.Jittered(6, 0.5); lo != 150 || hi != 300 {
		t.Errorf("Jittered(6, 0), (6, 0.5) = %g, %g s; want 150, 300 s", lo, hi)
	}
	if !r.Again(9) || r.Again(10) {
		t.Errorf("Again(9), Again(10) = %v, %v; want true, false (10 attempts)", r.Again(9), r.Again(10))
	}
}

// TestSimulatorDefaults pins what the simulator does when the model and
// the options say nothing: a start times out at 300 s, an instance is
// given up after 10 attempts, and the k-th retry waits
// [0.5, 1.5) × min(10·2^(k−1), 300) s: the cap shows from the 6th.
func TestSimulatorDefaults(t *testing.T) {
	c := oneNode(t, 1, 1, 400, 0) // a 400 s start, no timeout_s
	caps := []float64{10, 20, 40, 80, 160, 300, 300, 300, 300}
	for seed := uint64(1); seed <= 5; seed++ {
		l := newRetryLog()
		res, err := Simulate(c, nil, SimOptions{Policy: PolicyPlan, Seed: seed, OnEvent: l.event})
		if err != nil {
			t.Fatal(err)
		}
		f, gaps := l.failures[0], l.gaps[0]
		if l.starts[0] != 10 || len(f) != 10 || res.NeverUp != 1 {
			t.Fatalf("seed %d: got %d starts, %d failures, %d never up; want 10, 10, 1", seed, l.starts[0], len(f), res.NeverUp)
		}
		if f[0] != 300 {
			t.Errorf("seed %d: first failure at %g s, want 300 s (the default timeout)", seed, f[0])
		}
		if len(gaps) != 9 {
			t.Fatalf("seed %d: got %d back-offs, want 9", seed, len(gaps))
		}
		for k, g := range gaps {
			if g < 0.5*caps[k]-1e-9 || g >= 1.5*caps[k] {
				t.Errorf("seed %d: back-off %d = %g s, want [%g, %g) s", seed, k+1, g, 0.5*caps[k], 1.5*caps[k])
			}
		}
	}
}
