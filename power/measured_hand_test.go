package power

import (
	"fmt"
	"strings"
	"testing"
)

// gapTOML: 230 V, PF 1, unrated. Rack ra (the first rack) has rack PDUs
// pa1 and pa2 (on circuits ca1, ca2), da (two PSUs, 2,300 W) on both and
// da2 (one PSU, 460 W) on pa1: pa1 carries 1,610 W, pa2 1,150 W. Rack rb
// has no rack PDU: db1, db2 (1,000 W each) and db3 (500 W) on circuit cb.
// Rack rc has rack PDUs pc1, pc2 and dc (two PSUs, 1,000 W) on both. Rack
// rd has d (100 W) and nothing measured. Circuit cz feeds nothing.
const gapTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[rack]]
id = "ra"
[[rack]]
id = "rb"
[[rack]]
id = "rc"
[[rack]]
id = "rd"
[[device_model]]
id = "w2300"
psus = 2
psus_required = 1
nameplate_w = 2300
[[device_model]]
id = "w460"
nameplate_w = 460
[[device_model]]
id = "w1000"
nameplate_w = 1000
[[device_model]]
id = "w1000x2"
psus = 2
psus_required = 1
nameplate_w = 1000
[[device_model]]
id = "w500"
nameplate_w = 500
[[device_model]]
id = "w100"
nameplate_w = 100
[[circuit]]
id = "ca1"
input = "u"
[[circuit]]
id = "ca2"
input = "u"
[[circuit]]
id = "cb"
input = "u"
[[circuit]]
id = "cc1"
input = "u"
[[circuit]]
id = "cc2"
input = "u"
[[circuit]]
id = "cd"
input = "u"
[[circuit]]
id = "cz"
input = "u"
[[rack_pdu]]
id = "pa1"
rack = "ra"
input = "ca1"
[[rack_pdu]]
id = "pa2"
rack = "ra"
input = "ca2"
[[rack_pdu]]
id = "pc1"
rack = "rc"
input = "cc1"
[[rack_pdu]]
id = "pc2"
rack = "rc"
input = "cc2"
[[device]]
id = "da"
rack = "ra"
model = "w2300"
feeds = ["pa1", "pa2"]
[[device]]
id = "da2"
rack = "ra"
model = "w460"
feeds = ["pa1"]
[[device]]
id = "db1"
rack = "rb"
model = "w1000"
feeds = ["cb"]
[[device]]
id = "db2"
rack = "rb"
model = "w1000"
feeds = ["cb"]
[[device]]
id = "db3"
rack = "rb"
model = "w500"
feeds = ["cb"]
[[device]]
id = "dc"
rack = "rc"
model = "w1000x2"
feeds = ["pc1", "pc2"]
[[device]]
id = "d"
rack = "rd"
model = "w100"
feeds = ["cd"]
`

// fmtPct prints an optional percentage ("-" when absent).
func fmtPct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%g%%", *p)
}

// TestGapByHand pins the gap report's figures and orders on a hand-made
// site (see gapTOML). Rows: largest peak over model first, ties by element
// id (db2 and pa2 are both +20 %; db1, dc and pa1 peak exactly at the
// model's figure: 0 %, not exceeding it), the circuit without load (model
// 0 W) has no gap and is last, though its 10 W peak exceeds the model.
// Racks: ra's rack PDUs are all measured, so they are its figure (model
// 1,610 + 1,150 = 2,760 W, p95 2,500 W: -9.42 %, peak 2,990 W: +8.33 %);
// rb has no rack PDU: its measured devices (db1, db2: model 2,000 W, p95
// 2,000 W, peak 2,200 W: +10 %; db3 is not measured); rc's pc2 is not
// measured, so its devices (dc: 1,000 W, p95 800 W, peak 1,000 W: -20 %,
// 0 %, not exceeding); rd has no readings and no row.
func TestGapByHand(t *testing.T) {
	n := NewNetwork(parseText(t, "gap.toml", gapTOML), BasisConservative)
	rep := n.Gap([]Metered{
		{Element: "cz", Quantity: "power_w", Readings: 3, P95: 5, Max: 10},
		{Element: "pa1", Quantity: "power_w", Readings: 3, P95: 1500, Max: 1610},
		{Element: "pa2", Quantity: "power_w", Readings: 3, P95: 1000, Max: 1380},
		{Element: "db1", Quantity: "power_w", Readings: 3, P95: 900, Max: 1000},
		{Element: "db2", Quantity: "power_w", Readings: 3, P95: 1100, Max: 1200},
		{Element: "pc1", Quantity: "power_w", Readings: 3, P95: 400, Max: 450},
		{Element: "dc", Quantity: "power_w", Readings: 3, P95: 800, Max: 1000},
	})
	var rows []string
	for _, r := range rep.Rows {
		model := "-"
		if r.ModelW != nil {
			model = fmt.Sprintf("%gW", *r.ModelW)
		}
		rows = append(rows, fmt.Sprintf("%s %s rack=%s model=%s p95 %s peak %s exceeds=%v", r.Element, r.Kind, r.Rack, model, fmtPct(r.P95GapPct), fmtPct(r.PeakGapPct), r.PeakExceedsModel))
	}
	wantRows := []string{
		"db2 device rack=rb model=1000W p95 10% peak 20% exceeds=true",
		"pa2 rack_pdu rack=ra model=1150W p95 -13.04% peak 20% exceeds=true",
		"db1 device rack=rb model=1000W p95 -10% peak 0% exceeds=false",
		"dc device rack=rc model=1000W p95 -20% peak 0% exceeds=false",
		"pa1 rack_pdu rack=ra model=1610W p95 -6.83% peak 0% exceeds=false",
		"pc1 rack_pdu rack=rc model=500W p95 -20% peak -10% exceeds=false",
		"cz circuit rack= model=0W p95 - peak - exceeds=true",
	}
	if g, w := strings.Join(rows, "\n"), strings.Join(wantRows, "\n"); g != w {
		t.Errorf("rows:\n%s\nwant:\n%s", g, w)
	}
	if rep.Exceeding != 3 {
		t.Errorf("%d rows exceed the model, want 3 (db2, pa2, cz)", rep.Exceeding)
	}
	var racks []string
	for _, g := range rep.Racks {
		racks = append(racks, fmt.Sprintf("%s %s devices %d/%d model %gW p95 %gW peak %gW: %g%% %g%% exceeds=%v", g.Rack, g.Source, g.DevicesMeasured, g.Devices, g.ModelW, g.P95W, g.MaxW, g.P95GapPct, g.PeakGapPct, g.PeakExceedsModel))
	}
	wantRacks := []string{
		"rb devices devices 2/3 model 2000W p95 2000W peak 2200W: 0% 10% exceeds=true",
		"ra rack_pdu devices 0/2 model 2760W p95 2500W peak 2990W: -9.42% 8.33% exceeds=true",
		"rc devices devices 1/1 model 1000W p95 800W peak 1000W: -20% 0% exceeds=false",
	}
	if g, w := strings.Join(racks, "\n"), strings.Join(wantRacks, "\n"); g != w {
		t.Errorf("racks:\n%s\nwant:\n%s", g, w)
	}
}
