package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"blackstart/data/store"
)

const (
	incidentFile = "../examples/incident-2019.toml"
	smallPow     = "../examples/small-dc/power.toml"
	smallWl      = "../examples/small-dc/workloads.toml"
)

// env is a server over a new database holding the incident rack, with a
// token of every scope and an expired and a revoked one.
type env struct {
	t      testing.TB
	db     *store.DB
	srv    *Server
	ts     *httptest.Server
	now    time.Time
	tokens map[string]string // scope (or "expired", "revoked") -> bearer
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	db, err := store.Open(filepath.Join(t.TempDir(), "api.db"), store.Options{Create: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, now: now, tokens: map[string]string{}}
	ctx := context.Background()
	for _, s := range []string{store.ScopeRead, store.ScopeWrite, store.ScopeIngest, store.ScopeAdmin} {
		_, b, err := db.CreateToken(ctx, s, s+" token", 0)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[s] = b
	}
	_, b, err := db.CreateToken(ctx, store.ScopeAdmin, "short", now.Add(time.Hour).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["expired"] = b
	tok, b, err := db.CreateToken(ctx, store.ScopeAdmin, "gone", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	e.tokens["revoked"] = b
	if _, err := db.Commit(ctx, store.CommitRequest{Files: []store.File{{Name: "incident-2019.toml", Data: []byte(readFile(t, incidentFile))}},
		Author: "test", Message: "the incident rack"}); err != nil {
		t.Fatal(err)
	}
	cfg.DB = db
	cfg.Version = "test"
	cfg.Now = func() time.Time { return now.Add(2 * time.Hour) } // the short token has expired
	cfg.Log = log.New(io.Discard, "", 0)
	e.srv = New(cfg)
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// do sends a request with the token of scope (none when ""), and returns
// the status and body.
func (e *env) do(method, path, scope string, body []byte, header ...string) (int, []byte, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if scope != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[scope])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

func commitBody(t testing.TB, message string, files ...string) []byte {
	var fs []commitFile
	for _, f := range files {
		fs = append(fs, commitFile{Name: filepath.Base(f), Content: readFile(t, f)})
	}
	b, err := json.Marshal(commitRequest{Message: message, Files: fs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const failover = "/api/v1/models/incident-2019/revisions/@latest/power/failover"

func TestAuth(t *testing.T) {
	e := newEnv(t, Config{})
	small := commitBody(t, "two rows", smallPow, smallWl)
	for _, c := range []struct {
		name         string
		method, path string
		scope        string
		body         []byte
		want         int
	}{
		{"read without token from loopback", "GET", failover, "", nil, 200},
		{"healthz needs nothing", "GET", "/healthz", "", nil, 200},
		{"read token reads", "GET", failover, store.ScopeRead, nil, 200},
		{"ingest token reads", "GET", "/api/v1/models", store.ScopeIngest, nil, 200},
		{"wrong token on a read", "GET", failover, "nonsense", nil, 401},
		{"expired token", "GET", failover, "expired", nil, 401},
		{"revoked token", "GET", failover, "revoked", nil, 401},
		{"write without token", "POST", "/api/v1/models/small-dc/revisions", "", small, 401},
		{"write with wrong token", "POST", "/api/v1/models/small-dc/revisions", "nonsense", small, 401},
		{"write with expired token", "POST", "/api/v1/models/small-dc/revisions", "expired", small, 401},
		{"write with revoked token", "POST", "/api/v1/models/small-dc/revisions", "revoked", small, 401},
		{"write with read scope", "POST", "/api/v1/models/small-dc/revisions", store.ScopeRead, small, 403},
		{"write with ingest scope", "POST", "/api/v1/models/small-dc/revisions", store.ScopeIngest, small, 403},
		{"write with write scope", "POST", "/api/v1/models/small-dc/revisions", store.ScopeWrite, small, 201},
		{"same files again", "POST", "/api/v1/models/small-dc/revisions", store.ScopeAdmin, small, 200},
		{"audit with write scope", "GET", "/api/v1/audit", store.ScopeWrite, nil, 403},
		{"audit without token", "GET", "/api/v1/audit", "", nil, 401},
		{"audit with admin", "GET", "/api/v1/audit", store.ScopeAdmin, nil, 200},
	} {
		if c.scope == "nonsense" {
			e.tokens["nonsense"] = "bst_000000000000_" + strings.Repeat("x", 43)
		}
		got, body, h := e.do(c.method, c.path, c.scope, c.body)
		if got != c.want {
			t.Errorf("%s: %s %s = %d %s, want %d", c.name, c.method, c.path, got, body, c.want)
		}
		if got == 401 && h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
	}
	// Every write was audited, with its token, status and revision.
	_, body, _ := e.do("GET", "/api/v1/audit?limit=1000", store.ScopeAdmin, nil)
	var p struct {
		Count   int                `json:"count"`
		Results []store.AuditEntry `json:"results"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, a := range p.Results {
		statuses = append(statuses, a.Status)
	}
	if want := []int{200, 201, 403, 403, 401, 401, 401, 401}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Fatalf("audit statuses (newest first) %v, want %v", statuses, want)
	}
	created := p.Results[1]
	if created.TokenID != e.tokens[store.ScopeWrite][4:16] || created.Model != "small-dc" || len(created.Revision) != 64 ||
		created.Route != "/api/v1/models/small-dc/revisions" || created.Method != "POST" {
		t.Errorf("audit of the commit: %+v", created)
	}
	if p.Results[7].TokenID != "" {
		t.Errorf("a write without a token audited with token %q", p.Results[7].TokenID)
	}
}

// TestRemote: on a remote server (--allow-remote) reads need a token too;
// on a local one, a read from another host does.
func TestRemote(t *testing.T) {
	e := newEnv(t, Config{Remote: true})
	if got, body, _ := e.do("GET", failover, "", nil); got != 401 {
		t.Errorf("remote server, read without token: %d %s, want 401", got, body)
	}
	if got, _, _ := e.do("GET", failover, store.ScopeRead, nil); got != 200 {
		t.Errorf("remote server, read with token: %d, want 200", got)
	}
	if got, _, _ := e.do("GET", "/healthz", "", nil); got != 200 {
		t.Errorf("remote server, healthz: %d, want 200", got)
	}
	local := newEnv(t, Config{})
	req := httptest.NewRequest("GET", failover, nil)
	req.RemoteAddr = "192.0.2.7:40000"
	rec := httptest.NewRecorder()
	local.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("read from another host without token: %d, want 401", rec.Code)
	}
}

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		addr   string
		remote bool
		tokens int
		ok     bool
	}{
		{"127.0.0.1:8080", false, 0, true}, {"[::1]:8080", false, 0, true}, {"localhost:1", false, 0, true},
		{"0.0.0.0:8080", false, 5, false}, {":8080", false, 5, false}, {"10.1.2.3:80", false, 1, false},
		{"0.0.0.0:8080", true, 0, false}, {"0.0.0.0:8080", true, 1, true}, {"nonsense", true, 1, false},
	} {
		err := CheckListen(c.addr, c.remote, c.tokens)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%q, %v, %d) = %v, want ok %v", c.addr, c.remote, c.tokens, err, c.ok)
		}
	}
}

func TestCommitAndRead(t *testing.T) {
	e := newEnv(t, Config{})
	// A model that does not validate: 422 with every problem's position.
	bad := strings.Replace(readFile(t, incidentFile), "rating_a = 16", "ratting_a = 16", 1)
	bad = strings.Replace(bad, "[site]", "[site]\nbogus = 1", 1)
	body, _ := json.Marshal(commitRequest{Message: "typos", Files: []commitFile{{Name: "bad.toml", Content: bad}}})
	got, out, _ := e.do("POST", "/api/v1/models/incident-2019/revisions", store.ScopeWrite, body)
	var ans struct {
		Error    string    `json:"error"`
		Problems []problem `json:"problems"`
	}
	json.Unmarshal(out, &ans)
	if got != 422 || len(ans.Problems) < 2 {
		t.Fatalf("invalid model: %d %s, want 422 with 2+ problems", got, out)
	}
	for _, p := range ans.Problems {
		if p.File != "bad.toml" || p.Line == 0 || p.Col == 0 || p.Message == "" {
			t.Errorf("problem without a position: %+v", p)
		}
	}
	// A lost update: If-Match names a parent that is not the latest.
	fixed := strings.ReplaceAll(readFile(t, incidentFile), "rating_a = 16", "rating_a = 32")
	body, _ = json.Marshal(commitRequest{Message: "32 A", Files: []commitFile{{Name: "incident-2019.toml", Content: fixed}}})
	if got, out, _ := e.do("POST", "/api/v1/models/incident-2019/revisions", store.ScopeWrite, body, "If-Match", `"abcd"`); got != 412 {
		t.Errorf("If-Match of another parent: %d %s, want 412", got, out)
	}
	_, out, _ = e.do("GET", "/api/v1/models/incident-2019/revisions/@1", "", nil)
	var rev store.Revision
	json.Unmarshal(out, &rev)
	got, out, h := e.do("POST", "/api/v1/models/incident-2019/revisions", store.ScopeWrite, body, "If-Match", `"`+rev.SHA256+`"`)
	if got != 201 || h.Get("Location") != "/api/v1/models/incident-2019/revisions/@2" {
		t.Fatalf("commit on the right parent: %d %s (Location %q), want 201 at @2", got, out, h.Get("Location"))
	}
	// The files come back byte for byte.
	got, out, _ = e.do("GET", "/api/v1/models/incident-2019/revisions/@2/files/incident-2019.toml", "", nil)
	if got != 200 || string(out) != fixed {
		t.Errorf("file of @2: %d, %d bytes; want the committed %d bytes", got, len(out), len(fixed))
	}
	got, out, _ = e.do("GET", "/api/v1/models/incident-2019/revisions/@2?files=true", "", nil)
	var rf revisionFiles
	json.Unmarshal(out, &rf)
	if got != 200 || len(rf.Contents) != 1 || rf.Contents[0].Content != fixed || rf.Seq != 2 || rf.ParentSeq != 1 {
		t.Errorf("revision @2 with files: %d %.300s", got, out)
	}
	for _, c := range []struct {
		path string
		want int
	}{
		{"/api/v1/models/incident-2019/revisions/@9", 404},
		{"/api/v1/models/nope/revisions", 404},
		{"/api/v1/models/incident-2019/revisions/@2/files/other.toml", 404},
		{"/api/v1/models/incident-2019/revisions/@x/power/load", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/load?basis=wrong", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/load?colour=red", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/load?format=csv", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/load?basis=typical&basis=peak", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/failover?horizon=-1", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/failover?fail=nothing", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/failover?all=maybe", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/headroom", 200},
		{"/api/v1/models/incident-2019/revisions/@1/power/headroom?device-model=nope", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/place", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/place?add=x=0", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/place?add=nope=1", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/place?add=server-280w=1&rack=nope", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/balance?max-moves=0", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/balance?imbalance=-1", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/balance?imbalance=NaN", 400},
		{"/api/v1/models/incident-2019/revisions/@1/power/balance?imbalance=inf", 400},
		{"/api/v1/models/incident-2019/revisions/@1/estimate/plan?runs=0", 400},
		{"/api/v1/models/incident-2019/revisions/@1/plan/compare?refresh=0", 400},
		// The incident rack has no workloads: nothing to plan (400), not a
		// plan of zeros.
		{"/api/v1/models/incident-2019/revisions/@1/plan/restart", 400},
		{"/api/v1/models/incident-2019/revisions/@1/plan/compare", 400},
		{"/api/v1/models/incident-2019/revisions/@1/estimate/plan?runs=2", 400},
		{"/api/v1/models/incident-2019/diff?old=@1&new=@2", 200},
		{"/api/v1/models/incident-2019/diff?new=@1", 400},
		{"/api/v1/nothing", 404},
	} {
		if got, out, _ := e.do("GET", c.path, "", nil); got != c.want {
			t.Errorf("GET %s: %d %s, want %d", c.path, got, out, c.want)
		}
	}
	// The parameter is named once, as the other parameters are.
	if _, out, _ := e.do("GET", "/api/v1/models/incident-2019/revisions/@1/power/load?basis=wrong", "", nil); !strings.Contains(string(out), `"error": "query parameter basis must be nameplate, allocated, typical, peak, measured or conservative, got \"wrong\""`) {
		t.Errorf("basis=wrong: %s", out)
	}
}

// TestMethods: a route asked with a method it does not take is 405 with
// Allow.
func TestMethods(t *testing.T) {
	e := newEnv(t, Config{})
	for _, c := range []struct {
		method, path, allow string
	}{
		{"DELETE", "/api/v1/models/incident-2019/revisions", "GET, POST, HEAD"},
		{"POST", "/api/v1/models", "GET, HEAD"},
		{"PUT", "/api/v1/models/incident-2019/revisions/@1/power/failover", "GET, HEAD"},
	} {
		got, out, h := e.do(c.method, c.path, store.ScopeAdmin, nil)
		if got != 405 || h.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d %s (Allow %q), want 405 with Allow %q", c.method, c.path, got, out, h.Get("Allow"), c.allow)
		}
	}
	if got, _, _ := e.do("HEAD", "/api/v1/models", "", nil); got != 200 {
		t.Errorf("HEAD /api/v1/models: %d, want 200", got)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t, Config{})
	data := readFile(t, incidentFile)
	for i := 2; i <= 7; i++ {
		body, _ := json.Marshal(commitRequest{Message: fmt.Sprint("change ", i), Files: []commitFile{{Name: "incident-2019.toml", Content: data + fmt.Sprintf("\n# %d\n", i)}}})
		if got, out, _ := e.do("POST", "/api/v1/models/incident-2019/revisions", store.ScopeWrite, body); got != 201 {
			t.Fatalf("commit %d: %d %s", i, got, out)
		}
	}
	var seqs []int
	next := "/api/v1/models/incident-2019/revisions?limit=3"
	pages := 0
	for next != "" {
		got, out, _ := e.do("GET", next, "", nil)
		if got != 200 {
			t.Fatalf("GET %s: %d %s", next, got, out)
		}
		var p struct {
			Count    int              `json:"count"`
			Next     *string          `json:"next"`
			Previous *string          `json:"previous"`
			Results  []store.Revision `json:"results"`
		}
		if err := json.Unmarshal(out, &p); err != nil {
			t.Fatal(err)
		}
		if p.Count != 7 {
			t.Fatalf("count %d, want 7", p.Count)
		}
		if (pages == 0) != (p.Previous == nil) {
			t.Errorf("page %d: previous %v", pages, p.Previous)
		}
		for _, r := range p.Results {
			seqs = append(seqs, r.Seq)
		}
		next = ""
		if p.Next != nil {
			next = *p.Next
		}
		pages++
	}
	if pages != 3 || fmt.Sprint(seqs) != "[7 6 5 4 3 2 1]" {
		t.Errorf("%d pages of revisions %v, want 3 pages of 7..1", pages, seqs)
	}
	for _, q := range []string{"limit=0", "limit=1001", "offset=-1", "limit=x"} {
		if got, _, _ := e.do("GET", "/api/v1/models?"+q, "", nil); got != 400 {
			t.Errorf("models?%s: %d, want 400", q, got)
		}
	}
	_, out, _ := e.do("GET", "/api/v1/models?offset=5", "", nil)
	if !strings.Contains(string(out), `"results": []`) {
		t.Errorf("a page past the end: %s, want empty results", out)
	}
}

func TestLimitsAndBadBodies(t *testing.T) {
	e := newEnv(t, Config{})
	path := "/api/v1/models/incident-2019/revisions"
	big := bytes.Repeat([]byte(" "), MaxCommitBytes+1)
	if got, out, _ := e.do("POST", path, store.ScopeWrite, big); got != 413 {
		t.Errorf("body of %d bytes: %d %s, want 413", len(big), got, out)
	}
	// Without a Content-Length the limit holds while reading.
	req, _ := http.NewRequest("POST", e.ts.URL+path, io.MultiReader(strings.NewReader(`{"message": "x", "files": [{"name": "a.toml", "content": "`),
		bytes.NewReader(bytes.Repeat([]byte("a"), MaxCommitBytes)), strings.NewReader(`"}]}`)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeWrite])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("chunked body past the limit: %d, want 413", res.StatusCode)
	}
	// Each refused body is told where or which field, in the request's
	// terms (not encoding/json's Go names).
	for _, c := range []struct {
		body string
		want int
		msg  string
	}{
		{``, 400, `request body: empty, want a JSON object`},
		{`{`, 400, `request body:1:2: the JSON ends before its object is closed`},
		{`[]`, 400, `request body: want a JSON object, got an array`},
		{`{"message": "m", "files": []}`, 400, `"error": "no model file"`},
		{`{"message": "m", "files": [{"name": "a.toml", "content": "x"}], "extra": 1}`, 400, `request body: unknown field \"extra\"`},
		{`{"message": "m", "files": [{"name": "../a.toml", "content": "x"}]}`, 400, `file name \"../a.toml\": a base name`},
		{`{"message": "", "files": [{"name": "a.toml", "content": "[site]\nname = \"x\"\n"}]}`, 400, `"error": "empty message (say why the model changed)"`},
		{`{"message": "m", "files": [{"name": "a.toml", "content": "[site"}]}`, 422, `a.toml`},
		{`{"message": "m", "files": [{"name": "a.toml", "content": "x"}]} {}`, 400, `request body:1:65: data after the JSON object`},
		{`null`, 400, `request body: want a JSON object, got null`},
		{`{"message": 5}`, 400, `request body:1:13: field \"message\" must be a string, got a number`},
		{"{\"message\": \"m\",\n \"files\": [{\"name\": \"a.toml\", \"content\": true}]}", 400, `request body:2:42: field \"files.content\" must be a string, got a boolean`},
		{`{"message": "m", "files": "a \"b\" c"}`, 400, `request body:1:27: field \"files\" must be an array, got a string`},
		{`{"message": "m", "files": {}}`, 400, `request body:1:27: field \"files\" must be an array, got an object`},
		{"{\"message\": \"m\",\n  bad}", 400, `request body:2:3: invalid character 'b' looking for beginning of object key string`},
	} {
		if got, out, _ := e.do("POST", path, store.ScopeWrite, []byte(c.body)); got != c.want || !strings.Contains(string(out), c.msg) {
			t.Errorf("body %q: %d %s, want %d with %s", c.body, got, out, c.want, c.msg)
		}
	}
	// Every refused write was audited, with its status.
	es, n, err := e.db.AuditLog(context.Background(), 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, a := range es {
		seen[a.Status]++
	}
	if n != 17 || seen[413] != 2 || seen[422] != 1 || seen[400] != 14 {
		t.Errorf("audit of 17 refused writes: %d entries, statuses %v; want 2×413, 1×422, 14×400", n, seen)
	}
	// A route that reads no body takes none.
	if got, out, _ := e.do("GET", failover, "", []byte("x")); got != 413 {
		t.Errorf("GET with a body: %d %s, want 413", got, out)
	}
	// Headers are bounded too.
	req, _ = http.NewRequest("GET", e.ts.URL+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 2<<20))
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		if res.StatusCode != 431 {
			t.Errorf("2 MiB header: %d, want 431", res.StatusCode)
		}
	}
}

// TestBusy: past the bound on analyses running, an uncached result is
// 429 with Retry-After; a cached one is still served.
func TestBusy(t *testing.T) {
	e := newEnv(t, Config{MaxAnalyses: 1})
	if got, _, _ := e.do("GET", failover, "", nil); got != 200 {
		t.Fatalf("failover: %d", got)
	}
	e.srv.sem <- struct{}{} // the one analysis slot taken
	defer func() { <-e.srv.sem }()
	got, out, h := e.do("GET", "/api/v1/models/incident-2019/revisions/@1/power/load", "", nil)
	if got != 429 || h.Get("Retry-After") == "" {
		t.Errorf("analysis past the bound: %d %s (Retry-After %q), want 429 with Retry-After", got, out, h.Get("Retry-After"))
	}
	if got, _, _ := e.do("GET", failover, "", nil); got != 200 {
		t.Errorf("cached failover while busy: %d, want 200", got)
	}
}

// TestClientGoesAway: a sweep whose only client left stops, and is not
// cached; a later request computes it whole.
func TestClientGoesAway(t *testing.T) {
	e := newEnv(t, Config{})
	stopped := make(chan bool, 1)
	release := make(chan struct{})
	key := "k"
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/x", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	done := make(chan error, 1)
	go func() {
		done <- e.srv.serveResult(rec, req, key, strings.Repeat("a", 64), func(stop func() bool) ([]byte, error) {
			<-release
			stopped <- stop()
			return []byte("partial"), nil
		})
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err == nil {
		t.Fatalf("serveResult returned nil for a client that went away")
	}
	close(release)
	if !<-stopped {
		t.Errorf("the computation was not told to stop once its only client left")
	}
	_, body, _ := e.do("GET", failover, "", nil)
	var rep struct {
		Summary struct {
			Risky int `json:"risky_scenarios"`
		} `json:"summary"`
	}
	if json.Unmarshal(body, &rep) != nil || rep.Summary.Risky != 48 {
		t.Fatalf("failover after a stopped computation: %.200s", body)
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, Config{})
	got, out, _ := e.do("GET", "/healthz", "", nil)
	var h struct {
		Status        string `json:"status"`
		Database      string `json:"database"`
		SchemaVersion int    `json:"schema_version"`
		WALBytes      *int64 `json:"wal_bytes"`
		Version       string `json:"version"`
	}
	json.Unmarshal(out, &h)
	if got != 200 || h.Status != "ok" || h.Database != "ok" || h.SchemaVersion != store.SchemaVersion() || h.WALBytes == nil || h.Version != "test" {
		t.Errorf("healthz: %d %s", got, out)
	}
	e.db.Close()
	if got, out, _ := e.do("GET", "/healthz", "", nil); got != 503 {
		t.Errorf("healthz with the database closed: %d %s, want 503", got, out)
	}
}

// TestPersistedResults: with PersistResults a result outlives the server:
// a new server over the same database answers it with no analysis slot
// free, so without computing; a build of another version does not see it.
func TestPersistedResults(t *testing.T) {
	e := newEnv(t, Config{PersistResults: true})
	got, first, _ := e.do("GET", failover, "", nil, "Accept-Encoding", "identity")
	if got != 200 {
		t.Fatalf("failover: %d", got)
	}
	again := New(Config{DB: e.db, Version: "test", PersistResults: true, MaxAnalyses: 1, Log: e.srv.cfg.Log, Now: e.srv.cfg.Now})
	again.sem <- struct{}{} // no slot: a computation would be 429
	rec := httptest.NewRecorder()
	local := func() *http.Request {
		r := httptest.NewRequest("GET", failover, nil)
		r.RemoteAddr = "127.0.0.1:5000"
		return r
	}
	again.Handler().ServeHTTP(rec, local())
	if rec.Code != 200 || rec.Body.String() != string(first) {
		t.Errorf("a new server with no slot free: %d, %d bytes; want the kept %d bytes", rec.Code, rec.Body.Len(), len(first))
	}
	other := New(Config{DB: e.db, Version: "other", PersistResults: true, MaxAnalyses: 1, Log: e.srv.cfg.Log, Now: e.srv.cfg.Now})
	other.sem <- struct{}{}
	rec = httptest.NewRecorder()
	other.Handler().ServeHTTP(rec, local())
	if rec.Code != 429 {
		t.Errorf("another build: %d, want 429 (nothing kept for it, no slot to compute)", rec.Code)
	}
	for _, c := range []struct {
		v    string
		want bool
	}{{"devel", false}, {"devel-abc123", false}, {"v0.0.0-20261202-abcdef123456", true}, {"v0.0.0-20261202-abcdef123456+dirty", false}, {"test", false}} {
		if got := Persistable(c.v); got != c.want {
			t.Errorf("Persistable(%q) = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestGracefulShutdown: a commit in flight when the server is told to stop
// finishes (201, stored) before Serve returns; new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	body := commitBody(t, "two rows", smallPow, smallWl)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/v1/models/small-dc/revisions", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeWrite])
	answered := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	pw.Write(body[:len(body)/2]) // the request is in flight
	time.Sleep(100 * time.Millisecond)
	stop()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	default:
	}
	pw.Write(body[len(body)/2:])
	pw.Close()
	if got := <-answered; got != 201 {
		t.Fatalf("commit in flight during shutdown: %d, want 201", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if revs, err := e.db.Log(context.Background(), "small-dc"); err != nil || len(revs) != 1 {
		t.Errorf("after shutdown: %d revisions of small-dc, %v; want the one committed", len(revs), err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Errorf("the server still accepts connections after shutdown")
	}
}

// TestSequentialNotBusy: with one analysis slot, a client that sends each
// request once it has the previous answer is never told 429: the slot is
// given back before the waiters hear of the result. (It was given back
// after, so on a loaded machine a quick next request could find it still
// taken: TestCommitAndRead failed once that way.) Server.resultHook runs right
// before the waiters are told, and checks the slot is free by then (no
// other request can hold it: the only client waits for this answer).
func TestSequentialNotBusy(t *testing.T) {
	e := newEnv(t, Config{MaxAnalyses: 1})
	var held atomic.Int32
	e.srv.resultHook = func(s *Server) {
		if len(s.sem) != 0 {
			held.Add(1)
		}
	}
	for h := 1; h <= 50; h++ {
		path := fmt.Sprintf("/api/v1/models/incident-2019/revisions/@1/power/failover?horizon=%d", h)
		if got, out, _ := e.do("GET", path, "", nil); got != 200 {
			t.Fatalf("request %d of 50, each sent after the last answer: %d %s, want 200", h, got, out)
		}
	}
	if n := held.Load(); n > 0 {
		t.Errorf("%d of 50 results were about to be told to their waiters while the analysis slot was still held", n)
	}
}

// TestBodyValuesBounded: a JSON body of many tiny values within the byte
// limit is refused before it is decoded, cheaply, at the value past the
// limit; a body that is not an object is named without being decoded.
// Before, 5,000,000 empty files (15 MB) or 8,000,000 numbers (16 MB)
// were decoded: the first ran the service out of a 2 GiB address space.
func TestBodyValuesBounded(t *testing.T) {
	e := newEnv(t, Config{})
	path := "/api/v1/models/incident-2019/revisions"
	files := func(k int) []byte {
		return []byte(`{"message":"m","files":[` + strings.TrimSuffix(strings.Repeat("{},", k), ",") + `]}`)
	}
	// {, ",", [ and then each file's { and the commas between them: 4,999
	// files are 10,000 values, 5,000 are 10,002.
	if got, out, _ := e.do("POST", path, store.ScopeWrite, files(4999)); strings.Contains(string(out), "JSON values") {
		t.Errorf("10,000 values: %d %s, want them counted within the limit", got, out)
	}
	want := fmt.Sprintf("request body:1:%d: more than 10000 JSON values (no request of this API holds as many: a commit of its 100 files at most holds about 300)", len(`{"message":"m","files":[`)+3*4999-1+1)
	if got, out, _ := e.do("POST", path, store.ScopeWrite, files(5000)); got != 400 || !strings.Contains(string(out), want) {
		t.Errorf("10,002 values: %d %s, want 400 %q", got, out, want)
	}
	for _, c := range []struct {
		name string
		body []byte
		msg  string
	}{
		{"5,000,000 empty files", files(5_000_000), "more than 10000 JSON values"},
		{"8,000,000 numbers", []byte("[" + strings.TrimSuffix(strings.Repeat("1,", 8_000_000), ",") + "]"), "want a JSON object, got an array"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, out, _ := e.do("POST", path, store.ScopeWrite, c.body)
		runtime.ReadMemStats(&after)
		if got != 400 || !strings.Contains(string(out), c.msg) {
			t.Errorf("%s: %d %s, want 400 %q", c.name, got, out, c.msg)
		}
		// The body is read (16 MiB at most, in a growing buffer), not
		// decoded.
		if n := after.TotalAlloc - before.TotalAlloc; n > 96<<20 {
			t.Errorf("%s: %d MB allocated, want at most 96", c.name, n>>20)
		}
	}
}
