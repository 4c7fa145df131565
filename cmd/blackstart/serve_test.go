package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"blackstart/data/store"
	"blackstart/server"
)

// TestAPIMatchesCLI runs each analysis route and the CLI with the same
// flags on the bundled examples, stored, and compares the bytes: one
// answer everywhere.
func TestAPIMatchesCLI(t *testing.T) {
	path := tempDB(t)
	mustRun(t, 0, "db", "commit", "-m", "the incident rack", incident)
	mustRun(t, 0, "db", "commit", "-m", "32 A breakers", "--model", "incident-2019", fixedIncident(t))
	mustRun(t, 0, "db", "commit", "-m", "two rows", smallPow, smallWl)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ts := httptest.NewServer(server.New(server.Config{DB: db}).Handler())
	defer ts.Close()

	inc := "/api/v1/models/incident-2019"
	small := "/api/v1/models/small-dc"
	for _, c := range []struct {
		route string
		cli   []string // after the command words: flags; --format json and the store flags are added
		exit  int
	}{
		{inc + "/revisions/@1/power/load", []string{"power", "load", "--model", "incident-2019", "--rev", "@1"}, 0},
		{small + "/revisions/@latest/power/load?basis=typical", []string{"power", "load", "--model", "small-dc", "--basis", "typical"}, 0},
		{inc + "/revisions/@1/power/failover", []string{"power", "failover", "--model", "incident-2019", "--rev", "@1"}, 3},
		{inc + "/revisions/@2/power/failover?all=true", []string{"power", "failover", "--model", "incident-2019", "--rev", "@2", "--all"}, 0},
		{inc + "/revisions/@1/power/failover?fail=breaker-a&horizon=600", []string{"power", "failover", "--model", "incident-2019", "--rev", "@1", "--fail", "breaker-a", "--horizon", "600"}, 3},
		{small + "/revisions/@1/power/failover?basis=typical&all=1", []string{"power", "failover", "--model", "small-dc", "--basis", "typical", "--all"}, -1},
		{inc + "/revisions/@1/power/headroom", []string{"power", "headroom", "--model", "incident-2019", "--rev", "@1"}, 3},
		{small + "/revisions/@1/power/headroom?basis=typical&device-model=poweredge-r640", []string{"power", "headroom", "--model", "small-dc", "--basis", "typical", "--device-model", "poweredge-r640"}, 0},
		{small + "/revisions/@1/power/place?basis=typical&add=poweredge-r640=3", []string{"power", "place", "--model", "small-dc", "--basis", "typical", "--add", "poweredge-r640=3"}, -1},
		{small + "/revisions/@1/power/place?add=poweredge-r640=2&rack=r1-01&no-verify=true", []string{"power", "place", "--model", "small-dc", "--add", "poweredge-r640=2", "--rack", "r1-01", "--no-verify"}, -1},
		{inc + "/revisions/@1/power/balance?max-moves=3", []string{"power", "balance", "--model", "incident-2019", "--rev", "@1", "--max-moves", "3"}, -1},
		{small + "/revisions/@1/plan/restart", []string{"plan", "restart", "--model", "small-dc"}, 0},
		{small + "/revisions/@1/plan/compare?seed=2", []string{"plan", "compare", "--model", "small-dc", "--seed", "2"}, 0},
		{small + "/revisions/@1/estimate/plan?runs=5&seed=3", []string{"estimate", "plan", "--model", "small-dc", "--runs", "5", "--seed", "3"}, 0},
		{small + "/revisions/@1/estimate/plan?runs=4&policy=stale", []string{"estimate", "plan", "--model", "small-dc", "--runs", "4", "--policy", "stale"}, 0},
		{inc + "/diff", []string{"diff", "--model", "incident-2019"}, 0},
		{inc + "/diff?old=@2&new=@1&horizon=900", []string{"diff", "--model", "incident-2019", "--old-rev", "@2", "--new-rev", "@1", "--horizon", "900"}, 3},
	} {
		t.Run(c.route, func(t *testing.T) {
			args := append(append([]string{}, c.cli...), "--db", path, "--format", "json")
			code, want, errOut := runCLI(t, args...)
			if c.exit >= 0 && code != c.exit {
				t.Fatalf("blackstart %s: exit %d, want %d\n%s", strings.Join(args, " "), code, c.exit, errOut)
			}
			if code != 0 && code != 3 {
				t.Fatalf("blackstart %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
			}
			var etag string
			for round := 0; round < 2; round++ { // computed, then cached
				res, err := http.Get(ts.URL + c.route)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Fatalf("GET %s (round %d): %d %s", c.route, round, res.StatusCode, got)
				}
				if string(got) != want {
					t.Fatalf("GET %s (round %d) differs from blackstart %s:\n--- API ---\n%.2000s\n--- CLI ---\n%.2000s", c.route, round, strings.Join(args, " "), got, want)
				}
				if round == 1 && res.Header.Get("ETag") != etag {
					t.Errorf("ETag changed from %s to %s", etag, res.Header.Get("ETag"))
				}
				etag = res.Header.Get("ETag")
			}
			// Asked explicitly for either encoding, the same bytes.
			for _, enc := range []string{"identity", "gzip"} {
				req, _ := http.NewRequest("GET", ts.URL+c.route, nil)
				req.Header.Set("Accept-Encoding", enc)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var r io.Reader = res.Body
				if res.Header.Get("Content-Encoding") == "gzip" {
					if enc != "gzip" {
						t.Fatalf("gzip answered to Accept-Encoding: %s", enc)
					}
					if r, err = gzip.NewReader(res.Body); err != nil {
						t.Fatal(err)
					}
				}
				got, err := io.ReadAll(r)
				res.Body.Close()
				if err != nil || string(got) != want {
					t.Fatalf("GET %s with Accept-Encoding: %s differs from the CLI (%v):\n%.500s", c.route, enc, err, got)
				}
			}
			req, _ := http.NewRequest("GET", ts.URL+c.route, nil)
			req.Header.Set("If-None-Match", etag)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match %s: %d, want 304", etag, res.StatusCode)
			}
		})
	}
}

