package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// unrounded matches a JSON number with more than 4 decimals: every figure
// blackstart writes is rounded as its CSV or table shows it (amperes to 3
// decimals, ratios and fractions to 4, seconds to 0.1 s or 3 decimals), so
// a longer one is a float printed as it was computed.
var unrounded = regexp.MustCompile(`[:\[,]\s*-?[0-9]+\.[0-9]{5,}`)

// TestJSONNumbersRounded: the JSON of every command that writes it, and
// the JSON files of a report, hold no unrounded number (the report's
// accuracy.json and eta.json once printed 0.06157290616909461 where
// estimate evaluate printed 0.0616; estimate live --format json and show
// --format json printed their ETAs and voltages unrounded).
func TestJSONNumbersRounded(t *testing.T) {
	dir := t.TempDir()
	dc := []string{"../../examples/small-dc/power.toml", "../../examples/small-dc/workloads.toml"}
	evs := filepath.Join(dir, "sim.csv")
	if code, _, errOut := runCLI(t, append([]string{"plan", "simulate", "--events-out", evs}, dc...)...); code != exitOK {
		t.Fatalf("plan simulate --events-out: exit %d: %s", code, errOut)
	}
	outputs := map[string]string{}
	for _, a := range [][]string{
		{"show", "--format", "json"},
		{"power", "load", "--format", "json"},
		{"power", "failover", "--format", "json"},
		{"power", "headroom", "--format", "json"},
		{"power", "balance", "--format", "json"},
		{"plan", "restart", "--format", "json"},
		{"plan", "simulate", "--format", "json"},
		{"plan", "compare", "--format", "json"},
		{"estimate", "plan", "--runs", "5", "--format", "json"},
		{"estimate", "live", "--events", evs, "--at", "300", "--format", "json"},
		{"estimate", "live", "--events", evs, "--history", "--batch", "10", "--format", "json"},
		{"estimate", "evaluate", "--runs", "2", "--replays", "2", "--format", "json"},
	} {
		code, out, errOut := runCLI(t, append(a, dc...)...)
		if code != exitOK && code != exitRisk {
			t.Fatalf("%s: exit %d: %s", strings.Join(a, " "), code, errOut)
		}
		outputs[strings.Join(a[:2], " ")+" "+strings.Join(a[2:], " ")] = out
	}
	pm := filepath.Join(dir, "pm")
	if code, _, errOut := runCLI(t, append([]string{"report", "--runs", "2", "--events", evs, "-o", pm}, dc...)...); code != exitOK && code != exitRisk {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(pm, "*.json"))
	if len(files) < 7 {
		t.Fatalf("the report wrote %d JSON files, want every chart's and accuracy.json", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs["report "+filepath.Base(f)] = string(b)
	}
	for name, out := range outputs {
		if len(out) < 20 {
			t.Errorf("%s: %d bytes of JSON", name, len(out))
		}
		if m := unrounded.FindAllString(out, 3); m != nil {
			t.Errorf("%s: unrounded numbers %q", name, m)
		}
	}
}
