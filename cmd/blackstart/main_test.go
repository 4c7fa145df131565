package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"blackstart/power"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// runCLI runs the command line and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"blackstart"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file: %v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test ./cmd/blackstart -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

const (
	incident = "../../examples/incident-2019.toml"
	smallPow = "../../examples/small-dc/power.toml"
	smallWl  = "../../examples/small-dc/workloads.toml"
)

func TestShowGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"show-incident.golden", []string{"show", incident}},
		{"show-small-dc.golden", []string{"show", smallPow, smallWl}},
		{"show-small-dc-json.golden", []string{"show", "--format", "json", smallPow, smallWl}},
		{"validate-small-dc.golden", []string{"validate", smallPow, smallWl}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != exitOK {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", code, errOut)
			}
			golden(t, c.name, out)
			// Stable: a second run prints the same bytes.
			_, again, _ := runCLI(t, c.args...)
			if again != out {
				t.Errorf("second run printed different output")
			}
		})
	}
}

// The incident rack as show prints it: 20 servers × 280 W on two 16 A breakers.
func TestShowIncidentFigures(t *testing.T) {
	_, out, _ := runCLI(t, "show", incident)
	for _, want := range []string{
		"rack-1  20       n/a        5600 W   breaker-a, breaker-b",
		"circuit-a  230 V 1-ph  breaker-a  16 A iec60898 C  20       n/a        5600 W",
		"total draw: nameplate n/a, typical 5600 W",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadInputExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[[breaker]]\nid = \"b\"\nratting_a = 16\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no file", []string{"validate"}, exitBadInput, "validate: no model file given"},
		// A subcommand's usage names it whole: "blackstart failover" or
		// "blackstart plan" (for estimate plan) is another command or none.
		{"no file, power failover", []string{"power", "failover"}, exitBadInput, "power failover: no model file given (usage: blackstart power failover MODEL.toml"},
		{"no file, estimate plan", []string{"estimate", "plan"}, exitBadInput, "estimate plan: no model file given (usage: blackstart estimate plan MODEL.toml"},
		{"no file, measure generate", []string{"measure", "generate"}, exitBadInput, "(usage: blackstart measure generate MODEL.toml"},
		{"files and a revision", []string{"power", "load", "--rev", "@1", incident}, exitBadInput, "power load: give model files or a stored revision"},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.toml")}, exitBadInput, "nope.toml: cannot read model: no such file or directory"},
		{"typo", []string{"validate", bad}, exitBadInput, bad + `:3:1: unknown key "ratting_a" in breaker "b" (did you mean "rating_a"?)`},
		{"unknown command", []string{"frobnicate"}, exitBadInput, `unknown command "frobnicate"`},
		{"file twice", []string{"validate", incident, incident}, exitBadInput, incident + ": model file given twice"},
		{"unknown subcommand", []string{"power", "failvoer", incident}, exitBadInput, `power: unknown subcommand "failvoer"`},
		{"unknown plan subcommand", []string{"plan", "nope", incident}, exitBadInput, `plan: unknown subcommand "nope"`},
		{"group flag", []string{"power", "--bogus"}, exitBadInput, "unknown flag --bogus"},
		{"infinite horizon", []string{"power", "failover", "--horizon", "inf", incident}, exitBadInput, "--horizon must be a finite number of seconds > 0"},
		{"unknown flag", []string{"show", "--nope", incident}, exitBadInput, "unknown flag --nope"},
		{"bad format", []string{"show", "--format", "xml", incident}, exitBadInput, `--format must be table or json, got "xml"`},
		{"bad racks", []string{"generate", "--racks", "0"}, exitBadInput, "--racks must be 1 to 25000, got 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, c.code, errOut)
			}
			if !strings.Contains(errOut, c.inStderr) {
				t.Errorf("stderr %q lacks %q", errOut, c.inStderr)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr shows a panic:\n%s", errOut)
			}
			if c.code == exitBadInput && out != "" && !strings.Contains(out, "USAGE") {
				t.Errorf("bad input printed results on stdout:\n%s", out)
			}
		})
	}
}

func TestGenerateToFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "dc.toml")
	code, _, errOut := runCLI(t, "generate", "--racks", "12", "--per-rack", "10", "--seed", "7", "-o", out)
	if code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	code, stdout, errOut := runCLI(t, "validate", out)
	if code != exitOK {
		t.Fatalf("validate of generated model: exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "12 racks, 120 devices") {
		t.Errorf("validate says %q, want 12 racks, 120 devices", stdout)
	}
	// Same seed to stdout: same bytes as the file.
	_, gen, _ := runCLI(t, "generate", "--racks", "12", "--per-rack", "10", "--seed", "7")
	file, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if gen != string(file) {
		t.Errorf("generate to stdout and to a file differ for the same seed")
	}
	// Nothing but the output is left in the directory (no temporary file).
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after generate, want 1", len(entries))
	}
}

func TestGenerateUnwritableLeavesNothing(t *testing.T) {
	code, _, errOut := runCLI(t, "generate", "--racks", "2", "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "x.toml"))
	if code != exitBadInput || !strings.Contains(errOut, "cannot write") {
		t.Errorf("exit %d, stderr %q; want 2 and a cannot-write message", code, errOut)
	}
}

func TestHelpShowsExamples(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != exitOK || !strings.Contains(out, "blackstart validate examples/incident-2019.toml") {
		t.Errorf("--help (exit %d) lacks the examples:\n%s", code, out)
	}
}

// The motivating incident, as `power` reports it: fine in normal operation,
// a trip and a dark rack when either side is lost, exit code 3.
func TestPowerIncident(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"failover", []string{"power", "failover", incident}, exitRisk, "power-failover-incident.golden"},
		{"failover one", []string{"power", "failover", "--fail", "breaker-a", incident}, exitRisk, "power-failover-breaker-a.golden"},
		{"failover psu", []string{"power", "failover", "--fail", "server-07/psu2", incident}, exitRisk, "power-failover-psu.golden"},
		{"failover json", []string{"power", "failover", "--format", "json", "--fail", "breaker-a", incident}, exitRisk, "power-failover-breaker-a-json.golden"},
		{"failover csv", []string{"power", "failover", "--format", "csv", incident}, exitRisk, "power-failover-incident-csv.golden"},
		{"load", []string{"power", "load", incident}, exitOK, "power-load-incident.golden"},
		{"load small-dc typical", []string{"power", "load", "--basis", "typical", smallPow, smallWl}, exitOK, "power-load-small-dc-typical.golden"},
		{"failover small-dc", []string{"power", "failover", smallPow, smallWl}, exitRisk, "power-failover-small-dc.golden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, c.code, errOut)
			}
			if errOut != "" {
				t.Errorf("stderr not empty: %q", errOut)
			}
			golden(t, c.golden, out)
		})
	}
	_, out, _ := runCLI(t, "power", "failover", incident)
	if first := strings.SplitN(out, "\n", 2)[0]; first != "48 of 48 single failures end in a certain trip; 0 may trip; 48 leave devices dark (48 certainly); 1 rack goes dark (1 certainly)" {
		t.Errorf("headline %q", first)
	}
	_, out, _ = runCLI(t, "power", "failover", "--fail", "breaker-a", incident)
	for _, want := range []string{
		"breaker breaker-b carries 24.35 A against 16.00 A (1.52 × rating): trip, trips in 3.0 min – 42.3 min; shed 2656 W",
		"scenario: failure of breaker-a — outcome trip: dark load or a trip is certain",
		"certain trips: breaker-b by 42.3 min",
		"  breaker-b  breaker   12.17 A → 24.35 A       2.80 kW → 5.60 kW     16.00 A  76.1 % → 152.2 %          trip",
		"dark, worst case: 6 elements, 20 devices (server-01",
		"dark, certain: the same",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--fail breaker-a output lacks %q:\n%s", want, out)
		}
	}
	// A PSU fault whose cascade differs from its breaker's (the transfer
	// switch carries the fault to side B: rack r2-01 goes dark) has its own
	// row, and is not among the faults that "end the same".
	_, out, _ = runCLI(t, "power", "failover", smallPow, smallWl)
	if !strings.Contains(out, "failure of sw-r2-01/psu1 (psu): trip (certain); 7 devices dark, rack r2-01") {
		t.Errorf("small-dc sweep lacks the sw-r2-01/psu1 row:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "the same follows") && strings.Contains(line, "sw-r2-01/psu1") {
			t.Errorf("small-dc sweep: %q lists sw-r2-01/psu1, which darkens its rack", line)
		}
	}
	_, out, _ = runCLI(t, "power", "load", incident)
	if !strings.Contains(out, "worst verdict in normal operation: ok") ||
		!strings.Contains(out, "rack-1  circuit-a  breaker-a  16.00     12.17     76.1      50.0     24.35       152.2       breaker breaker-a  152.2         trip     trips in 3.0 min – 42.3 min  2.66") {
		t.Errorf("power load output:\n%s", out)
	}
}

