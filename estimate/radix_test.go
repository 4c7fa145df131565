package estimate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// radixByTime orders as a comparison sort by (time, instance) does, ties
// and zeros included.
func TestRadixByTime(t *testing.T) {
	var tmp []finishEv
	// The smallest sizes by hand: two out of order, three with a tie.
	for _, ts := range [][]float64{{}, {5}, {7, 3}, {3, 7}, {4, 1, 4}} {
		xs := make([]finishEv, len(ts))
		for i, v := range ts {
			xs[i] = finishEv{t: v, inst: int32(i)}
		}
		want := slices.Clone(xs)
		slices.SortFunc(want, compare[finishEv])
		tmp = radixByTime(xs, tmp)
		if !slices.Equal(xs, want) {
			t.Fatalf("times %v: radix order %v, want %v", ts, xs, want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := r.IntN(300)
		xs := make([]finishEv, n)
		for i := range xs {
			switch r.IntN(4) {
			case 0:
				xs[i].t = float64(r.IntN(5)) // ties, and zeros
			case 1:
				xs[i].t = r.Float64() * 1e6
			default:
				xs[i].t = r.ExpFloat64() * 300
			}
			xs[i].inst = int32(i) // instance order, as the running starts come
		}
		want := slices.Clone(xs)
		slices.SortFunc(want, compare[finishEv])
		tmp = radixByTime(xs, tmp)
		if !slices.Equal(xs, want) {
			t.Fatalf("trial %d (n = %d): radix order differs from sorting", trial, n)
		}
	}
}
