package power

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"blackstart/topology"
)

// randomModel generates a small random model for seed, writes it as TOML
// text and parses it: 1–2 sources (single or three phase), optional UPSes
// (some transforming), panels behind optional main breakers (some
// transforming), branch breakers of every standard on random lines,
// circuits, rack PDUs with or without banks (some dual-input), an
// occasional ATS, and devices with 1–3 PSUs, random psus_required and draws
// large enough that some failures overload what survives.
func randomModel(t testing.TB, seed uint64) *topology.Model {
	t.Helper()
	src := randomTOML(seed)
	m, err := topology.Parse(topology.File{Name: fmt.Sprintf("random-%d.toml", seed), Data: []byte(src)})
	if err != nil {
		t.Fatalf("seed %d: generated model does not load: %v\n%s", seed, err, src)
	}
	return m
}

// genSys is an electrical system: voltage (line-to-line for three-phase),
// phases and wiring.
type genSys struct {
	v      float64
	phases int
	delta  bool
}

type genElem struct {
	id   string
	sys  genSys
	rack string // rack PDUs and banks
}

type gen struct {
	rng      *rand.Rand
	b        strings.Builder
	n        int       // ids issued
	circuits []genElem // circuits, candidates for rack PDUs, ATSes and feeds
	feeds    []genElem // where a PSU may plug in
	racks    []string
}

func (g *gen) id(prefix string) string {
	g.n++
	return prefix + strconv.Itoa(g.n)
}

