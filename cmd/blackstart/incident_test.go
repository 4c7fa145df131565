package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"blackstart/data/events"
	"blackstart/data/store"
	"blackstart/placement"
	"blackstart/server"
	"blackstart/topology"
)

// TestIncidentETAMatchesCLI posts a simulated recovery of the small site
// to an incident in batches (RFC 3339 times), and after each compares GET
// .../eta?at=T with estimate live --format json --start --at T on the
// events exported by GET .../events: the same bytes. A retried batch adds
// nothing; out-of-order times and unknown instances are refused with the
// line; a look back before the latest event (?at= earlier) matches too.
func TestIncidentETAMatchesCLI(t *testing.T) {
	path := tempDB(t)
	mustRun(t, 0, "db", "commit", "-m", "two rows", smallPow, smallWl)
	dir := t.TempDir()
	rec := filepath.Join(dir, "recovery.jsonl")
	mustRun(t, 0, "plan", "simulate", "--seed", "2", "--events-out", rec, smallPow, smallWl)
	m, err := topology.Load(smallPow, smallWl)
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := events.Read(rec, f, c)
	f.Close()
	if err != nil || len(evs) < 30 {
		t.Fatalf("%d events, %v", len(evs), err)
	}

	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, tok, err := db.CreateToken(context.Background(), store.ScopeIngest, "incident team", 0)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(server.Config{DB: db}).Handler())
	defer ts.Close()
	do := func(method, route, key string, body []byte) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+route, bytes.NewReader(body))
		if method == http.MethodPost {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}

	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	// An earlier incident first, so that this one's id (its estimate's
	// seed) is not estimate live's default --seed (1).
	if code, b := do("POST", "/api/v1/incidents", "", []byte(`{"model":"small-dc","start":"2026-11-30T10:00:00Z","name":"earlier"}`)); code != http.StatusCreated {
		t.Fatalf("POST incidents: %d %s", code, b)
	}
	code, b := do("POST", "/api/v1/incidents", "", []byte(`{"model":"small-dc","start":"2026-12-01T10:00:00Z","name":"drill"}`))
	if code != http.StatusCreated {
		t.Fatalf("POST incidents: %d %s", code, b)
	}
	var in store.Incident
	json.Unmarshal(b, &in)
	if in.ID == 1 {
		t.Fatalf("the drill is incident 1: its seed is the CLI's default, and the test would not see the seed")
	}
	base := fmt.Sprintf("/api/v1/incidents/%d", in.ID)

	// A batch as an incident team writes it: RFC 3339 times.
	batch := func(evs []placement.Event) []byte {
		var buf bytes.Buffer
		for _, e := range evs {
			node := ""
			if e.Node >= 0 {
				node = fmt.Sprintf(`,"node":%q`, m.Devices[e.Node].ID)
			}
			at := start.Add(time.Duration(e.TS * float64(time.Second))).Format(time.RFC3339Nano)
			fmt.Fprintf(&buf, "{\"time\":%q,\"instance\":%q%s,\"state\":%q}\n", at, c.Name(int(e.Instance)), node, e.State)
		}
		return buf.Bytes()
	}
	cliETA := func(at float64, seed ...string) string {
		t.Helper()
		code, exp := do("GET", base+"/events", "", nil)
		if code != http.StatusOK {
			t.Fatalf("GET events: %d %s", code, exp)
		}
		file := filepath.Join(dir, "exported.jsonl")
		if err := os.WriteFile(file, exp, 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"estimate", "live", "--db", path, "--model", "small-dc", "--events", file,
			"--start", start.Format(time.RFC3339), "--at", strconv.FormatFloat(at, 'f', -1, 64), "--format", "json",
			"--seed", strconv.FormatInt(in.ID, 10)}
		return mustRun(t, 0, append(args, seed...)...) // a later --seed wins
	}
	cuts := []int{len(evs) / 3, 2 * len(evs) / 3, len(evs)}
	prev := 0
	for k, cut := range cuts {
		body := batch(evs[prev:cut])
		code, b := do("POST", base+"/events", fmt.Sprintf("batch-%d", k), body)
		if code != http.StatusCreated {
			t.Fatalf("batch %d: %d %s", k, code, b)
		}
		// A retry after a lost answer: acknowledged again, nothing added.
		code, b = do("POST", base+"/events", fmt.Sprintf("batch-%d", k), body)
		var ans struct {
			Batch  store.Batch `json:"batch"`
			Events int         `json:"events"`
		}
		json.Unmarshal(b, &ans)
		if code != http.StatusOK || !ans.Batch.Replayed || ans.Events != cut {
			t.Fatalf("retry of batch %d: %d %s; want 200, replayed, %d events", k, code, b, cut)
		}
		last := evs[cut-1].TS
		for _, at := range []float64{last + 7.5, last, evs[prev].TS} {
			code, got := do("GET", fmt.Sprintf("%s/eta?at=%g", base, at), "", nil)
			if code != http.StatusOK {
				t.Fatalf("GET eta: %d %s", code, got)
			}
			if want := cliETA(at); string(got) != want {
				t.Fatalf("after batch %d, at %g s: GET eta differs from estimate live:\n--- API ---\n%.1500s\n--- CLI ---\n%.1500s", k, at, got, want)
			}
			if k == 0 && at == evs[prev].TS {
				// The seed is the incident's: another seed draws other futures.
				if other := cliETA(at, "--seed", "1"); string(got) == other {
					t.Fatalf("after batch %d, at %g s: estimate live --seed 1 gives incident %d's estimate: the seed changes nothing here, and the test cannot see it", k, at, in.ID)
				}
			}
		}
		prev = cut
	}

	// Refusals name the line; nothing of a refused batch is taken.
	early := start.Add(time.Second).Format(time.RFC3339)
	name := c.Name(0)
	node := m.Devices[c.Instances[0].Service*0].ID
	_ = node
	for _, bad := range []struct{ body, want string }{
		{fmt.Sprintf("{\"time\":%q,\"instance\":%q,\"state\":\"failed\"}\n", early, name), "batch:1:1: time 1 s is before the incident's latest event"},
		{fmt.Sprintf("{\"t_s\":99999,\"instance\":%q,\"state\":\"failed\"}\n{\"t_s\":99999,\"instance\":\"nosuch#0\",\"state\":\"failed\"}\n", name), "batch:2:"},
	} {
		code, b := do("POST", base+"/events", "bad-"+bad.want, []byte(bad.body))
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), bad.want) {
			t.Fatalf("bad batch %q: %d %s; want 422 naming %q", bad.body, code, b, bad.want)
		}
	}
	code, b = do("GET", base, "", nil)
	json.Unmarshal(b, &in)
	if code != http.StatusOK || in.Events != len(evs) {
		t.Fatalf("incident after refusals: %d %s; want %d events", code, b, len(evs))
	}
	if code, b := do("POST", base+"/close", "", nil); code != http.StatusOK {
		t.Fatalf("close: %d %s", code, b)
	}
	if code, b := do("POST", base+"/events", "after-close", batch(evs[len(evs)-1:])); code != http.StatusConflict {
		t.Fatalf("a batch after close: %d %s, want 409", code, b)
	}
}
