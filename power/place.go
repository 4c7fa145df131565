package power

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"blackstart/topology"
)

// PlaceObjective states what Place optimises, as printed in its report.
const PlaceObjective = "every device on a slot where the site stays N-1-safe (budget), the largest draws first; " +
	"each on the slot that leaves the lowest failover load over limit on the elements it reaches, worst first " +
	"(minimises the worst failover load, then levels the lines of three-phase elements), then the lowest rack"

// PlaceRequest asks for Count new devices of device model Model.
type PlaceRequest struct {
	Model string // device model id, in the model's catalogue
	Count int    // devices to place, >= 1; -1 places as many as fit
}

// PlaceOptions say what to place and where.
type PlaceOptions struct {
	Add   []PlaceRequest
	Racks []string // rack ids the new devices may go to; empty: any rack
	// Verify runs the full N-1 sweep before and after and compares them.
	Verify bool
	// Progress, when set, is called from the calling goroutine in two
	// phases. First, when every request has a count (none is -1), with
	// the devices decided (placed, or found not to fit) and the devices
	// requested, after each one. Then, with Verify, with the
	// verification sweep's scenarios done and its total
	// (SweepOptions.Progress). Within a phase done rises monotonically
	// to the phase's total. It never changes the placement.
	Progress   func(done, total int)
	skipVerify bool
}

// PlacedDevice is one new device and where it goes.
type PlacedDevice struct {
	Device string   `json:"device"` // new id, "MODEL-new-N"
	Model  string   `json:"model"`
	Rack   string   `json:"rack"`
	Feeds  []string `json:"feeds"`  // per PSU: the bank, rack PDU or element it plugs into
	DrawW  float64  `json:"draw_w"` // its draw on the basis, W
}

// Unplaced counts requested devices that found no N-1-safe slot.
type Unplaced struct {
	Model  string `json:"model"`
	Count  int    `json:"count"`
	Reason string `json:"reason"`
}

// ElementChange is one limited element's failover-case load before and
// after a placement.
type ElementChange struct {
	Element string  `json:"element"`
	Kind    string  `json:"kind"`
	BeforeA float64 `json:"before_a"` // worst line current in its failover case before, A
	AfterA  float64 `json:"after_a"`  // and after, A
	LimitA  float64 `json:"limit_a"`  // continuous_limit × In (UPS/source: current at its rating), A
	// BeforePct and AfterPct are the load over the limit, percent.
	BeforePct float64 `json:"before_pct"`
	AfterPct  float64 `json:"after_pct"`
	// ImbalanceBeforePct and ImbalanceAfterPct are, on a three-phase
	// element, the largest deviation of a line current from the mean of
	// the three, percent of the mean (NEMA MG 1); null on single-phase.
	ImbalanceBeforePct *float64 `json:"imbalance_before_pct"`
	ImbalanceAfterPct  *float64 `json:"imbalance_after_pct"`
}

// RackChange is what a placement does to one rack.
type RackChange struct {
	Rack     string          `json:"rack"`
	Added    []string        `json:"added"`
	Elements []ElementChange `json:"elements"` // the rack's limited elements and those above, in topological order
}

// PlaceVerification compares the full N-1 sweep before and after.
type PlaceVerification struct {
	Scenarios int `json:"scenarios"` // single failures simulated after
	// OutcomeBefore is the worst outcome, before, of the failures that are
	// not ok after (the only ones that can end worse; the failures ok after
	// are not run before).
	OutcomeBefore string   `json:"outcome_before"`
	OutcomeAfter  string   `json:"outcome_after"` // and after
	Worse         []string `json:"worse"`         // failures whose outcome is worse after
	OK            bool     `json:"ok"`            // no failure ends worse
}

// Placement is where new devices go and what it does.
type Placement struct {
	Basis       string             `json:"basis"`
	Objective   string             `json:"objective"`
	Placed      []PlacedDevice     `json:"placed"`
	Unplaced    []Unplaced         `json:"unplaced"`
	WorstBefore Binding            `json:"worst_before"` // the most loaded element in its failover case before
	WorstAfter  Binding            `json:"worst_after"`  // and after
	Racks       []RackChange       `json:"racks"`
	Verify      *PlaceVerification `json:"verify"` // null unless asked

	model *topology.Model // the model with the new devices
}

// Model returns the model with the placed devices added.
func (p *Placement) Model() *topology.Model { return p.model }

