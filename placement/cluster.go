package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"blackstart/power"
	"blackstart/topology"
)

// Defaults for what the model does not say.
const (
	DefaultConcurrency = 4     // concurrent starts a node runs without slowdown
	DefaultTimeoutS    = 300.0 // start timeout per attempt, s
	DefaultMaxAttempts = 10    // attempts before an instance is given up
	DefaultBackoffS    = 10.0  // first retry delay, s; doubles per attempt up to MaxBackoffS, ±50 % jitter
	MaxBackoffS        = 300.0 // longest retry delay before jitter, s (as Kubernetes' crash-loop back-off)
	DefaultRefreshS    = 30.0  // metrics refresh period of the stale policies, s
)

// node is the static description of one node.
type node struct {
	ramGiB, cpu float64
	gpus        int
	gpuType     string
	c           int    // concurrent starts without slowdown, >= 1
	role        string // device role
	rack        int32
	feed        int32   // power-feed domain: index of the node's set of upstream panels
	idleW       float64 // draw with nothing running, W
	peakW       float64 // draw at full CPU use, W
}

// Cluster is the static side of a restart: the nodes and their domains, the
// instances to start and their requests. It is built once per model.
type Cluster struct {
	M     *topology.Model
	nodes []node
	// budget is the power package's failover-safe budget of the model (nil
	// without power elements), restricted to the elements the nodes' peak
	// draws could put over (Budget.Reachable): no placement may put a
	// rated element above its limit in its failover case.
	budget    *power.Budget
	Instances []Instance
	first     []int32            // per service: index of its first instance
	meanS     []float64          // per service: expected start duration, s
	pools     map[string][]int32 // role → nodes ("" → every node)
	deps      [][]int32          // per service: the services that depend on it
}

// Dependents returns the services that depend on service s (indices into
// Model.Services, ascending). The slice is the cluster's: do not modify it.
func (c *Cluster) Dependents(s int) []int32 { return c.deps[s] }

// Instance is one instance of a service.
type Instance struct {
	Service int32 // index into Model.Services
	Index   int32 // 0-based, < the service's Instances
}

// Name returns "service#index".
func (c *Cluster) Name(i int) string {
	in := c.Instances[i]
	return fmt.Sprintf("%s#%d", c.M.Services[in.Service].ID, in.Index)
}

// NewCluster prepares model m for planning and simulation.
func NewCluster(m *topology.Model) *Cluster { return newCluster(m, nil) }

// NewClusterOn is NewCluster for n's model, its power budget built on n
// rather than on a network of its own: a budget counts what each watt of
// a device adds to the elements above it (the model's wiring and power
// factors), whatever n's draw basis and draws, so the cluster is the same.
// It spares a caller that has a network building a second one.
func NewClusterOn(n *power.Network) *Cluster { return newCluster(n.M, n) }

