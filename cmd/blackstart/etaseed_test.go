package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestReportETASameAsLive: the report's ETA chart (eta.json, and the
// chart drawn from it) is estimate live --history on the same events,
// batch and seed, estimate for estimate: one function, one seed of the
// projections' draws (--seed, the seed of the simulated recoveries too).
// Another seed draws other futures, so a chart that left --seed out of
// its estimates fails here.
func TestReportETASameAsLive(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "recovery.jsonl")
	mustRun(t, 0, append([]string{"plan", "simulate", "--seed", "2", "--events-out", rec}, smallDC...)...)
	live := func(seed string) []any {
		t.Helper()
		out := mustRun(t, 0, append([]string{"estimate", "live", "--events", rec, "--history", "--batch", "7", "--seed", seed, "--format", "json"}, smallDC...)...)
		var v []any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("estimate live --history: %v", err)
		}
		return v
	}
	pm := filepath.Join(dir, "pm")
	if code, _, errOut := runCLI(t, append([]string{"report", "--runs", "1", "--events", rec, "--batch", "7", "--seed", "3", "-o", pm}, smallDC...)...); code != exitOK {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(pm, "eta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Estimates []any `json:"estimates"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if want := live("3"); !reflect.DeepEqual(doc.Estimates, want) {
		t.Fatalf("the report's ETA estimates differ from estimate live --history --seed 3:\n%.1500s\nwant\n%.1500v", b, want)
	}
	if reflect.DeepEqual(doc.Estimates, live("1")) {
		t.Fatal("estimate live --seed 1 gives the report's seed-3 estimates: the seed changes nothing here, and the test cannot see it")
	}
}
