package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"blackstart/data/store"
)

// loadFigures are what a load run measured.
type loadFigures struct {
	reads, writes, busy  int           // answered reads and writes; 429s (retried)
	readP50, readP99     time.Duration // latency of a read, 200 only
	writeP50, writeP99   time.Duration
	elapsed              time.Duration
	throughput           float64 // answered requests per second
	revisions, committed int     // revisions of the load model; commits answered 201
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// runLoad runs readers clients reading analyses of stored revisions and
// committers clients each committing commits distinct revisions of one
// model, all at once on e's loopback server, bounded by the counts and by
// limit. It fails on any unexpected answer, and checks that no revision
// was lost or duplicated: the model's history is exactly the commits
// answered 201, one each, numbered without a gap.
func runLoad(tb testing.TB, e *env, readers, reads, committers, commits int, limit time.Duration) loadFigures {
	ctx := tb.Context()
	base := readFile(tb, incidentFile)
	small := commitBody(tb, "two rows", smallPow, smallWl)
	if got, out, _ := e.do("POST", "/api/v1/models/small-dc/revisions", store.ScopeWrite, small); got != 201 {
		tb.Fatalf("committing small-dc: %d %s", got, out)
	}
	first := commitBody(tb, "the load model's first revision", incidentFile)
	got, out, _ := e.do("POST", "/api/v1/models/load/revisions", store.ScopeWrite, first)
	var ans commitAnswer
	if got != 201 || json.Unmarshal(out, &ans) != nil {
		tb.Fatalf("committing the load model: %d %s", got, out)
	}
	routes := []string{
		"/api/v1/models/incident-2019/revisions/@1/power/failover",
		"/api/v1/models/incident-2019/revisions/@1/power/load",
		"/api/v1/models/small-dc/revisions/@1/power/failover?all=true",
		"/api/v1/models/small-dc/revisions/@1/power/load?basis=typical",
		"/api/v1/models/small-dc/revisions/@1/plan/restart",
		"/api/v1/models/small-dc/revisions/@1/plan/compare",
		"/api/v1/models/small-dc/revisions/@1/estimate/plan?runs=10",
		"/api/v1/models/load/revisions?limit=10",
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: readers + committers}, Timeout: limit}
	deadline := time.Now().Add(limit)
	var (
		mu                sync.Mutex
		f                 loadFigures
		readLat, writeLat []time.Duration
		seqs              = map[int]string{1: ans.Revision.SHA256} // seq -> hash answered 201
		failed            error
	)
	fail := func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
		}
		mu.Unlock()
	}
	do := func(req *http.Request) (int, []byte, time.Duration, error) {
		for time.Now().Before(deadline) && ctx.Err() == nil {
			start := time.Now()
			res, err := client.Do(req.Clone(ctx))
			if err != nil {
				return 0, nil, 0, err
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				return 0, nil, 0, err
			}
			if res.StatusCode == http.StatusTooManyRequests {
				mu.Lock()
				f.busy++
				mu.Unlock()
				time.Sleep(20 * time.Millisecond) // a test client retries sooner than Retry-After
				continue
			}
			return res.StatusCode, body, time.Since(start), nil
		}
		return 0, nil, 0, fmt.Errorf("time limit of %s reached", limit)
	}
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < readers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < reads; i++ {
				path := routes[(c+i)%len(routes)]
				req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
				if c%2 == 1 {
					req.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeRead])
				}
				st, body, lat, err := do(req)
				if err == nil && st != 200 {
					err = fmt.Errorf("GET %s: %d %.200s", path, st, body)
				}
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				f.reads++
				readLat = append(readLat, lat)
				mu.Unlock()
			}
		}()
	}
	for c := 0; c < committers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < commits; i++ {
				body, _ := json.Marshal(commitRequest{Message: fmt.Sprintf("committer %d change %d", c, i),
					Files: []commitFile{{Name: "incident-2019.toml", Content: base + fmt.Sprintf("\n# committer %d change %d\n", c, i)}}})
				req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/models/load/revisions", bytes.NewReader(body))
				req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
				req.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeWrite])
				st, out, lat, err := do(req)
				if err == nil && st != 201 {
					err = fmt.Errorf("commit %d/%d: %d %.200s", c, i, st, out)
				}
				if err != nil {
					fail(err)
					return
				}
				var ans commitAnswer
				if err := json.Unmarshal(out, &ans); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				f.writes++
				writeLat = append(writeLat, lat)
				if prev, dup := seqs[ans.Revision.Seq]; dup {
					failed = fmt.Errorf("@%d answered twice: %s and %s", ans.Revision.Seq, prev, ans.Revision.SHA256)
				}
				seqs[ans.Revision.Seq] = ans.Revision.SHA256
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	f.elapsed = time.Since(start)
	if failed != nil {
		tb.Fatal(failed)
	}
	f.readP50, f.readP99 = quantile(readLat, 0.5), quantile(readLat, 0.99)
	f.writeP50, f.writeP99 = quantile(writeLat, 0.5), quantile(writeLat, 0.99)
	f.throughput = float64(f.reads+f.writes) / f.elapsed.Seconds()
	f.committed = len(seqs) - 1
	// No lost or duplicated revision: the history is the commits answered.
	log, err := e.db.Log(ctx, "load")
	if err != nil {
		tb.Fatal(err)
	}
	f.revisions = len(log)
	if len(log) != 1+committers*commits || len(seqs) != 1+committers*commits {
		tb.Fatalf("%d revisions stored, %d commits answered 201, want 1 + %d", len(log), len(seqs), committers*commits)
	}
	hashes := map[string]bool{}
	sort.Slice(log, func(i, j int) bool { return log[i].Seq < log[j].Seq })
	for i, r := range log {
		if r.Seq != i+1 || seqs[r.Seq] != r.SHA256 || hashes[r.SHA256] || (i > 0 && r.Parent != log[i-1].SHA256) {
			tb.Fatalf("revision %d of the history: @%d %s (answered %s, parent %s)", i+1, r.Seq, r.SHA256, seqs[r.Seq], r.Parent)
		}
		hashes[r.SHA256] = true
	}
	if f.reads != readers*reads {
		tb.Fatalf("%d reads answered, want %d", f.reads, readers*reads)
	}
	return f
}

