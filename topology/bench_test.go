package topology

import (
	"bytes"
	"fmt"
	"testing"

	"blackstart/data/generate"
)

// BenchmarkLoad times Parse (decode, position index, validation) of
// generated models of 100, 1,000 and 5,000 racks of 40 devices. Loading
// must scale linearly: ns/device should stay flat across the sizes.
func BenchmarkLoad(b *testing.B) {
	const perRack = 40
	for _, racks := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("racks=%d", racks), func(b *testing.B) {
			var buf bytes.Buffer
			if err := generate.Site(&buf, generate.SiteOptions{Racks: racks, PerRack: perRack, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			f := File{Name: "gen.toml", Data: data}
			m, err := Parse(f)
			if err != nil {
				b.Fatalf("generated model does not load:\n%v", err)
			}
			devices := racks * perRack
			if len(m.Devices) != devices || len(m.Racks) != racks {
				b.Fatalf("parsed %d racks and %d devices, want %d and %d", len(m.Racks), len(m.Devices), racks, devices)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Parse(f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(devices), "ns/device")
		})
	}
}
