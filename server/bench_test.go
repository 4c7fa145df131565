package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"blackstart/analysis"
	"blackstart/data/generate"
	"blackstart/data/store"
	"blackstart/topology"
)

// site1000 is the generated 1,000-rack site (40 devices a rack, seed 1),
// the model of docs/performance.md's figures.
var site1000 = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if err := generate.Site(&b, generate.SiteOptions{Racks: 1000, PerRack: 40, Seed: 1}); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// siteDB makes a database holding n revisions of the 1,000-rack site (each
// a comment apart) as model "dc".
func siteDB(b *testing.B, n int) *store.DB {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "dc.db"), store.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	for i := 1; i <= n; i++ {
		data := append(bytes.Clone(site1000()), fmt.Sprintf("\n# revision %d\n", i)...)
		if _, err := db.Commit(context.Background(), store.CommitRequest{Model: "dc", Author: "bench", Message: fmt.Sprint("revision ", i),
			Files: []store.File{{Name: "dc.toml", Data: data}}}); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

const sweep1000 = "/api/v1/models/dc/revisions/@%d/power/failover"

// get fetches url to the last byte and checks the answer; enc, when set,
// is the Accept-Encoding (then a gzip answer is not decompressed).
func get(b *testing.B, client *http.Client, url string, enc ...string) int {
	req, _ := http.NewRequest("GET", url, nil)
	if len(enc) > 0 {
		req.Header.Set("Accept-Encoding", enc[0])
	}
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || n < 1<<20 || (len(enc) > 0 && enc[0] == "gzip") != (res.Header.Get("Content-Encoding") == "gzip") {
		b.Fatalf("GET %s: %d, %d bytes, %v", url, res.StatusCode, n, err)
	}
	return int(n)
}

// BenchmarkCachedSweep: the failover sweep of a revision of the 1,000-rack
// site, served from the cache over loopback HTTP, read to the last byte:
// as gzip to a client that accepts it (the bytes on the wire), the same
// decompressed by Go's client (the JSON in hand), and to a client that
// accepts only identity (the server decompresses as it writes).
func BenchmarkCachedSweep(b *testing.B) {
	db := siteDB(b, 1)
	ts := httptest.NewServer(New(Config{DB: db}).Handler())
	defer ts.Close()
	client := ts.Client()
	url := ts.URL + fmt.Sprintf(sweep1000, 1)
	json := get(b, client, url, "identity") // computes and caches
	for _, c := range []struct {
		name string
		enc  []string
	}{{"gzip", []string{"gzip"}}, {"gzip+decode", nil}, {"identity", []string{"identity"}}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				n = get(b, client, url, c.enc...)
			}
			b.ReportMetric(float64(n)/1e6, "wire-MB")
			b.ReportMetric(float64(json)/1e6, "json-MB")
		})
	}
}

// cpuSeconds is the process's user and system CPU time, seconds: on a
// shared machine it moves less with the others' load than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkFirstSweep: the same request uncached (a new server each time):
// the revision read and loaded from the database, the sweep, the JSON.
func BenchmarkFirstSweep(b *testing.B) {
	db := siteDB(b, 1)
	url := fmt.Sprintf(sweep1000, 1)
	cpu := 0.0
	for b.Loop() {
		ts := httptest.NewServer(New(Config{DB: db}).Handler())
		c := cpuSeconds()
		get(b, ts.Client(), ts.URL+url)
		cpu += cpuSeconds() - c
		ts.Close()
	}
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// BenchmarkCLISweep: what blackstart power failover --format json does
// for the same site from its file (load, sweep, JSON), in process.
func BenchmarkCLISweep(b *testing.B) {
	data := site1000()
	cpu := 0.0
	for b.Loop() {
		c := cpuSeconds()
		m, err := topology.Parse(topology.File{Name: "dc.toml", Data: data})
		if err != nil {
			b.Fatal(err)
		}
		n, err := analysis.Network(m, 0)
		if err != nil {
			b.Fatal(err)
		}
		res, err := analysis.Failover(m, n, analysis.FailoverOptions{HorizonS: 3600})
		if err != nil {
			b.Fatal(err)
		}
		if err := res.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
		cpu += cpuSeconds() - c
	}
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}

// BenchmarkMemory10: the server's heap with the sweeps of 10 revisions of
// the 1,000-rack site cached (after a GC), against the heap before.
func BenchmarkMemory10(b *testing.B) {
	db := siteDB(b, 10)
	for b.Loop() {
		s := New(Config{DB: db})
		ts := httptest.NewServer(s.Handler())
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 1; i <= 10; i++ {
			get(b, ts.Client(), ts.URL+fmt.Sprintf(sweep1000, i))
		}
		ts.Client().CloseIdleConnections()
		time.Sleep(10 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&after)
		entries, bytes := s.CacheStats()
		if entries != 10 {
			b.Fatalf("%d results cached, want 10", entries)
		}
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(bytes)/(1<<20), "cached-MiB")
		ts.Close()
		runtime.KeepAlive(s)
	}
}