// TestPowerLoadPlannerView: the rack sides come before the elements, the
// elements worst first; --rack and --worst narrow the view; every column
// header is explained in --help; exit 3 when normal operation already
// overloads something.
func TestPowerLoadPlannerView(t *testing.T) {
	code, out, _ := runCLI(t, "power", "load", smallPow)
	sides, elems := strings.Index(out, "\nRACK "), strings.Index(out, "\nELEMENT ")
	if code != exitOK || sides < 0 || elems < sides {
		t.Fatalf("exit %d; want the rack sides table before the elements:\n%s", code, out)
	}
	// The first element row is the worst: a bank at 61.2 % of In.
	if first := strings.SplitN(out[elems+1:], "\n", 3)[1]; !strings.HasPrefix(first, "pdu-r1-02-a-l1 ") {
		t.Errorf("first element row %q, want pdu-r1-02-a-l1 (the most loaded)", first)
	}
	_, out, _ = runCLI(t, "power", "load", "--rack", "r2-01", "--format", "json", smallPow)
	var rep power.LoadReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range rep.Elements {
		ids = append(ids, e.ID)
	}
	// r2-01: its two breakers' paths from the sources, its circuits, its
	// transfer switch and rack PDUs.
	want := []string{"utility-a", "utility-b", "ups-a", "ups-b", "main-a-row2", "main-b-row2", "panel-a-row2", "panel-b-row2",
		"brk-r2-01-a", "brk-r2-01-b", "cir-r2-01-a", "cir-r2-01-b", "ats-r2-01", "pdu-r2-01-a", "pdu-r2-01-b"}
	slices.Sort(ids)
	slices.Sort(want)
	if len(rep.Racks) != 1 || rep.Racks[0].ID != "r2-01" || !slices.Equal(ids, want) {
		t.Errorf("--rack r2-01: racks %v, elements %v; want r2-01 and %v", rep.Racks, ids, want)
	}
	_, out, _ = runCLI(t, "power", "load", "--worst", "2", "--format", "json", smallPow)
	rep = power.LoadReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Elements) != 2 || len(rep.Racks) != 2 || rep.Elements[0].ID != "pdu-r1-02-a-l1" || rep.Racks[0].ID != "r1-02" {
		t.Errorf("--worst 2: got %d elements (%v first), %d racks; want the two banks of r1-02's L1, racks r1-02 and r2-01", len(rep.Elements), rep.Elements, len(rep.Racks))
	}
	if code, _, errOut := runCLI(t, "power", "load", "--rack", "nope", smallPow); code != exitBadInput || !strings.Contains(errOut, `no rack "nope"`) {
		t.Errorf("--rack nope: exit %d, %q", code, errOut)
	}
	// Every column header of both tables is explained in --help.
	_, help, _ := runCLI(t, "power", "load", "--help")
	_, table, _ := runCLI(t, "power", "load", smallPow)
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "RACK ") && !strings.HasPrefix(line, "ELEMENT ") {
			continue
		}
		for _, h := range regexp.MustCompile(` {2,}`).Split(strings.TrimSpace(line), -1) {
			for _, word := range strings.Split(h, ", ") {
				if !strings.Contains(help, word) {
					t.Errorf("--help does not explain column %q", h)
				}
			}
		}
	}
	// Normal operation over a limit: ten more servers on the incident rack
	// put 18.3 A on each 16 A breaker before anything fails.
	dir := t.TempDir()
	over := filepath.Join(dir, "over.toml")
	model, _ := os.ReadFile(incident)
	os.WriteFile(over, []byte(strings.Replace(string(model), "count = 20", "count = 30", 1)), 0o644)
	code, out, _ = runCLI(t, "power", "load", over)
	if code != exitRisk || !strings.Contains(out, "worst verdict in normal operation: may-trip (2 elements above the continuous limit already)") {
		t.Errorf("overloaded in normal operation: exit %d, want 3:\n%s", code, out)
	}
}

