package estimate

import (
	"encoding/json"
	"hash"
	"reflect"
	"testing"
	"time"

	"blackstart/placement"
	"blackstart/topology"
)

// BenchmarkEstimateEarly is the service's load test as one incident sees
// it (server.BenchmarkIncidentLoad): a new estimator of the
// incident-scale platform takes 4 batches of 1,000 synthetic events
// (instances scheduled, started and up on their planned nodes in turn, a
// millisecond apart) and is asked for an estimate after each. One op is
// the 4 batches and their 4 estimates; ns/estimate is one of them, and
// cpu-ns/estimate the op's CPU time (by getrusage: the process's, on every
// processor) per estimate, the figure to go by on a shared machine.
func BenchmarkEstimateEarly(b *testing.B) {
	const batches, n = 4, 1000
	c, p, evs := earlyStream(b, batches*n)
	firstsOf(c) // shared by every estimator of the cluster, as in the service
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
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
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/batches, "cpu-ns/estimate")
	}
}

// earlyStream is the incident-scale platform, its plan, and the first n
// of the synthetic events BenchmarkEstimateEarly feeds a new incident:
// instances scheduled, started and up on their planned nodes in turn, a
// millisecond apart.
func earlyStream(tb testing.TB, n int) (*placement.Cluster, *placement.Plan, []placement.Event) {
	tb.Helper()
	m, err := topology.Load("../examples/platform-2019.toml")
	if err != nil {
		tb.Fatal(err)
	}
	c := placement.NewCluster(m)
	p := placement.NewPlan(c)
	evs := make([]placement.Event, n)
	for x := range evs {
		i := (x / 3) % len(c.Instances)
		evs[x] = placement.Event{TS: float64(x) / 1000, Instance: int32(i), Node: p.Assign[i].Node,
			State: []placement.State{placement.Scheduled, placement.Started, placement.Up}[x%3]}
	}
	return c, p, evs
}

// BenchmarkEstimateEarlySink measures what projecting the sinks on their
// own saves (see projectSinks) on BenchmarkEstimateEarly's new incidents:
// each op feeds the 4 batches to two new estimators, one held to the
// projection-wide loop for the sinks (shape.noSink), asks each for the 4
// estimates in turn (which goes first alternates), and wants them equal.
// Reported as benchLivePair does: each side's time and CPU time (by
// getrusage, the figure to go by on a shared machine), summed over the
// ops, and their ratios.
func BenchmarkEstimateEarlySink(b *testing.B) {
	benchEarlyPair(b, func(l *Live) { l.shape.noSink = true }, "s-sinks", "s-reference")
}

// benchEarlyPair is benchLivePair for BenchmarkEstimateEarly's new
// incidents. Which of the two estimators is set up by other swaps from
// op to op, and which estimates first from estimate to estimate: with
// the roles fixed, two estimators set up alike took 0.94x each other's CPU
// time (three runs of 40 ops, load 5-6).
func benchEarlyPair(b *testing.B, other func(*Live), name0, name1 string) {
	const batches, n = 4, 1000
	c, p, evs := earlyStream(b, batches*n)
	firstsOf(c)
	var wall, cpu [2]time.Duration // [0] this code, [1] the other
	op, turn := 0, 0
	for b.Loop() {
		ls := [2]*Live{NewLive(c, p), NewLive(c, p)}
		ref := op % 2 // the one set up by other
		op++
		other(ls[ref])
		for k := range batches {
			for _, e := range evs[k*n : (k+1)*n] {
				ls[0].Observe(e)
				ls[1].Observe(e)
			}
			role := [2]int{0, 0}
			role[ref] = 1
			snaps := estimatePair(ls, float64((k+1)*n/1000+5), turn, role, &wall, &cpu)
			turn++
			if !reflect.DeepEqual(snaps[0], snaps[1]) {
				b.Fatalf("estimate %d: the estimates differ:\n%+v\n%+v", k, snaps[0], snaps[1])
			}
		}
	}
	reportPair(b, wall, cpu, name0, name1)
}

// estimatePair asks ls[0] and ls[1] for their estimates at at, the one
// first whose index is turn%2 (so that alternating turns shares the
// machine's state between them alike), and adds each one's wall and CPU
// time to wall[role[w]] and cpu[role[w]].
func estimatePair(ls [2]*Live, at float64, turn int, role [2]int, wall, cpu *[2]time.Duration) [2]Snapshot {
	var snaps [2]Snapshot
	for j := range 2 {
		w := (j + turn) % 2
		t0, c0 := time.Now(), processCPU()
		snaps[w] = ls[w].Estimate(at)
		wall[role[w]] += time.Since(t0)
		cpu[role[w]] += processCPU() - c0
	}
	return snaps
}

