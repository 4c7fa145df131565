package generate

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// PlatformOptions says what Platform builds.
type PlatformOptions struct {
	Seed uint64 // seeds the PCG source: same seed, same bytes
}

// The platform's shape. Every rack holds nodes of the three roles (see
// platRoles), so a rack lost costs a tenth of each role, and the
// services that spread over racks have ten to choose from.
const (
	platRacks     = 10   // racks, one row (genRowRacks racks to a row)
	platDatabases = 1500 // one-instance databases pinned to db nodes
	platApps      = 7500 // two-instance apps, each depending on one database
	// platLoad is the fraction of a role's RAM and cores its instances
	// request at most: half, so a planner that balances can place
	// everything, with room left for a rack lost.
	platLoad = 0.5
	// platMinCores keeps the platform on two-socket E5-2600 systems (16
	// cores, 24 DIMM slots, up to 768 GiB), whose memory can be provisioned
	// as platRoles says; the 12-core X5675 system takes 288 GiB at most.
	platMinCores = 16

	// Memory beyond the SPECpower configuration draws power the published
	// figures do not include: about 1.5 W idle and 5 W at full load per
	// 16 GiB DDR3 RDIMM. Watts per GiB, added to idle, typical and peak.
	platDIMMIdleW    = 0.1
	platDIMMTypicalW = 0.2
	platDIMMPeakW    = 0.3

	platEtcdRAM = 8.0 // etcd member request, GiB
	platEtcdCPU = 2.0 // etcd member request, cores
	// Start timeouts: at least these, and at least the start time that one
	// start in ten thousand outlasts on an idle node (platTimeoutZ).
	platInternalTimeoutS = 600 // internal services and etcd, s
	platDBTimeoutS       = 900 // databases, s
	platAppTimeoutS      = 300 // apps, s
	// platTimeoutZ is the standard normal quantile of 0.9999: a start
	// timeout is at least the p99.99 of its lognormal start time, rounded
	// up to the minute. A timeout is there to catch a start that is stuck
	// or slowed down (by herding), not to cut its service's normal tail:
	// an operator who saw one start in a hundred of a database time out on
	// an idle node would raise it. Fixed timeouts did cut it: a database
	// of median 180 s and p90 3× that outlasts 900 s once in 33 starts,
	// and the slowest internal services outlast 600 s once in 75, so
	// every restart of the 1,500 databases saw timeouts no placement could
	// avoid. The apps' 300 s is already above every app's p99.99.
	platTimeoutZ = 3.719016485455709
)

// platTimeout is the start timeout of a lognormal start of median medS and
// p90 medS × p90x: floorS, or its p99.99 rounded up to the minute when
// longer.
func platTimeout(floorS, medS, p90x float64) float64 {
	sigma := math.Log(p90x) / 1.2815515655446004 // the standard normal p90
	return max(floorS, math.Ceil(medS*math.Exp(sigma*platTimeoutZ)/60)*60)
}

// platRoles are the nodes of each role: how many every rack holds, the
// memory they are provisioned with (the SPECpower configurations carry 24
// to 32 GB, far below a hosting node's), and how many instance starts
// they run at once without slowdown (start_concurrency). An app start is
// CPU-bound (runtime boot, warm-up): four at once on 16 cores. A database
// start is mostly waiting on its disk (recovery, cache warm-up), so a db
// node overlaps six. Internal nodes run four, like app nodes.
var platRoles = [...]struct {
	perRack     int
	ramGiB      float64
	concurrency int
	short       string // in node ids: r01-app-01, r01-db-1, r01-int-1
	pattern     string // the number's verb in a node id
}{
	roleApp:      {15, 256, 4, "app", "%02d"},
	roleDB:       {3, 384, 6, "db", "%d"},
	roleInternal: {1, 128, 4, "int", "%d"},
}

// platServiceNames are the internal services by layer. Layer 1 depends on
// etcd only; a service of layer L on etcd, one service of layer L-1 and
// sometimes one more below, so the layers are tiers 1, 2 and 3.
var platServiceNames = [3][]string{
	{"dns", "pki", "vault", "ldap", "nats", "kafka", "redis-cache", "object-store",
		"image-registry", "package-mirror", "log-shipper", "metrics-store", "smtp-relay", "config-store"},
	{"auth", "api-gateway", "log-indexer", "alerting", "build-queue", "image-builder", "deployer",
		"backup", "billing-events", "secrets-broker", "db-operator", "cert-manager", "dashboards", "audit-log"},
	{"api", "console", "orchestrator", "scheduler", "autoscaler", "router", "load-balancer",
		"notifier", "status-page", "invoicing", "addon-provisioner", "health-checker"},
}