// A model where no single failure is a risk exits 0.
func TestPowerFailoverSafeExitsZero(t *testing.T) {
	dir := t.TempDir()
	safe := filepath.Join(dir, "safe.toml")
	model, err := os.ReadFile(incident)
	if err != nil {
		t.Fatal(err)
	}
	// Ten servers instead of twenty: 2800 W on one side is 12.2 A, 76 % of 16 A.
	text := strings.Replace(string(model), "count = 20", "count = 10", 1)
	if err := os.WriteFile(safe, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "power", "failover", safe)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s\n%s", code, errOut, out)
	}
	if !strings.HasPrefix(out, "0 of 28 single failures end in a certain trip; 0 may trip; 0 racks go dark") {
		t.Errorf("headline: %s", out)
	}
}

func TestPowerBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"power", "failover", "--fail", "nope", incident}, `--fail "nope": no such element or PSU`},
		{[]string{"power", "failover", "--fail", "server-01/psu3", incident}, `--fail "server-01/psu3": no such element or PSU`},
		{[]string{"power", "load", "--basis", "guess", incident}, `--basis must be nameplate, allocated, typical, peak, measured or conservative, got "guess"`},
		{[]string{"power", "failover", "--horizon", "-1", incident}, "--horizon must be a finite number of seconds > 0, got -1"},
		{[]string{"power", "load"}, "load: no model file given"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, c.args...)
		if code != exitBadInput || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want 2 and %q", c.args, code, errOut, out, c.want)
		}
	}
}

func TestPlanCommands(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		golden string
	}{
		{"restart", []string{"plan", "restart", "--top", "0", smallPow, smallWl}, "plan-restart-small-dc.golden"},
		{"restart json", []string{"plan", "restart", "--format", "json", smallPow, smallWl}, "plan-restart-small-dc-json.golden"},
		{"compare", []string{"plan", "compare", "--seed", "3", smallPow, smallWl}, "plan-compare-small-dc.golden"},
		{"compare json", []string{"plan", "compare", "--format", "json", "--seed", "3", smallPow, smallWl}, "plan-compare-small-dc-json.golden"},
		{"simulate csv", []string{"plan", "simulate", "--policy", "stale", "--format", "csv", smallPow, smallWl}, "plan-simulate-stale-csv.golden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut)
			}
			golden(t, c.golden, out)
			if _, again, _ := runCLI(t, c.args...); again != out {
				t.Errorf("same seed, different output")
			}
		})
	}
	// The platform: plan placed everything, and the comparison is the one
	// the README reports.
	code, out, errOut := runCLI(t, "plan", "compare", "--format", "csv", "../../examples/platform-2019.toml")
	if code != exitOK {
		t.Fatalf("plan compare platform: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"plan,1,1422.3,1343.7,1.059,0,0,0,6,r01-db-1,",
		"stale,1,6206.2,1343.7,4.619,139935,127021,0,253,r02-app-12,",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("platform comparison lacks %q:\n%s", want, out)
		}
	}
}

func TestPlanBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plan", "simulate", "--policy", "fastest", smallPow, smallWl}, `--policy must be plan, stale, random or p2c, got "fastest"`},
		{[]string{"plan", "restart", "--from-alibaba", "no/such/dir"}, "openb_node_list_all_node.csv"},
		{[]string{"plan", "restart", "--from-alibaba", "no/such/dir", smallPow}, "--from-alibaba takes no model files"},
		{[]string{"plan", "compare", "--refresh", "0", smallPow, smallWl}, "--refresh must be 0.1 to 86400 s, got 0"},
		{[]string{"generate", "--platform", "--racks", "3"}, "--racks does not apply to --platform"},
		// A model without workloads has nothing to plan: said, as chart
		// gantt says it, not a table of zeros (0 of 0 instances, 0.00×).
		{[]string{"plan", "restart", incident}, incident + ": the model has no workloads (services) to plan"},
		{[]string{"plan", "simulate", incident}, "the model has no workloads (services) to plan"},
		{[]string{"plan", "compare", incident}, "the model has no workloads (services) to plan"},
		{[]string{"estimate", "plan", incident}, "the model has no workloads (services) to plan"},
		{[]string{"estimate", "evaluate", "--runs", "2", incident}, "the model has no workloads (services) to plan"},
		{[]string{"chart", "gantt", incident, "-o", filepath.Join(t.TempDir(), "g.html")}, "the model has no workloads (services) to plan"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, c.args...)
		if code != exitBadInput || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want 2 and %q", c.args, code, errOut, len(out), c.want)
		}
	}
}

