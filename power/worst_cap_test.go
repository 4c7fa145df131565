package power

import (
	"fmt"
	"strings"
	"testing"
)

// chainTOML: three IEC 60898 C breakers in series, ba (13 A) above bb
// (12 A) above bc (10 A), feed circuit cx; a 4,600 W device (230 V, PF
// 1: 20 A) of two PSUs, one needed, on cx and on cy, straight off the
// source. In normal operation the chain carries 10 A. When cy fails it
// carries 20 A: bc at 2 In may trip from 11.52 s and must by 349.4 s;
// bb at 1.667 In may trip from 72.15 s and ba at 1.538 In from 161.4 s,
// both before bc must: three possible first trips, each darkening what
// lies below it.
const chainTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "ba"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 13
[[breaker]]
id = "bb"
input = "ba"
standard = "iec60898"
curve = "C"
rating_a = 12
[[breaker]]
id = "bc"
input = "bb"
standard = "iec60898"
curve = "C"
rating_a = 10
[[circuit]]
id = "cx"
input = "bc"
[[circuit]]
id = "cy"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "m"
psus = 2
psus_required = 1
nameplate_w = 4600
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["cx", "cy"]
`

// TestWorstSearchCapChain: the worst-case search runs at most its cap of
// cascades, and says when it stopped with choices left. On chainTOML
// with cy failed, the first cascade trips bc at its earliest (11.52 s),
// and leaves bb and ba as choices; the search then tries bb (72.15 s)
// and last ba (161.4 s), the darkest (ba, bb, bc and cx dark besides
// cy). A cap of 1 stops after the first cascade, 2 after bb's, both
// capped; 3 explores all three, as the default cap does.
func TestWorstSearchCapChain(t *testing.T) {
	m := parseText(t, "chain.toml", chainTOML)
	n := NewNetwork(m, BasisConservative)
	e, _ := m.ElementIndex("cy")
	for _, c := range []struct {
		cap  int
		want string
	}{
		{1, "capped true, trips [bc@11.523 s], dark [bc cx cy]"},
		{2, "capped true, trips [bb@72.151 s], dark [bb bc cx cy]"},
		{3, "capped false, trips [ba@161.435 s], dark [ba bb bc cx cy]"},
		{0, "capped false, trips [ba@161.435 s], dark [ba bb bc cx cy]"},
	} {
		s := NewSim(n)
		s.searchCap = c.cap
		sc := s.Run([]int32{int32(e)}, -1, -1, DefaultHorizonS)
		var trips []string
		for _, ev := range sc.Events {
			if ev.Event == "trip" {
				trips = append(trips, fmt.Sprintf("%s@%.3f s", ev.Element, float64(ev.TS)))
			}
		}
		if got := fmt.Sprintf("capped %v, trips %v, dark %v", sc.WorstSearchCapped, trips, sc.Dark.Elements); got != c.want {
			t.Errorf("cap %d:\ngot  %s\nwant %s", c.cap, got, c.want)
		}
	}
}

// upsChoiceTOML: three 10 kVA UPSes behind one source (PF 1); ux and
// uy hold 110 % for 600 s and 125 % for 60 s, uz has no tolerance.
// Devices: dzx (9,800 W, two PSUs, one needed) on uz and ux; dxy
// (4,400 W, both PSUs needed: 2,200 W each side) on ux and uy; dzy
// (4,300 W, one needed) on uz and uy; dy (4,000 W, one PSU) on uy.
// When uz fails, ux carries 9,800 + 2,200 = 12,000 W (120 %: may drop
// the load from 60 s, must by 600 s) and uy 2,200 + 4,300 + 4,000 =
// 10,500 W (105 %: may drop it from 600 s, need not).
const upsChoiceTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[ups]]
id = "ux"
input = "u"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }, { load_pct = 125, time_s = 60 }]
[[ups]]
id = "uy"
input = "u"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }, { load_pct = 125, time_s = 60 }]
[[ups]]
id = "uz"
input = "u"
capacity_kva = 10
[[circuit]]
id = "cx"
input = "ux"
[[circuit]]
id = "cy"
input = "uy"
[[circuit]]
id = "cz"
input = "uz"
[[rack]]
id = "r"
[[device_model]]
id = "zx"
psus = 2
psus_required = 1
nameplate_w = 9800
[[device_model]]
id = "xy"
psus = 2
psus_required = 2
nameplate_w = 4400
[[device_model]]
id = "zy"
psus = 2
psus_required = 1
nameplate_w = 4300
[[device_model]]
id = "y"
nameplate_w = 4000
[[device]]
id = "dzx"
rack = "r"
model = "zx"
feeds = ["cz", "cx"]
[[device]]
id = "dxy"
rack = "r"
model = "xy"
feeds = ["cx", "cy"]
[[device]]
id = "dzy"
rack = "r"
model = "zy"
feeds = ["cz", "cy"]
[[device]]
id = "dy"
rack = "r"
model = "y"
feeds = ["cy"]
`

