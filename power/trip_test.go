package power

import (
	"fmt"
	"math"
	"testing"

	"blackstart/topology"
)

// breaker returns a protective element: standard "iec60898" (curve B, C or
// D), "iec60947-2" or "ul489", rating In in amperes, and optionally the
// instantaneous band (two multiples of In).
func breaker(std string, curve byte, in float64, instX ...float64) *topology.Element {
	e := &topology.Element{ID: fmt.Sprintf("%s-%c%g", std, curve, in), Kind: topology.KindBreaker, RatingA: in, Curve: curve}
	switch std {
	case "iec60898":
		e.Standard = topology.StdIEC60898
	case "iec60947-2":
		e.Standard = topology.StdIEC60947
	case "ul489":
		e.Standard = topology.StdUL489
	default:
		panic("unknown standard " + std)
	}
	if len(instX) == 2 {
		e.InstantaneousX = [2]float64{instX[0], instX[1]}
	}
	return e
}

// A bound on one side of a trip band: MinS or MaxS compared with Want.
type bound struct {
	side string // "min" (earliest trip, MinS) or "max" (latest trip, MaxS)
	op   string // ">=", "<=", ">" , "<" or "=="; "==" with Want = +Inf checks "holds"
	want float64
}

// slack absorbs the rounding of log-log interpolation at an anchor: the
// conventional points are checked to a nanosecond.
const slack = 1e-9

func (b bound) holds(got float64) bool {
	switch b.op {
	case ">=":
		return got >= b.want-slack
	case "<=":
		return got <= b.want+slack
	case ">":
		return got > b.want
	case "<":
		return got < b.want
	case "==":
		return got == b.want || math.Abs(got-b.want) <= slack
	}
	panic("unknown op " + b.op)
}

func (b bound) name() string {
	if b.side == "min" {
		return "MinS"
	}
	return "MaxS"
}

