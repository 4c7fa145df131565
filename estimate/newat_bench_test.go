package estimate

import (
	"crypto/sha256"
	"reflect"
	"testing"
	"time"

	"blackstart/placement"
	"blackstart/topology"
)

// BenchmarkEstimateNewAt is the estimate server.BenchmarkETA100k's
// "new-at" GETs ask for: one shared estimator (ShareWorkspace, as the
// service's) of the incident-scale platform holding the first 100,000
// events of the herding recovery the server benchmark posts (stale
// policy, seed 1, up to 30 attempts, no perturbations), asked for an
// estimate at a new time each op, 0.5 s after the last, starting 10 s
// after its last event. cpu-ns/estimate is the op's CPU time (getrusage,
// every processor); the SHA-256 of the estimates' JSON is logged, so that
// a change meant to be only faster can be checked to leave them as they
// were.
func BenchmarkEstimateNewAt(b *testing.B) {
	c, p, evs := newAtStream(b)
	l := NewLive(c, p)
	l.ShareWorkspace()
	for _, e := range evs {
		l.Observe(e)
	}
	at := evs[len(evs)-1].TS + 10
	l.Estimate(at) // the first estimate's set-up left out, as the server's preload does
	h := sha256.New()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		at += 0.5
		hashSnapshot(b, h, l.Estimate(at))
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/estimate")
	}
	b.Logf("estimates sha256 %x (%d estimates)", h.Sum(nil), b.N)
}

// newAtStream is the incident-scale platform, its plan, and the first
// 100,000 events of the herding recovery server.BenchmarkETA100k posts
// (stale policy, seed 1, up to 30 attempts, no perturbations).
func newAtStream(tb testing.TB) (*placement.Cluster, *placement.Plan, []placement.Event) {
	tb.Helper()
	m, err := topology.Load("../examples/platform-2019.toml")
	if err != nil {
		tb.Fatal(err)
	}
	c := placement.NewCluster(m)
	p := placement.NewPlan(c)
	const n = 100_000
	evs := make([]placement.Event, 0, n)
	if _, err := placement.Simulate(c, p, placement.SimOptions{Policy: placement.PolicyStale, Seed: 1, MaxAttempts: 30,
		OnEvent: func(e placement.Event) {
			if len(evs) < n {
				evs = append(evs, e)
			}
		}}); err != nil {
		tb.Fatal(err)
	}
	return c, p, evs
}

// benchNewAtPair is benchEarlyPair for BenchmarkEstimateNewAt's estimates:
// two estimators (not shared, so that neither reads the other's working
// memory) hold the 100,000 events, one set up by other, and are asked for
// each op's estimate in turn (which goes first alternates); the
// estimates must be equal. Which of the two is set up by other is fixed,
// so run it with the roles both ways where it matters.
func benchNewAtPair(b *testing.B, other func(*Live), name0, name1 string) {
	c, p, evs := newAtStream(b)
	ls := [2]*Live{NewLive(c, p), NewLive(c, p)}
	other(ls[1])
	for _, l := range ls {
		for _, e := range evs {
			l.Observe(e)
		}
	}
	at := evs[len(evs)-1].TS + 10
	ls[0].Estimate(at)
	ls[1].Estimate(at)
	var wall, cpu [2]time.Duration
	turn := 0
	for b.Loop() {
		at += 0.5
		snaps := estimatePair(ls, at, turn, [2]int{0, 1}, &wall, &cpu)
		turn++
		if !reflect.DeepEqual(snaps[0], snaps[1]) {
			b.Fatalf("at %g: the estimates differ:\n%+v\n%+v", at, snaps[0], snaps[1])
		}
	}
	reportPair(b, wall, cpu, name0, name1)
}

// BenchmarkEstimateNewAtSmallQ is benchNewAtPair for nodeQueue against a
// heap throughout (shape.noSmallQ).
func BenchmarkEstimateNewAtSmallQ(b *testing.B) {
	benchNewAtPair(b, func(l *Live) { l.shape.noSmallQ = true }, "s-small", "s-heap")
}

// BenchmarkEstimateEarlyShared is what the 31 load clients of
// server.BenchmarkETA100kUnderLoad ask for: a new shared estimator
// (ShareWorkspace, as the service's) of the incident-scale platform takes
// earlyBatches batches of 1,000 synthetic events (BenchmarkEstimateEarly's,
// the server benchmark's syntheticBatch) and is asked for an estimate
// after each, at 6 s after the start for the first batch, one more per
// batch, as those clients ask. One op is the batches and their estimates;
// cpu-ns/estimate is its CPU time (getrusage, every processor) per
// estimate, the events' ingest included (a small part). The SHA-256 of
// the estimates' JSON is logged.
func BenchmarkEstimateEarlyShared(b *testing.B) {
	const batches, n = 40, 1000
	c, p, evs := earlyStream(b, batches*n)
	warm := NewLive(c, p) // the pool and the draw table warm, as after the service's first estimate
	warm.ShareWorkspace()
	for _, e := range evs[:n] {
		warm.Observe(e)
	}
	warm.Estimate(6)
	h := sha256.New()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		l := NewLive(c, p)
		l.ShareWorkspace()
		for k := range batches {
			for _, e := range evs[k*n : (k+1)*n] {
				l.Observe(e)
			}
			hashSnapshot(b, h, l.Estimate(float64(k+6)))
		}
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/batches, "cpu-ns/estimate")
	}
	b.Logf("estimates sha256 %x (%d ops)", h.Sum(nil), b.N)
}

// BenchmarkEstimateEarlySmallQ measures what nodeQueue's sorted slice
// saves over a heap throughout (shape.noSmallQ) on BenchmarkEstimateEarly's
// new incidents, as benchEarlyPair reports it.
func BenchmarkEstimateEarlySmallQ(b *testing.B) {
	benchEarlyPair(b, func(l *Live) { l.shape.noSmallQ = true }, "s-small", "s-heap")
}

// BenchmarkEstimateNewAtReuse is benchNewAtPair for the first EM step's
// posteriors taken again (see posteriors) against all computed
// (fits.noReuse).
func BenchmarkEstimateNewAtReuse(b *testing.B) {
	benchNewAtPair(b, func(l *Live) { l.fits.noReuse = true }, "s-reuse", "s-all")
}
