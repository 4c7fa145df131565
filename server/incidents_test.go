package server

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"blackstart/data/events"
	"blackstart/data/store"
	"blackstart/placement"
	"blackstart/topology"
)

// smallRecovery commits the small site to e's database and returns its
// cluster and a simulated recovery's events.
func smallRecovery(t *testing.T, e *env) (*placement.Cluster, []placement.Event) {
	t.Helper()
	if _, err := e.db.Commit(context.Background(), store.CommitRequest{Model: "small-dc", Author: "test", Message: "two rows",
		Files: []store.File{{Name: "power.toml", Data: []byte(readFile(t, smallPow))}, {Name: "workloads.toml", Data: []byte(readFile(t, smallWl))}}}); err != nil {
		t.Fatal(err)
	}
	m, err := topology.Load(smallPow, smallWl)
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	var evs []placement.Event
	if _, err := placement.Simulate(c, placement.NewPlan(c), placement.SimOptions{Policy: placement.PolicyPlan, Seed: 3,
		OnEvent: func(ev placement.Event) { evs = append(evs, ev) }}); err != nil {
		t.Fatal(err)
	}
	return c, evs
}

func batchOf(t *testing.T, c *placement.Cluster, evs []placement.Event) []byte {
	var b bytes.Buffer
	if err := events.Write(&b, c, evs, events.FormatJSONL); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestIncidentStreamAndRestart: /stream sends the estimate at once and
// after each batch with the batch's seq as id, a client resuming with the
// latest id waits for the next batch; a new server over the same database
// rebuilds the estimator from the stored events and answers the same ETA.
func TestIncidentStreamAndRestart(t *testing.T) {
	e := newEnv(t, Config{})
	c, evs := smallRecovery(t, e)
	code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T13:59:00Z"}`))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	base := "/api/v1/incidents/1"
	half := len(evs) / 2
	if code, b, _ := e.do("POST", base+"/events", store.ScopeIngest, batchOf(t, c, evs[:half]), "Idempotency-Key", "one"); code != http.StatusCreated {
		t.Fatalf("batch: %d %s", code, b)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+base+"/stream", nil)
	req.Header.Set("Last-Event-ID", "1") // seen batch 1's estimate already
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, ct)
	}
	if code, b, _ := e.do("POST", base+"/events", store.ScopeIngest, batchOf(t, c, evs[half:]), "Idempotency-Key", "two"); code != http.StatusCreated {
		t.Fatalf("batch 2: %d %s", code, b)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	var id, data string
	for sc.Scan() && data == "" {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = v
		}
	}
	if id != "2" || data == "" {
		t.Fatalf("first event after resuming at 1: id %q data %.200q; want batch 2's", id, data)
	}
	var snap struct {
		Up    int `json:"up"`
		Total int `json:"total"`
	}
	if err := json.Unmarshal([]byte(data), &snap); err != nil || snap.Up != snap.Total || snap.Total == 0 {
		t.Fatalf("streamed estimate %.300s (%v): want everything up", data, err)
	}

	at := fmt.Sprintf("%s/eta?at=%g", base, evs[len(evs)-1].TS+60)
	_, want, _ := e.do("GET", at, "", nil)
	// A restarted server rebuilds the estimator from the database.
	srv2 := New(Config{DB: e.db, Version: "test", Now: e.srv.cfg.Now, Log: e.srv.cfg.Log})
	ts2 := httptest.NewServer(srv2.Handler())
	defer ts2.Close()
	res2, err := http.Get(ts2.URL + at)
	if err != nil {
		t.Fatal(err)
	}
	got := new(bytes.Buffer)
	got.ReadFrom(res2.Body)
	res2.Body.Close()
	if res2.StatusCode != http.StatusOK || got.String() != string(want) {
		t.Fatalf("after a restart: %d\n%.800s\nwant\n%.800s", res2.StatusCode, got, want)
	}
	if code, b, _ := e.do("GET", "/api/v1/incidents/9/eta", "", nil); code != http.StatusNotFound {
		t.Fatalf("eta of a missing incident: %d %s", code, b)
	}
	// ?at= is refused outside what estimate live --at takes (0 to 1e7 s),
	// as seconds or as an RFC 3339 time (t.Sub saturates at 292 years).
	for _, c := range []struct{ at, want string }{
		{"bogus", `seconds from the incident's start or an RFC 3339 time, got \"bogus\"`},
		{"NaN", `a time from 0 to 1e+07 s from the incident's start, got \"NaN\"`},
		{"-5", `a time from 0 to 1e+07 s from the incident's start, got \"-5\"`},
		{"1e308", `a time from 0 to 1e+07 s from the incident's start, got \"1e308\"`},
		{"10000000.5", `a time from 0 to 1e+07 s from the incident's start, got \"10000000.5\"`},
		{"2026-12-01T13:58:59Z", "2026-12-01T13:58:59Z is before the incident's start 2026-12-01T13:59:00Z"},
		{"2027-03-27T07:45:41Z", "2027-03-27T07:45:41Z is more than 1e+07 s after the incident's start 2026-12-01T13:59:00Z"},
		{"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z is more than 1e+07 s after the incident's start"},
	} {
		code, b, _ := e.do("GET", base+"/eta?at="+c.at, "", nil)
		if code != http.StatusBadRequest || !strings.Contains(string(b), "query parameter at: "+c.want) {
			t.Errorf("eta?at=%s: %d %s; want 400 with %q", c.at, code, b, c.want)
		}
	}
	// The bounds themselves are times to estimate at.
	for _, at := range []string{"0", "1e7", "2027-03-27T07:45:40Z"} {
		if code, b, _ := e.do("GET", base+"/eta?at="+at, "", nil); code != http.StatusOK {
			t.Errorf("eta?at=%s: %d %s; want 200", at, code, b)
		}
	}
	if code, b, _ := e.do("POST", base+"/events", store.ScopeIngest, []byte("{}\n")); code != http.StatusBadRequest || !strings.Contains(string(b), "Idempotency-Key") {
		t.Fatalf("batch without a key: %d %s", code, b)
	}
	if code, b, _ := e.do("POST", base+"/events", store.ScopeRead, []byte("{}\n"), "Idempotency-Key", "x"); code != http.StatusForbidden {
		t.Fatalf("batch with a read token: %d %s", code, b)
	}
}