// newCluster is NewCluster with its budget built on n (nil: on a network
// of m's on the conservative basis).
func newCluster(m *topology.Model, n *power.Network) *Cluster {
	c := &Cluster{M: m, pools: map[string][]int32{}, deps: make([][]int32, len(m.Services)), nodes: make([]node, 0, len(m.Devices))}
	for s := range m.Services {
		for _, d := range m.Services[s].DependsOn {
			c.deps[d] = append(c.deps[d], int32(s))
		}
	}
	panelSets := map[string]int32{}
	peakW := make([]float64, 0, len(m.Devices))
	for d := range m.Devices {
		dev := &m.Devices[d]
		dm := &m.DeviceModels[dev.Model]
		n := node{ramGiB: dev.RAMGiB, cpu: dev.CPUCores, gpus: dev.GPUs, gpuType: dev.GPUType, c: dev.StartConcurrency,
			role: dev.Role, rack: dev.Rack}
		if n.c <= 0 {
			n.c = DefaultConcurrency
		}
		n.peakW = max(dm.PeakW, dm.AllocatedW, dm.TypicalW, dm.MeasuredW, dev.MeasuredW)
		if n.peakW == 0 {
			n.peakW = dm.NameplateW
		}
		n.idleW = dm.IdleW
		if n.idleW == 0 || n.idleW > n.peakW {
			n.idleW = n.peakW / 2
		}
		// Feed domain: the panels above the node's PSUs.
		var panels []string
		for _, f := range dev.Feeds {
			for e := int(f); e >= 0; {
				el := &m.Elements[e]
				if el.Kind == topology.KindPanel || len(el.Inputs) == 0 {
					panels = append(panels, el.ID)
					break
				}
				e = int(el.Inputs[el.Preferred])
			}
		}
		// A set: two PSUs under the same panel count it once.
		sort.Strings(panels)
		key := strings.Join(slices.Compact(panels), "+")
		f, ok := panelSets[key]
		if !ok {
			f = int32(len(panelSets))
			panelSets[key] = f
		}
		n.feed = f
		c.nodes = append(c.nodes, n)
		peakW = append(peakW, n.peakW)
		c.pools[n.role] = append(c.pools[n.role], int32(d))
		if n.role != "" {
			c.pools[""] = append(c.pools[""], int32(d))
		}
	}
	if len(m.Elements) > 0 {
		// A node never draws more than its peak: elements that every node
		// at its peak cannot put over their limit need no test.
		if n == nil {
			n = power.NewNetwork(m, power.BasisConservative)
		}
		c.budget = power.NewBudget(n).Reachable(peakW)
	}
	for s := range m.Services {
		sv := &m.Services[s]
		c.first = append(c.first, int32(len(c.Instances)))
		c.meanS = append(c.meanS, Mean(sv.Start))
		for k := 0; k < sv.Instances; k++ {
			c.Instances = append(c.Instances, Instance{Service: int32(s), Index: int32(k)})
		}
	}
	return c
}

func containsInt32(s []int32, x int32) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// MeanS returns the expected start duration of instance i, s (the mean of
// its service's distribution).
func (c *Cluster) MeanS(i int) float64 { return c.meanS[c.Instances[i].Service] }

// First returns the index in Instances of service s's first instance; its
// instances are consecutive.
func (c *Cluster) First(s int) int { return int(c.first[s]) }

// Pool returns the nodes service s may run on (its role's), by index into
// Model.Devices. The slice is shared: do not modify it.
func (c *Cluster) Pool(s int32) []int32 { return c.pool(s) }

// Quantile returns the q-quantile (0 < q < 1) of a start distribution, s.
func Quantile(d topology.Dist, q float64) float64 {
	switch d.Kind {
	case "uniform":
		return d.MinS + q*(d.MaxS-d.MinS)
	case "lognormal":
		z := math.Sqrt2 * math.Erfinv(2*q-1)
		return d.MedianS * math.Exp(sigma(d)*z)
	case "exponential":
		return -d.MeanS * math.Log(1-q)
	}
	return d.S
}

// pool returns the nodes a service may run on.
func (c *Cluster) pool(s int32) []int32 {
	return c.pools[c.M.Services[s].Role]
}

// domain returns node n's key in failure domain d.
func (c *Cluster) domain(n int32, d topology.Domain) int32 {
	switch d {
	case topology.DomainRack:
		return c.nodes[n].rack
	case topology.DomainFeed:
		return c.nodes[n].feed
	}
	return n
}

// Mean returns the expected value of a start distribution, seconds.
func Mean(d topology.Dist) float64 {
	switch d.Kind {
	case "uniform":
		return (d.MinS + d.MaxS) / 2
	case "lognormal":
		s := sigma(d)
		return d.MedianS * math.Exp(s*s/2)
	case "exponential":
		return d.MeanS
	}
	return d.S
}

// z90 is the 90th percentile of the standard normal distribution.
const z90 = 1.2815515655446004

