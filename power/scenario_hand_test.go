package power

import (
	"fmt"
	"strings"
	"testing"
)

// heatTOML: three 10 kVA UPSes (PF 1, so 10 kW) behind one source. ua
// tolerates up to 110 % for 20 s; ub and uc up to 110 % for 600 s and
// 125 % for 60 s. Devices of two PSUs (one needed): dab (3,000 W) on ua
// and ub, dac (9,300 W) on ua and uc, dbc (9,000 W) on ub and uc.
const heatTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[ups]]
id = "ua"
input = "u"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 20 }]
[[ups]]
id = "ub"
input = "u"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }, { load_pct = 125, time_s = 60 }]
[[ups]]
id = "uc"
input = "u"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }, { load_pct = 125, time_s = 60 }]
[[circuit]]
id = "ca"
input = "ua"
[[circuit]]
id = "cb"
input = "ub"
[[circuit]]
id = "cc"
input = "uc"
[[rack]]
id = "r"
[[device_model]]
id = "w3000"
psus = 2
psus_required = 1
nameplate_w = 3000
[[device_model]]
id = "w9300"
psus = 2
psus_required = 1
nameplate_w = 9300
[[device_model]]
id = "w9000"
psus = 2
psus_required = 1
nameplate_w = 9000
[[device]]
id = "dab"
rack = "r"
model = "w3000"
feeds = ["ca", "cb"]
[[device]]
id = "dac"
rack = "r"
model = "w9300"
feeds = ["ca", "cc"]
[[device]]
id = "dbc"
rack = "r"
model = "w9000"
feeds = ["cb", "cc"]
`

// TestOverloadHeat pins the trip times of an overload that rises after
// heat has built up, and of the trip that ends it (worst case). uc fails:
// ua carries 1,500 + 9,300 W (108 %: may drop the load from 20 s), ub
// 1,500 + 9,000 W (105 %: from 600 s). ua drops at 20 s, when ub has used
// 20/600 of its earliest time; dab moves to ub, now 12,000 W (120 %: band
// 60–600 s), so ub's overload event says 20 + (1 − 1/30) × 60 = 78 s at
// the earliest and 20 + 600 = 620 s at the latest (its latest time was
// +Inf until then: nothing of it used). ub drops at 78 s; by then it has
// used 58/600 of its latest time, so its latest trip stays 78 + (1 −
// 58/600) × 600 = 620 s.
func TestOverloadHeat(t *testing.T) {
	n := NewNetwork(parseText(t, "heat.toml", heatTOML), BasisConservative)
	sc := NewSim(n).Run(ids(t, n.M, "uc"), -1, -1, DefaultHorizonS)
	var got []string
	for _, e := range sc.Events {
		got = append(got, fmt.Sprintf("%g %s %s %s %g %g", float64(e.TS), e.Element, e.Event, e.Verdict, float64(e.TripMinS), float64(e.TripMaxS)))
	}
	want := []string{
		"0 uc fail  0 0",
		"0 ua overload may-trip 20 +Inf",
		"0 ub overload may-trip 600 +Inf",
		"20 ua trip  20 +Inf",
		"20 ub overload trip 78 620",
		"78 ub trip  78 620",
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("events:\n%s\nwant:\n%s", g, w)
	}
	if fmt.Sprint(sc.Dark.Devices) != "[dab dac dbc]" {
		t.Errorf("dark %v, want [dab dac dbc]", sc.Dark.Devices)
	}
}

// beforeTOML: three 16 A IEC 60898 C breakers bx, by, bz (230 V, PF 1)
// feed circuits cx, cy, cz; devices of two PSUs (one needed): dxy
// (1,104 W = 4.8 A) on cx and cy, dyz (3,864 W = 16.8 A) on cy and cz,
// dxz (2,760 W = 12 A) on cx and cz.
const beforeTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "bx"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "by"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "bz"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "cx"
input = "bx"
[[circuit]]
id = "cy"
input = "by"
[[circuit]]
id = "cz"
input = "bz"
[[rack]]
id = "r"
[[device_model]]
id = "m1"
psus = 2
psus_required = 1
nameplate_w = 1104
[[device_model]]
id = "m2"
psus = 2
psus_required = 1
nameplate_w = 3864
[[device_model]]
id = "m3"
psus = 2
psus_required = 1
nameplate_w = 2760
[[device]]
id = "dxy"
rack = "r"
model = "m1"
feeds = ["cx", "cy"]
[[device]]
id = "dyz"
rack = "r"
model = "m2"
feeds = ["cy", "cz"]
[[device]]
id = "dxz"
rack = "r"
model = "m3"
feeds = ["cx", "cz"]
`

// TestOverloadEventBefore: an overload event's BeforeA is the current just
// before the step that raised the load, for an element that cannot trip
// too. bz fails: bx carries 2.4 + 12 = 14.4 A (0.9 In: over-continuous,
// from 8.4 A), by 2.4 + 16.8 = 19.2 A (1.2 In: may trip). When by trips,
// dxy moves to bx: 16.8 A (1.05 In: over-rating, no trip band), and the
// event says it rose from 14.4 A (it once said 8.4 A, the current before
// the failure, for an element without a trip band).
func TestOverloadEventBefore(t *testing.T) {
	n := NewNetwork(parseText(t, "before.toml", beforeTOML), BasisConservative)
	s := NewSim(n)
	for run := 1; run <= 2; run++ { // the second run starts from normal operation too
		sc := s.Run(ids(t, n.M, "bz"), -1, -1, DefaultHorizonS)
		var got []string
		for _, e := range sc.Events {
			if e.Element == "bx" {
				got = append(got, fmt.Sprintf("%s %s %g→%g A", e.Event, e.Verdict, e.BeforeA, e.AfterA))
			}
		}
		if g, w := strings.Join(got, "; "), "overload over-continuous 8.4→14.4 A; overload over-rating 14.4→16.8 A"; g != w {
			t.Errorf("run %d, bx: %s, want %s", run, g, w)
		}
	}
}

