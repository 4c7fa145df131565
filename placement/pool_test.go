package placement

import (
	"fmt"
	"strings"
	"testing"

	"blackstart/topology"
)

// exhaustedModel: nodes a (4 of the resource) and b (8), one start at a
// time each; s0 (2 instances, 2 of the resource, 10 s), then s1 (4, 10 s)
// after s0, then s2 (2, 10 s) after s1. s0 takes a and b (0–10 s); s1,
// released at 10 s, does not fit a (2 left) and goes to b (10–20 s); s2,
// released at 20 s, fits both: a has been free since 10 s, b since 20 s.
// res is "ram_gib" or "cpu_cores"; the other resource is plentiful.
func exhaustedModel(res string) string {
	other := map[string]string{"ram_gib": "cpu_cores", "cpu_cores": "ram_gib"}[res]
	var b strings.Builder
	b.WriteString("[[rack]]\nid = \"r\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 64\ncpu_cores = 64\n")
	for _, n := range []struct {
		id  string
		cap int
	}{{"a", 4}, {"b", 8}} {
		fmt.Fprintf(&b, "[[device]]\nid = %q\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 1\n%s = %d\n%s = 64\n", n.id, res, n.cap, other)
	}
	for _, s := range []struct {
		id, deps  string
		instances int
		req       int
	}{{"s0", "", 2, 2}, {"s1", "s0", 1, 4}, {"s2", "s1", 1, 2}} {
		fmt.Fprintf(&b, "[[service]]\nid = %q\ninstances = %d\n%s = %d\n%s = 0.5\nstart = { dist = \"fixed\", s = 10 }\n", s.id, s.instances, res, s.req, other)
		if s.deps != "" {
			fmt.Fprintf(&b, "depends_on = [%q]\n", s.deps)
		}
	}
	return b.String()
}

// TestPlanKeepsRoomyNode: a node that cannot take the instance at hand
// but still has room for the smallest request of its pool stays a
// candidate (exhaustedModel): a, with 2 left when s1 (4) passes it over,
// takes s2 (2) at 20 s, being the node free earliest (10 s, against b's
// 20 s). A node is dropped from the pool's heap only when its free RAM or
// CPU is below every request of the pool.
func TestPlanKeepsRoomyNode(t *testing.T) {
	for _, res := range []string{"ram_gib", "cpu_cores"} {
		c := NewCluster(parseModel(t, res+".toml", exhaustedModel(res)))
		p := NewPlan(c)
		var got []string
		for i, a := range p.Assign {
			got = append(got, fmt.Sprintf("%s on %s at %g s", c.Name(i), c.M.Devices[a.Node].ID, a.StartS))
		}
		want := "s0#0 on a at 0 s, s0#1 on b at 0 s, s1#0 on b at 10 s, s2#0 on a at 20 s"
		if strings.Join(got, ", ") != want || p.MakespanS != 30 {
			t.Errorf("%s: got %s, makespan %g s; want %s, 30 s", res, strings.Join(got, ", "), p.MakespanS, want)
		}
	}
}

// scanModel: one node of 16 GiB at each end of the default pool (n00 and
// n65) and 64 of 2 GiB between; one start at a time each. pin (1 GiB,
// 10 s) is pinned to n00 and to n65; big (8 GiB) depends on pin, whose
// quorum of 1 is up at 10 s. When
// big is placed, the heap holds the 64 small nodes at 0 s ahead of the two
// big ones, so its 64 pops find no fit and the pool is scanned.
// pinsOn65 is the number of pin instances on n65: with 2, one start at a
// time, n65 is busy until 20 s.
func scanModel(pinsOn65 int) string {
	var b strings.Builder
	b.WriteString("[[rack]]\nid = \"r\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 2\ncpu_cores = 16\n")
	for n := 0; n <= 65; n++ {
		fmt.Fprintf(&b, "[[device]]\nid = \"n%02d\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 1\n", n)
		if n == 0 || n == 65 {
			b.WriteString("ram_gib = 16\n")
		}
	}
	pins := []string{`"n00"`}
	for range pinsOn65 {
		pins = append(pins, `"n65"`)
	}
	fmt.Fprintf(&b, "[[service]]\nid = \"pin\"\ninstances = %d\npinned = [%s]\nram_gib = 1\nstart = { dist = \"fixed\", s = 10 }\n", len(pins), strings.Join(pins, ", "))
	b.WriteString("[[service]]\nid = \"big\"\ndepends_on = [\"pin\"]\nram_gib = 8\nstart = { dist = \"fixed\", s = 10 }\n")
	return b.String()
}

