package chart

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"blackstart/power"
)

// DefaultTop is how many racks, failures or elements a chart shows at most
// when the caller does not say: the worst ones.
const DefaultTop = 40

// Headroom draws, per rack, its N-1-safe headroom as power.Headroom
// computes it (the figures `power headroom` prints): the power that can
// still be added with no single failure taking a breaker past its
// continuous limit or a UPS past its rating, and the largest single new
// device, in kW, with the element that binds each rack in the tooltip. A
// rack that is not N-1-safe now has 0 kW, a red label and a red-shaded
// column. Racks come least
// headroom first (those not safe, then by headroom, then by id); at most
// top of them (DefaultTop when top <= 0). A rack with nothing limited
// above it (null headroom) comes last, at 0 kW, marked unlimited.
func Headroom(rep power.HeadroomReport, top int) *Chart {
	if top <= 0 {
		top = DefaultTop
	}
	racks := slices.Clone(rep.Racks)
	key := func(r power.RackHeadroom) float64 {
		switch {
		case !r.Safe:
			return -1
		case r.HeadroomW == nil:
			return 1e300
		}
		return *r.HeadroomW
	}
	slices.SortStableFunc(racks, func(a, b power.RackHeadroom) int {
		if c := cmp.Compare(key(a), key(b)); c != 0 {
			return c
		}
		return cmp.Compare(a.Rack, b.Rack)
	})
	if len(racks) > top {
		racks = racks[:top]
	}
	names := make([]string, len(racks))
	head := make([]any, len(racks))
	largest := make([]any, len(racks))
	for i, r := range racks {
		names[i] = r.Rack
		h := headroomBar{Safe: r.Safe, Unlimited: r.HeadroomW == nil}
		if r.HeadroomW != nil {
			h.Value = r3(*r.HeadroomW / 1000)
		}
		if r.Binding != nil {
			h.Binding, h.Kind, h.LoadA, h.LimitA = r.Binding.Element, r.Binding.Kind, r.Binding.LoadA, r.Binding.LimitA
		}
		if !r.Safe {
			h.Value = 0
			h.ItemStyle = &opts.ItemStyle{Color: "#c23531"}
			// A 0 kW bar draws nothing: the rack says it in words.
			h.Label = map[string]any{"show": true, "position": "top", "rotate": 90, "align": "left", "verticalAlign": "middle",
				"formatter": "NOT N-1-safe", "color": "#c23531", "fontWeight": "bold"}
		}
		head[i] = h
		l := headroomBar{Safe: r.Safe, Unlimited: r.LargestDeviceW == nil}
		if r.LargestDeviceW != nil && r.Safe {
			l.Value = r3(*r.LargestDeviceW / 1000)
		}
		largest[i] = l
	}
	bar := charts.NewBar()
	subtitle := strconv.Itoa(len(racks)) + " of " + strconv.Itoa(len(rep.Racks)) + " racks, least headroom first; every single failure stays within the limits; basis: " + rep.Basis
	ch := &Chart{Kind: "headroom", Title: "N-1-safe rack power headroom", base: &bar.BaseConfiguration, render: bar}
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
		charts.SingleSeries{Name: "N-1-safe headroom", Type: "bar", Data: head, Color: "#5470c6"},
		charts.SingleSeries{Name: "largest single device", Type: "bar", Data: largest, Color: "#9dd1b9"})
	// A rack not N-1-safe has a 0 kW bar: its whole column is shaded red.
	var unsafe []any
	for _, r := range racks {
		if !r.Safe {
			unsafe = append(unsafe, []any{map[string]any{"xAxis": r.Rack}, map[string]any{"xAxis": r.Rack}})
		}
	}
	if len(unsafe) > 0 {
		bar.MultiSeries[0].MarkAreas = &opts.MarkAreas{Data: unsafe, MarkAreaStyle: opts.MarkAreaStyle{
			ItemStyle: &opts.ItemStyle{Color: "rgba(194, 53, 49, 0.18)"}, Label: &opts.Label{Show: opts.Bool(false)}}}
	}
	bar.Tooltip = opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", Formatter: js(`function (ps) {
  var out = ps.length ? ps[0].name : '';
  ps.forEach(function (p) {
    if (!p.data) { return; }
    out += '<br/>' + p.marker + p.seriesName + ': ' + (p.data.unlimited ? 'unlimited' : p.data.value + ' kW');
  });
  if (ps.length && ps[0].data) {
    var d = ps[0].data;
    if (!d.safe) { out += '<br/>NOT N-1-safe now'; }
    if (d.binding) {
      out += '<br/>' + (d.safe ? 'bound by ' : 'over: ') + d.kind + ' ' + d.binding + ' (' + d.load_a + ' A of ' + d.limit_a + ' A on failover)';
    }
  }
  return out;
}`)}
	total := 0.0
	for _, r := range rep.Racks {
		if r.HeadroomW != nil {
			total += *r.HeadroomW
		}
	}
	ch.Summary = strconv.Itoa(rep.UnsafeRacks) + " of " + strconv.Itoa(len(rep.Racks)) + " racks not N-1-safe; " + fnum(total/1000, "kW") + " N-1-safe headroom in all"
	return ch
}

// headroomBar is one bar of the headroom chart: kW, and what the tooltip
// says.
type headroomBar struct {
	Value     float64         `json:"value"` // kW
	Safe      bool            `json:"safe"`
	Unlimited bool            `json:"unlimited,omitempty"`
	Binding   string          `json:"binding,omitempty"` // the element that binds (when not safe: furthest over)
	Kind      string          `json:"kind,omitempty"`
	LoadA     float64         `json:"load_a,omitempty"`  // its failover-case load, A
	LimitA    float64         `json:"limit_a,omitempty"` // its limit, A
	ItemStyle *opts.ItemStyle `json:"itemStyle,omitempty"`
	Label     map[string]any  `json:"label,omitempty"` // on a rack not N-1-safe: says so (echarts' label keys)
}
