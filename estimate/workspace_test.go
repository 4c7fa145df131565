package estimate

import (
	"reflect"
	"sync"
	"testing"

	"blackstart/placement"
)

// TestShareWorkspace: estimators of one cluster that share their
// projections' working memory and draws (ShareWorkspace), asked in turn at
// different points of their recoveries, so that each estimate's projectors
// were last used by the other estimator in another state (before and
// after releases, with retries and back-offs), give exactly the estimates
// of estimators that keep their own; so do two estimating at once.
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
			// and two estimating at once, from the start: the draws are
			// drawn into the shared table by both
			at := r.evs[len(r.evs)-1].TS + 5
			two := []*Live{NewLive(r.c, r.p), NewLive(r.c, r.p)}
			got := make([]Snapshot, 2)
			var wg sync.WaitGroup
			for j, l := range two {
				l.ShareWorkspace()
				for _, e := range r.evs[:len(r.evs)*(j+1)/3] {
					l.Observe(e)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[j] = l.Estimate(at)
				}()
			}
			wg.Wait()
			for j := range two {
				ref := NewLive(r.c, r.p)
				for _, e := range r.evs[:len(r.evs)*(j+1)/3] {
					ref.Observe(e)
				}
				if want := ref.Estimate(at); !reflect.DeepEqual(got[j], want) {
					t.Fatalf("two estimating at once, the %d-th: sharing gives\n%+v\nwant\n%+v", j, got[j], want)
				}
			}
			drawn := 0
			tab := sharedOf(r.c).zero.tables[shared[0].shape.nRetry]
			for ch := range tab.retries {
				if slots := tab.retries[ch].Load(); slots != nil {
					for j := range slots {
						if slots[j].Load() != nil {
							drawn++
						}
					}
				}
			}
			if drawn == 0 {
				t.Fatal("no retries drawn into the shared table: the recovery tests nothing of it")
			}
			if len(shared[0].shape.projs) != 0 || len(sharedOf(r.c).free) == 0 {
				t.Fatalf("the shared estimators keep %d projectors of their own, the pool holds %d", len(shared[0].shape.projs), len(sharedOf(r.c).free))
			}
			if shared[0].shape.atNow != nil || shared[1].shape.upT != nil || len(sharedOf(r.c).views) == 0 {
				t.Fatalf("the shared estimators keep their views (atNow %d nodes), the pool holds %d", len(shared[0].shape.atNow), len(sharedOf(r.c).views))
			}
		})
	}
}

// TestSharedFixedShape: estimators that share their working memory share
// what prepare computes of the cluster and plan alone (fixedShape: the
// ranks, tiers, timeouts, slots), one per cluster and plan: two of one
// plan the same, one of another retry rule the same too (nothing in it
// depends on the rule), one without a plan its own (its ranks are the
// instances' indices); and each estimates exactly what an estimator with
// its own does.
func TestSharedFixedShape(t *testing.T) {
	c, p, evs := earlyStream(t, 3000) // the platform: its plan's ranks are not the instances' order
	at := evs[len(evs)-1].TS + 5
	few := placement.Retry{MaxAttempts: 3, BackoffS: placement.DefaultBackoffS}
	type setup struct {
		name  string
		p     *placement.Plan
		retry *placement.Retry
	}
	setups := []setup{{"plan", p, nil}, {"plan again", p, nil}, {"plan, 3 attempts", p, &few}, {"no plan", nil, nil}}
	shared := make([]*Live, len(setups))
	for k, s := range setups {
		own := NewLive(c, s.p)
		shared[k] = NewLive(c, s.p)
		shared[k].ShareWorkspace()
		for _, l := range []*Live{own, shared[k]} {
			if s.retry != nil {
				l.SetRetry(*s.retry)
			}
			for _, e := range evs {
				l.Observe(e)
			}
		}
		if got, want := shared[k].Estimate(at), own.Estimate(at); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the shared estimator gives\n%+v\nwant\n%+v", s.name, got, want)
		}
		if ref := newFixedShape(c, s.p); !reflect.DeepEqual(shared[k].shape.rankPos, ref.rankPos) || !reflect.DeepEqual(shared[k].shape.slotOff, ref.slotOff) {
			t.Fatalf("%s: the shared ranks or slots are not the plan's", s.name)
		}
	}
	same := func(a, b *Live) bool {
		return &a.shape.rankPos[0] == &b.shape.rankPos[0] && &a.shape.tier[0] == &b.shape.tier[0]
	}
	if !same(shared[0], shared[1]) || !same(shared[0], shared[2]) {
		t.Fatal("estimators of one cluster and plan do not share their fixed shape")
	}
	if same(shared[0], shared[3]) {
		t.Fatal("an estimator without the plan got the plan's fixed shape")
	}
	if reflect.DeepEqual(shared[0].shape.rankPos, shared[3].shape.rankPos) {
		t.Fatal("setup: the plan's ranks are the instances' order: the test cannot tell them apart")
	}
}
