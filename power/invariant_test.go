package power

import (
	"fmt"
	"testing"
)

// TestPropertyKirchhoff: real power is conserved through every element,
// not only overall: what an energized element carries is what the
// elements it feeds carry (each through its active input) plus the shares
// of the PSUs plugged into it (a device's draw split equally over its
// powered PSUs; nothing when it has fewer than it needs), in normal
// operation and after every single element failure, on the random models
// and the examples.
func TestPropertyKirchhoff(t *testing.T) {
	var checked int
	for seed := range uint64(80) {
		m := randomModel(t, seed)
		n := NewNetwork(m, basisFor(seed))
		check := func(what string, f *Flow) {
			t.Helper()
			want := make([]float64, len(m.Elements))
			for c := range m.Elements {
				if f.Live[c] && len(m.Elements[c].Inputs) > 0 {
					want[m.Elements[c].Inputs[f.Active[c]]] += f.P[c]
				}
			}
			for d := range m.Devices {
				dev := &m.Devices[d]
				k := n.powered(f.Live, int32(d), -1, -1)
				if k == 0 || k < m.DeviceModels[dev.Model].PSUsRequired {
					continue
				}
				for _, fe := range dev.Feeds {
					if f.Live[fe] {
						want[fe] += n.DrawW[d] / float64(k)
					}
				}
			}
			for e := range m.Elements {
				if !near(f.P[e], want[e], 1e-6*max(1, want[e])) {
					t.Fatalf("%s: %s carries %.6f W, what it feeds draws %.6f W", what, m.Elements[e].ID, f.P[e], want[e])
				}
				checked++
			}
		}
		check(fmt.Sprintf("seed %d normal operation", seed), &n.Base)
		for e := range m.Elements {
			open := make([]bool, len(m.Elements))
			open[e] = true
			f := n.fullFlow(open, -1, -1)
			check(fmt.Sprintf("seed %d, %s failed", seed, m.Elements[e].ID), &f)
		}
	}
	if checked < 10000 {
		t.Errorf("checked %d element balances, want at least 10,000", checked)
	}
}