// TestLiveBounded: with room for one live estimator, two incidents of one
// revision posted to in turn evict each other; every batch is still
// taken once and every ETA (asked twice: the second from the kept
// document) is what a server that never evicted answers. Closing drops
// the estimator and the revision they shared.
func TestLiveBounded(t *testing.T) {
	e := newEnv(t, Config{MaxLive: 1})
	c, evs := smallRecovery(t, e)
	ref := newEnv(t, Config{})
	smallRecovery(t, ref)
	for _, env := range []*env{e, ref} {
		for range 2 {
			if code, b, _ := env.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T11:00:00Z"}`)); code != http.StatusCreated {
				t.Fatalf("create: %d %s", code, b)
			}
		}
	}
	third := len(evs) / 3
	parts := [][]placement.Event{evs[:third], evs[third : 2*third], evs[2*third:]}
	for k, part := range parts {
		for id := 1; id <= 2; id++ {
			path := fmt.Sprintf("/api/v1/incidents/%d", id)
			for _, env := range []*env{e, ref} {
				if code, b, _ := env.do("POST", path+"/events", store.ScopeIngest, batchOf(t, c, part), "Idempotency-Key", fmt.Sprint(k)); code != http.StatusCreated {
					t.Fatalf("incident %d batch %d: %d %s", id, k, code, b)
				}
			}
			at := fmt.Sprintf("%s/eta?at=%.3f", path, part[len(part)-1].TS+30)
			_, want, _ := ref.do("GET", at, "", nil)
			for range 2 {
				if code, got, _ := e.do("GET", at, "", nil); code != http.StatusOK || !bytes.Equal(got, want) {
					t.Fatalf("incident %d after batch %d: %d\n%.400s\nwant\n%.400s", id, k, code, got, want)
				}
			}
			if n, revs := e.srv.LiveStats(); n != 1 || revs != 1 {
				t.Fatalf("after incident %d's batch %d: %d estimators, %d revisions kept; want 1 and 1", id, k, n, revs)
			}
		}
	}
	for id := 1; id <= 2; id++ {
		in, err := e.db.GetIncident(context.Background(), int64(id))
		if err != nil || in.Events != len(evs) {
			t.Fatalf("incident %d holds %d events, want %d (%v)", id, in.Events, len(evs), err)
		}
	}
	if code, b, _ := e.do("POST", "/api/v1/incidents/2/close", store.ScopeIngest, nil); code != http.StatusOK {
		t.Fatalf("close: %d %s", code, b)
	}
	if n, revs := e.srv.LiveStats(); n != 0 || revs != 0 {
		t.Fatalf("after closing: %d estimators, %d revisions kept; want none", n, revs)
	}
}

