package power

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"blackstart/topology"
)

// TestBudgetPhasorCase: DESIGN.md's 208 V wye case (L1-L2 3,000 W, L2-L3
// 2,000 W, L3-L1 1,000 W, PF 1; lines 17.33 / 20.96 / 12.72 A) behind a
// 30 A breaker with the 80 % continuous limit: 24 A per line. Adding
// 1,300 W to the L2-L3 load gives I_L2 = |15.87∠−90° − 14.42∠30°| =
// |−12.49 − j23.08| = 26.24 A: the line budget refuses it, though the
// balanced approximation (0.8 × 30 A × 208 V × √3 = 8,646 W) accepts the
// 7,300 W total. 500 W more gives |−12.49 − j19.23| = 22.93 A: accepted.
func TestBudgetPhasorCase(t *testing.T) {
	m := loadFiles(t, "testdata/phasor-208y.toml")
	n := NewNetwork(m, BasisTypical)
	b := NewBudget(n)
	l := b.Load(n.DrawW)
	if over := l.Over(); len(over) != 0 {
		t.Fatalf("normal draws: got %v over, want none (worst line 20.96 A < 24 A)", over)
	}
	if r, ok := l.Headroom(elem(t, m, "brk")); !ok || !near(r, 20.96/24, 0.001) {
		t.Errorf("brk headroom: got %.4f (%v), want 20.96 / 24 = %.4f", r, ok, 20.96/24)
	}
	d := device(t, m, "dev-l23")
	balanced := 0.8 * 30 * 208 * math.Sqrt(3) * 1.0
	if total := 6000.0 + 1300; total > balanced {
		t.Fatalf("setup: %g W is over the balanced budget %g W; the case needs one it accepts", total, balanced)
	}
	ok, bind := l.Why(d, 1300)
	if l.Fits(d, 1300) != ok {
		t.Errorf("Fits and Why disagree on +1,300 W")
	}
	if ok || bind.Element != "brk" || !near(bind.LoadA, 26.24, 0.01) || bind.LimitA != 24 {
		t.Errorf("+1,300 W on L2-L3: got fits %v, binding %+v; want refused by brk at 26.24 A against 24 A", ok, bind)
	}
	if ok, bind := l.Why(d, 500); !ok || !l.Fits(d, 500) {
		t.Errorf("+500 W on L2-L3: refused by %v, want accepted (22.93 A)", bind)
	}
	// The predicate says the same on the whole model.
	add := make([]float64, len(m.Devices))
	add[d] = 1300
	if safe, over := n.N1Safe(add); safe || len(over) != 1 || over[0].Element != "brk" {
		t.Errorf("N1Safe(+1,300 W): got %v, %v; want unsafe, brk", safe, over)
	}
	add[d] = 500
	if safe, over := n.N1Safe(add); !safe {
		t.Errorf("N1Safe(+500 W): got unsafe, %v", over)
	}
}

// TestBudgetFailoverCase: in the incident rack each 16 A side holds 2,800
// W in normal operation and must hold the whole 5,600 W on failover: the
// failover case is 24.35 A against 12.8 A (0.8 × 16 A); what binds is the
// breaker, and even an empty rack half as full (2,800 W: 12.17 A) fits.
func TestBudgetFailoverCase(t *testing.T) {
	m := loadFiles(t, "../examples/incident-2019.toml")
	n := NewNetwork(m, BasisConservative)
	safe, over := n.N1Safe(nil)
	if safe || len(over) < 2 || over[0].Kind != "breaker" || !near(over[0].LoadA, 24.35, 0.01) || over[0].LimitA != 12.8 {
		t.Fatalf("incident: got safe %v, %v; want unsafe, both breakers at 24.35 A against 12.8 A", safe, over)
	}
	// What binds, in words: the ratio as a percentage (24.35 / 12.8 = 190 %).
	if got, want := over[0].String(), "breaker breaker-a would carry 24.35 A on failover against its limit of 12.80 A (190 %)"; got != want {
		t.Errorf("Binding.String:\n got %s\nwant %s", got, want)
	}
	half := make([]float64, len(m.Devices))
	for d := range half {
		half[d] = -n.DrawW[d] / 2
	}
	if safe, over := n.N1Safe(half); !safe {
		t.Errorf("half the draw (12.17 A on failover): got unsafe, %v", over)
	}
}

