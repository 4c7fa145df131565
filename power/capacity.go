package power

import (
	"fmt"
	"math"
	"slices"

	"blackstart/topology"
)

// Capacity planning: how much more fits in every rack, where new hardware
// goes, and which moves make a rack N-1-safe. Every answer is judged by the
// one failover-safe budget (Budget, BudgetLoad) the restart planner uses:
// a load is N-1-safe when every rated element stays within its limit in its
// failover case.

// Slot is one way to plug a new device into a rack: the feed element of
// each of its PSUs. PSU k goes to side k mod S of the rack's S sides (a
// side is a rack PDU; its banks, or the PDU itself when it has none, are
// the feed points; in a rack without rack PDUs, an element its devices
// plug into: see rackSides).
type Slot struct {
	Rack  int     // index into Model.Racks
	Feeds []int32 // per PSU: index into Model.Elements, a feed point of the rack
}

// rackSides returns the feed points of every rack, grouped by side. A
// rack with rack PDUs has those as its sides and no other, in element
// order: a PDU's banks are its feed points, or the PDU itself when it has
// none. A device's cord into an element outside such a rack (a circuit,
// a transfer switch) adds no side, whichever of its cords it is: a new
// device there is cabled to the rack's PDUs, and a cord is not moved to
// the outside element. A rack without rack PDUs has one side per distinct
// element its devices plug into, in element order.
func rackSides(m *topology.Model) [][][]int32 {
	sides := make([][][]int32, len(m.Racks))
	hasBanks := make([]bool, len(m.Elements))
	for i := range m.Elements {
		if e := &m.Elements[i]; e.Kind == topology.KindBank {
			hasBanks[e.Inputs[0]] = true
		}
	}
	sideOf := make(map[int32]int) // rack PDU → index of its side in its rack
	for i := range m.Elements {
		e := &m.Elements[i]
		if e.Rack < 0 {
			continue
		}
		switch {
		case e.Kind == topology.KindRackPDU:
			sideOf[int32(i)] = len(sides[e.Rack])
			var pts []int32
			if !hasBanks[i] {
				pts = []int32{int32(i)}
			}
			sides[e.Rack] = append(sides[e.Rack], pts)
		case e.Kind == topology.KindBank:
			if s, ok := sideOf[e.Inputs[0]]; ok {
				sides[e.Rack][s] = append(sides[e.Rack][s], int32(i))
			}
		}
	}
	for r := range sides {
		sides[r] = slices.DeleteFunc(sides[r], func(p []int32) bool { return len(p) == 0 })
	}
	pdus := make([]bool, len(m.Racks)) // the rack has rack PDUs (with feed points)
	for r := range sides {
		pdus[r] = len(sides[r]) > 0
	}
	for d := range m.Devices {
		dev := &m.Devices[d]
		if pdus[dev.Rack] {
			continue
		}
		for _, f := range dev.Feeds {
			if m.Elements[f].Rack == dev.Rack {
				continue
			}
			if !slices.ContainsFunc(sides[dev.Rack], func(p []int32) bool { return p[0] == f }) {
				sides[dev.Rack] = append(sides[dev.Rack], []int32{f})
			}
		}
	}
	for r := range sides {
		slices.SortFunc(sides[r], func(a, b []int32) int { return int(a[0] - b[0]) })
	}
	return sides
}

// slotsOf returns every slot of a rack with the given sides for a device
// with psus PSUs: PSU k on any feed point of side k mod len(sides).
func slotsOf(rack int, sides [][]int32, psus int) []Slot {
	if len(sides) == 0 || psus < 1 {
		return nil
	}
	var out []Slot
	cur := make([]int32, psus)
	var rec func(k int)
	rec = func(k int) {
		if k == psus {
			out = append(out, Slot{Rack: rack, Feeds: slices.Clone(cur)})
			return
		}
		for _, f := range sides[k%len(sides)] {
			cur[k] = f
			rec(k + 1)
		}
	}
	rec(0)
	return out
}

// rackUnits returns, per rack, the rack units its devices use (a device
// model without u_height counts 1 U).
func rackUnits(m *topology.Model) []int {
	used := make([]int, len(m.Racks))
	for i := range m.Devices {
		used[m.Devices[i].Rack] += max(1, m.DeviceModels[m.Devices[i].Model].UHeight)
	}
	return used
}

