package power

import (
	"math"
	"testing"
)

// TestDuration pins how a time is written, on both sides of each switch
// of unit: below 1 s in ms precision, below 120 s in tenths of seconds,
// below 2 h in minutes, then in hours; +Inf is "never".
func TestDuration(t *testing.T) {
	tests := []struct {
		s    float64
		want string
	}{
		{0.005, "0.005 s"},
		{0.9994, "0.999 s"},
		{1, "1.0 s"},
		{12.5, "12.5 s"},
		{119.9, "119.9 s"},
		{120, "2.0 min"},
		{1596, "26.6 min"},
		{7199, "120.0 min"},
		{7200, "2.0 h"},
		{5400 * 3, "4.5 h"},
		{math.Inf(1), "never"},
	}
	for _, tt := range tests {
		if got := Duration(Seconds(tt.s)); got != tt.want {
			t.Errorf("Duration(%g) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestCut: up to k names are all listed; one more and the k-th is
// followed by how many are left out.
func TestCut(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f", "g"}
	tests := []struct {
		n, k int
		want string
	}{
		{0, 2, ""},
		{2, 2, "a, b"},
		{3, 2, "a, b, … (1 more)"},
		{7, 5, "a, b, c, d, e, … (2 more)"},
		{5, 5, "a, b, c, d, e"},
	}
	for _, tt := range tests {
		if got := Cut(names[:tt.n], tt.k); got != tt.want {
			t.Errorf("Cut(%d names, %d) = %q, want %q", tt.n, tt.k, got, tt.want)
		}
	}
}

// TestDescribe pins the one-line summary of a scenario: the outcome's
// qualifier, the worst case's trips with their times (only trip events),
// the certain cascade's (or "no trip"), the dark devices with the certain
// count when it differs, and the dark racks, one or several, cut after
// MaxListed.
func TestDescribe(t *testing.T) {
	trip := func(el string, ts float64) Event { return Event{Element: el, Event: "trip", TS: Seconds(ts)} }
	tests := []struct {
		sc   Scenario
		want string
	}{
		{Scenario{Failed: []string{"ups-a"}, Kind: "ups", Outcome: OK},
			"failure of ups-a (ups): ok"},
		{Scenario{Failed: []string{"b1", "b2"}, Kind: "breaker", Outcome: OverContinuous,
			Dark: Dark{Devices: []string{"d1"}, Racks: []string{"r1"}}, Certain: Certain{Dark: Dark{Devices: []string{"d1"}}}},
			"failure of b1 + b2 (breaker): over-continuous; 1 device dark, rack r1"},
		{Scenario{Failed: []string{"b1"}, Kind: "breaker", Outcome: MayTrip, Tripped: 2,
			Events:  []Event{{Element: "b1", Event: "fail"}, trip("b3", 0.005), {Element: "b4", Event: "overload"}, trip("b4", 1596)},
			Dark:    Dark{Devices: []string{"d1", "d2", "d3"}, Racks: []string{"r1", "r2", "r3", "r4", "r5", "r6"}},
			Certain: Certain{Dark: Dark{Devices: []string{"d1"}}}},
			"failure of b1 (breaker): may-trip (worst case of the trip bands only); worst case trips b3 at 0.005 s, b4 at 26.6 min; certain: no trip; 3 devices dark (1 certainly), racks r1, r2, r3, r4, r5, … (1 more)"},
		{Scenario{Failed: []string{"d/psu1"}, Kind: "psu", Outcome: Trip, Tripped: 1,
			Events:  []Event{trip("b3", 12.5)},
			Certain: Certain{Tripped: 1, Trips: []Event{trip("b3", 12.5)}, Dark: Dark{Devices: []string{"d1", "d2"}}},
			Dark:    Dark{Devices: []string{"d1", "d2"}}},
			"failure of d/psu1 (psu): trip (certain); worst case trips b3 at 12.5 s; certain: trips b3 at 12.5 s; 2 devices dark"},
	}
	for _, tt := range tests {
		if got := tt.sc.Describe(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}