// TestPropertyBudget: on random models, start every device at 40 % of its
// draw ("idle"), then offer random extra draws and keep those the budget
// accepts (BudgetLoad.Fits, as the planner does). Sweep both states: no
// scenario of the loaded state ends worse than at idle, and no element is
// overloaded in it that was not, at the same load, at idle: the budget
// allows only loads that stay within every limit on failover.
func TestPropertyBudget(t *testing.T) {
	added, compared := 0, 0
	for seed := range uint64(propertyModels()) {
		m := randomModel(t, seed)
		base := NewNetwork(m, basisFor(seed))
		idle := make([]float64, len(m.Devices))
		for d := range idle {
			idle[d] = 0.4 * base.DrawW[d]
		}
		idleNet := NewNetworkDraws(m, base.Basis, idle)
		l := NewBudget(idleNet).Load(idle)
		end := append([]float64(nil), idle...)
		rng := rand.New(rand.NewPCG(seed, 17))
		for range 4 * len(m.Devices) {
			d := rng.IntN(len(m.Devices))
			w := rng.Float64() * base.DrawW[d]
			if ok, _ := l.Why(d, w); ok != l.Fits(d, w) {
				t.Fatalf("seed %d: Fits and Why disagree on %g W more on %s", seed, w, m.Devices[d].ID)
			} else if ok {
				l.Add(d, w)
				end[d] += w
				added++
			}
		}
		if over := l.Over(); len(over) > 0 && len(NewBudget(idleNet).Load(idle).Over()) == 0 {
			t.Fatalf("seed %d: the budget accepted draws that put %v over", seed, over)
		}
		a := idleNet.Sweep(SweepOptions{})
		b := NewNetworkDraws(m, base.Basis, end).Sweep(SweepOptions{})
		before := map[string]Scenario{}
		for _, sc := range a.Scenarios {
			before[sc.Failed[0]] = sc
		}
		for _, sc := range b.Scenarios {
			was := before[sc.Failed[0]]
			if sc.Outcome > was.Outcome {
				t.Fatalf("seed %d, failure of %s: outcome %s with the budget's draws, %s at idle", seed, sc.Failed[0], sc.Outcome, was.Outcome)
			}
			idleOver := map[string]Overload{}
			for _, o := range was.Overloads {
				idleOver[o.Element] = o
			}
			for _, o := range sc.Overloads {
				w, ok := idleOver[o.Element]
				if !ok || o.Verdict > w.Verdict {
					t.Fatalf("seed %d, failure of %s: %s is %s at %.3f A with the budget's draws; at idle %s at %.3f A", seed, sc.Failed[0], o.Element, o.Verdict, o.CurrentA, w.Verdict, w.CurrentA)
				}
			}
			compared++
		}
	}
	t.Logf("%d extra draws accepted, %d scenarios compared", added, compared)
	if added < perModels(1500) {
		t.Errorf("only %d extra draws accepted: the property is not exercised", added)
	}
}

// TestPropertyReachable: on random models, the budget restricted to what
// draws up to a maximum can reach answers Fits exactly as the full one for
// any draws within that maximum.
func TestPropertyReachable(t *testing.T) {
	dropped := 0
	for seed := range uint64(propertyModels()) {
		m := randomModel(t, seed)
		n := NewNetwork(m, basisFor(seed))
		full := NewBudget(n)
		maxW := make([]float64, len(m.Devices))
		for d := range maxW {
			maxW[d] = n.DrawW[d] * 0.7
		}
		part := full.Reachable(maxW)
		dropped += len(full.elems) - len(part.elems)
		rng := rand.New(rand.NewPCG(seed, 99))
		draw := make([]float64, len(m.Devices))
		lf, lp := full.Load(draw), part.Load(draw)
		for range 3 * len(m.Devices) {
			d := rng.IntN(len(m.Devices))
			w := rng.Float64() * (maxW[d] - draw[d])
			if a, b := lf.Fits(d, w), lp.Fits(d, w); a != b {
				t.Fatalf("seed %d: +%g W on %s: full budget says %v, reachable part %v", seed, w, m.Devices[d].ID, a, b)
			}
			if lf.Fits(d, w) {
				lf.Add(d, w)
				lp.Add(d, w)
				draw[d] += w
			}
		}
	}
	if dropped == 0 {
		t.Errorf("no element dropped: the restriction is not exercised")
	}
}

