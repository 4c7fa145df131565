package estimate

import "testing"

// TestDepsLeftKept: the dependencies below quorum that the estimator keeps
// per service as instances come up (Live.depsLeft) equal a count over
// every service's dependencies (each DependsOn entry, below its quorum of
// upBy) after every 5,000 events of the herding recovery of
// BenchmarkEstimateNewAt, where some quorums are above 1 and services
// depend on several; and the view an estimate lays out from them
// (shape.left) too. A count kept at the wrong threshold (quorum − 1, or
// the first up) or for one dependent in each group fails.
func TestDepsLeftKept(t *testing.T) {
	c, p, evs := newAtStream(t)
	m := c.M
	multi, several := 0, 0
	for s := range m.Services {
		if m.Services[s].Quorum() > 1 {
			multi++
		}
		if len(m.Services[s].DependsOn) > 1 {
			several++
		}
	}
	if multi == 0 || several == 0 {
		t.Fatalf("the platform has %d services with a quorum above 1 and %d with several dependencies; the test needs both", multi, several)
	}
	l := NewLive(c, p)
	released, changed := 0, 0
	prev := append([]int32(nil), l.depsLeft...)
	for k, e := range evs {
		l.Observe(e)
		if (k+1)%5000 != 0 && k != len(evs)-1 {
			continue
		}
		released = 0
		for s := range m.Services {
			want := int32(0)
			for _, d := range m.Services[s].DependsOn {
				if int(l.upBy[d]) < m.Services[d].Quorum() {
					want++
				}
			}
			if l.depsLeft[s] != want {
				t.Fatalf("after %d events, service %s: %d dependencies kept below quorum, want %d", k+1, m.Services[s].ID, l.depsLeft[s], want)
			}
			if want == 0 {
				released++
			}
			if l.depsLeft[s] != prev[s] {
				changed++
			}
		}
		copy(prev, l.depsLeft)
		if k == 49_999 {
			l.Estimate(e.TS + 1)
			for s := range m.Services {
				if l.shape.left[s] != l.depsLeft[s] {
					t.Fatalf("the view's left for %s is %d, want %d", m.Services[s].ID, l.shape.left[s], l.depsLeft[s])
				}
			}
		}
	}
	if changed == 0 || released == len(m.Services) {
		t.Fatalf("the stream changed %d counts and left %d of %d services released: not a test of the counts", changed, released, len(m.Services))
	}
}