// TestTripTable checks every row of DESIGN.md's trip table against
// CurveFor(...).At(m).
func TestTripTable(t *testing.T) {
	hour, twoHours := 3600.0, 7200.0
	tests := []struct {
		name string
		e    *topology.Element
		m    float64 // multiple of In
		b    bound
	}{
		// IEC 60898-1: conventional non-tripping current 1.13 In for 1 h (2 h above 63 A).
		{"iec60898 C16 holds 1.13 In for 1 h", breaker("iec60898", 'C', 16), 1.13, bound{"min", ">=", hour}},
		{"iec60898 B6 holds 1.13 In for 1 h", breaker("iec60898", 'B', 6), 1.13, bound{"min", ">=", hour}},
		{"iec60898 C63 holds 1.13 In for 1 h", breaker("iec60898", 'C', 63), 1.13, bound{"min", ">=", hour}},
		{"iec60898 C80 holds 1.13 In for 2 h", breaker("iec60898", 'C', 80), 1.13, bound{"min", ">=", twoHours}},
		{"iec60898 D125 holds 1.13 In for 2 h", breaker("iec60898", 'D', 125), 1.13, bound{"min", ">=", twoHours}},
		{"iec60898 C16 not required to trip just below 1.45 In", breaker("iec60898", 'C', 16), 1.449, bound{"max", "==", inf}},
		// Conventional tripping current 1.45 In within 1 h (2 h above 63 A).
		{"iec60898 C16 trips 1.45 In within 1 h", breaker("iec60898", 'C', 16), 1.45, bound{"max", "<=", hour}},
		{"iec60898 B63 trips 1.45 In within 1 h", breaker("iec60898", 'B', 63), 1.45, bound{"max", "<=", hour}},
		{"iec60898 C80 trips 1.45 In within 2 h", breaker("iec60898", 'C', 80), 1.45, bound{"max", "<=", twoHours}},
		// 2.55 In: between 1 s and 60 s (In <= 32 A), 1 s and 120 s above.
		{"iec60898 B16 at 2.55 In not before 1 s", breaker("iec60898", 'B', 16), 2.55, bound{"min", ">=", 1}},
		{"iec60898 B16 at 2.55 In within 60 s", breaker("iec60898", 'B', 16), 2.55, bound{"max", "<=", 60}},
		{"iec60898 C32 at 2.55 In not before 1 s", breaker("iec60898", 'C', 32), 2.55, bound{"min", ">=", 1}},
		{"iec60898 C32 at 2.55 In within 60 s", breaker("iec60898", 'C', 32), 2.55, bound{"max", "<=", 60}},
		{"iec60898 C40 at 2.55 In not before 1 s", breaker("iec60898", 'C', 40), 2.55, bound{"min", ">=", 1}},
		{"iec60898 C40 at 2.55 In within 120 s", breaker("iec60898", 'C', 40), 2.55, bound{"max", "<=", 120}},
		{"iec60898 C40 at 2.55 In allowed past 60 s", breaker("iec60898", 'C', 40), 2.55, bound{"max", ">", 60}},
		{"iec60898 D100 at 2.55 In not before 1 s", breaker("iec60898", 'D', 100), 2.55, bound{"min", ">=", 1}},
		{"iec60898 D100 at 2.55 In within 120 s", breaker("iec60898", 'D', 100), 2.55, bound{"max", "<=", 120}},
		// Instantaneous: B 3-5, C 5-10, D 10-20 In.
		{"iec60898 B16 below 3 In no instant trip", breaker("iec60898", 'B', 16), 2.999, bound{"min", ">=", 0.1}},
		{"iec60898 B16 at 3 In may trip instantly", breaker("iec60898", 'B', 16), 3, bound{"min", "<", 0.1}},
		{"iec60898 B16 at 5 In trips instantly", breaker("iec60898", 'B', 16), 5, bound{"max", "<=", 0.1}},
		{"iec60898 B16 at 8 In trips instantly", breaker("iec60898", 'B', 16), 8, bound{"max", "<=", 0.1}},
		{"iec60898 C16 below 5 In no instant trip", breaker("iec60898", 'C', 16), 4.999, bound{"min", ">=", 0.1}},
		{"iec60898 C16 at 5 In may trip instantly", breaker("iec60898", 'C', 16), 5, bound{"min", "<", 0.1}},
		{"iec60898 C16 at 10 In trips instantly", breaker("iec60898", 'C', 16), 10, bound{"max", "<=", 0.1}},
		{"iec60898 C16 at 30 In trips instantly", breaker("iec60898", 'C', 16), 30, bound{"max", "<=", 0.1}},
		{"iec60898 D16 below 10 In no instant trip", breaker("iec60898", 'D', 16), 9.999, bound{"min", ">=", 0.1}},
		{"iec60898 D16 at 10 In may trip instantly", breaker("iec60898", 'D', 16), 10, bound{"min", "<", 0.1}},
		{"iec60898 D16 at 20 In trips instantly", breaker("iec60898", 'D', 16), 20, bound{"max", "<=", 0.1}},

		// IEC 60947-2: 1.05 In holds 1 h; 1.30 In within 1 h (2 h above 63 A).
		{"iec60947-2 40 A holds 1.05 In for 1 h", breaker("iec60947-2", 0, 40), 1.05, bound{"min", ">=", hour}},
		{"iec60947-2 160 A holds 1.05 In for 1 h", breaker("iec60947-2", 0, 160), 1.05, bound{"min", ">=", hour}},
		{"iec60947-2 40 A not required to trip just below 1.30 In", breaker("iec60947-2", 0, 40), 1.299, bound{"max", "==", inf}},
		{"iec60947-2 63 A trips 1.30 In within 1 h", breaker("iec60947-2", 0, 63), 1.30, bound{"max", "<=", hour}},
		{"iec60947-2 160 A trips 1.30 In within 2 h", breaker("iec60947-2", 0, 160), 1.30, bound{"max", "<=", twoHours}},
		// Instantaneous per device: instantaneous_x honoured, 8-12 In when not given.
		{"iec60947-2 default no instant trip below 8 In", breaker("iec60947-2", 0, 100), 7.999, bound{"min", ">=", 0.1}},
		{"iec60947-2 default may trip instantly at 8 In", breaker("iec60947-2", 0, 100), 8, bound{"min", "<", 0.1}},
		{"iec60947-2 default not instant just below 12 In", breaker("iec60947-2", 0, 100), 11.99, bound{"max", ">", 0.1}},
		{"iec60947-2 default trips instantly at 12 In", breaker("iec60947-2", 0, 100), 12, bound{"max", "<=", 0.1}},
		{"iec60947-2 [3,5] no instant trip below 3 In", breaker("iec60947-2", 0, 100, 3, 5), 2.999, bound{"min", ">=", 0.1}},
		{"iec60947-2 [3,5] may trip instantly at 3 In", breaker("iec60947-2", 0, 100, 3, 5), 3, bound{"min", "<", 0.1}},
		{"iec60947-2 [3,5] not instant just below 5 In", breaker("iec60947-2", 0, 100, 3, 5), 4.99, bound{"max", ">", 0.1}},
		{"iec60947-2 [3,5] trips instantly at 5 In", breaker("iec60947-2", 0, 100, 3, 5), 5, bound{"max", "<=", 0.1}},

		// UL 489: holds at 1.00 In; 1.35 In within 1 h (<= 50 A); 2.00 In within 2 min (<= 30 A).
		{"ul489 20 A holds 1.00 In", breaker("ul489", 0, 20), 1.00, bound{"min", "==", inf}},
		{"ul489 225 A holds 1.00 In", breaker("ul489", 0, 225), 1.00, bound{"min", "==", inf}},
		{"ul489 20 A may trip above In", breaker("ul489", 0, 20), 1.01, bound{"min", "<", inf}},
		{"ul489 20 A not required to trip just below 1.35 In", breaker("ul489", 0, 20), 1.349, bound{"max", "==", inf}},
		{"ul489 20 A trips 1.35 In within 1 h", breaker("ul489", 0, 20), 1.35, bound{"max", "<=", hour}},
		{"ul489 50 A trips 1.35 In within 1 h", breaker("ul489", 0, 50), 1.35, bound{"max", "<=", hour}},
		{"ul489 15 A trips 2.00 In within 2 min", breaker("ul489", 0, 15), 2.00, bound{"max", "<=", 120}},
		{"ul489 30 A trips 2.00 In within 2 min", breaker("ul489", 0, 30), 2.00, bound{"max", "<=", 120}},
		{"ul489 default no instant trip below 5 In", breaker("ul489", 0, 20), 4.999, bound{"min", ">=", 0.1}},
		{"ul489 default trips instantly at 10 In", breaker("ul489", 0, 20), 10, bound{"max", "<=", 0.1}},
		{"ul489 [6,8] no instant trip below 6 In", breaker("ul489", 0, 20, 6, 8), 5.999, bound{"min", ">=", 0.1}},
		{"ul489 [6,8] may trip instantly at 6 In", breaker("ul489", 0, 20, 6, 8), 6, bound{"min", "<", 0.1}},
		{"ul489 [6,8] trips instantly at 8 In", breaker("ul489", 0, 20, 6, 8), 8, bound{"max", "<=", 0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := CurveFor(tt.e)
			if !ok {
				t.Fatalf("CurveFor(%s): no curve", tt.e.ID)
			}
			band := c.At(tt.m)
			got := band.MinS
			if tt.b.side == "max" {
				got = band.MaxS
			}
			if !tt.b.holds(got) {
				t.Errorf("%s at %g In: got %s = %g s (band [%g, %g]), want %s %g s", tt.e.ID, tt.m, tt.b.name(), got, band.MinS, band.MaxS, tt.b.op, tt.b.want)
			}
		})
	}
}