func (g *gen) pick(n int) int { return g.rng.IntN(n) }

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func (g *gen) printf(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

var genSystems = []genSys{{230, 1, false}, {120, 1, false}, {400, 3, false}, {208, 3, false}, {480, 3, true}}

// protection writes the keys of a random protective device.
func (g *gen) protection() {
	switch g.pick(3) {
	case 0:
		g.printf("standard = \"iec60898\"\ncurve = \"%c\"\nrating_a = %d\n", "BCD"[g.pick(3)], []int{6, 10, 16, 20, 25, 32, 40, 63, 80}[g.pick(9)])
	case 1:
		g.printf("standard = \"iec60947-2\"\nrating_a = %d\n", []int{16, 25, 40, 63, 100, 160}[g.pick(6)])
		if g.chance(0.5) {
			lo := 2 + float64(g.pick(7))
			g.printf("instantaneous_x = [%s, %s]\n", num(lo), num(lo+float64(g.pick(6))))
		}
	default:
		g.printf("standard = \"ul489\"\nrating_a = %d\n", []int{15, 20, 30, 40, 50, 60, 100}[g.pick(7)])
		if g.chance(0.3) {
			lo := 3 + float64(g.pick(4))
			g.printf("instantaneous_x = [%s, %s]\n", num(lo), num(lo+float64(1+g.pick(5))))
		}
	}
	if g.chance(0.2) {
		g.printf("continuous_limit = %s\n", []string{"1.0", "0.9", "0.8"}[g.pick(3)])
	}
}

// line picks a connection to a three-phase supply: "" (three-phase), a line
// to neutral (wye only) or a line-to-line pair, and the system it gives.
func (g *gen) line(sup genSys) (string, genSys) {
	if sup.phases != 3 || g.chance(0.35) {
		return "", sup
	}
	if !sup.delta && g.chance(0.5) {
		return []string{"L1", "L2", "L3"}[g.pick(3)], genSys{roundV(sup.v / 1.7320508075688772), 1, false}
	}
	return []string{"L1-L2", "L2-L3", "L3-L1"}[g.pick(3)], genSys{sup.v, 1, false}
}

// roundV keeps line-to-neutral voltages comparable when two circuits meet
// at an ATS (the loader allows 2 %).
func roundV(v float64) float64 { return float64(int(v*1000+0.5)) / 1000 }

// compatible reports whether two circuits may feed one transfer switch.
func compatible(a, b genSys) bool {
	d := a.v - b.v
	if d < 0 {
		d = -d
	}
	return a.phases == b.phases && d <= 0.01*a.v
}

func randomTOML(seed uint64) string {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	g.printf("[site]\nname = \"random-%d\"\ncontinuous_limit = %s\npower_factor = %s\n\n", seed,
		[]string{"0.8", "0.8", "1.0"}[g.pick(3)], []string{"1.0", "0.95", "0.9"}[g.pick(3)])
	for range 1 + g.pick(2) {
		g.racks = append(g.racks, g.id("rack"))
		g.printf("[[rack]]\nid = %q\n\n", g.racks[len(g.racks)-1])
	}
	for range 1 + g.pick(2) {
		sys := genSystems[g.pick(len(genSystems))]
		top := g.id("src")
		g.printf("[[source]]\nid = %q\nvoltage_v = %s\nphases = %d\n", top, num(sys.v), sys.phases)
		if sys.phases == 3 {
			g.printf("wiring = %q\n", map[bool]string{false: "wye", true: "delta"}[sys.delta])
		}
		if g.chance(0.4) {
			g.printf("capacity_kva = %d\n", 5+g.pick(60))
		}
		g.printf("\n")
		if g.chance(0.5) {
			ups := g.id("ups")
			g.printf("[[ups]]\nid = %q\ninput = %q\n", ups, top)
			// A transforming UPS (never three-phase in, single-phase out: the
			// loader rejects that).
			if nsys := genSystems[g.pick(len(genSystems))]; g.chance(0.3) && !(sys.phases == 3 && nsys.phases == 1) {
				sys = nsys
				g.printf("voltage_v = %s\nphases = %d\n", num(sys.v), sys.phases)
				if sys.phases == 3 {
					g.printf("wiring = %q\n", map[bool]string{false: "wye", true: "delta"}[sys.delta])
				}
			}
			kva := 2 + g.pick(30)
			g.printf("capacity_kva = %d\n", kva)
			if g.chance(0.5) {
				g.printf("capacity_kw = %s\n", num(float64(kva)*[]float64{0.8, 0.9, 1}[g.pick(3)]))
			}
			if steps := g.pick(4); steps > 0 {
				g.printf("overload = [")
				pct, ts := 100.0, 1200.0
				for k := range steps {
					pct += float64(5 + g.pick(30))
					ts /= float64(2 + g.pick(10))
					if k > 0 {
						g.printf(", ")
					}
					g.printf("{ load_pct = %s, time_s = %s }", num(pct), num(roundV(ts)))
				}
				g.printf("]\n")
			}
			g.printf("\n")
			top = ups
		}
		for range 1 + g.pick(2) {
			g.panel(top, sys)
		}
	}
	g.transferSwitches()
	g.rackPDUs()
	g.devices()
	return g.b.String()
}

// panel writes a panel below sup, optionally behind a main breaker and
// optionally a transformer, with 1–3 branch circuits.
func (g *gen) panel(sup string, sys genSys) {
	in := sup
	if g.chance(0.6) {
		mb := g.id("main")
		g.printf("[[breaker]]\nid = %q\ninput = %q\n", mb, sup)
		g.protection()
		g.printf("\n")
		in = mb
	}
	p := g.id("panel")
	g.printf("[[panel]]\nid = %q\ninput = %q\n", p, in)
	if g.chance(0.25) {
		nsys := genSystems[g.pick(len(genSystems))]
		if nsys != sys && !(sys.phases == 3 && nsys.phases == 1) {
			sys = nsys
			g.printf("voltage_v = %s\nphases = %d\n", num(sys.v), sys.phases)
			if sys.phases == 3 {
				g.printf("wiring = %q\n", map[bool]string{false: "wye", true: "delta"}[sys.delta])
			}
		}
	}
	if g.chance(0.4) {
		g.printf("rating_a = %d\n", []int{32, 63, 100, 160}[g.pick(4)])
	}
	g.printf("\n")
	for range 1 + g.pick(3) {
		ln, bsys := g.line(sys)
		in := p
		if g.chance(0.85) {
			b := g.id("brk")
			g.printf("[[breaker]]\nid = %q\ninput = %q\n", b, p)
			if ln != "" {
				g.printf("line = %q\n", ln)
			}
			g.protection()
			g.printf("\n")
			in, ln = b, ""
		}
		c := g.id("cir")
		g.printf("[[circuit]]\nid = %q\ninput = %q\n", c, in)
		if ln != "" {
			g.printf("line = %q\n", ln)
		}
		if g.chance(0.2) {
			g.printf("power_factor = %s\n", []string{"0.85", "0.9", "1.0"}[g.pick(3)])
		}
		if g.chance(0.2) {
			g.printf("rating_a = %d\n", []int{16, 20, 32}[g.pick(3)])
		}
		g.printf("\n")
		ce := genElem{id: c, sys: bsys}
		g.circuits = append(g.circuits, ce)
		g.feeds = append(g.feeds, ce)
	}
}

// compatiblePair picks two different circuits that may feed one switch.
func (g *gen) compatiblePair() (genElem, genElem, bool) {
	var pairs [][2]genElem
	for i, a := range g.circuits {
		for _, b := range g.circuits[i+1:] {
			if compatible(a.sys, b.sys) {
				pairs = append(pairs, [2]genElem{a, b})
			}
		}
	}
	if len(pairs) == 0 {
		return genElem{}, genElem{}, false
	}
	p := pairs[g.pick(len(pairs))]
	if g.chance(0.5) {
		p[0], p[1] = p[1], p[0]
	}
	return p[0], p[1], true
}

func (g *gen) transferSwitches() {
	if !g.chance(0.4) {
		return
	}
	a, b, ok := g.compatiblePair()
	if !ok {
		return
	}
	id := g.id("ats")
	g.printf("[[ats]]\nid = %q\ninputs = [%q, %q]\n", id, a.id, b.id)
	if g.chance(0.5) {
		g.printf("preferred = %q\n", b.id)
	}
	if g.chance(0.5) {
		g.printf("rating_a = %d\n", []int{16, 32}[g.pick(2)])
	}
	g.printf("\n")
	g.feeds = append(g.feeds, genElem{id: id, sys: a.sys})
}

func (g *gen) rackPDUs() {
	var circuits []genElem
	for _, c := range g.circuits {
		if g.chance(0.6) {
			circuits = append(circuits, c)
		}
	}
	for _, c := range circuits {
		id := g.id("pdu")
		rack := g.racks[g.pick(len(g.racks))]
		g.printf("[[rack_pdu]]\nid = %q\nrack = %q\n", id, rack)
		if a, b, ok := g.compatiblePair(); ok && g.chance(0.15) {
			c = a
			g.printf("inputs = [%q, %q]\n", a.id, b.id)
		} else {
			g.printf("input = %q\n", c.id)
		}
		if g.chance(0.3) {
			g.printf("rating_a = %d\n", []int{16, 32}[g.pick(2)])
		}
		banks := g.chance(0.6)
		if !banks {
			g.printf("\n")
			g.feeds = append(g.feeds, genElem{id: id, sys: c.sys, rack: rack})
			continue
		}
		for k := range 1 + g.pick(3) {
			bank := fmt.Sprintf("%s-k%d", id, k+1)
			g.printf("  [[rack_pdu.bank]]\n  id = %q\n", bank)
			bsys := c.sys
			if c.sys.phases == 3 {
				var ln string
				for ln == "" {
					ln, bsys = g.line(c.sys)
				}
				g.printf("  line = %q\n", ln)
			}
			g.protection()
			g.feeds = append(g.feeds, genElem{id: bank, sys: bsys, rack: rack})
		}
		g.printf("\n")
	}
}

func (g *gen) devices() {
	for range 2 + g.pick(9) {
		id := g.id("dev")
		rack := g.racks[g.pick(len(g.racks))]
		var feeds []string
		for _, f := range g.feeds {
			if f.rack == "" || f.rack == rack {
				feeds = append(feeds, f.id)
			}
		}
		psus := 1 + g.pick(3)
		req := 1 + g.pick(psus)
		g.printf("[[device_model]]\nid = \"%s-model\"\npsus = %d\npsus_required = %d\ntypical_w = %s\n",
			id, psus, req, num(float64(50+g.pick(45000))/10))
		if g.chance(0.3) {
			g.printf("nameplate_w = %s\n", num(float64(1000+g.pick(60000))/10))
		}
		if g.chance(0.5) {
			g.printf("power_factor = %s\n", []string{"0.8", "0.9", "0.95", "0.99", "1.0"}[g.pick(5)])
		}
		g.printf("\n[[device]]\nid = %q\nrack = %q\nmodel = \"%s-model\"\nfeeds = [", id, rack, id)
		for k := range psus {
			if k > 0 {
				g.printf(", ")
			}
			g.printf("%q", feeds[g.pick(len(feeds))])
		}
		g.printf("]\n\n")
	}
}

// TestRandomModelsLoad: the generator writes valid models of every shape
// the property tests rely on.
func TestRandomModelsLoad(t *testing.T) {
	var ats, dualPDU, xfmr, threePhase, multiPSU int
	for seed := range uint64(300) {
		m := randomModel(t, seed)
		for i := range m.Elements {
			e := &m.Elements[i]
			switch {
			case e.Kind == topology.KindATS:
				ats++
			case e.Kind == topology.KindRackPDU && len(e.Inputs) == 2:
				dualPDU++
			case len(e.Inputs) == 1 && setsVoltage(m, i, int(e.Inputs[0])):
				xfmr++
			case e.Phases == 3 && len(e.Inputs) == 0:
				threePhase++
			}
		}
		for _, d := range m.Devices {
			if len(d.Feeds) > 1 {
				multiPSU++
			}
		}
	}
	for _, c := range []struct {
		what string
		n    int
	}{{"transfer switches", ats}, {"dual-input rack PDUs", dualPDU}, {"transformers", xfmr}, {"three-phase sources", threePhase}, {"multi-PSU devices", multiPSU}} {
		if c.n < 10 {
			t.Errorf("300 random models: got %d %s, want at least 10", c.n, c.what)
		}
	}
}
