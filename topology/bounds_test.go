package topology

import (
	"strings"
	"testing"
)

// TestAcceptedAtTheLimits loads a model that sits exactly on every
// inclusive limit of the loader (the bad-input cases pin the other side):
// psus 1 and 16 with psus_required = psus, idle_w = peak_w, u_height 1 and
// 100, a UPS whose kW equals its kVA and one with kW alone, a voltage 2 % off its supply, a
// transfer switch whose inputs differ by 2 % (either preferred), a two-input rack PDU,
// draw_unknown without figures, ready_quorum 1 and = instances, min_spread
// 0 and = instances, written tier 0 and = its dependency's + 1, gpu_milli 1
// and a share of one GPU, gpu_milli 1000 with two GPUs, a uniform start with
// min = max, a lognormal one with p90 = median, and the largest int32.
// It also pins what a device inherits from its model and what it
// overrides, the order of elements (topological, ties in the order
// read) and of services inside a tier, and the pins a
// pinned_cycle gives each member of a group.
func TestAcceptedAtTheLimits(t *testing.T) {
	m := parse(t, `
[[source]]
id = "u1"
voltage_v = 400
phases = 3
[[source]]
id = "u2"
voltage_v = 408
phases = 3
[[ups]]
id = "ups"
input = "u1"
capacity_kva = 10
capacity_kw = 10
[[ups]]
id = "ups-kw"
input = "u2"
capacity_kw = 8
[[ats]]
id = "ats"
inputs = ["u1", "u2"]
[[ats]]
id = "ats-2"
inputs = ["u1", "u2"]
preferred = "u2"
[[circuit]]
id = "c"
input = "u1"
voltage_v = 408
[[circuit]]
id = "c2"
input = "u2"
[[rack]]
id = "r"
[[rack_pdu]]
id = "pdu"
rack = "r"
inputs = ["c", "c2"]
[[device_model]]
id = "m16"
psus = 16
psus_required = 16
typical_w = 100
u_height = 100
[[device_model]]
id = "m1"
psus = 1
psus_required = 1
idle_w = 200
peak_w = 200
u_height = 1
cpu_cores = 8
gpus = 4
start_concurrency = 3
[[device_model]]
id = "unknown"
draw_unknown = true
[[device]]
id = "d1"
rack = "r"
model = "m1"
feeds = ["c"]
[[device]]
id = "d2"
rack = "r"
model = "m1"
feeds = ["c"]
cpu_cores = 2
gpus = 1
start_concurrency = 1
[[device]]
id = "d3"
rack = "r"
model = "m1"
feeds = ["c"]
[[service]]
id = "a"
instances = 3
ready_quorum = 3
min_spread = 3
tier = 0
start = { dist = "uniform", min_s = 5, max_s = 5 }
[[service]]
id = "b"
instances = 2
ready_quorum = 1
min_spread = 0
gpus = 1
gpu_milli = 1
start = { dist = "lognormal", median_s = 7, p90_s = 7 }
[[service]]
id = "c1"
gpus = 2
gpu_milli = 1000
[[service]]
id = "d"
gpus = 1
gpu_milli = 500
[[service]]
id = "t1"
depends_on = ["a"]
tier = 1
[[service]]
id = "far"
tier = 2147483647
[[service]]
id = "g-%d"
count = 2
instances = 2
pinned_cycle = ["d1", "d2", "d3"]
`)
	// Elements in topological order, ties in the order read (kind by kind:
	// sources, UPSes, panels, breakers, circuits, transfer switches, rack
	// PDUs; each in definition order).
	var els []string
	for _, e := range m.Elements {
		els = append(els, e.ID)
	}
	if got := strings.Join(els, " "); got != "u1 u2 ups ups-kw c c2 ats ats-2 pdu" {
		t.Errorf("element order: got %s, want u1 u2 ups ups-kw c c2 ats ats-2 pdu", got)
	}
	models := map[string]DeviceModel{}
	for _, dm := range m.DeviceModels {
		models[dm.ID] = dm
	}
	if dm := models["m16"]; dm.PSUs != 16 || dm.PSUsRequired != 16 || dm.UHeight != 100 {
		t.Errorf("m16: got %d PSUs, %d required, %d U; want 16, 16, 100", dm.PSUs, dm.PSUsRequired, dm.UHeight)
	}
	if dm := models["m1"]; dm.PSUs != 1 || dm.PSUsRequired != 1 || dm.IdleW != 200 || dm.PeakW != 200 || dm.UHeight != 1 {
		t.Errorf("m1: got %d PSUs, %d required, idle %g W, peak %g W, %d U; want 1, 1, 200 W, 200 W, 1", dm.PSUs, dm.PSUsRequired, dm.IdleW, dm.PeakW, dm.UHeight)
	}
	if !models["unknown"].DrawUnknown {
		t.Errorf("draw_unknown model: DrawUnknown false")
	}
	if e := element(t, m, "ups"); e.CapacityVA != 10000 || e.CapacityW != 10000 {
		t.Errorf("ups: got %g VA, %g W; want 10000, 10000", e.CapacityVA, e.CapacityW)
	}
	if e := element(t, m, "ups-kw"); e.CapacityVA != 0 || e.CapacityW != 8000 {
		t.Errorf("ups-kw: got %g VA, %g W; want 0 (not given), 8000", e.CapacityVA, e.CapacityW)
	}
	if e := element(t, m, "ats-2"); e.Preferred != 1 || e.VoltageV != 408 {
		t.Errorf("ats-2: got preferred input %d at %g V, want 1 (u2) at 408 V", e.Preferred, e.VoltageV)
	}
	if e := element(t, m, "pdu"); len(e.Inputs) != 2 {
		t.Errorf("pdu: got %d inputs, want 2", len(e.Inputs))
	}
	want := map[string][3]float64{"d1": {8, 4, 3}, "d2": {2, 1, 1}} // cores, GPUs, start concurrency
	for _, d := range m.Devices {
		if w, ok := want[d.ID]; ok && (d.CPUCores != w[0] || float64(d.GPUs) != w[1] || float64(d.StartConcurrency) != w[2]) {
			t.Errorf("device %s: got %g cores, %d GPUs, start concurrency %d; want %g, %g, %g (d1 the model's, d2 its own)", d.ID, d.CPUCores, d.GPUs, d.StartConcurrency, w[0], w[1], w[2])
		}
	}
	var ids []string
	svc := map[string]*Service{}
	for i := range m.Services {
		s := &m.Services[i]
		ids = append(ids, s.ID)
		svc[s.ID] = s
	}
	// Tier 0 in definition order, then t1 (tier 1), then far.
	if got := strings.Join(ids, " "); got != "a b c1 d g-1 g-2 t1 far" {
		t.Errorf("service order: got %s, want a b c1 d g-1 g-2 t1 far", got)
	}
	if s := svc["a"]; s.ReadyQuorum != 3 || s.MinSpread != 3 || s.Tier != 0 || s.Start != (Dist{Kind: "uniform", MinS: 5, MaxS: 5}) {
		t.Errorf("a: got quorum %d, min_spread %d, tier %d, start %+v; want 3, 3, 0, uniform 5..5 s", s.ReadyQuorum, s.MinSpread, s.Tier, s.Start)
	}
	if s := svc["b"]; s.ReadyQuorum != 1 || s.MinSpread != 0 || s.GPUMilli != 1 || s.Start.MedianS != 7 || s.Start.P90S != 7 {
		t.Errorf("b: got quorum %d, min_spread %d, gpu_milli %d, start %+v; want 1, 0, 1, lognormal 7/7 s", s.ReadyQuorum, s.MinSpread, s.GPUMilli, s.Start)
	}
	if c, d := svc["c1"], svc["d"]; c.GPUs != 2 || c.GPUMilli != 1000 || d.GPUs != 1 || d.GPUMilli != 500 {
		t.Errorf("c1, d: got %d GPUs × %d, %d GPUs × %d; want 2 × 1000, 1 × 500", c.GPUs, c.GPUMilli, d.GPUs, d.GPUMilli)
	}
	if s := svc["t1"]; s.Tier != 1 {
		t.Errorf("t1: got tier %d, want 1", s.Tier)
	}
	if s := svc["far"]; s.Tier != 2147483647 {
		t.Errorf("far: got tier %d, want 2147483647", s.Tier)
	}
	// The cycle runs on over the members: g-1 gets d1 d2, g-2 d3 d1.
	for id, w := range map[string]string{"g-1": "d1 d2", "g-2": "d3 d1"} {
		var pins []string
		for _, p := range svc[id].Pinned {
			pins = append(pins, m.Devices[p].ID)
		}
		if got := strings.Join(pins, " "); got != w {
			t.Errorf("%s: pinned to %s, want %s", id, got, w)
		}
	}
}

