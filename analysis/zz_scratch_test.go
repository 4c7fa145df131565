package analysis

import (
	"io"
	"os"
	"testing"

	"blackstart/placement"
	"blackstart/power"
	"blackstart/topology"
)

func scratchModel(b *testing.B) *topology.Model {
	f := os.Getenv("SCRATCH_MODEL")
	if f == "" {
		b.Skip("no model")
	}
	m, err := topology.Load(f)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkScratchFailover(b *testing.B) {
	m := scratchModel(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := power.NewNetwork(m, power.BasisConservative)
		res, err := Failover(m, n, FailoverOptions{HorizonS: 3600})
		if err != nil {
			b.Fatal(err)
		}
		res.WriteJSON(io.Discard)
	}
}

func BenchmarkScratchSweep(b *testing.B) {
	m := scratchModel(b)
	n := power.NewNetwork(m, power.BasisConservative)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Sweep(power.SweepOptions{HorizonS: 3600, Keep: func(sc *power.Scenario) bool { return sc.Risky }})
	}
}

func BenchmarkScratchHosting(b *testing.B) {
	m := scratchModel(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		placement.NewHosting(placement.NewCluster(m))
	}
}

func BenchmarkScratchLoad(b *testing.B) {
	f := os.Getenv("SCRATCH_MODEL")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		topology.Load(f)
	}
}
