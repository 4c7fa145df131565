package generate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"blackstart/topology"
)

const platformExample = "../../examples/platform-2019.toml"

func platformBytes(t testing.TB, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Platform(&buf, PlatformOptions{Seed: seed}); err != nil {
		t.Fatalf("Platform(seed %d): %v", seed, err)
	}
	return buf.Bytes()
}

// The example is the generator's output for seed 1, byte for byte, so the
// two cannot drift apart.
func TestPlatformExampleIsSeed1(t *testing.T) {
	file, err := os.ReadFile(platformExample)
	if err != nil {
		t.Fatal(err)
	}
	gen := platformBytes(t, 1)
	if bytes.Equal(file, gen) {
		return
	}
	line := 1 + bytes.Count(file[:commonPrefix(file, gen)], []byte("\n"))
	t.Errorf("%s differs from Platform(seed 1) from line %d on (%d bytes, generated %d); regenerate it:\n"+
		"\tgo run ./cmd/blackstart generate --platform --seed 1 -o examples/platform-2019.toml", platformExample, line, len(file), len(gen))
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func TestPlatformDeterministic(t *testing.T) {
	a, b := platformBytes(t, 3), platformBytes(t, 3)
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs with seed 3 differ (%d and %d bytes)", len(a), len(b))
	}
	if c := platformBytes(t, 4); bytes.Equal(a, c) {
		t.Errorf("seeds 3 and 4 give the same %d bytes", len(a))
	}
}

func TestPlatformReportsWriteError(t *testing.T) {
	want := errors.New("disk full")
	if err := Platform(failingWriter{want}, PlatformOptions{Seed: 1}); !errors.Is(err, want) {
		t.Errorf("Platform to a failing writer = %v, want %v", err, want)
	}
}

// platformModels returns the example loaded from its file (seed 1) and
// the models of two more seeds.
func platformModels(t *testing.T) map[string]*topology.Model {
	t.Helper()
	ms := map[string]*topology.Model{}
	m, err := topology.Load(platformExample)
	if err != nil {
		t.Fatalf("%s does not load:\n%v", platformExample, err)
	}
	ms["example (seed 1)"] = m
	for _, seed := range []uint64{2, 99} {
		name := fmt.Sprintf("seed %d", seed)
		m, err := topology.Parse(topology.File{Name: name, Data: platformBytes(t, seed)})
		if err != nil {
			t.Fatalf("platform of %s does not load:\n%v", name, err)
		}
		ms[name] = m
	}
	return ms
}

func TestPlatformShape(t *testing.T) {
	for name, m := range platformModels(t) {
		t.Run(name, func(t *testing.T) { checkPlatform(t, m) })
	}
}

