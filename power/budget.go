package power

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"blackstart/topology"
)

// Budget is the failover-safe power budget of a model: the one rule the
// restart planner and the capacity commands use to say whether a load is
// N-1-safe. Every rated element (a breaker, bank, rack PDU, circuit or
// panel with rating_a; a UPS or source with a capacity) must stay within
// its limit in its failover case: every device below it drawing its whole
// draw through its PSUs below it (shared equally among them), as when
// every other feed of those devices is lost (see below). The limit is the continuous
// limit on the worst line current (continuous_limit × In), and for a UPS
// or source its own rating (real and apparent power). Currents are per-line
// phasor sums at each device's power factor, the same figures the load
// flow computes: a three-phase element with line-to-line loads is judged
// on its worst line, not on the balanced approximation.
//
// The failover case bounds every single failure: a device whose PSUs
// below an element put their current on it the same way (one circuit, one
// line: the usual dual-corded rack, one cord per side) counts once, with
// its whole draw; one whose PSUs there sit on different lines counts its
// whole draw on each of them (a single failure upstream of one can put it
// all on the other). Real and apparent power (the UPS and source limits)
// count the whole draw once.
//
// A Budget is immutable and safe for concurrent use; a BudgetLoad holds
// draws against it.
type Budget struct {
	n     *Network
	elems []int32     // budgeted elements, topological order
	index []int32     // model element → index into elems, -1 when not budgeted
	terms [][]budTerm // per device: its contribution to each budgeted element above it, per watt
	// Per budgeted element, its limits: limA2 the square of its
	// continuous-limit current (A², 0 for a UPS or source rated in
	// power), capW and capVA2 its real capacity (W) and the square of its
	// apparent capacity (VA²), 0 when not given.
	limA2, capW, capVA2 []float64
}

// budTerm is what one watt of a device's draw adds to budgeted element g
// (an index into Budget.elems) in g's failover case.
type budTerm struct {
	g    int32
	unit phasors // line currents at the element per watt, A/W
	q    float64 // reactive power per watt (tan φ)
}

// Binding names an element that limits a load, with its failover-case
// load against its limit.
type Binding struct {
	Element string  `json:"element"`
	Kind    string  `json:"kind"`
	LoadA   float64 `json:"load_a"`  // worst line current in the failover case, A (a UPS or source: the current at that load)
	LimitA  float64 `json:"limit_a"` // continuous_limit × In, A (a UPS or source: the current at its rating)
	Ratio   float64 `json:"ratio"`   // load over limit; > 1 means over
}

// String says what binds in words. The percentage is whole, but an
// element over its limit never reads 100 %: a hair over shows two
// decimals (100.01 %). The currents have two decimals, more (up to six)
// when a load over its limit would otherwise read equal to it
// (16.0006 A against 16.0000 A).
func (b Binding) String() string {
	pct := fmt.Sprintf("%.0f", b.Ratio*100)
	if b.Ratio > 1 && pct == "100" {
		pct = fmt.Sprintf("%.2f", b.Ratio*100)
	}
	prec := 2
	for b.Ratio > 1 && prec < 6 && fmt.Sprintf("%.*f", prec, b.LoadA) == fmt.Sprintf("%.*f", prec, b.LimitA) {
		prec++
	}
	return fmt.Sprintf("%s %s would carry %.*f A on failover against its limit of %.*f A (%s %%)", b.Kind, b.Element, prec, b.LoadA, prec, b.LimitA, pct)
}

