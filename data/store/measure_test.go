package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"blackstart/topology"
)

// t0 is 2026-11-01T00:00:00Z, Unix seconds: a multiple of an hour.
const t0 = 1793491200

// smallDB is a database with small-dc@1 committed.
func smallDB(t *testing.T) (*DB, string) {
	t.Helper()
	db, path := newDB(t)
	commit(t, db, "", "small site", readFiles(t, smallPow, smallWork)...)
	return db, path
}

func importString(t *testing.T, db *DB, name, src string) (ImportResult, error) {
	t.Helper()
	return db.ImportReadings(ctx, "small-dc", name, strings.NewReader(src), ImportOptions{})
}

func mustImport(t *testing.T, db *DB, name, src string) ImportResult {
	t.Helper()
	res, err := importString(t, db, name, src)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// handReadings: app-01 reads 1, 2, …, 20 W every 15 s in the first 5
// minutes, then 5, 100 and 7 W in the next 5 minutes.
func handReadings() string {
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "%d,app-01,%d\n", t0+15*i, i+1)
	}
	for i, v := range []int{5, 100, 7} {
		fmt.Fprintf(&b, "%d,app-01,%d\n", t0+300+60*i, v)
	}
	return b.String()
}

// TestRollupsByHand: the 5-minute rollups and the window's p95 of readings
// small enough to check on paper.
func TestRollupsByHand(t *testing.T) {
	db, _ := smallDB(t)
	res := mustImport(t, db, "hand.csv", handReadings())
	if res.Readings != 23 || res.Added != 23 || res.Series != 1 || res.Revision != "@1" {
		t.Errorf("import: got %+v", res)
	}
	rs, err := db.Rollups(ctx, "small-dc", "app-01", "", QuantityPower, 0, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rollup{
		// 1..20: mean 10.5; nearest rank of 95 % of 20 is the 19th value.
		{BucketMS: t0 * 1000, N: 20, Min: 1, Mean: 10.5, Max: 20, P95: 19},
		// 5, 100, 7: the 95 % rank of 3 is the 3rd value.
		{BucketMS: (t0 + 300) * 1000, N: 3, Min: 5, Mean: 112.0 / 3, Max: 100, P95: 100},
	}
	if fmt.Sprint(rs) != fmt.Sprint(want) {
		t.Errorf("rollups:\n got %+v\nwant %+v", rs, want)
	}
	// The window ends at the newest reading (t0+420 s). All 23: the 22nd
	// of 1..20, 5, 7, 100 sorted is 20.
	st, w, err := db.Stats(ctx, "small-dc", 3_600_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if w.EndMS != (t0+420)*1000 || len(st) != 1 {
		t.Fatalf("window %+v, stats %+v", w, st)
	}
	if s := st[0]; s.N != 23 || s.P95 != 20 || s.Max != 100 || s.FirstMS != t0*1000 || s.FromRollups {
		t.Errorf("stats over an hour: got %+v, want 23 readings, p95 20 W, max 100 W", s)
	}
	st, _, err = db.Stats(ctx, "small-dc", 300_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	// (t0+120, t0+420]: 15 s steps 135..285 hold values 10..20 (11 of
	// them) plus 5, 100, 7: 14 values, the 95 % rank is the 14th: 100.
	if s := st[0]; s.N != 14 || s.P95 != 100 || s.FirstMS != (t0+135)*1000 {
		t.Errorf("stats over 5 min: got %+v, want 14 readings from t0+135 s, p95 100 W", s)
	}
	draws, _, err := db.DeviceP95(ctx, "small-dc", mustModel(t, db), 3_600_000, 0)
	if err != nil || len(draws) != 1 || draws["app-01"] != 20 {
		t.Errorf("DeviceP95 = %v, %v; want app-01: 20 W", draws, err)
	}
}

func mustModel(t *testing.T, db *DB) *topology.Model {
	t.Helper()
	m, _, err := db.LoadModel(ctx, "small-dc", "")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestImportTwiceAddsNothing: the same readings again add nothing; an
// overlapping file adds only what is new, and the rollups follow.
func TestImportTwiceAddsNothing(t *testing.T) {
	db, _ := smallDB(t)
	mustImport(t, db, "a.csv", handReadings())
	again := mustImport(t, db, "a.csv", handReadings())
	if again.Added != 0 || again.Duplicates != 23 {
		t.Errorf("second import: added %d, duplicates %d; want 0 and 23", again.Added, again.Duplicates)
	}
	// One old time (a different value: the stored one is kept) and one new.
	more := mustImport(t, db, "b.csv", fmt.Sprintf("time,element,power_w\n%d,app-01,999\n%d,app-01,40\n%d,app-01,40\n", t0, t0+301, t0+301))
	if more.Added != 1 || more.Duplicates != 2 {
		t.Errorf("overlapping import: added %d, duplicates %d; want 1 and 2", more.Added, more.Duplicates)
	}
	rs, _ := db.Rollups(ctx, "small-dc", "app-01", "", QuantityPower, 0, math.MaxInt64)
	if len(rs) != 2 || rs[0].Max != 20 || rs[1].N != 4 || rs[1].Mean != 152.0/4 {
		t.Errorf("rollups after the overlap: %+v", rs)
	}
	rep, err := db.Check(ctx, CheckOptions{})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
	if m := rep.Measurements; m.Readings != 24 || m.Series != 1 || m.Rollups != 2 || m.Imports != 3 || m.RawBytes != 24*12 || m.StagingImports != 0 {
		t.Errorf("sizes: %+v", m)
	}
}

// TestImportRefusesWholeFile: a bad row late in a file leaves nothing
// stored, though batches were staged (committed) before it was read.
func TestImportRefusesWholeFile(t *testing.T) {
	db, _ := smallDB(t)
	var b strings.Builder
	b.WriteString("time,element,power_w,current_a,line\n")
	for h := 0; h < 50; h++ {
		fmt.Fprintf(&b, "%d,app-02,100,,\n", t0+3600*h)
	}
	b.WriteString("1793491200,app-99,5,,\n")           // line 52
	b.WriteString("1793491200,ups-a,5,,\n")            // 53: not measurable
	b.WriteString("1793491200,app-02,,1,L1\n")         // 54: a device has no lines
	b.WriteString("1793491200,cir-r2-01-a,,1,L2\n")    // 55: single-phase
	b.WriteString("1793491200,pdu-r1-01-a,,1,L2\n")    // fine: three-phase
	b.WriteString("1793491200,pdu-r1-01-a-l1,bad,,\n") // 57
	staged := 0
	_, err := db.ImportReadings(ctx, "small-dc", "bad.csv", strings.NewReader(b.String()), ImportOptions{BatchBlocks: 5, Progress: func(int) { staged++ }})
	var list topology.ErrorList
	if !errors.Is(err, ErrReadings) || !errors.As(err, &list) {
		t.Fatalf("got %v, want ErrReadings with positions", err)
	}
	want := []string{
		`bad.csv:52:1: unknown element "app-99": no device or power element of small-dc@1 has that id`,
		`bad.csv:53:1: element "ups-a" is a ups: readings are of devices, rack PDUs, banks, circuits and breakers`,
		`bad.csv:54:1: line L1 on "app-02": per-line readings are for three-phase elements`,
		`bad.csv:55:1: line L2 on "cir-r2-01-a": per-line readings are for three-phase elements`,
		`bad.csv:57:27: power_w "bad": not a number`,
	}
	if len(list) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(list), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(list[i].Error(), want[i]) {
			t.Errorf("problem %d: got %q, want %q…", i, list[i].Error(), want[i])
		}
	}
	if staged < 5 {
		t.Errorf("%d staging batches committed before the error, want several (the test must stage before it fails)", staged)
	}
	rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
	if m := rep.Measurements; m.Readings != 0 || m.Rollups != 0 || m.Imports != 0 || m.StagingImports != 0 || m.StagingBytes != 0 {
		t.Errorf("a refused file left %+v", m)
	}
}

// TestPruneAndRollupsBeyondRaw: raw readings go after the raw retention,
// rollups stay, and a window reaching past the raw readings counts the
// rollups there.
func TestPruneAndRollupsBeyondRaw(t *testing.T) {
	db, _ := smallDB(t)
	if _, err := db.SetRetention(ctx, Retention{RawDays: 2, RollupDays: 1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("rollups kept shorter than raw: %v, want ErrInvalid", err)
	}
	if r, err := db.SetRetention(ctx, Retention{RawDays: 1}); err != nil || r.RawDays != 1 || r.RollupDays != 730 {
		t.Fatalf("SetRetention = %+v, %v", r, err)
	}
	// Three days, one reading an hour: 10 W on day 1, 20 W on day 2, 30 W on day 3.
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 0; h < 72; h++ {
		fmt.Fprintf(&b, "%d,app-03,%d\n", t0+3600*h, 10*(1+h/24))
	}
	mustImport(t, db, "3d.csv", b.String()) // the import prunes too
	rep, _ := db.Check(ctx, CheckOptions{SkipModels: true})
	// Newest reading t0+71 h: raw hours that end by t0+47 h go (47 of
	// 72); hour 47 ends inside the retained day and stays whole.
	if m := rep.Measurements; m.Readings != 25 || m.Rollups != 72 || len(rep.Problems) != 0 {
		t.Errorf("after import with 1 day of raw: %+v, problems %v", m, rep.Problems)
	}
	pr, err := db.Prune(ctx, "small-dc")
	if err != nil || pr.Readings != 0 || pr.NewestMS != (t0+71*3600)*1000 || pr.RawBeforeMS != (t0+47*3600)*1000 {
		t.Errorf("second prune: %+v, %v (nothing more to remove)", pr, err)
	}
	st, _, err := db.Stats(ctx, "small-dc", 3*86_400_000, 0)
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	// 72 readings, 47 of them through rollups; the 95 % rank (69th) is 30 W.
	if s := st[0]; s.N != 72 || !s.FromRollups || s.P95 != 30 || s.Max != 30 || s.Mean != 20 {
		t.Errorf("stats over 3 days: %+v", s)
	}
	if _, err := db.SetRetention(ctx, Retention{RollupDays: 1}); err != nil {
		t.Fatal(err)
	}
	pr, err = db.Prune(ctx, "small-dc")
	if err != nil || pr.Rollups != 47 {
		t.Errorf("prune with 1 day of rollups: %+v, %v; want 47 rollups removed", pr, err)
	}
}

// TestCheckNamesBrokenReadings: a rollup that does not match its readings
// and a block out of order are each named.
func TestCheckNamesBrokenReadings(t *testing.T) {
	db, path := smallDB(t)
	mustImport(t, db, "hand.csv", handReadings())
	db.Close()
	raw := rawDB(t, path)
	exec(t, raw, "UPDATE rollup_5m SET max = 21 WHERE bucket_ms = 1793491200000")
	raw.Close()
	db = reopen(t, path)
	rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
	if err != nil || len(rep.Problems) != 1 || rep.Problems[0].Invariant != InvRollups || !strings.Contains(rep.Problems[0].Message, "max=21") {
		t.Errorf("a wrong rollup: %v, %v", rep.Problems, err)
	}
	db.Close()
	raw = rawDB(t, path)
	// Swap the first two readings of the block: out of order.
	exec(t, raw, "UPDATE reading_hour SET data = CAST(substr(data, 13, 12) || substr(data, 1, 12) || substr(data, 25) AS BLOB)")
	raw.Close()
	db = reopen(t, path)
	defer db.Close()
	rep, err = db.Check(ctx, CheckOptions{SkipModels: true})
	if err != nil || len(rep.Problems) == 0 || rep.Problems[0].Invariant != InvReadingBlocks {
		t.Errorf("a block out of order: %v, %v", rep.Problems, err)
	}
}

func reopen(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestAbandonedImportRemoved: the staging rows of an import whose process
// died are removed by the next import once stale, and never read.
func TestAbandonedImportRemoved(t *testing.T) {
	db, path := smallDB(t)
	db.Close()
	raw := rawDB(t, path)
	exec(t, raw, `INSERT INTO series (model_id, element, line, quantity) VALUES (1, 'app-04', '', 'power_w')`,
		`INSERT INTO import (model_id, file, sha256, state, readings, added, first_ms, last_ms, started_ms, updated_ms)
			VALUES (1, 'died.csv', '`+strings.Repeat("0", 64)+`', 'staging', 0, 0, 0, 0, 1, 1)`,
		`INSERT INTO staging (import_id, series_id, hour_ms, data) VALUES (1, 1, 1793491200000, zeroblob(12))`)
	raw.Close()
	db = reopen(t, path)
	defer db.Close()
	rep, _ := db.Check(ctx, CheckOptions{SkipModels: true})
	if rep.Measurements.StagingImports != 1 {
		t.Fatalf("staging imports %d, want the abandoned one", rep.Measurements.StagingImports)
	}
	if st, _, _ := db.Stats(ctx, "small-dc", 86_400_000, 1793491300000); len(st) != 0 {
		t.Errorf("staged readings were read: %+v", st)
	}
	mustImport(t, db, "hand.csv", handReadings())
	rep, _ = db.Check(ctx, CheckOptions{SkipModels: true})
	if rep.Measurements.StagingImports != 0 || rep.Measurements.Imports != 1 {
		t.Errorf("after the next import: %+v", rep.Measurements)
	}
}

// TestAddedIsWhatIsKept: an import's added count is the raw readings it
// leaves in the store, also when part of the file lies past the raw
// retention (those values are only rolled up), and importing the same
// file again adds nothing, though its old hours are no longer stored raw.
func TestAddedIsWhatIsKept(t *testing.T) {
	db, _ := smallDB(t)
	if _, err := db.SetRetention(ctx, Retention{RawDays: 1}); err != nil {
		t.Fatal(err)
	}
	// Three days, one reading an hour, then two hours met again (out of
	// time order): hour 2, past the retention once the file is read, and
	// hour 70, within it.
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 0; h < 72; h++ {
		fmt.Fprintf(&b, "%d,app-03,%d\n", t0+3600*h, 10*(1+h/24))
	}
	fmt.Fprintf(&b, "%d,app-03,15\n%d,app-03,35\n", t0+2*3600+60, t0+70*3600+60)
	file := b.String()
	sizes := func() MeasureSizes {
		t.Helper()
		rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
		if err != nil || len(rep.Problems) != 0 {
			t.Fatalf("check: %v %v", rep.Problems, err)
		}
		return rep.Measurements
	}
	// Newest reading t0+71 h: raw hours that end by t0+47 h are past the
	// retention (47 hours, 48 values with the second reading of hour 2);
	// hours 47..71 are kept (25 values and the second of hour 70).
	first := mustImport(t, db, "3d.csv", file)
	if first.Values != 74 || first.Added != 26 || first.PastRetention != 48 || first.Duplicates != 0 {
		t.Errorf("first import: added %d, past retention %d, duplicates %d of %d values; want 26, 48, 0 of 74",
			first.Added, first.PastRetention, first.Duplicates, first.Values)
	}
	m := sizes()
	if m.Readings != int64(first.Added) || m.Rollups != 72 || m.StagingImports != 0 || m.StagingBytes != 0 {
		t.Errorf("after the first import: %+v; want %d readings (as added) and 72 rollups", m, first.Added)
	}
	// The rollup of hour 2's first bucket holds both of its readings.
	rs, err := db.Rollups(ctx, "small-dc", "app-03", "", QuantityPower, (t0+2*3600)*1000, (t0+2*3600+300)*1000)
	if err != nil || len(rs) != 1 || rs[0].N != 2 || rs[0].Max != 15 || rs[0].Min != 10 {
		t.Errorf("rollup of hour 2: %+v, %v; want n 2, min 10 W, max 15 W", rs, err)
	}
	again := mustImport(t, db, "3d.csv", file)
	if again.Added != 0 || again.Duplicates != 26 || again.PastRetention != 48 {
		t.Errorf("the same file again: added %d, duplicates %d, past retention %d; want 0, 26, 48", again.Added, again.Duplicates, again.PastRetention)
	}
	m.Imports++ // the one more import is all that changed
	if m2 := sizes(); m2 != m {
		t.Errorf("the same file again changed the store:\n got %+v\nwant %+v", m2, m)
	}
	// One more day: its 24 values are added and kept, the oldest kept
	// day goes (pruned, not this import's).
	b.Reset()
	b.WriteString("time,element,power_w\n")
	for h := 72; h < 96; h++ {
		fmt.Fprintf(&b, "%d,app-03,40\n", t0+3600*h)
	}
	next := mustImport(t, db, "day4.csv", b.String())
	if next.Added != 24 || next.PastRetention != 0 {
		t.Errorf("day 4: %+v; want 24 added", next)
	}
	// Kept: hours 71..95 (hour 71 ends inside the retained day).
	if m := sizes(); m.Readings != 25 || m.Rollups != 96 {
		t.Errorf("after day 4: %+v; want 25 readings, 96 rollups", m)
	}
}

// TestImportInvisibleUntilPublished: while an import is between batches,
// its rows are in the tables but nothing reads them, the database checks
// clean, and another import waits for it.
func TestImportInvisibleUntilPublished(t *testing.T) {
	db, _ := smallDB(t)
	mustImport(t, db, "hand.csv", handReadings())
	before, _ := db.Check(ctx, CheckOptions{SkipModels: true})
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 1; h <= 40; h++ {
		fmt.Fprintf(&b, "%d,app-01,50\n%d,app-02,60\n", t0+3600*h, t0+3600*h)
	}
	batches := 0
	res, err := db.ImportReadings(ctx, "small-dc", "more.csv", strings.NewReader(b.String()), ImportOptions{BatchBlocks: 8, Progress: func(int) {
		batches++
		rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
		if err != nil || len(rep.Problems) != 0 {
			t.Errorf("check between batches: %v %v", rep.Problems, err)
		}
		m := rep.Measurements
		if m.Readings != before.Measurements.Readings || m.Rollups != before.Measurements.Rollups || m.StagingImports != 1 || m.StagingBytes == 0 {
			t.Errorf("between batches: %+v; want the readings before it (%d) and one import staging", m, before.Measurements.Readings)
		}
		st, _, err := db.Stats(ctx, "small-dc", 400*86_400_000, 0)
		if err != nil || len(st) != 1 || st[0].N != 23 {
			t.Errorf("stats between batches: %+v, %v; want app-01's 23 readings only", st, err)
		}
		if batches == 1 {
			// Another import now waits until this one is done.
			ctx2, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			if _, err := db.ImportReadings(ctx2, "small-dc", "other.csv", strings.NewReader(handReadings()), ImportOptions{}); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a second import during the first: %v, want it to wait (deadline exceeded)", err)
			}
		}
	}})
	if err != nil || res.Added != 80 {
		t.Fatalf("import: %+v, %v; want 80 added", res, err)
	}
	if batches < 5 {
		t.Errorf("%d batches, want several", batches)
	}
	rep, _ := db.Check(ctx, CheckOptions{SkipModels: true})
	if m := rep.Measurements; m.Readings != 23+80 || m.StagingImports != 0 || m.StagingBytes != 0 || len(rep.Problems) != 0 {
		t.Errorf("after the import: %+v, %v", m, rep.Problems)
	}
}

// TestPruneCountsOnlyStaleImports: Prune reports the staging imports it
// removed as abandoned, those without a heartbeat for a minute
// (staleImportMS): one last updated at 1 ms, not one updated 30 s after
// the test clock's start (2026-01-02 03:04:35 UTC), which stays staged.
func TestPruneCountsOnlyStaleImports(t *testing.T) {
	db, path := smallDB(t)
	db.Close()
	raw := rawDB(t, path)
	live := time.Date(2026, 1, 2, 3, 4, 35, 0, time.UTC).UnixMilli()
	exec(t, raw, fmt.Sprintf(`INSERT INTO import (model_id, file, sha256, state, readings, added, first_ms, last_ms, started_ms, updated_ms)
			VALUES (1, 'died.csv', '%s', 'staging', 0, 0, 0, 0, 1, 1), (1, 'live.csv', '%s', 'staging', 0, 0, 0, 0, %d, %d)`,
		strings.Repeat("0", 64), strings.Repeat("1", 64), live, live))
	raw.Close()
	db = reopen(t, path)
	defer db.Close()
	pr, err := db.Prune(ctx, "small-dc")
	if err != nil || pr.AbandonedImports != 1 {
		t.Errorf("prune: %+v, %v; want 1 abandoned import removed", pr, err)
	}
	if rep, _ := db.Check(ctx, CheckOptions{SkipModels: true}); rep.Measurements.StagingImports != 1 {
		t.Errorf("staging imports after the prune: %d, want the live one", rep.Measurements.StagingImports)
	}
}

// TestStatsThroughRollupsEdges: Stats over hours kept only as rollups (1
// day of raw; 72 hourly readings t0 … t0+71 h of 10, 20 and 30 W a day,
// plus 40 W at t0+60 s, in the bucket of t0, and 20 W at t0+46 h 30 min,
// the last pruned hour's half): a window starting a minute before t0
// counts every reading, 74, the bucket at t0 as 2 of mean 25 W (sum 1,500
// W: mean 1,500 / 74 = 20.270 W); one starting exactly at t0 leaves that
// bucket out, as its raw readings would be (72, sum 1,450 W).
func TestStatsThroughRollupsEdges(t *testing.T) {
	db, _ := smallDB(t)
	if _, err := db.SetRetention(ctx, Retention{RawDays: 1}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 0; h < 72; h++ {
		fmt.Fprintf(&b, "%d,app-03,%d\n", t0+3600*h, 10*(1+h/24))
	}
	fmt.Fprintf(&b, "%d,app-03,40\n%d,app-03,20\n", t0+60, t0+46*3600+1800)
	mustImport(t, db, "edges.csv", b.String())
	for _, c := range []struct {
		windowMS int64
		n        int
		mean     float64
	}{
		{71*3_600_000 + 60_000, 74, 1500.0 / 74},
		{71 * 3_600_000, 72, 1450.0 / 72},
	} {
		st, _, err := db.Stats(ctx, "small-dc", c.windowMS, 0)
		if err != nil || len(st) != 1 {
			t.Fatal(st, err)
		}
		if s := st[0]; s.N != c.n || math.Abs(s.Mean-c.mean) > 1e-9 || !s.FromRollups {
			t.Errorf("window %d ms: %d readings, mean %.6f W, from rollups %v; want %d, %.6f W, true", c.windowMS, s.N, s.Mean, s.FromRollups, c.n, c.mean)
		}
	}
}

// TestCheckBlockAfterPrunedHours: with hours kept only as rollups (1 day
// of raw) before it, a raw block whose second reading has the first's
// offset (a time twice) is named, as out of order.
func TestCheckBlockAfterPrunedHours(t *testing.T) {
	db, path := smallDB(t)
	if _, err := db.SetRetention(ctx, Retention{RawDays: 1}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 0; h < 72; h++ {
		fmt.Fprintf(&b, "%d,app-03,%d\n", t0+3600*h, 10*(1+h/24))
	}
	fmt.Fprintf(&b, "%d,app-03,35\n", t0+71*3600+60)
	mustImport(t, db, "twice.csv", b.String())
	db.Close()
	raw := rawDB(t, path)
	exec(t, raw, fmt.Sprintf("UPDATE reading_hour SET data = CAST(substr(data, 1, 12) || substr(data, 1, 12) AS BLOB) WHERE hour_ms = %d", (t0+71*3600)*1000))
	raw.Close()
	db = reopen(t, path)
	defer db.Close()
	rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
	if err != nil || len(rep.Problems) == 0 || rep.Problems[0].Invariant != InvReadingBlocks || !strings.Contains(rep.Problems[0].Message, "reading 1 (offset 0 ms, value 30) out of order") {
		t.Errorf("a time twice in a block: %v, %v", rep.Problems, err)
	}
}

// TestImportIntoPrunedHour: readings imported into an hour already kept
// only as rollups (1 day of raw; 72 hourly readings of 10, 20 and 30 W a
// day and 10 W at t0+10 h 10 min, 1,450 W in all) fill the rollup of a
// bucket that holds none (50 W at t0+10 h 20 min) and leave those that
// hold one as they are (90 W at t0+10 h 1 min, beside the 10 W of t0+10
// h, and 70 W at t0+10 h 11 min, beside that of 10 h 10 min): 74 readings
// over the three days, mean 1,500 / 74 W.
func TestImportIntoPrunedHour(t *testing.T) {
	db, _ := smallDB(t)
	if _, err := db.SetRetention(ctx, Retention{RawDays: 1}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 0; h < 72; h++ {
		fmt.Fprintf(&b, "%d,app-03,%d\n", t0+3600*h, 10*(1+h/24))
	}
	fmt.Fprintf(&b, "%d,app-03,10\n", t0+10*3600+600)
	mustImport(t, db, "base.csv", b.String())
	mustImport(t, db, "late.csv", fmt.Sprintf("time,element,power_w\n%d,app-03,50\n%d,app-03,90\n%d,app-03,70\n", t0+10*3600+1200, t0+10*3600+60, t0+10*3600+660))
	st, _, err := db.Stats(ctx, "small-dc", 72*3_600_000, 0)
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	if s := st[0]; s.N != 74 || math.Abs(s.Mean-1500.0/74) > 1e-9 {
		t.Errorf("after the late file: %d readings, mean %.6f W; want 74, %.6f W", s.N, s.Mean, 1500.0/74)
	}
}
