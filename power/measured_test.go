package power

import (
	"math"
	"math/cmplx"
	"testing"
)

// TestNewNetworkMetered: metered devices draw their figure; the others
// fall back to their own measured_w, then to the model's figure, and
// DrawSources says which is which.
func TestNewNetworkMetered(t *testing.T) {
	m := loadFiles(t, "../examples/small-dc/power.toml")
	d2, _ := m.DeviceIndex("app-02")
	m.Devices[d2].MeasuredW = 333
	n := NewNetworkMetered(m, map[string]float64{"app-01": 300, "not-a-device": 5})
	d1, _ := m.DeviceIndex("app-01")
	d3, _ := m.DeviceIndex("app-03")
	cases := []struct {
		d     int
		w     float64
		basis Basis
	}{{d1, 300, BasisMeteredP95}, {d2, 333, BasisMeasured}, {d3, 750, BasisNameplate}}
	for _, c := range cases {
		if n.DrawW[c.d] != c.w || n.DrawBasis[c.d] != c.basis {
			t.Errorf("%s: got %g W from %s, want %g W from %s", m.Devices[c.d].ID, n.DrawW[c.d], n.DrawBasis[c.d], c.w, c.basis)
		}
	}
	src := n.DrawSources()
	if len(src) != 3 || src[0].Basis != "measured-p95" || len(src[0].Devices) != 1 || src[0].Devices[0] != "app-01" ||
		src[1].Basis != "measured" || src[1].Devices[0] != "app-02" || src[2].Basis != "nameplate" || len(src[2].Devices) != len(m.Devices)-2 {
		t.Errorf("draw sources: %+v", src)
	}
	// The load flow carries the metered figure: the rack's feeds lose
	// 450 W of app-01's nameplate and 417 W of app-02's.
	base := NewNetwork(m, BasisConservative)
	e, _ := m.ElementIndex("pdu-r1-01-a")
	if got, want := base.Base.P[e]-n.Base.P[e], (750.0-300+750-333)/2; math.Abs(got-want) > 1e-6 {
		t.Errorf("pdu-r1-01-a carries %g W less, want %g W", got, want)
	}
	if _, err := ParseBasis("measured-p95"); err == nil {
		t.Error("measured-p95 must not be a basis one can ask for")
	}
}

// TestGap: each series against the model's figure, worst first, by hand.
func TestGap(t *testing.T) {
	m := loadFiles(t, "../examples/small-dc/power.toml")
	n := NewNetwork(m, BasisConservative)
	e, _ := m.ElementIndex("pdu-r1-01-a")
	l1 := cmplx.Abs(n.Base.Cur[e][0]) // 7.977 A on the model's figures
	rep := n.Gap([]Metered{
		{Element: "app-01", Quantity: "power_w", Readings: 10, P95: 600, Max: 825},                     // nameplate 750 W: peak +10 %
		{Element: "pdu-r1-01-a", Line: "L1", Quantity: "current_a", Readings: 10, P95: 4, Max: l1 / 2}, // -50 %
		{Element: "pdu-r1-01-a", Line: "L1", Quantity: "power_w", Readings: 10, P95: 900, Max: 950},    // no model figure per line
		{Element: "gone", Quantity: "power_w", Readings: 1, P95: 1, Max: 1},
	})
	if len(rep.Rows) != 3 || rep.Exceeding != 1 || len(rep.Unknown) != 1 || rep.Unknown[0] != "gone" {
		t.Fatalf("report: %+v", rep)
	}
	a := rep.Rows[0]
	if a.Element != "app-01" || a.Kind != "device" || a.Rack != "r1-01" || *a.ModelW != 750 || *a.PeakGapPct != 10 || *a.P95GapPct != -20 || !a.PeakExceedsModel {
		t.Errorf("app-01: %+v", a)
	}
	b := rep.Rows[1]
	if b.Element != "pdu-r1-01-a" || b.Line != "L1" || b.Kind != "rack_pdu" || math.Abs(*b.ModelA-l1) > 1e-3 || *b.PeakGapPct != -50 || b.PeakExceedsModel || b.ModelW != nil {
		t.Errorf("pdu L1 current: %+v", b)
	}
	if c := rep.Rows[2]; c.ModelW != nil || c.PeakGapPct != nil || c.PeakExceedsModel {
		t.Errorf("per-line power has no model figure: %+v", c)
	}
	// Rack r1-01: only app-01 of its devices is measured.
	if len(rep.Racks) != 1 || rep.Racks[0].Rack != "r1-01" || rep.Racks[0].Source != "devices" || rep.Racks[0].DevicesMeasured != 1 || rep.Racks[0].ModelW != 750 || !rep.Racks[0].PeakExceedsModel {
		t.Errorf("racks: %+v", rep.Racks)
	}
}
