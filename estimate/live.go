package estimate

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"blackstart/placement"
)

// Instance states as the live estimator tracks them.
const (
	stPending   = iota // not scheduled yet, or back after a failed attempt
	stScheduled        // assigned to a node, not started
	stStarted          // its start is running on its node
	stUp               // up
)

// Live is the live ETA: it takes the progress events of a recovery, in
// time order, and estimates at any moment when everything (and 90 %) will
// be up. It learns each node's start throughput from the starts it
// completed (observed against expected durations, smoothed towards the
// fleet's), keeps the remaining work per node, and projects it forward
// through the dependency barriers: a service's instances start once a
// quorum of each dependency is projected up, each node runs at most c at
// once at its learnt speed. A node that stopped reporting while it had
// work is noticed and its remaining instances are counted as at risk, not
// projected.
type Live struct {
	c *placement.Cluster
	p *placement.Plan // planned nodes of instances not yet scheduled; may be nil

	state []uint8
	node  []int32 // per instance: the node of its latest event, -1 none
	// offPlan: the instances whose node (node) is not the plan's (with no
	// plan: those with a node). While it is 0, the node places are the
	// plan's, laid out once per cluster and plan (see planLayout).
	offPlan int
	startT  []float64 // per instance: when its running start began
	upT     []float64 // per instance: when it came up, -1
	nUp     int
	upBy    []int32 // per service: instances up
	// depsLeft: per service, its dependencies (DependsOn, each entry
	// counted) with fewer than their quorum up; 0: released. Kept as
	// instances come up (upBy only grows), where each estimate's view
	// counted it over every dependency again.
	depsLeft []int32
	fails    []uint8   // per instance: attempts failed so far (at most 255 counted)
	failT    []float64 // per instance: when its latest attempt failed, s
	retry    placement.Retry
	salt     uint64 // seedSalt of the seed (SetSeed)

	lastSeen []float64 // per node: time of its latest event, s; -1 never
	busy     []int32   // per node: instances scheduled or started there

	ram   *RAM
	lastT float64

	// lastFailed: per node, its latest event was a failed start.
	lastFailed []bool
	// pending: per node, instances waiting to start there (not yet
	// scheduled, or back after a failed start).
	pending []int32
	// overdue: per node, the least of its running starts' begin + timeout
	// + timeoutSlack, s (+Inf with none), as at the fits' version
	// overdueVer of the node: stale reads it instead of scanning the
	// node's running starts again while they are as they were (the scan
	// took about 2 % of a herded recovery's wall time).
	overdue    []float64
	overdueVer []uint32

	// The starts seen, per node, for the speed estimate (see fits.go).
	fits
	speedBuf [][]float64 // per projection and node: drawn speed
	// What the projections need of the cluster, and their working memory
	// (see project.go).
	shape shape
	// shared: the projections' working memory is taken from the
	// cluster's pool for each estimate (ShareWorkspace), not kept in
	// shape.projs.
	shared bool
}

// ShareWorkspace makes l take its projections' working memory (a
// projector per processor, some hundreds of kB each on the
// incident-scale platform, grown during the first estimate, and the view
// they share, viewMem) from a pool shared by every estimator of its
// cluster that does the same, for each estimate, and give it back after,
// instead of keeping its own; read its draws (the heads, 2.4 MB on the
// platform, and the retries) from a table those of them seeded alike
// share (drawTable), where it filled its own; and share with those what
// it derives from the cluster and plan (fixedShape). The estimates are
// the same either way (a projection resets all it reads of its working
// memory, view all it lays out; the draws and the fixed shape are
// functions of the cluster, plan and seed). For a service keeping many
// estimators of one cluster, a few estimating at once: a new incident's
// first estimate no longer grows a working memory of its own, and the
// idle estimators hold none; incidents seeded alike also share their
// draws. Call it before the first Estimate.
func (l *Live) ShareWorkspace() {
	if !l.shape.ready {
		l.shared = true
	}
}

