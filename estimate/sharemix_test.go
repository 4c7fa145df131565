package estimate

import (
	"reflect"
	"sync"
	"testing"

	"blackstart/placement"
)

// TestShareWorkspaceMixedAtOnce: estimators of one cluster that share
// their working memory but differ in plan (the plan's, none) and retry
// rule (the default, 3 attempts), each at its own point of the recovery,
// estimate at once, several rounds, so that each takes projectors, views,
// draw tables and fixed shapes the others used or made; each estimates
// exactly what an estimator with its own memory does at the same point.
// Under -race it also checks that none writes what another reads.
func TestShareWorkspaceMixedAtOnce(t *testing.T) {
	c, p, evs := herdingShortHeld(t) // a mixed projection: views with open nodes and sinks
	few := placement.Retry{MaxAttempts: 3, BackoffS: placement.DefaultBackoffS}
	type setup struct {
		p     *placement.Plan
		retry *placement.Retry
	}
	setups := []setup{{p, nil}, {p, &few}, {nil, nil}, {nil, &few}, {p, nil}, {nil, &few}}
	const rounds = 3
	want := make([][]Snapshot, len(setups))
	got := make([][]Snapshot, len(setups))
	point := func(j, r int) int { return len(evs) * (1 + r*len(setups) + j) / (rounds*len(setups) + 1) }
	for j, s := range setups {
		own := NewLive(c, s.p)
		if s.retry != nil {
			own.SetRetry(*s.retry)
		}
		fed := 0
		for r := range rounds {
			to := point(j, r)
			for _, e := range evs[fed:to] {
				own.Observe(e)
			}
			fed = to
			want[j] = append(want[j], own.Estimate(evs[to-1].TS+5))
		}
	}
	var wg sync.WaitGroup
	for j, s := range setups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := NewLive(c, s.p)
			if s.retry != nil {
				l.SetRetry(*s.retry)
			}
			l.ShareWorkspace()
			fed := 0
			for r := range rounds {
				to := point(j, r)
				for _, e := range evs[fed:to] {
					l.Observe(e)
				}
				fed = to
				got[j] = append(got[j], l.Estimate(evs[to-1].TS+5))
			}
		}()
	}
	wg.Wait()
	for j := range setups {
		for r := range rounds {
			if !reflect.DeepEqual(got[j][r], want[j][r]) {
				t.Fatalf("estimator %d (plan %v, retry %+v), round %d: sharing gives\n%+v\nwant\n%+v", j, setups[j].p != nil, setups[j].retry, r, got[j][r], want[j][r])
			}
		}
	}
	e := sharedOf(c)
	e.mu.Lock()
	nViews, nFixed := len(e.views), len(e.fixed)
	e.mu.Unlock()
	e.zero.mu.Lock()
	nTables := len(e.zero.tables)
	e.zero.mu.Unlock()
	if nFixed != 2 || nTables != 2 || nViews == 0 {
		t.Fatalf("%d fixed shapes, %d draw tables, %d views pooled: want 2 (plan, none), 2 (two retry rules), some", nFixed, nTables, nViews)
	}
}
