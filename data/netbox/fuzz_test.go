package netbox

import (
	"os"
	"path/filepath"
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
		// The one-pass reader agrees with the positioned one.
		if fast := (&Inventory{}).addFast(ep, "fuzz.json", data); fast && (len(errs) > 0 || p.Next != "" || len(p.Results) < p.Count) {
			t.Fatalf("the one-pass reader accepts what the positioned reader rejects: %v", errs)
		}
		if len(errs) == 0 {
			// what decoded imports or fails cleanly
			if _, err := Import(inv, Options{}); err != nil && err.Error() == "" {
				t.Fatal("an error without a message")
			}
		}
	})
}
