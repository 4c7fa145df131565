package main

import (
	"strings"
	"testing"

	"blackstart/power"
)

// TestWorstSearchCapNote: a scenario whose worst-case search stopped at
// its cap says so under its summary lines, a sweep with such scenarios
// counts them, and neither line appears otherwise.
func TestWorstSearchCapNote(t *testing.T) {
	sc := power.Scenario{Failed: []string{"ups-a"}, Kind: "ups", Outcome: power.MayTrip, Verdict: power.MayTrip, Risky: true}
	var b strings.Builder
	scenarioTable(&b, sc)
	if strings.Contains(b.String(), "stopped at its cap") {
		t.Errorf("an uncapped scenario has the cap note:\n%s", b.String())
	}
	sc.WorstSearchCapped = true
	b.Reset()
	scenarioTable(&b, sc)
	want := "note: the worst case's search over overlapping trip bands stopped at its cap of 64 cascades: it is the darkest outcome found, not proved the darkest\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("a capped scenario lacks %q:\n%s", want, b.String())
	}

	rep := power.SweepReport{Summary: power.SweepSummary{Headline: "h", Basis: "peak", HorizonS: 3600, Scenarios: 3, WorstSearchCapped: 1}}
	b.Reset()
	sweepTable(&b, rep, 10)
	want = "note: in 1 scenario the worst case's search over overlapping trip bands stopped at its cap of 64 cascades"
	if !strings.Contains(b.String(), want) {
		t.Errorf("the sweep lacks %q:\n%s", want, b.String())
	}
	rep.Summary.WorstSearchCapped = 0
	b.Reset()
	sweepTable(&b, rep, 10)
	if strings.Contains(b.String(), "stopped at its cap") {
		t.Errorf("a sweep without capped scenarios has the cap note:\n%s", b.String())
	}
}