// TestWorstCaseHorizon: the heat site with one more device on ub and uc
// (d100, 100 W: ub carries 106 % after uc's failure, 121 % after ua
// drops). Within a 50 s horizon uc's failure trips ua at 20 s only (ub's
// trip, due at 78 s, is past it): dac goes dark. ub may drop before ua
// only at 600 s, also past the horizon, so that is no choice to explore
// (it would darken dbc and d100, two devices).
func TestWorstCaseHorizon(t *testing.T) {
	src := heatTOML + `[[device_model]]
id = "w100"
psus = 2
psus_required = 1
nameplate_w = 100
[[device]]
id = "d100"
rack = "r"
model = "w100"
feeds = ["cb", "cc"]
`
	n := NewNetwork(parseText(t, "heat-100.toml", src), BasisConservative)
	sc := NewSim(n).Run(ids(t, n.M, "uc"), -1, -1, 50)
	if sc.Tripped != 1 || fmt.Sprint(sc.Dark.Devices) != "[dac]" || sc.WorstSearchCapped {
		t.Errorf("%d trips, dark %v, capped %v; want 1 trip (ua), dark [dac], not capped", sc.Tripped, sc.Dark.Devices, sc.WorstSearchCapped)
	}
}

// TestTripAtTheHorizon: a trip due exactly at the horizon is within it:
// on the heat site ua drops at 20 s, and a 20 s horizon includes it.
func TestTripAtTheHorizon(t *testing.T) {
	n := NewNetwork(parseText(t, "heat.toml", heatTOML), BasisConservative)
	sc := NewSim(n).Run(ids(t, n.M, "uc"), -1, -1, 20)
	if sc.Tripped != 1 || fmt.Sprint(sc.Dark.Devices) != "[dac]" {
		t.Errorf("%d trips, dark %v; want ua's trip at 20 s, dark [dac]", sc.Tripped, sc.Dark.Devices)
	}
}

// TestPickupsIdleTransfer: a transfer switch with nothing below it moves
// to its other input when ba fails, but carries 0 A before and after: no
// pickup.
func TestPickupsIdleTransfer(t *testing.T) {
	const src = `[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "ba"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "bb"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "ca"
input = "ba"
[[circuit]]
id = "cb"
input = "bb"
[[ats]]
id = "ats"
inputs = ["ca", "cb"]
preferred = "ca"
transfer_ms = 8
`
	n := NewNetwork(parseText(t, "idle.toml", src), BasisConservative)
	sc := NewSim(n).Run(ids(t, n.M, "ba"), -1, -1, DefaultHorizonS)
	transferred := false
	for _, e := range sc.Events {
		transferred = transferred || e.Element == "ats" && e.Event == "transfer"
	}
	if !transferred || len(sc.Pickups) != 0 {
		t.Errorf("transfer %v, pickups %+v; want the switch to transfer, no pickup", transferred, sc.Pickups)
	}
}

// TestOverloadBeforeFaultFollows: a PSU fault that follows a transfer
// takes two steps at the failure, and an overload event then still says
// the current before the failure. d's PSU (on rack PDU p, behind transfer
// switch ats: preferred ca behind ba, other cb behind bb below bx) faults:
// ba opens (10.522 A: d and d2, 460 W each, and half of dd's 3,000 W, at
// 230 V, PF 1), ats moves p's 8.522 A (d's PSU no longer draws) onto bb,
// so bx carries 8.522 + 6.522 = 15.043 A between the steps; the fault
// follows and bb opens, d and d2 go dark, and dd draws all 13.043 A
// through q, cq, bq and bx: bx is over its continuous limit (12.8 A of 16
// A) and rose from 6.522 A, its current before the failure, not from the
// 15.043 A between the two steps.
func TestOverloadBeforeFaultFollows(t *testing.T) {
	const src = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "bx"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "ba"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "bb"
input = "bx"
standard = "iec60898"
curve = "C"
rating_a = 16
[[breaker]]
id = "bq"
input = "bx"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "ca"
input = "ba"
[[circuit]]
id = "cb"
input = "bb"
[[circuit]]
id = "cq"
input = "bq"
[[ats]]
id = "ats"
inputs = ["ca", "cb"]
preferred = "ca"
transfer_ms = 8
[[rack]]
id = "r"
[[rack_pdu]]
id = "p"
rack = "r"
input = "ats"
[[rack_pdu]]
id = "q"
rack = "r"
input = "cq"
[[device_model]]
id = "m"
nameplate_w = 460
[[device_model]]
id = "m2"
psus = 2
psus_required = 1
nameplate_w = 3000
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["p"]
[[device]]
id = "d2"
rack = "r"
model = "m"
feeds = ["p"]
[[device]]
id = "dd"
rack = "r"
model = "m2"
feeds = ["p", "q"]
`
	n := NewNetwork(parseText(t, "follows.toml", src), BasisConservative)
	sc := NewSim(n).Run(nil, 0, 0, DefaultHorizonS)
	var got []string
	for _, e := range sc.Events {
		if e.Element == "bx" || e.Event == "fail" {
			got = append(got, fmt.Sprintf("%s %s %s %g→%g A", e.Element, e.Event, e.Verdict, e.BeforeA, e.AfterA))
		}
	}
	if g, w := strings.Join(got, "; "), "ba fail  10.522→0 A; bb fail  8.522→0 A; bx overload over-continuous 6.522→13.043 A"; g != w {
		t.Errorf("events: %s, want %s (all: %+v)", g, w, sc.Events)
	}
}
