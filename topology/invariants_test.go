package topology

import (
	"fmt"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// invariantsModel is a valid model at the accepted edge of each
// invariant: a transfer switch with 2 inputs and its second preferred, PF
// 1, a source without rating (0 A), every PSU required, a 1-PSU model, a
// quorum of all instances, a pin per instance, a dependency one tier down,
// two services in one tier.
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
[[service]]
id = "b2"
depends_on = ["a"]
[[device_model]]
id = "m1"
typical_w = 10
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
		{"a model index past the end", func(m *Model) { m.Devices[1].Model = 2 }, `device "d2": model index 2 of 2`},
		{"a negative model index", func(m *Model) { m.Devices[1].Model = -1 }, `device "d2": model index -1 of 2`},
		{"a rack index past the end", func(m *Model) { m.Devices[1].Rack = 1 }, `device "d2": rack index 1 of 1`},
		{"a negative rack index", func(m *Model) { m.Devices[1].Rack = -1 }, `device "d2": rack index -1 of 1`},
		{"a feed missing", func(m *Model) { m.Devices[1].Feeds = m.Devices[1].Feeds[:1] }, `device "d2": 1 feeds, want 2 (PSUs of "m")`},
		{"a feed index past the end", func(m *Model) { m.Devices[1].Feeds[1] = 4 }, `device "d2": feed index 4 of 4`},
		{"a negative feed index", func(m *Model) { m.Devices[1].Feeds[1] = -1 }, `device "d2": feed index -1 of 4`},
		{"a feed from a source", func(m *Model) { m.Devices[1].Feeds[1] = 0 }, `device "d2": feed "u1" is a source`},
		{"a device indexed elsewhere", func(m *Model) { m.Devices[1].ID = "d1" }, `DeviceIndex("d1") = 0, true; want 1`},
		{"more PSUs required than there are", func(m *Model) { m.DeviceModels[0].PSUsRequired = 3; m.DeviceModels[0].PSUs = 2 }, `device model "m": 3 of 2 PSUs required`},
		{"no PSU required", func(m *Model) { m.DeviceModels[0].PSUsRequired = 0 }, `device model "m": 0 of 2 PSUs required`},
		{"a dependency past the end", func(m *Model) { m.Services[1].DependsOn = []int32{3} }, `service "b": dependency index 3 of 3`},
		{"a negative dependency", func(m *Model) { m.Services[1].DependsOn = []int32{-1} }, `service "b": dependency index -1 of 3`},
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

// TestLoadEdges: the rules of the loader at their edges: a model of one
// source and one rack, of one source and one service, or of as many
// devices as elements and racks defines something; an element named like a device's PSU 1..PSUs is refused,
// psu0 and psu3 of a 2-PSU device are not; devices that fill a rack's u
// exactly fit, the first one past it is named once; transfer_ms 0 is
// accepted; a group pattern's width is 0 to 9; articles.
func TestLoadEdges(t *testing.T) {
	for _, src := range []string{
		"[[source]]\nid = \"u\"\nvoltage_v = 230\n[[rack]]\nid = \"r\"\n",
		"[[source]]\nid = \"u\"\nvoltage_v = 230\n[[service]]\nid = \"s\"\n",
		// 2 elements and 1 rack, 3 devices: as many devices as the rest
		"[[source]]\nid = \"u\"\nvoltage_v = 230\n[[circuit]]\nid = \"c\"\ninput = \"u\"\n[[rack]]\nid = \"r\"\n[[device_model]]\nid = \"m\"\ntypical_w = 10\n" +
			"[[device]]\nid = \"d-%d\"\ncount = 3\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"c\"]\n",
	} {
		parse(t, src)
	}
	const base = `
[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c"
input = "u"
[[rack]]
id = "r"
u = 2
[[device_model]]
id = "m"
psus = 2
typical_w = 10
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
`
	m := parse(t, base+"[[circuit]]\nid = \"d1/psu0\"\ninput = \"u\"\n[[circuit]]\nid = \"d1/psu3\"\ninput = \"u\"\n"+
		"[[source]]\nid = \"u2\"\nvoltage_v = 230\n[[ats]]\nid = \"ats\"\ninputs = [\"u\", \"u2\"]\ntransfer_ms = 0\n")
	if e := element(t, m, "ats"); e.TransferMS != 0 {
		t.Errorf("transfer_ms 0 read as %g", e.TransferMS)
	}
	for _, c := range []struct{ add, want string }{
		{"[[circuit]]\nid = \"d1/psu1\"\ninput = \"u\"\n", `element id "d1/psu1" collides with the name of PSU 1 of device "d1"`},
		{"[[circuit]]\nid = \"d2/psu2\"\ninput = \"u\"\n", `element id "d2/psu2" collides with the name of PSU 2 of device "d2"`},
		{"[[device]]\nid = \"d3\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"c\", \"c\"]\n[[device]]\nid = \"d4\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"c\", \"c\"]\n",
			`rack "r" has 2 U: its devices up to "d3" need 3 U`},
	} {
		_, err := Parse(File{Name: "m.toml", Data: []byte(base + c.add)})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("got %v, want one error containing %q", err, c.want)
		}
	}
	for p, want := range map[string]bool{"s-%d": true, "s-%0d": true, "s-%9d": true, "s-%09d": true, "s-%10d": false, "s-%x": false, "s-%d-%d": false, "s-%": false, "s-%5": false} {
		if got := percentVerb(p); got != want {
			t.Errorf("percentVerb(%q) = %v, want %v", p, got, want)
		}
	}
	for what, want := range map[string]string{"ats": "an ats", "UPS": "a UPS", "rack": "a rack", "": "a "} {
		if got := article(what); got != want {
			t.Errorf("article(%q) = %q, want %q", what, got, want)
		}
	}
}

