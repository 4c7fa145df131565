package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore: a backup is a checked, self-contained copy (no WAL
// beside it) that never replaces a file; a restore puts it in place and
// keeps the database it replaced aside (none when there was none); a copy
// that fails its check is refused, naming the invariant, and nothing
// changes.
func TestBackupRestore(t *testing.T) {
	tp := newCheckTemplate(t)
	dir := t.TempDir()
	db := reopen(t, tp.path)
	bk := filepath.Join(dir, "backup.db")
	rep, err := db.Backup(ctx, bk, CheckOptions{SkipModels: true})
	if err != nil || rep.Models != 1 || rep.Revisions != 2 || rep.Blobs != 3 || rep.Measurements.Readings != 23 {
		t.Fatalf("Backup = %+v, %v; want 1 model, 2 revisions, 3 blobs, 23 readings", rep, err)
	}
	if _, err := os.Stat(bk + "-wal"); err == nil {
		t.Errorf("a WAL beside the backup")
	}
	before, _ := os.ReadFile(bk)
	// Out of WAL mode: the file format's write and read versions (header
	// bytes 18 and 19) are 1 for a rollback journal, 2 for WAL.
	if len(before) < 100 || before[18] != 1 || before[19] != 1 {
		t.Errorf("the backup's header bytes 18, 19 = %v, want 1, 1 (not in WAL mode)", before[18:20])
	}
	if _, err := db.Backup(ctx, bk, CheckOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("a backup onto a file: %v, want ErrExists", err)
	}
	if after, _ := os.ReadFile(bk); !bytes.Equal(before, after) {
		t.Errorf("a refused backup changed the file")
	}
	db.Close()

	// Restore onto nothing: no database kept aside.
	fresh := filepath.Join(dir, "fresh.db")
	rep, aside, err := Restore(ctx, bk, fresh, CheckOptions{})
	if err != nil || aside != "" || rep.Revisions != 2 {
		t.Fatalf("Restore onto nothing = %+v, %q, %v; want 2 revisions, nothing aside", rep, aside, err)
	}
	// Restore over a database: it is kept aside, whole.
	other, _ := newDB(t)
	commit(t, other, "", "incident", readFiles(t, incident)...)
	otherPath := other.path
	other.Close()
	rep, aside, err = Restore(ctx, bk, otherPath, CheckOptions{})
	if err != nil || rep.Revisions != 2 || !strings.HasPrefix(filepath.Base(aside), "blackstart.db.before-restore-") {
		t.Fatalf("Restore over a database = %+v, %q, %v", rep, aside, err)
	}
	for path, want := range map[string]string{otherPath: "small-dc", aside: "incident-2019"} {
		d := reopen(t, path)
		ms, err := d.Models(ctx)
		d.Close()
		if err != nil || len(ms) != 1 || ms[0].Name != want {
			t.Errorf("%s holds %+v, %v; want %s", filepath.Base(path), ms, err, want)
		}
	}
	// A backup that fails its check: refused, the target untouched.
	broken := filepath.Join(dir, "broken.db")
	data, _ := os.ReadFile(bk)
	os.WriteFile(broken, data, 0o600)
	raw := rawDB(t, broken)
	exec(t, raw, "UPDATE model SET created_ms = 0")
	raw.Close()
	target, _ := os.ReadFile(otherPath)
	if _, _, err := Restore(ctx, broken, otherPath, CheckOptions{SkipModels: true}); !errors.Is(err, ErrCheck) || !strings.Contains(err.Error(), `times: model "small-dc" created at 0 ms`) {
		t.Errorf("Restore of a broken backup: %v, want ErrCheck naming the times invariant", err)
	}
	if after, _ := os.ReadFile(otherPath); !bytes.Equal(target, after) {
		t.Errorf("a refused restore changed the database")
	}
	// ErrInUse: TestRestoreOverAnOpenDatabase.
	if _, _, err := Restore(ctx, smallPow, otherPath, CheckOptions{}); !errors.Is(err, ErrNotDatabase) {
		t.Errorf("Restore from a TOML file: %v, want ErrNotDatabase", err)
	}
}

// TestRestoreOverAnOpenDatabase: a restore never renames a database that
// another connection has open (its writes would go to the file kept
// aside): ErrInUse, and the database stays where it was, whole.
func TestRestoreOverAnOpenDatabase(t *testing.T) {
	tp := newCheckTemplate(t)
	dir := t.TempDir()
	bk := filepath.Join(dir, "backup.db")
	db := reopen(t, tp.path)
	if _, err := db.Backup(ctx, bk, CheckOptions{SkipModels: true}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	other, _ := newDB(t)
	commit(t, other, "", "incident", readFiles(t, incident)...)
	defer other.Close()
	_, aside, err := Restore(ctx, bk, other.path, CheckOptions{SkipModels: true})
	if !errors.Is(err, ErrInUse) || aside != "" {
		t.Fatalf("Restore over an open database = %q, %v; want ErrInUse", aside, err)
	}
	ms, err := other.Models(ctx)
	if err != nil || len(ms) != 1 || ms[0].Name != "incident-2019" {
		t.Errorf("the open database holds %+v, %v; want incident-2019", ms, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(other.path)); len(ents) > 3 {
		t.Errorf("files beside the database: %v", ents)
	}
}
