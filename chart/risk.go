package chart

import (
	"sort"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/power"
)

// RiskMap draws the N-1 risk map: single failures (rows) against the elements
// they overload (columns), each cell the element's worst load over its
// rating (current over In; a UPS: power over capacity), coloured by the
// verdict the power analysis gave that load. Only what
// matters on a big site is shown: the top failures with an overload, in the
// sweep's order (worst first), and among the elements they overload the top
// ones by their worst ratio; at most top of each (DefaultTop when top <= 0).
func RiskMap(rep power.SweepReport, top int) *Chart {
	if top <= 0 {
		top = DefaultTop
	}
	var rows []power.Scenario
	for _, sc := range rep.Scenarios {
		if len(sc.Overloads) > 0 {
			rows = append(rows, sc)
		}
	}
	withOverload := len(rows)
	if len(rows) > top {
		rows = rows[:top]
	}
	worst := map[string]float64{}
	for _, sc := range rows {
		for _, o := range sc.Overloads {
			worst[o.Element] = max(worst[o.Element], o.Ratio)
		}
	}
	cols := make([]string, 0, len(worst))
	for id := range worst {
		cols = append(cols, id)
	}
	sort.Slice(cols, func(i, j int) bool {
		if worst[cols[i]] != worst[cols[j]] {
			return worst[cols[i]] > worst[cols[j]]
		}
		return cols[i] < cols[j]
	})
	if len(cols) > top {
		cols = cols[:top]
	}
	col := map[string]int{}
	for i, id := range cols {
		col[id] = i
	}
	rowNames := make([]string, len(rows))
	var data []any
	peak := 0.0
	for i, sc := range rows {
		rowNames[i] = scenarioName(sc)
		for _, o := range sc.Overloads {
			if j, ok := col[o.Element]; ok {
				data = append(data, heatCell{Value: [4]float64{float64(j), float64(i), r3(o.Ratio), float64(o.Verdict)},
					Element: o.Element, Failure: rowNames[i], Verdict: o.Verdict.String()})
				peak = max(peak, o.Ratio)
			}
		}
	}

	hm := charts.NewHeatMap()
	subtitle := strconv.Itoa(len(rows)) + " of " + strconv.Itoa(withOverload) + " failures with an overload (of " +
		strconv.Itoa(len(rep.Scenarios)) + " simulated) × " + strconv.Itoa(len(cols)) + " elements; cell: load / rating"
	if withOverload == 0 {
		subtitle = "no single failure overloads anything (" + strconv.Itoa(len(rep.Scenarios)) + " simulated)"
	}
	ch := &Chart{Kind: "risk", Title: "N-1 risk map", base: &hm.BaseConfiguration, render: hm}
	h := max(420, 150+22*len(rows))
	initBase(&hm.BaseConfiguration, ch.Kind, ch.Title, subtitle, 1200, h)
	hm.Tooltip = opts.Tooltip{Show: opts.Bool(true), Formatter: js(`function (p) {
  return 'failure: ' + p.data.failure + '<br/>element: ' + p.data.element + '<br/>load / rating: ' + p.data.value[2] + '<br/>verdict: ' + p.data.verdict;
}`)}
	hm.Legend = opts.Legend{Show: opts.Bool(false)}
	hm.GridList = []opts.Grid{{Top: "90", Bottom: "140", Left: "220", Right: "230"}}
	hm.XAxisList = []opts.XAxis{{Type: "category", Data: cols, AxisLabel: &opts.AxisLabel{Rotate: 50, Interval: "0"}, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}}
	hm.YAxisList = []opts.YAxis{{Type: "category", Data: rowNames, Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Interval: "0"}, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}}
	// Colour by the element's own verdict (its standard, its continuous
	// limit, whether it trips at all), the ratio as the cell's label.
	// go-echarts' Piece has no label: the pieces go in raw.
	setRaw(&hm.BaseConfiguration, map[string]any{"visualMap": []any{map[string]any{
		"type": "piecewise", "right": 10, "top": "middle", "dimension": 3,
		"pieces": []map[string]any{
			{"value": int(power.OK), "label": "within the continuous limit", "color": "#91cc75"},
			{"value": int(power.OverContinuous), "label": "over the continuous limit", "color": "#fac858"},
			{"value": int(power.OverRating), "label": "over the rating", "color": "#fc8452"},
			{"value": int(power.MayTrip), "label": "may trip", "color": "#ee6666"},
			{"value": int(power.Trip), "label": "trips", "color": "#8b0000"},
		},
	}}})
	hm.MultiSeries = append(hm.MultiSeries, charts.SingleSeries{
		Name: "worst load / rating", Type: "heatmap", Data: data,
		Label: &opts.Label{Show: opts.Bool(len(rows)*len(cols) <= 400), Formatter: "{@[2]}"},
	})
	ch.Summary = strconv.Itoa(withOverload) + " of " + strconv.Itoa(len(rep.Scenarios)) + " single failures overload an element; worst load " + fnum(peak, "× rating")
	return ch
}

// scenarioName is the failure a scenario simulates, as the CLI's --fail.
func scenarioName(sc power.Scenario) string {
	return strings.Join(sc.Failed, " + ")
}

// heatCell is one cell of the risk map: [column, row, load / rating,
// verdict] and the names the tooltip shows.
type heatCell struct {
	Value   [4]float64 `json:"value"`
	Element string     `json:"element"`
	Failure string     `json:"failure"`
	Verdict string     `json:"verdict"`
}