// NewBudget prepares the budget of n's model. It walks every PSU's feed up
// to the sources through both inputs of transfer switches (either may end
// up carrying it).
func NewBudget(n *Network) *Budget {
	m := n.M
	b := &Budget{n: n, terms: make([][]budTerm, len(m.Devices))}
	index := make([]int32, len(m.Elements))
	b.index = index
	for e := range m.Elements {
		index[e] = -1
		if el := &m.Elements[e]; budgeted(el) {
			index[e] = int32(len(b.elems))
			b.elems = append(b.elems, int32(e))
			lim := el.ContinuousLimit * el.RatingA // 0 without a rating
			b.limA2 = append(b.limA2, lim*lim)
			b.capW = append(b.capW, el.CapacityW)
			b.capVA2 = append(b.capVA2, el.CapacityVA*el.CapacityVA)
		}
	}
	// Per element, reused from device to device (stamps instead of fresh
	// maps: the walk runs for every PSU of every device): the feed that
	// last visited it, the device that last reached it and that device's
	// distinct line-current directions there, per watt.
	visited := make([]int32, len(m.Elements))
	seenBy := make([]int32, len(m.Elements))
	dirs := make([][]phasors, len(m.Elements))
	var order []int32
	var feed, dev int32
	var up func(e int32, v phasors)
	up = func(e int32, v phasors) {
		if visited[e] == feed {
			return
		}
		visited[e] = feed
		if index[e] >= 0 {
			if seenBy[e] != dev {
				seenBy[e] = dev
				dirs[e] = dirs[e][:0]
				order = append(order, e)
			}
			if !slices.ContainsFunc(dirs[e], func(u phasors) bool { return samePhasors(u, v) }) {
				dirs[e] = append(dirs[e], v)
			}
		}
		for _, p := range m.Elements[e].Inputs {
			up(p, n.lift(e, p, v))
		}
	}
	for d := range m.Devices {
		dev = int32(d) + 1
		order = order[:0]
		for k, f := range m.Devices[d].Feeds {
			feed++
			up(f, n.psuUnit[int(n.psuOff[d])+k])
		}
		slices.Sort(order)
		terms := make([]budTerm, len(order)) // one allocation per device
		for i, e := range order {
			var unit phasors
			for _, u := range dirs[e] {
				for l := range unit {
					unit[l] += u[l]
				}
			}
			terms[i] = budTerm{g: index[e], unit: unit, q: n.qf[d]}
		}
		b.terms[d] = terms // read by range and len only: empty and nil alike
	}
	return b
}

// termsFor returns what one watt drawn by a device whose PSUs plug into
// feeds (units: each PSU's line currents in its feed per watt; q: tan φ)
// adds to every budgeted element above them (index: model element →
// budgeted element, -1 when not budgeted), in element order.
//
// NewBudget computes the same terms for every device of the model with
// stamps reused from device to device (TestTermsForMatchesNewBudget keeps
// the two walks equal); termsFor serves one hypothetical device.
func (b *Budget) termsFor(feeds []int32, units []phasors, q float64, index []int32) []budTerm {
	m, n := b.n.M, b.n
	// Paths to the sources are short: slices, not maps.
	type acc struct {
		e    int32
		dirs []phasors // distinct line-current directions of the device's PSUs below the element, per watt
	}
	var seen []acc
	var visited []int32
	for k, f := range feeds {
		visited = visited[:0]
		var up func(e int32, v phasors)
		up = func(e int32, v phasors) {
			if slices.Contains(visited, e) {
				return
			}
			visited = append(visited, e)
			if index[e] >= 0 {
				i := slices.IndexFunc(seen, func(a acc) bool { return a.e == e })
				if i < 0 {
					i = len(seen)
					seen = append(seen, acc{e: e})
				}
				if !slices.ContainsFunc(seen[i].dirs, func(u phasors) bool { return samePhasors(u, v) }) {
					seen[i].dirs = append(seen[i].dirs, v)
				}
			}
			for _, p := range m.Elements[e].Inputs {
				up(p, n.lift(e, p, v))
			}
		}
		up(f, units[k])
	}
	slices.SortFunc(seen, func(a, b acc) int { return int(a.e - b.e) })
	terms := make([]budTerm, 0, len(seen))
	for _, a := range seen {
		var unit phasors
		for _, u := range a.dirs {
			for l := range unit {
				unit[l] += u[l]
			}
		}
		terms = append(terms, budTerm{g: index[a.e], unit: unit, q: q})
	}
	return terms
}

// samePhasors reports whether two PSUs put their current on an element
// the same way (same lines, same angles), to rounding.
func samePhasors(a, b phasors) bool {
	for l := range a {
		if cmplx.Abs(a[l]-b[l]) > 1e-12*(1+cmplx.Abs(a[l])) {
			return false
		}
	}
	return true
}

// budgeted reports whether element el has a limit the budget keeps.
func budgeted(el *topology.Element) bool {
	return el.RatingA > 0 || (el.Kind == topology.KindUPS || el.Kind == topology.KindSource) && (el.CapacityW > 0 || el.CapacityVA > 0)
}