func sigma(d topology.Dist) float64 {
	if d.MedianS <= 0 || d.P90S <= d.MedianS {
		return 0
	}
	return math.Log(d.P90S/d.MedianS) / z90
}

// Sample draws a start duration from d with r, seconds (> 0).
func Sample(d topology.Dist, r *rand.Rand) float64 {
	var x float64
	switch d.Kind {
	case "uniform":
		x = d.MinS + r.Float64()*(d.MaxS-d.MinS)
	case "lognormal":
		x = d.MedianS * math.Exp(sigma(d)*r.NormFloat64())
	case "exponential":
		x = -d.MeanS * math.Log(1-r.Float64())
	default:
		x = d.S
	}
	return max(x, 1e-3)
}

// Work returns the start duration of instance i's start a (0-based; a
// rejected dispatch starts nothing and draws nothing) at full speed, drawn
// from its service's distribution with a generator seeded by (seed, i, a):
// the same for every policy and every event order.
func (c *Cluster) Work(seed uint64, i, a int) float64 {
	var d drawer
	return c.work(&d, seed, i, a)
}

// drawer is a generator to draw start durations with, reseeded per draw.
type drawer struct {
	pcg rand.PCG
	r   *rand.Rand
}

// work is Work drawing with d's generator (the same values, without a
// generator allocated per draw).
func (c *Cluster) work(d *drawer, seed uint64, i, a int) float64 {
	if d.r == nil {
		d.r = rand.New(&d.pcg)
	}
	d.pcg.Seed(seed, uint64(i)<<8|uint64(a&0xff))
	return Sample(c.M.Services[c.Instances[i].Service].Start, d.r)
}

// IdleW returns, per device, its draw with nothing running, W: the idle
// draw its model gives (half its highest figure when none is given).
func (c *Cluster) IdleW() []float64 {
	out := make([]float64, len(c.nodes))
	for n := range c.nodes {
		out[n] = c.nodes[n].idleW
	}
	return out
}

// usage is the mutable side: what each node and budget group holds.
type usage struct {
	c       *Cluster
	ram     []float64
	cpu     []float64
	gpuFree [][]int32 // per node, per GPU: free thousandths
	drawW   []float64 // per node: planned draw, W
	// power holds every node's planned draw against the cluster's budget
	// (nil without one).
	power *power.BudgetLoad
	gpuOf [][]int // per instance: the GPUs it holds on its node
	// planned, when set, holds per instance the GPUs a plan chose for it
	// on its node: add takes those instead of picking again, so starts in
	// another order than planned never fragment what the plan packed.
	planned [][]int
}

func newUsage(c *Cluster) *usage {
	u := &usage{c: c, ram: make([]float64, len(c.nodes)), cpu: make([]float64, len(c.nodes)),
		gpuFree: make([][]int32, len(c.nodes)), drawW: make([]float64, len(c.nodes)),
		gpuOf: make([][]int, len(c.Instances))}
	for n := range c.nodes {
		nd := &c.nodes[n]
		u.gpuFree[n] = make([]int32, nd.gpus) // empty without GPUs
		for g := range u.gpuFree[n] {
			u.gpuFree[n][g] = 1000
		}
		u.drawW[n] = nd.idleW
	}
	if c.budget != nil {
		u.power = c.budget.Load(u.drawW)
	}
	return u
}

// Reasons a node cannot take an instance.
const (
	reasonRAM     = "not enough free RAM"
	reasonCPU     = "not enough free CPU"
	reasonGPU     = "no GPU of an allowed type with enough free share"
	reasonPower   = "a breaker, panel or UPS above it would exceed its limit on failover"
	reasonRole    = "no node has the service's role"
	reasonPinned  = "the pinned node cannot hold it"
	reasonSpread  = "not enough failure domains for min_spread"
	reasonNoNodes = "no node fits"
	reasonQuorum  = "a dependency cannot reach its ready quorum"
)