// FeedHeadroom is the N-1-safe headroom at one feed point of a rack.
type FeedHeadroom struct {
	Side string `json:"side"` // the rack PDU (or, without one, the element) the feed point belongs to
	Feed string `json:"feed"` // the bank, rack PDU or element a PSU plugs into
	Line string `json:"line"` // its line connection on a three-phase supply ("L1", "L1-L2"); "" single-phase
	// HeadroomW is the largest draw of one new device with a PSU on this
	// feed point (its other PSUs on the best feed points of the other
	// sides), W, >= 0; null when nothing above it has a limit.
	HeadroomW *float64 `json:"headroom_w"`
	Binding   *Binding `json:"binding"` // the element that limits it; null when unlimited
}

// RackHeadroom is the N-1-safe headroom of one rack.
type RackHeadroom struct {
	Rack string `json:"rack"`
	// Safe is true when every limited element above the rack's feed points
	// is within its limit in its failover case now.
	Safe bool `json:"n1_safe"`
	// HeadroomW is the power that can still be added to the rack, W, >= 0:
	// new devices filled in greedily, each time on the slot that takes the
	// most, until no slot takes another watt; null when unlimited. Only
	// slots whose every limited element is within its limit take any: on
	// a rack that is not safe, what can go where the fault is not.
	HeadroomW *float64 `json:"headroom_w"`
	// LargestDeviceW is the largest draw of one new device in the rack, W.
	LargestDeviceW *float64 `json:"largest_device_w"`
	// Binding is the element that limits the largest device; when the rack
	// is not safe, the element furthest over. Null when unlimited.
	Binding *Binding       `json:"binding"`
	PSUs    int            `json:"psus"` // PSUs of the new devices the figures assume
	Feeds   []FeedHeadroom `json:"feeds"`
	U       int            `json:"u"`      // rack height, rack units; 0 when not given
	UsedU   int            `json:"used_u"` // rack units its devices take
	// Fit is, with a device model, how many of it fit in this rack alone
	// (the others as they are), limited by power and rack units.
	Fit *int `json:"fit,omitempty"`
	// FitLimit says what stops one more: "power", "units" or "no feed";
	// "unlimited" when the rack has no u and a feed point with nothing
	// rated above it (Fit is then null: any number fits); "count cap" when
	// more than fitCap fit and counting stopped there.
	FitLimit string `json:"fit_limit,omitempty"`
}

// HeadroomReport is the N-1-safe headroom of every rack.
type HeadroomReport struct {
	Basis       string  `json:"basis"`
	DeviceModel string  `json:"device_model,omitempty"` // with --device-model: its id
	DeviceW     float64 `json:"device_w,omitempty"`     // its draw on the basis, W
	// UnsafeRacks counts the racks that are not N-1-safe now (0 W headroom).
	UnsafeRacks int            `json:"unsafe_racks"`
	Racks       []RackHeadroom `json:"racks"`
	// FitTotal is, with a device model, how many fit in the whole site
	// together (placed one by one as power place does): at most the sum
	// of the racks' Fit, less when they share a panel or UPS.
	FitTotal *int `json:"fit_total,omitempty"`
	// FitUnlimited is true, with a device model, when some rack's Fit is
	// unlimited (see FitLimit): then the site takes any number and
	// FitTotal is null.
	FitUnlimited bool `json:"fit_unlimited,omitempty"`
}

// HeadroomOptions select what Headroom computes.
type HeadroomOptions struct {
	DeviceModel string // device model id to count; "" for power only
	// Progress, when set, is called after each rack with the racks done
	// and the total, from the calling goroutine.
	Progress func(done, total int)
}

// devicePF returns the power factor of a new device of model dm on feed f,
// as the network resolves it for the model's devices.
func devicePF(m *topology.Model, dm *topology.DeviceModel, f int32) float64 {
	pf := 0.0
	if dm != nil {
		pf = dm.PowerFactor
	}
	if pf == 0 {
		pf = m.Elements[f].PowerFactor
	}
	if pf == 0 {
		pf = 1
	}
	return pf
}

// modelDraw returns a device model's draw on basis b, W, as Draw does for
// a device of that model without a measured override.
func modelDraw(m *topology.Model, k int, b Basis) float64 {
	w, _ := Draw(m, &topology.Device{Model: int32(k)}, b)
	return w
}