// BudgetLoad is the failover-case load of every budgeted element under a
// set of device draws; Add and Fits move and test it incrementally. Not
// safe for concurrent use.
type BudgetLoad struct {
	b    *Budget
	cur  []phasors // per budgeted element: line currents, A
	p, q []float64 // per budgeted element: real and reactive power, W and var
}

// Load returns the failover-case loads with device d drawing drawW[d]
// watts (>= 0; len(drawW) = the model's devices).
func (b *Budget) Load(drawW []float64) *BudgetLoad {
	l := &BudgetLoad{b: b, cur: make([]phasors, len(b.elems)), p: make([]float64, len(b.elems)), q: make([]float64, len(b.elems))}
	for d, w := range drawW {
		l.Add(d, w)
	}
	return l
}

// Add adds w watts (negative: removes) to device d's draw.
func (l *BudgetLoad) Add(d int, w float64) { l.addTerms(l.b.terms[d], w) }

func (l *BudgetLoad) addTerms(terms []budTerm, w float64) {
	for _, t := range terms {
		c := &l.cur[t.g]
		k := complex(w, 0)
		c[0] += t.unit[0] * k
		c[1] += t.unit[1] * k
		c[2] += t.unit[2] * k
		l.p[t.g] += w
		l.q[t.g] += w * t.q
	}
}

// budgetTol absorbs the rounding of the sums: a load exactly at a limit
// is within it. overLimit is the one place it is applied.
const budgetTol = 1e-9

// overLimit is the budget's one verdict on a load: over its limit when its
// ratio (load over limit, as BudgetLoad.ratio computes it) exceeds
// 1 + budgetTol; at the limit (to rounding) it is within. Fits, FitsProbe,
// Why, Over, N1Safe, MaxProbe and Balance all decide with it, and a
// Binding's Ratio shows its verdict (ratioFigure), so none can call a load
// over that another calls within.
func overLimit(r float64) bool { return r > 1+budgetTol }

// fitsFast decides on squared magnitudes only where they are farther than
// fastMargin (relative) from the squared limit; nearer, the squares and
// ratio's square root and division could round apart, and it asks ratio.
// The rounding of either is a few 1e-16.
const fastMargin = 1e-12

// The limits of fitsFast's sure verdicts, relative to an element's limit:
// on a linear figure (real power) and on a squared one (line current,
// apparent power).
const (
	sureIn1   = (1 + budgetTol) * (1 - fastMargin)
	sureOver1 = (1 + budgetTol) * (1 + fastMargin)
	sureIn2   = (1 + budgetTol) * (1 + budgetTol) * (1 - fastMargin)
	sureOver2 = (1 + budgetTol) * (1 + budgetTol) * (1 + fastMargin)
)

// ratio returns budgeted element g's load over its limit with extra
// phasors dv and powers dp, dq on top of what it holds.
func (l *BudgetLoad) ratio(g int32, dv phasors, dp, dq float64) (r, loadA, limitA float64) {
	el := &l.b.n.M.Elements[l.b.elems[g]]
	c := l.cur[g]
	for k := range c {
		c[k] += dv[k]
	}
	// One square root of the largest squared magnitude (math.Hypot,
	// behind cmplx.Abs, guards against overflow that currents never reach
	// and is the planner's hottest call).
	loadA = math.Sqrt(max(abs2(c[0]), abs2(c[1]), abs2(c[2])))
	if el.RatingA > 0 {
		limitA = el.ContinuousLimit * el.RatingA
		return loadA / limitA, loadA, limitA
	}
	p, q := l.p[g]+dp, l.q[g]+dq
	if el.CapacityW > 0 {
		r = p / el.CapacityW
	}
	if el.CapacityVA > 0 {
		r = max(r, math.Hypot(p, q)/el.CapacityVA)
	}
	if r > 0 {
		limitA = loadA / r
	}
	return r, loadA, limitA
}

// Fits reports whether adding w watts to device d keeps every budgeted
// element above it within its limit in its failover case. It is the
// planner's inner test: squared magnitudes, no allocation; Why says what
// binds. Its answer is always Why's (both are overLimit's).
func (l *BudgetLoad) Fits(d int, w float64) bool { return l.fitsFast(l.b.terms[d], w) }