// NewLive starts a live estimate for cluster c. p, when given, supplies
// the node of instances no event has placed yet.
func NewLive(c *placement.Cluster, p *placement.Plan) *Live {
	n, nn := len(c.Instances), len(c.M.Devices)
	l := &Live{c: c, p: p, state: make([]uint8, n), node: make([]int32, n), startT: make([]float64, n), upT: make([]float64, n),
		upBy: make([]int32, len(c.M.Services)), depsLeft: make([]int32, len(c.M.Services)), fails: make([]uint8, n), failT: make([]float64, n), retry: placement.DefaultRetry(),
		lastSeen: make([]float64, nn), busy: make([]int32, nn), ram: NewRAM(c), lastFailed: make([]bool, nn), pending: make([]int32, nn),
		overdue: make([]float64, nn), overdueVer: make([]uint32, nn)}
	l.fits.init(c)
	for s := range c.M.Services {
		l.depsLeft[s] = int32(len(c.M.Services[s].DependsOn)) // none up: every quorum is at least 1
	}
	for i := range l.node {
		l.node[i], l.upT[i] = -1, -1
		if p != nil {
			l.node[i] = p.Assign[i].Node
		}
		if l.node[i] >= 0 {
			l.pending[l.node[i]]++
		}
	}
	for k := range l.lastSeen {
		l.lastSeen[k] = -1
		l.overdue[k] = math.Inf(1) // no running start, at version 0
	}
	return l
}

// SetRetry tells the estimator the recovery's retry rule (NewLive assumes
// placement.DefaultRetry); call it before the first Estimate.
func (l *Live) SetRetry(r placement.Retry) {
	if !l.shape.ready {
		l.retry = r.Resolved()
	}
}

// SetSeed seeds the estimator's draws (each node's order of its speed
// draws, every start's duration): an estimate is a function of the seed,
// the events and the time. NewLive's seed is 0. Seed each incident its
// own way (the service seeds with the incident's id, the evaluation with
// the run's seed): with one seed for all, every incident projects the
// same nine futures, and their errors go together. Call it before the
// first Estimate.
func (l *Live) SetSeed(seed uint64) {
	if !l.shape.ready {
		l.salt = seedSalt(seed)
		l.fits.order(l.salt)
	}
}

// SetKnownSpeeds gives the estimator every node's true start speed,
// relative to nominal (1: nominal; the factor placement.SimOptions.Speed
// takes), indexed as the model's devices: every projection takes these
// instead of drawing from the fitted speeds (not fitted meanwhile). A
// diagnostic, not for incidents: it shows how much of the estimate's error
// is the estimation of node speeds (estimate evaluate --speeds-known). nil
// goes back to the fitted speeds. It returns an error, and changes
// nothing, when speed has not one entry per device or one is not finite
// and positive.
func (l *Live) SetKnownSpeeds(speed []float64) error {
	if speed == nil {
		l.fits.known = nil
		return nil
	}
	if len(speed) != len(l.c.M.Devices) {
		return fmt.Errorf("known speeds: %d for %d devices", len(speed), len(l.c.M.Devices))
	}
	for d, s := range speed {
		if !(s > 0) || math.IsInf(s, 1) {
			return fmt.Errorf("known speeds: device %s: speed %g, want finite and > 0", l.c.M.Devices[d].ID, s)
		}
	}
	l.fits.known = slices.Clone(speed)
	return nil
}

// Observe takes one progress event; events come in time order. An event
// of an instance or a node outside the cluster (an index past it; a node
// below -1, which means none) is ignored: readers map names to indices
// and refuse unknown ones before this.
func (l *Live) Observe(e placement.Event) {
	i := e.Instance
	if i < 0 || int(i) >= len(l.state) || e.Node < -1 || int(e.Node) >= len(l.lastSeen) {
		return
	}
	l.observe(e)
	l.fits.observed(l.lastT)
}

