package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"blackstart/topology"
)

// parseModel parses TOML text held in memory.
func parseModel(t testing.TB, name, text string) *topology.Model {
	t.Helper()
	m, err := topology.Parse(topology.File{Name: name, Data: []byte(text)})
	if err != nil {
		t.Fatalf("%s: parse: %v\n%s", name, err, text)
	}
	return m
}

// readTestdata returns the text of placement/testdata/name.
func readTestdata(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// loadTestdata parses placement/testdata/name.
func loadTestdata(t testing.TB, name string) *topology.Model {
	t.Helper()
	return parseModel(t, name, readTestdata(t, name))
}

// ── Random small platforms ─────────────────────────────────────────────

// randomPlatform writes a valid model of a small random platform as TOML:
// 1–4 racks and 2–12 nodes behind a two-sided single-phase power topology
// (util-x → panel → branch breaker → circuit → rack PDU, one or two panels
// per side), dual- and single-corded nodes with random roles, RAM, CPU,
// GPUs and start concurrency, and 1–6 services with random dependencies,
// quorums, requests, GPU shares, pins, spread, timeouts and start
// distributions of every kind. Breakers are sized so that the idle draw
// fits, and often so that the peak draw does not.
func randomPlatform(r *rand.Rand) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	racks := 1 + r.IntN(4)
	nodes := 2 + r.IntN(11)
	panels := 1 + r.IntN(2)

	w("[site]\nname = \"random\"\ncontinuous_limit = 0.8\npower_factor = 1.0\n")
	for _, side := range []string{"a", "b"} {
		w("[[source]]\nid = \"util-%s\"\nvoltage_v = 230\n", side)
		for p := 0; p < panels; p++ {
			w("[[panel]]\nid = \"panel-%s%d\"\ninput = \"util-%s\"\n", side, p, side)
		}
	}
	type model struct {
		id         string
		psus       int
		idle, peak float64
	}
	models := []model{{"dual-lo", 2, 80, 300}, {"dual-hi", 2, 150, 600}, {"single", 1, 60, 250}}
	for _, dm := range models {
		w("[[device_model]]\nid = %q\npsus = %d\nidle_w = %g\npeak_w = %g\nram_gib = 64\ncpu_cores = 16\n", dm.id, dm.psus, dm.idle, dm.peak)
	}

	// Nodes first, to size the breakers from their idle draw.
	type nodeSpec struct {
		rack, model int
		side        string // single-corded: the side it plugs into
		role        string
	}
	roles := []string{"", "app", "db"}
	specs := make([]nodeSpec, nodes)
	idle := map[string]float64{} // "rack/side" → idle draw, W
	peak := map[string]float64{}
	for n := range specs {
		s := nodeSpec{rack: r.IntN(racks), model: r.IntN(len(models)), role: roles[r.IntN(len(roles))]}
		dm := models[s.model]
		sides := []string{"a", "b"}
		if dm.psus == 1 {
			s.side = sides[r.IntN(2)]
			sides = []string{s.side}
		}
		for _, sd := range sides {
			key := fmt.Sprintf("%d/%s", s.rack, sd)
			idle[key] += dm.idle
			peak[key] += dm.peak
		}
		specs[n] = s
	}
	ratings := []float64{2, 4, 6, 10, 13, 16, 20, 25, 32, 40, 50, 63}
	for k := 0; k < racks; k++ {
		w("[[rack]]\nid = \"rk%d\"\n", k)
		for _, sd := range []string{"a", "b"} {
			key := fmt.Sprintf("%d/%s", k, sd)
			// Smallest rating whose budget (0.8 × In × 230 V) holds the idle
			// draw, then a random step up: sometimes enough for the peak.
			var ok []float64
			for _, in := range ratings {
				if 0.8*in*230 >= idle[key]*1.02 {
					ok = append(ok, in)
				}
			}
			in := ok[min(len(ok)-1, r.IntN(4))]
			if r.IntN(3) == 0 || 0.8*ok[len(ok)-1]*230 < peak[key] {
				in = ok[len(ok)-1]
			}
			w("[[breaker]]\nid = \"brk%d%s\"\ninput = \"panel-%s%d\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = %g\n",
				k, sd, sd, r.IntN(panels), in)
			w("[[circuit]]\nid = \"cir%d%s\"\ninput = \"brk%d%s\"\n", k, sd, k, sd)
			w("[[rack_pdu]]\nid = \"pdu%d%s\"\nrack = \"rk%d\"\ninput = \"cir%d%s\"\n", k, sd, k, k, sd)
		}
	}
	gpuTypes := []string{"a100", "t4"}
	usedRoles := map[string]bool{}
	for n, s := range specs {
		dm := models[s.model]
		w("[[device]]\nid = \"n%02d\"\nrack = \"rk%d\"\nmodel = %q", n, s.rack, dm.id)
		if s.role != "" {
			w("role = %q", s.role)
			usedRoles[s.role] = true
		}
		if dm.psus == 2 {
			w("feeds = [\"pdu%da\", \"pdu%db\"]", s.rack, s.rack)
		} else {
			w("feeds = [\"pdu%d%s\"]", s.rack, s.side)
		}
		w("ram_gib = %d\ncpu_cores = %d", []int{8, 16, 32, 64}[r.IntN(4)], []int{2, 4, 8, 16}[r.IntN(4)])
		if g := r.IntN(5); g <= 2 {
			w("gpus = %d\ngpu_type = %q", g+1, gpuTypes[r.IntN(2)])
		}
		w("start_concurrency = %d\n", 1+r.IntN(3))
	}

	services := 1 + r.IntN(6)
	for s := 0; s < services; s++ {
		inst := 1 + r.IntN(4)
		w("[[service]]\nid = \"svc%d\"\ninstances = %d", s, inst)
		if r.IntN(6) == 0 {
			w("kind = \"etcd\"") // ready quorum defaults to a majority
		} else if r.IntN(2) == 0 {
			w("ready_quorum = %d", 1+r.IntN(inst))
		}
		var deps []string
		for d := 0; d < s; d++ {
			if len(deps) < 2 && r.IntN(3) == 0 {
				deps = append(deps, fmt.Sprintf("%q", fmt.Sprintf("svc%d", d)))
			}
		}
		if len(deps) > 0 {
			w("depends_on = [%s]", strings.Join(deps, ", "))
		}
		if r.IntN(7) == 0 {
			pins := make([]string, inst)
			for k := range pins {
				pins[k] = fmt.Sprintf("\"n%02d\"", r.IntN(nodes))
			}
			w("pinned = [%s]", strings.Join(pins, ", "))
		}
		if r.IntN(3) == 0 {
			var rs []string
			for role := range usedRoles {
				rs = append(rs, role)
			}
			if len(rs) > 0 {
				sort.Strings(rs)
				w("role = %q", rs[r.IntN(len(rs))])
			}
		}
		w("ram_gib = %g\ncpu_cores = %g", float64(1+r.IntN(40))/4, float64(1+r.IntN(10))/4)
		switch g := r.IntN(10); {
		case g < 2:
			w("gpus = 1\ngpu_milli = %d", []int{250, 300, 400, 500, 700, 1000}[r.IntN(6)])
		case g == 2:
			w("gpus = %d", 1+r.IntN(2))
		}
		if r.IntN(4) == 0 {
			w("gpu_types = [%q]", gpuTypes[r.IntN(2)])
		}
		if d := r.IntN(4); d > 0 {
			w("spread = %q", []string{"", "node", "rack", "feed"}[d])
		}
		if r.IntN(3) == 0 {
			w("min_spread = %d", r.IntN(inst+1))
		}
		if r.IntN(2) == 0 {
			w("timeout_s = %d", 20+r.IntN(300))
		}
		switch r.IntN(4) {
		case 0:
			w("start = { dist = \"fixed\", s = %d }", 5+r.IntN(56))
		case 1:
			lo := 5 + r.IntN(26)
			w("start = { dist = \"uniform\", min_s = %d, max_s = %d }", lo, lo+r.IntN(61))
		case 2:
			med := 5 + r.IntN(36)
			w("start = { dist = \"lognormal\", median_s = %d, p90_s = %d }", med, med+r.IntN(3*med+1))
		default:
			w("start = { dist = \"exponential\", mean_s = %d }", 5+r.IntN(36))
		}
		w("")
	}
	return b.String()
}

