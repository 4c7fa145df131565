package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"blackstart/data/store"
)

// tempDB points BLACKSTART_DB at a new path in a temporary directory.
func tempDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "site.db")
	t.Setenv("BLACKSTART_DB", path)
	return path
}

// fixedIncident writes the incident rack with 32 A breakers, the fix.
func fixedIncident(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(incident)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.ReplaceAll(string(data), "rating_a = 16", "rating_a = 32")
	if fixed == string(data) {
		t.Fatal("the incident example has no 16 A rating to change")
	}
	path := filepath.Join(t.TempDir(), "incident-2019.toml")
	if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != want {
		t.Fatalf("blackstart %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

// TestDBQuickStart runs the README's quick start: commit, log, diff, and
// a stored revision read by the analysis commands.
func TestDBQuickStart(t *testing.T) {
	db := tempDB(t)
	fixed := fixedIncident(t)
	out := mustRun(t, exitOK, "db", "commit", "-m", "the incident rack", "--author", "ops", incident)
	if !strings.HasPrefix(out, "committed incident-2019@1 ") || !strings.HasSuffix(out, "(1 file, 1.6 kB): the incident rack\n") {
		t.Errorf("first commit printed %q", out)
	}
	if out := mustRun(t, exitOK, "db", "commit", "-m", "again", incident); !strings.HasPrefix(out, "unchanged: incident-2019@1 ") {
		t.Errorf("identical commit printed %q", out)
	}
	mustRun(t, exitOK, "db", "commit", "-m", "32 A breakers on both sides", "--author", "ops", fixed)

	out = mustRun(t, exitOK, "db", "log")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "model incident-2019: 2 revisions" || !strings.HasPrefix(lines[2], "@2 ") ||
		!strings.Contains(lines[2], "32 A breakers on both sides") || !strings.HasPrefix(lines[3], "@1 ") || !strings.Contains(lines[3], " ops ") {
		t.Errorf("db log:\n%s", out)
	}
	var log struct {
		Model     string           `json:"model"`
		Revisions []store.Revision `json:"revisions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, exitOK, "db", "log", "--format", "json")), &log); err != nil {
		t.Fatal(err)
	}
	if log.Model != "incident-2019" || len(log.Revisions) != 2 || log.Revisions[0].ParentSeq != 1 || log.Revisions[0].Parent != log.Revisions[1].SHA256 {
		t.Errorf("db log --format json: %+v", log)
	}
	if out := mustRun(t, exitOK, "db", "log", "--format", "csv"); !strings.HasPrefix(out, "rev,sha256,parent_rev,time_ms,time_utc,author,files,size_bytes,message\n@2,") {
		t.Errorf("db log --format csv:\n%s", out)
	}

	// The files back, byte for byte.
	want, _ := os.ReadFile(incident)
	if got := mustRun(t, exitOK, "db", "show", "@1"); got != string(want) {
		t.Errorf("db show @1 is not the committed file byte for byte")
	}
	if got := mustRun(t, exitOK, "db", "show", log.Revisions[1].SHA256[:6]); got != string(want) {
		t.Errorf("db show HASH-PREFIX is not the committed file")
	}
	dir := filepath.Join(t.TempDir(), "co")
	mustRun(t, exitOK, "db", "checkout", "@1", "-o", dir)
	if got, err := os.ReadFile(filepath.Join(dir, "incident-2019.toml")); err != nil || string(got) != string(want) {
		t.Errorf("checkout @1: %v", err)
	}
	if code, _, errOut := runCLI(t, "db", "checkout", "@1", "-o", dir); code != exitBadInput || !strings.Contains(errOut, "is not empty") {
		t.Errorf("checkout into a filled directory: exit %d, %s", code, errOut)
	}

	// The diff of the fix: every single failure became safe.
	out = mustRun(t, exitOK, "diff")
	for _, w := range []string{"old: incident-2019@1 ", "new: incident-2019@2 ", "~ breaker breaker-a", "rating_a: 16 → 32",
		"risky 48 → 0; 0 add risk, 48 less risky", "became-safe   breaker-a: trip, 1 tripped, 20 dark devices, 1 dark rack → safe (ok)",
		"rack-1: 24.35 A on circuit-a (16 A, 152.17 %, trip) → 24.35 A on circuit-a (32 A, 76.09 %, ok)"} {
		if !strings.Contains(out, w) {
			t.Errorf("diff lacks %q:\n%s", w, out)
		}
	}
	// Undoing it adds the risk back: exit 3, the CI gate.
	out = mustRun(t, exitRisk, "diff", "--new", incident)
	if !strings.Contains(out, "became-risky  breaker-b: safe (ok) → trip") || !strings.Contains(out, "the new side adds a risk (exit 3)") {
		t.Errorf("diff against the latest revision:\n%s", out)
	}
	mustRun(t, exitRisk, "diff", "--old", fixed, "--new", incident)
	mustRun(t, exitOK, "diff", "--old", fixed, "--new", fixed)

	// The analysis commands read a stored revision as they read its files.
	fromFile := mustRun(t, exitRisk, "power", "failover", incident)
	fromDB := mustRun(t, exitRisk, "power", "failover", "--db", db, "--rev", "@1")
	if fromDB != fromFile {
		t.Errorf("power failover --rev @1 differs from the same files:\n%s\n---\n%s", fromDB, fromFile)
	}
	mustRun(t, exitOK, "power", "failover", "--model", "incident-2019") // the latest, @2, is safe
	if code, _, errOut := runCLI(t, "power", "failover", "--rev", "@1", incident); code != exitBadInput || !strings.Contains(errOut, "not both") {
		t.Errorf("files and a revision: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "validate", "--rev", "@9"); code != exitBadInput || !strings.Contains(errOut, "no such revision @9") {
		t.Errorf("a missing revision: exit %d, %s", code, errOut)
	}
}

// TestDBReadsNeverCreate runs every reading command against a missing
// database: exit 2 and no file appears.
func TestDBReadsNeverCreate(t *testing.T) {
	path := tempDB(t)
	for _, args := range [][]string{
		{"db", "log"}, {"db", "models"}, {"db", "show"}, {"db", "checkout", "-o", filepath.Join(t.TempDir(), "x")}, {"db", "check"},
		{"db", "backup", filepath.Join(t.TempDir(), "b.db")}, {"diff"}, {"validate", "--rev", "@1"}, {"power", "load", "--db", path},
	} {
		code, _, errOut := runCLI(t, args...)
		if code != exitBadInput || !strings.Contains(errOut, "no database") {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying there is no database", args, code, errOut)
		}
		if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
			t.Fatalf("%v created %d files", args, len(entries))
		}
	}
	// A model that does not validate is not stored, and creates nothing.
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[site]\nname = \"x\"\nratting_a = 3\n"), 0o644)
	code, _, errOut := runCLI(t, "db", "commit", "-m", "typo", bad)
	if code != exitBadInput || !strings.Contains(errOut, "bad.toml:3:1: unknown key") {
		t.Errorf("commit of an invalid model: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("commit of an invalid model created the database")
	}
}

// corrupt opens the database with no safety (foreign keys off) and runs
// SQL on it.
func corrupt(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func sha(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// flipIndexPage overwrites the end of the root page of index
// revision_by_sha256, where its cells are: the index no longer matches
// its table.
func flipIndexPage(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	db.QueryRow("SELECT rootpage FROM sqlite_schema WHERE name = 'revision_by_sha256'").Scan(&root)
	db.QueryRow("PRAGMA page_size").Scan(&pageSize)
	db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	end := root * pageSize
	buf := make([]byte, 8)
	if _, err := f.ReadAt(buf, end-8); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] ^= 0x55
	}
	if _, err := f.WriteAt(buf, end-8); err != nil {
		t.Fatal(err)
	}
}

// TestDBCheckNamesEachInvariant breaks each invariant of docs/store.md in
// a database of two revisions and runs db check: exit 2, the invariant
// named.
func TestDBCheckNamesEachInvariant(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.db")
	fixed := fixedIncident(t)
	mustRun(t, exitOK, "db", "commit", "--db", base, "-m", "one", incident)
	mustRun(t, exitOK, "db", "commit", "--db", base, "-m", "two", fixed)
	if out := mustRun(t, exitOK, "db", "check", "--db", base); !strings.HasPrefix(out, "ok: ") || !strings.Contains(out, "2 revisions") {
		t.Fatalf("db check of a sound database:\n%s", out)
	}
	notTOML := "this is not a model"
	badHash := strings.Repeat("ab", 32)
	cases := []struct {
		invariant string
		break_    func(t *testing.T, path string)
	}{
		{store.InvIntegrity, flipIndexPage},
		{store.InvForeignKeys, func(t *testing.T, p string) {
			corrupt(t, p, "DROP TRIGGER revision_file_kept", "DELETE FROM revision_file WHERE revision_id = 2",
				fmt.Sprintf("INSERT INTO revision_file(revision_id, pos, name, blob_sha256) VALUES (2, 0, 'x.toml', '%s')", badHash))
		}},
		{store.InvSchema, func(t *testing.T, p string) { corrupt(t, p, "DROP TRIGGER revision_immutable") }},
		{store.InvBlobHash, func(t *testing.T, p string) {
			corrupt(t, p, "DROP TRIGGER blob_immutable", "UPDATE blob SET data = CAST('tampered' AS BLOB)")
		}},
		{store.InvOrphanBlob, func(t *testing.T, p string) {
			corrupt(t, p, fmt.Sprintf("INSERT INTO blob(sha256, size_bytes, data) VALUES ('%s', %d, CAST('%s' AS BLOB))", sha(notTOML), len(notTOML), notTOML))
		}},
		{store.InvRevisionFiles, func(t *testing.T, p string) {
			corrupt(t, p, "DROP TRIGGER revision_file_kept", "DELETE FROM revision_file WHERE revision_id = 2")
		}},
		{store.InvRevisionHash, func(t *testing.T, p string) {
			corrupt(t, p, "DROP TRIGGER revision_immutable", fmt.Sprintf("UPDATE revision SET sha256 = '%s' WHERE seq = 2", badHash))
		}},
		{store.InvParentChain, func(t *testing.T, p string) {
			corrupt(t, p, "DROP TRIGGER revision_immutable", "UPDATE revision SET parent_id = NULL WHERE seq = 2")
		}},
		{store.InvNoRepeat, func(t *testing.T, p string) {
			corrupt(t, p,
				"INSERT INTO revision(model_id, seq, parent_id, sha256, author, message, created_ms) SELECT model_id, 3, id, sha256, author, 'again', created_ms FROM revision WHERE seq = 2",
				"INSERT INTO revision_file(revision_id, pos, name, blob_sha256) SELECT 3, pos, name, blob_sha256 FROM revision_file WHERE revision_id = 2")
		}},
		{store.InvModelRevisions, func(t *testing.T, p string) {
			corrupt(t, p, "INSERT INTO model(name, created_ms) VALUES ('empty', 1)")
		}},
		{store.InvTimes, func(t *testing.T, p string) {
			corrupt(t, p, "DROP TRIGGER revision_immutable", "UPDATE revision SET created_ms = 0 WHERE seq = 1")
		}},
		{store.InvIncidentBatches, func(t *testing.T, p string) {
			// An incident that records a batch it does not hold.
			corrupt(t, p, fmt.Sprintf("INSERT INTO incident(model, revision_sha256, rev, start_ms, created_ms, batches) VALUES ('small-dc', '%s', 1, 1, 1, 1)", badHash))
		}},
		{store.InvReadingBlocks, func(t *testing.T, p string) {
			importReadings(t, p)
			// Swap a block's first two readings: out of time order.
			corrupt(t, p, "UPDATE reading_hour SET data = CAST(substr(data, 13, 12) || substr(data, 1, 12) || substr(data, 25) AS BLOB)")
		}},
		{store.InvRollups, func(t *testing.T, p string) {
			importReadings(t, p)
			corrupt(t, p, "UPDATE rollup_5m SET p95 = p95 + 1")
		}},
		{store.InvRevisionLoads, func(t *testing.T, p string) {
			revHash := sha("x.toml\x00" + sha(notTOML) + "\n")
			corrupt(t, p,
				fmt.Sprintf("INSERT INTO blob(sha256, size_bytes, data) VALUES ('%s', %d, CAST('%s' AS BLOB))", sha(notTOML), len(notTOML), notTOML),
				fmt.Sprintf("INSERT INTO revision(model_id, seq, parent_id, sha256, author, message, created_ms) VALUES (1, 3, 2, '%s', 'a', 'bad', 5)", revHash),
				fmt.Sprintf("INSERT INTO revision_file(revision_id, pos, name, blob_sha256) VALUES (3, 0, 'x.toml', '%s')", sha(notTOML)))
		}},
	}
	named := map[string]bool{}
	for _, c := range cases {
		t.Run(c.invariant, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "broken.db")
			mustRun(t, exitOK, "db", "backup", "--db", base, path)
			c.break_(t, path)
			code, out, errOut := runCLI(t, "db", "check", "--db", path)
			if code != exitBadInput {
				t.Fatalf("db check of a database with %s broken: exit %d, want 2\n%s%s", c.invariant, code, out, errOut)
			}
			if !strings.Contains(out, c.invariant+": ") {
				t.Errorf("db check does not name %s:\n%s%s", c.invariant, out, errOut)
			}
			named[c.invariant] = true
		})
	}
	rep, err := func() (store.CheckReport, error) {
		db, err := store.Open(base, store.Options{})
		if err != nil {
			return store.CheckReport{}, err
		}
		defer db.Close()
		return db.Check(context.Background(), store.CheckOptions{})
	}()
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range rep.Checked {
		if !named[inv] {
			t.Errorf("invariant %s is checked but no case breaks it", inv)
		}
	}
}

// importReadings stores three readings of server-01 in the database.
func importReadings(t *testing.T, db string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "r.csv")
	os.WriteFile(f, []byte("time,element,power_w\n1793491200,server-01,200\n1793491215,server-01,210\n1793491230,server-01,205\n"), 0o644)
	mustRun(t, exitOK, "measure", "import", "--db", db, f)
}

// TestDBBackupRestore backs up, refuses to overwrite, restores keeping the
// replaced database aside, and refuses a backup that fails the checks.
func TestDBBackupRestore(t *testing.T) {
	path := tempDB(t)
	dir := t.TempDir()
	mustRun(t, exitOK, "db", "commit", "-m", "one", incident)
	bk := filepath.Join(dir, "backup.db")
	out := mustRun(t, exitOK, "db", "backup", bk)
	if !strings.Contains(out, "1 model, 1 revision, checked") {
		t.Errorf("db backup printed %q", out)
	}
	before, _ := os.ReadFile(bk)
	if code, _, errOut := runCLI(t, "db", "backup", bk); code != exitBadInput || !strings.Contains(errOut, "never replaces a file") {
		t.Errorf("backup onto an existing file: exit %d, %s", code, errOut)
	}
	if after, _ := os.ReadFile(bk); string(after) != string(before) {
		t.Errorf("a refused backup changed the existing file")
	}
	mustRun(t, exitOK, "db", "commit", "-m", "two", fixedIncident(t))
	out = mustRun(t, exitOK, "db", "restore", bk)
	if !strings.Contains(out, "the database it replaced is kept as ") {
		t.Errorf("db restore printed %q", out)
	}
	if out := mustRun(t, exitOK, "db", "log", "--format", "csv"); strings.Count(out, "\n") != 2 {
		t.Errorf("after restoring the one-revision backup, log:\n%s", out)
	}
	aside, _ := filepath.Glob(path + ".before-restore-*")
	if len(aside) != 1 {
		t.Fatalf("kept aside: %v, want one file", aside)
	}
	if out := mustRun(t, exitOK, "db", "log", "--db", aside[0], "--format", "csv"); strings.Count(out, "\n") != 3 {
		t.Errorf("the database kept aside lost revisions:\n%s", out)
	}
	// A backup that fails the checks is refused; nothing changes.
	broken := filepath.Join(dir, "broken.db")
	mustRun(t, exitOK, "db", "backup", broken)
	corrupt(t, broken, "DROP TRIGGER revision_immutable", fmt.Sprintf("UPDATE revision SET sha256 = '%s'", strings.Repeat("0", 64)))
	dbBefore, _ := os.ReadFile(path)
	code, _, errOut := runCLI(t, "db", "restore", broken)
	if code != exitBadInput || !strings.Contains(errOut, "check failed") || !strings.Contains(errOut, store.InvRevisionHash) {
		t.Errorf("restore of a broken backup: exit %d, %s", code, errOut)
	}
	if dbAfter, _ := os.ReadFile(path); string(dbAfter) != string(dbBefore) {
		t.Errorf("a refused restore changed the database")
	}
	if code, _, errOut := runCLI(t, "db", "restore", incident); code != exitBadInput || !strings.Contains(errOut, "not a blackstart database") {
		t.Errorf("restore from a TOML file: exit %d, %s", code, errOut)
	}
}

// TestDBRefusesForeignAndNewer: a file that is not a blackstart database,
// and one newer than this binary, are refused with exit 2 by commands that
// read and write alike, and left byte for byte.
func TestDBRefusesForeignAndNewer(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "notes.txt")
	os.WriteFile(foreign, []byte(strings.Repeat("not a database\n", 20)), 0o644)
	newer := filepath.Join(dir, "newer.db")
	mustRun(t, exitOK, "db", "commit", "--db", newer, "-m", "one", incident)
	corrupt(t, newer, "PRAGMA journal_mode=DELETE", fmt.Sprintf("PRAGMA user_version = %d", store.SchemaVersion()+1))
	for _, c := range []struct{ path, want string }{{foreign, "not a blackstart database"}, {newer, "database newer than blackstart"}} {
		before, _ := os.ReadFile(c.path)
		for _, args := range [][]string{{"db", "log"}, {"db", "commit", "-m", "x", incident}, {"validate", "--rev", "@1"}, {"db", "check"}} {
			code, _, errOut := runCLI(t, append(args, "--db", c.path)...)
			if code != exitBadInput || !strings.Contains(errOut, c.want) {
				t.Errorf("%v on %s: exit %d, %q; want 2 saying %q", args, filepath.Base(c.path), code, errOut, c.want)
			}
		}
		if after, _ := os.ReadFile(c.path); string(after) != string(before) {
			t.Errorf("%s changed", filepath.Base(c.path))
		}
		if _, err := os.Stat(c.path + "-wal"); err == nil {
			t.Errorf("%s has a WAL beside it", filepath.Base(c.path))
		}
	}
}