// TestGroupCommitConcurrent: 8 clients post 3 batches each to their own
// incident at once (group commit), and 8 more post the same batches again
// under the same keys meanwhile (retries): every incident holds its
// batches once each, in order, and every answer said so.
func TestGroupCommitConcurrent(t *testing.T) {
	e := newEnv(t, Config{})
	c, evs := smallRecovery(t, e)
	const clients, batches = 8, 3
	for range clients {
		if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T11:00:00Z"}`)); code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, b)
		}
	}
	n := len(evs) / batches
	bodies := make([][]byte, batches)
	for k := range bodies {
		bodies[k] = batchOf(t, c, evs[k*n:(k+1)*n])
	}
	errs := make(chan error, 2*clients)
	done := make(chan struct{})
	for k := range 2 * clients {
		go func() {
			defer func() { done <- struct{}{} }()
			id := k%clients + 1
			for j, body := range bodies {
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/incidents/%d/events", e.ts.URL, id), bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeIngest])
				req.Header.Set("Idempotency-Key", fmt.Sprint(j))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				var a batchAnswer
				err = json.NewDecoder(res.Body).Decode(&a)
				res.Body.Close()
				if err != nil || (res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK) || a.Batch.Seq != j+1 || a.Batch.Replayed != (res.StatusCode == http.StatusOK) {
					errs <- fmt.Errorf("incident %d batch %d: %d %+v %v", id, j, res.StatusCode, a, err)
					return
				}
			}
		}()
	}
	for range 2 * clients {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var want bytes.Buffer
	for _, b := range bodies {
		want.Write(b)
	}
	for id := int64(1); id <= clients; id++ {
		got, last, err := e.db.IncidentEvents(context.Background(), id, 1)
		if err != nil || last != batches || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("incident %d: %d batches, events equal to the batches once each: %v (%v)", id, last, bytes.Equal(got, want.Bytes()), err)
		}
	}
	t.Logf("%d batches taken in %d transactions", clients*batches, e.srv.group.commits.Load())
}

// TestBatchNotBehindGate: an ETA request waiting for the estimate gate
// (every token taken by other incidents' estimates) does not hold its
// incident's lock, so the incident's batches are taken meanwhile; once
// admitted, it estimates from every event taken by then, exactly as a
// server that got the batches first answers.
func TestBatchNotBehindGate(t *testing.T) {
	e := newEnv(t, Config{})
	c, evs := smallRecovery(t, e)
	if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T13:59:00Z"}`)); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	base := e.ts.URL + "/api/v1/incidents/1"
	half := len(evs) / 2
	if code, b, _ := e.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, batchOf(t, c, evs[:half]), "Idempotency-Key", "one"); code != http.StatusCreated {
		t.Fatalf("batch: %d %s", code, b)
	}
	type answer struct {
		code int
		body []byte
		err  error
	}
	send := func(method, url string, body []byte, header ...string) <-chan answer {
		ch := make(chan answer, 1)
		go func() {
			req, err := http.NewRequest(method, url, bytes.NewReader(body))
			if err != nil {
				ch <- answer{err: err}
				return
			}
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				ch <- answer{err: err}
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			ch <- answer{res.StatusCode, b, err}
		}()
		return ch
	}
	// Other incidents' estimates hold every token of the gate.
	releaseGate := holdGate(e)
	defer releaseGate()
	at := evs[len(evs)-1].TS + 60
	eta := send("GET", fmt.Sprintf("%s/eta?at=%g", base, at), nil)
	for deadline := time.Now().Add(20 * time.Second); e.srv.inc.gateWaits.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the ETA request never waited for the gate")
		}
	}
	post := send("POST", base+"/events", batchOf(t, c, evs[half:]), "Authorization", "Bearer "+e.tokens[store.ScopeIngest], "Idempotency-Key", "two")
	select {
	case a := <-post:
		if a.err != nil || a.code != http.StatusCreated {
			t.Fatalf("batch 2: %d %s %v", a.code, a.body, a.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("batch 2 not taken in 20 s while an ETA request of its incident waited for the estimate gate")
	}
	releaseGate()
	a := <-eta
	if a.err != nil || a.code != http.StatusOK {
		t.Fatalf("eta: %d %s %v", a.code, a.body, a.err)
	}
	// A server that took both batches before the question answers the same.
	ref := newEnv(t, Config{})
	smallRecovery(t, ref)
	ref.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T13:59:00Z"}`))
	ref.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, batchOf(t, c, evs), "Idempotency-Key", "all")
	if _, want, _ := ref.do("GET", fmt.Sprintf("/api/v1/incidents/1/eta?at=%g", at), "", nil); string(a.body) != string(want) {
		t.Fatalf("the ETA after waiting:\n%.600s\nwant (both batches taken first)\n%.600s", a.body, want)
	}
}

