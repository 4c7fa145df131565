package power

import (
	"encoding/json"
	"testing"
)

// TestBudgetNothingRated: on a site where nothing is rated (no breaker,
// no UPS or source capacity) the budget has no element, and the worst
// binding is the zero Binding.
func TestBudgetNothingRated(t *testing.T) {
	n := NewNetwork(parseText(t, "two.toml", twoSourcesTOML), BasisConservative)
	l := NewBudget(n).Load(n.DrawW)
	if w := l.Worst(); w != (Binding{}) {
		t.Errorf("worst binding %+v, want none", w)
	}
}

// TestBudgetIdleUPS: a UPS that carries nothing in its failover case (its
// one device's draw is unknown: 0 W) is at 0 % of its rating; with no load
// there is no current to scale to the rating, and the binding says 0 A
// for both rather than NaN (which JSON cannot encode).
func TestBudgetIdleUPS(t *testing.T) {
	const src = `[[source]]
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
draw_unknown = true
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["c"]
`
	n := NewNetwork(parseText(t, "idle-ups.toml", src), BasisConservative)
	w := NewBudget(n).Load(n.DrawW).Worst()
	if w.Element != "ups" || w.Ratio != 0 || w.LoadA != 0 || w.LimitA != 0 {
		t.Errorf("worst binding %+v, want ups at 0 A of 0 A, ratio 0", w)
	}
	if _, err := json.Marshal(w); err != nil {
		t.Error(err)
	}
}

// TestBudgetWorstTie: two 16 A breakers each feeding one 1,150 W device
// (5 A of their 12.8 A limit): on a tie the worst binding is the first in
// the model's order, b1.
func TestBudgetWorstTie(t *testing.T) {
	const src = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "b1"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "b2"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "c1"
input = "b1"
[[circuit]]
id = "c2"
input = "b2"
[[rack]]
id = "r"
[[device_model]]
id = "m"
nameplate_w = 1150
[[device]]
id = "d1"
rack = "r"
model = "m"
feeds = ["c1"]
[[device]]
id = "d2"
rack = "r"
model = "m"
feeds = ["c2"]
`
	n := NewNetwork(parseText(t, "tie.toml", src), BasisConservative)
	w := NewBudget(n).Load(n.DrawW).Worst()
	if w.Element != "b1" || w.LoadA != 5 || w.LimitA != 12.8 {
		t.Errorf("worst binding %+v, want b1 at 5 A of 12.8 A", w)
	}
}

// TestBindingStringAtTheLimit: a binding exactly at its limit reads
// 100 % with two decimals on its currents; a hair over, the percentage
// gets two decimals and the currents as many (up to six) as it takes to
// tell them apart, no more.
func TestBindingStringAtTheLimit(t *testing.T) {
	tests := []struct {
		b    Binding
		want string
	}{
		{Binding{Element: "b", Kind: "breaker", LoadA: 12.8, LimitA: 12.8, Ratio: 1},
			"breaker b would carry 12.80 A on failover against its limit of 12.80 A (100 %)"},
		{Binding{Element: "b", Kind: "breaker", LoadA: 12.8000001, LimitA: 12.8, Ratio: 12.8000001 / 12.8},
			"breaker b would carry 12.800000 A on failover against its limit of 12.800000 A (100.00 %)"},
	}
	for _, tt := range tests {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}
