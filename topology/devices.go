package topology

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/graph/topo"
)

func (b *builder) deviceModels() {
	for _, f := range b.files {
		for i := range f.raw.DeviceModel {
			r := &f.raw.DeviceModel[i]
			a := at{f.ix, fmt.Sprintf("device_model[%d]", i)}
			id, ok := b.checkID(r.ID, a, "device model")
			if !ok {
				continue
			}
			dm := DeviceModel{ID: id, Pos: a.pos(""), PSUs: 1}
			if r.Manufacturer != nil {
				dm.Manufacturer = *r.Manufacturer
			}
			// psusOK is false once psus or psus_required is reported in
			// error: checks that depend on them would repeat the mistake.
			psusOK := !a.rejected("psus")
			if r.PSUs != nil {
				if *r.PSUs < 1 || *r.PSUs > 16 {
					b.errorf(a, "psus", id, "psus must be 1 to 16, got %d", *r.PSUs)
					psusOK = false
				} else {
					dm.PSUs = *r.PSUs
				}
			}
			if !psusOK {
				b.psusUnknown[id] = true // devices' feed counts cannot be checked
			}
			dm.PSUsRequired = (dm.PSUs + 1) / 2
			psusOK = psusOK && !a.rejected("psus_required")
			if r.PSUsRequired != nil && psusOK {
				if *r.PSUsRequired < 1 || *r.PSUsRequired > dm.PSUs {
					b.errorf(a, "psus_required", id, "psus_required must be 1 to psus (%d), got %d: the device cannot be powered", dm.PSUs, *r.PSUsRequired)
					psusOK = false
				} else {
					dm.PSUsRequired = *r.PSUsRequired
				}
			}
			dm.PSURatingW = b.positive(a, "psu_rating_w", id, r.PSURatingW, "W")
			dm.UHeight = b.units(a, "u_height", id, r.UHeight)
			nerrs := len(b.errs)
			dm.NameplateW = b.nonNegative(a, "nameplate_w", id, r.NameplateW, "W")
			dm.AllocatedW = b.nonNegative(a, "allocated_w", id, r.AllocatedW, "W")
			dm.TypicalW = b.nonNegative(a, "typical_w", id, r.TypicalW, "W")
			dm.IdleW = b.nonNegative(a, "idle_w", id, r.IdleW, "W")
			dm.PeakW = b.nonNegative(a, "peak_w", id, r.PeakW, "W")
			dm.MeasuredW = b.nonNegative(a, "measured_w", id, r.MeasuredW, "W")
			maxDraw := max(dm.NameplateW, dm.AllocatedW, dm.TypicalW, dm.IdleW, dm.PeakW, dm.MeasuredW)
			// A draw figure reported above (negative or of the wrong type)
			// is not also "no draw".
			drawReported := len(b.errs) > nerrs
			for _, k := range []string{"nameplate_w", "allocated_w", "typical_w", "idle_w", "peak_w", "measured_w"} {
				drawReported = drawReported || a.rejected(k)
			}
			if r.DrawUnknown != nil && *r.DrawUnknown {
				dm.DrawUnknown = true
				if maxDraw > 0 {
					b.errorf(a, "draw_unknown", id, "draw_unknown = true, but the model gives a draw figure: write one or the other")
				}
			} else if max(dm.NameplateW, dm.AllocatedW, dm.TypicalW, dm.PeakW, dm.MeasuredW) == 0 && !drawReported { // idle alone is no basis
				b.errorf(a, "", id, "device model %q gives no draw: write at least one of nameplate_w, allocated_w, typical_w, peak_w, measured_w (or draw_unknown = true)", id)
			}
			if dm.IdleW > 0 && dm.PeakW > 0 && dm.IdleW > dm.PeakW {
				b.errorf(a, "idle_w", id, "idle_w = %g W is above peak_w = %g W", dm.IdleW, dm.PeakW)
			}
			if psusOK && dm.PSURatingW > 0 && float64(dm.PSUsRequired)*dm.PSURatingW < maxDraw {
				key := "psus_required"
				if r.PSUsRequired == nil {
					key = "psu_rating_w"
				}
				b.errorf(a, key, id, "%d PSU(s) of %g W cannot power the device's %g W draw", dm.PSUsRequired, dm.PSURatingW, maxDraw)
			}
			if r.PowerFactor != nil && b.fraction(a, "power_factor", id, *r.PowerFactor) {
				dm.PowerFactor = *r.PowerFactor
			}
			dm.RAMGiB = b.nonNegative(a, "ram_gib", id, r.RAMGiB, "GiB")
			dm.CPUCores = b.nonNegative(a, "cpu_cores", id, r.CPUCores, "cores")
			dm.GPUs = b.count(a, "gpus", id, r.GPUs)
			if r.GPUType != nil {
				dm.GPUType = *r.GPUType
			}
			dm.StartConcurrency = b.count(a, "start_concurrency", id, r.StartConcurrency)
			if b.register(id, ref{tabModel, int32(len(b.m.DeviceModels))}, a, "device model") {
				b.m.DeviceModels = append(b.m.DeviceModels, dm)
			}
		}
	}
}

