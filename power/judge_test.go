package power

import (
	"strings"
	"testing"

	"blackstart/topology"
)

// judgeModel has five racks, each on its own feeds A and B (230 V, 16 A
// IEC 60898-1 C breakers, PF 1):
//   - full: two 200 W dual-corded servers, both feeds cabled: ok;
//   - spare: feeds A and B assigned to it, but nothing cabled to B;
//   - unfed: a server whose second PSU plugs into nothing known;
//   - unknown: a server whose draw is unknown.
//   - hot: ten 400 W servers and one of unknown draw on A and B: losing a
//     side puts the known 4000 W, 17.39 A = 1.087 In, on the other. The
//     unknown draw can only add to that, so the rack reads over-rating, not
//     merely cannot-judge (and still lists why it cannot be judged).
const judgeModel = `
[site]
power_factor = 1
[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "brk-full-a"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "full-a"
input = "brk-full-a"
[[breaker]]
id = "brk-full-b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "full-b"
input = "brk-full-b"
[[breaker]]
id = "brk-spare-a"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "spare-a"
input = "brk-spare-a"
[[breaker]]
id = "brk-spare-b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "spare-b"
input = "brk-spare-b"
[[breaker]]
id = "brk-unfed-a"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "unfed-a"
input = "brk-unfed-a"
[[breaker]]
id = "brk-unfed-b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "unfed-b"
input = "brk-unfed-b"
[[breaker]]
id = "brk-unknown-a"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "unknown-a"
input = "brk-unknown-a"
[[breaker]]
id = "brk-unknown-b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "unknown-b"
input = "brk-unknown-b"
[[breaker]]
id = "brk-hot-a"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "hot-a"
input = "brk-hot-a"
[[breaker]]
id = "brk-hot-b"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "hot-b"
input = "brk-hot-b"
[[rack]]
id = "full"
feeds = ["full-a", "full-b"]
[[rack]]
id = "spare"
feeds = ["spare-a", "spare-b"]
[[rack]]
id = "unfed"
[[rack]]
id = "unknown"
[[rack]]
id = "hot"
[[device_model]]
id = "srv"
psus = 2
nameplate_w = 200
[[device_model]]
id = "big"
psus = 2
nameplate_w = 400
[[device_model]]
id = "mystery"
psus = 2
draw_unknown = true
[[device]]
id = "f%d"
count = 2
rack = "full"
model = "srv"
feeds = ["full-a", "full-b"]
[[device]]
id = "s1"
rack = "spare"
model = "srv"
feeds = ["spare-a", "spare-a"]
[[device]]
id = "n1"
rack = "unfed"
model = "srv"
feeds = ["unfed-a", ""]
[[device]]
id = "k1"
rack = "unknown"
model = "mystery"
feeds = ["unknown-a", "unknown-b"]
[[device]]
id = "h%d"
count = 10
rack = "hot"
model = "big"
feeds = ["hot-a", "hot-b"]
[[device]]
id = "h-mystery"
rack = "hot"
model = "mystery"
feeds = ["hot-a", "hot-b"]
`

func TestCannotJudge(t *testing.T) {
	m, err := topology.Parse(topology.File{Name: "judge.toml", Data: []byte(judgeModel)})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := m.DeviceIndex("n1")
	if got := m.Devices[d].Unfed; len(got) != 1 || got[0] != 1 || len(m.Devices[d].Feeds) != 1 {
		t.Fatalf("n1: feeds %v, unfed %v; want one feed and PSU 1 (0-based) unfed", m.Devices[d].Feeds, got)
	}
	rep := NewNetwork(m, BasisConservative).Load()
	want := map[string]struct {
		verdict Verdict
		reason  string
	}{
		"full":    {OK, ""},
		"spare":   {CannotJudge, `feed "spare-b" supplies no PSU in the rack (not cabled)`},
		"unfed":   {CannotJudge, `device "n1": PSU 2 plugs into nothing known`},
		"unknown": {CannotJudge, `device "k1": draw unknown (model "mystery" gives no figure)`},
		"hot":     {OverRating, `device "h-mystery": draw unknown`},
	}
	for _, r := range rep.Racks {
		w := want[r.ID]
		if r.Worst != w.verdict {
			t.Errorf("rack %s: verdict %s, want %s (reasons %q)", r.ID, r.Worst, w.verdict, r.CannotJudge)
		}
		got := strings.Join(r.CannotJudge, "; ")
		if w.reason == "" && got != "" || !strings.Contains(got, w.reason) {
			t.Errorf("rack %s: reasons %q, want %q", r.ID, got, w.reason)
		}
	}
	// The unknown draw counts nothing: k1 loads neither side; n1's fed PSU
	// carries its whole draw.
	watts := map[string]float64{"unknown-a": 0, "unknown-b": 0, "unfed-a": 200, "spare-a": 200, "spare-b": 0, "hot-a": 2000}
	for _, e := range rep.Elements {
		if w, ok := watts[e.ID]; ok && abs(e.PowerW-w) > 1e-9 {
			t.Errorf("circuit %s carries %g W, want %g", e.ID, e.PowerW, w)
		}
	}
	sum := NewNetwork(m, BasisConservative).Sweep(SweepOptions{}).Summary
	if sum.CannotJudgeRacks != 4 || strings.Join(sum.CannotJudgeRackIDs, ",") != "spare,unfed,unknown,hot" {
		t.Errorf("sweep: %d racks cannot be judged (%v), want 4: spare, unfed, unknown, hot", sum.CannotJudgeRacks, sum.CannotJudgeRackIDs)
	}
	if !strings.Contains(sum.Headline, "4 racks cannot be judged") {
		t.Errorf("headline %q does not say 4 racks cannot be judged", sum.Headline)
	}
}
