package placement

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestPlanProgress: NewPlanWith reports rising counts of a constant total
// (two placement passes over every instance, plus the tiers and bound),
// ending complete, and plans exactly as NewPlan does — on random
// platforms and on models with unplaceable instances and a herd.
func TestPlanProgress(t *testing.T) {
	type named struct {
		name string
		c    *Cluster
	}
	var cases []named
	for _, f := range []string{"lb-plan-subset.toml", "herd.toml", "gpu-order.toml"} {
		cases = append(cases, named{f, NewCluster(loadTestdata(t, f))})
	}
	for seed := uint64(1); seed <= 40; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x70726f67))
		name := fmt.Sprintf("random-%d", seed)
		cases = append(cases, named{name, NewCluster(parseModel(t, name, randomPlatform(r)))})
	}
	unplaced := 0
	for _, tc := range cases {
		var calls [][2]int
		with := NewPlanWith(tc.c, PlanOptions{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
		want := 2*len(tc.c.Instances) + 1
		if len(calls) == 0 {
			t.Fatalf("%s: no progress reported", tc.name)
		}
		for i, c := range calls {
			if c[1] != want || c[0] < 1 || c[0] > c[1] || i > 0 && c[0] <= calls[i-1][0] {
				t.Fatalf("%s: call %d reports %d of %d (after %v); want rising counts of %d", tc.name, i, c[0], c[1], calls[max(i-1, 0)], want)
			}
		}
		if last := calls[len(calls)-1]; last[0] != want {
			t.Errorf("%s: last call %d of %d; want it complete", tc.name, last[0], last[1])
		}
		if without := NewPlan(tc.c); !reflect.DeepEqual(with, without) {
			t.Errorf("%s: the plan with progress differs from the one without", tc.name)
		}
		unplaced += len(with.Unplaced)
	}
	if unplaced == 0 {
		t.Error("no case had an unplaced instance: the unplaced path is not exercised")
	}
}

// TestPlanProgressEveryPercent: progress is reported about once per
// percent. 100 instances make 2 × 100 + 1 = 201 units, a step of 2: a
// call at 2, 4, …, 200 units and one at 201, 101 calls.
func TestPlanProgressEveryPercent(t *testing.T) {
	c := boundModel(t, []string{"n1"}, []int{4}, "[[service]]\nid = \"app\"\ninstances = 100\nstart = { dist = \"fixed\", s = 10 }\n")
	var calls []int
	NewPlanWith(c, PlanOptions{Progress: func(done, total int) {
		if total != 201 {
			t.Fatalf("total %d units, want 201", total)
		}
		calls = append(calls, done)
	}})
	if len(calls) != 101 || calls[0] != 2 || calls[99] != 200 || calls[100] != 201 {
		t.Errorf("%d calls (first %v, last %v), want 101: at 2, 4, …, 200 and 201 units", len(calls), calls[:min(3, len(calls))], calls[max(len(calls)-2, 0):])
	}
}
