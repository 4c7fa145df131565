package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"blackstart/analysis"
	"blackstart/data/store"
	"blackstart/topology"
)

const readingsPath = "/api/v1/models/incident-2019/readings"

// incidentReadings: n readings of server-01's power, one a minute from
// start (Unix s).
func incidentReadings(start, n int) string {
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,server-01,%d\n", start+60*i, 200+i)
	}
	return b.String()
}

func importAnswer(t *testing.T, body []byte) store.ImportResult {
	t.Helper()
	var res store.ImportResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return res
}

// TestIngestReadings: the readings route takes the ingest (or admin)
// scope, stores a file whole, adds nothing when the same file comes
// again, refuses a bad file whole with each problem's line and column,
// and audits every attempt.
func TestIngestReadings(t *testing.T) {
	e := newEnv(t, Config{})
	csv := []byte(incidentReadings(1764590400, 5))
	for _, c := range []struct {
		scope string
		want  int
	}{{"", 401}, {store.ScopeRead, 403}, {store.ScopeWrite, 403}, {"expired", 401}, {"revoked", 401}} {
		if got, body, _ := e.do("POST", readingsPath, c.scope, csv); got != c.want {
			t.Errorf("token %q: %d %s, want %d", c.scope, got, body, c.want)
		}
	}
	got, body, _ := e.do("POST", readingsPath+"?name=pdu.csv", store.ScopeIngest, csv)
	if got != 200 {
		t.Fatalf("ingest: %d %s", got, body)
	}
	res := importAnswer(t, body)
	if res.File != "pdu.csv" || res.Model != "incident-2019" || res.Revision != "@1" || res.Readings != 5 || res.Added != 5 || res.Duplicates != 0 ||
		res.FirstMS != 1764590400000 || res.LastMS != 1764590640000 {
		t.Errorf("first ingest: %+v", res)
	}
	// The same file again (as JSON Lines, by an admin) adds nothing.
	var jl strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&jl, `{"time": %d, "element": "server-01", "power_w": %d}`+"\n", 1764590400+60*i, 200+i)
	}
	got, body, _ = e.do("POST", readingsPath, store.ScopeAdmin, []byte(jl.String()))
	if res := importAnswer(t, body); got != 200 || res.Readings != 5 || res.Added != 0 || res.Duplicates != 5 || res.File != "body" {
		t.Errorf("re-post: %d %+v, want 200 with 0 added, 5 duplicates", got, res)
	}
	// A file with one bad row is refused whole: 422 with the row's place.
	bad := incidentReadings(1764600000, 3) + "1764600180,no-such-server,1\n1764600240,server-01,oops\n"
	got, body, _ = e.do("POST", readingsPath+"?name=bad.csv", store.ScopeIngest, []byte(bad))
	var refusal struct {
		Error    string    `json:"error"`
		Problems []problem `json:"problems"`
	}
	if err := json.Unmarshal(body, &refusal); err != nil || got != 422 {
		t.Fatalf("bad file: %d %s", got, body)
	}
	if len(refusal.Problems) != 2 || !strings.Contains(refusal.Error, "readings") {
		t.Fatalf("bad file: problems %+v (%s), want 2", refusal.Problems, refusal.Error)
	}
	for i, want := range []struct {
		line int
		has  string
	}{{5, "no-such-server"}, {6, "oops"}} {
		p := refusal.Problems[i]
		if p.File != "bad.csv" || p.Line != want.line || p.Col < 1 || !strings.Contains(p.Message, want.has) {
			t.Errorf("problem %d: %+v, want bad.csv line %d, a column, naming %q", i, p, want.line, want.has)
		}
	}
	// Nothing of it was stored: its three good rows are new afterwards.
	got, body, _ = e.do("POST", readingsPath, store.ScopeIngest, []byte(incidentReadings(1764600000, 3)))
	if res := importAnswer(t, body); got != 200 || res.Added != 3 {
		t.Errorf("the refused file's good rows, alone: %d %+v, want 3 added", got, res)
	}
	for _, c := range []struct {
		path string
		body string
		want int
	}{
		{"/api/v1/models/nope/readings", string(csv), 404},
		{readingsPath, "", 422},
		{readingsPath + "?name=a/b.csv", string(csv), 400},
		{readingsPath + "?format=csv", string(csv), 400},
		{readingsPath, "time,element\n1,server-01\n", 422},
	} {
		if got, body, _ := e.do("POST", c.path, store.ScopeIngest, []byte(c.body)); got != c.want {
			t.Errorf("POST %s %q: %d %s, want %d", c.path, c.body, got, body, c.want)
		}
	}
	// Every attempt was audited, newest first.
	_, body, _ = e.do("GET", "/api/v1/audit?limit=1000", store.ScopeAdmin, nil)
	var p struct {
		Results []store.AuditEntry `json:"results"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, a := range p.Results {
		if a.Route == readingsPath || strings.HasSuffix(a.Route, "/readings") {
			statuses = append(statuses, a.Status)
		}
	}
	if want := []int{422, 400, 400, 422, 404, 200, 422, 200, 200, 401, 401, 403, 403, 401}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("audited readings posts (newest first) %v, want %v", statuses, want)
	}
	for _, a := range p.Results {
		if a.Route == readingsPath && a.Status == 200 && (a.Model != "incident-2019" || len(a.Revision) != 64 || a.TokenID == "") {
			t.Errorf("audit of an ingest: %+v", a)
		}
	}
}

// TestIngestLimit: a readings body past the bound is 413, announced or
// not, and leaves nothing behind.
func TestIngestLimit(t *testing.T) {
	e := newEnv(t, Config{MaxReadingsBytes: 1024})
	big := incidentReadings(1764590400, 60) // about 1.4 KB
	if len(big) <= 1024 {
		t.Fatalf("test body of %d bytes is not past the limit", len(big))
	}
	if got, body, _ := e.do("POST", readingsPath, store.ScopeIngest, []byte(big)); got != 413 {
		t.Errorf("body of %d bytes: %d %s, want 413", len(big), got, body)
	}
	req, _ := http.NewRequest("POST", e.ts.URL+readingsPath, io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeIngest])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("chunked body past the limit: %d %s, want 413", res.StatusCode, b)
	}
	// Within the limit, all of the rows are new: the refused ones left nothing.
	small := incidentReadings(1764590400, 20)
	got, body, _ := e.do("POST", readingsPath, store.ScopeIngest, []byte(small))
	if r := importAnswer(t, body); got != 200 || r.Added != 20 {
		t.Errorf("after the refusals: %d %+v, want 20 added", got, r)
	}
	if !bytes.Contains(body, []byte(`"added": 20`)) {
		t.Errorf("answer %s", body)
	}
}

// TestETAStops: the estimate/plan route's computation ends with
// ErrStopped (answered 499, not cached) once its stop function says every
// client went away.
func TestETAStops(t *testing.T) {
	// A model with workloads: the incident rack has nothing to plan.
	m, err := topology.Load(smallPow, smallWl)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range analyses {
		if a.path != "estimate/plan" {
			continue
		}
		q, err := newQuery(httptest.NewRequest("GET", "/x?runs=100", nil))
		if err != nil {
			t.Fatal(err)
		}
		_, run, err := a.parse(q)
		if err != nil {
			t.Fatal(err)
		}
		polls := 0
		_, err = run(m, func() bool { polls++; return polls == 2 })
		if !errors.Is(err, analysis.ErrStopped) || polls != 2 || classify(err).status != 499 {
			t.Errorf("estimate/plan stopped at its 2nd poll: %v after %d polls", err, polls)
		}
		return
	}
	t.Fatal("no estimate/plan route")
}
