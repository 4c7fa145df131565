package power

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
)

// DefaultImbalancePct is the line-spread threshold Balance brings every
// three-phase rated element under, percent of its limit.
const DefaultImbalancePct = 20

// BalanceOptions tune Balance.
type BalanceOptions struct {
	MaxMoves int // most moves in the work list, >= 1
	// ImbalancePct is the largest line spread allowed on a three-phase
	// rated element in its failover case: (largest − smallest line
	// current) / its limit, percent, > 0.
	ImbalancePct float64
	// SearchLimit caps the exhaustive search, in states examined; beyond
	// it Balance falls back to the greedy search. 0: 2,000,000.
	SearchLimit int
}

// Move is one step of a rebalancing work list.
type Move struct {
	Device string `json:"device"`
	// Kind is "device" (every cord of the device to another slot of its
	// rack: another bank or line) or "cord" (one PSU's cord to a feed
	// point of another side).
	Kind string   `json:"kind"`
	PSU  int      `json:"psu,omitempty"` // cord: the PSU moved, from 1
	From []string `json:"from"`          // feeds before (device: one per PSU; cord: the one)
	To   []string `json:"to"`            // feeds after
	// Steps are the cords unplugged one at a time; each is checked with
	// that cord out (the device on its other PSUs).
	Steps int `json:"steps"`
	// WorstAfter is the most loaded element in its failover case after
	// the move; Fixed the elements the move brings within their limit or
	// under the imbalance threshold.
	WorstAfter Binding  `json:"worst_after"`
	Fixed      []string `json:"fixed"`
}

// LineSpread is a three-phase element whose line spread is over the
// threshold.
type LineSpread struct {
	Element   string  `json:"element"`
	SpreadPct float64 `json:"spread_pct"` // (largest − smallest line current) / limit in its failover case, percent
}

// BalanceState is what is wrong in one state.
type BalanceState struct {
	Over       []Binding    `json:"over"`       // elements over their limit in their failover case, worst first
	Imbalanced []LineSpread `json:"imbalanced"` // three-phase elements over the spread threshold, worst first
}

// BalanceReport is Balance's work list.
type BalanceReport struct {
	Basis        string       `json:"basis"`
	MaxMoves     int          `json:"max_moves"`
	ImbalancePct float64      `json:"imbalance_pct"`
	Search       string       `json:"search"` // "exhaustive" (fewest moves, proven) or "greedy"
	Moves        []Move       `json:"moves"`  // in order
	Before       BalanceState `json:"before"`
	After        BalanceState `json:"after"`
	Balanced     bool         `json:"balanced"` // After has nothing wrong
}

// balancer holds the mutable state of a rebalancing search.
type balancer struct {
	n      *Network
	b      *Budget
	load   *BudgetLoad
	feeds  [][]int32 // per device: its current feeds
	probes []Probe   // per device: its current contribution
	sides  [][][]int32
	thr    float64 // spread threshold, fraction of the limit
	three  []bool  // per budgeted element: three-phase with a rating
	rscr   []float64
	bscr   []float64
	cache  map[string]Probe // device and feeds (4 bytes each) → its contribution
	kscr   []byte
}

// newBalancer sets up the search state of n's model as it is.
func newBalancer(n *Network, o BalanceOptions) *balancer {
	m := n.M
	s := &balancer{n: n, b: NewBudget(n), sides: rackSides(m), thr: o.ImbalancePct / 100, cache: map[string]Probe{}}
	s.load = s.b.Load(n.DrawW)
	s.feeds = make([][]int32, len(m.Devices))
	s.probes = make([]Probe, len(m.Devices))
	for d := range m.Devices {
		s.feeds[d] = slices.Clone(m.Devices[d].Feeds)
		s.probes[d] = Probe{terms: s.b.terms[d]}
	}
	s.three = make([]bool, len(s.b.elems))
	for g, e := range s.b.elems {
		el := &m.Elements[e]
		s.three[g] = el.Phases == 3 && el.RatingA > 0
	}
	return s
}

