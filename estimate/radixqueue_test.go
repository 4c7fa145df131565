package estimate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRadixQueueOrder: the radix queue pops what a sorted list of the
// events pushed so far would give first, by (time, instance), when every
// push is at or after the latest pop (as a projection pushes), ties and
// zeros included, and stays right after a reset; and peek agrees with pop.
func TestRadixQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var q radixQueue
	for trial := 0; trial < 200; trial++ {
		q.reset()
		var ref []finishEv
		now, inst := 0.0, int32(0)
		for step := 0; step < 400; step++ {
			if len(ref) == 0 || r.IntN(3) > 0 {
				var d float64
				switch r.IntN(4) {
				case 0:
					d = float64(r.IntN(3)) // ties with now, and zeros
				case 1:
					d = r.Float64() * 1e6
				default:
					d = r.ExpFloat64() * 300
				}
				x := finishEv{t: now + d, inst: inst}
				inst++
				q.push(x)
				ref = append(ref, x)
				continue
			}
			slices.SortFunc(ref, compare[finishEv])
			if got, want := q.peek(), ref[0]; got != want {
				t.Fatalf("trial %d step %d: peek %+v, want %+v", trial, step, got, want)
			}
			got, want := q.pop(), ref[0]
			ref = ref[1:]
			if got != want || q.n != len(ref) {
				t.Fatalf("trial %d step %d: pop %+v (%d left), want %+v (%d left)", trial, step, got, q.n, want, len(ref))
			}
			now = got.t
		}
	}
}

// TestRadixQueueTieAfterPeek: an event pushed at the time of the latest
// pop, with a lower instance than the least already known (peeked), is
// the next: pop (5 s, #1), push (5 s, #9), peek #9, push (5 s, #4), pop
// gives #4, then #9. (The random test pushes instances in increasing
// order, so it never meets this.)
func TestRadixQueueTieAfterPeek(t *testing.T) {
	var q radixQueue
	q.reset()
	q.push(finishEv{t: 5, inst: 1})
	if x := q.pop(); x.inst != 1 {
		t.Fatalf("pop #%d, want #1", x.inst)
	}
	q.push(finishEv{t: 5, inst: 9})
	if x := q.peek(); x.inst != 9 {
		t.Fatalf("peek #%d, want #9", x.inst)
	}
	q.push(finishEv{t: 5, inst: 4})
	for _, want := range []int32{4, 9} {
		if x := q.pop(); x.inst != want || x.t != 5 {
			t.Errorf("pop (%g s, #%d), want (5 s, #%d)", x.t, x.inst, want)
		}
	}
}
