package estimate

import (
	"math/rand/v2"
	"testing"
)

// TestNodeQueueOrder: a nodeQueue gives its events in evHeap's order
// (time, then instance; ties in time), through its sorted slice,
// its change to a heap above smallQ events and back once empty, and the
// compaction of its slice; min agrees with the heap's first; and rest
// holds the events left. Also with keep (a heap throughout).
func TestNodeQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	heaps := 0
	for _, keep := range []bool{false, true} {
		for trial := 0; trial < 300; trial++ {
			q := nodeQueue{a: make([]finishEv, 0, r.IntN(12)), heap: keep, keep: keep}
			var ref evHeap
			inst, heaped := int32(trial), false
			most := 1 + r.IntN(3*smallQ) // how full it is let to grow
			for step := 0; step < 500; step++ {
				if q.len() != len(ref) {
					t.Fatalf("trial %d step %d: %d queued, want %d", trial, step, q.len(), len(ref))
				}
				if len(ref) < most && (len(ref) == 0 || r.IntN(2) == 0) {
					// An instance has one event queued at most (its start's
					// end, or its back-off's): distinct, in no order.
					x := finishEv{t: float64(r.IntN(40)), inst: int32(step*7919%1009) + 1009*inst, kind: uint8(r.IntN(4))}
					q.push(x)
					ref.push(x)
					heaped = heaped || q.heap
					continue
				}
				if got, want := q.min(), ref[0]; got != want {
					t.Fatalf("trial %d step %d: min %+v, want %+v", trial, step, got, want)
				}
				q.pop()
				ref.pop()
			}
			rest := q.rest()
			if len(rest) != len(ref) {
				t.Fatalf("trial %d: %d left, want %d", trial, len(rest), len(ref))
			}
			for len(ref) > 0 {
				if got, want := rest.pop(), ref.pop(); got != want {
					t.Fatalf("trial %d: left %+v, want %+v", trial, got, want)
				}
			}
			if heaped && !keep {
				heaps++
			}
		}
	}
	if heaps < 50 {
		t.Fatalf("%d trials of 300 went past the sorted slice, want 50 or more", heaps)
	}
}
