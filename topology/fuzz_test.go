package topology

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse. It must never panic, every error
// must be an ErrorList, and a model it accepts must keep the invariants the
// rest of blackstart relies on.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.toml")
	parts, _ := filepath.Glob("testdata/bad/*/*.toml") // files of multi-file cases
	seeds = append(seeds, parts...)
	seeds = append(seeds, "../examples/incident-2019.toml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(File{Name: "fuzz.toml", Data: data})
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("Parse error is %T, want ErrorList: %v", err, err)
			}
			if m != nil {
				t.Fatalf("Parse returned a model and an error: %v", err)
			}
			return
		}
		if err := checkInvariants(m); err != nil {
			t.Fatal(err)
		}
	})
}

// checkInvariants verifies the documented invariants of a loaded model.
func checkInvariants(m *Model) error {
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