// TestPosIndexEveryPrefix: the position scanner never panics and always
// ends, on every prefix of a model (a file may end inside a header, a
// comment, a key, a string), and finds the keys of a complete one.
func TestPosIndexEveryPrefix(t *testing.T) {
	src := "# c\n[site] # s\nname = \"x\" # n\n[[source]]\nid = 'u'\nvoltage_v = 230\ntags = [\"a\", {b = 1}]\n[[source]]\nid = \"v\"\n[site.sub]\nk = \"\"\"m\nl\"\"\"\n[last]"
	for n := 0; n <= len(src); n++ {
		buildPosIndex("m.toml", []byte(src[:n]))
	}
	ix := buildPosIndex("m.toml", []byte(src))
	for path, want := range map[string]string{"site.name": "m.toml:3:1", "source[0].voltage_v": "m.toml:6:1", "source[1].id": "m.toml:9:1", "last": "m.toml:13:1"} {
		if got := ix.m[path].String(); got != want {
			t.Errorf("%s at %s, want %s", path, got, want)
		}
	}
}

// TestPosIndexStringContents: what is inside a string is never read as a
// key. A multi-line string's lines (basic and literal) hold no keys; a
// multi-line string closed by four quotes (content ending in a quote)
// ends there, so the keys after it on its line are found; a basic
// string's escaped quote does not end it, and a literal string's
// backslash is not an escape. The text is valid TOML (checked), as it is
// when the scanner runs.
func TestPosIndexStringContents(t *testing.T) {
	src := strings.Join([]string{
		`[t]`,                         // 1
		`k = """`,                     // 2
		`fake = 1`,                    // 3: inside the string
		`"""`,                         // 4
		`l = '''`,                     // 5
		`fake2 = 1`,                   // 6: inside the string
		`'''`,                         // 7
		`after = 2`,                   // 8
		`i = { m = """x"""", n = 1 }`, // 9: content x", closed by """
		`j = { s = "a\"b", u = 1, l = 'c\', v = 2 }`, // 10
	}, "\n") + "\n"
	var v map[string]any
	if _, err := toml.Decode(src, &v); err != nil {
		t.Fatalf("the test's text is not valid TOML: %v", err)
	}
	ix := buildPosIndex("m.toml", []byte(src))
	for _, path := range []string{"t.fake", "t.fake2"} {
		if p, ok := ix.m[path]; ok {
			t.Errorf("%s found at %d:%d, inside a string", path, p.Line, p.Col)
		}
	}
	for path, want := range map[string]string{
		"t.k": "2:1", "t.l": "5:1", "t.after": "8:1",
		"t.i": "9:1", "t.i.m": "9:7", "t.i.n": "9:21",
		"t.j": "10:1", "t.j.s": "10:7", "t.j.u": "10:19", "t.j.l": "10:26", "t.j.v": "10:36",
	} {
		p, ok := ix.m[path]
		if got := fmt.Sprintf("%d:%d", p.Line, p.Col); !ok || got != want {
			t.Errorf("%s at %s (found %v), want %s", path, got, ok, want)
		}
	}
}

