package diff

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"blackstart/data/generate"
	"blackstart/power"
	"blackstart/topology"
)

// tenRacksMore is the 1,000-rack generated site with four more servers in
// each of ten racks (r0100, r0200, … r1000): the change a capacity team
// reviews.
func tenRacksMore(b *testing.B) (old, new *topology.Model) {
	b.Helper()
	var buf bytes.Buffer
	if err := generate.Site(&buf, generate.SiteOptions{Racks: 1000, PerRack: 40, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	text := buf.String()
	edited := text
	for r := 100; r <= 1000; r += 100 {
		from := fmt.Sprintf("id = \"r%04d-s%%02d\"\ncount = 40\n", r)
		if !strings.Contains(edited, from) {
			b.Fatalf("no device group of rack r%04d", r)
		}
		edited = strings.Replace(edited, from, fmt.Sprintf("id = \"r%04d-s%%02d\"\ncount = 44\n", r), 1)
	}
	var err error
	if old, err = topology.Parse(topology.File{Name: "old.toml", Data: []byte(text)}); err != nil {
		b.Fatal(err)
	}
	if new, err = topology.Parse(topology.File{Name: "new.toml", Data: []byte(edited)}); err != nil {
		b.Fatal(err)
	}
	return old, new
}

// BenchmarkCompare diffs two 1,000-rack models that differ in ten racks
// ("compare": the element diff and the analysis, whose two sides run
// concurrently), against the time of the two N-1 sweeps with their load
// flows run one after the other ("two-sweeps"). Run with -count to
// alternate them.
func BenchmarkCompare(b *testing.B) {
	old, new := tenRacksMore(b)
	o := Options{Basis: power.BasisConservative}
	rep := Compare(old, new, o)
	if len(rep.Elements.Added) != 40 || len(rep.Analysis.Racks) == 0 {
		b.Fatalf("setup: %d devices added, %d racks moved; want 40 and some", len(rep.Elements.Added), len(rep.Analysis.Racks))
	}
	b.Logf("%s", rep.Headline)
	b.Run("compare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Compare(old, new, o)
		}
	})
	b.Run("two-sweeps", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, m := range []*topology.Model{old, new} {
				n := power.NewNetwork(m, o.Basis)
				n.Sweep(power.SweepOptions{})
				n.Load()
			}
		}
	})
	b.Run("elements", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			CompareElements(old, new)
		}
	})
}
