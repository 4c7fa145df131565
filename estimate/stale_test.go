package estimate

import (
	"testing"

	"blackstart/placement"
)

// A start past its timeout makes its node stale only when nothing came
// from the node for the last 30 s either: a start at 0 s with a 100-s
// timeout, the node's last word (another instance up) at 125 s: not stale
// at 140 s (past 130 s, but heard from 15 s ago) nor at 155 s (exactly
// 30 s), stale at 156 s.
func TestStaleTimeoutHeardFrom(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "app"
instances = 2
timeout_s = 100
start = { dist = "fixed", s = 10 }
`)
	l := NewLive(c, nil)
	l.Observe(placement.Event{TS: 0, Instance: 0, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 115, Instance: 1, Node: 0, State: placement.Started})
	l.Observe(placement.Event{TS: 125, Instance: 1, Node: 0, State: placement.Up})
	for _, tt := range []struct {
		at    float64
		stale bool
	}{{129, false}, {140, false}, {155, false}, {156, true}} {
		if got := len(l.Estimate(tt.at).StaleNodes) == 1; got != tt.stale {
			t.Errorf("start at 0 s (timeout 100 s), node last heard at 125 s: stale at %g s = %v, want %v", tt.at, got, tt.stale)
		}
	}
}

// Which events count a start under way on its node for the 900-s silence
// rule: scheduled and started do; up and failed end it (a failed one
// waits for its retry, a rule of its own). Each case's node is last heard
// at 20 s, with the start's timeout far away.
func TestStaleUnderWay(t *testing.T) {
	c := oneNode(t, 2, `
[[service]]
id = "app"
instances = 2
timeout_s = 100000
start = { dist = "fixed", s = 10 }
`)
	type ev struct {
		ts float64
		st placement.State
	}
	for _, tt := range []struct {
		name  string
		evs   []ev
		stale bool // at 20 + 901 s
	}{
		{"scheduled", []ev{{20, placement.Scheduled}}, true},
		{"started", []ev{{20, placement.Started}}, true},
		{"scheduled, started", []ev{{0, placement.Scheduled}, {20, placement.Started}}, true},
		{"scheduled, started, up", []ev{{0, placement.Scheduled}, {10, placement.Started}, {20, placement.Up}}, false},
		{"started, up", []ev{{10, placement.Started}, {20, placement.Up}}, false},
		{"started, failed, started, up", []ev{{0, placement.Started}, {5, placement.Failed}, {10, placement.Started}, {20, placement.Up}}, false},
	} {
		l := NewLive(c, nil)
		for _, e := range tt.evs {
			l.Observe(placement.Event{TS: e.ts, Instance: 0, Node: 0, State: e.st})
		}
		if got := len(l.Estimate(20+900).StaleNodes) == 1; got {
			t.Errorf("%s: stale at 920 s, want not yet (900 s of silence is not more than 900 s)", tt.name)
		}
		if got := len(l.Estimate(20+901).StaleNodes) == 1; got != tt.stale {
			t.Errorf("%s, last heard at 20 s: stale at 921 s = %v, want %v", tt.name, got, tt.stale)
		}
	}
}