// TestPlanScan: when the heap gives up (64 pops without a fit), the scan
// of the pool picks what the heap would have: the node free earliest, the
// lowest index on a tie (scanModel). n00 is free at 10 s; n65 at 10 s
// (one pin instance) or 20 s (two): big goes to n00 at 10 s either way,
// up at 20 s.
func TestPlanScan(t *testing.T) {
	for pinsOn65 := 1; pinsOn65 <= 2; pinsOn65++ {
		c := NewCluster(parseModel(t, "scan.toml", scanModel(pinsOn65)))
		p := NewPlan(c)
		a := p.Assign[c.First(1)]
		if a.Node != 0 || a.StartS != 10 || p.MakespanS != 20 {
			t.Errorf("%d pin instance(s) on n65: got big on %s at %g s, makespan %g s; want n00 at 10 s, 20 s",
				pinsOn65, c.M.Devices[a.Node].ID, a.StartS, p.MakespanS)
		}
	}
}

// fallbackModel: rack A holds n0 and n1 (8 GiB, two starts at a time),
// rack B holds n2 (2 GiB); s (4 GiB, 5 s) has instances (2 or 3) spread
// by rack. Only rack A has room for s, so its instances after the first
// share the first one's rack. With busy, the two instances of w (1 GiB,
// 10 s, longer than s: placed first) are pinned to n1 and fill both its
// slots until 10 s.
func fallbackModel(busy bool, instances int) string {
	var b strings.Builder
	b.WriteString("[[rack]]\nid = \"A\"\n[[rack]]\nid = \"B\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 8\ncpu_cores = 16\n")
	for _, n := range []struct{ id, rack, ram string }{{"n0", "A", "8"}, {"n1", "A", "8"}, {"n2", "B", "2"}} {
		fmt.Fprintf(&b, "[[device]]\nid = %q\nrack = %q\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 2\nram_gib = %s\n", n.id, n.rack, n.ram)
	}
	if busy {
		b.WriteString("[[service]]\nid = \"w\"\ninstances = 2\npinned = [\"n1\", \"n1\"]\nram_gib = 1\nstart = { dist = \"fixed\", s = 10 }\n")
	}
	fmt.Fprintf(&b, "[[service]]\nid = \"s\"\ninstances = %d\nspread = \"rack\"\nram_gib = 4\nstart = { dist = \"fixed\", s = 5 }\n", instances)
	return b.String()
}

// planNodes returns the nodes (device ids) and planned starts of service
// s's instances, as "n0@0 n1@0".
func planNodes(c *Cluster, p *Plan, s int) string {
	var out []string
	for k := range c.M.Services[s].Instances {
		a := p.Assign[c.First(s)+k]
		if a.Node < 0 {
			out = append(out, "-")
			continue
		}
		out = append(out, fmt.Sprintf("%s@%g", c.M.Devices[a.Node].ID, a.StartS))
	}
	return strings.Join(out, " ")
}

// TestPlanSpreadFallback: when no unused domain has a node with room, an
// instance goes to the node free earliest in a used domain; among the
// nodes free equally early, to the one holding fewer instances of its
// service, then the lowest index (fallbackModel). s#0 takes n0; s#1 finds
// rack B full: n0 (its second slot) and n1 are both free at 0 s, and n1
// holds no s, so s#1 takes n1 at 0 s, the shortage is on n0 and n1, and
// the plan ends at 5 s. With w's two instances on n1 until 10 s, n0 is
// free earlier: s#1 takes n0's second slot at 0 s, the shortage is on n0
// alone, and the plan ends at 10 s (w). A third instance (no w) finds n0
// and n1 equally early (0 s, a slot each) and one s on each: n0, the
// lower index, at 0 s; n1's heap entry, left behind by the scan that
// chose it for s#1, is ranked with the nodes that hold an s.
func TestPlanSpreadFallback(t *testing.T) {
	for _, tc := range []struct {
		busy      bool
		instances int
		want      string // s's instances: node@start
		short     string
		makespan  float64
	}{
		{false, 2, "n0@0 n1@0", "[0 1]", 5},
		{true, 2, "n0@0 n0@0", "[0]", 10},
		{false, 3, "n0@0 n1@0 n0@0", "[0 1]", 5},
	} {
		c := NewCluster(parseModel(t, "fallback.toml", fallbackModel(tc.busy, tc.instances)))
		p := NewPlan(c)
		got := planNodes(c, p, len(c.M.Services)-1)
		if got != tc.want || p.SpreadShort != 1 || fmt.Sprint(p.Shortages[0].Nodes) != tc.short || p.MakespanS != tc.makespan {
			t.Errorf("w on n1 %v, %d instances: got s on %s, shortages %+v, makespan %g s; want %s, on %s, %g s",
				tc.busy, tc.instances, got, p.Shortages, p.MakespanS, tc.want, tc.short, tc.makespan)
		}
	}
}