// probe returns device d's contribution with its PSUs on feeds.
func (s *balancer) probe(d int, feeds []int32) Probe {
	s.kscr = binary.LittleEndian.AppendUint32(s.kscr[:0], uint32(d))
	for _, f := range feeds {
		s.kscr = binary.LittleEndian.AppendUint32(s.kscr, uint32(f))
	}
	p, ok := s.cache[string(s.kscr)] // no allocation on a hit
	if !ok {
		p = s.b.Probe(feeds, s.n.pf[d])
		s.cache[string(s.kscr)] = p
	}
	return p
}

// badness returns how far a state is from the goal: the sum of the
// excesses over limit and over the spread threshold (0: balanced), and
// the ratios it saw (in the budget's element order).
func (s *balancer) badness() float64 {
	s.rscr = s.load.Ratios(s.rscr[:0])
	v := 0.0
	for g, r := range s.rscr {
		if overLimit(r) {
			v += r - 1
		}
		if s.three[g] {
			if sp := s.spread(int32(g)); sp > s.thr+1e-9 {
				v += sp - s.thr
			}
		}
	}
	return v
}

// spread returns budgeted element g's line spread over its limit.
func (s *balancer) spread(g int32) float64 {
	el := &s.n.M.Elements[s.b.elems[g]]
	c := s.load.cur[g]
	a := [3]float64{absC(c[0]), absC(c[1]), absC(c[2])}
	return (max(a[0], a[1], a[2]) - min(a[0], a[1], a[2])) / (el.ContinuousLimit * el.RatingA)
}

func absC(c complex128) float64 { return math.Hypot(real(c), imag(c)) }

// state lists what is wrong now.
func (s *balancer) state() BalanceState {
	st := BalanceState{Over: s.load.Over(), Imbalanced: []LineSpread{}}
	if st.Over == nil {
		st.Over = []Binding{}
	}
	for g := range s.b.elems {
		if s.three[g] {
			if sp := s.spread(int32(g)); sp > s.thr+1e-9 {
				st.Imbalanced = append(st.Imbalanced, LineSpread{Element: s.n.M.Elements[s.b.elems[g]].ID, SpreadPct: round(100*sp, 1)})
			}
		}
	}
	slices.SortStableFunc(st.Imbalanced, func(a, b LineSpread) int {
		switch {
		case a.SpreadPct > b.SpreadPct:
			return -1
		case a.SpreadPct < b.SpreadPct:
			return 1
		}
		return 0
	})
	return st
}

// cand is a candidate move: device d to feeds to.
type cand struct {
	d    int
	to   []int32
	cord int // the PSU index for a cord move, -1 for a device move
}

// candidates lists the moves worth trying: devices on an element over
// its limit or its spread, each to every other slot of its rack, and each
// of its cords to every feed point of another side where the cords still
// span as many sides as before.
func (s *balancer) candidates() []cand {
	m := s.n.M
	s.rscr = s.load.Ratios(s.rscr[:0])
	bad := make([]bool, len(s.b.elems))
	for g, r := range s.rscr {
		bad[g] = overLimit(r) || s.three[g] && s.spread(int32(g)) > s.thr+1e-9
	}
	var out []cand
	for d := range m.Devices {
		on := false
		for _, t := range s.probes[d].terms {
			if bad[t.g] {
				on = true
				break
			}
		}
		if !on {
			continue
		}
		r := int(m.Devices[d].Rack)
		for _, sl := range slotsOf(r, s.sides[r], len(s.feeds[d])) {
			if !slices.Equal(sl.Feeds, s.feeds[d]) {
				out = append(out, cand{d: d, to: sl.Feeds, cord: -1})
			}
		}
		for k, f := range s.feeds[d] {
			for _, side := range s.sides[r] {
				if slices.Contains(side, f) {
					continue
				}
				for _, g := range side {
					to := slices.Clone(s.feeds[d])
					to[k] = g
					// Never less redundancy: the cords still span as
					// many sides (else one side's failure darkens it).
					if s.spanned(r, to) < s.spanned(r, s.feeds[d]) {
						continue
					}
					out = append(out, cand{d: d, to: to, cord: k})
				}
			}
		}
	}
	return out
}

// spanned counts the sides of rack r that feeds reach.
func (s *balancer) spanned(r int, feeds []int32) int {
	n := 0
	for _, side := range s.sides[r] {
		if slices.ContainsFunc(feeds, func(f int32) bool { return slices.Contains(side, f) }) {
			n++
		}
	}
	return n
}

