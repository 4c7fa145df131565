package diff

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"blackstart/data/generate"
	"blackstart/power"
	"blackstart/topology"
)

func incidentText(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../examples/incident-2019.toml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func parse(t testing.TB, name, text string) *topology.Model {
	t.Helper()
	m, err := topology.Parse(topology.File{Name: name, Data: []byte(text)})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func replace(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("no %q to replace", old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestCompareElementsByHand edits the incident rack in five ways and
// checks the element diff, both ways, against the edits.
func TestCompareElementsByHand(t *testing.T) {
	text := incidentText(t)
	old := parse(t, "old.toml", text)
	edited := replace(t, text, "count = 20", "count = 21")
	edited = replace(t, edited, "typical_w = 280", "typical_w = 300")
	edited = replace(t, edited, "id = \"breaker-b\"\ninput = \"feed-b\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = 16",
		"id = \"breaker-b\"\ninput = \"feed-b\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = 20")
	edited = replace(t, edited, "row = \"row-1\"", "row = \"row-2\"")
	edited += "\n[[rack]]\nid = \"rack-2\"\n"
	new := parse(t, "new.toml", edited)

	got := CompareElements(old, new)
	want := ElementDiff{
		Added:   []Entity{{"rack", "rack-2"}, {"device", "server-21"}},
		Removed: []Entity{},
		Changed: []EntityChange{
			{Entity{"breaker", "breaker-b"}, []KeyChange{{"rating_a", "16", "20"}}},
			{Entity{"rack", "rack-1"}, []KeyChange{{"row", "row-1", "row-2"}}},
			{Entity{"device_model", "server-280w"}, []KeyChange{{"typical_w", "280", "300"}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CompareElements:\n got %+v\nwant %+v", got, want)
	}
	back := CompareElements(new, old)
	if len(back.Added) != 0 || !reflect.DeepEqual(back.Removed, want.Added) || len(back.Changed) != 3 ||
		back.Changed[0].Keys[0] != (KeyChange{"rating_a", "20", "16"}) {
		t.Errorf("CompareElements the other way: %+v", back)
	}
	if d := CompareElements(old, parse(t, "same.toml", text+"\n# a comment\n")); !d.Empty() {
		t.Errorf("a comment changed the element diff: %+v", d)
	}
	// A changed input shows as ids; an inherited value follows its input.
	moved := replace(t, text, "id = \"circuit-b\"\ninput = \"breaker-b\"", "id = \"circuit-b\"\ninput = \"breaker-a\"")
	d := CompareElements(old, parse(t, "moved.toml", moved))
	if len(d.Changed) != 1 || d.Changed[0].ID != "circuit-b" || d.Changed[0].Keys[0] != (KeyChange{"inputs", "breaker-b", "breaker-a"}) {
		t.Errorf("moving circuit-b: %+v", d.Changed)
	}
}

// TestAnalyzeIncidentFix: 32 A breakers make every single failure of the
// incident rack safe; undoing the fix adds the risk back.
func TestAnalyzeIncidentFix(t *testing.T) {
	text := incidentText(t)
	old := parse(t, "old.toml", text)
	fixed := parse(t, "fixed.toml", strings.ReplaceAll(text, "rating_a = 16", "rating_a = 32"))
	o := Options{Basis: power.BasisConservative}
	a := Analyze(old, fixed, o)
	if a.AddsRisk || a.RiskyAdded != 0 || a.RiskyRemoved != 48 || len(a.Scenarios) != 48 || a.OldSummary.RiskyScenarios != 48 || a.NewSummary.RiskyScenarios != 0 {
		t.Fatalf("the fix: adds risk %v, %d added, %d removed, %d listed, risky %d → %d; want 0, 48 of 48 became safe",
			a.AddsRisk, a.RiskyAdded, a.RiskyRemoved, len(a.Scenarios), a.OldSummary.RiskyScenarios, a.NewSummary.RiskyScenarios)
	}
	for _, s := range a.Scenarios {
		if s.Change != BecameSafe || !s.Old.Risky || s.Old.DarkDevices != 20 || s.New.Risky {
			t.Errorf("scenario %s: %s %+v → %+v", s.Scenario, s.Change, s.Old, s.New)
		}
	}
	if len(a.Racks) != 1 || a.Racks[0].Rack != "rack-1" || a.Racks[0].DeltaA != 0 ||
		a.Racks[0].Old.Verdict != "trip" || a.Racks[0].New.Verdict != "ok" ||
		math.Abs(a.Racks[0].Old.FailoverA-24.35) > 0.01 || a.Racks[0].Old.RatingA != 16 || a.Racks[0].New.RatingA != 32 {
		t.Errorf("racks: %+v", a.Racks)
	}
	// N-1-safe headroom: rack-1 goes from 0 W, over on breaker-a, to what
	// power headroom says of the fixed model.
	head, err := power.Headroom(power.NewNetwork(fixed, o.Basis), power.HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := head.Racks[0]
	if len(a.Headroom) != 1 || a.Headroom[0].Rack != "rack-1" || a.Headroom[0].Old.Safe || a.Headroom[0].Old.Binding != "breaker-a" ||
		*a.Headroom[0].Old.HeadroomW != 0 || !a.Headroom[0].New.Safe || *a.Headroom[0].New.HeadroomW != *want.HeadroomW ||
		a.Headroom[0].New.Binding != want.Binding.Element || a.Headroom[0].DeltaW != math.Round(*want.HeadroomW*100)/100 {
		t.Errorf("headroom: %+v, want rack-1 from 0 W (over: breaker-a) to %v W bound by %s", a.Headroom, *want.HeadroomW, want.Binding.Element)
	} else if got := *a.Headroom[0].New.HeadroomW; math.Abs(got-(0.8*32-24.348)*230) > 1 {
		// By hand: 32 A × 0.8 = 25.6 A of continuous limit, 24.348 A on
		// failover now, 230 V, power factor 1: 1.25 A × 230 V ≈ 288 W.
		t.Errorf("rack-1 headroom after the fix %.2f W, want ≈ 288 W by hand", got)
	}
	undo := Analyze(fixed, old, o)
	if !undo.AddsRisk || undo.RiskyAdded != 48 || undo.Scenarios[0].Change != BecameRisky {
		t.Errorf("undoing the fix: adds risk %v, %d added", undo.AddsRisk, undo.RiskyAdded)
	}
	same := Analyze(old, old, o)
	if same.AddsRisk || len(same.Scenarios) != 0 || len(same.Racks) != 0 || len(same.Headroom) != 0 {
		t.Errorf("a model against itself: %+v", same)
	}
}

var ratingRE = regexp.MustCompile(`rating_a = (\d+)`)

// perturb scales a few random ratings of a generated site.
func perturb(text string, r *rand.Rand) string {
	locs := ratingRE.FindAllStringSubmatchIndex(text, -1)
	var b strings.Builder
	last := 0
	for _, l := range locs {
		v, _ := strconv.Atoi(text[l[2]:l[3]])
		if r.IntN(4) == 0 {
			v = max(1, int(float64(v)*[]float64{0.4, 0.6, 0.8, 1.5, 2}[r.IntN(5)]))
		}
		b.WriteString(text[last:l[2]])
		b.WriteString(strconv.Itoa(v))
		last = l[3]
	}
	b.WriteString(text[last:])
	return b.String()
}

// TestAnalyzeAgainstSweeps compares Analyze with a dumb reference on
// perturbed generated sites: every scenario whose outcome differs between
// the two sweeps is listed with the right change, nothing else is; every
// rack whose failover load moved is listed with the right delta.
func TestAnalyzeAgainstSweeps(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		var buf bytes.Buffer
		if err := generate.Site(&buf, generate.SiteOptions{Racks: 6, PerRack: 10, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(seed, 7))
		old := parse(t, "old.toml", buf.String())
		new := parse(t, "new.toml", perturb(buf.String(), r))
		o := Options{Basis: power.BasisConservative, HorizonS: power.DefaultHorizonS, ToleranceA: 0.01}
		a := Analyze(old, new, o)

		type outcome struct {
			risky                   bool
			verdict                 power.Verdict
			tripped, devices, racks int
		}
		sweep := func(m *topology.Model) (map[string]outcome, power.LoadReport) {
			n := power.NewNetwork(m, o.Basis)
			out := map[string]outcome{}
			for _, sc := range n.Sweep(power.SweepOptions{HorizonS: o.HorizonS}).Scenarios {
				out[strings.Join(sc.Failed, "+")] = outcome{sc.Risky, sc.Verdict, sc.Tripped, len(sc.Dark.Devices), len(sc.Dark.Racks)}
			}
			return out, n.Load()
		}
		so, lo := sweep(old)
		sn, ln := sweep(new)
		listed := map[string]ScenarioChange{}
		for _, c := range a.Scenarios {
			listed[c.Scenario] = c
		}
		for key, n := range sn {
			o := so[key]
			c, ok := listed[key]
			differs := o != n
			interesting := differs && (o.risky || n.risky || o.verdict != n.verdict)
			if interesting != ok {
				t.Errorf("seed %d: scenario %s: old %+v new %+v, listed %v (%+v)", seed, key, o, n, ok, c)
				continue
			}
			if !ok {
				continue
			}
			want := ""
			switch {
			case !o.risky && n.risky:
				want = BecameRisky
			case o.risky && !n.risky:
				want = BecameSafe
			case !o.risky && !n.risky:
				want = VerdictMoved
			case n.verdict > o.verdict || n.tripped > o.tripped || n.devices > o.devices || n.racks > o.racks:
				want = Worse
			default:
				want = Better
			}
			if c.Change != want {
				t.Errorf("seed %d: scenario %s: %s, want %s (%+v → %+v)", seed, key, c.Change, want, o, n)
			}
		}
		if len(listed) > len(sn) {
			t.Errorf("seed %d: %d scenarios listed of %d", seed, len(listed), len(sn))
		}
		worst := func(rep power.LoadReport) map[string]power.SideLoad {
			out := map[string]power.SideLoad{}
			for _, r := range rep.Racks {
				for _, s := range r.Sides {
					if w, ok := out[r.ID]; !ok || s.FailoverPct > w.FailoverPct {
						out[r.ID] = s
					}
				}
			}
			return out
		}
		wo, wn := worst(lo), worst(ln)
		racks := map[string]RackChange{}
		for _, rc := range a.Racks {
			racks[rc.Rack] = rc
		}
		for id, n := range wn {
			o := wo[id]
			moved := math.Abs(n.FailoverA-o.FailoverA) >= 0.01 || n.FailoverVerdict != o.FailoverVerdict || n.Feed != o.Feed || n.RatingA != o.RatingA
			rc, ok := racks[id]
			if moved != ok {
				t.Errorf("seed %d: rack %s moved %v, listed %v", seed, id, moved, ok)
				continue
			}
			if ok && math.Abs(rc.DeltaA-(n.FailoverA-o.FailoverA)) > 0.001 {
				t.Errorf("seed %d: rack %s delta %g, want %g", seed, id, rc.DeltaA, n.FailoverA-o.FailoverA)
			}
		}
		adds := false
		for _, c := range a.Scenarios {
			adds = adds || c.AddsRisk()
		}
		if adds != a.AddsRisk {
			t.Errorf("seed %d: AddsRisk %v, scenarios say %v", seed, a.AddsRisk, adds)
		}
		t.Logf("seed %d: %d scenarios changed (%d add risk), %d racks moved", seed, len(a.Scenarios), a.RiskyAdded, len(a.Racks))
	}
}

func ExampleCompareElements() {
	old, _ := topology.Parse(topology.File{Name: "a.toml", Data: []byte("[site]\nname = \"s\"\n\n[[source]]\nid = \"u\"\nvoltage_v = 230\nphases = 1\n\n[[breaker]]\nid = \"b\"\ninput = \"u\"\nstandard = \"iec60898\"\ncurve = \"C\"\nrating_a = 16\n")})
	new, _ := topology.Parse(topology.File{Name: "b.toml", Data: []byte("[site]\nname = \"s\"\n\n[[source]]\nid = \"u\"\nvoltage_v = 230\nphases = 1\n\n[[breaker]]\nid = \"b\"\ninput = \"u\"\nstandard = \"iec60898\"\ncurve = \"B\"\nrating_a = 20\n")})
	for _, c := range CompareElements(old, new).Changed {
		for _, k := range c.Keys {
			fmt.Printf("%s %s: %s: %s → %s\n", c.Kind, c.ID, k.Key, k.Old, k.New)
		}
	}
	// Output:
	// breaker b: curve: C → B
	// breaker b: rating_a: 16 → 20
}