func checkPlatform(t *testing.T, m *topology.Model) {
	type use struct{ ram, cpu float64 }
	nodes := map[string]int{}
	capacity := map[string]use{}
	concurrency := map[string]int{"app": 4, "db": 6, "internal": 4}
	for _, d := range m.Devices {
		nodes[d.Role]++
		c := capacity[d.Role]
		capacity[d.Role] = use{c.ram + d.RAMGiB, c.cpu + d.CPUCores}
		if d.StartConcurrency != concurrency[d.Role] {
			t.Errorf("%s node %s: start_concurrency %d, want %d", d.Role, d.ID, d.StartConcurrency, concurrency[d.Role])
		}
	}

	requested := map[string]use{}
	pinned := map[int32]use{} // per db node
	internalTiers := map[int]bool{}
	var etcd, internal, databases, apps, appInstances int
	for _, s := range m.Services {
		r := requested[s.Role]
		requested[s.Role] = use{r.ram + float64(s.Instances)*s.RAMGiB, r.cpu + float64(s.Instances)*s.CPUCores}
		med, p90 := s.Start.MedianS, s.Start.P90S
		if s.Start.Kind != "lognormal" {
			t.Errorf("service %s: %s start distribution, want lognormal", s.ID, s.Start.Kind)
		}
		var floor float64 // the kind's timeout, raised to the p99.99 of the start
		switch s.Kind {
		case "etcd":
			etcd++
			floor = 600
			if s.Instances != 3 || s.ReadyQuorum != 2 || s.Role != "internal" || s.Spread != topology.DomainRack || med != 10 || p90 != 30 {
				t.Errorf("etcd: %d instances, quorum %d, role %q, spread %s, start %g/%g s; want 3, 2, internal, rack, 10/30 s",
					s.Instances, s.ReadyQuorum, s.Role, s.Spread, med, p90)
			}
		case "service":
			internal++
			floor = 600
			internalTiers[s.Tier] = true
			if s.Instances != 2 || s.Role != "internal" || s.Spread != topology.DomainRack || med < 30 || med > 90 {
				t.Errorf("internal service %s: %d instances, role %q, spread %s, median %g s; want 2, internal, rack, 30-90 s",
					s.ID, s.Instances, s.Role, s.Spread, med)
			}
			if !platDependsOn(m, s, "etcd") {
				t.Errorf("internal service %s does not depend on etcd", s.ID)
			}
		case "database":
			databases++
			floor = 900
			if s.Instances != 1 || s.Role != "db" || len(s.Pinned) != 1 || len(s.DependsOn) != 1 || med < 60 || med > 180 || p90 > 3*med {
				t.Errorf("database %s: %d instances, role %q, %d pins, %d dependencies, start %g/%g s; want 1, db, 1, 1, median 60-180 s, p90 <= 3× median",
					s.ID, s.Instances, s.Role, len(s.Pinned), len(s.DependsOn), med, p90)
			}
			for _, n := range s.Pinned {
				if m.Devices[n].Role != "db" {
					t.Errorf("database %s pinned to %s, a %q node", s.ID, m.Devices[n].ID, m.Devices[n].Role)
				}
				pinned[n] = use{pinned[n].ram + s.RAMGiB, pinned[n].cpu + s.CPUCores}
			}
			if len(s.DependsOn) == 1 && m.Services[s.DependsOn[0]].Kind != "service" {
				t.Errorf("database %s depends on %s, want an internal service", s.ID, m.Services[s.DependsOn[0]].ID)
			}
		case "app":
			apps++
			appInstances += s.Instances
			floor = 300
			if s.Instances != 2 || s.Role != "app" || s.Spread != topology.DomainRack || med < 20 || med > 40 || p90 > 2*med {
				t.Errorf("app %s: %d instances, role %q, spread %s, start %g/%g s; want 2, app, rack, median 20-40 s, p90 <= 2× median",
					s.ID, s.Instances, s.Role, s.Spread, med, p90)
			}
			kinds := map[string]int{}
			for _, d := range s.DependsOn {
				kinds[m.Services[d].Kind]++
			}
			if len(s.DependsOn) != 2 || kinds["database"] != 1 || kinds["service"] != 1 {
				t.Errorf("app %s depends on %v, want one database and one internal service", s.ID, kinds)
			}
		default:
			t.Errorf("service %s of kind %q", s.ID, s.Kind)
		}
		// At least the floor and the p99.99 of the start, at most a
		// minute above the larger.
		sigma := math.Log(p90/med) / 1.2815515655446004
		p9999 := med * math.Exp(sigma*3.719016485455709)
		if want := max(floor, p9999); s.TimeoutS < want || s.TimeoutS >= want+60 || math.Mod(s.TimeoutS, 60) != 0 {
			t.Errorf("%s %s: timeout %g s, want a whole minute in [%g, %g) (the kind's %g s or the start's p99.99 %.0f s)",
				s.Kind, s.ID, s.TimeoutS, want, want+60, floor, p9999)
		}
	}

	t.Logf("nodes: %d app, %d db, %d internal in %d racks; %d device models", nodes["app"], nodes["db"], nodes["internal"], len(m.Racks), len(m.DeviceModels))
	t.Logf("services: etcd %d, internal %d in %d tiers, databases %d, apps %d (%d instances)", etcd, internal, len(internalTiers), databases, apps, appInstances)
	for _, c := range []struct {
		what   string
		got    int
		lo, hi int
	}{
		{"app nodes", nodes["app"], 140, 160},
		{"db nodes", nodes["db"], 20, 40},
		{"internal nodes", nodes["internal"], 5, 15},
		{"etcd services", etcd, 1, 1},
		{"internal services", internal, 35, 45},
		{"internal service tiers", len(internalTiers), 3, 10},
		{"databases", databases, 1400, 1600},
		{"app instances", appInstances, 14000, 16000},
	} {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%d %s, want %d to %d", c.got, c.what, c.lo, c.hi)
		}
	}

	// A good planner can place everything: each role's requests are well
	// under its capacity, and every db node can hold what is pinned to it.
	for _, role := range []string{"app", "db", "internal"} {
		r, c := requested[role], capacity[role]
		t.Logf("%s: %.0f of %.0f GiB (%.0f %%), %.1f of %.0f cores (%.0f %%)", role, r.ram, c.ram, 100*r.ram/c.ram, r.cpu, c.cpu, 100*r.cpu/c.cpu)
		if r.ram > 0.6*c.ram || r.cpu > 0.6*c.cpu {
			t.Errorf("%s requests %.0f GiB and %.1f cores of %.0f GiB and %.0f cores: want at most 60 %%", role, r.ram, r.cpu, c.ram, c.cpu)
		}
	}
	if len(pinned) != nodes["db"] {
		t.Errorf("databases are pinned to %d of %d db nodes", len(pinned), nodes["db"])
	}
	for n, u := range pinned {
		d := &m.Devices[n]
		if u.ram > 0.6*d.RAMGiB || u.cpu > 0.6*d.CPUCores {
			t.Errorf("db node %s holds databases requesting %.0f GiB and %.2f cores of %g GiB and %g cores: want at most 60 %%",
				d.ID, u.ram, u.cpu, d.RAMGiB, d.CPUCores)
		}
	}
}

