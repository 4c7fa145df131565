package netbox

import (
	"bytes"
	"strings"
	"testing"
)

// TestReportText: what WriteText prints of a report made by hand. The
// site is named when there is one; missing endpoints are grouped by
// folder, in the order first met; upstream elements are listed when
// given; a rack that cannot be judged shows its first reason and how many
// more; a three-phase feed says so and an uncabled one is marked; with
// limit 1 each table and list stops after one row and says how many more
// (2 racks, 2 feeds, 2 findings: "… 1 more"); warnings are listed.
func TestReportText(t *testing.T) {
	rep := &Report{
		Headline: "2 racks", Sources: []string{"in"}, Site: "DC1",
		MissingEndpoints: []string{"a/cables.json", "b/racks.json", "a/devices.json"},
		Counts:           []Count{{"racks", 2, 2}},
		Defaults:         []Default{{Setting: "pf", Value: "0.95", Elements: 1, Why: "why"}},
		UpstreamElements: []string{"ups-a"},
		Racks: []RackFigures{
			{ID: "r1", Verdict: "ok", Feeds: 2, CannotJudge: []string{"x", "y", "z"}},
			{ID: "r2", Verdict: "ok", Feeds: 1},
		},
		Feeds: []FeedFigures{
			{ID: "f1", Panel: "P", Rack: "r1", Phases: 3, VoltageV: 400, AmperageA: 32, MaxUtilizationPct: 80, FailoverVerdict: "ok"},
			{ID: "f2", Panel: "P", Rack: "r2", Phases: 1, Cabled: true, VoltageV: 230, AmperageA: 16, MaxUtilizationPct: 80, FailoverVerdict: "ok"},
		},
		UncabledFeeds: []Finding{{Object: "feed f1", Reason: "no cable"}, {Object: "feed f3", Reason: "no cable"}},
		Warnings:      []string{"careful"},
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b, 1); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"NetBox import: 2 racks\nread from in; site DC1\n  a has no response for cables, devices\n  b has no response for racks\n",
		"pf = 0.95: 1 element; why\npanels fed from upstream elements: ups-a (give",
		"r1    2      0 VA",
		"x (+2 more)\n… 1 more racks (--format json lists them)\n",
		"f1 (uncabled)  P      r1    400 V 32 A 3-phase × 80 %",
		"… 1 more feeds (--format json lists them)\n",
		"feeds with no cable (2):\n  feed f1: no cable\n  … 1 more (--format json lists them)\n",
		"\nwarnings (1):\n  careful\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("WriteText(limit 1) lacks %q:\n%s", want, got)
		}
	}
	b.Reset()
	rep.Site, rep.UpstreamElements, rep.Warnings, rep.MissingEndpoints = "", nil, nil, nil
	rep.Racks[0].CannotJudge = []string{"x"}
	if err := rep.WriteText(&b, 0); err != nil {
		t.Fatal(err)
	}
	got = b.String()
	for _, want := range []string{"read from in\n", "  x\n", "r2    1      0 VA", "1-phase", "  feed f3: no cable\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("WriteText(limit 0) lacks %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"site", "upstream", "warnings", "more", "no response", "(+"} {
		if strings.Contains(got, not) {
			t.Errorf("WriteText(limit 0) says %q:\n%s", not, got)
		}
	}
}
