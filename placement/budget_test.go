package placement

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"blackstart/power"
	"blackstart/topology"
)

// TestPlanKeepsFailoverSafe: the planner takes its power budget from the
// power package (one rule: power.Budget). Run the N-1 sweep with every
// device at the plan's end-state draw and again with every device idle:
// no scenario ends worse, and no element is overloaded that was not, at
// least as badly, at idle. Checked on random platforms (single-phase),
// examples/small-dc (three-phase wye with line-to-neutral banks, a 208 V
// rack with line-to-line banks) and the incident-scale platform.
func TestPlanKeepsFailoverSafe(t *testing.T) {
	type model struct {
		name string
		m    *topology.Model
	}
	var models []model
	seeds, wantRaised := uint64(150), 500
	if testing.Short() {
		seeds, wantRaised = 30, 200 // 310 here; mutation testing's fast first stage
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x706c616e))
		name := fmt.Sprintf("random-%d", seed)
		models = append(models, model{name, parseModel(t, name, randomPlatform(r))})
	}
	sm, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	models = append(models, model{"small-dc", sm}, model{"platform-2019", loadTestdata(t, "../../examples/platform-2019.toml")})
	raised := 0
	for _, x := range models {
		c := NewCluster(x.m)
		p := NewPlan(c)
		idle := c.IdleW()
		for d := range idle {
			if p.DrawW[d] > idle[d]+1e-9 {
				raised++
			}
		}
		idleNet := power.NewNetworkDraws(x.m, power.BasisConservative, idle)
		if safe, _ := idleNet.N1Safe(nil); safe {
			if safe, over := power.NewNetworkDraws(x.m, power.BasisConservative, p.DrawW).N1Safe(nil); !safe {
				t.Fatalf("%s: safe at idle, but the plan's draws put %v over", x.name, over)
			}
		}
		a := idleNet.Sweep(power.SweepOptions{})
		b := power.NewNetworkDraws(x.m, power.BasisConservative, p.DrawW).Sweep(power.SweepOptions{})
		before := map[string]power.Scenario{}
		for _, sc := range a.Scenarios {
			before[sc.Failed[0]] = sc
		}
		for _, sc := range b.Scenarios {
			was := before[sc.Failed[0]]
			if sc.Outcome > was.Outcome {
				t.Fatalf("%s, failure of %s: outcome %s at the plan's draws, %s at idle", x.name, sc.Failed[0], sc.Outcome, was.Outcome)
			}
			idleOver := map[string]power.Verdict{}
			for _, o := range was.Overloads {
				idleOver[o.Element] = o.Verdict
			}
			for _, o := range sc.Overloads {
				if v, ok := idleOver[o.Element]; !ok || o.Verdict > v {
					t.Fatalf("%s, failure of %s: %s %s at %.3f A at the plan's draws (at idle: %v)", x.name, sc.Failed[0], o.Element, o.Verdict, o.CurrentA, v)
				}
			}
		}
	}
	if raised < wantRaised {
		t.Errorf("only %d devices draw more at the plan's end than idle: the property is not exercised", raised)
	}
	t.Logf("%d devices draw more at the plan's end than idle", raised)
}

// TestPlanPhasorBudget: DESIGN.md's 208 V case as a restart. Three nodes
// on line-to-line banks idle at 3,000 W (L1-L2), 2,000 W (L2-L3) and
// 1,000 W (L3-L1) behind a 30 A breaker (24 A continuous per line). A
// service pinned to the L2-L3 node would take it to its 3,300 W peak:
// I_L2 = |15.87∠−90° − 14.42∠30°| = 26.24 A > 24 A. The balanced budget
// the planner used before (0.8 × 30 A × 208 V × √3 = 8,646 W for the
// 7,300 W total) would have placed it; the line budget refuses, and says
// why. Pinned to the L3-L1 node instead (1,000 → 2,300 W: I_L1 =
// |14.42∠30° − 11.06∠150°| = 22.13 A), it fits.
func TestPlanPhasorBudget(t *testing.T) {
	model := func(pin string) string {
		return `[site]
name = "phasor"
power_factor = 1.0
[[source]]
id = "utility"
voltage_v = 208
phases = 3
[[breaker]]
id = "brk"
input = "utility"
standard = "ul489"
rating_a = 30
[[circuit]]
id = "cir"
input = "brk"
[[rack]]
id = "r1"
[[rack_pdu]]
id = "pdu"
rack = "r1"
input = "cir"
  [[rack_pdu.bank]]
  id = "b12"
  line = "L1-L2"
  standard = "ul489"
  rating_a = 50
  [[rack_pdu.bank]]
  id = "b23"
  line = "L2-L3"
  standard = "ul489"
  rating_a = 50
  [[rack_pdu.bank]]
  id = "b31"
  line = "L3-L1"
  standard = "ul489"
  rating_a = 50
[[device_model]]
id = "m3000"
psus = 1
idle_w = 3000
peak_w = 3000
cpu_cores = 10
ram_gib = 64
[[device_model]]
id = "m2000"
psus = 1
idle_w = 2000
peak_w = 3300
cpu_cores = 10
ram_gib = 64
[[device_model]]
id = "m1000"
psus = 1
idle_w = 1000
peak_w = 2300
cpu_cores = 10
ram_gib = 64
[[device]]
id = "n12"
rack = "r1"
model = "m3000"
feeds = ["b12"]
[[device]]
id = "n23"
rack = "r1"
model = "m2000"
feeds = ["b23"]
[[device]]
id = "n31"
rack = "r1"
model = "m1000"
feeds = ["b31"]
[[service]]
id = "db"
instances = 1
cpu_cores = 10
ram_gib = 8
pinned = ["` + pin + `"]
start = { dist = "fixed", s = 10 }
`
	}
	p := NewPlan(NewCluster(parseModel(t, "phasor-n23", model("n23"))))
	if len(p.Unplaced) != 1 || !strings.HasSuffix(p.Unplaced[0].Reason, reasonPower) {
		t.Fatalf("pinned to n23: got unplaced %+v, want db#0 refused for power (I_L2 26.24 A > 24 A)", p.Unplaced)
	}
	if balanced := 0.8 * 30 * 208 * 1.7320508 * 1.0; 3000+3300+1000 > balanced {
		t.Fatalf("setup: 7,300 W is over the balanced budget %.0f W", balanced)
	}
	p = NewPlan(NewCluster(parseModel(t, "phasor-n31", model("n31"))))
	if len(p.Unplaced) != 0 || p.DrawW[2] != 2300 {
		t.Fatalf("pinned to n31: got unplaced %+v, draw %g W; want placed at 2,300 W", p.Unplaced, p.DrawW[2])
	}
}

