package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"blackstart/data/generate"
)

// TestReadersDuringWrite commits a large model while readers list, resolve
// and read revisions: no reader fails or waits for the writer (WAL), and
// each sees the history whole: the old state or the new one, never half.
func TestReadersDuringWrite(t *testing.T) {
	db, _ := newDB(t)
	first := readFiles(t, smallPow, smallWork)
	commit(t, db, "site", "first", first...)
	var big bytes.Buffer
	if err := generate.Site(&big, generate.SiteOptions{Racks: 200, PerRack: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(CommitRequest{Model: "site", Files: []File{{Name: "big.toml", Data: big.Bytes()}}, Author: "w", Message: "big"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		writing   atomic.Bool
		during    atomic.Int64 // reads completed while the commit ran
		sawNew    atomic.Bool
		wg        sync.WaitGroup
		stop      = make(chan struct{})
		readerErr = make(chan error, 8)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				log, err := db.Log(ctx, "site")
				if err != nil {
					readerErr <- err
					return
				}
				rev, files, err := db.Files(ctx, "site", "")
				if err != nil {
					readerErr <- err
					return
				}
				switch {
				case len(log) == 1 && rev.Seq == 1 && len(files) == 2 && bytes.Equal(files[1].Data, first[1].Data):
				case len(log) >= 1 && rev.Seq == 2 && len(files) == 1 && bytes.Equal(files[0].Data, big.Bytes()):
					sawNew.Store(true)
				case len(log) == 1 && rev.Seq == 2:
					// the log was read before the commit, the files after: two snapshots
				default:
					readerErr <- &readError{len(log), rev.Seq, len(files)}
					return
				}
				if writing.Load() {
					during.Add(1)
				}
			}
		}()
	}
	// The write, repeated under a fresh model name until readers have
	// completed reads while it ran (the first commits warm caches).
	for i := 0; during.Load() == 0 && i < 20; i++ {
		name := "site"
		if i > 0 {
			name = "site-" + string(rune('a'+i))
		}
		p.model = name
		writing.Store(true)
		_, err := db.CommitPrepared(context.Background(), p)
		writing.Store(false)
		if err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(readerErr)
	for err := range readerErr {
		t.Errorf("reader: %v", err)
	}
	if during.Load() == 0 {
		t.Errorf("no read completed while a commit was being written: readers waited for the writer")
	}
	t.Logf("%d reads completed during commits", during.Load())
	if rep, err := db.Check(ctx, CheckOptions{SkipModels: true}); err != nil || len(rep.Problems) > 0 {
		t.Errorf("check after the concurrent run: %v %v", rep.Problems, err)
	}
}

type readError struct{ logLen, seq, files int }

func (e *readError) Error() string {
	return fmt.Sprintf("a reader saw a half-written history: log of %d, latest @%d with %d files", e.logLen, e.seq, e.files)
}

// FuzzOpen opens arbitrary bytes as a database file: Open never panics; a
// file it refuses is left byte for byte; one it opens can be checked.
func FuzzOpen(f *testing.F) {
	fixture, err := os.ReadFile("testdata/v1.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add(fixture[:4096])
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte("[site]\nname = \"x\"\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.db")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, Options{Readers: 1})
		if err != nil {
			got, rerr := os.ReadFile(path)
			if rerr != nil || !bytes.Equal(got, data) {
				t.Fatalf("Open refused the file (%v) and changed it", err)
			}
			return
		}
		defer db.Close()
		db.Check(ctx, CheckOptions{})
		if ms, err := db.Models(ctx); err == nil {
			for _, m := range ms {
				db.Log(ctx, m.Name)
				db.Files(ctx, m.Name, "")
			}
		}
	})
}

// FuzzParseRef parses arbitrary revision names: never a panic; an accepted
// @N or hash prefix means what it says.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"", "@latest", "@1", "@-1", "@0", "@+3", "abcd", "ABCDEF0123", "@99999999999", "@-0", "zzzz", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		seq, back, prefix, err := parseRef(ref)
		if err != nil {
			return
		}
		n := 0
		if seq != 0 {
			n++
		}
		if back != 0 {
			n++
		}
		if prefix != "" {
			n++
			if !isHexPrefix(prefix) || prefix != string(bytes.ToLower([]byte(ref))) {
				t.Fatalf("parseRef(%q) gave prefix %q", ref, prefix)
			}
		}
		if n > 1 || seq < 0 || back > 0 {
			t.Fatalf("parseRef(%q) = %d, %d, %q", ref, seq, back, prefix)
		}
		if n == 0 && ref != "" && ref != "@latest" {
			t.Fatalf("parseRef(%q) means the latest", ref)
		}
	})
}
