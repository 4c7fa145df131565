package netbox

// The fields an object must have (present, not null, not empty) for the
// import to use it, per type, by JSON name.

func (o *Panel) missing() []string {
	return need(o.ID != 0, "id", o.Name != "", "name", o.Site != nil, "site")
}
func (o *Feed) missing() []string {
	return need(o.ID != 0, "id", o.Name != "", "name", o.PowerPanel != nil, "power_panel", o.Phase != nil, "phase",
		o.Voltage != nil, "voltage", o.Amperage != nil, "amperage", o.MaxUtilization != nil, "max_utilization")
}
func (o *Rack) missing() []string {
	return need(o.ID != 0, "id", o.Name != "", "name", o.Site != nil, "site")
}
func (o *Device) missing() []string {
	return need(o.ID != 0, "id", o.DeviceType != nil, "device_type", o.Site != nil, "site")
}
func (o *DeviceType) missing() []string {
	return need(o.ID != 0, "id", o.Model != "", "model", o.Slug != "", "slug")
}
func (o *PortTemplate) missing() []string   { return need(o.ID != 0, "id", o.Name != "", "name") }
func (o *OutletTemplate) missing() []string { return need(o.ID != 0, "id", o.Name != "", "name") }
func (o *Port) missing() []string {
	return need(o.ID != 0, "id", o.Device != nil, "device", o.Name != "", "name")
}
func (o *Outlet) missing() []string {
	return need(o.ID != 0, "id", o.Device != nil, "device", o.Name != "", "name")
}
func (o *Cable) missing() []string {
	return need(o.ID != 0, "id", o.A != nil, "a_terminations", o.B != nil, "b_terminations")
}

// need takes (present, name) pairs and returns the names not present.
func need(pairs ...any) []string {
	var out []string
	for i := 0; i < len(pairs); i += 2 {
		if !pairs[i].(bool) {
			out = append(out, pairs[i+1].(string))
		}
	}
	return out
}

type object interface {
	missing() []string
	key() int
}

func (o *Panel) key() int          { return o.ID }
func (o *Feed) key() int           { return o.ID }
func (o *Rack) key() int           { return o.ID }
func (o *Device) key() int         { return o.ID }
func (o *DeviceType) key() int     { return o.ID }
func (o *PortTemplate) key() int   { return o.ID }
func (o *OutletTemplate) key() int { return o.ID }
func (o *Port) key() int           { return o.ID }
func (o *Outlet) key() int         { return o.ID }
func (o *Cable) key() int          { return o.ID }

// objectPtr is a pointer to one of the object types.
type objectPtr[T any] interface {
	*T
	object
}

// addAll decodes a complete list response of T in one pass (fastPage)
// and appends its objects to dst. It reports false, adding nothing, on any
// problem (bad JSON, a wrong type, a missing field, a duplicate id, an
// incomplete list, anything the fast reader does not take); the caller
// then reads the response again slowly to say where and what.
func addAll[T any, P objectPtr[T]](inv *Inventory, ep, source string, data []byte, dst *[]T, known []string, one func(*lexer, *T, string) (bool, error)) bool {
	count, next, results, err := fastPage(data, known, one)
	if err != nil || count < 0 || count > 1<<31 || next != nil && *next != "" || len(results) < count {
		return false
	}
	org := inv.originOf(ep)
	for i := range results {
		p := P(&results[i])
		id := p.key()
		_, dup := org[id]
		if dup || len(p.missing()) > 0 {
			for _, r := range results[:i] { // leave the inventory as it was
				delete(org, P(&r).key())
			}
			return false
		}
		org[id] = source
	}
	switch {
	case len(results) == 0:
	case *dst == nil:
		*dst = results
	default:
		*dst = append(*dst, results...)
	}
	return true
}

// addFast is addAll for endpoint ep.
func (inv *Inventory) addFast(ep, source string, data []byte) bool {
	switch ep {
	case "power-panels":
		return addAll[Panel](inv, ep, source, data, &inv.Panels, panelKeys, fastPanel)
	case "power-feeds":
		return addAll[Feed](inv, ep, source, data, &inv.Feeds, feedKeys, fastFeed)
	case "racks":
		return addAll[Rack](inv, ep, source, data, &inv.Racks, rackKeys, fastRack)
	case "devices":
		return addAll[Device](inv, ep, source, data, &inv.Devices, devKeys, fastDevice)
	case "device-types":
		return addAll[DeviceType](inv, ep, source, data, &inv.DeviceTypes, typeKeys, fastType)
	case "power-port-templates":
		return addAll[PortTemplate](inv, ep, source, data, &inv.PortTemplates, ptKeys, fastPortTemplate)
	case "power-outlet-templates":
		return addAll[OutletTemplate](inv, ep, source, data, &inv.OutletTemplates, otKeys, fastOutletTemplate)
	case "power-ports":
		return addAll[Port](inv, ep, source, data, &inv.Ports, portKeys, fastPort)
	case "power-outlets":
		return addAll[Outlet](inv, ep, source, data, &inv.Outlets, outKeys, fastOutlet)
	case "cables":
		return addAll[Cable](inv, ep, source, data, &inv.Cables, cabKeys, fastCable)
	}
	return false
}

func (inv *Inventory) originOf(ep string) map[int]string {
	if inv.origin == nil {
		inv.origin = map[string]map[int]string{}
	}
	if inv.origin[ep] == nil {
		inv.origin[ep] = map[int]string{}
	}
	return inv.origin[ep]
}