// ── A reference capacity model, written from the documentation ─────────

// refModel is the test's own reading of a model: node capacities, failure
// domains and power budget groups, computed from the topology without the
// planner's code.
type refModel struct {
	m      *topology.Model
	nodes  []refNode
	budget []float64 // per group: failover-safe budget, W
	groups [][]int   // per group: its nodes
	pools  map[string][]int
}

type refNode struct {
	ram, cpu   float64
	gpus       int
	gpuType    string
	c          int
	role       string
	rack       int
	feed       int   // index of the node's set of upstream panels
	groups     []int // budget groups: the protective devices above its PSUs
	idle, peak float64
}

func newRefModel(m *topology.Model) *refModel {
	rm := &refModel{m: m, pools: map[string][]int{}}
	groupOf := map[int]int{}
	feedOf := map[string]int{}
	for d, dev := range m.Devices {
		dm := m.DeviceModels[dev.Model]
		n := refNode{ram: dev.RAMGiB, cpu: dev.CPUCores, gpus: dev.GPUs, gpuType: dev.GPUType, c: dev.StartConcurrency,
			role: dev.Role, rack: int(dev.Rack), peak: dm.PeakW, idle: dm.IdleW}
		if n.c == 0 {
			n.c = DefaultConcurrency
		}
		var panels []string
		for _, f := range dev.Feeds {
			// Walk up to the first protective device (the budget group)
			// and on to the panel (the feed domain).
			prot := -1
			for e := int(f); ; {
				el := &m.Elements[e]
				if prot < 0 && el.Standard != topology.StdNone {
					prot = e
				}
				if el.Kind == topology.KindPanel || len(el.Inputs) == 0 {
					panels = append(panels, el.ID)
					break
				}
				e = int(el.Inputs[el.Preferred])
			}
			if prot >= 0 {
				g, ok := groupOf[prot]
				if !ok {
					g = len(rm.budget)
					groupOf[prot] = g
					el := &m.Elements[prot]
					if el.Phases != 1 {
						panic("reference model: single-phase breakers only")
					}
					rm.budget = append(rm.budget, el.ContinuousLimit*el.RatingA*el.VoltageV*el.PowerFactor)
					rm.groups = append(rm.groups, nil)
				}
				if !slices.Contains(n.groups, g) {
					n.groups = append(n.groups, g)
					rm.groups[g] = append(rm.groups[g], d)
				}
			}
		}
		sort.Strings(panels)
		key := strings.Join(slices.Compact(panels), "+")
		if _, ok := feedOf[key]; !ok {
			feedOf[key] = len(feedOf)
		}
		n.feed = feedOf[key]
		rm.nodes = append(rm.nodes, n)
		rm.pools[n.role] = append(rm.pools[n.role], d)
		if n.role != "" {
			rm.pools[""] = append(rm.pools[""], d)
		}
	}
	return rm
}

