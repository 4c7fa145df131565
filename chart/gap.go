package chart

import (
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/power"
)

// Gap draws, per rack, the model's draw against the measured draw (the
// p95 and the peak over the window), in kW, worst first: racks whose
// measured peak is furthest above the model's figure come first, and a
// rack whose peak exceeds it is marked. At most top racks (DefaultTop when
// top <= 0). window says what the measurements cover, for the subtitle.
func Gap(rep power.GapReport, top int, window string) *Chart {
	if top <= 0 {
		top = DefaultTop
	}
	racks := rep.Racks
	if len(racks) > top {
		racks = racks[:top]
	}
	names := make([]string, len(racks))
	model := make([]any, len(racks))
	p95 := make([]any, len(racks))
	peak := make([]any, len(racks))
	over := 0
	for i, r := range racks {
		names[i] = r.Rack
		model[i] = gapBar{Value: r3(r.ModelW / 1000), Source: r.Source, Measured: r.DevicesMeasured, Devices: r.Devices}
		p95[i] = gapBar{Value: r3(r.P95W / 1000), Gap: r.P95GapPct, Source: r.Source, Measured: r.DevicesMeasured, Devices: r.Devices}
		pk := gapBar{Value: r3(r.MaxW / 1000), Gap: r.PeakGapPct, Source: r.Source, Measured: r.DevicesMeasured, Devices: r.Devices}
		if r.PeakExceedsModel {
			pk.ItemStyle = &opts.ItemStyle{Color: "#c23531"}
		}
		peak[i] = pk
	}
	for _, r := range rep.Racks {
		if r.PeakExceedsModel {
			over++
		}
	}
	bar := charts.NewBar()
	subtitle := strconv.Itoa(len(racks)) + " of " + strconv.Itoa(len(rep.Racks)) + " measured racks, largest peak over the model first; model basis: " + rep.Basis
	if window != "" {
		subtitle += "; readings over " + window
	}
	ch := &Chart{Kind: "gap", Title: "Model vs measured draw per rack", base: &bar.BaseConfiguration, render: bar}
	initBase(&bar.BaseConfiguration, ch.Kind, ch.Title, subtitle, 1200, 560)
	bar.Legend = opts.Legend{Show: opts.Bool(true), Top: "52"}
	bar.GridList = []opts.Grid{{Top: "100", Bottom: "110", Left: "70", Right: "40"}}
	bar.SetXAxis(names)
	bar.XAxisList = []opts.XAxis{{Type: "category", AxisLabel: &opts.AxisLabel{Rotate: 45, Interval: "0"}}}
	bar.YAxisList = []opts.YAxis{{Type: "value", Name: "kW"}}
	if len(racks) > 20 {
		bar.DataZoomList = []opts.DataZoom{{Type: "slider", Start: 0, End: 50, XAxisIndex: 0}}
	}
	bar.MultiSeries = append(bar.MultiSeries,
		charts.SingleSeries{Name: "model (" + rep.Basis + ")", Type: "bar", Data: model, Color: "#91a7d6"},
		charts.SingleSeries{Name: "measured p95", Type: "bar", Data: p95, Color: "#3ba272"},
		charts.SingleSeries{Name: "measured peak", Type: "bar", Data: peak, Color: "#fac858"})
	bar.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", Formatter: js(`function (ps) {
  var out = ps.length ? ps[0].name : '';
  ps.forEach(function (p) {
    if (!p.data) { return; }
    out += '<br/>' + p.marker + p.seriesName + ': ' + p.data.value + ' kW';
    if (p.data.gap !== undefined) { out += ' (' + (p.data.gap > 0 ? '+' : '') + p.data.gap + ' % of the model)'; }
  });
  if (ps.length && ps[0].data) {
    var d = ps[0].data;
    out += '<br/>measured at ' + (d.source === 'rack_pdu' ? 'the rack PDUs' : d.measured + ' of ' + d.devices + ' devices');
  }
  return out;
}`)}
	ch.Summary = strconv.Itoa(over) + " of " + strconv.Itoa(len(rep.Racks)) + " measured racks peak above the model's " + rep.Basis + " figure"
	return ch
}

// gapBar is one bar of the gap chart: kW, and what the tooltip says.
type gapBar struct {
	Value     float64         `json:"value"`         // kW
	Gap       float64         `json:"gap,omitempty"` // % over the model
	Source    string          `json:"source"`        // rack_pdu or devices
	Measured  int             `json:"measured"`      // devices with readings
	Devices   int             `json:"devices"`
	ItemStyle *opts.ItemStyle `json:"itemStyle,omitempty"`
}