// TestTermsForMatchesNewBudget: the per-device walk of NewBudget (stamps
// reused from device to device) and termsFor (one hypothetical device, as
// Probe uses it) give every device the same terms, on the examples and on
// a three-phase generated site.
func TestTermsForMatchesNewBudget(t *testing.T) {
	for name, files := range map[string][]string{
		"small-dc": smallDC,
		"incident": {"../examples/incident-2019.toml"},
	} {
		n := NewNetwork(loadFiles(t, files...), BasisConservative)
		b := NewBudget(n)
		checked := 0
		for d := range n.M.Devices {
			off := int(n.psuOff[d])
			got := b.termsFor(n.M.Devices[d].Feeds, n.psuUnit[off:off+len(n.M.Devices[d].Feeds)], n.qf[d], b.index)
			want := b.terms[d]
			if len(got) != len(want) {
				t.Fatalf("%s device %s: termsFor gives %d terms, NewBudget %d", name, n.M.Devices[d].ID, len(got), len(want))
			}
			for i := range got {
				if got[i].g != want[i].g || got[i].q != want[i].q || !samePhasors(got[i].unit, want[i].unit) {
					t.Fatalf("%s device %s term %d: termsFor %+v, NewBudget %+v", name, n.M.Devices[d].ID, i, got[i], want[i])
				}
			}
			checked += len(got)
		}
		if checked == 0 {
			t.Fatalf("%s: no budget terms compared", name)
		}
	}
}

// TestProberMatchesProbe: the Prober's probes, built from shared walks,
// are Budget.Probe's exactly, for every slot of every rack (one to three
// PSUs) on the examples and a generated site.
func TestProberMatchesProbe(t *testing.T) {
	for name, m := range map[string]*topology.Model{
		"incident": loadFiles(t, "../examples/incident-2019.toml"),
		"small-dc": loadFiles(t, smallDC...),
		"gen-20":   genModel(t, 20, 10),
	} {
		n := NewNetwork(m, BasisConservative)
		b := NewBudget(n)
		pr := b.NewProber()
		sides := rackSides(m)
		count := 0
		for r := range m.Racks {
			for psus := 1; psus <= 3; psus++ {
				for _, s := range slotsOf(r, sides[r], psus) {
					for _, pf := range []float64{1, 0.95} {
						want, got := b.Probe(s.Feeds, pf), pr.Probe(s.Feeds, pf)
						if !reflect.DeepEqual(want, got) {
							t.Fatalf("%s: slot %v at pf %g: Prober %+v, Probe %+v", name, s.Feeds, pf, got, want)
						}
						count++
					}
				}
			}
		}
		if count == 0 {
			t.Errorf("%s: no slot compared", name)
		}
	}
}

