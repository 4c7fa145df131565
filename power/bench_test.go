package power

import (
	"bytes"
	"fmt"
	"testing"

	"blackstart/data/generate"
	"blackstart/topology"
)

// BenchmarkSweep times the full N-1 sweep with cascades (every element and
// every PSU) on generated models of 100, 1,000 and 5,000 racks × 40
// devices. The goal: at 1,000 racks the sweep costs no more than loading
// the model (topology.BenchmarkLoad), and 5,000 racks at most 6× the
// 1,000-rack time. The model is generated and parsed outside the timer;
// NewNetwork (draws and the normal flow) is inside it.
func BenchmarkSweep(b *testing.B) {
	for _, racks := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("racks=%d", racks), func(b *testing.B) {
			m := genModel(b, racks, 40)
			rep := NewNetwork(m, BasisConservative).Sweep(SweepOptions{})
			want := len(m.Elements) + 2*len(m.Devices)
			if rep.Summary.Scenarios != want || rep.Summary.RiskyScenarios == 0 {
				b.Fatalf("setup: %d scenarios (%d risky), want %d with some risky", rep.Summary.Scenarios, rep.Summary.RiskyScenarios, want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				NewNetwork(m, BasisConservative).Sweep(SweepOptions{})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(want), "ns/scenario")
		})
	}
}

// BenchmarkLoadAndSweep times what `power failover` does end to end on the
// 1,000-rack model: parse, validate, sweep; compare it with
// topology.BenchmarkLoad/racks=1000.
func BenchmarkLoadAndSweep(b *testing.B) {
	var buf bytes.Buffer
	if err := generate.Site(&buf, generate.SiteOptions{Racks: 1000, PerRack: 40, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	f := topology.File{Name: "gen.toml", Data: buf.Bytes()}
	b.ReportAllocs()
	for b.Loop() {
		m, err := topology.Parse(f)
		if err != nil {
			b.Fatal(err)
		}
		NewNetwork(m, BasisConservative).Sweep(SweepOptions{})
	}
}

func genModel(tb testing.TB, racks, perRack int) *topology.Model {
	tb.Helper()
	var buf bytes.Buffer
	if err := generate.Site(&buf, generate.SiteOptions{Racks: racks, PerRack: perRack, Seed: 1}); err != nil {
		tb.Fatal(err)
	}
	m, err := topology.Parse(topology.File{Name: "gen.toml", Data: buf.Bytes()})
	if err != nil {
		tb.Fatalf("generated model does not load:\n%v", err)
	}
	return m
}

// BenchmarkCapacity times, on the generated 1,000-rack × 40-device model,
// one after the other in each round (run with -count to alternate them on a
// shared machine): the N-1 sweep, Headroom, and Place of 1,000 new devices
// without and with the verification sweeps (before and after), and the
// LP bound of that placement with the gap to it. The model
// is parsed outside the timer; each case builds its Network inside it.
func BenchmarkCapacity(b *testing.B) {
	m := genModel(b, 1000, 40)
	adds := []PlaceRequest{{Model: m.DeviceModels[0].ID, Count: 1000}}
	p, err := Place(NewNetwork(m, BasisConservative), PlaceOptions{Add: adds})
	if err != nil || len(p.Placed) != 1000 {
		b.Fatalf("setup: placed %d of 1,000 (%v, %+v)", len(p.Placed), err, p.Unplaced)
	}
	b.Run("sweep", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			NewNetwork(m, BasisConservative).Sweep(SweepOptions{})
		}
	})
	b.Run("headroom", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Headroom(NewNetwork(m, BasisConservative), HeadroomOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("place-1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Place(NewNetwork(m, BasisConservative), PlaceOptions{Add: adds})
		}
	})
	// The LP bound of the same 1,000 devices: the placement's worst
	// failover load on the elements they can reach over the bound, less
	// one (gap_pct), and the Lagrangian bound of the LP alone (lp_ratio).
	b.Run("bound-1000", func(b *testing.B) {
		n := NewNetwork(m, BasisConservative)
		var bd PlaceBound
		for b.Loop() {
			var err error
			if bd, err = PlaceLowerBound(n, PlaceOptions{Add: adds}); err != nil {
				b.Fatal(err)
			}
		}
		got := WorstOver(NewNetwork(p.Model(), BasisConservative), bd.Elements)
		if bd.Ratio > got+1e-9 {
			b.Fatalf("bound %.4f above the placement's %.4f", bd.Ratio, got)
		}
		b.ReportMetric(100*(got/bd.Ratio-1), "gap_pct")
		b.ReportMetric(bd.Ratio, "bound")
		b.ReportMetric(bd.LPRatio, "lp_ratio")
		b.ReportMetric(got, "placed")
	})
	b.Run("place-1000-verified", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, _ := Place(NewNetwork(m, BasisConservative), PlaceOptions{Add: adds, Verify: true})
			if p.Verify == nil || !p.Verify.OK {
				b.Fatalf("verification: %+v", p.Verify)
			}
		}
	})
}
