package generate

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// SiteOptions says what Site builds.
type SiteOptions struct {
	Racks   int    // racks in the site, >= 1; every ten racks form a row with its own panels
	PerRack int    // devices in every rack, 1..99 (ids r0001-s01 … r0001-s99)
	Seed    uint64 // seeds the PCG source: same options, same bytes
	// Progress, when set, is called after each row of racks is written
	// with the racks written so far and Racks.
	Progress func(done, total int)
}

// Electrical choices of the generated site. Currents are computed as the
// power analysis does: a line-to-neutral load draws P / (V_LN · PF).
const (
	genVoltageV  = 400.0 // utility and distribution voltage, line to line, 400Y/230 V
	genPF        = 0.95  // site power factor (servers with active PFC)
	genLimit     = 0.8   // continuous-load limit, fraction of In
	genRowRacks  = 10    // racks per row; each row has one panel per side
	genBankA     = 16.0  // rack PDU bank breaker, IEC 60898-1 curve C, amperes
	genUPSMargin = 1.3   // one UPS carries the whole site's peak draw × this
	genUPSPF     = 0.9   // UPS output power factor rating: kW = 0.9 × kVA
	genNaiveFrac = 10    // one rack in genNaiveFrac has naively sized circuits
)

var (
	// genBranchA are the branch breaker sizes; the rack PDU behind a branch
	// of genBranchA[i] has i+1 banks of genBankA per line.
	genBranchA = [...]float64{16, 32, 63}
	// genSingleA are the single-phase branch breaker sizes of the naively
	// sized racks (IEC 60898-1 preferred ratings).
	genSingleA = [...]float64{16, 20, 25, 32, 40, 50, 63}
	// genFrameA are standard IEC 60947-2 frame ratings for the row mains.
	genFrameA = [...]float64{100, 160, 250, 400, 630, 800, 1000, 1250, 1600, 2000, 2500, 3200, 4000, 5000, 6300}
	// genPSUW are standard server PSU output ratings, watts.
	genPSUW = [...]float64{495, 550, 750, 1100, 1400, 1600, 2000}
	// genR10 is the R10 preferred-number series (ISO 3), in hundredths,
	// on which the UPS ratings are rounded up.
	genR10 = [...]int{100, 125, 160, 200, 250, 315, 400, 500, 630, 800}
)

// genVLN is the line-to-neutral voltage of the 400Y/230 V system, 400 / √3.
const genVLN = 230.94010767585030

// Site writes one realistic, valid TOML model of a site with o.Racks
// racks of o.PerRack dual-corded servers to w. The output is a function of
// o alone: randomness comes from a PCG source seeded with o.Seed.
//
// The site: utility feeds feed-a and feed-b (400 V, three-phase wye), each
// behind a UPS (ups-a, ups-b) sized so that one carries the whole site's
// peak draw with 30 % margin. Every row of ten racks has, per side, an
// IEC 60947-2 main breaker and a panel; every rack has, per side, a 3-pole
// IEC 60898-1 curve C branch breaker (16, 32 or 63 A), a three-phase
// circuit and a rack PDU with 16 A banks on L1, L2 and L3 (one, two or three
// per line). A rack's devices are one [[device]] group of one SPECpower
// system; device k plugs into bank k of PDU A and bank k of PDU B, so the
// load spreads over the three lines. Only rack servers are drawn: towers
// and multi-node chassis are skipped (see specPowerResults), so every
// device is one node and a rack of PerRack servers stays plausible. Draws
// are the published figures: idle_w at active idle, typical_w at 50 %
// load, peak_w at 100 %; psu_rating_w the smallest standard PSU at or
// above 1.3 × peak. No nameplate_w is written (the SPECpower results do not
// give one), so the analysis's conservative basis is the peak draw, and the
// generated planner sizes everything for the peak draw too (specPlanned).
//
// Branch circuits are sized for failover: the rack's whole peak draw on
// one side stays within 80 % of In on every line and every bank. One rack
// in ten is sized the naive way instead, for its normal half-load, and such
// a rack gets the densest system for which that makes a difference, when
// one exists: the rack of the motivating incident, whose surviving breaker
// trips when the other side fails.
//
// Roles: about 5 % of racks are internal (at least one), 10 % db (at least
// one when there are two racks), the rest app. Workloads are proportional to
// the nodes: etcd (three members on internal nodes), one internal service
// per two internal nodes, one two-instance database per two db nodes (pinned
// to them), and one two-instance app class per app node.
func Site(w io.Writer, o SiteOptions) error {
	if o.Racks < 1 {
		return fmt.Errorf("generate: racks must be >= 1, got %d", o.Racks)
	}
	if o.PerRack < 1 || o.PerRack > 99 {
		return fmt.Errorf("generate: devices per rack must be 1 to 99, got %d", o.PerRack)
	}
	g := &generator{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x626c61636b737461))} // "blacksta"
	if err := g.plan(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	g.w = genWriter{w: bw}
	g.write()
	return bw.Flush()
}

