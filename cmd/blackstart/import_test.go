package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	nbCabled = "../../data/netbox/testdata/cabled"
	nbDemo   = "../../../shared/data/netbox-demo/demo-v4.2"
	nbLib    = "../../../shared/data/netbox-demo/devicetype-library"
)

// The cabled inventory imports into a model that validates, with its
// mapping beside it; the failover sweep finds rack r1's trip (exit 3).
func TestImportNetBoxCabled(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lab.toml")
	code, stdout, stderr := runCLI(t, "import", "netbox", "--from", nbCabled, "-o", out)
	if code != 0 {
		t.Fatalf("import: exit %d, stderr %s", code, stderr)
	}
	for _, s := range []string{"r1    2      5888 VA           3600 W            61.1 %              trip            151.6 %", "wrote " + out} {
		if !strings.Contains(stdout, s) {
			t.Errorf("report lacks %q:\n%s", s, stdout)
		}
	}
	var mp struct {
		Generator string `json:"generator"`
		Elements  []struct {
			ID, Object, URL string
		} `json:"elements"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "lab.netbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &mp); err != nil || mp.Generator != "blackstart import netbox" || len(mp.Elements) == 0 {
		t.Fatalf("mapping: %v %+v", err, mp)
	}
	if code, _, stderr := runCLI(t, "validate", out); code != 0 {
		t.Errorf("validate: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "power", "failover", out); code != exitRisk || !strings.Contains(stdout, "racks that can go dark: r1") {
		t.Errorf("failover: exit %d, want 3 with r1 dark:\n%s", code, stdout)
	}
	// A second import replaces what the first wrote, byte for byte the same.
	first, _ := os.ReadFile(out)
	if code, _, stderr := runCLI(t, "import", "netbox", "--from", nbCabled, "-o", out, "--format", "json"); code != 0 {
		t.Fatalf("re-import: exit %d: %s", code, stderr)
	}
	second, _ := os.ReadFile(out)
	if string(first) != string(second) {
		t.Error("re-importing the same responses changed the model")
	}
}

// The demo inventory: every rack cannot be judged, and failover says so
// with exit 4.
func TestImportNetBoxDemoCannotJudge(t *testing.T) {
	if _, err := os.Stat(nbDemo); err != nil {
		t.Fatalf("the NetBox demo data is read at test time from ../shared/data/netbox-demo beside the repository: %v", err)
	}
	out := filepath.Join(t.TempDir(), "demo.toml")
	code, stdout, stderr := runCLI(t, "import", "netbox", "--from", nbDemo, "--from", nbLib, "-o", out)
	if code != 0 || !strings.Contains(stdout, "40 of 40 racks cannot be judged") || !strings.Contains(stdout, "feeds with no cable (48)") {
		t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "power", "failover", out)
	if code != exitCannotJudge || !strings.Contains(stdout, "40 racks cannot be judged") {
		t.Errorf("failover: exit %d, want 4:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "power", "load", "--format", "json", out)
	var load struct {
		Racks []struct {
			ID          string   `json:"id"`
			Worst       string   `json:"worst_failover_verdict"`
			CannotJudge []string `json:"cannot_judge"`
		} `json:"racks"`
	}
	if err := json.Unmarshal([]byte(stdout), &load); err != nil || code != 0 || len(load.Racks) != 40 {
		t.Fatalf("power load: exit %d, %v, %d racks", code, err, len(load.Racks))
	}
	for _, r := range load.Racks {
		if r.Worst != "cannot-judge" || len(r.CannotJudge) == 0 {
			t.Errorf("rack %s: %s %v, want cannot-judge with reasons", r.ID, r.Worst, r.CannotJudge)
		}
	}
}

// Bad input exits 2 and writes nothing; a file an import did not write is
// not replaced.
func TestImportNetBoxBadInput(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.toml")
	os.WriteFile(mine, []byte("# my hand-written model\n"), 0o644)
	broken := filepath.Join(dir, "broken")
	os.Mkdir(broken, 0o755)
	os.WriteFile(filepath.Join(broken, "power-feeds.json"), []byte(`{"count": 1, "next": null, "results": [{"id": 3, "name": "F"}]}`), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--from", nbCabled, "-o", mine}, "mine.toml exists and was not written by an import"},
		{[]string{"--from", broken, "-o", filepath.Join(dir, "x.toml")}, `power-feeds results[0] (id 3): missing "power_panel", "phase", "voltage", "amperage", "max_utilization"`},
		{[]string{"--from", filepath.Join(dir, "nowhere"), "-o", filepath.Join(dir, "x.toml")}, "no NetBox response files"},
		{[]string{"--from", nbCabled}, "-o FILE is required"},
		{[]string{"-o", filepath.Join(dir, "x.toml")}, "give --url URL --token-file FILE"},
		{[]string{"--url", "http://127.0.0.1:1", "-o", filepath.Join(dir, "x.toml")}, "--url needs --token-file"},
		{[]string{"--from", nbCabled, "--site", "mars", "-o", filepath.Join(dir, "x.toml")}, `no rack or power panel in site "mars"; sites: lab`},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, append([]string{"import", "netbox"}, c.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if data, _ := os.ReadFile(mine); string(data) != "# my hand-written model\n" {
		t.Error("a hand-written file was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.toml")); err == nil {
		t.Error("a failed import wrote its model")
	}
}

func TestGenerateNetBox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nb")
	code, _, stderr := runCLI(t, "generate", "--netbox", dir, "--racks", "40", "--per-rack", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "gen.toml")
	code, stdout, stderr := runCLI(t, "import", "netbox", "--from", dir, "-o", out)
	if code != 0 || !strings.Contains(stdout, "80 feeds (1 uncabled), 40 racks, 79 PDUs, 160 devices; 4 PSUs with no path to a feed") {
		t.Errorf("import of a generated inventory: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Generating again replaces the earlier inventory, as a report -o
	// does, and keeps a file the user added; a folder it did not write
	// is refused.
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "generate", "--netbox", dir, "--racks", "2"); code != 0 {
		t.Errorf("generating again into its own folder: exit %d, %s", code, stderr)
	}
	if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
		t.Errorf("the user's notes.txt after generating again: %q, %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "racks.json")); !strings.Contains(string(b), `"count":2`) {
		t.Errorf("racks.json after generating 2 racks: %.100s", b)
	}
	other := filepath.Join(t.TempDir(), "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(other, "x.json"), []byte("{}"), 0o644)
	if code, _, stderr := runCLI(t, "generate", "--netbox", other, "--racks", "2"); code != exitBadInput || !strings.Contains(stderr, "is not a blackstart report or output folder") {
		t.Errorf("generating into a folder it did not write: exit %d, %s", code, stderr)
	}
}

// The overlay names a UPS above panels A and B, defined in an upstream
// model file; the import checks the two together, and the analysis reads
// both, now with the UPS's failures.
func TestImportNetBoxOverlayUpstream(t *testing.T) {
	dir := t.TempDir()
	overlay := filepath.Join(dir, "overlay.toml")
	upstream := filepath.Join(dir, "ups.toml")
	os.WriteFile(overlay, []byte(`
[defaults]
power_factor = 0.95
[[panel]]
name = "Panel A"
input = "ups-1"
line = "L1"
[[panel]]
name = "Panel B"
input = "ups-1"
line = "L2"
[[device_type]]
slug = "gpu-2u"
psus_required = 1
`), 0o644)
	os.WriteFile(upstream, []byte(`
[[source]]
id = "utility"
voltage_v = 400
phases = 3
[[ups]]
id = "ups-1"
input = "utility"
capacity_kva = 20
overload = [{ load_pct = 110, time_s = 600 }, { load_pct = 150, time_s = 10 }]
`), 0o644)
	out := filepath.Join(dir, "lab.toml")
	code, stdout, stderr := runCLI(t, "import", "netbox", "--from", nbCabled, "--overlay", overlay, "-o", out)
	if code != exitBadInput || !strings.Contains(stderr, "give the model file that defines them with --upstream") {
		t.Errorf("without --upstream: exit %d, %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, "import", "netbox", "--from", nbCabled, "--overlay", overlay, "--upstream", upstream, "-o", out)
	if code != 0 || !strings.Contains(stdout, "panels fed from upstream elements: ups-1") || strings.Contains(stdout, "power_factor = 0.95:") {
		t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "power", "failover", "--format", "json", "--all", out, upstream)
	var sweep struct {
		Scenarios []struct {
			Failed []string `json:"failed"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(stdout), &sweep); err != nil || code != exitRisk {
		t.Fatalf("failover with the upstream file: exit %d, %v", code, err)
	}
	found := false
	for _, sc := range sweep.Scenarios {
		found = found || len(sc.Failed) == 1 && sc.Failed[0] == "ups-1"
	}
	if !found {
		t.Error("the sweep has no scenario for the upstream UPS")
	}
}

