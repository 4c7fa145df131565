package estimate

import (
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// BenchmarkEstimateEarly is the service's load test as one incident sees
// it (server.BenchmarkIncidentLoad): a new estimator of the
// incident-scale platform takes 4 batches of 1,000 synthetic events
// (instances scheduled, started and up on their planned nodes in turn, a
// millisecond apart) and is asked for an estimate after each. One op is
// the 4 batches and their 4 estimates; ns/estimate is one of them.
func BenchmarkEstimateEarly(b *testing.B) {
	m, err := topology.Load("../examples/platform-2019.toml")
	if err != nil {
		b.Fatal(err)
	}
	c := placement.NewCluster(m)
	p := placement.NewPlan(c)
	const batches, n = 4, 1000
	evs := make([]placement.Event, batches*n)
	for x := range evs {
		i := (x / 3) % len(c.Instances)
		evs[x] = placement.Event{TS: float64(x) / 1000, Instance: int32(i), Node: p.Assign[i].Node,
			State: []placement.State{placement.Scheduled, placement.Started, placement.Up}[x%3]}
	}
	firstsOf(c) // shared by every estimator of the cluster, as in the service
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l := NewLive(c, p)
		for k := range batches {
			for _, e := range evs[k*n : (k+1)*n] {
				l.Observe(e)
			}
			if s := l.Estimate(float64((k+1)*n/1000 + 5)); s.Up == 0 || !(s.ETAAllS > s.TS) {
				b.Fatalf("estimate %d: %d up, ETA %g s at %g s", k, s.Up, s.ETAAllS, s.TS)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batches, "ns/estimate")
}