// platChoice is a set of request sizes, ascending, and how often each is
// drawn.
type platChoice struct {
	opts    []float64
	weights []int
}

// Requests per instance (GiB, cores) and start times: medians (s) and the
// p90 as a multiple of the median.
var (
	platSvcRAM = platChoice{[]float64{2, 4, 8}, []int{2, 2, 1}}
	platSvcCPU = platChoice{[]float64{0.5, 1, 2}, []int{2, 2, 1}}
	platDBRAM  = platChoice{[]float64{1, 2, 4, 8}, []int{3, 4, 2, 1}}
	platDBCPU  = platChoice{[]float64{0.1, 0.25, 0.5}, []int{6, 3, 1}}
	platAppRAM = platChoice{[]float64{0.5, 1, 2, 4}, []int{3, 4, 2, 1}}
	platAppCPU = platChoice{[]float64{0.05, 0.1, 0.25}, []int{5, 4, 1}}

	platSvcMedianS = [...]float64{30, 45, 60, 90}
	platSvcP90x    = [...]float64{2, 2.5, 3}
	platDBMedianS  = [...]float64{60, 90, 120, 180}
	platDBP90x     = [...]float64{1.5, 2, 3}
	platAppMedianS = [...]float64{20, 25, 30, 35, 40}
	platAppP90x    = [...]float64{1.25, 1.5, 2}
)

