package diff

import (
	"slices"
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

func siteRecord(m *topology.Model) *record {
	r := &record{kind: "site"}
	r.add("name", m.Site.Name)
	r.add("continuous_limit", num(m.Site.ContinuousLimit))
	r.add("power_factor", num(m.Site.PowerFactor))
	r.add("frequency_hz", num(m.Site.FrequencyHz))
	return r
}

func elementRecord(m *topology.Model, i int) *record {
	e := &m.Elements[i]
	r := &record{kind: e.Kind.String()}
	r.add("kind", e.Kind.String())
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
	r.add("rack", rackID(m, e.Rack))
	return r
}

func rackID(m *topology.Model, r int32) string {
	if r >= 0 && int(r) < len(m.Racks) {
		return m.Racks[r].ID
	}
	return ""
}

func rackRecord(m *topology.Model, i int) *record {
	rk := &m.Racks[i]
	r := &record{kind: "rack"}
	r.add("row", rk.Row)
	r.add("room", rk.Room)
	return r
}

func deviceModelRecord(m *topology.Model, i int) *record {
	dm := &m.DeviceModels[i]
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
	return r
}

func deviceRecord(m *topology.Model, i int) *record {
	d := &m.Devices[i]
	r := &record{kind: "device"}
	r.add("rack", rackID(m, d.Rack))
	r.add("model", m.DeviceModels[d.Model].ID)
	r.add("role", d.Role)
	r.add("feeds", elementIDs(m, d.Feeds))
	r.add("measured_w", num(d.MeasuredW))
	r.add("ram_gib", num(d.RAMGiB))
	r.add("cpu_cores", num(d.CPUCores))
	r.add("gpus", integer(d.GPUs))
	r.add("gpu_type", d.GPUType)
	r.add("start_concurrency", integer(d.StartConcurrency))
	return r
}

func serviceRecord(m *topology.Model, i int) *record {
	s := &m.Services[i]
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
	return r
}

// sameIDs reports whether index lists a (into ma's elements, devices or
// services, named by ida) and b name the same ids in the same order.
func sameIDs(a, b []int32, ida, idb func(int32) string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if ida(a[i]) != idb(b[i]) {
			return false
		}
	}
	return true
}

// table is one kind of entity of both models: how many, each one's id,
// where an id is in the old model, whether two entries are equal (a fast
// test on the typed values: most entities of a large model are), and the
// entry's record (built only for the entities that differ).
type table struct {
	oldN, newN int
	oldID      func(i int) string
	newID      func(i int) string
	oldIndex   func(id string) (int, bool)
	equal      func(o, n int) bool
	oldRecord  func(i int) *record
	newRecord  func(i int) *record
	kindOld    func(i int) string
	kindNew    func(i int) string
}

