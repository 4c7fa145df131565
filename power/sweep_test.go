package power

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// sweepJSON runs the N-1 sweep of a fresh network and encodes it as the CLI
// does (indented JSON).
func sweepJSON(t *testing.T, b Basis, files ...string) []byte {
	t.Helper()
	n := NewNetwork(loadFiles(t, files...), b)
	var progress []int
	rep := n.Sweep(SweepOptions{Progress: func(done, total int) { progress = append(progress, done) }})
	if len(progress) == 0 || progress[len(progress)-1] != rep.Summary.Scenarios {
		t.Errorf("progress: got %v, want it to end at %d", progress, rep.Summary.Scenarios)
	}
	var out bytes.Buffer
	if err := rep.WriteJSON(&out, nil); err != nil {
		t.Fatal(err)
	}
	var back SweepReport // the stream is one JSON document
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("WriteJSON output does not parse: %v", err)
	}
	if len(back.Scenarios) != len(rep.Scenarios) || back.Summary.Headline != rep.Summary.Headline {
		t.Fatalf("WriteJSON: read back %d scenarios, %q; want %d, %q", len(back.Scenarios), back.Summary.Headline, len(rep.Scenarios), rep.Summary.Headline)
	}
	return out.Bytes()
}

// sweepLines renders a sweep one line per scenario, for a person to
// read: the failure, its outcome and worst verdict, the worst-case cascade
// (trips, the last trip's element and time, events, overloads, pickups,
// what goes dark) and the certain one (trips, dark devices and racks).
func sweepLines(rep SweepReport) []byte {
	var b bytes.Buffer
	s := rep.Summary
	fmt.Fprintf(&b, "# %s\n# basis %s, horizon %g s\n", s.Headline, s.Basis, s.HorizonS)
	b.WriteString("# failed | outcome/verdict | worst case: trips, last trip, events/overloads/pickups, dark devices/racks | certain: trips, dark devices/racks\n")
	for _, sc := range rep.Scenarios {
		name := strings.Join(sc.Failed, "+")
		if sc.Opens != "" {
			name += " (opens " + sc.Opens + ")"
		}
		if sc.SameAs != "" {
			name += " (same as " + sc.SameAs + ")"
		}
		last := "-"
		for _, e := range sc.Events {
			if e.Event == "trip" {
				last = fmt.Sprintf("%s at %g s", e.Element, float64(e.TS))
			}
		}
		fmt.Fprintf(&b, "%s | %s/%s | %d, %s, %d/%d/%d, %d/%v | %d, %d/%v\n", name, sc.Outcome, sc.Verdict,
			sc.Tripped, last, len(sc.Events), len(sc.Overloads), len(sc.Pickups), len(sc.Dark.Devices), sc.Dark.Racks,
			sc.Certain.Tripped, len(sc.Certain.Dark.Devices), sc.Certain.Dark.Racks)
	}
	return b.Bytes()
}

// sweepDetail is the whole JSON of a few scenarios of a sweep, indented:
// one of each shape (a breaker opened: its rack's other side may trip; a
// circuit lost under a single-corded device: certain dark load; a PSU
// fault that follows a transfer switch onto the other side).
func sweepDetail(t *testing.T, rep SweepReport, ids ...string) []byte {
	t.Helper()
	var keep []Scenario
	for _, id := range ids {
		for _, sc := range rep.Scenarios {
			if strings.Join(sc.Failed, "+") == id {
				keep = append(keep, sc)
			}
		}
	}
	if len(keep) != len(ids) {
		t.Fatalf("detail: found %d of the scenarios %v", len(keep), ids)
	}
	out, err := json.MarshalIndent(keep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// checkGolden compares got with the golden file (rewritten with -update).
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update if the change is intended, and say why in the commit):\n%s", path, firstDiff(got, want))
	}
}

