package power

import (
	"os"
	"strings"
	"testing"
)

// TestNeutralNotBinding: a 4-pole breaker's neutral counts only when it is
// nearer its rating than the lines. The neutral's hand case
// (testdata/neutral-400y.toml at 398.37 V, 230 V line to neutral, as in
// TestNeutralHandCase: lines 20, 10, 0 A, neutral 17.32 A) with the
// neutral rated as the phases (32 A, the default without
// neutral_rating_a): the neutral is at 54.1 %, the worst line at 62.5 %,
// so the breaker is judged on the line: 20 A, 62.5 %, ok.
func TestNeutralNotBinding(t *testing.T) {
	data, err := os.ReadFile("testdata/neutral-400y.toml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "neutral_rating_a = 16\n", "", 1)
	src = strings.Replace(src, "voltage_v = 400\nphases = 3\nwiring = \"wye\"", "voltage_v = 398.3717\nphases = 3\nwiring = \"wye\"", 1)
	if strings.Contains(src, "neutral_rating_a") || !strings.Contains(src, "398.3717") {
		t.Fatal("testdata/neutral-400y.toml no longer has the text this test edits")
	}
	rep := NewNetwork(parseText(t, "neutral-32.toml", src), BasisConservative).Load()
	e := loadElement(t, rep, "brk")
	if e.CurrentA != 20 || e.UtilizationPct != 62.5 || e.Verdict != OK || e.NeutralA.A != 17.321 || e.NeutralPct != 54.13 {
		t.Errorf("brk: %g A, %g %%, %s, neutral %g A (%g %%); want 20 A, 62.5 %%, ok, neutral 17.321 A (54.13 %%)",
			e.CurrentA, e.UtilizationPct, e.Verdict, e.NeutralA.A, e.NeutralPct)
	}
}

// TestUnfedDevice: a device whose feeds are unknown (feeds = [""]) has no
// PSU in the model; it keeps its draw (100 W nameplate) and, with no feed
// to inherit a power factor from, PF 1.
func TestUnfedDevice(t *testing.T) {
	const src = `[[source]]
id = "u"
voltage_v = 230
[[rack]]
id = "r"
[[device_model]]
id = "m"
nameplate_w = 100
[[device]]
id = "d"
rack = "r"
model = "m"
feeds = [""]
`
	n := NewNetwork(parseText(t, "unfed.toml", src), BasisConservative)
	if len(n.M.Devices[0].Feeds) != 0 || n.DrawW[0] != 100 || n.pf[0] != 1 {
		t.Errorf("unfed device: %d feeds, %g W, PF %g; want 0, 100 W, PF 1", len(n.M.Devices[0].Feeds), n.DrawW[0], n.pf[0])
	}
}

// TestUL489EarliestTrip: UL 489 sets no lower bound; the earliest trip is
// a tenth of the latest on the same log-log line. A 20 A breaker must trip
// within 1 h at 1.35 In and 120 s at 2.00 In: its band is [360, 3600] s at
// 1.35 In and [12, 120] s at 2.00 In.
func TestUL489EarliestTrip(t *testing.T) {
	c, ok := CurveFor(breaker("ul489", 0, 20))
	if !ok {
		t.Fatal("no curve for a UL 489 breaker")
	}
	for _, tt := range []struct{ m, minS, maxS float64 }{{1.35, 360, 3600}, {2.00, 12, 120}} {
		b := c.At(tt.m)
		if !near(b.MinS, tt.minS, 1e-6) || !near(b.MaxS, tt.maxS, 1e-6) {
			t.Errorf("at %g In: [%g, %g] s, want [%g, %g] s", tt.m, b.MinS, b.MaxS, tt.minS, tt.maxS)
		}
	}
}
