package power

import (
	"fmt"
	"hash/maphash"
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
	// fractions over slots, keeps every element in Elements below it. It
	// is the larger of LPRatio and the highest load over limit of those
	// elements now.
	Ratio float64
	// LPRatio is the Lagrangian bound of the LP at the duals of its last
	// restricted program (a lower bound of the LP's optimum whether or not
	// the generation closed); LPUpper the LP value of the best fractional
	// placement found (an upper bound of the LP's optimum). Closed is set
	// when they meet (within 1e-7): LPRatio is the LP's optimum.
	LPRatio, LPUpper float64
	Closed           bool
	// Elements are the model element indices of the limited elements some
	// candidate slot reaches (the ones the bound is over), in order.
	Elements []int
	Vars     int // LP variables of the whole program (slot counts per model, and the bound)
	Rows     int // its rows: distinct (element, line) limits and one per requested model
	// Iterations of row and column generation; RestrictedVars and
	// RestrictedRows the largest restricted program solved.
	Iterations, RestrictedVars, RestrictedRows int
}

// lpEnt is one nonzero of the LP's sparse matrix: a row (or column) index
// and the coefficient, a share of the row's limit per device.
type lpEnt struct {
	i int32
	a float64
}

// PlaceLowerBound bounds Place's program from below by its LP relaxation:
// variables y[m][s] >= 0, the number of devices of model m on slot s
// (fractions allowed), Σ_s y[m][s] = N_m, minimise t such that every
// limited element a candidate slot reaches stays at most t times its
// limit. A slot is a candidate when one device fits on it now (loads only
// grow). Currents are linearised by projecting each line's phasor onto
// the direction of the new devices' current on it (a projection never
// exceeds the magnitude, so the LP stays a relaxation; with one power
// factor and line-to-neutral loads it is exact). The bound is at least
// every such element's load now (adding devices does not lower a load
// whose currents add in phase). Requests must have counts >= 1.
//
// The whole program of a large site (the 1,000-rack generated site has
// 36,000 slot variables and some 20,000 rows) is too large for gonum's
// dense simplex (optimize/convex/lp), so it is solved by row and column
// generation: the simplex solves a restricted program (a few slots, a few
// rows) and its dual; the slots whose reduced cost at those duals is
// negative and the rows the restricted solution violates join it, until
// neither remains. The bound reported is the Lagrangian bound at the
// duals, Σ λ_i·load_i + Σ_m N_m·min_s Σ λ_i·a_is, priced over every slot:
// a lower bound of the whole LP at every iteration, its optimum when the
// generation closes.
func PlaceLowerBound(n *Network, o PlaceOptions) (PlaceBound, error) {
	m := n.M
	b := NewBudget(n)
	pr := b.NewProber()
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
		req  int
		p    Probe
		w    float64
		rows []lpEnt // the rows it loads, share of each row's limit per device
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
				p := pr.Probe(s.Feeds, devicePF(m, dm, s.Feeds[0]))
				if ok, _ := load.FitsProbe(p, w); ok {
					cols = append(cols, col{req: ri, p: p, w: w})
				}
			}
		}
	}
	for ri, a := range o.Add {
		if !slices.ContainsFunc(cols, func(c col) bool { return c.req == ri }) {
			return PlaceBound{}, fmt.Errorf("bound: no slot takes one device of %s", a.Model)
		}
	}
	// Rows: one per (element, line) of a rated element, one or two per UPS
	// or source (real and apparent power), each normalised by its limit:
	// cur is the load now over the limit, the entries a device's share.
	type rowKey struct {
		g    int32
		line int8 // 0-2 the lines; 3 real power; 4 apparent power
	}
	type row struct {
		g    int32
		dir  complex128 // rated: the projection direction; apparent power: (d1, d2)
		cur  float64
		ents []lpEnt // columns, in order
	}
	rowOf := map[rowKey]int32{}
	var rows []row
	reached := map[int32]bool{}
	for ci := range cols {
		c := &cols[ci]
		for _, t := range c.p.terms {
			reached[t.g] = true
			el := &m.Elements[b.elems[t.g]]
			add := func(k rowKey, mk func() row, coef func(r *row) float64) {
				ri, ok := rowOf[k]
				if !ok {
					ri = int32(len(rows))
					rowOf[k] = ri
					rows = append(rows, mk())
				}
				if v := coef(&rows[ri]); v != 0 {
					rows[ri].ents = append(rows[ri].ents, lpEnt{int32(ci), v})
				}
			}
			if el.RatingA > 0 {
				lim := el.ContinuousLimit * el.RatingA
				for l := range 3 {
					u := t.unit[l]
					if cmplx.Abs(u) <= 1e-15 {
						continue
					}
					add(rowKey{t.g, int8(l)}, func() row {
						dir := u / complex(cmplx.Abs(u), 0)
						return row{g: t.g, dir: dir, cur: real(cmplx.Conj(dir)*load.cur[t.g][l]) / lim}
					}, func(r *row) float64 { return real(cmplx.Conj(r.dir)*u) * c.w / lim })
				}
				continue
			}
			if el.CapacityW > 0 {
				add(rowKey{t.g, 3}, func() row { return row{g: t.g, cur: load.p[t.g] / el.CapacityW} },
					func(*row) float64 { return c.w / el.CapacityW })
			}
			if el.CapacityVA > 0 {
				q := t.q
				add(rowKey{t.g, 4}, func() row {
					d1, d2 := 1/math.Hypot(1, q), q/math.Hypot(1, q)
					return row{g: t.g, dir: complex(d1, d2), cur: (load.p[t.g]*d1 + load.q[t.g]*d2) / el.CapacityVA}
				}, func(r *row) float64 { return c.w * (real(r.dir) + q*imag(r.dir)) / el.CapacityVA })
			}
		}
	}
	// Identical rows (a breaker, its circuit and rack PDU of one rating)
	// are one constraint: keep the tightest, and drop rows no column
	// loads.
	seed := maphash.MakeSeed()
	byHash := map[uint64][]int{}
	var uniq []row
	for _, rw := range rows {
		if len(rw.ents) == 0 {
			continue
		}
		var h maphash.Hash
		h.SetSeed(seed)
		for _, e := range rw.ents {
			maphash.WriteComparable(&h, e)
		}
		k := h.Sum64()
		dup := slices.IndexFunc(byHash[k], func(i int) bool { return slices.Equal(uniq[i].ents, rw.ents) })
		if dup >= 0 {
			i := byHash[k][dup]
			uniq[i].cur = max(uniq[i].cur, rw.cur)
			continue
		}
		byHash[k] = append(byHash[k], len(uniq))
		uniq = append(uniq, rw)
	}
	rows = uniq
	for ri, rw := range rows {
		for _, e := range rw.ents {
			cols[e.i].rows = append(cols[e.i].rows, lpEnt{int32(ri), e.a})
		}
	}
	gs := make([]int, 0, len(reached))
	for g := range reached {
		gs = append(gs, int(b.elems[g]))
	}
	slices.Sort(gs)
	res := PlaceBound{Elements: gs, Vars: len(cols) + 1, Rows: len(rows) + len(o.Add)}

	// The restricted program starts with, per model, the slots that take
	// one device with the lowest worst row after it, and the rows they
	// load.
	inC := make([]bool, len(cols))
	inR := make([]bool, len(rows))
	var C, R []int
	addCol := func(ci int) {
		if !inC[ci] {
			inC[ci] = true
			C = append(C, ci)
			for _, e := range cols[ci].rows {
				if !inR[e.i] {
					inR[e.i] = true
					R = append(R, int(e.i))
				}
			}
		}
	}
	const start = 4
	for req := range o.Add {
		type cand struct {
			ci    int
			worst float64
		}
		var cs []cand
		for ci := range cols {
			if cols[ci].req != req {
				continue
			}
			w := 0.0
			for _, e := range cols[ci].rows {
				w = max(w, rows[e.i].cur+e.a)
			}
			cs = append(cs, cand{ci, w})
		}
		slices.SortStableFunc(cs, func(a, b cand) int { return cmpFloat(a.worst, b.worst) })
		for _, c := range cs[:min(start, len(cs))] {
			addCol(c.ci)
		}
	}
	lb, ub := math.Inf(-1), math.Inf(1)
	pi := make([]float64, len(cols))
	acc := make([]float64, len(rows))
	const maxIter, perIter = 60, 25
	for res.Iterations = 1; res.Iterations <= maxIter; res.Iterations++ {
		res.RestrictedVars = max(res.RestrictedVars, len(C)+1)
		res.RestrictedRows = max(res.RestrictedRows, len(R)+len(o.Add))
		// gonum's simplex can fail on a degenerate program ("singular"):
		// then the loads now are perturbed by a few parts in 10⁹ and the
		// program solved again. Any λ >= 0 with Σλ <= 1 gives a valid
		// Lagrangian bound (it is evaluated below on the true loads), and
		// any y a valid upper bound: a perturbation costs optimality at
		// most, never validity.
		var y, lam, mu []float64
		var err error
		for try := range 4 {
			cur := func(ri int) float64 { return rows[ri].cur + float64(try)*1e-9*float64(ri%97) }
			reqOf, entsOf := func(ci int) int { return cols[ci].req }, func(ci int) []lpEnt { return cols[ci].rows }
			if y, err = restrictedPrimal(len(o.Add), counts, C, R, reqOf, entsOf, cur); err != nil {
				continue
			}
			if lam, mu, err = restrictedDual(len(o.Add), counts, C, R, reqOf, entsOf, cur); err == nil {
				break
			}
		}
		if err != nil {
			if math.IsInf(lb, -1) {
				return res, fmt.Errorf("bound: the restricted LP: %w", err)
			}
			break // the bound so far stands; Closed stays false
		}
		// The Lagrangian bound at λ, priced over every slot.
		clear(pi)
		l := 0.0
		for j, ri := range R {
			if lam[j] <= 0 {
				continue
			}
			l += lam[j] * rows[ri].cur
			for _, e := range rows[ri].ents {
				pi[e.i] += lam[j] * e.a
			}
		}
		minPi := make([]float64, len(o.Add))
		for k := range minPi {
			minPi[k] = math.Inf(1)
		}
		for ci := range cols {
			minPi[cols[ci].req] = min(minPi[cols[ci].req], pi[ci])
		}
		for k, v := range minPi {
			l += counts[k] * v
		}
		lb = max(lb, l)
		// The restricted solution over every row: an upper bound.
		clear(acc)
		for j, ci := range C {
			if y[j] > 0 {
				for _, e := range cols[ci].rows {
					acc[e.i] += e.a * y[j]
				}
			}
		}
		u := 0.0
		type viol struct {
			ri int
			v  float64
		}
		var vs []viol
		for ri := range rows {
			r := rows[ri].cur + acc[ri]
			u = max(u, r)
			if !inR[ri] {
				vs = append(vs, viol{ri, r})
			}
		}
		ub = min(ub, u)
		if ub-lb <= 1e-7*max(1, ub) {
			res.Closed = true
			break
		}
		// Rows the restricted solution puts highest, and slots with a
		// negative reduced cost (cheapest first), join.
		t := 0.0
		for _, ri := range R {
			t = max(t, rows[ri].cur+acc[ri])
		}
		slices.SortStableFunc(vs, func(a, b viol) int { return cmpFloat(b.v, a.v) })
		grew := false
		for _, v := range vs[:min(perIter, len(vs))] {
			if v.v <= t+1e-9 {
				break
			}
			inR[v.ri] = true
			R = append(R, v.ri)
			grew = true
		}
		type price struct {
			ci int
			p  float64
		}
		var ps []price
		for ci := range cols {
			if !inC[ci] && pi[ci] < mu[cols[ci].req]-1e-9 {
				ps = append(ps, price{ci, pi[ci] - mu[cols[ci].req]})
			}
		}
		slices.SortStableFunc(ps, func(a, b price) int { return cmpFloat(a.p, b.p) })
		for _, p := range ps[:min(perIter, len(ps))] {
			addCol(p.ci)
			grew = true
		}
		if !grew {
			// Nothing violated and nothing prices out: the restricted
			// program's optimum is the whole LP's (to the tolerances).
			res.Closed = true
			break
		}
	}
	res.Iterations = min(res.Iterations, maxIter)
	res.LPRatio, res.LPUpper = max(lb, 0), ub
	// Loads only grow as devices are added (their currents add in phase
	// with what a line carries at one power factor): no placement ends an
	// element below where it is now.
	res.Ratio = res.LPRatio
	for _, e := range gs {
		if r, ok := load.Headroom(e); ok {
			res.Ratio = max(res.Ratio, r)
		}
	}
	return res, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// restrictedPrimal solves min t over the columns C and rows R: y_c >= 0,