// TestSweepGolden: the N-1 sweep of examples/small-dc, in two small
// goldens a person can review (go test ./power -run TestSweepGolden
// -update rewrites them): one line per scenario (testdata/sweep-small-dc.txt)
// and the whole JSON of three scenarios (testdata/sweep-small-dc-detail.json).
// The figures that matter are asserted by hand in TestSweepSmallDCSummary;
// every scenario's timeline is checked against the reference cascade by
// TestPropertySweepMatchesRun and TestPropertyCascade. The sweep's JSON is
// the same, byte for byte, from run to run, and parses back.
func TestSweepGolden(t *testing.T) {
	got := sweepJSON(t, BasisConservative, smallDC...)
	if again := sweepJSON(t, BasisConservative, smallDC...); !bytes.Equal(got, again) {
		t.Fatalf("two sweeps of the same model differ:\n%s", firstDiff(got, again))
	}
	var rep SweepReport
	if err := json.Unmarshal(got, &rep); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/sweep-small-dc.txt", sweepLines(rep))
	checkGolden(t, "testdata/sweep-small-dc-detail.json", sweepDetail(t, rep, "brk-r1-02-a", "cir-r2-01-a", "sw-r2-01/psu1"))
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(g), len(w)) {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + string(gl) + "\n want " + string(wl)
		}
	}
	return ""
}

