package topology

// IndexIDs builds the id index of a model assembled in code (an importer)
// rather than loaded from TOML: afterwards ElementIndex, RackIndex,
// DeviceIndex and ServiceIndex find every entry of the model's slices. Ids
// share one namespace; an id that appears more than once keeps its first
// entry and is returned, in the order found (nil when every id is unique,
// as a caller that checked uniqueness itself expects).
func (m *Model) IndexIDs() (dup []string) {
	m.ids = make(map[string]ref, len(m.Elements)+len(m.Racks)+len(m.DeviceModels)+len(m.Devices)+len(m.Services))
	add := func(id string, r ref) {
		if _, ok := m.ids[id]; ok {
			dup = append(dup, id)
			return
		}
		m.ids[id] = r
	}
	for i := range m.Elements {
		add(m.Elements[i].ID, ref{tabElement, int32(i)})
	}
	for i := range m.Racks {
		add(m.Racks[i].ID, ref{tabRack, int32(i)})
	}
	for i := range m.DeviceModels {
		add(m.DeviceModels[i].ID, ref{tabModel, int32(i)})
	}
	for i := range m.Devices {
		add(m.Devices[i].ID, ref{tabDevice, int32(i)})
	}
	for i := range m.Services {
		add(m.Services[i].ID, ref{tabService, int32(i)})
	}
	return dup
}
