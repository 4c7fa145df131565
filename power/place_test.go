package power

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"blackstart/topology"
)

// smallSiteTOML writes a seeded small site: 3–6 racks, each with two
// sides (grid-a, grid-b, 400Y/230 V behind a row panel per side) of a
// 3-pole branch breaker, a circuit and a rack PDU with a 16 A bank per
// line; a few existing dual-corded servers on random lines; and two device
// models for the new hardware. Every load has the site's power factor, so
// currents on a line add in phase and every failover-case load grows with
// every device added (the exhaustive search below prunes on that).
func smallSiteTOML(seed uint64) (src string, adds []PlaceRequest) {
	rng := rand.New(rand.NewPCG(seed, 0x706c616365))
	racks := 3 + rng.IntN(4)
	var sb strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...) }
	p("[site]\nname = \"small-%d\"\npower_factor = 0.95\n", seed)
	panelA := []float64{40, 50, 63}[rng.IntN(3)]
	for _, s := range []string{"a", "b"} {
		p("\n[[source]]\nid = \"grid-%s\"\nvoltage_v = 400\nphases = 3\nwiring = \"wye\"\n", s)
		p("\n[[breaker]]\nid = \"main-%s\"\ninput = \"grid-%s\"\nstandard = \"iec60947-2\"\nrating_a = %g\n", s, s, panelA)
		p("\n[[panel]]\nid = \"panel-%s\"\ninput = \"main-%s\"\n", s, s)
	}
	p("\n[[device_model]]\nid = \"old\"\npsus = 2\npsus_required = 1\ntypical_w = %d\n", 200+50*rng.IntN(10))
	p("\n[[device_model]]\nid = \"new-big\"\npsus = 2\npsus_required = 1\ntypical_w = %d\n", 700+100*rng.IntN(8))
	p("\n[[device_model]]\nid = \"new-small\"\npsus = 2\npsus_required = 1\ntypical_w = %d\n", 250+50*rng.IntN(8))
	lines := []string{"l1", "l2", "l3"}
	for r := range racks {
		p("\n[[rack]]\nid = \"r%d\"\n", r+1)
		branch := []float64{16, 20, 25}[rng.IntN(3)]
		for _, s := range []string{"a", "b"} {
			p("\n[[breaker]]\nid = \"brk-r%d-%s\"\ninput = \"panel-%s\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = %g\npoles = 3\n", r+1, s, s, branch)
			p("\n[[circuit]]\nid = \"cir-r%d-%s\"\ninput = \"brk-r%d-%s\"\n", r+1, s, r+1, s)
			p("\n[[rack_pdu]]\nid = \"pdu-r%d-%s\"\nrack = \"r%d\"\ninput = \"cir-r%d-%s\"\n", r+1, s, r+1, r+1, s)
			for k, l := range lines {
				p("  [[rack_pdu.bank]]\n  id = \"pdu-r%d-%s-%s\"\n  line = \"L%d\"\n  standard = \"iec60898\"\n  curve = \"C\"\n  rating_a = 16\n", r+1, s, l, k+1)
			}
		}
		for d := range rng.IntN(4) {
			l := lines[rng.IntN(3)]
			p("\n[[device]]\nid = \"r%d-s%d\"\nrack = \"r%d\"\nmodel = \"old\"\nfeeds = [\"pdu-r%d-a-%s\", \"pdu-r%d-b-%s\"]\n", r+1, d+1, r+1, r+1, l, r+1, l)
		}
	}
	total := 4 + rng.IntN(5)
	big := rng.IntN(total + 1)
	if big > 0 {
		adds = append(adds, PlaceRequest{Model: "new-big", Count: big})
	}
	if total-big > 0 {
		adds = append(adds, PlaceRequest{Model: "new-small", Count: total - big})
	}
	return sb.String(), adds
}

