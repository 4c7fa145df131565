package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"blackstart/chart"
	"blackstart/power"
)

var smallDC = []string{"../../examples/small-dc/power.toml", "../../examples/small-dc/workloads.toml"}

func TestChartCommand(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range chart.Kinds {
		if kind == "gap" {
			continue // drawn from a database's readings: TestMeasureQuickStart
		}
		out := filepath.Join(dir, kind+".html")
		// Flags may follow the arguments, as the usage shows.
		code, _, errOut := runCLI(t, append(append([]string{"chart", kind}, smallDC...), "-o", out)...)
		if code != exitOK {
			t.Fatalf("chart %s: exit %d: %s", kind, code, errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), chart.CDNHost+"echarts.min.js") || !strings.Contains(string(b), `id="blackstart_`+kind+`"`) {
			t.Errorf("chart %s: page lacks the CDN script or the chart", kind)
		}
		// Same input, same page.
		again := filepath.Join(dir, kind+"-again.html")
		runCLI(t, append([]string{"chart", kind, "-o", again}, smallDC...)...)
		if c, _ := os.ReadFile(again); string(c) != string(b) {
			t.Errorf("chart %s: two runs differ", kind)
		}
	}
	// --format option prints the option JSON.
	code, out, errOut := runCLI(t, "chart", "cascade", "--format", "option", "--fail", "breaker-a", "../../examples/incident-2019.toml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var opt struct {
		Title struct {
			Text string `json:"text"`
		} `json:"title"`
	}
	if err := json.Unmarshal([]byte(out), &opt); err != nil || opt.Title.Text != "Cascade after breaker-a" {
		t.Errorf("option title %q (%v)", opt.Title.Text, err)
	}
}

// TestChartEvents draws the recovery and ETA charts from a recorded event
// file: the actual recovery joins the simulated ones.
func TestChartEvents(t *testing.T) {
	dir := t.TempDir()
	evs := filepath.Join(dir, "ev.jsonl")
	if code, _, errOut := runCLI(t, append([]string{"plan", "simulate", "--seed", "7", "--events-out", evs}, smallDC...)...); code != exitOK {
		t.Fatalf("simulate: %s", errOut)
	}
	code, out, errOut := runCLI(t, append([]string{"chart", "recovery", "--format", "option", "--events", evs}, smallDC...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"name": "actual (events)"`) {
		t.Error("the recovery chart lacks the actual recovery")
	}
	code, out, errOut = runCLI(t, append([]string{"chart", "eta", "--format", "option", "--events", evs}, smallDC...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"name": "actual finish"`) {
		t.Error("the ETA chart lacks the actual finish")
	}
}

func TestChartBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.html")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"chart"}, "no chart kind given"},
		{[]string{"chart", "pie", "../../examples/incident-2019.toml", "-o", out}, `unknown kind "pie"`},
		{[]string{"chart", "headroom", "../../examples/incident-2019.toml"}, "-o FILE.html is required"},
		{[]string{"chart", "gantt", "../../examples/incident-2019.toml", "-o", out}, "has no workloads"},
		{[]string{"chart", "cascade", "--fail", "nope", "../../examples/incident-2019.toml", "-o", out}, `--fail "nope": no such element`},
		{[]string{"chart", "headroom", "--format", "svg", "../../examples/incident-2019.toml", "-o", out}, "--format must be html or option"},
		{[]string{"chart", "headroom", "--offline", "--echarts-js", filepath.Join(dir, "none.js"), "../../examples/incident-2019.toml", "-o", out}, "cannot read the echarts script"},
		{[]string{"chart", "headroom", "../../examples/missing.toml", "-o", out}, "missing.toml"},
		{[]string{"report", "../../examples/incident-2019.toml"}, "-o DIR is required"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, c.args...)
		if code != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errOut, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed chart command wrote its output")
	}
	// --png without a browser: a clear error, exit 2, nothing written.
	js := filepath.Join(dir, "echarts.min.js")
	os.WriteFile(js, []byte(`var version="`+chart.EchartsVersion+`";`), 0o644)
	t.Setenv(chart.BrowserEnv, filepath.Join(dir, "no-chromium"))
	code, _, errOut := runCLI(t, "chart", "headroom", "--png", "--echarts-js", js, "../../examples/incident-2019.toml", "-o", out)
	if code != exitBadInput || !strings.Contains(errOut, "--png") || !strings.Contains(errOut, chart.BrowserEnv) {
		t.Errorf("--png without Chromium: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("--png without Chromium wrote the page")
	}
}

func TestReportCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pm")
	code, out, errOut := runCLI(t, append([]string{"report", "--runs", "2", "-o", dir}, smallDC...)...)
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "7 charts") {
		t.Errorf("stdout %q", out)
	}
	for _, k := range chart.Kinds {
		if k == "gap" {
			continue // model files have no readings: TestMeasureQuickStart reports from a database
		}
		for _, ext := range []string{".html", ".json"} {
			if _, err := os.Stat(filepath.Join(dir, k+ext)); err != nil {
				t.Error(err)
			}
		}
	}
	idx, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	for _, want := range []string{"Worst failover risks", "failure of ", "planned makespan", "lower bound", "throughput median", "stale, simulated"} {
		if !strings.Contains(string(idx), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	// Power-only model: power charts and a note, no restart section.
	dir2 := filepath.Join(t.TempDir(), "pm")
	code, out, errOut = runCLI(t, "report", "-o", dir2, "../../examples/incident-2019.toml")
	if code != exitOK || !strings.Contains(out, "4 charts") {
		t.Fatalf("incident report: exit %d %q %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir2, "gantt.html")); err == nil {
		t.Error("a model without workloads got a Gantt chart")
	}
	// A directory that is not a report is left alone.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep"), 0o644)
	code, _, errOut = runCLI(t, "report", "-o", other, "../../examples/incident-2019.toml")
	if code != exitBadInput || !strings.Contains(errOut, "not a blackstart report") {
		t.Errorf("foreign dir: exit %d %q", code, errOut)
	}
}

// Help and "--" work wherever they are written.
func TestFlagsAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"chart", "headroom", "--help"},
		{"power", "failover", "../../examples/incident-2019.toml", "--help"},
		{"plan", "restart", "-h"},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != exitOK || !strings.Contains(out, "USAGE:") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	out := filepath.Join(t.TempDir(), "h.html")
	if code, _, errOut := runCLI(t, "chart", "headroom", "-o", out, "--", "../../examples/incident-2019.toml"); code != exitOK {
		t.Errorf("-- before the model: exit %d, %s", code, errOut)
	}
	empty := filepath.Join(t.TempDir(), "none.jsonl")
	os.WriteFile(empty, nil, 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"chart", "eta", "--events", empty, "-o", out}, smallDC...), "no progress events"},
		{[]string{"chart", "headroom", "--png", "--format", "option", "../../examples/incident-2019.toml"}, "--png draws the page"},
	} {
		if code, _, errOut := runCLI(t, c.args...); code != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestReportAndFailoverAgreeOnDarkInstances: the report's cascade.json and
// `power failover --fail` name the same dark instances (one join,
// placement.Hosting): losing both feeds of rack r2-01 darkens its six
// internal-service nodes and what the plan puts on them.
func TestReportAndFailoverAgreeOnDarkInstances(t *testing.T) {
	fail := []string{"--fail", "brk-r2-01-a", "--fail", "brk-r2-01-b"}
	code, out, errOut := runCLI(t, append(append([]string{"power", "failover", "--format", "json"}, fail...), smallDC...)...)
	if code != exitRisk {
		t.Fatalf("failover: exit %d: %s", code, errOut)
	}
	var cli struct {
		Outcome string     `json:"outcome"`
		Dark    power.Dark `json:"dark"`
	}
	if err := json.Unmarshal([]byte(out), &cli); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pm")
	if code, _, errOut := runCLI(t, append(append([]string{"report", "--runs", "0", "-o", dir}, fail...), smallDC...)...); code != exitOK {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "cascade.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Dark power.Dark `json:"dark"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if cli.Outcome != "trip" || len(cli.Dark.Devices) != 7 || len(cli.Dark.Instances) < 6 {
		t.Fatalf("failover: outcome %s, dark devices %v, instances %v; want trip, the 7 devices of r2-01 and the instances on them", cli.Outcome, cli.Dark.Devices, cli.Dark.Instances)
	}
	if !slices.Equal(rep.Dark.Instances, cli.Dark.Instances) || !slices.Equal(rep.Dark.Devices, cli.Dark.Devices) {
		t.Errorf("report cascade.json dark devices %v, instances %v; power failover says %v, %v", rep.Dark.Devices, rep.Dark.Instances, cli.Dark.Devices, cli.Dark.Instances)
	}
}
