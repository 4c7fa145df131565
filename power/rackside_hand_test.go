package power

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"blackstart/topology"
)

// sidesTOML has a rack with rack PDUs (r1: three devices of 2 PSUs, one
// of 1; d2 has its second cord, d8 its first, in a circuit outside the
// rack), one without (r2: two of 1 PSU, then two of 2; the first device
// on cir-y) and an empty one (r3).
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

[[rack]]
id = "r3"

[[device_model]]
id = "one"
psus = 1
typical_w = 100

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
id = "d8"
rack = "r1"
model = "srv"
feeds = ["cir-x", "pdu-b"]

[[device]]
id = "d5"
rack = "r1"
model = "one"
feeds = ["pdu-a-l1"]

[[device]]
id = "d6"
rack = "r2"
model = "one"
feeds = ["cir-y"]

[[device]]
id = "d7"
rack = "r2"
model = "one"
feeds = ["cir-x"]

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
// the PDU itself (pdu-b). A rack with rack PDUs has only those: a
// device's cord into an element outside adds no side, whichever cord it
// is (d2's cir-y, its second; d8's cir-x, its first: the rule once
// depended on that and gave r1 a side cir-x). A rack without rack PDUs
// (r2) has one side per distinct element its devices plug into (cir-x
// and cir-y, each once though both devices use both, in element order
// whatever the cords' order).
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
	if want := "[r1 [[pdu-a-l1 pdu-a-l2] [pdu-b]] r2 [[cir-x] [cir-y]] r3 []]"; fmt.Sprint(got) != want {
		t.Errorf("got sides %v, want %s", got, want)
	}
}

// TestRackPSUsHand: without a device model, new devices of a rack are
// assumed to have its devices' most common PSU count: 2 in r1 (three of
// 2, one of 1), the smaller on a tie: 1 in r2 (two of each, the 2-PSU ones
// last). In a rack
// without devices, one a side up to two: 1 without sides, 2 with 2 or 3.
func TestRackPSUsHand(t *testing.T) {
	m, err := topology.Parse(topology.File{Name: "sides.toml", Data: []byte(sidesTOML)})
	if err != nil {
		t.Fatal(err)
	}
	devs := make([][]int, len(m.Racks))
	for d := range m.Devices {
		devs[m.Devices[d].Rack] = append(devs[m.Devices[d].Rack], d)
	}
	got := []int{rackPSUs(m, devs[0], 2), rackPSUs(m, devs[1], 2), rackPSUs(m, devs[2], 0), rackPSUs(m, devs[2], 2), rackPSUs(m, devs[2], 3)}
	if fmt.Sprint(got) != "[2 1 1 2 2]" {
		t.Errorf("got PSUs %v for r1, r2, r3 without sides, with 2 and 3; want [2 1 1 2 2]", got)
	}
}

// TestHeadroomUnlimited: Headroom on sidesTOML (typical draws, 100 W a
// device; 400 V wye, PF 1: 230.94 V, a 16 A bank's 12.8 A is 2,956.03
// W). r1's banks carry 200 W (d1 when pdu-b fails, and d5) and 100 W (d2
// when cir-y fails): a new device on a bank and pdu-b (unrated) takes
// 2,756.03 and 2,856.03 W, 5,612.06 W the two (each figure rounded
// down); pdu-b's best is beside pdu-a-l2, which binds it. r2 hangs on circuits and sources without a rating or capacity:
// nothing limits it (null, not 0); its new devices have 1 PSU (the tie),
// so only its first side, cir-x, is a feed point. r3 has no feed point
// at all: null, no feeds, no binding.
func TestHeadroomUnlimited(t *testing.T) {
	m, err := topology.Parse(topology.File{Name: "sides.toml", Data: []byte(sidesTOML)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Headroom(NewNetwork(m, BasisTypical), HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Racks {
		line := fmt.Sprintf("%s: %s W, largest %s W, binding %v, %d PSUs;", r.Rack, fmtPtr(r.HeadroomW), fmtPtr(r.LargestDeviceW), r.Binding != nil, r.PSUs)
		for _, f := range r.Feeds {
			bind := "nothing"
			if f.Binding != nil {
				bind = f.Binding.Element
			}
			line += fmt.Sprintf(" %s %s W (%s)", f.Feed, fmtPtr(f.HeadroomW), bind)
		}
		got = append(got, line)
	}
	want := []string{
		"r1: 5612.06 W, largest 2856.03 W, binding true, 2 PSUs; pdu-a-l1 2756.03 W (pdu-a-l1) pdu-a-l2 2856.03 W (pdu-a-l2) pdu-b 2856.03 W (pdu-a-l2)",
		"r2: null W, largest null W, binding false, 1 PSUs; cir-x null W (nothing)",
		"r3: null W, largest null W, binding false, 1 PSUs;",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHeadroomFitUnlimited: with a device model, a rack without u that has
// a feed point with nothing rated above it (r2's cir-x) takes any number:
// its fit is null and "unlimited", the site's total is null with
// fit_unlimited set, and Headroom returns (it used to count forever in
// Place). Place's "as many as fit" refuses such a site, naming the rack
// and feed point. r3 has no feed point: 0, "no feed". r1 takes 55 of
// the 100-W single-PSU model on its first side's banks (see
// TestHeadroomUnlimited): 27 under pdu-a-l1's 2,756.03 W and 28 under
// pdu-a-l2's 2,856.03 W, then power stops the next.
func TestHeadroomFitUnlimited(t *testing.T) {
	m, err := topology.Parse(topology.File{Name: "sides.toml", Data: []byte(sidesTOML)})
	if err != nil {
		t.Fatal(err)
	}
	n := NewNetwork(m, BasisTypical)
	type result struct {
		rep HeadroomReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Headroom(n, HeadroomOptions{DeviceModel: "one"})
		done <- result{rep, err}
	}()
	var rep HeadroomReport
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		rep = r.rep
	case <-time.After(2 * time.Minute):
		t.Fatal("Headroom with a device model did not return in 2 minutes")
	}
	if !rep.FitUnlimited || rep.FitTotal != nil {
		t.Errorf("fit_unlimited %v, fit_total %v; want true and null", rep.FitUnlimited, rep.FitTotal)
	}
	got := map[string]string{}
	for _, r := range rep.Racks {
		got[r.Rack] = fmt.Sprintf("%s %s", fmtIntPtr(r.Fit), r.FitLimit)
	}
	if got["r2"] != "null unlimited" || got["r3"] != "0 no feed" || got["r1"] != "55 power" {
		t.Errorf("fits %v; want r1 55 power, r2 null unlimited, r3 0 no feed", got)
	}
	_, err = Place(n, PlaceOptions{Add: []PlaceRequest{{Model: "one", Count: -1}}})
	if err == nil || !strings.Contains(err.Error(), `rack "r2" has no u and nothing rated above its feed point cir-x`) {
		t.Errorf("Place as many as fit: %v; want the unbounded rack named", err)
	}
}