type generator struct {
	o   SiteOptions
	rng *rand.Rand
	w   genWriter

	racks      []genRack
	rows       []genRow
	sysUsed    []bool   // per specPowerResults entry
	siteW      float64  // peak draw of the whole site, W
	byRole     [3][]int // rack indices per role, in rack order
	rackDigits int      // digits of rack numbers
	models     []string // device model id per specPowerResults entry
}

type genRole uint8

const (
	roleApp genRole = iota
	roleDB
	roleInternal
)

var genRoleNames = [...]string{"app", "db", "internal"}

type genRack struct {
	id     string
	role   genRole
	sys    int  // index into specPowerResults
	naive  bool // single-phase branch sized for the normal half-load only
	branch int  // index into genBranchA (three-phase racks)
	single int  // index into genSingleA (naive racks)
	line   int  // naive racks: the line (0..2) their single-phase circuits hang off
	// undersized: naive, and the branch cannot carry the whole rack on
	// one side (where the two sizings agree, naive makes no difference).
	undersized bool
}

type genRow struct {
	id     string
	first  int     // index of the first rack
	n      int     // racks in the row
	mainA  float64 // main breaker rating, A
	worstA float64 // worst line current with the whole row on one side, A
}

func genCeilDiv(a, b int) int { return (a + b - 1) / b }

// genBranchFor returns the index into genBranchA of the smallest branch that
// carries perRack devices of drawW watts each within the continuous limit
// on its worst line and its worst bank, or -1 when none does.
func genBranchFor(perRack int, drawW float64) int {
	perDevA := drawW / (genVLN * genPF)
	lineA := float64(genCeilDiv(perRack, 3)) * perDevA
	for i, in := range genBranchA {
		bankA := float64(genCeilDiv(perRack, 3*(i+1))) * perDevA
		if lineA <= genLimit*in && bankA <= genLimit*genBankA {
			return i
		}
	}
	return -1
}

// genSingleFor returns the index into genSingleA of the smallest
// single-phase branch that carries perRack devices of drawW watts each within
// the continuous limit, or -1 when none does.
func genSingleFor(perRack int, drawW float64) int {
	a := float64(perRack) * drawW / (genVLN * genPF)
	for i, in := range genSingleA {
		if a <= genLimit*in {
			return i
		}
	}
	return -1
}

