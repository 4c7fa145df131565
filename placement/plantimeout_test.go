package placement

import "testing"

// TestPlanPolicyTimeouts: under the plan, a start slowed past its timeout
// times out, and the slot it frees is filled at once. One node of c = 1
// at half speed: a (fixed 30 s of work: 60 s, timeout 50 s) ranks first
// and times out at 50 s on each of its 10 attempts; b (fixed 10 s of
// work, no dependency) takes the slot freed at 50 s and is up at 70 s.
func TestPlanPolicyTimeouts(t *testing.T) {
	c := NewCluster(parseModel(t, "plantimeout.toml", `[[rack]]
id = "r"
[[device_model]]
id = "srv"
peak_w = 100
[[device]]
id = "n1"
rack = "r"
model = "srv"
feeds = [""]
start_concurrency = 1
[[service]]
id = "a"
timeout_s = 50
start = { dist = "fixed", s = 30 }
[[service]]
id = "b"
start = { dist = "fixed", s = 10 }
`))
	res, err := Simulate(c, nil, SimOptions{Policy: PolicyPlan, Seed: 1, Speed: []float64{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if res.UpS[0] != -1 || res.UpS[1] != 70 || res.Timeouts != 10 || res.NeverUp != 1 {
		t.Errorf("up at %v s, %d timeouts, %d never up; want a never (10 timeouts), b at 70 s", res.UpS, res.Timeouts, res.NeverUp)
	}
}

// TestMinSpreadRefusal: an instance goes into a used domain only while
// min_spread can still be met by the ones left. Three instances, spread
// by rack, min_spread 2, on two nodes of one rack: the second may share
// the rack (1 domain + 1 instance left can make 2), the third may not
// (1 + 0 < 2): one unplaced, for want of domains.
func TestMinSpreadRefusal(t *testing.T) {
	c := boundModel(t, []string{"n1", "n2"}, []int{4, 4}, "[[service]]\nid = \"app\"\ninstances = 3\nspread = \"rack\"\nmin_spread = 2\nstart = { dist = \"fixed\", s = 10 }\n")
	p := NewPlan(c)
	if len(p.Unplaced) != 1 || p.Unplaced[0].Instance != 2 || p.Unplaced[0].Reason != reasonSpread {
		t.Errorf("unplaced %+v, want instance 2 (%q)", p.Unplaced, reasonSpread)
	}
}
