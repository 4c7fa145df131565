package server

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"blackstart/data/store"
)

// pageEnv is a server holding the small site at two revisions (the
// second adds a server to a rack) and an incident of it with half its
// recovery's events.
func pageEnv(t *testing.T, cfg Config) (*env, []byte) {
	t.Helper()
	e := newEnv(t, cfg)
	c, evs := smallRecovery(t, e)
	wl := readFile(t, smallWl)
	if code, b, _ := e.do("POST", "/api/v1/models/small-dc/revisions", store.ScopeWrite, mustJSON(t, commitRequest{Message: "one more rack's worth", Files: []commitFile{
		{Name: "power.toml", Content: strings.Replace(readFile(t, smallPow), "rating_a = 160\n", "rating_a = 100\n", 1)}, {Name: "workloads.toml", Content: wl}}})); code != http.StatusCreated {
		t.Fatalf("commit @2: %d %s", code, b)
	}
	if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","rev":"@1","start":"2026-12-01T11:00:00Z","name":"the <b>outage</b>"}`)); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	if code, b, _ := e.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, batchOf(t, c, evs[:len(evs)/2]), "Idempotency-Key", "one"); code != http.StatusCreated {
		t.Fatalf("batch: %d %s", code, b)
	}
	return e, batchOf(t, c, evs[len(evs)/2:])
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// text is the page's text content of the element with id, tags dropped.
func text(t *testing.T, page, id string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</(p|td|strong|span|table)>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no element %q in the page", id)
	}
	return html.UnescapeString(strings.TrimSpace(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], "")))
}

