package power

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// limitTOML is TestPropertyMaxProbe's seed-216 finding reduced by hand:
// 230 V single-phase, a continuous limit of 1.0, so a 16 A breaker's
// limit is 16 A. Rack r1 hangs on brk-at through a rack PDU without
// banks and draws exactly 16 A (3,680 W at PF 1). Rack r2 hangs on
// brk-over and draws seed 216's two loads: 2,552.5 W at PF 0.8
// (13.8723 A at −36.87°) and 487.2 W at the site's PF 0.95 (2.2297 A at
// −18.19°), a phasor sum of 16.00057 A: 1.0000357 of the limit, over by
// 0.57 mA, which rounds to a ratio of 1.0000. Racks r3 and r4 hang on a
// 10 kW and a 10 kVA UPS with 1,000 W at PF 1 and at PF 0.8 (1,250 VA).
const limitTOML = `[site]
name = "limit"
continuous_limit = 1.0
power_factor = 0.95

[[source]]
id = "grid"
voltage_v = 230

[[breaker]]
id = "brk-at"
input = "grid"
standard = "iec60898"
curve = "D"
rating_a = 16

[[circuit]]
id = "cir-at"
input = "brk-at"

[[breaker]]
id = "brk-over"
input = "grid"
standard = "iec60898"
curve = "D"
rating_a = 16

[[circuit]]
id = "cir-over"
input = "brk-over"

[[ups]]
id = "ups-w"
input = "grid"
capacity_kw = 10
overload = [{ load_pct = 110, time_s = 600 }]

[[circuit]]
id = "cir-w"
input = "ups-w"

[[ups]]
id = "ups-va"
input = "grid"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }]

[[circuit]]
id = "cir-va"
input = "ups-va"

[[rack]]
id = "r1"

[[rack]]
id = "r2"

[[rack]]
id = "r3"

[[rack]]
id = "r4"

[[rack_pdu]]
id = "pdu-at"
rack = "r1"
input = "cir-at"

[[rack_pdu]]
id = "pdu-over"
rack = "r2"
input = "cir-over"

[[device_model]]
id = "full"
typical_w = 3680
power_factor = 1

[[device_model]]
id = "big-model"
typical_w = 2552.5
power_factor = 0.8

[[device_model]]
id = "small-model"
typical_w = 487.2

[[device_model]]
id = "kw"
typical_w = 1000
power_factor = 1

[[device_model]]
id = "kva"
typical_w = 1000
power_factor = 0.8

[[device]]
id = "at"
rack = "r1"
model = "full"
feeds = ["pdu-at"]

[[device]]
id = "big"
rack = "r2"
model = "big-model"
feeds = ["pdu-over"]

[[device]]
id = "small"
rack = "r2"
model = "small-model"
feeds = ["pdu-over"]

[[device]]
id = "on-w"
rack = "r3"
model = "kw"
feeds = ["cir-w"]

[[device]]
id = "on-va"
rack = "r4"
model = "kva"
feeds = ["cir-va"]
`

