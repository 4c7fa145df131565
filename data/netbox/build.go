package netbox

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ModelHeader starts every model an import writes (and MappingHeader every
// mapping): a file that does not start so was not written by an import,
// and the command does not replace it.
const (
	ModelHeader      = "# Imported from NetBox by blackstart import netbox"
	MappingGenerator = "blackstart import netbox"
	MappingHeader    = "{\n  \"generator\": \"" + MappingGenerator + "\""
)

// Options steer an import.
type Options struct {
	// Site is the slug (or name) of the site to import; "" imports every
	// site into one model.
	Site string
	// IncludePlanned imports planned feeds, devices and cables too.
	IncludePlanned bool
	// Overlay completes what NetBox does not know; nil applies defaults.
	Overlay *Overlay
}

// Result is an import: the model, the mapping back to NetBox, the report.
type Result struct {
	Model   []byte  // the blackstart model, TOML; byte-identical for the same input
	Mapping Mapping // each element's NetBox object
	Report  Report
}

// Mapping ties each element of the model to the NetBox object it comes
// from (written beside the model: TOML model files reject unknown keys).
type Mapping struct {
	Generator string     `json:"generator"` // MappingGenerator
	Sources   []string   `json:"sources"`
	Elements  []MapEntry `json:"elements"` // sorted by id
}

// MapEntry is one element and its NetBox object.
type MapEntry struct {
	ID       string `json:"id"`        // blackstart id
	Kind     string `json:"kind"`      // model section: source, panel, breaker, circuit, rack, rack_pdu, bank, device_model, device
	Object   string `json:"object"`    // NetBox object type: dcim.powerpanel, dcim.powerfeed, dcim.rack, dcim.device, dcim.devicetype
	NetBoxID int    `json:"netbox_id"` // the object's id
	Name     string `json:"name"`      // its NetBox name ("" for an unnamed device)
	URL      string `json:"url"`       // its API URL, as NetBox gave it
	Note     string `json:"note,omitempty"`
}

// Finding is one object the report points at, and why.
type Finding struct {
	Object string `json:"object"` // e.g. `device "ncsu-coreswitch1" PSU0`
	URL    string `json:"url,omitempty"`
	Reason string `json:"reason"`
}

// Count is how many objects of one endpoint were read and imported.
type Count struct {
	Endpoint string `json:"endpoint"`
	Read     int    `json:"read"`
	Imported int    `json:"imported"` // used in the model (in the site, not skipped)
}

// Default is a setting NetBox does not hold and the overlay did not give.
type Default struct {
	Setting  string `json:"setting"`
	Value    string `json:"value"`
	Elements int    `json:"elements"` // how many elements of the model use it
	Why      string `json:"why"`
}

// FeedFigures sets NetBox's figures for a feed beside blackstart's.
type FeedFigures struct {
	Feed   string `json:"feed"`   // NetBox name
	URL    string `json:"url"`    // NetBox API URL
	ID     string `json:"id"`     // blackstart circuit id
	Panel  string `json:"panel"`  // NetBox panel name
	Rack   string `json:"rack"`   // NetBox rack name, "" if none
	Status string `json:"status"` // NetBox status
	Type   string `json:"type"`   // primary or redundant (a label: redundancy comes from the PSUs' cables)
	Cabled bool   `json:"cabled"` // cabled to a power port
	Phases int    `json:"phases"` // 1 or 3
	// VoltageV, AmperageA and MaxUtilizationPct are NetBox's figures;
	// AvailablePowerVA is what NetBox computes from them (V × A ×
	// max_utilization, × √3 for three-phase, rounded) but does not return.
	VoltageV          float64 `json:"voltage_v"`
	AmperageA         float64 `json:"amperage_a"`
	MaxUtilizationPct float64 `json:"max_utilization_pct"`
	AvailablePowerVA  float64 `json:"available_power_va"`
	// AllocatedW is NetBox's draw on the feed: the allocated draw of the
	// port cabled to it, or the sum over the ports cabled to that port's
	// outlets; NetBoxUtilizationPct = AllocatedW / AvailablePowerVA.
	AllocatedW           float64 `json:"allocated_w"`
	NetBoxUtilizationPct float64 `json:"netbox_utilization_pct"`
	// blackstart's figures: the breaker's continuous limit, and (after
	// Judge) the current in normal operation and when the rack's other
	// feeds are lost, with the failover verdict.
	ContinuousLimitA float64 `json:"continuous_limit_a"`
	NormalA          float64 `json:"normal_a"`
	FailoverA        float64 `json:"failover_a"`
	FailoverVerdict  string  `json:"failover_verdict"`
}

// RackFigures sets NetBox's rack utilization beside blackstart's verdict.
type RackFigures struct {
	Rack string `json:"rack"` // NetBox name
	URL  string `json:"url"`
	ID   string `json:"id"` // blackstart id
	// Feeds counts the rack's feeds; AvailablePowerVA and AllocatedW are
	// summed over all of them (primary and redundant alike, as NetBox
	// does), NetBoxUtilizationPct is their ratio.
	Feeds                int     `json:"feeds"`
	AvailablePowerVA     float64 `json:"available_power_va"`
	AllocatedW           float64 `json:"allocated_w"`
	NetBoxUtilizationPct float64 `json:"netbox_utilization_pct"`
	// Verdict is blackstart's worst failover verdict (after Judge):
	// cannot-judge when the inventory cannot support one (CannotJudge says
	// why); WorstFailoverPct is the largest side's failover current over
	// its breaker's rating.
	Verdict          string   `json:"verdict"`
	WorstFailoverPct float64  `json:"worst_failover_pct"`
	CannotJudge      []string `json:"cannot_judge,omitempty"`
}

// Report is the import report: what was read, what was made of it, and
// what the inventory does not say.
type Report struct {
	Sources           []string      `json:"sources"`
	Site              string        `json:"site"` // "" for every site
	Counts            []Count       `json:"counts"`
	Defaults          []Default     `json:"defaults"`
	Feeds             []FeedFigures `json:"feeds"`
	Racks             []RackFigures `json:"racks"`
	UncabledFeeds     []Finding     `json:"uncabled_feeds"`
	UnfedPSUs         []Finding     `json:"unfed_psus"`
	PortsWithoutDraw  []Finding     `json:"ports_without_draw"`
	TemplateMismatch  []Finding     `json:"template_mismatches"`
	Skipped           []Finding     `json:"skipped"`
	Warnings          []string      `json:"warnings"`
	Headline          string        `json:"headline"`
	CannotJudgeRacks  int           `json:"cannot_judge_racks"` // after Judge
	PortDraw          string        `json:"port_draw"`          // device or share
	PowerFactor       float64       `json:"power_factor"`
	FrequencyHz       float64       `json:"frequency_hz"`
	UpstreamElements  []string      `json:"upstream_elements,omitempty"` // ids the overlay's panels name as inputs
	MissingEndpoints  []string      `json:"missing_endpoints,omitempty"` // folders without a file for an endpoint
	DevicesWithoutPSU []Finding     `json:"devices_without_power_ports"`
}

// objKey names a cable end: the kind of object and its id.
type objKey struct {
	typ uint8 // termPort, termOutlet, termFeed, or termOther
	id  int
}

// code packs the key into one integer, a cheap map key.
func (k objKey) code() int64 { return int64(k.typ)<<56 | int64(k.id)&(1<<56-1) }

const (
	termOther uint8 = iota
	termPort
	termOutlet
	termFeed
)

func termKind(objectType string) uint8 {
	switch objectType {
	case "dcim.powerport":
		return termPort
	case "dcim.poweroutlet":
		return termOutlet
	case "dcim.powerfeed":
		return termFeed
	}
	return termOther
}

// usVoltages are the nominal voltages of North American systems: their
// breakers default to UL 489 and the site to 60 Hz.
var usVoltages = map[float64]bool{120: true, 208: true, 240: true, 277: true, 480: true}

// Import builds the blackstart model of inv.
func Import(inv *Inventory, o Options) (*Result, error) {
	ov := o.Overlay
	if ov == nil {
		ov = &Overlay{}
	}
	b := &build{inv: inv, opt: o, ov: ov, names: newNamer()}
	return b.run()
}

type build struct {
	inv   *Inventory
	opt   Options
	ov    *Overlay
	names *namer
	errs  ErrorList
	rep   Report
	out   strings.Builder
	mp    []MapEntry
	// defaults used: setting+value -> count
	defCount map[[2]string]int
	defWhy   map[[2]string]string
}

func (b *build) useDefault(setting, value, why string) {
	k := [2]string{setting, value}
	b.defCount[k]++
	b.defWhy[k] = why
}

func (b *build) siteOK(r *Ref) bool {
	return b.opt.Site == "" || r != nil && (r.Slug == b.opt.Site || r.Name == b.opt.Site)
}

func (b *build) fail(ep string, id int, format string, args ...any) {
	src := b.inv.origin[ep][id]
	if src == "" {
		src = ep
	}
	b.errs = append(b.errs, &Error{Source: src, Msg: fmt.Sprintf(format, args...)})
}

func statusOf(c *Choice) string {
	if c == nil {
		return ""
	}
	return c.Value
}

func (b *build) run() (*Result, error) {
	inv, ov := b.inv, b.ov
	b.defCount, b.defWhy = map[[2]string]int{}, map[[2]string]string{}
	rep := &b.rep
	rep.Sources, rep.Site, rep.MissingEndpoints = inv.Sources, b.opt.Site, inv.Missing

	// Indexes over the whole inventory (a cable may reach another site).
	panels := make(map[int]*Panel, len(inv.Panels))
	for i := range inv.Panels {
		panels[inv.Panels[i].ID] = &inv.Panels[i]
	}
	feeds := make(map[int]*Feed, len(inv.Feeds))
	for i := range inv.Feeds {
		feeds[inv.Feeds[i].ID] = &inv.Feeds[i]
	}
	racks := make(map[int]*Rack, len(inv.Racks))
	for i := range inv.Racks {
		racks[inv.Racks[i].ID] = &inv.Racks[i]
	}
	devices := make(map[int]*Device, len(inv.Devices))
	for i := range inv.Devices {
		devices[inv.Devices[i].ID] = &inv.Devices[i]
	}
	types := make(map[int]*DeviceType, len(inv.DeviceTypes))
	for i := range inv.DeviceTypes {
		types[inv.DeviceTypes[i].ID] = &inv.DeviceTypes[i]
	}
	maxDev := maxIDOf(inv.Devices, func(d *Device) int { return d.ID })
	ports := newByID[*Port](maxIDOf(inv.Ports, func(p *Port) int { return p.ID }), len(inv.Ports))
	portsOf := newByID[[]*Port](maxDev, len(inv.Devices)) // by device id, in port id order
	sortedPorts := make([]*Port, len(inv.Ports))
	for i := range inv.Ports {
		sortedPorts[i] = &inv.Ports[i]
	}
	sort.Slice(sortedPorts, func(i, j int) bool { return sortedPorts[i].ID < sortedPorts[j].ID })
	for _, p := range sortedPorts {
		ports.set(p.ID, p)
		portsOf.set(p.Device.ID, append(portsOf.get(p.Device.ID), p))
	}
	outlets := newByID[*Outlet](maxIDOf(inv.Outlets, func(o *Outlet) int { return o.ID }), len(inv.Outlets))
	outletsOf := newByID[[]*Outlet](maxDev, len(inv.Devices)) // by device id, in outlet id order
	sortedOutlets := make([]*Outlet, len(inv.Outlets))
	for i := range inv.Outlets {
		sortedOutlets[i] = &inv.Outlets[i]
	}
	sort.Slice(sortedOutlets, func(i, j int) bool { return sortedOutlets[i].ID < sortedOutlets[j].ID })
	for _, o := range sortedOutlets {
		outlets.set(o.ID, o)
		outletsOf.set(o.Device.ID, append(outletsOf.get(o.Device.ID), o))
	}
	tmplOf := map[int][]PortTemplate{}
	for _, t := range inv.PortTemplates {
		if t.DeviceType != nil && t.ModuleType == nil {
			tmplOf[t.DeviceType.ID] = append(tmplOf[t.DeviceType.ID], t)
		}
	}

	// References between objects must resolve.
	for _, f := range inv.Feeds {
		if panels[f.PowerPanel.ID] == nil {
			b.fail("power-feeds", f.ID, "power feed %d %q: power_panel %d is not among the power panels", f.ID, f.Name, f.PowerPanel.ID)
		}
		if f.Rack != nil && racks[f.Rack.ID] == nil {
			b.fail("power-feeds", f.ID, "power feed %d %q: rack %d is not among the racks", f.ID, f.Name, f.Rack.ID)
		}
	}
	for _, d := range inv.Devices {
		if d.Rack != nil && racks[d.Rack.ID] == nil {
			b.fail("devices", d.ID, "device %d: rack %d is not among the racks", d.ID, d.Rack.ID)
		}
		if types[d.DeviceType.ID] == nil {
			b.fail("devices", d.ID, "device %d: device_type %d is not among the device types", d.ID, d.DeviceType.ID)
		}
	}
	for _, p := range inv.Ports {
		if devices[p.Device.ID] == nil {
			b.fail("power-ports", p.ID, "power port %d %q: device %d is not among the devices", p.ID, p.Name, p.Device.ID)
		}
	}
	for _, p := range inv.Outlets {
		if devices[p.Device.ID] == nil {
			b.fail("power-outlets", p.ID, "power outlet %d %q: device %d is not among the devices", p.ID, p.Name, p.Device.ID)
		}
		if p.PowerPort != nil && ports.get(p.PowerPort.ID) == nil {
			b.fail("power-outlets", p.ID, "power outlet %d %q: power_port %d is not among the power ports", p.ID, p.Name, p.PowerPort.ID)
		}
	}
	// Cables: the power connections.
	// The cable ends joined to each power port, outlet and feed.
	peerPort := newByID[[]objKey](ports.maxID(), len(inv.Ports))
	peerOutlet := newByID[[]objKey](outlets.maxID(), len(inv.Outlets))
	peerFeed := newByID[[]objKey](maxIDOf(inv.Feeds, func(f *Feed) int { return f.ID }), len(inv.Feeds))
	peerTable := func(k objKey) *byID[[]objKey] {
		switch k.typ {
		case termPort:
			return peerPort
		case termOutlet:
			return peerOutlet
		case termFeed:
			return peerFeed
		}
		return nil
	}
	peersOf := func(k objKey) []objKey {
		if t := peerTable(k); t != nil {
			return t.get(k.id)
		}
		return nil
	}
	known := func(t Termination) bool {
		switch t.ObjectType {
		case "dcim.powerport":
			return ports.get(t.ObjectID) != nil
		case "dcim.poweroutlet":
			return outlets.get(t.ObjectID) != nil
		case "dcim.powerfeed":
			return feeds[t.ObjectID] != nil
		}
		return true
	}
	isPower := func(t Termination) bool {
		return t.ObjectType == "dcim.powerport" || t.ObjectType == "dcim.poweroutlet" || t.ObjectType == "dcim.powerfeed"
	}
	cables := append([]Cable(nil), inv.Cables...)
	sort.Slice(cables, func(i, j int) bool { return cables[i].ID < cables[j].ID })
	usedCables := 0
	for _, c := range cables {
		bad := false
		for side, ts := range [][]Termination{c.A, c.B} {
			for k, t := range ts {
				if t.ObjectType == "" {
					b.fail("cables", c.ID, "cable %d: %s_terminations[%d] has no object_type", c.ID, "ab"[side:side+1], k)
					bad = true
				} else if !known(t) {
					b.fail("cables", c.ID, "cable %d: %s_terminations[%d] is %s %d, which is not in the inventory", c.ID, "ab"[side:side+1], k, t.ObjectType, t.ObjectID)
					bad = true
				}
			}
		}
		if bad || len(c.A) == 0 || len(c.B) == 0 || !isPower(c.A[0]) {
			continue
		}
		switch st := statusOf(c.Status); st {
		case "", "connected":
		case "planned":
			if !b.opt.IncludePlanned {
				rep.Skipped = append(rep.Skipped, Finding{Object: fmt.Sprintf("cable %d", c.ID), URL: c.URL, Reason: "planned (--include-planned imports it)"})
				continue
			}
		default:
			rep.Skipped = append(rep.Skipped, Finding{Object: fmt.Sprintf("cable %d", c.ID), URL: c.URL, Reason: "status " + st})
			continue
		}
		usedCables++
		for _, a := range c.A {
			for _, z := range c.B {
				ka, kz := objKey{termKind(a.ObjectType), a.ObjectID}, objKey{termKind(z.ObjectType), z.ObjectID}
				if t := peerTable(ka); t != nil {
					t.set(ka.id, append(t.get(ka.id), kz))
				}
				if t := peerTable(kz); t != nil {
					t.set(kz.id, append(t.get(kz.id), ka))
				}
			}
		}
	}
	if len(b.errs) > 0 {
		return nil, b.errs
	}

	// The site.
	if b.opt.Site != "" {
		found := false
		sites := map[string]bool{}
		for _, r := range inv.Racks {
			found = found || b.siteOK(r.Site)
			sites[r.Site.Slug] = true
		}
		for _, p := range inv.Panels {
			found = found || b.siteOK(p.Site)
			sites[p.Site.Slug] = true
		}
		if !found {
			var l []string
			for s := range sites {
				l = append(l, s)
			}
			sort.Strings(l)
			return nil, ErrorList{{Source: strings.Join(inv.Sources, ", "), Msg: fmt.Sprintf("no rack or power panel in site %q; sites: %s", b.opt.Site, strings.Join(l, ", "))}}
		}
	}

	// Feeds kept, per panel.
	pf := 0.95
	if ov.Defaults.PowerFactor != nil {
		pf = *ov.Defaults.PowerFactor
	}
	portDraw := "device"
	if ov.Defaults.PortDraw != nil {
		portDraw = *ov.Defaults.PortDraw
	}
	rep.PortDraw, rep.PowerFactor = portDraw, pf
	ovPanel := map[string]*OverlayPanel{}
	for i := range ov.Panels {
		ovPanel[ov.Panels[i].Name] = &ov.Panels[i]
	}
	ovFeed := map[string]*OverlayFeed{}
	for i := range ov.Feeds {
		ovFeed[ov.Feeds[i].Name] = &ov.Feeds[i]
	}
	ovPDU := map[string]*OverlayPDU{}
	for i := range ov.PDUs {
		ovPDU[ov.PDUs[i].Name] = &ov.PDUs[i]
	}
	ovType := map[string]*OverlayDeviceType{}
	for i := range ov.DeviceTypes {
		ovType[ov.DeviceTypes[i].Slug] = &ov.DeviceTypes[i]
	}

	var offline []*Feed // feeds NetBox says are offline or failed
	keptPanels := []*Panel{}
	for i := range inv.Panels {
		if b.siteOK(inv.Panels[i].Site) {
			keptPanels = append(keptPanels, &inv.Panels[i])
		}
	}
	sort.Slice(keptPanels, func(i, j int) bool { return keptPanels[i].ID < keptPanels[j].ID })
	feedsOf := map[int][]*Feed{}
	keptFeed := map[int]bool{}
	var keptFeeds []*Feed
	sortedFeeds := make([]*Feed, len(inv.Feeds))
	for i := range inv.Feeds {
		sortedFeeds[i] = &inv.Feeds[i]
	}
	sort.Slice(sortedFeeds, func(i, j int) bool { return sortedFeeds[i].ID < sortedFeeds[j].ID })
	for _, f := range sortedFeeds {
		if !b.siteOK(panels[f.PowerPanel.ID].Site) {
			continue
		}
		obj := fmt.Sprintf("power feed %q", f.Name)
		switch st := statusOf(f.Status); {
		case statusOf(f.Supply) == "dc":
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: f.URL, Reason: "DC supply: blackstart models AC feeds"})
			continue
		case st == "planned" && !b.opt.IncludePlanned:
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: f.URL, Reason: "planned (--include-planned imports it)"})
			continue
		case st == "offline" || st == "failed":
			offline = append(offline, f)
		}
		if *f.Amperage <= 0 || *f.Voltage == 0 || *f.MaxUtilization <= 0 || *f.MaxUtilization > 100 {
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: f.URL, Reason: fmt.Sprintf("impossible figures: %g V, %g A, max_utilization %g %%", *f.Voltage, *f.Amperage, *f.MaxUtilization)})
			continue
		}
		ph := statusOf(f.Phase)
		if ph != "single-phase" && ph != "three-phase" {
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: f.URL, Reason: fmt.Sprintf("phase %q is neither single-phase nor three-phase", ph)})
			continue
		}
		fs := feedsOf[f.PowerPanel.ID]
		if len(fs) > 0 && (math.Abs(*fs[0].Voltage) != math.Abs(*f.Voltage) || statusOf(fs[0].Phase) != ph) {
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: f.URL, Reason: fmt.Sprintf("%g V %s, but feed %q of the same panel is %g V %s: a panel has one supply (split the panel, or correct the feed)",
				math.Abs(*f.Voltage), ph, fs[0].Name, math.Abs(*fs[0].Voltage), statusOf(fs[0].Phase))})
			continue
		}
		if ph == "three-phase" && (math.Abs(*f.Voltage) == 220 || math.Abs(*f.Voltage) == 230 || math.Abs(*f.Voltage) == 240) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("three-phase power feed %q is entered at %g V: likely line-to-neutral; blackstart and NetBox read a three-phase voltage as line-to-line", f.Name, math.Abs(*f.Voltage)))
		}
		feedsOf[f.PowerPanel.ID] = append(fs, f)
		keptFeed[f.ID] = true
		keptFeeds = append(keptFeeds, f)
	}

	// Names, in a fixed order of kinds so that ids do not depend on map order.
	siteSlug := func(r *Ref) string {
		if r == nil {
			return ""
		}
		return r.Slug
	}
	for _, p := range keptPanels {
		if len(feedsOf[p.ID]) > 0 {
			b.names.want("panel", p.ID, p.Name, siteSlug(p.Site))
		}
	}
	for _, f := range keptFeeds {
		b.names.want("feed", f.ID, f.Name, siteSlug(panels[f.PowerPanel.ID].Site))
	}
	keptRacks := []*Rack{}
	for i := range inv.Racks {
		if b.siteOK(inv.Racks[i].Site) {
			keptRacks = append(keptRacks, &inv.Racks[i])
		}
	}
	sort.Slice(keptRacks, func(i, j int) bool { return keptRacks[i].ID < keptRacks[j].ID })
	for _, r := range keptRacks {
		b.names.want("rack", r.ID, r.Name, siteSlug(r.Site))
	}
	keptDevs := []*Device{}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if !b.siteOK(d.Site) {
			continue
		}
		obj := deviceLabel(d)
		switch st := statusOf(d.Status); {
		case d.Rack == nil:
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: d.URL, Reason: "not in a rack"})
			continue
		case st == "planned" && !b.opt.IncludePlanned:
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: d.URL, Reason: "planned (--include-planned imports it)"})
			continue
		case st == "offline" || st == "inventory" || st == "decommissioning":
			rep.Skipped = append(rep.Skipped, Finding{Object: obj, URL: d.URL, Reason: "status " + st + ": not drawing power"})
			continue
		}
		keptDevs = append(keptDevs, d)
	}
	sort.Slice(keptDevs, func(i, j int) bool { return keptDevs[i].ID < keptDevs[j].ID })
	for _, d := range keptDevs {
		name := ""
		if d.Name != nil {
			name = *d.Name
		}
		if name == "" {
			name = fmt.Sprintf("%s-%d", types[d.DeviceType.ID].Slug, d.ID)
		}
		b.names.want("device", d.ID, name, siteSlug(d.Site))
	}
	b.names.assign()
	for _, f := range offline {
		if keptFeed[f.ID] {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("power feed %q is %s in NetBox: imported as live (power failover --fail brk-%s shows it lost)", f.Name, statusOf(f.Status), b.names.id("feed", f.ID)))
		}
	}

	// Which port each feed is cabled to.
	feedPort := map[int]*Port{}
	for _, f := range keptFeeds {
		for _, pk := range peersOf(objKey{termFeed, f.ID}) {
			if pk.typ == termPort {
				feedPort[f.ID] = ports.get(pk.id)
			}
		}
	}
	// NetBox's figures: available power and allocated draw per feed.
	portAlloc := func(p *Port) float64 {
		if p.AllocatedDraw != nil || p.MaximumDraw != nil {
			if p.AllocatedDraw != nil {
				return *p.AllocatedDraw
			}
			return 0
		}
		sum := 0.0
		for _, o := range outletsOf.get(p.Device.ID) {
			if o.PowerPort == nil || o.PowerPort.ID != p.ID {
				continue
			}
			for _, pk := range peersOf(objKey{termOutlet, o.ID}) {
				if q := ports.get(pk.id); pk.typ == termPort && q != nil && q.AllocatedDraw != nil {
					sum += *q.AllocatedDraw
				}
			}
		}
		return sum
	}

	// Write the model.
	w := &b.out
	// The model's site: the one asked for, else the only site imported,
	// else "netbox".
	siteName := b.opt.Site
	if siteName == "" {
		sites := map[string]bool{}
		for _, r := range keptRacks {
			sites[siteSlug(r.Site)] = true
		}
		for _, p := range keptPanels {
			sites[siteSlug(p.Site)] = true
		}
		siteName = "netbox"
		for s := range sites {
			if len(sites) == 1 && s != "" {
				siteName = s
			}
		}
	}
	freq := 50.0
	freqWhy := "no feed at a North American voltage (120/208/240/277/480 V)"
	for _, f := range keptFeeds {
		if usVoltages[math.Abs(*f.Voltage)] {
			freq, freqWhy = 60, fmt.Sprintf("feed %q is at %g V, a North American voltage", f.Name, math.Abs(*f.Voltage))
			break
		}
	}
	if ov.Defaults.FrequencyHz != nil {
		freq = *ov.Defaults.FrequencyHz
	} else {
		b.useDefault("site frequency_hz", fmtF(freq), "NetBox does not record it; "+freqWhy)
	}
	rep.FrequencyHz = freq
	if ov.Defaults.PowerFactor == nil {
		b.useDefault("power_factor", fmtF(pf), "NetBox equates W and VA; a typical server PSU at load (overlay: defaults.power_factor, device_type.power_factor)")
	}
	fmt.Fprintf(w, "%s: %s\n", ModelHeader, strings.Join(inv.Sources, ", "))
	fmt.Fprintf(w, "# Each id's NetBox object is in the mapping file beside this one.\n\n")
	fmt.Fprintf(w, "[site]\nname = %s\npower_factor = %s\nfrequency_hz = %s\n", q(siteName), fmtF(pf), fmtF(freq))

	circuitOf := map[int]string{}
	feedRow := map[string]int{} // circuit id -> index in rep.Feeds
	feedPhases := map[int]int{}
	for _, p := range keptPanels {
		fs := feedsOf[p.ID]
		if len(fs) == 0 {
			rep.Skipped = append(rep.Skipped, Finding{Object: fmt.Sprintf("power panel %q", p.Name), URL: p.URL, Reason: "no feeds imported"})
			continue
		}
		pid := b.names.id("panel", p.ID)
		v := math.Abs(*fs[0].Voltage)
		phases := 1
		if statusOf(fs[0].Phase) == "three-phase" {
			phases = 3
		}
		op := ovPanel[p.Name]
		input := ""
		if op != nil && op.Input != nil {
			input = *op.Input
			rep.UpstreamElements = append(rep.UpstreamElements, input)
		} else {
			input = "src-" + pid
			b.names.reserve(input)
			b.useDefault("source above each panel", "a utility source of its own, no UPS", "NetBox has nothing above a panel: UPS and source failures are not simulated (overlay: panel.input naming an element of an upstream model file)")
			fmt.Fprintf(w, "\n[[source]]\nid = %s\nvoltage_v = %s\n", q(input), fmtF(v))
			if phases == 3 {
				fmt.Fprintf(w, "phases = 3\n")
			}
			b.mp = append(b.mp, MapEntry{ID: input, Kind: "source", Object: "dcim.powerpanel", NetBoxID: p.ID, Name: p.Name, URL: p.URL, Note: "synthetic: the supply of the panel"})
		}
		fmt.Fprintf(w, "\n[[panel]]\nid = %s\nname = %s\ninput = %s\n", q(pid), q(p.Name), q(input))
		switch {
		case op != nil && op.Line != nil:
			fmt.Fprintf(w, "line = %s\n", q(*op.Line))
		case op != nil && op.Input != nil:
			fmt.Fprintf(w, "voltage_v = %s\nphases = %d\n", fmtF(v), phases)
		}
		if op != nil && op.RatingA != nil {
			fmt.Fprintf(w, "rating_a = %s\n", fmtF(*op.RatingA))
		}
		b.mp = append(b.mp, MapEntry{ID: pid, Kind: "panel", Object: "dcim.powerpanel", NetBoxID: p.ID, Name: p.Name, URL: p.URL})
		for _, f := range fs {
			cid := b.names.id("feed", f.ID)
			bid := "brk-" + cid
			b.names.reserve(bid)
			circuitOf[f.ID] = cid
			feedPhases[f.ID] = phases
			std, curve, inst := b.breakerFor(f, v, op, ovFeed[f.Name])
			fmt.Fprintf(w, "\n[[breaker]]\nid = %s\nname = %s\ninput = %s\nstandard = %s\n", q(bid), q(f.Name), q(pid), q(std))
			if curve != "" {
				fmt.Fprintf(w, "curve = %s\n", q(curve))
			}
			fmt.Fprintf(w, "rating_a = %s\ncontinuous_limit = %s\n", fmtF(*f.Amperage), fmtF(*f.MaxUtilization/100))
			if len(inst) == 2 {
				fmt.Fprintf(w, "instantaneous_x = [%s, %s]\n", fmtF(inst[0]), fmtF(inst[1]))
			}
			fmt.Fprintf(w, "\n[[circuit]]\nid = %s\nname = %s\ninput = %s\n", q(cid), q(f.Name), q(bid))
			b.mp = append(b.mp, MapEntry{ID: bid, Kind: "breaker", Object: "dcim.powerfeed", NetBoxID: f.ID, Name: f.Name, URL: f.URL, Note: "the feed's protection"},
				MapEntry{ID: cid, Kind: "circuit", Object: "dcim.powerfeed", NetBoxID: f.ID, Name: f.Name, URL: f.URL})
			avail := *f.Voltage * *f.Amperage * *f.MaxUtilization / 100
			avail = math.Abs(avail)
			if phases == 3 {
				avail *= 1.732
			}
			avail = math.Round(avail)
			ff := FeedFigures{Feed: f.Name, URL: f.URL, ID: cid, Panel: p.Name, Status: statusOf(f.Status), Type: statusOf(f.Type), Phases: phases,
				VoltageV: math.Abs(*f.Voltage), AmperageA: *f.Amperage, MaxUtilizationPct: *f.MaxUtilization, AvailablePowerVA: avail,
				ContinuousLimitA: r3(*f.Amperage * *f.MaxUtilization / 100)}
			if f.Rack != nil {
				ff.Rack = racks[f.Rack.ID].Name
			}
			if pp := feedPort[f.ID]; pp != nil {
				ff.Cabled = true
				ff.AllocatedW = portAlloc(pp)
				if avail > 0 {
					ff.NetBoxUtilizationPct = math.Round(ff.AllocatedW/avail*1000) / 10
				}
			} else {
				why := "no cable"
				if f.MarkConnected {
					why = "marked connected, but no cable says to what"
				}
				rep.UncabledFeeds = append(rep.UncabledFeeds, Finding{Object: fmt.Sprintf("power feed %q (rack %q)", f.Name, ff.Rack), URL: f.URL, Reason: why})
			}
			feedRow[cid] = len(rep.Feeds)
			rep.Feeds = append(rep.Feeds, ff)
		}
	}

	// Racks.
	rackFeeds := map[int][]string{}
	for _, f := range keptFeeds {
		if f.Rack != nil && circuitOf[f.ID] != "" {
			rackFeeds[f.Rack.ID] = append(rackFeeds[f.Rack.ID], circuitOf[f.ID])
		}
	}
	rackID := map[int]string{}
	for _, r := range keptRacks {
		id := b.names.id("rack", r.ID)
		rackID[r.ID] = id
		fmt.Fprintf(w, "\n[[rack]]\nid = %s\n", q(id))
		if r.Location != nil {
			fmt.Fprintf(w, "row = %s\n", q(r.Location.Name))
		}
		if r.Site != nil {
			fmt.Fprintf(w, "room = %s\n", q(r.Site.Name))
		}
		if fs := rackFeeds[r.ID]; len(fs) > 0 {
			fmt.Fprintf(w, "feeds = [%s]\n", qs(fs))
		}
		b.mp = append(b.mp, MapEntry{ID: id, Kind: "rack", Object: "dcim.rack", NetBoxID: r.ID, Name: r.Name, URL: r.URL})
		rf := RackFigures{Rack: r.Name, URL: r.URL, ID: id}
		for _, cid := range rackFeeds[r.ID] {
			ff := rep.Feeds[feedRow[cid]]
			rf.Feeds++
			rf.AvailablePowerVA += ff.AvailablePowerVA
			rf.AllocatedW += ff.AllocatedW
		}
		if rf.AvailablePowerVA > 0 {
			rf.NetBoxUtilizationPct = math.Round(rf.AllocatedW/rf.AvailablePowerVA*1000) / 10
		}
		rep.Racks = append(rep.Racks, rf)
	}

	// PDUs: devices with outlets. NetBox says which inlet feeds each outlet
	// (power_port): each inlet cabled to a feed is a rack PDU of its own
	// (one inlet: the PDU's id; several: the id and the inlet's name), with
	// the outlets it feeds. Outlets that name no inlet hang off the only fed
	// inlet, or off a transfer between two fed inlets. Under a three-phase
	// feed, when every outlet of a unit has a feed leg, each leg is a bank
	// on its line.
	outletElem := newByID[string](outlets.maxID(), len(inv.Outlets)) // outlet id -> element id
	outletWhy := map[int]string{}                                    // outlet id -> why it feeds nothing known
	outletRack := newByID[int](outlets.maxID(), len(inv.Outlets))    // outlet id -> rack id of its PDU
	isPDU := map[int]bool{}
	pduCount := 0
	// unit writes one rack PDU fed by inputs, serving outs.
	unit := func(d *Device, uid, label string, inputs []string, inFeeds []*Feed, outs []*Outlet, note string) {
		pduCount++
		fmt.Fprintf(w, "\n[[rack_pdu]]\nid = %s\nname = %s\nrack = %s\n", q(uid), q(nameOf(d)), q(rackID[d.Rack.ID]))
		if len(inputs) == 1 {
			fmt.Fprintf(w, "input = %s\n", q(inputs[0]))
		} else {
			fmt.Fprintf(w, "inputs = [%s]\n", qs(inputs))
			b.useDefault("dual-input PDU switch", "first inlet preferred, 8 ms transfer", "NetBox does not say how a PDU's outlets that name no inlet switch between two fed inlets")
		}
		opdu := ovPDU[nameOf(d)]
		if opdu != nil && opdu.RatingA != nil {
			fmt.Fprintf(w, "rating_a = %s\n", fmtF(*opdu.RatingA))
			if opdu.Standard != nil {
				fmt.Fprintf(w, "standard = %s\n", q(*opdu.Standard))
				if opdu.Curve != nil {
					fmt.Fprintf(w, "curve = %s\n", q(*opdu.Curve))
				}
			}
		} else {
			b.useDefault("PDU input rating", "none (the feed's breaker protects it)", "NetBox records no PDU input rating (overlay: pdu.rating_a)")
		}
		b.mp = append(b.mp, MapEntry{ID: uid, Kind: "rack_pdu", Object: "dcim.device", NetBoxID: d.ID, Name: nameOf(d), URL: d.URL, Note: note})
		three := feedPhases[inFeeds[0].ID] == 3
		legs := map[string][]*Outlet{}
		allLegs := true
		for _, o := range outs {
			leg := o.FeedLeg.value()
			if leg == "" {
				allLegs = false
			}
			legs[leg] = append(legs[leg], o)
			outletRack.set(o.ID, d.Rack.ID)
		}
		if !three || !allLegs {
			if three {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s is on a three-phase feed but not every outlet has a feed leg: its load is taken as balanced over the three lines", label))
			}
			for _, o := range outs {
				outletElem.set(o.ID, uid)
			}
			return
		}
		conn := "line-to-neutral"
		v := math.Abs(*inFeeds[0].Voltage)
		if ov.Defaults.LegConnection != nil {
			conn = *ov.Defaults.LegConnection
		} else {
			if usVoltages[v] {
				conn = "line-to-line"
			}
			b.useDefault("feed leg connection", conn+fmt.Sprintf(" at %g V", v), "NetBox's feed_leg A/B/C does not say line-to-neutral or line-to-line (overlay: defaults.leg_connection)")
		}
		lines := map[string]string{"A": "L1", "B": "L2", "C": "L3"}
		if conn == "line-to-line" {
			lines = map[string]string{"A": "L1-L2", "B": "L2-L3", "C": "L3-L1"}
		}
		var legNames []string
		for l := range legs {
			legNames = append(legNames, l)
		}
		sort.Strings(legNames)
		var legCircuits []string
		for _, l := range legNames {
			line, ok := lines[l]
			if !ok {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: feed leg %q is not A, B or C; its outlets feed nothing", label, l))
				for _, o := range legs[l] {
					outletWhy[o.ID] = fmt.Sprintf("%s: outlet's feed leg %q is not A, B or C", label, l)
				}
				continue
			}
			bank := uid + "-" + strings.ToLower(line)
			b.names.reserve(bank)
			if opdu != nil && opdu.BankRatingA != nil && opdu.BankBreaker.Standard != nil {
				fmt.Fprintf(w, "  [[rack_pdu.bank]]\n  id = %s\n  line = %s\n", q(bank), q(line))
				fmt.Fprintf(w, "  rating_a = %s\n  standard = %s\n", fmtF(*opdu.BankRatingA), q(*opdu.BankBreaker.Standard))
				if c := opdu.BankBreaker.Curve; c != nil {
					fmt.Fprintf(w, "  curve = %s\n", q(*c))
				}
				b.mp = append(b.mp, MapEntry{ID: bank, Kind: "bank", Object: "dcim.device", NetBoxID: d.ID, Name: nameOf(d), URL: d.URL, Note: "outlets on feed leg " + l})
			} else {
				// No bank breaker known: the leg's outlets are an unprotected
				// single-phase branch of the PDU, so its line still counts.
				legCircuits = append(legCircuits, fmt.Sprintf("\n[[circuit]]\nid = %s\nname = %s\ninput = %s\nline = %s\n", q(bank), q(nameOf(d)+" leg "+l), q(uid), q(line)))
				b.useDefault("PDU bank breaker", "none: each feed leg's outlets are an unprotected branch of the PDU", "NetBox records no bank breakers (overlay: pdu.bank_rating_a with [pdu.bank] standard)")
				b.mp = append(b.mp, MapEntry{ID: bank, Kind: "circuit", Object: "dcim.device", NetBoxID: d.ID, Name: nameOf(d), URL: d.URL, Note: "outlets on feed leg " + l + ", no breaker known"})
			}
			for _, o := range legs[l] {
				outletElem.set(o.ID, bank)
			}
		}
		for _, c := range legCircuits {
			w.WriteString(c)
		}
	}
	for _, d := range keptDevs {
		if len(outletsOf.get(d.ID)) == 0 {
			continue
		}
		isPDU[d.ID] = true
		pid := b.names.id("device", d.ID)
		label := deviceLabel(d)
		inlets := portsOf.get(d.ID)
		fed := map[int]*Feed{} // inlet id -> the imported feed cabled to it
		var fedInlets []*Port
		for _, p := range inlets {
			for _, pk := range peersOf(objKey{termPort, p.ID}) {
				switch {
				case pk.typ == termFeed && keptFeed[pk.id]:
					fed[p.ID] = feeds[pk.id]
					fedInlets = append(fedInlets, p)
				case pk.typ == termOutlet:
					rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s inlet %q is cabled to another device's outlet: a PDU behind a PDU or UPS device has no blackstart counterpart", label, p.Name))
				}
			}
		}
		byInlet := map[int][]*Outlet{}
		var noInlet []*Outlet
		for _, o := range outletsOf.get(d.ID) {
			if o.PowerPort != nil {
				byInlet[o.PowerPort.ID] = append(byInlet[o.PowerPort.ID], o)
			} else {
				noInlet = append(noInlet, o)
			}
		}
		if len(fedInlets) == 0 {
			why := fmt.Sprintf("%s: no inlet cabled to a feed", label)
			if len(inlets) == 0 {
				why = fmt.Sprintf("%s: outlets but no power port", label)
			}
			for _, o := range outletsOf.get(d.ID) {
				outletWhy[o.ID] = why
			}
			rep.Skipped = append(rep.Skipped, Finding{Object: label + " (PDU)", URL: d.URL, Reason: strings.TrimPrefix(why, label+": ")})
			continue
		}
		for _, p := range inlets {
			if fed[p.ID] == nil {
				for _, o := range byInlet[p.ID] {
					outletWhy[o.ID] = fmt.Sprintf("%s: its inlet %q is not cabled to a feed", label, p.Name)
				}
			}
		}
		if len(fedInlets) == 1 {
			p := fedInlets[0]
			unit(d, pid, label, []string{circuitOf[fed[p.ID].ID]}, []*Feed{fed[p.ID]}, append(byInlet[p.ID], noInlet...), "")
			continue
		}
		for _, p := range fedInlets {
			if len(byInlet[p.ID]) == 0 {
				continue
			}
			uid := b.names.unique(pid + "-" + slug(p.Name))
			unit(d, uid, label, []string{circuitOf[fed[p.ID].ID]}, []*Feed{fed[p.ID]}, byInlet[p.ID], "the outlets of inlet "+p.Name)
		}
		if len(noInlet) > 0 {
			f0, f1 := fed[fedInlets[0].ID], fed[fedInlets[1].ID]
			if len(fedInlets) > 2 || feedPhases[f0.ID] != feedPhases[f1.ID] || math.Abs(*f0.Voltage) != math.Abs(*f1.Voltage) {
				for _, o := range noInlet {
					outletWhy[o.ID] = fmt.Sprintf("%s: the outlet names no inlet, and the PDU has %d fed inlets", label, len(fedInlets))
				}
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %s no inlet among %d fed inlets; %s unfed", label,
					plural(len(noInlet), "1 outlet names", fmt.Sprintf("%d outlets name", len(noInlet))), len(fedInlets), plural(len(noInlet), "its PSU is", "their PSUs are")))
				continue
			}
			unit(d, pid, label, []string{circuitOf[f0.ID], circuitOf[f1.ID]}, []*Feed{f0, f1}, noInlet, "outlets that name no inlet, switched between the first two")
		}
	}

	// Devices and their models.
	type variant struct {
		typ       int
		psus      int
		nameplate float64
		allocated float64
		unknown   bool
	}
	modelID := map[variant]string{}
	var models []variant
	typeModels := map[int]int{}
	devModel := make(map[int]variant, len(inv.Devices))
	var devLines []string
	devices2 := 0
	for _, d := range keptDevs {
		if isPDU[d.ID] {
			continue
		}
		label := deviceLabel(d)
		ps := portsOf.get(d.ID)
		if len(ps) == 0 {
			rep.DevicesWithoutPSU = append(rep.DevicesWithoutPSU, Finding{Object: label, URL: d.URL, Reason: "no power ports: nothing to model (its type's templates were not instantiated)"})
			continue
		}
		if len(ps) > 16 {
			rep.Skipped = append(rep.Skipped, Finding{Object: label, URL: d.URL, Reason: fmt.Sprintf("%d power ports: blackstart models at most 16 PSUs", len(ps))})
			continue
		}
		dt := types[d.DeviceType.ID]
		va := variant{typ: dt.ID, psus: len(ps)}
		anyDraw := false
		for _, p := range ps {
			mx, al := 0.0, 0.0
			if p.MaximumDraw != nil {
				mx, anyDraw = *p.MaximumDraw, anyDraw || *p.MaximumDraw > 0
			}
			if p.AllocatedDraw != nil {
				al, anyDraw = *p.AllocatedDraw, anyDraw || *p.AllocatedDraw > 0
			}
			if mx <= 0 && al <= 0 {
				rep.PortsWithoutDraw = append(rep.PortsWithoutDraw, Finding{Object: fmt.Sprintf("%s %s", label, p.Name), URL: p.URL, Reason: "neither maximum_draw nor allocated_draw"})
			}
			if portDraw == "share" {
				va.nameplate += mx
				va.allocated += al
			} else {
				va.nameplate, va.allocated = max(va.nameplate, mx), max(va.allocated, al)
			}
		}
		va.unknown = !anyDraw
		if mm := mismatch(ps, tmplOf[dt.ID]); mm != "" {
			rep.TemplateMismatch = append(rep.TemplateMismatch, Finding{Object: label, URL: d.URL, Reason: fmt.Sprintf("device type %q: %s", dt.Slug, mm)})
		}
		if _, ok := modelID[va]; !ok {
			modelID[va] = ""
			models = append(models, va)
		}
		devModel[d.ID] = va
		var fs []string
		for _, p := range ps {
			elem, why := "", ""
			pk := peersOf(objKey{termPort, p.ID})
			switch {
			case len(pk) == 0 && p.MarkConnected:
				why = "marked connected, but no cable says to what"
			case len(pk) == 0:
				why = "no cable"
			case pk[0].typ == termFeed:
				if keptFeed[pk[0].id] {
					elem = circuitOf[pk[0].id]
				} else {
					why = fmt.Sprintf("cabled to power feed %q, which is not imported", feeds[pk[0].id].Name)
				}
			case pk[0].typ == termOutlet:
				o := outlets.get(pk[0].id)
				switch {
				case outletElem.get(o.ID) != "" && outletRack.get(o.ID) != d.Rack.ID:
					why = fmt.Sprintf("cabled to a PDU in rack %q: blackstart keeps a PSU on its own rack's PDUs", racks[outletRack.get(o.ID)].Name)
				case outletElem.get(o.ID) != "":
					elem = outletElem.get(o.ID)
				case outletWhy[o.ID] != "":
					why = "cabled to " + outletWhy[o.ID]
				default:
					why = fmt.Sprintf("cabled to outlet %q of device %d, which is not imported", o.Name, o.Device.ID)
				}
			default:
				why = "cabled to an object that is not a power outlet or feed"
			}
			if why != "" {
				rep.UnfedPSUs = append(rep.UnfedPSUs, Finding{Object: fmt.Sprintf("%s %s", label, p.Name), URL: p.URL, Reason: why})
			}
			fs = append(fs, elem)
		}
		id := b.names.id("device", d.ID)
		line := fmt.Sprintf("\n[[device]]\nid = %s\nrack = %s\nmodel = %%s\n", q(id), q(rackID[d.Rack.ID]))
		if d.Role != nil && d.Role.Slug != "" {
			line += fmt.Sprintf("role = %s\n", q(d.Role.Slug))
		}
		line += fmt.Sprintf("feeds = [%s]\n", qs(fs))
		devLines = append(devLines, line)
		b.mp = append(b.mp, MapEntry{ID: id, Kind: "device", Object: "dcim.device", NetBoxID: d.ID, Name: nameOf(d), URL: d.URL})
		devices2++
	}
	// Model ids: the type's slug for its first variant (by device id),
	// slug~<psus>psu-<allocated>-<nameplate> for the others.
	for _, va := range models {
		dt := types[va.typ]
		base := slug(dt.Slug)
		if typeModels[va.typ] > 0 {
			base = fmt.Sprintf("%s~%dpsu-%s-%s", base, va.psus, fmtF(va.allocated), fmtF(va.nameplate))
		}
		typeModels[va.typ]++
		id := b.names.unique(base)
		modelID[va] = id
		fmt.Fprintf(w, "\n[[device_model]]\nid = %s\n", q(id))
		if dt.Manufacturer != nil {
			fmt.Fprintf(w, "manufacturer = %s\n", q(dt.Manufacturer.Name))
		}
		fmt.Fprintf(w, "psus = %d\n", va.psus)
		od := ovType[dt.Slug]
		if od != nil && od.PSUsRequired != nil {
			fmt.Fprintf(w, "psus_required = %d\n", *od.PSUsRequired)
		} else if va.psus > 1 {
			b.useDefault("psus_required", "half the PSUs, rounded up", "NetBox does not record PSU redundancy (overlay: device_type.psus_required)")
		}
		if od != nil && od.PSURatingW != nil {
			fmt.Fprintf(w, "psu_rating_w = %s\n", fmtF(*od.PSURatingW))
		}
		if va.unknown {
			fmt.Fprintf(w, "draw_unknown = true\n")
		} else {
			if va.nameplate > 0 {
				fmt.Fprintf(w, "nameplate_w = %s\n", fmtF(va.nameplate))
			}
			if va.allocated > 0 {
				fmt.Fprintf(w, "allocated_w = %s\n", fmtF(va.allocated))
			}
			if od != nil && od.TypicalW != nil {
				fmt.Fprintf(w, "typical_w = %s\n", fmtF(*od.TypicalW))
			}
		}
		if od != nil && od.PowerFactor != nil {
			fmt.Fprintf(w, "power_factor = %s\n", fmtF(*od.PowerFactor))
		}
		b.mp = append(b.mp, MapEntry{ID: id, Kind: "device_model", Object: "dcim.devicetype", NetBoxID: dt.ID, Name: dt.Model, URL: dt.URL})
	}
	k := 0
	for _, d := range keptDevs {
		if isPDU[d.ID] {
			continue
		}
		va, ok := devModel[d.ID]
		if !ok {
			continue
		}
		fmt.Fprintf(w, devLines[k], q(modelID[va]))
		k++
	}
	if devices2 > 0 {
		what := "the whole device's draw, on every port (NetBox's and the device-type library's convention: each PSU can carry the device)"
		if portDraw == "share" {
			what = "each port's share; the device draws their sum"
		}
		b.useDefault("port draw reading", portDraw+": "+what, "overlay: defaults.port_draw = \"device\" or \"share\"")
	}

	// Counts. A template counts as imported when its type is used: by a
	// modelled device (checked against its ports) or an imported PDU.
	usedType := map[int]bool{}
	for t := range typeModels {
		usedType[t] = true
	}
	pduUsed := map[int]bool{} // PDUs with at least one rack PDU in the model
	for _, d := range keptDevs {
		for _, o := range outletsOf.get(d.ID) {
			if outletElem.get(o.ID) != "" {
				pduUsed[d.ID] = true
				break
			}
		}
		if pduUsed[d.ID] {
			usedType[d.DeviceType.ID] = true
		}
	}
	inSite := func(ep string) int {
		switch ep {
		case "power-panels":
			return len(keptPanels)
		case "power-feeds":
			return len(keptFeeds)
		case "racks":
			return len(keptRacks)
		case "devices":
			return devices2 + len(pduUsed)
		case "device-types":
			return len(usedType)
		case "cables":
			return usedCables
		}
		return -1
	}
	for _, ep := range endpoints {
		f, _ := inv.slot(ep)
		c := Count{Endpoint: ep, Read: f.Len(), Imported: inSite(ep)}
		if c.Imported < 0 {
			c.Imported = 0
			switch ep {
			case "power-ports":
				for _, d := range keptDevs {
					if _, ok := devModel[d.ID]; ok || pduUsed[d.ID] {
						c.Imported += len(portsOf.get(d.ID))
					}
				}
			case "power-outlets":
				for _, o := range inv.Outlets {
					if outletElem.get(o.ID) != "" {
						c.Imported++
					}
				}
			case "power-port-templates":
				for _, t := range inv.PortTemplates {
					if t.DeviceType != nil && usedType[t.DeviceType.ID] {
						c.Imported++
					}
				}
			case "power-outlet-templates":
				for _, t := range inv.OutletTemplates {
					if t.DeviceType != nil && usedType[t.DeviceType.ID] {
						c.Imported++
					}
				}
			}
		}
		rep.Counts = append(rep.Counts, c)
	}
	// Defaults, sorted.
	for k, n := range b.defCount {
		rep.Defaults = append(rep.Defaults, Default{Setting: k[0], Value: k[1], Elements: n, Why: b.defWhy[k]})
	}
	sort.Slice(rep.Defaults, func(i, j int) bool {
		if rep.Defaults[i].Setting != rep.Defaults[j].Setting {
			return rep.Defaults[i].Setting < rep.Defaults[j].Setting
		}
		return rep.Defaults[i].Value < rep.Defaults[j].Value
	})
	b.fixDefaultCounts(len(keptFeeds), devices2)
	sort.Strings(rep.UpstreamElements)
	rep.UpstreamElements = dedupe(rep.UpstreamElements)
	rep.Headline = fmt.Sprintf("%s (%d uncabled), %s, %s, %s; %s with no path to a feed, %s without a draw figure, %s skipped",
		counted(len(keptFeeds), "feed"), len(rep.UncabledFeeds), counted(len(keptRacks), "rack"), counted(pduCount, "PDU"), counted(devices2, "device"),
		counted(len(rep.UnfedPSUs), "PSU"), counted(len(rep.PortsWithoutDraw), "port"), counted(len(rep.Skipped), "object"))
	sort.Slice(b.mp, func(i, j int) bool { return b.mp[i].ID < b.mp[j].ID })
	res := &Result{Model: []byte(w.String()), Mapping: Mapping{Generator: MappingGenerator, Sources: inv.Sources, Elements: b.mp}, Report: *rep}
	nilToEmpty(&res.Report)
	return res, nil
}

