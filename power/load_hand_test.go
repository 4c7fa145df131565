package power

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// sideRacksTOML: one unrated 230 V source, PF 1 (1 A is 230 W); every
// breaker IEC 60898 C. Racks in the file's order r1, r3, r2, r4, r5, r6:
//   - r1: 16 A breakers b1a, b1b → circuits c1a, c1b; d1 (two PSUs,
//     2,300 W) on both, d2 (one PSU, 460 W) on c1a.
//   - r3: 16 A, d4 (two PSUs, 2,990 W = 13 A).
//   - r2: 16 A, d3 (two PSUs, 3,220 W = 14 A), cords c2b then c2a.
//   - r4: 63 A breakers → circuits → rack PDUs p4a, p4b, each with one
//     16 A bank; d5 (two PSUs, 3,910 W = 17 A) on the banks.
//   - r5: as r1 (d6, d7).
//   - r6: circuits c6a, c6b straight off the source, no breaker; d8 (two
//     PSUs, 460 W = 2 A).
var sideRacksTOML = `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[rack]]
id = "r1"
[[rack]]
id = "r3"
[[rack]]
id = "r2"
[[rack]]
id = "r4"
[[rack]]
id = "r5"
[[rack]]
id = "r6"
[[device_model]]
id = "w2300"
psus = 2
psus_required = 1
nameplate_w = 2300
[[device_model]]
id = "w460"
nameplate_w = 460
[[device_model]]
id = "w2990"
psus = 2
psus_required = 1
nameplate_w = 2990
[[device_model]]
id = "w3220"
psus = 2
psus_required = 1
nameplate_w = 3220
[[device_model]]
id = "w3910"
psus = 2
psus_required = 1
nameplate_w = 3910
[[device_model]]
id = "w460x2"
psus = 2
psus_required = 1
nameplate_w = 460
` + breakerPairs + `
[[rack_pdu]]
id = "p4a"
rack = "r4"
input = "c4a"
  [[rack_pdu.bank]]
  id = "p4a-1"
  standard = "iec60898"
  curve = "C"
  rating_a = 16
[[rack_pdu]]
id = "p4b"
rack = "r4"
input = "c4b"
  [[rack_pdu.bank]]
  id = "p4b-1"
  standard = "iec60898"
  curve = "C"
  rating_a = 16
[[circuit]]
id = "c6a"
input = "u"
[[circuit]]
id = "c6b"
input = "u"
[[device]]
id = "d1"
rack = "r1"
model = "w2300"
feeds = ["c1a", "c1b"]
[[device]]
id = "d2"
rack = "r1"
model = "w460"
feeds = ["c1a"]
[[device]]
id = "d4"
rack = "r3"
model = "w2990"
feeds = ["c3a", "c3b"]
[[device]]
id = "d3"
rack = "r2"
model = "w3220"
feeds = ["c2b", "c2a"]
[[device]]
id = "d5"
rack = "r4"
model = "w3910"
feeds = ["p4a-1", "p4b-1"]
[[device]]
id = "d6"
rack = "r5"
model = "w2300"
feeds = ["c5a", "c5b"]
[[device]]
id = "d7"
rack = "r5"
model = "w460"
feeds = ["c5a"]
[[device]]
id = "d8"
rack = "r6"
model = "w460x2"
feeds = ["c6a", "c6b"]
`

// breakerPairs: breakers bNa, bNb (16 A; 63 A for rack 4) feeding
// circuits cNa, cNb for N = 1…5.
var breakerPairs = func() string {
	var b strings.Builder
	for i := 1; i <= 5; i++ {
		in := 16
		if i == 4 {
			in = 63
		}
		for _, s := range []string{"a", "b"} {
			fmt.Fprintf(&b, "[[breaker]]\nid = \"b%d%s\"\ninput = \"u\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = %d\n", i, s, in)
			fmt.Fprintf(&b, "[[circuit]]\nid = \"c%d%s\"\ninput = \"b%d%s\"\n", i, s, i, s)
		}
	}
	return b.String()
}()

// sideLine prints a side's figures in a fixed order.
func sideLine(s SideLoad) string {
	return fmt.Sprintf("%s %s %gA | %gA %gW %g%% %g%% | %gA %gW %g%% | %s %s %s %gA/%gA %g%% shed %gW",
		s.Feed, s.Breaker, s.RatingA, s.NormalA, s.NormalW, s.SharePct, s.NormalPct,
		s.FailoverA, s.FailoverW, s.FailoverPct, s.FailoverVerdict, s.WorstElement, s.WorstKind,
		s.WorstCurrentA, s.WorstRatingA, s.WorstPct, s.ShedW)
}