// domain is node n's key in failure domain d.
func (rm *refModel) domain(n int, d topology.Domain) int {
	switch d {
	case topology.DomainRack:
		return rm.nodes[n].rack
	case topology.DomainFeed:
		return rm.nodes[n].feed
	}
	return n
}

// coupled reports whether some budget group holds nodes of the pool in
// two different domains of d: then a placement in one domain can take the
// power another domain needs.
func (rm *refModel) coupled(pool []int, d topology.Domain) bool {
	in := map[int]bool{}
	for _, n := range pool {
		in[n] = true
	}
	for _, g := range rm.groups {
		dom := -1
		for _, n := range g {
			if !in[n] {
				continue
			}
			if k := rm.domain(n, d); dom >= 0 && k != dom {
				return true
			} else {
				dom = k
			}
		}
	}
	return false
}

// refState is what the nodes hold: a set of instances per node.
type refState struct {
	rm   *refModel
	c    *Cluster
	held [][]int // per node: instances
}

func newRefState(rm *refModel, c *Cluster) *refState {
	return &refState{rm: rm, c: c, held: make([][]int, len(rm.nodes))}
}

func (st *refState) clone() *refState {
	o := &refState{rm: st.rm, c: st.c, held: make([][]int, len(st.held))}
	for n := range st.held {
		o.held[n] = slices.Clone(st.held[n])
	}
	return o
}

func (st *refState) add(n, i int) { st.held[n] = append(st.held[n], i) }

func (st *refState) remove(n, i int) {
	k := slices.Index(st.held[n], i)
	if k < 0 {
		panic(fmt.Sprintf("reference: instance %d not on node %d", i, n))
	}
	st.held[n] = slices.Delete(st.held[n], k, k+1)
}