// count checks an optional integer >= 0.
func (b *builder) count(a at, key, id string, v *int) int {
	if v == nil {
		return 0
	}
	if *v < 0 {
		b.errorf(a, key, id, "%s must not be negative, got %d", key, *v)
		return 0
	}
	return *v
}

// units checks an optional height in rack units, 1..100 (0: not given).
func (b *builder) units(a at, key, id string, v *int) int {
	if v == nil {
		return 0
	}
	if *v < 1 || *v > 100 {
		b.errorf(a, key, id, "%s must be 1 to 100 rack units, got %d", key, *v)
		return 0
	}
	return *v
}

// feedKindOK reports whether a PSU may plug into an element of kind k.
func feedKindOK(k Kind) bool {
	return k == KindCircuit || k == KindATS || k == KindRackPDU || k == KindBank
}

func (b *builder) devices() {
	hasBanks := make([]bool, len(b.m.Elements))
	for _, e := range b.m.Elements {
		if e.Kind == KindBank {
			hasBanks[e.Inputs[0]] = true
		}
	}
	for _, f := range b.files {
		for i := range f.raw.Device {
			r := &f.raw.Device[i]
			a := at{f.ix, fmt.Sprintf("device[%d]", i)}
			ids := b.expand(r.ID, r.Count, r.First, a, "device")
			if len(ids) == 0 {
				continue
			}
			gid := ids[0]
			if len(ids) > 1 {
				gid = *r.ID
			}
			tmpl := Device{Rack: -1, Model: -1, Pos: a.pos("")}
			ok := true
			if r.Rack == nil {
				if !a.rejected("rack") {
					b.errorf(a, "", gid, "device %q must name its rack", gid)
				}
				ok = false
			} else if k, good := b.resolve(*r.Rack, tabRack, a, "rack", gid, "rack"); good {
				tmpl.Rack = k
			} else {
				ok = false
			}
			var dm *DeviceModel
			if r.Model == nil {
				if !a.rejected("model") {
					b.errorf(a, "", gid, "device %q must name its model", gid)
				}
				ok = false
			} else if k, good := b.resolve(*r.Model, tabModel, a, "model", gid, "model"); good {
				tmpl.Model = k
				dm = &b.m.DeviceModels[k]
			} else {
				ok = false
			}
			if r.Role != nil {
				tmpl.Role = *r.Role
			}
			tmpl.MeasuredW = b.nonNegative(a, "measured_w", gid, r.MeasuredW, "W")
			if dm != nil {
				tmpl.RAMGiB, tmpl.CPUCores, tmpl.GPUs, tmpl.GPUType, tmpl.StartConcurrency = dm.RAMGiB, dm.CPUCores, dm.GPUs, dm.GPUType, dm.StartConcurrency
			}
			if r.RAMGiB != nil {
				tmpl.RAMGiB = b.nonNegative(a, "ram_gib", gid, r.RAMGiB, "GiB")
			}
			if r.CPUCores != nil {
				tmpl.CPUCores = b.nonNegative(a, "cpu_cores", gid, r.CPUCores, "cores")
			}
			if r.GPUs != nil {
				tmpl.GPUs = b.count(a, "gpus", gid, r.GPUs)
			}
			if r.GPUType != nil {
				tmpl.GPUType = *r.GPUType
			}
			if r.StartConcurrency != nil {
				tmpl.StartConcurrency = b.count(a, "start_concurrency", gid, r.StartConcurrency)
			}

			// Feed sets: one list for every member, or a cycle of lists.
			var sets [][]int32
			var unfed [][]int
			switch {
			case r.Feeds != nil && r.FeedsCycle != nil:
				b.errorf(a, "feeds_cycle", gid, "give either feeds or feeds_cycle, not both")
				ok = false
			case r.FeedsCycle != nil:
				if r.Count == nil {
					b.errorf(a, "feeds_cycle", gid, "feeds_cycle applies only to a group (with count)")
					ok = false
				}
				if len(r.FeedsCycle) == 0 {
					b.errorf(a, "feeds_cycle", gid, "feeds_cycle is empty")
					ok = false
				}
				for k, fs := range r.FeedsCycle {
					set, un, good := b.feedSet(fs, dm, a, fmt.Sprintf("feeds_cycle[%d]", k), gid, tmpl.Rack, hasBanks)
					ok = ok && good
					sets, unfed = append(sets, set), append(unfed, un)
				}
			case r.Feeds == nil && (a.rejected("feeds") || a.rejected("feeds_cycle")):
				ok = false // the decoder reported the value
			default:
				set, un, good := b.feedSet(r.Feeds, dm, a, "feeds", gid, tmpl.Rack, hasBanks)
				ok = ok && good
				sets, unfed = append(sets, set), append(unfed, un)
			}
			if !ok {
				for _, id := range ids { // keep ids known so later references do not cascade
					b.register(id, ref{tabDevice, -1}, a, "device")
				}
				continue
			}
			for k, id := range ids {
				d := tmpl
				d.ID = id
				d.Feeds, d.Unfed = sets[k%len(sets)], unfed[k%len(sets)]
				idx := int32(len(b.m.Devices))
				if b.register(id, ref{tabDevice, idx}, a, "device") {
					b.m.Devices = append(b.m.Devices, d)
					b.deviceRaw = append(b.deviceRaw, deviceSrc{raw: r, member: k, at: a})
				}
			}
		}
	}
}