// TestOutOfRangeMessages pins the messages of values just past a limit
// that another check would also catch: an int below the int32 range is
// out of range (not a negative tier), a dependency's tier names the first
// of two dependencies of the same tier, a group of one device is named by
// its member, an entry of pinned_cycle that no instance reaches is checked,
// and a start whose dist is of the wrong type is reported once.
func TestOutOfRangeMessages(t *testing.T) {
	head := "[[source]]\nid = \"u\"\nvoltage_v = 230\n"
	for _, c := range []struct{ text, want string }{
		{"[[service]]\nid = \"s\"\ntier = -2147483649\n", "tier: integer -2147483649 is out of range"},
		{"[[service]]\nid = \"s\"\ntier = -2147483648\n", "tier must be >= 0, got -2147483648"},
		{"[[service]]\nid = \"s\"\ntier = 2147483648\n", "tier: integer 2147483648 is out of range"},
		{"[[service]]\nid = \"x\"\n[[service]]\nid = \"y\"\n[[service]]\nid = \"s\"\ndepends_on = [\"x\", \"y\"]\ntier = 0\n", `tier = 0, but "s" depends on "x" of tier 0`},
		// An entry of pinned_cycle that no instance reaches is checked too.
		{"[[rack]]\nid = \"r\"\n[[service]]\nid = \"s\"\npinned_cycle = [\"d1\", \"r\"]\n", `pinned node "r" is a rack, not a device`},
		// A group of one is named by its member, not its pattern.
		{"[[circuit]]\nid = \"c\"\ninput = \"u\"\n[[device_model]]\nid = \"m\"\ntypical_w = 10\n[[device]]\nid = \"n-%d\"\ncount = 1\nmodel = \"m\"\nfeeds = [\"c\"]\n", `device "n-1" must name its rack`},
	} {
		_, err := Parse(File{Name: "m.toml", Data: []byte(head + c.text)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.text, err, c.want)
		}
	}
	_, err := Parse(File{Name: "m.toml", Data: []byte(head + "[[service]]\nid = \"s\"\nstart = { dist = 5 }\n")})
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), "dist") {
		t.Errorf("start = { dist = 5 }: got %v, want one error about dist", err)
	}
}