// plan decides every rack's role, system and sizing, the rows' mains and
// the totals, before anything is written.
func (g *generator) plan() error {
	n, m := g.o.Racks, g.o.PerRack
	g.rackDigits = max(4, len(strconv.Itoa(n)))
	g.racks = make([]genRack, n)
	for i := range g.racks {
		g.racks[i].id = "r" + genPad(i+1, g.rackDigits)
	}

	// Roles: exact proportions at random positions.
	nInternal := max(1, (n+10)/20)
	nDB := (n + 5) / 10
	if n >= 2 {
		nDB = max(1, nDB)
	}
	// nInternal + nDB <= n from one rack up (TestSiteRoles), so no cap is needed.
	perm := g.rng.Perm(n)
	for k, i := range perm {
		switch {
		case k < nInternal:
			g.racks[i].role = roleInternal
		case k < nInternal+nDB:
			g.racks[i].role = roleDB
		}
	}
	for k, i := range g.rng.Perm(n) {
		g.racks[i].naive = k < (n+genNaiveFrac/2)/genNaiveFrac
	}

	// Systems and branch sizes. fail and half are each system's branch
	// size for the whole rack and for half of it (-1: none fits).
	type fit struct {
		fail     int  // three-phase branch for the whole rack on one side
		half     int  // single-phase branch for the normal half-load (naive racks)
		trips    bool // the naive branch is past its no-trip current on failover
		ramKnown bool
	}
	fits := make([]fit, len(specPowerResults))
	for s := range specPowerResults {
		sp := &specPowerResults[s]
		_, ram := parseSpecConfig(sp.Config)
		w := sp.LoadW[specPlanned]
		f := fit{fail: genBranchFor(m, w), half: genSingleFor(m, w/2), ramKnown: ram > 0}
		if f.half >= 0 {
			f.trips = float64(m)*w/(genVLN*genPF) > 1.13*genSingleA[f.half]
		}
		fits[s] = f
	}
	g.sysUsed = make([]bool, len(specPowerResults))
	var cand, pref []int
	naive := 0
	for i := range g.racks {
		r := &g.racks[i]
		cand, pref = cand[:0], pref[:0]
		for s, f := range fits {
			switch {
			case specPowerResults[s].Weight == 0:
			case !f.ramKnown: // nodes need a known memory size to host workloads
			case r.naive && f.half >= 0:
				cand = append(cand, s)
				if f.trips {
					pref = append(pref, s)
				}
			case !r.naive && f.fail >= 0:
				cand = append(cand, s)
			}
		}
		if len(pref) > 0 {
			cand = pref
		}
		if len(cand) == 0 {
			return fmt.Errorf("generate: no system fits a rack of %d devices", m)
		}
		r.sys = g.pick(cand)
		f := fits[r.sys]
		r.branch = f.fail
		if r.naive {
			r.single, r.line = f.half, naive%3
			r.undersized = float64(m)*specPowerResults[r.sys].LoadW[specPlanned]/(genVLN*genPF) > genLimit*genSingleA[f.half]
			naive++
		}
		g.sysUsed[r.sys] = true
		g.byRole[r.role] = append(g.byRole[r.role], i)
		g.siteW += float64(m) * specPowerResults[r.sys].LoadW[specPlanned]
	}

	// Rows and their main breakers, sized for the row's failover load.
	rowW := max(3, len(strconv.Itoa(genCeilDiv(n, genRowRacks))))
	for first := 0; first < n; first += genRowRacks {
		row := genRow{id: "row-" + genPad(len(g.rows)+1, rowW), first: first, n: min(genRowRacks, n-first)}
		var lineW [3]float64
		for _, r := range g.racks[first : first+row.n] {
			w := specPowerResults[r.sys].LoadW[specPlanned]
			if r.naive {
				lineW[r.line] += float64(m) * w // a single-phase rack sits on one line
				continue
			}
			for l := range 3 {
				lineW[l] += float64(genCeilDiv(m-l, 3)) * w // devices k ≡ l (mod 3) sit on line l
			}
		}
		row.worstA = max(lineW[0], lineW[1], lineW[2]) / (genVLN * genPF)
		row.mainA = genFrameFor(row.worstA)
		g.rows = append(g.rows, row)
	}

	g.models = make([]string, len(specPowerResults))
	for s := range specPowerResults {
		g.models[s] = genSlug(specPowerResults[s].System)
	}
	return nil
}

// pick draws one of the systems cand by weight.
func (g *generator) pick(cand []int) int {
	total := 0
	for _, s := range cand {
		total += specPowerResults[s].Weight
	}
	x := g.rng.IntN(total)
	for _, s := range cand {
		x -= specPowerResults[s].Weight
		if x < 0 {
			return s
		}
	}
	panic("topology: weighted pick out of range")
}

// parseSpecConfig reads the core count ("16c") and memory ("24GB") of a
// SPECpower configuration; 0 when not given.
func parseSpecConfig(cfg string) (cores, ramGiB float64) {
	for _, f := range strings.Fields(cfg) {
		if v, ok := strings.CutSuffix(f, "GB"); ok {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				ramGiB = x
			}
		} else if v, ok := strings.CutSuffix(f, "c"); ok {
			if x, err := strconv.Atoi(v); err == nil {
				cores = float64(x)
			}
		}
	}
	return cores, ramGiB
}