func platDependsOn(m *topology.Model, s topology.Service, id string) bool {
	for _, d := range s.DependsOn {
		if m.Services[d].ID == id {
			return true
		}
	}
	return false
}

// TestPlatformPower recomputes, from the loaded example, the current on
// every branch breaker and bank with the whole rack on one side: within
// 80 % of In for every rack but one, which, like the incident's, is sized
// for its normal half-load and is past its no-trip current on failover.
func TestPlatformPower(t *testing.T) {
	m, err := topology.Load(platformExample)
	if err != nil {
		t.Fatal(err)
	}
	type lines [3]float64
	full := map[int32]*lines{} // protective element → line currents with its side carrying everything, A
	var siteW float64
	for _, d := range m.Devices {
		dm := &m.DeviceModels[d.Model]
		sp := platSpecOf(dm.ID)
		if sp == nil {
			t.Fatalf("device model %s is no SPECpower system", dm.ID)
		}
		_, measured := parseSpecConfig(sp.Config)
		extra := dm.RAMGiB - measured
		if dm.PeakW != platRound(sp.LoadW[specPeak]+platDIMMPeakW*extra) || dm.IdleW != platRound(sp.IdleW+platDIMMIdleW*extra) ||
			dm.PSURatingW < 1.3*dm.PeakW || dm.NameplateW != 0 {
			t.Errorf("%s: peak %g W, idle %g W, PSU %g W, nameplate %g W; want SPECpower's plus %g GiB of memory, a PSU >= 1.3 × peak, no nameplate",
				dm.ID, dm.PeakW, dm.IdleW, dm.PSURatingW, dm.NameplateW, extra)
		}
		siteW += dm.PeakW
		if genSourceOf(m, d.Feeds[0]) == genSourceOf(m, d.Feeds[1]) {
			t.Errorf("device %s: both PSUs on one feed", d.ID)
		}
		for _, f := range d.Feeds {
			feed := &m.Elements[f]
			a := dm.PeakW / (feed.VoltageV * feed.PowerFactor) // a bank or a single-phase PDU: line to neutral
			for e := f; len(m.Elements[e].Inputs) > 0; e = m.Elements[e].Inputs[0] {
				if el := &m.Elements[e]; el.RatingA > 0 && el.Standard != topology.StdNone {
					if full[e] == nil {
						full[e] = &lines{}
					}
					full[e][genLineOf(m, f)] += a
				}
			}
		}
	}
	var naive []string
	for e, cur := range full {
		el := &m.Elements[e]
		worst := max(cur[0], cur[1], cur[2])
		if worst <= el.ContinuousLimit*el.RatingA {
			continue
		}
		if el.Kind == topology.KindBreaker && el.Phases == 1 && worst > 1.13*el.RatingA && worst/2 <= el.ContinuousLimit*el.RatingA {
			naive = append(naive, fmt.Sprintf("%s (%.1f A on %g A)", el.ID, worst, el.RatingA))
			continue
		}
		t.Errorf("%s carries %.1f A with its side carrying everything, above %.0f %% of %g A", el.ID, worst, 100*el.ContinuousLimit, el.RatingA)
	}
	if len(naive) != 2 {
		t.Errorf("naively sized branch breakers: %v; want the two sides of one rack", naive)
	}
	t.Logf("naively sized: %v; site peak %.1f kW", naive, siteW/1000)
	for _, e := range m.Elements {
		if e.Kind == topology.KindUPS && e.CapacityW < 1.2*siteW {
			t.Errorf("%s: %g kW for a platform drawing %.1f kW: one UPS must carry it with margin", e.ID, e.CapacityW/1000, siteW/1000)
		}
	}
}

// platSpecOf returns the SPECpower system a platform device model is
// built on ("dell-poweredge-r620-app" → Dell PowerEdge R620).
func platSpecOf(id string) *specPowerResult {
	for i := range specPowerResults {
		sp := &specPowerResults[i]
		for _, role := range genRoleNames {
			if genSlug(sp.System)+"-"+role == id {
				return sp
			}
		}
	}
	return nil
}
