package power

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestHeadroomIncident: the incident rack's breakers already carry
// 24.35 A against 12.8 A in the failover case: no N-1-safe headroom, and
// the breaker binds.
func TestHeadroomIncident(t *testing.T) {
	m := loadFiles(t, "../examples/incident-2019.toml")
	rep, err := Headroom(NewNetwork(m, BasisConservative), HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Racks) != 1 || rep.UnsafeRacks != 1 {
		t.Fatalf("got %d racks, %d unsafe; want 1, 1", len(rep.Racks), rep.UnsafeRacks)
	}
	r := rep.Racks[0]
	if r.Safe || r.HeadroomW == nil || *r.HeadroomW != 0 || r.LargestDeviceW == nil || *r.LargestDeviceW != 0 {
		t.Errorf("rack-1: got safe %v, headroom %v, largest %v; want not safe, 0 W, 0 W", r.Safe, r.HeadroomW, r.LargestDeviceW)
	}
	if r.Binding == nil || r.Binding.Kind != "breaker" || !near(r.Binding.LoadA, 24.35, 0.01) || r.Binding.LimitA != 12.8 {
		t.Errorf("rack-1 binding: got %+v, want a breaker at 24.35 A against 12.8 A", r.Binding)
	}
}

// TestHeadroomHand checks the figures worked out in
// testdata/headroom-hand.toml.
func TestHeadroomHand(t *testing.T) {
	m := loadFiles(t, "testdata/headroom-hand.toml")
	n := NewNetwork(m, BasisTypical)
	rep, err := Headroom(n, HeadroomOptions{DeviceModel: "gpu-600"})
	if err != nil {
		t.Fatal(err)
	}
	vln := 400 / math.Sqrt(3)
	line := 12.8 * vln
	want := map[string]struct {
		headroom, largest float64
		fit               int
		limit             string
	}{
		"r3": {656.03 + 2*line - 0.02, line, 9, "power"},
		"r1": {line - 1000, line - 1000, 3, "units"},
	}
	for _, r := range rep.Racks {
		w := want[r.Rack]
		if !r.Safe || r.HeadroomW == nil || !near(*r.HeadroomW, w.headroom, 0.05) || !near(*r.LargestDeviceW, w.largest, 0.02) {
			t.Errorf("%s: got safe %v, headroom %v W, largest %v W; want safe, %.2f W, %.2f W", r.Rack, r.Safe, *r.HeadroomW, *r.LargestDeviceW, w.headroom, w.largest)
		}
		if r.Fit == nil || *r.Fit != w.fit || r.FitLimit != w.limit {
			t.Errorf("%s: got %v gpu-600 fit (%s), want %d (%s)", r.Rack, r.Fit, r.FitLimit, w.fit, w.limit)
		}
	}
	feeds := map[string]float64{"pdu-r3-a-l1": line - 2300, "pdu-r3-a-l2": line, "pdu-r3-b-l3": line, "pdu-r1-a": line - 1000}
	for _, r := range rep.Racks {
		for _, f := range r.Feeds {
			if w, ok := feeds[f.Feed]; ok && !near(*f.HeadroomW, w, 0.02) {
				t.Errorf("feed %s: got %.2f W, want %.2f W", f.Feed, *f.HeadroomW, w)
			}
		}
	}
	if rep.FitTotal == nil || *rep.FitTotal != 12 {
		t.Errorf("fit in the site together: got %v, want 9 + 3 = 12 (the racks share no limited element)", rep.FitTotal)
	}
}

// TestPropertyMaxProbe: on random models, the most a hypothetical device
// can draw on any slot is exactly where the budget's predicate turns: it
// fits at that draw and not at a hair more.
func TestPropertyMaxProbe(t *testing.T) {
	checked := 0
	for seed := range uint64(propertyModels()) {
		m := randomModel(t, seed)
		n := NewNetwork(m, BasisConservative)
		b := NewBudget(n)
		l := b.Load(n.DrawW)
		rng := rand.New(rand.NewPCG(seed, 17))
		sides := rackSides(m)
		for r := range m.Racks {
			for _, s := range slotsOf(r, sides[r], 1+rng.IntN(2)) {
				p := b.Probe(s.Feeds, 0.8+0.2*rng.Float64())
				w, bind := l.MaxProbe(p)
				if math.IsInf(w, 1) {
					continue
				}
				ok0, _ := l.FitsProbe(p, 0)
				if !ok0 {
					if w != 0 || bind.Ratio <= 1 {
						t.Errorf("seed %d rack %s: already over, got %g W and %+v, want 0 W and the element over", seed, m.Racks[r].ID, w, bind)
					}
					continue
				}
				checked++
				if ok, over := l.FitsProbe(p, w); !ok {
					t.Errorf("seed %d rack %s slot %v: MaxProbe %g W does not fit (%v)", seed, m.Racks[r].ID, s.Feeds, w, over)
				}
				more := w*(1+1e-6) + 1e-3
				if ok, _ := l.FitsProbe(p, more); ok {
					t.Errorf("seed %d rack %s slot %v: MaxProbe %g W, but %g W fits too", seed, m.Racks[r].ID, s.Feeds, w, more)
				}
				if !near(bind.Ratio, 1, 1e-6) {
					t.Errorf("seed %d rack %s: binding %+v at MaxProbe, want ratio 1", seed, m.Racks[r].ID, bind)
				}
			}
		}
	}
	if checked < perModels(100) {
		t.Fatalf("only %d slots checked; the random models should give hundreds", checked)
	}
}