// TestCurveForUnrated: an element without a trip standard has no curve.
func TestCurveForUnrated(t *testing.T) {
	_, ok := CurveFor(&topology.Element{ID: "bus", Kind: topology.KindPanel, RatingA: 160})
	if ok {
		t.Errorf("CurveFor(panel without standard): got a curve, want none")
	}
}

// TestTripBandMonotone: on a fine grid of multiples, both ends of the band
// never rise with the current, MinS <= MaxS, and MinS > 0.
func TestTripBandMonotone(t *testing.T) {
	var elems []*topology.Element
	for _, in := range []float64{6, 16, 32, 40, 63, 80, 125} {
		for _, c := range []byte{'B', 'C', 'D'} {
			elems = append(elems, breaker("iec60898", c, in))
		}
		elems = append(elems, breaker("iec60947-2", 0, in), breaker("iec60947-2", 0, in, 2, 3), breaker("iec60947-2", 0, in, 5, 15))
	}
	for _, in := range []float64{15, 20, 30, 40, 50, 60, 225} {
		elems = append(elems, breaker("ul489", 0, in), breaker("ul489", 0, in, 3, 4), breaker("ul489", 0, in, 8, 12))
	}
	for _, e := range elems {
		c, _ := CurveFor(e)
		name := fmt.Sprintf("%s-x%v", e.ID, e.InstantaneousX)
		prev := Band{MinS: inf, MaxS: inf}
		for i := 0; i <= 40000; i++ {
			m := 0.5 + float64(i)*0.001 // 0.5 to 40.5 In
			b := c.At(m)
			switch {
			case b.MinS > prev.MinS:
				t.Fatalf("%s: MinS rises from %g s to %g s at %g In, want non-increasing", name, prev.MinS, b.MinS, m)
			case b.MaxS > prev.MaxS:
				t.Fatalf("%s: MaxS rises from %g s to %g s at %g In, want non-increasing", name, prev.MaxS, b.MaxS, m)
			case b.MinS > b.MaxS:
				t.Fatalf("%s at %g In: got band [%g, %g], want MinS <= MaxS", name, m, b.MinS, b.MaxS)
			case !(b.MinS > 0):
				t.Fatalf("%s at %g In: got MinS %g, want > 0", name, m, b.MinS)
			}
			prev = b
		}
	}
}