// apply moves device d to feeds to, cord by cord, each step checked with
// the cord out: the device stays powered on its other PSUs and no element
// ends over max(its limit, its load before the move). It returns false
// (and leaves the state as it was) when a step fails.
func (s *balancer) apply(c cand) (steps int, ok bool) {
	m := s.n.M
	d := c.d
	w := s.n.DrawW[d]
	dm := &m.DeviceModels[m.Devices[d].Model]
	s.bscr = s.load.Ratios(s.bscr[:0])
	before := s.bscr
	orig := slices.Clone(s.feeds[d])
	cur := slices.Clone(orig)
	undo := func() {
		s.load.AddProbe(s.probes[d], -w)
		s.feeds[d] = orig
		s.probes[d] = s.probe(d, orig)
		s.load.AddProbe(s.probes[d], w)
	}
	for k := range cur {
		if cur[k] == c.to[k] {
			continue
		}
		steps++
		// The cord is out: the device runs on its other PSUs.
		rest := slices.Delete(slices.Clone(cur), k, k+1)
		if len(rest) < dm.PSUsRequired || dm.PSURatingW > 0 && float64(len(rest))*dm.PSURatingW < w {
			undo()
			return 0, false
		}
		s.load.AddProbe(s.probes[d], -w)
		s.probes[d] = s.probe(d, rest)
		s.load.AddProbe(s.probes[d], w)
		if !s.noWorse(before) {
			undo()
			return 0, false
		}
		cur[k] = c.to[k]
		s.load.AddProbe(s.probes[d], -w)
		s.probes[d] = s.probe(d, cur)
		s.load.AddProbe(s.probes[d], w)
		if !s.noWorse(before) {
			undo()
			return 0, false
		}
	}
	s.feeds[d] = cur
	return steps, true
}

// noWorse reports whether every element is within max(its limit, its
// ratio in before).
func (s *balancer) noWorse(before []float64) bool {
	s.rscr = s.load.Ratios(s.rscr[:0])
	for g, r := range s.rscr {
		if r > max(1, before[g])+budgetTol {
			return false
		}
	}
	return true
}

// revert undoes a move of device d back to feeds from.
func (s *balancer) revert(d int, from []int32) {
	w := s.n.DrawW[d]
	s.load.AddProbe(s.probes[d], -w)
	s.feeds[d] = slices.Clone(from)
	s.probes[d] = s.probe(d, from)
	s.load.AddProbe(s.probes[d], w)
}

// Balance returns the fewest moves (at most o.MaxMoves) that make every
// limited element N-1-safe by the budget's rule and bring every
// three-phase rated element's line spread under o.ImbalancePct, as an
// ordered work list. Every step is safe: a cord is moved with the device
// on its other PSUs, and no element ends a step (or the time a cord is
// out) over its limit unless it already was, nor worse than it was.
// The search is exhaustive (iterative deepening over the moves of the
// devices on a bad element: the fewest moves, proven) while it stays within
// o.SearchLimit states, else greedy (each time the move that leaves the
// least excess). When no K moves suffice, After says what remains.
func Balance(n *Network, o BalanceOptions) (BalanceReport, error) {
	if o.MaxMoves < 1 {
		return BalanceReport{}, fmt.Errorf("--max-moves must be at least 1, got %d", o.MaxMoves)
	}
	if o.ImbalancePct <= 0 {
		o.ImbalancePct = DefaultImbalancePct
	}
	if o.SearchLimit == 0 {
		o.SearchLimit = 2_000_000
	}
	m := n.M
	s := newBalancer(n, o)
	rep := BalanceReport{Basis: n.Basis.String(), MaxMoves: o.MaxMoves, ImbalancePct: o.ImbalancePct, Moves: []Move{}, Before: s.state()}
	var seq []cand
	if s.badness() > 0 {
		seq, rep.Search = s.exhaustive(o.MaxMoves, o.SearchLimit), "exhaustive"
		if seq == nil {
			seq, rep.Search = s.greedy(o.MaxMoves), "greedy"
		}
	} else {
		rep.Search = "exhaustive"
	}
	// Replay the work list, recording each move's effect.
	prev := rep.Before
	for _, c := range seq {
		from := slices.Clone(s.feeds[c.d])
		steps, ok := s.apply(c)
		if !ok {
			return rep, fmt.Errorf("internal: a move of the work list failed on replay")
		}
		mv := Move{Device: m.Devices[c.d].ID, Kind: "device", Steps: steps, WorstAfter: s.load.Worst(), Fixed: []string{}}
		if c.cord >= 0 {
			mv.Kind, mv.PSU = "cord", c.cord+1
			mv.From, mv.To = []string{m.Elements[from[c.cord]].ID}, []string{m.Elements[c.to[c.cord]].ID}
		} else {
			for k := range from {
				mv.From = append(mv.From, m.Elements[from[k]].ID)
				mv.To = append(mv.To, m.Elements[c.to[k]].ID)
			}
		}
		now := s.state()
		for _, b := range prev.Over {
			if !slices.ContainsFunc(now.Over, func(x Binding) bool { return x.Element == b.Element }) {
				mv.Fixed = append(mv.Fixed, b.Element+" within its limit")
			}
		}
		for _, b := range prev.Imbalanced {
			if !slices.ContainsFunc(now.Imbalanced, func(x LineSpread) bool { return x.Element == b.Element }) {
				mv.Fixed = append(mv.Fixed, b.Element+" balanced")
			}
		}
		rep.Moves = append(rep.Moves, mv)
		prev = now
	}
	rep.After = s.state()
	rep.Balanced = len(rep.After.Over) == 0 && len(rep.After.Imbalanced) == 0
	return rep, nil
}

