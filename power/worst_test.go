package power

import "testing"

// Trip choices of the brute-force oracle: each element that can trip
// trips at the earliest time of its band, at the latest, or never (only
// while its band allows holding: MaxS = +Inf; at a must-trip load it trips
// at the latest).
const (
	tripEarliest = iota
	tripLatest
	tripNever
)

// oracleCascade runs the cascade after the failure of element fail, from
// scratch at every step, each element tripping as choice says (elements
// missing from choice: earliest). It returns the devices left dark and the
// first element that could trip without a choice, or -1.
func oracleCascade(n *Network, fail int, horizonS float64, choice map[int]int) (dark map[string]bool, unchosen int) {
	m := n.M
	ne := len(m.Elements)
	open := make([]bool, ne)
	open[fail] = true
	hmin, hmax := make([]float64, ne), make([]float64, ne)
	unchosen = -1
	t := 0.0
	var f Flow
	for range ne + 1 {
		f = n.fullFlow(open, -1, -1)
		as := make([]Assessment, ne)
		next, nextDT := -1, inf
		for e := range ne {
			if !f.Live[e] {
				continue
			}
			as[e] = n.assess(&f, e)
			b := as[e].Band
			if b.MinS == inf {
				continue
			}
			c, ok := choice[e]
			if !ok && unchosen < 0 {
				unchosen = e
			}
			var dt float64
			switch {
			case c == tripEarliest:
				dt = max(0, 1-hmin[e]) * b.MinS
			case b.MaxS == inf: // latest or never: a band without a latest time holds
				dt = inf
			default:
				dt = max(0, 1-hmax[e]) * b.MaxS
			}
			if dt < nextDT*(1-1e-9) {
				next, nextDT = e, dt
			}
		}
		if next < 0 || t+nextDT > horizonS {
			break
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
		open[next] = true
	}
	dark = map[string]bool{}
	for d := range m.Devices {
		dev := &m.Devices[d]
		powered := 0
		for _, fe := range dev.Feeds {
			if f.Live[fe] {
				powered++
			}
		}
		if powered < m.DeviceModels[dev.Model].PSUsRequired {
			dark[dev.ID] = true
		}
	}
	return dark, unchosen
}

// oracleOutcomes enumerates every assignment of a choice to the elements
// that can trip in the cascade after the failure of fail (found as the
// cascades run), calling visit with each outcome's dark devices. It gives
// up (returns false) beyond maxChoices elements.
func oracleOutcomes(n *Network, fail int, horizonS float64, maxChoices int, visit func(map[string]bool)) bool {
	var rec func(choice map[int]int) bool
	rec = func(choice map[int]int) bool {
		dark, e := oracleCascade(n, fail, horizonS, choice)
		if e < 0 {
			visit(dark)
			return true
		}
		if len(choice) == maxChoices {
			return false
		}
		for c := tripEarliest; c <= tripNever; c++ {
			choice[e] = c
			if !rec(choice) {
				return false
			}
		}
		delete(choice, e)
		return true
	}
	return rec(map[int]int{})
}

// TestWorstCaseOracle checks the worst case against brute force: on small
// random models, for every single element failure whose cascade involves
// at most 6 elements that can trip, every combination of each one
// tripping at the earliest time of its band, at the latest, or never
// (where its band allows) is run from scratch, and the worst case must
// leave every device dark that any of those outcomes does. The search the
// worst case makes (trip orders, each trip at its earliest time) is not
// exhaustive, so the test reports the rate and requires every scenario.
func TestWorstCaseOracle(t *testing.T) {
	models := 40
	if testing.Short() {
		models = 8 // mutation testing's fast first stage; the default run is whole
	}
	var scenarios, outcomes, skipped, covered, asDark int
	for seed := range uint64(models) {
		m := randomModel(t, seed)
		n := NewNetwork(m, basisFor(seed))
		s := NewSim(n)
		for e := range m.Elements {
			sc := s.Run([]int32{int32(e)}, -1, -1, DefaultHorizonS)
			worst := map[string]bool{}
			for _, d := range sc.Dark.Devices {
				worst[d] = true
			}
			ok, darkOK := true, true
			var missed []string
			complete := oracleOutcomes(n, e, DefaultHorizonS, 6, func(dark map[string]bool) {
				outcomes++
				if len(dark) > len(worst) {
					darkOK = false
				}
				for d := range dark {
					if !worst[d] {
						ok = false
						missed = append(missed, d)
					}
				}
			})
			if !complete {
				skipped++
				continue
			}
			scenarios++
			if darkOK {
				asDark++
			}
			if ok {
				covered++
			} else {
				t.Errorf("seed %d, %s fails: an outcome of the bands leaves %v dark, which the worst case (trips %d, dark %v) keeps powered", seed, m.Elements[e].ID, missed, sc.Tripped, sc.Dark.Devices)
			}
		}
	}
	t.Logf("%d models: %d scenarios checked against %d enumerated outcomes (%d skipped: more than 6 elements can trip); worst case covers every outcome's dark devices in %d (%.2f %%), leaves as many dark in %d",
		models, scenarios, outcomes, skipped, covered, 100*float64(covered)/float64(max(scenarios, 1)), asDark)
	if want := 200 * models / 40; scenarios < want {
		t.Errorf("got %d scenarios checked, want at least %d: the models must exercise the oracle", scenarios, want)
	}
}

// TestWorstSearchCapReported checks that a scenario whose worst-case
// search stops at its cap says so, and only then: on the random models,
// a cap of 1 cascade marks exactly the scenarios with overlapping bands
// (a choice left unexplored), whose worst case the full search may
// darken; below the cap nothing is marked, and the sweep counts the
// marked scenarios.
func TestWorstSearchCapReported(t *testing.T) {
	var capped, plain int
	for seed := range uint64(20) {
		m := randomModel(t, seed)
		n := NewNetwork(m, basisFor(seed))
		full, one := NewSim(n), NewSim(n)
		one.searchCap = 1
		for e := range m.Elements {
			f := full.Run([]int32{int32(e)}, -1, -1, DefaultHorizonS)
			o := one.Run([]int32{int32(e)}, -1, -1, DefaultHorizonS)
			if f.WorstSearchCapped {
				t.Errorf("seed %d, %s fails: marked capped on a small model (%d cascades allowed)", seed, m.Elements[e].ID, WorstSearchCascades)
			}
			if o.WorstSearchCapped {
				capped++
				if len(o.Dark.Devices) > len(f.Dark.Devices) {
					t.Errorf("seed %d, %s fails: one cascade leaves %d devices dark, the full search %d", seed, m.Elements[e].ID, len(o.Dark.Devices), len(f.Dark.Devices))
				}
				continue
			}
			plain++
			if len(o.Dark.Devices) != len(f.Dark.Devices) || o.Tripped != f.Tripped {
				t.Errorf("seed %d, %s fails: no choice to explore, yet one cascade gives %d dark / %d trips and the search %d / %d",
					seed, m.Elements[e].ID, len(o.Dark.Devices), o.Tripped, len(f.Dark.Devices), f.Tripped)
			}
		}
	}
	if capped == 0 || plain == 0 {
		t.Fatalf("got %d capped and %d plain scenarios: the models must have both", capped, plain)
	}
	tl := newTally()
	tl.add(&Scenario{WorstSearchCapped: true})
	tl.add(&Scenario{})
	tl.add(&Scenario{WorstSearchCapped: true})
	if got := tl.summary("peak", DefaultHorizonS).WorstSearchCapped; got != 2 {
		t.Errorf("sweep summary counts %d capped scenarios, want 2", got)
	}
}