// TestPages: from loopback without sign-in, every page answers and shows
// what the API (and so the CLI) answers: the revision's failover
// headline and risks, the diff's headline, the incident's estimate;
// names are escaped; the page says where echarts comes from.
func TestPages(t *testing.T) {
	e, _ := pageEnv(t, Config{})
	get := func(path string) string {
		t.Helper()
		code, b, h := e.do("GET", path, "", nil)
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s\n%.500s", path, code, h.Get("Content-Type"), b)
		}
		return string(b)
	}
	index := get("/")
	for _, want := range []string{`href="/models/small-dc"`, `href="/incidents/1"`, "the &lt;b&gt;outage&lt;/b&gt;"} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	for _, rev := range []string{"@1", "@2"} {
		page := get("/models/small-dc/revisions/" + rev)
		_, fj, _ := e.do("GET", "/api/v1/models/small-dc/revisions/"+rev+"/power/failover", "", nil)
		var f struct {
			Summary struct {
				Headline string `json:"headline"`
			} `json:"summary"`
			Scenarios []json.RawMessage `json:"scenarios"`
		}
		if err := json.Unmarshal(fj, &f); err != nil {
			t.Fatal(err)
		}
		if got := text(t, page, "headline"); got != f.Summary.Headline {
			t.Errorf("%s headline %q, the API says %q", rev, got, f.Summary.Headline)
		}
		rows := strings.Count(page[strings.Index(page, `id="risks"`)+1:strings.Index(page, `Rack power headroom`)], "<tr>") - 1
		if len(f.Scenarios) > 0 && rows != min(len(f.Scenarios), TopRisks) {
			t.Errorf("%s lists %d risks, the API %d", rev, rows, len(f.Scenarios))
		}
		if !strings.Contains(page, `id="blackstart_headroom"`) || !strings.Contains(page, "echarts.init(") {
			t.Errorf("%s: no headroom chart", rev)
		}
		if text(t, page, "echarts-source") == "" || !strings.Contains(page, "from the CDN") {
			t.Errorf("%s: the page does not say echarts comes from the CDN", rev)
		}
	}
	if latest := get("/models/small-dc"); !strings.Contains(latest, "small-dc@2") || !strings.Contains(latest, `/models/small-dc/diff?old=@1&amp;new=@2`) {
		t.Errorf("the model page is not its latest revision's with a diff link")
	}
	d := get("/models/small-dc/diff?old=@1&new=@2")
	_, dj, _ := e.do("GET", "/api/v1/models/small-dc/diff?old=@1&new=@2", "", nil)
	var rep struct {
		Headline string `json:"headline"`
	}
	json.Unmarshal(dj, &rep)
	if got := text(t, d, "headline"); !strings.HasPrefix(got, rep.Headline) || rep.Headline == "" {
		t.Errorf("diff headline %q, the API says %q", got, rep.Headline)
	}
	if !strings.Contains(d, "rating_a: 160 → 100") {
		t.Errorf("the diff page does not show the changed rating")
	}
	inc := get("/incidents/1")
	_, ej, _ := e.do("GET", "/api/v1/incidents/1/eta", "", nil)
	var snap struct {
		Up    int `json:"up"`
		Total int `json:"total"`
	}
	json.Unmarshal(ej, &snap)
	if got, want := text(t, inc, "up"), fmt.Sprintf("%d of %d instances up", snap.Up, snap.Total); !strings.HasPrefix(got, want) {
		t.Errorf("incident page says %q, want %q…", got, want)
	}
	for _, want := range []string{`id="blackstart_eta"`, `id="ram"`, `id="throughput"`, `id="tiers"`, `id="stale"`, "new EventSource('/incidents/' + id + '/stream')"} {
		if !strings.Contains(inc, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	if code, b, _ := e.do("GET", "/models/nope", "", nil); code != http.StatusNotFound || !strings.Contains(string(b), "404") {
		t.Errorf("page of a missing model: %d %.200s", code, b)
	}
	if code, _, _ := e.do("GET", EchartsPath, "", nil); code != http.StatusNotFound {
		t.Errorf("local echarts without one: %d", code)
	}
	// With a local copy, pages load it from the server and say so.
	e2, _ := pageEnv(t, Config{Echarts: []byte("/* echarts */")})
	code, b, _ := e2.do("GET", "/incidents/1", "", nil)
	if code != http.StatusOK || !strings.Contains(string(b), `<script src="`+EchartsPath+`">`) || !strings.Contains(string(b), "local copy") {
		t.Errorf("local echarts: %d, page does not load or name %s", code, EchartsPath)
	}
	if code, b, _ := e2.do("GET", EchartsPath, "", nil); code != http.StatusOK || string(b) != "/* echarts */" {
		t.Errorf("GET %s: %d %q", EchartsPath, code, b)
	}
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestSignin: a remote server (Config.Remote: loopback is not trusted)
// sends a browser without a session to the sign-in form; a forged form
// (no CSRF token, or not the cookie's) is refused, a bad token is told
// so, a good one gets an HttpOnly SameSite=Strict session cookie that
// opens the pages; the page's forms carry the session's CSRF token and
// one posted without it is refused; signing out ends the session.
func TestSignin(t *testing.T) {
	e, _ := pageEnv(t, Config{Remote: true})
	br := browser(t)
	do := func(method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, e.ts.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := br.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, _ := do("GET", "/incidents/1", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin?next=%2Fincidents%2F1" {
		t.Fatalf("page without a session: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if code, _, _ := e.do("GET", "/api/v1/incidents/1/eta", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("API without a token on a remote server: %d", code)
	}
	res, form := do("GET", "/signin?next=%2Fincidents%2F1", nil)
	m := csrfInput.FindStringSubmatch(form)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("sign-in form: %d, csrf field %v", res.StatusCode, m)
	}
	csrf := m[1]
	if res, _ := do("POST", "/signin", url.Values{"token": {e.tokens[store.ScopeIngest]}, "next": {"/incidents/1"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without its CSRF token: %d, want 403", res.StatusCode)
	}
	if res, _ := do("POST", "/signin", url.Values{"token": {e.tokens[store.ScopeIngest]}, "csrf": {csrf + "x"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with another CSRF token: %d, want 403", res.StatusCode)
	}
	res, form = do("GET", "/signin", nil)
	csrf = csrfInput.FindStringSubmatch(form)[1]
	if res, b := do("POST", "/signin", url.Values{"token": {e.tokens["revoked"]}, "csrf": {csrf}}); res.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "revoked") {
		t.Errorf("sign-in with a revoked token: %d %.300s", res.StatusCode, b)
	}
	res, form = do("GET", "/signin", nil)
	csrf = csrfInput.FindStringSubmatch(form)[1]
	res, _ = do("POST", "/signin", url.Values{"token": {e.tokens[store.ScopeIngest]}, "csrf": {csrf}, "next": {"//evil.example/"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("sign-in: %d to %q, want 303 to / (an address elsewhere is not followed)", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP", cookie)
	}
	res, page := do("GET", "/incidents/1", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="close"`) {
		t.Fatalf("incident page signed in: %d, close form %v", res.StatusCode, strings.Contains(page, `id="close"`))
	}
	sessCSRF := csrfInput.FindStringSubmatch(page)[1]
	if res, b := do("POST", "/incidents/1/close", url.Values{}); res.StatusCode != http.StatusForbidden || !strings.Contains(b, "CSRF") {
		t.Errorf("forged close form without the CSRF token: %d %.200s", res.StatusCode, b)
	}
	if in, _ := e.db.GetIncident(t.Context(), 1); in.ClosedMS != 0 {
		t.Fatalf("the forged form closed the incident")
	}
	if res, _ := do("POST", "/incidents/1/close", url.Values{"csrf": {sessCSRF}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("close form with its CSRF token: %d", res.StatusCode)
	}
	if in, _ := e.db.GetIncident(t.Context(), 1); in.ClosedMS == 0 {
		t.Errorf("the close form did not close the incident")
	}
	if res, _ := do("POST", "/signout", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: %d", res.StatusCode)
	}
	if res, _ := do("POST", "/signout", url.Values{"csrf": {sessCSRF}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %d", res.StatusCode)
	}
	if res, _ := do("GET", "/incidents/1", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("page after signing out: %d, want the sign-in form", res.StatusCode)
	}
}