// genSlug turns a system name into a model id: "Dell PowerEdge R620" →
// "dell-poweredge-r620".
func genSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

func genPad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

// genFrameFor returns the smallest frame rating of genFrameA (A) that
// carries worstA amperes within the continuous limit, or the largest one
// when none does.
func genFrameFor(worstA float64) float64 {
	for _, in := range genFrameA {
		if worstA <= genLimit*in {
			return in
		}
	}
	return genFrameA[len(genFrameA)-1]
}

// genPSUFor returns the smallest standard PSU rating at or above 1.3 × peak.
func genPSUFor(peakW float64) float64 {
	for _, w := range genPSUW {
		if w >= 1.3*peakW {
			return w
		}
	}
	return genPSUW[len(genPSUW)-1]
}

// genR10Ceil rounds x >= 1 up on the R10 series.
func genR10Ceil(x float64) float64 {
	for k := 0; ; k++ {
		for _, v := range genR10 {
			if f := float64(v) * math.Pow10(k) / 100; f >= x {
				return f
			}
		}
	}
}

// ── Output ─────────────────────────────────────────────────────────────

func (g *generator) write() {
	w := &g.w
	o := g.o
	undersized := 0
	for _, r := range g.racks {
		if r.undersized {
			undersized++
		}
	}
	fmt.Fprintf(w.w, header+" generate --racks %d --per-rack %d --seed %d`:\n", o.Racks, o.PerRack, o.Seed)
	fmt.Fprintf(w.w, "# %s in %s, %s, %.1f kW peak draw (SPECpower 100 %% load).\n",
		count(o.Racks, "rack"), count(len(g.rows), "row"), count(o.Racks*o.PerRack, "device"), g.siteW/1000)
	w.line("# Branch circuits hold the whole rack on one side within 80 % of In, except")
	fmt.Fprintf(w.w, "# on %d rack(s) sized for the normal half-load only (marked below).\n\n", undersized)

	w.line("[site]")
	w.str("name", fmt.Sprintf("generated-%dx%d-seed%d", o.Racks, o.PerRack, o.Seed))
	genSiteAndUPS(w, g.siteW)

	for s, used := range g.sysUsed {
		if !used {
			continue
		}
		sp := &specPowerResults[s]
		cores, ram := parseSpecConfig(sp.Config)
		psu := genPSUFor(sp.LoadW[specPeak])
		w.blank()
		w.line("# " + sp.System + ", " + sp.Config + ": SPECpower_ssj2008 " + sp.URL)
		w.line("[[device_model]]")
		w.str("id", g.models[s])
		w.str("manufacturer", strings.Fields(sp.System)[0])
		w.int("psus", 2)
		w.int("psus_required", 1)
		w.num("psu_rating_w", psu)
		w.num("typical_w", sp.LoadW[specTypical])
		w.num("idle_w", sp.IdleW)
		w.num("peak_w", sp.LoadW[specPeak])
		w.num("ram_gib", ram) // > 0: plan draws only systems of known memory
		if cores > 0 {
			w.num("cpu_cores", cores)
		}
	}

	done := 0
	for i := range g.rows {
		g.writeRow(&g.rows[i])
		done += g.rows[i].n
		if o.Progress != nil {
			o.Progress(done, o.Racks)
		}
	}
	g.writeWorkloads()
}

func (g *generator) writeRow(row *genRow) {
	genRowMains(&g.w, row, g.racks[row.first].id, g.racks[row.first+row.n-1].id)
	for i := row.first; i < row.first+row.n; i++ {
		g.writeRack(row, &g.racks[i])
	}
}

// genRowMains writes a row's heading and, per side, its IEC 60947-2 main
// breaker on the UPS and the panel behind it.
func genRowMains(w *genWriter, row *genRow, firstRack, lastRack string) {
	w.blank()
	fmt.Fprintf(w.w, "# ── %s: racks %s to %s, worst line %.0f A with the row on one side ──\n",
		row.id, firstRack, lastRack, row.worstA)
	for _, side := range []string{"a", "b"} {
		w.blank()
		w.line("[[breaker]]")
		w.str("id", row.id+"-"+side+"-main")
		w.str("input", "ups-"+side)
		w.str("standard", "iec60947-2")
		w.num("rating_a", row.mainA)
		w.line("instantaneous_x = [5, 10]")
		w.blank()
		w.line("[[panel]]")
		w.str("id", row.id+"-"+side+"-panel")
		w.str("input", row.id+"-"+side+"-main")
		w.num("rating_a", row.mainA)
	}
}

