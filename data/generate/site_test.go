package generate

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"blackstart/topology"
)

func genBytes(t testing.TB, o SiteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Site(&buf, o); err != nil {
		t.Fatalf("Site(%+v): %v", o, err)
	}
	return buf.Bytes()
}

func genLoad(t testing.TB, o SiteOptions) *topology.Model {
	t.Helper()
	data := genBytes(t, o)
	m, err := topology.Parse(topology.File{Name: "gen.toml", Data: data})
	if err != nil {
		t.Fatalf("generated model %+v does not load:\n%v", o, err)
	}
	return m
}

func TestGenerateLoads(t *testing.T) {
	for _, o := range []SiteOptions{
		{Racks: 1, PerRack: 1, Seed: 1},
		{Racks: 2, PerRack: 3, Seed: 7},
		{Racks: 3, PerRack: 40, Seed: 2},
		{Racks: 12, PerRack: 10, Seed: 7},
		{Racks: 3, PerRack: 51, Seed: 1}, // 51 app nodes: a second app group of one
		{Racks: 37, PerRack: 99, Seed: 3},
		{Racks: 100, PerRack: 40, Seed: 1},
		{Racks: 250, PerRack: 24, Seed: 42},
	} {
		t.Run(fmt.Sprintf("racks=%d,per-rack=%d,seed=%d", o.Racks, o.PerRack, o.Seed), func(t *testing.T) {
			m := genLoad(t, o)
			if got := len(m.Racks); got != o.Racks {
				t.Errorf("got %d racks, want %d", got, o.Racks)
			}
			if got, want := len(m.Devices), o.Racks*o.PerRack; got != want {
				t.Errorf("got %d devices, want %d", got, want)
			}
			perRack := make([]int, len(m.Racks))
			roles := map[string]int{}
			for _, d := range m.Devices {
				perRack[d.Rack]++
				roles[d.Role]++
				dm := m.DeviceModels[d.Model]
				if dm.PSUs != 2 || dm.PSUsRequired != 1 || len(d.Feeds) != 2 {
					t.Fatalf("device %s: %d PSUs (%d required), %d feeds; want 2, 1, 2", d.ID, dm.PSUs, dm.PSUsRequired, len(d.Feeds))
				}
				a, b := &m.Elements[d.Feeds[0]], &m.Elements[d.Feeds[1]]
				if genSourceOf(m, d.Feeds[0]) == genSourceOf(m, d.Feeds[1]) || genLineOf(m, d.Feeds[0]) != genLineOf(m, d.Feeds[1]) ||
					!(a.Kind == topology.KindBank && b.Kind == topology.KindBank || a.Kind == topology.KindRackPDU && b.Kind == topology.KindRackPDU && a.Phases == 1 && b.Phases == 1) {
					t.Fatalf("device %s feeds %s and %s: want banks (or single-phase PDUs) on the same line, one from each feed", d.ID, a.ID, b.ID)
				}
			}
			for i, n := range perRack {
				if n != o.PerRack {
					t.Errorf("rack %s holds %d devices, want %d", m.Racks[i].ID, n, o.PerRack)
				}
			}
			if roles["internal"] < o.PerRack {
				t.Errorf("%d internal nodes, want at least one rack (%d)", roles["internal"], o.PerRack)
			}
			if o.Racks >= 2 && roles["db"] == 0 {
				t.Errorf("no db node in %d racks", o.Racks)
			}
			checkGenWorkloads(t, m, roles)
		})
	}
}

// genSourceOf follows the first input of element e up to its source.
func genSourceOf(m *topology.Model, e int32) int32 {
	for len(m.Elements[e].Inputs) > 0 {
		e = m.Elements[e].Inputs[0]
	}
	return e
}

