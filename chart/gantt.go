package chart

import (
	"sort"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/placement"
)

// MaxGanttNodes is the most nodes the restart Gantt chart gives a row each;
// on bigger platforms it has a row per tier.
const MaxGanttNodes = 60

// maxLanes caps the sub-rows a row is split into to show concurrent starts.
const maxLanes = 24

// namedLimit is the most instances whose names the Gantt chart carries for
// its tooltip; bigger plans show tier and times only, to keep pages light.
const namedLimit = 5000

// Gantt draws the restart plan: each placed instance as a bar from its
// planned start to its planned up time (s from power-on), coloured by tier,
// in a row per node (or per tier when more than MaxGanttNodes nodes host
// instances). Starts that overlap on a row go to separate lanes of it, so a
// node's concurrent starts read as stacked bars. The plan's lower bound is
// a mark line.
func Gantt(p *placement.Plan) *Chart {
	c := p.C
	m := c.M
	byNode := map[int32][]int32{}
	tiers := map[int]bool{}
	placed := 0
	for i, a := range p.Assign {
		if a.Node < 0 {
			continue
		}
		placed++
		byNode[a.Node] = append(byNode[a.Node], int32(i))
		tiers[m.Services[c.Instances[i].Service].Tier] = true
	}
	tierList := make([]int, 0, len(tiers))
	for t := range tiers {
		tierList = append(tierList, t)
	}
	sort.Ints(tierList)
	perNode := len(byNode) <= MaxGanttNodes

	// Rows and the instances of each.
	var rowNames []string
	var rows [][]int32
	if perNode {
		nodes := make([]int32, 0, len(byNode))
		for n := range byNode {
			nodes = append(nodes, n)
		}
		sort.Slice(nodes, func(i, j int) bool { return m.Devices[nodes[i]].ID < m.Devices[nodes[j]].ID })
		for _, n := range nodes {
			rowNames = append(rowNames, m.Devices[n].ID)
			rows = append(rows, byNode[n])
		}
	} else {
		at := map[int]int{}
		for k, t := range tierList {
			at[t] = k
			rowNames = append(rowNames, "tier "+strconv.Itoa(t))
		}
		rows = make([][]int32, len(tierList))
		for i, a := range p.Assign {
			if a.Node >= 0 {
				k := at[m.Services[c.Instances[i].Service].Tier]
				rows[k] = append(rows[k], int32(i))
			}
		}
	}
	named := placed <= namedLimit
	series := map[int][]any{}
	for r, insts := range rows {
		insts = append([]int32(nil), insts...)
		sort.Slice(insts, func(a, b int) bool {
			x, y := p.Assign[insts[a]], p.Assign[insts[b]]
			if x.StartS != y.StartS {
				return x.StartS < y.StartS
			}
			return insts[a] < insts[b]
		})
		// Greedy interval partitioning: each start takes the first lane free.
		var laneEnd []float64
		lane := make([]int, len(insts))
		for k, i := range insts {
			a := p.Assign[i]
			l := 0
			for l < len(laneEnd) && laneEnd[l] > a.StartS {
				l++
			}
			if l == len(laneEnd) {
				laneEnd = append(laneEnd, 0)
			}
			laneEnd[l] = a.UpS
			lane[k] = l
		}
		lanes := min(len(laneEnd), maxLanes)
		for k, i := range insts {
			a := p.Assign[i]
			t := m.Services[c.Instances[i].Service].Tier
			bar := ganttBar{Value: [5]float64{float64(r), r2(a.StartS), r2(a.UpS), float64(lane[k] % lanes), float64(lanes)}}
			if named {
				bar.Name = c.Name(int(i)) + " on " + m.Devices[a.Node].ID
			}
			series[t] = append(series[t], bar)
		}
	}

	cu := charts.NewCustom()
	rowsAre := "node"
	if !perNode {
		rowsAre = "tier"
	}
	subtitle := strconv.Itoa(placed) + " instances on " + strconv.Itoa(len(byNode)) + " nodes, a row per " + rowsAre +
		"; planned makespan " + dur(p.MakespanS) + ", lower bound " + dur(p.LowerBoundS)
	ch := &Chart{Kind: "gantt", Title: "Restart plan", base: &cu.BaseConfiguration, render: cu}
	h := max(420, min(3000, 160+18*len(rowNames)))
	if !perNode {
		h = max(420, 160+60*len(rowNames))
	}
	initBase(&cu.BaseConfiguration, ch.Kind, ch.Title, subtitle, 1200, h)
	cu.Legend = opts.Legend{Show: opts.Bool(true), Top: "52", Type: "scroll"}
	cu.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: js(`function (p) {
  var v = p.value;
  return (p.name ? p.name + '<br/>' : '') + p.seriesName + ': ' + v[1] + ' s → ' + v[2] + ' s';
}`)}
	cu.GridList = []opts.Grid{{Top: "95", Bottom: "90", Left: "110", Right: "40"}}
	cu.XAxisList = []opts.XAxis{{Type: "value", Name: "planned, s from power-on", NameLocation: "middle", NameGap: 25, Min: 0}}
	cu.YAxisList = []opts.YAxis{{Type: "category", Data: rowNames, Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Interval: "0"}}}
	cu.DataZoomList = []opts.DataZoom{{Type: "inside", XAxisIndex: 0}, {Type: "slider", XAxisIndex: 0}}
	render := js(`function (params, api) {
  var row = api.value(0), lanes = api.value(4);
  var s = api.coord([api.value(1), row]), e = api.coord([api.value(2), row]);
  var h = api.size([0, 1])[1] * 0.8, lh = h / lanes;
  var rect = echarts.graphic.clipRectByRect(
    {x: s[0], y: s[1] - h / 2 + api.value(3) * lh, width: Math.max(e[0] - s[0], 1), height: Math.max(lh * 0.85, 0.5)},
    {x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height});
  return rect && {type: 'rect', transition: [], shape: rect, style: api.style()};
}`)
	for _, t := range tierList {
		cu.MultiSeries = append(cu.MultiSeries, charts.SingleSeries{
			Name: "tier " + strconv.Itoa(t), Type: "custom", RenderItem: render, Data: series[t],
			Encode: &opts.Encode{X: []int{1, 2}, Y: 0},
		})
	}
	if len(cu.MultiSeries) > 0 {
		cu.MultiSeries[0].MarkLines = &opts.MarkLines{
			Data: []any{map[string]any{"name": "lower bound", "xAxis": r2(p.LowerBoundS)}},
			MarkLineStyle: opts.MarkLineStyle{Symbol: []string{"none", "none"},
				Label:     &opts.Label{Show: opts.Bool(true), Formatter: "lower bound {c} s"},
				LineStyle: &opts.LineStyle{Color: "#c23531", Type: "dashed", Width: 2}},
		}
	}
	ch.Summary = "planned makespan " + dur(p.MakespanS) + " against a lower bound of " + dur(p.LowerBoundS) +
		" (" + strconv.FormatFloat(r2(p.MakespanS/max(p.LowerBoundS, 1e-9)), 'f', 2, 64) + "×); " + strconv.Itoa(len(p.Unplaced)) + " unplaced"
	return ch
}

// ganttBar is one instance: [row, start s, up s, lane, lanes] and its name.
type ganttBar struct {
	Value [5]float64 `json:"value"`
	Name  string     `json:"name,omitempty"`
}
