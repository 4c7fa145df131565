package estimate

import (
	"fmt"
	"math"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// TestPropertyETANotInPast: whatever the recovery (small-dc under every
// policy, calm and perturbed: slow nodes, nodes that die), no ETA the
// live estimator gives is in the past while something it covers is still
// down: all up and its band, 90 % up while fewer are up, each tier's while
// the tier is not complete. +Inf (nothing left can come up) is allowed.
func TestPropertyETANotInPast(t *testing.T) {
	m, err := topology.Load("../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	p := placement.NewPlan(c)
	var checked, late int
	seeds, want := uint64(4), 1000 // calm (odd seeds) and perturbed (even)
	if testing.Short() {
		seeds, want = 2, 500 // mutation testing's fast first stage: one of each
	}
	for _, policy := range []string{placement.PolicyPlan, placement.PolicyStale, placement.PolicyRandom} {
		for seed := uint64(1); seed <= seeds; seed++ {
			so := placement.SimOptions{Policy: policy, Seed: seed, NoBound: true}
			if seed%2 == 0 {
				pt := perturb(c, seed)
				so.Speed, so.DiesAtS = pt.speed, pt.diesAt(p.MakespanS)
			}
			var evs []placement.Event
			so.OnEvent = func(e placement.Event) { evs = append(evs, e) }
			if _, err := placement.Simulate(c, p, so); err != nil {
				t.Fatal(err)
			}
			l := NewLive(c, p)
			for k, e := range evs {
				l.Observe(e)
				if k%2 != 1 && k != len(evs)-1 {
					continue
				}
				// At the event, and a while after it (silent nodes age).
				for _, now := range []float64{e.TS, e.TS + 37} {
					s := l.Estimate(now)
					what := fmt.Sprintf("%s seed %d, at %g s (%d of %d up)", policy, seed, now, s.Up, s.Total)
					checked++
					if s.Up < s.Total {
						for _, v := range []struct {
							name string
							eta  float64
						}{{"all up", s.ETAAllS}, {"all up low", s.ETAAllLowS}, {"all up high", s.ETAAllHighS}} {
							if v.eta < now-1e-9 {
								t.Fatalf("%s: ETA %s %g s is in the past", what, v.name, v.eta)
							}
						}
						if math.IsInf(s.ETAAllS, 1) {
							late++
						}
					}
					if 10*s.Up < 9*s.Total && (s.ETA90S < now-1e-9 || s.ETA90LowS < now-1e-9 || s.ETA90HighS < now-1e-9) {
						t.Fatalf("%s: ETA of 90 %% up %g s [%g, %g] is in the past", what, s.ETA90S, s.ETA90LowS, s.ETA90HighS)
					}
					for _, tr := range s.Tiers {
						if tr.Up < tr.Total && tr.ETAS < now-1e-9 {
							t.Fatalf("%s: tier %d (%d of %d up) ETA %g s is in the past", what, tr.Tier, tr.Up, tr.Total, tr.ETAS)
						}
					}
				}
			}
		}
	}
	if checked < want {
		t.Errorf("checked %d estimates, want at least %d", checked, want)
	}
	t.Logf("%d estimates checked, %d with nothing left that can come up", checked, late)
}
