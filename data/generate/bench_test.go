package generate

import "testing"

// BenchmarkSite times writing the 5,000-rack model.
func BenchmarkSite(b *testing.B) {
	o := SiteOptions{Racks: 5000, PerRack: 40, Seed: 1}
	var w genCountWriter
	b.ReportAllocs()
	for b.Loop() {
		if err := Site(&w, o); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(w.n / int64(b.N))
}

type genCountWriter struct{ n int64 }

func (w *genCountWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }
