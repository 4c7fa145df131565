package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkTemplate is a database holding small-dc@1 (power.toml and
// workloads.toml), @2 (workloads.toml with a comment added) and the hand
// readings of app-01 (23 readings in the hour t0), closed; what its
// builder saw is returned beside its path.
type checkTemplate struct {
	path             string
	rev1, rev2       string // revision hashes
	power, work      string // blob hashes of @1's files
	work2            string // blob hash of @2's workloads.toml
	powerLen, work2N int    // their sizes, bytes
}

func newCheckTemplate(t *testing.T) checkTemplate {
	t.Helper()
	db, path := smallDB(t)
	files := readFiles(t, smallPow, smallWork)
	changed := slices.Clone(files)
	changed[1].Data = append(slices.Clone(files[1].Data), []byte("\n# edited\n")...)
	r2 := commit(t, db, "", "second", changed...)
	log, err := db.Log(ctx, "small-dc")
	if err != nil {
		t.Fatal(err)
	}
	mustImport(t, db, "hand.csv", handReadings())
	if rep, err := db.Check(ctx, CheckOptions{}); err != nil || len(rep.Problems) != 0 {
		t.Fatalf("the template: %v, %v", rep.Problems, err)
	}
	db.Close()
	hash := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	return checkTemplate{path: path, rev1: log[1].SHA256, rev2: r2.Revision.SHA256,
		power: hash(files[0].Data), work: hash(files[1].Data), work2: hash(changed[1].Data),
		powerLen: len(files[0].Data), work2N: len(changed[1].Data)}
}

// broken copies the template, runs stmts on the copy with SQLite's checks
// and the triggers that keep history immutable lifted (the triggers are
// put back as they were, so the schema stays this version's), and returns
// what Check then finds, as "invariant: message" lines.
func (tp checkTemplate) broken(t *testing.T, o CheckOptions, stmts ...string) []string {
	t.Helper()
	data, err := os.ReadFile(tp.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "broken.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	rows, err := raw.Query("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'")
	if err != nil {
		t.Fatal(err)
	}
	var triggers [][2]string
	for rows.Next() {
		var tr [2]string
		if err := rows.Scan(&tr[0], &tr[1]); err != nil {
			t.Fatal(err)
		}
		triggers = append(triggers, tr)
	}
	rows.Close()
	exec(t, raw, "PRAGMA foreign_keys = OFF", "PRAGMA ignore_check_constraints = ON")
	for _, tr := range triggers {
		exec(t, raw, "DROP TRIGGER "+tr[0])
	}
	exec(t, raw, stmts...)
	for _, tr := range triggers {
		if _, err := raw.Exec(tr[1]); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatal(err)
		}
	}
	raw.Close()
	db := reopen(t, path)
	defer db.Close()
	return checkLines(t, db, o)
}

func checkLines(t *testing.T, db *DB, o CheckOptions) []string {
	t.Helper()
	rep, err := db.Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, p := range rep.Problems {
		out = append(out, p.String())
	}
	return out
}

// TestCheckNamesEachBrokenInvariant breaks a database in one way at a
// time, as only a bug or a hand edit could, and requires Check to name
// exactly what is broken: each invariant's failure branch and message.
func TestCheckNamesEachBrokenInvariant(t *testing.T) {
	tp := newCheckTemplate(t)
	s := short
	x := strings.Repeat("0", 64)
	empty := hashInfos(nil) // the hash of a revision without files
	hour := int64(t0) * 1000
	cases := []struct {
		name  string
		stmts []string
		want  []string
	}{
		{"a blob nothing refers to", []string{
			"INSERT INTO blob VALUES ('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 1, CAST('x' AS BLOB))"},
			[]string{"blob-referenced: blob 2d711642b726 belongs to no revision"}},
		{"a blob's bytes changed", []string{
			"UPDATE blob SET data = CAST('x' AS BLOB) WHERE sha256 = '" + tp.power + "'"},
			[]string{
				"blob-hash: blob " + s(tp.power) + " holds bytes whose SHA-256 is 2d711642b726",
				fmt.Sprintf("blob-hash: blob %s records %d bytes, holds 1", s(tp.power), tp.powerLen)}},
		{"a blob's size wrong", []string{
			"UPDATE blob SET size_bytes = size_bytes + 1 WHERE sha256 = '" + tp.work2 + "'"},
			// revision-hash reads names and blob hashes, not sizes: one problem.
			[]string{fmt.Sprintf("blob-hash: blob %s records %d bytes, holds %d", s(tp.work2), tp.work2N+1, tp.work2N)}},
		{"a model without revisions", []string{
			"INSERT INTO model (name, created_ms) VALUES ('empty', 5)"},
			[]string{`model-has-revisions: model "empty" has no revision`}},
		{"a revision without files", []string{
			"INSERT INTO revision (model_id, seq, parent_id, sha256, author, message, created_ms) VALUES (1, 3, 2, '" + empty + "', 'a', 'm', 5)"},
			[]string{"revision-files: small-dc@3 has 0 files at positions -1..-1"}},
		{"a revision's first file gone", []string{
			"DELETE FROM revision_file WHERE revision_id = 2 AND pos = 0"},
			[]string{
				"revision-files: small-dc@2 has 1 files at positions 1..1",
				"revision-hash: small-dc@2 records hash " + s(tp.rev2) + ", its files hash to " +
					s(hashInfos([]FileInfo{{Name: "workloads.toml", SHA256: tp.work2}}))}},
		{"a revision's files at 0 and 2", []string{
			"UPDATE revision_file SET pos = 2 WHERE revision_id = 2 AND pos = 1"},
			[]string{"revision-files: small-dc@2 has 2 files at positions 0..2"}},
		{"a revision's hash wrong", []string{
			"UPDATE revision SET sha256 = '" + x + "' WHERE seq = 2"},
			[]string{"revision-hash: small-dc@2 records hash 000000000000, its files hash to " + s(tp.rev2)}},
		{"@1 with a parent", []string{
			"UPDATE revision SET parent_id = 2 WHERE seq = 1"},
			[]string{"parent-chain: small-dc@1 has a parent (small-dc@2): the first revision must be a root"}},
		{"@2 without a parent", []string{
			"UPDATE revision SET parent_id = NULL WHERE seq = 2"},
			[]string{"parent-chain: small-dc@2 has no parent: its chain ends before @1"}},
		{"a parent that does not exist", []string{
			"UPDATE revision SET parent_id = 99 WHERE seq = 2"},
			[]string{
				"foreign-keys: a row of revision (rowid 2) refers to a missing row of revision",
				"parent-chain: small-dc@2's parent does not exist"}},
		{"@2 its own parent", []string{
			"UPDATE revision SET parent_id = 2 WHERE seq = 2"},
			[]string{
				"parent-chain: small-dc@2's parent is small-dc@2, want small-dc@1",
				"no-identical-parent: small-dc@2 has the same files as its parent @2"}},
		{"a gap in the chain", []string{
			"UPDATE revision SET seq = 3 WHERE seq = 2"},
			[]string{
				"parent-chain: small-dc@3's parent is small-dc@1, want small-dc@2",
				`parent-chain: model "small-dc" has 2 revisions numbered up to @3: the chain has a gap`}},
		{"@2 with @1's hash", []string{
			"UPDATE revision SET sha256 = '" + tp.rev1 + "' WHERE seq = 2"},
			[]string{
				"revision-hash: small-dc@2 records hash " + s(tp.rev1) + ", its files hash to " + s(tp.rev2),
				"no-identical-parent: small-dc@2 has the same files as its parent @1"}},
		{"times not positive", []string{
			"UPDATE model SET created_ms = 0", "UPDATE revision SET created_ms = -1 WHERE seq = 2",
			"UPDATE revision SET created_ms = 1 WHERE seq = 1"}, // 1 ms after the epoch is a time
			[]string{`times: model "small-dc" created at 0 ms`, "times: small-dc@2 committed at -1 ms"}},
		{"schema objects", []string{
			"DROP INDEX revision_by_sha256", "CREATE TABLE extra (x)",
			"DROP TRIGGER IF EXISTS revision_kept",
			"CREATE TRIGGER revision_kept BEFORE DELETE ON revision BEGIN SELECT RAISE(ABORT, 'no'); END"},
			// The order of the missing and the changed is a map's: sorted below.
			[]string{
				"schema: index revision_by_sha256 is missing",
				"schema: table extra is not part of the schema",
				"schema: trigger revision_kept differs from this version's definition"}},
		{"a block's length not n readings", []string{
			"UPDATE reading_hour SET n = 24"},
			// SQLite's integrity_check sees the table's CHECK (length(data) = 12 * n) fail too.
			[]string{"sqlite-integrity: CHECK constraint failed in reading_hour", fmt.Sprintf("reading-blocks: app-01 power_w, hour %d: 276 bytes for 24 readings", hour)}},
		{"a reading below 0", []string{
			// reading 0's value (bytes 5..12) set to -1.0 (0xbff0000000000000, little-endian)
			"UPDATE reading_hour SET data = CAST(substr(data, 1, 4) || X'000000000000F0BF' || substr(data, 13) AS BLOB)"},
			[]string{fmt.Sprintf("reading-blocks: app-01 power_w, hour %d: reading 0 (offset 0 ms, value -1) out of order, outside the hour or not a finite value >= 0", hour)}},
		{"a reading of 0", []string{
			// 0 W is a reading: only the rollup of its bucket no longer matches (1..20 W → 0, 2..20 W).
			"UPDATE reading_hour SET data = CAST(substr(data, 1, 4) || X'0000000000000000' || substr(data, 13) AS BLOB)"},
			[]string{fmt.Sprintf("rollups-match-raw: app-01 power_w, bucket %d: rollup n=20 min=1 mean=10.5 max=20 p95=19, its readings give n=20 min=0 mean=10.45 max=20 p95=19", hour)}},
		{"a reading at the end of its hour", []string{
			// the last reading's offset (bytes 265..268) set to 3,600,000 ms (0x0036ee80)
			"UPDATE reading_hour SET data = CAST(substr(data, 1, 264) || X'80EE3600' || substr(data, 269) AS BLOB)"},
			[]string{fmt.Sprintf("reading-blocks: app-01 power_w, hour %d: reading 22 (offset 3600000 ms, value 7) out of order, outside the hour or not a finite value >= 0", hour)}},
		{"a reading in the hour's last ms", []string{
			// offset 3,599,999 ms (0x0036ee7f): in order and inside the hour, in a bucket without a rollup
			"UPDATE reading_hour SET data = CAST(substr(data, 1, 264) || X'7FEE3600' || substr(data, 269) AS BLOB)"},
			[]string{
				fmt.Sprintf("rollups-match-raw: app-01 power_w, bucket %d: rollup n=3 min=5 mean=37.333333333333336 max=100 p95=100, its readings give n=2 min=5 mean=52.5 max=100 p95=100", hour+300_000),
				fmt.Sprintf("rollups-match-raw: app-01 power_w, bucket %d: raw readings without a rollup", hour+3_300_000)}},
		{"a rollup gone", []string{
			fmt.Sprintf("DELETE FROM rollup_5m WHERE bucket_ms = %d", hour)},
			[]string{fmt.Sprintf("rollups-match-raw: app-01 power_w, bucket %d: raw readings without a rollup", hour)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tp.broken(t, CheckOptions{SkipModels: true}, c.stmts...)
			if c.name == "schema objects" {
				slices.Sort(got)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Check found\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
			}
		})
	}
}

// TestCheckHeader: an application_id or user_version changed under an
// open database is named (Open refuses such a file, so only a change made
// while it is open reaches Check).
func TestCheckHeader(t *testing.T) {
	tp := newCheckTemplate(t)
	db := reopen(t, tp.path)
	defer db.Close()
	raw := rawDB(t, tp.path)
	exec(t, raw, "PRAGMA application_id = 7", "PRAGMA user_version = 99")
	raw.Close()
	got := checkLines(t, db, CheckOptions{SkipModels: true})
	want := []string{
		"schema: application_id 0x7, want 0x42534442",
		fmt.Sprintf("schema: schema version 99, want %d", SchemaVersion()),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Check found %q, want %q", got, want)
	}
}

// TestCheckCapsProblems: one invariant lists at most 20 problems, then
// says more were not listed: 20 orphan blobs are 20 lines, 21 are 20 and
// the note.
func TestCheckCapsProblems(t *testing.T) {
	tp := newCheckTemplate(t)
	orphans := func(n int) string {
		var rows []string
		for i := range n {
			b := fmt.Sprint(i)
			h := sha256.Sum256([]byte(b))
			rows = append(rows, fmt.Sprintf("('%x', %d, CAST('%s' AS BLOB))", h, len(b), b))
		}
		return "INSERT INTO blob VALUES " + strings.Join(rows, ", ")
	}
	for _, n := range []int{20, 21, 22} {
		got := tp.broken(t, CheckOptions{SkipModels: true}, orphans(n))
		wantLen, more := min(n, 21), n > 20
		if len(got) != wantLen || (got[len(got)-1] == "blob-referenced: more problems not listed") != more {
			t.Errorf("%d orphan blobs: %d problems, last %q; want %d, the note %v", n, len(got), got[len(got)-1], wantLen, more)
		}
	}
}

// TestCheckRevisionLoads: a revision whose files no longer load is named
// with the first line of the loader's error.
func TestCheckRevisionLoads(t *testing.T) {
	tp := newCheckTemplate(t)
	bad := []byte("[site]\nname = 7\n")
	h := sha256.Sum256(bad)
	got := tp.broken(t, CheckOptions{},
		fmt.Sprintf("UPDATE revision_file SET blob_sha256 = '%x' WHERE revision_id = 2 AND pos = 0", h),
		fmt.Sprintf("INSERT INTO blob VALUES ('%x', %d, X'%x')", h, len(bad), bad))
	if len(got) == 0 {
		t.Fatal("no problem found")
	}
	last := got[len(got)-1]
	// The loader's first line only: a problem is one line.
	if !strings.HasPrefix(last, "revision-loads: small-dc@2 does not load: small-dc@2/power.toml") || strings.Contains(last, "\n") {
		t.Errorf("the last problem %q, want small-dc@2 not loading (all: %q)", last, got)
	}
	if got := tp.broken(t, CheckOptions{SkipModels: true}, fmt.Sprintf("UPDATE revision_file SET blob_sha256 = '%x' WHERE revision_id = 2 AND pos = 0", h),
		fmt.Sprintf("INSERT INTO blob VALUES ('%x', %d, X'%x')", h, len(bad), bad)); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "revision-loads") }) {
		t.Errorf("SkipModels still loads the revisions: %q", got)
	}
}
