package chart

import (
	"math"
	"sort"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/estimate"
)

// maxPoints is the most points one curve carries; longer curves keep every
// k-th step and their last.
const maxPoints = 1500

// RecoveryCurve is one recovery to draw: the time each instance came up, s
// from power-on (negative: never).
type RecoveryCurve struct {
	Name string
	UpS  []float64
}

// Recovery draws instances up over time, one step curve per recovery (e.g.
// the plan and the stale policy simulated, and the actual recovery from its
// events), against the total instances to start.
func Recovery(curves []RecoveryCurve, total int) *Chart {
	line := charts.NewLine()
	var parts []string
	for _, c := range curves {
		var ups []float64
		for _, t := range c.UpS {
			if t >= 0 && !math.IsInf(t, 0) {
				ups = append(ups, t)
			}
		}
		sort.Float64s(ups)
		step := max(1, (len(ups)+maxPoints-1)/maxPoints)
		pts := [][2]float64{{0, 0}}
		for k := range ups {
			if (k+1)%step == 0 || k == len(ups)-1 {
				pts = append(pts, [2]float64{r2(ups[k]), float64(k + 1)})
			}
		}
		last := 0.0
		if len(ups) > 0 {
			last = ups[len(ups)-1]
		}
		parts = append(parts, c.Name+": "+strconv.Itoa(len(ups))+" up, last at "+dur(last))
		line.MultiSeries = append(line.MultiSeries, charts.SingleSeries{Name: c.Name, Type: "line", Step: "end", Data: pts, ShowSymbol: opts.Bool(false)})
	}
	subtitle := ""
	for i, p := range parts {
		if i > 0 {
			subtitle += "; "
		}
		subtitle += p
	}
	ch := &Chart{Kind: "recovery", Title: "Recovery: instances up over time", base: &line.BaseConfiguration, render: line}
	initBase(&line.BaseConfiguration, ch.Kind, ch.Title, subtitle, 1200, 520)
	line.Legend = opts.Legend{Show: opts.Bool(true), Top: "52"}
	line.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}
	line.GridList = []opts.Grid{{Top: "95", Bottom: "60", Left: "80", Right: "40"}}
	line.XAxisList = []opts.XAxis{{Type: "value", Name: "s from power-on", NameLocation: "middle", NameGap: 30, Min: 0}}
	line.YAxisList = []opts.YAxis{{Type: "value", Name: "instances up", Min: 0,
		Max: js(`function (v) { return Math.max(v.max, ` + strconv.Itoa(total) + `); }`)}}
	if len(line.MultiSeries) > 0 {
		line.MultiSeries[0].MarkLines = &opts.MarkLines{
			Data: []any{opts.MarkLineNameYAxisItem{Name: "all instances", YAxis: total}},
			MarkLineStyle: opts.MarkLineStyle{Symbol: []string{"none", "none"},
				Label:     &opts.Label{Show: opts.Bool(true), Formatter: "all {c}", Position: "insideEndTop"},
				LineStyle: &opts.LineStyle{Color: "#666", Type: "dashed"}},
		}
	}
	ch.Summary = subtitle
	return ch
}