// fitsFast is fitsTerms' verdict without its Binding: on the squared
// magnitudes wherever they are clearly within or over (fastMargin), by
// overLimit on ratio near a limit.
func (l *BudgetLoad) fitsFast(terms []budTerm, w float64) bool {
	b := l.b
	for i := range terms {
		t := &terms[i]
		g := t.g
		near := false
		if lim2 := b.limA2[g]; lim2 > 0 {
			c := &l.cur[g]
			s := 0.0 // the largest squared line current
			for k := range 3 {
				re, im := real(c[k])+real(t.unit[k])*w, imag(c[k])+imag(t.unit[k])*w
				if v := re*re + im*im; v > s {
					s = v
				}
			}
			if s <= lim2*sureIn2 {
				continue
			}
			if s > lim2*sureOver2 {
				return false
			}
			near = true
		} else {
			p, q := l.p[g]+w, l.q[g]+w*t.q
			if cw := b.capW[g]; cw > 0 {
				if p > cw*sureOver1 {
					return false
				}
				near = p > cw*sureIn1
			}
			if va2 := b.capVA2[g]; va2 > 0 {
				s := p*p + q*q
				if s > va2*sureOver2 {
					return false
				}
				near = near || s > va2*sureIn2
			}
		}
		if near {
			k := complex(w, 0)
			if r, _, _ := l.ratio(g, phasors{t.unit[0] * k, t.unit[1] * k, t.unit[2] * k}, w, w*t.q); overLimit(r) {
				return false
			}
		}
	}
	return true
}

// Why names the element furthest over its limit if w watts were added to
// device d (ok false), or reports that they fit (ok true).
func (l *BudgetLoad) Why(d int, w float64) (ok bool, worst Binding) {
	return l.fitsTerms(l.b.terms[d], w)
}

// fitsTerms is Why for any contribution terms.
func (l *BudgetLoad) fitsTerms(terms []budTerm, w float64) (ok bool, worst Binding) {
	ok = true
	wr := 0.0 // worst's ratio before rounding
	for _, t := range terms {
		k := complex(w, 0)
		r, a, lim := l.ratio(t.g, phasors{t.unit[0] * k, t.unit[1] * k, t.unit[2] * k}, w, w*t.q)
		if overLimit(r) && r > wr {
			ok, worst, wr = false, l.binding(t.g, r, a, lim), r
		}
	}
	return ok, worst
}

func (l *BudgetLoad) binding(g int32, r, a, lim float64) Binding {
	el := &l.b.n.M.Elements[l.b.elems[g]]
	return Binding{Element: el.ID, Kind: el.Kind.String(), LoadA: r3(a), LimitA: r3(lim), Ratio: ratioFigure(r)}
}

// ratioFigure is a load-over-limit ratio as a Binding shows it: rounded to
// 4 decimals, on the side of 1 that overLimit puts it. A ratio within the
// limit (at most 1 + budgetTol) rounds to 1 or less by itself; one over
// it that would round to 1 (up to 1.00005) reads 1.0001, so that a
// Binding's Ratio is above 1 exactly when the budget calls the element
// over.
func ratioFigure(r float64) float64 {
	f := round(r, 4)
	if overLimit(r) && f <= 1 {
		f = 1.0001
	}
	return f
}

// Over lists every budgeted element over its limit in its failover case,
// furthest over first: none means the draws are N-1-safe.
func (l *BudgetLoad) Over() []Binding {
	var out []Binding
	for g := range l.b.elems {
		if r, a, lim := l.ratio(int32(g), phasors{}, 0, 0); overLimit(r) {
			out = append(out, l.binding(int32(g), r, a, lim))
		}
	}
	slices.SortStableFunc(out, func(a, b Binding) int {
		switch {
		case a.Ratio > b.Ratio:
			return -1
		case a.Ratio < b.Ratio:
			return 1
		}
		return 0
	})
	return out
}

// Headroom returns budgeted element e's (a model element index) load over
// its limit in its failover case, and false when e is not budgeted.
func (l *BudgetLoad) Headroom(e int) (float64, bool) {
	g, ok := slices.BinarySearch(l.b.elems, int32(e))
	if !ok {
		return 0, false
	}
	r, _, _ := l.ratio(int32(g), phasors{}, 0, 0)
	return r, true
}