// holdGate takes every token of e's estimate gate, as other incidents'
// estimates would; the function it returns gives them back (once, however
// often called).
func holdGate(e *env) func() {
	for range cap(e.srv.inc.estimating) {
		e.srv.inc.estimating <- struct{}{}
	}
	released := false
	return func() {
		if !released {
			released = true
			for range cap(e.srv.inc.estimating) {
				<-e.srv.inc.estimating
			}
		}
	}
}

// TestBatchYieldsToQueuedEstimates: while an ETA request waits for the
// estimate gate (every token taken by other incidents' estimates), a
// batch waits ReadsFirstMax before it is read, then is taken while the
// request still waits; with nothing queued at the gate it does not wait.
// Before, the batch was read at once (its 201 in a few ms).
func TestBatchYieldsToQueuedEstimates(t *testing.T) {
	e := newEnv(t, Config{})
	c, evs := smallRecovery(t, e)
	if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T13:59:00Z"}`)); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	third := len(evs) / 3
	post := func(key string, part []placement.Event) time.Duration {
		t.Helper()
		t0 := time.Now()
		if code, b, _ := e.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, batchOf(t, c, part), "Idempotency-Key", key); code != http.StatusCreated {
			t.Fatalf("batch %s: %d %s", key, code, b)
		}
		return time.Since(t0)
	}
	post("one", evs[:third])
	releaseGate := holdGate(e)
	defer releaseGate()
	eta := make(chan int, 1)
	go func() {
		res, err := http.Get(fmt.Sprintf("%s/api/v1/incidents/1/eta?at=%g", e.ts.URL, evs[len(evs)-1].TS+60))
		if err != nil {
			eta <- 0
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		eta <- res.StatusCode
	}()
	for deadline := time.Now().Add(20 * time.Second); e.srv.inc.gateWaits.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the ETA request never waited for the gate")
		}
	}
	if d := post("two", evs[third:2*third]); d < ReadsFirstMax {
		t.Errorf("batch 2 taken in %s while an ETA request waited for the gate; want it to wait %s first", d, ReadsFirstMax)
	}
	if e.srv.inc.gateWaits.Load() == 0 {
		t.Fatal("the ETA request stopped waiting before batch 2 was taken")
	}
	releaseGate()
	if code := <-eta; code != http.StatusOK {
		t.Fatalf("eta: %d", code)
	}
	e.srv.inc.queuedMu.Lock()
	n, queued := e.srv.inc.gateWaits.Load(), e.srv.inc.queued
	e.srv.inc.queuedMu.Unlock()
	if n != 0 || queued != nil {
		t.Fatalf("nothing waits for the gate, yet %d counted (queued %v)", n, queued)
	}
	post("three", evs[2*third:]) // nothing queued: taken at once (not timed: a slow machine may take 50 ms anyway)
}

