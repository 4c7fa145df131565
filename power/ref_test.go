package power

import (
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"testing"

	"blackstart/topology"
)

// This file holds the test helpers and the dumb references: a load flow
// that follows each PSU's current up its own path with the voltages of that
// path, and a cascade that recomputes everything from scratch at every step.

// loadFiles loads a model from files (testdata/... or ../examples/...).
func loadFiles(t testing.TB, paths ...string) *topology.Model {
	t.Helper()
	var files []topology.File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, topology.File{Name: filepath.Base(p), Data: data})
	}
	m, err := topology.Parse(files...)
	if err != nil {
		t.Fatalf("%v: %v", paths, err)
	}
	return m
}

var smallDC = []string{"../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml"}

// elem returns the index of element id, failing the test when it is unknown.
func elem(t testing.TB, m *topology.Model, id string) int {
	t.Helper()
	i, ok := m.ElementIndex(id)
	if !ok {
		t.Fatalf("no element %q", id)
	}
	return i
}

// device returns the index of device id.
func device(t testing.TB, m *topology.Model, id string) int {
	t.Helper()
	i, ok := m.DeviceIndex(id)
	if !ok {
		t.Fatalf("no device %q", id)
	}
	return i
}

// near reports whether got is within tol of want.
func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// lineAmps returns the magnitudes of an element's line currents.
func lineAmps(c phasors) [3]float64 {
	return [3]float64{cmplx.Abs(c[0]), cmplx.Abs(c[1]), cmplx.Abs(c[2])}
}

// refResult is the flow refFlow computes.
type refResult struct {
	live   []bool
	active []int           // input index carrying the element, -1 when dead
	volt   [][3]complex128 // single-phase: [0] is the voltage across the load; three-phase: line-to-neutral of L1..L3
	cur    []phasors       // line currents, A
	p      []float64       // real power, W
	q      []float64       // reactive power, var
	dark   []bool          // per device
	// nominal: no transfer switch at or above the element runs on its
	// other input. Below one, Flow keeps phasors in the frame of the
	// preferred path (see phasors): only magnitudes compare there.
	nominal []bool
}

// setsVoltage reports whether element e is a transformer: a UPS or panel
// whose voltage or phase count differs from its supply's.
func setsVoltage(m *topology.Model, e, sup int) bool {
	el, s := &m.Elements[e], &m.Elements[sup]
	return (el.Kind == topology.KindUPS || el.Kind == topology.KindPanel) && (el.VoltageV != s.VoltageV || el.Phases != s.Phases)
}

// lineOf maps a connection to the supply's line indices (L1 = 0).
func lineOf(l topology.Line) (int, int) {
	switch l {
	case topology.LineL1:
		return 0, -1
	case topology.LineL2:
		return 1, -1
	case topology.LineL3:
		return 2, -1
	case topology.LineL1L2:
		return 0, 1
	case topology.LineL2L3:
		return 1, 2
	case topology.LineL3L1:
		return 2, 0
	}
	return -1, -1
}

func threePhase(v, refAngle float64) [3]complex128 {
	ln := v / math.Sqrt(3)
	return [3]complex128{cmplx.Rect(ln, refAngle), cmplx.Rect(ln, refAngle-2*math.Pi/3), cmplx.Rect(ln, refAngle+2*math.Pi/3)}
}

// psuFeedPF is the power factor a device draws at: its model's, else its
// first feed's.
func psuFeedPF(m *topology.Model, d int) float64 {
	dev := &m.Devices[d]
	if pf := m.DeviceModels[dev.Model].PowerFactor; pf > 0 {
		return pf
	}
	return m.Elements[dev.Feeds[0]].PowerFactor
}

