package topology

import "fmt"

// CheckInvariants verifies the documented invariants of a resolved model:
// element inputs come earlier in Elements (sources have none), voltages,
// phases and power factors are in range, every device has one feed per PSU
// on a kind that can feed it, indices are in range, services are in tier
// order and depend only on lower tiers, ready quorums and pins fit the
// instance count, and every element and device id resolves to its own
// entry. Every model Load and Parse return passes; a model assembled in code
// (an importer, after IndexIDs) should be checked with it. The error names
// the first violation.
func (m *Model) CheckInvariants() error {
	for i, e := range m.Elements {
		if e.Kind == KindSource && len(e.Inputs) != 0 {
			return fmt.Errorf("source %q has inputs %v", e.ID, e.Inputs)
		}
		if e.Kind != KindSource && (len(e.Inputs) < 1 || len(e.Inputs) > 2) {
			return fmt.Errorf("%s %q has %d inputs, want 1 or 2", e.Kind, e.ID, len(e.Inputs))
		}
		for _, in := range e.Inputs {
			if in < 0 || int(in) >= i {
				return fmt.Errorf("element %d %q has input %d, want 0 <= input < %d", i, e.ID, in, i)
			}
		}
		if e.Preferred < 0 || e.Preferred >= max(1, len(e.Inputs)) {
			return fmt.Errorf("element %q: preferred input %d of %d", e.ID, e.Preferred, len(e.Inputs))
		}
		if !(e.VoltageV > 0) {
			return fmt.Errorf("element %q: voltage %g V, want > 0", e.ID, e.VoltageV)
		}
		if e.Phases != 1 && e.Phases != 3 {
			return fmt.Errorf("element %q: %d phases", e.ID, e.Phases)
		}
		if !(e.PowerFactor > 0 && e.PowerFactor <= 1) {
			return fmt.Errorf("element %q: power factor %g", e.ID, e.PowerFactor)
		}
		if e.RatingA < 0 {
			return fmt.Errorf("element %q: rating %g A", e.ID, e.RatingA)
		}
		if got, ok := m.ElementIndex(e.ID); !ok || got != i {
			return fmt.Errorf("ElementIndex(%q) = %d, %v; want %d", e.ID, got, ok, i)
		}
	}
	for i, d := range m.Devices {
		if d.Model < 0 || int(d.Model) >= len(m.DeviceModels) {
			return fmt.Errorf("device %q: model index %d of %d", d.ID, d.Model, len(m.DeviceModels))
		}
		if d.Rack < 0 || int(d.Rack) >= len(m.Racks) {
			return fmt.Errorf("device %q: rack index %d of %d", d.ID, d.Rack, len(m.Racks))
		}
		if got, want := len(d.Feeds), m.DeviceModels[d.Model].PSUs; got != want {
			return fmt.Errorf("device %q: %d feeds, want %d (PSUs of %q)", d.ID, got, want, m.DeviceModels[d.Model].ID)
		}
		for _, fd := range d.Feeds {
			if fd < 0 || int(fd) >= len(m.Elements) {
				return fmt.Errorf("device %q: feed index %d of %d", d.ID, fd, len(m.Elements))
			}
			if !feedKindOK(m.Elements[fd].Kind) {
				return fmt.Errorf("device %q: feed %q is a %s", d.ID, m.Elements[fd].ID, m.Elements[fd].Kind)
			}
		}
		if got, ok := m.DeviceIndex(d.ID); !ok || got != i {
			return fmt.Errorf("DeviceIndex(%q) = %d, %v; want %d", d.ID, got, ok, i)
		}
	}
	for _, dm := range m.DeviceModels {
		if dm.PSUs < 1 || dm.PSUsRequired < 1 || dm.PSUsRequired > dm.PSUs {
			return fmt.Errorf("device model %q: %d of %d PSUs required", dm.ID, dm.PSUsRequired, dm.PSUs)
		}
	}
	for i, s := range m.Services {
		for _, dep := range s.DependsOn {
			if dep < 0 || int(dep) >= len(m.Services) {
				return fmt.Errorf("service %q: dependency index %d of %d", s.ID, dep, len(m.Services))
			}
			if m.Services[dep].Tier >= s.Tier {
				return fmt.Errorf("service %q (tier %d) depends on %q (tier %d)", s.ID, s.Tier, m.Services[dep].ID, m.Services[dep].Tier)
			}
		}
		if i > 0 && m.Services[i-1].Tier > s.Tier {
			return fmt.Errorf("services not in tier order at %q", s.ID)
		}
		if len(s.Pinned) != 0 && len(s.Pinned) != s.Instances {
			return fmt.Errorf("service %q: %d pins for %d instances", s.ID, len(s.Pinned), s.Instances)
		}
		for _, p := range s.Pinned {
			if p < 0 || int(p) >= len(m.Devices) {
				return fmt.Errorf("service %q: pinned index %d of %d", s.ID, p, len(m.Devices))
			}
		}
		if s.Instances < 1 || s.ReadyQuorum < 1 || s.ReadyQuorum > s.Instances {
			return fmt.Errorf("service %q: ready quorum %d of %d instances", s.ID, s.ReadyQuorum, s.Instances)
		}
	}
	return nil
}