// TestPosIndexPositions: the position of every key and array element,
// found past quoted and dotted keys, bare keys of every character class,
// inline tables, arrays, and basic, literal and multi-line strings with
// escapes and trailing quotes: each is "line:col" where the key starts.
func TestPosIndexPositions(t *testing.T) {
	src := strings.Join([]string{
		`[t]`,                                    // 1
		`"q.k" = 1`,                              // 2: a quoted key holding a dot
		`'l' . "m\u0041" = 2`,                    // 3: literal and escaped keys, dotted with spaces
		`azAZ09_- = 3`,                           // 4: every class of bare character
		`s = "a\"b" ; x = 4`,                     // 5: an escaped quote; the rest of the line is skipped
		`m = """x\"""y"""""`,                     // 6: a multi-line string with an escaped quote and two trailing quotes
		`after_m = 5`,                            // 7
		`n = '''a''b'''`,                         // 8
		`after_n = 6`,                            // 9
		`i = { a = 1, b = { c = [1, "]", 3] } }`, // 10: an inline table, nested, with an array
		`[[arr]]`,                                // 11
		`v = [ [1], 2 ]`,                         // 12
		`[[arr]]`,                                // 13
		`[arr.sub]`,                              // 14
		`w = 1`,                                  // 15
	}, "\n") + "\n"
	ix := buildPosIndex("m.toml", []byte(src))
	for path, want := range map[string]string{
		"t.q.k": "2:1", "t.l.mA": "3:1", "t.azAZ09_-": "4:1", "t.s": "5:1", "t.m": "6:1",
		"t.after_m": "7:1", "t.n": "8:1", "t.after_n": "9:1",
		"t.i": "10:1", "t.i.a": "10:7", "t.i.b": "10:14", "t.i.b.c": "10:20", "t.i.b.c[0]": "10:25", "t.i.b.c[1]": "10:28", "t.i.b.c[2]": "10:33",
		"arr[0]": "11:1", "arr[0].v": "12:1", "arr[0].v[0]": "12:7", "arr[0].v[0][0]": "12:8", "arr[0].v[1]": "12:12",
		"arr[1]": "13:1", "arr[1].sub": "14:1", "arr[1].sub.w": "15:1",
	} {
		p, ok := ix.m[path]
		if got := fmt.Sprintf("%d:%d", p.Line, p.Col); !ok || got != want {
			t.Errorf("%s at %s (found %v), want %s", path, got, ok, want)
		}
	}
}

// TestLoadRejectedCountAndSameLine: a group whose count has the wrong type
// gets that one error, not also "holds a pattern but no count" (the count
// was given, only refused); and of two definitions of one id on one line
// (inline tables) the message sits at the later column and points at the
// earlier.
func TestLoadRejectedCountAndSameLine(t *testing.T) {
	base := "[[source]]\nid = \"u\"\nvoltage_v = 230\n[[circuit]]\nid = \"c\"\ninput = \"u\"\n[[rack]]\nid = \"r\"\n[[device_model]]\nid = \"m\"\ntypical_w = 10\n"
	for src, want := range map[string]string{
		base + "[[device]]\nid = \"d-%d\"\ncount = \"3\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"c\"]\n": `m.toml:14:1: device "d-%d": count must be an integer, got string "3"`,
		base + "[[service]]\nid = \"s-%d\"\ncount = \"3\"\n":                                              `m.toml:14:1: service "s-%d": count must be an integer, got string "3"`,
		"rack = [{id = \"r\"}, {id = \"r\"}]\n[[source]]\nid = \"u\"\nvoltage_v = 230\n":                  `m.toml:1:22: duplicate id "r" for a rack: already defined as a rack at m.toml:1:10`,
	} {
		_, err := Parse(File{Name: "m.toml", Data: []byte(src)})
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", src, err, want)
		}
	}
}

// TestLineToLine: the three line-to-line connections (L1-L2, L2-L3,
// L3-L1) are line to line; none, all three lines and the single lines are
// not.
func TestLineToLine(t *testing.T) {
	for l, want := range map[Line]bool{LineNone: false, LineAll: false, LineL1: false, LineL2: false, LineL3: false, LineL1L2: true, LineL2L3: true, LineL3L1: true} {
		if got := l.LineToLine(); got != want {
			t.Errorf("%s.LineToLine() = %v, want %v", l, got, want)
		}
	}
}
