package diff

import (
	"sort"
	"strconv"
	"strings"

	"blackstart/topology"
)

// Entity kinds, in the order a diff lists them: the site's defaults, the
// power elements by kind (source … bank), then racks, device models,
// devices and services.
var kindOrder = map[string]int{
	"site": 0, "source": 1, "ups": 2, "panel": 3, "breaker": 4, "circuit": 5, "ats": 6, "rack_pdu": 7, "bank": 8,
	"rack": 9, "device_model": 10, "device": 11, "service": 12,
}

// Entity is one thing of a model, named by its kind and id.
type Entity struct {
	Kind string `json:"kind"` // element kind (source, ups, …, bank), rack, device_model, device, service or site
	ID   string `json:"id"`
}

// KeyChange is one key of an entity whose resolved value differs. A key
// that has no value on one side (not given and no default) is "".
type KeyChange struct {
	Key string `json:"key"` // as written in the model file: rating_a, feeds, depends_on, …
	Old string `json:"old"`
	New string `json:"new"`
}

// EntityChange is an entity present in both models with different keys.
type EntityChange struct {
	Entity
	Keys []KeyChange `json:"keys"` // in key order of the entity's record
}

// ElementDiff is what differs between two models, entity by entity.
// Entities are matched by id (one namespace per model); values are the
// resolved ones (inherited voltages, defaults), references are ids.
type ElementDiff struct {
	Added   []Entity       `json:"added"`   // in the new model only
	Removed []Entity       `json:"removed"` // in the old model only
	Changed []EntityChange `json:"changed"`
}

// Empty reports whether the models have the same entities and values.
func (d ElementDiff) Empty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0
}

// record is an entity's keys and values, in key order.
type record struct {
	kind string
	keys []string
	vals []string
}

func (r *record) add(key, val string) {
	r.keys = append(r.keys, key)
	r.vals = append(r.vals, val)
}