// fixDefaultCounts turns per-use counts into element counts where a
// default is recorded once per element kind rather than per element.
func (b *build) fixDefaultCounts(feeds, devices int) {
	for i := range b.rep.Defaults {
		d := &b.rep.Defaults[i]
		switch d.Setting {
		case "site frequency_hz":
			d.Elements = feeds
		case "power_factor":
			d.Elements = devices
		case "port draw reading":
			d.Elements = devices
		}
	}
}

// breakerFor returns the standard, curve and instantaneous band of a
// feed's breaker: the overlay's feed entry, else its panel's, else the
// defaults', else UL 489 at North American voltages and IEC 60898-1 C
// elsewhere.
func (b *build) breakerFor(f *Feed, v float64, op *OverlayPanel, of *OverlayFeed) (string, string, []float64) {
	var layers []Breaker
	if of != nil {
		layers = append(layers, of.Breaker)
	}
	if op != nil {
		layers = append(layers, op.Breaker)
	}
	layers = append(layers, b.ov.Defaults.Breaker)
	for _, l := range layers {
		if l.Standard != nil {
			curve := ""
			if *l.Standard == "iec60898" {
				curve = "C"
				if l.Curve != nil {
					curve = *l.Curve
				}
			}
			return *l.Standard, curve, l.InstantaneousX
		}
	}
	if usVoltages[v] {
		b.useDefault("feed breaker standard", "ul489", "NetBox records only amperage and max_utilization; UL 489 at North American voltages (overlay: feed/panel standard)")
		return "ul489", "", nil
	}
	b.useDefault("feed breaker standard", "iec60898 curve C", "NetBox records only amperage and max_utilization; IEC 60898-1 curve C outside North America (overlay: feed/panel standard, curve)")
	return "iec60898", "C", nil
}