func (st *refState) svc(i int) *topology.Service {
	return &st.c.M.Services[st.c.Instances[i].Service]
}

// drawW is node n's draw with what it holds: idle + (peak − idle) × CPU
// utilization (at most 1), W.
func (st *refState) drawW(n int) float64 {
	nd := &st.rm.nodes[n]
	if nd.cpu <= 0 {
		return nd.idle
	}
	cpu := 0.0
	for _, i := range st.held[n] {
		cpu += st.svc(i).CPUCores
	}
	return nd.idle + (nd.peak-nd.idle)*min(cpu/nd.cpu, 1)
}

const refEps = 1e-9

// nodeOK checks node n against its capacity: RAM, CPU, GPUs of allowed
// types in some packing of whole GPUs and shares. "" when it holds.
func (st *refState) nodeOK(n int) string {
	nd := &st.rm.nodes[n]
	ram, cpu := 0.0, 0.0
	var reqs []gpuReq
	for _, i := range st.held[n] {
		sv := st.svc(i)
		ram += sv.RAMGiB
		cpu += sv.CPUCores
		if sv.GPUs > 0 {
			if len(sv.GPUTypes) > 0 && !slices.Contains(sv.GPUTypes, nd.gpuType) {
				return fmt.Sprintf("%s needs GPU type %v, node has %q", st.c.Name(i), sv.GPUTypes, nd.gpuType)
			}
			reqs = append(reqs, gpuReq{sv.GPUs, sv.GPUMilli})
		}
	}
	if ram > nd.ram+refEps {
		return fmt.Sprintf("RAM %g GiB > %g GiB", ram, nd.ram)
	}
	if cpu > nd.cpu+refEps {
		return fmt.Sprintf("CPU %g cores > %g", cpu, nd.cpu)
	}
	if !gpuPackable(nd.gpus, reqs) {
		return fmt.Sprintf("GPU requests %v do not pack on %d GPUs", reqs, nd.gpus)
	}
	return ""
}

// groupOK checks budget group g: the sum of its nodes' draws within the
// budget. "" when it holds.
func (st *refState) groupOK(g int) string {
	sum := 0.0
	for _, n := range st.rm.groups[g] {
		sum += st.drawW(n)
	}
	if sum > st.rm.budget[g]+1e-6 {
		return fmt.Sprintf("group %d draws %.3f W > budget %.3f W", g, sum, st.rm.budget[g])
	}
	return ""
}

// fits reports whether node n can take instance i on top of what it holds,
// power budgets included.
func (st *refState) fits(n, i int) bool {
	st.held[n] = append(st.held[n], i)
	defer func() { st.held[n] = st.held[n][:len(st.held[n])-1] }()
	if st.nodeOK(n) != "" {
		return false
	}
	for _, g := range st.rm.nodes[n].groups {
		if st.groupOK(g) != "" {
			return false
		}
	}
	return true
}

// gpuReq is one instance's GPU request: count GPUs of milli thousandths
// each (a share of one GPU when milli < 1000).
type gpuReq struct{ count, milli int }

// gpuPackable reports whether the requests fit on gpus GPUs of 1000
// thousandths: whole GPUs each take one GPU of their own, shares are
// packed (exhaustively) into the rest.
func gpuPackable(gpus int, reqs []gpuReq) bool {
	whole := 0
	var shares []int
	for _, q := range reqs {
		if q.milli >= 1000 {
			whole += q.count
		} else {
			shares = append(shares, q.milli)
		}
	}
	bins := gpus - whole
	if bins < 0 || len(shares) > 0 && bins == 0 {
		return false
	}
	sort.Sort(sort.Reverse(sort.IntSlice(shares)))
	free := make([]int, bins)
	for b := range free {
		free[b] = 1000
	}
	var place func(k int) bool
	place = func(k int) bool {
		if k == len(shares) {
			return true
		}
		for b := range free {
			if free[b] >= shares[k] {
				free[b] -= shares[k]
				if place(k + 1) {
					return true
				}
				free[b] += shares[k]
				if free[b] == 1000 { // every empty bin is alike
					break
				}
			}
		}
		return false
	}
	return place(0)
}

// quorum is how many instances of service s must be up for dependents.
func quorum(sv *topology.Service) int {
	return max(sv.ReadyQuorum, 1)
}

func approxLE(a, b float64) bool { return a <= b+1e-9*math.Max(1, math.Abs(b)) }
