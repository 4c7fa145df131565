package power

import (
	"fmt"
	"math"
	"math/cmplx"
	"testing"

	"blackstart/topology"
)

// TestPhasorWorkedCase: DESIGN.md's 208 V wye case, three line-to-line banks
// at 3000, 2000 and 1000 W, PF 1.
func TestPhasorWorkedCase(t *testing.T) {
	m := loadFiles(t, "testdata/phasor-208y.toml")
	n := NewNetwork(m, BasisTypical)
	wantLines := [3]float64{17.33, 20.96, 12.72}

	t.Run("Load line_currents_a", func(t *testing.T) {
		rep := n.Load()
		for _, id := range []string{"utility", "brk", "cir", "pdu"} {
			var el *ElementLoad
			for i := range rep.Elements {
				if rep.Elements[i].ID == id {
					el = &rep.Elements[i]
				}
			}
			if el == nil {
				t.Fatalf("Load: no element %q", id)
			}
			if len(el.LineCurrentsA) != 3 {
				t.Fatalf("%s: got line_currents_a %v, want 3 lines", id, el.LineCurrentsA)
			}
			for k, want := range wantLines {
				if !near(el.LineCurrentsA[k], want, 0.01) {
					t.Errorf("%s L%d: got %.3f A, want %.2f A", id, k+1, el.LineCurrentsA[k], want)
				}
			}
			if !near(el.CurrentA, 20.96, 0.01) {
				t.Errorf("%s current_a: got %.3f A, want the worst line, 20.96 A", id, el.CurrentA)
			}
			// Imbalance: the largest deviation from the mean (17.00 A) is L3's 4.28 A.
			if !near(el.ImbalancePct, 25.19, 0.01) {
				t.Errorf("%s imbalance_pct: got %.2f %%, want 25.19 %%", id, el.ImbalancePct)
			}
			if !near(el.PowerW, 6000, 1e-6) {
				t.Errorf("%s power_w: got %g W, want 6000 W", id, el.PowerW)
			}
		}
	})

	t.Run("Base.Cur", func(t *testing.T) {
		for _, id := range []string{"utility", "brk", "cir", "pdu"} {
			got := lineAmps(n.Base.Cur[elem(t, m, id)])
			for k, want := range wantLines {
				if !near(got[k], want, 0.01) {
					t.Errorf("%s L%d: got %.3f A, want %.2f A", id, k+1, got[k], want)
				}
			}
		}
		// Each bank carries its own branch current I = P / V on one conductor.
		for _, b := range []struct {
			id   string
			want float64
		}{{"bank-l12", 14.42}, {"bank-l23", 9.62}, {"bank-l31", 4.81}} {
			got := n.Base.CurrentA(elem(t, m, b.id))
			if !near(got, b.want, 0.01) {
				t.Errorf("%s: got %.3f A, want %.2f A", b.id, got, b.want)
			}
		}
		// The balanced approximation (total / 3) would say 16.65 A on every
		// line and miss that L2 is the worst.
		naive := 6000 / (math.Sqrt(3) * 208)
		if got := n.Base.CurrentA(elem(t, m, "cir")); near(got, naive, 0.5) {
			t.Errorf("cir: got %.3f A, the balanced approximation; want the phasor sum 20.96 A", got)
		}
	})
}

