package topology

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// refBase is a valid model that uses every id-reference key once.
const refBase = `[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "b1"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "c1"
input = "b1"
[[circuit]]
id = "c2"
input = "b1"
[[ats]]
id = "ats"
inputs = ["c1", "c2"]
preferred = "c1"
[[rack]]
id = "r1"
feeds = ["c1", "c2"]
[[rack_pdu]]
id = "p1"
rack = "r1"
input = "c1"
[[device_model]]
id = "dm"
psus = 2
nameplate_w = 100
ram_gib = 64
cpu_cores = 8
[[device]]
id = "n1"
rack = "r1"
model = "dm"
role = "db"
feeds = ["c1", "p1"]
[[device]]
id = "g-%d"
count = 2
rack = "r1"
model = "dm"
role = "db"
feeds_cycle = [["c1", "ats"]]
[[service]]
id = "s0"
instances = 1
role = "db"
[[service]]
id = "s1"
instances = 1
depends_on = ["s0"]
pinned = ["n1"]
[[service]]
id = "s-%d"
count = 2
instances = 1
pinned_cycle = ["n1", "g-1"]
`

// refKeys classifies every string-valued key of the raw file format (by
// reflection over the raw* types): an id-reference key must have a
// dangling-id case in TestDanglingReferences; any other string key is
// listed here with why it is not a reference. A new key fails this test
// until it is classified.
var nonRefKeys = map[string]string{
	"rawElement.id": "defines an id", "rawBank.id": "defines an id", "rawRack.id": "defines an id",
	"rawDeviceModel.id": "defines an id", "rawDevice.id": "defines an id", "rawService.id": "defines an id",
	"rawSite.name": "free text", "rawElement.name": "free text", "rawDeviceModel.manufacturer": "free text",
	"rawElement.type": "enumeration", "rawElement.wiring": "enumeration", "rawElement.line": "enumeration",
	"rawBank.line": "enumeration", "rawElement.standard": "enumeration", "rawBank.standard": "enumeration",
	"rawElement.curve": "enumeration", "rawBank.curve": "enumeration", "rawService.kind": "free label",
	"rawService.spread": "enumeration", "rawDist.dist": "enumeration",
	"rawRack.row": "free label (groups racks)", "rawRack.room": "free label (groups racks)",
	"rawDevice.role":          "defines a role (a service's role refers to it)",
	"rawDeviceModel.gpu_type": "free label", "rawDevice.gpu_type": "free label",
	"rawService.gpu_types": "free labels: a type no node has makes the service unplaceable, with the reason",
}

// refCases: per id-reference key, the line of refBase to change and what it
// becomes, naming the id "ghost" that nothing defines.
var refCases = map[string][2]string{
	"rawElement.input":        {`input = "b1"` + "\n[[circuit]]\nid = \"c2\"", `input = "ghost"` + "\n[[circuit]]\nid = \"c2\""},
	"rawElement.inputs":       {`inputs = ["c1", "c2"]`, `inputs = ["c1", "ghost"]`},
	"rawElement.preferred":    {`preferred = "c1"`, `preferred = "ghost"`},
	"rawRack.feeds":           {`feeds = ["c1", "c2"]`, `feeds = ["c1", "ghost"]`},
	"rawElement.rack":         {"id = \"p1\"\nrack = \"r1\"", "id = \"p1\"\nrack = \"ghost\""},
	"rawDevice.rack":          {"id = \"n1\"\nrack = \"r1\"", "id = \"n1\"\nrack = \"ghost\""},
	"rawDevice.model":         {"count = 2\nrack = \"r1\"\nmodel = \"dm\"", "count = 2\nrack = \"r1\"\nmodel = \"ghost\""},
	"rawDevice.feeds":         {`feeds = ["c1", "p1"]`, `feeds = ["c1", "ghost"]`},
	"rawDevice.feeds_cycle":   {`feeds_cycle = [["c1", "ats"]]`, `feeds_cycle = [["c1", "ats"], ["ghost", "c2"]]`},
	"rawService.depends_on":   {`depends_on = ["s0"]`, `depends_on = ["s0", "ghost"]`},
	"rawService.pinned":       {`pinned = ["n1"]`, `pinned = ["ghost"]`},
	"rawService.role":         {"instances = 1\nrole = \"db\"", "instances = 1\nrole = \"ghost\""},
	"rawService.pinned_cycle": {`pinned_cycle = ["n1", "g-1"]`, `pinned_cycle = ["n1", "g-1", "ghost"]`},
}

// stringKeys lists "type.key" for every string, []string or [][]string
// field of the raw types reachable from rawFile.
func stringKeys() []string {
	var out []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			base := f.Type
			for base.Kind() == reflect.Pointer || base.Kind() == reflect.Slice {
				base = base.Elem()
			}
			if base.Kind() == reflect.String {
				out = append(out, t.Name()+"."+f.Tag.Get("toml"))
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(rawFile{}))
	sort.Strings(out)
	return out
}

func TestEveryReferenceKeyClassified(t *testing.T) {
	keys := stringKeys()
	if len(keys) < 20 {
		t.Fatalf("found %d string keys by reflection, want the whole format: %v", len(keys), keys)
	}
	refs := 0
	for _, k := range keys {
		_, isRef := refCases[k]
		_, notRef := nonRefKeys[k]
		switch {
		case isRef && notRef:
			t.Errorf("%s is both a reference and not", k)
		case !isRef && !notRef:
			t.Errorf("%s: a new string key; if it names an id, add a dangling-id case to refCases, else list it in nonRefKeys", k)
		case isRef:
			refs++
		}
	}
	for k := range refCases {
		if !strings.Contains(strings.Join(keys, " "), k) {
			t.Errorf("refCases has %s, which is no key of the format", k)
		}
	}
	if refs != len(refCases) {
		t.Errorf("%d reference keys found, %d cases", refs, len(refCases))
	}
}

// TestDanglingReferences: for every id-reference key, a model naming an id
// that nothing defines is refused, with the position of the key and the id.
func TestDanglingReferences(t *testing.T) {
	if _, err := Parse(File{Name: "base.toml", Data: []byte(refBase)}); err != nil {
		t.Fatalf("the base model must load: %v", err)
	}
	for key, c := range refCases {
		t.Run(key, func(t *testing.T) {
			if strings.Count(refBase, c[0]) != 1 {
				t.Fatalf("%q occurs %d times in the base model, want once", c[0], strings.Count(refBase, c[0]))
			}
			src := strings.Replace(refBase, c[0], c[1], 1)
			m, err := Parse(File{Name: "m.toml", Data: []byte(src)})
			if err == nil {
				t.Fatalf("a dangling %s loaded (%d services)", key, len(m.Services))
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T", err)
			}
			// The line of the changed key.
			line := strings.Count(src[:strings.Index(src, c[1])], "\n") + strings.Count(c[1][:strings.Index(c[1], "ghost")], "\n") + 1
			found := false
			for _, e := range list {
				if strings.Contains(e.Msg, `"ghost"`) && e.Pos.Line == line && e.Pos.Col > 0 {
					found = true
				}
			}
			if !found {
				t.Errorf("no error naming \"ghost\" at m.toml:%d; got:\n%v", line, list)
			}
		})
	}
}