// exhaustive runs iterative deepening up to k moves and returns the
// first (so shortest) sequence that balances, the best partial one when
// none does, or nil when the search exceeds limit states.
func (s *balancer) exhaustive(k, limit int) []cand {
	seen := 0
	bestV, best := s.badness(), []cand(nil)
	var path []cand
	// rec is entered with seen <= limit (checked before each call).
	var rec func(depth int) bool
	rec = func(depth int) bool {
		v := s.badness()
		if v < bestV-1e-12 {
			bestV, best = v, slices.Clone(path)
		}
		if v <= 0 {
			return true
		}
		if depth == 0 {
			return false
		}
		for _, c := range s.candidates() {
			seen++
			if seen > limit {
				return false
			}
			from := slices.Clone(s.feeds[c.d])
			if _, ok := s.apply(c); !ok {
				continue
			}
			path = append(path, c)
			if rec(depth - 1) {
				s.revert(c.d, from)
				return true
			}
			path = path[:len(path)-1]
			s.revert(c.d, from)
		}
		return false
	}
	for depth := 1; depth <= k; depth++ {
		path = path[:0]
		if rec(depth) {
			return best
		}
		if seen > limit {
			return nil
		}
	}
	if best == nil {
		best = []cand{}
	}
	return best
}

// greedy applies, up to k times, the move that leaves the least excess,
// and returns the sequence (the state is reverted).
func (s *balancer) greedy(k int) []cand {
	var seq []cand
	var froms [][]int32
	for range k {
		// Balanced (badness 0, a sum of excesses): no element is bad, so
		// there is no candidate and the loop ends below.
		bi, bv := -1, s.badness()
		cs := s.candidates()
		for i, c := range cs {
			from := slices.Clone(s.feeds[c.d])
			if _, ok := s.apply(c); !ok {
				continue
			}
			if v := s.badness(); v < bv-1e-12 {
				bi, bv = i, v
			}
			s.revert(c.d, from)
		}
		if bi < 0 {
			break
		}
		froms = append(froms, slices.Clone(s.feeds[cs[bi].d]))
		s.apply(cs[bi])
		seq = append(seq, cs[bi])
	}
	for i := len(seq) - 1; i >= 0; i-- {
		s.revert(seq[i].d, froms[i])
	}
	return seq
}

// String says a move in words.
func (mv Move) String() string {
	what := "device " + mv.Device
	if mv.Kind == "cord" {
		what = fmt.Sprintf("cord of %s/psu%d", mv.Device, mv.PSU)
	}
	return fmt.Sprintf("move %s from %s to %s", what, strings.Join(mv.From, ", "), strings.Join(mv.To, ", "))
}
