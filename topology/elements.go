package topology

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/topo"
)

// keysFor lists the keys each element kind accepts besides id and name.
var keysFor = map[Kind]string{
	KindSource:  "type voltage_v phases wiring power_factor capacity_kva capacity_kw",
	KindUPS:     "input voltage_v phases wiring line power_factor capacity_kva capacity_kw overload",
	KindPanel:   "input voltage_v phases wiring line power_factor rating_a continuous_limit neutral_rating_a",
	KindBreaker: "input phases line power_factor standard curve rating_a continuous_limit poles instantaneous_x neutral_rating_a",
	KindCircuit: "input voltage_v phases wiring line power_factor rating_a continuous_limit neutral_rating_a",
	KindATS:     "inputs preferred transfer_ms voltage_v phases power_factor rating_a continuous_limit",
	KindRackPDU: "input inputs preferred transfer_ms rack voltage_v phases line power_factor rating_a continuous_limit standard curve poles instantaneous_x neutral_rating_a bank",
}

// allowedKeys is keysFor as sets, built once by init and only read afterwards.
var allowedKeys = map[Kind]map[string]bool{}

func init() {
	for k, s := range keysFor {
		set := map[string]bool{"id": true, "name": true}
		for _, f := range strings.Fields(s) {
			set[f] = true
		}
		allowedKeys[k] = set
	}
}

// checkKeys reports keys written on an element that its kind does not use.
func (b *builder) checkKeys(r *rawElement, kind Kind, a at, id string) {
	v := reflect.ValueOf(r).Elem()
	t := v.Type()
	allowed := allowedKeys[kind]
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		if f.IsNil() {
			continue
		}
		tag := t.Field(i).Tag.Get("toml")
		if !allowed[tag] {
			b.errorf(a, tag, id, "key %q does not apply to a %s", tag, kindWords[kind])
		}
	}
}

var kindWords = [...]string{"source", "UPS", "panel", "breaker", "circuit", "transfer switch", "rack PDU", "bank"}

func (b *builder) elements() {
	sections := []struct {
		kind Kind
		name string
		get  func(*rawFile) []rawElement
	}{
		{KindSource, "source", func(f *rawFile) []rawElement { return f.Source }},
		{KindUPS, "ups", func(f *rawFile) []rawElement { return f.UPS }},
		{KindPanel, "panel", func(f *rawFile) []rawElement { return f.Panel }},
		{KindBreaker, "breaker", func(f *rawFile) []rawElement { return f.Breaker }},
		{KindCircuit, "circuit", func(f *rawFile) []rawElement { return f.Circuit }},
		{KindATS, "ats", func(f *rawFile) []rawElement { return f.ATS }},
		{KindRackPDU, "rack_pdu", func(f *rawFile) []rawElement { return f.RackPDU }},
	}
	for _, f := range b.files {
		for _, sec := range sections {
			list := sec.get(f.raw)
			for i := range list {
				r := &list[i]
				a := at{f.ix, fmt.Sprintf("%s[%d]", sec.name, i)}
				id, ok := b.checkID(r.ID, a, kindWords[sec.kind])
				if !ok {
					continue
				}
				b.checkKeys(r, sec.kind, a, id)
				pdu := b.addElement(Element{ID: id, Kind: sec.kind, Rack: -1}, elemSrc{raw: r, at: a})
				for j := range r.Bank {
					bk := &r.Bank[j]
					ba := at{f.ix, fmt.Sprintf("%s.bank[%d]", a.path, j)}
					bid, ok := b.checkID(bk.ID, ba, "bank")
					if !ok {
						continue
					}
					if pdu < 0 { // the rack PDU's id is in error: its banks are unknown
						b.incomplete[tabElement] = true
						continue
					}
					b.addElement(Element{ID: bid, Kind: KindBank, Rack: -1, Inputs: []int32{pdu}}, elemSrc{bank: bk, at: ba})
				}
			}
		}
	}
	b.linkInputs()
	// On a cycle the elements stay in definition order: an element whose
	// supply comes later finds it unresolved and inherits nothing, but its
	// own keys are still checked.
	b.sortElements()
	for i := range b.m.Elements {
		b.resolveElement(i)
	}
}