// reportPair reports a pair benchmark's figures: each side's wall time
// (s, named name0 and name1) and their ratio, and, where getrusage
// counted, each side's CPU time (s) and their ratio.
func reportPair(b *testing.B, wall, cpu [2]time.Duration, name0, name1 string) {
	b.ReportMetric(wall[0].Seconds(), name0)
	b.ReportMetric(wall[1].Seconds(), name1)
	b.ReportMetric(wall[0].Seconds()/wall[1].Seconds(), "ratio")
	if cpu[1] > 0 {
		b.ReportMetric(cpu[0].Seconds(), "cpu-"+name0)
		b.ReportMetric(cpu[1].Seconds(), "cpu-"+name1)
		b.ReportMetric(cpu[0].Seconds()/cpu[1].Seconds(), "cpu-ratio")
	}
}

// hashSnapshot writes estimate s into h as one line of JSON (the
// benchmarks' checksum of their estimates).
func hashSnapshot(b *testing.B, h hash.Hash, s Snapshot) {
	h.Write([]byte(snapJSON(b, s)))
	h.Write([]byte{'\n'})
}

// snapJSON is estimate s as its JSON (what the tests compare: the figures
// without a sample are NaN, which DeepEqual never finds equal).
func snapJSON(tb testing.TB, s Snapshot) string {
	tb.Helper()
	j, err := json.Marshal(s)
	if err != nil {
		tb.Fatal(err)
	}
	return string(j)
}

// BenchmarkEstimateFirst is the first round of the service's load test
// (server.BenchmarkIncidentLoad) as its estimates see it: 32 new
// estimators of the incident-scale platform, kept at once as the service
// keeps them, sharing their working memory and draws (ShareWorkspace; the
// pool and the draw table warm, as after the service's first estimate),
// each given a batch of 1,000 synthetic events and asked for an estimate
// in turn, then the same estimate again; then each a second batch and a
// second estimate. Reported: the CPU time (getrusage, the process's on
// every processor) of a first estimate, of the same again (the first's
// extra cost is the difference) and of a second one; building the
// estimators and observing the events are not counted (the service does
// them as the batches come).
func BenchmarkEstimateFirst(b *testing.B) {
	const clients, n = 32, 1000
	c, p, evs := earlyStream(b, 2*n)
	warm := NewLive(c, p)
	warm.ShareWorkspace()
	for _, e := range evs[:n] {
		warm.Observe(e)
	}
	warm.Estimate(6)
	var cpu [3]time.Duration // first, second, first again
	for b.Loop() {
		ls := make([]*Live, clients)
		for j := range ls {
			ls[j] = NewLive(c, p)
			ls[j].ShareWorkspace()
		}
		for round := range 2 {
			for _, l := range ls {
				for _, e := range evs[round*n : (round+1)*n] {
					l.Observe(e)
				}
			}
			c0 := processCPU()
			for _, l := range ls {
				if s := l.Estimate(float64(6 + round)); s.Up == 0 || !(s.ETAAllS > s.TS) {
					b.Fatalf("estimate %d: %d up, ETA %g s at %g s", round, s.Up, s.ETAAllS, s.TS)
				}
			}
			cpu[round] += processCPU() - c0
			if round == 0 {
				// the same estimate again: what a first one costs more
				c0 := processCPU()
				for _, l := range ls {
					l.Estimate(6)
				}
				cpu[2] += processCPU() - c0
			}
		}
	}
	b.ReportMetric(float64(cpu[0].Nanoseconds())/float64(b.N*clients), "cpu-ns/first")
	b.ReportMetric(float64(cpu[2].Nanoseconds())/float64(b.N*clients), "cpu-ns/again")
	b.ReportMetric(float64(cpu[1].Nanoseconds())/float64(b.N*clients), "cpu-ns/second")
}

// BenchmarkEstimateEarlyNodeOrder measures what laying the node-by-node
// projections' reads out by node place saves (layOutNodes) on
// BenchmarkEstimateEarly's new incidents, as benchEarlyPair reports it:
// the other estimator's places are the rank order's
// (shape.noNodeOrder).
func BenchmarkEstimateEarlyNodeOrder(b *testing.B) {
	benchEarlyPair(b, func(l *Live) { l.shape.noNodeOrder = true }, "s-node", "s-rank")
}

// BenchmarkEstimateEarlyPlan measures what the plan's node places save
// (planLayout: laid out once, the first draws by place, nodes counted
// hopeful from the plan's bounds) on BenchmarkEstimateEarly's new
// incidents, as benchEarlyPair reports it: the other estimator lays the
// places out at each estimate (shape.noPlan).
func BenchmarkEstimateEarlyPlan(b *testing.B) {
	benchEarlyPair(b, func(l *Live) { l.shape.noPlan = true }, "s-plan", "s-laid-out")
}

// BenchmarkEstimateEarlyPure measures what projecting the nodes on which
// nothing fails without events saves (projectNodePure) on
// BenchmarkEstimateEarly's new incidents, as benchEarlyPair reports it:
// the other estimator projects them by projectNodeFast's event loop
// (shape.noPure).
func BenchmarkEstimateEarlyPure(b *testing.B) {
	benchEarlyPair(b, func(l *Live) { l.shape.noPure = true }, "s-pure", "s-events")
}
