package topology

import (
	"strings"
	"testing"
)

// invariantsModel is a valid model at the accepted edge of each
// invariant: a transfer switch with 2 inputs and its second preferred, PF
// 1, a source without rating (0 A), every PSU required, a quorum of all
// instances, a pin per instance, a dependency one tier down.
const invariantsModel = `
[site]
power_factor = 1
[[source]]
id = "u1"
voltage_v = 230
[[source]]
id = "u2"
voltage_v = 230
[[ats]]
id = "ats"
inputs = ["u1", "u2"]
preferred = "u2"
[[circuit]]
id = "c"
input = "ats"
[[rack]]
id = "r"
[[device_model]]
id = "m"
psus = 2
psus_required = 2
typical_w = 100
[[device]]
id = "d1"
rack = "r"
model = "m"
feeds = ["c", "c"]
[[device]]
id = "d2"
rack = "r"
model = "m"
feeds = ["c", "c"]
[[service]]
id = "a"
instances = 2
ready_quorum = 2
pinned = ["d1", "d2"]
[[service]]
id = "b"
depends_on = ["a"]
`

// TestCheckInvariantsEdges: CheckInvariants accepts a model at the edge of
// every invariant and refuses it one step past each, naming the first
// violation.
func TestCheckInvariantsEdges(t *testing.T) {
	if err := parse(t, invariantsModel).CheckInvariants(); err != nil {
		t.Fatalf("the model at the edges: %v", err)
	}
	for _, c := range []struct {
		name   string
		break_ func(m *Model)
		want   string
	}{
		{"three inputs", func(m *Model) { m.Elements[2].Inputs = []int32{0, 1, 1} }, `ats "ats" has 3 inputs, want 1 or 2`},
		{"no input", func(m *Model) { m.Elements[2].Inputs = nil }, `ats "ats" has 0 inputs, want 1 or 2`},
		{"a source with an input", func(m *Model) { m.Elements[1].Inputs = []int32{0} }, `source "u2" has inputs [0]`},
		{"an input of itself", func(m *Model) { m.Elements[2].Inputs = []int32{0, 2} }, `element 2 "ats" has input 2, want 0 <= input < 2`},
		{"a negative input", func(m *Model) { m.Elements[2].Inputs = []int32{-1, 1} }, `element 2 "ats" has input -1`},
		{"preferred past the inputs", func(m *Model) { m.Elements[2].Preferred = 2 }, `element "ats": preferred input 2 of 2`},
		{"preferred below 0", func(m *Model) { m.Elements[2].Preferred = -1 }, `element "ats": preferred input -1 of 2`},
		{"a source preferring input 1", func(m *Model) { m.Elements[0].Preferred = 1 }, `element "u1": preferred input 1 of 0`},
		{"voltage 0", func(m *Model) { m.Elements[3].VoltageV = 0 }, `element "c": voltage 0 V, want > 0`},
		{"2 phases", func(m *Model) { m.Elements[3].Phases = 2 }, `element "c": 2 phases`},
		{"PF above 1", func(m *Model) { m.Elements[3].PowerFactor = 1.0001 }, `element "c": power factor 1.0001`},
		{"PF 0", func(m *Model) { m.Elements[3].PowerFactor = 0 }, `element "c": power factor 0`},
		{"a negative rating", func(m *Model) { m.Elements[3].RatingA = -1 }, `element "c": rating -1 A`},
		{"an element indexed elsewhere", func(m *Model) { m.Elements[3].ID = "u1" }, `ElementIndex("u1") = 0, true; want 3`},
		{"a model index past the end", func(m *Model) { m.Devices[1].Model = 1 }, `device "d2": model index 1 of 1`},
		{"a negative model index", func(m *Model) { m.Devices[1].Model = -1 }, `device "d2": model index -1 of 1`},
		{"a rack index past the end", func(m *Model) { m.Devices[1].Rack = 1 }, `device "d2": rack index 1 of 1`},
		{"a negative rack index", func(m *Model) { m.Devices[1].Rack = -1 }, `device "d2": rack index -1 of 1`},
		{"a feed missing", func(m *Model) { m.Devices[1].Feeds = m.Devices[1].Feeds[:1] }, `device "d2": 1 feeds, want 2 (PSUs of "m")`},
		{"a feed index past the end", func(m *Model) { m.Devices[1].Feeds[1] = 4 }, `device "d2": feed index 4 of 4`},
		{"a negative feed index", func(m *Model) { m.Devices[1].Feeds[1] = -1 }, `device "d2": feed index -1 of 4`},
		{"a feed from a source", func(m *Model) { m.Devices[1].Feeds[1] = 0 }, `device "d2": feed "u1" is a source`},
		{"a device indexed elsewhere", func(m *Model) { m.Devices[1].ID = "d1" }, `DeviceIndex("d1") = 0, true; want 1`},
		{"more PSUs required than there are", func(m *Model) { m.DeviceModels[0].PSUsRequired = 3; m.DeviceModels[0].PSUs = 2 }, `device model "m": 3 of 2 PSUs required`},
		{"no PSU required", func(m *Model) { m.DeviceModels[0].PSUsRequired = 0 }, `device model "m": 0 of 2 PSUs required`},
		{"a dependency past the end", func(m *Model) { m.Services[1].DependsOn = []int32{2} }, `service "b": dependency index 2 of 2`},
		{"a negative dependency", func(m *Model) { m.Services[1].DependsOn = []int32{-1} }, `service "b": dependency index -1 of 2`},
		{"a dependency in the same tier", func(m *Model) { m.Services[1].Tier = 0 }, `service "b" (tier 0) depends on "a" (tier 0)`},
		{"services out of tier order", func(m *Model) { m.Services[1].DependsOn = nil; m.Services[0].Tier = 2 }, `services not in tier order at "b"`},
		{"a pin short", func(m *Model) { m.Services[0].Pinned = m.Services[0].Pinned[:1] }, `service "a": 1 pins for 2 instances`},
		{"a pin past the end", func(m *Model) { m.Services[0].Pinned[1] = 2 }, `service "a": pinned index 2 of 2`},
		{"a negative pin", func(m *Model) { m.Services[0].Pinned[1] = -1 }, `service "a": pinned index -1 of 2`},
		{"a quorum above the instances", func(m *Model) { m.Services[0].ReadyQuorum = 3 }, `service "a": ready quorum 3 of 2 instances`},
		{"a quorum of 0", func(m *Model) { m.Services[0].ReadyQuorum = 0 }, `service "a": ready quorum 0 of 2 instances`},
	} {
		m := parse(t, invariantsModel)
		c.break_(m)
		if err := m.CheckInvariants(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// TestErrorFormatAndSort: an error with a line prints "file:line:col:
// message", one without prints "file: path (id "x"): message"; Sort
// orders by file, line, column, path and message and drops exact
// duplicates.
func TestErrorFormatAndSort(t *testing.T) {
	l := ErrorList{
		{Pos: Pos{File: "b.toml", Line: 1, Col: 1}, Msg: "a"},
		{Pos: Pos{File: "a.toml", Line: 2, Col: 10}, Msg: "a"},
		{Pos: Pos{File: "a.toml", Line: 2, Col: 3}, Msg: "b"},
		{Pos: Pos{File: "a.toml", Line: 2, Col: 3}, Msg: "b"},
		{Pos: Pos{File: "a.toml", Line: 10, Col: 1}, Msg: "a"},
		{Pos: Pos{File: "a.toml"}, Path: "site.z", Msg: "a"},
		{Pos: Pos{File: "a.toml"}, Path: "site.y", ID: "x", Msg: "b"},
	}
	l.Sort()
	var got []string
	for _, e := range l {
		got = append(got, e.Error())
	}
	want := []string{
		`a.toml: site.y (id "x"): b`,
		`a.toml: site.z: a`,
		"a.toml:2:3: b",
		"a.toml:2:10: a",
		"a.toml:10:1: a",
		"b.toml:1:1: a",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sorted:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestGraphNodeRange: the id graph's nodes are 0..n-1.
func TestGraphNodeRange(t *testing.T) {
	g := &idGraph{succ: make([][]int32, 2)}
	for id, want := range map[int64]bool{-1: false, 0: true, 1: true, 2: false} {
		if got := g.Node(id) != nil; got != want {
			t.Errorf("Node(%d) present %v, want %v", id, got, want)
		}
	}
}
