package power

import (
	"encoding/json"
	"math"
	"math/cmplx"
	"os"
	"strings"
	"testing"

	"blackstart/topology"
)

// loadElement finds element id in a load report.
func loadElement(t *testing.T, rep LoadReport, id string) ElementLoad {
	t.Helper()
	for _, e := range rep.Elements {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("Load: no element %q", id)
	return ElementLoad{}
}

// TestNeutralHandCase: 400Y/230 V, 4,600 W on L1, 2,300 W on L2, PF 1.
// At exactly 230 V per line (a 398.37 V system) the lines carry 20 / 10 /
// 0 A and the neutral |20∠0° + 10∠−120°| = √300 = 17.32 A; at 400 V
// (230.94 V per line) 19.919 / 9.959 / 0 A and 17.250 A. A delta supply
// reports null.
func TestNeutralHandCase(t *testing.T) {
	for _, c := range []struct {
		voltage  string
		lines    [3]float64
		neutralA float64
	}{
		{"398.3717", [3]float64{20, 10, 0}, 17.321},
		{"400", [3]float64{19.919, 9.959, 0}, 17.250},
	} {
		data, err := os.ReadFile("testdata/neutral-400y.toml")
		if err != nil {
			t.Fatal(err)
		}
		m, err := topology.Parse(topology.File{Name: "neutral-400y.toml", Data: []byte(strings.Replace(string(data), "voltage_v = 400\nphases = 3\nwiring = \"wye\"", "voltage_v = "+c.voltage+"\nphases = 3\nwiring = \"wye\"", 1))})
		if err != nil {
			t.Fatal(err)
		}
		rep := NewNetwork(m, BasisTypical).Load()
		for _, id := range []string{"utility", "brk", "cir", "pdu"} {
			el := loadElement(t, rep, id)
			for k, want := range c.lines {
				if !near(el.LineCurrentsA[k], want, 0.001) {
					t.Errorf("%s V: %s L%d: got %.3f A, want %g A", c.voltage, id, k+1, el.LineCurrentsA[k], want)
				}
			}
			if !el.NeutralA.Wye || !near(el.NeutralA.A, c.neutralA, 0.001) {
				t.Errorf("%s V: %s neutral_a: got %+v, want %g A", c.voltage, id, el.NeutralA, c.neutralA)
			}
		}
	}
	m := loadFiles(t, "testdata/neutral-400y.toml")
	n := NewNetwork(m, BasisTypical)
	rep := n.Load()
	brk := loadElement(t, rep, "brk")
	// 17.250 A on a 16 A neutral: 107.81 %, between 1.05 and 1.30 In.
	if brk.NeutralRatingA != 16 || !near(brk.NeutralPct, 107.81, 0.01) || brk.NeutralVerdict != "may-trip" {
		t.Errorf("brk neutral: got rating %g A, %.2f %%, %s; want 16 A, 107.81 %%, may-trip", brk.NeutralRatingA, brk.NeutralPct, brk.NeutralVerdict)
	}
	// The 4-pole breaker senses the neutral: the neutral binds its verdict,
	// though its lines carry 62 % of In.
	if brk.Verdict != MayTrip || !near(brk.CurrentA, 19.919, 0.001) || !near(brk.UtilizationPct, 107.81, 0.01) {
		t.Errorf("brk: got verdict %s, %.3f A, %.2f %%; want may-trip, lines 19.919 A, 107.81 %% (the neutral)", brk.Verdict, brk.CurrentA, brk.UtilizationPct)
	}
	cir := loadElement(t, rep, "cir") // 3-pole elsewhere: the neutral is graded, not tripped on
	if cir.NeutralVerdict != "" || cir.Verdict != OK {
		t.Errorf("cir (unrated): got neutral verdict %q, verdict %s; want none, ok", cir.NeutralVerdict, cir.Verdict)
	}
	for _, id := range []string{"delta-src", "delta-cir", "delta-pdu"} {
		el := loadElement(t, rep, id)
		b, _ := json.Marshal(el)
		if !strings.Contains(string(b), `"neutral_a":null`) {
			t.Errorf("%s: want neutral_a null on a delta supply, got %s", id, b)
		}
	}
	for _, id := range []string{"bank-l1", "delta-l12"} {
		b, _ := json.Marshal(loadElement(t, rep, id))
		if strings.Contains(string(b), "neutral_a") {
			t.Errorf("%s (single-phase): want no neutral_a, got %s", id, b)
		}
	}
}

// TestPropertyNeutral: on random models (wye and delta, line-to-neutral and
// line-to-line loads, power factors 0.8–1), every three-phase wye element's
// neutral_a is the phasor sum of the reference flow's line currents, and,
// where no transformer lies below it, also the sum of the currents its
// line-to-neutral loads return (line-to-line and balanced loads return
// nothing); delta elements report null.
func TestPropertyNeutral(t *testing.T) {
	checked := 0
	for seed := range uint64(propertyModels()) {
		m := randomModel(t, seed)
		b := basisFor(seed)
		n := NewNetwork(m, b)
		rep := n.Load()
		ref := refFlow(m, b, nil, -1, -1)
		ret := refReturns(m, b, ref)
		for e, el := range m.Elements {
			got := rep.Elements[e].NeutralA
			switch {
			case el.Phases != 3:
				if !got.IsZero() {
					t.Fatalf("seed %d: %s is single-phase, got neutral %+v", seed, el.ID, got)
				}
				continue
			case el.Wiring == topology.WiringDelta:
				if got.Wye {
					t.Fatalf("seed %d: %s is delta, got neutral %g A", seed, el.ID, got.A)
				}
				continue
			}
			want := cmplx.Abs(ref.cur[e][0] + ref.cur[e][1] + ref.cur[e][2])
			if !got.Wye || math.Abs(got.A-want) > 0.0015 {
				t.Fatalf("seed %d: %s neutral_a %+v, want %.4f A (reference line currents)", seed, el.ID, got, want)
			}
			if r, ok := ret[e]; ok && math.Abs(cmplx.Abs(r)-want) > 1e-6 {
				t.Fatalf("seed %d: %s: neutral %.6f A from the line currents, but its line-to-neutral loads return %.6f A", seed, el.ID, want, cmplx.Abs(r))
			}
			checked++
		}
	}
	if checked < perModels(200) {
		t.Fatalf("only %d wye elements checked: the generator no longer makes enough", checked)
	}
}

// refReturns sums, per three-phase wye element with no transformer below
// it, the currents of the line-to-neutral PSU loads below it (the current
// each returns on the neutral), the reference flow's way: current =
// conj(S / V) at the PSU's feed voltage.
func refReturns(m *topology.Model, b Basis, r refResult) map[int]complex128 {
	out := map[int]complex128{}
	blocked := map[int]bool{} // a transformer lies at or below
	for e := range m.Elements {
		el := &m.Elements[e]
		if el.Phases == 3 && el.Wiring == topology.WiringWye && r.live[e] {
			out[e] = 0
		}
		if len(el.Inputs) > 0 && setsVoltage(m, e, int(el.Inputs[el.Preferred])) {
			for x := e; ; {
				blocked[x] = true
				xe := &m.Elements[x]
				if len(xe.Inputs) == 0 {
					break
				}
				x = int(xe.Inputs[r.active[x]])
			}
		}
	}
	for d := range m.Devices {
		if r.dark[d] {
			continue
		}
		dev := &m.Devices[d]
		powered := 0
		for _, f := range dev.Feeds {
			if r.live[f] {
				powered++
			}
		}
		draw, _ := Draw(m, dev, b)
		w := draw / float64(powered)
		pf := psuFeedPF(m, d)
		s := complex(w, w*math.Tan(math.Acos(pf)))
		for _, f := range dev.Feeds {
			if !r.live[f] {
				continue
			}
			// Up to the three-phase system: the connection that joins it
			// says whether the current returns on the neutral.
			x, lineToNeutral := int(f), false
			for m.Elements[x].Phases == 1 && len(m.Elements[x].Inputs) > 0 {
				xe := &m.Elements[x]
				j, k := lineOf(xe.Line)
				lineToNeutral = j >= 0 && k < 0
				x = int(xe.Inputs[r.active[x]])
			}
			if !lineToNeutral {
				continue
			}
			c := cmplx.Conj(s / r.volt[f][0])
			for ; ; x = int(m.Elements[x].Inputs[r.active[x]]) {
				if _, ok := out[x]; ok {
					out[x] += c
				}
				if len(m.Elements[x].Inputs) == 0 {
					break
				}
			}
		}
	}
	for e := range blocked {
		delete(out, e)
	}
	return out
}