var genLines = [...]string{"L1", "L2", "L3"}

func (g *generator) writeRack(row *genRow, r *genRack) {
	w := &g.w
	banks := 3 * (r.branch + 1)
	w.blank()
	w.line("[[rack]]")
	w.str("id", r.id)
	w.str("row", row.id)
	w.str("room", "hall-1")
	if r.naive {
		g.writeNaiveRack(row, r)
		return
	}
	for _, side := range []string{"a", "b"} {
		p := r.id + "-" + side
		w.blank()
		// No naive-sizing mark here: only naive racks are undersized, and
		// writeNaiveRack writes them.
		w.line("[[breaker]]")
		w.str("id", p+"-brk")
		w.str("input", row.id+"-"+side+"-panel")
		w.str("standard", "iec60898")
		w.str("curve", "C")
		w.num("rating_a", genBranchA[r.branch])
		w.int("poles", 3)
		w.line("[[circuit]]")
		w.str("id", p+"-cir")
		w.str("input", p+"-brk")
		w.line("[[rack_pdu]]")
		w.str("id", p+"-pdu")
		w.str("rack", r.id)
		w.str("input", p+"-cir")
		w.num("rating_a", genBranchA[r.branch])
		w.line("bank = [")
		for k := range banks {
			w.line(`  { id = "` + p + "-b" + strconv.Itoa(k+1) + `", line = "` + genLines[k%3] +
				`", standard = "iec60898", curve = "C", rating_a = ` + genNum(genBankA) + ` },`)
		}
		w.line("]")
	}
	w.blank()
	w.line("[[device]]")
	w.str("id", r.id+"-s%02d")
	w.int("count", g.o.PerRack)
	w.str("rack", r.id)
	w.str("model", g.models[r.sys])
	w.str("role", genRoleNames[r.role])
	b := w.start("feeds_cycle")
	b = append(b, '[')
	for k := range min(banks, g.o.PerRack) {
		if k > 0 {
			b = append(b, ", "...)
		}
		n := strconv.Itoa(k + 1)
		b = append(b, `["`...)
		b = append(b, r.id...)
		b = append(b, "-a-b"...)
		b = append(b, n...)
		b = append(b, `", "`...)
		b = append(b, r.id...)
		b = append(b, "-b-b"...)
		b = append(b, n...)
		b = append(b, `"]`...)
	}
	b = append(b, "]\n"...)
	w.flush(b)
}

// writeNaiveRack writes a rack like the motivating incident's: single-phase
// 230 V circuits A and B sized for the normal half-load, rack PDUs without
// banks, every server on both.
func (g *generator) writeNaiveRack(row *genRow, r *genRack) {
	w := &g.w
	for _, side := range []string{"a", "b"} {
		p := r.id + "-" + side
		w.blank()
		if r.undersized && side == "a" {
			w.line("# Naive sizing: each side holds the rack's normal half-load, not the whole rack.")
		}
		w.line("[[breaker]]")
		w.str("id", p+"-brk")
		w.str("input", row.id+"-"+side+"-panel")
		w.str("line", genLines[r.line])
		w.str("standard", "iec60898")
		w.str("curve", "C")
		w.num("rating_a", genSingleA[r.single])
		w.line("[[circuit]]")
		w.str("id", p+"-cir")
		w.str("input", p+"-brk")
		w.line("[[rack_pdu]]")
		w.str("id", p+"-pdu")
		w.str("rack", r.id)
		w.str("input", p+"-cir")
		w.num("rating_a", genSingleA[r.single])
	}
	w.blank()
	w.line("[[device]]")
	w.str("id", r.id+"-s%02d")
	w.int("count", g.o.PerRack)
	w.str("rack", r.id)
	w.str("model", g.models[r.sys])
	w.str("role", genRoleNames[r.role])
	w.line(`feeds = ["` + r.id + `-a-pdu", "` + r.id + `-b-pdu"]`)
}