// Platform writes one valid TOML model of a hosting platform at
// the scale of the incident that motivates blackstart: 150 app nodes,
// 30 db nodes and 10 internal nodes, 3 etcd members, 40 internal
// services, 1,500 databases and 7,500 two-instance apps (15,000
// instances). The output is a function of o alone: randomness comes from
// a PCG source seeded with o.Seed.
//
// Power, built as Site builds a site and with its constants: utility
// feeds feed-a and feed-b (400Y/230 V), each behind a UPS that carries the
// whole platform's peak draw with 30 % margin; per side a row main breaker
// (IEC 60947-2) and a panel; per rack and side a 3-pole IEC 60898-1
// curve C branch breaker, a three-phase circuit and a rack PDU with 16 A
// banks on L1, L2 and L3, sized so that the whole rack on one side stays
// within 80 % of In on every line and bank. Ten racks of 19 dual-corded
// nodes: slots 1-15 app, 16-18 db, 19 internal; slot k plugs into bank
// k (mod the banks) of both PDUs, so the load spreads over the lines. One rack, drawn, is
// sized the naive way of the incident instead: single-phase 230 V
// circuits A and B on one line, each sized for the rack's normal
// half-load; its surviving breaker is overloaded when the other side
// fails.
//
// Nodes: each rack draws, per role, one SPECpower rack system of 16 cores
// (see platMinCores); the device model is that system provisioned for the
// role (platRoles: memory, start_concurrency), its draws the published
// ones plus the extra memory's (platDIMMPeakW and neighbours). No
// nameplate is written, so the peak is the conservative basis, which
// everything is sized for.
//
// Workloads: etcd (3 members, ready_quorum 2, internal, spread over racks);
// the internal services of platServiceNames (2 instances, spread over
// racks, tiers 1 to 3 above etcd); 1,500 databases of one instance, in
// groups of one database per db node (the group's pinned_cycle lists the
// 30 db nodes), so every db node holds the same 50 databases' worth of
// requests, each group depending on one internal service; per database,
// a group of apps (2 instances, spread over racks) depending on that
// database and on one internal service: every database has one app, the
// other 6,000 of the 7,500 apps go to databases drawn at random (1 to
// about 15 apps per database, 5 on average). Request sizes are drawn per
// service or group, then lowered at random, one step at a time, until each
// role's requests are within half its RAM and cores (platLoad). Start
// times are lognormal: etcd median 10 s, p90 30 s; internal services
// median 30-90 s; databases median 60-180 s, p90 at most 3× the median;
// apps median 20-40 s, p90 at most 2× the median. Start timeouts: apps
// 300 s, databases 900 s, internal services and etcd 600 s, or the p99.99
// of the start time rounded up to the minute when longer (platTimeoutZ):
// a database of median 180 s and p90 540 s gets 73 min.
func Platform(w io.Writer, o PlatformOptions) error {
	p := &platform{seed: o.Seed, rng: rand.New(rand.NewPCG(o.Seed, 0x706c6174666f726d))} // "platform"
	if err := p.plan(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	p.w = genWriter{w: bw}
	p.write()
	return bw.Flush()
}

type platform struct {
	seed uint64
	rng  *rand.Rand
	w    genWriter

	models []platModel // device models in first-use order
	racks  []platRack
	rows   []genRow
	nodes  [3][]string // node ids per role: slot 1 of every rack, then slot 2, …
	cap    [3]struct{ ram, cpu float64 }
	siteW  float64 // peak draw of the platform, W
	naive  int     // index of the naively sized rack

	svcs []platService
	dbs  []platGroup
	apps []platGroup
}

// platModel is one SPECpower system provisioned for one role.
type platModel struct {
	id                 string
	sys                int // index into specPowerResults
	role               genRole
	ramGiB, cores      float64 // provisioned memory (GiB); cores of the SPECpower configuration
	idleW, typW, peakW float64 // draws, W, with the extra memory's
	psuW               float64 // PSU output rating, W
	extraGiB           float64 // memory beyond the SPECpower configuration, GiB
}

type platRack struct {
	id     string
	model  [3]int  // index into platform.models per role
	naive  bool    // single-phase, sized for the normal half-load
	branch int     // index into genBranchA (three-phase racks)
	single int     // index into genSingleA (the naive rack)
	line   int     // the naive rack: the line (0..2) its circuits hang off
	peakW  float64 // the rack's peak draw, W
	lineW  [3]float64
	worstA float64 // whole rack on one side: worst line (or the circuit), A
	bankA  float64 // whole rack on one side: worst bank, A
}

// platService is one internal service.
type platService struct {
	id       string
	deps     []string // besides etcd
	ram, cpu platDraw
	medS     float64
	p90x     float64
}

// platGroup is one [[service]] group of databases or apps.
type platGroup struct {
	first, count int
	deps         []string
	ram, cpu     platDraw
	medS, p90x   float64
}

// platDraw is a request size: the choice and the option drawn.
type platDraw struct {
	c *platChoice
	k int // index into c.opts
	n int // instances the request applies to
}

func (d platDraw) v() float64 { return d.c.opts[d.k] }

func (p *platform) draw(c *platChoice, n int) platDraw {
	total := 0
	for _, w := range c.weights {
		total += w
	}
	x := p.rng.IntN(total)
	for k, w := range c.weights {
		if x -= w; x < 0 {
			return platDraw{c: c, k: k, n: n}
		}
	}
	panic("topology: weighted draw out of range")
}

// pick draws one of the systems cand by weight, as Site does.
func (p *platform) pick(cand []int) int { return (&generator{rng: p.rng}).pick(cand) }

// nodeID returns the id of member j (0-based) of role r in rack i.
func (p *platform) nodeID(i int, r genRole, j int) string {
	return p.racks[i].id + "-" + platRoles[r].short + "-" + fmt.Sprintf(platRoles[r].pattern, j+1)
}

func (p *platform) plan() error {
	// Systems: rack servers with a known configuration of 16 cores.
	var cand []int
	for s := range specPowerResults {
		cores, ram := parseSpecConfig(specPowerResults[s].Config)
		if specPowerResults[s].Weight > 0 && cores >= platMinCores && ram > 0 {
			cand = append(cand, s)
		}
	}
	modelOf := map[[2]int]int{} // (system, role) → index into p.models
	p.racks = make([]platRack, platRacks)
	p.naive = p.rng.IntN(platRacks)
	for i := range p.racks {
		r := &p.racks[i]
		r.id = "r" + genPad(i+1, 2)
		for role := range platRoles {
			s := p.pick(cand)
			key := [2]int{s, role}
			k, ok := modelOf[key]
			if !ok {
				k = len(p.models)
				modelOf[key] = k
				p.models = append(p.models, newPlatModel(s, genRole(role)))
			}
			r.model[role] = k
		}
	}
	// Device models in catalogue order: by system, then role.
	order := make([]int, len(p.models))
	for k := range order {
		order[k] = k
	}
	sort.Slice(order, func(x, y int) bool {
		a, b := &p.models[order[x]], &p.models[order[y]]
		return a.sys < b.sys || a.sys == b.sys && a.role < b.role
	})
	newIdx := make([]int, len(order))
	sorted := make([]platModel, len(order))
	for pos, old := range order {
		newIdx[old], sorted[pos] = pos, p.models[old]
	}
	p.models = sorted
	for i := range p.racks {
		for role := range platRoles {
			p.racks[i].model[role] = newIdx[p.racks[i].model[role]]
		}
	}

	// Roles and requests of every slot; loads of every line and bank.
	for i := range p.racks {
		r := &p.racks[i]
		slot := 0
		for role, pr := range platRoles {
			m := &p.models[r.model[role]]
			for range pr.perRack {
				r.lineW[slot%3] += m.peakW
				r.peakW += m.peakW
				p.cap[role].ram += m.ramGiB
				p.cap[role].cpu += m.cores
				slot++
			}
		}
		p.siteW += r.peakW
		if i == p.naive {
			r.naive, r.line = true, p.rng.IntN(3)
			r.single = genSingleFor(1, r.peakW/2)
			if r.single < 0 {
				return fmt.Errorf("generate: no single-phase branch carries half of rack %s (%.0f W)", r.id, r.peakW/2)
			}
			r.worstA = r.peakW / (genVLN * genPF)
			continue
		}
		r.branch = -1
		for b, in := range genBranchA {
			banks := 3 * (b + 1)
			bankW := make([]float64, banks)
			s := 0
			for role, pr := range platRoles {
				for range pr.perRack {
					bankW[s%banks] += p.models[r.model[role]].peakW
					s++
				}
			}
			worstA := max(r.lineW[0], r.lineW[1], r.lineW[2]) / (genVLN * genPF)
			bankA := 0.0
			for _, w := range bankW {
				bankA = max(bankA, w/(genVLN*genPF))
			}
			if worstA <= genLimit*in && bankA <= genLimit*genBankA {
				r.branch, r.worstA, r.bankA = b, worstA, bankA
				break
			}
		}
		if r.branch < 0 {
			return fmt.Errorf("generate: no branch circuit carries rack %s (%.0f W) on one side", r.id, r.peakW)
		}
	}
	for role, pr := range platRoles {
		for j := range pr.perRack {
			for i := range p.racks {
				p.nodes[role] = append(p.nodes[role], p.nodeID(i, genRole(role), j))
			}
		}
	}

	// Rows and their main breakers, sized for the row on one side.
	for first := 0; first < platRacks; first += genRowRacks {
		row := genRow{id: "row-" + genPad(len(p.rows)+1, 2), first: first, n: min(genRowRacks, platRacks-first)}
		var lineW [3]float64
		for _, r := range p.racks[first : first+row.n] {
			if r.naive {
				lineW[r.line] += r.peakW
				continue
			}
			for l := range 3 {
				lineW[l] += r.lineW[l]
			}
		}
		row.worstA = max(lineW[0], lineW[1], lineW[2]) / (genVLN * genPF)
		row.mainA = genFrameFor(row.worstA)
		p.rows = append(p.rows, row)
	}
	return p.planWorkloads()
}

func newPlatModel(s int, role genRole) platModel {
	sp := &specPowerResults[s]
	cores, ram := parseSpecConfig(sp.Config)
	m := platModel{
		id:     genSlug(sp.System) + "-" + genRoleNames[role],
		sys:    s,
		role:   role,
		ramGiB: platRoles[role].ramGiB,
		cores:  cores,
	}
	m.extraGiB = max(0, m.ramGiB-ram)
	m.idleW = platRound(sp.IdleW + platDIMMIdleW*m.extraGiB)
	m.typW = platRound(sp.LoadW[specTypical] + platDIMMTypicalW*m.extraGiB)
	m.peakW = platRound(sp.LoadW[specPeak] + platDIMMPeakW*m.extraGiB)
	m.psuW = genPSUFor(m.peakW)
	return m
}

// platRound rounds to a tenth of a watt.
func platRound(w float64) float64 { return math.Round(w*10) / 10 }

// planWorkloads draws the services, databases and apps, then lowers
// requests until every role is within platLoad of its capacity.
func (p *platform) planWorkloads() error {
	var all []string
	for layer, names := range platServiceNames {
		for _, name := range names {
			s := platService{id: name}
			if layer > 0 {
				prev := platServiceNames[layer-1]
				first := genDraw(p.rng, prev)
				s.deps = append(s.deps, first)
				if p.rng.IntN(2) == 0 {
					if other := genDraw(p.rng, all); other != first {
						s.deps = append(s.deps, other)
					}
				}
			}
			s.ram, s.cpu = p.draw(&platSvcRAM, 2), p.draw(&platSvcCPU, 2)
			s.medS, s.p90x = genDraw(p.rng, platSvcMedianS[:]), genDraw(p.rng, platSvcP90x[:])
			p.svcs = append(p.svcs, s)
		}
		all = append(all, names...)
	}

	dbNodes := len(p.nodes[roleDB])
	for first := 1; first <= platDatabases; first += dbNodes {
		n := min(dbNodes, platDatabases-first+1)
		p.dbs = append(p.dbs, platGroup{
			first: first, count: n,
			deps: []string{genDraw(p.rng, all)},
			ram:  p.draw(&platDBRAM, n), cpu: p.draw(&platDBCPU, n),
			medS: genDraw(p.rng, platDBMedianS[:]), p90x: genDraw(p.rng, platDBP90x[:]),
		})
	}
	perDB := make([]int, platDatabases)
	for d := range perDB {
		perDB[d] = 1
	}
	for range platApps - platDatabases {
		perDB[p.rng.IntN(platDatabases)]++
	}
	next := 1
	for d, n := range perDB {
		p.apps = append(p.apps, platGroup{
			first: next, count: n,
			deps: []string{platDBID(d + 1), genDraw(p.rng, all)},
			ram:  p.draw(&platAppRAM, 2*n), cpu: p.draw(&platAppCPU, 2*n),
			medS: genDraw(p.rng, platAppMedianS[:]), p90x: genDraw(p.rng, platAppP90x[:]),
		})
		next += n
	}

	var ram, cpu [3][]*platDraw
	for i := range p.svcs {
		ram[roleInternal] = append(ram[roleInternal], &p.svcs[i].ram)
		cpu[roleInternal] = append(cpu[roleInternal], &p.svcs[i].cpu)
	}
	for i := range p.dbs {
		ram[roleDB] = append(ram[roleDB], &p.dbs[i].ram)
		cpu[roleDB] = append(cpu[roleDB], &p.dbs[i].cpu)
	}
	for i := range p.apps {
		ram[roleApp] = append(ram[roleApp], &p.apps[i].ram)
		cpu[roleApp] = append(cpu[roleApp], &p.apps[i].cpu)
	}
	for role := range platRoles {
		var fixRAM, fixCPU float64
		if genRole(role) == roleInternal {
			fixRAM, fixCPU = 3*platEtcdRAM, 3*platEtcdCPU
		}
		name := genRoleNames[role]
		if err := p.trim(ram[role], platLoad*p.cap[role].ram-fixRAM, name+" RAM"); err != nil {
			return err
		}
		if err := p.trim(cpu[role], platLoad*p.cap[role].cpu-fixCPU, name+" CPU"); err != nil {
			return err
		}
	}
	return nil
}

// trim lowers draws chosen at random, one option at a time, until their
// total is within budget.
func (p *platform) trim(ds []*platDraw, budget float64, what string) error {
	total := 0.0
	for _, d := range ds {
		total += float64(d.n) * d.v()
	}
	var cand []int
	for total > budget {
		cand = cand[:0]
		for i, d := range ds {
			if d.k > 0 {
				cand = append(cand, i)
			}
		}
		if len(cand) == 0 {
			return fmt.Errorf("generate: %s requests need %g, more than the budget of %g even at their smallest", what, total, budget)
		}
		d := ds[cand[p.rng.IntN(len(cand))]]
		total -= float64(d.n) * (d.v() - d.c.opts[d.k-1])
		d.k--
	}
	return nil
}

func platDBID(k int) string { return "db-" + genPad(k, 4) }

// ── Output ─────────────────────────────────────────────────────────────

func (p *platform) write() {
	w := &p.w
	nodes := 0
	for role := range platRoles {
		nodes += len(p.nodes[role])
	}
	apps := 0
	for _, g := range p.apps {
		apps += g.count
	}
	nr := &p.racks[p.naive]
	fmt.Fprintf(w.w, header+" generate --platform --seed %d`: a hosting platform at\n", p.seed)
	w.line("# the scale of the incident that motivates blackstart (README).")
	fmt.Fprintf(w.w, "# %d racks of %d dual-corded nodes: %d app, %d db and %d internal; %.1f kW peak draw.\n",
		platRacks, nodes/platRacks, len(p.nodes[roleApp]), len(p.nodes[roleDB]), len(p.nodes[roleInternal]), p.siteW/1000)
	fmt.Fprintf(w.w, "# Workloads: etcd (3 members), %d internal services, %d databases, %d apps (%d instances).\n",
		len(p.svcs), platDatabases, apps, 2*apps)
	w.line("# Branch circuits hold the whole rack on one side within 80 % of In, except")
	fmt.Fprintf(w.w, "# rack %s, sized like the incident's for the normal half-load: %.1f A on a %g A breaker on failover.\n\n",
		nr.id, nr.worstA, genSingleA[nr.single])

	w.line("[site]")
	w.str("name", fmt.Sprintf("platform-2019-seed%d", p.seed))
	genSiteAndUPS(w, p.siteW)

	for _, m := range p.models {
		sp := &specPowerResults[m.sys]
		w.blank()
		w.line("# " + sp.System + ", " + sp.Config + ": SPECpower_ssj2008 " + sp.URL)
		fmt.Fprintf(w.w, "# %s nodes: %g GiB, %g GiB more than measured, drawing %g/%g/%g W per GiB more (idle/typical/peak)\n",
			genRoleNames[m.role], m.ramGiB, m.extraGiB, platDIMMIdleW, platDIMMTypicalW, platDIMMPeakW)
		w.line("[[device_model]]")
		w.str("id", m.id)
		w.str("manufacturer", strings.Fields(sp.System)[0])
		w.int("psus", 2)
		w.int("psus_required", 1)
		w.num("psu_rating_w", m.psuW)
		w.num("typical_w", m.typW)
		w.num("idle_w", m.idleW)
		w.num("peak_w", m.peakW)
		w.num("ram_gib", m.ramGiB)
		w.num("cpu_cores", m.cores)
		w.int("start_concurrency", platRoles[m.role].concurrency)
	}

	for i := range p.rows {
		row := &p.rows[i]
		genRowMains(w, row, p.racks[row.first].id, p.racks[row.first+row.n-1].id)
		for k := row.first; k < row.first+row.n; k++ {
			p.writeRack(row, &p.racks[k])
		}
	}
	p.writeWorkloads()
}

func (p *platform) writeRack(row *genRow, r *platRack) {
	w := &p.w
	w.blank()
	w.line("[[rack]]")
	w.str("id", r.id)
	w.str("row", row.id)
	w.str("room", "hall-1")
	banks := 3 * (r.branch + 1)
	for _, side := range []string{"a", "b"} {
		pre := r.id + "-" + side
		w.blank()
		if side == "a" {
			if r.naive {
				fmt.Fprintf(w.w, "# Naive sizing: each side holds the rack's normal half-load (%.1f A), not the whole rack (%.1f A).\n",
					r.worstA/2, r.worstA)
			} else {
				fmt.Fprintf(w.w, "# %.0f W peak; the whole rack on one side: %.1f A on the worst line, %.1f A on the worst bank.\n",
					r.peakW, r.worstA, r.bankA)
			}
		}
		w.line("[[breaker]]")
		w.str("id", pre+"-brk")
		w.str("input", row.id+"-"+side+"-panel")
		if r.naive {
			w.str("line", genLines[r.line])
		}
		w.str("standard", "iec60898")
		w.str("curve", "C")
		if r.naive {
			w.num("rating_a", genSingleA[r.single])
		} else {
			w.num("rating_a", genBranchA[r.branch])
			w.int("poles", 3)
		}
		w.line("[[circuit]]")
		w.str("id", pre+"-cir")
		w.str("input", pre+"-brk")
		w.line("[[rack_pdu]]")
		w.str("id", pre+"-pdu")
		w.str("rack", r.id)
		w.str("input", pre+"-cir")
		if r.naive {
			w.num("rating_a", genSingleA[r.single])
			continue
		}
		w.num("rating_a", genBranchA[r.branch])
		w.line("bank = [")
		for k := range banks {
			w.line(`  { id = "` + pre + "-b" + strconv.Itoa(k+1) + `", line = "` + genLines[k%3] +
				`", standard = "iec60898", curve = "C", rating_a = ` + genNum(genBankA) + ` },`)
		}
		w.line("]")
	}
	slot := 0
	for role, pr := range platRoles {
		w.blank()
		w.line("[[device]]")
		w.str("id", r.id+"-"+pr.short+"-"+pr.pattern)
		w.int("count", pr.perRack)
		w.str("rack", r.id)
		w.str("model", p.models[r.model[role]].id)
		w.str("role", genRoleNames[role])
		if r.naive {
			w.line(`feeds = ["` + r.id + `-a-pdu", "` + r.id + `-b-pdu"]`)
			slot += pr.perRack
			continue
		}
		// Member j sits in slot slot+j and plugs into that slot's bank.
		b := w.start("feeds_cycle")
		b = append(b, '[')
		for j := range min(banks, pr.perRack) {
			if j > 0 {
				b = append(b, ", "...)
			}
			n := strconv.Itoa((slot+j)%banks + 1)
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
		slot += pr.perRack
	}
}

// platQuoteList returns ["a", "b"].
func platQuoteList(ids []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(id))
	}
	b.WriteByte(']')
	return b.String()
}