func (b *builder) addElement(e Element, src elemSrc) int32 {
	idx := int32(len(b.m.Elements))
	e.Pos = src.at.pos("")
	if !b.register(e.ID, ref{tabElement, idx}, src.at, kindWords[e.Kind]) {
		return -1
	}
	if src.raw != nil && src.raw.Name != nil {
		e.Name = *src.raw.Name
	}
	b.m.Elements = append(b.m.Elements, e)
	b.elemRaw = append(b.elemRaw, src)
	return idx
}

// linkInputs resolves input/inputs ids to indices.
func (b *builder) linkInputs() {
	for i := range b.m.Elements {
		e := &b.m.Elements[i]
		src := b.elemRaw[i]
		r := src.raw
		if r == nil { // bank: linked at creation
			continue
		}
		a := src.at
		var ids []string
		key := "input"
		switch {
		case r.Input != nil && len(r.Inputs) > 0:
			b.errorf(a, "inputs", e.ID, "give either input or inputs, not both")
			continue
		case r.Input != nil:
			ids = []string{*r.Input}
		case r.Inputs != nil:
			ids, key = r.Inputs, "inputs"
		case a.rejected("input") || a.rejected("inputs"):
			continue // the decoder reported the value
		}
		switch e.Kind {
		case KindSource:
			continue // checkKeys already reported an input
		case KindATS:
			if len(ids) != 2 || key != "inputs" {
				b.errorf(a, key, e.ID, "a transfer switch needs inputs = [two ids], got %d", len(ids))
				continue
			}
		case KindRackPDU:
			if len(ids) == 0 || len(ids) > 2 {
				b.errorf(a, key, e.ID, "a rack PDU needs input = \"id\" or inputs = [two ids]")
				continue
			}
		default:
			if len(ids) == 0 {
				b.errorf(a, "", e.ID, "%s %q has no input", kindWords[e.Kind], e.ID)
				continue
			}
		}
		for k, in := range ids {
			ik := key
			if key == "inputs" {
				ik = fmt.Sprintf("inputs[%d]", k)
			}
			if in == e.ID {
				b.errorf(a, ik, e.ID, "%s %q lists itself as its input", kindWords[e.Kind], e.ID)
				continue
			}
			j, ok := b.resolve(in, tabElement, a, ik, e.ID, "input")
			if !ok {
				continue
			}
			if b.m.Elements[j].Kind == KindBank {
				b.errorf(a, ik, e.ID, "input %q is a rack PDU bank, which feeds only devices", in)
				continue
			}
			e.Inputs = append(e.Inputs, j)
		}
		if len(e.Inputs) == 2 && e.Inputs[0] == e.Inputs[1] {
			b.errorf(a, key, e.ID, "both inputs are %q: a transfer switch needs two different inputs", ids[0])
		}
		if r.Preferred != nil {
			switch {
			case len(ids) < 2:
				b.errorf(a, "preferred", e.ID, "preferred applies only with two inputs")
			case *r.Preferred == ids[0]:
			case *r.Preferred == ids[1]:
				if len(e.Inputs) == 2 { // else an input is in error and Inputs is shorter
					e.Preferred = 1
				}
			default:
				b.errorf(a, "preferred", e.ID, "preferred %q is not one of the inputs %q", *r.Preferred, ids)
			}
		}
		if r.TransferMS != nil {
			e.TransferMS = b.nonNegative(a, "transfer_ms", e.ID, r.TransferMS, "ms")
		}
	}
}

// sortElements orders the elements topologically (gonum's Tarjan-based sort,
// ties broken by definition order) and reports each cycle.
func (b *builder) sortElements() bool {
	g := newIDGraph(len(b.m.Elements))
	for i, e := range b.m.Elements {
		for _, in := range e.Inputs {
			if in != int32(i) {
				g.addEdge(in, int32(i))
			}
		}
	}
	order, err := topo.SortStabilized(g, byID)
	if err != nil {
		if cycles, ok := err.(topo.Unorderable); ok {
			for _, c := range cycles {
				b.cycleError(c, func(i int64) (string, at) { return b.m.Elements[i].ID, b.elemRaw[i].at }, "power graph", "input")
			}
			return false
		}
		b.errs = append(b.errs, &Error{Msg: "power graph: " + err.Error()})
		return false
	}
	newIdx := make([]int32, len(order))
	for pos, n := range order {
		newIdx[n.ID()] = int32(pos)
	}
	els := make([]Element, len(order))
	srcs := make([]elemSrc, len(order))
	for pos, n := range order {
		els[pos] = b.m.Elements[n.ID()]
		srcs[pos] = b.elemRaw[n.ID()]
		for k, in := range els[pos].Inputs {
			els[pos].Inputs[k] = newIdx[in]
		}
		b.m.ids[els[pos].ID] = ref{tabElement, int32(pos)}
	}
	b.m.Elements, b.elemRaw = els, srcs
	return true
}

