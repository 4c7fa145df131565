package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// estimate evaluate --speeds-known scores the diagnostic at every point
// of both sets, says so at the top (JSON) and in the table's header, and
// without the flag there is no trace of it.
func TestEvaluateSpeedsKnownFlag(t *testing.T) {
	type out struct {
		SpeedsKnown *bool `json:"speeds_known"`
		Scores      []struct {
			Scenario  string `json:"scenario"`
			Estimator string `json:"estimator"`
		} `json:"scores"`
	}
	for _, known := range []bool{false, true} {
		args := []string{"estimate", "evaluate", "--runs", "2", "--replays", "2", "--format", "json"}
		if known {
			args = append(args, "--speeds-known")
		}
		code, stdout, errOut := runCLI(t, append(args, smallPow, smallWl)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var o out
		if err := json.Unmarshal([]byte(stdout), &o); err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, s := range o.Scores {
			if s.Estimator == "speeds_known" {
				per[s.Scenario]++
			}
		}
		want := 0
		if known {
			want = 8
		}
		if o.SpeedsKnown == nil || *o.SpeedsKnown != known || per["perturbed"] != want || per["calm"] != want {
			t.Errorf("--speeds-known %v: speeds_known %v, diagnostic scores %v; want %v and %d per set", known, o.SpeedsKnown, per, known, want)
		}
		args = []string{"estimate", "evaluate", "--runs", "2", "--replays", "2"} // the table
		if known {
			args = append(args, "--speeds-known")
		}
		code, stdout, errOut = runCLI(t, append(args, smallPow, smallWl)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if got := strings.Contains(stdout, "speeds_known"); got != known {
			t.Errorf("--speeds-known %v: the table names speeds_known: %v", known, got)
		}
	}
}
