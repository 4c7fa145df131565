package placement

import (
	"testing"

	"blackstart/data/alibaba"
	"blackstart/topology"
)

// alibabaDir is the real trace, read from the shared data beside the repo.
const alibabaDir = "../../shared/data/alibaba-openb-2023"

func importAlibaba(tb testing.TB) *topology.Model {
	tb.Helper()
	m, err := alibaba.Import(alibabaDir, alibaba.Options{})
	if err != nil {
		tb.Fatalf("importing the Alibaba trace (see ../shared/data/SOURCES.md): %v", err)
	}
	return m
}

// The 5,193 Running pods of the Alibaba openb trace restart on its 1,523
// nodes: every pod placed, no node over its CPU, memory or GPUs (count,
// shares and allowed types), every pod up in the simulated recovery.
func TestRestartAlibaba(t *testing.T) {
	m := importAlibaba(t)
	c := NewCluster(m)
	if len(c.Instances) != 5193 || len(m.Devices) != 1523 {
		t.Fatalf("trace: %d pods on %d nodes, want 5193 on 1523", len(c.Instances), len(m.Devices))
	}
	p := NewPlan(c)
	for _, u := range p.Unplaced {
		t.Errorf("%s not placed: %s", c.Name(u.Instance), u.Reason)
	}
	rm := newRefModel(m)
	st := newRefState(rm, c)
	gpuPods := 0
	for i, a := range p.Assign {
		if a.Node < 0 {
			continue
		}
		st.add(int(a.Node), i)
		if sv := st.svc(i); sv.GPUs > 0 {
			gpuPods++
			if m.Devices[a.Node].GPUs == 0 {
				t.Errorf("%s needs %d GPU(s) but sits on CPU-only %s", c.Name(i), sv.GPUs, m.Devices[a.Node].ID)
			}
		}
	}
	for n := range rm.nodes {
		if why := st.nodeOK(n); why != "" {
			t.Errorf("node %s over capacity: %s", m.Devices[n].ID, why)
		}
	}
	if gpuPods != 4149 {
		t.Errorf("%d pods request GPUs, want 4149 (5,193 running minus 1,044 CPU-only)", gpuPods)
	}
	// The plan never slows a start down, so the only timeouts are starts
	// whose drawn duration exceeds the timeout even at full speed.
	starts := map[int32]int{}
	caused := 0
	r, err := Simulate(c, p, SimOptions{Policy: PolicyPlan, Seed: 1, OnEvent: func(e Event) {
		switch e.State {
		case Started:
			starts[e.Instance]++
		case Failed:
			if c.Work(1, int(e.Instance), starts[e.Instance]-1) <= DefaultTimeoutS {
				caused++
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.NeverUp != 0 || caused != 0 || r.PeakConcurrent > 4 {
		t.Errorf("simulated restart: %d never up, %d timeouts of starts that fit their timeout, peak %d concurrent starts; want 0, 0, <= 4", r.NeverUp, caused, r.PeakConcurrent)
	}
	if r.MakespanS < r.LowerBoundS {
		t.Errorf("makespan %.1f s below the lower bound %.1f s", r.MakespanS, r.LowerBoundS)
	}
	t.Logf("alibaba: plan makespan %.1f s (bound %.1f s), simulated %.1f s (bound %.1f s)", p.MakespanS, p.LowerBoundS, r.MakespanS, r.LowerBoundS)
}

// BenchmarkRestartAlibaba times importing the trace, planning and
// simulating the restart of its 5,193 running pods.
func BenchmarkRestartAlibaba(b *testing.B) {
	m := importAlibaba(b)
	if p := NewPlan(NewCluster(m)); len(p.Unplaced) != 0 {
		b.Fatalf("setup: %d pods not placed", len(p.Unplaced))
	}
	b.ReportAllocs()
	for b.Loop() {
		m := importAlibaba(b)
		c := NewCluster(m)
		p := NewPlan(c)
		if _, err := Simulate(c, p, SimOptions{Policy: PolicyPlan, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
