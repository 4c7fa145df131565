package chart

import (
	"sort"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/power"
	"blackstart/topology"
)

// MaxFlowNodes is the most nodes the power-flow chart draws. Past it the
// branch circuits fold into their racks, and past it again the racks fold
// into one node per panel.
const MaxFlowNodes = 400

// Flow draws the power flow in normal operation as a sankey: sources → UPS
// → panels → branch circuits → racks, link widths in kW. Protective devices,
// transfer switches, rack PDUs and banks fold into the node they connect
// (a transfer switch follows its preferred input, as in normal operation).
// Powers are the report's: the real power through each element.
func Flow(m *topology.Model, rep power.LoadReport) *Chart {
	pw := make(map[string]float64, len(rep.Elements))
	for _, e := range rep.Elements {
		pw[e.ID] = e.PowerW
	}
	dev := make(map[string]float64, len(rep.Devices))
	for _, d := range rep.Devices {
		dev[d.ID] = d.DrawW
	}
	level := 2 // 2: circuits and racks; 1: racks under panels; 0: rack groups per panel
	var nodes map[string]int
	var links map[[2]string]float64
	for {
		nodes, links = flowGraph(m, pw, dev, level)
		if len(nodes) <= MaxFlowNodes || level == 0 {
			break // level 0 is drawn whatever its size
		}
		level--
	}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if nodes[names[i]] != nodes[names[j]] {
			return nodes[names[i]] < nodes[names[j]]
		}
		return names[i] < names[j]
	})
	keys := make([][2]string, 0, len(links))
	for k := range links {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	type node struct {
		Name  string `json:"name"`
		Depth int    `json:"depth"`
	}
	type link struct {
		Source string  `json:"source"`
		Target string  `json:"target"`
		Value  float64 `json:"value"`
	}
	ns := make([]node, len(names))
	for i, n := range names {
		ns[i] = node{Name: n, Depth: nodes[n]}
	}
	ls := make([]link, 0, len(keys))
	total := 0.0
	for _, k := range keys {
		ls = append(ls, link{Source: k[0], Target: k[1], Value: r3(links[k] / 1000)})
	}
	for _, e := range m.Elements {
		if len(e.Inputs) == 0 {
			total += pw[e.ID]
		}
	}

	sk := charts.NewSankey()
	what := []string{"sources → UPS → panels → racks (rack groups per panel)", "sources → UPS → panels → racks", "sources → UPS → panels → circuits → racks"}[level]
	subtitle := what + "; widths in kW; total " + fnum(total/1000, "kW")
	ch := &Chart{Kind: "flow", Title: "Power flow", base: &sk.BaseConfiguration, render: sk}
	h := max(500, min(4000, 14*len(names)/max(1, level+2)+200))
	initBase(&sk.BaseConfiguration, ch.Kind, ch.Title, subtitle, 1200, h)
	sk.Legend = opts.Legend{Show: opts.Bool(false)}
	sk.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: js(`function (p) {
  if (p.dataType === 'edge') { return p.data.source + ' → ' + p.data.target + ': ' + p.data.value + ' kW'; }
  return p.name + ': ' + p.value + ' kW';
}`)}
	sk.MultiSeries = append(sk.MultiSeries, charts.SingleSeries{
		Name: "power, kW", Type: "sankey", Data: ns, Links: ls,
		Top: "80", Bottom: "20", Left: "20", Right: "120",
		NodeAlign: "left", NodeGap: opts.Int(4),
		Emphasis:  &opts.Emphasis{Focus: "adjacency"},
		LineStyle: &opts.LineStyle{Color: "gradient", Curveness: 0.5, Opacity: opts.Float(0.4)},
		Label:     &opts.Label{Show: opts.Bool(len(names) <= 120), FontSize: 10},
	})
	ch.Summary = "total draw " + fnum(total/1000, "kW") + " over " + strconv.Itoa(len(names)) + " nodes (" + what + ")"
	return ch
}

// flowGraph folds the power graph into the sankey's nodes (name → depth)
// and links (source, target → W) at one level of detail. pw is the power
// through each element, dev each device's draw (W).
func flowGraph(m *topology.Model, pw, dev map[string]float64, level int) (map[string]int, map[[2]string]float64) {
	shown := make([]string, len(m.Elements)) // node an element shows as, "" when folded
	up := make([]string, len(m.Elements))    // nearest shown node at or above the element
	depth := map[string]int{}
	links := map[[2]string]float64{}
	panelOf := make([]string, len(m.Elements)) // nearest panel at or above
	for i := range m.Elements {
		e := &m.Elements[i]
		in := -1
		if len(e.Inputs) > 0 {
			in = int(e.Inputs[min(e.Preferred, len(e.Inputs)-1)])
		}
		parent, pdepth, panel := "", -1, ""
		if in >= 0 {
			parent, panel = up[in], panelOf[in]
			pdepth = depth[parent]
		}
		switch e.Kind {
		case topology.KindSource, topology.KindUPS, topology.KindPanel:
			shown[i] = e.ID
		case topology.KindCircuit:
			if level == 2 {
				shown[i] = e.ID
			}
		case topology.KindRackPDU:
			if e.Rack >= 0 {
				if level > 0 {
					shown[i] = "rack " + m.Racks[e.Rack].ID
				} else {
					shown[i] = "racks under " + panel
				}
			}
		}
		if e.Kind == topology.KindPanel {
			panel = e.ID
		}
		panelOf[i] = panel
		if shown[i] == "" || isRack(shown[i]) && isRack(parent) {
			// Folded; a rack PDU fed from another rack's PDU (daisy-chained)
			// is already in the power that reached the first rack.
			shown[i] = ""
			up[i] = parent
			continue
		}
		up[i] = shown[i]
		d := pdepth + 1
		if old, ok := depth[shown[i]]; !ok || d > old {
			depth[shown[i]] = d
		}
		if parent != "" && pw[e.ID] > 0 {
			// Multi-input elements count once, on their preferred input.
			links[[2]string{parent, shown[i]}] += pw[e.ID]
		}
	}
	// Devices plugged straight into a circuit, transfer switch or panel
	// (not a rack PDU): their draw, shared over their PSUs, goes from the
	// node above that feed to their rack.
	for d := range m.Devices {
		dv := &m.Devices[d]
		if len(dv.Feeds) == 0 {
			continue
		}
		share := dev[dv.ID] / float64(len(dv.Feeds))
		for _, f := range dv.Feeds {
			k := m.Elements[f].Kind
			if k == topology.KindRackPDU || k == topology.KindBank || share <= 0 || up[f] == "" {
				continue
			}
			rack := "rack " + m.Racks[dv.Rack].ID
			if level == 0 {
				rack = "racks under " + panelOf[f]
			}
			if up[f] == rack {
				continue
			}
			if _, ok := depth[rack]; !ok {
				depth[rack] = 0
			}
			links[[2]string{up[f], rack}] += share
		}
	}
	// Racks (and rack groups) all sit at the last column.
	last := 0
	for n, d := range depth {
		if !isRack(n) {
			last = max(last, d)
		}
	}
	for n := range depth {
		if isRack(n) {
			depth[n] = last + 1
		}
	}
	// Drop nodes no power reaches.
	used := map[string]bool{}
	for k := range links {
		used[k[0]], used[k[1]] = true, true
	}
	for n := range depth {
		if !used[n] {
			delete(depth, n)
		}
	}
	return depth, links
}

func isRack(n string) bool {
	return len(n) > 5 && (n[:5] == "rack " || n[:5] == "racks")
}
