package power

import (
	"fmt"
	"testing"
)

// fitCapTOML: a 16 A breaker at 230 V, PF 1 (12.8 A, 2,944 W), a rack
// without units below it, and two device models: 0.2944 W (10,000 make
// exactly 2,944 W) and 0.2 W (14,720 would fit).
const fitCapTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "c"
input = "b"
[[rack]]
id = "r"
[[rack_pdu]]
id = "pdu"
rack = "r"
input = "c"
[[rack]]
id = "free"
[[rack_pdu]]
id = "pdu-free"
rack = "free"
input = "u"
[[device_model]]
id = "exact"
nameplate_w = 0.2944
[[device_model]]
id = "small"
nameplate_w = 0.2
`

// TestFitCountCap: fitRack counts up to fitCap (10,000) devices in a
// rack and then stops with fitCap+1, "count cap". r takes exactly
// 10,000 devices of 0.2944 W (the 10,000th puts b at 2,944 W, its limit,
// within it; the 10,001st over): 10,000, stopped by power. Of 0.2 W it
// would take 14,720: 10,001, the count cap. Rack free hangs on the
// source, unrated, and takes any number ("unlimited"), so the site has no
// total.
func TestFitCountCap(t *testing.T) {
	n := NewNetwork(parseText(t, "fit-cap.toml", fitCapTOML), BasisConservative)
	for _, c := range []struct{ model, want string }{
		{"exact", "r fit 10000 (power); free fit null (unlimited); total null, unlimited true"},
		{"small", "r fit 10001 (count cap); free fit null (unlimited); total null, unlimited true"},
	} {
		rep, err := Headroom(n, HeadroomOptions{DeviceModel: c.model})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, r := range rep.Racks {
			got += fmt.Sprintf("%s fit %s (%s); ", r.Rack, fmtIntPtr(r.Fit), r.FitLimit)
		}
		got += fmt.Sprintf("total %s, unlimited %v", fmtIntPtr(rep.FitTotal), rep.FitUnlimited)
		if got != c.want {
			t.Errorf("%s:\ngot  %s\nwant %s", c.model, got, c.want)
		}
	}
}