// feedSet resolves the PSU feeds of a device: one element per PSU, or ""
// for a PSU that plugs into nothing known (returned in unfed, by PSU
// number, and left out of the set).
func (b *builder) feedSet(ids []string, dm *DeviceModel, a at, key, owner string, rack int32, hasBanks []bool) ([]int32, []int, bool) {
	if ids == nil {
		b.errorf(a, key, owner, "device %q needs feeds: the element each PSU plugs into (\"\" for none known)", owner)
		return nil, nil, false
	}
	if dm != nil && !b.psusUnknown[dm.ID] && len(ids) != dm.PSUs {
		b.errorf(a, key, owner, "%d feed(s) for the %d PSU(s) of model %q: give one feed per PSU", len(ids), dm.PSUs, dm.ID)
		return nil, nil, false
	}
	set := make([]int32, 0, len(ids))
	var unfed []int
	ok := true
	for j, fid := range ids {
		if fid == "" {
			unfed = append(unfed, j)
			continue
		}
		key := fmt.Sprintf("%s[%d]", key, j) // the offending array element
		k, good := b.resolve(fid, tabElement, a, key, owner, "feed")
		if !good {
			ok = false
			continue
		}
		e := &b.m.Elements[k]
		switch {
		case !feedKindOK(e.Kind):
			b.errorf(a, key, owner, "feed %q is a %s: a PSU plugs into a circuit, transfer switch, rack PDU or bank", fid, kindWords[e.Kind])
			ok = false
		case hasBanks[k]:
			b.errorf(a, key, owner, "feed %q is a rack PDU with banks: plug into one of its banks", fid)
			ok = false
		case e.Rack >= 0 && rack >= 0 && e.Rack != rack:
			b.errorf(a, key, owner, "feed %q belongs to rack %q, but the device is in rack %q", fid, b.m.Racks[e.Rack].ID, b.m.Racks[rack].ID)
			ok = false
		}
		set = append(set, k)
	}
	return set, unfed, ok
}