// TestNetBoxFeedArithmetic: NetBox computes a feed's available power as
// V × A × max_utilization (× √3 for three-phase). A device drawing exactly
// that power must sit at 100 % of the continuous limit: verdict ok; one watt
// more is over-continuous.
func TestNetBoxFeedArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantVA  float64 // NetBox's figure, VA
		wantA   float64 // the continuous limit, A
		breaker string
	}{
		{"120 V 15 A at 80 %", "testdata/netbox-120v.toml", 1440, 12, "brk"},
		{"208 V three-phase 30 A at 80 %", "testdata/netbox-208v-3ph.toml", 8646, 24, "brk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := loadFiles(t, tt.file)
			brk := elem(t, m, tt.breaker)
			cir := &m.Elements[elem(t, m, "cir")]
			el := &m.Elements[brk]
			avail := cir.VoltageV * el.RatingA * el.ContinuousLimit
			if cir.Phases == 3 {
				avail *= math.Sqrt(3)
			}
			if !near(avail, tt.wantVA, 0.5) {
				t.Fatalf("available: got %.3f VA, want NetBox's %g VA", avail, tt.wantVA)
			}
			dm := &m.DeviceModels[m.Devices[device(t, m, "dev")].Model]
			if dm.TypicalW != avail {
				t.Fatalf("model file: typical_w = %.17g, want the available %.17g VA at PF 1", dm.TypicalW, avail)
			}
			// One watt over: the worst line carries all of it on a
			// single-phase feed, a third on a balanced three-phase one.
			shed := 1.0
			if cir.Phases == 3 {
				shed = 1.0 / 3
			}
			for _, c := range []struct {
				drawW   float64
				verdict Verdict
				pct     float64 // of the continuous limit
				shedW   float64
			}{
				{avail, OK, 100, 0},
				{avail + 1, OverContinuous, 100 * (avail + 1) / avail, shed},
			} {
				dm.TypicalW = c.drawW
				n := NewNetwork(m, BasisTypical)
				a := n.assess(&n.Base, brk)
				if a.Verdict != c.verdict {
					t.Errorf("draw %.3f W: got verdict %s at %.15g A, want %s", c.drawW, a.Verdict, a.CurrentA, c.verdict)
				}
				if !near(a.ShedW, c.shedW, 0.001) {
					t.Errorf("draw %.3f W: got shed %.4f W, want %.4f W", c.drawW, a.ShedW, c.shedW)
				}
				wantA := tt.wantA * c.drawW / avail
				if !near(a.CurrentA, wantA, 0.01) {
					t.Errorf("draw %.3f W: got %.3f A, want %.2f A", c.drawW, a.CurrentA, wantA)
				}
				var got *ElementLoad
				rep := n.Load()
				for i := range rep.Elements {
					if rep.Elements[i].ID == tt.breaker {
						got = &rep.Elements[i]
					}
				}
				if !near(got.ContinuousPct, c.pct, 0.01) || got.Verdict != c.verdict {
					t.Errorf("Load draw %.3f W: got continuous_pct %.2f %% (%s), want %.2f %% (%s)", c.drawW, got.ContinuousPct, got.Verdict, c.pct, c.verdict)
				}
			}
		})
	}
}

// TestConservation: the draws of the powered devices add up to the real
// power of the sources, and every element's line currents are the sum of
// the contributions of the loads below it, computed PSU by PSU along its
// own path (refFlow) — in normal operation and after every single failure.
func TestConservation(t *testing.T) {
	models := map[string]*topology.Model{
		"small-dc":      loadFiles(t, smallDC...),
		"incident-2019": loadFiles(t, "../examples/incident-2019.toml"),
		"phasor-208y":   loadFiles(t, "testdata/phasor-208y.toml"),
		"ats":           loadFiles(t, "testdata/ats.toml"),
	}
	for seed := range uint64(60) {
		models[fmt.Sprintf("random-%d", seed)] = randomModel(t, seed)
	}
	for name, m := range models {
		t.Run(name, func(t *testing.T) {
			for _, b := range []Basis{BasisConservative, BasisTypical} {
				n := NewNetwork(m, b)
				check := func(what string, f *Flow, open []bool, dev, k int) {
					ref := refFlow(m, b, open, dev, k)
					compareFlows(t, what, m, f, ref)
					var draws, sources float64
					for d := range m.Devices {
						if !ref.dark[d] {
							draws += n.DrawW[d]
						}
					}
					for e := range m.Elements {
						if len(m.Elements[e].Inputs) == 0 {
							sources += f.P[e]
						}
					}
					if !near(sources, draws, 1e-6) {
						t.Fatalf("%s: sources carry %.6f W, powered devices draw %.6f W", what, sources, draws)
					}
				}
				check(b.String()+" normal operation", &n.Base, nil, -1, -1)
				s := NewSim(n)
				for e := range m.Elements {
					open := make([]bool, len(m.Elements))
					open[e] = true
					f := n.fullFlow(open, -1, -1)
					check(fmt.Sprintf("%s fullFlow %s failed", b, m.Elements[e].ID), &f, open, -1, -1)
					s.apply([]int32{int32(e)}, -1, -1)
					check(fmt.Sprintf("%s apply %s failed", b, m.Elements[e].ID), &s.cur, open, -1, -1)
				}
				for d := range m.Devices {
					for k := range m.Devices[d].Feeds {
						open := make([]bool, len(m.Elements))
						open[faultTarget(m, d, k)] = true
						f := n.fullFlow(open, d, k)
						check(fmt.Sprintf("%s fullFlow %s fault", b, PSUName(m, d, k)), &f, open, d, k)
					}
				}
			}
		})
	}
}

// TestCurrentAIsWorstLine: an element's current is its largest line current.
func TestCurrentAIsWorstLine(t *testing.T) {
	f := Flow{Cur: []phasors{{3, cmplx.Rect(5, 1), -4i}}}
	if got := f.CurrentA(0); got != 5 {
		t.Errorf("CurrentA: got %g A, want 5 A", got)
	}
}
