package power

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"blackstart/topology"
)

// The property tests run the incremental engine against the dumb
// references over several hundred random models (gen_test.go), with fixed
// seeds so that a failure names its model: rerun with -run and read the
// TOML that randomTOML(seed) writes.

const propertyModelsFull = 400

// propertyModels is how many random models each property test runs:
// propertyModelsFull, or an eighth of them under -short (the fast first
// stage of mutation testing, README "Testing"; the default run is whole).
func propertyModels() int {
	if testing.Short() {
		return propertyModelsFull / 8
	}
	return propertyModelsFull
}

// perModels scales a minimum count of what the random models must
// exercise, given per 400 models, to the models run.
func perModels(per400 int) int { return per400 * propertyModels() / propertyModelsFull }

// basisFor alternates the draw basis over the seeds: nameplate-heavy
// conservative figures on even seeds, typical ones on odd seeds.
func basisFor(seed uint64) Basis {
	if seed%2 == 0 {
		return BasisConservative
	}
	return BasisTypical
}

// sameFlow checks Sim's incremental flow against fullFlow: energization,
// active inputs, line currents within 1e-6 A, powers within 1e-6.
func sameFlow(t testing.TB, what string, m *topology.Model, got, want *Flow) {
	t.Helper()
	for e := range m.Elements {
		id := m.Elements[e].ID
		if got.Live[e] != want.Live[e] || got.Active[e] != want.Active[e] {
			t.Fatalf("%s: %s live %v on input %d, want live %v on input %d", what, id, got.Live[e], got.Active[e], want.Live[e], want.Active[e])
		}
		for k := range 3 {
			if d := cmplx.Abs(got.Cur[e][k] - want.Cur[e][k]); d > 1e-6 {
				t.Fatalf("%s: %s line %d: got %.9f A ∠%.3f rad, want %.9f A ∠%.3f rad", what, id, k+1,
					cmplx.Abs(got.Cur[e][k]), cmplx.Phase(got.Cur[e][k]), cmplx.Abs(want.Cur[e][k]), cmplx.Phase(want.Cur[e][k]))
			}
		}
		if !near(got.P[e], want.P[e], 1e-6) || !near(got.Q[e], want.Q[e], 1e-6) {
			t.Fatalf("%s: %s got %.9f W %.9f var, want %.9f W %.9f var", what, id, got.P[e], got.Q[e], want.P[e], want.Q[e])
		}
	}
}

// faultTarget is the element a PSU fault opens, found the dumb way: walk up
// the preferred inputs from the PSU's feed to the first element with a trip
// standard, else to the source.
func faultTarget(m *topology.Model, d, k int) int {
	e := int(m.Devices[d].Feeds[k])
	for {
		el := &m.Elements[e]
		if el.Standard != topology.StdNone || len(el.Inputs) == 0 {
			return e
		}
		e = int(el.Inputs[el.Preferred])
	}
}

// TestPropertyIncrementalFlow: for every single failure of every random
// model (each element; each PSU fault, with and without the protective
// device it opens) and some double failures, Sim.apply gives the flow
// fullFlow computes from scratch.
func TestPropertyIncrementalFlow(t *testing.T) {
	for seed := range uint64(propertyModels()) {
		m := randomModel(t, seed)
		n := NewNetwork(m, basisFor(seed))
		s := NewSim(n)
		ne := len(m.Elements)
		check := func(opened []int32, dev, k int) {
			t.Helper()
			open := make([]bool, ne)
			var names []string
			for _, e := range opened {
				open[e] = true
				names = append(names, m.Elements[e].ID)
			}
			if dev >= 0 {
				names = append(names, PSUName(m, dev, k))
			}
			s.apply(opened, int32(dev), int32(k))
			want := n.fullFlow(open, dev, k)
			sameFlow(t, fmt.Sprintf("seed %d, %v", seed, names), m, &s.cur, &want)
		}
		for e := range ne {
			check([]int32{int32(e)}, -1, -1)
		}
		for d := range m.Devices {
			for k := range m.Devices[d].Feeds {
				check(nil, d, k)
				check([]int32{int32(faultTarget(m, d, k))}, d, k)
			}
		}
		rng := rand.New(rand.NewPCG(seed, 2))
		for range 10 {
			check([]int32{int32(rng.IntN(ne)), int32(rng.IntN(ne))}, -1, -1)
		}
		// Back to normal operation.
		s.apply(nil, -1, -1)
		sameFlow(t, fmt.Sprintf("seed %d, nothing failed", seed), m, &s.cur, &n.Base)
	}
}