var spreadByName = map[string]Domain{"node": DomainNode, "rack": DomainRack, "feed": DomainFeed}

func (b *builder) services() {
	// Roles of every device written, also of those left out for errors:
	// their mistakes are reported already.
	roles := map[string]bool{}
	for _, f := range b.files {
		for _, d := range f.raw.Device {
			if d.Role != nil {
				roles[*d.Role] = true
			}
		}
	}
	for _, f := range b.files {
		for i := range f.raw.Service {
			r := &f.raw.Service[i]
			a := at{f.ix, fmt.Sprintf("service[%d]", i)}
			ids := b.expand(r.ID, r.Count, r.First, a, "service")
			for k, id := range ids {
				s := b.service(r, a, id, k, len(ids) > 1, roles)
				idx := int32(len(b.m.Services))
				if b.register(id, ref{tabService, idx}, a, "service") {
					b.m.Services = append(b.m.Services, s)
					b.serviceRaw = append(b.serviceRaw, serviceSrc{raw: r, member: k, at: a})
				}
			}
		}
	}
	b.linkServices()
}

// service builds one service (member k of its group); errors that concern
// the whole group are reported once, for member 0.
func (b *builder) service(r *rawService, a at, id string, k int, group bool, roles map[string]bool) Service {
	report := k == 0
	errorf := func(key, format string, args ...any) {
		if report {
			b.errorf(a, key, id, format, args...)
		}
	}
	s := Service{ID: id, Kind: "service", Tier: -1, Instances: 1, Pos: a.pos(""), Spread: DomainNode}
	if r.Kind != nil {
		s.Kind = *r.Kind
	}
	if r.Instances != nil {
		if *r.Instances < 1 || *r.Instances > MaxInstancesPerService {
			errorf("instances", "instances must be 1 to %d, got %d", MaxInstancesPerService, *r.Instances)
		} else {
			s.Instances = *r.Instances
		}
	}
	if b.instances <= MaxInstances {
		b.instances += s.Instances
		if b.instances > MaxInstances {
			b.errorf(a, "instances", id, "the model's services have more than %d instances in all (this one brings the total to %d)", MaxInstances, b.instances)
		}
	}
	s.ReadyQuorum = 1
	if s.Kind == "etcd" {
		s.ReadyQuorum = s.Instances/2 + 1
	}
	if r.ReadyQuorum != nil {
		if *r.ReadyQuorum < 1 || *r.ReadyQuorum > s.Instances {
			errorf("ready_quorum", "ready_quorum must be 1 to instances (%d), got %d", s.Instances, *r.ReadyQuorum)
		} else {
			s.ReadyQuorum = *r.ReadyQuorum
		}
	}
	if r.Tier != nil {
		if *r.Tier < 0 {
			errorf("tier", "tier must be >= 0, got %d", *r.Tier)
		} else {
			s.Tier = *r.Tier
		}
	}
	if report {
		s.RAMGiB = b.nonNegative(a, "ram_gib", id, r.RAMGiB, "GiB")
		s.CPUCores = b.nonNegative(a, "cpu_cores", id, r.CPUCores, "cores")
		s.GPUs = b.count(a, "gpus", id, r.GPUs)
		s.TimeoutS = b.nonNegative(a, "timeout_s", id, r.TimeoutS, "s")
	} else {
		s.RAMGiB, s.CPUCores, s.TimeoutS = deref(r.RAMGiB), deref(r.CPUCores), deref(r.TimeoutS)
		if r.GPUs != nil {
			s.GPUs = *r.GPUs
		}
	}
	s.GPUMilli = 1000
	if r.GPUMilli != nil {
		if *r.GPUMilli < 1 || *r.GPUMilli > 1000 {
			errorf("gpu_milli", "gpu_milli must be 1 to 1000 (thousandths of one GPU), got %d", *r.GPUMilli)
		} else if s.GPUs == 0 && *r.GPUMilli < 1000 {
			errorf("gpu_milli", "a share of a GPU (gpu_milli < 1000) needs gpus = 1")
		} else {
			s.GPUMilli = *r.GPUMilli
		}
		if s.GPUs > 1 && *r.GPUMilli < 1000 {
			errorf("gpu_milli", "a share of a GPU (gpu_milli < 1000) applies to one GPU, not %d", s.GPUs)
		}
	}
	s.GPUTypes = r.GPUTypes
	if r.Role != nil {
		s.Role = *r.Role
		if !roles[s.Role] && !b.incomplete[tabDevice] {
			errorf("role", "no device has role %q", s.Role)
		}
	}
	if r.Spread != nil {
		d, ok := spreadByName[*r.Spread]
		if !ok {
			errorf("spread", "spread must be \"node\", \"rack\" or \"feed\", got %q", *r.Spread)
		}
		s.Spread = d
	}
	if r.MinSpread != nil {
		if *r.MinSpread < 0 || *r.MinSpread > s.Instances {
			errorf("min_spread", "min_spread must be 0 to instances (%d), got %d", s.Instances, *r.MinSpread)
		} else {
			s.MinSpread = *r.MinSpread
		}
	}
	s.Start = b.dist(r.Start, a, id, report)

	switch {
	case r.Pinned != nil && r.PinnedCycle != nil:
		errorf("pinned_cycle", "give either pinned or pinned_cycle, not both")
	case r.Pinned != nil:
		if group {
			errorf("pinned", "a group of services pins with pinned_cycle, not pinned")
			break
		}
		if len(r.Pinned) != s.Instances {
			errorf("pinned", "pinned lists %d node(s) for %d instance(s): give one node per instance", len(r.Pinned), s.Instances)
			break
		}
		s.Pinned = b.pins(r.Pinned, a, func(j int) string { return fmt.Sprintf("pinned[%d]", j) }, id, report)
	case r.PinnedCycle != nil:
		if len(r.PinnedCycle) == 0 {
			errorf("pinned_cycle", "pinned_cycle is empty")
			break
		}
		// One pin per instance of every member: bound it as count is
		// bounded, before allocating.
		members := int64(1)
		if r.Count != nil {
			members = int64(*r.Count)
		}
		if pins := members * int64(s.Instances); pins > MaxInstances {
			errorf("pinned_cycle", "pinned_cycle pins %d instances in all, more than %d", pins, MaxInstances)
			break
		}
		if report {
			// Every entry is resolved, also those no instance reaches (a
			// cycle longer than the group's instances): a name that is not
			// a device is a mistake wherever it stands.
			for j, n := range r.PinnedCycle {
				if ref, ok := b.m.ids[n]; !ok || ref.table != tabDevice {
					b.resolve(n, tabDevice, a, fmt.Sprintf("pinned_cycle[%d]", j), id, "pinned node")
				}
			}
		}
		names := make([]string, s.Instances)
		for j := range names {
			names[j] = r.PinnedCycle[(k*s.Instances+j)%len(r.PinnedCycle)]
		}
		s.Pinned = b.pins(names, a, func(j int) string { return fmt.Sprintf("pinned_cycle[%d]", (k*s.Instances+j)%len(r.PinnedCycle)) }, id, false)
	}
	return s
}

