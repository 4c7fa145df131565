package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"blackstart/data/store"
)

// FuzzCommitBody feeds the commit body reader (and the strict model
// loader behind it) arbitrary bodies and If-Match headers: it never
// panics, and every refusal is a client error (400, 413 or 422), never a
// 500.
func FuzzCommitBody(f *testing.F) {
	f.Add([]byte(`{"message": "m", "files": [{"name": "a.toml", "content": "[site]\nname = \"x\"\n"}]}`), "")
	f.Add([]byte(`{"author": "a", "message": "m", "parent": "-", "files": [{"name": "a.toml", "content": "[[source]]\nid = \"u\"\nvoltage_v = 230\n"}]}`), `"abcd"`)
	f.Add([]byte(`{"message": "m", "files": [{"name": "../x", "content": ""}]}`), "")
	f.Add([]byte(`{"files": null}`), "*")
	f.Add([]byte(`[`), "")
	f.Fuzz(func(t *testing.T, body []byte, ifMatch string) {
		r := httptest.NewRequest("POST", "/api/v1/models/m/revisions", bytes.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
		if ifMatch != "" {
			r.Header.Set("If-Match", ifMatch)
		}
		req, err := readCommit(r, "m")
		if err == nil {
			if req.Author == "" {
				req.Author = "fuzz"
			}
			_, err = store.Prepare(req)
		}
		if err == nil {
			return
		}
		if st := classify(err).status; st != 400 && st != 413 && st != 422 {
			t.Fatalf("body %q: status %d for %v", body, st, err)
		}
	})
}

// FuzzAnalysisQuery feeds every analysis route's query parser arbitrary
// query strings: it never panics, refusals are 400, and an accepted query
// has one canonical form whatever the order of its parameters.
func FuzzAnalysisQuery(f *testing.F) {
	for _, s := range []string{"", "basis=typical", "fail=a&fail=b&horizon=60&all=1", "seed=2&refresh=30&dispatch-rate=5",
		"runs=5&policy=stale&seed=9", "format=json", "x=%zz", "horizon=NaN", "runs=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, a := range analyses {
			r := httptest.NewRequest("GET", "/x", nil)
			r.URL.RawQuery = raw
			q, err := newQuery(r)
			if err == nil {
				_, _, err = a.parse(q)
			}
			if err == nil {
				err = q.done()
			}
			if err != nil {
				if st := classify(err).status; st != 400 {
					t.Fatalf("%s?%s: status %d for %v", a.path, raw, st, err)
				}
			}
		}
	})
}

// FuzzReadingsBody posts arbitrary bodies to the readings route: it never
// panics, a refusal is 413 or 422 (never a 500), and a body that was
// stored adds nothing when posted again — unless some of its readings are
// older than the raw retention before the newest reading stored, which
// the import's prune drops (a second import adds and drops them again;
// the rollups do not change).
func FuzzReadingsBody(f *testing.F) {
	f.Add([]byte("time,element,power_w\n1764590400,server-01,250\n"))
	f.Add([]byte("time,element,line,current_a\n2026-12-01T00:00:00Z,breaker-a,L1,3\n"))
	f.Add([]byte(`{"time": 1764590400, "element": "server-02", "power_w": 180.5}` + "\n"))
	f.Add([]byte(`{"time": "x"}`))
	f.Add([]byte("\xef\xbb\xbftime,element,power_w\n1,pdu-a,NaN\n"))
	f.Add([]byte("time,element,power_w\n1,server-01,00\n"))
	e := newEnv(f, Config{MaxReadingsBytes: 1 << 16})
	ret, err := e.db.Retention(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	h := e.srv.Handler()
	newest := int64(math.MinInt64) // the newest reading stored in this process's database, Unix ms
	post := func(t *testing.T, body []byte) (int, store.ImportResult) {
		r := httptest.NewRequest("POST", readingsPath, bytes.NewReader(body))
		r.RemoteAddr = "127.0.0.1:1234"
		r.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeIngest])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var res store.ImportResult
		if w.Code == 200 {
			if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
				t.Fatalf("body %q: 200 with %s", body, w.Body.Bytes())
			}
			newest = max(newest, res.LastMS)
		}
		return w.Code, res
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		st, first := post(t, body)
		switch st {
		case 200:
			pruned := first.FirstMS < newest-int64(ret.RawDays)*86_400_000+3_600_000 // within an hour of the cut
			if st, again := post(t, body); st != 200 || again.Added != 0 && !pruned {
				t.Fatalf("body %q posted again: %d, %d added", body, st, again.Added)
			}
		case 413, 422:
		default:
			t.Fatalf("body %q: status %d", body, st)
		}
	})
}

// FuzzEventsBatch posts arbitrary bodies as a batch of an incident's
// progress events: it never panics, a refusal is 400, 409, 413 or 422
// (never a 500), and a batch that was taken, posted again under its
// Idempotency-Key, is acknowledged as a replay and adds nothing.
func FuzzEventsBatch(f *testing.F) {
	f.Add([]byte("t_s,instance,node,state\n0,etcd#0,node-01,started\n"))
	f.Add([]byte(`{"t_s": 1, "instance": "etcd#0", "node": "node-01", "state": "up"}` + "\n"))
	f.Add([]byte("time,instance,node,state\n2026-12-01T14:00:00Z,etcd#1,node-02,started\n"))
	f.Add([]byte(`{"t_s": 1e308}`))
	f.Add([]byte("t_s,instance,node,state\n"))
	f.Add([]byte("\x00\xff"))
	e := newEnv(f, Config{})
	if _, err := e.db.Commit(context.Background(), store.CommitRequest{Model: "small-dc", Author: "test", Message: "two rows",
		Files: []store.File{{Name: "power.toml", Data: []byte(readFile(f, smallPow))}, {Name: "workloads.toml", Data: []byte(readFile(f, smallWl))}}}); err != nil {
		f.Fatal(err)
	}
	h := e.srv.Handler()
	post := func(path string, body []byte, key string) (int, []byte) {
		r := httptest.NewRequest("POST", path, bytes.NewReader(body))
		r.RemoteAddr = "127.0.0.1:1234"
		r.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeIngest])
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.Bytes()
	}
	if code, b := post("/api/v1/incidents", []byte(`{"model":"small-dc","start":"2026-12-01T13:59:00Z"}`), ""); code != http.StatusCreated {
		f.Fatalf("create the incident: %d %s", code, b)
	}
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		key := fmt.Sprintf("fuzz-%d", n)
		code, b := post("/api/v1/incidents/1/events", body, key)
		switch code {
		case http.StatusCreated:
			var first struct {
				Events int `json:"events"`
			}
			if err := json.Unmarshal(b, &first); err != nil {
				t.Fatalf("body %q: 201 with %s", body, b)
			}
			again, b2 := post("/api/v1/incidents/1/events", body, key)
			var second struct {
				Batch struct {
					Replayed bool `json:"replayed"`
				} `json:"batch"`
				Events int `json:"events"`
			}
			if err := json.Unmarshal(b2, &second); again != http.StatusOK || err != nil || !second.Batch.Replayed || second.Events != first.Events {
				t.Fatalf("body %q posted again under its key: %d %s; want 200, replayed, %d events", body, again, b2, first.Events)
			}
		case http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("body %q: status %d %s", body, code, b)
		}
	})
}