// refOutcome is what the reference cascade finds.
type refOutcome struct {
	trips     []string // "element@t", in order
	transfers []string // "element@t to input"
	overloads []string // overload events: "element@t verdict"
	tripTimes []float64
	// per element, the worst load seen: ratio and verdict, over all live
	// elements (all), and over elements whose load differs from normal
	// operation (changed)
	worstAll     map[string]Assessment
	worstChanged Verdict
	hot          Verdict // worst verdict at may-trip or above, else OK
	tripped      int
	darkDevices  []string
	darkElements []string
	darkRacks    []string
}

// refCascade is the dumb cascade: at every step recompute the whole flow
// from scratch (fullFlow) and assess every live element; the next trip is
// the earliest end of a band's earliest time, counting the heat already
// accumulated (the integral of 1/t over the piecewise-constant current, as
// Run documents); open it and repeat until nothing more trips within the
// horizon.
//
// When certain, only elements that must trip trip, when the integral of
// 1/t over the latest trip time reaches 1 (Scenario.Certain).
func refCascade(n *Network, fail []int32, psuDev, psuK int, horizonS float64, certain bool) refOutcome {
	if certain {
		out, _ := refRun(n, fail, psuDev, psuK, horizonS, true, nil)
		return out
	}
	// The worst case: the darkest of the cascades that take, at each step,
	// any element whose earliest trip is within the horizon and no later
	// than every element's latest (explored only when the element ends
	// closed and energized); the earliest first, then the others, depth
	// first from the last choice, at most WorstSearchCascades.
	best, stack := refRun(n, fail, psuDev, psuK, horizonS, false, nil)
	for runs := 1; len(stack) > 0 && runs < WorstSearchCascades; runs++ {
		path := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out, more := refRun(n, fail, psuDev, psuK, horizonS, false, path)
		stack = append(stack, more...)
		if len(out.darkDevices) > len(best.darkDevices) || len(out.darkDevices) == len(best.darkDevices) && len(out.darkElements) > len(best.darkElements) {
			best = out
		}
	}
	return best
}

