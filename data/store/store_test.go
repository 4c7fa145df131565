package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"blackstart/topology"
)

var ctx = context.Background()

// clock is a fake clock: each call is one second after the previous.
func clock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func readFiles(t testing.TB, paths ...string) []File {
	t.Helper()
	var out []File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, File{Name: p, Data: data})
	}
	return out
}

const (
	incident  = "../../examples/incident-2019.toml"
	smallPow  = "../../examples/small-dc/power.toml"
	smallWork = "../../examples/small-dc/workloads.toml"
)

func newDB(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blackstart.db")
	db, err := Open(path, Options{Create: true, Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func commit(t testing.TB, db *DB, model, msg string, files ...File) CommitResult {
	t.Helper()
	res, err := db.Commit(ctx, CommitRequest{Model: model, Files: files, Author: "tester", Message: msg})
	if err != nil {
		t.Fatalf("commit %q: %v", msg, err)
	}
	return res
}

func TestOpenCreatesOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("Open of a missing file without Create = %v, want ErrNoDatabase", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a read-only open left %d files behind", len(entries))
	}
	db, err := Open(path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.Version(ctx); err != nil || v != SchemaVersion() {
		t.Errorf("version = %d, %v; want %d", v, err, SchemaVersion())
	}
	db.Close()
	if err := sniff(path, SchemaVersion()); err != nil {
		t.Errorf("the new database's header: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("after create and close the directory holds %d files, want the database alone", len(entries))
	}
	// Reopening a current database changes nothing.
	before, _ := os.ReadFile(path)
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("reopening the database changed its file")
	}
	// A database that cannot be created says why, naming the folder
	// (SQLite alone says "unable to open database file").
	missing := filepath.Join(dir, "no", "such", "x.db")
	if _, err := Open(missing, Options{Create: true}); !errors.Is(err, ErrNoDatabase) ||
		err.Error() != missing+": no database: cannot create it: the directory "+filepath.Dir(missing)+" does not exist" {
		t.Errorf("Create in a missing folder: %v", err)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Create(filepath.Join(ro, "probe")); err == nil { // root writes anyway
		f.Close()
		t.Log("a read-only folder is writable here (root): its case is not checked")
	} else if _, err := Open(filepath.Join(ro, "x.db"), Options{Create: true}); !errors.Is(err, ErrNoDatabase) || !strings.HasSuffix(err.Error(), "cannot create it: the directory "+ro+" is not writable") {
		t.Errorf("Create in a read-only folder: %v", err)
	}
}

// rawDB opens path with no blackstart settings, for making odd files.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

func exec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestOpenRefusesBadFiles opens files that are not blackstart databases,
// or are newer than this binary: each is refused with its reason and left
// exactly as it was, with no WAL or shared-memory file beside it.
func TestOpenRefusesBadFiles(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, path string)
		want error
		msg  string
	}{
		{"text file", func(t *testing.T, p string) { os.WriteFile(p, []byte("[site]\nname = \"x\"\n"), 0o644) }, ErrNotDatabase, "not a SQLite file"},
		{"empty file", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o644) }, ErrNotDatabase, "the file is empty"},
		{"short file", func(t *testing.T, p string) { os.WriteFile(p, []byte("SQLite format 3\x00"), 0o644) }, ErrNotDatabase, "shorter than a SQLite header"},
		{"directory", func(t *testing.T, p string) { os.Mkdir(p, 0o755) }, ErrNotDatabase, "is a directory"},
		{"another application's database", func(t *testing.T, p string) {
			db := rawDB(t, p)
			exec(t, db, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO customers(name) VALUES ('ada')")
			db.Close()
		}, ErrNotDatabase, "another application"},
		{"another application's database in WAL mode", func(t *testing.T, p string) {
			db := rawDB(t, p)
			exec(t, db, "PRAGMA journal_mode=WAL", "CREATE TABLE t(x)", "PRAGMA user_version = 7")
			db.Close()
		}, ErrNotDatabase, "application_id 0"},
		{"newer schema, rollback journal", func(t *testing.T, p string) {
			db, err := Open(p, Options{Create: true})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			raw := rawDB(t, p)
			exec(t, raw, "PRAGMA journal_mode=DELETE", fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1))
			raw.Close()
		}, ErrNewer, fmt.Sprintf("schema version %d, this blackstart knows up to %d", SchemaVersion()+1, SchemaVersion())},
		{"newer schema", func(t *testing.T, p string) {
			db, err := Open(p, Options{Create: true})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			raw := rawDB(t, p)
			exec(t, raw, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1))
			raw.Close()
		}, ErrNewer, fmt.Sprintf("schema version %d, this blackstart knows up to %d", SchemaVersion()+1, SchemaVersion())},
		{"our application id on a foreign schema", func(t *testing.T, p string) {
			raw := rawDB(t, p)
			exec(t, raw, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID), "CREATE TABLE t(x)")
			raw.Close()
		}, ErrNotDatabase, "schema version 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.db")
			c.make(t, path)
			before := snapshot(t, dir)
			for _, create := range []bool{false, true} {
				db, err := Open(path, Options{Create: create})
				if err == nil {
					db.Close()
					t.Fatalf("Open(create=%v) accepted the file", create)
				}
				if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), path) {
					t.Errorf("Open(create=%v) = %v, want %v naming the file and saying %q", create, err, c.want, c.msg)
				}
			}
			if after := snapshot(t, dir); !maps(before, after) {
				t.Errorf("the refused file changed:\nbefore %v\nafter  %v", keys(before), keys(after))
			}
		})
	}
}