// tieModel: racks A (n0, n1) and B (n2, n3), nodes of 8 GiB with two
// starts at a time; s (3 instances, 4 GiB, 5 s) spread by rack, then u
// (5 GiB, 5 s) after s. With busy, w (4 instances, 1 GiB, 10 s, placed
// first) is pinned twice to n1 and twice to n3, filling their slots
// until 10 s.
func tieModel(busy bool) string {
	var b strings.Builder
	b.WriteString("[[rack]]\nid = \"A\"\n[[rack]]\nid = \"B\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 8\ncpu_cores = 16\n")
	for _, n := range []struct{ id, rack string }{{"n0", "A"}, {"n1", "A"}, {"n2", "B"}, {"n3", "B"}} {
		fmt.Fprintf(&b, "[[device]]\nid = %q\nrack = %q\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 2\n", n.id, n.rack)
	}
	if busy {
		b.WriteString("[[service]]\nid = \"w\"\ninstances = 4\npinned = [\"n1\", \"n1\", \"n3\", \"n3\"]\nram_gib = 1\nstart = { dist = \"fixed\", s = 10 }\n")
	}
	b.WriteString("[[service]]\nid = \"s\"\ninstances = 3\nspread = \"rack\"\nram_gib = 4\nstart = { dist = \"fixed\", s = 5 }\n")
	b.WriteString("[[service]]\nid = \"u\"\ndepends_on = [\"s\"]\nram_gib = 5\nstart = { dist = \"fixed\", s = 5 }\n")
	return b.String()
}

// TestPlanTieFewerInstances: the same rule holds where the pool's heap
// chooses (tieModel): once every domain is used (or for a service with
// no spread domain, assembled in code), an instance goes to the node free
// earliest, and among those equally early to the one holding fewer
// instances of its service, then the lowest index; the node count never
// outweighs time. Spread by rack: s#0 takes n0, s#1 n2 (rack B); s#2,
// both racks used, finds n0..n3 all free at 0 s and takes n1, which holds
// no s (before the rule: n0, the lowest index). With w on n1 and n3 until
// 10 s, n0 and n2 are free earlier: s#2 takes n0's second slot at 0 s.
// No spread: s#0 n0, s#1 n1 and s#2 n2, all at 0 s; with w, s#1 takes n2
// (free at 0 s; n1 at 10 s) and s#2 n0 at 0 s rather than n1 at 10 s.
// u (5 GiB) then fits only a node without s: n3 at 5 s (s's quorum up),
// or with w n1 at 10 s (n1 and n3 free at 10 s, the lower index; n1, passed
// over for s#2, is back in the pool).
// The second placement pass (release times from the dry run) follows the
// same rule: placing again with the plan's quorum times gives the same
// nodes. The heaps find every node: no instance needs a scan of the pool.
func TestPlanTieFewerInstances(t *testing.T) {
	for _, tc := range []struct {
		spread topology.Domain
		busy   bool
		want   string // s's instances, then u
	}{
		{topology.DomainRack, false, "n0@0 n2@0 n1@0 n3@5"},
		{topology.DomainRack, true, "n0@0 n2@0 n0@0 n1@10"},
		{topology.DomainNone, false, "n0@0 n1@0 n2@0 n3@5"},
		{topology.DomainNone, true, "n0@0 n2@0 n0@0 n1@10"},
	} {
		m := parseModel(t, "tie.toml", tieModel(tc.busy))
		s := len(m.Services) - 2
		m.Services[s].Spread = tc.spread
		c := NewCluster(m)
		nodes := func(p *Plan) string { return planNodes(c, p, s) + " " + planNodes(c, p, s+1) }
		p := NewPlan(c)
		if got := nodes(p); got != tc.want || p.scans != 0 {
			t.Errorf("spread %q, w %v: got s, u on %s, %d scans; want %s, 0", tc.spread, tc.busy, got, p.scans, tc.want)
		}
		if q := place(c, p.readyS, nil); nodes(q) != tc.want || q.scans != 0 {
			t.Errorf("spread %q, w %v, second pass: got s, u on %s, %d scans; want %s, 0", tc.spread, tc.busy, nodes(q), q.scans, tc.want)
		}
	}
}