func num(v float64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func integer(v int) string {
	if v == 0 {
		return ""
	}
	return strconv.Itoa(v)
}

func elementIDs(m *topology.Model, idx []int32) string {
	ids := make([]string, len(idx))
	for i, e := range idx {
		ids[i] = m.Elements[e].ID
	}
	return strings.Join(ids, ", ")
}

// records flattens a model into its entities' records, by "kind\x00id"
// order of appearance, keyed by id.
func records(m *topology.Model) (map[string]*record, []string) {
	out := map[string]*record{}
	var order []string
	put := func(id string, r *record) {
		if _, dup := out[id]; !dup {
			order = append(order, id)
		}
		out[id] = r
	}
	site := &record{kind: "site"}
	site.add("name", m.Site.Name)
	site.add("continuous_limit", num(m.Site.ContinuousLimit))
	site.add("power_factor", num(m.Site.PowerFactor))
	site.add("frequency_hz", num(m.Site.FrequencyHz))
	put("", site) // the site has no id; "" cannot be one
	for i := range m.Elements {
		e := &m.Elements[i]
		r := &record{kind: e.Kind.String()}
		r.add("name", e.Name)
		r.add("type", e.Type)
		r.add("inputs", elementIDs(m, e.Inputs))
		pref := ""
		if len(e.Inputs) == 2 {
			pref = m.Elements[e.Inputs[e.Preferred]].ID
		}
		r.add("preferred", pref)
		r.add("transfer_ms", num(e.TransferMS))
		r.add("voltage_v", num(e.VoltageV))
		r.add("phases", integer(e.Phases))
		r.add("wiring", e.Wiring.String())
		r.add("line", e.Line.String())
		r.add("power_factor", num(e.PowerFactor))
		r.add("capacity_va", num(e.CapacityVA))
		r.add("capacity_w", num(e.CapacityW))
		steps := make([]string, len(e.Overload))
		for k, s := range e.Overload {
			steps[k] = num(s.LoadPct) + " % for " + num(s.TimeS) + " s"
		}
		r.add("overload", strings.Join(steps, ", "))
		r.add("standard", e.Standard.String())
		curve := ""
		if e.Curve != 0 {
			curve = string(rune(e.Curve))
		}
		r.add("curve", curve)
		r.add("rating_a", num(e.RatingA))
		r.add("continuous_limit", num(e.ContinuousLimit))
		r.add("poles", integer(e.Poles))
		inst := ""
		if e.InstantaneousX != [2]float64{} {
			inst = num(e.InstantaneousX[0]) + "–" + num(e.InstantaneousX[1]) + " In"
		}
		r.add("instantaneous_x", inst)
		rack := ""
		if e.Rack >= 0 && int(e.Rack) < len(m.Racks) {
			rack = m.Racks[e.Rack].ID
		}
		r.add("rack", rack)
		put(e.ID, r)
	}
	for _, rk := range m.Racks {
		r := &record{kind: "rack"}
		r.add("row", rk.Row)
		r.add("room", rk.Room)
		put(rk.ID, r)
	}
	for _, dm := range m.DeviceModels {
		r := &record{kind: "device_model"}
		r.add("manufacturer", dm.Manufacturer)
		r.add("psus", integer(dm.PSUs))
		r.add("psus_required", integer(dm.PSUsRequired))
		r.add("psu_rating_w", num(dm.PSURatingW))
		r.add("nameplate_w", num(dm.NameplateW))
		r.add("allocated_w", num(dm.AllocatedW))
		r.add("typical_w", num(dm.TypicalW))
		r.add("idle_w", num(dm.IdleW))
		r.add("peak_w", num(dm.PeakW))
		r.add("measured_w", num(dm.MeasuredW))
		r.add("power_factor", num(dm.PowerFactor))
		r.add("ram_gib", num(dm.RAMGiB))
		r.add("cpu_cores", num(dm.CPUCores))
		r.add("gpus", integer(dm.GPUs))
		r.add("gpu_type", dm.GPUType)
		r.add("start_concurrency", integer(dm.StartConcurrency))
		put(dm.ID, r)
	}
	for _, d := range m.Devices {
		r := &record{kind: "device"}
		r.add("rack", m.Racks[d.Rack].ID)
		r.add("model", m.DeviceModels[d.Model].ID)
		r.add("role", d.Role)
		r.add("feeds", elementIDs(m, d.Feeds))
		r.add("measured_w", num(d.MeasuredW))
		r.add("ram_gib", num(d.RAMGiB))
		r.add("cpu_cores", num(d.CPUCores))
		r.add("gpus", integer(d.GPUs))
		r.add("gpu_type", d.GPUType)
		r.add("start_concurrency", integer(d.StartConcurrency))
		put(d.ID, r)
	}
	for _, s := range m.Services {
		r := &record{kind: "service"}
		r.add("kind", s.Kind)
		r.add("tier", strconv.Itoa(s.Tier))
		deps := make([]string, len(s.DependsOn))
		for k, dep := range s.DependsOn {
			deps[k] = m.Services[dep].ID
		}
		r.add("depends_on", strings.Join(deps, ", "))
		r.add("instances", integer(s.Instances))
		r.add("ready_quorum", integer(s.ReadyQuorum))
		r.add("ram_gib", num(s.RAMGiB))
		r.add("cpu_cores", num(s.CPUCores))
		r.add("gpus", integer(s.GPUs))
		r.add("gpu_milli", integer(s.GPUMilli))
		r.add("gpu_types", strings.Join(s.GPUTypes, ", "))
		r.add("role", s.Role)
		pins := make([]string, len(s.Pinned))
		for k, p := range s.Pinned {
			pins[k] = m.Devices[p].ID
		}
		r.add("pinned", strings.Join(pins, ", "))
		r.add("spread", s.Spread.String())
		r.add("min_spread", integer(s.MinSpread))
		r.add("timeout_s", num(s.TimeoutS))
		r.add("start", dist(s.Start))
		put(s.ID, r)
	}
	return out, order
}

// dist writes a start-duration distribution as its model keys.
func dist(d topology.Dist) string {
	parts := []string{d.Kind}
	for _, kv := range []struct {
		k string
		v float64
	}{{"s", d.S}, {"min_s", d.MinS}, {"max_s", d.MaxS}, {"median_s", d.MedianS}, {"p90_s", d.P90S}, {"mean_s", d.MeanS}} {
		if kv.v != 0 {
			parts = append(parts, kv.k+" = "+num(kv.v))
		}
	}
	return strings.Join(parts, ", ")
}

// CompareElements lists the entities added, removed and changed from old
// to new, key by key. It is a function of the two models only.
func CompareElements(old, new *topology.Model) ElementDiff {
	oldRecs, oldOrder := records(old)
	newRecs, newOrder := records(new)
	d := ElementDiff{Added: []Entity{}, Removed: []Entity{}, Changed: []EntityChange{}}
	for _, id := range oldOrder {
		if _, ok := newRecs[id]; !ok {
			d.Removed = append(d.Removed, Entity{Kind: oldRecs[id].kind, ID: id})
		}
	}
	for _, id := range newOrder {
		nr := newRecs[id]
		or, ok := oldRecs[id]
		if !ok {
			d.Added = append(d.Added, Entity{Kind: nr.kind, ID: id})
			continue
		}
		var keys []KeyChange
		if or.kind != nr.kind {
			keys = append(keys, KeyChange{Key: "kind", Old: or.kind, New: nr.kind})
		}
		ov := map[string]string{}
		for i, k := range or.keys {
			ov[k] = or.vals[i]
		}
		seen := map[string]bool{}
		for i, k := range nr.keys {
			seen[k] = true
			if o := ov[k]; o != nr.vals[i] {
				keys = append(keys, KeyChange{Key: k, Old: o, New: nr.vals[i]})
			}
		}
		for i, k := range or.keys { // keys of the old kind only
			if !seen[k] && or.vals[i] != "" {
				keys = append(keys, KeyChange{Key: k, Old: or.vals[i]})
			}
		}
		if len(keys) > 0 {
			d.Changed = append(d.Changed, EntityChange{Entity: Entity{Kind: nr.kind, ID: id}, Keys: keys})
		}
	}
	sortEntities(d.Added)
	sortEntities(d.Removed)
	sort.SliceStable(d.Changed, func(i, j int) bool { return entityLess(d.Changed[i].Entity, d.Changed[j].Entity) })
	return d
}

// entityLess orders by kind; a stable sort keeps the model's order
// (topological for power elements) within a kind.
func entityLess(a, b Entity) bool { return kindOrder[a.Kind] < kindOrder[b.Kind] }

func sortEntities(es []Entity) {
	sort.SliceStable(es, func(i, j int) bool { return entityLess(es[i], es[j]) })
}