// genSiteAndUPS writes the rest of [site] and the A/B utility feeds, each
// behind a UPS sized to carry the whole site's peak draw siteW (W) with
// margin.
func genSiteAndUPS(w *genWriter, siteW float64) {
	w.num("continuous_limit", genLimit)
	w.num("power_factor", genPF)
	w.num("frequency_hz", 50)

	kva := genR10Ceil(max(10, genUPSMargin*siteW/1000/genUPSPF))
	for _, side := range []string{"a", "b"} {
		w.blank()
		w.line("[[source]]")
		w.str("id", "feed-"+side)
		w.str("type", "utility")
		w.num("voltage_v", genVoltageV)
		w.int("phases", 3)
		w.str("wiring", "wye")
	}
	for _, side := range []string{"a", "b"} {
		w.blank()
		w.line("[[ups]]")
		w.str("id", "ups-"+side)
		w.str("input", "feed-"+side)
		w.num("capacity_kva", kva)
		w.num("capacity_kw", math.Round(kva*genUPSPF*100)/100)
		w.line(`overload = [{ load_pct = 110, time_s = 600 }, { load_pct = 125, time_s = 60 }, { load_pct = 150, time_s = 10 }]`)
	}
}

// genGroupSize is the most services one [[service]] group holds; each
// group draws its own requests, start distribution and dependencies.
const genGroupSize = 50

// Workload parameters, drawn per group: requests per instance (GiB, cores),
// start-time medians (s) and the p90 as a multiple of the median.
var (
	genSvcRAM    = [...]float64{2, 4, 8}
	genSvcCPU    = [...]float64{1, 2}
	genDBRAM     = [...]float64{8, 16}
	genDBMedianS = [...]float64{60, 120, 180}
	genDBP90x    = [...]float64{3, 5}
	genAppRAM    = [...]float64{1, 2, 2, 4, 4, 8}
	genAppCPU    = [...]float64{0.5, 1, 1, 2}
	genMedianS   = [...]float64{10, 15, 20, 30, 45, 60}
	genP90x      = [...]float64{2, 2.5, 3, 4}
)