// rackPSUs returns the PSU count new devices of a rack are assumed to
// have without a device model: the most common among its devices (the
// smaller on a tie), else one per side up to two.
func rackPSUs(m *topology.Model, devs []int, sides int) int {
	count := map[int]int{}
	best, bestN := 0, 0
	for _, d := range devs {
		p := len(m.Devices[d].Feeds)
		count[p]++
		if c := count[p]; c > bestN || c == bestN && p < best {
			best, bestN = p, c
		}
	}
	if best > 0 {
		return best
	}
	return max(1, min(2, sides))
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	r := math.Floor(v*100) / 100 // never round a headroom up
	return &r
}

// Headroom returns, for every rack, the power that can still be added with
// the site staying N-1-safe by the budget's rule (no single failure puts a
// rated element past its continuous limit or a UPS past its rating), per
// rack and per feed point, and the element that binds; with a device model,
// how many fit per rack and in total, counting rack units.
func Headroom(n *Network, o HeadroomOptions) (HeadroomReport, error) {
	m := n.M
	rep := HeadroomReport{Basis: n.Basis.String()}
	var dm *topology.DeviceModel
	if o.DeviceModel != "" {
		k := slices.IndexFunc(m.DeviceModels, func(x topology.DeviceModel) bool { return x.ID == o.DeviceModel })
		if k < 0 {
			return rep, fmt.Errorf("device model %q is not in the model", o.DeviceModel)
		}
		dm = &m.DeviceModels[k]
		rep.DeviceModel, rep.DeviceW = dm.ID, modelDraw(m, k, n.Basis)
	}
	b := NewBudget(n)
	pr := b.NewProber()
	load := b.Load(n.DrawW)
	sides := rackSides(m)
	used := rackUnits(m)
	devs := make([][]int, len(m.Racks))
	for d := range m.Devices {
		devs[m.Devices[d].Rack] = append(devs[m.Devices[d].Rack], d)
	}
	for r := range m.Racks {
		rh := RackHeadroom{Rack: m.Racks[r].ID, U: m.Racks[r].U, UsedU: used[r], Safe: true, Feeds: []FeedHeadroom{}}
		psus := rackPSUs(m, devs[r], len(sides[r]))
		if dm != nil {
			psus = dm.PSUs
		}
		rh.PSUs = psus
		slots := slotsOf(r, sides[r], psus)
		probes := make([]Probe, len(slots))
		for i, s := range slots {
			probes[i] = pr.Probe(s.Feeds, devicePF(m, dm, s.Feeds[0]))
		}
		// Per feed point and the largest device.
		feedW := map[int32]float64{}
		feedB := map[int32]Binding{}
		largest, largestB := -1.0, Binding{}
		ws := make([]float64, len(slots))
		bs := make([]Binding, len(slots))
		var over Binding
		for i := range slots {
			ws[i], bs[i] = load.MaxProbe(probes[i])
			if ok, b := load.FitsProbe(probes[i], 0); !ok {
				rh.Safe = false
				if b.Ratio > over.Ratio {
					over = b
				}
			}
			if ws[i] > largest {
				largest, largestB = ws[i], bs[i]
			}
			for _, f := range slots[i].Feeds {
				if cur, seen := feedW[f]; !seen || ws[i] > cur {
					feedW[f], feedB[f] = ws[i], bs[i]
				}
			}
		}
		for s, pts := range sides[r] {
			_ = s
			for _, f := range pts {
				w, ok := feedW[f]
				if !ok {
					continue
				}
				el := &m.Elements[f]
				side := el.ID
				if el.Kind == topology.KindBank {
					side = m.Elements[el.Inputs[0]].ID
				}
				fh := FeedHeadroom{Side: side, Feed: el.ID, Line: el.Line.String(), HeadroomW: finite(w)}
				if bb := feedB[f]; bb.Element != "" {
					fh.Binding = &bb
				}
				rh.Feeds = append(rh.Feeds, fh)
			}
		}
		if len(slots) > 0 {
			rh.LargestDeviceW = finite(largest)
			if largestB.Element != "" {
				rh.Binding = &largestB
			}
			rh.HeadroomW = finite(fillRack(load, probes, ws))
		}
		if !rh.Safe {
			rep.UnsafeRacks++
			rh.Binding = &over
		}
		if dm != nil {
			fit, why := fitRack(m, load, probes, ws, slots, rep.DeviceW, dm, r, used[r])
			rh.FitLimit = why
			if fit >= 0 {
				rh.Fit = &fit
			} else {
				rep.FitUnlimited = true
			}
		}
		rep.Racks = append(rep.Racks, rh)
		if o.Progress != nil {
			o.Progress(r+1, len(m.Racks))
		}
	}
	if dm != nil && !rep.FitUnlimited {
		p, err := Place(n, PlaceOptions{Add: []PlaceRequest{{Model: dm.ID, Count: -1}}, skipVerify: true})
		if err != nil {
			return rep, err
		}
		total := len(p.Placed)
		rep.FitTotal = &total
	}
	return rep, nil
}

