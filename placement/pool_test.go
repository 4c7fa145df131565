package placement

import (
	"fmt"
	"strings"
	"testing"
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
// rack B holds n2 (2 GiB); s (4 GiB, 5 s) has two instances spread by
// rack. Only rack A has room for s, so its second instance shares the
// first one's rack. With busy, the two instances of w (1 GiB, 10 s,
// longer than s: placed first) are pinned to n1 and fill both its slots
// until 10 s.
func fallbackModel(busy bool) string {
	var b strings.Builder
	b.WriteString("[[rack]]\nid = \"A\"\n[[rack]]\nid = \"B\"\n[[device_model]]\nid = \"m\"\npeak_w = 100\nram_gib = 8\ncpu_cores = 16\n")
	for _, n := range []struct{ id, rack, ram string }{{"n0", "A", "8"}, {"n1", "A", "8"}, {"n2", "B", "2"}} {
		fmt.Fprintf(&b, "[[device]]\nid = %q\nrack = %q\nmodel = \"m\"\nfeeds = [\"\"]\nstart_concurrency = 2\nram_gib = %s\n", n.id, n.rack, n.ram)
	}
	if busy {
		b.WriteString("[[service]]\nid = \"w\"\ninstances = 2\npinned = [\"n1\", \"n1\"]\nram_gib = 1\nstart = { dist = \"fixed\", s = 10 }\n")
	}
	b.WriteString("[[service]]\nid = \"s\"\ninstances = 2\nspread = \"rack\"\nram_gib = 4\nstart = { dist = \"fixed\", s = 5 }\n")
	return b.String()
}

// TestPlanSpreadFallback: when no unused domain has a node with room, an
// instance goes to the node free earliest in a used domain, the lowest
// index on a tie (fallbackModel). s#0 takes n0; s#1 finds rack B full and
// takes n0's second slot at 0 s: n1 is free at 0 s too (a tie: n0, the
// lower index) or, with w's two instances on it, at 10 s. Either way the
// plan reports the shortage on n0 alone and ends at 5 s (10 s with w).
func TestPlanSpreadFallback(t *testing.T) {
	for _, busy := range []bool{false, true} {
		c := NewCluster(parseModel(t, "fallback.toml", fallbackModel(busy)))
		p := NewPlan(c)
		s := c.First(len(c.M.Services) - 1)
		want := 5.0
		if busy {
			want = 10
		}
		a, b := p.Assign[s], p.Assign[s+1]
		if a.Node != 0 || b.Node != 0 || b.StartS != 0 || p.SpreadShort != 1 || fmt.Sprint(p.Shortages[0].Nodes) != "[0]" || p.MakespanS != want {
			t.Errorf("w on n1 %v: got s on n%d and n%d (at %g s), shortages %+v, makespan %g s; want n0 and n0 (at 0 s), on [0], %g s",
				busy, a.Node, b.Node, b.StartS, p.Shortages, p.MakespanS, want)
		}
	}
}
