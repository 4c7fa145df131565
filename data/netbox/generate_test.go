package netbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateInventory reads a generated inventory of 41 racks of 3
// servers (seed 7) as NetBox would have answered it. Every object's url
// is https://netbox.example.com/api/dcim/<endpoint>/<id>/, ids count 1, 2,
// … in each list and count is the list's length; a nested object names
// the object of its id (id, url, name or display, slug). The counts:
// 41 racks; panels PP-1A, PP-1B, PP-2A, PP-2B (40 racks a panel pair);
// 82 feeds (R0001-A … R0041-B, 230 V, 32 A); 41 × (2 PDUs + 3 servers) =
// 205 devices, R0001-srv01 to R0041-srv03; 5 device types, 4 × 2 + 1 =
// 9 port templates, 24 outlet templates; 41 × 2 + 123 × 2 = 328 ports,
// maximum_draw 1.5 × allocated_draw (150–450 W); 41 × 48 = 1,968
// outlets; racks in rows of 20 (location Row 1 to Row 3); cables: 82 + 246
// less rack R0040's B feed to PDU B and its first server's PSU1 = 326. The
// inventory imports to a model that loads, every object in it but R0040's
// PDU B (no path to a feed), its inlet and its 24 outlets.
func TestGenerateInventory(t *testing.T) {
	const base = "https://netbox.example.com/api/dcim/"
	gen, err := Generate(GenerateOptions{Racks: 41, PerRack: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string][]map[string]any{}
	for _, ep := range endpoints {
		var page struct {
			Count   int              `json:"count"`
			Results []map[string]any `json:"results"`
		}
		if err := json.Unmarshal(gen[ep], &page); err != nil {
			t.Fatalf("%s: %v", ep, err)
		}
		if page.Count != len(page.Results) {
			t.Errorf("%s: count %d, %d results", ep, page.Count, len(page.Results))
		}
		lists[ep] = page.Results
	}
	for ep, want := range map[string]int{"racks": 41, "power-panels": 4, "power-feeds": 82, "devices": 205, "device-types": 5,
		"power-port-templates": 9, "power-outlet-templates": 24, "power-ports": 328, "power-outlets": 1968, "cables": 326} {
		if got := len(lists[ep]); got != want {
			t.Errorf("%d %s, want %d", got, ep, want)
		}
	}
	id := func(o map[string]any) int { v, _ := o["id"].(float64); return int(v) }
	nameOf := func(o map[string]any) string {
		for _, k := range []string{"name", "display", "slug"} {
			if s, ok := o[k].(string); ok {
				return s
			}
		}
		return ""
	}
	// A nested object (the value of key k) and the list it points into.
	nested := map[string]string{"device_type": "device-types", "rack": "racks", "power_panel": "power-panels", "device": "devices"}
	for ep, l := range lists {
		for k, o := range l {
			if id(o) != k+1 {
				t.Fatalf("%s: object %d has id %d", ep, k+1, id(o))
			}
			if u, ok := o["url"]; ok && u != fmt.Sprintf("%s%s/%d/", base, ep, k+1) {
				t.Errorf("%s %d: url %v", ep, k+1, u)
			}
			if d, ok := o["display"]; ok && o["name"] != nil && d != o["name"] {
				t.Errorf("%s %d: display %v, name %v", ep, k+1, d, o["name"])
			}
			for key, to := range nested {
				ref, ok := o[key].(map[string]any)
				if !ok {
					continue
				}
				n := id(ref)
				if n < 1 || n > len(lists[to]) {
					t.Fatalf("%s %d: %s id %d, out of %s", ep, k+1, key, n, to)
				}
				target := lists[to][n-1]
				if u, ok := ref["url"]; ok && u != fmt.Sprintf("%s%s/%d/", base, to, n) {
					t.Errorf("%s %d: %s url %v for id %d", ep, k+1, key, u, n)
				}
				for _, f := range []string{"name", "display", "slug"} {
					if v, ok := ref[f]; ok && v != target[f] && v != nameOf(target) {
						t.Errorf("%s %d: %s %s %v, the object's is %v", ep, k+1, key, f, v, nameOf(target))
					}
				}
			}
		}
	}
	for k, r := range lists["racks"] {
		loc := r["location"].(map[string]any)
		row := k/20 + 1
		if id(loc) != row || loc["name"] != fmt.Sprintf("Row %d", row) || loc["slug"] != fmt.Sprintf("row-%d", row) || r["name"] != fmt.Sprintf("R%04d", k+1) {
			t.Errorf("rack %d: %v in %v, want R%04d in Row %d", k+1, r["name"], loc, k+1, row)
		}
	}
	for k, p := range lists["power-panels"] {
		if want := fmt.Sprintf("PP-%d%c", k/2+1, "AB"[k%2]); p["name"] != want {
			t.Errorf("panel %d: %v, want %s", k+1, p["name"], want)
		}
	}
	for k, f := range lists["power-feeds"] {
		want := fmt.Sprintf("R%04d-%c", k/2+1, "AB"[k%2])
		panel := f["power_panel"].(map[string]any)
		if f["name"] != want || id(panel) != 2*(k/80)+k%2+1 || f["voltage"] != 230.0 || f["amperage"] != 32.0 {
			t.Errorf("feed %d: %v on panel %v, want %s on PP-%d%c", k+1, f["name"], panel["name"], want, k/80+1, "AB"[k%2])
		}
	}
	servers := 0
	for _, d := range lists["devices"] {
		name := d["name"].(string)
		if strings.Contains(name, "-srv") {
			servers++
			rack := d["rack"].(map[string]any)["name"].(string)
			if !strings.HasPrefix(name, rack+"-srv0") || name[len(name)-1] < '1' || name[len(name)-1] > '3' {
				t.Errorf("server %s in rack %s: want <rack>-srv01 to srv03", name, rack)
			}
		}
	}
	if servers != 123 {
		t.Errorf("%d servers, want 123", servers)
	}
	for _, l := range [][]map[string]any{lists["power-ports"], lists["power-port-templates"]} {
		for _, p := range l {
			if al, ok := p["allocated_draw"].(float64); ok && p["maximum_draw"] != 1.5*al {
				t.Errorf("%v: maximum %v W, allocated %v W; want 1.5 ×", p["name"], p["maximum_draw"], al)
			}
		}
	}
	// Uncabled: rack R0040's B feed (and its PDU B's inlet) and PSU1 of
	// R0040-srv01.
	cabled := map[string]bool{}
	for _, c := range lists["cables"] {
		for _, side := range []string{"a_terminations", "b_terminations"} {
			for _, term := range c[side].([]any) {
				tm := term.(map[string]any)
				cabled[fmt.Sprintf("%s %d", tm["object_type"], id(map[string]any{"id": tm["object_id"]}))] = true
			}
		}
	}
	for k := range lists["power-feeds"] {
		if want := k != 79; cabled[fmt.Sprintf("dcim.powerfeed %d", k+1)] != want {
			t.Errorf("feed %v cabled %t, want %t", lists["power-feeds"][k]["name"], !want, want)
		}
	}
	for _, p := range lists["power-ports"] {
		dev := p["device"].(map[string]any)["name"]
		if want := !(dev == "R0040-srv01" && p["name"] == "PSU1" || dev == "R0040-pdu-B" && p["name"] == "Input"); cabled[fmt.Sprintf("dcim.powerport %d", id(p))] != want {
			t.Errorf("%v %v cabled %t, want %t", dev, p["name"], !want, want)
		}
	}

	dir := t.TempDir()
	for ep, data := range gen {
		if err := os.WriteFile(filepath.Join(dir, ep+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Imported: everything but rack R0040's PDU B (its inlet uncabled,
	// so no path to a feed), that inlet and its 24 outlets.
	res := importJudged(t, readDirs(t, dir), Options{})
	var counts []string
	for _, c := range res.Report.Counts {
		counts = append(counts, fmt.Sprintf("%s %d/%d", c.Endpoint, c.Imported, c.Read))
	}
	want := "power-panels 4/4, power-feeds 82/82, racks 41/41, devices 204/205, device-types 5/5, power-port-templates 9/9, " +
		"power-outlet-templates 24/24, power-ports 327/328, power-outlets 1944/1968, cables 326/326"
	if got := strings.Join(counts, ", "); got != want {
		t.Errorf("imported/read:\n%s\nwant\n%s", got, want)
	}
}

// TestGenerateOptions: racks 1 to 100,000 and 1 to 24 servers a rack
// (a PDU's 24 outlets), 20 when not given.
func TestGenerateOptions(t *testing.T) {
	for _, o := range []GenerateOptions{{Racks: 0}, {Racks: 100001}, {Racks: 1, PerRack: -1}, {Racks: 1, PerRack: 25}} {
		if _, err := Generate(o); err == nil {
			t.Errorf("Generate(%+v) took it", o)
		}
	}
	for per, want := range map[int]int{0: 20, 1: 1, 24: 24} {
		gen, err := Generate(GenerateOptions{Racks: 1, PerRack: per})
		if err != nil {
			t.Fatalf("per-rack %d: %v", per, err)
		}
		if got := strings.Count(string(gen["devices"]), "-srv"); got != 2*want { // name and display
			t.Errorf("per-rack %d: %d servers, want %d", per, got/2, want)
		}
	}
}