// TestRackSideFigures pins every figure of a rack's sides by hand
// (1 A = 230 W):
//   - r1: c1a carries d1's half and d2 (1,150 + 460 = 1,610 W, 7 A:
//     58.33 % of the rack's 2,760 W, 43.75 % of 16 A), c1b 1,150 W (5 A,
//     41.67 %, 31.25 %). Losing c1b puts all 2,760 W (12 A, 75 %: ok) on
//     c1a; losing c1a darkens d2 and leaves d1's 2,300 W (10 A, 62.5 %)
//     on c1b. The worst element is the breaker (the circuit is unrated,
//     the source too).
//   - r3: 13 A on one side is 81.25 % (over-continuous); shedding to
//     12.8 A sheds 2,990 × 0.2 / 13 = 46 W. r2: 14 A, 87.5 %, sheds
//     3,220 × 1.2 / 14 = 276 W; its sides in element order although its
//     device's cords name c2b first.
//   - r4: failover 17 A is 26.98 % of the 63 A breaker, but 106.25 % of
//     the 16 A bank: over-rating (IEC 60898 holds to 1.13 In), the bank is
//     the worst element; it sheds 3,910 × 4.2 / 17 = 966 W.
//   - r6: no breaker: no rating, no percentages; every element on the path
//     is unrated and ok, and the first (the circuit) is reported.
//
// Racks: worst verdict first, then the largest failover percentage; r1 and
// r5 tie on both and keep the file's order.
func TestRackSideFigures(t *testing.T) {
	n := NewNetwork(parseText(t, "sides.toml", sideRacksTOML), BasisConservative)
	rep := n.Load()
	want := []string{
		"r4 over-rating",
		"c4a b4a 63A | 8.5A 1955W 50% 13.49% | 17A 3910W 26.98% | over-rating p4a-1 bank 17A/16A 106.25% shed 966W",
		"c4b b4b 63A | 8.5A 1955W 50% 13.49% | 17A 3910W 26.98% | over-rating p4b-1 bank 17A/16A 106.25% shed 966W",
		"r2 over-continuous",
		"c2a b2a 16A | 7A 1610W 50% 43.75% | 14A 3220W 87.5% | over-continuous b2a breaker 14A/16A 87.5% shed 276W",
		"c2b b2b 16A | 7A 1610W 50% 43.75% | 14A 3220W 87.5% | over-continuous b2b breaker 14A/16A 87.5% shed 276W",
		"r3 over-continuous",
		"c3a b3a 16A | 6.5A 1495W 50% 40.63% | 13A 2990W 81.25% | over-continuous b3a breaker 13A/16A 81.25% shed 46W",
		"c3b b3b 16A | 6.5A 1495W 50% 40.63% | 13A 2990W 81.25% | over-continuous b3b breaker 13A/16A 81.25% shed 46W",
		"r1 ok",
		"c1a b1a 16A | 7A 1610W 58.33% 43.75% | 12A 2760W 75% | ok b1a breaker 12A/16A 75% shed 0W",
		"c1b b1b 16A | 5A 1150W 41.67% 31.25% | 10A 2300W 62.5% | ok b1b breaker 10A/16A 62.5% shed 0W",
		"r5 ok",
		"c5a b5a 16A | 7A 1610W 58.33% 43.75% | 12A 2760W 75% | ok b5a breaker 12A/16A 75% shed 0W",
		"c5b b5b 16A | 5A 1150W 41.67% 31.25% | 10A 2300W 62.5% | ok b5b breaker 10A/16A 62.5% shed 0W",
		"r6 ok",
		"c6a  0A | 1A 230W 50% 0% | 2A 460W 0% | ok c6a circuit 2A/0A 0% shed 0W",
		"c6b  0A | 1A 230W 50% 0% | 2A 460W 0% | ok c6b circuit 2A/0A 0% shed 0W",
	}
	var got []string
	for _, r := range rep.Racks {
		got = append(got, fmt.Sprintf("%s %s", r.ID, r.Worst))
		for _, s := range r.Sides {
			got = append(got, sideLine(s))
		}
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("rack sides:\n%s\nwant:\n%s", g, w)
	}
	if _, err := json.Marshal(rep); err != nil { // no NaN or Inf anywhere
		t.Error(err)
	}
	// Every device is counted once under the figure it used.
	if len(rep.BasisCounts) != 1 || rep.BasisCounts["nameplate"] != 8 {
		t.Errorf("basis counts: %v, want nameplate: 8", rep.BasisCounts)
	}
}

// TestImbalanceBalanced: three equal currents are 0 % apart (+0, not -0,
// which JSON would print as "-0"); 6, 5, 4 A are 20 % apart (1 A off a
// mean of 5 A).
func TestImbalanceBalanced(t *testing.T) {
	if got := Imbalance(5, 5, 5); got != 0 || math.Signbit(got) {
		t.Errorf("Imbalance(5, 5, 5) = %g, want +0", got)
	}
	if got := Imbalance(6, 5, 4); math.Abs(got-20) > 1e-12 {
		t.Errorf("Imbalance(6, 5, 4) = %g, want 20", got)
	}
	if got := Imbalance(0, 0, 0); got != 0 {
		t.Errorf("Imbalance(0, 0, 0) = %g, want 0", got)
	}
}