// TestSweepSmallDCSummary pins the headline figures of the golden file, so
// that a careless -update cannot hide a change in them.
func TestSweepSmallDCSummary(t *testing.T) {
	n := NewNetwork(loadFiles(t, smallDC...), BasisConservative)
	rep := n.Sweep(SweepOptions{})
	var psus int
	for _, d := range n.M.Devices {
		psus += len(d.Feeds)
	}
	s := rep.Summary
	if want := len(n.M.Elements) + psus; s.Scenarios != want {
		t.Errorf("scenarios: got %d, want %d elements + PSUs", s.Scenarios, want)
	}
	if s.Basis != "conservative" || s.HorizonS != DefaultHorizonS {
		t.Errorf("basis, horizon: got %s, %g s; want conservative, %d s", s.Basis, s.HorizonS, DefaultHorizonS)
	}
	// On nameplate figures, losing either side of r1-02 (16 elements and
	// 8 PSUs above its L1 banks) puts the surviving L1 bank at 1.23 In:
	// may-trip (IEC 60898-1 holds to 1.13 In and must trip from 1.45 In),
	// so it trips only in the worst case. 37 failures leave devices dark
	// in the worst case, 15 certainly (single-corded devices below the
	// failure: kvm-r2-01, sw-r2-01 behind its switch): those 15 end in a
	// certain trip, the other 22 may trip. One rack goes entirely dark,
	// certainly: r2-01, when the switch's PSU faults (below).
	if s.TripScenarios != 15 || s.MayTripScenarios != 22 || s.DarkScenarios != 37 || s.CertainDark != 15 || s.RiskyScenarios != 37 ||
		s.DarkRacks != 1 || s.DarkRackIDs[0] != "r2-01" || !slices.Equal(s.CertainDarkRackIDs, []string{"r2-01"}) {
		t.Errorf("summary: got %d trip, %d may-trip, %d dark (%d certainly), %d risky scenarios, dark racks %v (certainly %v); want 15, 22, 37 (15), 37, [r2-01] ([r2-01])",
			s.TripScenarios, s.MayTripScenarios, s.DarkScenarios, s.CertainDark, s.RiskyScenarios, s.DarkRackIDs, s.CertainDarkRackIDs)
	}
	if want := "15 of 127 single failures end in a certain trip; 22 may trip; 37 leave devices dark (15 certainly); 1 rack goes dark (1 certainly)"; s.Headline != want {
		t.Errorf("headline: got %q, want %q", s.Headline, want)
	}
	// A PSU on the ATS: its fault opens brk-r2-01-a, the ATS moves the
	// fault to B with the load, brk-r2-01-b opens too, and the whole rack
	// r2-01 is dark.
	for _, sc := range rep.Scenarios {
		if sc.Failed[0] != "sw-r2-01/psu1" {
			continue
		}
		if sc.Opens != "brk-r2-01-a" || !slices.Contains(sc.Dark.Elements, "brk-r2-01-b") || !slices.Equal(sc.Dark.Racks, []string{"r2-01"}) {
			t.Errorf("sw-r2-01/psu1: got opens %s, dark elements %v, racks %v; want brk-r2-01-a, brk-r2-01-b dark, rack r2-01", sc.Opens, sc.Dark.Elements, sc.Dark.Racks)
		}
		var evs []string
		for _, e := range sc.Events {
			evs = append(evs, e.Event+" "+e.Element)
		}
		if want := []string{"psu-fault sw-r2-01/psu1", "fail brk-r2-01-a", "transfer ats-r2-01", "fail brk-r2-01-b"}; !slices.Equal(evs[:min(len(evs), 4)], want) {
			t.Errorf("sw-r2-01/psu1 events %v, want %v first", evs, want)
		}
	}
	// Losing brk-r1-02-a doubles the surviving L1 bank's 9.8 A: 19.6 A on
	// 16 A is 1.225 In, between IEC 60898-1's 1.13 (holds 1 h) and 1.45
	// In: it may trip, at the earliest after 3600 s × (1.225 / 1.13)^k,
	// k = ln(1 / 3600) / ln(2.55 / 1.13) (the log-log line from 1.13 In at
	// 1 h to 2.55 In at 1 s), 1598.4 s; it is not required to trip.
	wantT := 3600 * math.Pow(1.225/1.13, math.Log(1.0/3600)/math.Log(2.55/1.13))
	for _, sc := range rep.Scenarios {
		if sc.Failed[0] != "brk-r1-02-a" {
			continue
		}
		var trip *Event
		for k := range sc.Events {
			if sc.Events[k].Event == "trip" {
				trip = &sc.Events[k]
			}
		}
		if sc.Outcome != MayTrip || sc.Tripped != 1 || sc.Certain.Tripped != 0 || trip == nil ||
			trip.Element != "pdu-r1-02-b-l1" || trip.CurrentA != 19.6 || math.Abs(float64(trip.TS)-wantT) > 1 {
			t.Errorf("brk-r1-02-a: got outcome %s, %d tripped (%d certainly), trip %+v; want may-trip, pdu-r1-02-b-l1 at 19.6 A after %.3f s, none certain",
				sc.Outcome, sc.Tripped, sc.Certain.Tripped, trip, wantT)
		}
	}
	// Ranked worst first: by outcome, then trips.
	for i := 1; i < len(rep.Scenarios); i++ {
		a, b := rep.Scenarios[i-1], rep.Scenarios[i]
		if a.Outcome < b.Outcome || a.Outcome == b.Outcome && a.Tripped == 0 && b.Tripped > 0 {
			t.Fatalf("scenario %d (%v, %s, %d trips) ranks below %v (%s, %d trips)", i, b.Failed, b.Outcome, b.Tripped, a.Failed, a.Outcome, a.Tripped)
		}
	}
}

// TestSweepKeep: a sweep that keeps only the risky scenarios counts the
// same summary and lists exactly the risky scenarios of the full sweep,
// in the same order, each the same to the byte in JSON (their pickups,
// listed only for the scenarios kept, included).
func TestSweepKeep(t *testing.T) {
	n := NewNetwork(loadFiles(t, smallDC...), BasisConservative)
	all := n.Sweep(SweepOptions{})
	some := n.Sweep(SweepOptions{Keep: func(sc *Scenario) bool { return sc.Risky }})
	a, _ := json.Marshal(all.Summary)
	b, _ := json.Marshal(some.Summary)
	if string(a) != string(b) {
		t.Errorf("summary with Keep %s, without %s", b, a)
	}
	var want []string
	for _, sc := range all.Scenarios {
		if sc.Risky {
			want = append(want, sc.Failed[0])
		}
	}
	var got []string
	for _, sc := range some.Scenarios {
		got = append(got, sc.Failed[0])
	}
	if len(want) != 37 || !slices.Equal(got, want) {
		t.Errorf("kept %v, want the %d risky scenarios %v", got, len(want), want)
	}
	sameKept(t, all, some)
}

