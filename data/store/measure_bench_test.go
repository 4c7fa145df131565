package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"blackstart/data/generate"
)

// benchReadings writes the readings file of the import benchmark: racks
// racks of 10 devices (a generated site), one reading per device per
// minute, in time order as PDUs export them, count readings in all.
func benchReadings(b *testing.B, dir string, racks, count int) (model []byte, readings string) {
	b.Helper()
	var site bytes.Buffer
	if err := generate.Site(&site, generate.SiteOptions{Racks: racks, PerRack: 10, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	devs := make([]generate.MeteredDevice, 0, racks*10)
	for r := 1; r <= racks; r++ {
		for s := 1; s <= 10; s++ {
			devs = append(devs, generate.MeteredDevice{ID: fmt.Sprintf("r%04d-s%02d", r, s), LevelW: 300})
		}
	}
	path := filepath.Join(dir, "readings.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	n, err := generate.Readings(f, devs, generate.ReadingsOptions{StartMS: t0 * 1000, IntervalMS: 60_000, Count: count / len(devs), Seed: 1})
	if err != nil || n != count {
		b.Fatalf("wrote %d readings (%v), want %d", n, err, count)
	}
	f.Close()
	return site.Bytes(), path
}

// BenchmarkImport imports readings files in time order, parsing and
// checks included, into a new database each time: readings/s, the
// database's bytes per reading and the write-ahead log's peak size
// (sampled every 2 ms) are reported. The 10M case is docs/performance.md's
// figure (go test ./data/store -run XXX -bench 'Import/readings=10000000'
// -benchtime 1x).
func BenchmarkImport(b *testing.B) {
	for _, count := range []int{1_000_000, 10_000_000} {
		b.Run("readings="+strconv.Itoa(count), func(b *testing.B) {
			dir := b.TempDir()
			site, path := benchReadings(b, dir, 100, count)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dbPath := filepath.Join(dir, fmt.Sprintf("bench%d.db", i))
				db, err := Open(dbPath, Options{Create: true})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.Commit(ctx, CommitRequest{Files: []File{{Name: "site.toml", Data: site}}, Author: "bench", Message: "site"}); err != nil {
					b.Fatal(err)
				}
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				// The write-ahead log's largest size during the import.
				stop, peak := make(chan struct{}), make(chan int64)
				go func() {
					var most int64
					tick := time.NewTicker(2 * time.Millisecond)
					defer tick.Stop()
					for {
						var st syscall.Stat_t
						if syscall.Stat(dbPath+"-wal", &st) == nil {
							most = max(most, st.Size)
						}
						select {
						case <-stop:
							peak <- most
							return
						case <-tick.C:
						}
					}
				}()
				b.StartTimer()
				res, err := db.ImportReadings(ctx, "generated-100x10-seed1", "readings.csv", f, ImportOptions{})
				b.StopTimer()
				close(stop)
				b.ReportMetric(float64(<-peak)/1e6, "wal_peak_MB")
				f.Close()
				if err != nil || res.Added != count {
					b.Fatalf("import: %+v, %v; want %d readings added", res, err, count)
				}
				db.Close()
				st, _ := os.Stat(dbPath)
				b.ReportMetric(float64(st.Size())/float64(count), "db_bytes/reading")
				removeDB(dbPath)
				b.StartTimer()
			}
			b.ReportMetric(float64(count)*float64(b.N)/b.Elapsed().Seconds(), "readings/s")
		})
	}
}

// BenchmarkImportBackfill imports a readings file older than what the
// store holds (a backfill: an export imported after the next one), the
// case where every hour block is staged and merged in the publishing
// transaction, each looked up in the raw blocks and, having none, in the
// rollups (an hour pruned and held again by a raised retention is taken
// as past the retention). The newer file, as long, is imported first,
// untimed; each run uses a new database. readings/s as BenchmarkImport.
func BenchmarkImportBackfill(b *testing.B) {
	for _, count := range []int{1_000_000} {
		b.Run("readings="+strconv.Itoa(count), func(b *testing.B) {
			dir := b.TempDir()
			site, early := benchReadings(b, dir, 100, count)
			late := filepath.Join(dir, "late.csv")
			if err := os.Rename(early, late); err != nil {
				b.Fatal(err)
			}
			// The same devices, the hours after the early file's.
			devs := make([]generate.MeteredDevice, 0, 1000)
			for r := 1; r <= 100; r++ {
				for s := 1; s <= 10; s++ {
					devs = append(devs, generate.MeteredDevice{ID: fmt.Sprintf("r%04d-s%02d", r, s), LevelW: 300})
				}
			}
			f, err := os.Create(early)
			if err != nil {
				b.Fatal(err)
			}
			minutes := count / len(devs)
			if n, err := generate.Readings(f, devs, generate.ReadingsOptions{StartMS: (t0 - int64(minutes)*60) * 1000, IntervalMS: 60_000, Count: minutes, Seed: 2}); err != nil || n != count {
				b.Fatalf("wrote %d readings (%v), want %d", n, err, count)
			}
			f.Close()
			importFile := func(db *DB, path string) ImportResult {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				res, err := db.ImportReadings(ctx, "generated-100x10-seed1", filepath.Base(path), f, ImportOptions{})
				if err != nil || res.Added != count {
					b.Fatalf("import %s: %+v, %v; want %d readings added", path, res, err, count)
				}
				return res
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dbPath := filepath.Join(dir, fmt.Sprintf("bench%d.db", i))
				db, err := Open(dbPath, Options{Create: true})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.Commit(ctx, CommitRequest{Files: []File{{Name: "site.toml", Data: site}}, Author: "bench", Message: "site"}); err != nil {
					b.Fatal(err)
				}
				importFile(db, late)
				b.StartTimer()
				importFile(db, early)
				b.StopTimer()
				db.Close()
				removeDB(dbPath)
				b.StartTimer()
			}
			b.ReportMetric(float64(count)*float64(b.N)/b.Elapsed().Seconds(), "readings/s")
		})
	}
}