// TestBudgetedByKind: what the budget keeps and each limit's ratio. At PF
// 0.8, four dual-corded 1,000 W servers put all 4,000 W on either UPS on
// failover (3,000 var, 5,000 VA): a UPS rated in kW alone is at 4,000 /
// 10,000 W = 0.4, one rated in kVA alone at 5,000 / 10,000 VA = 0.5; a
// source without a capacity and a rack PDU without a rating have no limit
// and are not budgeted.
func TestBudgetedByKind(t *testing.T) {
	m := parseText(t, "kinds.toml", `[site]
power_factor = 0.8
[[source]]
id = "grid"
voltage_v = 230
[[ups]]
id = "ups-w"
input = "grid"
capacity_kw = 10
overload = [{ load_pct = 110, time_s = 600 }]
[[ups]]
id = "ups-va"
input = "grid"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }]
[[rack]]
id = "r1"
[[rack_pdu]]
id = "pdu-w"
rack = "r1"
input = "ups-w"
[[rack_pdu]]
id = "pdu-va"
rack = "r1"
input = "ups-va"
[[device_model]]
id = "srv"
psus = 2
psus_required = 1
typical_w = 1000
[[device]]
id = "s%d"
count = 4
rack = "r1"
model = "srv"
feeds = ["pdu-w", "pdu-va"]
`)
	n := NewNetwork(m, BasisTypical)
	l := NewBudget(n).Load(n.DrawW)
	for _, c := range []struct {
		id       string
		budgeted bool
		ratio    float64
	}{{"grid", false, 0}, {"ups-w", true, 0.4}, {"ups-va", true, 0.5}, {"pdu-w", false, 0}, {"pdu-va", false, 0}} {
		e, _ := m.ElementIndex(c.id)
		r, ok := l.Headroom(e)
		if ok != c.budgeted || !near(r, c.ratio, 1e-9) {
			t.Errorf("%s: got budgeted %v, ratio %.6f; want %v, %g", c.id, ok, r, c.budgeted, c.ratio)
		}
	}
}

