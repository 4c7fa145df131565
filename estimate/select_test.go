package estimate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// kth and kthLarge return the k-th smallest (0-based) as sorting puts it,
// with duplicates and without, at the ends, the median and the 90 %
// point, on both sides of kth's 16-value cut and kthLarge's 2,048-value
// one; and kthLarge when its sample misses the k-th (every 16th value
// 1000, the rest below: the sample sees only 1000s; and every 16th 0, the
// rest above).
func TestKth(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var p projector
	for _, n := range []int{1, 2, 5, 16, 17, 18, 33, 100, 2047, 2048, 2049, 5000, 20000} {
		for _, dups := range []bool{false, true} {
			xs := make([]float64, n)
			for j := range xs {
				if dups {
					xs[j] = float64(r.IntN(n/3 + 1))
				} else {
					xs[j] = r.Float64()
				}
			}
			sorted := slices.Sorted(slices.Values(xs))
			for _, k := range []int{0, n / 2, ninetyK(n), n - 1} {
				if got := kth(slices.Clone(xs), k); got != sorted[k] {
					t.Errorf("kth of %d values (duplicates %v), k = %d: %g, want %g", n, dups, k, got, sorted[k])
				}
				if got := p.kthLarge(slices.Clone(xs), k); got != sorted[k] {
					t.Errorf("kthLarge of %d values (duplicates %v), k = %d: %g, want %g", n, dups, k, got, sorted[k])
				}
			}
		}
	}
	xs := make([]float64, 4096)
	for j := range xs {
		xs[j] = float64(r.IntN(1000))
		if j%16 == 0 {
			xs[j] = 1000
		}
	}
	sorted := slices.Sorted(slices.Values(xs))
	for _, k := range []int{0, 2048, 3686, 4095} {
		if got := p.kthLarge(slices.Clone(xs), k); got != sorted[k] {
			t.Errorf("kthLarge, the sample missing the k-th, k = %d: %g, want %g", k, got, sorted[k])
		}
	}
	// Missing above: every 16th value 0, the rest 1 to 1,000; the sample
	// sees only 0s, so the k-th lies past what it collects.
	for j := range xs {
		xs[j] = float64(1 + r.IntN(1000))
		if j%16 == 0 {
			xs[j] = 0
		}
	}
	sorted = slices.Sorted(slices.Values(xs))
	for _, k := range []int{0, 255, 256, 2048, 3686, 4095} {
		if got := p.kthLarge(slices.Clone(xs), k); got != sorted[k] {
			t.Errorf("kthLarge, the sample below the k-th, k = %d: %g, want %g", k, got, sorted[k])
		}
	}
}

// The 90 % point of n instances is the ⌈0.9 n⌉-th up (index ⌈0.9 n⌉ − 1):
// of 10 the 9th, of 11 the 10th, of 1 the first, of 100 the 90th; none of
// none.
func TestNinetyK(t *testing.T) {
	for _, tt := range []struct{ n, k int }{{0, -1}, {1, 0}, {9, 8}, {10, 8}, {11, 9}, {100, 89}, {101, 90}} {
		if got := ninetyK(tt.n); got != tt.k {
			t.Errorf("ninetyK(%d) = %d, want %d", tt.n, got, tt.k)
		}
	}
}
