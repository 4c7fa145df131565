package generate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"blackstart/topology"
)

// TestSizingAtTheLimit: a load of exactly 80 % of In is within the
// continuous limit (the rule is "within 80 %", inclusive) in every sizing
// helper. A device of a amperes draws a·230.94·0.95 W; 12.8 A is 80 % of
// 16 A. genBranchFor: 3 devices of 12.8 A put 12.8 A on each line and each
// bank of the 16-A branch: index 0. 99 devices of 0.1 A put 3.3 A on a line
// and a bank: index 0 too (the line's current is ⌈99/3⌉ × 0.1 A, not
// 33 / 0.1 A = 330 A). genSingleFor: one device of 12.8 A on the 16-A
// single-phase branch. genPSUFor: a 423.08-W peak (550 / 1.3) takes the
// 550-W PSU. genFrameFor: 80 A on a 100-A main; 80.01 A on 160 A;
// 5,040 A (80 % of 6,300 A) on 6,300 A, and above it still the largest.
func TestSizingAtTheLimit(t *testing.T) {
	w := func(a float64) float64 { return a * genVLN * genPF }
	if got := genBranchFor(3, w(12.8)); got != 0 {
		t.Errorf("genBranchFor(3 devices of 12.8 A) = %d, want 0 (the 16-A branch)", got)
	}
	if got := genBranchFor(99, w(0.1)); got != 0 {
		t.Errorf("genBranchFor(99 devices of 0.1 A) = %d, want 0 (the 16-A branch)", got)
	}
	if got := genSingleFor(1, w(12.8)); got != 0 {
		t.Errorf("genSingleFor(1 device of 12.8 A) = %d, want 0 (16 A)", got)
	}
	if got := genPSUFor(550 / 1.3); got != 550 {
		t.Errorf("genPSUFor(%g W) = %g W, want 550 W", 550/1.3, got)
	}
	for a, want := range map[float64]float64{1: 100, 80: 100, 80.01: 160, 5040: 6300, 9000: 6300} {
		if got := genFrameFor(a); got != want {
			t.Errorf("genFrameFor(%g A) = %g A, want %g A", a, got, want)
		}
	}
}

