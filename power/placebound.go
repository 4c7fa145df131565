package power

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"

	"blackstart/topology"
)

// PlaceBound is the LP relaxation of a placement: a lower bound on the
// worst failover load over limit any placement of the requested devices
// can reach on the elements they can reach.
type PlaceBound struct {
	// Ratio is the bound: no placement, even one splitting devices into
	// fractions over slots, keeps every element in Elements below it.
	Ratio float64
	// Elements are the model element indices of the limited elements some
	// candidate slot reaches (the ones the bound is over), in order.
	Elements []int
	Vars     int // LP variables (slot counts per model, and the bound)
	Rows     int // LP inequality and equality rows
}

// PlaceLowerBound solves the LP relaxation of Place's program with gonum's
// simplex: variables y[m][s] >= 0, the number of devices of model m on
// slot s (fractions allowed), Σ_s y[m][s] = N_m, minimise t such that
// every limited element a candidate slot reaches stays at most t times its
// limit. A slot is a candidate when one device fits on it now (loads only
// grow). Currents are linearised by projecting each line's phasor onto
// the direction of the new devices' current on it (a projection never
// exceeds the magnitude, so the LP stays a relaxation; with one power
// factor and line-to-neutral loads it is exact). The bound is at least
// every such element's load now (adding devices does not lower a load
// whose currents add in phase). Requests must have counts >= 1.
func PlaceLowerBound(n *Network, o PlaceOptions) (PlaceBound, error) {
	m := n.M
	b := NewBudget(n)
	load := b.Load(n.DrawW)
	sides := rackSides(m)
	allowed := make([]bool, len(m.Racks))
	for r := range allowed {
		allowed[r] = len(o.Racks) == 0
	}
	for _, id := range o.Racks {
		r, ok := m.RackIndex(id)
		if !ok {
			return PlaceBound{}, fmt.Errorf("--rack %q: no such rack in the model", id)
		}
		allowed[r] = true
	}
	type col struct {
		req int
		p   Probe
		w   float64
	}
	var cols []col
	var counts []float64
	for ri, a := range o.Add {
		k := slices.IndexFunc(m.DeviceModels, func(x topology.DeviceModel) bool { return x.ID == a.Model })
		if k < 0 || a.Count < 1 {
			return PlaceBound{}, fmt.Errorf("bound: request %s=%d: unknown model or count below 1", a.Model, a.Count)
		}
		dm := &m.DeviceModels[k]
		w := modelDraw(m, k, n.Basis)
		counts = append(counts, float64(a.Count))
		for r := range m.Racks {
			if !allowed[r] {
				continue
			}
			for _, s := range slotsOf(r, sides[r], dm.PSUs) {
				p := b.Probe(s.Feeds, devicePF(m, dm, s.Feeds[0]))
				if ok, _ := load.FitsProbe(p, w); ok {
					cols = append(cols, col{ri, p, w})
				}
			}
		}
	}
	if len(cols) == 0 {
		return PlaceBound{}, fmt.Errorf("bound: no slot takes one device")
	}
	// Rows: one per (element, line) for rated elements, one or two per
	// UPS or source, in element order.
	type row struct {
		coef []float64 // per column, load per device in the projection
		lim  float64   // the limit, A or W or VA
		cur  float64   // the existing load in the projection
	}
	reached := map[int32][]int{} // budgeted element → columns reaching it
	for ci, c := range cols {
		for ti, t := range c.p.terms {
			_ = ti
			reached[t.g] = append(reached[t.g], ci)
		}
	}
	gs := make([]int32, 0, len(reached))
	for g := range reached {
		gs = append(gs, g)
	}
	slices.Sort(gs)
	var rows []row
	var elems []int
	for _, g := range gs {
		el := &m.Elements[b.elems[g]]
		elems = append(elems, int(b.elems[g]))
		unitOf := func(ci int) budTerm {
			for _, t := range cols[ci].p.terms {
				if t.g == g {
					return t
				}
			}
			return budTerm{}
		}
		if el.RatingA > 0 {
			for l := range 3 {
				var dir complex128
				for _, ci := range reached[g] {
					if u := unitOf(ci).unit[l]; cmplx.Abs(u) > 1e-15 {
						dir = u / complex(cmplx.Abs(u), 0)
						break
					}
				}
				if dir == 0 {
					continue
				}
				rw := row{coef: make([]float64, len(cols)), lim: el.ContinuousLimit * el.RatingA}
				rw.cur = real(cmplx.Conj(dir) * load.cur[g][l])
				for _, ci := range reached[g] {
					rw.coef[ci] = real(cmplx.Conj(dir)*unitOf(ci).unit[l]) * cols[ci].w
				}
				rows = append(rows, rw)
			}
			continue
		}
		if el.CapacityW > 0 {
			rw := row{coef: make([]float64, len(cols)), lim: el.CapacityW, cur: load.p[g]}
			for _, ci := range reached[g] {
				rw.coef[ci] = cols[ci].w
			}
			rows = append(rows, rw)
		}
		if el.CapacityVA > 0 {
			q := unitOf(reached[g][0]).q
			d1, d2 := 1/math.Hypot(1, q), q/math.Hypot(1, q)
			rw := row{coef: make([]float64, len(cols)), lim: el.CapacityVA, cur: load.p[g]*d1 + load.q[g]*d2}
			for _, ci := range reached[g] {
				t := unitOf(ci)
				rw.coef[ci] = cols[ci].w * (d1 + t.q*d2)
			}
			rows = append(rows, rw)
		}
	}
	// Identical rows (a breaker, its circuit and rack PDU of one rating)
	// are one constraint: keep the tightest, and drop rows no column
	// loads.
	type rkey struct {
		lim  float64
		coef string
	}
	keep := map[rkey]int{}
	var uniq []row
	for _, rw := range rows {
		if !slices.ContainsFunc(rw.coef, func(v float64) bool { return v != 0 }) {
			continue
		}
		k := rkey{rw.lim, fmt.Sprint(rw.coef)}
		if i, ok := keep[k]; ok {
			uniq[i].cur = max(uniq[i].cur, rw.cur)
			continue
		}
		keep[k] = len(uniq)
		uniq = append(uniq, rw)
	}
	rows = uniq
	nv := len(cols) + 1 // the y's, then t
	G := mat.NewDense(len(rows), nv, nil)
	h := make([]float64, len(rows))
	for i, rw := range rows {
		for ci, v := range rw.coef {
			G.Set(i, ci, v/rw.lim)
		}
		G.Set(i, nv-1, -1)
		h[i] = -rw.cur / rw.lim
	}
	A := mat.NewDense(len(o.Add), nv, nil)
	for ci, c := range cols {
		A.Set(c.req, ci, 1)
	}
	c := make([]float64, nv)
	c[nv-1] = 1
	cNew, aNew, bNew := lp.Convert(c, G, h, A, counts)
	opt, _, err := lp.Simplex(cNew, aNew, bNew, 1e-10, nil)
	if err != nil {
		return PlaceBound{}, fmt.Errorf("bound: the LP relaxation: %w", err)
	}
	// Loads only grow as devices are added (their currents add in phase
	// with what a line carries at one power factor): no placement ends an
	// element below where it is now.
	for _, e := range elems {
		if r, ok := load.Headroom(e); ok {
			opt = max(opt, r)
		}
	}
	return PlaceBound{Ratio: opt, Elements: elems, Vars: nv, Rows: len(rows) + len(o.Add)}, nil
}

// WorstOver returns the largest failover load over limit, in n's model,
// among the model element indices elems (those of a PlaceBound), and 0
// when none is limited.
func WorstOver(n *Network, elems []int) float64 {
	l := NewBudget(n).Load(n.DrawW)
	worst := 0.0
	for _, e := range elems {
		if r, ok := l.Headroom(e); ok {
			worst = max(worst, r)
		}
	}
	return worst
}