func byID(nodes []graph.Node) {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID() < nodes[j].ID() })
}

// cycleError reports one strongly connected component as a cycle, at the
// position of its first member in definition order.
func (b *builder) cycleError(c []graph.Node, info func(int64) (string, at), what, key string) {
	ids := make([]int64, len(c))
	for i, n := range c {
		ids[i] = n.ID()
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i], _ = info(id)
	}
	first, a := info(ids[0])
	b.errorf(a, key, first, "%s has a cycle through %s", what, strings.Join(quoteAll(names), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

var lineByName = map[string]Line{
	"L1": LineL1, "L2": LineL2, "L3": LineL3,
	"L1-L2": LineL1L2, "L2-L3": LineL2L3, "L3-L1": LineL3L1,
	"L1-L2-L3": LineAll,
}

// resolveElement settles voltage, phases, wiring, line, power factor and
// protection of element i. The checks that do not depend on the supply run
// even when the supply is in error, so that every mistake is reported.
func (b *builder) resolveElement(i int) {
	e := &b.m.Elements[i]
	src := b.elemRaw[i]
	a := src.at
	r := src.raw
	if r == nil {
		r = bankAsElement(src.bank)
	}
	id := e.ID
	supplied := b.inherit(i, r)
	if r.PowerFactor != nil && b.fraction(a, "power_factor", id, *r.PowerFactor) {
		e.PowerFactor = *r.PowerFactor
	}
	if supplied && e.Kind == KindBank && e.Phases == 3 && src.bank.Line == nil && !a.rejected("line") {
		b.errorf(a, "", id, "bank %q of a three-phase rack PDU must say its line (L1, L2, L3, L1-L2, L2-L3 or L3-L1)", id)
	}

	b.capacity(e, r, a)
	b.protection(e, r, a)
	if e.Kind == KindRackPDU {
		if r.Rack == nil {
			if !a.rejected("rack") {
				b.errorf(a, "", id, "rack PDU %q must name its rack", id)
			}
		} else if k, ok := b.resolve(*r.Rack, tabRack, a, "rack", id, "rack"); ok {
			e.Rack = k
		}
	}
	if e.Kind == KindBank {
		e.Rack = b.m.Elements[e.Inputs[0]].Rack
	}
}

// inherit settles voltage, phases, wiring and line of element i from its
// written keys and its supply. It reports false when it could not: the
// element has no resolved input (already reported), its supply is in error
// or not resolved yet (when the graph has a cycle), or its line is wrong.
func (b *builder) inherit(i int, r *rawElement) bool {
	e := &b.m.Elements[i]
	a := b.elemRaw[i].at
	id := e.ID

	var phasesW, wiringW, lineW = r.Phases, r.Wiring, r.Line
	if phasesW != nil && *phasesW != 1 && *phasesW != 3 {
		b.errorf(a, "phases", id, "phases must be 1 or 3, got %d", *phasesW)
		phasesW = nil
	}
	var wiring Wiring
	if wiringW != nil {
		switch *wiringW {
		case "wye":
			wiring = WiringWye
		case "delta":
			wiring = WiringDelta
		default:
			b.errorf(a, "wiring", id, "wiring must be \"wye\" or \"delta\", got %q", *wiringW)
			wiringW = nil
		}
	}

	if e.Kind == KindSource {
		e.Type = "utility"
		if r.Type != nil {
			if *r.Type != "utility" && *r.Type != "generator" {
				b.errorf(a, "type", id, "source type must be \"utility\" or \"generator\", got %q", *r.Type)
			}
			e.Type = *r.Type
		}
		if r.VoltageV == nil {
			if !a.rejected("voltage_v") {
				b.errorf(a, "", id, "source %q needs voltage_v", id)
			}
		} else {
			e.VoltageV = b.positive(a, "voltage_v", id, r.VoltageV, "V")
		}
		e.Phases = 1
		if phasesW != nil {
			e.Phases = *phasesW
		}
		b.setWiring(e, a, wiringW != nil, wiring)
		e.PowerFactor = b.m.Site.PowerFactor
	} else if len(e.Inputs) > 0 {
		sup := &b.m.Elements[e.Inputs[e.Preferred]]
		if sup.VoltageV == 0 {
			return false // the supply is already in error
		}
		e.PowerFactor = sup.PowerFactor
		transforms := (e.Kind == KindUPS || e.Kind == KindPanel) && r.VoltageV != nil
		switch {
		case transforms:
			e.VoltageV = b.positive(a, "voltage_v", id, r.VoltageV, "V")
			e.Phases = sup.Phases
			if phasesW != nil {
				e.Phases = *phasesW
			}
			b.setWiring(e, a, wiringW != nil, wiring)
			if lineW != nil {
				b.errorf(a, "line", id, "line does not apply to a %s that sets its own voltage_v", kindWords[e.Kind])
			}
			if e.Phases == 1 && sup.Phases == 3 {
				// Its load would sit on one or two lines of the supply; which
				// ones is not modelled, and spreading it over three is wrong.
				b.errorf(a, "phases", id, "a single-phase %s on three-phase supply %q is not supported: feed it through a single-phase branch (with its line)", kindWords[e.Kind], sup.ID)
			}
		case lineW != nil:
			ln, ok := lineByName[*lineW]
			if !ok {
				b.errorf(a, "line", id, "line must be L1, L2, L3, L1-L2, L2-L3, L3-L1 or L1-L2-L3, got %q", *lineW)
				return false
			}
			if sup.Phases != 3 {
				b.errorf(a, "line", id, "line %s needs a three-phase supply, but %q is single-phase", *lineW, sup.ID)
				return false
			}
			e.Line = ln
			switch {
			case ln == LineAll:
				e.Phases, e.VoltageV, e.Wiring = 3, sup.VoltageV, sup.Wiring
			case ln.LineToLine():
				e.Phases, e.VoltageV = 1, sup.VoltageV
			default:
				if sup.Wiring == WiringDelta {
					b.errorf(a, "line", id, "line-to-neutral connection %s on delta supply %q, which has no neutral", *lineW, sup.ID)
					return false
				}
				e.Phases, e.VoltageV = 1, sup.VoltageV/sqrt3()
			}
			if phasesW != nil && *phasesW != e.Phases {
				b.errorf(a, "phases", id, "phases = %d contradicts line %s", *phasesW, *lineW)
			}
		case sup.Phases == 3:
			if phasesW != nil && *phasesW == 1 {
				b.errorf(a, "phases", id, "single-phase %s %q on three-phase supply %q must say its line (L1, L2, L3, L1-L2, L2-L3 or L3-L1)", kindWords[e.Kind], id, sup.ID)
				return false
			}
			e.Phases, e.VoltageV, e.Wiring, e.Line = 3, sup.VoltageV, sup.Wiring, LineAll
		default:
			if phasesW != nil && *phasesW == 3 {
				b.errorf(a, "phases", id, "three-phase %s %q on single-phase supply %q", kindWords[e.Kind], id, sup.ID)
				return false
			}
			e.Phases, e.VoltageV = 1, sup.VoltageV
		}
		if !transforms {
			if r.VoltageV != nil && math.Abs(*r.VoltageV-e.VoltageV) > 0.02*e.VoltageV {
				b.errorf(a, "voltage_v", id, "voltage_v = %g V does not match the %.0f V that %q supplies here", *r.VoltageV, e.VoltageV, sup.ID)
			}
			if wiringW != nil && wiring != e.Wiring {
				b.errorf(a, "wiring", id, "wiring = %q does not match the %s supply of %q", *wiringW, wiringOrSingle(e), sup.ID)
			}
		}
		if len(e.Inputs) == 2 {
			o := &b.m.Elements[e.Inputs[1-e.Preferred]]
			if o.VoltageV != 0 && (o.Phases != sup.Phases || math.Abs(o.VoltageV-sup.VoltageV) > 0.02*sup.VoltageV) {
				b.errorf(a, "inputs", id, "inputs differ: %q is %.0f V %d-phase, %q is %.0f V %d-phase", sup.ID, sup.VoltageV, sup.Phases, o.ID, o.VoltageV, o.Phases)
			}
		}
	} else {
		return false // missing input already reported
	}
	return true
}

func wiringOrSingle(e *Element) string {
	if e.Phases == 1 {
		return "single-phase"
	}
	return e.Wiring.String()
}

func (b *builder) setWiring(e *Element, a at, written bool, w Wiring) {
	if e.Phases == 3 {
		e.Wiring = WiringWye
		if written {
			e.Wiring = w
		}
	} else if written {
		b.errorf(a, "wiring", e.ID, "wiring applies only to three-phase systems")
	}
}

func bankAsElement(bk *rawBank) *rawElement {
	return &rawElement{ID: bk.ID, Line: bk.Line, Standard: bk.Standard, Curve: bk.Curve, RatingA: bk.RatingA,
		ContinuousLimit: bk.ContinuousLimit, Poles: bk.Poles, InstantaneousX: bk.InstantaneousX}
}

// capacity checks the apparent and real power ratings and the overload
// tolerance of sources and UPSes.
func (b *builder) capacity(e *Element, r *rawElement, a at) {
	if e.Kind != KindSource && e.Kind != KindUPS {
		return
	}
	e.CapacityVA = 1000 * b.positive(a, "capacity_kva", e.ID, r.CapacityKVA, "kVA")
	e.CapacityW = 1000 * b.positive(a, "capacity_kw", e.ID, r.CapacityKW, "kW")
	if e.Kind == KindUPS && r.CapacityKVA == nil && r.CapacityKW == nil && !a.rejected("capacity_kva") && !a.rejected("capacity_kw") {
		b.errorf(a, "", e.ID, "UPS %q needs capacity_kva or capacity_kw", e.ID)
	}
	if e.CapacityVA > 0 && e.CapacityW > e.CapacityVA {
		b.errorf(a, "capacity_kw", e.ID, "capacity_kw = %g is more than capacity_kva = %g", e.CapacityW/1000, e.CapacityVA/1000)
	}
	for k, st := range r.Overload {
		oa := at{a.ix, fmt.Sprintf("%s.overload[%d]", a.path, k)}
		if st.LoadPct == nil || st.TimeS == nil {
			if !oa.rejected("") && !oa.rejected("load_pct") && !oa.rejected("time_s") {
				b.errorf(oa, "", e.ID, "overload step needs load_pct and time_s")
			}
			continue
		}
		if *st.LoadPct <= 100 {
			b.errorf(oa, "load_pct", e.ID, "overload load_pct must be > 100, got %g", *st.LoadPct)
			continue
		}
		if *st.TimeS <= 0 {
			b.errorf(oa, "time_s", e.ID, "overload time_s must be > 0, got %g", *st.TimeS)
			continue
		}
		e.Overload = append(e.Overload, OverloadStep{LoadPct: *st.LoadPct, TimeS: *st.TimeS})
	}
	sort.SliceStable(e.Overload, func(i, j int) bool { return e.Overload[i].LoadPct < e.Overload[j].LoadPct })
	for k := 1; k < len(e.Overload); k++ {
		if e.Overload[k].LoadPct == e.Overload[k-1].LoadPct {
			b.errorf(a, "overload", e.ID, "two overload steps at %g %%: give one time per load", e.Overload[k].LoadPct)
			break
		}
		if e.Overload[k].TimeS >= e.Overload[k-1].TimeS {
			b.errorf(a, "overload", e.ID, "overload tolerance must shorten as load rises: %g %% for %g s, then %g %% for %g s",
				e.Overload[k-1].LoadPct, e.Overload[k-1].TimeS, e.Overload[k].LoadPct, e.Overload[k].TimeS)
			break
		}
	}
}

// protection settles rating, standard, curve, poles and the continuous limit.
func (b *builder) protection(e *Element, r *rawElement, a at) {
	id := e.ID
	e.ContinuousLimit = b.m.Site.ContinuousLimit
	if r.ContinuousLimit != nil && b.fraction(a, "continuous_limit", id, *r.ContinuousLimit) {
		e.ContinuousLimit = *r.ContinuousLimit
	}
	if r.RatingA != nil {
		e.RatingA = b.positive(a, "rating_a", id, r.RatingA, "A")
	}
	isBreaker := e.Kind == KindBreaker || e.Kind == KindBank
	if r.Standard == nil {
		if isBreaker && !a.rejected("standard") {
			b.errorf(a, "", id, "%s %q needs a standard (iec60898, iec60947-2 or ul489)", kindWords[e.Kind], id)
		}
		if r.Curve != nil && !a.rejected("standard") {
			b.errorf(a, "curve", id, "curve needs standard = \"iec60898\"")
		}
	} else {
		switch *r.Standard {
		case "iec60898", "iec60898-1":
			e.Standard = StdIEC60898
		case "iec60947-2":
			e.Standard = StdIEC60947
		case "ul489":
			e.Standard = StdUL489
		default:
			b.errorf(a, "standard", id, "standard must be iec60898, iec60947-2 or ul489, got %q", *r.Standard)
		}
		if r.RatingA == nil && !a.rejected("rating_a") {
			b.errorf(a, "", id, "%s %q has a standard but no rating_a", kindWords[e.Kind], id)
		}
		if e.Standard == StdIEC60898 {
			switch {
			case r.Curve == nil:
				if !a.rejected("curve") {
					b.errorf(a, "", id, "IEC 60898-1 %s %q needs curve = \"B\", \"C\" or \"D\"", kindWords[e.Kind], id)
				}
			case *r.Curve == "B" || *r.Curve == "C" || *r.Curve == "D":
				e.Curve = (*r.Curve)[0]
			default:
				b.errorf(a, "curve", id, "curve must be \"B\", \"C\" or \"D\", got %q", *r.Curve)
			}
		} else if r.Curve != nil && e.Standard != StdNone {
			b.errorf(a, "curve", id, "curve applies only to IEC 60898-1 breakers")
		}
	}
	if e.Standard != StdNone {
		e.Poles = e.Phases
		if e.Line.LineToLine() {
			e.Poles = 2
		}
		if r.Poles != nil {
			if *r.Poles < 1 || *r.Poles > 4 {
				b.errorf(a, "poles", id, "poles must be 1 to 4, got %d", *r.Poles)
			} else {
				e.Poles = *r.Poles
			}
		}
	} else if r.Poles != nil && r.Standard == nil && !a.rejected("standard") {
		b.errorf(a, "poles", id, "poles applies only to a breaker (give a standard)")
	}
	if e.Phases == 3 && e.Wiring == WiringWye {
		e.NeutralRatingA = e.RatingA
	}
	if r.NeutralRatingA != nil {
		v := b.positive(a, "neutral_rating_a", id, r.NeutralRatingA, "A")
		switch {
		case e.Phases != 3 || e.Wiring != WiringWye:
			b.errorf(a, "neutral_rating_a", id, "neutral_rating_a applies only to a three-phase wye element (%q is %s)", id, wiringOrSingle(e))
		case e.RatingA == 0 && !a.rejected("rating_a"):
			b.errorf(a, "neutral_rating_a", id, "neutral_rating_a needs rating_a on %q (the phases' rating)", id)
		default:
			e.NeutralRatingA = v
		}
	}
	if r.InstantaneousX != nil {
		x := r.InstantaneousX
		switch {
		case e.Standard == StdNone:
			if r.Standard == nil && !a.rejected("standard") {
				b.errorf(a, "instantaneous_x", id, "instantaneous_x applies only to a breaker (give a standard)")
			}
		case len(x) != 2 || x[0] < 1.5 || x[1] < x[0]:
			// Below 1.5 In the instantaneous release would act where the
			// standards' thermal conventional currents apply.
			b.errorf(a, "instantaneous_x", id, "instantaneous_x must be [min, max] multiples of In with 1.5 <= min <= max, got %v", x)
		default:
			e.InstantaneousX = [2]float64{x[0], x[1]}
		}
	}
}