// TestCreateBuildsLive: creating an incident builds its live estimator
// and its revision's shared state (so that its first batch and ETA do not
// wait for them), under the same rules as one built when asked: the
// incidents of a revision share it, closing or eviction releases it, and
// a revision that fails to load still creates the incident and gives the
// load's error when the incident is asked about, every time.
func TestCreateBuildsLive(t *testing.T) {
	create := func(e *env, model string) int64 {
		t.Helper()
		code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"`+model+`","start":"2026-12-01T11:00:00Z"}`))
		var in store.Incident
		if code != http.StatusCreated || json.Unmarshal(b, &in) != nil {
			t.Fatalf("create %s: %d %s", model, code, b)
		}
		return in.ID
	}
	stats := func(e *env, wantLive, wantRevs int, when string) {
		t.Helper()
		if n, revs := e.srv.LiveStats(); n != wantLive || revs != wantRevs {
			t.Fatalf("%s: %d estimators, %d revisions kept; want %d and %d", when, n, revs, wantLive, wantRevs)
		}
	}
	e := newEnv(t, Config{})
	smallRecovery(t, e)
	stats(e, 0, 0, "before any incident")
	a := create(e, "small-dc")
	stats(e, 1, 1, "after creating one incident")
	b := create(e, "small-dc")
	stats(e, 2, 1, "after creating a second of the same revision")
	for k, id := range []int64{a, b} {
		if code, out, _ := e.do("POST", fmt.Sprintf("/api/v1/incidents/%d/close", id), store.ScopeIngest, nil); code != http.StatusOK {
			t.Fatalf("close %d: %d %s", id, code, out)
		}
		stats(e, 1-k, 1-k, fmt.Sprintf("after closing %d of 2", k+1))
	}

	// eviction: room for one estimator
	e = newEnv(t, Config{MaxLive: 1})
	smallRecovery(t, e)
	a = create(e, "small-dc")
	b = create(e, "small-dc")
	stats(e, 1, 1, "after creating two with room for one")
	if code, out, _ := e.do("POST", fmt.Sprintf("/api/v1/incidents/%d/close", b), store.ScopeIngest, nil); code != http.StatusOK {
		t.Fatalf("close %d: %d %s", b, code, out)
	}
	stats(e, 0, 0, "after closing the one kept")
	if code, out, _ := e.do("GET", fmt.Sprintf("/api/v1/incidents/%d/eta?at=10", a), "", nil); code != http.StatusOK {
		t.Fatalf("eta of the evicted incident %d: %d %s", a, code, out)
	}
	stats(e, 1, 1, "after asking the evicted one again")

	// a revision that no longer loads: its blob damaged under the server
	if _, err := e.db.Commit(context.Background(), store.CommitRequest{Model: "broken", Author: "test", Message: "soon damaged",
		Files: []store.File{{Name: "power.toml", Data: []byte(readFile(t, smallPow) + "\n# broken\n")}, {Name: "workloads.toml", Data: []byte(readFile(t, smallWl))}}}); err != nil {
		t.Fatal(err)
	}
	sqlDB, err := sql.Open("sqlite", e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if _, err := sqlDB.Exec(`DROP TRIGGER blob_immutable`); err != nil {
		t.Fatal(err)
	}
	if res, err := sqlDB.Exec(`UPDATE blob SET data = CAST('[[[ not toml' AS BLOB) WHERE sha256 IN
		(SELECT f.blob_sha256 FROM revision_file f JOIN revision r ON r.id = f.revision_id JOIN model m ON m.id = r.model_id
		 WHERE m.name = 'broken' AND f.name = 'power.toml')`); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("damaged %d blobs, want 1", n)
	}
	c := create(e, "broken")
	// (room for one: a's estimator made room for it, then its build failed)
	stats(e, 0, 0, "after creating an incident of a revision that does not load")
	for range 2 {
		code, out, _ := e.do("GET", fmt.Sprintf("/api/v1/incidents/%d/eta?at=10", c), "", nil)
		if code != http.StatusUnprocessableEntity || !bytes.Contains(out, []byte(`"file": "broken@1/power.toml"`)) {
			t.Fatalf("eta of an incident whose revision does not load: %d %s; want 422 naming broken@1/power.toml", code, out)
		}
		stats(e, 0, 0, "after asking about it")
	}
}

// TestIncidentEventsBounded: an incident holds at most events.MaxEvents
// events, so that what it acknowledged reads back (its estimator built
// again from the stored events; GET …/events read by estimate live): a
// batch that would take it past them is refused (422, at the event past
// the limit), nothing of it taken. Before, each batch was read against
// the limit alone: 7 batches took 7.8 million events, and the incident's
// stored events then did not read back.
func TestIncidentEventsBounded(t *testing.T) {
	e := newEnv(t, Config{})
	c, evs := smallRecovery(t, e)
	if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T13:59:00Z"}`)); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	half := len(evs) / 2
	if code, b, _ := e.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, batchOf(t, c, evs[:half]), "Idempotency-Key", "one"); code != http.StatusCreated {
		t.Fatalf("batch one: %d %s", code, b)
	}
	// The incident is made to hold all but one of the limit, in the
	// store and in its estimator (posting five million events here would
	// take minutes).
	sqlDB, err := sql.Open("sqlite", e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if _, err := sqlDB.Exec(`UPDATE incident SET events = ? WHERE id = 1`, events.MaxEvents-1); err != nil {
		t.Fatal(err)
	}
	e.srv.inc.mu.Lock()
	lv := e.srv.inc.m[1]
	e.srv.inc.mu.Unlock()
	lv.mu.Lock()
	lv.n = events.MaxEvents - 1
	lv.mu.Unlock()
	code, b, _ := e.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, batchOf(t, c, evs[half:half+2]), "Idempotency-Key", "two")
	want := fmt.Sprintf("batch:2:1: more than %d events with the %d taken before", events.MaxEvents, events.MaxEvents-1)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), want) {
		t.Errorf("a batch past the limit: %d %s, want 422 %q", code, b, want)
	}
	in, err := e.db.GetIncident(context.Background(), 1)
	if err != nil || in.Events != events.MaxEvents-1 {
		t.Errorf("after the refusal the incident holds %d events (%v), want %d", in.Events, err, events.MaxEvents-1)
	}
}