// checkGenWorkloads checks the workloads' shape: etcd on internal nodes, one
// internal service per two internal nodes, databases pinned to db nodes,
// one app class per app node, and instances on nodes of their role.
func checkGenWorkloads(t *testing.T, m *topology.Model, roles map[string]int) {
	t.Helper()
	kinds := map[string]int{}
	for _, s := range m.Services {
		kinds[s.Kind]++
		switch s.Kind {
		case "etcd":
			if s.Instances != 3 || s.Role != "internal" || s.Spread != topology.DomainRack || s.Tier != 0 {
				t.Errorf("etcd: %d instances, role %q, spread %s, tier %d; want 3, internal, rack, 0", s.Instances, s.Role, s.Spread, s.Tier)
			}
		case "database":
			if len(s.Pinned) != s.Instances {
				t.Errorf("database %s: %d pins for %d instances", s.ID, len(s.Pinned), s.Instances)
			}
			for _, p := range s.Pinned {
				if r := m.Devices[p].Role; r != "db" {
					t.Errorf("database %s pinned on %s, a %q node", s.ID, m.Devices[p].ID, r)
				}
			}
		case "app":
			if s.Instances != 2 || s.Spread != topology.DomainRack || len(s.DependsOn) == 0 {
				t.Errorf("app %s: %d instances, spread %s, %d dependencies; want 2, rack, >= 1", s.ID, s.Instances, s.Spread, len(s.DependsOn))
			}
		}
		if s.Kind != "etcd" && len(s.DependsOn) == 0 {
			t.Errorf("service %s (%s) depends on nothing", s.ID, s.Kind)
		}
		if s.Start.Kind != "lognormal" || s.Start.MedianS <= 0 || s.Start.P90S <= s.Start.MedianS || s.TimeoutS < s.Start.P90S {
			t.Errorf("service %s: start %+v, timeout %g s; want lognormal, p90 > median, timeout >= p90", s.ID, s.Start, s.TimeoutS)
		}
	}
	want := map[string]int{"etcd": 1, "service": max(1, roles["internal"]/2), "database": roles["db"] / 2, "app": roles["app"]}
	if roles["db"] == 1 {
		want["database"] = 1
	}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d services of kind %q, want %d", kinds[k], k, n)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	o := SiteOptions{Racks: 60, PerRack: 20, Seed: 9}
	a, b := genBytes(t, o), genBytes(t, o)
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs with %+v differ (%d and %d bytes)", o, len(a), len(b))
	}
	o.Seed = 10
	if c := genBytes(t, o); bytes.Equal(a, c) {
		t.Errorf("seeds 9 and 10 give the same %d bytes", len(a))
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	for _, c := range []struct {
		o    SiteOptions
		want string
	}{
		{SiteOptions{Racks: 0, PerRack: 40}, "racks must be >= 1, got 0"},
		{SiteOptions{Racks: 1, PerRack: 0}, "devices per rack must be 1 to 99, got 0"},
		{SiteOptions{Racks: 1, PerRack: 100}, "devices per rack must be 1 to 99, got 100"},
	} {
		var buf bytes.Buffer
		err := Site(&buf, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Site(%+v) = %v, want an error saying %q", c.o, err, c.want)
		}
		if buf.Len() > 0 {
			t.Errorf("Site(%+v) wrote %d bytes before failing", c.o, buf.Len())
		}
	}
}

