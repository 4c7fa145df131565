package placement

import (
	"strconv"
	"strings"
	"testing"
)

// boundFixedTimes is every instance of c with its service's fixed start as
// path and work, all taking part.
func boundFixedTimes(c *Cluster) (dur []float64, take []bool) {
	dur = make([]float64, len(c.Instances))
	take = make([]bool, len(c.Instances))
	for i, in := range c.Instances {
		dur[i], take[i] = c.M.Services[in.Service].Start.S, true
	}
	return dur, take
}

// TestLowerBoundQuorumNotReached: a service with fewer instances taking
// part than its quorum (the simulator leaves out an instance none of
// whose draws can succeed) is ready when the last of those taking part is
// up. db has 3 instances, quorum 3; only two take part, of 10 and 20 s;
// api (5 s) after it: the critical path is 20 + 5 = 25 s (n1 runs all at
// once: c = 4).
func TestLowerBoundQuorumNotReached(t *testing.T) {
	c := boundModel(t, []string{"n1"}, []int{4},
		"[[service]]\nid = \"db\"\ninstances = 3\nready_quorum = 3\nstart = { dist = \"fixed\", s = 10 }\n"+
			"[[service]]\nid = \"api\"\ndepends_on = [\"db\"]\nstart = { dist = \"fixed\", s = 5 }\n")
	dur := []float64{10, 20, 30, 5}
	take := []bool{true, true, false, true}
	if got := c.LowerBound(dur, dur, take); got != 25 {
		t.Errorf("LowerBound = %g s, want 25 s (db ready when its second taken instance is up, at 20 s, then api's 5 s)", got)
	}
	est, ready, cp := c.releases(dur, take)
	if ready[0] != 20 || est[1] != 20 || cp != 25 {
		t.Errorf("releases: db ready at %g s, api released at %g s, critical path %g s; want 20, 20, 25 s", ready[0], est[1], cp)
	}
}

// tailModel writes the services of the tail-sampling cases: on n1 (role
// db, c = 1) the db-role services, on n2 (role a, c = 8) their dependents.
func tailModel(t *testing.T, services ...string) *Cluster {
	t.Helper()
	return boundModel(t, []string{"p:n1", "a:n2"}, []int{1, 8}, strings.Join(services, ""))
}

// tailSvc writes a service: id, instances, fixed start (s), role, the ids it
// depends on, and its ready quorum (0: not written).
func tailSvc(id string, instances int, s float64, role string, quorum int, deps ...string) string {
	var b strings.Builder
	b.WriteString("[[service]]\nid = \"" + id + "\"\n")
	if instances != 1 {
		b.WriteString("instances = " + strconv.Itoa(instances) + "\n")
	}
	b.WriteString("start = { dist = \"fixed\", s = " + strconv.FormatFloat(s, 'g', -1, 64) + " }\n")
	if role != "" {
		b.WriteString("role = \"" + role + "\"\n")
	}
	if quorum > 0 {
		b.WriteString("ready_quorum = " + strconv.Itoa(quorum) + "\n")
	}
	if len(deps) > 0 {
		b.WriteString("depends_on = [\"" + strings.Join(deps, "\", \"") + "\"]\n")
	}
	return b.String()
}

