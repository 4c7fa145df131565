package power

import (
	"fmt"
	"math/cmplx"

	"blackstart/topology"
)

// Verdict grades the load on an element, from best to worst.
type Verdict uint8

// Verdicts, ordered: a larger value is worse. The order is the contract
// (callers compare with < and max); a new verdict takes its place in it.
const (
	OK Verdict = iota // within the continuous limit
	// CannotJudge: the model cannot support a judgement (a rack whose
	// inventory has uncabled feeds, unfed PSUs or unknown draws; see
	// topology.Model.RackGaps). Never better than that: such a rack is not
	// ok, and it reads worse when what is known already overloads.
	CannotJudge
	OverContinuous // above the continuous limit (80 % of In by default), within the rating
	OverRating     // above the rating, below the current where it may trip
	MayTrip        // between the no-trip and the must-trip current
	Trip           // at or above the must-trip current: it trips within the band
)

var verdictNames = [...]string{"ok", "cannot-judge", "over-continuous", "over-rating", "may-trip", "trip"}

// String returns the verdict as printed: ok, cannot-judge, over-continuous,
// over-rating, may-trip or trip.
func (v Verdict) String() string { return verdictNames[v] }

// MarshalText makes verdicts JSON strings.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads a verdict as printed.
func (v *Verdict) UnmarshalText(b []byte) error {
	for i, n := range verdictNames {
		if string(b) == n {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("unknown verdict %q", b)
}

// Assessment is the load on one element against its rating.
type Assessment struct {
	CurrentA float64 // largest line current, A
	RatingA  float64 // In, A; for a UPS or source rated in power, the current at its rating
	Ratio    float64 // load over rating (current over In, or power over capacity); 0 when unrated
	Verdict  Verdict
	Band     Band    // trip band at this load; both +Inf when it does not trip
	ShedW    float64 // watts to remove from the worst line to be back within the continuous limit (a UPS or source: its rating), >= 0
	Rated    bool    // the element has a rating to assess against
}

// ratioTol absorbs the rounding of the phasor sums (a few ulps): a load
// drawing exactly the power a limit allows (NetBox's 208 V × 30 A × 80 % ×
// √3) is at the limit, not over it.
const ratioTol = 1e-9

// assess grades element e in flow f.
func (n *Network) assess(f *Flow, e int) Assessment {
	el := &n.M.Elements[e]
	a := Assessment{CurrentA: f.CurrentA(e), Band: Band{MinS: inf, MaxS: inf}}
	if !f.Live[e] {
		return a
	}
	limit := el.ContinuousLimit
	var safeShare float64 // fraction of the worst line's load that may stay
	byLine := true        // breakers protect lines; UPSes and sources are rated in total power
	switch {
	case el.RatingA > 0:
		a.Rated, a.RatingA = true, el.RatingA
		a.Ratio = a.CurrentA / el.RatingA
		if neutralProtected(el) {
			// A 4-pole breaker senses its neutral too: the conductor
			// nearest its own rating binds.
			if nA, ok := NeutralA(el, (*[3]complex128)(&f.Cur[e])); ok && nA/el.NeutralRatingA > a.Ratio {
				a.CurrentA, a.RatingA, a.Ratio = nA, el.NeutralRatingA, nA/el.NeutralRatingA
			}
		}
		if n.hasCurve[e] {
			a.Band = n.curve[e].At(a.Ratio)
		}
		if a.CurrentA > 0 {
			safeShare = limit * a.RatingA / a.CurrentA
		}
	case (el.Kind == topology.KindUPS || el.Kind == topology.KindSource) && (el.CapacityW > 0 || el.CapacityVA > 0):
		// A UPS or source is judged against its own rating and overload
		// table: the branch-circuit continuous limit does not apply, and
		// shedding brings it back to its rating.
		limit = 1
		a.Rated, byLine = true, false
		var rw, rva float64
		if el.CapacityW > 0 {
			rw = f.P[e] / el.CapacityW
		}
		if el.CapacityVA > 0 {
			rva = f.ApparentVA(e) / el.CapacityVA
		}
		a.Ratio = max(rw, rva)
		if a.Ratio > 0 {
			a.RatingA = a.CurrentA / a.Ratio
			safeShare = limit / a.Ratio
		}
		if el.Kind == topology.KindUPS {
			a.Band = UPSBand(el.Overload, a.Ratio)
		}
	default:
		return a
	}
	switch {
	case a.Band.MaxS < inf:
		a.Verdict = Trip
	case a.Band.MinS < inf:
		a.Verdict = MayTrip
	case a.Ratio > 1+ratioTol:
		a.Verdict = OverRating
	case a.Ratio > limit*(1+ratioTol):
		a.Verdict = OverContinuous
	}
	if a.Verdict > OK && safeShare < 1 {
		w := f.P[e]
		if byLine {
			w = n.lineW(f, e)
		}
		a.ShedW = w * (1 - safeShare)
	}
	return a
}

// lineW estimates the real power carried by the most loaded line of e, W:
// all of it for a single-phase element, the worst line's share of the
// current otherwise.
func (n *Network) lineW(f *Flow, e int) float64 {
	if n.M.Elements[e].Phases == 1 {
		return f.P[e]
	}
	c := &f.Cur[e]
	a, b, d := cmplx.Abs(c[0]), cmplx.Abs(c[1]), cmplx.Abs(c[2])
	sum := a + b + d
	if sum == 0 {
		return 0
	}
	return f.P[e] * max(a, b, d) / sum
}

// neutralProtected reports whether element el is a breaker that switches
// and senses its neutral: four poles on a three-phase wye supply.
func neutralProtected(el *topology.Element) bool {
	return el.Poles == 4 && el.Phases == 3 && el.Wiring == topology.WiringWye && el.NeutralRatingA > 0
}

// NeutralA returns the current in the neutral of element el carrying line
// currents c, amperes: the magnitude of the phasor sum of its three line
// currents (Kirchhoff: what the lines carry out, the neutral brings back;
// line-to-line loads add nothing to it). ok is false when el has no
// neutral (single-phase, or a delta supply). The figure is the
// fundamental only: the triplen harmonics IT power supplies draw add in
// the neutral and are not modelled.
func NeutralA(el *topology.Element, c *[3]complex128) (float64, bool) {
	if el.Phases != 3 || el.Wiring != topology.WiringWye {
		return 0, false
	}
	return cmplx.Abs(c[0] + c[1] + c[2]), true
}

// NeutralVerdict grades a neutral current nA against the neutral rating of
// element el: with the breaker's trip band when a 4-pole breaker protects
// the neutral, else ok, over-continuous (above the continuous limit of the
// neutral rating) or over-rating; the band is +Inf when it cannot trip.
// An element without a neutral rating is ok.
func (n *Network) NeutralVerdict(e int, nA float64) (Verdict, Band) {
	el := &n.M.Elements[e]
	b := Band{MinS: inf, MaxS: inf}
	if el.NeutralRatingA <= 0 {
		return OK, b
	}
	r := nA / el.NeutralRatingA
	if neutralProtected(el) && n.hasCurve[e] {
		b = n.curve[e].At(r)
	}
	switch {
	case b.MaxS < inf:
		return Trip, b
	case b.MinS < inf:
		return MayTrip, b
	case r > 1+ratioTol:
		return OverRating, b
	case r > el.ContinuousLimit*(1+ratioTol):
		return OverContinuous, b
	}
	return OK, b
}
