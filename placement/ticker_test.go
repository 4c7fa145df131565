package placement

import (
	"slices"
	"testing"
)

// TestTickerReportsOnce: a ticker reports about once per percent and once
// at the end; adding no work reports nothing, at the end or before it. A
// total of 3 units (step 1): add(0) at 0 reports nothing, add(1) and
// add(2) report 1 and 3, add(0) at the end nothing more: calls at 1, 3.
func TestTickerReportsOnce(t *testing.T) {
	var calls []int
	tk := newTicker(func(done, total int) {
		if total != 3 {
			t.Fatalf("total %d, want 3", total)
		}
		calls = append(calls, done)
	}, 3)
	for _, k := range []int{0, 1, 2, 0} {
		tk.add(k)
	}
	if !slices.Equal(calls, []int{1, 3}) {
		t.Errorf("reports at %v units, want [1 3]", calls)
	}
}
