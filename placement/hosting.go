package placement

import (
	"slices"

	"blackstart/power"
	"blackstart/topology"
)

// Hosting says which workload instances run on each device: those pinned
// to it and those the restart plan places on it. The model says what runs
// where only through the plan, so this is the one join of power's dark
// devices with workloads; the CLI, the report and the charts all use it.
type Hosting struct {
	m     *topology.Model
	onDev [][]string // per device index: instance names ("service#index"), sorted
}

// NewHosting plans the restart of c's model (the placements of NewPlan,
// without its lower bound) and records where every instance lands.
func NewHosting(c *Cluster) *Hosting { return HostingOf(c, placements(c)) }

// HostingOf records where plan p, made on cluster c, puts every instance;
// pinned instances count on their pinned node even when the plan could
// not place them.
func HostingOf(c *Cluster, p *Plan) *Hosting {
	m := c.M
	h := &Hosting{m: m, onDev: make([][]string, len(m.Devices))}
	for i, a := range p.Assign {
		if a.Node >= 0 {
			h.onDev[a.Node] = append(h.onDev[a.Node], c.Name(i))
		}
	}
	for s, sv := range m.Services {
		for i, d := range sv.Pinned {
			h.onDev[d] = append(h.onDev[d], c.Name(int(c.first[s])+i))
		}
	}
	for d := range h.onDev {
		slices.Sort(h.onDev[d])
		h.onDev[d] = slices.Compact(h.onDev[d])
	}
	return h
}

// On returns the instances on the devices with the given ids, sorted,
// each once; ids that are not devices are skipped. The result is new.
func (h *Hosting) On(devices []string) []string {
	out := []string{}
	for _, id := range devices {
		if d, ok := h.m.DeviceIndex(id); ok {
			out = append(out, h.onDev[d]...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FillDark sets the instances of both dark sets of scenario sc (the worst
// case's and the certain cascade's) to those on their dark devices. It
// assigns new slices, never writes into the old ones: scenarios the sweep
// derives share them.
func (h *Hosting) FillDark(sc *power.Scenario) {
	sc.Dark.Instances = h.On(sc.Dark.Devices)
	sc.Certain.Dark.Instances = h.On(sc.Certain.Dark.Devices)
}