// TestLoad: 32 clients reading analyses and 4 committing revisions at
// once on loopback, bounded in requests and time; no revision lost or
// duplicated. BenchmarkLoad runs it larger and reports the figures.
func TestLoad(t *testing.T) {
	e := newEnv(t, Config{})
	f := runLoad(t, e, 32, 8, 4, 5, 2*time.Minute)
	t.Logf("%d reads, %d writes in %s (%.0f req/s), %d 429s; read p50 %s p99 %s; write p50 %s p99 %s",
		f.reads, f.writes, f.elapsed, f.throughput, f.busy, f.readP50, f.readP99, f.writeP50, f.writeP99)
}

// BenchmarkLoad: 32 readers × 100 analysis reads and 4 committers × 25
// commits per iteration (go test ./server -run '^$' -bench BenchmarkLoad
// -benchtime 1x).
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, Config{})
		b.StartTimer()
		f := runLoad(b, e, 32, 100, 4, 25, 5*time.Minute)
		b.ReportMetric(f.throughput, "req/s")
		b.ReportMetric(float64(f.readP50.Microseconds())/1000, "read-p50-ms")
		b.ReportMetric(float64(f.readP99.Microseconds())/1000, "read-p99-ms")
		b.ReportMetric(float64(f.writeP50.Microseconds())/1000, "write-p50-ms")
		b.ReportMetric(float64(f.writeP99.Microseconds())/1000, "write-p99-ms")
		b.ReportMetric(float64(f.busy), "429s")
	}
}
