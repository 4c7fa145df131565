package power

import (
	"fmt"
	"strings"
	"testing"
)

// TestHeadroomSharedBreaker: the racks' figures are each computed alone,
// on the same present load: r1 and r2 hang off circuits c1 and c2 below
// one 32 A breaker (230 V, PF 1; 80 % of 32 A is 25.6 A), each with one
// 460 W device (2 A). Either rack alone can take 25.6 − 4 = 21.6 A,
// 4,968 W, and ten more 460 W devices (20 A; an eleventh would make
// 26 A); together, the site takes ten, not twenty.
func TestHeadroomSharedBreaker(t *testing.T) {
	const src = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 32
[[circuit]]
id = "c1"
input = "b"
[[circuit]]
id = "c2"
input = "b"
[[rack]]
id = "r1"
[[rack]]
id = "r2"
[[device_model]]
id = "n"
nameplate_w = 460
[[device]]
id = "d1"
rack = "r1"
model = "n"
feeds = ["c1"]
[[device]]
id = "d2"
rack = "r2"
model = "n"
feeds = ["c2"]
`
	n := NewNetwork(parseText(t, "shared.toml", src), BasisConservative)
	rep, err := Headroom(n, HeadroomOptions{DeviceModel: "n"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Racks {
		got = append(got, fmt.Sprintf("%s safe=%v headroom %s largest %s fit %s (%s)", r.Rack, r.Safe, fmtPtr(r.HeadroomW), fmtPtr(r.LargestDeviceW), fmtIntPtr(r.Fit), r.FitLimit))
	}
	want := "r1 safe=true headroom 4968 largest 4968 fit 10 (power)\nr2 safe=true headroom 4968 largest 4968 fit 10 (power)"
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("racks:\n%s\nwant:\n%s", g, want)
	}
	if rep.FitTotal == nil || *rep.FitTotal != 10 {
		t.Errorf("fit in the site together: %s, want 10", fmtIntPtr(rep.FitTotal))
	}
}
