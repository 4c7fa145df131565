package store

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// prunedDB is smallDB with one day of raw readings kept and three days
// of app-03 imported, one reading an hour at t0 + h hours: 10 W on day 1,
// 20 W on day 2, 30 W on day 3. The newest is t0+71 h, so raw hours 0–46
// are pruned (their rollups stay) and 47–71 are kept.
func prunedDB(t *testing.T) *DB {
	t.Helper()
	db, _ := smallDB(t)
	if _, err := db.SetRetention(ctx, Retention{RawDays: 1}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 0; h < 72; h++ {
		fmt.Fprintf(&b, "%d,app-03,%d\n", t0+3600*h, 10*(1+h/24))
	}
	mustImport(t, db, "3d.csv", b.String())
	return db
}

// TestImportIntoPrunedHourBuckets: readings imported into a raw hour already
// pruned fill only the 5-minute buckets that hold no rollup: hour 0's
// bucket 0 keeps its 10 W (99 W given again is not taken), bucket 2
// (t0+610 s and t0+620 s) gets 20 W and 40 W (n 2, mean 30 W), bucket 11
// (t0+3,300 s) 30 W; a second file's 50 W in bucket 2 is not taken
// either. Stats over 72 h 1 min (from 1 min before t0) then counts 75
// readings: (240 + 480 + 720 + 60 + 30) / 75 = 20.4 W.
func TestImportIntoPrunedHourBuckets(t *testing.T) {
	db := prunedDB(t)
	res := mustImport(t, db, "late.csv", fmt.Sprintf("time,element,power_w\n%d,app-03,99\n%d,app-03,20\n%d,app-03,40\n%d,app-03,30\n", t0, t0+610, t0+620, t0+3300))
	if res.PastRetention != 4 || res.Added != 0 {
		t.Errorf("added %d, past retention %d; want 0 and 4", res.Added, res.PastRetention)
	}
	if res := mustImport(t, db, "later.csv", fmt.Sprintf("time,element,power_w\n%d,app-03,50\n", t0+630)); res.PastRetention != 1 {
		t.Errorf("second file: past retention %d, want 1", res.PastRetention)
	}
	rs, err := db.Rollups(ctx, "small-dc", "app-03", "", QuantityPower, t0*1000, (t0+3600)*1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []Rollup{
		{BucketMS: t0 * 1000, N: 1, Min: 10, Mean: 10, Max: 10, P95: 10},
		{BucketMS: (t0 + 600) * 1000, N: 2, Min: 20, Mean: 30, Max: 40, P95: 40},
		{BucketMS: (t0 + 3300) * 1000, N: 1, Min: 30, Mean: 30, Max: 30, P95: 30},
	}
	if fmt.Sprint(rs) != fmt.Sprint(want) {
		t.Errorf("hour 0's rollups:\n got %+v\nwant %+v", rs, want)
	}
	st, _, err := db.Stats(ctx, "small-dc", 72*3_600_000+60_000, 0)
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	if s := st[0]; s.N != 75 || math.Abs(s.Mean-20.4) > 1e-9 || s.FirstMS != t0*1000 || s.Max != 40 {
		t.Errorf("stats: got %+v; want 75 readings from t0, mean 20.4 W, max 40 W", s)
	}
}

// TestStatsRollupAtWindowStart: a pruned hour's bucket that begins just
// after the window's start counts through its rollup. The window of
// 61 h 1 min ends at t0+71 h and starts 1 min before t0+10 h: hours
// 10–46 through rollups (37 readings, 14 of 10 W, 23 of 20 W) and 47–71
// raw (1 of 20 W, 24 of 30 W): 62 readings, mean (140 + 480 + 720) / 62 W.
func TestStatsRollupAtWindowStart(t *testing.T) {
	db := prunedDB(t)
	st, w, err := db.Stats(ctx, "small-dc", 61*3_600_000+60_000, 0)
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	s := st[0]
	if w.StartMS != (t0+10*3600-60)*1000 || s.N != 62 || !s.FromRollups || s.FirstMS != (t0+10*3600)*1000 ||
		math.Abs(s.Mean-1340.0/62) > 1e-9 || s.Max != 30 {
		t.Errorf("window %+v: got %+v; want 62 readings from t0+10 h, mean %.4f W, max 30 W", w, s, 1340.0/62)
	}
	// 61 h exactly: the window starts at t0+10 h, whose reading (and
	// bucket) is outside it: 61 readings from t0+11 h.
	st, _, err = db.Stats(ctx, "small-dc", 61*3_600_000, 0)
	if err != nil || len(st) != 1 || st[0].N != 61 || st[0].FirstMS != (t0+11*3600)*1000 {
		t.Errorf("61 h: got %+v, %v; want 61 readings from t0+11 h", st, err)
	}
}

// TestRetentionRaisedAfterPrune: with the raw retention raised to 5 days
// after hours 0–46 were pruned, a reading of 15 W at t0+10 h 30 min
// (hour 10: pruned, its rollups stay) only fills its bucket's rollup,
// and one of 40 W at t0−1 h (an hour never stored) is kept raw. Stats
// over 77 h (from t0−6 h) then counts all 74 readings: hours 0–46
// through rollups between the raw hours −1 and 47–71, mean (240 + 480 +
// 720 + 15 + 40) / 74 W. Before, hour 10 became a raw hour of one
// reading and Stats read rollups only before the first raw hour: 27
// readings. A window of 26 h ending at t0+20 h counts the raw 40 W and
// hours 0–20 through rollups after it, 15 W included: 23 readings.
func TestRetentionRaisedAfterPrune(t *testing.T) {
	db := prunedDB(t)
	if _, err := db.SetRetention(ctx, Retention{RawDays: 5}); err != nil {
		t.Fatal(err)
	}
	res := mustImport(t, db, "late.csv", fmt.Sprintf("time,element,power_w\n%d,app-03,15\n%d,app-03,40\n", t0+10*3600+1800, t0-3600))
	if res.Added != 1 || res.PastRetention != 1 {
		t.Errorf("added %d, past retention %d; want 1 and 1", res.Added, res.PastRetention)
	}
	rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
	if err != nil || rep.Measurements.Readings != 26 || rep.Measurements.Rollups != 74 || len(rep.Problems) != 0 {
		t.Errorf("check: %+v, problems %v, %v; want 26 raw readings, 74 rollups", rep.Measurements, rep.Problems, err)
	}
	st, w, err := db.Stats(ctx, "small-dc", 77*3_600_000, 0)
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	s := st[0]
	if s.N != 74 || !s.FromRollups || s.FirstMS != (t0-3600)*1000 || math.Abs(s.Mean-1495.0/74) > 1e-9 || s.Max != 40 || s.P95 != 30 {
		t.Errorf("window %+v: got %+v; want 74 readings from t0−1 h, mean %.4f W, max 40 W, p95 30 W", w, s, 1495.0/74)
	}
	st, _, err = db.Stats(ctx, "small-dc", 26*3_600_000, (t0+20*3600)*1000)
	if err != nil || len(st) != 1 || st[0].N != 23 || math.Abs(st[0].Mean-265.0/23) > 1e-9 || st[0].FirstMS != (t0-3600)*1000 || st[0].LastMS != (t0+20*3600)*1000 {
		t.Errorf("26 h to t0+20 h: got %+v, %v; want 23 readings from t0−1 h to t0+20 h, mean %.4f W", st, err, 265.0/23)
	}
}

// TestPruneCountsOnlyAbandoned: Prune counts and removes the imports not
// marked alive for 60 s (staleImportMS), not one marked 30 s before the
// clock (2026-01-02T03:04:05Z, 1,767,323,045,000 ms).
func TestPruneCountsOnlyAbandoned(t *testing.T) {
	db, path := smallDB(t)
	db.Close()
	const now = 1_767_323_045_000
	raw := rawDB(t, path)
	exec(t, raw, fmt.Sprintf(`INSERT INTO import (model_id, file, sha256, state, readings, added, first_ms, last_ms, started_ms, updated_ms)
			VALUES (1, 'died.csv', '%[1]s', 'staging', 0, 0, 0, 0, 1, 1), (1, 'alive.csv', '%[1]s', 'staging', 0, 0, 0, 0, 1, %[2]d)`,
		strings.Repeat("0", 64), now-30_000))
	raw.Close()
	at := time.UnixMilli(now)
	db, err := Open(path, Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pr, err := db.Prune(ctx, "small-dc")
	if err != nil || pr.AbandonedImports != 1 {
		t.Errorf("prune: %+v, %v; want 1 abandoned import", pr, err)
	}
	rep, _ := db.Check(ctx, CheckOptions{SkipModels: true})
	if rep.Measurements.StagingImports != 1 {
		t.Errorf("staging imports after prune: %d, want the live one", rep.Measurements.StagingImports)
	}
}

// TestCheckPastPrunedRollups: db check reads the rollups of pruned hours
// (0–46) past and goes on: a wrong rollup of raw hour 50 (max 99 W, its
// reading gives 30 W) is named; then a block of hour 60 whose second
// reading has the first one's time (12-byte readings: the first 4 bytes
// of each are its offset, 0 in a block of one) is named too.
func TestCheckPastPrunedRollups(t *testing.T) {
	db := prunedDB(t)
	path := db.path
	db.Close()
	raw := rawDB(t, path)
	exec(t, raw, fmt.Sprintf("UPDATE rollup_5m SET max = 99 WHERE bucket_ms = %d", (t0+50*3600)*1000),
		fmt.Sprintf("UPDATE reading_hour SET data = CAST(data || data AS BLOB), n = 2 WHERE hour_ms = %d", (t0+60*3600)*1000))
	raw.Close()
	db = reopen(t, path)
	defer db.Close()
	rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
	if err != nil || len(rep.Problems) != 2 || rep.Problems[0].Invariant != InvRollups || !strings.Contains(rep.Problems[0].Message, "max=99") ||
		rep.Problems[1].Invariant != InvReadingBlocks || !strings.Contains(rep.Problems[1].Message, "reading 1 (offset 0 ms") {
		t.Errorf("got %v, %v; want hour 50's rollup and hour 60's block named", rep.Problems, err)
	}
}