// startDist writes a start timeout (platTimeout, at least floorS) and a
// lognormal start distribution.
func (p *platform) startDist(floorS, medS, p90x float64) {
	p.w.num("timeout_s", platTimeout(floorS, medS, p90x))
	p.w.line(`start = { dist = "lognormal", median_s = ` + genNum(medS) + `, p90_s = ` + genNum(medS*p90x) + ` }`)
}

func (p *platform) writeWorkloads() {
	w := &p.w
	w.blank()
	fmt.Fprintf(w.w, "# ── Workloads: requests within %.0f %% of each role's RAM and cores ──\n", 100*platLoad)
	w.line("# Tiers follow from depends_on: etcd; internal services in three tiers; databases; apps.")
	w.blank()
	w.line("[[service]]")
	w.str("id", "etcd")
	w.str("kind", "etcd")
	w.int("instances", 3)
	w.int("ready_quorum", 2)
	w.str("role", "internal")
	w.str("spread", "rack")
	w.num("ram_gib", platEtcdRAM)
	w.num("cpu_cores", platEtcdCPU)
	p.startDist(platInternalTimeoutS, 10, 3)

	for _, s := range p.svcs {
		w.blank()
		w.line("[[service]]")
		w.str("id", s.id)
		w.str("kind", "service")
		w.int("instances", 2)
		w.str("role", "internal")
		w.line("depends_on = " + platQuoteList(append([]string{"etcd"}, s.deps...)))
		w.str("spread", "rack")
		w.num("ram_gib", s.ram.v())
		w.num("cpu_cores", s.cpu.v())
		p.startDist(platInternalTimeoutS, s.medS, s.p90x)
	}

	w.blank()
	fmt.Fprintf(w.w, "# Databases: member k of each group runs on db node k of the pinned_cycle, one per node.\n")
	pins := []byte("pinned_cycle = [\n ")
	for j, id := range p.nodes[roleDB] {
		if j > 0 && j%10 == 0 {
			pins = append(pins, "\n "...)
		}
		pins = append(pins, ' ')
		pins = strconv.AppendQuote(pins, id)
		pins = append(pins, ',')
	}
	pins = append(pins, "\n]\n"...)
	pinned := string(pins)
	for _, g := range p.dbs {
		w.blank()
		w.line("[[service]]")
		w.str("id", "db-%04d")
		w.int("count", g.count)
		w.int("first", g.first)
		w.str("kind", "database")
		w.int("instances", 1)
		w.str("role", "db")
		w.line("depends_on = " + platQuoteList(g.deps))
		w.w.WriteString(pinned)
		w.num("ram_gib", g.ram.v())
		w.num("cpu_cores", g.cpu.v())
		p.startDist(platDBTimeoutS, g.medS, g.p90x)
	}

	w.blank()
	w.line("# Apps: one group per database, each app depending on it and on one internal service.")
	for _, g := range p.apps {
		w.blank()
		w.line("[[service]]")
		w.str("id", "app-%04d")
		w.int("count", g.count)
		w.int("first", g.first)
		w.str("kind", "app")
		w.int("instances", 2)
		w.str("role", "app")
		w.line("depends_on = " + platQuoteList(g.deps))
		w.str("spread", "rack")
		w.num("ram_gib", g.ram.v())
		w.num("cpu_cores", g.cpu.v())
		p.startDist(platAppTimeoutS, g.medS, g.p90x)
	}
}
