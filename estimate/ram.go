package estimate

import "blackstart/placement"

// RAM is the estimator the motivating incident's team used: the RAM of the
// instances up, against the pre-incident total (the RAM every instance of
// the model requests), extrapolated linearly from power-on.
type RAM struct {
	c        *placement.Cluster
	totalGiB float64 // pre-incident RAM in use, GiB: every instance's request
	upGiB    float64 // RAM of the instances up now, GiB
	up       []bool  // per instance
}

// NewRAM starts the RAM baseline for cluster c, nothing up.
func NewRAM(c *placement.Cluster) *RAM {
	r := &RAM{c: c, up: make([]bool, len(c.Instances))}
	for _, in := range c.Instances {
		r.totalGiB += c.M.Services[in.Service].RAMGiB
	}
	return r
}

// Observe takes one progress event: an instance up adds its RAM.
func (r *RAM) Observe(e placement.Event) {
	if e.State != placement.Up || e.Instance < 0 || int(e.Instance) >= len(r.up) || r.up[e.Instance] {
		return
	}
	r.up[e.Instance] = true
	r.upGiB += r.c.M.Services[r.c.Instances[e.Instance].Service].RAMGiB
}

// Fraction is the share of the pre-incident RAM back in use, in [0, 1].
func (r *RAM) Fraction() float64 {
	if r.totalGiB == 0 {
		return 0
	}
	return r.upGiB / r.totalGiB
}

// ETA extrapolates linearly from power-on: at nowS seconds the fraction f
// is back, so the share target (1 for all, 0.9 for 90 %) is back at
// nowS·target/f. It returns false while nothing is back.
func (r *RAM) ETA(nowS, target float64) (float64, bool) {
	f := r.Fraction()
	if f <= 0 {
		return 0, false
	}
	return nowS * target / f, true
}