// mismatch says how a device's power ports differ from its type's
// templates, "" when they agree.
func mismatch(ps []*Port, ts []PortTemplate) string {
	byName := map[string]PortTemplate{}
	for _, t := range ts {
		byName[t.Name] = t
	}
	var diffs []string
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.Name] = true
		t, ok := byName[p.Name]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("port %q has no template", p.Name))
			continue
		}
		if !eqf(p.MaximumDraw, t.MaximumDraw) || !eqf(p.AllocatedDraw, t.AllocatedDraw) {
			diffs = append(diffs, fmt.Sprintf("port %q draws %s/%s W (maximum/allocated), template %s/%s W", p.Name, fp(p.MaximumDraw), fp(p.AllocatedDraw), fp(t.MaximumDraw), fp(t.AllocatedDraw)))
		}
	}
	var names []string
	for n := range byName {
		if !seen[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		diffs = append(diffs, fmt.Sprintf("template %q has no port", n))
	}
	return strings.Join(diffs, "; ")
}

func fp(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmtF(*v)
}

func nameOf(d *Device) string {
	if d.Name == nil {
		return ""
	}
	return *d.Name
}

func deviceLabel(d *Device) string {
	if n := nameOf(d); n != "" {
		return fmt.Sprintf("device %q", n)
	}
	return fmt.Sprintf("device %d (unnamed)", d.ID)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(l []string) []string {
	out := l[:0]
	for i, s := range l {
		if i == 0 || s != l[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func nilToEmpty(r *Report) {
	for _, p := range []*[]Finding{&r.UncabledFeeds, &r.UnfedPSUs, &r.PortsWithoutDraw, &r.TemplateMismatch, &r.Skipped, &r.DevicesWithoutPSU} {
		if *p == nil {
			*p = []Finding{}
		}
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	if r.Defaults == nil {
		r.Defaults = []Default{}
	}
	if r.Feeds == nil {
		r.Feeds = []FeedFigures{}
	}
	if r.Racks == nil {
		r.Racks = []RackFigures{}
	}
}

func r3(x float64) float64 { return math.Round(x*1000) / 1000 }

// fmtF formats a number as TOML and the report write it: shortest form.
func fmtF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// q quotes s as a TOML basic string.
func q(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func qs(l []string) string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = q(s)
	}
	return strings.Join(out, ", ")
}

// slug lowers s and keeps letters, digits, '.', '_' and '-', other runs
// becoming one '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// namer gives every object a unique blackstart id: its slugged name, or
// site-name when the name is used more than once, or that with the NetBox
// kind and id when still taken.
type namer struct {
	reqs  []nameReq
	ids   map[nameKey]string
	taken map[string]bool
}

type nameKey struct {
	kind string
	id   int
}

type nameReq struct {
	kind string
	id   int
	name string
	site string
}

func newNamer() *namer {
	return &namer{ids: map[nameKey]string{}, taken: map[string]bool{}}
}

func (n *namer) want(kind string, id int, name, site string) {
	n.reqs = append(n.reqs, nameReq{kind, id, name, site})
}

func (n *namer) assign() {
	count := make(map[string]int, len(n.reqs))
	base := make([]string, len(n.reqs))
	for i, r := range n.reqs {
		base[i] = slug(r.name)
		if base[i] == "" {
			base[i] = fmt.Sprintf("%s-%d", r.kind, r.id)
		}
		count[base[i]]++
	}
	second := map[string]int{}
	for i, r := range n.reqs {
		if count[base[i]] > 1 {
			base[i] = strings.Trim(slug(r.site)+"-"+base[i], "-")
			second[base[i]]++
		}
	}
	for i, r := range n.reqs {
		id := base[i]
		if second[id] > 1 || (second[id] > 0 && count[id] == 1 && slug(r.name) != id) {
			id = fmt.Sprintf("%s-%s%d", id, r.kind, r.id)
		}
		n.ids[nameKey{r.kind, r.id}] = id
		n.taken[id] = true
	}
}

func (n *namer) id(kind string, id int) string { return n.ids[nameKey{kind, id}] }

// reserve marks a derived id (a breaker, a bank) as taken.
func (n *namer) reserve(id string) { n.taken[id] = true }

// unique returns base, or base-2, base-3… when taken, and takes it.
func (n *namer) unique(base string) string {
	id := base
	for k := 2; n.taken[id]; k++ {
		id = fmt.Sprintf("%s-%d", base, k)
	}
	n.taken[id] = true
	return id
}