// exhaustivePlace returns the lowest worst failover load over limit (the
// largest ratio over every budgeted element) of any N-1-safe placement of
// the requested devices on the slots Place considers, by depth-first
// search over every assignment (identical devices in non-decreasing slot
// order), pruned when a partial placement is already no better than the
// best complete one (loads only grow). ok is false when none is N-1-safe.
func exhaustivePlace(n *Network, adds []PlaceRequest) (best float64, ok bool) {
	m := n.M
	b := NewBudget(n)
	load := b.Load(n.DrawW)
	sides := rackSides(m)
	type dev struct {
		w      float64
		probes []Probe
		group  int
	}
	var devs []dev
	for gi, a := range adds {
		k := slices.IndexFunc(m.DeviceModels, func(x topology.DeviceModel) bool { return x.ID == a.Model })
		dm := &m.DeviceModels[k]
		var probes []Probe
		for r := range m.Racks {
			for _, s := range slotsOf(r, sides[r], dm.PSUs) {
				probes = append(probes, b.Probe(s.Feeds, devicePF(m, dm, s.Feeds[0])))
			}
		}
		for range a.Count {
			devs = append(devs, dev{modelDraw(m, k, n.Basis), probes, gi})
		}
	}
	best = math.Inf(1)
	start := slices.Max(load.Ratios(nil)) // unrounded (a Binding's ratio is rounded to 4 digits)
	var ratios []float64
	var rec func(i, from int, worst float64)
	rec = func(i, from int, worst float64) {
		if worst >= best-1e-12 {
			return
		}
		if i == len(devs) {
			best, ok = worst, true
			return
		}
		d := devs[i]
		if i == 0 || devs[i-1].group != d.group {
			from = 0
		}
		for s := from; s < len(d.probes); s++ {
			if fits, _ := load.FitsProbe(d.probes[s], d.w); !fits {
				continue
			}
			ratios = load.ProbeRatios(ratios[:0], d.probes[s], d.w)
			load.AddProbe(d.probes[s], d.w)
			rec(i+1, s, max(worst, slices.Max(ratios)))
			load.AddProbe(d.probes[s], -d.w)
		}
	}
	rec(0, 0, start)
	return best, ok
}

// TestPlaceOptimal compares Place with the exhaustive optimum on 200
// seeded small sites: whenever an N-1-safe placement of every requested
// device exists, Place finds one, and its worst failover load is within
// 5 % of the optimum's; and the LP bound (PlaceLowerBound) is at most the
// optimum, and equal to it on at least 66 sites (33 %).
func TestPlaceOptimal(t *testing.T) {
	sites := 200
	if testing.Short() {
		sites = 15 // mutation testing's fast first stage; the default run is whole
	}
	exact, worstGap, hard, boundGap, tight := 0, 0.0, 0, 0.0, 0
	for seed := range uint64(sites) {
		src, adds := smallSiteTOML(seed)
		m, err := topology.Parse(topology.File{Name: fmt.Sprintf("small-%d.toml", seed), Data: []byte(src)})
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, src)
		}
		n := NewNetwork(m, BasisTypical)
		opt, feasible := exhaustivePlace(n, adds)
		p, err := Place(n, PlaceOptions{Add: adds})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		want := 0
		for _, a := range adds {
			want += a.Count
		}
		if !feasible {
			if len(p.Placed) == want {
				t.Errorf("seed %d: Place placed all %d devices, but the exhaustive search finds no N-1-safe placement", seed, want)
			}
			continue
		}
		if len(p.Placed) != want {
			t.Errorf("seed %d: Place placed %d of %d devices (%+v); an N-1-safe placement of all exists (worst %.4f)", seed, len(p.Placed), want, p.Unplaced, opt)
			continue
		}
		got := p.Model()
		l := NewBudget(NewNetwork(got, BasisTypical))
		w := l.Load(NewNetwork(got, BasisTypical).DrawW)
		if over := w.Over(); len(over) > 0 {
			t.Errorf("seed %d: the placement is not N-1-safe: %v", seed, over)
		}
		worst := slices.Max(w.Ratios(nil))
		if !near(worst, p.WorstAfter.Ratio, 1e-3) {
			t.Errorf("seed %d: reported worst %.4f, the model with the devices has %.4f", seed, p.WorstAfter.Ratio, worst)
		}
		// The LP relaxation is a lower bound of the optimum on the elements
		// the devices can reach.
		bound, err := PlaceLowerBound(n, PlaceOptions{Add: adds})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if bound.Ratio > opt+1e-9 {
			t.Errorf("seed %d: LP bound %.4f above the exhaustive optimum %.4f", seed, bound.Ratio, opt)
		}
		boundGap = max(boundGap, opt/bound.Ratio-1)
		if bound.Ratio >= opt-1e-6 {
			tight++ // the bound is the optimum
		}
		gap := worst/opt - 1
		if gap > 0.05 {
			t.Errorf("seed %d: worst failover load %.4f, optimum %.4f: %.1f %% over (more than 5 %%)", seed, worst, opt, 100*gap)
		}
		if gap < 1e-6 {
			exact++
		}
		worstGap = max(worstGap, gap)
		if start := NewBudget(n).Load(n.DrawW).Worst().Ratio; opt > start+1e-6 {
			hard++ // the new devices set the worst load: a case that tests the choice
		}
	}
	t.Logf("%d sites: %d placed at the exhaustive optimum, largest gap %.2f %%; in %d the new devices set the worst load; the optimum is at most %.2f %% above the LP bound, and equal to it in %d", sites, exact, 100*worstGap, hard, 100*boundGap, tight)
	// The bound's tightness (issue 19): it equals the optimum on 66 of the
	// 200 sites (4 of the first 15); a change that loosens it fails here.
	if wantTight := map[int]int{200: 66, 15: 4}[sites]; tight < wantTight {
		t.Errorf("the LP bound equals the exhaustive optimum on %d of %d sites, want at least %d", tight, sites, wantTight)
	}
}

