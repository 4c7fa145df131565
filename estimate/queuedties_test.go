package estimate

import (
	"fmt"
	"slices"
	"testing"

	"blackstart/placement"
)

// TestQueuedBackoffTies: projectNodeQueued takes a back-off that ends at
// the time a running start ends in the event loop's order (time, then
// instance), as TestPureTies checks the arrivals. One node of one slot,
// no plan (ranks are instances), fixed starts at speed 1, back-offs of
// 10 s: a start failed at 0 s is ready again at 10 s, when the running
// start begun at 0 s (10 s) ends; w (3 s) waits from the start. When the
// running start is the lower instance its end comes first and frees the
// slot for w before the back-off queues its instance: ups at 10, 13 and
// 18 s. When the back-off's instance is the lower, it is queued first and,
// of lower rank than w, takes the slot: 10, 15 and 18 s. The same by
// projectNodeFast's event loop (noPure) and the reference (noFast).
func TestQueuedBackoffTies(t *testing.T) {
	for _, tc := range []struct {
		run, backoff int32     // the instances of the 10 s and the 5 s services
		want         []float64 // ups, sorted
	}{{0, 1, []float64{10, 13, 18}}, {1, 0, []float64{10, 15, 18}}} {
		svc := map[int32]string{tc.run: "start = { dist = \"fixed\", s = 10 }", tc.backoff: "start = { dist = \"fixed\", s = 5 }"}
		c := nodes(t, 1, 1, fmt.Sprintf(`
[[service]]
id = "a"
instances = 1
%s
[[service]]
id = "b"
instances = 1
%s
[[service]]
id = "w"
instances = 1
start = { dist = "fixed", s = 3 }
`, svc[0], svc[1]))
		for _, v := range []string{"pure", "noPure", "noFast"} {
			l := NewLive(c, nil)
			l.SetRetry(placement.Retry{MaxAttempts: 3, BackoffS: 10})
			l.shape.noPure = v == "noPure"
			l.shape.noFast = v == "noFast"
			l.Observe(placement.Event{TS: 0, Instance: tc.backoff, Node: 0, State: placement.Started})
			l.Observe(placement.Event{TS: 0, Instance: tc.backoff, Node: 0, State: placement.Failed})
			l.Observe(placement.Event{TS: 0, Instance: tc.run, Node: 0, State: placement.Started})
			l.Observe(placement.Event{TS: 0, Instance: 2, Node: 0, State: placement.Scheduled})
			const now = 2
			l.Estimate(now) // lays out what the projections share
			if !l.shape.local || len(l.shape.later) != 1 || l.shape.later[0].t != 10 {
				t.Fatalf("local %v, back-offs %v: want a local projection, one back-off to 10 s", l.shape.local, l.shape.later)
			}
			for k := range Samples {
				var pj projector
				pr := l.project(&pj, now, []bool{false}, k, []float64{1})
				ups := slices.Sorted(slices.Values(pj.ups))
				if !slices.Equal(ups, tc.want) || pr.all != 18 || pj.lost != 0 {
					t.Errorf("running %d, backing off %d, %s, projection %d: ups %v, all up at %g s, %d given up; want %v, 18, none",
						tc.run, tc.backoff, v, k, ups, pr.all, pj.lost, tc.want)
				}
				if v == "pure" && pj.queued != 1 {
					t.Errorf("projection %d: %d nodes by projectNodeQueued, want 1", k, pj.queued)
				}
			}
		}
	}
}
