package power

import (
	"fmt"
	"testing"

	"blackstart/topology"
)

// sidesTOML has a rack with rack PDUs (r1) and one without (r2).
const sidesTOML = `[site]
name = "sides"

[[source]]
id = "grid-a"
voltage_v = 400
phases = 3

[[source]]
id = "grid-b"
voltage_v = 400
phases = 3

[[device_model]]
id = "srv"
psus = 2
psus_required = 1
typical_w = 100

[[rack]]
id = "r1"

[[rack]]
id = "r2"

[[circuit]]
id = "cir-x"
input = "grid-a"

[[circuit]]
id = "cir-y"
input = "grid-b"

[[rack_pdu]]
id = "pdu-a"
rack = "r1"
input = "grid-a"
  [[rack_pdu.bank]]
  id = "pdu-a-l1"
  line = "L1"
  standard = "iec60898"
  curve = "C"
  rating_a = 16
  [[rack_pdu.bank]]
  id = "pdu-a-l2"
  line = "L2"
  standard = "iec60898"
  curve = "C"
  rating_a = 16

[[rack_pdu]]
id = "pdu-b"
rack = "r1"
input = "grid-b"

[[device]]
id = "d1"
rack = "r1"
model = "srv"
feeds = ["pdu-a-l1", "pdu-b"]

[[device]]
id = "d2"
rack = "r1"
model = "srv"
feeds = ["pdu-a-l2", "cir-y"]

[[device]]
id = "d3"
rack = "r2"
model = "srv"
feeds = ["cir-y", "cir-x"]

[[device]]
id = "d4"
rack = "r2"
model = "srv"
feeds = ["cir-x", "cir-y"]
`

// TestRackSidesHand: a rack's sides are its rack PDUs in element order,
// each with its banks as feed points (pdu-a: L1, L2) or, without banks,
// the PDU itself (pdu-b); a device's cord into an element outside (d2's
// cir-y, its second cord) adds no side to a rack that has rack PDUs. A
// rack without rack PDUs (r2) has one side per distinct element its
// devices plug into (cir-x and cir-y, each once though both devices use
// both, in element order whatever the cords' order).
func TestRackSidesHand(t *testing.T) {
	m, err := topology.Parse(topology.File{Name: "sides.toml", Data: []byte(sidesTOML)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for r, sides := range rackSides(m) {
		var out [][]string
		for _, s := range sides {
			var ids []string
			for _, e := range s {
				ids = append(ids, m.Elements[e].ID)
			}
			out = append(out, ids)
		}
		got = append(got, fmt.Sprint(m.Racks[r].ID, " ", out))
	}
	if want := "[r1 [[pdu-a-l1 pdu-a-l2] [pdu-b]] r2 [[cir-x] [cir-y]]]"; fmt.Sprint(got) != want {
		t.Errorf("got sides %v, want %s", got, want)
	}
}
