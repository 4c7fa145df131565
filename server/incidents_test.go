package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	if code, b, _ := e.do("POST", base+"/events", store.ScopeIngest, []byte("{}\n")); code != http.StatusBadRequest || !strings.Contains(string(b), "Idempotency-Key") {
		t.Fatalf("batch without a key: %d %s", code, b)
	}
	if code, b, _ := e.do("POST", base+"/events", store.ScopeRead, []byte("{}\n"), "Idempotency-Key", "x"); code != http.StatusForbidden {
		t.Fatalf("batch with a read token: %d %s", code, b)
	}
}
