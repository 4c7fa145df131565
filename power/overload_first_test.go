package power

import (
	"fmt"
	"testing"
)

// atsHeatTOML: a 4,600 W device (230 V, PF 1: 20 A) of two PSUs, one
// needed, on cz (straight off the source) and on ce, below breaker be
// (13 A) below a transfer switch that prefers cp (breaker bp, 10 A) over
// ca (breaker ba, 32 A). All breakers IEC 60898 C.
const atsHeatTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "bp"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 10
[[circuit]]
id = "cp"
input = "bp"
[[breaker]]
id = "ba"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 32
[[circuit]]
id = "ca"
input = "ba"
[[ats]]
id = "ats"
inputs = ["cp", "ca"]
preferred = "cp"
transfer_ms = 8
[[breaker]]
id = "be"
input = "ats"
standard = "iec60898"
curve = "C"
rating_a = 13
[[circuit]]
id = "ce"
input = "be"
[[circuit]]
id = "cz"
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
feeds = ["ce", "cz"]
`

// TestOverloadKeptFirst: an element's overload is its worst load, and an
// equal load seen later keeps the first one's time. On atsHeatTOML with
// cz failed, be and bp carry the whole 20 A at 0 s: be 1.5385 In (may
// trip from 161.4 s), bp 2 In (from 11.52 s). bp trips at 11.52 s, the
// switch moves to ca, and be carries the same 20 A again: its overload
// stays the one at 0 s. be trips at 161.4 s; d goes dark.
func TestOverloadKeptFirst(t *testing.T) {
	m := parseText(t, "ats-heat.toml", atsHeatTOML)
	e, _ := m.ElementIndex("cz")
	sc := NewSim(NewNetwork(m, BasisConservative)).Run([]int32{int32(e)}, -1, -1, DefaultHorizonS)
	var got []string
	for _, o := range sc.Overloads {
		got = append(got, fmt.Sprintf("%s at %g s: %g A, ratio %g", o.Element, float64(o.TS), o.CurrentA, o.Ratio))
	}
	for _, ev := range sc.Events {
		if ev.Event == "trip" || ev.Event == "transfer" {
			got = append(got, fmt.Sprintf("%s %s at %.2f s", ev.Event, ev.Element, float64(ev.TS)))
		}
	}
	got = append(got, fmt.Sprint("dark ", sc.Dark.Devices))
	want := "[bp at 0 s: 20 A, ratio 2 be at 0 s: 20 A, ratio 1.5385 trip bp at 11.52 s transfer ats at 11.52 s trip be at 161.44 s dark [d]]"
	if g := fmt.Sprint(got); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
}
