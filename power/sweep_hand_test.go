package power

import (
	"fmt"
	"strings"
	"testing"
)

// twoSourcesTOML: sources ua and ub (230 V, PF 1) feed circuits ca and cb;
// one device with two PSUs (one needed, 460 W) on both. No single failure
// trips anything or darkens the device: 4 elements and 2 PSU faults.
const twoSourcesTOML = `[site]
power_factor = 1
[[source]]
id = "ua"
voltage_v = 230
[[source]]
id = "ub"
voltage_v = 230
[[circuit]]
id = "ca"
input = "ua"
[[circuit]]
id = "cb"
input = "ub"
[[rack]]
id = "r"
[[device_model]]
id = "m"
psus = 2
psus_required = 1
nameplate_w = 460
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["ca", "cb"]
`

// TestSweepHeadlineNothingDark: a sweep where nothing goes dark says so
// without the dark clauses' counts: "0 racks go dark" and no "leave
// devices dark".
func TestSweepHeadlineNothingDark(t *testing.T) {
	n := NewNetwork(parseText(t, "two.toml", twoSourcesTOML), BasisConservative)
	rep := n.Sweep(SweepOptions{})
	want := "0 of 6 single failures end in a certain trip; 0 may trip; 0 racks go dark"
	if rep.Summary.Headline != want {
		t.Errorf("headline %q, want %q", rep.Summary.Headline, want)
	}
}

// TestSweepProgress: progress comes every 1 % of the scenarios (every
// scenario below 200) and once more at the end when the total is not a
// multiple of that step: the two-source site's 6 scenarios give 6 calls.
func TestSweepProgress(t *testing.T) {
	n := NewNetwork(parseText(t, "two.toml", twoSourcesTOML), BasisConservative)
	var calls [][2]int
	n.Sweep(SweepOptions{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if got, want := fmt.Sprint(calls), "[[1 6] [2 6] [3 6] [4 6] [5 6] [6 6]]"; got != want {
		t.Errorf("two sources: progress %s, want %s", got, want)
	}
	// 99 devices on the two circuits and one idle circuit: 5 elements and
	// 198 PSUs, 203 scenarios, progress every 2 (101 calls) and at 203.
	var b strings.Builder
	b.WriteString(twoSourcesTOML + "[[circuit]]\nid = \"cc\"\ninput = \"ua\"\n")
	for i := 2; i <= 99; i++ {
		fmt.Fprintf(&b, "[[device]]\nid = \"d%d\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"ca\", \"cb\"]\n", i)
	}
	calls = nil
	NewNetwork(parseText(t, "many.toml", b.String()), BasisConservative).Sweep(SweepOptions{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	var want [][2]int
	for d := 2; d <= 202; d += 2 {
		want = append(want, [2]int{d, 203})
	}
	want = append(want, [2]int{203, 203})
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("203 scenarios: progress %v, want %v", calls, want)
	}
}

// TestSortOverloads: overloads worst verdict first, then the highest load
// ratio, then by element id (the ids here run against the ratios).
func TestSortOverloads(t *testing.T) {
	o := []Overload{
		{Element: "a", Verdict: OverContinuous, Ratio: 0.85},
		{Element: "b", Verdict: OverContinuous, Ratio: 0.95},
		{Element: "c", Verdict: MayTrip, Ratio: 1.2},
		{Element: "d", Verdict: OverContinuous, Ratio: 0.95},
		{Element: "e", Verdict: OverRating, Ratio: 1.05},
	}
	sortOverloads(o)
	var got []string
	for _, x := range o {
		got = append(got, x.Element)
	}
	if fmt.Sprint(got) != "[c e b d a]" {
		t.Errorf("order %v, want [c e b d a]", got)
	}
}

// TestPSUFaultEventCurrent: a PSU fault's first event carries the PSU's
// share of its device in normal operation: 460 W over two PSUs at 230 V,
// PF 1, is 1 A.
func TestPSUFaultEventCurrent(t *testing.T) {
	n := NewNetwork(parseText(t, "two.toml", twoSourcesTOML), BasisConservative)
	sc := NewSim(n).Run(nil, 0, 1, DefaultHorizonS)
	if len(sc.Events) == 0 || sc.Events[0].Event != "psu-fault" || sc.Events[0].Element != "d/psu2" || sc.Events[0].CurrentA != 1 || sc.Events[0].BeforeA != 1 {
		t.Errorf("first event %+v, want d/psu2's psu-fault at 1 A", sc.Events)
	}
}

// TestSweepKeepPSUOnSource: with Keep, a kept PSU fault whose scenario is
// that of an element not kept gets that element's pickups. On the
// two-source site nothing protects the circuits, so d/psu1's fault opens
// source ua (the model's first element): d's whole 460 W moves to ub and
// cb (1 → 2 A; unrated, so in id order); d/psu2's opens ub, and ca
// and ua pick up.
func TestSweepKeepPSUOnSource(t *testing.T) {
	n := NewNetwork(parseText(t, "two.toml", twoSourcesTOML), BasisConservative)
	rep := n.Sweep(SweepOptions{Keep: func(sc *Scenario) bool { return sc.Kind == "psu" }})
	var got []string
	for _, sc := range rep.Scenarios {
		line := fmt.Sprintf("%v opens %s same as %s:", sc.Failed, sc.Opens, sc.SameAs)
		for _, p := range sc.Pickups {
			line += fmt.Sprintf(" %s %g→%g A", p.Element, p.BeforeA, p.AfterA)
		}
		got = append(got, line)
	}
	want := "[d/psu1] opens ua same as ua: cb 1→2 A ub 1→2 A\n[d/psu2] opens ub same as ub: ca 1→2 A ua 1→2 A"
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("kept scenarios:\n%s\nwant:\n%s", g, want)
	}
}

// TestPSUFaultBehindTransfer: a PSU fault below a transfer switch is its
// own scenario. Rack PDU p hangs off transfer switch ats (preferred input
// ca behind breaker ba, other cb behind bb); d and d2 (one PSU each) plug
// into p. d's PSU fault opens ba, the switch moves p to cb, the fault
// follows and bb opens: both devices go dark (ba's own failure darkens
// nothing: the switch moves the load).
func TestPSUFaultBehindTransfer(t *testing.T) {
	const src = `[site]
power_factor = 1
[[source]]
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
[[rack]]
id = "r"
[[rack_pdu]]
id = "p"
rack = "r"
input = "ats"
[[device_model]]
id = "m"
nameplate_w = 460
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
`
	n := NewNetwork(parseText(t, "ats.toml", src), BasisConservative)
	got := map[string]string{}
	for _, sc := range n.Sweep(SweepOptions{}).Scenarios {
		got[strings.Join(sc.Failed, "+")] = fmt.Sprintf("opens %q same as %q dark %v", sc.Opens, sc.SameAs, sc.Dark.Devices)
	}
	want := map[string]string{
		"d/psu1": `opens "ba" same as "" dark [d d2]`,
		"ba":     `opens "" same as "" dark []`,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
}
