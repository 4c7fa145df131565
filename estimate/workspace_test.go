package estimate

import (
	"reflect"
	"testing"

	"blackstart/placement"
)

// TestShareWorkspace: estimators of one cluster that share their
// projections' working memory (ShareWorkspace), asked in turn at
// different points of their recoveries, so that each estimate's projectors
// were last used by the other estimator in another state (before and
// after releases, with retries and back-offs), give exactly the estimates
// of estimators that keep their own.
func TestShareWorkspace(t *testing.T) {
	type recovery struct {
		name string
		c    *placement.Cluster
		p    *placement.Plan
		evs  []placement.Event
	}
	var rs []recovery
	c, p, evs := herdingShort(t)
	rs = append(rs, recovery{"herding", c, p, evs})
	c, p, evs = herdingShortHeld(t)
	rs = append(rs, recovery{"herding-held", c, p, evs})
	c, p, evs = earlyStream(t, 4000)
	rs = append(rs, recovery{"platform-early", c, p, evs})
	for _, r := range rs {
		t.Run(r.name, func(t *testing.T) {
			const steps = 6
			shared := []*Live{NewLive(r.c, r.p), NewLive(r.c, r.p)}
			own := []*Live{NewLive(r.c, r.p), NewLive(r.c, r.p)}
			for _, l := range shared {
				l.ShareWorkspace()
			}
			fed := make([]int, 2)
			for s := 1; s <= steps; s++ {
				for j := range shared {
					// the second runs behind the first, by half a step
					to := len(r.evs) * (2*s - j) / (2 * steps)
					for _, e := range r.evs[fed[j]:to] {
						shared[j].Observe(e)
						own[j].Observe(e)
					}
					fed[j] = to
					at := 1.0
					if to > 0 {
						at = r.evs[to-1].TS + 5
					}
					got, want := shared[j].Estimate(at), own[j].Estimate(at)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("step %d, estimator %d (%d events, at %g s): sharing the working memory gives\n%+v\nwant\n%+v", s, j, to, at, got, want)
					}
				}
			}
			if len(shared[0].shape.projs) != 0 || len(sharedOf(r.c).free) == 0 {
				t.Fatalf("the shared estimators keep %d projectors of their own, the pool holds %d", len(shared[0].shape.projs), len(sharedOf(r.c).free))
			}
		})
	}
}