// TestWorstCaseChoiceAtMustTrip: a choice whose earliest trip is
// exactly when the first must trip (uy's 600 s, ux's latest) is
// explored, at the horizon too. On upsChoiceTOML with uz failed, the
// first cascade drops ux at 60 s: dzx and dxy go dark and uy, left at
// 8,300 W (83 %), holds. uy may drop first instead, at 600 s, no later
// than ux must: dxy, dzy and dy go dark and ux, left at 9,800 W (98 %),
// holds. That is darker (three devices), so it is the worst case, with
// the default horizon and with a horizon of exactly 600 s; one cascade
// (a cap of 1) gives the first. Trips due within tieTol count as one
// time: with uy holding 110 % for 600.0000006 s (600 × (1 + 1e-9), to
// the last bit) in place of 600 s, its choice is still no later than
// ux's must.
func TestWorstCaseChoiceAtMustTrip(t *testing.T) {
	uy := "id = \"uy\"\ninput = \"u\"\ncapacity_kva = 10\noverload = [{ load_pct = 110, time_s = 600 }"
	if !strings.Contains(upsChoiceTOML, uy) {
		t.Fatal("upsChoiceTOML has no uy to change")
	}
	edge := strings.Replace(upsChoiceTOML, uy, strings.Replace(uy, "600", "600.0000006", 1), 1)
	for _, c := range []struct {
		src      string
		horizonS float64
		cap      int
		want     string
	}{
		{upsChoiceTOML, DefaultHorizonS, 1, "capped true, trips [ux@60 s], dark [dzx dxy]"},
		{upsChoiceTOML, DefaultHorizonS, 0, "capped false, trips [uy@600 s], dark [dxy dzy dy]"},
		{upsChoiceTOML, 600, 1, "capped true, trips [ux@60 s], dark [dzx dxy]"},
		{upsChoiceTOML, 600, 0, "capped false, trips [uy@600 s], dark [dxy dzy dy]"},
		{edge, DefaultHorizonS, 0, "capped false, trips [uy@600.0000006 s], dark [dxy dzy dy]"},
	} {
		m := parseText(t, "ups-choice.toml", c.src)
		e, _ := m.ElementIndex("uz")
		s := NewSim(NewNetwork(m, BasisConservative))
		s.searchCap = c.cap
		sc := s.Run([]int32{int32(e)}, -1, -1, c.horizonS)
		var trips []string
		for _, ev := range sc.Events {
			if ev.Event == "trip" {
				trips = append(trips, fmt.Sprintf("%s@%g s", ev.Element, float64(ev.TS)))
			}
		}
		if got := fmt.Sprintf("capped %v, trips %v, dark %v", sc.WorstSearchCapped, trips, sc.Dark.Devices); got != c.want {
			t.Errorf("horizon %g s, cap %d:\ngot  %s\nwant %s", c.horizonS, c.cap, got, c.want)
		}
	}
}