// TestPlanTieSearchCut: when the nodes holding the service's instances
// that are free earlier than the pool's best take more than the heap
// search's budget (maxPops) to examine, the scan of the pool decides, by
// the same rule. Rack A holds n00..n62 (6 GiB), n63 (10 GiB) and nb
// (16 GiB), two starts at a time; w (2 instances, 1 GiB, 10 s) is pinned
// to nb, filling its slots until 10 s; s (65 instances, 4 GiB, 5 s) is
// spread by rack (one rack: every later instance is in a used domain);
// t (1 GiB) keeps the 2 GiB a node has left after one s worth keeping.
// s#0..s#63 take n00..n63 at 0 s; s#64 fits only n63 (6 GiB left, its
// second slot free at 0 s) and nb (free at 10 s). The search pops nb (the
// pool's best), then n00..n62 in vain: 64 pops, the budget, before n63.
// The scan, the plan's only one, finds n63 at 0 s.
func TestPlanTieSearchCut(t *testing.T) {
	var b strings.Builder
	b.WriteString("[[rack]]\nid = \"A\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 6\ncpu_cores = 64\n")
	dev := func(id, ram string) {
		fmt.Fprintf(&b, "[[device]]\nid = %q\nrack = \"A\"\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 2\nram_gib = %s\n", id, ram)
	}
	for n := range 63 {
		dev(fmt.Sprintf("n%02d", n), "6")
	}
	dev("n63", "10")
	dev("nb", "16")
	b.WriteString("[[service]]\nid = \"w\"\ninstances = 2\npinned = [\"nb\", \"nb\"]\nram_gib = 1\nstart = { dist = \"fixed\", s = 10 }\n")
	b.WriteString("[[service]]\nid = \"s\"\ninstances = 65\nspread = \"rack\"\nram_gib = 4\nstart = { dist = \"fixed\", s = 5 }\n")
	b.WriteString("[[service]]\nid = \"t\"\nram_gib = 1\nstart = { dist = \"fixed\", s = 1 }\n")
	c := NewCluster(parseModel(t, "cut.toml", b.String()))
	p := NewPlan(c)
	got := strings.Fields(planNodes(c, p, 1))
	if p.scans != 1 {
		t.Errorf("got %d scans of the pool, want 1 (s#64)", p.scans)
	}
	for k, g := range got {
		want := fmt.Sprintf("n%02d@0", k)
		if k == 64 {
			want = "n63@0"
		}
		if g != want {
			t.Errorf("s#%d: got %s, want %s", k, g, want)
		}
	}
}

// TestPlanTieAfterScan: a node the scan chooses keeps its heap entry,
// which then holds too few of the service's instances; it is corrected
// before it is compared. Racks A (n0, n1, nb: 8 GiB, three starts at a
// time), B (n2) and C (n3) (1 GiB: too small for s); w (3 instances,
// 1 GiB, 10 s) is pinned to nb, filling its slots until 10 s; s (4
// instances, 2 GiB, 5 s) is spread by rack. s#0 takes n0; s#1 and s#2
// find racks B and C full, and the scan gives each the node of rack A
// holding fewer s, free at 0 s: n1, then n0 (one each, the lower index).
// s#3, every domain used, has nb (10 s) as the pool's best, and n0 (two
// s) and n1 (one) free at 0 s: n1.
func TestPlanTieAfterScan(t *testing.T) {
	var b strings.Builder
	b.WriteString("[[rack]]\nid = \"A\"\n[[rack]]\nid = \"B\"\n[[rack]]\nid = \"C\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 8\ncpu_cores = 16\n")
	for _, n := range []struct{ id, rack, ram string }{{"n0", "A", "8"}, {"n1", "A", "8"}, {"nb", "A", "8"}, {"n2", "B", "1"}, {"n3", "C", "1"}} {
		fmt.Fprintf(&b, "[[device]]\nid = %q\nrack = %q\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 3\nram_gib = %s\n", n.id, n.rack, n.ram)
	}
	b.WriteString("[[service]]\nid = \"w\"\ninstances = 3\npinned = [\"nb\", \"nb\", \"nb\"]\nram_gib = 1\nstart = { dist = \"fixed\", s = 10 }\n")
	b.WriteString("[[service]]\nid = \"s\"\ninstances = 4\nspread = \"rack\"\nram_gib = 2\nstart = { dist = \"fixed\", s = 5 }\n")
	c := NewCluster(parseModel(t, "after-scan.toml", b.String()))
	p := NewPlan(c)
	if got, want := planNodes(c, p, 1), "n0@0 n1@0 n0@0 n1@0"; got != want || p.MakespanS != 10 {
		t.Errorf("got s on %s, makespan %g s; want %s, 10 s", got, p.MakespanS, want)
	}
}
