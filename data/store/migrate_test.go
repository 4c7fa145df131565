package store

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateFixtures = flag.Bool("update-fixtures", false, "rewrite testdata/vN.db for the current schema version N")

// fixtureModels is what every fixture database holds: model name and
// revision count (the revisions commit the bundled examples).
var fixtureModels = map[string]int{"incident-2019": 1, "small-dc": 2}

// TestWriteFixture writes testdata/vN.db for the current schema version
// when -update-fixtures is given; a fixture of every released version is
// committed and never rewritten afterwards.
func TestWriteFixture(t *testing.T) {
	path := fmt.Sprintf("testdata/v%d.db", SchemaVersion())
	if !*updateFixtures {
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("no fixture for the current schema version: %v (run go test ./data/store -run TestWriteFixture -update-fixtures)", err)
		}
		return
	}
	os.Remove(path)
	db, err := Open(path, Options{Create: true, Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, "", "the incident rack", readFiles(t, incident)...)
	small := readFiles(t, smallPow, smallWork)
	commit(t, db, "", "two rows and a UPS pair", small...)
	small[1].Data = append(slices.Clone(small[1].Data), []byte("\n# reviewed\n")...)
	commit(t, db, "", "workloads reviewed", small...)
	// From schema version 2: the example readings of small-dc.
	for _, f := range []string{"../../examples/small-dc/readings.csv", "../../examples/small-dc/pdu-r1-01-a.jsonl"} {
		data := readFiles(t, f)[0].Data
		if _, err := db.ImportReadings(ctx, "small-dc", filepath.Base(f), bytes.NewReader(data), ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A backup is one self-contained file, as a released database would be
	// kept: the fixture is one.
	if _, err := db.Backup(ctx, path+".tmp", CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	removeDB(path + ".tmp")
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateFixtures opens a copy of the fixture of every schema version:
// each migrates to the current version and keeps its history whole.
func TestMigrateFixtures(t *testing.T) {
	fixtures, _ := filepath.Glob("testdata/v*.db")
	if len(fixtures) != SchemaVersion() {
		t.Fatalf("fixtures %v, want one per schema version 1..%d", fixtures, SchemaVersion())
	}
	for _, f := range fixtures {
		t.Run(filepath.Base(f), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "copy.db")
			copyFile(t, f, path)
			db, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if v, err := db.Version(ctx); err != nil || v != SchemaVersion() {
				t.Errorf("version after migrating %s = %d, %v; want %d", f, v, err, SchemaVersion())
			}
			rep, err := db.Check(ctx, CheckOptions{})
			if err != nil || len(rep.Problems) != 0 {
				t.Errorf("Check after migrating: %v, %v", rep.Problems, err)
			}
			// From v2 the fixture holds small-dc's example readings: 1,680
			// device and 192 rack PDU values.
			var fv int
			fmt.Sscanf(filepath.Base(f), "v%d.db", &fv)
			if want := map[bool]int64{true: 1872, false: 0}[fv >= 2]; rep.Measurements.Readings != want {
				t.Errorf("readings after migrating %s: %d, want %d", f, rep.Measurements.Readings, want)
			}
			ms, err := db.Models(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, m := range ms {
				got[m.Name] = m.Revisions
			}
			if fmt.Sprint(got) != fmt.Sprint(fixtureModels) {
				t.Errorf("models %v, want %v", got, fixtureModels)
			}
			_, files, err := db.Files(ctx, "small-dc", "@1")
			if err != nil {
				t.Fatal(err)
			}
			want := readFiles(t, smallPow, smallWork)
			for i := range files {
				if string(files[i].Data) != string(want[i].Data) {
					t.Errorf("small-dc@1 %s differs from the example it was committed from", files[i].Name)
				}
			}
		})
	}
}

// TestMigrationMachinery applies a further migration, then a failing one,
// then opens the migrated database with the real (older) list.
func TestMigrationMachinery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	copyFile(t, fmt.Sprintf("testdata/v%d.db", SchemaVersion()), path)
	next := append(slices.Clone(migrations), migration{name: "9999_extra.sql", sql: "CREATE TABLE extra(x INTEGER) STRICT;"})
	db, err := open(path, Options{}, next)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := db.Version(ctx); v != len(next) {
		t.Errorf("version after the extra migration = %d, want %d", v, len(next))
	}
	db.Close()

	bad := append(slices.Clone(next), migration{name: "9999_bad.sql", sql: "CREATE TABLE half(x); CREATE TABLE broken(;"})
	if _, err := open(path, Options{}, bad); err == nil || !strings.Contains(err.Error(), "9999_bad.sql") {
		t.Fatalf("a failing migration = %v, want an error naming it", err)
	}
	raw := rawDB(t, path)
	var v, half int
	raw.QueryRow("PRAGMA user_version").Scan(&v)
	raw.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'half'").Scan(&half)
	raw.Close()
	if v != len(next) || half != 0 {
		t.Errorf("after the failing migration: version %d, table half %d; want %d and none (one transaction)", v, half, len(next))
	}

	before, _ := os.ReadFile(path)
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewer) {
		t.Errorf("Open of a database migrated past this binary = %v, want ErrNewer", err)
	}
	if after, _ := os.ReadFile(path); string(before) != string(after) {
		t.Errorf("refusing a newer database changed it")
	}
}

// TestMigrationTruncatesWAL: migrating a version 5 database that holds
// batches (version 6 copies each of them into the rebuilt incident_batch)
// leaves no write-ahead log the size of the copy behind it while the
// database stays open: before, the log of 40 batches of 80 kB stayed at
// 3.2 MB until the last connection closed.
func TestMigrationTruncatesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v5.db")
	old, err := open(path, Options{Create: true, Now: clock()}, migrations[:5])
	if err != nil {
		t.Fatal(err)
	}
	commit(t, old, "", "the incident rack", readFiles(t, incident)...)
	in, err := old.CreateIncident(ctx, "incident-2019", "", "", 1_000)
	if err != nil {
		t.Fatal(err)
	}
	ev := bytes.Repeat([]byte("{\"t_s\":1,\"instance\":\"a#0\",\"node\":\"n\",\"state\":\"up\"}\n"), 80_000/52)
	const batches = 40
	for s := 1; s <= batches; s++ {
		if _, err := old.w.ExecContext(ctx, "INSERT INTO incident_batch(incident_id, seq, key, body_sha256, first, count, events, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
			in.ID, s, fmt.Sprint("k", s), strings.Repeat("0", 64), 0, 0, ev); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(ctx); v != SchemaVersion() {
		t.Fatalf("version %d after migrating, want %d", v, SchemaVersion())
	}
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM incident_batch").Scan(&n); err != nil || n != batches {
		t.Fatalf("%d batches after migrating, %v; want %d", n, err, batches)
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 0 {
		t.Errorf("the write-ahead log holds %d bytes after migrating %d batches of %d bytes, want 0 (checkpointed and truncated)", st.Size(), batches, len(ev))
	}
}
