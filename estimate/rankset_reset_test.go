package estimate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRankSetResetClears: reset to the same size empties a set left in
// use (projectNode stops once a node's last hopeful instance is up,
// leaving waiting places behind): places 5 and 70 left in a set of 100,
// then 7 pushed after reset(100), pops 7 alone.
func TestRankSetResetClears(t *testing.T) {
	var s rankSet
	s.reset(100)
	s.push(5)
	s.push(70)
	s.reset(100)
	s.push(7)
	if got := s.pop(); got != 7 || s.n != 0 {
		t.Errorf("after reset and a push of 7: popped %d, %d left; want 7, 0", got, s.n)
	}
}

// TestRankSetOr: or adds the places of a bit set within lo..hi (both
// included), to a set holding others already, and they leave in order
// with those pushed after: random sets and ranges over several summary
// words, against a sorted reference.
func TestRankSetOr(t *testing.T) {
	var s rankSet
	r := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(9_000)
		bs := make([]uint64, (n+63)/64)
		for x := 0; x < n; x++ {
			if r.IntN(4) == 0 {
				bs[x>>6] |= 1 << (x & 63)
			}
		}
		lo := int32(r.IntN(n))
		hi := lo + int32(r.IntN(n-int(lo)))
		s.reset(n)
		in := make(map[int32]bool)
		for range r.IntN(5) {
			x := int32(r.IntN(n))
			if !in[x] {
				in[x] = true
				s.push(x)
			}
		}
		s.or(bs, lo, hi)
		for x := lo; x <= hi; x++ {
			if bs[x>>6]&(1<<(x&63)) != 0 {
				in[x] = true
			}
		}
		x := int32(r.IntN(n))
		if !in[x] {
			in[x] = true
			s.push(x)
		}
		var want []int32
		for x := range in {
			want = append(want, x)
		}
		slices.Sort(want)
		if s.n != len(want) {
			t.Fatalf("trial %d (%d places, %d..%d): %d in the set, want %d", trial, n, lo, hi, s.n, len(want))
		}
		for _, w := range want {
			if got := s.pop(); got != w {
				t.Fatalf("trial %d (%d places, %d..%d): pop %d, want %d", trial, n, lo, hi, got, w)
			}
		}
	}
}