// observe counts event e, of a known instance, in.
func (l *Live) observe(e placement.Event) {
	i := e.Instance
	l.lastT = max(l.lastT, e.TS)
	l.ram.Observe(e)
	if e.Node >= 0 && int(e.Node) < len(l.lastSeen) {
		l.lastSeen[e.Node] = e.TS
		l.lastFailed[e.Node] = e.State == placement.Failed
	}
	prev := l.state[i]
	if prev == stUp {
		return
	}
	if (prev == stScheduled || prev == stStarted) && l.node[i] >= 0 {
		l.busy[l.node[i]]--
	}
	if prev == stPending && l.node[i] >= 0 {
		l.pending[l.node[i]]--
	}

	switch e.State {
	case placement.Scheduled:
		l.state[i] = stScheduled
		l.setNode(i, e.Node)
	case placement.Started:
		l.state[i], l.startT[i] = stStarted, e.TS
		l.setNode(i, e.Node)
		if e.Node >= 0 {
			l.closeStart(i, e.TS, false)
			l.openStart(i, e.Node, e.TS)
		}
	case placement.Up:
		l.closeStart(i, e.TS, true)
		l.state[i], l.upT[i] = stUp, e.TS
		if e.Node >= 0 {
			l.setNode(i, e.Node)
		}
		l.nUp++
		s := l.c.Instances[i].Service
		if l.upBy[s]++; int(l.upBy[s]) == l.c.M.Services[s].Quorum() {
			for _, t := range l.c.Dependents(int(s)) {
				l.depsLeft[t]--
			}
		}
		return
	case placement.Failed:
		l.closeStart(i, e.TS, false)
		l.state[i] = stPending
		l.fails[i] = min(l.fails[i], 254) + 1
		l.failT[i] = e.TS
		if l.node[i] >= 0 {
			l.pending[l.node[i]]++ // waiting to be retried there
		}
		return
	}
	if l.node[i] >= 0 {
		l.busy[l.node[i]]++
	}
}

// setNode moves instance i to node n (-1: none), counting it in offPlan
// while n is not the plan's node for it.
func (l *Live) setNode(i, n int32) {
	plan := int32(-1)
	if l.p != nil {
		plan = l.p.Assign[i].Node
	}
	if was := l.node[i]; (was != plan) != (n != plan) {
		if n != plan {
			l.offPlan++
		} else {
			l.offPlan--
		}
	}
	l.node[i] = n
}

// stale reports whether node n stopped reporting: it has starts under way
// and no event for longer than staleAfter; or one of its starts is past its
// timeout by more than timeoutSlack with no word of it (a live node reports
// every start up, or failed at its timeout); or its last word was a failed
// start, it still has work, and nothing followed for longer than the longest
// retry back-off.
func (l *Live) stale(n int32, now float64) bool {
	if l.lastSeen[n] < 0 {
		return false
	}
	quiet := now - l.lastSeen[n]
	if l.busy[n] > 0 && quiet > staleAfter {
		return true
	}
	// After a failed start a live node retries, or starts its next planned
	// instance, within the longest back-off (with its jitter) — when it has
	// work: a node whose instances went elsewhere may rightly stay quiet.
	if l.lastFailed[n] && quiet > 1.5*placement.MaxBackoffS+timeoutSlack && (l.busy[n] > 0 || l.pending[n] > 0) {
		return true
	}
	if !(l.lastSeen[n] < now-timeoutSlack) {
		return false // heard from within the slack: no start of it is overdue unheard
	}
	return now > l.overdueAt(n)
}

// overdueAt is the least of node n's running starts' begin + timeout +
// timeoutSlack, s (+Inf with none): a start still running after it is
// overdue.
func (l *Live) overdueAt(n int32) float64 {
	if v := l.fits.ver[n]; v != l.overdueVer[n] {
		at := math.Inf(1)
		for _, r := range l.fits.node[n].running {
			timeout := l.c.M.Services[l.c.Instances[r.inst].Service].TimeoutS
			if timeout <= 0 {
				timeout = placement.DefaultTimeoutS
			}
			at = min(at, r.begin+timeout+timeoutSlack)
		}
		l.overdue[n], l.overdueVer[n] = at, v
	}
	return l.overdue[n]
}