// refRun is one cascade of refCascade; in the worst case it takes the
// trips of path first and returns the paths of the choices it did not take.
func refRun(n *Network, fail []int32, psuDev, psuK int, horizonS float64, certain bool, path []string) (refOutcome, [][]string) {
	var branches [][]string
	m := n.M
	ne := len(m.Elements)
	open := make([]bool, ne)
	for _, e := range fail {
		open[e] = true
	}
	if psuDev >= 0 {
		open[faultTarget(m, psuDev, psuK)] = true
	}
	out := refOutcome{worstAll: map[string]Assessment{}}
	hmin, hmax := make([]float64, ne), make([]float64, ne)
	transferred := make([]bool, ne)
	// A faulted PSU whose feed a transfer switch kept alive: the fault
	// follows the transfer and opens the protective device of the new path.
	for psuDev >= 0 {
		f := n.fullFlow(open, psuDev, psuK)
		fe := m.Devices[psuDev].Feeds[psuK]
		if !f.Live[fe] {
			break
		}
		for e := range ne {
			if f.Live[e] && f.Active[e] != n.Base.Active[e] && !transferred[e] {
				transferred[e] = true
				out.transfers = append(out.transfers, fmt.Sprintf("%s@%.6f to %s", m.Elements[e].ID, 0.0, m.Elements[m.Elements[e].Inputs[f.Active[e]]].ID))
			}
		}
		p := int32(-1)
		for e := fe; ; {
			el := &m.Elements[e]
			if el.Standard != topology.StdNone && !open[e] {
				p = e
				break
			}
			if len(el.Inputs) == 0 {
				break
			}
			e = el.Inputs[f.Active[e]]
		}
		if p < 0 {
			break
		}
		open[p] = true
	}
	reported := make([]Verdict, ne)
	t := 0.0
	var f Flow
	for range ne + 1 {
		f = n.fullFlow(open, psuDev, psuK)
		as := make([]Assessment, ne)
		next, nextDT := -1, inf
		for e := range ne {
			id := m.Elements[e].ID
			if !f.Live[e] {
				continue
			}
			if f.Active[e] != n.Base.Active[e] && !transferred[e] {
				transferred[e] = true
				out.transfers = append(out.transfers, fmt.Sprintf("%s@%.6f to %s", id, t, m.Elements[m.Elements[e].Inputs[f.Active[e]]].ID))
			}
			a := n.assess(&f, e)
			as[e] = a
			if w, ok := out.worstAll[id]; a.Verdict > OK && (!ok || a.Ratio > w.Ratio*(1+1e-9)) {
				out.worstAll[id] = a
			}
			changed := false
			for k := range 3 {
				changed = changed || cmplx.Abs(f.Cur[e][k]-n.Base.Cur[e][k]) > 1e-9
			}
			if changed {
				out.worstChanged = max(out.worstChanged, a.Verdict)
			}
			if a.Verdict >= MayTrip {
				out.hot = max(out.hot, a.Verdict)
			}
			// Timeline events: every element reaching may-trip; below that,
			// those whose load the failure changed.
			if (a.Verdict >= MayTrip || a.Verdict > OK && changed) && reported[e] < a.Verdict {
				reported[e] = a.Verdict
				out.overloads = append(out.overloads, fmt.Sprintf("%s@%.6f %s", id, t, a.Verdict))
			}
			if dt := dueIn(a.Band, hmin[e], hmax[e], certain); dt < inf {
				nextDT = min(nextDT, dt)
			}
		}
		// Trips due at the same time, to 1e-9 relative, go in model order.
		for e := range ne {
			if dt := dueIn(as[e].Band, hmin[e], hmax[e], certain); f.Live[e] && dt < inf && dt <= nextDT*(1+1e-9) {
				next = e
				break
			}
		}
		if next < 0 || t+nextDT > horizonS {
			break
		}
		if !certain {
			k := len(out.trips)
			if k < len(path) {
				next, _ = m.ElementIndex(path[k])
				nextDT = dueIn(as[next].Band, hmin[next], hmax[next], false)
			} else {
				mustBy := inf
				for e := range ne {
					if f.Live[e] && as[e].Band.MinS < inf {
						mustBy = min(mustBy, dueIn(as[e].Band, hmin[e], hmax[e], true))
					}
				}
				for e := range ne {
					if dt := dueIn(as[e].Band, hmin[e], hmax[e], false); e != next && f.Live[e] && dt <= mustBy*(1+1e-9) && t+dt <= horizonS {
						branches = append(branches, append(slices.Clone(out.trips), m.Elements[e].ID))
					}
				}
			}
		}
		for e := range ne {
			if f.Live[e] && as[e].Band.MinS < inf {
				hmin[e] += nextDT / as[e].Band.MinS
			}
			if f.Live[e] && as[e].Band.MaxS < inf {
				hmax[e] += nextDT / as[e].Band.MaxS
			}
		}
		t += nextDT
		out.trips = append(out.trips, m.Elements[next].ID)
		out.tripTimes = append(out.tripTimes, t)
		open[next] = true
	}
	out.tripped = len(out.trips)
	if out.tripped > 0 {
		out.hot = Trip
	}
	darkPerRack := make([]int, len(m.Racks))
	perRack := make([]int, len(m.Racks))
	for d := range m.Devices {
		dev := &m.Devices[d]
		perRack[dev.Rack]++
		powered := 0
		for k, fe := range dev.Feeds {
			if f.Live[fe] && !(d == psuDev && k == psuK) {
				powered++
			}
		}
		if powered < m.DeviceModels[dev.Model].PSUsRequired {
			out.darkDevices = append(out.darkDevices, dev.ID)
			darkPerRack[dev.Rack]++
		}
	}
	for r := range m.Racks {
		if darkPerRack[r] > 0 && darkPerRack[r] == perRack[r] {
			out.darkRacks = append(out.darkRacks, m.Racks[r].ID)
		}
	}
	for e := range ne {
		if !f.Live[e] {
			out.darkElements = append(out.darkElements, m.Elements[e].ID)
		}
	}
	// Only choices of an element that ends closed and energized.
	var keep [][]string
	for _, p := range branches {
		if u, _ := m.ElementIndex(p[len(p)-1]); !open[u] && f.Live[u] {
			keep = append(keep, p)
		}
	}
	return out, keep
}