// TestPlaceBoundLarge places 400 devices on a generated 50-rack site (160 on 20 racks under -short) and
// compares the placement's worst failover load on the elements the devices
// can reach with the LP relaxation's bound: the bound never exceeds it.
func TestPlaceBoundLarge(t *testing.T) {
	racks, count := 50, 400
	if testing.Short() {
		racks, count = 20, 160 // mutation testing's fast first stage; the default run is whole
	}
	m := genModel(t, racks, 20)
	n := NewNetwork(m, BasisTypical)
	adds := []PlaceRequest{{Model: m.DeviceModels[0].ID, Count: count}}
	bound, err := PlaceLowerBound(n, PlaceOptions{Add: adds})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Place(n, PlaceOptions{Add: adds})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Placed) != count {
		t.Fatalf("setup: placed %d of %d (%+v)", len(p.Placed), count, p.Unplaced)
	}
	got := WorstOver(NewNetwork(p.Model(), BasisTypical), bound.Elements)
	if bound.Ratio > got+1e-6 {
		t.Errorf("LP bound %.4f above the placement's %.4f: not a lower bound", bound.Ratio, got)
	}
	t.Logf("%d racks, %d × %s: placement %.4f (worst: %s), LP bound %.4f, gap %.2f %% (%d variables, %d rows)", racks, count, adds[0].Model, got, p.WorstAfter, bound.Ratio, 100*(got/bound.Ratio-1), bound.Vars, bound.Rows)
}

// fullVerify is the dumb reference of verifySweep: both sweeps in full,
// every failure after compared with the same failure before (a new PSU's
// fault with the element it opens).
func fullVerify(before, after *Network) PlaceVerification {
	sb := before.Sweep(SweepOptions{})
	sa := after.Sweep(SweepOptions{})
	was := map[string]Verdict{}
	for i := range sb.Scenarios {
		was[strings.Join(sb.Scenarios[i].Failed, "+")] = sb.Scenarios[i].Outcome
	}
	v := PlaceVerification{Scenarios: len(sa.Scenarios), Worse: []string{}}
	worstA, worstB := OK, OK
	for i := range sa.Scenarios {
		sc := &sa.Scenarios[i]
		worstA = max(worstA, sc.Outcome)
		key := strings.Join(sc.Failed, "+")
		prev, ok := was[key]
		if !ok && sc.Opens != "" {
			prev = was[sc.Opens]
		}
		if sc.Outcome > OK {
			worstB = max(worstB, prev)
		}
		if sc.Outcome > prev {
			v.Worse = append(v.Worse, fmt.Sprintf("%s: %s (was %s)", key, sc.Outcome, prev))
		}
	}
	slices.Sort(v.Worse)
	v.OutcomeBefore, v.OutcomeAfter, v.OK = worstB.String(), worstA.String(), len(v.Worse) == 0
	return v
}