// N1Safe is the N-1-safe predicate: whether the model's devices, each
// drawing its draw on n's basis plus addW[d] watts (nil: nothing added),
// keep every budgeted element within its limit in its failover case, and
// what binds when they do not (furthest over first).
func (n *Network) N1Safe(addW []float64) (bool, []Binding) {
	draw := slices.Clone(n.DrawW)
	for d, w := range addW {
		draw[d] += w
	}
	over := NewBudget(n).Load(draw).Over()
	return len(over) == 0, over
}

// Probe is a hypothetical device in the budget: a PSU layout (one feed
// element per PSU) and a power factor, with what each watt it draws adds
// to the budgeted elements above its feeds, computed exactly as for the
// model's own devices. The capacity commands ask the budget about new
// hardware through it.
type Probe struct {
	terms []budTerm
}

// Probe prepares a hypothetical device whose PSUs plug into feeds
// (indices into the model's elements) at power factor pf in (0, 1].
func (b *Budget) Probe(feeds []int32, pf float64) Probe {
	units := make([]phasors, len(feeds))
	for k, f := range feeds {
		units[k] = b.n.psuPhasors(f, 1, pf)
	}
	return Probe{terms: b.termsFor(feeds, units, math.Tan(math.Acos(pf)), b.index)}
}

// Prober prepares many probes of one budget: the walk of each feed point
// up to the sources (at a power factor) is done once and shared by every
// slot that uses it, then merged per probe exactly as termsFor merges
// (TestProberMatchesProbe). Not safe for concurrent use.
type Prober struct {
	b     *Budget
	walks map[proberKey][]walkStep
}

type proberKey struct {
	f  int32
	pf float64
}

// walkStep is one budgeted element a PSU's walk reaches, with the line
// currents there per watt.
type walkStep struct {
	e int32
	v phasors
}

// NewProber returns a Prober over b.
func (b *Budget) NewProber() *Prober { return &Prober{b: b, walks: map[proberKey][]walkStep{}} }

// walk returns the budgeted elements above feed f, in the order termsFor's
// walk visits them, with a PSU's line currents per watt at power factor pf.
func (pr *Prober) walk(f int32, pf float64) []walkStep {
	k := proberKey{f, pf}
	if w, ok := pr.walks[k]; ok {
		return w
	}
	b, m, n := pr.b, pr.b.n.M, pr.b.n
	var steps []walkStep
	var visited []int32
	var up func(e int32, v phasors)
	up = func(e int32, v phasors) {
		if slices.Contains(visited, e) {
			return
		}
		visited = append(visited, e)
		if b.index[e] >= 0 {
			steps = append(steps, walkStep{e, v})
		}
		for _, p := range m.Elements[e].Inputs {
			up(p, n.lift(e, p, v))
		}
	}
	up(f, n.psuPhasors(f, 1, pf))
	pr.walks[k] = steps
	return steps
}

// Probe is Budget.Probe with the feeds' walks shared.
func (pr *Prober) Probe(feeds []int32, pf float64) Probe {
	type acc struct {
		e    int32
		dirs []phasors
	}
	var seen []acc
	for _, f := range feeds {
		for _, st := range pr.walk(f, pf) {
			i := slices.IndexFunc(seen, func(a acc) bool { return a.e == st.e })
			if i < 0 {
				i = len(seen)
				seen = append(seen, acc{e: st.e})
			}
			if !slices.ContainsFunc(seen[i].dirs, func(u phasors) bool { return samePhasors(u, st.v) }) {
				seen[i].dirs = append(seen[i].dirs, st.v)
			}
		}
	}
	slices.SortFunc(seen, func(a, b acc) int { return int(a.e - b.e) })
	q := math.Tan(math.Acos(pf))
	terms := make([]budTerm, 0, len(seen))
	for _, a := range seen {
		var unit phasors
		for _, u := range a.dirs {
			for l := range unit {
				unit[l] += u[l]
			}
		}
		terms = append(terms, budTerm{g: pr.b.index[a.e], unit: unit, q: q})
	}
	return Probe{terms: terms}
}

