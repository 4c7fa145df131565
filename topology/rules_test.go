package topology

import (
	"math"
	"testing"
)

// parse loads one model file given as text.
func parse(t *testing.T, text string) *Model {
	t.Helper()
	m, err := Parse(File{Name: "m.toml", Data: []byte(text)})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func element(t *testing.T, m *Model, id string) *Element {
	t.Helper()
	i, ok := m.ElementIndex(id)
	if !ok {
		t.Fatalf("element %q not in the model", id)
	}
	return &m.Elements[i]
}

// TestSiteDefaults pins the defaults a model gets when its [site] says
// nothing: 80 % continuous limit (NEC 210.19/210.20), power factor 1,
// 50 Hz; an element without continuous_limit takes the site's, and a
// site's or an element's own value replaces it.
func TestSiteDefaults(t *testing.T) {
	m := parse(t, `
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
`)
	if m.Site.ContinuousLimit != 0.8 || m.Site.PowerFactor != 1 || m.Site.FrequencyHz != 50 {
		t.Errorf("site defaults: got continuous %g, PF %g, %g Hz; want 0.8, 1, 50 Hz", m.Site.ContinuousLimit, m.Site.PowerFactor, m.Site.FrequencyHz)
	}
	if b := element(t, m, "b"); b.ContinuousLimit != 0.8 || b.PowerFactor != 1 {
		t.Errorf("breaker: got continuous %g, PF %g; want the site's 0.8 and 1", b.ContinuousLimit, b.PowerFactor)
	}
	if u := element(t, m, "u"); u.Type != "utility" || u.Phases != 1 || u.Wiring != WiringNone {
		t.Errorf("source: got type %q, %d phases, wiring %v; want utility, 1 phase, none", u.Type, u.Phases, u.Wiring)
	}

	m = parse(t, `
[site]
continuous_limit = 0.9
power_factor = 0.95
frequency_hz = 60
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "b-site"
input = "u"
standard = "ul489"
rating_a = 20
[[breaker]]
id = "b-own"
input = "u"
standard = "ul489"
rating_a = 20
continuous_limit = 1.0
`)
	if m.Site.ContinuousLimit != 0.9 || m.Site.PowerFactor != 0.95 || m.Site.FrequencyHz != 60 {
		t.Errorf("site: got %g, %g, %g Hz; want 0.9, 0.95, 60 Hz as written", m.Site.ContinuousLimit, m.Site.PowerFactor, m.Site.FrequencyHz)
	}
	if got := element(t, m, "b-site").ContinuousLimit; got != 0.9 {
		t.Errorf("b-site continuous limit %g, want the site's 0.9", got)
	}
	if got := element(t, m, "b-own").ContinuousLimit; got != 1.0 {
		t.Errorf("b-own continuous limit %g, want its own 1.0 (a 100 %%-rated breaker)", got)
	}
}

// TestInheritance pins what flows down the power graph: voltage, phases,
// wiring and line from the supply (line-to-neutral 400/√3 = 230.94 V on a
// 400Y/230 supply, line-to-line the full 400 V), power factor from the
// site through every element until one writes its own, and the default
// poles (one per phase, two line-to-line) and neutral rating (the phases'
// rating on a wye element).
func TestInheritance(t *testing.T) {
	m := parse(t, `
[site]
power_factor = 0.95
[[source]]
id = "u"
voltage_v = 400
phases = 3
[[source]]
id = "d"
voltage_v = 400
phases = 3
wiring = "delta"
[[ups]]
id = "ups"
input = "u"
capacity_kva = 100
power_factor = 0.9
[[panel]]
id = "p"
input = "ups"
[[breaker]]
id = "b3"
input = "p"
standard = "iec60947-2"
rating_a = 63
[[breaker]]
id = "b-l1"
input = "p"
line = "L1"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "b-l12"
input = "p"
line = "L1-L2"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "b4"
input = "p"
standard = "iec60947-2"
rating_a = 63
poles = 4
neutral_rating_a = 40
[[circuit]]
id = "c-delta"
input = "d"
`)
	tests := []struct {
		id      string
		voltage float64
		phases  int
		wiring  Wiring
		line    Line
		pf      float64
		poles   int
		neutral float64
	}{
		{"u", 400, 3, WiringWye, LineNone, 0.95, 0, 0},
		{"ups", 400, 3, WiringWye, LineAll, 0.9, 0, 0},
		{"p", 400, 3, WiringWye, LineAll, 0.9, 0, 0},
		{"b3", 400, 3, WiringWye, LineAll, 0.9, 3, 63},
		{"b-l1", 400 / math.Sqrt(3), 1, WiringNone, LineL1, 0.9, 1, 0},
		{"b-l12", 400, 1, WiringNone, LineL1L2, 0.9, 2, 0},
		{"b4", 400, 3, WiringWye, LineAll, 0.9, 4, 40},
		{"c-delta", 400, 3, WiringDelta, LineAll, 0.95, 0, 0},
	}
	for _, tt := range tests {
		e := element(t, m, tt.id)
		if math.Abs(e.VoltageV-tt.voltage) > 1e-9 || e.Phases != tt.phases || e.Wiring != tt.wiring || e.Line != tt.line ||
			e.PowerFactor != tt.pf || e.Poles != tt.poles || e.NeutralRatingA != tt.neutral {
			t.Errorf("%s: got %.2f V, %d phases, wiring %v, line %v, PF %g, %d poles, neutral %g A; want %.2f V, %d, %v, %v, %g, %d, %g A",
				tt.id, e.VoltageV, e.Phases, e.Wiring, e.Line, e.PowerFactor, e.Poles, e.NeutralRatingA,
				tt.voltage, tt.phases, tt.wiring, tt.line, tt.pf, tt.poles, tt.neutral)
		}
	}
}

// TestDeviceAndServiceDefaults pins the defaults of device models
// (1 PSU; a majority of the PSUs required: 1 of 2, 2 of 3; power factor 0
// = inherit from the circuit), of per-device overrides (measured_w, RAM),
// and of services (kind service, one instance, quorum 1 or an etcd
// majority, spread over nodes, fixed 10 s starts, a whole GPU, tier = the
// longest depends_on chain).
func TestDeviceAndServiceDefaults(t *testing.T) {
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
id = "one"
typical_w = 100
ram_gib = 64
[[device_model]]
id = "two"
psus = 2
typical_w = 100
[[device_model]]
id = "three"
psus = 3
typical_w = 100
[[device]]
id = "n1"
rack = "r"
model = "one"
feeds = ["c"]
measured_w = 77
ram_gib = 128
[[device]]
id = "n2"
rack = "r"
model = "one"
feeds = ["c"]
[[service]]
id = "etcd"
kind = "etcd"
instances = 5
[[service]]
id = "api"
depends_on = ["etcd"]
[[service]]
id = "web"
depends_on = ["api"]
`)
	wantPSU := map[string][2]int{"one": {1, 1}, "two": {2, 1}, "three": {3, 2}}
	for _, dm := range m.DeviceModels {
		if w := wantPSU[dm.ID]; dm.PSUs != w[0] || dm.PSUsRequired != w[1] || dm.PowerFactor != 0 {
			t.Errorf("model %s: got %d PSUs, %d required, PF %g; want %d, %d, 0 (inherit)", dm.ID, dm.PSUs, dm.PSUsRequired, dm.PowerFactor, w[0], w[1])
		}
	}
	n1, n2 := m.Devices[0], m.Devices[1]
	if n1.MeasuredW != 77 || n1.RAMGiB != 128 || n2.MeasuredW != 0 || n2.RAMGiB != 64 {
		t.Errorf("devices: got n1 %g W measured, %g GiB; n2 %g W, %g GiB; want 77 W, 128 GiB (own); 0 W, 64 GiB (the model's)", n1.MeasuredW, n1.RAMGiB, n2.MeasuredW, n2.RAMGiB)
	}
	want := map[string]struct {
		kind           string
		tier, inst, rq int
	}{"etcd": {"etcd", 0, 5, 3}, "api": {"service", 1, 1, 1}, "web": {"service", 2, 1, 1}}
	for _, s := range m.Services {
		w := want[s.ID]
		if s.Kind != w.kind || s.Tier != w.tier || s.Instances != w.inst || s.ReadyQuorum != w.rq ||
			s.Spread != DomainNode || s.MinSpread != 0 || s.GPUMilli != 1000 || s.TimeoutS != 0 ||
			s.Start != (Dist{Kind: "fixed", S: 10}) {
			t.Errorf("service %s: got kind %s, tier %d, %d instances, quorum %d, spread %v/%d, gpu_milli %d, timeout %g s, start %+v; want %s, %d, %d, %d, node/0, 1000, 0 s, fixed 10 s",
				s.ID, s.Kind, s.Tier, s.Instances, s.ReadyQuorum, s.Spread, s.MinSpread, s.GPUMilli, s.TimeoutS, s.Start, w.kind, w.tier, w.inst, w.rq)
		}
		if s.Quorum() != w.rq {
			t.Errorf("service %s: Quorum() = %d, want %d (its ready_quorum)", s.ID, s.Quorum(), w.rq)
		}
	}
}

// TestServiceQuorum: Quorum is ReadyQuorum, and 1 for a Service assembled
// in code with ReadyQuorum unset (0), the one value a loaded model never has.
func TestServiceQuorum(t *testing.T) {
	for _, c := range []struct{ rq, inst, want int }{{0, 1, 1}, {0, 3, 1}, {1, 3, 1}, {2, 3, 2}, {3, 3, 3}} {
		s := Service{Instances: c.inst, ReadyQuorum: c.rq}
		if got := s.Quorum(); got != c.want {
			t.Errorf("ReadyQuorum %d of %d instances: Quorum() = %d, want %d", c.rq, c.inst, got, c.want)
		}
	}
}
