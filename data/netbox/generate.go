package netbox

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// GenerateOptions shape a generated inventory.
type GenerateOptions struct {
	Racks   int   // racks, >= 1
	PerRack int   // dual-corded servers per rack; 20 when 0
	Seed    int64 // draws are drawn from it: same seed, same bytes
}

// Generate returns a NetBox-shaped inventory, the saved list responses by
// endpoint (<endpoint>.json as GET /api/dcim/<endpoint>/?limit=0 returns
// them): one site; A and B panels of 40 feeds each (230 V, 32 A
// single-phase, 80 %); per rack a feed from each side cabled to the inlet
// of a 24-outlet PDU, and PerRack dual-corded servers of one of four
// device types (allocated 150–450 W per port, the whole device on each),
// PSU0 on PDU A and PSU1 on PDU B; every fortieth rack keeps one server's
// second PSU uncabled and one feed unused, as real inventories do.
func Generate(o GenerateOptions) (map[string][]byte, error) {
	if o.Racks < 1 || o.Racks > 100000 {
		return nil, fmt.Errorf("--racks must be 1 to 100000, got %d", o.Racks)
	}
	if o.PerRack == 0 {
		o.PerRack = 20
	}
	if o.PerRack < 1 || o.PerRack > 24 {
		return nil, fmt.Errorf("--per-rack must be 1 to 24 (a PDU has 24 outlets), got %d", o.PerRack)
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6e6574626f78))
	const base = "https://netbox.example.com/api/dcim/"
	site := map[string]any{"id": 1, "url": "https://netbox.example.com/api/dcim/sites/1/", "display": "DC1", "name": "DC1", "slug": "dc1"}
	res := map[string][]any{}
	add := func(ep string, obj map[string]any) { res[ep] = append(res[ep], obj) }
	ref := func(ep string, id int, name string) map[string]any {
		return map[string]any{"id": id, "url": fmt.Sprintf("%s%s/%d/", base, ep, id), "display": name, "name": name}
	}
	choice := func(v string) map[string]any { return map[string]any{"value": v, "label": v} }
	mfr := map[string]any{"id": 1, "url": base + "manufacturers/1/", "display": "Acme", "name": "Acme", "slug": "acme"}
	type dtype struct {
		slug  string
		draw  float64
		ports int
	}
	dtypes := []dtype{{"srv-a", 150, 2}, {"srv-b", 250, 2}, {"srv-c", 350, 2}, {"srv-d", 450, 2}}
	tid := 0
	for i, d := range dtypes {
		add("device-types", map[string]any{"id": i + 1, "url": fmt.Sprintf("%sdevice-types/%d/", base, i+1), "display": d.slug, "model": d.slug, "slug": d.slug, "manufacturer": mfr})
		for k := 0; k < d.ports; k++ {
			tid++
			add("power-port-templates", map[string]any{"id": tid, "url": fmt.Sprintf("%spower-port-templates/%d/", base, tid), "display": fmt.Sprintf("PSU%d", k),
				"device_type": ref("device-types", i+1, d.slug), "module_type": nil, "name": fmt.Sprintf("PSU%d", k), "type": choice("iec-60320-c14"),
				"maximum_draw": d.draw * 1.5, "allocated_draw": d.draw})
		}
	}
	pduType := len(dtypes) + 1
	add("device-types", map[string]any{"id": pduType, "url": fmt.Sprintf("%sdevice-types/%d/", base, pduType), "display": "pdu-24", "model": "PDU 24", "slug": "pdu-24", "manufacturer": mfr})
	tid++
	add("power-port-templates", map[string]any{"id": tid, "device_type": ref("device-types", pduType, "pdu-24"), "module_type": nil, "name": "Input", "maximum_draw": nil, "allocated_draw": nil})
	for k := 1; k <= 24; k++ {
		add("power-outlet-templates", map[string]any{"id": k, "device_type": ref("device-types", pduType, "pdu-24"), "module_type": nil, "name": fmt.Sprintf("Outlet %d", k),
			"power_port": map[string]any{"id": tid, "name": "Input"}, "feed_leg": nil})
	}
	panels := (o.Racks + 39) / 40
	for p := 0; p < panels; p++ {
		for s, side := range []string{"A", "B"} {
			id := 2*p + s + 1
			add("power-panels", map[string]any{"id": id, "url": fmt.Sprintf("%spower-panels/%d/", base, id), "display": fmt.Sprintf("PP-%d%s", p+1, side),
				"name": fmt.Sprintf("PP-%d%s", p+1, side), "site": site, "location": nil})
		}
	}
	devID, portID, outletID, cableID := 0, 0, 0, 0
	cable := func(at string, a int, bt string, b int) {
		cableID++
		add("cables", map[string]any{"id": cableID, "url": fmt.Sprintf("%scables/%d/", base, cableID), "display": fmt.Sprintf("#%d", cableID),
			"type": "power", "status": choice("connected"),
			"a_terminations": []any{map[string]any{"object_type": at, "object_id": a}},
			"b_terminations": []any{map[string]any{"object_type": bt, "object_id": b}}})
	}
	device := func(name string, typ int, slug string, rack int, rackName string) int {
		devID++
		add("devices", map[string]any{"id": devID, "url": fmt.Sprintf("%sdevices/%d/", base, devID), "display": name, "name": name,
			"device_type": map[string]any{"id": typ, "url": fmt.Sprintf("%sdevice-types/%d/", base, typ), "display": slug, "slug": slug, "manufacturer": mfr},
			"role":        map[string]any{"id": 1, "url": base + "device-roles/1/", "display": "Server", "name": "Server", "slug": "server"},
			"site":        site, "rack": ref("racks", rack, rackName), "status": choice("active")})
		return devID
	}
	port := func(dev int, devName, name string, mx, al any) int {
		portID++
		add("power-ports", map[string]any{"id": portID, "url": fmt.Sprintf("%spower-ports/%d/", base, portID), "display": name,
			"device": ref("devices", dev, devName), "module": nil, "name": name, "type": choice("iec-60320-c14"),
			"maximum_draw": mx, "allocated_draw": al, "mark_connected": false})
		return portID
	}
	for r := 1; r <= o.Racks; r++ {
		rackName := fmt.Sprintf("R%04d", r)
		add("racks", map[string]any{"id": r, "url": fmt.Sprintf("%sracks/%d/", base, r), "display": rackName, "name": rackName, "site": site,
			"location": map[string]any{"id": (r-1)/20 + 1, "name": fmt.Sprintf("Row %d", (r-1)/20+1), "slug": fmt.Sprintf("row-%d", (r-1)/20+1)},
			"status":   choice("active"), "u_height": 42})
		gap := r%40 == 0 // an inventory as kept: one PSU and one feed uncabled
		var outlets [2][]int
		for s, side := range []string{"A", "B"} {
			fid := 2*(r-1) + s + 1
			panel := 2*((r-1)/40) + s + 1
			fname := fmt.Sprintf("%s-%s", rackName, side)
			add("power-feeds", map[string]any{"id": fid, "url": fmt.Sprintf("%spower-feeds/%d/", base, fid), "display": fname, "name": fname,
				"power_panel": ref("power-panels", panel, fmt.Sprintf("PP-%d%s", (r-1)/40+1, side)), "rack": ref("racks", r, rackName),
				"status": choice("active"), "type": choice(map[int]string{0: "primary", 1: "redundant"}[s]), "supply": choice("ac"),
				"phase": choice("single-phase"), "voltage": 230, "amperage": 32, "max_utilization": 80, "mark_connected": false})
			pname := fmt.Sprintf("%s-pdu-%s", rackName, side)
			pdu := device(pname, pduType, "pdu-24", r, rackName)
			inlet := port(pdu, pname, "Input", nil, nil)
			if !(gap && s == 1) {
				cable("dcim.powerport", inlet, "dcim.powerfeed", fid)
			}
			for k := 1; k <= 24; k++ {
				outletID++
				add("power-outlets", map[string]any{"id": outletID, "url": fmt.Sprintf("%spower-outlets/%d/", base, outletID), "display": fmt.Sprintf("Outlet %d", k),
					"device": ref("devices", pdu, pname), "module": nil, "name": fmt.Sprintf("Outlet %d", k), "type": choice("iec-60320-c13"),
					"power_port": map[string]any{"id": inlet, "name": "Input"}, "feed_leg": nil})
				outlets[s] = append(outlets[s], outletID)
			}
		}
		for n := 0; n < o.PerRack; n++ {
			t := rng.IntN(len(dtypes))
			d := dtypes[t]
			name := fmt.Sprintf("%s-srv%02d", rackName, n+1)
			dev := device(name, t+1, d.slug, r, rackName)
			for k := 0; k < 2; k++ {
				p := port(dev, name, fmt.Sprintf("PSU%d", k), d.draw*1.5, d.draw)
				if gap && n == 0 && k == 1 {
					continue
				}
				cable("dcim.powerport", p, "dcim.poweroutlet", outlets[k][n])
			}
		}
	}
	out := map[string][]byte{}
	for _, ep := range endpoints {
		l := res[ep]
		if l == nil {
			l = []any{}
		}
		data, err := json.Marshal(map[string]any{"count": len(l), "next": nil, "previous": nil, "results": l})
		if err != nil {
			return nil, err
		}
		out[ep] = append(data, '\n')
	}
	return out, nil
}