// TestUPSBand: a UPS holding 110 % for 600 s, 125 % for 60 s, 150 % for 10 s.
func TestUPSBand(t *testing.T) {
	steps := []topology.OverloadStep{{LoadPct: 110, TimeS: 600}, {LoadPct: 125, TimeS: 60}, {LoadPct: 150, TimeS: 10}}
	tests := []struct {
		name       string
		pct        float64
		steps      []topology.OverloadStep
		minS, maxS float64
	}{
		{"at 100 % holds", 100, steps, inf, inf},
		{"at 105 % holds at least the first step", 105, steps, 600, inf},
		{"at 110 % holds 600 s", 110, steps, 600, 600},
		{"at 120 % between 60 s and 600 s", 120, steps, 60, 600},
		{"at 125 % holds 60 s", 125, steps, 60, 60},
		{"at 140 % between 10 s and 60 s", 140, steps, 10, 60},
		{"at 160 % may drop at once, at most 10 s", 160, steps, instantMinS, 10},
		{"no tolerance at 100 % holds", 100, nil, inf, inf},
		{"no tolerance at 101 % drops the load", 101, nil, instantMinS, instantMaxS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UPSBand(tt.steps, tt.pct/100)
			if got.MinS != tt.minS || got.MaxS != tt.maxS {
				t.Errorf("UPSBand(%g %%): got [%g, %g] s, want [%g, %g] s", tt.pct, got.MinS, got.MaxS, tt.minS, tt.maxS)
			}
		})
	}
}