// ETA draws the recovery ETA as it would have been announced over time: the
// throughput estimate of when everything is up, with its band, and the RAM
// baseline's linear extrapolation, against when the recovery finished (a
// mark line named finish, e.g. "actual finish" for a recorded recovery or
// "simulated finish"; pass a negative finishS when it has not finished). A dashed
// diagonal marks "now": an estimate below it is already late.
func ETA(snaps []estimate.Snapshot, finishS float64, finish string) *Chart {
	actualS := finishS
	line := charts.NewLine()
	var eta, band, ram, now []any
	hi := 0.0
	for _, s := range snaps {
		t := r2(s.TS)
		if finite(s.ETAAllS) {
			eta = append(eta, [2]float64{t, r2(s.ETAAllS)})
			hi = max(hi, s.ETAAllS)
		}
		if finite(s.ETAAllLowS) && finite(s.ETAAllHighS) {
			band = append(band, [3]float64{t, r2(s.ETAAllLowS), r2(s.ETAAllHighS)})
		}
		if finite(s.RAMETAAllS) {
			ram = append(ram, [2]float64{t, r2(s.RAMETAAllS)})
		}
		now = append(now, [2]float64{t, t})
	}
	subtitle := strconv.Itoa(len(snaps)) + " estimates"
	if actualS >= 0 {
		subtitle += "; " + finish + " " + dur(actualS)
	} else {
		subtitle += "; not finished yet"
	}
	if len(snaps) > 0 {
		s := snaps[len(snaps)-1]
		subtitle += "; last: throughput " + durOr(s.ETAAllS) + ", RAM " + durOr(s.RAMETAAllS)
	}
	ch := &Chart{Kind: "eta", Title: "Recovery ETA over time", base: &line.BaseConfiguration, render: line}
	initBase(&line.BaseConfiguration, ch.Kind, ch.Title, subtitle, 1200, 520)
	line.Legend = opts.Legend{Show: opts.Bool(true), Top: "52", Data: []string{"throughput ETA", "throughput band", "RAM ETA", "now"}}
	line.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}
	line.GridList = []opts.Grid{{Top: "95", Bottom: "60", Left: "80", Right: "40"}}
	line.XAxisList = []opts.XAxis{{Type: "value", Name: "announced at, s from power-on", NameLocation: "middle", NameGap: 30, Min: 0}}
	// The RAM extrapolation can be far off early on: cap the axis at a few
	// times the largest of the throughput ETA and the actual finish.
	top := math.Ceil(3*max(hi, actualS, 1)/100) * 100
	line.YAxisList = []opts.YAxis{{Type: "value", Name: "all up at, s from power-on", Min: 0, Max: top}}
	if len(snaps) > 0 {
		line.XAxisList[0].Max = r2(snaps[len(snaps)-1].TS)
	}
	// The band: one quadrilateral per pair of consecutive estimates, each
	// item [t0, low0, high0, t1, low1, high1].
	var quads []any
	for k := 1; k < len(band); k++ {
		a, b := band[k-1].([3]float64), band[k].([3]float64)
		quads = append(quads, [6]float64{a[0], a[1], a[2], b[0], b[1], b[2]})
	}
	line.MultiSeries = append(line.MultiSeries,
		charts.SingleSeries{Name: "throughput band", Type: "custom", Data: quads, Color: "#5470c6",
			Encode: &opts.Encode{X: []int{0, 3}, Y: []int{1, 2, 4, 5}},
			RenderItem: js(`function (params, api) {
  var p = [api.coord([api.value(0), api.value(1)]), api.coord([api.value(3), api.value(4)]),
           api.coord([api.value(3), api.value(5)]), api.coord([api.value(0), api.value(2)])];
  return {type: 'polygon', shape: {points: p}, style: {fill: 'rgba(84, 112, 198, 0.18)', lineWidth: 0}};
}`)},
		charts.SingleSeries{Name: "throughput ETA", Type: "line", Data: eta, ShowSymbol: opts.Bool(false), Color: "#5470c6"},
		charts.SingleSeries{Name: "RAM ETA", Type: "line", Data: ram, ShowSymbol: opts.Bool(false), Color: "#ee6666"},
		charts.SingleSeries{Name: "now", Type: "line", Data: now, ShowSymbol: opts.Bool(false), Color: "#999", LineStyle: &opts.LineStyle{Type: "dotted"}},
	)
	if actualS >= 0 {
		line.MultiSeries[1].MarkLines = &opts.MarkLines{
			Data: []any{opts.MarkLineNameYAxisItem{Name: finish, YAxis: r2(actualS)}},
			MarkLineStyle: opts.MarkLineStyle{Symbol: []string{"none", "none"},
				Label:     &opts.Label{Show: opts.Bool(true), Formatter: finish + " {c} s", Position: "insideEndTop"},
				LineStyle: &opts.LineStyle{Color: "#3ba272", Type: "dashed", Width: 2}},
		}
	}
	ch.Summary = subtitle
	return ch
}

func finite(v float64) bool { return !math.IsInf(v, 0) && !math.IsNaN(v) }

func durOr(v float64) string {
	if !finite(v) {
		return "unknown"
	}
	return dur(v)
}