// fillRack adds new devices on a rack's slots greedily, each time the
// largest that fits on any slot (ws holds each slot's largest on load),
// until no slot takes another watt, and returns the total, W. load is
// left as it was.
func fillRack(load *BudgetLoad, probes []Probe, ws []float64) float64 {
	total := 0.0
	type add struct {
		i int
		w float64
	}
	var adds []add
	cur := slices.Clone(ws)
	for iter := 0; iter <= 4*len(probes)+8; iter++ {
		best := -1
		for i := range probes {
			if best < 0 || cur[i] > cur[best] {
				best = i
			}
		}
		if best < 0 || cur[best] < 1e-6 || math.IsInf(cur[best], 0) {
			if best >= 0 && math.IsInf(cur[best], 0) {
				total = math.Inf(1)
			}
			break
		}
		load.AddProbe(probes[best], cur[best])
		adds = append(adds, add{best, cur[best]})
		total += cur[best]
		for i := range probes {
			cur[i], _ = load.MaxProbe(probes[i])
		}
	}
	for i := len(adds) - 1; i >= 0; i-- {
		load.AddProbe(probes[adds[i].i], -adds[i].w)
	}
	return total
}

// fitCap bounds the devices fitRack counts in one rack.
const fitCap = 10000

// fitRack counts how many devices of model dm (drawing w each) fit in
// rack r alone, placed one by one on the slot that keeps the rack's
// elements least loaded, and says what stops the next; ws holds each
// slot's MaxProbe on load, W. It returns -1, "unlimited" when the rack
// has no u and a slot with nothing rated above it (ws +Inf), and fitCap+1, "count cap" when more than fitCap fit. load is left
// as it was.
func fitRack(m *topology.Model, load *BudgetLoad, probes []Probe, ws []float64, slots []Slot, w float64, dm *topology.DeviceModel, r, usedU int) (int, string) {
	if len(slots) == 0 {
		return 0, "no feed"
	}
	if m.Racks[r].U <= 0 && slices.ContainsFunc(ws, func(x float64) bool { return math.IsInf(x, 1) }) {
		return -1, "unlimited"
	}
	u := max(1, dm.UHeight)
	var added []int
	why := "power"
	var scratch, best []float64
	for {
		if rk := m.Racks[r].U; rk > 0 && usedU+u*(len(added)+1) > rk {
			why = "units"
			break
		}
		bi := -1
		for i := range probes {
			if ok, _ := load.FitsProbe(probes[i], w); !ok {
				continue
			}
			scratch = sortDesc(load.ProbeRatios(scratch[:0], probes[i], w))
			if bi < 0 || lexLess(scratch, best) {
				bi, best = i, append(best[:0], scratch...)
			}
		}
		if bi < 0 {
			break
		}
		load.AddProbe(probes[bi], w)
		added = append(added, bi)
		if len(added) > fitCap {
			why = "count cap"
			break
		}
	}
	for _, i := range added {
		load.AddProbe(probes[i], -w)
	}
	return len(added), why
}

// sortDesc sorts v in decreasing order and returns it.
func sortDesc(v []float64) []float64 {
	slices.SortFunc(v, func(a, b float64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	return v
}

// lexLess compares two decreasing ratio vectors, worst first, with a
// tolerance that treats rounding noise as equal.
func lexLess(a, b []float64) bool {
	for i := range min(len(a), len(b)) {
		if a[i] < b[i]-1e-9 {
			return true
		}
		if a[i] > b[i]+1e-9 {
			return false
		}
	}
	return len(a) < len(b)
}
