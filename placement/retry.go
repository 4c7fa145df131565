package placement

// Retry is the rule a recovery retries failed starts by: an instance gets
// at most MaxAttempts attempts (starts and rejected dispatches); after its
// a-th failure it waits a back-off of BackoffS·2^(a−1), at most MaxBackoffS,
// times a jitter factor in [0.5, 1.5) (mean 1), then becomes ready again;
// after its MaxAttempts-th failure it is given up. The simulator carries
// recoveries out by it and the ETA projections project them by it: one
// rule, so the two cannot drift apart.
type Retry struct {
	MaxAttempts int     // attempts per instance, >= 1
	BackoffS    float64 // delay before the first retry, s, > 0
}

// DefaultRetry is the rule when a recovery says nothing else:
// DefaultMaxAttempts attempts, DefaultBackoffS doubling up to MaxBackoffS.
func DefaultRetry() Retry {
	return Retry{MaxAttempts: DefaultMaxAttempts, BackoffS: DefaultBackoffS}
}

// Resolved returns r with its unset (≤ 0) fields at their defaults.
func (r Retry) Resolved() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.BackoffS <= 0 {
		r.BackoffS = DefaultBackoffS
	}
	return r
}

// Again reports whether an instance whose attempts have failed failed
// times gets another attempt.
func (r Retry) Again(failed int) bool { return failed < r.MaxAttempts }

// Backoff is the delay after an instance's failed-th failure (failed >=
// 1) before jitter, s: BackoffS·2^(failed−1), at most MaxBackoffS. It is
// also the mean delay, the jitter averaging 1.
func (r Retry) Backoff(failed int) float64 {
	return min(r.BackoffS*float64(int64(1)<<min(max(failed-1, 0), 20)), MaxBackoffS)
}

// Jittered is the delay after the failed-th failure for a jitter draw u in
// [0, 1): Backoff(failed)·(0.5 + u), s.
func (r Retry) Jittered(failed int, u float64) float64 {
	return r.Backoff(failed) * (0.5 + u)
}