// TestGenerateSizing recomputes, from the loaded model and with the simplest
// arithmetic, the current on every line of every branch breaker, bank and
// row main: in normal operation (each PSU carries half the device) and in
// failover (one PSU carries it all).
func TestGenerateSizing(t *testing.T) {
	data := genBytes(t, SiteOptions{Racks: 100, PerRack: 40, Seed: 1})
	m, err := topology.Parse(topology.File{Name: "gen.toml", Data: data})
	if err != nil {
		t.Fatal(err)
	}

	type lines [3]float64      // amperes on L1, L2, L3
	half := map[int32]*lines{} // breaker or bank → currents, normal operation
	full := map[int32]*lines{} // breaker or bank → currents, that side carrying everything
	add := func(mp map[int32]*lines, e int32, l int, a float64) {
		if mp[e] == nil {
			mp[e] = &lines{}
		}
		mp[e][l] += a
	}
	rackOf := map[int32]int32{} // branch breaker → its rack
	var siteW float64
	for _, d := range m.Devices {
		p := m.DeviceModels[d.Model].PeakW // the generated site is sized for the peak
		siteW += p
		for _, f := range d.Feeds {
			feed := &m.Elements[f]
			l := genLineOf(m, f)
			a := p / (feed.VoltageV * feed.PowerFactor)
			// Walk up: bank (three-phase racks), PDU, circuit, branch breaker, panel, main.
			var brk, main int32 = -1, -1
			for e := f; len(m.Elements[e].Inputs) > 0; e = m.Elements[e].Inputs[0] {
				switch el := &m.Elements[e]; {
				case el.Kind == topology.KindBreaker && el.Standard == topology.StdIEC60898:
					brk = e
				case el.Kind == topology.KindBreaker && el.Standard == topology.StdIEC60947:
					main = e
				}
			}
			rackOf[brk] = d.Rack
			for _, e := range []int32{f, brk, main} {
				if m.Elements[e].RatingA == 0 {
					continue
				}
				add(half, e, l, a/2)
				add(full, e, l, a)
			}
		}
	}
	worst := func(x *lines) float64 { return max(x[0], x[1], x[2]) }
	over := func(e int32, cur map[int32]*lines) bool {
		el := &m.Elements[e]
		return worst(cur[e]) > el.ContinuousLimit*el.RatingA
	}

	// A rack is naively sized when a branch breaker cannot carry it alone.
	naive := map[int32]bool{}
	var names []string
	branches, safe := 0, 0
	for e := range half {
		el := &m.Elements[e]
		if el.Kind != topology.KindBreaker || el.Standard != topology.StdIEC60898 {
			continue
		}
		branches++
		rack := rackOf[e]
		if !over(e, full) {
			safe++
		} else if !naive[rack] {
			naive[rack] = true
			names = append(names, fmt.Sprintf("%s (%.1f A on %g A)", m.Racks[rack].ID, worst(full[e]), el.RatingA))
		}
	}
	for e := range half {
		el := &m.Elements[e]
		if over(e, half) {
			t.Errorf("%s carries %.1f A in normal operation, above %.0f %% of %g A", el.ID, worst(half[e]), 100*el.ContinuousLimit, el.RatingA)
		}
		if (el.Kind == topology.KindBank || el.Kind == topology.KindRackPDU) && !naive[el.Rack] || el.Kind == topology.KindBreaker && el.Standard == topology.StdIEC60947 {
			if over(e, full) {
				t.Errorf("%s carries %.1f A on failover, above %.0f %% of %g A", el.ID, worst(full[e]), 100*el.ContinuousLimit, el.RatingA)
			}
		}
	}
	if len(naive) == 0 {
		t.Errorf("no rack's branch circuit is overloaded on failover; want about one in ten")
	}
	if safe < branches*8/10 {
		t.Errorf("%d of %d branch breakers carry their rack on failover, want at least 80 %%", safe, branches)
	}
	if marked := bytes.Count(data, []byte("# Naive sizing")); marked != len(naive) {
		t.Errorf("the file marks %d racks as naively sized, the currents show %d", marked, len(naive))
	}
	sort.Strings(names)
	t.Logf("%d naively sized racks: %s", len(naive), strings.Join(names, ", "))
	for _, e := range m.Elements {
		if e.Kind == topology.KindUPS && e.CapacityW < 1.2*siteW {
			t.Errorf("%s: %g kW for a site drawing %.1f kW: one UPS must carry the site with margin", e.ID, e.CapacityW/1000, siteW/1000)
		}
	}
}

// TestSpecPowerTable checks the quoted SPECpower figures against the data
// file, row by row.
func TestSpecPowerTable(t *testing.T) {
	const path = "../../../shared/data/specpower-ssj2008.csv"
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the SPECpower data the generator quotes: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	wantHeader := "system,config,idle_W,p10,p20,p30,p40,p50,p60,p70,p80,p90,p100_W,spec_result_url,transcribed_in"
	if got := strings.Join(rows[0], ","); got != wantHeader {
		t.Fatalf("%s header is %q, want %q", path, got, wantHeader)
	}
	rows = rows[1:]
	if len(rows) != len(specPowerResults) {
		t.Errorf("%s has %d results, the table %d", path, len(rows), len(specPowerResults))
	}
	for i := range min(len(rows), len(specPowerResults)) {
		row, sp := rows[i], &specPowerResults[i]
		got := []string{sp.System, sp.Config, genNum(sp.IdleW)}
		for _, w := range sp.LoadW {
			got = append(got, genNum(w))
		}
		got = append(got, sp.URL, sp.Transcribed)
		for k, name := range strings.Split(wantHeader, ",") {
			want := row[k]
			if k >= 2 && k <= 12 { // numbers: compare values, not spellings
				x, err := strconv.ParseFloat(want, 64)
				if err != nil {
					t.Errorf("%s row %d %s: %v", path, i+2, name, err)
					continue
				}
				want = genNum(x)
			}
			if got[k] != want {
				t.Errorf("row %d (%s) %s: table has %q, file has %q", i+2, row[0], name, got[k], want)
			}
		}
	}
}