// generate --platform writes the bundled example, byte for byte.
func TestGeneratePlatform(t *testing.T) {
	code, out, errOut := runCLI(t, "generate", "--platform", "--seed", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want, err := os.ReadFile("../../examples/platform-2019.toml")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("generate --platform --seed 1 differs from examples/platform-2019.toml")
	}
}

// The dark set names the workload instances on the dark devices: pinned
// databases, and what the restart plan places there.
func TestPowerDarkInstances(t *testing.T) {
	code, out, errOut := runCLI(t, "power", "failover", "--format", "json", "--fail", "r01-a-brk", "../../examples/platform-2019.toml")
	if code != exitRisk {
		t.Fatalf("exit %d, want 3: %s", code, errOut)
	}
	var sc struct {
		Dark struct {
			Racks     []string `json:"racks"`
			Devices   []string `json:"devices"`
			Instances []string `json:"instances"`
		} `json:"dark"`
	}
	if err := json.Unmarshal([]byte(out), &sc); err != nil {
		t.Fatal(err)
	}
	apps, dbs := 0, 0
	for _, in := range sc.Dark.Instances {
		switch {
		case strings.HasPrefix(in, "app-"):
			apps++
		case strings.HasPrefix(in, "db-"):
			dbs++
		}
	}
	// r01 holds 15 app, 3 db and 1 internal node; each db node holds 50
	// pinned databases.
	if len(sc.Dark.Racks) != 1 || sc.Dark.Racks[0] != "r01" || len(sc.Dark.Devices) != 19 || dbs != 150 || apps == 0 {
		t.Errorf("dark racks %v, %d devices, %d databases, %d app instances; want [r01], 19, 150, > 0", sc.Dark.Racks, len(sc.Dark.Devices), dbs, apps)
	}
}

func TestEstimateCommands(t *testing.T) {
	dir := t.TempDir()
	evs := filepath.Join(dir, "recovery.csv")
	code, _, errOut := runCLI(t, "plan", "simulate", "--seed", "2", "--events-out", evs, smallPow, smallWl)
	if code != exitOK {
		t.Fatalf("plan simulate --events-out: exit %d: %s", code, errOut)
	}
	cases := []struct {
		name   string
		args   []string
		golden string
	}{
		{"plan", []string{"estimate", "plan", "--runs", "12", "--seed", "5", smallPow, smallWl}, "estimate-plan-small-dc.golden"},
		{"plan json", []string{"estimate", "plan", "--runs", "12", "--seed", "5", "--format", "json", smallPow, smallWl}, "estimate-plan-small-dc-json.golden"},
		{"live", []string{"estimate", "live", "--events", evs, "--at", "300", smallPow, smallWl}, "estimate-live-small-dc.golden"},
		{"live history", []string{"estimate", "live", "--events", evs, "--history", "--batch", "20", smallPow, smallWl}, "estimate-live-history-small-dc.golden"},
		{"evaluate", []string{"estimate", "evaluate", "--runs", "4", "--format", "csv", smallPow, smallWl}, "estimate-evaluate-small-dc.golden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, c.golden, out)
			if _, again, _ := runCLI(t, c.args...); again != out {
				t.Errorf("same input and seed, different output")
			}
		})
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"t_s\":5,\"instance\":\"web#0\",\"node\":\"app-01\",\"state\":\"up\"}\n{\"t_s\":3,\"instance\":\"web#9\",\"node\":\"app-01\",\"state\":\"up\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"estimate", "live", smallPow, smallWl}, "blackstart: estimate live: --events FILE is required"},
		{[]string{"estimate", "live", "--events", bad, smallPow, smallWl}, bad + `:2:1: unknown instance "web#9" (service "web" has 6 instances)`},
		{[]string{"estimate", "live", "--events", bad, smallPow, smallWl}, bad + ":2:1: time 3 s is before the previous event's 5 s"},
		{[]string{"estimate", "plan", "--runs", "0", smallPow, smallWl}, "--runs must be 1 to 10000, got 0"},
		{[]string{"estimate", "live", "--events", evs, "--batch", "0", smallPow, smallWl}, "--batch must be >= 1, got 0"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != exitBadInput || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want 2 and %q", c.args, code, errOut, len(out), c.want)
		}
	}
}
