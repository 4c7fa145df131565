package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blackstart/data/generate"
	"blackstart/data/store"
	"blackstart/power"
	"blackstart/topology"
)

const (
	smallReadings = "../../examples/small-dc/readings.csv"
	smallPDU      = "../../examples/small-dc/pdu-r1-01-a.jsonl"
)

// TestMeasureQuickStart runs the README's measured-loads steps on the
// bundled example: import, gap, a measured-basis failover, the gap chart.
func TestMeasureQuickStart(t *testing.T) {
	path := tempDB(t)
	mustRun(t, exitOK, "db", "commit", "-m", "small site", smallPow, smallWl)
	out := mustRun(t, exitOK, "measure", "import", smallReadings, smallPDU)
	for _, want := range []string{
		"readings.csv: 1680 readings (1680 values) of 35 series, 2026-11-01T00:00:00Z .. 2026-11-01T11:45:00Z, checked against small-dc@1: 1680 added, 0 already stored",
		"pdu-r1-01-a.jsonl: 192 readings (192 values) of 4 series, 2026-11-01T00:00:00Z .. 2026-11-01T11:45:00Z, checked against small-dc@1: 192 added, 0 already stored",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import printed:\n%s\nwant a line %q", out, want)
		}
	}
	if out := mustRun(t, exitOK, "measure", "import", smallReadings); !strings.Contains(out, "0 added, 1680 already stored") {
		t.Errorf("re-import printed %q", out)
	}

	// The model's conservative figures (nameplates) are far above the
	// meters: nothing flagged, exit 0.
	out = mustRun(t, exitOK, "power", "gap")
	if !strings.HasPrefix(out, "0 of 39 measured series peak above the model (basis conservative); readings over 30 d to 2026-11-01T11:45:00Z\n") {
		t.Errorf("gap:\n%s", out)
	}
	// No line ends in blanks (a row without the flag was padded to its
	// width).
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("gap table line %d ends in blanks: %q", i+1, l)
		}
	}

	// Typical figures guess: a few devices and two lines peak above them.
	code, out, _ := runCLI(t, "power", "gap", "--basis", "typical", "--format", "json")
	if code != exitRisk {
		t.Fatalf("gap on typical figures: exit %d, want %d (a peak above the model is a risk)", code, exitRisk)
	}
	var gap struct {
		Window store.Window `json:"readings_window"`
		power.GapReport
	}
	if err := json.Unmarshal([]byte(out), &gap); err != nil {
		t.Fatal(err)
	}
	if gap.Exceeding != 5 || len(gap.Rows) != 39 || gap.Rows[0].Element != "pdu-r1-01-a" || gap.Rows[0].Line != "L2" || !gap.Rows[0].PeakExceedsModel ||
		gap.Window.EndMS != 1793533500000 || len(gap.Racks) != 4 {
		t.Errorf("gap json: %d exceeding, %d rows, first %+v, window %+v", gap.Exceeding, len(gap.Rows), gap.Rows[0], gap.Window)
	}
	// Every gap figure is the store's p95 and max of the series: check one
	// against the readings file by hand (app-08, the largest device gap):
	// 48 readings, the 95 % rank is the 46th sorted value, 126.8 W; the
	// largest is 129.3 W.
	var app08 power.GapRow
	for _, r := range gap.Rows {
		if r.Element == "app-08" {
			app08 = r
		}
	}
	if app08.ModelW == nil || *app08.ModelW != 126 || *app08.MaxW != 129.3 || *app08.P95W != 126.8 {
		t.Errorf("app-08: model %v, p95 %v, max %v", *app08.ModelW, *app08.P95W, *app08.MaxW)
	}

	// Failover on the measured basis says which figure each device drew.
	code, out, errOut := runCLI(t, "power", "failover", "--basis", "measured")
	if code != exitRisk || !strings.HasPrefix(out, "draw figures (p95 of readings over 30 d to 2026-11-01T11:45:00Z): measured-p95 for 35\n") {
		t.Errorf("failover --basis measured: exit %d\n%s%s", code, out, errOut)
	}
	// A one-minute window, (11:44, 11:45]: each device's newest reading is
	// its p95, and the JSON says so.
	code, out, _ = runCLI(t, "power", "failover", "--basis", "measured", "--window", "1m", "--format", "json")
	var sw struct {
		Summary struct {
			Basis string `json:"basis"`
		} `json:"summary"`
		Window store.Window       `json:"readings_window"`
		Draws  []power.DrawSource `json:"draws"`
	}
	if err := json.Unmarshal([]byte(out), &sw); err != nil || code != exitRisk || len(sw.Draws) != 1 || sw.Draws[0].Basis != "measured-p95" || len(sw.Draws[0].Devices) != 35 || sw.Summary.Basis != "measured" || sw.Window.EndMS-sw.Window.StartMS != 60_000 {
		t.Errorf("failover json: exit %d, %v, draws %+v", code, err, sw.Draws)
	}
	// Without --db, measured keeps its meaning: the model's measured_w
	// (none in this model: the conservative fallback for every device).
	t.Setenv("BLACKSTART_DB", "")
	out = mustRun(t, exitOK, "power", "load", "--basis", "measured", smallPow)
	if !strings.Contains(out, "basis: measured (draw figure used: nameplate for 35 devices)") {
		t.Errorf("load --basis measured without a database:\n%s", firstLines(out, 3))
	}
	out = mustRun(t, exitOK, "power", "load", "--basis", "measured", "--db", path)
	if !strings.HasPrefix(out, "draw figures (p95 of readings over 30 d to 2026-11-01T11:45:00Z): measured-p95 for 35\nbasis: measured (draw figure used: measured-p95 for 35 devices)") {
		t.Errorf("load --basis measured --db:\n%s", firstLines(out, 3))
	}

	// The gap chart, and a report from the database holds it.
	out = mustRun(t, exitOK, "chart", "gap", "--db", path, "--basis", "typical", "--format", "option")
	var opt struct {
		Title struct {
			Text string `json:"text"`
		} `json:"title"`
		XAxis []struct {
			Data []string `json:"data"`
		} `json:"xAxis"`
	}
	if err := json.Unmarshal([]byte(out), &opt); err != nil || opt.Title.Text != "Model vs measured draw per rack" || len(opt.XAxis) != 1 ||
		strings.Join(opt.XAxis[0].Data, " ") != "r2-01 r1-01 r1-02 r2-02" {
		t.Errorf("gap chart option: %v %+v", err, opt)
	}
	dir := filepath.Join(t.TempDir(), "pm")
	if out := mustRun(t, exitOK, "report", "--runs", "0", "--db", path, "-o", dir); !strings.Contains(out, "8 charts") {
		t.Errorf("report: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "gap.html")); err != nil {
		t.Error(err)
	}
	out = mustRun(t, exitOK, "db", "check", "--db", path)
	if !strings.Contains(out, "measured loads: 39 series, 1872 raw readings in 468 series-hours") {
		t.Errorf("db check:\n%s", out)
	}
	out = mustRun(t, exitOK, "measure", "prune", "--db", path, "--keep-raw", "1d")
	if !strings.Contains(out, "small-dc: newest reading 2026-11-01T11:45:00Z; kept raw 1 d, rollups 730 d; removed 0 raw readings") {
		t.Errorf("prune: %q", out)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestMeasureBadInput: bad readings are positioned errors with exit 2,
// and leave the database as it was; commands that need readings say so.
func TestMeasureBadInput(t *testing.T) {
	path := tempDB(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("time,element,power_w,line\n1793491200,app-01,100,\n1793491200,app-77,100,\nnow,app-01,100,\n1793491200,app-01,100,L1\n"), 0o644)
	// No database yet: nothing is created.
	code, _, errOut := runCLI(t, "measure", "import", bad)
	if code != exitBadInput || !strings.Contains(errOut, "no database") {
		t.Errorf("import without a database: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("measure import created a database")
	}
	mustRun(t, exitOK, "db", "commit", "-m", "small site", smallPow, smallWl)
	before := mustRun(t, exitOK, "db", "check")
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("time,element,power_w\n1793491200,app-01,100\n"), 0o644)
	code, _, errOut = runCLI(t, "measure", "import", good, bad)
	want := bad + ":3:1: unknown element \"app-77\": no device or power element of small-dc@1 has that id\n" +
		bad + ":4:1: time \"now\": not Unix seconds or an RFC 3339 time (2026-11-02T10:00:00Z)\n" +
		bad + ":5:1: line L1 on \"app-01\": per-line readings are for three-phase elements, \"app-01\" is not one\n3 problems found\n"
	if code != exitBadInput || !strings.HasSuffix(errOut, want) || !strings.Contains(errOut, "1 earlier file stored; "+bad+" is not") {
		t.Errorf("bad readings: exit %d, stderr:\n%s\nwant it to end with:\n%s", code, errOut, want)
	}
	after := mustRun(t, exitOK, "db", "check")
	if !strings.Contains(after, "measured loads: 1 series, 1 raw readings") || strings.Contains(after, "in progress") {
		t.Errorf("after a refused file (the good one before it stays):\nbefore %s\nafter %s", before, after)
	}
	// Only app-01 is measured: the others fall back, and are named.
	out := mustRun(t, exitOK, "power", "load", "--basis", "measured")
	if want := "draw figures (p95 of readings over 30 d to 2026-11-01T00:00:00Z): measured-p95 for 1, nameplate for 34 (app-02, app-03, app-04, app-05, app-06, app-07 and 28 more: --format json lists all)\n"; !strings.HasPrefix(out, want) {
		t.Errorf("load with one device measured:\n%s\nwant it to start with\n%s", firstLines(out, 2), want)
	}
	for _, args := range [][]string{
		{"power", "gap", smallPow},
		{"power", "gap", "--window", "soon"},
		{"power", "failover", "--basis", "measured", "--window", "-3d"},
		{"measure", "prune", "--keep-raw", "36h"},
		{"measure", "import"},
	} {
		if code, _, errOut := runCLI(t, args...); code != exitBadInput {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errOut)
		}
	}
	t.Setenv("BLACKSTART_DB", "")
	if code, _, errOut := runCLI(t, "power", "gap"); code != exitBadInput || !strings.Contains(errOut, "give --db") {
		t.Errorf("gap without a database: exit %d: %s", code, errOut)
	}
}

// TestMeasureImportCrash kills a real `blackstart measure import` process
// at 20 moments spread over an import (parsing and staging batches, the
// merge, the end) and reopens the database each time: the file's
// readings are all there or absent, and the database passes its checks.
func TestMeasureImportCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 20 processes; not in -short")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	t.Setenv("BLACKSTART_DB", base)
	mustRun(t, exitOK, "db", "commit", "-m", "small site", smallPow, smallWl)
	m, err := topology.Load(smallPow, smallWl)
	if err != nil {
		t.Fatal(err)
	}
	devs := make([]generate.MeteredDevice, len(m.Devices))
	for d := range m.Devices {
		devs[d] = generate.MeteredDevice{ID: m.Devices[d].ID, LevelW: 300}
	}
	readings := filepath.Join(dir, "readings.csv")
	f, err := os.Create(readings)
	if err != nil {
		t.Fatal(err)
	}
	const perDevice = 2000 // 70,000 readings: under a second on a quiet machine
	total, err := generate.Readings(f, devs, generate.ReadingsOptions{StartMS: 1793491200000, IntervalMS: 60_000, Count: perDevice, Seed: 3})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	args := func(db string) []string { return []string{"measure", "import", "--db", db, readings} }
	// One import to its end: what "all there" is, and how far its WAL grows.
	full := filepath.Join(dir, "full.db")
	copyDB(t, base, full)
	start := time.Now()
	maxWAL, _ := watchRun(t, full, args(full), -1)
	took := time.Since(start)
	if got := storedReadings(t, full); got != int64(total) {
		t.Fatalf("a whole import stored %d readings, want %d", got, total)
	}
	const header = 32 + 4096 + 24 // WAL header and one frame: writing has begun
	if maxWAL <= header {
		t.Fatalf("the import's WAL grew to %d bytes only", maxWAL)
	}
	// Kills at WAL sizes spread from the first frame to the largest seen, so
	// that every kill lands after writing has begun however loaded the
	// machine is (a kill timed by the clock missed on a busy machine).
	outcomes := map[string]int{}
	killed := 0
	const kills = 20
	for k := 0; k < kills; k++ {
		db := filepath.Join(dir, "kill.db")
		removeFiles(db)
		copyDB(t, base, db)
		threshold := header + (maxWAL-header)*int64(k)/int64(kills-1)
		at, wasKilled := watchRun(t, db, args(db), threshold)
		outcome := "finished"
		if wasKilled {
			outcome = "killed"
			killed++
		}
		got := storedReadings(t, db)
		switch got {
		case 0:
			outcomes[outcome+", absent"]++
		case int64(total):
			outcomes[outcome+", whole"]++
		default:
			t.Errorf("kill %d at WAL %d bytes: %d of %d readings stored", k, at, got, total)
		}
		// The next import, once the killed one is abandoned (a minute
		// later: the clock is moved on), removes what it left and stores
		// the file whole, or adds nothing when it was already there.
		if got := importLater(t, db, readings); got.Added+got.Duplicates != total || storedReadings(t, db) != int64(total) {
			t.Errorf("kill %d: the import after it: %+v; want all %d readings stored", k, got, total)
		}
	}
	t.Logf("an import takes %v, its WAL reaches %d bytes; %d kills: %v", took.Round(time.Millisecond), maxWAL, kills, outcomes)
	if killed < kills/2 {
		t.Errorf("only %d of %d runs were killed after writing had begun, want %d or more: %v", killed, kills, kills/2, outcomes)
	}
}

// importLater imports file into the database at path as a process
// started two minutes from now would (the model is small-dc).
func importLater(t *testing.T, path, file string) store.ImportResult {
	t.Helper()
	db, err := store.Open(path, store.Options{Now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := db.ImportReadings(context.Background(), "small-dc", file, f, store.ImportOptions{})
	if err != nil {
		t.Fatalf("importing after the kill: %v", err)
	}
	return res
}

// storedReadings opens the database as blackstart would, checks it, and
// counts the readings stored.
func storedReadings(t *testing.T, path string) int64 {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("reopening after the kill: %v", err)
	}
	defer db.Close()
	rep, err := db.Check(context.Background(), store.CheckOptions{SkipModels: true})
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check after the kill: %v %v", rep.Problems, err)
	}
	return rep.Measurements.Readings
}

func copyDB(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src + "-wal"); err == nil {
		t.Fatalf("%s has a WAL: not a closed database", src)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func removeFiles(db string) {
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(db + s)
	}
}
