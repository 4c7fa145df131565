package estimate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// splitHeld keeps a node's c latest running starts' ends in order (by
// time, then instance) and puts exactly the others first, in any order:
// checked against sorting, with ties in time, no slot, fewer starts than
// slots, and more slots than it keeps by insertion.
func TestSplitHeld(t *testing.T) {
	var p projector
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 2000; trial++ {
		n := r.IntN(60)
		c := int32(r.IntN(splitMaxSlots + 4)) // 0 … past splitMaxSlots
		run := make([]finishEv, n)
		for i := range run {
			if r.IntN(3) == 0 {
				run[i].t = float64(r.IntN(4)) // ties
			} else {
				run[i].t = r.ExpFloat64() * 300
			}
			run[i].inst = int32(r.IntN(1_000_000))<<4 | int32(i) // distinct, not in time order
		}
		want := slices.Clone(run)
		slices.SortFunc(want, compare[finishEv])
		held, rest := p.splitHeld(run, c)
		k := max(n-int(c), 0)
		if len(held) != k || len(rest) != n-k || len(held) > 0 && &held[0] != &run[0] || len(rest) > 0 && &rest[0] != &run[k] {
			t.Fatalf("trial %d (%d ends, %d slots): %d held and %d in order, want %d and %d, in place", trial, n, c, len(held), len(rest), k, n-k)
		}
		if !slices.Equal(rest, want[k:]) {
			t.Fatalf("trial %d (%d ends, %d slots): latest %v, want %v", trial, n, c, rest, want[k:])
		}
		got := slices.Clone(held)
		slices.SortFunc(got, compare[finishEv])
		if !slices.Equal(got, want[:k]) {
			t.Fatalf("trial %d (%d ends, %d slots): held %v, want %v in any order", trial, n, c, got, want[:k])
		}
	}
}
