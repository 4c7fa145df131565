package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
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