// dueIn is the time until an element with band b and accumulated heat
// (fractions hmin, hmax of its earliest and latest times) trips: at the
// earliest time in the worst case, at the latest when certain.
func dueIn(b Band, hmin, hmax float64, certain bool) float64 {
	if certain {
		if b.MaxS == inf {
			return inf
		}
		return max(0, 1-hmax) * b.MaxS
	}
	if b.MinS == inf {
		return inf
	}
	return max(0, 1-hmin) * b.MinS
}

// sameCascade compares Run's scenario with the reference cascade.
func sameCascade(t testing.TB, what string, sc Scenario, ref refOutcome) {
	t.Helper()
	var trips []string
	var tripTimes []float64
	var transfers, overloads []string
	for _, ev := range sc.Events {
		switch ev.Event {
		case "trip":
			trips = append(trips, ev.Element)
			tripTimes = append(tripTimes, float64(ev.TS))
		case "transfer":
			transfers = append(transfers, fmt.Sprintf("%s@%.6f %s", ev.Element, float64(ev.TS), ev.Detail))
		case "overload":
			overloads = append(overloads, fmt.Sprintf("%s@%.6f %s", ev.Element, float64(ev.TS), ev.Verdict))
		}
	}
	if !slices.Equal(trips, ref.trips) || sc.Tripped != ref.tripped {
		t.Fatalf("%s: got trips %v (%d), want %v", what, trips, sc.Tripped, ref.trips)
	}
	for i := range tripTimes {
		if !near(tripTimes[i], ref.tripTimes[i], 1e-6*max(1, ref.tripTimes[i])) {
			t.Fatalf("%s: trip %d (%s): got t = %.9f s, want %.9f s", what, i+1, trips[i], tripTimes[i], ref.tripTimes[i])
		}
	}
	// Events at one time may come in another order; times printed to 1e-6 s
	// are compared as sets.
	for _, c := range []struct {
		kind      string
		got, want []string
	}{{"transfer", transfers, ref.transfers}, {"overload", overloads, ref.overloads}} {
		slices.Sort(c.got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(c.got, want) {
			t.Fatalf("%s: got %s events %v, want %v", what, c.kind, c.got, want)
		}
	}
	for _, c := range []struct {
		kind      string
		got, want []string
	}{{"devices", sc.Dark.Devices, ref.darkDevices}, {"elements", sc.Dark.Elements, ref.darkElements}, {"racks", sc.Dark.Racks, ref.darkRacks}} {
		if !slices.Equal(c.got, c.want) {
			t.Fatalf("%s: got dark %s %v, want %v", what, c.kind, c.got, c.want)
		}
	}

	// The verdict: exact at may-trip and above; below, at least what the
	// elements whose load changed reached, at most what any element did.
	var worstAll Verdict
	for _, a := range ref.worstAll {
		worstAll = max(worstAll, a.Verdict)
	}
	if ref.hot >= MayTrip && sc.Verdict != ref.hot || ref.hot < MayTrip && (sc.Verdict < ref.worstChanged || sc.Verdict > worstAll) {
		t.Fatalf("%s: got verdict %s, want %s (changed elements reach %s, all %s)", what, sc.Verdict, ref.hot, ref.worstChanged, worstAll)
	}
	// Overloads: every element reaching may-trip is listed with its worst
	// load; no element is listed worse than the reference saw it.
	listed := map[string]Overload{}
	for _, o := range sc.Overloads {
		listed[o.Element] = o
		w, ok := ref.worstAll[o.Element]
		if !ok || o.Verdict > w.Verdict || o.Ratio > w.Ratio+0.5e-4+1e-9 { // Ratio is rounded to 4 digits
			t.Fatalf("%s: got overload %+v, want at most the reference's %s at ratio %.4f", what, o, w.Verdict, w.Ratio)
		}
	}
	for id, w := range ref.worstAll {
		if w.Verdict < MayTrip {
			continue
		}
		o, ok := listed[id]
		if !ok || o.Verdict != w.Verdict || !near(o.Ratio, w.Ratio, 0.5e-4+1e-9) || !near(o.CurrentA, w.CurrentA, 0.5e-3+1e-9) {
			t.Fatalf("%s: got overload %+v for %s, want %s at ratio %.4f, %.3f A", what, o, id, w.Verdict, w.Ratio, w.CurrentA)
		}
	}
	// Events are in time order.
	if !slices.IsSortedFunc(sc.Events, func(a, b Event) int { return cmp.Compare(a.TS, b.TS) }) {
		t.Fatalf("%s: events out of time order: %+v", what, sc.Events)
	}
}

// sameCertain compares the scenario's certain cascade with the reference's.
func sameCertain(t testing.TB, what string, sc Scenario, ref refOutcome) {
	t.Helper()
	var trips []string
	for i, ev := range sc.Certain.Trips {
		trips = append(trips, ev.Element)
		if i < len(ref.tripTimes) && !near(float64(ev.TS), ref.tripTimes[i], 1e-6*max(1, ref.tripTimes[i])) {
			t.Fatalf("%s: certain trip %d (%s): got t = %.9f s, want %.9f s", what, i+1, ev.Element, float64(ev.TS), ref.tripTimes[i])
		}
	}
	if !slices.Equal(trips, ref.trips) || sc.Certain.Tripped != ref.tripped {
		t.Fatalf("%s: got certain trips %v (%d), want %v", what, trips, sc.Certain.Tripped, ref.trips)
	}
	for _, c := range []struct {
		kind      string
		got, want []string
	}{{"devices", sc.Certain.Dark.Devices, ref.darkDevices}, {"elements", sc.Certain.Dark.Elements, ref.darkElements}, {"racks", sc.Certain.Dark.Racks, ref.darkRacks}} {
		if !slices.Equal(c.got, c.want) {
			t.Fatalf("%s: got certain dark %s %v, want %v", what, c.kind, c.got, c.want)
		}
	}
}

// sameOutcome checks the scenario's outcome against the two reference
// cascades: trip when the certain one trips, leaves dark load or holds an
// element at its must-trip current (tripping after the horizon); may-trip
// when only the worst case does (or an element sits in its may-trip band),
// else below may-trip; risky exactly at may-trip and above.
func sameOutcome(t testing.TB, what string, sc Scenario, worst, sure refOutcome) {
	t.Helper()
	switch {
	case sure.hot == Trip || len(sure.darkDevices) > 0:
		if sc.Outcome != Trip {
			t.Fatalf("%s: got outcome %s, want trip (certain: %d trips, %d dark devices, worst element %s)", what, sc.Outcome, sure.tripped, len(sure.darkDevices), sure.hot)
		}
	case worst.tripped > 0 || len(worst.darkDevices) > 0 || max(worst.hot, sure.hot) >= MayTrip:
		if sc.Outcome != MayTrip {
			t.Fatalf("%s: got outcome %s, want may-trip (worst case: %d trips, %d dark devices, worst element %s; certain: none)", what, sc.Outcome, worst.tripped, len(worst.darkDevices), worst.hot)
		}
	default:
		if sc.Outcome > sc.Verdict || sc.Outcome >= MayTrip {
			t.Fatalf("%s: got outcome %s with element verdict %s and nothing dark, tripped or at may-trip", what, sc.Outcome, sc.Verdict)
		}
	}
	if sc.Risky != (sc.Outcome >= MayTrip) {
		t.Fatalf("%s: got risky %v with outcome %s", what, sc.Risky, sc.Outcome)
	}
}

// TestPropertyCascade: for every single failure of every random model
// (elements and PSU faults), Run's cascade is the one the dumb reference
// finds by recomputing everything at every step. Horizons vary so that some
// cascades are cut short.
func TestPropertyCascade(t *testing.T) {
	horizons := []float64{DefaultHorizonS, 600, 20}
	var trips, cascades, transfers, dark, mayOnly int
	for seed := range uint64(propertyModels()) {
		m := randomModel(t, seed)
		n := NewNetwork(m, basisFor(seed))
		s := NewSim(n)
		h := horizons[seed%3]
		run := func(fail []int32, dev, k int) {
			t.Helper()
			sc := s.Run(fail, int32(dev), int32(k), h)
			what := fmt.Sprintf("seed %d, horizon %g s, %v", seed, h, sc.Failed)
			if dev >= 0 {
				if want := m.Elements[faultTarget(m, dev, k)].ID; sc.Opens != want || sc.Kind != "psu" {
					t.Fatalf("%s: got kind %s opening %q, want psu opening %q", what, sc.Kind, sc.Opens, want)
				}
			}
			worst, sure := refCascade(n, fail, dev, k, h, false), refCascade(n, fail, dev, k, h, true)
			sameCascade(t, what, sc, worst)
			sameCertain(t, what, sc, sure)
			sameOutcome(t, what, sc, worst, sure)
			// The worst case is the darkest outcome the bands allow: nothing
			// the certain cascade leaves dark is powered in it.
			inWorst := map[string]bool{}
			for _, d := range sc.Dark.Devices {
				inWorst[d] = true
			}
			for _, d := range sc.Certain.Dark.Devices {
				if !inWorst[d] {
					t.Errorf("%s: device %s is dark in the certain cascade (trips %v) but not in the worst case (trips %v)", what, d, sure.trips, worst.trips)
				}
			}
			if sure.tripped < worst.tripped || len(sure.darkDevices) < len(worst.darkDevices) {
				mayOnly++
			}
			trips += sc.Tripped
			if sc.Tripped > 1 {
				cascades++ // a second trip counts the heat of the first step
			}
			transfers += len(eventsOf(sc, "transfer"))
			if len(sc.Dark.Devices) > 0 {
				dark++
			}
		}
		for e := range m.Elements {
			run([]int32{int32(e)}, -1, -1)
		}
		for d := range m.Devices {
			for k := range m.Devices[d].Feeds {
				run(nil, d, k)
			}
		}
	}
	// The models must exercise what is compared.
	t.Logf("%d models: %d trips, %d cascades of two trips or more, %d transfers, %d scenarios with dark devices, %d whose certain cascade does less than the worst case", propertyModels(), trips, cascades, transfers, dark, mayOnly)
	at := perModels
	if trips < at(2000) || cascades < at(500) || transfers < at(500) || dark < at(2000) || mayOnly < at(100) {
		t.Errorf("random models: got %d trips, %d cascades, %d transfers, %d scenarios with dark devices, %d certain < worst; want at least %d, %d, %d, %d, %d", trips, cascades, transfers, dark, mayOnly, at(2000), at(500), at(500), at(2000), at(100))
	}
}

// TestPropertySweepMatchesRun: every scenario of the sweep, including the
// PSU faults it derives from the scenario of the device they open, is the
// scenario Run gives for that failure; a sweep that keeps some scenarios
// (and lists the pickups of those only) lists them as the full sweep does.
func TestPropertySweepMatchesRun(t *testing.T) {
	for seed := range uint64(propertyModels()) {
		m := randomModel(t, seed)
		n := NewNetwork(m, basisFor(seed))
		rep := n.Sweep(SweepOptions{})
		// The risky scenarios, and every other PSU fault: PSU faults whose
		// element's scenario is not kept among them.
		odd := 0
		sameKept(t, rep, n.Sweep(SweepOptions{Keep: func(sc *Scenario) bool {
			odd++
			return sc.Risky || sc.Kind == "psu" && odd%2 == 0
		}}))
		s := NewSim(n)
		want := map[string]Scenario{}
		for e := range m.Elements {
			want[m.Elements[e].ID] = s.Run([]int32{int32(e)}, -1, -1, DefaultHorizonS)
		}
		for d := range m.Devices {
			for k := range m.Devices[d].Feeds {
				want[PSUName(m, d, k)] = s.Run(nil, int32(d), int32(k), DefaultHorizonS)
			}
		}
		if len(rep.Scenarios) != len(want) || rep.Summary.Scenarios != len(want) {
			t.Fatalf("seed %d: got %d scenarios (summary %d), want %d", seed, len(rep.Scenarios), rep.Summary.Scenarios, len(want))
		}
		for _, sc := range rep.Scenarios {
			if sc.SameAs != "" { // a PSU fault the sweep derives: the same but for its name
				if sc.Kind != "psu" || sc.SameAs != sc.Opens {
					t.Fatalf("seed %d, %v: same_as %q, opens %q", seed, sc.Failed, sc.SameAs, sc.Opens)
				}
				sc.SameAs = ""
				dev, k, _ := strings.Cut(sc.Failed[0], "/psu")
				psu, _ := strconv.Atoi(k)
				sc.Events = append([]Event{n.psuFaultEvent(int32(device(t, m, dev)), int32(psu-1))}, sc.Events...) // implied by same_as
			}
			got, _ := json.Marshal(sc)
			w, _ := json.Marshal(want[sc.Failed[0]])
			if string(got) != string(w) {
				t.Fatalf("seed %d, %v: sweep scenario differs from Run:\ngot  %s\nwant %s", seed, sc.Failed, got, w)
			}
		}
	}
}
