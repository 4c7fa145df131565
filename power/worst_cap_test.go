package power

import (
	"fmt"
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