func deref(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

// pins resolves the pinned node of each instance; keyOf gives the key path
// (within a) where name j is written.
func (b *builder) pins(names []string, a at, keyOf func(j int) string, id string, report bool) []int32 {
	out := make([]int32, 0, len(names))
	for j, n := range names {
		r, ok := b.m.ids[n]
		if !ok || r.table != tabDevice {
			if report {
				b.resolve(n, tabDevice, a, keyOf(j), id, "pinned node")
			}
			return nil
		}
		if r.index < 0 {
			return nil // the device is in error already
		}
		out = append(out, r.index)
	}
	return out
}

func (b *builder) dist(r *rawDist, a at, id string, report bool) Dist {
	d := Dist{Kind: "fixed", S: 10}
	if r == nil {
		return d
	}
	da := at{a.ix, a.path + ".start"}
	errorf := func(key, format string, args ...any) {
		if report {
			b.errorf(da, key, id, format, args...)
		}
	}
	if r.Dist == nil && da.rejected("dist") {
		return d // the decoder reported the value; its keys cannot be checked
	}
	kind := "fixed"
	if r.Dist != nil {
		kind = *r.Dist
	}
	d = Dist{Kind: kind, S: deref(r.S), MinS: deref(r.MinS), MaxS: deref(r.MaxS), MedianS: deref(r.MedianS), P90S: deref(r.P90S), MeanS: deref(r.MeanS)}
	need := func(keys ...string) {
		allowed := map[string]bool{"dist": true}
		for _, k := range keys {
			allowed[k] = true
		}
		got := map[string]*float64{"s": r.S, "min_s": r.MinS, "max_s": r.MaxS, "median_s": r.MedianS, "p90_s": r.P90S, "mean_s": r.MeanS}
		for _, k := range sortedKeys(got) {
			v := got[k]
			switch {
			case allowed[k] && v == nil:
				if !da.rejected(k) {
					errorf("", "a %s start distribution needs %s", kind, k)
				}
			case !allowed[k] && v != nil:
				errorf(k, "%s does not apply to a %s start distribution (it takes %s)", k, kind, strings.Join(keys, ", "))
			case v != nil && *v < 0:
				errorf(k, "%s must not be negative, got %g s", k, *v)
			}
		}
	}
	switch kind {
	case "fixed":
		need("s")
	case "uniform":
		need("min_s", "max_s")
		if d.MaxS < d.MinS {
			errorf("max_s", "max_s = %g s is below min_s = %g s", d.MaxS, d.MinS)
		}
	case "lognormal":
		need("median_s", "p90_s")
		if r.MedianS != nil && d.MedianS <= 0 {
			errorf("median_s", "median_s must be > 0 s, got %g", d.MedianS)
		}
		if d.P90S < d.MedianS {
			errorf("p90_s", "p90_s = %g s is below median_s = %g s", d.P90S, d.MedianS)
		}
	case "exponential":
		need("mean_s")
	default:
		errorf("dist", "dist must be fixed, uniform, lognormal or exponential, got %q", kind)
	}
	// The mean, bounded (in logarithms: a lognormal's can pass 1e300).
	switch {
	case kind == "lognormal" && d.MedianS > 0 && d.P90S > d.MedianS:
		sigma := math.Log(d.P90S/d.MedianS) / 1.2815515655446004 // z of the 90th percentile
		if lnMean := math.Log(d.MedianS) + sigma*sigma/2; lnMean > math.Log(MaxStartMeanS) {
			errorf("p90_s", "a lognormal start with median_s = %g s and p90_s = %g s has a mean of %.3g s, more than %g s (115 days): bring p90_s closer to median_s",
				d.MedianS, d.P90S, math.Exp(lnMean), float64(MaxStartMeanS))
		}
	case kind == "fixed" && d.S > MaxStartMeanS:
		errorf("s", "s = %g s is more than %g s (115 days)", d.S, float64(MaxStartMeanS))
	case kind == "uniform" && (d.MinS+d.MaxS)/2 > MaxStartMeanS:
		errorf("max_s", "a uniform start from %g s to %g s has a mean of %g s, more than %g s (115 days)", d.MinS, d.MaxS, (d.MinS+d.MaxS)/2, float64(MaxStartMeanS))
	case kind == "exponential" && d.MeanS > MaxStartMeanS:
		errorf("mean_s", "mean_s = %g s is more than %g s (115 days)", d.MeanS, float64(MaxStartMeanS))
	}
	return d
}

// linkServices resolves depends_on, rejects cycles, computes tiers and
// orders the services by tier.
func (b *builder) linkServices() {
	g := newIDGraph(len(b.m.Services))
	for i := range b.m.Services {
		s := &b.m.Services[i]
		src := b.serviceRaw[i]
		seen := map[int32]bool{}
		for j, dep := range src.raw.DependsOn {
			key := fmt.Sprintf("depends_on[%d]", j)
			if dep == s.ID {
				b.errorf(src.at, key, s.ID, "service %q depends on itself", s.ID)
				continue
			}
			r, ok := b.m.ids[dep]
			if !ok || r.table != tabService {
				if src.member == 0 {
					b.resolve(dep, tabService, src.at, key, s.ID, "dependency")
				}
				continue
			}
			if seen[r.index] {
				continue
			}
			seen[r.index] = true
			s.DependsOn = append(s.DependsOn, r.index)
			g.addEdge(r.index, int32(i))
		}
	}
	order, err := topo.SortStabilized(g, byID)
	if err != nil {
		if cycles, ok := err.(topo.Unorderable); ok {
			for _, c := range cycles {
				b.cycleError(c, func(i int64) (string, at) { return b.m.Services[i].ID, b.serviceRaw[i].at }, "depends_on", "depends_on")
			}
		}
		return
	}
	// Tiers: longest dependency chain, raised to the written tier.
	written := make([]int, len(b.m.Services))
	for _, n := range order {
		i := n.ID()
		s := &b.m.Services[i]
		written[i] = s.Tier
		need, top := 0, int32(-1) // top: the dependency of highest tier
		for _, d := range s.DependsOn {
			if t := b.m.Services[d].Tier + 1; t > need {
				need, top = t, d
			}
		}
		if s.Tier >= 0 && s.Tier < need {
			if b.serviceRaw[i].member == 0 {
				b.errorf(b.serviceRaw[i].at, "tier", s.ID, "tier = %d, but %q depends on %q of tier %d", s.Tier, s.ID, b.m.Services[top].ID, need-1)
			}
		}
		s.Tier = max(s.Tier, need)
	}
	// Order by tier, keeping definition order inside a tier.
	idx := make([]int, len(b.m.Services))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return b.m.Services[idx[x]].Tier < b.m.Services[idx[y]].Tier })
	newIdx := make([]int32, len(idx))
	for pos, old := range idx {
		newIdx[old] = int32(pos)
	}
	svcs := b.m.Services
	for old := range svcs {
		for k, d := range svcs[old].DependsOn {
			svcs[old].DependsOn[k] = newIdx[d]
		}
		b.m.ids[svcs[old].ID] = ref{tabService, newIdx[old]}
	}
	// Move each service to its place in place, along the permutation's
	// cycles: a second array would double the largest table of a big
	// model (200,000 services, 50 MB) at the peak of its load.
	for i := range svcs {
		for j := newIdx[i]; j != int32(i); j = newIdx[i] {
			svcs[i], svcs[j] = svcs[j], svcs[i]
			newIdx[i], newIdx[j] = newIdx[j], j
		}
	}
}
