package netbox

import (
	"fmt"
	"testing"

	"blackstart/topology"
)

// readGenerated decodes a generated inventory as ReadDir would.
func readGenerated(tb testing.TB, files map[string][]byte) *Inventory {
	inv := &Inventory{Sources: []string{"generated"}}
	var errs ErrorList
	for _, ep := range endpoints {
		inv.readResponse(ep, ep+".json", files[ep], &errs)
	}
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	return inv
}

// BenchmarkImport reads, imports and judges a generated inventory, and
// beside it validates the model it gives (what blackstart validate does):
// the goal is import ≤ 2 × validate.
func BenchmarkImport(b *testing.B) {
	for _, racks := range []int{100, 1000} {
		files, err := Generate(GenerateOptions{Racks: racks, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		var model []byte
		b.Run(fmt.Sprintf("import/racks=%d", racks), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				res, err := Import(readGenerated(b, files), Options{})
				if err != nil {
					b.Fatal(err)
				}
				m, err := res.Judge("big.toml")
				if err != nil {
					b.Fatal(err)
				}
				if len(m.Racks) != racks || len(m.Devices) != 20*racks-0 {
					b.Fatalf("setup: %d racks, %d devices; want %d, %d", len(m.Racks), len(m.Devices), racks, 20*racks)
				}
				model = res.Model
			}
		})
		b.Run(fmt.Sprintf("validate/racks=%d", racks), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := topology.Parse(topology.File{Name: "big.toml", Data: model}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