// TestSuggest pins the typo suggestion: the known key at the least edit
// distance (at most 2), the first in name order on a tie.
func TestSuggest(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"kitten", "sitting", 3}, {"psu", "psus", 1}, {"psus", "psu", 1}, {"", "ab", 2}, {"ab", "", 2}, {"rating_a", "rating_a", 0}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
	fields := map[string]int{"ad": 0, "ac": 1, "rating_a": 2}
	for k, want := range map[string]string{"ab": "ac", "ratng_a": "rating_a", "zzzz": ""} {
		if got := suggest(k, fields); got != want {
			t.Errorf("suggest(%q) = %q, want %q", k, got, want)
		}
	}
}

// TestPinnedCycleAtTheLimit: a pinned_cycle may pin exactly MaxInstances
// instances in all (5 members of 100,000), one more is refused
// (testdata/bad/pinned-cycle-huge.toml).
func TestPinnedCycleAtTheLimit(t *testing.T) {
	m := parse(t, `
[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "m"
typical_w = 10
[[device]]
id = "d1"
rack = "r"
model = "m"
feeds = ["c"]
[[service]]
id = "s-%d"
count = 5
instances = 100000
pinned_cycle = ["d1"]
`)
	pins := 0
	for _, s := range m.Services {
		pins += len(s.Pinned)
	}
	if pins != MaxInstances || MaxInstances != 500_000 {
		t.Errorf("got %d pins (MaxInstances %d), want 500000", pins, MaxInstances)
	}
}

// TestElementFieldsRead: a source's and a UPS's capacities (kVA and kW to
// VA and W), a transfer switch's transfer_ms, and a breaker's poles at
// both ends of 1..4 are read into the model as written (0 ms when
// transfer_ms is not given).
func TestElementFieldsRead(t *testing.T) {
	m := parse(t, `
[[source]]
id = "u"
voltage_v = 400
phases = 3
capacity_kva = 500
capacity_kw = 400
[[ups]]
id = "ups"
input = "u"
capacity_kva = 20
capacity_kw = 18
[[ats]]
id = "ats"
inputs = ["u", "ups"]
transfer_ms = 16
[[ats]]
id = "ats-0"
inputs = ["u", "ups"]
[[breaker]]
id = "b1"
input = "ats"
standard = "iec60898"
curve = "C"
rating_a = 16
poles = 1
[[breaker]]
id = "b4"
input = "ats-0"
standard = "iec60898"
curve = "C"
rating_a = 16
poles = 4
`)
	for _, c := range []struct {
		id    string
		va, w float64
		ms    float64
		poles int
	}{{"u", 500_000, 400_000, 0, 0}, {"ups", 20_000, 18_000, 0, 0}, {"ats", 0, 0, 16, 0}, {"ats-0", 0, 0, 0, 0}} {
		e := element(t, m, c.id)
		if e.CapacityVA != c.va || e.CapacityW != c.w || e.TransferMS != c.ms {
			t.Errorf("%s: capacity %g VA, %g W, transfer %g ms; want %g VA, %g W, %g ms", c.id, e.CapacityVA, e.CapacityW, e.TransferMS, c.va, c.w, c.ms)
		}
	}
	if p1, p4 := element(t, m, "b1").Poles, element(t, m, "b4").Poles; p1 != 1 || p4 != 4 {
		t.Errorf("poles %d and %d, want 1 and 4 as written", p1, p4)
	}
}