// recordProgress returns a progress callback that records its calls.
func recordProgress(calls *[][2]int) func(done, total int) {
	return func(done, total int) { *calls = append(*calls, [2]int{done, total}) }
}

// checkProgress wants calls counting up by one to a constant total, the
// last one done == total, and total == want.
func checkProgress(t *testing.T, what string, calls [][2]int, want int) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatalf("%s: no progress reported", what)
	}
	for i, c := range calls {
		if c[1] != want || c[0] < 1 || c[0] > c[1] || i > 0 && c[0] <= calls[i-1][0] {
			t.Fatalf("%s: call %d reports %d of %d (after %v); want rising counts of %d", what, i, c[0], c[1], calls[max(i-1, 0)], want)
		}
	}
	if last := calls[len(calls)-1]; last[0] != last[1] {
		t.Errorf("%s: last call %d of %d; want it complete", what, last[0], last[1])
	}
}

// Headroom reports its progress rack by rack, and the report is the same
// with or without it.
func TestHeadroomProgress(t *testing.T) {
	m := loadFiles(t, "../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	n := NewNetwork(m, BasisConservative)
	var calls [][2]int
	with, err := Headroom(n, HeadroomOptions{Progress: recordProgress(&calls)})
	if err != nil {
		t.Fatal(err)
	}
	checkProgress(t, "headroom", calls, len(m.Racks))
	without, _ := Headroom(n, HeadroomOptions{})
	if !reflect.DeepEqual(with, without) {
		t.Error("the report with progress differs from the one without")
	}
}

// Place reports its progress in two phases — devices decided of those
// requested (placed or found not to fit), then the verification sweep's
// scenarios — each rising to its total, and the placement is the same
// with or without it.
func TestPlaceProgress(t *testing.T) {
	m := loadFiles(t, "../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	n := NewNetwork(m, BasisConservative)
	// Far more than fit: some are placed one by one, the rest are
	// decided at once as not fitting.
	adds := []PlaceRequest{{Model: "poweredge-r640", Count: 3}, {Model: "ex-switch-single", Count: 5000}}
	var calls [][2]int
	with, err := Place(n, PlaceOptions{Add: adds, Verify: true, Progress: recordProgress(&calls)})
	if err != nil {
		t.Fatal(err)
	}
	if len(with.Unplaced) == 0 || len(with.Placed) == 0 || with.Verify == nil {
		t.Fatalf("want some placed, some unplaced and a verification; got %d placed, %d unplaced", len(with.Placed), len(with.Unplaced))
	}
	split := 0
	for split < len(calls) && calls[split][1] == 5003 {
		split++
	}
	checkProgress(t, "place: devices", calls[:split], 5003)
	scenarios := len(with.model.Elements)
	for _, d := range with.model.Devices {
		scenarios += len(d.Feeds)
	}
	checkProgress(t, "place: verification sweep", calls[split:], scenarios)
	without, _ := Place(n, PlaceOptions{Add: adds, Verify: true})
	if !reflect.DeepEqual(with, without) {
		t.Error("the placement with progress differs from the one without")
	}

	// "As many as fit" has no known total: only the sweep is reported.
	calls = nil
	if _, err := Place(n, PlaceOptions{Add: []PlaceRequest{{Model: "poweredge-r640", Count: -1}}, Verify: true, Progress: recordProgress(&calls)}); err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 || calls[0][1] == 0 {
		t.Fatal("place as many as fit: no sweep progress")
	}
	for _, c := range calls {
		if c[1] != calls[0][1] {
			t.Fatalf("place as many as fit: totals %d and %d; want only the sweep's", calls[0][1], c[1])
		}
	}
}
