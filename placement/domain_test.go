package placement

import (
	"slices"
	"testing"

	"blackstart/topology"
)

// feedDomainModel is a site whose feed domains are worked out by hand:
// source u (element 0) feeds panel p and circuit c3 directly; p feeds
// circuits c1 and c2. Node n1 is dual-corded on c1 and c2, n2 single on
// c1, n3 dual on c1 and c3, n4 single on c3. The panels above each node
// (a source when no panel lies between it and a PSU) are n1 {p}, n2 {p},
// n3 {p, u}, n4 {u}: three feed domains, n1 and n2 sharing one. Service
// sa (role a: n1, n2) and sb (role b: n3, n4) have two instances each,
// spread by feed.
const feedDomainModel = `[[source]]
id = "u"
voltage_v = 230
[[panel]]
id = "p"
input = "u"
[[circuit]]
id = "c1"
input = "p"
[[circuit]]
id = "c2"
input = "p"
[[circuit]]
id = "c3"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "dual"
psus = 2
peak_w = 100
ram_gib = 64
cpu_cores = 16
[[device_model]]
id = "single"
psus = 1
peak_w = 100
ram_gib = 64
cpu_cores = 16
[[device]]
id = "n1"
rack = "r"
model = "dual"
feeds = ["c1", "c2"]
role = "a"
[[device]]
id = "n2"
rack = "r"
model = "single"
feeds = ["c1"]
role = "a"
[[device]]
id = "n3"
rack = "r"
model = "dual"
feeds = ["c1", "c3"]
role = "b"
[[device]]
id = "n4"
rack = "r"
model = "single"
feeds = ["c3"]
role = "b"
[[service]]
id = "sa"
role = "a"
instances = 2
spread = "feed"
start = { dist = "fixed", s = 10 }
[[service]]
id = "sb"
role = "b"
instances = 2
spread = "feed"
start = { dist = "fixed", s = 10 }
`

// TestFeedDomain: a node's feed domain is the set of panels above its
// PSUs (docs/restart.md), a source standing in where no panel lies
// between: a node with both PSUs under the same panel (n1: {p}) shares
// its domain with a single-corded node under that panel (n2), so a
// service spread by feed over the two is short of domains (a failure of
// p takes both); a PSU fed from the source directly (element 0, through
// c3 alone) counts the source, so n3 {p, u} and n4 {u} are domains of
// their own and sb's two instances on them are not short.
func TestFeedDomain(t *testing.T) {
	m := parseModel(t, "feeddomain.toml", feedDomainModel)
	if m.Elements[0].ID != "u" {
		t.Fatalf("element 0 is %q, want the source u (the case needs the walk to reach element 0)", m.Elements[0].ID)
	}
	c := NewCluster(m)
	dom := make([]int32, len(m.Devices))
	for n := range dom {
		dom[n] = c.domain(int32(n), topology.DomainFeed)
	}
	if dom[0] != dom[1] {
		t.Errorf("n1 (c1, c2 under p) and n2 (c1 under p): feed domains %d and %d, want the same ({p})", dom[0], dom[1])
	}
	if dom[2] == dom[0] || dom[3] == dom[0] || dom[2] == dom[3] {
		t.Errorf("feed domains of n1..n4 = %v, want n3 {p, u} and n4 {u} distinct from {p} and each other", dom)
	}

	p := NewPlan(c)
	if len(p.Unplaced) != 0 {
		t.Fatalf("unplaced: %v", p.Unplaced)
	}
	if p.SpreadShort != 1 || len(p.Shortages) != 1 || p.Shortages[0].Service != 0 {
		t.Errorf("spread shortages %d %+v, want 1: service sa (its pool n1, n2 is one feed domain, {p})", p.SpreadShort, p.Shortages)
	}
	if got := []int32{p.Assign[2].Node, p.Assign[3].Node}; !slices.Equal(got, []int32{2, 3}) && !slices.Equal(got, []int32{3, 2}) {
		t.Errorf("sb's instances on nodes %v, want n3 and n4 (two feed domains)", got)
	}
}
