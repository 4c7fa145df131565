package analysis

import (
	"reflect"
	"testing"

	"blackstart/power"
)

// progressCheck records progress calls and checks them: counts rising to
// the last call's total within each run of equal totals, the last
// complete.
type progressCheck struct{ calls [][2]int }

func (p *progressCheck) cb(done, total int) { p.calls = append(p.calls, [2]int{done, total}) }

func (p *progressCheck) check(t *testing.T, what string) {
	t.Helper()
	if len(p.calls) == 0 {
		t.Fatalf("%s: no progress reported", what)
	}
	for i, c := range p.calls {
		if c[0] < 1 || c[0] > c[1] || i > 0 && c[1] == p.calls[i-1][1] && c[0] <= p.calls[i-1][0] {
			t.Fatalf("%s: call %d reports %d of %d (after %v); want rising counts", what, i, c[0], c[1], p.calls[max(i-1, 0)])
		}
	}
	if last := p.calls[len(p.calls)-1]; last[0] != last[1] {
		t.Errorf("%s: last call %d of %d; want it complete", what, last[0], last[1])
	}
}

// TestCapacityAndPlanProgress: Headroom, Place and RestartPlan pass the
// progress callback on to the core (the CLI's bars depend on it), and
// their answers are the same with it as without (the server passes nil).
func TestCapacityAndPlanProgress(t *testing.T) {
	m, n := load(t, "../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")

	var hp progressCheck
	h, err := Headroom(n, "poweredge-r640", hp.cb)
	if err != nil {
		t.Fatal(err)
	}
	hp.check(t, "headroom")
	if last := hp.calls[len(hp.calls)-1]; last[1] != len(m.Racks) {
		t.Errorf("headroom: total %d, want %d racks", last[1], len(m.Racks))
	}
	if h0, _ := Headroom(n, "poweredge-r640", nil); !reflect.DeepEqual(h, h0) {
		t.Error("headroom with progress differs from the one without")
	}

	adds := []power.PlaceRequest{{Model: "poweredge-r640", Count: 4}}
	var pp progressCheck
	p, err := Place(n, adds, nil, true, pp.cb)
	if err != nil {
		t.Fatal(err)
	}
	pp.check(t, "place")
	if first := pp.calls[0]; first[1] != 4 {
		t.Errorf("place: first phase's total %d, want the 4 devices asked for", first[1])
	}
	if last := pp.calls[len(pp.calls)-1]; last[1] != p.Verify.Scenarios {
		t.Errorf("place: last phase's total %d, want the verification's %d scenarios", last[1], p.Verify.Scenarios)
	}
	if p0, _ := Place(n, adds, nil, true, nil); !reflect.DeepEqual(p, p0) {
		t.Error("place with progress differs from the one without")
	}

	var rp progressCheck
	plan := RestartPlan(m, rp.cb)
	rp.check(t, "plan restart")
	if last := rp.calls[len(rp.calls)-1]; last[1] != 2*plan.Instances+1 {
		t.Errorf("plan restart: total %d, want 2 × %d instances + 1", last[1], plan.Instances)
	}
	if plan0 := RestartPlan(m, nil); !reflect.DeepEqual(plan, plan0) {
		t.Error("the restart plan with progress differs from the one without")
	}
}
