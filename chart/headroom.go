package chart

import (
	"math"
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
	bar.GridList = []opts.Grid{{Top: "100", Bottom: "110", Left: "70", Right: "40"}}
	bar.SetXAxis(names)
	bar.XAxisList = []opts.XAxis{{Type: "category", AxisLabel: &opts.AxisLabel{Rotate: 45, Interval: "0"}}}
	// The rating line is what the chart is read against: the axis reaches it
	// even when every rack is far below (set after the loop below).
	bar.YAxisList = []opts.YAxis{{Type: "value", Name: unit}}
	if len(racks) > 20 {
		bar.DataZoomList = []opts.DataZoom{{Type: "slider", Start: 0, End: 50, XAxisIndex: 0}}
	}

	// Sides are numbered in the order the rack's feeds are declared; each
	// bar names its feed and breaker in the tooltip.
	worst := 0.0
	for k := 0; k < sides; k++ {
		side := "side " + strconv.Itoa(k+1)
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
			normal[i] = sideBar{Value: r2(n), Feed: s.Feed, Breaker: s.Breaker}
			fail[i] = sideBar{Value: r2(f), Feed: s.Feed, Breaker: s.Breaker}
			worst = max(worst, s.FailoverPct)
		}
		colors := [][2]string{{"#5470c6", "#a9b8e3"}, {"#3ba272", "#9dd1b9"}, {"#9a60b4", "#cdb0da"}}[k%3]
		bar.MultiSeries = append(bar.MultiSeries,
			charts.SingleSeries{Name: side + " normal", Type: "bar", Data: normal, Color: colors[0]},
			charts.SingleSeries{Name: side + " failover", Type: "bar", Data: fail, Color: colors[1]})
	}
	bar.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", Formatter: js(`function (ps) {
  var out = ps.length ? ps[0].name : '';
  ps.forEach(function (p) {
    if (p.data && p.data.feed) {
      out += '<br/>' + p.marker + p.seriesName + ': ' + p.data.value + ' ` + unit + ` (' + p.data.feed + (p.data.breaker ? ', ' + p.data.breaker : '') + ')';
    }
  });
  return out;
}`)}
	ceiling, cont := rating, limit
	if !uniform {
		ceiling, cont = 100, 0
		// Every breaker shown with the same continuous limit, as a share
		// of its rating: that share is a line too.
		share, same := -1.0, true
		for _, r := range racks {
			for _, s := range r.Sides {
				if s.RatingA > 0 {
					f := limits[s.Breaker] / s.RatingA
					if share < 0 {
						share = f
					}
					same = same && math.Abs(f-share) < 1e-9
				}
			}
		}
		if same && share > 0 {
			cont = 100 * share
		}
	}
	bar.YAxisList[0].Max = js(`function (v) { return Math.ceil(Math.max(v.max, ` + strconv.FormatFloat(r2(ceiling*1.05), 'f', -1, 64) + `)); }`)
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

// sideBar is one bar of the headroom chart: its value and the feed and
// breaker it measures.
type sideBar struct {
	Value   float64 `json:"value"`
	Feed    string  `json:"feed"`
	Breaker string  `json:"breaker,omitempty"`
}