// TestFitsAtTheLimit: a load exactly at a limit fits, a watt more does
// not, for each kind of limit (PF 1, 230 V, one PSU per device, 1,000 W
// each): a 16 A breaker's 12.8 A is 2,944 W, so 1,944 W more fits and
// 1,945 W does not; a 10 kW UPS and a 10 kVA UPS take 9,000 W more, not
// 9,001. Fits (the planner's squared test) and Why agree. MaxProbe
// finds the same 1,944 W, and no limit where nothing above is budgeted;
// Worst names the highest ratio even below every limit.
func TestFitsAtTheLimit(t *testing.T) {
	m := parseText(t, "limits.toml", `[site]
power_factor = 1
[[source]]
id = "grid"
voltage_v = 230
[[breaker]]
id = "brk"
input = "grid"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "c-brk"
input = "brk"
[[ups]]
id = "ups-w"
input = "grid"
capacity_kw = 10
overload = [{ load_pct = 110, time_s = 600 }]
[[circuit]]
id = "c-w"
input = "ups-w"
[[ups]]
id = "ups-va"
input = "grid"
capacity_kva = 10
overload = [{ load_pct = 110, time_s = 600 }]
[[circuit]]
id = "c-va"
input = "ups-va"
[[circuit]]
id = "c-free"
input = "grid"
[[rack]]
id = "r1"
[[device_model]]
id = "srv"
typical_w = 1000
[[device]]
id = "on-brk"
rack = "r1"
model = "srv"
feeds = ["c-brk"]
[[device]]
id = "on-w"
rack = "r1"
model = "srv"
feeds = ["c-w"]
[[device]]
id = "on-va"
rack = "r1"
model = "srv"
feeds = ["c-va"]
`)
	n := NewNetwork(m, BasisTypical)
	l := NewBudget(n).Load(n.DrawW)
	for _, c := range []struct {
		dev     string
		fits    float64
		binding string
	}{{"on-brk", 1944, "brk"}, {"on-w", 9000, "ups-w"}, {"on-va", 9000, "ups-va"}} {
		d := device(t, m, c.dev)
		if !l.Fits(d, c.fits) {
			t.Errorf("%s + %g W (exactly at %s's limit): Fits false, want true", c.dev, c.fits, c.binding)
		}
		if ok, w := l.Why(d, c.fits); !ok {
			t.Errorf("%s + %g W: Why says over (%v), want within", c.dev, c.fits, w)
		}
		if l.Fits(d, c.fits+1) {
			t.Errorf("%s + %g W (1 W over %s's limit): Fits true, want false", c.dev, c.fits+1, c.binding)
		}
		if ok, w := l.Why(d, c.fits+1); ok || w.Element != c.binding {
			t.Errorf("%s + %g W: Why got ok %v, %v; want %s over", c.dev, c.fits+1, ok, w, c.binding)
		}
	}
	// Worst: the highest ratio even when all are within their limits
	// (brk: 1,000 W / 230 V = 4.3478 A of 12.8 A = 0.3397; the UPSes 0.1);
	// LineCurrents: 4.3478 A on the one line of brk and of each UPS, none
	// for the source.
	if w := l.Worst(); w.Element != "brk" || !near(w.Ratio, 0.3397, 1e-9) {
		t.Errorf("Worst: got %+v, want brk at 0.3397", w)
	}
	for _, id := range []string{"brk", "ups-w", "ups-va"} {
		e, _ := m.ElementIndex(id)
		if a, ok := l.LineCurrents(e); !ok || !near(a[0], 1000.0/230, 1e-9) || a[1] != 0 || a[2] != 0 {
			t.Errorf("LineCurrents(%s): got %v, %v; want [4.3478 0 0], true", id, a, ok)
		}
	}
	grid, _ := m.ElementIndex("grid")
	if _, ok := l.LineCurrents(grid); ok {
		t.Errorf("LineCurrents(grid): budgeted, want not (a source without capacity)")
	}
	// MaxProbe: a new device on c-brk can draw the 1,944 W left under
	// brk's limit; on c-free (nothing budgeted above) without limit.
	b := NewBudget(n)
	for _, c := range []struct {
		feed, binding string
		w             float64
	}{{"c-brk", "brk", 1944}, {"c-w", "ups-w", 9000}, {"c-va", "ups-va", 9000}, {"c-free", "", math.Inf(1)}} {
		e, _ := m.ElementIndex(c.feed)
		w, bind := l.MaxProbe(b.Probe([]int32{int32(e)}, 1))
		if !near(w, c.w, 1e-6) && w != c.w || bind.Element != c.binding {
			t.Errorf("MaxProbe on %s: got %g W, %+v; want %g W, binding %q", c.feed, w, bind, c.w, c.binding)
		}
	}
	// Reachable keeps the elements the devices' largest draws could put
	// over: none at exactly 2,944, 10,000 and 10,000 W, all three a watt
	// above.
	for _, c := range []struct {
		maxW float64
		kept bool
	}{{0, false}, {1, true}} {
		maxW := make([]float64, len(m.Devices))
		maxW[device(t, m, "on-brk")], maxW[device(t, m, "on-w")], maxW[device(t, m, "on-va")] = 2944+c.maxW, 10000+c.maxW, 10000+c.maxW
		rb := b.Reachable(maxW)
		for _, feed := range []string{"c-brk", "c-w", "c-va"} {
			e, _ := m.ElementIndex(feed)
			if got := len(rb.Elements(rb.Probe([]int32{int32(e)}, 1))) == 1; got != c.kept {
				t.Errorf("Reachable at %+g W over the limits: the element above %s kept %v, want %v", c.maxW, feed, got, c.kept)
			}
		}
	}
	// N1Safe: exactly at every limit is safe; over, the elements are
	// listed furthest over first (the reverse of the model's order): ups-va
	// at 13,000 / 10,000 VA = 1.3, ups-w 11,500 / 10,000 W = 1.15, brk
	// 3,000 W / 230 V = 13.04 A of 12.8 A = 1.0190.
	add := make([]float64, len(m.Devices))
	add[device(t, m, "on-brk")], add[device(t, m, "on-w")], add[device(t, m, "on-va")] = 1944, 9000, 9000
	if safe, over := n.N1Safe(add); !safe {
		t.Errorf("N1Safe exactly at every limit: got over %v, want safe", over)
	}
	add[device(t, m, "on-brk")], add[device(t, m, "on-w")], add[device(t, m, "on-va")] = 2000, 10500, 12000
	safe, over := n.N1Safe(add)
	var got []string
	for _, b := range over {
		got = append(got, fmt.Sprintf("%s %.4f %.2f/%.2f A", b.Element, b.Ratio, b.LoadA, b.LimitA))
	}
	// A UPS's limit in amps is the current at its rating: 10 kW (10 kVA at
	// PF 1) / 230 V = 43.48 A.
	if want := "ups-va 1.3000 56.52/43.48 A, ups-w 1.1500 50.00/43.48 A, brk 1.0190 13.04/12.80 A"; safe || strings.Join(got, ", ") != want {
		t.Errorf("N1Safe over the limits: got safe %v, %s; want %s", safe, strings.Join(got, ", "), want)
	}
}