// t >= 0, cur_i + Σ_c a_ic·y_c <= t for i in R, Σ_{c of model k} y_c =
// counts[k]; it returns y in the order of C.
func restrictedPrimal(models int, counts []float64, C, R []int, req func(int) int, ents func(int) []lpEnt, cur func(int) float64) ([]float64, error) {
	pos := map[int32]int{} // row → index in R
	for j, ri := range R {
		pos[int32(ri)] = j
	}
	// Variables: y (len C), t, slacks (len R).
	nv := len(C) + 1 + len(R)
	nr := len(R) + models
	A := mat.NewDense(nr, nv, nil)
	rhs := make([]float64, nr)
	for j, ri := range R {
		// a·y − t + s = −cur, written with a non-negative right side.
		sign := signOf(cur(ri))
		A.Set(j, len(C), -sign)
		A.Set(j, len(C)+1+j, sign)
		rhs[j] = -sign * cur(ri)
	}
	for c, ci := range C {
		for _, e := range ents(ci) {
			if j, ok := pos[e.i]; ok {
				A.Set(j, c, e.a*signOf(cur(R[j])))
			}
		}
		A.Set(len(R)+req(ci), c, 1)
	}
	for k := range models {
		rhs[len(R)+k] = counts[k]
	}
	obj := make([]float64, nv)
	obj[len(C)] = 1
	_, x, err := lp.Simplex(obj, A, rhs, 1e-12, nil)
	if err != nil {
		return nil, err
	}
	return x[:len(C)], nil
}

