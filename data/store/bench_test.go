package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"blackstart/data/generate"
)

func siteBytes(b *testing.B, racks int) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := generate.Site(&buf, generate.SiteOptions{Racks: racks, PerRack: 40, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkCommit commits the 1,000-rack generated model (2.1 MB, 40,000
// devices): "prepare" is the validation and hashing Commit does first,
// "write" the transaction that stores a new revision (each iteration's
// file differs by a trailing comment, so each stores a new blob).
func BenchmarkCommit(b *testing.B) {
	data := siteBytes(b, 1000)
	b.Run("prepare", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Prepare(CommitRequest{Files: []File{{Name: "site.toml", Data: data}}, Author: "b", Message: "m"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		db, err := Open(filepath.Join(b.TempDir(), "b.db"), Options{Create: true})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		p, err := Prepare(CommitRequest{Files: []File{{Name: "site.toml", Data: data}}, Author: "b", Message: "m"})
		if err != nil {
			b.Fatal(err)
		}
		preps := make([]*Prepared, 0, 64)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			b.StopTimer()
			// A distinct file each time, prepared outside the timer.
			q := *p
			q.stored = []File{{Name: "site.toml", Data: append(bytes.Clone(data), fmt.Sprintf("\n# %d\n", i)...)}}
			q.infos = []FileInfo{{Name: "site.toml", SizeBytes: int64(len(q.stored[0].Data)), SHA256: fileSHA(q.stored[0].Data)}}
			q.hash = hashInfos(q.infos)
			preps = append(preps[:0], &q)
			i++
			b.StartTimer()
			res, err := db.CommitPrepared(ctx, preps[0])
			if err != nil || !res.Created {
				b.Fatalf("commit: %v (created %v)", err, res.Created)
			}
		}
	})
}

// BenchmarkCheckout reads the 1,000-rack model's latest revision back:
// "files" its bytes (what db checkout and db show write), "load" the files
// parsed into a model (what --rev gives every analysis command), "write"
// the files into a new directory as db checkout does.
func BenchmarkCheckout(b *testing.B) {
	data := siteBytes(b, 1000)
	db, err := Open(filepath.Join(b.TempDir(), "b.db"), Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Commit(ctx, CommitRequest{Model: "site", Files: []File{{Name: "site.toml", Data: data}}, Author: "b", Message: "m"}); err != nil {
		b.Fatal(err)
	}
	b.Run("files", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, files, err := db.Files(ctx, "site", ""); err != nil || len(files[0].Data) != len(data) {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if m, _, err := db.LoadModel(ctx, "site", ""); err != nil || len(m.Racks) != 1000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		dir := b.TempDir()
		i := 0
		for b.Loop() {
			_, files, err := db.Files(ctx, "site", "")
			if err != nil {
				b.Fatal(err)
			}
			out := filepath.Join(dir, fmt.Sprint(i))
			i++
			if err := os.Mkdir(out, 0o755); err != nil {
				b.Fatal(err)
			}
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(out, f.Name), f.Data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
