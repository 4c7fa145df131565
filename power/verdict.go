package power

import (
	"math/cmplx"

	"blackstart/topology"
)

// Verdict grades the load on an element, from best to worst.
type Verdict uint8

// Verdicts, ordered: a larger value is worse.
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

// Assessment is the load on one element against its rating.
type Assessment struct {
	CurrentA float64 // largest line current, A
	RatingA  float64 // In, A; for a UPS or source rated in power, the current at its rating
	Ratio    float64 // load over rating (current over In, or power over capacity); 0 when unrated
	Verdict  Verdict
	Band     Band    // trip band at this load; both +Inf when it does not trip
	ShedW    float64 // watts to remove from the worst line to be back within the continuous limit, >= 0
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
		if n.hasCurve[e] {
			a.Band = n.curve[e].At(a.Ratio)
		}
		if a.CurrentA > 0 {
			safeShare = limit * el.RatingA / a.CurrentA
		}
	case (el.Kind == topology.KindUPS || el.Kind == topology.KindSource) && (el.CapacityW > 0 || el.CapacityVA > 0):
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
