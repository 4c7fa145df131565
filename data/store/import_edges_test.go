package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// rollupsOf returns the element's power rollups as "bucket start - t0 in
// ms: n min mean max p95" lines.
func rollupsOf(t *testing.T, db *DB, element string) []string {
	t.Helper()
	rs, err := db.Rollups(ctx, "small-dc", element, "", QuantityPower, 0, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d: %d %g %g %g %g", r.BucketMS-t0*1000, r.N, r.Min, r.Mean, r.Max, r.P95))
	}
	return out
}

func sizesOf(t *testing.T, db *DB) MeasureSizes {
	t.Helper()
	rep, err := db.Check(ctx, CheckOptions{SkipModels: true})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("check: %v %v", rep.Problems, err)
	}
	return rep.Measurements
}

// TestImportHourAndBucketEdges: readings on the last and first
// millisecond of hours and 5-minute buckets land in the block and the
// rollup they belong to (hour = time - time mod 3,600,000 ms; bucket =
// offset / 300,000 ms).
func TestImportHourAndBucketEdges(t *testing.T) {
	db, _ := smallDB(t)
	res := mustImport(t, db, "edges.csv", "time,element,power_w\n"+
		"1793491199.999,app-01,1\n"+ // the previous hour's last ms
		"1793491200,app-01,2\n"+ // t0: bucket 0's first ms
		"1793491499.999,app-01,3\n"+ // bucket 0's last ms
		"1793491500,app-01,4\n"+ // bucket 1's first ms
		"1793494799.999,app-01,5\n") // the hour's last ms, bucket 11
	if res.Added != 5 || res.Series != 1 || res.FirstMS != t0*1000-1 || res.LastMS != t0*1000+3_599_999 {
		t.Errorf("import: %+v", res)
	}
	want := []string{
		"-300000: 1 1 1 1 1", // bucket 11 of the previous hour: its reading is 1 ms before t0
		"0: 2 2 2.5 3 3",
		"300000: 1 4 4 4 4",
		"3300000: 1 5 5 5 5",
	}
	if got := rollupsOf(t, db, "app-01"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rollups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := sizesOf(t, db); m.RawBlocks != 2 || m.Readings != 5 || m.Rollups != 4 {
		t.Errorf("sizes %+v; want 2 raw blocks (two hours), 5 readings, 4 rollups", m)
	}
}

// TestImportHoursMetAgain: a file that goes back to hours it has left
// (hour 0, 1, 0, 1) keeps every reading once: the first value of a time
// given twice, whether the repeat is in the same block or a later one.
func TestImportHoursMetAgain(t *testing.T) {
	db, _ := smallDB(t)
	res := mustImport(t, db, "again.csv", fmt.Sprintf("time,element,power_w\n"+
		"%d,app-01,1\n%d,app-01,9\n%d,app-01,2\n"+ // hour 0: t0, t0 again (9 dropped), t0+60
		"%d,app-01,3\n"+ // hour 1
		"%d,app-01,4\n%d,app-01,8\n"+ // hour 0 again: t0+120, t0 a third time (8 dropped)
		"%d,app-01,5\n%d,app-01,7\n", // hour 1 again: t0+3660, t0+3600 again (7 dropped)
		t0, t0, t0+60, t0+3600, t0+120, t0, t0+3660, t0+3600))
	if res.Values != 8 || res.Added != 5 || res.Duplicates != 3 || res.PastRetention != 0 {
		t.Errorf("import: %+v; want 8 values, 5 added, 3 duplicates", res)
	}
	want := []string{"0: 3 1 2.3333333333333335 4 4", "3600000: 2 3 4 5 5"}
	if got := rollupsOf(t, db, "app-01"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rollups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := sizesOf(t, db); m.RawBlocks != 2 || m.Readings != 5 {
		t.Errorf("sizes %+v; want 2 raw blocks, 5 readings", m)
	}
}

// TestImportRetentionEdge: with 1 day of raw readings, an hour is past
// the retention when it ends at or before the newest reading minus 24 h:
// a file whose newest reading is 25 h after t0 keeps hour 0 as rollups
// only; 1 ms earlier, hour 0 is kept raw. Hour 0 is written while the
// file is read (in place) when the next hour comes, so the file that
// ends 25 h after t0 trims it afterwards; when the file's first reading
// already puts it past, it is never written raw.
func TestImportRetentionEdge(t *testing.T) {
	for _, c := range []struct {
		name         string
		times        []string // seconds after t0
		added, past  int
		raw, rollups int64
	}{
		{"trimmed at the edge", []string{"0", "3600", "90000"}, 2, 1, 2, 3},
		{"kept 1 ms inside", []string{"0", "3600", "89999.999"}, 3, 0, 3, 3},
		{"past when read", []string{"90000", "0"}, 1, 1, 1, 2},
		{"kept when read 1 ms inside", []string{"89999.999", "0"}, 2, 0, 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, _ := smallDB(t)
			if _, err := db.SetRetention(ctx, Retention{RawDays: 1}); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString("time,element,power_w\n")
			for i, s := range c.times {
				whole, frac, _ := strings.Cut(s, ".")
				var n int
				fmt.Sscan(whole, &n)
				if frac != "" {
					frac = "." + frac
				}
				fmt.Fprintf(&b, "%d%s,app-01,%d\n", t0+n, frac, i+1)
			}
			res := mustImport(t, db, "r.csv", b.String())
			if res.Added != c.added || res.PastRetention != c.past || res.Duplicates != 0 {
				t.Errorf("added %d, past retention %d, duplicates %d; want %d, %d, 0", res.Added, res.PastRetention, res.Duplicates, c.added, c.past)
			}
			if m := sizesOf(t, db); m.Readings != c.raw || m.Rollups != c.rollups {
				t.Errorf("sizes %+v; want %d raw readings, %d rollups", m, c.raw, c.rollups)
			}
		})
	}
}

// TestImportDefaultBatch: BatchBlocks 0 (or below) is the default of
// 16,384 blocks a batch, so 80 hour blocks are one batch: Progress is
// called once, with all 80 readings; with BatchBlocks 8, ten times,
// whether the blocks are written in place or staged (imported again).
func TestImportDefaultBatch(t *testing.T) {
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for h := 1; h <= 40; h++ {
		fmt.Fprintf(&b, "%d,app-01,50\n%d,app-02,60\n", t0+3600*h, t0+3600*h)
	}
	for _, c := range []struct{ batch, calls int }{{0, 1}, {-1, 1}, {8, 10}} {
		db, _ := smallDB(t)
		var calls []int
		res, err := db.ImportReadings(ctx, "small-dc", "more.csv", strings.NewReader(b.String()), ImportOptions{BatchBlocks: c.batch, Progress: func(n int) { calls = append(calls, n) }})
		if err != nil || res.Added != 80 {
			t.Fatalf("BatchBlocks %d: %+v, %v; want 80 added", c.batch, res, err)
		}
		if len(calls) != c.calls || calls[len(calls)-1] != 80 {
			t.Errorf("BatchBlocks %d: Progress called with %v; want %d calls, the last with 80 readings", c.batch, calls, c.calls)
		}
		// Again: every hour now holds its values, so every block is
		// staged for the merge; the batches are as many.
		calls = nil
		res, err = db.ImportReadings(ctx, "small-dc", "again.csv", strings.NewReader(b.String()), ImportOptions{BatchBlocks: c.batch, Progress: func(n int) { calls = append(calls, n) }})
		if err != nil || res.Added != 0 || res.Duplicates != 80 {
			t.Fatalf("BatchBlocks %d, again: %+v, %v; want 80 duplicates", c.batch, res, err)
		}
		if len(calls) != c.calls || calls[len(calls)-1] != 80 {
			t.Errorf("BatchBlocks %d, again: Progress called with %v; want %d calls, the last with 80 readings", c.batch, calls, c.calls)
		}
		db.Close()
	}
}

// TestImportPowerAndCurrent: a row with power and current stores both
// (two values, two series), per-line current on a three-phase rack PDU a
// series of its own: 3 readings, 4 values.
func TestImportPowerAndCurrent(t *testing.T) {
	db, _ := smallDB(t)
	res := mustImport(t, db, "both.csv", "time,element,power_w,current_a,line\n"+
		"1793491200,app-01,100,0.5,\n"+
		"1793491260,app-01,120,,\n"+
		"1793491200,pdu-r1-01-a,,4.5,L2\n")
	if res.Readings != 3 || res.Values != 4 || res.Added != 4 || res.Series != 3 {
		t.Errorf("import: %+v; want 3 readings, 4 values added, 3 series", res)
	}
	for _, c := range []struct {
		element, line, quantity string
		want                    string
	}{
		{"app-01", "", QuantityPower, "2 100 110 120"},
		{"app-01", "", QuantityCurrent, "1 0.5 0.5 0.5"},
		{"pdu-r1-01-a", "L2", QuantityCurrent, "1 4.5 4.5 4.5"},
	} {
		rs, err := db.Rollups(ctx, "small-dc", c.element, c.line, c.quantity, 0, math.MaxInt64)
		got := ""
		if len(rs) == 1 && rs[0].BucketMS == t0*1000 {
			got = fmt.Sprintf("%d %g %g %g", rs[0].N, rs[0].Min, rs[0].Mean, rs[0].Max)
		}
		if err != nil || got != c.want {
			t.Errorf("%s %s %s: rollups %+v, %v; want one at t0: %s", c.element, c.line, c.quantity, rs, err, c.want)
		}
	}
}

// TestImportStartFails: an SQLite error other than "busy" while an import
// starts (here a trigger refusing its row) is returned at once; only a
// busy database is waited for.
func TestImportStartFails(t *testing.T) {
	db, path := smallDB(t)
	raw := rawDB(t, path)
	exec(t, raw, "CREATE TRIGGER no_import BEFORE INSERT ON import BEGIN SELECT RAISE(ABORT, 'imports refused'); END")
	raw.Close()
	ctx2, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := db.ImportReadings(ctx2, "small-dc", "hand.csv", strings.NewReader(handReadings()), ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "imports refused") {
		t.Errorf("import with its row refused: %v, want the trigger's error at once", err)
	}
}

// TestImportOutOfOrderInAnHour: readings of one hour given out of order
// are sorted before a time given twice is found: t0 (1 W), t0+60 s (2 W),
// t0 again (9 W, dropped), t0+30 s (3 W) keep 3 values (1, 3, 2 W in time
// order): mean 2 W, and one duplicate.
func TestImportOutOfOrderInAnHour(t *testing.T) {
	db, _ := smallDB(t)
	res := mustImport(t, db, "order.csv", fmt.Sprintf("time,element,power_w\n%d,app-01,1\n%d,app-01,2\n%d,app-01,9\n%d,app-01,3\n",
		t0, t0+60, t0, t0+30))
	if res.Values != 4 || res.Added != 3 || res.Duplicates != 1 {
		t.Errorf("import: %+v; want 4 values, 3 added, 1 duplicate", res)
	}
	if got := strings.Join(rollupsOf(t, db, "app-01"), "\n"); got != "0: 3 1 2 3 3" {
		t.Errorf("rollups %s, want 0: 3 1 2 3 3", got)
	}
}
