package power

import (
	"fmt"
	"strings"
	"testing"
)

// oneSideTOML is a rack r with one three-phase rack PDU p0 below a
// 3-pole IEC 60898 C breaker s0 of sA amps on a 400Y/230 V source (PF 1,
// continuous limit 0.8), with one bank per entry of banks ("L1-L2 10":
// its line and rating, A), and a device model "new" of one PSU drawing w
// watts. A new device on a line-to-neutral bank draws w / 230.94 A on
// that line of s0; on a line-to-line bank, w / 400 A on each of its two
// lines, 30° off a line-to-neutral current of the first line and 150°
// off one of the second. Two line-to-line banks sharing a line put their
// currents 60° apart on it: n and m devices of i A give i·√(n² + m² + nm)
// there.
func oneSideTOML(sA int, w float64, banks ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 400
phases = 3
wiring = "wye"
[[breaker]]
id = "s0"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = %d
poles = 3
[[rack]]
id = "r"
[[rack_pdu]]
id = "p0"
rack = "r"
input = "s0"
`, sA)
	for i, bk := range banks {
		line, rating, _ := strings.Cut(bk, " ")
		fmt.Fprintf(&b, "  [[rack_pdu.bank]]\n  id = \"b%d\"\n  line = %q\n  standard = \"iec60898\"\n  curve = \"C\"\n  rating_a = %s\n", i, line, rating)
	}
	fmt.Fprintf(&b, "[[device_model]]\nid = \"new\"\ntypical_w = %g\n", w)
	return b.String()
}

// fitOf is Headroom's count of new devices in rack r of src, and why it
// stops.
func fitOf(t *testing.T, src string) string {
	t.Helper()
	rep, err := Headroom(NewNetwork(parseText(t, "one-side.toml", src), BasisTypical), HeadroomOptions{DeviceModel: "new"})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s (%s)", fmtIntPtr(rep.Racks[0].Fit), rep.Racks[0].FitLimit)
}

// TestFitRackBalances: fitRack places each device where the worst ratio
// stays lowest, which spreads them. s0 10 A (8 A a line), banks b0 on
// L1-L2 and b1 on L2-L3, 10 A each (8 A); 920 W devices draw 2.3 A.
// The first two go to b0, then b1 (on s0's L2, 2.3·√3 = 3.98 A against
// b0's 4.6 A); the third ties (6.09 A either way) and takes the first,
// b0; the fourth b1: L2 carries 4.6·√3 = 7.97 A of 8 A, and a fifth
// on either bank would make it 2.3·√19 = 10.03 A. Four fit (the most
// any placement allows). Filling b1 first would stop at three: b1 takes
// three (6.9 A), and one on b0 then puts 2.3·√13 = 8.29 A on L2.
func TestFitRackBalances(t *testing.T) {
	if got := fitOf(t, oneSideTOML(10, 920, "L1-L2 10", "L2-L3 10")); got != "4 (power)" {
		t.Errorf("fit %s, want 4 (power)", got)
	}
}

// TestFitRackWorstFirst: fitRack compares the slots' ratios worst first.
// s0 20 A (16 A a line); b0 on L1 10 A (8 A), b1 on L2 13 A (10.4 A),
// b2 on L1-L2 13 A (10.4 A); 1,840 W devices draw 7.97 A on L1 or L2 or
// 4.6 A on L1-L2. The first goes to b2 (worst 4.6 / 10.4 = 0.442). For
// the second, b0 would be at 0.996 of its bank (s0's L1 at
// |7.97∠0° + 4.6∠30°| = 12.17 A, 0.761), b1 at 0.766 of its bank (s0's
// L2 at 12.17 A too) and b2 at 0.885 (9.2 A; s0 at 0.575): b1. The
// third fits only on b0 (b2 would put |9.2∠210° + 7.97∠240°| = 16.59 A
// on s0's L2): three, the most any placement allows. Ranking the slots
// by s0's ratio first would put the second on b2 too (0.575), and then
// nothing fits (16.59 A on s0's L1 for b0, on L2 for b1): two.
func TestFitRackWorstFirst(t *testing.T) {
	if got := fitOf(t, oneSideTOML(20, 1840, "L1 10", "L2 13", "L1-L2 13")); got != "3 (power)" {
		t.Errorf("fit %s, want 3 (power)", got)
	}
}

// TestFitRackTieOnWorst: on a tie on the worst ratio, fitRack compares
// the next. s0 10 A (8 A a line); b0 on L1 20 A (16 A), b1 on L1-L2 10
// A (8 A), b2 on L2-L3 13 A (10.4 A); 1,380 W devices draw 5.98 A on
// L1 or 3.45 A on a pair of lines. First, b1 and b2 tie on s0 (3.45 / 8
// = 0.431); b2's bank is the less loaded (0.332 against 0.431): b2.
// Second, b0 and b1 tie on s0 (5.98 A on L1; 3.45·√3 = 5.98 A on L2:
// 0.747); b0's bank is the less loaded (0.373): b0. Third, b2 (6.9 A on
// L2 and L3; b1 would put |5.98∠0° + 3.45∠30°| = 9.13 A on L1): three,
// the most any placement allows. Taking b1 on the first tie leaves room
// for b2 only once (then 9.13 A on L1 or L2 for any other): two.
func TestFitRackTieOnWorst(t *testing.T) {
	if got := fitOf(t, oneSideTOML(10, 1380, "L1 20", "L1-L2 10", "L2-L3 13")); got != "3 (power)" {
		t.Errorf("fit %s, want 3 (power)", got)
	}
}
