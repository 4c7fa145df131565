package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"blackstart/power"
	"blackstart/topology"
)

func load(t *testing.T, files ...string) (*topology.Model, *power.Network) {
	t.Helper()
	m, err := topology.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Network(m, power.BasisConservative)
	if err != nil {
		t.Fatal(err)
	}
	return m, n
}

// TestFailoverStop: a sweep whose Stop says so ends early with
// ErrStopped, after polling once per element at most.
func TestFailoverStop(t *testing.T) {
	m, n := load(t, "../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	polls := 0
	_, err := Failover(m, n, FailoverOptions{HorizonS: power.DefaultHorizonS, Stop: func() bool { polls++; return polls == 3 }})
	if !errors.Is(err, ErrStopped) || polls != 3 {
		t.Fatalf("Failover with Stop after 3 polls: %v after %d polls, want ErrStopped after 3", err, polls)
	}
	res, err := Failover(m, n, FailoverOptions{HorizonS: power.DefaultHorizonS, Stop: func() bool { return false }})
	if err != nil || res.Sweep == nil || res.Sweep.Summary.Scenarios == 0 {
		t.Fatalf("Failover never stopped: %v", err)
	}
}

// TestFailoverJSON: the sweep's JSON keeps the risky scenarios only,
// unless All; one scenario is the scenario.
func TestFailoverJSON(t *testing.T) {
	m, n := load(t, "../examples/incident-2019.toml")
	count := func(all bool) (int, int) {
		res, err := Failover(m, n, FailoverOptions{HorizonS: 3600, All: all})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := res.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Summary   power.SweepSummary `json:"summary"`
			Scenarios []json.RawMessage  `json:"scenarios"`
		}
		if err := json.Unmarshal(b.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		return len(rep.Scenarios), rep.Summary.RiskyScenarios
	}
	if got, risky := count(false); got != risky {
		t.Errorf("risky-only JSON lists %d scenarios, %d risky", got, risky)
	}
	if got, _ := count(true); got != len(m.Elements)+40 {
		t.Errorf("--all JSON lists %d scenarios, want every element and PSU (%d)", got, len(m.Elements)+40)
	}
	res, err := Failover(m, n, FailoverOptions{HorizonS: 3600, Fail: []string{"breaker-a"}})
	if err != nil || res.Scenario == nil || !res.Risky() || res.Scenario.Failed[0] != "breaker-a" {
		t.Fatalf("one scenario: %+v, %v", res, err)
	}
	for _, bad := range [][]string{{"nothing"}, {"srv-01/psu9"}} {
		if _, err := Failover(m, n, FailoverOptions{HorizonS: 3600, Fail: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Fail %v: %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := Failover(m, n, FailoverOptions{HorizonS: 0}); !errors.Is(err, ErrInvalid) {
		t.Errorf("horizon 0: %v, want ErrInvalid", err)
	}
}

// TestSimulateStop: the policy comparison polls Stop before each policy.
func TestSimulateStop(t *testing.T) {
	m, _ := load(t, "../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	polls := 0
	_, err := Simulate(m, []string{"plan", "stale", "random"}, SimOptions{Seed: 1, RefreshS: 30, Stop: func() bool { polls++; return polls == 2 }})
	if !errors.Is(err, ErrStopped) || polls != 2 {
		t.Fatalf("Simulate stopped at the 2nd poll: %v after %d polls, want ErrStopped after 2", err, polls)
	}
	res, err := Simulate(m, []string{"plan", "stale"}, SimOptions{Seed: 1, RefreshS: 30})
	if err != nil || len(res) != 2 || res[0].Policy != "plan" || res[1].Policy != "stale" {
		t.Fatalf("Simulate: %+v, %v", res, err)
	}
}

// TestMeteredJSON: with a readings window, the sweep's JSON is the
// sweep's object with readings_window and draws first, and nothing else
// changed; power load's gains readings_window; one scenario is unchanged.
func TestMeteredJSON(t *testing.T) {
	m, n := load(t, "../examples/incident-2019.toml")
	win := &ReadingsWindow{StartMS: 1000, EndMS: 2000}
	write := func(res interface{ WriteJSON(io.Writer) error }) map[string]json.RawMessage {
		var b bytes.Buffer
		if err := res.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(b.Bytes(), &out); err != nil {
			t.Fatalf("%v: %s", err, b.Bytes())
		}
		return out
	}
	for _, fail := range [][]string{nil, {"breaker-a"}} {
		plain, err := Failover(m, n, FailoverOptions{HorizonS: 3600, Fail: fail})
		if err != nil {
			t.Fatal(err)
		}
		metered, err := Failover(m, n, FailoverOptions{HorizonS: 3600, Fail: fail, Readings: win})
		if err != nil {
			t.Fatal(err)
		}
		if len(metered.Draws) == 0 || metered.Readings != win {
			t.Fatalf("fail %v: metered result without its draws or window: %+v", fail, metered)
		}
		p, mt := write(plain), write(metered)
		extra := 0
		if fail == nil {
			extra = 2
			if string(mt["readings_window"]) != `{"start_ms":1000,"end_ms":2000}` {
				t.Errorf("readings_window %s", mt["readings_window"])
			}
			var draws []power.DrawSource
			if err := json.Unmarshal(mt["draws"], &draws); err != nil || len(draws) != len(metered.Draws) {
				t.Errorf("draws %s: %v", mt["draws"], err)
			}
		}
		if len(mt) != len(p)+extra {
			t.Errorf("fail %v: %d keys metered, %d plain, want %d more", fail, len(mt), len(p), extra)
		}
		for k, v := range p {
			if !bytes.Equal(bytes.TrimSpace(v), bytes.TrimSpace(mt[k])) {
				t.Errorf("fail %v: key %s differs with a readings window", fail, k)
			}
		}
	}
	plain, err := Load(n, power.LoadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	metered, err := Load(n, power.LoadOptions{}, win)
	if err != nil {
		t.Fatal(err)
	}
	p, mt := write(plain), write(metered)
	var rw bytes.Buffer
	json.Compact(&rw, mt["readings_window"])
	if len(mt) != len(p)+1 || rw.String() != `{"start_ms":1000,"end_ms":2000}` {
		t.Errorf("load: %d keys metered, %d plain; readings_window %s", len(mt), len(p), mt["readings_window"])
	}
	if _, err := Load(n, power.LoadOptions{Racks: []string{"nope"}}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Load of rack nope: %v, want ErrInvalid", err)
	}
}

// TestPlannedETAStop: a planned ETA whose Stop says so ends before its
// next run with ErrStopped; one never stopped is the same as without Stop.
func TestPlannedETAStop(t *testing.T) {
	m, _ := load(t, "../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	polls := 0
	_, err := PlannedETA(m, ETAOptions{Runs: 20, Seed: 1, Stop: func() bool { polls++; return polls == 4 }})
	if !errors.Is(err, ErrStopped) || polls != 4 {
		t.Fatalf("PlannedETA with Stop after 4 polls: %v after %d polls, want ErrStopped after 4", err, polls)
	}
	polls = 0
	got, err := PlannedETA(m, ETAOptions{Runs: 20, Seed: 1, Stop: func() bool { polls++; return false }})
	if err != nil || polls != 20 {
		t.Fatalf("PlannedETA never stopped: %v, %d polls, want 20", err, polls)
	}
	want, err := PlannedETA(m, ETAOptions{Runs: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	WriteJSON(&a, got)
	WriteJSON(&b, want)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("PlannedETA with a Stop that never stops differs from without one")
	}
}

// TestDiffStop: a diff whose stop says so ends with ErrStopped; one never
// stopped is Diff's report.
func TestDiffStop(t *testing.T) {
	old, _ := load(t, "../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	new, _ := load(t, "../examples/incident-2019.toml")
	var polls atomic.Int32
	_, err := DiffUntil(old, new, "a", "b", power.BasisConservative, 3600, func() bool { return polls.Add(1) >= 3 })
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("DiffUntil with stop after 3 polls: %v, want ErrStopped", err)
	}
	polls.Store(0)
	got, err := DiffUntil(old, new, "a", "b", power.BasisConservative, 3600, func() bool { polls.Add(1); return false })
	if err != nil || polls.Load() == 0 {
		t.Fatalf("DiffUntil never stopped: %v after %d polls", err, polls.Load())
	}
	want, err := Diff(old, new, "a", "b", power.BasisConservative, 3600)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	WriteJSON(&a, got)
	WriteJSON(&b, want)
	if !bytes.Equal(a.Bytes(), b.Bytes()) || a.Len() < 100 {
		t.Errorf("DiffUntil with a stop that never stops differs from Diff")
	}
}