// TOML returns the placed devices as model text that merges with the
// model they were placed on (load both files together).
func (p *Placement) TOML() []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# New devices placed by `blackstart power place` (basis %s).\n", p.Basis)
	sb.WriteString("# Load this file together with the model it was computed for.\n")
	for _, d := range p.Placed {
		fmt.Fprintf(&sb, "\n[[device]]\nid = %s\nrack = %s\nmodel = %s\nfeeds = [", strconv.Quote(d.Device), strconv.Quote(d.Rack), strconv.Quote(d.Model))
		for i, f := range d.Feeds {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(strconv.Quote(f))
		}
		fmt.Fprintf(&sb, "]    # %.0f W\n", d.DrawW)
	}
	return []byte(sb.String())
}

// slotItem is a candidate slot in the lazy greedy's heap.
type slotItem struct {
	i   int       // index into the candidate slots
	key []float64 // its last computed key (a lower bound of the current one)
}

type slotHeap []slotItem

func (h slotHeap) Len() int { return len(h) }
func (h slotHeap) Less(a, b int) bool {
	if lexLess(h[a].key, h[b].key) {
		return true
	}
	if lexLess(h[b].key, h[a].key) {
		return false
	}
	return h[a].i < h[b].i
}
func (h slotHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *slotHeap) Push(x any)   { *h = append(*h, x.(slotItem)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// keyLen is how many of the worst ratios a slot's key compares.
const keyLen = 6

// slotKey returns the ratios, worst first, of the budgeted elements p
// reaches with w more, leaving out those every candidate reaches (they
// do not tell candidates apart).
func slotKey(dst []float64, load *BudgetLoad, p Probe, w float64, universal []bool) []float64 {
	dst = dst[:0]
	for _, t := range p.terms {
		if universal[t.g] {
			continue
		}
		k := complex(w, 0)
		r, _, _ := load.ratio(t.g, phasors{t.unit[0] * k, t.unit[1] * k, t.unit[2] * k}, w, w*t.q)
		dst = append(dst, r)
	}
	dst = sortDesc(dst)
	return dst[:min(len(dst), keyLen)]
}

// Place chooses racks, banks and lines for new devices so the site stays
// N-1-safe by the budget's rule, by the stated objective (PlaceObjective):
// a lazy greedy over every slot of every allowed rack, which respects rack
// units. With o.Verify it runs the full sweep before and after.
func Place(n *Network, o PlaceOptions) (Placement, error) {
	m := n.M
	p := Placement{Basis: n.Basis.String(), Objective: PlaceObjective, Placed: []PlacedDevice{}, Unplaced: []Unplaced{}, Racks: []RackChange{}}
	allowed := make([]bool, len(m.Racks))
	if len(o.Racks) == 0 {
		for r := range allowed {
			allowed[r] = true
		}
	}
	for _, id := range o.Racks {
		r, ok := m.RackIndex(id)
		if !ok {
			return p, fmt.Errorf("--rack %q: no such rack in the model", id)
		}
		allowed[r] = true
	}
	type req struct {
		dm    int
		count int
		w     float64
	}
	var reqs []req
	requested := 0 // devices asked for; -1 when a request places as many as fit
	for _, a := range o.Add {
		k := slices.IndexFunc(m.DeviceModels, func(x topology.DeviceModel) bool { return x.ID == a.Model })
		if k < 0 {
			return p, fmt.Errorf("--add %s=%d: no device model %q in the model", a.Model, a.Count, a.Model)
		}
		if a.Count == 0 || a.Count < -1 {
			return p, fmt.Errorf("--add %s=%d: the count must be at least 1", a.Model, a.Count)
		}
		reqs = append(reqs, req{k, a.Count, modelDraw(m, k, n.Basis)})
		if a.Count < 0 || requested < 0 {
			requested = -1
		} else {
			requested += a.Count
		}
	}
	decided := 0 // devices placed or found not to fit, for o.Progress
	// tick counts k >= 1 more decided: one placed, or a request's unplaced
	// rest; with a request for as many as fit (requested -1) there is no
	// total and no progress.
	tick := func(k int) {
		if o.Progress != nil && requested > 0 {
			decided += k
			o.Progress(decided, requested)
		}
	}
	slices.SortStableFunc(reqs, func(a, b req) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
	b := NewBudget(n)
	pr := b.NewProber()
	load := b.Load(n.DrawW)
	p.WorstBefore = load.Worst()
	before := load.Clone()
	sides := rackSides(m)
	used := rackUnits(m)
	nextID := map[string]int{}
	var newDevs []topology.Device
	touched := map[int]bool{}
	type pick struct{ rq, slot int }
	var picks []pick
	reqSlots := make([][]Slot, len(reqs))
	reqProbes := make([][]Probe, len(reqs))
	for ri, rq := range reqs {
		dm := &m.DeviceModels[rq.dm]
		var slots []Slot
		for r := range m.Racks {
			if allowed[r] {
				slots = append(slots, slotsOf(r, sides[r], dm.PSUs)...)
			}
		}
		probes := make([]Probe, len(slots))
		// An element every slot reaches the same way (same lines, same
		// angles: a single-phase UPS above everything) cannot tell slots
		// apart: it stays out of the keys, though every add is checked
		// against it. (With one slot, that is every element it reaches:
		// its key is empty, and the slot is taken while it fits.)
		reach := make([]int, len(b.elems))
		unit := make([]phasors, len(b.elems))
		same := make([]bool, len(b.elems))
		for i, s := range slots {
			probes[i] = pr.Probe(s.Feeds, devicePF(m, dm, s.Feeds[0]))
			for _, t := range probes[i].terms {
				if reach[t.g] == 0 {
					unit[t.g], same[t.g] = t.unit, true
				} else if !samePhasors(unit[t.g], t.unit) {
					same[t.g] = false
				}
				reach[t.g]++
			}
		}
		if rq.count < 0 {
			// As many as fit: unbounded when a slot has nothing rated
			// above it in a rack without u.
			for i, s := range slots {
				if m.Racks[s.Rack].U > 0 {
					continue
				}
				if w, _ := load.MaxProbe(probes[i]); math.IsInf(w, 1) {
					return p, fmt.Errorf("as many %s as fit: no bound, rack %q has no u and nothing rated above its feed point %s", dm.ID, m.Racks[s.Rack].ID, m.Elements[s.Feeds[0]].ID)
				}
			}
		}
		universal := make([]bool, len(b.elems))
		for g := range reach {
			universal[g] = reach[g] == len(slots) && same[g]
		}
		h := make(slotHeap, 0, len(slots))
		for i := range slots {
			h = append(h, slotItem{i: i, key: slotKey(nil, load, probes[i], rq.w, universal)})
		}
		heap.Init(&h)
		u := max(1, dm.UHeight)
		placed := 0
		reason := ""
		var fresh []float64
		for rq.count < 0 || placed < rq.count {
			if h.Len() == 0 {
				break
			}
			top := heap.Pop(&h).(slotItem)
			s := slots[top.i]
			if rk := m.Racks[s.Rack].U; rk > 0 && used[s.Rack]+u > rk {
				reason = "rack units"
				continue // this rack is full for this model
			}
			if ok, bind := load.FitsProbe(probes[top.i], rq.w); !ok {
				reason = "power: " + bind.String()
				continue // loads only grow: this slot stays out
			}
			fresh = slotKey(fresh, load, probes[top.i], rq.w, universal)
			if h.Len() > 0 && lexLess(h[0].key, fresh) {
				heap.Push(&h, slotItem{i: top.i, key: slices.Clone(fresh)})
				continue
			}
			load.AddProbe(probes[top.i], rq.w)
			used[s.Rack] += u
			placed++
			tick(1)
			picks = append(picks, pick{ri, top.i})
			heap.Push(&h, slotItem{i: top.i, key: slices.Clone(fresh)})
		}
		reqSlots[ri], reqProbes[ri] = slots, probes
		if rq.count > 0 && placed < rq.count {
			if reason == "" {
				reason = "no feed point in the allowed racks"
			}
			p.Unplaced = append(p.Unplaced, Unplaced{Model: dm.ID, Count: rq.count - placed, Reason: reason})
			tick(rq.count - placed)
		}
	}
	// Local search: move a new device off the most loaded element while
	// that lowers it and every element the device reaches elsewhere stays
	// below it; each move leaves fewer elements at the worst load.
	var ratios, dest []float64
	for iter := 0; iter < 4*len(picks)+16; iter++ {
		ratios = load.Ratios(ratios[:0])
		if len(ratios) == 0 {
			break
		}
		worst := slices.Max(ratios)
		moved := false
		for pi := range picks {
			pk := &picks[pi]
			rq, pr := reqs[pk.rq], reqProbes[pk.rq]
			onWorst := false
			for _, t := range pr[pk.slot].terms {
				if ratios[t.g] >= worst-1e-9 {
					onWorst = true
					break
				}
			}
			if !onWorst {
				continue
			}
			load.AddProbe(pr[pk.slot], -rq.w)
			from := reqSlots[pk.rq][pk.slot]
			u := max(1, m.DeviceModels[rq.dm].UHeight)
			used[from.Rack] -= u
			for si := range pr {
				s := reqSlots[pk.rq][si]
				if si == pk.slot || m.Racks[s.Rack].U > 0 && used[s.Rack]+u > m.Racks[s.Rack].U {
					continue
				}
				dest = load.ProbeRatios(dest[:0], pr[si], rq.w)
				if slices.Max(dest) < worst-1e-9 {
					pk.slot, moved = si, true
					break
				}
			}
			// Swap with a new device of another model on another slot.
			for qj := range picks {
				if moved {
					break
				}
				qk := &picks[qj]
				if qk.rq == pk.rq || qj == pi {
					continue
				}
				rq2, pr2 := reqs[qk.rq], reqProbes[qk.rq]
				si := slices.IndexFunc(reqSlots[pk.rq], func(x Slot) bool { return slices.Equal(x.Feeds, reqSlots[qk.rq][qk.slot].Feeds) })
				sj := slices.IndexFunc(reqSlots[qk.rq], func(x Slot) bool { return slices.Equal(x.Feeds, reqSlots[pk.rq][pk.slot].Feeds) })
				if si < 0 || sj < 0 || si == pk.slot {
					continue
				}
				u2 := max(1, m.DeviceModels[rq2.dm].UHeight)
				ri, rj := reqSlots[pk.rq][si].Rack, reqSlots[qk.rq][sj].Rack
				if u2 != u && (m.Racks[ri].U > 0 || m.Racks[rj].U > 0) {
					continue
				}
				load.AddProbe(pr2[qk.slot], -rq2.w)
				load.AddProbe(pr2[sj], rq2.w)
				dest = load.ProbeRatios(dest[:0], pr[si], rq.w)
				ok := slices.Max(dest) < worst-1e-9
				if ok {
					dest = load.ProbeRatios(dest[:0], pr2[sj], 0)
					ok = slices.Max(dest) < worst-1e-9
				}
				if ok {
					pk.slot, qk.slot, moved = si, sj, true
					used[ri] -= u2 // the other device leaves the rack this one goes to
					used[rj] += u2
				} else {
					load.AddProbe(pr2[sj], -rq2.w)
					load.AddProbe(pr2[qk.slot], rq2.w)
				}
			}
			used[reqSlots[pk.rq][pk.slot].Rack] += u
			load.AddProbe(pr[pk.slot], rq.w)
			if moved {
				break
			}
		}
		if !moved {
			break
		}
	}
	for _, pk := range picks {
		rq, dm := reqs[pk.rq], &m.DeviceModels[reqs[pk.rq].dm]
		s := reqSlots[pk.rq][pk.slot]
		id := newDeviceID(m, dm.ID, nextID)
		pd := PlacedDevice{Device: id, Model: dm.ID, Rack: m.Racks[s.Rack].ID, DrawW: rq.w}
		for _, f := range s.Feeds {
			pd.Feeds = append(pd.Feeds, m.Elements[f].ID)
		}
		p.Placed = append(p.Placed, pd)
		newDevs = append(newDevs, topology.Device{ID: id, Rack: int32(s.Rack), Model: int32(rq.dm), Feeds: slices.Clone(s.Feeds),
			RAMGiB: dm.RAMGiB, CPUCores: dm.CPUCores, GPUs: dm.GPUs, GPUType: dm.GPUType, StartConcurrency: dm.StartConcurrency})
		touched[s.Rack] = true
	}
	p.WorstAfter = load.Worst()
	m2, err := m.WithDevices(newDevs)
	if err != nil {
		return p, err
	}
	p.model = m2
	p.Racks = rackChanges(m, b, before, load, sides, touched, p.Placed)
	if o.Verify && !o.skipVerify {
		v := verifySweep(n, NewNetwork(m2, n.Basis), o.Progress)
		p.Verify = &v
	}
	return p, nil
}

// newDeviceID returns the next free id "MODEL-new-N".
func newDeviceID(m *topology.Model, model string, next map[string]int) string {
	for {
		next[model]++
		id := model + "-new-" + strconv.Itoa(next[model])
		if _, taken := m.DeviceIndex(id); !taken {
			if _, isElem := m.ElementIndex(id); !isElem {
				return id
			}
		}
	}
}

// imbalancePct returns the largest deviation of a line current from the
// mean of the three, percent of the mean; nil when not three-phase or
// unloaded.
func imbalancePct(el *topology.Element, lc [3]float64) *float64 {
	if el.Phases != 3 || el.RatingA == 0 {
		return nil
	}
	mean := (lc[0] + lc[1] + lc[2]) / 3
	if mean < 1e-9 {
		return nil
	}
	d := 0.0
	for _, c := range lc {
		d = max(d, math.Abs(c-mean))
	}
	v := round(100*d/mean, 1)
	return &v
}

// rackChanges lists, per touched rack, its limited elements and those
// above its feed points, before and after.
func rackChanges(m *topology.Model, b *Budget, before, after *BudgetLoad, sides [][][]int32, touched map[int]bool, placed []PlacedDevice) []RackChange {
	out := []RackChange{}
	for r := range m.Racks {
		if !touched[r] {
			continue
		}
		rc := RackChange{Rack: m.Racks[r].ID}
		for _, d := range placed {
			if d.Rack == m.Racks[r].ID {
				rc.Added = append(rc.Added, d.Device)
			}
		}
		seen := map[int]bool{}
		var elems []int
		for _, pts := range sides[r] {
			for _, f := range pts {
				for _, e := range b.Elements(b.Probe([]int32{f}, 1)) {
					if !seen[e] {
						seen[e] = true
						elems = append(elems, e)
					}
				}
			}
		}
		slices.Sort(elems)
		for _, e := range elems {
			el := &m.Elements[e]
			g := b.index[e]
			r0, a0, lim := before.ratio(g, phasors{}, 0, 0)
			r1, a1, lim1 := after.ratio(g, phasors{}, 0, 0)
			if lim == 0 {
				lim = lim1
			}
			lc0, _ := before.LineCurrents(e)
			lc1, _ := after.LineCurrents(e)
			rc.Elements = append(rc.Elements, ElementChange{Element: el.ID, Kind: el.Kind.String(), BeforeA: r3(a0), AfterA: r3(a1), LimitA: r3(lim),
				BeforePct: round(100*r0, 2), AfterPct: round(100*r1, 2), ImbalanceBeforePct: imbalancePct(el, lc0), ImbalanceAfterPct: imbalancePct(el, lc1)})
		}
		out = append(out, rc)
	}
	return out
}

// verifySweep runs the full N-1 sweep on the network after a change and
// lists the failures that end worse than before (a new PSU's fault is
// compared with the failure of the element it opens). Only a failure that
// is not ok after can end worse: those, and only those, are run on the
// network before (as the sweep runs them).
func verifySweep(before, after *Network, progress func(done, total int)) PlaceVerification {
	type risk struct {
		name string
		out  Verdict
	}
	var risks []risk
	var fs []failure // before: the failure each risk is compared with, elem -2 when none
	worstA := OK
	sa := after.Sweep(SweepOptions{Progress: progress, Keep: func(*Scenario) bool { return false }, each: func(f failure, sc *Scenario) {
		worstA = max(worstA, sc.Outcome)
		if sc.Outcome == OK {
			return
		}
		risks = append(risks, risk{strings.Join(sc.Failed, "+"), sc.Outcome})
		switch {
		case f.psu < 0 || f.dev < len(before.M.Devices):
			fs = append(fs, f)
		case sc.SameAs != "":
			fs = append(fs, failure{elem: int(after.FaultTarget(f.dev, f.psu)), psu: -1})
		default:
			fs = append(fs, failure{elem: -2}) // a new PSU whose feed survives: nothing before
		}
	}})
	var run []failure
	var at []int
	for i, f := range fs {
		if f.elem != -2 {
			run = append(run, f)
			at = append(at, i)
		}
	}
	prev := make([]Verdict, len(fs)) // OK where nothing compares
	for j, v := range before.outcomes(run) {
		prev[at[j]] = v
	}
	v := PlaceVerification{Scenarios: sa.Summary.Scenarios, Worse: []string{}}
	worstB := OK
	for i, r := range risks {
		worstB = max(worstB, prev[i])
		if r.out > prev[i] {
			v.Worse = append(v.Worse, fmt.Sprintf("%s: %s (was %s)", r.name, r.out, prev[i]))
		}
	}
	slices.Sort(v.Worse)
	v.OutcomeBefore, v.OutcomeAfter, v.OK = worstB.String(), worstA.String(), len(v.Worse) == 0
	return v
}