// TestRackSideWorstOnPath: a side's worst element is searched on its whole
// path, from the source down to the PSUs' feed points. Source g (230 V,
// 4 kVA, PF 1) feeds two racks' circuits cx and cy, each into a rack PDU
// with one 16 A bank and a 2,300 W device on it (10 A): the source carries
// 4,600 W, 115 % of its rating (over-rating). Rack PDU px is rated 8 A
// (10 A is 125 %: over-rating and nearer its rating than the source), so
// px, the element above the bank, limits rx (shedding to 80 % of 8 A
// sheds 3.6 A, 828 W); py is unrated and the bank holds (62.5 %), so the
// source limits ry (back to its 4,000 W it sheds 600 W; its rating is
// 20 A / 1.15 = 17.391 A).
func TestRackSideWorstOnPath(t *testing.T) {
	const src = `[site]
power_factor = 1
[[source]]
id = "g"
voltage_v = 230
capacity_kva = 4
[[rack]]
id = "rx"
[[rack]]
id = "ry"
[[device_model]]
id = "m"
nameplate_w = 2300
[[circuit]]
id = "cx"
input = "g"
[[circuit]]
id = "cy"
input = "g"
[[rack_pdu]]
id = "px"
rack = "rx"
input = "cx"
rating_a = 8
  [[rack_pdu.bank]]
  id = "px-1"
  standard = "iec60898"
  curve = "C"
  rating_a = 16
[[rack_pdu]]
id = "py"
rack = "ry"
input = "cy"
  [[rack_pdu.bank]]
  id = "py-1"
  standard = "iec60898"
  curve = "C"
  rating_a = 16
[[device]]
id = "dx"
rack = "rx"
model = "m"
feeds = ["px-1"]
[[device]]
id = "dy"
rack = "ry"
model = "m"
feeds = ["py-1"]
`
	rep := NewNetwork(parseText(t, "path.toml", src), BasisConservative).Load()
	want := map[string]string{
		"cx": "cx  0A | 10A 2300W 100% 0% | 10A 2300W 0% | over-rating px rack_pdu 10A/8A 125% shed 828W",
		"cy": "cy  0A | 10A 2300W 100% 0% | 10A 2300W 0% | over-rating g source 20A/17.391A 115% shed 600W",
	}
	seen := 0
	for _, r := range rep.Racks {
		for _, s := range r.Sides {
			seen++
			if got := sideLine(s); got != want[s.Feed] {
				t.Errorf("side %s:\n%s\nwant\n%s", s.Feed, got, want[s.Feed])
			}
		}
	}
	if seen != 2 {
		t.Errorf("%d sides, want 2", seen)
	}
}

// TestLoadElementLine: the load report names the line of an element that
// hangs off one line of a three-phase supply (bl on L1, bl2 across
// L1-L2), and none for a three-phase element (the source, b3) or one on a
// single-phase supply (the circuit below bl: it names no line itself).
func TestLoadElementLine(t *testing.T) {
	const src = `[[source]]
id = "u"
voltage_v = 400
phases = 3
[[breaker]]
id = "b3"
input = "u"
standard = "iec60947-2"
rating_a = 16
[[breaker]]
id = "bl"
input = "u"
line = "L1"
standard = "iec60947-2"
rating_a = 16
[[breaker]]
id = "bl2"
input = "u"
line = "L1-L2"
standard = "iec60947-2"
rating_a = 16
[[circuit]]
id = "c"
input = "bl"
[[rack]]
id = "r"
[[device_model]]
id = "m"
nameplate_w = 230
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["c"]
`
	rep := NewNetwork(parseText(t, "line.toml", src), BasisConservative).Load()
	var got []string
	for _, e := range rep.Elements {
		got = append(got, e.ID+":"+e.Line)
	}
	if g, w := strings.Join(got, " "), "u: b3: bl:L1 bl2:L1-L2 c:"; g != w {
		t.Errorf("lines: %s, want %s", g, w)
	}
}

// TestUnknownDrawRack: a rack whose only device's draw is unknown (0 W in
// the flow) has a side with no share of nothing (0 %, not NaN), and its
// measured power has no gap to a 0 W model (0 %, not NaN): both reports
// still encode as JSON.
func TestUnknownDrawRack(t *testing.T) {
	const src = `[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "m"
draw_unknown = true
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = ["c"]
`
	n := NewNetwork(parseText(t, "unknown.toml", src), BasisConservative)
	rep := n.Load()
	if len(rep.Racks) != 1 || len(rep.Racks[0].Sides) != 1 || rep.Racks[0].Sides[0].SharePct != 0 {
		t.Fatalf("racks: %+v, want one side with a 0 %% share", rep.Racks)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("load report: %v", err)
	}
	gap := n.Gap([]Metered{{Element: "d", Quantity: "power_w", Readings: 2, P95: 50, Max: 60}})
	if len(gap.Racks) != 1 || gap.Racks[0].ModelW != 0 || gap.Racks[0].P95GapPct != 0 || gap.Racks[0].PeakGapPct != 0 || !gap.Racks[0].PeakExceedsModel {
		t.Errorf("gap racks: %+v, want r: model 0 W, no gap, peak exceeds", gap.Racks)
	}
	if _, err := json.Marshal(gap); err != nil {
		t.Errorf("gap report: %v", err)
	}
}
