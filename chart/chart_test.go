package chart

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"blackstart/data/generate"
	"blackstart/estimate"
	"blackstart/placement"
	"blackstart/power"
	"blackstart/topology"
)

var update = flag.Bool("update", false, "rewrite the golden option files in testdata/")

// fixture holds the results every chart of the small example is drawn from.
type fixture struct {
	m     *topology.Model
	load  power.LoadReport
	head  power.HeadroomReport
	sweep power.SweepReport
	plan  *placement.Plan
	plans map[string]*placement.Result
	snaps []estimate.Snapshot
	final float64
	gap   power.GapReport
}

func smallDC(t testing.TB) *fixture {
	t.Helper()
	m, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	n := power.NewNetwork(m, power.BasisConservative)
	f := &fixture{m: m, load: n.Load(), sweep: n.Sweep(power.SweepOptions{}), plans: map[string]*placement.Result{}}
	f.gap = n.Gap(gapReadings(n))
	if f.head, err = power.Headroom(n, power.HeadroomOptions{}); err != nil {
		t.Fatal(err)
	}
	cl := placement.NewCluster(m)
	f.plan = placement.NewPlan(cl)
	var evs []placement.Event
	for _, pol := range []string{placement.PolicyPlan, placement.PolicyStale} {
		o := placement.SimOptions{Policy: pol, Seed: 1}
		if pol == placement.PolicyPlan {
			o.OnEvent = func(e placement.Event) { evs = append(evs, e) }
		}
		r, err := placement.Simulate(cl, f.plan, o)
		if err != nil {
			t.Fatal(err)
		}
		f.plans[pol] = r
	}
	l := estimate.NewLive(cl, f.plan)
	for k, e := range evs {
		l.Observe(e)
		if (k+1)%5 == 0 || k == len(evs)-1 {
			f.snaps = append(f.snaps, l.Estimate(e.TS))
		}
	}
	f.final = f.plans[placement.PolicyPlan].MakespanS
	return f
}

// all builds every chart kind, in Kinds order.
func (f *fixture) all() []*Chart {
	return []*Chart{
		Headroom(f.head, 0),
		RiskMap(f.sweep, 0),
		Cascade(f.sweep.Scenarios[0]),
		Flow(f.m, f.load),
		Gantt(f.plan),
		Recovery([]RecoveryCurve{{Name: "plan", UpS: f.plans["plan"].UpS}, {Name: "stale", UpS: f.plans["stale"].UpS}}, len(f.plan.Assign)),
		ETA(f.snaps, f.final, "simulated finish"),
		Gap(f.gap, 0, "30 d to 2026-11-30T00:00:00Z"),
	}
}

// gapReadings makes measured figures for the gap chart: every device of
// the small site measured at a fixed share of its model draw (from 55 %
// to 115 % by device order), its peak 10 % above its p95.
func gapReadings(n *power.Network) []power.Metered {
	var out []power.Metered
	for d, dev := range n.M.Devices {
		share := 0.55 + 0.6*float64(d%11)/10
		p95 := n.DrawW[d] * share
		out = append(out, power.Metered{Element: dev.ID, Quantity: "power_w", Readings: 8640, P95: p95, Max: p95 * 1.1})
	}
	return out
}

// option decodes a chart's option.
func option(t *testing.T, c *Chart) map[string]any {
	t.Helper()
	b, err := c.Option()
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("%s: option is not JSON: %v", c.Kind, err)
	}
	return o
}

