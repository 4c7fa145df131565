package store

import (
	"blackstart/outfile"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempBeside returns an unused name for a temporary file in path's
// directory.
func tempBeside(path, what string) (string, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+what+"-"+hex.EncodeToString(rnd[:])), nil
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// vacuumInto writes a consistent, compacted copy of the database at src
// into the new file dst (VACUUM INTO, never a file copy: the WAL is part
// of the database), through a read-only connection of its own.
func vacuumInto(ctx context.Context, src, dst string) error {
	ro, err := sql.Open("sqlite", "file:"+uriPath(src)+fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)", busyTimeoutMS))
	if err != nil {
		return err
	}
	defer ro.Close()
	ro.SetMaxOpenConns(1)
	_, err = ro.ExecContext(ctx, "VACUUM INTO "+sqlString(dst))
	return err
}

// journalMode sets the journal mode of the database at path.
func journalMode(ctx context.Context, path, mode string) error {
	c, err := sql.Open("sqlite", "file:"+uriPath(path)+fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)", busyTimeoutMS))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	_, err = c.ExecContext(ctx, "PRAGMA journal_mode="+mode)
	return err
}

// placeNew links tmp at path, never replacing a file that is there
// (ErrExists), and removes tmp.
func placeNew(tmp, path string) error {
	defer removeDB(tmp)
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w: not replaced", path, ErrExists)
		}
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w: not replaced", path, ErrExists)
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	return syncDir(filepath.Dir(path))
}

// checkFile opens the database at path (migrating it to this version) and
// runs Check; a problem is ErrCheck naming the invariants.
func checkFile(ctx context.Context, path string, o CheckOptions) (CheckReport, error) {
	db, err := Open(path, Options{Readers: 1})
	if err != nil {
		return CheckReport{}, err
	}
	rep, err := db.Check(ctx, o)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, err
	}
	if len(rep.Problems) > 0 {
		msgs := make([]string, 0, len(rep.Problems))
		for _, p := range rep.Problems {
			msgs = append(msgs, p.String())
		}
		return rep, fmt.Errorf("%s: %w:\n  %s", path, ErrCheck, strings.Join(msgs, "\n  "))
	}
	return rep, nil
}

// Backup writes a consistent copy of the database to the new file dst
// with VACUUM INTO (readers and the writer carry on meanwhile), checks the
// copy (integrity_check and every invariant, CheckOptions as given), and
// only then puts it at dst. An existing dst is never replaced (ErrExists).
func (db *DB) Backup(ctx context.Context, dst string, o CheckOptions) (CheckReport, error) {
	if _, err := os.Lstat(dst); err == nil {
		return CheckReport{}, fmt.Errorf("%s: %w: a backup never replaces a file", dst, ErrExists)
	}
	tmp, forget, err := outfile.Temp(func() (string, error) { return tempBeside(dst, "backup") })
	if err != nil {
		return CheckReport{}, err
	}
	defer forget()
	defer removeDB(tmp)
	if err := vacuumInto(ctx, db.path, tmp); err != nil {
		return CheckReport{}, fmt.Errorf("backup to %s: %w", dst, err)
	}
	rep, err := checkFile(ctx, tmp, o)
	if err != nil {
		return rep, fmt.Errorf("backup to %s: the copy fails its check: %w", dst, err)
	}
	// A backup is one self-contained file: no WAL beside it.
	if err := journalMode(ctx, tmp, "DELETE"); err != nil {
		return rep, err
	}
	return rep, placeNew(tmp, dst)
}

// Restore replaces the database at dst with the backup src: src is copied
// (VACUUM INTO from a read-only connection; src itself is not changed),
// the copy is migrated to this version and must pass Check, and only then
// does it take dst's place. The database that was at dst is kept beside
// it, renamed to the returned path ("" when there was none); it must be a
// blackstart database that no other process has open (ErrInUse).
func Restore(ctx context.Context, src, dst string, o CheckOptions) (CheckReport, string, error) {
	if err := sniff(src, len(migrations)); err != nil {
		return CheckReport{}, "", err
	}
	dstErr := sniff(dst, len(migrations))
	if dstErr != nil && !errors.Is(dstErr, ErrNoDatabase) {
		return CheckReport{}, "", fmt.Errorf("restore: %w", dstErr)
	}
	tmp, forget, err := outfile.Temp(func() (string, error) { return tempBeside(dst, "restore") })
	if err != nil {
		return CheckReport{}, "", err
	}
	defer forget()
	defer removeDB(tmp)
	if err := vacuumInto(ctx, src, tmp); err != nil {
		return CheckReport{}, "", fmt.Errorf("%s: %w: %v", src, ErrNotDatabase, err)
	}
	rep, err := checkFile(ctx, tmp, o)
	if err != nil {
		return rep, "", fmt.Errorf("restore from %s: %w", src, err)
	}
	aside := ""
	if dstErr == nil {
		// Fold dst's WAL into it, then keep it aside.
		old, err := Open(dst, Options{Readers: 1})
		if err != nil {
			return rep, "", err
		}
		if _, err := old.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			old.Close()
			return rep, "", err
		}
		if err := old.Close(); err != nil {
			return rep, "", err
		}
		if _, err := os.Stat(dst + "-wal"); err == nil { // the last connection to close removes the log: one left, even empty, is another's
			return rep, "", fmt.Errorf("%s: %w: another process has it open (stop it first)", dst, ErrInUse)
		}
		aside, err = tempBeside(dst, "before-restore")
		if err != nil {
			return rep, "", err
		}
		aside = filepath.Join(filepath.Dir(dst), strings.TrimPrefix(filepath.Base(aside), "."))
		if err := os.Rename(dst, aside); err != nil {
			return rep, "", err
		}
		os.Remove(dst + "-wal")
		os.Remove(dst + "-shm")
	}
	if err := placeNew(tmp, dst); err != nil {
		if aside != "" {
			os.Rename(aside, dst)
		}
		return rep, "", err
	}
	return rep, aside, nil
}