// eps absorbs floating-point sums of requests.
const eps = 1e-9

// fits reports whether node n can take instance i now, and why not.
func (u *usage) fits(n int32, i int) (bool, string) {
	c := u.c
	nd := &c.nodes[n]
	sv := &c.M.Services[c.Instances[i].Service]
	if u.ram[n]+sv.RAMGiB > nd.ramGiB+eps {
		return false, reasonRAM
	}
	if u.cpu[n]+sv.CPUCores > nd.cpu+eps {
		return false, reasonCPU
	}
	if sv.GPUs > 0 {
		if len(sv.GPUTypes) > 0 && !containsString(sv.GPUTypes, nd.gpuType) {
			return false, reasonGPU
		}
		if pickGPUs(u.gpuFree[n], sv.GPUs, int32(sv.GPUMilli)) == nil {
			return false, reasonGPU
		}
	}
	if u.power != nil {
		if dw := u.extraW(n, sv.CPUCores); dw > 0 {
			if !u.power.Fits(int(n), dw) {
				return false, reasonPower
			}
		}
	}
	return true, ""
}

// extraW is the draw node n adds when cpu more cores are used:
// (peak − idle) × the increase in utilization.
func (u *usage) extraW(n int32, cpu float64) float64 {
	nd := &u.c.nodes[n]
	if nd.cpu <= 0 {
		return 0
	}
	before := min(u.cpu[n]/nd.cpu, 1)
	after := min((u.cpu[n]+cpu)/nd.cpu, 1)
	return (nd.peakW - nd.idleW) * (after - before)
}

func containsString(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// pickGPUs chooses the GPUs an instance takes: for one GPU (a share or a
// whole one), the fullest GPU that still has its share (best fit, to keep
// whole GPUs free; for a whole GPU, the first entirely free one); for
// several whole GPUs, that many entirely free ones. nil when impossible.
func pickGPUs(free []int32, count int, milli int32) []int {
	if count == 1 {
		best := -1
		for g, f := range free {
			if f >= milli && (best < 0 || f < free[best]) {
				best = g
			}
		}
		if best < 0 {
			return nil
		}
		return []int{best}
	}
	var out []int
	for g, f := range free {
		if f == 1000 {
			out = append(out, g)
			if len(out) == count {
				return out
			}
		}
	}
	return nil
}

// add accounts instance i on node n; it must fit.
func (u *usage) add(n int32, i int) {
	u.apply(n, i, +1)
}

// remove releases instance i from node n.
func (u *usage) remove(n int32, i int) {
	u.apply(n, i, -1)
}

func (u *usage) apply(n int32, i int, sign float64) {
	c := u.c
	sv := &c.M.Services[c.Instances[i].Service]
	if sign > 0 {
		dw := u.extraW(n, sv.CPUCores)
		u.drawW[n] += dw
		if u.power != nil {
			u.power.Add(int(n), dw)
		}
	}
	u.ram[n] += sign * sv.RAMGiB
	u.cpu[n] += sign * sv.CPUCores
	if sign < 0 {
		dw := u.extraW(n, sv.CPUCores) // the draw the removed cores added
		u.drawW[n] -= dw
		if u.power != nil {
			u.power.Add(int(n), -dw)
		}
	}
	if sv.GPUs > 0 {
		if sign > 0 {
			if u.planned != nil && u.planned[i] != nil {
				u.gpuOf[i] = u.planned[i]
			} else {
				u.gpuOf[i] = pickGPUs(u.gpuFree[n], sv.GPUs, int32(sv.GPUMilli))
			}
			for _, g := range u.gpuOf[i] {
				u.gpuFree[n][g] -= int32(sv.GPUMilli)
			}
		} else {
			for _, g := range u.gpuOf[i] {
				u.gpuFree[n][g] += int32(sv.GPUMilli)
			}
			u.gpuOf[i] = nil
		}
	}
}