// TestServeRefusesRemote: a non-loopback address needs --allow-remote,
// and then a token; both refusals exit 2 before anything is created.
func TestServeRefusesRemote(t *testing.T) {
	path := tempDB(t)
	code, _, errOut := runCLI(t, "serve", "--addr", "0.0.0.0:0")
	if code != 2 || !strings.Contains(errOut, "--allow-remote") {
		t.Errorf("serve --addr 0.0.0.0:0: exit %d, %q; want 2 naming --allow-remote", code, errOut)
	}
	if _, err := store.Open(path, store.Options{}); err == nil {
		t.Errorf("a refused serve created %s", path)
	}
	code, _, errOut = runCLI(t, "serve", "--addr", "0.0.0.0:0", "--allow-remote")
	if code != 2 || !strings.Contains(errOut, "token") {
		t.Errorf("serve --allow-remote without a token: exit %d, %q; want 2 asking for a token", code, errOut)
	}
	code, _, errOut = runCLI(t, "serve", "--addr", "nonsense")
	if code != 2 || !strings.Contains(errOut, "HOST:PORT") {
		t.Errorf("serve --addr nonsense: exit %d, %q; want 2", code, errOut)
	}
	code, _, errOut = runCLI(t, "serve", "--offline", "--echarts-js", filepath.Join(t.TempDir(), "none.js"))
	if code != 2 || !strings.Contains(errOut, "--offline") || !strings.Contains(errOut, "none.js") {
		t.Errorf("serve --offline with a missing echarts: exit %d, %q; want 2 naming the file", code, errOut)
	}
	code, _, errOut = runCLI(t, "serve", "--echarts-js", "x.js")
	if code != 2 || !strings.Contains(errOut, "--echarts-js is for --offline") {
		t.Errorf("serve --echarts-js without --offline: exit %d, %q; want 2", code, errOut)
	}
}

// TestTokenCommands: create prints the secret once, list shows no secret,
// revoke revokes; the secret authenticates until then.
func TestTokenCommands(t *testing.T) {
	path := tempDB(t)
	bearer := strings.TrimSpace(mustRun(t, 0, "token", "create", "--scope", "write", "--name", "ci", "--expires", "30d"))
	if !strings.HasPrefix(bearer, "bst_") {
		t.Fatalf("token create printed %q, want bst_…", bearer)
	}
	list := mustRun(t, 0, "token", "list")
	id := bearer[4:16]
	secret := bearer[17:]
	if !strings.Contains(list, id) || strings.Contains(list, secret) || !strings.Contains(list, "write") {
		t.Errorf("token list:\n%s\nwant id %s and scope write, never the secret", list, id)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UnixMilli()
	if tok, err := db.Authenticate(t.Context(), bearer, now); err != nil || tok.ExpiresMS < now+29*86400_000 {
		t.Fatalf("Authenticate = %+v, %v; want a write token valid for 30 days", tok, err)
	}
	mustRun(t, 0, "token", "revoke", id)
	if _, err := db.Authenticate(t.Context(), bearer, now); err == nil {
		t.Errorf("a revoked token authenticates")
	}
	for _, args := range [][]string{
		{"token", "create"}, {"token", "create", "--scope", "root"}, {"token", "create", "--scope", "read", "--expires", "-1h"},
		{"token", "revoke", "000000000000"}, {"token", "revoke"},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("blackstart %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}
