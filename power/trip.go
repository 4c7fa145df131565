package power

import (
	"math"

	"blackstart/topology"
)

// Band is the trip behaviour of a protective device at one current: it
// cannot trip before MinS and must have tripped by MaxS (seconds). Either
// may be +Inf: MinS = +Inf means the device holds indefinitely, MaxS = +Inf
// means it is not required to trip.
type Band struct {
	MinS float64 // earliest trip, seconds, > 0 or +Inf
	MaxS float64 // latest trip, seconds, >= MinS or +Inf
}

var inf = math.Inf(1)

// Curve is the time-current characteristic of one protective device, in
// multiples m = I / In. It holds the standard's conventional points as
// anchors of two inverse-time curves, interpolated log-log between them:
// the minimum (earliest) trip time and the maximum (latest) trip time.
type Curve struct {
	NoTripX   float64       // conventional non-tripping current, multiples of In: holds at or below it
	MustTripX float64       // conventional tripping current: trips within the conventional time above it
	InstX     [2]float64    // instantaneous band: may trip instantly from InstX[0], must from InstX[1]
	minPts    [2][2]float64 // (m, seconds): the two anchors of the earliest-trip curve, ascending m
	maxPts    [2][2]float64 // (m, seconds): the two anchors of the latest-trip curve, ascending m
}

// Times used in the instantaneous region, seconds.
const (
	instantMinS = 0.005 // earliest magnetic trip
	instantMaxS = 0.1   // IEC 60898-1: trips in < 0.1 s above the upper instantaneous multiple
)

// CurveFor returns the trip characteristic of element e, or false when the
// element has no trip standard (it is rated but does not trip).
//
// The anchors are the conventional points of each standard:
//   - IEC 60898-1: no trip at 1.13 In for 1 h (2 h above 63 A); trip at
//     1.45 In within 1 h (2 h above 63 A); at 2.55 In trip in 1–60 s
//     (In ≤ 32 A) or 1–120 s (above); instantaneous B 3–5, C 5–10,
//     D 10–20 In.
//   - IEC 60947-2: no trip at 1.05 In for 1 h, trip at 1.30 In within 1 h
//     (2 h above 63 A); instantaneous per device (instantaneous_x), 8–12 In
//     when not given; between the conventional and instantaneous points the
//     band is interpolated log-log down to 0.1 s at the instantaneous
//     multiples.
//   - UL 489: holds at 1.00 In; trips at 1.35 In within 1 h (≤ 50 A; 2 h
//     above) and at 2.00 In within 2 min (≤ 30 A; 4 min to 50 A, 6 min
//     above); instantaneous per device, 5–10 In when not given. UL 489 sets
//     no lower bound: the earliest trip is taken as a tenth of the latest,
//     the spread of published thermal-magnetic curves.
func CurveFor(e *topology.Element) (Curve, bool) {
	in := e.RatingA
	conv := 3600.0
	var c Curve
	switch e.Standard {
	case topology.StdIEC60898:
		if in > 63 {
			conv = 7200
		}
		t255 := 60.0
		if in > 32 {
			t255 = 120
		}
		c.NoTripX, c.MustTripX = 1.13, 1.45
		switch e.Curve {
		case 'B':
			c.InstX = [2]float64{3, 5}
		case 'D':
			c.InstX = [2]float64{10, 20}
		default:
			c.InstX = [2]float64{5, 10}
		}
		c.minPts = [2][2]float64{{1.13, conv}, {2.55, 1}}
		c.maxPts = [2][2]float64{{1.45, conv}, {2.55, t255}}
	case topology.StdIEC60947:
		if in > 63 {
			conv = 7200
		}
		c.NoTripX, c.MustTripX = 1.05, 1.30
		c.InstX = [2]float64{8, 12}
		if e.InstantaneousX[1] > 0 {
			c.InstX = e.InstantaneousX
		}
		c.minPts = [2][2]float64{{1.05, conv}, {c.InstX[0], instantMaxS}}
		c.maxPts = [2][2]float64{{1.30, conv}, {c.InstX[1], instantMaxS}}
	case topology.StdUL489:
		if in > 50 {
			conv = 7200
		}
		t200 := 120.0
		switch {
		case in > 50:
			t200 = 360
		case in > 30:
			t200 = 240
		}
		c.NoTripX, c.MustTripX = 1.00, 1.35
		c.InstX = [2]float64{5, 10}
		if e.InstantaneousX[1] > 0 {
			c.InstX = e.InstantaneousX
		}
		c.maxPts = [2][2]float64{{1.35, conv}, {2.00, t200}}
		// Earliest = latest / 10 on the same line, extended down to just
		// above In (where the latest is extrapolated).
		lo := 1.0 + 1e-9
		c.minPts = [2][2]float64{{lo, loglog(c.maxPts, lo) / 10}, {2.00, t200 / 10}}
	default:
		return Curve{}, false
	}
	return c, true
}

// loglog interpolates (or extrapolates) the line through two anchors at
// m on log-log axes.
func loglog(pts [2][2]float64, m float64) float64 {
	a, b := pts[0], pts[1]
	slope := math.Log(b[1]/a[1]) / math.Log(b[0]/a[0])
	return a[1] * math.Exp(slope*math.Log(m/a[0]))
}

// At returns the trip band at multiple m = I / In.
func (c Curve) At(m float64) Band {
	b := Band{MinS: inf, MaxS: inf}
	switch {
	case m >= c.InstX[0]:
		b.MinS = instantMinS
	case m > c.NoTripX:
		b.MinS = max(loglog(c.minPts, m), instantMaxS)
	}
	switch {
	case m >= c.InstX[1]:
		b.MaxS = instantMaxS
	case m >= c.MustTripX:
		b.MaxS = max(loglog(c.maxPts, m), instantMaxS)
	}
	if b.MaxS < b.MinS { // anchors from different rows can cross near the instantaneous band
		b.MinS = b.MaxS
	}
	return b
}

// UPSBand returns the overload band of a UPS at load ratio r (load over
// rated capacity, 1 = 100 %), from its overload steps (load_pct held for
// time_s). Between two steps it holds at least the time of the step above
// and at most that of the step below; above the last step it may drop the
// load at once; at or below 100 % it holds indefinitely, and between 100 %
// and the first step it holds at least the first step's time.
func UPSBand(steps []topology.OverloadStep, r float64) Band {
	// Compare ratios, not percentages: r*100 rounds 1.1 to 110.00000000000001,
	// which would put a UPS at exactly 110 % above its 110 % step.
	if r <= 1 {
		return Band{MinS: inf, MaxS: inf}
	}
	if len(steps) == 0 { // no tolerance given: a UPS over its rating drops the load
		return Band{MinS: instantMinS, MaxS: instantMaxS}
	}
	b := Band{MinS: instantMinS, MaxS: inf}
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].LoadPct/100 >= r {
			b.MinS = steps[i].TimeS
		}
	}
	for _, s := range steps {
		if s.LoadPct/100 <= r {
			b.MaxS = s.TimeS
		}
	}
	return b
}