// genDraw returns a random element of xs.
func genDraw[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func (g *generator) writeWorkloads() {
	w := &g.w
	m := g.o.PerRack
	internal, db, app := len(g.byRole[roleInternal])*m, len(g.byRole[roleDB])*m, len(g.byRole[roleApp])*m
	nSvc := max(1, internal/2)
	nDB := db / 2
	if db > 0 {
		nDB = max(1, nDB)
	}
	nApp := app

	w.blank()
	fmt.Fprintf(w.w, "# ── Workloads: %d internal, %d db and %d app nodes ──\n", internal, db, app)
	w.line("# Tiers follow from depends_on: etcd, internal services, databases, apps.")
	w.blank()
	w.line("[[service]]")
	w.str("id", "etcd")
	w.str("kind", "etcd")
	w.int("instances", 3)
	w.str("role", "internal")
	w.str("spread", "rack")
	w.num("ram_gib", 4)
	w.num("cpu_cores", 2)
	w.num("timeout_s", 120)
	w.line(`start = { dist = "lognormal", median_s = 10, p90_s = 30 }`)

	svcW := max(3, len(strconv.Itoa(nSvc)))
	svcID := func(k int) string { return "svc-" + genPad(k, svcW) }
	for first := 1; first <= nSvc; first += genGroupSize {
		med := genDraw(g.rng, genMedianS[:])
		w.blank()
		w.line("[[service]]")
		w.str("id", "svc-%0"+strconv.Itoa(svcW)+"d")
		w.int("count", min(genGroupSize, nSvc-first+1))
		w.int("first", first)
		w.str("kind", "service")
		w.int("instances", 2)
		w.str("role", "internal")
		w.line(`depends_on = ["etcd"]`)
		w.str("spread", "rack")
		w.num("ram_gib", genDraw(g.rng, genSvcRAM[:]))
		w.num("cpu_cores", genDraw(g.rng, genSvcCPU[:]))
		g.startDist(med, genDraw(g.rng, genP90x[:]), 180)
	}

	// Databases: instance j of database k runs on db host 2k+j of the list
	// that takes slot 1 of every db rack, then slot 2, …, so a database's
	// two instances sit in different racks whenever there are two db racks.
	dbRacks := g.byRole[roleDB]
	dbW := max(3, len(strconv.Itoa(nDB)))
	dbID := func(k int) string { return "db-" + genPad(k, dbW) }
	for first := 1; first <= nDB; first += genGroupSize {
		count := min(genGroupSize, nDB-first+1)
		w.blank()
		w.line("[[service]]")
		w.str("id", "db-%0"+strconv.Itoa(dbW)+"d")
		w.int("count", count)
		w.int("first", first)
		w.str("kind", "database")
		w.int("instances", 2)
		w.str("role", "db")
		w.line(`depends_on = ["` + svcID(1+g.rng.IntN(nSvc)) + `"]`)
		b := w.start("pinned_cycle")
		b = append(b, "[\n "...)
		for j := range 2 * count {
			h := (2*(first-1) + j) % db
			if j > 0 && j%10 == 0 {
				b = append(b, "\n "...)
			}
			b = append(b, ' ', '"')
			b = append(b, g.racks[dbRacks[h%len(dbRacks)]].id...)
			b = append(b, "-s"...)
			b = append(b, genPad(h/len(dbRacks)+1, 2)...)
			b = append(b, '"', ',')
		}
		b = append(b, "\n]\n"...)
		w.flush(b)
		w.str("spread", "rack")
		w.num("ram_gib", genDraw(g.rng, genDBRAM[:]))
		w.num("cpu_cores", 4)
		g.startDist(genDraw(g.rng, genDBMedianS[:]), genDraw(g.rng, genDBP90x[:]), 1800)
	}

	appW := max(4, len(strconv.Itoa(nApp)))
	for first := 1; first <= nApp; first += genGroupSize {
		w.blank()
		w.line("[[service]]")
		w.str("id", "app-%0"+strconv.Itoa(appW)+"d")
		w.int("count", min(genGroupSize, nApp-first+1))
		w.int("first", first)
		w.str("kind", "app")
		w.int("instances", 2)
		w.str("role", "app")
		// App nodes need three racks or more, so there is a database (nDB >= 1).
		w.line(`depends_on = ["` + dbID(1+g.rng.IntN(nDB)) + `", "` + svcID(1+g.rng.IntN(nSvc)) + `"]`)
		w.str("spread", "rack")
		w.num("ram_gib", genDraw(g.rng, genAppRAM[:]))
		w.num("cpu_cores", genDraw(g.rng, genAppCPU[:]))
		g.startDist(genDraw(g.rng, genMedianS[:]), genDraw(g.rng, genP90x[:]), 300)
	}
}

// startDist writes a lognormal start distribution of median medS and
// p90 = medS × p90x, with a timeout of at least minTimeoutS and three times
// the p90.
func (g *generator) startDist(medS, p90x, minTimeoutS float64) {
	p90 := medS * p90x
	g.w.num("timeout_s", max(minTimeoutS, math.Ceil(3*p90/60)*60))
	g.w.line(`start = { dist = "lognormal", median_s = ` + genNum(medS) + `, p90_s = ` + genNum(p90) + ` }`)
}

// genWriter writes TOML lines; the bufio.Writer keeps the first error,
// which Site returns from Flush.
type genWriter struct {
	w   *bufio.Writer
	buf []byte // scratch line, reused
}

func (w *genWriter) blank()        { w.w.WriteByte('\n') }
func (w *genWriter) line(s string) { w.w.WriteString(s); w.w.WriteByte('\n') }

// start begins a "key = " line in the scratch buffer.
func (w *genWriter) start(key string) []byte {
	b := append(w.buf[:0], key...)
	return append(b, " = "...)
}

// flush writes the line b and keeps its storage for the next one.
func (w *genWriter) flush(b []byte) {
	w.w.Write(b)
	w.buf = b
}

func (w *genWriter) str(key, v string) {
	b := w.start(key)
	b = strconv.AppendQuote(b, v)
	w.flush(append(b, '\n'))
}

func (w *genWriter) int(key string, v int) {
	b := w.start(key)
	b = strconv.AppendInt(b, int64(v), 10)
	w.flush(append(b, '\n'))
}

func (w *genWriter) num(key string, v float64) {
	b := w.start(key)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	w.flush(append(b, '\n'))
}

func genNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// count writes n and the noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