// Elements returns the model element indices of the budgeted elements a
// probe's draw reaches, in element order.
func (b *Budget) Elements(p Probe) []int {
	out := make([]int, len(p.terms))
	for i, t := range p.terms {
		out[i] = int(b.elems[t.g])
	}
	return out
}

// FitsProbe is Fits for a hypothetical device: whether it can draw w
// watts on top of l with every budgeted element within its limit in its
// failover case, and the element furthest over when not.
func (l *BudgetLoad) FitsProbe(p Probe, w float64) (bool, Binding) {
	if l.fitsFast(p.terms, w) {
		return true, Binding{}
	}
	return l.fitsTerms(p.terms, w)
}

// abs2 is |z|².
func abs2(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }

// AddProbe adds a hypothetical device drawing w watts (negative: removes
// it) to l.
func (l *BudgetLoad) AddProbe(p Probe, w float64) { l.addTerms(p.terms, w) }

// ProbeRatios appends to dst the load over limit, in their failover case,
// of the budgeted elements p reaches if it drew w watts on top of l, in
// element order.
func (l *BudgetLoad) ProbeRatios(dst []float64, p Probe, w float64) []float64 {
	for _, t := range p.terms {
		k := complex(w, 0)
		r, _, _ := l.ratio(t.g, phasors{t.unit[0] * k, t.unit[1] * k, t.unit[2] * k}, w, w*t.q)
		dst = append(dst, r)
	}
	return dst
}

// MaxProbe returns the most watts (>= 0) p can draw on top of l with
// every budgeted element it reaches within its limit in its failover case,
// and the element that binds (at that draw, its ratio is 1; when l is
// already over, the element furthest over, and 0 W). It is +Inf, with a
// zero Binding, when no budgeted element lies above p's feeds. The figure
// solves the limits of ratio for w in closed form (maxTerm).
func (l *BudgetLoad) MaxProbe(p Probe) (float64, Binding) {
	if ok, over := l.fitsTerms(p.terms, 0); !ok {
		return 0, over
	}
	best, bg := math.Inf(1), int32(-1)
	for _, t := range p.terms {
		w := l.maxTerm(t)
		if w < best {
			best, bg = w, t.g
		}
	}
	if bg < 0 {
		return best, Binding{}
	}
	// The closed form puts the binding term at ratio 1 to a few ulps (one
	// cancellation at most, in maxTerm's root) and every other term at
	// most there (each line's current is convex in w and within its limit
	// at 0 W and at its own root); a negative root means 0 W, which fits.
	// That is far inside overLimit's tolerance of 1e-9, so the figure
	// fits as it is (TestPropertyMaxProbe, TestBudgetOneVerdict).
	best = max(best, 0)
	k := complex(best, 0)
	for _, t := range p.terms {
		if t.g == bg {
			r, a, lim := l.ratio(t.g, phasors{t.unit[0] * k, t.unit[1] * k, t.unit[2] * k}, best, best*t.q)
			return best, l.binding(t.g, r, a, lim)
		}
	}
	return best, Binding{}
}

// maxTerm solves ratio = 1 for the watts one term can add: per line
// |c + w·u| = limit on a rated element; p + w = capacity_w and
// |S + w·(1 + j·tan φ)| = capacity_va on a UPS or source.
func (l *BudgetLoad) maxTerm(t budTerm) float64 {
	el := &l.b.n.M.Elements[l.b.elems[t.g]]
	// largest root of a·w² + 2·bq·w + cc = 0 (cc <= 0: the load is within
	// the limit now).
	root := func(a, bq, cc float64) float64 {
		if a == 0 {
			return math.Inf(1)
		}
		d := bq*bq - a*cc
		if d < 0 {
			return 0
		}
		return (-bq + math.Sqrt(d)) / a
	}
	w := math.Inf(1)
	if el.RatingA > 0 {
		lim := el.ContinuousLimit * el.RatingA
		c := l.cur[t.g]
		for k := range c {
			u := t.unit[k]
			a := real(u)*real(u) + imag(u)*imag(u)
			bq := real(c[k])*real(u) + imag(c[k])*imag(u)
			cc := real(c[k])*real(c[k]) + imag(c[k])*imag(c[k]) - lim*lim
			w = min(w, root(a, bq, cc))
		}
		return w
	}
	p, q := l.p[t.g], l.q[t.g]
	if el.CapacityW > 0 {
		w = min(w, el.CapacityW-p)
	}
	if el.CapacityVA > 0 {
		w = min(w, root(1+t.q*t.q, p+q*t.q, p*p+q*q-el.CapacityVA*el.CapacityVA))
	}
	return w
}