// TestSweepKeepPickups: the pickups of the scenarios a Keep holds are
// those of the full sweep, also for PSU faults whose scenario is that of
// an element the Keep does not hold (the pickups are the element's), and
// for PSU faults behind a transfer switch (run on their own).
func TestSweepKeepPickups(t *testing.T) {
	for name, files := range map[string][]string{"small-dc": smallDC, "transfer": {"testdata/ats.toml"}} {
		t.Run(name, func(t *testing.T) {
			n := NewNetwork(loadFiles(t, files...), BasisConservative)
			all := n.Sweep(SweepOptions{})
			psus := n.Sweep(SweepOptions{Keep: func(sc *Scenario) bool { return sc.Kind == "psu" }})
			var withPickups, same, own int
			for _, sc := range psus.Scenarios {
				if sc.Pickups == nil {
					t.Fatalf("%v: pickups not listed", sc.Failed)
				}
				if len(sc.Pickups) > 0 {
					withPickups++
				}
				if sc.SameAs != "" {
					same++
				} else {
					own++
				}
			}
			if withPickups == 0 || same == 0 {
				t.Fatalf("%d PSU scenarios kept, %d with pickups, %d the same as an element's: the case is not tested", len(psus.Scenarios), withPickups, same)
			}
			if name == "transfer" && own == 0 {
				t.Fatalf("no PSU fault behind a transfer switch run on its own")
			}
			sameKept(t, all, psus)
			for _, sc := range psus.Scenarios {
				if sc.Kind != "psu" {
					t.Errorf("%v (kind %s) kept", sc.Failed, sc.Kind)
				}
			}
		})
	}
}

// sameKept checks that every scenario of some is, in JSON, the scenario
// of all with the same failure, and that some keeps all's order.
func sameKept(t *testing.T, all, some SweepReport) {
	t.Helper()
	byName := map[string]int{}
	for i, sc := range all.Scenarios {
		byName[strings.Join(sc.Failed, "+")] = i
	}
	last := -1
	for _, sc := range some.Scenarios {
		key := strings.Join(sc.Failed, "+")
		i, ok := byName[key]
		if !ok {
			t.Fatalf("%s kept, not in the full sweep", key)
		}
		if i < last {
			t.Errorf("%s kept out of the full sweep's order", key)
		}
		last = i
		got, _ := json.Marshal(sc)
		want, _ := json.Marshal(all.Scenarios[i])
		if !bytes.Equal(got, want) {
			t.Errorf("%s kept:\n%s\nin the full sweep:\n%s", key, got, want)
		}
	}
}

// TestSweepSmallDCMatchesReference: every single failure of
// examples/small-dc (what the goldens summarize) cascades as the
// reference cascade says, in the worst case and the certain one: the
// timelines the one-line golden only counts are checked in full here.
func TestSweepSmallDCMatchesReference(t *testing.T) {
	n := NewNetwork(loadFiles(t, smallDC...), BasisConservative)
	m, s := n.M, NewSim(n)
	check := func(fail []int32, dev, k int) {
		t.Helper()
		sc := s.Run(fail, int32(dev), int32(k), DefaultHorizonS)
		what := fmt.Sprintf("small-dc %v", sc.Failed)
		worst, sure := refCascade(n, fail, dev, k, DefaultHorizonS, false), refCascade(n, fail, dev, k, DefaultHorizonS, true)
		sameCascade(t, what, sc, worst)
		sameCertain(t, what, sc, sure)
		sameOutcome(t, what, sc, worst, sure)
	}
	for e := range m.Elements {
		check([]int32{int32(e)}, -1, -1)
	}
	for d := range m.Devices {
		for k := range m.Devices[d].Feeds {
			check(nil, d, k)
		}
	}
}
