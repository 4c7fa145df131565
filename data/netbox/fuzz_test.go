package netbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzReadPage feeds arbitrary responses to the reader and the object
// decoder: they must return a page or an error, never panic, and every
// offset they give must lie in the response.
func FuzzReadPage(f *testing.F) {
	for _, ep := range endpoints {
		if data, err := os.ReadFile(filepath.Join(cabledDir, ep+".json")); err == nil {
			f.Add(ep, data)
		}
	}
	f.Add("power-feeds", []byte(`{"count": 1, "next": null, "results": [{"id": 1, "voltage": "x"}]}`))
	f.Add("cables", []byte(`{"count": 1, "results": [{"id": 1, "a_terminations": 5}]} trailing`))
	f.Fuzz(func(t *testing.T, ep string, data []byte) {
		if !contains(endpoints[:], ep) {
			ep = "power-feeds"
		}
		p, err := ReadPage("fuzz.json", data)
		if err != nil {
			return
		}
		if len(p.Offsets) != len(p.Results) {
			t.Fatalf("%d offsets for %d results", len(p.Offsets), len(p.Results))
		}
		for _, off := range p.Offsets {
			if off < 0 || off > int64(len(data)) {
				t.Fatalf("offset %d outside the %d-byte response", off, len(data))
			}
		}
		inv := &Inventory{}
		var errs ErrorList
		inv.add(ep, "fuzz.json", data, p, &errs)
		// The one-pass reader agrees with the positioned one: what it
		// accepts, that one accepts too, with the same objects.
		fast := &Inventory{}
		if fast.addFast(ep, "fuzz.json", data) {
			if !json.Valid(data) {
				t.Fatalf("the one-pass reader accepts invalid JSON")
			}
			if len(errs) > 0 || p.Next != "" || len(p.Results) < p.Count {
				t.Fatalf("the one-pass reader accepts what the positioned reader rejects: %v", errs)
			}
			a, _ := fast.slot(ep)
			b, _ := inv.slot(ep)
			if !reflect.DeepEqual(a.Interface(), b.Interface()) {
				t.Fatalf("the readers disagree:\n%#v\n%#v", a.Interface(), b.Interface())
			}
		}
		if len(errs) == 0 {
			// what decoded imports or fails cleanly
			if _, err := Import(inv, Options{}); err != nil && err.Error() == "" {
				t.Fatal("an error without a message")
			}
		}
	})
}

// slowRead reads a response the positioned way only.
func slowRead(t *testing.T, ep string, data []byte) (*Inventory, ErrorList) {
	t.Helper()
	inv := &Inventory{}
	p, err := ReadPage(ep+".json", data)
	if err != nil {
		return inv, ErrorList{asError(ep, err)}
	}
	var errs ErrorList
	inv.add(ep, ep+".json", data, p, &errs)
	return inv, errs
}

// The one-pass reader decodes the real responses exactly as encoding/json
// does, and gives up (leaving the message to the positioned reader) on
// what it must not guess.
func TestFastReaderAgrees(t *testing.T) {
	gen, err := Generate(GenerateOptions{Racks: 41, PerRack: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	sets := []map[string][]byte{gen}
	for _, d := range []string{demoDir, libraryDir, cabledDir} {
		m := map[string][]byte{}
		for _, ep := range endpoints {
			if data, err := os.ReadFile(filepath.Join(d, ep+".json")); err == nil {
				m[ep] = data
			}
		}
		sets = append(sets, m)
	}
	for _, set := range sets {
		for ep, data := range set {
			fast := &Inventory{}
			if !fast.addFast(ep, ep+".json", data) {
				t.Errorf("%s: the one-pass reader gave up on a sound response", ep)
				continue
			}
			slow, errs := slowRead(t, ep, data)
			a, _ := fast.slot(ep)
			b, _ := slow.slot(ep)
			if len(errs) > 0 || !reflect.DeepEqual(a.Interface(), b.Interface()) {
				t.Errorf("%s: the readers disagree (%v)", ep, errs)
			}
		}
	}
	for _, c := range []string{
		`{"count": 1, "next": null, "results": [{"id": 1, "name": "P", "site": {"id": 1, "slug": "s"}, "site": {"id": 2}}]}`, // a key twice
		`{"count": 1, "next": null, "results": [{"ID": 1, "name": "P", "site": {"id": 1}}]}`,                                 // a key in other case
		`{"count": 1, "next": null, "results": [{"id": 1.5, "name": "P", "site": {"id": 1}}]}`,                               // not an integer
		`{"count": 1, "next": null, "results": [{"id": 1, "name": "P", "site": {"id": 1}}]`,                                  // not JSON
	} {
		if (&Inventory{}).addFast("power-panels", "x.json", []byte(c)) {
			t.Errorf("the one-pass reader took %s", c)
		}
	}
	// An escaped name is decoded, not given up on.
	fast := &Inventory{}
	if !fast.addFast("power-panels", "x.json", []byte(`{"count": 1, "next": null, "results": [{"id": 1, "name": "P\u00e9 \"A\"", "site": {"id": 1}}]}`)) || fast.Panels[0].Name != `Pé "A"` {
		t.Errorf("escaped name: %+v", fast.Panels)
	}
}

// FuzzParseOverlay feeds arbitrary overlays to the overlay reader and the
// import that applies them: they return an overlay or an error, never
// panic, and an error names the overlay file. The nesting bound holds
// before the TOML parser recurses (a 48 KB overlay of nested inline tables
// took more than 2 GiB).
func FuzzParseOverlay(f *testing.F) {
	f.Add([]byte("[defaults]\npower_factor = 1\nstandard = \"iec60947-2\"\n[[panel]]\nname = \"Panel A\"\ninput = \"ups-a\"\n"))
	f.Add([]byte("[[pdu]]\nname = \"r2-pdu\"\nbank_rating_a = 16\nbank = { standard = \"iec60898\", curve = \"B\" }\n"))
	f.Add([]byte("[[device_type]]\nslug = \"gpu-2u\"\npsus_required = 2\n"))
	f.Add([]byte("a = " + strings.Repeat("{b = ", 40) + "1" + strings.Repeat("}", 40)))
	f.Add([]byte("[[feed]]\nname = \"B-1\"\nstandard = \"ul489\"\nratting_a = 3\n"))
	files := readDirs(f, cabledDir)
	f.Fuzz(func(t *testing.T, data []byte) {
		ov, err := ParseOverlay("overlay.toml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "overlay.toml") {
				t.Fatalf("overlay %q: error %q does not name the overlay", data, err)
			}
			return
		}
		if _, err := Import(files, Options{Overlay: ov}); err != nil && strings.Contains(err.Error(), "panic") {
			t.Fatalf("overlay %q: %v", data, err)
		}
	})
}
