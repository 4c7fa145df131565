package chart

import (
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/power"
)

// Cascade draws one failure scenario as a timeline: the current through each
// element the cascade touches, as steps at its events (A against s since the
// failure), every event as a labelled point, and the trip band of each
// overload (earliest to latest trip) as a shaded window.
func Cascade(sc power.Scenario) *Chart {
	var order []string
	points := map[string][][2]float64{}
	end := 0.0
	for _, e := range sc.Events {
		t := float64(e.TS)
		if !math.IsInf(t, 0) {
			end = max(end, t)
		}
		if e.Event == "fail" || e.Event == "psu-fault" {
			continue
		}
		if _, ok := points[e.Element]; !ok {
			order = append(order, e.Element)
			points[e.Element] = [][2]float64{{0, r2(e.BeforeA)}}
		}
		points[e.Element] = append(points[e.Element], [2]float64{r2(t), r2(e.BeforeA)}, [2]float64{r2(t), r2(e.AfterA)})
	}
	for _, e := range sc.Events {
		if e.Event == "overload" && !math.IsInf(float64(e.TripMaxS), 0) {
			end = max(end, float64(e.TripMaxS))
		}
	}
	end = math.Max(1, end*1.1)

	line := charts.NewLine()
	title := "Cascade after " + scenarioName(sc)
	trips := 0
	for _, e := range sc.Events {
		if e.Event == "trip" {
			trips++
		}
	}
	subtitle := "worst case of the trip bands: " + strconv.Itoa(len(sc.Events)) + " events, " + strconv.Itoa(trips) + " trips, " +
		strconv.Itoa(len(sc.Dark.Racks)) + " racks and " + strconv.Itoa(len(sc.Dark.Devices)) + " devices dark; certain: " +
		strconv.Itoa(sc.Certain.Tripped) + " trips, " + strconv.Itoa(len(sc.Certain.Dark.Devices)) + " devices dark; outcome " + sc.Outcome.String()
	ch := &Chart{Kind: "cascade", Title: title, base: &line.BaseConfiguration, render: line}
	initBase(&line.BaseConfiguration, ch.Kind, title, subtitle, 1200, 560)
	line.Legend = opts.Legend{Show: opts.Bool(true), Top: "52", Type: "scroll"}
	line.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: js(`function (p) {
  if (p.data && p.data.event) { return p.data.event; }
  return p.seriesName + ': ' + p.value[1] + ' A at ' + p.value[0] + ' s';
}`)}
	line.GridList = []opts.Grid{{Top: "100", Bottom: "95", Left: "70", Right: "50"}}
	line.XAxisList = []opts.XAxis{{Type: "value", Name: "s since the failure", Min: 0, Max: r2(end), NameLocation: "middle", NameGap: 25}}
	line.YAxisList = []opts.YAxis{{Type: "value", Name: "current, A"}}
	line.DataZoomList = []opts.DataZoom{{Type: "inside", XAxisIndex: 0}, {Type: "slider", XAxisIndex: 0}}

	for _, id := range order {
		pts := points[id]
		last := pts[len(pts)-1]
		pts = append(pts, [2]float64{r2(end), last[1]})
		line.MultiSeries = append(line.MultiSeries, charts.SingleSeries{Name: id, Type: "line", Data: pts, ShowSymbol: opts.Bool(false)})
	}
	var evs []any
	var bands []any
	for _, e := range sc.Events {
		t := float64(e.TS)
		if math.IsInf(t, 0) {
			continue
		}
		text := e.Event + " " + e.Element + " at " + fnum(t, "s")
		if e.Event != "fail" && e.Event != "psu-fault" {
			text += ": " + fnum(e.BeforeA, "A") + " → " + fnum(e.AfterA, "A")
		}
		if e.Detail != "" {
			text += " (" + e.Detail + ")"
		}
		evs = append(evs, eventPoint{Value: [2]float64{r2(t), r2(e.CurrentA)}, Event: text, Label: e.Event + " " + e.Element})
		if e.Event == "overload" {
			lo, hi := float64(e.TripMinS), float64(e.TripMaxS)
			if math.IsInf(lo, 0) {
				continue
			}
			if math.IsInf(hi, 0) {
				hi = end
			}
			bands = append(bands, []any{
				map[string]any{"name": "trip band " + e.Element, "xAxis": r2(lo)},
				map[string]any{"xAxis": r2(hi)},
			})
		}
	}
	s := charts.SingleSeries{Name: "events", Type: "scatter", Data: evs, SymbolSize: 10, Color: "#c23531",
		Label: &opts.Label{Show: opts.Bool(len(evs) <= 12), Position: "top", Formatter: "{@label}"}}
	if len(bands) > 0 {
		s.MarkAreas = &opts.MarkAreas{Data: bands, MarkAreaStyle: opts.MarkAreaStyle{
			ItemStyle: &opts.ItemStyle{Color: "rgba(238, 102, 102, 0.12)"},
			Label:     &opts.Label{Show: opts.Bool(true), Position: "insideTop"},
		}}
	}
	line.MultiSeries = append(line.MultiSeries, s)
	ch.Summary = subtitle
	return ch
}

// eventPoint is one event of the cascade: [s, A] and its description.
type eventPoint struct {
	Value [2]float64 `json:"value"`
	Event string     `json:"event"`
	Label string     `json:"label"`
}