// TestBudgetSeed216: a load exactly at its limit is within it and its
// Binding reads 1; a load a hair over it (seed 216: 1.0000357) is over
// by every answer of the budget — Fits, Why, FitsProbe, MaxProbe, Over,
// N1Safe, Headroom — and its Binding's Ratio reads 1.0001, never 1 (the
// property test once found MaxProbe's 0 W with a Ratio of 1.0000 here),
// its words 100.01 %, never 100 %.
func TestBudgetSeed216(t *testing.T) {
	m := parseText(t, "limit.toml", limitTOML)
	n := NewNetwork(m, BasisTypical)
	b := NewBudget(n)
	l := b.Load(n.DrawW)
	probe := func(feed string) Probe {
		e, _ := m.ElementIndex(feed)
		return b.Probe([]int32{int32(e)}, 1)
	}

	// Exactly at: within, ratio 1.
	at := device(t, m, "at")
	if !l.Fits(at, 0) {
		t.Error("at 16 A of 16 A: Fits false, want true")
	}
	if ok, w := l.Why(at, 0); !ok {
		t.Errorf("at 16 A of 16 A: Why says over (%s), want within", fields(w))
	}
	if ok, w := l.FitsProbe(probe("pdu-at"), 0); !ok {
		t.Errorf("at 16 A of 16 A: FitsProbe says over (%s), want within", fields(w))
	}
	if w, bind := l.MaxProbe(probe("pdu-at")); w > 1e-3 || bind.Element != "brk-at" || bind.Ratio != 1 {
		t.Errorf("at 16 A of 16 A: MaxProbe %g W, %s; want 0 W (to 1 mW), brk-at at ratio 1", w, fields(bind))
	}

	// A hair over: over everywhere, ratio 1.0001.
	want := Binding{Element: "brk-over", Kind: "breaker", LoadA: 16.001, LimitA: 16, Ratio: 1.0001}
	for _, id := range []string{"big", "small"} {
		d := device(t, m, id)
		if l.Fits(d, 0) {
			t.Errorf("seed 216 (%s): Fits true, want false", id)
		}
		if ok, w := l.Why(d, 0); ok || w != want {
			t.Errorf("seed 216 (%s): Why %v, %s; want over, %s", id, ok, fields(w), fields(want))
		}
	}
	if ok, w := l.FitsProbe(probe("pdu-over"), 0); ok || w != want {
		t.Errorf("seed 216: FitsProbe %v, %s; want over, %s", ok, fields(w), fields(want))
	}
	if w, bind := l.MaxProbe(probe("pdu-over")); w != 0 || bind != want {
		t.Errorf("seed 216: MaxProbe %g W, %s; want 0 W, %s", w, fields(bind), fields(want))
	}
	if over := l.Over(); len(over) != 1 || over[0] != want {
		t.Errorf("Over: %d, the first %s; want only %s", len(over), fields(first(over)), fields(want))
	}
	if safe, over := n.N1Safe(nil); safe || len(over) != 1 || over[0] != want {
		t.Errorf("N1Safe: %v, %d, the first %s; want not safe, only %s", safe, len(over), fields(first(over)), fields(want))
	}
	if w := l.Worst(); w != want {
		t.Errorf("Worst: %s, want %s", fields(w), fields(want))
	}
	// The load reads 16.001 A, not 16.00 A against 16.00 A.
	if s := want.String(); !strings.HasSuffix(s, "would carry 16.001 A on failover against its limit of 16.000 A (100.01 %)") {
		t.Errorf("in words: %q; want 16.001 A against 16.000 A, 100.01 %%", s)
	}

	rep, err := Headroom(n, HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Racks[:2] {
		got = append(got, fmt.Sprintf("%s safe %v largest %s W binds %s %.4f", r.Rack, r.Safe, fmtPtr(r.LargestDeviceW), r.Binding.Element, r.Binding.Ratio))
	}
	if w := "[r1 safe true largest 0 W binds brk-at 1.0000 r2 safe false largest 0 W binds brk-over 1.0001]"; fmt.Sprint(got) != w {
		t.Errorf("Headroom: %v\nwant %s", got, w)
	}
	if rep.UnsafeRacks != 1 {
		t.Errorf("Headroom: %d unsafe racks, want 1 (r2)", rep.UnsafeRacks)
	}
}

// TestBudgetOneVerdict: at the boundary itself, to the last bit, every
// answer of the budget is overLimit's. For each kind of limit (brk-at's
// 16 A, a hair above "at"'s 3,680 W; ups-w's 10 kW, 9,000 W above
// on-w; ups-va's 10 kVA, 7,000 W above on-va's 1,000 W at PF 0.8), the
// two adjacent draws where Fits (squared magnitudes) turns are found by
// bisection; at those and the next draws out, Fits, Why, FitsProbe and
// the load with the draw added (Over, its ratio, the Binding's Ratio)
// all agree.
// Before overLimit, Fits' squares and Why's ratio turned a bit apart.
func TestBudgetOneVerdict(t *testing.T) {
	m := parseText(t, "limit.toml", limitTOML)
	n := NewNetwork(m, BasisTypical)
	b := NewBudget(n)
	l := b.Load(n.DrawW)
	for _, c := range []struct {
		dev, feed, elem string
		pf, near        float64
	}{{"at", "pdu-at", "brk-at", 1, 0}, {"on-w", "cir-w", "ups-w", 1, 9000}, {"on-va", "cir-va", "ups-va", 0.8, 7000}} {
		d := device(t, m, c.dev)
		e, _ := m.ElementIndex(c.feed)
		el, _ := m.ElementIndex(c.elem)
		p := b.Probe([]int32{int32(e)}, c.pf)
		lo, hi := c.near-1, c.near+1
		if !l.Fits(d, lo) || l.Fits(d, hi) {
			t.Fatalf("%s: Fits at %g W and %g W: %v, %v; want the limit between", c.dev, lo, hi, l.Fits(d, lo), l.Fits(d, hi))
		}
		for math.Nextafter(lo, hi) < hi {
			mid := lo + (hi-lo)/2
			if l.Fits(d, mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		for _, w := range []float64{math.Nextafter(lo, 0), lo, hi, math.Nextafter(hi, math.Inf(1))} {
			fits := l.Fits(d, w)
			ok, why := l.Why(d, w)
			okP, whyP := l.FitsProbe(p, w)
			after := l.Clone()
			after.Add(d, w)
			var over Binding
			for _, o := range after.Over() {
				if o.Element == c.elem {
					over = o
				}
			}
			if ok != fits || okP != fits || (over.Element == "") != fits {
				t.Errorf("%s + %.17g W: Fits %v, Why %v, FitsProbe %v, over after: %s; want one verdict", c.dev, w, fits, ok, okP, fields(over))
			}
			if !fits && (why.Element != c.elem || why.Ratio <= 1 || whyP.Ratio <= 1 || over.Ratio <= 1) {
				t.Errorf("%s + %.17g W is over: Why %s, FitsProbe %s, Over %s; want %s with a ratio above 1", c.dev, w, fields(why), fields(whyP), fields(over), c.elem)
			}
			if r, _ := after.Headroom(el); overLimit(r) == fits {
				t.Errorf("%s + %.17g W: Fits %v, but its ratio after is %.17g", c.dev, w, fits, r)
			}
		}
		if mp, _ := l.MaxProbe(p); mp > lo {
			t.Errorf("%s: MaxProbe %.17g W, above the last draw that fits %.17g W", c.dev, mp, lo)
		}
	}
}

// fields shows a Binding's figures (its String rounds the ratio to a
// whole percent).
func fields(b Binding) string {
	return fmt.Sprintf("{%s %s %g A / %g A, ratio %g}", b.Kind, b.Element, b.LoadA, b.LimitA, b.Ratio)
}

// first is a list's first Binding, or none.
func first(bs []Binding) Binding {
	if len(bs) == 0 {
		return Binding{}
	}
	return bs[0]
}
