package power

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"blackstart/topology"
)

// parseText loads one model given as text.
func parseText(t *testing.T, name, text string) *topology.Model {
	t.Helper()
	m, err := topology.Parse(topology.File{Name: name, Data: []byte(text)})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestVerdictBoundaries pins each verdict's edge on both sides, through
// the whole path (model → flow → assessment): 230 V, PF 1, one device per
// 10 A breaker drawing ratio × 2,300 W, so its current is ratio × In.
// 80 % exactly is ok, a hair above it over-continuous; In exactly is
// over-continuous, 1.0005 In over-rating; IEC 60898-1 holds to 1.13 In
// (1.12: over-rating, 1.14: may-trip) and must trip from 1.45 In;
// IEC 60947-2 from 1.05 / 1.30 In; UL 489 holds at In only and must trip
// from 1.35 In. A breaker with continuous_limit = 1 (100 %-rated) is ok
// up to its rating.
func TestVerdictBoundaries(t *testing.T) {
	tests := []struct {
		std   string
		limit float64 // continuous_limit written; 0: the default
		ratio float64
		want  Verdict
	}{
		{"iec60898", 0, 0.8, OK},
		{"iec60898", 0, 0.8005, OverContinuous},
		{"iec60898", 0, 1.0, OverContinuous},
		{"iec60898", 0, 1.0005, OverRating},
		{"iec60898", 0, 1.12, OverRating},
		{"iec60898", 0, 1.13, OverRating},
		{"iec60898", 0, 1.14, MayTrip},
		{"iec60898", 0, 1.44, MayTrip},
		{"iec60898", 0, 1.45, Trip},
		{"iec60947-2", 0, 1.04, OverRating},
		{"iec60947-2", 0, 1.06, MayTrip},
		{"iec60947-2", 0, 1.29, MayTrip},
		{"iec60947-2", 0, 1.30, Trip},
		{"ul489", 0, 1.0, OverContinuous},
		{"ul489", 0, 1.0005, MayTrip},
		{"ul489", 0, 1.34, MayTrip},
		{"ul489", 0, 1.35, Trip},
		{"iec60898", 1.0, 1.0, OK},
		{"iec60898", 1.0, 1.0005, OverRating},
		{"iec60898", 0.5, 0.5, OK},
		{"iec60898", 0.5, 0.51, OverContinuous},
	}
	var b strings.Builder
	b.WriteString("[site]\npower_factor = 1\n[[source]]\nid = \"u\"\nvoltage_v = 230\n[[rack]]\nid = \"r\"\n")
	for i, tt := range tests {
		curve := ""
		if tt.std == "iec60898" {
			curve = "curve = \"C\"\n"
		}
		limit := ""
		if tt.limit > 0 {
			limit = fmt.Sprintf("continuous_limit = %g\n", tt.limit)
		}
		fmt.Fprintf(&b, "[[breaker]]\nid = \"b%d\"\ninput = \"u\"\nstandard = %q\n%srating_a = 10\n%s", i, tt.std, curve, limit)
		fmt.Fprintf(&b, "[[device_model]]\nid = \"m%d\"\nnameplate_w = %g\n", i, tt.ratio*2300)
		fmt.Fprintf(&b, "[[circuit]]\nid = \"c%d\"\ninput = \"b%d\"\n", i, i)
		fmt.Fprintf(&b, "[[device]]\nid = \"d%d\"\nrack = \"r\"\nmodel = \"m%d\"\nfeeds = [\"c%d\"]\n", i, i, i)
	}
	rep := NewNetwork(parseText(t, "verdicts.toml", b.String()), BasisConservative).Load()
	for i, tt := range tests {
		e := loadElement(t, rep, fmt.Sprintf("b%d", i))
		if e.Verdict != tt.want || math.Abs(e.CurrentA-10*tt.ratio) > 5e-4 { // the report rounds to mA
			t.Errorf("%s (limit %g) at %g In: got %s at %.4f A, want %s at %.4f A", tt.std, tt.limit, tt.ratio, e.Verdict, e.CurrentA, tt.want, 10*tt.ratio)
		}
	}
}

// TestUPSVerdictBoundaries pins a UPS's verdicts against its own rating
// and overload table (110 % for 600 s, 125 % for 60 s): the branch
// circuits' 80 % limit does not apply (95 % is ok); 100 % is ok, above it
// over-rating is impossible for a UPS with a table (it holds at least the
// first step's time: may-trip); at a step it must drop the load by that
// step's time; above the last step at once.
func TestUPSVerdictBoundaries(t *testing.T) {
	tests := []struct {
		pct        float64
		want       Verdict
		minS, maxS float64
	}{
		{95, OK, inf, inf},
		{100, OK, inf, inf},
		{105, MayTrip, 600, inf},
		{110, Trip, 600, 600},
		{120, Trip, 60, 600},
		{125, Trip, 60, 60},
		{130, Trip, instantMinS, 60},
	}
	for _, tt := range tests {
		// 10 kW UPS (10 kVA), PF 1: the device draws pct % of it.
		src := fmt.Sprintf(`[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[ups]]
id = "ups"
input = "u"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }, { load_pct = 125, time_s = 60 }]
[[circuit]]
id = "c"
input = "ups"
[[rack]]
id = "r"
[[device_model]]
id = "m"
nameplate_w = %g
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["c"]
`, tt.pct*100)
		rep := NewNetwork(parseText(t, "ups.toml", src), BasisConservative).Load()
		e := loadElement(t, rep, "ups")
		if e.Verdict != tt.want || float64(e.TripMinS) != tt.minS || float64(e.TripMaxS) != tt.maxS {
			t.Errorf("UPS at %g %%: got %s, band [%g, %g] s; want %s, [%g, %g] s", tt.pct, e.Verdict, float64(e.TripMinS), float64(e.TripMaxS), tt.want, tt.minS, tt.maxS)
		}
	}
}

// TestBasisFigures pins which figure each basis takes: the requested one
// when the model gives it, else the highest given (nameplate, then peak,
// allocated, typical, measured on ties); conservative is the highest; a
// device's own measured_w replaces its model's under the measured basis.
func TestBasisFigures(t *testing.T) {
	m := parseText(t, "basis.toml", `
[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "all"
nameplate_w = 500
allocated_w = 400
typical_w = 300
peak_w = 450
measured_w = 350
idle_w = 100
[[device_model]]
id = "no-nameplate"
allocated_w = 420
peak_w = 420
typical_w = 200
[[device_model]]
id = "typical-only"
typical_w = 250
[[device]]
id = "own-measured"
rack = "r"
model = "all"
feeds = ["c"]
measured_w = 250
[[device]]
id = "model-measured"
rack = "r"
model = "all"
feeds = ["c"]
[[device]]
id = "tie"
rack = "r"
model = "no-nameplate"
feeds = ["c"]
[[device]]
id = "typical"
rack = "r"
model = "typical-only"
feeds = ["c"]
`)
	type want struct {
		w    float64
		used Basis
	}
	tests := []struct {
		dev   string
		basis Basis
		want  want
	}{
		{"own-measured", BasisConservative, want{500, BasisNameplate}},
		{"own-measured", BasisNameplate, want{500, BasisNameplate}},
		{"own-measured", BasisAllocated, want{400, BasisAllocated}},
		{"own-measured", BasisTypical, want{300, BasisTypical}},
		{"own-measured", BasisPeak, want{450, BasisPeak}},
		{"own-measured", BasisMeasured, want{250, BasisMeasured}},
		{"model-measured", BasisMeasured, want{350, BasisMeasured}},
		{"tie", BasisConservative, want{420, BasisPeak}},
		{"tie", BasisNameplate, want{420, BasisPeak}},
		{"tie", BasisTypical, want{200, BasisTypical}},
		{"tie", BasisMeasured, want{420, BasisPeak}},
		{"typical", BasisNameplate, want{250, BasisTypical}},
		{"typical", BasisConservative, want{250, BasisTypical}},
	}
	for _, tt := range tests {
		var d *topology.Device
		for i := range m.Devices {
			if m.Devices[i].ID == tt.dev {
				d = &m.Devices[i]
			}
		}
		w, used := Draw(m, d, tt.basis)
		if w != tt.want.w || used != tt.want.used {
			t.Errorf("Draw(%s, %s) = %g W (%s), want %g W (%s)", tt.dev, tt.basis, w, used, tt.want.w, tt.want.used)
		}
	}
	// The network uses the same figures: the circuit carries the sum.
	n := NewNetwork(m, BasisMeasured)
	if got := loadElement(t, n.Load(), "c").PowerW; math.Abs(got-(250+350+420+250)) > 1e-9 {
		t.Errorf("circuit c on the measured basis carries %g W, want 250 + 350 + 420 + 250 = 1270 W", got)
	}
}

// TestPowerFactorInherited pins that a device model without a power
// factor takes its circuit's (I = P / (V·PF)): 1,150 W at 230 V is 5 A at
// PF 1, 5.556 A behind a 0.9 circuit, and 10 A for a model of PF 0.5
// whatever its circuit says.
func TestPowerFactorInherited(t *testing.T) {
	m := parseText(t, "pf.toml", `
[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c-site"
input = "u"
[[circuit]]
id = "c-09"
input = "u"
power_factor = 0.9
[[circuit]]
id = "c-own"
input = "u"
power_factor = 0.9
[[rack]]
id = "r"
[[device_model]]
id = "inherit"
nameplate_w = 1150
[[device_model]]
id = "own"
nameplate_w = 1150
power_factor = 0.5
[[device]]
id = "d1"
rack = "r"
model = "inherit"
feeds = ["c-site"]
[[device]]
id = "d2"
rack = "r"
model = "inherit"
feeds = ["c-09"]
[[device]]
id = "d3"
rack = "r"
model = "own"
feeds = ["c-own"]
`)
	rep := NewNetwork(m, BasisConservative).Load()
	for _, tt := range []struct {
		id    string
		wantA float64
		va    float64
	}{{"c-site", 5, 1150}, {"c-09", 1150 / (230 * 0.9), 1150 / 0.9}, {"c-own", 10, 2300}} {
		e := loadElement(t, rep, tt.id)
		if math.Abs(e.CurrentA-tt.wantA) > 5e-4 || math.Abs(e.ApparentVA-tt.va) > 5e-3 { // the report rounds to mA
			t.Errorf("%s: got %.4f A, %.2f VA; want %.4f A, %.2f VA", tt.id, e.CurrentA, e.ApparentVA, tt.wantA, tt.va)
		}
	}
}

// TestBasisNames: every basis up to measured reads back from its name; a
// value past the names is "unknown".
func TestBasisNames(t *testing.T) {
	for b := Basis(0); b <= BasisMeasured; b++ {
		if got, err := ParseBasis(b.String()); err != nil || got != b {
			t.Errorf("ParseBasis(%q) = %v, %v; want %v", b.String(), got, err, b)
		}
	}
	if got := Basis(len(basisNames)).String(); got != "unknown" {
		t.Errorf("Basis(%d).String() = %q, want unknown", len(basisNames), got)
	}
}