func series(o map[string]any) []map[string]any {
	var out []map[string]any
	for _, s := range o["series"].([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

func TestOptionGolden(t *testing.T) {
	f := smallDC(t)
	for i, c := range f.all() {
		if c.Kind != Kinds[i] {
			t.Fatalf("chart %d is %q, want %q", i, c.Kind, Kinds[i])
		}
		got, err := c.Option()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", c.Kind+".json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./chart -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s option differs from %s (run go test ./chart -update to accept)", c.Kind, path)
		}
	}
}

// TestWrote: every page, option and marked PNG the package writes is
// known as blackstart's (an output may replace it); a user's file is not.
func TestWrote(t *testing.T) {
	for _, c := range smallDC(t).all() {
		var page bytes.Buffer
		if err := c.HTML(&page, Render{}); err != nil {
			t.Fatal(err)
		}
		opt, err := c.Option()
		if err != nil {
			t.Fatal(err)
		}
		for what, b := range map[string][]byte{"page": page.Bytes(), "option": opt} {
			if !Wrote(b[:min(len(b), 4096)]) {
				t.Errorf("%s %s: not known as blackstart's: %.80q", c.Kind, what, b)
			}
		}
	}
	var raw bytes.Buffer
	if err := png.Encode(&raw, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	marked := markPNG(raw.Bytes())
	if img, err := png.Decode(bytes.NewReader(marked)); err != nil || img.Bounds().Dx() != 3 {
		t.Fatalf("the marked PNG does not decode: %v", err)
	}
	if !Wrote(marked) || len(marked) != raw.Len()+len(pngMark) {
		t.Errorf("marked PNG (%d bytes from %d): not known as blackstart's", len(marked), raw.Len())
	}
	for _, other := range [][]byte{raw.Bytes(), []byte("my notes"), nil, []byte("<!DOCTYPE html><title>My page</title>"), []byte(`{"animation": false}`), markPNG([]byte("not a png"))} {
		if Wrote(other) {
			t.Errorf("Wrote(%.40q) = true, want false", other)
		}
	}
}

func TestByteIdentical(t *testing.T) {
	a, b := smallDC(t).all(), smallDC(t).all()
	for i := range a {
		var x, y bytes.Buffer
		if err := a[i].HTML(&x, Render{}); err != nil {
			t.Fatal(err)
		}
		if err := b[i].HTML(&y, Render{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: two builds from the same input differ", a[i].Kind)
		}
		if !strings.Contains(x.String(), `id="blackstart_`+a[i].Kind+`"`) {
			t.Errorf("%s: page lacks the fixed chart id", a[i].Kind)
		}
	}
}

func TestOnlineAndOffline(t *testing.T) {
	c := Headroom(smallDC(t).head, 0)
	var online bytes.Buffer
	if err := c.HTML(&online, Render{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(online.String(), `<script src="`+CDNHost+`echarts.min.js"></script>`) {
		t.Errorf("online page does not load echarts %s from the CDN", EchartsVersion)
	}
	script := []byte(`/* fake */ var echarts = {version:"5.6.0"};`)
	var offline bytes.Buffer
	if err := c.HTML(&offline, Render{Offline: true, Echarts: script}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(offline.String(), "<script src=") || !strings.Contains(offline.String(), "<script>"+string(script)+"</script>") {
		t.Errorf("offline page must inline the script and load nothing:\n%s", offline.String()[:400])
	}
	if err := c.HTML(&offline, Render{Offline: true}); err == nil {
		t.Error("offline without a script must fail")
	}
	if err := c.HTML(&offline, Render{Offline: true, Echarts: []byte("x</script>y")}); err == nil {
		t.Error("a script containing </script must be refused")
	}
	// The same chart renders online again after an offline render.
	var again bytes.Buffer
	if err := c.HTML(&again, Render{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), online.Bytes()) {
		t.Error("online page changed after an offline render")
	}
}

func TestLocateEcharts(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.js")
	os.WriteFile(good, []byte(`!function(){var version="`+EchartsVersion+`";}()`), 0o644)
	bad := filepath.Join(dir, "bad.js")
	os.WriteFile(bad, []byte(`!function(){var version="4.9.0";}()`), 0o644)
	if _, p, err := LocateEcharts(good); err != nil || p != good {
		t.Errorf("LocateEcharts(good) = %q, %v", p, err)
	}
	if _, _, err := LocateEcharts(bad); err == nil || !strings.Contains(err.Error(), "is not echarts "+EchartsVersion) {
		t.Errorf("wrong release accepted: %v", err)
	}
	if _, _, err := LocateEcharts(filepath.Join(dir, "missing.js")); err == nil || !strings.Contains(err.Error(), "--echarts-js") {
		t.Errorf("missing file: %v", err)
	}
	t.Setenv(EchartsEnv, good)
	if _, p, err := LocateEcharts(""); err != nil || p != good {
		t.Errorf("$%s not used: %q, %v", EchartsEnv, p, err)
	}
}

func TestHeadroomData(t *testing.T) {
	f := smallDC(t)
	o := option(t, Headroom(f.head, 2))
	// Least headroom first: the two racks with the least, from the same
	// report `power headroom` prints.
	racks := slices.Clone(f.head.Racks)
	slices.SortStableFunc(racks, func(a, b power.RackHeadroom) int {
		ka, kb := -1.0, -1.0
		if a.Safe && a.HeadroomW != nil {
			ka = *a.HeadroomW
		}
		if b.Safe && b.HeadroomW != nil {
			kb = *b.HeadroomW
		}
		if ka != kb {
			return cmp.Compare(ka, kb)
		}
		return cmp.Compare(a.Rack, b.Rack)
	})
	x := o["xAxis"].([]any)[0].(map[string]any)["data"].([]any)
	if len(x) != 2 || x[0] != racks[0].Rack || x[1] != racks[1].Rack {
		t.Errorf("racks = %v, want the 2 with the least headroom: %s, %s", x, racks[0].Rack, racks[1].Rack)
	}
	s := series(o)
	if len(s) != 2 || s[0]["name"] != "N-1-safe headroom" || s[1]["name"] != "largest single device" {
		t.Fatalf("series %v, want headroom and largest device", s)
	}
	for i, r := range racks[:2] {
		bar := s[0]["data"].([]any)[i].(map[string]any)
		want := 0.0
		if r.Safe && r.HeadroomW != nil {
			want = *r.HeadroomW / 1000
		}
		if got := bar["value"].(float64); math.Abs(got-want) > 0.001 || bar["safe"] != r.Safe || r.Binding != nil && bar["binding"] != r.Binding.Element {
			t.Errorf("%s: bar %v, want %.3f kW, safe %v, bound by %v", r.Rack, bar, want, r.Safe, r.Binding)
		}
	}

	// The incident rack is not N-1-safe: 0 kW, red, over on breaker-a.
	m, err := topology.Load("../examples/incident-2019.toml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := power.Headroom(power.NewNetwork(m, power.BasisConservative), power.HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o = option(t, Headroom(rep, 0))
	bar := series(o)[0]["data"].([]any)[0].(map[string]any)
	if bar["value"].(float64) != 0 || bar["safe"] != false || bar["binding"] != "breaker-a" || bar["itemStyle"].(map[string]any)["color"] != "#c23531" {
		t.Errorf("incident rack bar = %v, want 0 kW, not safe, breaker-a, red", bar)
	}
	if ma, _ := json.Marshal(series(o)[0]["markArea"]); !strings.Contains(string(ma), `[{"xAxis":"rack-1"},{"xAxis":"rack-1"}]`) {
		t.Errorf("the unsafe rack's column is not shaded: markArea %s", ma)
	}
	if sum := Headroom(rep, 0).Summary; !strings.HasPrefix(sum, "1 of 1 racks not N-1-safe") {
		t.Errorf("summary %q", sum)
	}
}

func TestRiskMapData(t *testing.T) {
	f := smallDC(t)
	o := option(t, RiskMap(f.sweep, 5))
	rows := o["yAxis"].([]any)[0].(map[string]any)["data"].([]any)
	cols := o["xAxis"].([]any)[0].(map[string]any)["data"].([]any)
	if len(rows) != 5 || len(cols) > 5 || len(cols) == 0 {
		t.Fatalf("%d rows × %d columns, want 5 × at most 5", len(rows), len(cols))
	}
	// Each cell is the scenario's worst ratio for that element.
	for _, d := range series(o)[0]["data"].([]any) {
		cell := d.(map[string]any)
		v := cell["value"].([]any)
		j, i, ratio := int(v[0].(float64)), int(v[1].(float64)), v[2].(float64)
		if cols[j] != cell["element"] || rows[i] != cell["failure"] {
			t.Fatalf("cell %v names %v/%v", v, cell["failure"], cell["element"])
		}
		found := false
		for _, sc := range f.sweep.Scenarios {
			if scenarioName(sc) != rows[i] {
				continue
			}
			for _, ov := range sc.Overloads {
				if ov.Element == cols[j] && math.Abs(ov.Ratio-ratio) < 1e-3 && v[3].(float64) == float64(ov.Verdict) && cell["verdict"] == ov.Verdict.String() {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("cell %v/%v = %v is not in the sweep", rows[i], cols[j], ratio)
		}
	}
}

func TestFlowConserves(t *testing.T) {
	f := smallDC(t)
	o := option(t, Flow(f.m, f.load))
	s := series(o)[0]
	in := map[string]float64{}
	out := map[string]float64{}
	for _, l := range s["links"].([]any) {
		l := l.(map[string]any)
		in[l["target"].(string)] += l["value"].(float64)
		out[l["source"].(string)] += l["value"].(float64)
	}
	// What reaches the racks is what the sources send (losses are not
	// modelled), within rounding.
	var racks, sources float64
	for n, v := range in {
		if strings.HasPrefix(n, "rack ") {
			racks += v
		}
	}
	for _, e := range f.load.Elements {
		if e.Kind == "source" {
			sources += e.PowerW / 1000
		}
	}
	if math.Abs(racks-sources) > 0.01*sources {
		t.Errorf("racks receive %.3f kW, sources send %.3f kW", racks, sources)
	}
	for n, v := range out {
		if x, ok := in[n]; ok && v > x*1.001+0.01 {
			t.Errorf("%s sends %.3f kW but receives %.3f kW", n, v, x)
		}
	}
}

func TestGanttBars(t *testing.T) {
	f := smallDC(t)
	o := option(t, Gantt(f.plan))
	rows := o["yAxis"].([]any)[0].(map[string]any)["data"].([]any)
	bars := 0
	for _, s := range series(o) {
		for _, d := range s["data"].([]any) {
			v := d.(map[string]any)["value"].([]any)
			if v[2].(float64) < v[1].(float64) || v[3].(float64) >= v[4].(float64) {
				t.Errorf("bad bar %v", v)
			}
			bars++
		}
	}
	placed := 0
	nodes := map[int32]bool{}
	for _, a := range f.plan.Assign {
		if a.Node >= 0 {
			placed++
			nodes[a.Node] = true
		}
	}
	if bars != placed || len(rows) != len(nodes) {
		t.Errorf("%d bars on %d rows, want %d instances on %d nodes", bars, len(rows), placed, len(nodes))
	}
}

func TestRecoveryCurve(t *testing.T) {
	o := option(t, Recovery([]RecoveryCurve{{Name: "x", UpS: []float64{5, -1, 2, 9}}}, 4))
	got, _ := json.Marshal(series(o)[0]["data"])
	if string(got) != "[[0,0],[2,1],[5,2],[9,3]]" {
		t.Errorf("curve = %s, want steps at 2, 5, 9 s (the never-up one left out)", got)
	}
}

func TestETAChart(t *testing.T) {
	inf := math.Inf(1)
	snaps := []estimate.Snapshot{
		{TS: 10, ETAAllS: 100, ETAAllLowS: 90, ETAAllHighS: 130, RAMETAAllS: inf},
		{TS: 20, ETAAllS: 110, ETAAllLowS: 100, ETAAllHighS: 120, RAMETAAllS: 400},
	}
	o := option(t, ETA(snaps, 105, "actual finish"))
	s := series(o)
	byName := map[string]map[string]any{}
	for _, x := range s {
		byName[x["name"].(string)] = x
	}
	j := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	if got := j(byName["throughput ETA"]["data"]); got != "[[10,100],[20,110]]" {
		t.Errorf("throughput ETA = %s", got)
	}
	if got := j(byName["RAM ETA"]["data"]); got != "[[20,400]]" {
		t.Errorf("RAM ETA = %s, want the infinite one left out", got)
	}
	if got := j(byName["throughput band"]["data"]); got != "[[10,90,130,20,100,120]]" {
		t.Errorf("band = %s", got)
	}
	if got := j(byName["throughput ETA"]["markLine"].(map[string]any)["data"]); !strings.Contains(got, `"yAxis":105`) {
		t.Errorf("actual finish mark line = %s", got)
	}
}

func TestReportBundle(t *testing.T) {
	f := smallDC(t)
	dir := filepath.Join(t.TempDir(), "pm")
	rep := Report{Title: "small-dc", Headline: "h", Risks: []string{"risk <b>one</b>"}, Plan: []string{"plan line"},
		Charts: f.all(), Data: map[string]any{"headroom": f.head},
		Accuracy: &estimate.Evaluation{Runs: 3, Scores: []estimate.Score{
			{Scenario: estimate.ScenarioPerturbed, Estimator: "throughput", Point: estimate.PointInstances, Progress: 0.25, MedianAbsError: estimate.Interval{Value: 0.1}},
			{Scenario: estimate.ScenarioPerturbed, Estimator: "ram", Point: estimate.PointInstances, Progress: 0.25, MedianAbsError: estimate.Interval{Value: 0.5}}}}}
	if err := WriteReport(dir, nil, rep, Render{}, ""); err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds {
		if _, err := os.Stat(filepath.Join(dir, k+".html")); err != nil {
			t.Error(err)
		}
	}
	idx, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"risk &lt;b&gt;one&lt;/b&gt;", "plan line", "<td>25 %</td><td>0.100</td>", "5.0×", `src="eta.html"`} {
		if !strings.Contains(string(idx), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "headroom.json")); err != nil || !strings.Contains(string(b), `"headroom_w"`) {
		t.Errorf("headroom.json: %v", err)
	}
	// A second report replaces the first; a foreign directory is refused.
	if err := WriteReport(dir, nil, rep, Render{}, ""); err != nil {
		t.Errorf("rewriting a report: %v", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "thesis.tex"), []byte("x"), 0o644)
	if err := WriteReport(other, nil, rep, Render{}, ""); err == nil || !strings.Contains(err.Error(), "not a blackstart report") {
		t.Errorf("foreign directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "thesis.tex")); err != nil {
		t.Error("the foreign directory was touched")
	}
	// A failing chart leaves nothing behind.
	bad := filepath.Join(t.TempDir(), "bad")
	if err := WriteReport(bad, nil, rep, Render{Offline: true}, ""); err == nil {
		t.Error("offline without a script must fail")
	}
	if ents, _ := os.ReadDir(filepath.Dir(bad)); len(ents) != 0 {
		t.Errorf("a failed report left %d entries", len(ents))
	}
}

// TestBigSite draws the site-wide charts of a 1,000-rack site: the flow
// folds circuits and racks away, the headroom and the Gantt keep to their
// limits.
func TestBigSite(t *testing.T) {
	var buf bytes.Buffer
	if err := generate.Site(&buf, generate.SiteOptions{Racks: 1000, PerRack: 10, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	m, err := topology.Parse(topology.File{Name: "big.toml", Data: buf.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	rep := power.NewNetwork(m, power.BasisConservative).Load()
	o := option(t, Flow(m, rep))
	nodes := series(o)[0]["data"].([]any)
	if len(nodes) > 2*MaxFlowNodes || !strings.Contains(o["title"].(map[string]any)["subtext"].(string), "rack groups per panel") {
		t.Errorf("flow of 1,000 racks: %d nodes, %q", len(nodes), o["title"].(map[string]any)["subtext"])
	}
	head, err := power.Headroom(power.NewNetwork(m, power.BasisConservative), power.HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o = option(t, Headroom(head, 0))
	if n := len(o["xAxis"].([]any)[0].(map[string]any)["data"].([]any)); n != DefaultTop {
		t.Errorf("headroom shows %d racks, want %d", n, DefaultTop)
	}
	p := placement.NewPlan(placement.NewCluster(m))
	o = option(t, Gantt(p))
	rows := o["yAxis"].([]any)[0].(map[string]any)["data"].([]any)
	if len(rows) > 10 || !strings.HasPrefix(rows[0].(string), "tier ") {
		t.Errorf("Gantt of a big platform: %d rows (%v…), want a row per tier", len(rows), rows[0])
	}
}

// incidentVariant is the incident rack with its text changed.
func incidentVariant(t *testing.T, from, to string) (*topology.Model, power.LoadReport) {
	t.Helper()
	b, err := os.ReadFile("../examples/incident-2019.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), from, to)
	if text == string(b) {
		t.Fatalf("%q not in the incident model", from)
	}
	m, err := topology.Parse(topology.File{Name: "variant.toml", Data: []byte(text)})
	if err != nil {
		t.Fatal(err)
	}
	return m, power.NewNetwork(m, power.BasisConservative).Load()
}

// flowLinks sums the flow chart's links into each node, and checks it has
// no self-loop (echarts refuses a sankey with a cycle).
func flowLinks(t *testing.T, m *topology.Model, rep power.LoadReport) map[string]float64 {
	t.Helper()
	in := map[string]float64{}
	for _, l := range series(option(t, Flow(m, rep)))[0]["links"].([]any) {
		l := l.(map[string]any)
		if l["source"] == l["target"] {
			t.Fatalf("self-loop on %v", l["source"])
		}
		in[l["target"].(string)] += l["value"].(float64)
	}
	return in
}

// A rack PDU daisy-chained from another gives no self-loop, and devices
// plugged straight into circuits still bring their draw to their rack.
func TestFlowOddWiring(t *testing.T) {
	m, rep := incidentVariant(t, "input = \"circuit-b\"\n\n[[device_model]]", "input = \"pdu-a\"\n\n[[device_model]]")
	if in := flowLinks(t, m, rep); math.Abs(in["rack rack-1"]-5.6) > 0.01 {
		t.Errorf("daisy-chained PDUs: rack receives %.3f kW, want 5.6", in["rack rack-1"])
	}
	m, rep = incidentVariant(t, `feeds = ["pdu-a", "pdu-b"]`, `feeds = ["circuit-a", "circuit-b"]`)
	if in := flowLinks(t, m, rep); math.Abs(in["rack rack-1"]-5.6) > 0.01 {
		t.Errorf("devices on circuits: rack receives %.3f kW, want 5.6", in["rack rack-1"])
	}
}

// An id that contains "</script>" cannot end the page's script early.
func TestScriptEscape(t *testing.T) {
	m, _ := incidentVariant(t, `"rack-1"`, `"r</script><b>x</b>"`)
	rep, err := power.Headroom(power.NewNetwork(m, power.BasisConservative), power.HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := Headroom(rep, 0).HTML(&page, Render{}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(page.String(), "</script>") != 2 || !strings.Contains(page.String(), `r<\/script><b>x<\/b>`) {
		t.Errorf("the rack id was not escaped in the script:\n%s", page.String())
	}
}

// TestGapChart: racks worst first (largest peak over the model), a peak
// above the model in red, the values in kW.
func TestGapChart(t *testing.T) {
	f := smallDC(t)
	o := option(t, Gap(f.gap, 0, ""))
	racks := o["xAxis"].([]any)[0].(map[string]any)["data"].([]any)
	if len(racks) != len(f.gap.Racks) {
		t.Fatalf("%d racks on the axis, want %d", len(racks), len(f.gap.Racks))
	}
	for i, r := range f.gap.Racks {
		if racks[i] != r.Rack {
			t.Errorf("rack %d is %v, want %s (the report's order)", i, racks[i], r.Rack)
		}
		if i > 0 && r.PeakGapPct > f.gap.Racks[i-1].PeakGapPct {
			t.Errorf("rack %s (%+.1f %%) after %s (%+.1f %%): not worst first", r.Rack, r.PeakGapPct, f.gap.Racks[i-1].Rack, f.gap.Racks[i-1].PeakGapPct)
		}
	}
	ss := series(o)
	if len(ss) != 3 || ss[0]["name"] != "model (conservative)" || ss[2]["name"] != "measured peak" {
		t.Fatalf("series %v", ss)
	}
	red := 0
	for i, d := range ss[2]["data"].([]any) {
		bar := d.(map[string]any)
		r := f.gap.Racks[i]
		if got, want := bar["value"].(float64), math.Round(r.MaxW)/1000; math.Abs(got-want) > 0.001 {
			t.Errorf("%s peak %v kW, want %v", r.Rack, got, want)
		}
		_, isRed := bar["itemStyle"]
		if isRed != r.PeakExceedsModel {
			t.Errorf("%s: red %v, peak exceeds the model %v", r.Rack, isRed, r.PeakExceedsModel)
		}
		if isRed {
			red++
		}
	}
	if red == 0 || red == len(f.gap.Racks) {
		t.Errorf("%d of %d racks red: the fixture must have both kinds", red, len(f.gap.Racks))
	}
}

// TestLocateEchartsBounded: the echarts script is read at most to
// MaxEchartsBytes: a file one byte larger (sparse) is refused from its
// size, naming the flag, the path and the limit, and /dev/zero is read no
// further. Before, the whole file was read (/dev/zero until memory ran
// out).
func TestLocateEchartsBounded(t *testing.T) {
	big := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxEchartsBytes+1); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("offline charts: the echarts script (--echarts-js) %s is more than the limit of 16777216 bytes (16 MiB): not echarts %s", big, EchartsVersion)
	if _, _, err := LocateEcharts(big); err == nil || err.Error() != want {
		t.Fatalf("%d bytes: %v, want %q", MaxEchartsBytes+1, err, want)
	}
	if _, _, err := LocateEcharts("/dev/zero"); err == nil || !strings.Contains(err.Error(), "/dev/zero is more than the limit") {
		t.Errorf("/dev/zero: %v", err)
	}
}