// TestSiteRowMain: one rack of 98 Dell PowerEdge R720 (231 W peak, seed 3)
// has 33, 33 and 32 devices on L1, L2 and L3 (device k on line k mod 3), so
// its row's worst line on one side carries 33 × 231 W / (230.94 V × 0.95) =
// 34.75 A, on a 100-A main. The rack is r0001, its row row-001.
func TestSiteRowMain(t *testing.T) {
	g := &generator{o: SiteOptions{Racks: 1, PerRack: 98, Seed: 3}, rng: rand.New(rand.NewPCG(3, 0x626c61636b737461))}
	if err := g.plan(); err != nil {
		t.Fatal(err)
	}
	if sp := specPowerResults[g.racks[0].sys]; sp.System != "Dell PowerEdge R720" || sp.LoadW[specPeak] != 231 {
		t.Fatalf("seed 3 draws %s (%g W peak), want the Dell PowerEdge R720 (231 W)", sp.System, sp.LoadW[specPeak])
	}
	row := g.rows[0]
	if want := 33 * 231 / (genVLN * genPF); len(g.rows) != 1 || row.worstA < want-1e-9 || row.worstA > want+1e-9 || row.mainA != 100 {
		t.Errorf("%d rows, the first's worst line %.4f A on a %g-A main; want 1 row, %.4f A on 100 A", len(g.rows), row.worstA, row.mainA, want)
	}
	if g.racks[0].id != "r0001" || row.id != "row-001" || row.n != 1 {
		t.Errorf("rack %q in row %q of %d racks; want r0001 in row-001 of 1", g.racks[0].id, row.id, row.n)
	}
	g = &generator{o: SiteOptions{Racks: 12, PerRack: 3, Seed: 3}, rng: rand.New(rand.NewPCG(3, 0x626c61636b737461))}
	if err := g.plan(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range g.rows {
		ids = append(ids, fmt.Sprintf("%s %d-%d", r.id, r.first, r.n))
	}
	if got := strings.Join(ids, ", ") + " " + g.racks[11].id; got != "row-001 0-10, row-002 10-2 r0012" {
		t.Errorf("12 racks: rows %q, want \"row-001 0-10, row-002 10-2 r0012\"", got)
	}
}

// TestNaiveRacks checks, for every rack size from 1 to 99 devices, the
// racks sized the naive way (one in ten) against the rules, with the
// arithmetic redone here: a naive rack's single-phase branch is the
// smallest carrying its normal half-load within 80 % of In; it is
// undersized (marked in the file) when its whole load, m × peak /
// (230.94 V × 0.95), is above 80 % of that In; and when some system of
// known memory trips its branch on failover (the whole load above
// 1.13 × In), a naive rack gets such a system. For example 20 R620s
// (243 W): 22.15 A, half of it (11.08 A) on the 16-A branch; 22.15 A is
// above 12.8 A, so undersized, and above 18.08 A, so it trips.
func TestNaiveRacks(t *testing.T) {
	trips := func(s, m int) (bool, int) {
		w := specPowerResults[s].LoadW[specPeak]
		half := genSingleFor(m, w/2)
		if half < 0 {
			return false, half
		}
		return float64(m)*w/(genVLN*genPF) > 1.13*genSingleA[half], half
	}
	naive, marked, tripping := 0, 0, 0
	for m := 1; m <= 99; m++ {
		anyTrips := false
		for s, sp := range specPowerResults {
			if _, ram := parseSpecConfig(sp.Config); sp.Weight == 0 || ram == 0 {
				continue
			}
			if tr, _ := trips(s, m); tr {
				anyTrips = true
			}
		}
		g := &generator{o: SiteOptions{Racks: 100, PerRack: m, Seed: uint64(m)}, rng: rand.New(rand.NewPCG(uint64(m), 1))}
		if err := g.plan(); err != nil {
			t.Fatalf("%d devices a rack: %v", m, err)
		}
		for _, r := range g.racks {
			if !r.naive {
				continue
			}
			naive++
			sp := specPowerResults[r.sys]
			tr, half := trips(r.sys, m)
			if r.single != half {
				t.Errorf("%d devices of %s: single-phase branch %d, want %d", m, sp.System, r.single, half)
			}
			under := float64(m)*sp.LoadW[specPeak]/(genVLN*genPF) > genLimit*genSingleA[max(half, 0)]
			if r.undersized != under {
				t.Errorf("%d devices of %s (%.2f A) on %g A: undersized %t, want %t", m, sp.System, float64(m)*sp.LoadW[specPeak]/(genVLN*genPF), genSingleA[max(half, 0)], r.undersized, under)
			}
			if anyTrips && !tr {
				t.Errorf("%d devices a rack: a naive rack of %s, which does not trip its branch, while some system does", m, sp.System)
			}
			if r.undersized {
				marked++
			}
			if tr {
				tripping++
			}
		}
	}
	// Not every naive rack trips or is undersized: the rules are not
	// vacuous either way.
	if marked == 0 || marked == naive || tripping == 0 || tripping == naive {
		t.Errorf("%d naive racks, %d undersized, %d tripping; want some of each and not all", naive, marked, tripping)
	}

}

// TestSiteFileText reads the text of a generated file where the loader
// cannot: the heading's figures, where the naive-sizing mark stands, and
// the layout of a database group's pins. 20 racks of 10 (seed 4): one
// internal rack, two db racks (20 db nodes, so 10 databases), so db-001
// is pinned on slot 1 of the first db rack and slot 1 of the second,
// db-002 on slot 2 of each, …, ten pins a line.
func TestSiteFileText(t *testing.T) {
	o := SiteOptions{Racks: 20, PerRack: 10, Seed: 4}
	data := genBytes(t, o)
	m, err := topology.Parse(topology.File{Name: "gen.toml", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var dbRacks []string
	for _, d := range m.Devices {
		if r := m.Racks[d.Rack].ID; d.Role == "db" && (len(dbRacks) == 0 || dbRacks[len(dbRacks)-1] != r) {
			dbRacks = append(dbRacks, r)
		}
	}
	if len(dbRacks) != 2 {
		t.Fatalf("db racks %v, want two", dbRacks)
	}
	var pins []string
	for slot := 1; slot <= 10; slot++ {
		for _, r := range dbRacks {
			pins = append(pins, fmt.Sprintf(` "%s-s%02d",`, r, slot))
		}
	}
	want := "pinned_cycle = [\n " + strings.Join(pins[:10], "") + "\n " + strings.Join(pins[10:], "") + "\n]\n"
	if !bytes.Contains(data, []byte(want)) {
		i := bytes.Index(data, []byte("pinned_cycle"))
		t.Errorf("the databases' pins:\n%s\nwant\n%s", data[i:min(len(data), i+len(want))], want)
	}
	for _, s := range m.Services {
		if s.Kind == "app" && (len(s.DependsOn) != 2 || m.Services[s.DependsOn[0]].Kind != "database") {
			t.Errorf("app %s depends on %d services, want a database and a service", s.ID, len(s.DependsOn))
		}
	}
	for _, dm := range m.DeviceModels {
		if dm.RAMGiB == 0 || dm.CPUCores == 0 {
			t.Errorf("device model %s: %g GiB, %g cores; want both from its configuration", dm.ID, dm.RAMGiB, dm.CPUCores)
		}
	}

	// The heading of the 100-rack site: its racks, rows and devices, the
	// peak draw of every device added up, and the racks marked as naively
	// sized, each mark just before the rack's side-a breaker.
	o = SiteOptions{Racks: 100, PerRack: 40, Seed: 1}
	data = genBytes(t, o)
	m, err = topology.Parse(topology.File{Name: "gen.toml", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var siteW float64
	for _, d := range m.Devices {
		siteW += m.DeviceModels[d.Model].PeakW
	}
	marks := regexp.MustCompile(`# Naive sizing: each side holds the rack's normal half-load, not the whole rack.\n\[\[breaker\]\]\nid = "r\d{4}-a-brk"\n`).FindAll(data, -1)
	head := fmt.Sprintf("# 100 racks in 10 rows, 4000 devices, %.1f kW peak draw (SPECpower 100 %% load).\n"+
		"# Branch circuits hold the whole rack on one side within 80 %% of In, except\n"+
		"# on %d rack(s) sized for the normal half-load only (marked below).\n", siteW/1000, len(marks))
	if !bytes.Contains(data, []byte(head)) || len(marks) == 0 || len(marks) != bytes.Count(data, []byte("# Naive")) {
		t.Errorf("the heading:\n%s\nwant\n%s(%d marks before a side-a breaker, %d in all)", data[:bytes.Index(data, []byte("[site]"))], head, len(marks), bytes.Count(data, []byte("# Naive")))
	}
}

// TestPlatformTrimsInternal: the internal services' requests are lowered
// until they and etcd's three members (8 GiB and 2 cores each) fit within
// half the internal nodes' capacity. With 448 GiB and 132 cores: the 40
// services (two instances each) may ask 0.5 × 448 − 24 = 200 GiB and
// 0.5 × 132 − 6 = 60 cores (their least: 160 GiB and 40 cores).
func TestPlatformTrimsInternal(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		p := &platform{rng: rand.New(rand.NewPCG(seed, 2))}
		for k := range 100 {
			p.nodes[roleDB] = append(p.nodes[roleDB], fmt.Sprintf("db-%d", k))
		}
		p.cap[roleInternal].ram, p.cap[roleInternal].cpu = 448, 132
		p.cap[roleDB].ram, p.cap[roleDB].cpu = 1e9, 1e9
		p.cap[roleApp].ram, p.cap[roleApp].cpu = 1e9, 1e9
		if err := p.planWorkloads(); err != nil {
			t.Fatal(err)
		}
		var ram, cpu, least float64
		for _, s := range p.svcs {
			ram += float64(s.ram.n) * s.ram.v()
			cpu += float64(s.cpu.n) * s.cpu.v()
			least += float64(s.ram.n) * s.ram.c.opts[0]
		}
		if len(p.svcs) != 40 || least != 160 {
			t.Fatalf("%d services asking at least %g GiB, want 40 and 160 GiB", len(p.svcs), least)
		}
		if ram > 200 || ram < 200-8 || cpu > 60 || cpu < 60-2 {
			t.Errorf("seed %d: the services ask %g GiB and %g cores, want within the largest step (8 GiB, 2 cores) under 200 GiB and 60 cores", seed, ram, cpu)
		}
	}
}