// refFlow is the dumb load flow, with the elements in open opened and PSU
// faultK of device faultDev faulted (faultDev < 0: none). Energization is
// recomputed from the inputs; each element's terminal voltages are derived
// along the path that actually feeds it (line-to-neutral, line-to-line,
// transformer), and each powered PSU's current is computed from its complex
// power and its feed's voltage, then carried up its own path, one PSU at a
// time. It shares no code with fullFlow: not the angles, not psuPhasors,
// not lift.
func refFlow(m *topology.Model, b Basis, open []bool, faultDev, faultK int) refResult {
	ne := len(m.Elements)
	r := refResult{live: make([]bool, ne), active: make([]int, ne), volt: make([][3]complex128, ne),
		cur: make([]phasors, ne), p: make([]float64, ne), q: make([]float64, ne), dark: make([]bool, len(m.Devices)), nominal: make([]bool, ne)}
	for i := range m.Elements {
		e := &m.Elements[i]
		r.active[i] = -1
		if open != nil && open[i] {
			continue
		}
		if len(e.Inputs) == 0 {
			r.live[i], r.active[i], r.nominal[i] = true, 0, true
			if e.Phases == 3 {
				r.volt[i] = threePhase(e.VoltageV, 0)
			} else {
				r.volt[i][0] = complex(e.VoltageV, 0)
			}
			continue
		}
		for _, k := range []int{e.Preferred, 1 - e.Preferred} {
			if k < len(e.Inputs) && r.live[e.Inputs[k]] {
				r.live[i], r.active[i] = true, k
				break
			}
		}
		if !r.live[i] {
			continue
		}
		sup := int(e.Inputs[r.active[i]])
		r.nominal[i] = r.nominal[sup] && r.active[i] == e.Preferred
		sv := r.volt[sup]
		switch j, k := lineOf(e.Line); {
		case setsVoltage(m, i, sup):
			ref := cmplx.Phase(sv[0])
			if e.Phases == 3 {
				r.volt[i] = threePhase(e.VoltageV, ref)
			} else {
				r.volt[i][0] = cmplx.Rect(e.VoltageV, ref)
			}
		case j >= 0 && k >= 0:
			r.volt[i][0] = sv[j] - sv[k]
		case j >= 0:
			r.volt[i][0] = sv[j]
		default:
			r.volt[i] = sv
		}
		if r.active[i] != e.Preferred {
			// The loader lets a switch's inputs differ by up to 2 % in
			// voltage; loads below it are taken at its nominal voltage (the
			// preferred input's), at the angle of the input that feeds them.
			nominal := e.VoltageV
			if e.Phases == 3 {
				nominal /= math.Sqrt(3)
			}
			for k := range 3 {
				if r.volt[i][k] != 0 {
					r.volt[i][k] *= complex(nominal/cmplx.Abs(r.volt[i][k]), 0)
				}
			}
		}
	}
	for d := range m.Devices {
		dev := &m.Devices[d]
		var powered []int
		for j, f := range dev.Feeds {
			if r.live[f] && !(d == faultDev && j == faultK) {
				powered = append(powered, int(f))
			}
		}
		if len(powered) < m.DeviceModels[dev.Model].PSUsRequired {
			r.dark[d] = true
			continue
		}
		draw, _ := Draw(m, dev, b)
		w := draw / float64(len(powered))
		pf := psuFeedPF(m, d)
		s := complex(w, w*math.Tan(math.Acos(pf)))
		for _, f := range powered {
			var c phasors
			if m.Elements[f].Phases == 3 {
				for k := range 3 {
					c[k] = cmplx.Conj(s / 3 / r.volt[f][k])
				}
			} else {
				c[0] = cmplx.Conj(s / r.volt[f][0])
			}
			r.carry(m, f, c, s)
		}
	}
	return r
}

// carry adds one PSU's line currents c (complex power s) at element e and
// on every element above it along the live path.
func (r *refResult) carry(m *topology.Model, e int, c phasors, s complex128) {
	for {
		for k := range 3 {
			r.cur[e][k] += c[k]
		}
		r.p[e] += real(s)
		r.q[e] += imag(s)
		el := &m.Elements[e]
		if len(el.Inputs) == 0 {
			return
		}
		sup := int(el.Inputs[r.active[e]])
		var up phasors
		switch j, k := lineOf(el.Line); {
		case setsVoltage(m, e, sup) && el.Phases == m.Elements[sup].Phases:
			// Ideal transformer, line by line: the same power on each line.
			for k := range 3 {
				if r.volt[sup][k] != 0 {
					up[k] = cmplx.Conj(r.volt[e][k] * cmplx.Conj(c[k]) / r.volt[sup][k])
				}
			}
		case setsVoltage(m, e, sup):
			// Phase count changes: the total power, spread over the supply's lines.
			var st complex128
			for k := range 3 {
				st += r.volt[e][k] * cmplx.Conj(c[k])
			}
			if m.Elements[sup].Phases == 1 {
				up[0] = cmplx.Conj(st / r.volt[sup][0])
			} else {
				for k := range 3 {
					up[k] = cmplx.Conj(st / 3 / r.volt[sup][k])
				}
			}
		case j >= 0 && k >= 0:
			up[j], up[k] = c[0], -c[0]
		case j >= 0:
			up[j] = c[0]
		default:
			up = c
		}
		e, c = sup, up
	}
}

// compareFlows checks a flow against the reference: energization, line
// currents within 1e-6 A, real and reactive power within 1e-6.
func compareFlows(t testing.TB, what string, m *topology.Model, got *Flow, want refResult) {
	t.Helper()
	for e := range m.Elements {
		id := m.Elements[e].ID
		if got.Live[e] != want.live[e] {
			t.Fatalf("%s: %s live = %v, want %v", what, id, got.Live[e], want.live[e])
		}
		if int(got.Active[e]) != want.active[e] {
			t.Fatalf("%s: %s active input = %d, want %d", what, id, got.Active[e], want.active[e])
		}
		for k := range 3 {
			diff := cmplx.Abs(got.Cur[e][k] - want.cur[e][k])
			if !want.nominal[e] {
				diff = math.Abs(cmplx.Abs(got.Cur[e][k]) - cmplx.Abs(want.cur[e][k]))
			}
			if diff > 1e-6 {
				t.Fatalf("%s: %s line %d current = %.6f A ∠%.2f°, want %.6f A ∠%.2f°", what, id, k+1,
					cmplx.Abs(got.Cur[e][k]), cmplx.Phase(got.Cur[e][k])*180/math.Pi, cmplx.Abs(want.cur[e][k]), cmplx.Phase(want.cur[e][k])*180/math.Pi)
			}
		}
		if !near(got.P[e], want.p[e], 1e-6) || !near(got.Q[e], want.q[e], 1e-6) {
			t.Fatalf("%s: %s power = %.6f W %.6f var, want %.6f W %.6f var", what, id, got.P[e], got.Q[e], want.p[e], want.q[e])
		}
	}
}
