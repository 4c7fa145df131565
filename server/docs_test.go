package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"blackstart/data/store"
)

// apiDoc is docs/api.md.
func apiDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRoutesDocumented: every route the server registers is in
// docs/api.md with its method (the analyses as rows of its table of
// analyses), and every API route docs/api.md gives, method and path, is
// registered; every page of its table of pages answers. A route added
// without its documentation, or documented and gone, fails here.
func TestRoutesDocumented(t *testing.T) {
	e := newEnv(t, Config{})
	doc := apiDoc(t)
	documented := map[string]bool{} // "METHOD /path"
	for _, m := range regexp.MustCompile(`\b(GET|POST|PUT|PATCH|DELETE|HEAD) (/[A-Za-z0-9_{}/.$-]*)`).FindAllStringSubmatch(doc, -1) {
		documented[m[1]+" "+m[2]] = true
	}
	// The analyses: `GET /api/v1/models/{model}/revisions/{rev}/…`, one row
	// each: | `power/load` | `power load --format json` | … |
	const analysisPrefix = "/api/v1/models/{model}/revisions/{rev}/"
	if !strings.Contains(doc, "`GET "+analysisPrefix+"…`") {
		t.Errorf("docs/api.md does not give the analyses' prefix GET %s…", analysisPrefix)
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z]+/[a-z]+)` \\| `").FindAllStringSubmatch(doc, -1) {
		documented["GET "+analysisPrefix+m[1]] = true
	}
	registered := map[string]bool{}
	for _, path := range e.srv.paths {
		for _, method := range e.srv.methods[path] {
			registered[method+" "+path] = true
		}
	}
	if len(registered) < 20 {
		t.Fatalf("%d routes registered, want every API route", len(registered))
	}
	var missing, gone []string
	for r := range registered {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		_, path, _ := strings.Cut(r, " ")
		if (strings.HasPrefix(path, "/api/") || path == "/healthz") && !strings.HasSuffix(path, "/") && !registered[r] {
			gone = append(gone, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(gone)
	for _, r := range missing {
		t.Errorf("route %s is registered but not in docs/api.md", r)
	}
	for _, r := range gone {
		t.Errorf("docs/api.md gives route %s, which the server does not register", r)
	}

	// The scopes, as api.md's table of scopes gives them: every GET needs
	// read but the audit log (admin), a commit write, every other POST
	// ingest; /healthz nothing. A token of each scope is sent to every
	// route (the stream, which does not end, excepted): 403 exactly when
	// its scope does not cover the route's.
	for _, want := range []string{"| `read` | every GET route but the audit log |", "| `ingest` | what read may, and post measured readings",
		"| `write` | what read may, and commit revisions |", "| `admin` | everything, including `GET /api/v1/audit` |"} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/api.md's table of scopes has no row %q", want)
		}
	}
	covers := map[string][]string{store.ScopeRead: {store.ScopeRead}, store.ScopeWrite: {store.ScopeRead, store.ScopeWrite},
		store.ScopeIngest: {store.ScopeRead, store.ScopeIngest}, store.ScopeAdmin: {store.ScopeRead, store.ScopeWrite, store.ScopeIngest, store.ScopeAdmin}}
	fillAPI := strings.NewReplacer("{model}", "incident-2019", "{rev}", "@1", "{file}", "incident-2019.toml", "{id}", "1")
	for r := range registered {
		method, path, _ := strings.Cut(r, " ")
		need := store.ScopeRead
		switch {
		case path == "/healthz":
			need = ""
		case path == "/api/v1/audit":
			need = store.ScopeAdmin
		case method == "POST" && path == "/api/v1/models/{model}/revisions":
			need = store.ScopeWrite
		case method == "POST":
			need = store.ScopeIngest
		}
		if strings.HasSuffix(path, "/stream") {
			continue
		}
		for scope, has := range covers {
			allowed := need == "" || slices.Contains(has, need)
			code, b, _ := e.do(method, fillAPI.Replace(path), scope, nil)
			if (code == http.StatusForbidden) == allowed {
				t.Errorf("%s with a %s token: %d, but docs/api.md says it needs scope %q\n%.200s", r, scope, code, need, b)
			}
		}
	}

	// The pages: | `/models/{model}` | … | rows of the table of pages.
	pages := regexp.MustCompile("(?m)^\\| `(/[^`]*)` \\| ").FindAllStringSubmatch(doc[strings.Index(doc, "## Pages"):], -1)
	if len(pages) < 5 {
		t.Fatalf("docs/api.md's table of pages has %d rows", len(pages))
	}
	fill := strings.NewReplacer("{model}", "incident-2019", "{rev}", "@1", "{id}", "1", "REV", "@1", "[&basis=]", "")
	if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"incident-2019"}`)); code != http.StatusCreated {
		t.Fatalf("create an incident: %d %s", code, b)
	}
	for _, p := range pages {
		path := fill.Replace(p[1])
		if code, b, _ := e.do("GET", path, "", nil); code != http.StatusOK {
			t.Errorf("page %s (GET %s): %d\n%.300s", p[1], path, code, b)
		}
	}
}

// TestAnalysisParametersDocumented: each analysis route takes exactly
// the query parameters its row of docs/api.md's table of analyses gives.
// The route's parser is run on a query holding every documented
// parameter: it must accept them all, and read no other (what it reads is
// what it accepts; any other parameter is a 400).
func TestAnalysisParametersDocumented(t *testing.T) {
	doc := apiDoc(t)
	value := map[string]string{"basis": "conservative", "horizon": "600", "fail": "x", "all": "true", "device-model": "m",
		"add": "m=1", "rack": "r", "no-verify": "true", "max-moves": "3", "imbalance": "20", "seed": "1", "refresh": "30",
		"dispatch-rate": "0", "runs": "5", "policy": "plan"}
	paren := regexp.MustCompile(`\([^()]*\)`)
	rows := map[string]map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z]+/[a-z]+)` \\|[^|]*\\|([^|]*)\\|$").FindAllStringSubmatch(doc, -1) {
		params := map[string]bool{}
		for _, p := range regexp.MustCompile("`([a-z-]+)`").FindAllStringSubmatch(paren.ReplaceAllString(m[2], ""), -1) {
			params[p[1]] = true
		}
		rows[m[1]] = params
	}
	if len(rows) != len(analyses) {
		t.Errorf("docs/api.md's table of analyses has %d rows, the server %d analyses", len(rows), len(analyses))
	}
	for _, a := range analyses {
		params, ok := rows[a.path]
		if !ok {
			t.Errorf("analysis %s has no row in docs/api.md", a.path)
			continue
		}
		v := url.Values{}
		for p := range params {
			val, ok := value[p]
			if !ok {
				t.Fatalf("the test has no value for parameter %q of %s", p, a.path)
			}
			v.Set(p, val)
		}
		q := &query{v: v, used: map[string]bool{}}
		if _, _, err := a.parse(q); err != nil {
			t.Errorf("%s?%s: %v", a.path, v.Encode(), err)
			continue
		}
		if err := q.done(); err != nil {
			t.Errorf("%s?%s: %v", a.path, v.Encode(), err)
		}
		for p := range q.used {
			if !params[p] {
				t.Errorf("%s takes parameter %q, which docs/api.md does not give", a.path, p)
			}
		}
	}
}

