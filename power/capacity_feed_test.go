package power

import (
	"fmt"
	"testing"
)

// TestFeedHeadroomTie: a feed point's headroom is the largest of the
// slots through it, and its binding that of the first such slot in slot
// order. Rack r's side a is a rack PDU pa with nothing rated above it;
// side b a PDU pb with two 10 A banks b1 and b2 (8 A: 1,840 W at 230 V,
// PF 1). A two-PSU device can go on (pa, b1) or (pa, b2), 1,840 W either
// way, bound by its bank (shown 1,839.99 W: the closed form lands a few
// ulps under 1,840 W and headrooms are floored to the cent): pa names
// b1, the first.
func TestFeedHeadroomTie(t *testing.T) {
	const src = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[rack]]
id = "r"
[[rack_pdu]]
id = "pa"
rack = "r"
input = "u"
[[rack_pdu]]
id = "pb"
rack = "r"
input = "u"
  [[rack_pdu.bank]]
  id = "b1"
  standard = "iec60898"
  curve = "C"
  rating_a = 10
  [[rack_pdu.bank]]
  id = "b2"
  standard = "iec60898"
  curve = "C"
  rating_a = 10
[[device_model]]
id = "m"
psus = 2
psus_required = 1
typical_w = 100
`
	rep, err := Headroom(NewNetwork(parseText(t, "feed-tie.toml", src), BasisTypical), HeadroomOptions{DeviceModel: "m"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Racks[0].Feeds {
		b := "none"
		if f.Binding != nil {
			b = f.Binding.Element
		}
		got = append(got, fmt.Sprintf("%s %s W (%s)", f.Feed, fmtPtr(f.HeadroomW), b))
	}
	if g, want := fmt.Sprint(got), "[pa 1839.99 W (b1) b1 1839.99 W (b1) b2 1839.99 W (b2)]"; g != want {
		t.Errorf("feeds %s, want %s", g, want)
	}
}