// TestLowerBoundTailTerms pins the pool bound's tail term where it alone
// decides the bound, and which tails θ it tries. Each case's optimum is
// its bound, worked out in its comment (a schedule reaching it is given).
func TestLowerBoundTailTerms(t *testing.T) {
	tests := []struct {
		name string
		c    *Cluster
		want float64
	}{
		{
			// A tail through two levels: db (4 × 10 s, quorum 4: every
			// instance is needed) on c = 2, then api (50 s), then app (50
			// s). db's tail is api's path plus app's: 100 s, so the last
			// db instance, up at 20 s at the earliest, leaves 100 s:
			// 120 s. The critical path says 110 s, the pool 140/2 = 70 s.
			// db 0–20, api 20–70, app 70–120.
			"tail through two levels",
			boundModel(t, []string{"n1"}, []int{2},
				tailSvc("db", 4, 10, "", 4)+tailSvc("api", 1, 50, "", 0, "db")+tailSvc("app", 1, 50, "", 0, "api")),
			120,
		},
		{
			// Two tails, 100 and 95 s (db1, db2: 10 s each on n1, c = 1,
			// then app1 of 100 s, app2 of 95 s on n2), among 30 fillers
			// of 0.01 s on n1 without a tail. θ = 95 s takes both dbs:
			// 20 + 95 = 115 s; θ = 100 s only db1: 110 s, as the
			// critical path. The fillers' zero tails are not sampled: 32
			// tails would skip 95 s (index 30 of 0–31 in steps of 31/16).
			// db1 0–10, db2 10–20, app1 10–110, app2 20–115.
			"zero tails not sampled",
			tailModel(t, tailSvc("db1", 1, 10, "db", 0), tailSvc("db2", 1, 10, "db", 0), tailSvc("filler", 30, 0.01, "db", 0),
				tailSvc("app1", 1, 100, "a", 0, "db1"), tailSvc("app2", 1, 95, "a", 0, "db2")),
			115,
		},
		{
			// 18 tails: 16 of 1 s (small: 16 × 0.01 s, quorum 16, then
			// a 1 s dependent) and two of 100 s (dbA, dbB: 10 s each,
			// then 100 s each). The sample at k = 16 is the largest tail,
			// index 17: θ = 100 s takes dbA and dbB, 20 + 100 = 120 s;
			// k = 15 reaches only index 15 (1 s: 21.16 s). The critical
			// path is 110 s. dbA 0–10, dbB 10–20, appA 10–110, appB
			// 20–120.
			"largest tail sampled",
			tailModel(t, tailSvc("dbA", 1, 10, "db", 0), tailSvc("dbB", 1, 10, "db", 0), tailSvc("small", 16, 0.01, "db", 16),
				tailSvc("appA", 1, 100, "a", 0, "dbA"), tailSvc("appB", 1, 100, "a", 0, "dbB"), tailSvc("smallapp", 1, 1, "a", 0, "small")),
			120,
		},
	}
	for _, tt := range tests {
		dur, take := boundFixedTimes(tt.c)
		if got := tt.c.LowerBound(dur, dur, take); !approxEq(got, tt.want) {
			t.Errorf("%s: LowerBound = %g s, want %g s", tt.name, got, tt.want)
		}
		if p := NewPlan(tt.c); len(p.Unplaced) > 0 || p.MakespanS < tt.want-1e-9 {
			t.Errorf("%s: setup: planned makespan %g s (%d unplaced), want every instance placed and at least the bound %g s", tt.name, p.MakespanS, len(p.Unplaced), tt.want)
		}
		if len(tt.c.Instances) <= 6 {
			if opt := optimalMakespan(tt.c, dur); !approxEq(opt, tt.want) {
				t.Errorf("%s: setup: optimum %g s, want %g s (the bound is tight here)", tt.name, opt, tt.want)
			}
		}
	}
}