// snapshot maps each file of dir to its bytes.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			out[e.Name()+"/"] = ""
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s (%d bytes)", k, len(v)))
	}
	slices.Sort(out)
	return out
}

// TestTruncatedDatabase cuts a database short: opening or checking it
// reports the damage as an error, never a panic.
func TestTruncatedDatabase(t *testing.T) {
	db, path := newDB(t)
	commit(t, db, "", "one", readFiles(t, smallPow, smallWork)...)
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 3*4096 {
		t.Fatalf("database of %d bytes, want several pages", len(data))
	}
	if err := os.WriteFile(path, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{})
	if err != nil {
		if !errors.Is(err, ErrNotDatabase) || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("Open of a truncated database = %v, want ErrNotDatabase saying it is malformed", err)
		}
		return
	}
	defer db2.Close()
	rep, err := db2.Check(ctx, CheckOptions{})
	if err == nil && len(rep.Problems) == 0 {
		t.Fatalf("Check of a truncated database found nothing")
	}
	if err == nil && !slices.ContainsFunc(rep.Problems, func(p Problem) bool { return p.Invariant == InvIntegrity }) {
		t.Errorf("Check of a truncated database: %v, want an %s problem", rep.Problems, InvIntegrity)
	}
}

func TestCommitLogFiles(t *testing.T) {
	db, _ := newDB(t)
	files := readFiles(t, smallPow, smallWork)
	r1 := commit(t, db, "", "first", files...)
	if !r1.Created || r1.Revision.Seq != 1 || r1.Revision.Model != "small-dc" || r1.Revision.Parent != "" {
		t.Fatalf("first commit = %+v, want @1 of small-dc (the site's name) without parent", r1)
	}
	if r1.Revision.SHA256 != Hash(files) {
		t.Errorf("revision hash %s, Hash of the files %s", r1.Revision.SHA256, Hash(files))
	}
	// The same content again: nothing written.
	again := commit(t, db, "", "same again", files...)
	if again.Created || again.Revision.Seq != 1 || again.Revision.Message != "first" {
		t.Errorf("identical commit = %+v, want the existing @1 and nothing created", again)
	}
	changed := slices.Clone(files)
	changed[1].Data = append(slices.Clone(files[1].Data), []byte("\n# a comment changes the bytes\n")...)
	r2 := commit(t, db, "", "second", changed...)
	if !r2.Created || r2.Revision.Seq != 2 || r2.Revision.Parent != r1.Revision.SHA256 || r2.Revision.ParentSeq != 1 {
		t.Errorf("second commit = %+v, want @2 with parent @1", r2.Revision)
	}
	// Back to the first content: a new revision (the change is undone), same hash as @1.
	r3 := commit(t, db, "", "undo", files...)
	if !r3.Created || r3.Revision.Seq != 3 || r3.Revision.SHA256 != r1.Revision.SHA256 {
		t.Errorf("undo commit = %+v, want @3 with @1's hash", r3.Revision)
	}
	log, err := db.Log(ctx, "small-dc")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, r := range log {
		seqs = append(seqs, r.Seq)
	}
	if !slices.Equal(seqs, []int{3, 2, 1}) {
		t.Errorf("log order %v, want [3 2 1]", seqs)
	}
	if log[2].TimeMS >= log[1].TimeMS || log[2].Author != "tester" || len(log[2].Files) != 2 || log[2].Files[0].Name != "power.toml" {
		t.Errorf("@1 in the log: %+v", log[2])
	}
	rev, got, err := db.Files(ctx, "small-dc", "@2")
	if err != nil {
		t.Fatal(err)
	}
	if rev.Seq != 2 || len(got) != 2 || got[0].Name != "power.toml" || got[1].Name != "workloads.toml" ||
		!bytes.Equal(got[0].Data, changed[0].Data) || !bytes.Equal(got[1].Data, changed[1].Data) {
		t.Errorf("files of @2 do not come back byte for byte")
	}
	m, _, err := db.LoadModel(ctx, "small-dc", "@1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Files[0] != "small-dc@1/power.toml" || m.Site.Name != "small-dc" {
		t.Errorf("loaded @1: files %v, site %q", m.Files, m.Site.Name)
	}
	// A second model beside it.
	commit(t, db, "", "incident", readFiles(t, incident)...)
	ms, err := db.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "incident-2019" || ms[1].Name != "small-dc" || ms[1].Revisions != 3 || ms[1].Latest != r1.Revision.SHA256 {
		t.Errorf("models = %+v", ms)
	}
	if _, err := db.DefaultModel(ctx, ""); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"incident-2019", "small-dc"`) {
		t.Errorf("DefaultModel with two models = %v, want a request to choose naming both", err)
	}
	rep, err := db.Check(ctx, CheckOptions{})
	if err != nil || len(rep.Problems) != 0 || rep.Models != 2 || rep.Revisions != 4 || rep.Blobs != 4 {
		t.Errorf("Check = %+v, %v; want no problem, 2 models, 4 revisions, 4 blobs (shared content stored once)", rep, err)
	}
}

func TestResolve(t *testing.T) {
	db, _ := newDB(t)
	files := readFiles(t, incident)
	var revs []Revision
	for i := range 3 {
		f := slices.Clone(files)
		f[0].Data = append(slices.Clone(f[0].Data), []byte(strings.Repeat("\n", i))...)
		revs = append(revs, commit(t, db, "inc", fmt.Sprint("v", i+1), f...).Revision)
	}
	cases := []struct {
		ref  string
		want int // seq; 0 for an error
		err  error
	}{
		{"", 3, nil}, {"@latest", 3, nil}, {"@1", 1, nil}, {"@3", 3, nil}, {"@-1", 2, nil}, {"@-2", 1, nil},
		{revs[1].SHA256[:4], 2, nil}, {strings.ToUpper(revs[0].SHA256[:10]), 1, nil}, {revs[2].SHA256, 3, nil},
		{"@4", 0, ErrNoRevision}, {"@-3", 0, ErrNoRevision}, {"@0", 0, ErrInvalid}, {"@x", 0, ErrInvalid}, {"@+1", 0, ErrInvalid},
		{"abc", 0, ErrInvalid}, {"zzzz", 0, ErrInvalid}, {"@", 0, ErrInvalid}, {"0000000000", 0, ErrNoRevision},
	}
	for _, c := range cases {
		r, err := db.Resolve(ctx, "inc", c.ref)
		switch {
		case c.err != nil && !errors.Is(err, c.err):
			t.Errorf("Resolve(%q) = @%d, %v; want %v", c.ref, r.Seq, err, c.err)
		case c.err == nil && (err != nil || r.Seq != c.want):
			t.Errorf("Resolve(%q) = @%d, %v; want @%d", c.ref, r.Seq, err, c.want)
		}
	}
	if _, err := db.Resolve(ctx, "nope", ""); !errors.Is(err, ErrNoModel) {
		t.Errorf("Resolve of a missing model = %v, want ErrNoModel", err)
	}
}

// TestResolveAmbiguous gives two revisions hashes with a common prefix.
func TestResolveAmbiguous(t *testing.T) {
	db, path := newDB(t)
	commit(t, db, "inc", "v1", readFiles(t, incident)...)
	raw := rawDB(t, path)
	defer raw.Close()
	exec(t, raw,
		"INSERT INTO revision(model_id, seq, parent_id, sha256, author, message, created_ms) VALUES (1, 2, 1, 'abcd"+strings.Repeat("0", 60)+"', 'a', 'm', 1)",
		"INSERT INTO revision(model_id, seq, parent_id, sha256, author, message, created_ms) VALUES (1, 3, 2, 'abcd"+strings.Repeat("1", 60)+"', 'a', 'm', 1)",
		"INSERT INTO revision(model_id, seq, parent_id, sha256, author, message, created_ms) VALUES (1, 4, 3, 'abcd"+strings.Repeat("1", 60)+"', 'a', 'm', 1)")
	if _, err := db.Resolve(ctx, "inc", "abcd"); !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "@4 abcd11111111, @2 abcd00000000") {
		t.Errorf("Resolve(abcd) = %v, want ErrAmbiguous naming @4 and @2", err)
	}
	if r, err := db.Resolve(ctx, "inc", "abcd1"); err != nil || r.Seq != 4 {
		t.Errorf("Resolve(abcd1) = @%d, %v; want @4, the latest of the revisions with that content", r.Seq, err)
	}
}

func TestCommitRefuses(t *testing.T) {
	db, path := newDB(t)
	good := readFiles(t, incident)
	bad := []File{{Name: "bad.toml", Data: []byte("[site]\nname = \"x\"\nratting_a = 3\n")}}
	cases := []struct {
		name string
		req  CommitRequest
		want string
	}{
		{"invalid model", CommitRequest{Files: bad, Author: "a", Message: "m"}, "bad.toml:3:1"},
		{"no files", CommitRequest{Author: "a", Message: "m"}, "no model file"},
		{"no message", CommitRequest{Files: good, Author: "a", Message: "  "}, "empty message"},
		{"no author", CommitRequest{Files: good, Message: "m"}, "empty author"},
		{"same base name", CommitRequest{Files: []File{good[0], {Name: "other/" + filepath.Base(good[0].Name), Data: good[0].Data}}, Author: "a", Message: "m"}, "the same name"},
		{"bad model name", CommitRequest{Model: "@x", Files: good, Author: "a", Message: "m"}, "starts with @"},
		{"control in name", CommitRequest{Model: "a\nb", Files: good, Author: "a", Message: "m"}, "control character"},
		{"parent of a new model", CommitRequest{Files: good, Author: "a", Message: "m", Parent: "abcd"}, "has no revision"},
		{"bad parent", CommitRequest{Files: good, Author: "a", Message: "m", Parent: "xyz"}, "want a hash prefix"},
	}
	for _, c := range cases {
		_, err := db.Commit(ctx, c.req)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Commit = %v, want an error saying %q", c.name, err, c.want)
		}
	}
	var list topology.ErrorList
	if _, err := db.Commit(ctx, cases[0].req); !errors.As(err, &list) {
		t.Errorf("an invalid model's error is %T, want the loader's ErrorList", err)
	}
	r := commit(t, db, "", "first", good...)
	if _, err := db.Commit(ctx, CommitRequest{Files: readFiles(t, smallPow), Model: "incident-2019", Author: "a", Message: "m", Parent: "-"}); !errors.Is(err, ErrConflict) {
		t.Errorf("Parent - on an existing model = %v, want ErrConflict", err)
	}
	other := []File{{Name: "x.toml", Data: append(slices.Clone(good[0].Data), '\n')}}
	if _, err := db.Commit(ctx, CommitRequest{Files: other, Author: "a", Message: "m", Parent: "0000"}); !errors.Is(err, ErrConflict) {
		t.Errorf("a stale parent = %v, want ErrConflict", err)
	}
	if res, err := db.Commit(ctx, CommitRequest{Files: other, Author: "a", Message: "m", Parent: r.Revision.SHA256[:8]}); err != nil || res.Revision.Seq != 2 {
		t.Errorf("the right parent = %+v, %v; want @2", res.Revision, err)
	}
	raw := rawDB(t, path)
	defer raw.Close()
	var n int
	raw.QueryRow("SELECT count(*) FROM revision").Scan(&n)
	if n != 2 {
		t.Errorf("%d revisions stored, want 2: refused commits store nothing", n)
	}
	// History is append-only, whatever SQL says.
	for _, s := range []string{"UPDATE revision SET message = 'x'", "DELETE FROM revision_file", "DELETE FROM revision WHERE seq = 2", "UPDATE blob SET data = x'00'"} {
		if _, err := raw.Exec(s); err == nil || !strings.Contains(err.Error(), "immutable") && !strings.Contains(err.Error(), "never deleted") {
			t.Errorf("%s: %v, want the append-only triggers to refuse", s, err)
		}
	}
}

// TestOversizedBlobNotRead: a database whose revision holds more bytes
// than a model may (blackstart never writes one: this one is forged with
// the immutability trigger dropped) is refused by Files before its bytes
// are copied out, and Check names the blob and the revision without
// copying them. Before, they were copied and parsed (a 700 MB one: 2.07
// GB peak resident for power failover, 3.45 GB for db check).
func TestOversizedBlobNotRead(t *testing.T) {
	db, path := newDB(t)
	commit(t, db, "inc", "first", readFiles(t, incident)...)
	db.Close()
	raw := rawDB(t, path)
	exec(t, raw, "DROP TRIGGER blob_immutable", fmt.Sprintf("UPDATE blob SET data = zeroblob(%d)", topology.MaxModelBytes+1))
	raw.Close()
	db, err := Open(path, Options{Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, files, err := db.Files(ctx, "inc", "")
	want := "not a blackstart database: revision inc@1 holds 67108865 bytes of files, more than a model may (67108864, 64 MiB)"
	if !errors.Is(err, ErrNotDatabase) || err.Error() != want || files != nil {
		t.Errorf("Files: %d files, %v; want %q", len(files), err, want)
	}
	rep, err := db.Check(ctx, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found, loads := false, false
	for _, p := range rep.Problems {
		found = found || p.Invariant == InvBlobHash && strings.Contains(p.Message, "holds 67108865 bytes, more than a model may (67108864): not read")
		loads = loads || p.Invariant == InvRevisionLoads && p.Message == "inc@1 does not load: its files are 67108865 bytes, more than a model may (67108864)"
	}
	if !found || !loads || rep.BlobBytes != topology.MaxModelBytes+1 {
		t.Errorf("Check: %d blob bytes, problems %+v; want the blob named, not read", rep.BlobBytes, rep.Problems)
	}
}