// docKeys are the names docs/api.md gives (identifiers inside `code`
// spans, which may wrap within a paragraph, and "quoted" keys), and
// those of the pages named.
func docKeys(t *testing.T, pages ...string) map[string]bool {
	t.Helper()
	named := map[string]bool{}
	ident := regexp.MustCompile(`[A-Za-z0-9_]+`)
	span := regexp.MustCompile("`[^`]+`|\"[a-z0-9_]+\"")
	for _, p := range append([]string{"api.md"}, pages...) {
		b, err := os.ReadFile("../docs/" + p)
		if err != nil {
			t.Fatal(err)
		}
		for _, para := range strings.Split(strings.ReplaceAll(string(b), "```", "\n"), "\n\n") {
			for _, s := range span.FindAllString(para, -1) {
				for _, w := range ident.FindAllString(s, -1) {
					named[w] = true
				}
			}
		}
	}
	return named
}

// eachKey calls f with every object key of the JSON documents of b (one,
// or JSON Lines) and its path.
func eachKey(t *testing.T, b []byte, f func(key, path string)) {
	t.Helper()
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				f(k, path+"."+k)
				walk(e, path+"."+k)
			}
		case []any:
			for _, e := range v {
				walk(e, path+"[]")
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not JSON: %v\n%.300s", err, b)
		}
		walk(v, "")
	}
}