// gatedModel is TestLowerBoundGatedTerm's site with extra nodes beside
// n0 (c = 1) and n1 (role a, c = 2), extra services written last, and
// what q and p (qDeps) and app-q (appQDeps) depend on.
func gatedModel(t *testing.T, nodes []string, conc []int, extra, qDeps, appQDeps string) *Cluster {
	t.Helper()
	dep := func(ids string) string {
		if ids == "" {
			return ""
		}
		return "depends_on = [" + ids + "]\n"
	}
	return boundModel(t, append([]string{"n0", "a:n1"}, nodes...), append([]int{1, 2}, conc...),
		"[[service]]\nid = \"q\"\npinned = [\"n0\"]\nstart = { dist = \"fixed\", s = 5 }\n"+dep(qDeps)+
			"[[service]]\nid = \"p\"\npinned = [\"n0\"]\nstart = { dist = \"fixed\", s = 10 }\n"+dep(qDeps)+
			"[[service]]\nid = \"b\"\npinned = [\"n0\"]\ndepends_on = [\"p\"]\nstart = { dist = \"fixed\", s = 2 }\n"+
			"[[service]]\nid = \"app-q\"\nrole = \"a\"\nstart = { dist = \"fixed\", s = 5 }\n"+dep(appQDeps)+
			"[[service]]\nid = \"app-p\"\nrole = \"a\"\ninstances = 4\ndepends_on = [\"p\"]\nstart = { dist = \"fixed\", s = 1 }\n"+
			"[[service]]\nid = \"app-b\"\nrole = \"a\"\ninstances = 40\ndepends_on = [\"b\"]\nstart = { dist = \"fixed\", s = 1 }\n"+
			extra)
}

// TestLowerBoundGatedChoices pins the gated term on two variants of
// TestLowerBoundGatedTerm's site (there: 32.45 s, 32 s without the term).
//
// A service waits for its dependency of latest ready time, and the gate
// is that one: app-q depends on q (service 0: ready at 5 s) and on z (1 s,
// pinned to n2, ready at 1 s). Gated by q, as there, the bound is 32.45 s;
// gated by z, n0's budget would go to p alone, p's apps would count as
// released from 10 s, and the term would fall to 31.8125 s (< 32 s).
//
// A node's budget counts from its earliest gate's release, not from 0:
// boot (4 s, pinned to n3) before q and p shifts n0's gates by 4 s. The
// other terms give 36 s (app-b released at 16 s: 16 + 40/2; app-p at 14
// s: 14 + 44/2). The gated term samples t every 1.5 × 36/256 = 0.2109375
// s; for t in [14, 16), n0 has run at most t − 4 s: q (5 s) and t − 9 s
// of p, so 4 × (1 − (t − 9)/10) s of p's apps and app-b's 40 s are not
// released: t + (40 + 4 (1 − (t − 9)/10))/2 = 0.8 t + 23.8, at the last
// sample before 16 s (k = 75, t = 15.8203125 s): 36.45625 s. A budget
// counted from 0 (t + 4 s) would release p's apps there: 36 s.
func TestLowerBoundGatedChoices(t *testing.T) {
	tests := []struct {
		name string
		c    *Cluster
		want float64
	}{
		{
			"the gate is the latest dependency",
			gatedModel(t, []string{"n2"}, []int{1},
				"[[service]]\nid = \"z\"\npinned = [\"n2\"]\nstart = { dist = \"fixed\", s = 1 }\n", "", `"q", "z"`),
			32.45,
		},
		{
			"budget from the gates' release",
			gatedModel(t, []string{"n3"}, []int{1},
				"[[service]]\nid = \"boot\"\npinned = [\"n3\"]\nstart = { dist = \"fixed\", s = 4 }\n", `"boot"`, `"q"`),
			36.45625,
		},
	}
	for _, tt := range tests {
		if tt.c.M.Services[0].ID != "q" && tt.c.M.Services[0].ID != "boot" {
			t.Fatalf("%s: setup: service 0 is %q, want q (the first gate app-q names) or boot", tt.name, tt.c.M.Services[0].ID)
		}
		dur, take := boundFixedTimes(tt.c)
		if got := tt.c.LowerBound(dur, dur, take); !approxEq(got, tt.want) {
			t.Errorf("%s: LowerBound = %g s, want %g s", tt.name, got, tt.want)
		}
		if p := NewPlan(tt.c); len(p.Unplaced) > 0 || p.MakespanS < tt.want {
			t.Errorf("%s: setup: planned makespan %g s (%d unplaced), want every instance placed and at least the bound %g s", tt.name, p.MakespanS, len(p.Unplaced), tt.want)
		}
	}
}
