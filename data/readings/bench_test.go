package readings

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkReadCSV reads a CSV of 1M readings in time order (1,000
// devices, one per minute), as PDUs export them.
func BenchmarkReadCSV(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("time,element,power_w\n")
	for i := 0; i < 1000; i++ {
		for d := 0; d < 1000; d++ {
			fmt.Fprintf(&buf, "%d,r%04d-s%02d,%d.%d\n", 1793491200+60*i, d/10+1, d%10+1, 200+d%97, i%10)
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := Read("bench.csv", bytes.NewReader(data), func(r *Reading) error { n++; return nil }); err != nil || n != 1_000_000 {
			b.Fatalf("read %d readings: %v", n, err)
		}
	}
	b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "readings/s")
}