// TestNewClusterOn: a cluster built on a network the caller already has
// (NewClusterOn, as the failover's naming of dark instances does) is the
// cluster NewCluster builds, whatever the network's basis and draws: the
// budget's failover loads agree on every element to the bit, and the plan
// places every instance on the same node, with the same reasons for those
// it cannot place.
func TestNewClusterOn(t *testing.T) {
	models := map[string]*topology.Model{
		"spread-shared-budget": loadTestdata(t, "spread-shared-budget.toml"),
	}
	if !testing.Short() { // mutation testing's fast first stage goes without the platform
		models["platform-2019"] = loadTestdata(t, "../../examples/platform-2019.toml")
	}
	sm, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	models["small-dc"] = sm
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x6f6e))
		name := fmt.Sprintf("random-%d", seed)
		models[name] = parseModel(t, name, randomPlatform(r))
	}
	budgeted := 0 // loaded elements the budgets test, over every model
	for name, m := range models {
		want := NewCluster(m)
		wantPlan := NewPlan(want)
		odd := make([]float64, len(m.Devices)) // draws no basis gives
		for d := range odd {
			odd[d] = float64(d%7) * 113
		}
		nets := map[string]*power.Network{
			"conservative": power.NewNetwork(m, power.BasisConservative),
			"typical":      power.NewNetwork(m, power.BasisTypical),
			"odd draws":    power.NewNetworkDraws(m, power.BasisNameplate, odd),
		}
		for nn, n := range nets {
			got := NewClusterOn(n)
			if (got.budget == nil) != (want.budget == nil) {
				t.Fatalf("%s on %s: budget %v, NewCluster's %v", name, nn, got.budget != nil, want.budget != nil)
			}
			if want.budget != nil {
				peak := make([]float64, len(m.Devices))
				for d := range peak {
					peak[d] = want.nodes[d].peakW
				}
				gl, wl := got.budget.Load(peak), want.budget.Load(peak)
				for e := range m.Elements {
					g, gok := gl.Headroom(e)
					w, wok := wl.Headroom(e)
					if g != w || gok != wok {
						t.Fatalf("%s on %s: element %s at peak draws %v (%v), NewCluster's %v (%v)", name, nn, m.Elements[e].ID, g, gok, w, wok)
					}
					if wok && w > 0 && nn == "conservative" {
						budgeted++
					}
				}
			}
			p := NewPlan(got)
			for i := range p.Assign {
				if p.Assign[i] != wantPlan.Assign[i] {
					t.Fatalf("%s on %s: instance %s on %+v, NewCluster's plan %+v", name, nn, got.Name(i), p.Assign[i], wantPlan.Assign[i])
				}
			}
			if fmt.Sprint(p.Unplaced) != fmt.Sprint(wantPlan.Unplaced) {
				t.Fatalf("%s on %s: unplaced %v, NewCluster's plan %v", name, nn, p.Unplaced, wantPlan.Unplaced)
			}
		}
	}
	if budgeted < 10 {
		t.Errorf("the budgets test %d loaded elements: the budget's part is not exercised", budgeted)
	}
	t.Logf("the budgets test %d loaded elements", budgeted)
}