// Worst returns the budgeted element with the highest load over limit in
// its failover case (zero Binding when the model has none).
func (l *BudgetLoad) Worst() Binding {
	best, bg := -1.0, int32(-1)
	var ba, bl float64
	for g := range l.b.elems {
		if r, a, lim := l.ratio(int32(g), phasors{}, 0, 0); r > best {
			best, bg, ba, bl = r, int32(g), a, lim
		}
	}
	if bg < 0 {
		return Binding{}
	}
	return l.binding(bg, best, ba, bl)
}

// Ratios appends to dst every budgeted element's load over limit in its
// failover case, in the budget's element order (topological).
func (l *BudgetLoad) Ratios(dst []float64) []float64 {
	for g := range l.b.elems {
		r, _, _ := l.ratio(int32(g), phasors{}, 0, 0)
		dst = append(dst, r)
	}
	return dst
}

// LineCurrents returns budgeted element e's (a model element index) line
// currents in its failover case, A, and false when e is not budgeted.
func (l *BudgetLoad) LineCurrents(e int) ([3]float64, bool) {
	g := l.b.index[e]
	if g < 0 {
		return [3]float64{}, false
	}
	c := l.cur[g]
	return [3]float64{cmplx.Abs(c[0]), cmplx.Abs(c[1]), cmplx.Abs(c[2])}, true
}

// Clone returns an independent copy of l.
func (l *BudgetLoad) Clone() *BudgetLoad {
	return &BudgetLoad{b: l.b, cur: slices.Clone(l.cur), p: slices.Clone(l.p), q: slices.Clone(l.q)}
}

// Budget returns the budget l holds draws against.
func (l *BudgetLoad) Budget() *Budget { return l.b }

// Reachable returns the budget restricted to the elements that device
// draws of at most maxW[d] watts (one per device) could put over their
// limit: for the others, even the sum of every device's largest possible
// current magnitude (an upper bound on the phasor sum, whatever the
// angles) stays within the limit, so they can never refuse a load and need
// not be tested. The planner, whose nodes never draw more than their peak,
// tests only these.
func (b *Budget) Reachable(maxW []float64) *Budget {
	ng := len(b.elems)
	lines := make([][3]float64, ng) // per element: Σ maxW × |unit| per line, A
	pw, qv := make([]float64, ng), make([]float64, ng)
	for d, ts := range b.terms {
		for _, t := range ts {
			for k := range 3 {
				lines[t.g][k] += maxW[d] * cmplx.Abs(t.unit[k])
			}
			pw[t.g] += maxW[d]
			qv[t.g] += maxW[d] * t.q
		}
	}
	keep := make([]int32, ng) // old group → new group, -1 when dropped
	out := &Budget{n: b.n, terms: make([][]budTerm, len(b.terms))}
	for g := range b.elems {
		keep[g] = -1
		var over bool
		if lim2 := b.limA2[g]; lim2 > 0 {
			for k := range 3 {
				over = over || lines[g][k]*lines[g][k] > lim2
			}
		} else {
			over = b.capW[g] > 0 && pw[g] > b.capW[g] || b.capVA2[g] > 0 && pw[g]*pw[g]+qv[g]*qv[g] > b.capVA2[g]
		}
		if over {
			keep[g] = int32(len(out.elems))
			out.elems = append(out.elems, b.elems[g])
			out.limA2, out.capW, out.capVA2 = append(out.limA2, b.limA2[g]), append(out.capW, b.capW[g]), append(out.capVA2, b.capVA2[g])
		}
	}
	out.index = make([]int32, len(b.index))
	for e, g := range b.index {
		out.index[e] = -1
		if g >= 0 {
			out.index[e] = keep[g]
		}
	}
	for d, ts := range b.terms {
		for _, t := range ts {
			if k := keep[t.g]; k >= 0 {
				t.g = k
				out.terms[d] = append(out.terms[d], t)
			}
		}
	}
	return out
}
