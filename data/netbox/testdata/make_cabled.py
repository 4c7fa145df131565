#!/usr/bin/env python3
"""Writes testdata/cabled/: a small NetBox inventory in the API's shape, cabled end to end.

Rack R1: feeds A-1 (Panel A) and B-1 (Panel B), 230 V 16 A single-phase, 80 %; PDUs r1-pdu-a and
r1-pdu-b, each inlet cabled to its feed; twelve srv-1u servers (two ports, allocated_draw 150 W each,
the whole device on each port) and five gpu-2u boxes (two ports, maximum_draw 700 W only, which
NetBox's utilization counts as 0 W), PSU0 on PDU A and PSU1 on PDU B.
Rack R2: feed C-1 (Panel C), 400 V 16 A three-phase, 80 %; PDU r2-pdu with outlets on legs A, B, C;
three single-PSU 400 W servers, one per leg (srv-r2-3's port is named "PSU" where its type says "PSU0").
Run from this folder: python3 make_cabled.py
"""
import json, os

B = "http://netbox.test/api/dcim/"
out = {k: [] for k in ["power-panels", "power-feeds", "racks", "devices", "device-types",
                       "power-port-templates", "power-outlet-templates", "power-ports", "power-outlets", "cables"]}
site = {"id": 1, "url": "http://netbox.test/api/dcim/sites/1/", "display": "Lab", "name": "Lab", "slug": "lab"}
def ref(ep, id, **kw):
    d = {"id": id, "url": f"{B}{ep}/{id}/", "display": kw.get("name", str(id))}
    d.update(kw)
    return d
def ch(v):
    return None if v is None else {"value": v, "label": v}

for i, n in enumerate(["Panel A", "Panel B", "Panel C"], 1):
    out["power-panels"].append({"id": i, "url": f"{B}power-panels/{i}/", "name": n, "site": site, "location": None})
racks = {"R1": 1, "R2": 2}
for n, i in racks.items():
    out["racks"].append({"id": i, "url": f"{B}racks/{i}/", "name": n, "site": site,
                         "location": {"id": 1, "url": f"{B}locations/1/", "name": "Hall 1", "slug": "hall-1"}, "status": ch("active")})
feeds = [(1, "A-1", 1, "R1", "primary", "single-phase", 230), (2, "B-1", 2, "R1", "redundant", "single-phase", 230),
         (3, "C-1", 3, "R2", "primary", "three-phase", 400)]
for id, n, p, r, t, ph, v in feeds:
    out["power-feeds"].append({"id": id, "url": f"{B}power-feeds/{id}/", "name": n,
        "power_panel": ref("power-panels", p, name=out["power-panels"][p-1]["name"]),
        "rack": ref("racks", racks[r], name=r), "status": ch("active"), "type": ch(t), "supply": ch("ac"),
        "phase": ch(ph), "voltage": v, "amperage": 16, "max_utilization": 80, "mark_connected": False})
types = [(1, "srv-1u", "Server 1U"), (2, "gpu-2u", "GPU 2U"), (3, "pdu-17", "PDU 17"), (4, "srv-r2", "Server R2"), (5, "pdu-3ph", "PDU 3ph")]
mfr = {"id": 1, "url": f"{B}manufacturers/1/", "name": "Acme", "slug": "acme"}
for id, s, m in types:
    out["device-types"].append({"id": id, "url": f"{B}device-types/{id}/", "model": m, "slug": s, "manufacturer": mfr})
tid = 0
def ptmpl(t, name, mx, al):
    global tid
    tid += 1
    out["power-port-templates"].append({"id": tid, "device_type": ref("device-types", t, slug=types[t-1][1]), "module_type": None,
                                        "name": name, "maximum_draw": mx, "allocated_draw": al})
ptmpl(1, "PSU0", None, 150); ptmpl(1, "PSU1", None, 150)
ptmpl(2, "PSU0", 700, None); ptmpl(2, "PSU1", 700, None)
ptmpl(3, "Input", None, None); ptmpl(4, "PSU0", 400, None); ptmpl(5, "Input", None, None)
dev_id, port_id, outlet_id, cable_id = 0, 0, 0, 0
def device(name, t, rack):
    global dev_id
    dev_id += 1
    out["devices"].append({"id": dev_id, "url": f"{B}devices/{dev_id}/", "name": name,
        "device_type": ref("device-types", t, slug=types[t-1][1], model=types[t-1][2]),
        "role": {"id": 1, "url": f"{B}device-roles/1/", "name": "Server", "slug": "server"},
        "site": site, "rack": ref("racks", racks[rack], name=rack), "status": ch("active")})
    return dev_id
def port(dev, name, mx, al):
    global port_id
    port_id += 1
    out["power-ports"].append({"id": port_id, "url": f"{B}power-ports/{port_id}/", "device": ref("devices", dev, name=out["devices"][dev-1]["name"]),
        "name": name, "maximum_draw": mx, "allocated_draw": al, "mark_connected": False})
    return port_id
def outlet(dev, name, inlet, leg=None):
    global outlet_id
    outlet_id += 1
    out["power-outlets"].append({"id": outlet_id, "url": f"{B}power-outlets/{outlet_id}/", "device": ref("devices", dev),
        "name": name, "power_port": ref("power-ports", inlet, name="Input"), "feed_leg": ch(leg)})
    return outlet_id
def cable(a_type, a, b_type, b):
    global cable_id
    cable_id += 1
    out["cables"].append({"id": cable_id, "url": f"{B}cables/{cable_id}/", "status": ch("connected"),
        "a_terminations": [{"object_type": a_type, "object_id": a}], "b_terminations": [{"object_type": b_type, "object_id": b}]})

pdus = {}
for side, feed in (("a", 1), ("b", 2)):
    d = device(f"r1-pdu-{side}", 3, "R1")
    inlet = port(d, "Input", None, None)
    cable("dcim.powerport", inlet, "dcim.powerfeed", feed)
    pdus[side] = [outlet(d, f"Outlet {k}", inlet) for k in range(1, 18)]
k = 0
for n in range(1, 13):
    d = device(f"srv-{n:02d}", 1, "R1")
    cable("dcim.powerport", port(d, "PSU0", None, 150), "dcim.poweroutlet", pdus["a"][k])
    cable("dcim.powerport", port(d, "PSU1", None, 150), "dcim.poweroutlet", pdus["b"][k])
    k += 1
for n in range(1, 6):
    d = device(f"gpu-{n:02d}", 2, "R1")
    cable("dcim.powerport", port(d, "PSU0", 700, None), "dcim.poweroutlet", pdus["a"][k])
    cable("dcim.powerport", port(d, "PSU1", 700, None), "dcim.poweroutlet", pdus["b"][k])
    k += 1
d = device("r2-pdu", 5, "R2")
inlet = port(d, "Input", None, None)
cable("dcim.powerport", inlet, "dcim.powerfeed", 3)
legs = [outlet(d, f"Outlet {leg}{j}", inlet, leg) for leg in "ABC" for j in (1, 2)]
for n, leg in ((1, 0), (2, 2), (3, 4)):
    d = device(f"srv-r2-{n}", 4, "R2")
    cable("dcim.powerport", port(d, "PSU0" if n < 3 else "PSU", 400, None), "dcim.poweroutlet", legs[leg])

for ep, res in out.items():
    with open(os.path.join("cabled", ep + ".json"), "w") as f:
        json.dump({"count": len(res), "next": None, "previous": None, "results": res}, f, indent=1)
        f.write("\n")