func tables(old, new *topology.Model) []table {
	oe := func(m *topology.Model) func(int32) string { return func(i int32) string { return m.Elements[i].ID } }
	od := func(m *topology.Model) func(int32) string { return func(i int32) string { return m.Devices[i].ID } }
	os := func(m *topology.Model) func(int32) string { return func(i int32) string { return m.Services[i].ID } }
	dmIndex := make(map[string]int, len(old.DeviceModels))
	for i, dm := range old.DeviceModels {
		dmIndex[dm.ID] = i
	}
	constKind := func(k string) func(int) string { return func(int) string { return k } }
	return []table{
		{
			oldN: len(old.Elements), newN: len(new.Elements),
			oldID: func(i int) string { return old.Elements[i].ID }, newID: func(i int) string { return new.Elements[i].ID },
			oldIndex: old.ElementIndex,
			equal: func(o, n int) bool {
				a, b := &old.Elements[o], &new.Elements[n]
				return a.Name == b.Name && a.Kind == b.Kind && a.Type == b.Type && sameIDs(a.Inputs, b.Inputs, oe(old), oe(new)) &&
					(len(a.Inputs) != 2 || a.Preferred == b.Preferred) && a.TransferMS == b.TransferMS &&
					a.VoltageV == b.VoltageV && a.Phases == b.Phases && a.Wiring == b.Wiring && a.Line == b.Line &&
					a.PowerFactor == b.PowerFactor && a.CapacityVA == b.CapacityVA && a.CapacityW == b.CapacityW &&
					slices.Equal(a.Overload, b.Overload) && a.Standard == b.Standard && a.Curve == b.Curve &&
					a.RatingA == b.RatingA && a.ContinuousLimit == b.ContinuousLimit && a.Poles == b.Poles &&
					a.InstantaneousX == b.InstantaneousX && rackID(old, a.Rack) == rackID(new, b.Rack)
			},
			oldRecord: func(i int) *record { return elementRecord(old, i) }, newRecord: func(i int) *record { return elementRecord(new, i) },
			kindOld: func(i int) string { return old.Elements[i].Kind.String() }, kindNew: func(i int) string { return new.Elements[i].Kind.String() },
		},
		{
			oldN: len(old.Racks), newN: len(new.Racks),
			oldID: func(i int) string { return old.Racks[i].ID }, newID: func(i int) string { return new.Racks[i].ID },
			oldIndex: old.RackIndex,
			equal: func(o, n int) bool {
				a, b := &old.Racks[o], &new.Racks[n]
				return a.Row == b.Row && a.Room == b.Room
			},
			oldRecord: func(i int) *record { return rackRecord(old, i) }, newRecord: func(i int) *record { return rackRecord(new, i) },
			kindOld: constKind("rack"), kindNew: constKind("rack"),
		},
		{
			oldN: len(old.DeviceModels), newN: len(new.DeviceModels),
			oldID: func(i int) string { return old.DeviceModels[i].ID }, newID: func(i int) string { return new.DeviceModels[i].ID },
			oldIndex: func(id string) (int, bool) { i, ok := dmIndex[id]; return i, ok },
			equal: func(o, n int) bool {
				a, b := old.DeviceModels[o], new.DeviceModels[n]
				a.Pos, b.Pos = topology.Pos{}, topology.Pos{}
				return a == b
			},
			oldRecord: func(i int) *record { return deviceModelRecord(old, i) }, newRecord: func(i int) *record { return deviceModelRecord(new, i) },
			kindOld: constKind("device_model"), kindNew: constKind("device_model"),
		},
		{
			oldN: len(old.Devices), newN: len(new.Devices),
			oldID: func(i int) string { return old.Devices[i].ID }, newID: func(i int) string { return new.Devices[i].ID },
			oldIndex: old.DeviceIndex,
			equal: func(o, n int) bool {
				a, b := &old.Devices[o], &new.Devices[n]
				return rackID(old, a.Rack) == rackID(new, b.Rack) && old.DeviceModels[a.Model].ID == new.DeviceModels[b.Model].ID &&
					a.Role == b.Role && sameIDs(a.Feeds, b.Feeds, oe(old), oe(new)) && a.MeasuredW == b.MeasuredW &&
					a.RAMGiB == b.RAMGiB && a.CPUCores == b.CPUCores && a.GPUs == b.GPUs && a.GPUType == b.GPUType &&
					a.StartConcurrency == b.StartConcurrency
			},
			oldRecord: func(i int) *record { return deviceRecord(old, i) }, newRecord: func(i int) *record { return deviceRecord(new, i) },
			kindOld: constKind("device"), kindNew: constKind("device"),
		},
		{
			oldN: len(old.Services), newN: len(new.Services),
			oldID: func(i int) string { return old.Services[i].ID }, newID: func(i int) string { return new.Services[i].ID },
			oldIndex: old.ServiceIndex,
			equal: func(o, n int) bool {
				a, b := &old.Services[o], &new.Services[n]
				return a.Kind == b.Kind && a.Tier == b.Tier && sameIDs(a.DependsOn, b.DependsOn, os(old), os(new)) &&
					a.Instances == b.Instances && a.ReadyQuorum == b.ReadyQuorum && a.RAMGiB == b.RAMGiB && a.CPUCores == b.CPUCores &&
					a.GPUs == b.GPUs && a.GPUMilli == b.GPUMilli && slices.Equal(a.GPUTypes, b.GPUTypes) && a.Role == b.Role &&
					sameIDs(a.Pinned, b.Pinned, od(old), od(new)) && a.Spread == b.Spread && a.MinSpread == b.MinSpread &&
					a.TimeoutS == b.TimeoutS && a.Start == b.Start
			},
			oldRecord: func(i int) *record { return serviceRecord(old, i) }, newRecord: func(i int) *record { return serviceRecord(new, i) },
			kindOld: constKind("service"), kindNew: constKind("service"),
		},
	}
}

// keyChanges compares two records key by key.
func keyChanges(or, nr *record) []KeyChange {
	var keys []KeyChange
	ov := make(map[string]string, len(or.keys))
	for i, k := range or.keys {
		ov[k] = or.vals[i]
	}
	seen := make(map[string]bool, len(nr.keys))
	for i, k := range nr.keys {
		seen[k] = true
		if o := ov[k]; o != nr.vals[i] {
			keys = append(keys, KeyChange{Key: k, Old: o, New: nr.vals[i]})
		}
	}
	for i, k := range or.keys {
		if !seen[k] && or.vals[i] != "" {
			keys = append(keys, KeyChange{Key: k, Old: or.vals[i]})
		}
	}
	return keys
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
// to new, key by key. Entities are matched by id within their kind (power
// elements, racks, device models, devices, services; an id that moves to
// another of these is removed and added). It is a function of the two
// models only.
func CompareElements(old, new *topology.Model) ElementDiff {
	d := ElementDiff{Added: []Entity{}, Removed: []Entity{}, Changed: []EntityChange{}}
	if keys := keyChanges(siteRecord(old), siteRecord(new)); len(keys) > 0 {
		d.Changed = append(d.Changed, EntityChange{Entity: Entity{Kind: "site"}, Keys: keys})
	}
	for _, t := range tables(old, new) {
		matched := make([]bool, t.oldN)
		for n := 0; n < t.newN; n++ {
			id := t.newID(n)
			o, ok := t.oldIndex(id)
			if !ok {
				d.Added = append(d.Added, Entity{Kind: t.kindNew(n), ID: id})
				continue
			}
			matched[o] = true
			if t.equal(o, n) {
				continue
			}
			if keys := keyChanges(t.oldRecord(o), t.newRecord(n)); len(keys) > 0 {
				d.Changed = append(d.Changed, EntityChange{Entity: Entity{Kind: t.kindNew(n), ID: id}, Keys: keys})
			}
		}
		for o := 0; o < t.oldN; o++ {
			if !matched[o] {
				d.Removed = append(d.Removed, Entity{Kind: t.kindOld(o), ID: t.oldID(o)})
			}
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
