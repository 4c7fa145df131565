package store

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkAppendBatch appends 1,000-event batches (about 80 kB in the
// events file format, as the server stores them) to 32 incidents in turn,
// each in its own transaction synced to disk, as the service's group
// commit does under the 32-client load when batches do not overlap: the
// store's write path per batch (ns/op), on a database that grows to
// b.N batches.
func BenchmarkAppendBatch(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := Open(path, Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	commit(b, db, "", "the incident rack", readFiles(b, incident)...)
	const incidents = 32
	ids := make([]int64, incidents)
	for k := range ids {
		in, err := db.CreateIncident(ctx, "incident-2019", "", "", 1_000)
		if err != nil {
			b.Fatal(err)
		}
		ids[k] = in.ID
	}
	batch := func(k int) []byte {
		var out []byte
		for j := range 1000 {
			out = fmt.Appendf(out, "{\"t_s\":%d.%03d,\"instance\":\"service-%03d#%d\",\"node\":\"node-%03d\",\"state\":\"started\"}\n", k, j, j%200, j, j%190)
		}
		return out
	}
	body := batch(0)
	held := make([]int, incidents)
	b.SetBytes(int64(len(body)))
	for k := 0; b.Loop(); k++ {
		i := k % incidents
		if _, err := db.AppendBatch(ctx, ids[i], fmt.Sprint("b", k), body, held[i], body, 1000, int64(k)*1000, nil); err != nil {
			b.Fatal(err)
		}
		held[i] += 1000
	}
}
