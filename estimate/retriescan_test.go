package estimate

import (
	"testing"

	"blackstart/placement"
)

// TestRetriesCanWindow: retriesCan is whether a retry the instance still
// has ends before its timeout: one of the draws of its starts left after
// the failures seen (the first MaxAttempts − 1 − fails of its retries'
// draws) is at most the limit, by every path, with no failure seen (where
// all its retries' draws are left) and after some (where the least draw
// may be one no longer allowed). Checked against that definition, for
// every instance and projection, at limits around each retry draw.
func TestRetriesCanWindow(t *testing.T) {
	c, p, _ := herdingShort(t)
	l := NewLive(c, p)
	const attempts = 6
	l.SetRetry(placement.Retry{MaxAttempts: attempts})
	l.prepare()
	checked, outside := 0, 0
	for i := range c.Instances {
		for k := range Samples {
			l.minRetry(i, k) // draws the retries
			rs := l.retryBlock(i, k)
			least := l.minRetry(i, k)
			for fails := 0; fails < attempts; fails++ {
				l.fails[i] = uint8(fails)
				window := rs[:attempts-1-fails]
				for _, x := range rs {
					for _, limit := range []float64{x * (1 - 1e-9), x, x * (1 + 1e-9)} {
						want := false
						for _, y := range window {
							want = want || y <= limit
						}
						if got := l.retriesCan(int32(i), k, limit); got != want {
							t.Fatalf("instance %d, projection %d, %d failures seen, limit %g: retriesCan %v, want %v (draws %v)", i, k, fails, limit, got, want, rs)
						}
						checked++
						if least <= limit && !want {
							outside++
						}
					}
				}
			}
		}
	}
	l.fails = make([]uint8, len(l.fails))
	if outside == 0 {
		t.Fatalf("%d cases, none whose least draw is outside the window: the test tests nothing of it", checked)
	}
}