// signOf is the sign restrictedPrimal writes row i with: -1 when its load
// now is positive (the right side −cur is then negated).
func signOf(cur float64) float64 {
	if cur > 0 {
		return -1
	}
	return 1
}

// restrictedDual solves the dual of restrictedPrimal's program: max Σ_i
// λ_i·cur_i + Σ_k μ_k·counts[k] with λ >= 0, Σ λ <= 1 and μ_k <= Σ_i
// λ_i·a_ic for every column c of model k; it returns λ in the order of R
// and μ per model.
func restrictedDual(models int, counts []float64, C, R []int, req func(int) int, ents func(int) []lpEnt, cur func(int) float64) (lam, mu []float64, err error) {
	pos := map[int32]int{}
	for j, ri := range R {
		pos[int32(ri)] = j
	}
	// Variables: λ (len R), μ+ and μ− (models each), the slack of Σλ <= 1,
	// a slack per column.
	nl := len(R)
	nv := nl + 2*models + 1 + len(C)
	nr := 1 + len(C)
	A := mat.NewDense(nr, nv, nil)
	rhs := make([]float64, nr)
	for j := range R {
		A.Set(0, j, 1)
	}
	A.Set(0, nl+2*models, 1)
	rhs[0] = 1
	for c, ci := range C {
		r := 1 + c
		k := req(ci)
		A.Set(r, nl+k, 1)
		A.Set(r, nl+models+k, -1)
		for _, e := range ents(ci) {
			if j, ok := pos[e.i]; ok {
				A.Set(r, j, -e.a)
			}
		}
		A.Set(r, nl+2*models+1+c, 1)
	}
	obj := make([]float64, nv)
	for j, ri := range R {
		obj[j] = -cur(ri)
	}
	for k := range models {
		obj[nl+k], obj[nl+models+k] = -counts[k], counts[k]
	}
	_, x, err := lp.Simplex(obj, A, rhs, 1e-12, nil)
	if err != nil {
		return nil, nil, err
	}
	mu = make([]float64, models)
	for k := range mu {
		mu[k] = x[nl+k] - x[nl+models+k]
	}
	return x[:nl], mu, nil
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