// With --db each import is a revision, and diff says what changed in
// NetBox since the last one: here both feeds of rack R1 went from 16 A to
// 32 A, and the trip on failover is gone.
func TestImportNetBoxDB(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	out := filepath.Join(dir, "lab.toml")
	code, stdout, stderr := runCLI(t, "import", "netbox", "--from", nbCabled, "-o", out, "--db", db, "--author", "ops")
	if code != 0 || !strings.Contains(stdout, "committed lab@1 ") || !strings.Contains(stdout, "import from NetBox: "+nbCabled) {
		t.Fatalf("first import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "import", "netbox", "--from", nbCabled, "-o", out, "--db", db, "--author", "ops")
	if code != 0 || !strings.Contains(stdout, "unchanged: lab@1") {
		t.Errorf("same import again: exit %d\n%s", code, stdout)
	}
	// NetBox changes: A-1 and B-1 become 32 A feeds.
	changed := filepath.Join(dir, "changed")
	os.Mkdir(changed, 0o755)
	ents, _ := os.ReadDir(nbCabled)
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(nbCabled, e.Name()))
		if e.Name() == "power-feeds.json" {
			var page map[string]any
			json.Unmarshal(data, &page)
			for _, r := range page["results"].([]any) {
				if f := r.(map[string]any); f["name"] != "C-1" {
					f["amperage"] = 32
				}
			}
			data, _ = json.Marshal(page)
		}
		os.WriteFile(filepath.Join(changed, e.Name()), data, 0o644)
	}
	code, stdout, stderr = runCLI(t, "import", "netbox", "--from", changed, "-o", out, "--db", db, "--author", "ops", "-m", "feeds upgraded")
	if code != 0 || !strings.Contains(stdout, "committed lab@2 ") {
		t.Fatalf("second import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "diff", "--db", db)
	for _, s := range []string{"~ breaker brk-a-1", "rating_a: 16 → 32", "~ breaker brk-b-1", "racks whose worst failover load moved: 1", "r1: "} {
		if !strings.Contains(stdout, s) {
			t.Errorf("diff lacks %q: exit %d\n%s\n%s", s, code, stdout, stderr)
		}
	}
	// A hand-written file is not a NetBox import: nothing is committed when
	// the import does not validate either (here, an overlay naming a
	// missing upstream element).
	bad := filepath.Join(dir, "bad-overlay.toml")
	os.WriteFile(bad, []byte("[[panel]]\nname = \"Panel A\"\ninput = \"nowhere\"\n"), 0o644)
	if code, _, _ := runCLI(t, "import", "netbox", "--from", nbCabled, "--overlay", bad, "-o", out, "--db", db); code != exitBadInput {
		t.Errorf("invalid import with --db: exit %d, want 2", code)
	}
	if code, stdout, _ := runCLI(t, "db", "log", "--db", db); code != 0 || strings.Contains(stdout, "@3") {
		t.Errorf("db log after a failed import: exit %d\n%s", code, stdout)
	}
}
