package estimate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRankQueueOrder: the waiting instances of a node leave by rank, then
// instance. By hand: pushed (rank, inst) (2, 7), (1, 9), (2, 3), (0, 5),
// (1, 4), they pop as (0, 5), (1, 4), (1, 9), (2, 3), (2, 7); and on
// random pushes and pops, with many equal ranks, each pop is the least
// (rank, inst) of what was pushed and not yet popped.
func TestRankQueueOrder(t *testing.T) {
	var q rankQueue
	for _, x := range [][2]int32{{2, 7}, {1, 9}, {2, 3}, {0, 5}, {1, 4}} {
		q.push(mkRank(x[0], x[1]))
	}
	var got [][2]int32
	for len(q) > 0 {
		x := q.pop()
		got = append(got, [2]int32{int32(uint64(x) >> 32), x.inst()})
	}
	if want := [][2]int32{{0, 5}, {1, 4}, {1, 9}, {2, 3}, {2, 7}}; !slices.Equal(got, want) {
		t.Errorf("popped (rank, instance) %v, want %v", got, want)
	}

	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 100; trial++ {
		q = q[:0]
		var ref []rankItem
		for step := 0; step < 200; step++ {
			if len(ref) == 0 || r.IntN(3) > 0 {
				x := mkRank(int32(r.IntN(8)), int32(r.IntN(1000)))
				q.push(x)
				ref = append(ref, x)
				continue
			}
			slices.SortFunc(ref, compare[rankItem])
			if got, want := q.pop(), ref[0]; got != want {
				t.Fatalf("trial %d step %d: pop %v, want %v", trial, step, got, want)
			}
			ref = ref[1:]
		}
	}
}
