package power

import "testing"

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