// staleAfter is how long a node with work may stay silent, s.
const staleAfter = 900.0

// timeoutSlack is how late past a start's timeout its failure may be
// reported before its node counts as silent, s.
const timeoutSlack = 30.0

// Snapshot is the estimate at one moment.
type Snapshot struct {
	TS       float64 `json:"t_s"`
	Up       int     `json:"up"`
	Total    int     `json:"total"`
	Fraction float64 `json:"up_fraction"`
	// Throughput estimate: when everything is up, and 90 %, with a band
	// (durations at their median and at their p90).
	ETAAllS     float64      `json:"eta_all_s"`
	ETAAllLowS  float64      `json:"eta_all_low_s"`
	ETAAllHighS float64      `json:"eta_all_high_s"`
	ETA90S      float64      `json:"eta_90_s"`
	ETA90LowS   float64      `json:"eta_90_low_s"`
	ETA90HighS  float64      `json:"eta_90_high_s"`
	AtRisk      int          `json:"at_risk"` // instances on nodes that stopped reporting
	RAMFraction float64      `json:"ram_fraction"`
	RAMETAAllS  float64      `json:"ram_eta_all_s"` // the incident team's linear extrapolation
	RAMETA90S   float64      `json:"ram_eta_90_s"`
	StaleNodes  []string     `json:"stale_nodes"`
	Tiers       []TierStatus `json:"tiers"`
}

// TierStatus is one tier's progress and projected completion.
//
// ETAS is when the tier's last instance that can come up is projected up;
// +Inf (null in JSON) when none of the instances left can: they are all on
// nodes that stopped reporting, or behind a dependency that cannot reach
// quorum.
type TierStatus struct {
	Tier      int     `json:"tier"`
	Up        int     `json:"up"`
	Total     int     `json:"total"`
	ETAS      float64 `json:"eta_s"`
	projected int     // instances a projection brings up
}

// MarshalJSON writes the ETA rounded to 0.1 s (as the CSV shows it), an
// infinite one as null.
func (t TierStatus) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Tier  int      `json:"tier"`
		Up    int      `json:"up"`
		Total int      `json:"total"`
		ETAS  *float64 `json:"eta_s"`
	}{t.Tier, t.Up, t.Total, roundedPtr(t.ETAS, 1)})
}

// MarshalJSON writes the figures rounded as the CSV shows them (ETAs to
// 0.1 s, fractions to 4 decimals; t_s as given), infinite times (no RAM
// back yet, nothing that can come up) as null.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot
	s.Fraction, s.RAMFraction = roundTo(s.Fraction, 4), roundTo(s.RAMFraction, 4)
	return json.Marshal(struct {
		plain
		ETAAllS     *float64 `json:"eta_all_s"`
		ETAAllLowS  *float64 `json:"eta_all_low_s"`
		ETAAllHighS *float64 `json:"eta_all_high_s"`
		ETA90S      *float64 `json:"eta_90_s"`
		ETA90LowS   *float64 `json:"eta_90_low_s"`
		ETA90HighS  *float64 `json:"eta_90_high_s"`
		RAMETAAllS  *float64 `json:"ram_eta_all_s"`
		RAMETA90S   *float64 `json:"ram_eta_90_s"`
	}{plain(s), roundedPtr(s.ETAAllS, 1), roundedPtr(s.ETAAllLowS, 1), roundedPtr(s.ETAAllHighS, 1), roundedPtr(s.ETA90S, 1),
		roundedPtr(s.ETA90LowS, 1), roundedPtr(s.ETA90HighS, 1), roundedPtr(s.RAMETAAllS, 1), roundedPtr(s.RAMETA90S, 1)})
}