// TestVerifySweepMatchesFull: verifySweep runs only the failures that are
// not ok after on the model before; it finds what comparing both full
// sweeps finds, on placements and on additions that make failures worse
// (a third server on each incident breaker pair, new servers on every
// small-dc rack).
func TestVerifySweepMatchesFull(t *testing.T) {
	cases := map[string]struct {
		files []string
		extra func(m *topology.Model) []topology.Device
	}{
		"incident": {[]string{"../examples/incident-2019.toml"}, nil},
		"small-dc": {smallDC, nil},
	}
	for name, c := range cases {
		m := loadFiles(t, c.files...)
		// New devices: a copy of every third device (same rack, feeds and
		// model), which loads what is already loaded.
		var add []topology.Device
		for d := 0; d < len(m.Devices); d += 3 {
			nd := m.Devices[d]
			nd.ID = fmt.Sprintf("%s-copy", nd.ID)
			add = append(add, nd)
		}
		m2, err := m.WithDevices(add)
		if err != nil {
			t.Fatal(err)
		}
		before, after := NewNetwork(m, BasisConservative), NewNetwork(m2, BasisConservative)
		got, want := verifySweep(before, after, nil), fullVerify(before, after)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: verifySweep = %+v\nwant (both sweeps in full) %+v", name, got, want)
		}
		if name == "small-dc" && got.OK {
			t.Errorf("%s: a copy of every third device makes no failure worse: the case tests nothing", name)
		}
		// And a placement.
		p, err := Place(before, PlaceOptions{Add: []PlaceRequest{{Model: m.DeviceModels[0].ID, Count: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		after = NewNetwork(p.Model(), BasisConservative)
		got, want = verifySweep(before, after, nil), fullVerify(before, after)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s placement: verifySweep = %+v\nwant (both sweeps in full) %+v", name, got, want)
		}
	}
}

// TestPlaceBoundGeneration: on the seeded small sites, the row and column
// generation closes on the optimum of the whole LP, solved at once (every
// slot, every row) by the same simplex, and the bound is at most the
// exhaustive optimum.
func TestPlaceBoundGeneration(t *testing.T) {
	sites := 40
	if testing.Short() {
		sites = 5 // mutation testing's fast first stage; the default run is whole
	}
	for seed := range uint64(sites) {
		src, adds := smallSiteTOML(seed)
		m, err := topology.Parse(topology.File{Name: fmt.Sprintf("small-%d.toml", seed), Data: []byte(src)})
		if err != nil {
			t.Fatal(err)
		}
		n := NewNetwork(m, BasisTypical)
		got, err := PlaceLowerBound(n, PlaceOptions{Add: adds})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !got.Closed {
			t.Errorf("seed %d: the generation did not close: LP between %.6f and %.6f after %d iterations", seed, got.LPRatio, got.LPUpper, got.Iterations)
		}
		whole := wholeLP(t, n, adds)
		if !near(got.LPRatio, whole, 1e-6) {
			t.Errorf("seed %d: generated LP bound %.6f, the whole LP %.6f", seed, got.LPRatio, whole)
		}
		if opt, ok := exhaustivePlace(n, adds); ok && got.Ratio > opt+1e-9 {
			t.Errorf("seed %d: bound %.6f above the exhaustive optimum %.6f", seed, got.Ratio, opt)
		}
	}
}

// wholeLP solves PlaceLowerBound's LP with every slot and every row in
// one simplex: the reference the generation must reach.
func wholeLP(t *testing.T, n *Network, adds []PlaceRequest) float64 {
	t.Helper()
	m := n.M
	b := NewBudget(n)
	load := b.Load(n.DrawW)
	sides := rackSides(m)
	type key struct {
		g    int32
		line int
	}
	type col struct {
		req  int
		ents map[key]float64
	}
	var cols []col
	var counts []float64
	rowCur := map[key]float64{}
	dirs := map[key]complex128{}
	for ri, a := range adds {
		k := slices.IndexFunc(m.DeviceModels, func(x topology.DeviceModel) bool { return x.ID == a.Model })
		dm := &m.DeviceModels[k]
		w := modelDraw(m, k, n.Basis)
		counts = append(counts, float64(a.Count))
		for r := range m.Racks {
			for _, s := range slotsOf(r, sides[r], dm.PSUs) {
				p := b.Probe(s.Feeds, devicePF(m, dm, s.Feeds[0]))
				if ok, _ := load.FitsProbe(p, w); !ok {
					continue
				}
				c := col{req: ri, ents: map[key]float64{}}
				for _, tm := range p.terms {
					el := &m.Elements[b.elems[tm.g]]
					if el.RatingA == 0 {
						continue // the small sites have no UPS limits
					}
					lim := el.ContinuousLimit * el.RatingA
					for l := range 3 {
						u := tm.unit[l]
						if cmplx.Abs(u) <= 1e-15 {
							continue
						}
						kk := key{tm.g, l}
						if _, ok := dirs[kk]; !ok {
							dirs[kk] = u / complex(cmplx.Abs(u), 0)
							rowCur[kk] = real(cmplx.Conj(dirs[kk])*load.cur[tm.g][l]) / lim
						}
						c.ents[kk] = real(cmplx.Conj(dirs[kk])*u) * w / lim
					}
				}
				cols = append(cols, c)
			}
		}
	}
	var keys []key
	for k := range rowCur {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return int(a.g-b.g)*4 + a.line - b.line })
	idx := map[key]int{}
	var R, C []int
	for i, k := range keys {
		idx[k] = i
		R = append(R, i)
	}
	ents := make([][]lpEnt, len(cols))
	for ci, c := range cols {
		C = append(C, ci)
		for k, a := range c.ents {
			ents[ci] = append(ents[ci], lpEnt{int32(idx[k]), a})
		}
	}
	y, err := restrictedPrimal(len(adds), counts, C, R, func(ci int) int { return cols[ci].req }, func(ci int) []lpEnt { return ents[ci] }, func(ri int) float64 { return rowCur[keys[ri]] })
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	acc := make([]float64, len(keys))
	for ci, v := range y {
		for _, e := range ents[ci] {
			acc[e.i] += e.a * v
		}
	}
	for i, k := range keys {
		worst = max(worst, rowCur[k]+acc[i])
	}
	return worst
}
