package chart

import (
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/power"
)

// DefaultTop is how many racks, failures or elements a chart shows at most
// when the caller does not say: the worst ones.
const DefaultTop = 40

// Headroom draws, per rack, the current on each feed in normal operation and
// when the rack's other feeds are lost, against the feed breaker's rating
// and its continuous limit (mark lines). Racks come in the report's order,
// worst failover first; at most top of them (DefaultTop when top <= 0).
//
// When every feed shown has the same rating the axis is in A; otherwise it
// is in % of each breaker's In, so that racks with different breakers share
// one scale.
func Headroom(rep power.LoadReport, top int) *Chart {
	if top <= 0 {
		top = DefaultTop
	}
	racks := rep.Racks
	if len(racks) > top {
		racks = racks[:top]
	}
	limits := map[string]float64{} // breaker id -> continuous limit, A
	for _, e := range rep.Elements {
		limits[e.ID] = e.ContinuousLimitA
	}
	sides := 0
	rating, limit, uniform := -1.0, -1.0, true
	for _, r := range racks {
		sides = max(sides, len(r.Sides))
		for _, s := range r.Sides {
			l := limits[s.Breaker]
			if rating < 0 {
				rating, limit = s.RatingA, l
			}
			if s.RatingA != rating || l != limit || s.RatingA == 0 {
				uniform = false
			}
		}
	}
	unit := "A"
	if !uniform {
		unit = "% of In"
	}
	names := make([]string, len(racks))
	for i, r := range racks {
		names[i] = r.ID
	}

	bar := charts.NewBar()
	subtitle := strconv.Itoa(len(racks)) + " of " + strconv.Itoa(len(rep.Racks)) + " racks, worst failover first; basis: " + rep.Basis
	ch := &Chart{Kind: "headroom", Title: "Rack power headroom", base: &bar.BaseConfiguration, render: bar}
	initBase(&bar.BaseConfiguration, ch.Kind, ch.Title, subtitle, 1200, 560)
	bar.Legend = opts.Legend{Show: opts.Bool(true), Top: "52"}
	bar.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}
	bar.GridList = []opts.Grid{{Top: "100", Bottom: "110", Left: "70", Right: "40"}}
	bar.SetXAxis(names)
	bar.XAxisList = []opts.XAxis{{Type: "category", AxisLabel: &opts.AxisLabel{Rotate: 45, Interval: "0"}}}
	bar.YAxisList = []opts.YAxis{{Type: "value", Name: unit}}
	if len(racks) > 20 {
		bar.DataZoomList = []opts.DataZoom{{Type: "slider", Start: 0, End: 50, XAxisIndex: 0}}
	}

	worst := 0.0
	for k := 0; k < sides; k++ {
		feed := string(rune('A' + k%26))
		normal := make([]any, len(racks))
		fail := make([]any, len(racks))
		for i, r := range racks {
			normal[i], fail[i] = "-", "-"
			if k >= len(r.Sides) {
				continue
			}
			s := r.Sides[k]
			n, f := s.NormalA, s.FailoverA
			if !uniform {
				n, f = s.NormalPct, s.FailoverPct
			}
			normal[i], fail[i] = r2(n), r2(f)
			worst = max(worst, s.FailoverPct)
		}
		colors := [][2]string{{"#5470c6", "#a9b8e3"}, {"#3ba272", "#9dd1b9"}, {"#9a60b4", "#cdb0da"}}[k%3]
		bar.MultiSeries = append(bar.MultiSeries,
			charts.SingleSeries{Name: "feed " + feed + " normal", Type: "bar", Data: normal, Color: colors[0]},
			charts.SingleSeries{Name: "feed " + feed + " failover", Type: "bar", Data: fail, Color: colors[1]})
	}
	ceiling, cont := rating, limit
	if !uniform {
		ceiling, cont = 100, 0
	}
	marks := []any{opts.MarkLineNameYAxisItem{Name: "rating In", YAxis: r2(ceiling)}}
	if cont > 0 {
		marks = append(marks, opts.MarkLineNameYAxisItem{Name: "continuous limit", YAxis: r2(cont)})
	}
	if len(bar.MultiSeries) > 0 {
		bar.MultiSeries[0].MarkLines = &opts.MarkLines{Data: marks, MarkLineStyle: opts.MarkLineStyle{
			Symbol:    []string{"none", "none"},
			Label:     &opts.Label{Show: opts.Bool(true), Formatter: "{b}: {c} " + unit, Position: "insideEndTop"},
			LineStyle: &opts.LineStyle{Color: "#c23531", Type: "dashed", Width: 2},
		}}
	}
	ch.Summary = "worst failover load: " + fnum(worst, "% of In") + " (" + strconv.Itoa(len(rep.Racks)) + " racks)"
	return ch
}
