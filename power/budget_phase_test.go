package power

import (
	"fmt"
	"math"
	"testing"
)

// phaseTOML: a 400Y/230 V three-phase source, a 3-pole 16 A breaker b3
// (continuous limit 0.8: 12.8 A a line) and below it a circuit on L2 and
// one on L3, each with one 1,000 W device at PF 1. A line carries
// 1 A per 400/√3 = 230.94 W: b3's limit is 12.8 × 230.94 = 2,956.03 W
// a line, and each device puts 4.330 A on its own line only.
const phaseTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 400
phases = 3
wiring = "wye"
[[breaker]]
id = "b3"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
poles = 3
[[circuit]]
id = "c2"
input = "b3"
line = "L2"
[[circuit]]
id = "c3"
input = "b3"
line = "L3"
[[rack]]
id = "r"
[[device_model]]
id = "m"
nameplate_w = 1000
[[device]]
id = "d2"
rack = "r"
model = "m"
feeds = ["c2"]
[[device]]
id = "d3"
rack = "r"
model = "m"
feeds = ["c3"]
`

// phaseLimitW is b3's continuous limit on one line in phaseTOML, W.
var phaseLimitW = 12.8 * 400 / math.Sqrt(3)

// TestBudgetLineAtTheLimit: a load on L2 or L3 of a three-phase breaker
// a hair over its limit's tolerance (1 + 1e-9) is over, a hair within
// it is within, on the line it sits on — by Fits and FitsProbe, whose
// squared test is too near the limit there (within 1e-12) to decide and
// asks the exact ratio. d2 (1,000 W on L2) may add 2,956.03 − 1,000 =
// 1,956.03 W and d3 the same on L3; a probe on c2 or c3 has the same
// room.
func TestBudgetLineAtTheLimit(t *testing.T) {
	m := parseText(t, "phase.toml", phaseTOML)
	n := NewNetwork(m, BasisConservative)
	b := NewBudget(n)
	l := b.Load(n.DrawW)
	for _, c := range []struct{ dev, feed string }{{"d2", "c2"}, {"d3", "c3"}} {
		d := device(t, m, c.dev)
		e, _ := m.ElementIndex(c.feed)
		p := b.Probe([]int32{int32(e)}, 1)
		for _, k := range []struct {
			rel  float64 // the load relative to the limit × (1 + budgetTol)
			fits bool
		}{{1 - 2e-13, true}, {1 + 2e-13, false}} {
			w := phaseLimitW*(1+budgetTol)*k.rel - 1000
			if got := l.Fits(d, w); got != k.fits {
				t.Errorf("%s + %.6f W (%.13f of the limit): Fits %v, want %v", c.dev, w, (w+1000)/phaseLimitW, got, k.fits)
			}
			if got, _ := l.FitsProbe(p, w); got != k.fits {
				t.Errorf("probe on %s, %.6f W: FitsProbe %v, want %v", c.feed, w, got, k.fits)
			}
		}
	}
}

// TestProbeRatiosLines: ProbeRatios on a three-phase breaker reads the
// line the probe loads. A probe drawing 1,000 W on c2 (or c3) puts
// 2 × 4.330 A on that line of b3, whose other loaded line carries 4.330
// A: a ratio of 2,000 / 2,956.03 = 0.6766 (and a probe of 0 W, 0.3383).
func TestProbeRatiosLines(t *testing.T) {
	m := parseText(t, "phase.toml", phaseTOML)
	n := NewNetwork(m, BasisConservative)
	b := NewBudget(n)
	l := b.Load(n.DrawW)
	for _, feed := range []string{"c2", "c3"} {
		e, _ := m.ElementIndex(feed)
		p := b.Probe([]int32{int32(e)}, 1)
		for _, w := range []float64{1000, 0} {
			got := l.ProbeRatios(nil, p, w)
			want := (1000 + w) / phaseLimitW
			if len(got) != 1 || math.Abs(got[0]-want) > 1e-12 {
				t.Errorf("probe on %s drawing %g W: ratios %v, want [%.12f] (b3)", feed, w, got, want)
			}
		}
	}
}

// upsVATOML: a 10 kVA UPS (no kW rating) with one 800 W device at PF
// 0.8 (tan φ = 0.75: 600 var, 1,000 VA).
const upsVATOML = `[[source]]
id = "u"
voltage_v = 230
[[ups]]
id = "ups"
input = "u"
capacity_kva = 10
[[circuit]]
id = "c"
input = "ups"
[[rack]]
id = "r"
[[device_model]]
id = "m"
nameplate_w = 800
power_factor = 0.8
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["c"]
`

// TestProbeRatiosKVA: a UPS rated in kVA is judged on apparent power,
// the reactive power included. A probe of 4,000 W at PF 0.8 (3,000 var)
// on top of the 800 W device: 4,800 W and 3,600 var, 6,000 VA, a ratio
// of 0.6 of 10 kVA.
func TestProbeRatiosKVA(t *testing.T) {
	m := parseText(t, "ups-va.toml", upsVATOML)
	n := NewNetwork(m, BasisConservative)
	b := NewBudget(n)
	e, _ := m.ElementIndex("c")
	got := b.Load(n.DrawW).ProbeRatios(nil, b.Probe([]int32{int32(e)}, 0.8), 4000)
	if len(got) != 1 || math.Abs(got[0]-0.6) > 1e-12 {
		t.Errorf("ratios %v, want [0.6] (ups)", got)
	}
}

// TestReachableKVA: Reachable keeps a kVA-rated UPS that the devices'
// largest draws could put over its rating by apparent power: the device
// at 9,000 W and PF 0.8 draws 11,250 VA (9,000 W and 6,750 var) of
// 10 kVA, over by 1.125; at 7,000 W (8,750 VA) the UPS cannot be reached
// and is dropped.
func TestReachableKVA(t *testing.T) {
	m := parseText(t, "ups-va.toml", upsVATOML)
	b := NewBudget(NewNetwork(m, BasisConservative))
	for _, c := range []struct {
		maxW float64
		want string
	}{{9000, "[ups 1.125]"}, {7000, "[]"}} {
		r := b.Reachable([]float64{c.maxW})
		got := []string{}
		for _, o := range r.Load([]float64{c.maxW}).Over() {
			got = append(got, fmt.Sprintf("%s %g", o.Element, o.Ratio))
		}
		if g := fmt.Sprint(got); g != c.want || len(r.elems) != len(got) {
			t.Errorf("largest draw %g W: %d elements kept, over %s; want %s", c.maxW, len(r.elems), g, c.want)
		}
	}
}