// roundTo rounds v to decimals places; NaN and infinities stay.
func roundTo(v float64, decimals int) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}

// roundedPtr is v rounded to decimals places, nil (null in JSON) when v is
// not finite.
func roundedPtr(v float64, decimals int) *float64 {
	return finitePtr(roundTo(v, decimals))
}

func finitePtr(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// History feeds evs (in time order) to l, estimates after every batch-th
// event (batch < 1: none), and estimates once more at now (s) unless the
// last estimate already is at that time: the ETA as it would have been
// announced along the recovery, the last one as of now.
func History(l *Live, evs []placement.Event, batch int, now float64) []Snapshot {
	var snaps []Snapshot
	for k, e := range evs {
		l.Observe(e)
		if batch > 0 && (k+1)%batch == 0 {
			snaps = append(snaps, l.Estimate(e.TS))
		}
	}
	if len(snaps) == 0 || snaps[len(snaps)-1].TS != max(now, l.lastT) {
		snaps = append(snaps, l.Estimate(now))
	}
	return snaps
}

// Estimate projects the recovery from its state at now (s).
func (l *Live) Estimate(now float64) Snapshot {
	c := l.c
	m := c.M
	now = max(now, l.lastT)
	s := Snapshot{TS: now, Up: l.nUp, Total: len(c.Instances)}
	if s.Total > 0 {
		s.Fraction = float64(l.nUp) / float64(s.Total)
	}
	stale := make([]bool, len(m.Devices))
	for n := range stale {
		if l.stale(int32(n), now) {
			stale[n] = true
			s.StaleNodes = append(s.StaleNodes, m.Devices[n].ID)
		}
	}
	// Monte-Carlo over the remaining start durations: the ETA is the median
	// projection, the band its 10th and 90th percentiles.
	alls, nineties := make([]float64, Samples), make([]float64, Samples)
	prs := l.projectAll(now, stale, func() [][]float64 {
		l.speedBuf = l.speeds(now, l.speedBuf)
		return l.speedBuf
	})
	for k, pr := range prs {
		alls[k], nineties[k] = pr.all, pr.ninety
	}
	last := prs[0]
	qa, q9 := quantiles(alls), quantiles(nineties)
	s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS = qa.P50, qa.P10, qa.P90
	s.ETA90S, s.ETA90LowS, s.ETA90HighS = q9.P50, q9.P10, q9.P90
	if s.Up < s.Total {
		// Something is still to come up (or at risk): not in the past.
		for _, v := range []*float64{&s.ETAAllS, &s.ETAAllLowS, &s.ETAAllHighS, &s.ETA90S, &s.ETA90LowS, &s.ETA90HighS} {
			*v = max(*v, now)
		}
	}
	s.AtRisk = last.atRisk
	s.RAMFraction = l.ram.Fraction()
	if v, ok := l.ram.ETA(now, 1); ok {
		s.RAMETAAllS = v
	} else {
		s.RAMETAAllS = math.Inf(1)
	}
	if v, ok := l.ram.ETA(now, 0.9); ok {
		s.RAMETA90S = v
	} else {
		s.RAMETA90S = math.Inf(1)
	}
	// Each tier's ETA is the median of its projections.
	etas := make([]float64, Samples)
	for t, ts := range last.tiers {
		if ts.Total > 0 {
			proj := 0
			for k, pr := range prs {
				etas[k] = pr.tiers[t].ETAS
				proj = max(proj, pr.tiers[t].projected)
			}
			ts.Tier = t
			ts.ETAS = quantiles(etas).P50
			switch {
			case ts.Up < ts.Total && proj == 0:
				ts.ETAS = math.Inf(1) // nothing left of it can come up
			case ts.Up < ts.Total:
				ts.ETAS = max(ts.ETAS, now)
			}
			s.Tiers = append(s.Tiers, ts)
		}
	}
	return s
}
