package placement

import "testing"

// usageModel: two single-corded nodes (4 cores, 100 W a busy core), each
// alone behind a 2 A breaker: 0.8 × 2 A × 230 V = 368 W. n1 idles at
// 100 W; n2 at 400 W, over its breaker's limit before anything starts.
// Service half asks 2 cores (+200 W on either node), idle none.
const usageModel = `[site]
name = "usage"
continuous_limit = 0.8
power_factor = 1.0
[[source]]
id = "util"
voltage_v = 230
[[breaker]]
id = "brk1"
input = "util"
standard = "iec60898"
curve = "C"
rating_a = 2
[[breaker]]
id = "brk2"
input = "util"
standard = "iec60898"
curve = "C"
rating_a = 2
[[circuit]]
id = "cir1"
input = "brk1"
[[circuit]]
id = "cir2"
input = "brk2"
[[rack]]
id = "r"
[[device_model]]
id = "cool"
psus = 1
idle_w = 100
peak_w = 500
ram_gib = 64
cpu_cores = 4
[[device_model]]
id = "hot"
psus = 1
idle_w = 400
peak_w = 800
ram_gib = 64
cpu_cores = 4
[[device]]
id = "n1"
rack = "r"
model = "cool"
feeds = ["cir1"]
[[device]]
id = "n2"
rack = "r"
model = "hot"
feeds = ["cir2"]
[[service]]
id = "half"
instances = 2
cpu_cores = 2
ram_gib = 1
start = { dist = "fixed", s = 10 }
[[service]]
id = "idle"
ram_gib = 1
start = { dist = "fixed", s = 10 }
`

// TestUsageRemoveRestoresBudget: removing an instance takes its draw off
// the budget's loads as adding it put it on. On n1 (100 W idle, 368 W
// limit) one half instance fits (300 W), a second does not (500 W); with
// the first removed the load is 100 W again and the second fits.
func TestUsageRemoveRestoresBudget(t *testing.T) {
	c := NewCluster(parseModel(t, "usage.toml", usageModel))
	if c.budget == nil {
		t.Fatal("the case wants a power budget")
	}
	u := newUsage(c)
	if ok, why := u.fits(0, 0); !ok {
		t.Fatalf("half#0 on idle n1 (300 W of 368 W): refused (%s)", why)
	}
	u.add(0, 0)
	if ok, why := u.fits(0, 1); ok || why != reasonPower {
		t.Fatalf("half#1 beside half#0 on n1 (500 W of 368 W): fits %v (%q), want refused for power", ok, why)
	}
	u.remove(0, 0)
	if u.drawW[0] != 100 {
		t.Errorf("n1's draw after the removal: %g W, want its idle 100 W", u.drawW[0])
	}
	if ok, why := u.fits(0, 1); !ok {
		t.Errorf("half#1 on n1 after half#0 is removed (300 W of 368 W): refused (%s)", why)
	}
}

// TestFitsNoExtraDraw: an instance that adds no draw cannot put a limit
// over, so power never refuses it, even on a node whose breaker is over
// at idle. n2 idles at 400 W behind a 368 W limit: half (+200 W) is
// refused there for power, idle (no cores, +0 W) fits. A plan with idle
// pinned to n2 places it there, half#0 on n1 (300 W) and half#1 nowhere
// (500 W on n1, 600 W on n2).
func TestFitsNoExtraDraw(t *testing.T) {
	m := parseModel(t, "usage.toml", usageModel)
	c := NewCluster(m)
	u := newUsage(c)
	if ok, why := u.fits(1, 0); ok || why != reasonPower {
		t.Fatalf("half#0 on n2 (600 W of 368 W): fits %v (%q), want refused for power", ok, why)
	}
	if ok, why := u.fits(1, 2); !ok {
		t.Errorf("idle#0 on n2 (+0 W): refused (%s)", why)
	}
	m.Services[1].Pinned = []int32{1}
	p := NewPlan(NewCluster(m))
	if p.Assign[0].Node != 0 || p.Assign[2].Node != 1 || len(p.Unplaced) != 1 || p.Unplaced[0].Instance != 1 {
		t.Errorf("half#0 on node %d, idle#0 (pinned to n2) on %d, unplaced %v; want n1 (0), n2 (1), only half#1", p.Assign[0].Node, p.Assign[2].Node, p.Unplaced)
	}
}
