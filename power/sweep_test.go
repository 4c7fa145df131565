package power

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strconv"
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
	out, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestSweepGolden: the JSON of the N-1 sweep of examples/small-dc is stable
// (go test ./power -run TestSweepGolden -update rewrites it) and the same,
// byte for byte, from run to run.
func TestSweepGolden(t *testing.T) {
	tests := []struct {
		name   string
		basis  Basis
		golden string
	}{
		{"conservative", BasisConservative, "testdata/sweep-small-dc.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sweepJSON(t, tt.basis, smallDC...)
			if again := sweepJSON(t, tt.basis, smallDC...); !bytes.Equal(got, again) {
				t.Fatalf("two sweeps of the same model differ:\n%s\n---\n%s", got, again)
			}
			if *update {
				if err := os.WriteFile(tt.golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(tt.golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("sweep JSON differs from %s (rerun with -update if the change is intended):\n%s", tt.golden, firstDiff(got, want))
			}
		})
	}
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
	// 8 PSUs above its L1 banks) overloads the surviving L1 bank, which
	// trips; 37 failures leave devices dark. One rack goes entirely dark:
	// r2-01, when the switch's PSU faults (below).
	if s.TripScenarios != 24 || s.DarkScenarios != 37 || s.RiskyScenarios != 37 || s.DarkRacks != 1 || s.DarkRackIDs[0] != "r2-01" {
		t.Errorf("summary: got %d trip, %d dark, %d risky scenarios, dark racks %v; want 24, 37, 37, [r2-01]", s.TripScenarios, s.DarkScenarios, s.RiskyScenarios, s.DarkRackIDs)
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
	// Ranked worst first: trips, then dark load.
	for i := 1; i < len(rep.Scenarios); i++ {
		a, b := rep.Scenarios[i-1], rep.Scenarios[i]
		if a.Tripped == 0 && b.Tripped > 0 {
			t.Fatalf("scenario %d (%v) trips but ranks below %v, which does not", i, b.Failed, a.Failed)
		}
	}
}