func TestParseSpecConfig(t *testing.T) {
	for _, c := range []struct {
		cfg        string
		cores, ram float64
	}{
		{"16c 2.6GHz 24GB", 16, 24},
		{"48c 2.6GHz 96GB (multi-node)", 48, 96},
		{"12c 3.07GHz 16GB", 12, 16},
		{"config not given in excerpt", 0, 0},
	} {
		cores, ram := parseSpecConfig(c.cfg)
		if cores != c.cores || ram != c.ram {
			t.Errorf("parseSpecConfig(%q) = %g cores, %g GiB; want %g, %g", c.cfg, cores, ram, c.cores, c.ram)
		}
	}
}

func TestGeneratedDeviceModels(t *testing.T) {
	m := genLoad(t, SiteOptions{Racks: 200, PerRack: 40, Seed: 5})
	for _, dm := range m.DeviceModels {
		var sp *specPowerResult
		for i := range specPowerResults {
			if genSlug(specPowerResults[i].System) == dm.ID {
				sp = &specPowerResults[i]
			}
		}
		if sp == nil {
			t.Errorf("device model %s is no SPECpower system", dm.ID)
			continue
		}
		if sp.Form != formRack {
			t.Errorf("device model %s: a rack holds rack servers only", dm.ID)
		}
		if dm.IdleW != sp.IdleW || dm.TypicalW != sp.LoadW[4] || dm.PeakW != sp.LoadW[9] {
			t.Errorf("%s: idle/typical/peak %g/%g/%g W, want %g/%g/%g", dm.ID, dm.IdleW, dm.TypicalW, dm.PeakW, sp.IdleW, sp.LoadW[4], sp.LoadW[9])
		}
		// No nameplate: the conservative basis of the analysis is the peak,
		// the figure the generated site is sized for.
		if dm.PSURatingW < 1.3*dm.PeakW || dm.NameplateW != 0 {
			t.Errorf("%s: PSU %g W, nameplate %g W for a %g W peak; want a PSU >= 1.3 × peak and no nameplate", dm.ID, dm.PSURatingW, dm.NameplateW, dm.PeakW)
		}
	}
}

func TestGenR10Ceil(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{1, 1}, {10, 10}, {10.01, 12.5}, {859.1, 1000}, {1000, 1000}, {3000, 3150}, {27000, 31500},
	} {
		if got := genR10Ceil(c.x); got != c.want {
			t.Errorf("genR10Ceil(%g) = %g, want %g", c.x, got, c.want)
		}
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestGenerateReportsWriteError(t *testing.T) {
	want := errors.New("disk full")
	if err := Site(failingWriter{want}, SiteOptions{Racks: 3, PerRack: 4, Seed: 1}); !errors.Is(err, want) {
		t.Errorf("Site to a failing writer = %v, want %v", err, want)
	}
}

// genLineOf returns the line (0..2) a feed's load sits on: a bank's own
// line, or the line of the single-phase branch above a PDU.
func genLineOf(m *topology.Model, f int32) int {
	for e := f; ; e = m.Elements[e].Inputs[0] {
		el := &m.Elements[e]
		if el.Line >= topology.LineL1 && el.Line <= topology.LineL3 {
			return int(el.Line - topology.LineL1)
		}
		if len(el.Inputs) == 0 {
			return 0
		}
	}
}

// TestWrote: a generated site, platform and readings file are known as
// blackstart's by their first line (an output may replace them); a
// user's model or readings are not.
func TestWrote(t *testing.T) {
	var site, plat, rd bytes.Buffer
	if err := Site(&site, SiteOptions{Racks: 1, PerRack: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := Platform(&plat, PlatformOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Readings(&rd, []MeteredDevice{{ID: "d", LevelW: 100}}, ReadingsOptions{StartMS: 1793491200000, IntervalMS: 60_000, Count: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"site": site.Bytes(), "platform": plat.Bytes(), "readings": rd.Bytes()} {
		if !Wrote(b[:min(len(b), 4096)]) {
			t.Errorf("%s: not known as blackstart's: %.80q", name, b)
		}
	}
	for _, other := range []string{"", "[site]\nname = \"mine\"\n", "time,element,power_w\n1793491200,d,1\n", "# Generated by hand\n"} {
		if Wrote([]byte(other)) {
			t.Errorf("Wrote(%q) = true, want false", other)
		}
	}
}