// TestBatchStoredAsWritten: a batch is stored, and GET …/events exports
// it, as events.Write writes its events, whatever form it was posted in:
// JSON Lines as Write writes them (stored as posted), CSV, RFC 3339
// times, and Write's lines with CRLF line breaks and a blank line. Fails
// when the body is stored as posted whatever its form.
func TestBatchStoredAsWritten(t *testing.T) {
	e := newEnv(t, Config{})
	c, evs := smallRecovery(t, e)
	start := time.Date(2026, 12, 1, 13, 59, 0, 0, time.UTC)
	if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T13:59:00Z"}`)); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	q := len(evs) / 4
	parts := [][]placement.Event{evs[:q], evs[q : 2*q], evs[2*q : 3*q], evs[3*q:]}
	var csv bytes.Buffer
	if err := events.Write(&csv, c, parts[1], events.FormatCSV); err != nil {
		t.Fatal(err)
	}
	var rfc bytes.Buffer
	for _, ev := range parts[2] {
		ms := int64(math.Round(ev.TS * 1000))
		node := ""
		if ev.Node >= 0 {
			node = fmt.Sprintf(`,"node":%q`, c.M.Devices[ev.Node].ID)
		}
		fmt.Fprintf(&rfc, `{"time":%q,"instance":%q%s,"state":%q}`+"\n", start.Add(time.Duration(ms)*time.Millisecond).Format(time.RFC3339Nano), c.Name(int(ev.Instance)), node, ev.State.String())
	}
	crlf := strings.ReplaceAll(string(batchOf(t, c, parts[3])), "\n", "\r\n") + "\r\n"
	bodies := [][]byte{batchOf(t, c, parts[0]), csv.Bytes(), rfc.Bytes(), []byte(crlf)}
	for k, body := range bodies {
		if code, b, _ := e.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, body, "Idempotency-Key", fmt.Sprint(k)); code != http.StatusCreated {
			t.Fatalf("batch %d: %d %s", k, code, b)
		}
	}
	code, got, _ := e.do("GET", "/api/v1/incidents/1/events", store.ScopeRead, nil)
	if want := batchOf(t, c, evs); code != http.StatusOK || !bytes.Equal(got, want) {
		t.Fatalf("GET …/events: %d, %d bytes; want Write's %d bytes of the events", code, len(got), len(want))
	}
	for k, part := range parts {
		body, _, err := e.db.IncidentEvents(context.Background(), 1, k+1)
		if one := batchOf(t, c, part); err != nil || !bytes.HasPrefix(body, one) {
			t.Fatalf("batch %d stored as %.200q (%v), want %.200q", k+1, body, err, one)
		}
	}
}
