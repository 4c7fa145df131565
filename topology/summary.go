package topology

import (
	"math"
	"sort"
)

// ProtectedBy returns the index of the nearest protective device (an element
// with a trip standard) at or above element e, following the preferred input
// of transfer switches; -1 when nothing protects it.
func (m *Model) ProtectedBy(e int) int {
	for e >= 0 {
		el := &m.Elements[e]
		if el.Standard != StdNone {
			return e
		}
		if len(el.Inputs) == 0 {
			return -1
		}
		e = int(el.Inputs[el.Preferred])
	}
	return -1
}

// Feeds returns, for every element, the branch feeds it hangs off: the
// nearest circuit at or above it on every input path (both paths of a
// transfer switch), or the nearest breaker where no circuit is written.
// Elements above the branch level have no feed. Each list is sorted.
func (m *Model) Feeds() [][]int32 {
	out := make([][]int32, len(m.Elements))
	for i := range m.Elements { // inputs come first: topological order
		e := &m.Elements[i]
		switch {
		case e.Kind == KindCircuit:
			out[i] = []int32{int32(i)}
		case e.Kind == KindBreaker:
			// A breaker directly above a rack PDU is its feed; one above a
			// circuit is not consulted (the circuit stops the walk).
			out[i] = []int32{int32(i)}
		case e.Kind == KindSource || e.Kind == KindUPS || e.Kind == KindPanel:
			out[i] = nil
		default:
			var fs []int32
			for _, in := range e.Inputs {
				fs = appendUnique(fs, out[in]...)
			}
			sort.Slice(fs, func(a, b int) bool { return fs[a] < fs[b] })
			out[i] = fs
		}
	}
	return out
}

func appendUnique(dst []int32, xs ...int32) []int32 {
outer:
	for _, x := range xs {
		for _, y := range dst {
			if x == y {
				continue outer
			}
		}
		dst = append(dst, x)
	}
	return dst
}

// Summary is what `blackstart show` prints: counts, and per rack and per
// feed the devices and their nameplate and typical draw.
type Summary struct {
	Site            string         `json:"site"`
	Files           []string       `json:"files"`
	Elements        map[string]int `json:"elements"` // count per kind name
	Racks           int            `json:"racks"`
	DeviceModels    int            `json:"device_models"`
	Devices         int            `json:"devices"`
	Services        int            `json:"services"`
	Instances       int            `json:"instances"`
	Tiers           int            `json:"tiers"`
	RackRows        []RackSummary  `json:"rack_summary"`
	FeedRows        []FeedSummary  `json:"feed_summary"`
	TotalNameplateW float64        `json:"total_nameplate_w"`
	TotalTypicalW   float64        `json:"total_typical_w"`
}

// RackSummary sums a rack's devices. Draws are whole-device figures from the
// device models, watts; a device whose model lacks a figure adds 0 and is
// counted in the matching Missing field.
type RackSummary struct {
	ID               string   `json:"id"`
	Devices          int      `json:"devices"`
	NameplateW       float64  `json:"nameplate_w"`
	TypicalW         float64  `json:"typical_w"`
	MissingNameplate int      `json:"missing_nameplate"`
	MissingTypical   int      `json:"missing_typical"`
	Breakers         []string `json:"breakers"` // protective devices of the feeds into the rack, sorted
}

// FeedSummary sums the devices with at least one PSU below a feed (a
// branch circuit, or a breaker where no circuit is written): the load that
// feed carries when it is the only one left.
type FeedSummary struct {
	ID               string  `json:"id"`
	Kind             string  `json:"kind"`
	VoltageV         float64 `json:"voltage_v"` // V, rounded to 3 decimals as power load's
	Phases           int     `json:"phases"`
	Breaker          string  `json:"breaker"` // protective device, "" if none
	RatingA          float64 `json:"rating_a"`
	Curve            string  `json:"curve,omitempty"`
	Standard         string  `json:"standard,omitempty"`
	Devices          int     `json:"devices"`
	NameplateW       float64 `json:"nameplate_w"`
	TypicalW         float64 `json:"typical_w"`
	MissingNameplate int     `json:"missing_nameplate"`
	MissingTypical   int     `json:"missing_typical"`
}

// Summarize counts the model and sums draws per rack and per feed. Racks and
// feeds keep model order.
func Summarize(m *Model) Summary {
	s := Summary{Site: m.Site.Name, Files: m.Files, Elements: map[string]int{},
		Racks: len(m.Racks), DeviceModels: len(m.DeviceModels), Devices: len(m.Devices), Services: len(m.Services)}
	for _, name := range kindNames {
		s.Elements[name] = 0
	}
	for _, e := range m.Elements {
		s.Elements[e.Kind.String()]++
	}
	for _, sv := range m.Services {
		s.Instances += sv.Instances
		s.Tiers = max(s.Tiers, sv.Tier+1)
	}
	feeds := m.Feeds()
	feedRow := make([]int, len(m.Elements)) // row index + 1, 0 = no row yet
	row := func(i int32) *FeedSummary {
		if feedRow[i] == 0 {
			e := &m.Elements[i]
			f := FeedSummary{ID: e.ID, Kind: e.Kind.String(), VoltageV: math.Round(e.VoltageV*1000) / 1000, Phases: e.Phases}
			if b := m.ProtectedBy(int(i)); b >= 0 {
				be := &m.Elements[b]
				f.Breaker, f.RatingA, f.Standard = be.ID, be.RatingA, be.Standard.String()
				if be.Curve != 0 {
					f.Curve = string(be.Curve)
				}
			}
			s.FeedRows = append(s.FeedRows, f)
			feedRow[i] = len(s.FeedRows)
		}
		return &s.FeedRows[feedRow[i]-1]
	}
	s.RackRows = make([]RackSummary, len(m.Racks))
	rackBreakers := make([]map[string]bool, len(m.Racks))
	for i, r := range m.Racks {
		s.RackRows[i].ID = r.ID
		rackBreakers[i] = map[string]bool{}
	}
	var seen []int32
	for _, d := range m.Devices {
		dm := &m.DeviceModels[d.Model]
		rs := &s.RackRows[d.Rack]
		rs.Devices++
		add(&rs.NameplateW, &rs.MissingNameplate, dm.NameplateW)
		add(&rs.TypicalW, &rs.MissingTypical, dm.TypicalW)
		s.TotalNameplateW += dm.NameplateW
		s.TotalTypicalW += dm.TypicalW
		seen = seen[:0]
		for _, f := range d.Feeds {
			seen = appendUnique(seen, feeds[f]...)
		}
		for _, f := range seen {
			fr := row(f)
			fr.Devices++
			add(&fr.NameplateW, &fr.MissingNameplate, dm.NameplateW)
			add(&fr.TypicalW, &fr.MissingTypical, dm.TypicalW)
			if fr.Breaker != "" {
				rackBreakers[d.Rack][fr.Breaker] = true
			}
		}
	}
	for i := range s.RackRows {
		s.RackRows[i].Breakers = sortedKeys(rackBreakers[i])
	}
	// Feeds in model (topological) order.
	order := make(map[string]int, len(s.FeedRows))
	for i, e := range m.Elements {
		if feedRow[i] != 0 {
			order[e.ID] = i
		}
	}
	sort.Slice(s.FeedRows, func(a, b int) bool { return order[s.FeedRows[a].ID] < order[s.FeedRows[b].ID] })
	return s
}

func add(sum *float64, missing *int, v float64) {
	if v == 0 {
		*missing++
		return
	}
	*sum += v
}