// TestAPIAnswersDocumented asks every API route that answers JSON of its
// own (the analyses answer the CLI's bytes: cmd/blackstart's
// TestJSONOutputDocumented checks those against their pages) and checks
// that every key of each answer, errors included, is named in
// docs/api.md (or the page it defers to).
func TestAPIAnswersDocumented(t *testing.T) {
	e := newEnv(t, Config{})
	c, evs := smallRecovery(t, e)
	readings := []byte(readFile(t, "../examples/small-dc/readings.csv"))
	small := "/api/v1/models/small-dc"
	var req commitRequest
	if err := json.Unmarshal(commitBody(t, "a new model?", incidentFile), &req); err != nil {
		t.Fatal(err)
	}
	req.Parent = "-" // small-dc has revisions: a lost update, refused
	conflict, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		name, method, path, scope string
		body                      []byte
		status                    int
		pages                     []string // beside api.md
		header                    []string
	}{
		{"health", "GET", "/healthz", "", nil, 200, nil, nil},
		{"models", "GET", "/api/v1/models", "", nil, 200, nil, nil},
		{"revisions", "GET", small + "/revisions", "", nil, 200, nil, nil},
		{"revision with files", "GET", small + "/revisions/@1?files=true", "", nil, 200, nil, nil},
		{"commit", "POST", "/api/v1/models/rack/revisions", store.ScopeWrite, commitBody(t, "the incident rack again", incidentFile), 201, nil, nil},
		{"commit refused", "POST", small + "/revisions", store.ScopeWrite, []byte(`{"message":"x","files":[{"name":"a.toml","content":"[[source]]\nid = 1\n"}]}`), 422, nil, nil},
		{"commit conflict", "POST", small + "/revisions", store.ScopeWrite, conflict, 409, nil, nil},
		{"readings", "POST", small + "/readings?name=readings.csv", store.ScopeIngest, readings, 200, nil, nil},
		{"readings refused", "POST", small + "/readings", store.ScopeIngest, []byte("time,element,power_w\n1793491200,nope,3\n"), 422, nil, nil},
		{"incident", "POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","rev":"@1","start":"2026-12-01T13:59:00Z","name":"drill"}`), 201, nil, nil},
		{"batch", "POST", "/api/v1/incidents/1/events", store.ScopeIngest, batchOf(t, c, evs[:len(evs)/2]), 201, nil, []string{"Idempotency-Key", "one"}},
		{"batch refused", "POST", "/api/v1/incidents/1/events", store.ScopeIngest, []byte("{\"t_s\":1,\"instance\":\"nope#0\",\"node\":\"x\",\"state\":\"up\"}\n"), 422, nil, []string{"Idempotency-Key", "two"}},
		{"incidents", "GET", "/api/v1/incidents", "", nil, 200, nil, nil},
		{"incident", "GET", "/api/v1/incidents/1", "", nil, 200, nil, nil},
		{"eta", "GET", "/api/v1/incidents/1/eta?at=100", "", nil, 200, []string{"json.md"}, nil},
		{"close", "POST", "/api/v1/incidents/1/close", store.ScopeIngest, nil, 200, nil, nil},
		{"audit", "GET", "/api/v1/audit", store.ScopeAdmin, nil, 200, nil, nil},
		{"no route", "GET", "/api/v1/nope", "", nil, 404, nil, nil},
		{"bad query", "GET", small + "/revisions?limit=0", "", nil, 400, nil, nil},
	} {
		code, b, _ := e.do(q.method, q.path, q.scope, q.body, q.header...)
		if code != q.status {
			t.Errorf("%s: %s %s: %d, want %d\n%.300s", q.name, q.method, q.path, code, q.status, b)
			continue
		}
		named := docKeys(t, q.pages...)
		seen := map[string]bool{}
		keys := 0
		eachKey(t, b, func(k, path string) {
			keys++
			if !named[k] && !seen[k] {
				seen[k] = true
				t.Errorf("%s: %s %s answers field %q (at %s), not named in docs/api.md", q.name, q.method, q.path, k, path)
			}
		})
		if keys == 0 {
			t.Errorf("%s: %s %s: no JSON keys in %.300s", q.name, q.method, q.path, b)
		}
	}
}
