package placement

import (
	"fmt"
	"strings"
	"testing"
)

// benchPlatform writes a platform of racks × 40 nodes (512 GiB, 64 cores,
// c = 4, dual-corded on two 125 A single-phase branches per rack, one per
// side) and apps × 2 instances: 50 core services of 2 instances spread
// over racks, and apps−50 app services of 2 instances spread over racks,
// each depending on core-1. Every instance fits.
//
// (generate.Site with 125 racks of 40 yields 9,243 instances, a tenth
// of the 100,000 the benchmark needs, hence this generator.)
func benchPlatform(racks, apps int) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("[site]\nname = \"bench-%dx40\"\ncontinuous_limit = 0.8\npower_factor = 1.0\n", racks)
	for _, side := range []string{"a", "b"} {
		w("[[source]]\nid = \"util-%s\"\nvoltage_v = 230\n", side)
		w("[[panel]]\nid = \"panel-%s\"\ninput = \"util-%s\"\n", side, side)
	}
	w("[[device_model]]\nid = \"srv\"\npsus = 2\npsus_required = 1\nidle_w = 150\npeak_w = 450\nram_gib = 512\ncpu_cores = 64\nstart_concurrency = 4\n")
	for r := 1; r <= racks; r++ {
		w("[[rack]]\nid = \"r%03d\"\n", r)
		for _, side := range []string{"a", "b"} {
			w("[[breaker]]\nid = \"brk-r%03d-%s\"\ninput = \"panel-%s\"\nstandard = \"iec60947-2\"\nrating_a = 125\n", r, side, side)
			w("[[circuit]]\nid = \"cir-r%03d-%s\"\ninput = \"brk-r%03d-%s\"\n", r, side, r, side)
			w("[[rack_pdu]]\nid = \"pdu-r%03d-%s\"\nrack = \"r%03d\"\ninput = \"cir-r%03d-%s\"\n", r, side, r, r, side)
		}
		w("[[device]]\nid = \"r%03d-n%%02d\"\ncount = 40\nrack = \"r%03d\"\nmodel = \"srv\"\nfeeds = [\"pdu-r%03d-a\", \"pdu-r%03d-b\"]\n", r, r, r, r)
	}
	w(`[[service]]
id = "core-%%d"
count = 50
instances = 2
spread = "rack"
ram_gib = 4
cpu_cores = 1
timeout_s = 300
start = { dist = "lognormal", median_s = 30, p90_s = 90 }

[[service]]
id = "app-%%d"
count = %d
kind = "app"
instances = 2
depends_on = ["core-1"]
spread = "rack"
min_spread = 2
ram_gib = 2
cpu_cores = 0.5
timeout_s = 300
start = { dist = "lognormal", median_s = 20, p90_s = 60 }`, apps-50)
	return b.String()
}

// benchScales are the benchmark sizes: racks of 40 nodes, services of 2
// instances.
var benchScales = []struct{ racks, services int }{
	{10, 4_000},   // 400 nodes, 8,000 instances
	{125, 50_000}, // 5,000 nodes, 100,000 instances: the goal, < 2 s each
}

// benchCluster parses a benchmark platform and checks its size.
func benchCluster(b *testing.B, racks, services int) *Cluster {
	b.Helper()
	c := NewCluster(parseModel(b, "bench", benchPlatform(racks, services)))
	if got, want := len(c.M.Devices), racks*40; got != want {
		b.Fatalf("setup: got %d nodes, want %d", got, want)
	}
	if got, want := len(c.Instances), 2*services; got != want {
		b.Fatalf("setup: got %d instances, want %d", got, want)
	}
	return c
}

// checkBenchPlan fails the benchmark unless p places every instance and
// has a positive makespan.
func checkBenchPlan(b *testing.B, p *Plan) {
	b.Helper()
	if len(p.Unplaced) != 0 {
		b.Fatalf("setup: got %d unplaced (first: %s: %s), want every instance placed",
			len(p.Unplaced), p.C.Name(p.Unplaced[0].Instance), p.Unplaced[0].Reason)
	}
	if p.MakespanS <= 0 || p.SpreadShort != 0 {
		b.Fatalf("setup: got makespan %g and %d services short of spread, want > 0 and 0", p.MakespanS, p.SpreadShort)
	}
}

func BenchmarkPlan(b *testing.B) {
	for _, sc := range benchScales {
		b.Run(fmt.Sprintf("nodes=%d/instances=%d", sc.racks*40, 2*sc.services), func(b *testing.B) {
			c := benchCluster(b, sc.racks, sc.services)
			checkBenchPlan(b, NewPlan(c))
			b.ReportAllocs()
			for b.Loop() {
				NewPlan(c)
			}
			b.ReportMetric(float64(len(c.Instances))*float64(b.N)/b.Elapsed().Seconds(), "placements/s")
		})
	}
}

func BenchmarkSimulatePlan(b *testing.B) {
	for _, sc := range benchScales {
		b.Run(fmt.Sprintf("nodes=%d/instances=%d", sc.racks*40, 2*sc.services), func(b *testing.B) {
			c := benchCluster(b, sc.racks, sc.services)
			p := NewPlan(c)
			checkBenchPlan(b, p)
			o := SimOptions{Policy: PolicyPlan, Seed: 1}
			res, err := Simulate(c, p, o)
			if err != nil {
				b.Fatal(err)
			}
			if res.NeverUp != 0 || res.MakespanS <= 0 || res.MakespanS < res.LowerBoundS {
				b.Fatalf("setup: got %d never up, makespan %g, bound %g; want every instance up after the bound",
					res.NeverUp, res.MakespanS, res.LowerBoundS)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Simulate(c, p, o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(c.Instances))*float64(b.N)/b.Elapsed().Seconds(), "placements/s")
		})
	}
}
