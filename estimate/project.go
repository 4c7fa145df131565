package estimate

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	"blackstart/placement"
)

type projection struct {
	all, ninety float64
	atRisk      int
	tiers       []TierStatus
}

// Samples is the number of Monte-Carlo projections behind each estimate.
const Samples = 9

// shape is what every projection needs of the cluster, computed once.
type shape struct {
	maxTier int
	tier    []int32 // per instance: its service's tier
	slotOff []int32 // per node: its first slot in a projector's slots; one more entry at the end
	projs   []projector
	ready   bool
	// Each instance's draws per projection, at ki = k·instances + i: in
	// heads[ki], its first start's (the seed's, see seedDraws.firsts) and the
	// least of its retries' (see drawRetries); in retryBlock(i, k) the
	// retries' (MaxAttempts−1 of them). A projected start reads 16
	// bytes, and its failure the same 16 (and the retries' only when one
	// of them ends before the timeout): with every draw of an instance in
	// one block (248 bytes for 30 attempts, 4 MB a projection) the
	// projections' time went mostly to waiting on memory; with the least
	// retry's apart from the first's, a failure waited on memory twice.
	// Projections write disjoint parts.
	heads []drawHead
	// retries[k][i/retryChunk] holds the retries' draws of retryChunk
	// instances in projection k, allocated at the first failure among
	// them: where little fails (an incident's start) an estimator does
	// not clear megabytes it never reads.
	// A chunk is published atomically: the node-by-node parts of one
	// projection may run on two workers at once (see nodeLoop), and
	// their nodes' instances share chunks.
	retries [Samples][]atomic.Pointer[[]float64]
	nRetry  int // retry draws per instance and projection: MaxAttempts − 1
	// draws: the draws of the estimators seeded as this one (Live.SetSeed;
	// its salt, draws.salt, goes into every draw's generator), shared with
	// them (held here, they stay while it does).
	draws *seedDraws
	// table: the heads and retries of the cluster's estimators that share
	// them (Live.ShareWorkspace), in place of heads' own and retries.
	table   *drawTable
	timeout []float64 // per instance: its service's timeout per attempt, s
	svc     []svcInfo
	tierTot []int32    // per tier: its instances
	tt      []timeTier // per instance: timeout and tier together

	// What every projection of one estimate shares, laid out by view:
	// the slices in viewMem (see there), and these. upLast: the latest up
	// time of any instance, 0 none; upNinety: the k-th up time when the
	// 90 % point falls among them; gaveUp: the instances out of attempts.
	viewMem
	upLast   float64
	upNinety float64
	gaveUp   int
	// local: every service is released (no dependency left below its
	// quorum) and every instance a projection can start has its node, so
	// that nothing a node does changes another's: each node is then
	// projected on its own (projectNode), with the same result; runOff,
	// laterOff and laterNode lay the shared parts out by node.
	local bool
	// mixed: not every service is released, but no instance lacks a node
	// (anyUnplaced false): the nodes that hold no instance a release would
	// queue (open false) are projected on their own as in local, the
	// others by the projection-wide loop, which learns of the closed
	// nodes' ups that count towards a release (quorumOpen) from them (see
	// projectMixed).
	mixed bool
	// anySink: some node is a sink (viewMem.sink); noSink keeps the sinks
	// in the projection-wide loop (tests and benchmarks compare the two).
	anySink bool
	noSink  bool
	// noLocal makes every projection take the global path (tests compare
	// the two).
	noLocal bool
	// anyUnplaced: an instance a projection may still start has no node
	// (it is placed by mostFree, which reads the other nodes' free slots:
	// holdOver is not used then). noHold turns holdOver off (tests).
	anyUnplaced bool
	noHold      bool
	noMixed     bool // every projection before the last release takes the global path (tests)
	noSplit     bool // every running start's end sorted, none held, as before splitHeld (benchmarks)
	// noFast: projectNode queues the waiting in rankQueues and starts
	// every instance through attempt, as before rankSet and the hopeless
	// marks (tests and benchmarks compare the two).
	noFast bool
	// noQuick: hopeful decides the waiting instances one by one, as
	// waitingCan does, not in hopefulQuick's two passes (benchmarks).
	noQuick bool
	// noToEnds: projectNodeFast pushes every end and every back-off's
	// end into the node's heap, none into projector.toEnds or readyQ
	// (tests and benchmarks compare the two).
	noToEnds bool
	// noSmallQ: projectNodeFast keeps its node's events in a heap
	// throughout, not sorted while they are few (nodeQueue; benchmarks
	// compare the two).
	noSmallQ bool
	// noNodeOrder: layOutNodes lays the node places out in the rank
	// order (nodePos = rankPos, -1 for an instance with no node), a
	// node's places spread over it as its instances are over the rank
	// order, the same code reading them but for atNow, pushed into the
	// waiting set one by one (a node's places are not one run there;
	// benchmarks compare the two).
	noNodeOrder bool
	// rankPos: per instance, its place in the order of the instances by
	// dispatch rank, then instance (mkRank's order: fixed, as the plan
	// is); rankInst the instance at each place.
	rankPos  []int32
	rankInst []int32
	// fixed: the fixedShape it was made from. plan: the node places of
	// the plan's nodes (see planLayout; nil until layOutNodes first takes
	// them, from fixed), and planFirst the first draws of the estimator's
	// seed laid out by those places (see planFirsts). byPlan: layOutNodes
	// took them at this estimate (every instance on its planned node,
	// Live.offPlan 0), so that nodePos, nodeInst and ttN are plan's, and
	// planFirst is read by hopeful and projectNodeFast (projector.firstN)
	// instead of the heads copied. noPlan lays the places out at each
	// estimate as before (tests and benchmarks compare the two).
	fixed     *fixedShape
	plan      *planLayout
	planFirst *planFirsts
	byPlan    bool
	noPlan    bool
	// noPure: projectOwn never takes projectNodePure (tests and
	// benchmarks compare the two).
	noPure bool
	// noHelp: the projections are split over the workers by stride (k =
	// w, w + workers, …) and each one's node-by-node parts (nodeLoop)
	// run on its worker alone, as before the board (benchmarks and tests
	// compare the two). splitAll: every projection runs on one worker
	// and each of its node-by-node parts is split with a second, which
	// takes every other node (tests: the merge is exercised at every
	// estimate, not only when a worker happens to be idle).
	noHelp   bool
	splitAll bool
}

// viewMem is what view lays out for the projections of one estimate, and
// its working memory: every part of it is reset or written whole by view
// (and layOutLocal, findSinks) before it is read, and read only by the
// projections of that estimate. An estimator sharing its working memory
// (Live.ShareWorkspace) takes it from its cluster's pool for each
// estimate and gives it back after, as its projectors: a new incident's
// first estimate no longer grows it from nothing (some hundreds of kB on
// the incident-scale platform, mostly atNow), nor does an idle estimator
// hold it.
type viewMem struct {
	// running: the running starts, in instance order; per tier, tierUp
	// the instances up and tierUpT the latest up time (-1 none); upT the
	// up times.
	running []runItem
	tierUp  []int32
	tierUpT []float64
	upT     []float64
	// atNow: per node, the instances released already, by rank;
	// unplacedNow those of them with no node; left per service, its
	// dependencies not yet at quorum (0: released).
	atNow       [][]rankItem
	unplacedNow []int32
	left        []int32
	// later: released instances waiting out a back-off, ready at t.
	later    []finishEv
	laterTmp []finishEv // radixByTime's working memory for later
	// runOff (per node: its first running start in node order, one more
	// entry at the end) and laterOff/laterNode (the back-offs of later by
	// node, in time order): the shared parts by node (shape.local,
	// shape.mixed).
	runOff    []int32
	laterOff  []int32
	laterNode []finishEv
	// open: per node, it holds an instance a release would queue there
	// (shape.mixed); quorumOpen per service: below its quorum, with
	// dependents (so none released); laterOpen: later on the open nodes.
	open       []bool
	quorumOpen []bool
	laterOpen  []finishEv
	// sink: per node, open, reporting, and holding no instance (running,
	// waiting, waiting out a back-off, or to be released there) of a
	// service whose ups count towards a release (quorumOpen): what happens
	// on it changes no other node, and it changes only by the releases
	// that queue instances on it. In a mixed projection the
	// projection-wide loop leaves the sinks out but for those releases,
	// which it records (projector.arr), and each sink is then projected on
	// its own with them (projectSinks).
	sink []bool
	// pendOff/pendInst: per open node (pendOff one more entry at the
	// end), the instances a release will queue there.
	pendOff  []int32
	pendInst []int32
	cursor   []int32 // view's working memory
	// nodePos: per instance with a node (l.node), its place in the order
	// of those instances by node, then rank, then instance (-1 none);
	// nodeInst the instance at each place and ttN its timeout and tier
	// (fixedShape.tt). Laid out by layOutNodes at each estimate that
	// projects node by node (shape.local or mixed, from layOutLocal),
	// only then, and read only by those projections (projectNodeFast,
	// hopeful, hopefulQuick), so that a node's instances sit together:
	// its places are one run, in rank order, and what a start reads of
	// its instance comes from a few cache lines instead of one per
	// instance.
	// They are the plan's (shape.plan, read-only, shared) when every
	// instance is on its planned node (shape.byPlan); else laid out in
	// posBuf, instBuf and ttBuf.
	nodePos  []int32
	nodeInst []int32
	ttN      []timeTier
	posBuf   []int32
	instBuf  []int32
	ttBuf    []timeTier
	// atNowBits: bit x%64 of atNowBits[x/64] is set when the instance at
	// node place x is released and waiting on its node (atNow), laid out
	// with the places: every projection of the estimate starts each
	// node's waiting set (projectNodeFast's rankSet) from these words
	// instead of pushing the node's atNow one by one, as each did.
	atNowBits []uint64
	atNowFlag []uint64 // view's working memory
}

// svcInfo is what a projection needs of a service's starts.
type svcInfo struct {
	timeout float64 // per attempt, s
	quorum  int32   // instances up before dependents are released, at least 1
}

// runItem is a running start as the projections see it.
type runItem struct {
	inst    int32
	node    int32 // -1: at risk (no node, or a stale one)
	elapsed float64
}

// projector holds one projection's working memory, reused from estimate
// to estimate.
type projector struct {
	free      []int32     // per node: free start slots (negative: more running than c)
	waiting   []rankQueue // per node: released instances waiting for a slot
	startNode []int32     // per instance: node of its projected start
	upCnt     []int32     // per service: instances up or projected up so far
	left      []int32     // per service: dependencies not yet at quorum
	touched   []int32     // nodes to dispatch on
	att       []uint8     // per instance: failed attempts, observed and projected
	lost      int         // instances the projection gives up
	head      []int32     // per node: the next of shape.atNow to start
	ev        radixQueue  // projected ends of the starts the projection makes, and back-offs
	run       []finishEv  // projected ends of the running starts, sorted
	tmp       []finishEv  // radixByTime's working memory
	ups       []float64   // projected up times, finite
	sel       []float64   // kthLarge's working memory
	runNode   []finishEv  // the running starts' ends by node, each node's in instance order, then as splitHeld leaves them (local projections)
	tops      []finishEv  // splitHeld's working memory
	cur       []int32     // per node: a cursor into runNode
	over      []int32     // per node: running starts beyond its slots whose ends are still to be held (holdOver)
	remote    []finishEv  // ups on closed nodes that count towards a release (projectMixed)
	doomed    []bool      // per node: open, and nothing on it, now or released later, can come up (projectMixed)
	nodeEv    evHeap      // a node's projected ends and back-offs (local projections)
	// toEnds: a node's projected ends at a timeout, those pushed in order
	// (projectNodeFast; the others go to nodeEv).
	toEnds []finishEv
	// readyQ: a node's back-offs ending (evReady), those pushed in
	// order (projectNodeFast; the others go to nodeEv).
	readyQ  []finishEv
	maybe   []int32 // hopefulQuick's working memory
	waitSet rankSet // a node's waiting instances by node place, on one node the rank order (projectNodeFast)
	// Bit x%64 of hopeless[x/64]: the instance at node place x
	// (viewMem.nodePos), waiting on the node being projected, cannot come
	// up (hopeful marks them, after clearing the last node's); marks
	// counts the marks made, ever (tests). A bit per place, sized for
	// every instance (2 KB on the platform), stays in the first-level
	// cache, where a stamp per instance (66 KB, no clearing) was read
	// from farther at every start.
	hopeless []uint64
	marks    int
	// retried: the node places of the instances whose start failed in
	// the node's projection and that queue again (projectNodeFast's
	// placeMarks, empty between nodes): only their next start is a retry
	// (p.att above l.fails), read by instance, where every start read
	// both counts.
	retried []uint64
	// allFirst: hopeful found every waiting instance of the node (later,
	// atNow, arr) coming up at its next start (its first draw within the
	// limit), for projectNodePure; slots is its working memory, and pures
	// counts the nodes it projected, ever (tests).
	allFirst bool
	slots    []float64
	ends     []finishEv
	idle     []int32
	pures    int
	queued   int // of pures, the nodes projectNodeQueued projected
	// firstN: per node place (viewMem.nodePos), the waiting instance's
	// next start's draw in this projection (drawHead.first), copied by
	// hopeful into firstBuf for the waiting instances of the node being
	// projected (later, atNow, arr) and read by projectNodeFast for those
	// only (an instance whose projected start failed reads its retry
	// instead); other places hold another node's or estimate's. With the
	// plan's places (shape.byPlan) it is the plan's first draws of this
	// projection, every place's, read-only (firstBuf then takes hopeful's
	// copies, unread).
	firstN   []float64
	firstBuf []float64
	// dirty: hopeless may hold marks (markStart clears it then); skips
	// counts the nodes hopeful found hopeful throughout from the plan's
	// bounds alone (planLayout.maxFirst), ever (tests).
	dirty bool
	skips int
	// at: the event the projection-wide loop is at (its releases queue
	// instances on sinks as of its time and instance); arr: those
	// arrivals on sinks, in the loop's order, and arrNode/arrOff the same
	// by node (see projectSinks).
	at      finishEv
	arr     []arrival
	arrNode []arrival
	arrOff  []int32
	// board: the estimate's board while projectAll runs (nil: the
	// node-by-node parts run here alone); loop: this projector's
	// node-by-node part under way, which others may help with;
	// helpTiers: a helper's tiers (see nodeLoop).
	board     *board
	loop      *nodeLoop
	helpTiers []TierStatus
	helped    int // nodes projected for another worker's projection, ever (tests)
}

// splitEvery makes every estimator split its node-by-node parts as
// shape.splitAll does: set once by the tests' TestMain from
// ESTIMATE_SPLIT_ALL, to run the package's tests (under -race) with every
// merge exercised; never set otherwise.
var splitEvery bool

// board hands the projections of one estimate (projectAll) to its
// workers, one at a time as each is free, and the nodes of the
// node-by-node parts under way (nodeLoop: projectLocal's, projectSinks')
// to the workers that have no projection left to start: with nine
// projections on two processors, each taking its own, one processor
// projected five and the other four, and waited for the last one
// (about 7 % of BenchmarkLive's wall time). Which worker projects a node
// changes nothing: each node's projection reads and writes only what is
// its own (its instances' attempts and draws, its part of the running
// starts' ends) and the projector's working memory, and the figures
// merge as maxima, counts and the multiset of up times.
type board struct {
	next atomic.Int32 // the next projection to start
	mu   sync.Mutex
	cond sync.Cond // on mu: a loop opened, a helper finished, the last projection ended
	open []*nodeLoop
	left int // projections not ended, under mu
	// stride: shape.splitAll (worker 0 projects, worker 1 helps with
	// every loop, taking the odd nodes).
	stride bool
}

// nodeLoop is a projection's node-by-node part (projectLocal's nodes, or
// projectSinks'), its nodes taken one at a time by its own worker and by
// those that join it (board). A helper works in its own projector (its
// working memory, its given-up count, ups and remote ups) with the
// owner's attempts (att, per instance: disjoint across nodes) and
// projection-wide state (the running starts' ends by node, arrivals,
// doomed nodes, read only or written in the node's own part), and adds
// its figures to the loop's under the board's lock once done; the owner
// waits for its helpers before it merges them.
type nodeLoop struct {
	next  atomic.Int32 // the next node to project
	nodes int32
	owner *projector
	sinks bool // projectSinks' (else projectLocal's)
	now   float64
	kind  int
	stale []bool
	speed []float64
	// Under the board's lock: helpers at work, and whether one joined
	// (board.stride); mine: the next node of each (stride).
	joined int
	helped bool
	mine   [2]int32
	// The helpers' figures (under the board's lock): up times, the
	// greatest of them (-Inf none) and per tier, projected ups, given
	// up, remote ups.
	ups    []float64
	all    float64
	tiers  []TierStatus
	lost   int
	remote []finishEv
}

// take returns the next node for worker who (0 the owner, 1 a helper;
// read only with board.stride), nodes or more when none is left.
func (lp *nodeLoop) take(b *board, who int) int32 {
	if b.stride {
		n := 2*lp.mine[who] + int32(who)
		lp.mine[who]++
		return n
	}
	return lp.next.Add(1) - 1
}

// more reports whether a worker joining lp now may find a node (under the
// board's lock).
func (lp *nodeLoop) more(b *board) bool {
	if b.stride {
		return !lp.helped
	}
	return lp.next.Load() < lp.nodes
}

// resetTiers sets ts to the n tiers of a helper's projection: no ETA yet
// (-Inf, which max takes as nothing), none projected.
func resetTiers(ts []TierStatus, n int) []TierStatus {
	ts = resize(ts, n)
	for t := range ts {
		ts[t] = TierStatus{ETAS: math.Inf(-1)}
	}
	return ts
}

// addTiers adds the tiers' figures src to dst: the later ETA of each
// (s; -Inf none), the sum of their ups projected.
func addTiers(dst, src []TierStatus) {
	for t := range dst {
		dst[t].ETAS = max(dst[t].ETAS, src[t].ETAS)
		dst[t].projected += src[t].projected
	}
}

// byNode runs p's node-by-node part (see nodeLoop) over every node: alone
// without a board (or with shape.noHelp), else with whichever worker joins.
func (l *Live) byNode(p *projector, pr *projection, sinks bool, now float64, stale []bool, kind int, speed []float64, ups []float64) []float64 {
	nn := int32(len(l.c.M.Devices))
	if p.loop == nil {
		p.loop = new(nodeLoop)
	}
	lp := p.loop
	lp.owner, lp.sinks, lp.now, lp.kind, lp.stale, lp.speed, lp.nodes = p, sinks, now, kind, stale, speed, nn
	b := p.board
	if b == nil || l.shape.noHelp {
		for n := range nn {
			ups = l.loopNode(p, lp, pr, n, ups)
		}
		lp.stale, lp.speed = nil, nil
		return ups
	}
	lp.next.Store(0)
	lp.mine = [2]int32{}
	lp.joined, lp.helped = 0, false
	lp.ups, lp.all, lp.lost, lp.remote = lp.ups[:0], math.Inf(-1), 0, lp.remote[:0]
	lp.tiers = resetTiers(lp.tiers, len(pr.tiers))
	b.mu.Lock()
	b.open = append(b.open, lp)
	b.cond.Broadcast()
	b.mu.Unlock()
	for n := lp.take(b, 0); n < nn; n = lp.take(b, 0) {
		ups = l.loopNode(p, lp, pr, n, ups)
	}
	b.mu.Lock()
	for lp.joined > 0 || b.stride && !lp.helped {
		b.cond.Wait()
	}
	for j, x := range b.open {
		if x == lp {
			b.open = slices.Delete(b.open, j, j+1)
			break
		}
	}
	b.mu.Unlock()
	ups = append(ups, lp.ups...)
	pr.all = max(pr.all, lp.all)
	addTiers(pr.tiers, lp.tiers)
	p.lost += lp.lost
	p.remote = append(p.remote, lp.remote...)
	lp.stale, lp.speed = nil, nil
	return ups
}

// help has worker h, with no projection left to start, take nodes of the
// node-by-node parts under way (see board) until every projection ended.
func (l *Live) help(h *projector, b *board) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		var lp *nodeLoop
		for _, x := range b.open {
			if x.more(b) {
				lp = x
				break
			}
		}
		if lp == nil {
			if b.left == 0 {
				return
			}
			b.cond.Wait()
			continue
		}
		lp.joined++
		lp.helped = true
		b.mu.Unlock()
		o := lp.owner
		att := h.att
		h.att = o.att
		h.lost, h.remote = 0, h.remote[:0]
		h.helpTiers = resetTiers(h.helpTiers, len(lp.tiers))
		pr := projection{all: math.Inf(-1), tiers: h.helpTiers}
		ups := h.ups[:0]
		if l.shape.noFast {
			nn := len(l.c.M.Devices)
			if len(h.waiting) < nn {
				h.waiting = append(h.waiting, make([]rankQueue, nn-len(h.waiting))...)
			}
		}
		for n := lp.take(b, 1); n < lp.nodes; n = lp.take(b, 1) {
			ups = l.loopNode(h, lp, &pr, n, ups)
		}
		h.att, h.ups = att, ups
		b.mu.Lock()
		lp.ups = append(lp.ups, ups...)
		lp.all = max(lp.all, pr.all)
		addTiers(lp.tiers, pr.tiers)
		lp.lost += h.lost
		lp.remote = append(lp.remote, h.remote...)
		lp.joined--
		b.cond.Broadcast()
	}
}

// loopNode projects node n of loop lp in projector p (lp's owner's, or a
// helper's) into pr and ups: projectLocal's part for it, or
// projectSinks'.
func (l *Live) loopNode(p *projector, lp *nodeLoop, pr *projection, n int32, ups []float64) []float64 {
	sh := &l.shape
	o := lp.owner
	later := sh.laterNode[sh.laterOff[n]:sh.laterOff[n+1]]
	if lp.sinks {
		if !sh.sink[n] {
			return ups
		}
		if o.doomed[n] {
			// Its running and waiting instances, and its arrivals, were
			// counted given up; its back-offs, left out of the loop, are
			// each given up when they end, as place does.
			p.lost += len(later)
			return ups
		}
		run := o.runNode[sh.runOff[n]:sh.runOff[n+1]]
		arr := o.arrNode[o.arrOff[n]:o.arrOff[n+1]]
		if len(run) == 0 && len(later) == 0 && len(sh.atNow[n]) == 0 && len(arr) == 0 {
			return ups
		}
		p.helped += b2i(p != o)
		return l.projectOwn(p, pr, n, lp.now, lp.kind, lp.speed[n], run, later, arr, ups)
	}
	if lp.stale[n] || sh.mixed && sh.open[n] {
		return ups // nothing starts there: its back-offs end at risk; or left to the projection-wide loop
	}
	run := o.runNode[sh.runOff[n]:sh.runOff[n+1]]
	if len(run) == 0 && len(later) == 0 && len(sh.atNow[n]) == 0 {
		return ups
	}
	p.helped += b2i(p != o)
	return l.projectOwn(p, pr, n, lp.now, lp.kind, lp.speed[n], run, later, nil, ups)
}

// arrival is an instance queued on a sink by the projection-wide loop at
// its event (t, src): the up whose release queued it, or its own back-off's
// end. A sink's projection takes it in that order among its own events
// (by time, then instance), as the loop did.
type arrival struct {
	t         float64
	src, inst int32
}

// before reports whether arrival a comes before event e in the
// projection-wide loop's order (time, then instance).
func (a arrival) before(e finishEv) bool { return a.t < e.t || a.t == e.t && a.src < e.inst }

// markStart starts a new set of hopeless marks for n instances, none set
// (cleared only when a mark was made since the last clear).
func (p *projector) markStart(n int) {
	if nw := (n + 63) / 64; len(p.hopeless) != nw {
		p.hopeless = make([]uint64, nw)
	} else if p.dirty {
		clear(p.hopeless)
	}
	p.dirty = false
}

// mark marks the instance at node place x hopeless (see markStart).
func (p *projector) mark(x int32) { p.hopeless[x>>6] |= 1 << (x & 63) }

func (l *Live) prepare() {
	if l.shape.ready {
		return
	}
	l.shape.ready = true
	c := l.c
	sh := &l.shape
	sh.draws = drawsOf(c, l.salt)
	var fixed *fixedShape
	if l.shared {
		fixed = sharedOf(c).fixedOf(c, l.p)
	} else {
		fixed = newFixedShape(c, l.p)
	}
	sh.maxTier, sh.tier, sh.svc, sh.rankPos, sh.rankInst = fixed.maxTier, fixed.tier, fixed.svc, fixed.rankPos, fixed.rankInst
	sh.timeout, sh.tierTot, sh.slotOff, sh.tt = fixed.timeout, fixed.tierTot, fixed.slotOff, fixed.tt
	sh.fixed = fixed
	sh.nRetry = l.retry.MaxAttempts - 1
	if l.shared {
		sh.table = sh.draws.tableOf(c, sh.nRetry)
		sh.heads = sh.table.heads
	} else {
		sh.heads = make([]drawHead, len(c.Instances)*Samples)
		for ki, x := range sh.draws.firsts(c) {
			sh.heads[ki].first = x // least left 0: not drawn
		}
		for k := range sh.retries {
			sh.retries[k] = make([]atomic.Pointer[[]float64], (len(c.Instances)+retryChunk-1)/retryChunk)
		}
	}
}

// fixedShape is the part of shape that depends only on the cluster and
// the plan (the dispatch ranks), not on the seed, the retry rule or the
// events: read-only once made. Estimators that share their working memory
// (Live.ShareWorkspace) share it too, whatever their seeds (fixedOf): it
// took some 3 ms of an incident's first estimate in the service (a sort
// of the instances by rank), and 0.6 MB (with its plan layout 1 MB) of
// each seed's draws on the incident-scale platform when it was kept per
// seed.
type fixedShape struct {
	maxTier  int
	tier     []int32   // per instance: its service's tier
	svc      []svcInfo // per service
	rankPos  []int32   // see shape.rankPos
	rankInst []int32
	timeout  []float64  // per instance: its service's timeout per attempt, s
	tierTot  []int32    // per tier: its instances
	slotOff  []int32    // see shape.slotOff
	tt       []timeTier // per instance: timeout and tier together
	// plan: the node places of the plan's nodes, laid out at the first
	// estimate that can take them (planOf): an incident whose instances
	// left their planned nodes before (a herded one) never holds them.
	planOnce sync.Once
	plan     *planLayout
}

// planOf returns the planLayout of cluster c with plan p (f's), laid out
// on first use.
func (f *fixedShape) planOf(c *placement.Cluster, p *placement.Plan) *planLayout {
	f.planOnce.Do(func() { f.plan = newPlanLayout(c, p, f.rankInst, f.tt) })
	return f.plan
}

// planLayout is layOutNodes' node places for the plan's nodes (every
// instance on its planned node: a new incident's, until the recovery moves
// one), with what the node-by-node projections read by place: laid out
// once per cluster and plan, where layOutNodes lays them out at every
// estimate. It depends on no seed: each seed's first draws by place are a
// planFirsts.
type planLayout struct {
	pos   []int32    // per instance: its place (viewMem.nodePos), -1 with no node
	inst  []int32    // per place: the instance (viewMem.nodeInst)
	tt    []timeTier // per place: its timeout and tier (viewMem.ttN)
	start []int32    // per node: its first place; one more entry at the end
	// minTimeout: per node, the least of its instances' timeouts (+Inf
	// with none).
	minTimeout []float64
}

// planFirsts is one seed's first draws laid out by a planLayout's places,
// where hopeful copied each waiting instance's first draw from the heads
// (16 bytes an instance at random in 2.4 MB) in every projection.
type planFirsts struct {
	// first: per projection k and place x, at k·places + x, the
	// instance's first start's draw (seedDraws.firsts).
	first []float64
	// maxFirst: per projection k and node n, at k·nodes + n, the largest
	// of the node's instances' first draws. When maxFirst ≤ minTimeout·sp
	// (the node's speed), every instance planned there comes up at its
	// next start (first ≤ timeout·sp, as attempt compares: the product is
	// monotone in each factor).
	maxFirst   []float64
	minTimeout []float64 // the layout's
}

// allFirst reports whether every instance planned on node n comes up at
// its first start in projection k at speed sp (>= 1e-3): maxFirst ≤
// minTimeout·sp. Only a bound: an instance may come up with it false.
func (pf *planFirsts) allFirst(k int, n int32, sp float64) bool {
	nn := len(pf.minTimeout)
	return pf.maxFirst[k*nn+int(n)] <= pf.minTimeout[n]*sp
}

// newPlanFirsts lays out the first draws in heads (drawHead.first, at
// k·instances + i) of cluster c's instances by plan layout pl's places.
func newPlanFirsts(c *placement.Cluster, pl *planLayout, heads []drawHead) *planFirsts {
	nn, nInst, np := len(c.M.Devices), len(c.Instances), len(pl.inst)
	pf := &planFirsts{first: make([]float64, Samples*np), maxFirst: make([]float64, Samples*nn), minTimeout: pl.minTimeout}
	for k := range Samples {
		row := pf.first[k*np : (k+1)*np]
		for x, i := range pl.inst {
			row[x] = heads[k*nInst+int(i)].first
		}
		for n := range nn {
			m := math.Inf(-1)
			for _, f := range row[pl.start[n]:pl.start[n+1]] {
				m = max(m, f)
			}
			pf.maxFirst[k*nn+n] = m
		}
	}
	return pf
}

// newPlanLayout lays out the node places of plan p's nodes for cluster c,
// whose instances' places in the rank order are rankInst, and timeouts
// and tiers tt.
func newPlanLayout(c *placement.Cluster, p *placement.Plan, rankInst []int32, tt []timeTier) *planLayout {
	nn, nInst := len(c.M.Devices), len(c.Instances)
	off := make([]int32, nn+1)
	for i := range nInst {
		if n := p.Assign[i].Node; n >= 0 {
			off[n+1]++
		}
	}
	for n := 0; n < nn; n++ {
		off[n+1] += off[n]
	}
	np := int(off[nn])
	pl := &planLayout{pos: make([]int32, nInst), inst: make([]int32, np), tt: make([]timeTier, np)}
	start := slices.Clone(off)
	pl.start = start
	for _, i := range rankInst {
		n := p.Assign[i].Node
		if n < 0 {
			pl.pos[i] = -1
			continue
		}
		x := off[n]
		off[n]++
		pl.pos[i], pl.inst[x], pl.tt[x] = x, i, tt[i]
	}
	pl.minTimeout = make([]float64, nn)
	for n := range nn {
		m := math.Inf(1)
		for _, e := range pl.tt[start[n]:start[n+1]] {
			m = min(m, e.timeout)
		}
		pl.minTimeout[n] = m
	}
	return pl
}

// timeTier is an instance's timeout per attempt (s) and tier side by side,
// as fixedShape.timeout and tier hold them, for the loops that read both
// of an instance at random (hopefulQuick, projectNodeFast): one cache
// line instead of two.
type timeTier struct {
	timeout float64
	tier    int32
}

// newFixedShape computes the fixedShape of cluster c with plan p (nil:
// the instances' indices are their ranks).
func newFixedShape(c *placement.Cluster, p *placement.Plan) *fixedShape {
	m := c.M
	f := &fixedShape{}
	for s := range m.Services {
		f.maxTier = max(f.maxTier, m.Services[s].Tier)
	}
	f.tier = make([]int32, len(c.Instances))
	for i, in := range c.Instances {
		f.tier[i] = int32(m.Services[in.Service].Tier)
	}
	f.svc = make([]svcInfo, len(m.Services))
	for s := range m.Services {
		sv := &m.Services[s]
		timeout := sv.TimeoutS
		if timeout <= 0 {
			timeout = placement.DefaultTimeoutS
		}
		f.svc[s] = svcInfo{timeout: timeout, quorum: int32(sv.Quorum())}
	}
	f.rankPos = make([]int32, len(c.Instances))
	f.rankInst = make([]int32, len(c.Instances))
	order := make([]rankItem, len(c.Instances))
	for i := range order {
		order[i] = mkRank(rankOf(p, i), int32(i))
	}
	slices.Sort(order)
	for pos, r := range order {
		f.rankPos[r.inst()], f.rankInst[pos] = int32(pos), r.inst()
	}
	f.timeout = make([]float64, len(c.Instances))
	for i, in := range c.Instances {
		f.timeout[i] = f.svc[in.Service].timeout
	}
	f.tt = make([]timeTier, len(c.Instances))
	for i := range f.tt {
		f.tt[i] = timeTier{f.timeout[i], f.tier[i]}
	}
	f.tierTot = make([]int32, f.maxTier+1)
	for _, t := range f.tier {
		f.tierTot[t]++
	}
	f.slotOff = make([]int32, len(m.Devices)+1)
	for n := range m.Devices {
		k := m.Devices[n].StartConcurrency
		if k <= 0 {
			k = placement.DefaultConcurrency
		}
		f.slotOff[n+1] = f.slotOff[n] + int32(k)
	}
	return f
}

// fixedOf returns the fixedShape of cluster c (e's) with plan p, made once
// per cluster and plan and shared by their estimators, whatever their
// seeds. It is keyed by the plan itself (weakly: a new plan never takes a
// collected one's key; the entry goes with the cluster, or when another
// plan's is made after its plan is collected), so that an estimator of
// another plan of the cluster cannot get another's ranks; nothing in it
// depends on the seed or the retry rule.
func (e *sharedFirsts) fixedOf(c *placement.Cluster, p *placement.Plan) *fixedShape {
	key := weak.Make(p)
	e.mu.Lock()
	f := e.fixed[key]
	e.mu.Unlock()
	if f != nil {
		return f
	}
	f = newFixedShape(c, p)
	e.mu.Lock()
	defer e.mu.Unlock()
	if g := e.fixed[key]; g != nil {
		return g // made meanwhile by another: the same
	}
	if e.fixed == nil {
		e.fixed = map[weak.Pointer[placement.Plan]]*fixedShape{}
	}
	sweepCollected(e.fixed)
	e.fixed[key] = f
	return f
}

// planFirstsOf returns the first draws of d's seed laid out by plan
// layout pl's places (pl of cluster c; heads: a draw table's of the seed),
// made once per seed and layout and shared by the estimators of the seed.
// They go with the seed's draws, or, keyed weakly by the layout, when
// another layout's are made after theirs was collected (seed 0's draws
// stay with the cluster).
func (d *seedDraws) planFirstsOf(c *placement.Cluster, pl *planLayout, heads []drawHead) *planFirsts {
	key := weak.Make(pl)
	d.mu.Lock()
	defer d.mu.Unlock()
	if pf := d.plans[key]; pf != nil {
		return pf
	}
	pf := newPlanFirsts(c, pl, heads)
	if d.plans == nil {
		d.plans = map[weak.Pointer[planLayout]]*planFirsts{}
	}
	sweepCollected(d.plans)
	d.plans[key] = pf
	return pf
}

// sweepCollected deletes the entries of m whose key's object was
// collected. The zero key (weak.Make(nil): the nil plan's) is kept: its
// Value is nil from the start.
func sweepCollected[K, V any](m map[weak.Pointer[K]]V) {
	for k := range m {
		if k != (weak.Pointer[K]{}) && k.Value() == nil {
			delete(m, k)
		}
	}
}

// projectAll runs the Samples projections, spread over the processors;
// projection k is the same whichever worker runs it. speeds fits the
// node speeds and returns each projection's draws (per projection and
// node); it runs while view lays out the state, which it neither reads
// nor changes (the fit is the Live's fits alone): each took about a
// seventh of a herded recovery's estimate, one after the other.
func (l *Live) projectAll(now float64, stale []bool, speeds func() [][]float64) []projection {
	l.prepare()
	workers := min(runtime.GOMAXPROCS(0), Samples)
	split := l.shape.splitAll || splitEvery
	if split {
		workers = 2 // one projecting, one helping with every node-by-node part
	}
	projs := make([]*projector, workers)
	var pool *sharedFirsts
	if l.shared {
		pool = sharedOf(l.c)
		pool.mu.Lock()
		if n := len(pool.views); n > 0 {
			l.shape.viewMem, pool.views[n-1], pool.views = pool.views[n-1], viewMem{}, pool.views[:n-1]
		}
		for w := range projs {
			if n := len(pool.free); n > 0 {
				projs[w], pool.free = pool.free[n-1], pool.free[:n-1]
			} else {
				projs[w] = new(projector)
			}
		}
		pool.mu.Unlock()
	} else {
		if len(l.shape.projs) < workers {
			l.shape.projs = append(l.shape.projs, make([]projector, workers-len(l.shape.projs))...)
		}
		for w := range projs {
			projs[w] = &l.shape.projs[w]
		}
	}
	var speed [][]float64
	var fit sync.WaitGroup
	fit.Go(func() { speed = speeds() })
	l.view(now, stale)
	fit.Wait()
	out := make([]projection, Samples)
	b := &board{left: Samples, stride: split}
	b.cond.L = &b.mu
	var wg sync.WaitGroup
	for w := range projs {
		wg.Go(func() {
			p := projs[w]
			if l.shape.noHelp && !split {
				for k := w; k < Samples; k += len(projs) { // as before the board
					out[k] = l.project(p, now, stale, k, speed[k])
				}
				return
			}
			if len(projs) > 1 {
				p.board = b
			}
			for !(b.stride && w > 0) {
				k := int(b.next.Add(1)) - 1
				if k >= Samples {
					break
				}
				out[k] = l.project(p, now, stale, k, speed[k])
				b.mu.Lock()
				if b.left--; b.left == 0 {
					b.cond.Broadcast()
				}
				b.mu.Unlock()
			}
			if p.board != nil {
				l.help(p, b)
			}
			p.board = nil
		})
	}
	wg.Wait()
	if pool != nil {
		// What the pool keeps must not hold this estimator's seed's
		// draws or plan layout (the incident may be dropped): the
		// next estimate lays them out again.
		for _, p := range projs {
			p.firstN = nil
		}
		if l.shape.byPlan {
			l.shape.nodePos, l.shape.nodeInst, l.shape.ttN = nil, nil, nil
		}
		pool.mu.Lock()
		pool.free = append(pool.free, projs...)
		pool.views = append(pool.views, l.shape.viewMem)
		pool.mu.Unlock()
		l.shape.viewMem = viewMem{}
	}
	return out
}

// view lays out what every projection at now shares: the running starts,
// the tiers' counts and latest up times, and where the 90 % point falls if
// among the instances already up.
func (l *Live) view(now float64, stale []bool) {
	sh := &l.shape
	sh.running = sh.running[:0]
	sh.tierUp = resize(sh.tierUp, sh.maxTier+1)
	sh.tierUpT = resize(sh.tierUpT, sh.maxTier+1)
	for t := range sh.tierUp {
		sh.tierUp[t], sh.tierUpT[t] = 0, -1
	}
	sh.upLast, sh.gaveUp = 0, 0
	sh.upT = sh.upT[:0]
	sh.anyUnplaced = false
	for i, st := range l.state {
		switch st {
		case stUp:
			t := sh.tier[i]
			sh.tierUp[t]++
			sh.tierUpT[t] = max(sh.tierUpT[t], l.upT[i])
			sh.upLast = max(sh.upLast, l.upT[i])
			sh.upT = append(sh.upT, l.upT[i])
		case stPending:
			if l.givenUp(i) {
				sh.gaveUp++
			} else if l.node[i] < 0 {
				sh.anyUnplaced = true
			}
		case stScheduled:
			if l.node[i] < 0 {
				sh.anyUnplaced = true
			}
		case stStarted:
			n := l.node[i]
			if n < 0 || stale[n] {
				n = -1
			}
			sh.running = append(sh.running, runItem{inst: int32(i), node: n, elapsed: now - l.startT[i]})
		}
	}
	if k := ninetyK(len(l.state)); k >= 0 && k < len(sh.upT) {
		sh.upNinety = kth(sh.upT, k)
	}
	// The instances released already (every dependency at quorum), waiting
	// on their nodes by rank: the same in every projection. Those with no
	// node yet are placed by each projection.
	m := l.c.M
	nn := len(m.Devices)
	if len(sh.atNow) < nn {
		sh.atNow = append(sh.atNow, make([][]rankItem, nn-len(sh.atNow))...)
	}
	for n := 0; n < nn; n++ {
		sh.atNow[n] = sh.atNow[n][:0]
	}
	sh.unplacedNow = sh.unplacedNow[:0]
	sh.later = sh.later[:0]
	sh.left = resize(sh.left, len(m.Services))
	sh.open = resize(sh.open, nn)
	clear(sh.open)
	sh.pendOff = resize(sh.pendOff, nn+1)
	clear(sh.pendOff)
	sh.quorumOpen = resize(sh.quorumOpen, len(m.Services))
	flag := resize(sh.atNowFlag, (len(l.state)+63)/64) // the instances atNow holds
	clear(flag)
	sh.atNowFlag = flag
	flagged := false
	for s := range m.Services {
		sh.quorumOpen[s] = l.upBy[s] < sh.svc[s].quorum && len(l.c.Dependents(s)) > 0
	}
	for s := range m.Services {
		left := l.depsLeft[s]
		sh.left[s] = left
		if left > 0 {
			first := l.c.First(s)
			for i := first; i < first+m.Services[s].Instances; i++ {
				if st := l.state[i]; st == stUp || st == stStarted || l.givenUp(i) {
					continue
				}
				if n := l.node[i]; n >= 0 {
					sh.open[n] = true // a release queues it there
					sh.pendOff[n+1]++
				}
			}
			continue
		}
		first := l.c.First(s)
		for i := first; i < first+m.Services[s].Instances; i++ {
			if st := l.state[i]; st == stUp || st == stStarted {
				continue
			}
			if l.givenUp(i) {
				continue
			}
			if at := l.readyAt(i); at > now {
				sh.later = append(sh.later, finishEv{t: at, inst: int32(i), kind: evReady})
				continue
			}
			switch n := l.node[i]; {
			case n < 0:
				sh.unplacedNow = append(sh.unplacedNow, int32(i))
			case !stale[n]:
				flag[i>>6] |= 1 << (i & 63)
				flagged = true
			}
		}
	}
	// atNow by rank: the flagged instances taken in the rank order
	// (shape.rankInst), where sorting each node's took a twentieth of a
	// new incident's estimate.
	if flagged {
		for _, i := range sh.rankInst {
			if flag[i>>6]&(1<<(i&63)) != 0 {
				n := l.node[i]
				sh.atNow[n] = append(sh.atNow[n], mkRank(l.rank(int(i)), i))
			}
		}
	}
	for n := 0; n < nn; n++ {
		sh.pendOff[n+1] += sh.pendOff[n]
	}
	// In instance order (services' instances are consecutive, in service
	// order), so radixByTime sorts them by time, then instance.
	sh.laterTmp = radixByTime(sh.later, sh.laterTmp)
	// The instances a release will queue, by node (counted above).
	sh.pendInst = resize(sh.pendInst, int(sh.pendOff[nn]))
	fill := append(sh.cursor[:0], sh.pendOff[:nn]...)
	sh.cursor = fill
	for s := range m.Services {
		if sh.left[s] == 0 {
			continue
		}
		first := l.c.First(s)
		for i := first; i < first+m.Services[s].Instances; i++ {
			if st := l.state[i]; st == stUp || st == stStarted || l.givenUp(i) {
				continue
			}
			if n := l.node[i]; n >= 0 {
				sh.pendInst[fill[n]] = int32(i)
				fill[n]++
			}
		}
	}
	l.layOutLocal(stale)
}

// layOutLocal decides whether the projections at this estimate may run
// node by node (shape.local) and, if so, lays the running starts and the
// back-offs under way out by node.
func (l *Live) layOutLocal(stale []bool) {
	sh := &l.shape
	nn := len(l.c.M.Devices)
	sh.local = !sh.noLocal && len(sh.unplacedNow) == 0
	released := true
	for _, left := range sh.left {
		if left > 0 {
			sh.local = false // a release would reach other nodes
			released = false
		}
	}
	for _, e := range sh.later {
		if l.node[e.inst] < 0 {
			sh.local = false // placed where there is most room, at its time
		}
	}
	sh.mixed = !sh.noLocal && !sh.noMixed && !released && !sh.anyUnplaced
	if !sh.local && !sh.mixed {
		return
	}
	l.layOutNodes()
	sh.atNowBits = resize(sh.atNowBits, (len(sh.nodeInst)+63)/64)
	clear(sh.atNowBits)
	for n := 0; n < nn; n++ {
		for _, r := range sh.atNow[n] {
			x := sh.nodePos[r.inst()]
			sh.atNowBits[x>>6] |= 1 << (x & 63)
		}
	}
	if sh.mixed {
		l.findSinks(stale)
		sh.laterOpen = sh.laterOpen[:0]
		for _, e := range sh.later {
			if n := l.node[e.inst]; sh.open[n] && !sh.sink[n] {
				sh.laterOpen = append(sh.laterOpen, e)
			}
		}
	}
	sh.runOff = resize(sh.runOff, nn+1)
	clear(sh.runOff)
	for _, r := range sh.running {
		if r.node >= 0 {
			sh.runOff[r.node+1]++
		}
	}
	for n := 0; n < nn; n++ {
		sh.runOff[n+1] += sh.runOff[n]
	}
	sh.laterOff = resize(sh.laterOff, nn+1)
	clear(sh.laterOff)
	for _, e := range sh.later {
		sh.laterOff[l.node[e.inst]+1]++
	}
	for n := 0; n < nn; n++ {
		sh.laterOff[n+1] += sh.laterOff[n]
	}
	sh.laterNode = resize(sh.laterNode, len(sh.later))
	fill := append([]int32(nil), sh.laterOff[:nn]...)
	for _, e := range sh.later {
		n := l.node[e.inst]
		sh.laterNode[fill[n]] = e
		fill[n]++
	}
}

// layOutNodes lays the instances out by node, then rank (viewMem.nodePos,
// nodeInst, ttN): a counting sort by node of the instances in rank order.
func (l *Live) layOutNodes() {
	sh := &l.shape
	nn := len(l.c.M.Devices)
	nInst := len(l.c.Instances)
	sh.byPlan = false
	if sh.noNodeOrder {
		sh.nodePos = resize(sh.posBuf, nInst)
		sh.nodeInst = resize(sh.instBuf, nInst)
		sh.ttN = resize(sh.ttBuf, nInst)
		sh.posBuf, sh.instBuf, sh.ttBuf = sh.nodePos, sh.nodeInst, sh.ttN
		for pos, i := range sh.rankInst {
			sh.nodePos[i], sh.nodeInst[pos], sh.ttN[pos] = int32(pos), i, sh.tt[i]
			if l.node[i] < 0 {
				sh.nodePos[i] = -1
			}
		}
		return
	}
	if l.p != nil && !sh.noPlan && l.offPlan == 0 {
		if sh.plan == nil {
			sh.plan = sh.fixed.planOf(l.c, l.p)
			if l.shared {
				sh.planFirst = sh.draws.planFirstsOf(l.c, sh.plan, sh.heads)
			} else {
				sh.planFirst = newPlanFirsts(l.c, sh.plan, sh.heads)
			}
		}
		pl := sh.plan
		sh.nodePos, sh.nodeInst, sh.ttN = pl.pos, pl.inst, pl.tt
		sh.byPlan = true
		return
	}
	off := resize(sh.cursor, nn+1)
	clear(off)
	for _, n := range l.node {
		if n >= 0 {
			off[n+1]++
		}
	}
	for n := 0; n < nn; n++ {
		off[n+1] += off[n]
	}
	sh.nodePos = resize(sh.posBuf, nInst)
	sh.nodeInst = resize(sh.instBuf, int(off[nn]))
	sh.ttN = resize(sh.ttBuf, int(off[nn]))
	sh.posBuf, sh.instBuf, sh.ttBuf = sh.nodePos, sh.nodeInst, sh.ttN
	for _, i := range sh.rankInst {
		n := l.node[i]
		if n < 0 {
			sh.nodePos[i] = -1
			continue
		}
		pos := off[n]
		off[n]++
		sh.nodePos[i], sh.nodeInst[pos], sh.ttN[pos] = pos, i, sh.tt[i]
	}
	sh.cursor = off
}

// findSinks marks the sinks among the open nodes (shape.sink) of a mixed
// projection: the nodes that hold an instance of a service whose ups count
// towards a release (quorumOpen: running, waiting, waiting out a back-off,
// or to be released there) are not, nor are the stale ones.
func (l *Live) findSinks(stale []bool) {
	sh := &l.shape
	nn := len(l.c.M.Devices)
	sh.sink = resize(sh.sink, nn)
	sh.anySink = false
	if sh.noSink {
		clear(sh.sink)
		return
	}
	for n := range sh.sink {
		sh.sink[n] = sh.open[n] && !stale[n]
	}
	counts := func(i int32) bool { return sh.quorumOpen[l.c.Instances[i].Service] }
	for _, r := range sh.running {
		if r.node >= 0 && counts(r.inst) {
			sh.sink[r.node] = false
		}
	}
	for _, e := range sh.later {
		if counts(e.inst) {
			sh.sink[l.node[e.inst]] = false
		}
	}
	for n := 0; n < nn; n++ {
		if !sh.sink[n] {
			continue
		}
		for _, r := range sh.atNow[n] {
			if counts(r.inst()) {
				sh.sink[n] = false
				break
			}
		}
		for _, i := range sh.pendInst[sh.pendOff[n]:sh.pendOff[n+1]] {
			if sh.sink[n] && counts(i) {
				sh.sink[n] = false
				break
			}
		}
		sh.anySink = sh.anySink || sh.sink[n]
	}
}

// rank is instance i's dispatch rank: the plan's, or its index without one.
func (l *Live) rank(i int) int32 { return rankOf(l.p, i) }

// rankOf is instance i's dispatch rank in plan p, or its index when p is
// nil.
func rankOf(p *placement.Plan, i int) int32 {
	if p != nil {
		return p.Rank(i)
	}
	return int32(i)
}

// ninetyK is the index, in up times sorted, of the 90 % point of n
// instances.
func ninetyK(n int) int { return int(math.Ceil(0.9*float64(n))) - 1 }

// uniform is the next draw in [0, 1) of r, as rand.Rand.Float64 makes it.
func uniform(r *rand.PCG) float64 {
	return float64(r.Uint64()<<11>>11) / (1 << 53)
}

// attempt draws, for projection k, how instance i's q-th start from now
// on (0: its running start, or its next) ends on a node of the given speed
// when it has already run elapsed seconds (0 if not started): after d
// seconds more, up, or failed at its timeout (up false); d is never less
// than 0. The start's duration comes from its service's distribution,
// given it exceeds what is done, drawn by generators of their own (fixed
// seed, instance, projection), not the recovery's. The q-th start's draw
// is fixed per instance and projection (so a start keeps the draw it was
// projected with before it began, as long as it can); for the running
// start, when that draw is below what is done, one is drawn from the
// distribution beyond what is done by a generator of its own: together
// exactly the distribution given what is done.
func (l *Live) attempt(i, k, q int, speed, elapsed float64) (d float64, up bool) {
	sh := &l.shape
	ki := k*len(l.c.Instances) + i
	sp := max(speed, 1e-3)
	x := sh.heads[ki].first
	if q > 0 {
		x = l.retryDraw(i, k, q)
		elapsed = 0
	} else if elapsed > 0 {
		if done := elapsed * sp; x <= done { // work done so far
			d := l.c.M.Services[l.c.Instances[i].Service].Start
			var r rand.PCG
			r.Seed(0xc0d171^sh.draws.salt, uint64(i)<<8|uint64(k&0xff))
			lo := 1 - placement.Exceeds(d, done)
			x = placement.Quantile(d, min(lo+uniform(&r)*(1-lo), 1-1e-9))
		}
	} else {
		elapsed = 0
	}
	timeout := sh.timeout[i]
	if x <= timeout*sp { // the work an attempt does before its timeout
		return max(x/sp-elapsed, 0), true
	}
	return max(timeout-elapsed, 0), false
}

// drawHead is what a projected start and its failure read of an
// instance's draws in one projection: its first start's, and the least of
// its retries' (+Inf with none; 0 until drawn, so a least of 0 is kept as
// −0).
type drawHead struct {
	first float64
	least atomic.Uint64 // its bits: shared heads are drawn into by estimators at once (drawTable)
}

// minRetry is the least of instance i's retry draws in projection k
// (+Inf with none).
func (l *Live) minRetry(i, k int) float64 {
	m := math.Float64frombits(l.shape.heads[k*len(l.c.Instances)+i].least.Load())
	if m == 0 && !math.Signbit(m) {
		m = l.drawRetries(i, k)
	}
	return m
}

// retryDraw is instance i's draw, in projection k, of its q-th start from
// now on (q >= 1; past the last retry, the last's).
func (l *Live) retryDraw(i, k, q int) float64 {
	sh := &l.shape
	m := l.minRetry(i, k)
	if sh.nRetry == 0 {
		return m
	}
	return l.retryBlock(i, k)[min(q, sh.nRetry)-1]
}

// retryBlock is where instance i's retry draws in projection k are kept
// (drawn or not: see minRetry).
func (l *Live) retryBlock(i, k int) []float64 {
	sh := &l.shape
	if sh.table != nil { // drawn: minRetry comes first
		return sh.table.drawn(k*len(l.c.Instances) + i)
	}
	c := &sh.retries[k][i/retryChunk]
	b := c.Load()
	if b == nil {
		nb := make([]float64, retryChunk*sh.nRetry)
		if b = &nb; !c.CompareAndSwap(nil, b) {
			b = c.Load() // another worker's, on another node of the projection
		}
	}
	return (*b)[(i%retryChunk)*sh.nRetry:][:sh.nRetry]
}

// retryChunk is how many instances' retry draws are allocated together.
const retryChunk = 256

// firstsOf returns seed 0's first draws of cluster c (seedDraws.firsts).
func firstsOf(c *placement.Cluster) []float64 { return drawsOf(c, 0).firsts(c) }

// firsts returns the first-start draws of cluster c's instances for the
// estimators seeded d's way, at k·instances + i for projection k:
// instance i's start duration at full speed from its generator (the
// seed's salt, instance, projection: firstDraw). They are a function of
// the cluster and the seed alone, so they are drawn once per cluster and
// seed and shared, read-only, by its estimators that keep working memory
// of their own (each copies them into its heads); the estimators that
// share theirs (Live.ShareWorkspace, a service's: one per incident, most
// of one model revision) read them in their draw table's heads, drawn
// there (tableOf) and never kept here too (1.2 MB a seed on the
// platform). Drawing them took about a third of an incident's first
// estimate on the platform (149,247 quantiles). The cluster (and its
// model) must not change afterwards, as everywhere else.
func (d *seedDraws) firsts(c *placement.Cluster) []float64 {
	d.once.Do(func() {
		n := len(c.Instances)
		d.x = make([]float64, n*Samples)
		for k := 0; k < Samples; k++ {
			for i := range c.Instances {
				d.x[k*n+i] = firstDraw(c, d.salt, i, k)
			}
		}
	})
	return d.x
}

// firstDraw is instance i's first start's duration at full speed in
// projection k, from its generator (salt: seedDraws.salt; instance,
// projection), s.
func firstDraw(c *placement.Cluster, salt uint64, i, k int) float64 {
	var r rand.PCG
	r.Seed(0xe57a11e^salt, uint64(i)<<8|uint64(k&0xff))
	return placement.Quantile(c.M.Services[c.Instances[i].Service].Start, min(uniform(&r), 1-1e-9))
}

// sharedOf returns what the estimators of cluster c share (see
// sharedFirsts), made on first use; it goes when the cluster is
// collected.
func sharedOf(c *placement.Cluster) *sharedFirsts {
	key := weak.Make(c)
	firstDraws.mu.Lock()
	e := firstDraws.of[key]
	if e == nil {
		if firstDraws.of == nil {
			firstDraws.of = map[weak.Pointer[placement.Cluster]]*sharedFirsts{}
		}
		e = &sharedFirsts{}
		firstDraws.of[key] = e
		runtime.AddCleanup(c, func(key weak.Pointer[placement.Cluster]) {
			firstDraws.mu.Lock()
			delete(firstDraws.of, key)
			firstDraws.mu.Unlock()
		}, key)
	}
	firstDraws.mu.Unlock()
	return e
}

// drawsOf returns the draws of cluster c's estimators whose seed has salt
// salt (seedSalt), made on first use: seed 0's stay with the cluster,
// another seed's while an estimator holds them (shape.draws), so that a
// service seeding each incident its own way keeps no incident's draws
// after it.
func drawsOf(c *placement.Cluster, salt uint64) *seedDraws {
	e := sharedOf(c)
	if salt == 0 {
		return &e.zero
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if d := e.seeds[salt].Value(); d != nil {
		return d
	}
	d := &seedDraws{salt: salt}
	w := weak.Make(d)
	if e.seeds == nil {
		e.seeds = map[uint64]weak.Pointer[seedDraws]{}
	}
	e.seeds[salt] = w
	runtime.AddCleanup(d, func(w weak.Pointer[seedDraws]) {
		e.mu.Lock()
		if e.seeds[salt] == w {
			delete(e.seeds, salt)
		}
		e.mu.Unlock()
	}, w)
	return d
}

// seedSalt is what seed mixes into the draws' generators: 0 for 0, so
// that seed 0 draws as before seeds were an input; distinct seeds give
// distinct salts (an odd multiplier is a bijection of the uint64s).
func seedSalt(seed uint64) uint64 { return seed * 0x9e3779b97f4a7c15 }

// firstDraws holds firstsOf's draws per cluster.
var firstDraws struct {
	mu sync.Mutex
	of map[weak.Pointer[placement.Cluster]]*sharedFirsts
}

// sharedFirsts is what one cluster's estimators share: for the
// estimators that share their working memory (Live.ShareWorkspace), the
// projectors and views not in use and the fixed shapes (per plan, for
// every seed); and, per seed, their draws.
type sharedFirsts struct {
	mu    sync.Mutex
	free  []*projector
	views []viewMem                          // the views not in use (see viewMem)
	zero  seedDraws                          // seed 0's draws
	seeds map[uint64]weak.Pointer[seedDraws] // other seeds' draws, by salt, while held
	fixed map[weak.Pointer[placement.Plan]]*fixedShape
}

// seedDraws is what a cluster's estimators seeded alike share: their
// first draws, made once (firsts, for the estimators with working memory
// of their own), and, for those that share their working memory, the
// draw tables and the first draws by the places of each plan layout.
type seedDraws struct {
	salt   uint64 // seedSalt of the seed
	once   sync.Once
	x      []float64
	mu     sync.Mutex
	tables map[int]*drawTable // by retries per instance
	plans  map[weak.Pointer[planLayout]]*planFirsts
}

// drawRetries draws instance i's retries for projection k, from the same
// generator as its first start (after it), and returns their least. They
// are drawn only when a projection first fails one of the instance's
// starts: most instances never fail, and drawing every retry of every
// instance up front made an incident's first estimate several times as
// costly as the next.
func (l *Live) drawRetries(i, k int) float64 {
	sh := &l.shape
	ki := k*len(l.c.Instances) + i
	if t := sh.table; t != nil {
		return t.draw(l.c, i, k, sh.nRetry)
	}
	m := drawInto(l.c, sh.draws.salt, i, k, l.retryBlock(i, k))
	sh.heads[ki].least.Store(math.Float64bits(m))
	return m
}

// drawInto draws instance i's retries for projection k into rs, from the
// generator of its first draw (salt: seedDraws.salt), and returns their
// least (+Inf with none; a least of 0 as −0).
func drawInto(c *placement.Cluster, salt uint64, i, k int, rs []float64) float64 {
	var r rand.PCG
	r.Seed(0xe57a11e^salt, uint64(i)<<8|uint64(k&0xff))
	r.Uint64() // the first start's
	d := c.M.Services[c.Instances[i].Service].Start
	m := math.Inf(1)
	for j := range rs {
		x := placement.Quantile(d, min(uniform(&r), 1-1e-9))
		rs[j] = x
		m = min(m, x)
	}
	if m == 0 {
		m = math.Copysign(0, -1)
	}
	return m
}

// drawTable is the draws of one cluster's estimators that share them
// (Live.ShareWorkspace) with one seed and one number of retries: they are
// a function of the cluster and the seed alone, and an incident's first
// estimate filled 2.4 MB of heads of its own on the platform and drew its
// retries again. heads' first are the seed's first draws (firstDraw,
// the values seedDraws.firsts gives), drawn when the table is made or
// copied from another table of the seed; an instance's retries in a
// projection (at ki = k·instances + i: slot ki mod retryChunk of
// retries[ki / retryChunk], see retrySlots) are drawn, as drawRetries
// does, when an estimator first needs them and published, then their
// least in heads, so that an estimator reading a least drawn reads its
// retries. Two estimators may draw the same at once: the same draws, one
// kept.
type drawTable struct {
	salt    uint64 // seedDraws.salt
	heads   []drawHead
	retries []atomic.Pointer[retrySlots]
}

// tableOf returns cluster c's drawTable for nRetry retries and d's seed,
// made on first use.
func (d *seedDraws) tableOf(c *placement.Cluster, nRetry int) *drawTable {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.tables[nRetry]; t != nil {
		return t
	}
	n := len(c.Instances)
	t := &drawTable{salt: d.salt, heads: make([]drawHead, n*Samples), retries: make([]atomic.Pointer[retrySlots], (n*Samples+retryChunk-1)/retryChunk)}
	var from []drawHead // another table's of the seed: the same first draws
	for _, o := range d.tables {
		from = o.heads
		break
	}
	for k := 0; k < Samples; k++ {
		for i := 0; i < n; i++ {
			ki := k*n + i
			if from != nil {
				t.heads[ki].first = from[ki].first
			} else {
				t.heads[ki].first = firstDraw(c, d.salt, i, k)
			}
		}
	}
	if d.tables == nil {
		d.tables = map[int]*drawTable{}
	}
	d.tables[nRetry] = t
	return t
}

// draw is drawRetries for a shared table.
func (t *drawTable) draw(c *placement.Cluster, i, k, nRetry int) float64 {
	ki := k*len(c.Instances) + i
	rs := make([]float64, nRetry)
	m := drawInto(c, t.salt, i, k, rs)
	ch := &t.retries[ki/retryChunk]
	slots := ch.Load()
	if slots == nil {
		if slots = new(retrySlots); !ch.CompareAndSwap(nil, slots) {
			slots = ch.Load() // another estimator's, made meanwhile
		}
	}
	slots[ki%retryChunk].CompareAndSwap(nil, &rs) // else another estimator's, the same draws
	t.heads[ki].least.Store(math.Float64bits(m))
	return m
}

// drawn is the retries of the (projection, instance) pair at ki, drawn
// and published (draw): their least in heads is read first.
func (t *drawTable) drawn(ki int) []float64 {
	return *t.retries[ki/retryChunk].Load()[ki%retryChunk].Load()
}

// retrySlots is a drawTable's pointers to the retries of retryChunk
// (projection, instance) pairs, made when one of them is first drawn:
// where little fails (a calm incident) a table holds few, where one for
// every pair took 1.2 MB a seed on the platform.
type retrySlots [retryChunk]atomic.Pointer[[]float64]

// nextUp is, for instance i whose start failed and freed its slot at t
// (p.att[i] counting its failure), when it queues again, by the retry
// rule: after the back-off that failure earns. When the start was a retry
// that held its slot for the futile retries after it too (end, failHold),
// those are counted in p.att[i] and their back-offs added, so that the
// instance queues when it would have after running each in turn. false
// when it has no start left: it is given up (end marks that evLost, and
// such an end never comes here).
func (l *Live) nextUp(p *projector, i, k int, t, speed float64) (float64, bool) {
	d, ok := l.nextDelay(p, i, k, speed)
	return t + d, ok
}

// nextDelay is nextUp's wait from the failure on, s: the back-offs'
// sum; it counts the failures in p.att[i] as nextUp does.
func (l *Live) nextDelay(p *projector, i, k int, speed float64) (float64, bool) {
	a := int(p.att[i])
	f := 0
	if a-1 > int(l.fails[i]) { // a retry: the futile ones after it were held
		f, _ = l.failHold(i, k, a, l.shape.timeout[i]*max(speed, 1e-3))
	}
	d := 0.0
	for j := a; j <= a+f; j++ {
		d += l.retry.Backoff(j)
	}
	p.att[i] = uint8(a + f)
	if !l.retry.Again(a + f) {
		return 0, false
	}
	return d, true
}

// failHold is, for instance i's start in projection k that fails (its
// a-th failure, a >= 1, counting those projected) on a node where a start
// must do its work within limit (its timeout times the node's speed), how
// many of the retries after it would outlast their timeouts too before one
// that can come up, and whether none can (the instance is given up after
// them). A retry that fails holds its slot for its own timeout and for
// those futile retries' (end), in one piece, and one event: the simulator
// runs each, holding a slot for its timeout, with a back-off between
// (left out of the slot's time here: the retry rule's back-offs are
// still added to when the instance queues again, nextUp). Each futile
// retry as an event of its own made BenchmarkLive's herded recovery, whose
// slow nodes fail most starts, about seven times as slow. The first start
// from now on fails alone (end): when its slot frees, the instances
// waiting take it during the instance's first back-off, as in the
// simulator.
func (l *Live) failHold(i, k, a int, limit float64) (f int, lost bool) {
	if l.minRetry(i, k) > limit {
		return l.futileLeft(a), true // none of its retries can come up
	}
	rs := l.retryBlock(i, k)
	for ; l.retry.Again(a); a++ {
		if q := a - int(l.fails[i]); q > l.shape.nRetry || rs[q-1] <= limit {
			return f, false
		}
		f++
	}
	return f, true
}

// futileLeft is how many retries an instance has after its a-th failure
// (a >= 1), by the retry rule.
func (l *Live) futileLeft(a int) int {
	return max(l.retry.MaxAttempts-a, 0)
}

// readyAt is when instance i, waiting after a failed attempt, is due
// again by the recovery's retry rule (its back-off's mean: the jitter
// averages 1); 0 if it is not waiting out a back-off.
func (l *Live) readyAt(i int) float64 {
	if l.fails[i] == 0 || l.state[i] != stPending {
		return 0
	}
	return l.failT[i] + l.retry.Backoff(int(l.fails[i]))
}

// givenUp reports whether instance i failed its last attempt: the
// recovery will not start it again.
func (l *Live) givenUp(i int) bool {
	return l.state[i] == stPending && !l.retry.Again(int(l.fails[i]))
}

// project runs the remaining work forward as the plan policy carries it
// out: running starts hold their slots until their projected end; a
// service is released when a quorum of each dependency is projected up,
// its instances then wait on their nodes, and whenever a node has a free
// slot it starts the waiting instance of lowest dispatch rank
// (placement.Plan.Rank), at the node's drawn speed. A start that outlasts
// its timeout frees its slot then, and the instance waits out its back-off
// before it queues again, or is given up after its last attempt, by the
// recovery's placement.Retry rule, as the simulator does. An instance with
// no node goes to the node of its pool with the most free slots when it is
// released; one on a stale node, or behind a dependency that never reaches
// quorum, is at risk.
func (l *Live) project(p *projector, now float64, stale []bool, kind int, speed []float64) projection {
	c := l.c
	m := c.M
	sh := &l.shape
	nn := len(m.Devices)
	pr := projection{tiers: make([]TierStatus, sh.maxTier+1), all: sh.upLast}
	for t := range pr.tiers {
		pr.tiers[t] = TierStatus{Total: int(sh.tierTot[t]), Up: int(sh.tierUp[t]), ETAS: max(sh.tierUpT[t], 0)}
	}
	p.free = resize(p.free, nn)
	if len(p.waiting) < nn {
		p.waiting = append(p.waiting, make([]rankQueue, nn-len(p.waiting))...)
	}
	for n := 0; n < nn; n++ {
		p.free[n] = sh.slotOff[n+1] - sh.slotOff[n]
		p.waiting[n] = p.waiting[n][:0]
	}
	p.doomed = resize(p.doomed, nn)
	clear(p.doomed)
	p.startNode = resize(p.startNode, len(c.Instances))
	p.att = resize(p.att, len(c.Instances))
	copy(p.att, l.fails)
	p.lost = 0
	// The heap holds only the events the projection makes: the running
	// starts' ends (below) and the back-offs under way at now (sh.later)
	// are sorted once and merged with it.
	p.ev.reset()
	nextLater := 0
	ups := p.ups[:0]
	// Running starts hold a slot until their projected end. They are many
	// when nodes herded (hundreds per node): sorted once, they are merged
	// with the heap of the starts the projection makes. When nodes are
	// projected on their own (shape.local, and the closed nodes of
	// shape.mixed), each node's are laid out by node (p.runNode, in
	// instance order) and ordered there only as far as needed (see
	// splitHeld); only the others (all, or the open nodes') go to p.run
	// and are sorted.
	p.run = p.run[:0]
	byNode := sh.local || sh.mixed
	if byNode {
		p.runNode = resize(p.runNode, int(sh.runOff[nn]))
		p.cur = resize(p.cur, nn)
		copy(p.cur, sh.runOff[:nn])
	}
	for _, r := range sh.running {
		if r.node < 0 {
			continue
		}
		rest, up := l.attempt(int(r.inst), kind, 0, speed[r.node], r.elapsed)
		p.free[r.node]--
		p.startNode[r.inst] = r.node
		e := l.end(int(r.inst), kind, int(l.fails[r.inst]), now, rest, up, speed[r.node])
		if byNode && !sh.noSplit {
			p.runNode[p.cur[r.node]] = e
			p.cur[r.node]++
			if !sh.mixed || !sh.open[r.node] || sh.sink[r.node] {
				continue
			}
		}
		p.run = append(p.run, e)
	}
	p.tmp = radixByTime(p.run, p.tmp)
	if byNode && sh.noSplit {
		// As before splitHeld: all sorted, then laid out by node in order.
		for _, e := range p.run {
			n := p.startNode[e.inst]
			p.runNode[p.cur[n]] = e
			p.cur[n]++
		}
	}
	if sh.local {
		ups = l.projectLocal(p, &pr, now, stale, kind, speed, ups)
		return l.finish(p, pr, ups)
	}
	later := sh.later
	if sh.mixed {
		ups = l.projectMixed(p, &pr, now, stale, kind, speed, ups)
		later = sh.laterOpen
	}
	if !sh.noHold && !sh.anyUnplaced {
		l.holdOver(p, kind, speed)
	}
	next := 0
	p.upCnt = resize(p.upCnt, len(m.Services))
	p.left = resize(p.left, len(m.Services))
	copy(p.upCnt, l.upBy)
	copy(p.left, sh.left)
	p.touched = p.touched[:0]
	p.head = resize(p.head, nn)
	for n := 0; n < nn; n++ {
		p.head[n] = 0
		if len(sh.atNow[n]) > 0 && (!sh.mixed || sh.open[n] && !p.doomed[n] && !sh.sink[n]) {
			p.touched = append(p.touched, int32(n))
		}
	}
	for _, i := range sh.unplacedNow {
		l.place(p, i, l.c.Instances[i].Service, stale)
	}
	l.dispatch(p, now, kind, speed)
	for p.ev.n > 0 || next < len(p.run) || nextLater < len(later) {
		// The earliest of the three.
		var e finishEv
		src := 0 // 0 heap, 1 running, 2 later
		if p.ev.n > 0 {
			e = p.ev.peek()
		}
		if next < len(p.run) && (src == 0 && p.ev.n == 0 || p.run[next].less(e)) {
			e, src = p.run[next], 1
		}
		if nextLater < len(later) && (src == 0 && p.ev.n == 0 || later[nextLater].less(e)) {
			e, src = later[nextLater], 2
		}
		switch src {
		case 0:
			p.ev.pop()
		case 1:
			next++
		default:
			nextLater++
		}
		p.at = e
		i, t := e.inst, e.t
		s := c.Instances[i].Service
		if e.remote {
			// An up on a closed node (projectMixed): it counts towards
			// its service's quorum, the rest was done there.
			if p.upCnt[s]++; p.upCnt[s] == sh.svc[s].quorum {
				for _, d := range c.Dependents(int(s)) {
					if p.left[d]--; p.left[d] == 0 {
						l.release(p, d, t, stale)
					}
				}
			}
			l.dispatch(p, t, kind, speed)
			continue
		}
		if e.kind == evReady {
			l.place(p, i, s, stale)
			l.dispatch(p, t, kind, speed)
			continue
		}
		n := p.startNode[i]
		held := e.held || p.free[n] < 0 // a start beyond the node's slots
		if e.held {
			// No slot frees (see holdOver).
		} else if p.free[n]++; p.free[n] > 0 {
			p.touched = append(p.touched, n) // a slot to start the next in
		}
		if e.kind != evUp {
			p.att[i]++
			if e.kind == evLost || held && l.heldLost(e, kind, speed[n]) {
				p.lost++
			} else if at, ok := l.nextUp(p, int(i), kind, t, speed[n]); ok {
				p.ev.push(finishEv{t: at, inst: i, kind: evReady})
			} else {
				p.lost++
			}
			l.dispatch(p, t, kind, speed)
			continue
		}
		ups = append(ups, t)
		pr.all = max(pr.all, t)
		tr := &pr.tiers[sh.tier[i]]
		tr.ETAS = max(tr.ETAS, t)
		tr.projected++
		if p.upCnt[s]++; p.upCnt[s] == sh.svc[s].quorum {
			for _, d := range c.Dependents(int(s)) {
				if p.left[d]--; p.left[d] == 0 {
					l.release(p, d, t, stale)
				}
			}
		}
		l.dispatch(p, t, kind, speed)
	}
	if sh.mixed && sh.anySink {
		ups = l.projectSinks(p, &pr, now, kind, speed, ups)
	}
	return l.finish(p, pr, ups)
}

// projectMixed projects the closed nodes (shape.mixed: no instance on
// them waits for a release) each on its own, as projectLocal does, and
// leaves in p.run only the open nodes' running starts, merged with the
// closed nodes' ups that count towards a release (marked remote). The
// projection-wide loop then takes the open nodes' events and those ups:
// a closed node's events change no other node but by the releases its ups
// make (its slots and queue are its own, and mostFree, which reads other
// nodes' slots, places nothing: no instance lacks a node), and nothing on
// another node changes it (a release queues nothing on it), so each node
// sees the same events in the same order as in the projection-wide loop
// alone, and the releases come at the same (time, instance). Over the
// first 450,000 events of BenchmarkLive's herded recovery the closed nodes
// held about a third of the projection-wide loop's events (a few per cent
// at first, nearly all once most services are released), mostly starts
// given up, which projectLocal's hopeful skips.
func (l *Live) projectMixed(p *projector, pr *projection, now float64, stale []bool, kind int, speed []float64, ups []float64) []float64 {
	sh := &l.shape
	p.remote = p.remote[:0]
	p.arr = p.arr[:0]
	ups = l.projectLocal(p, pr, now, stale, kind, speed, ups)
	slices.SortFunc(p.remote, compare[finishEv])
	// An open node none of whose instances can come up (running, waiting,
	// after a back-off, or to be released: whether one can depends on its
	// draws, the node's speed and its attempts left, never on when it
	// starts) changes no other node: its running and waiting instances
	// are counted given up, one each, and so are those queued there
	// later (place), each when it would have been.
	for n := range sh.open {
		if !sh.open[n] || stale[n] {
			continue
		}
		run := p.runNode[sh.runOff[n]:sh.runOff[n+1]]
		if l.hopefulUpTo(run, sh.laterNode[sh.laterOff[n]:sh.laterOff[n+1]], sh.atNow[n], nil, kind, speed[n], 1) > 0 {
			continue
		}
		sp := max(speed[n], 1e-3)
		doomed := true
		for _, i := range sh.pendInst[sh.pendOff[n]:sh.pendOff[n+1]] {
			if l.waitingCan(i, kind, sp) {
				doomed = false
				break
			}
		}
		if doomed {
			p.doomed[n] = true
			p.lost += len(run) + len(sh.atNow[n])
		}
	}
	// The open nodes' running starts (in order), merged with the remote
	// ups, in p.tmp; then swapped into p.run.
	out := p.tmp[:0]
	j := 0
	for _, e := range p.run {
		if n := p.startNode[e.inst]; !sh.open[n] || p.doomed[n] || sh.sink[n] {
			continue
		}
		for j < len(p.remote) && p.remote[j].less(e) {
			out = append(out, p.remote[j])
			j++
		}
		out = append(out, e)
	}
	out = append(out, p.remote[j:]...)
	p.run, p.tmp = out, p.run
	return ups
}

// holdOver takes out of the running starts' ends (p.run, sorted) those
// that change nothing but their node's count of free slots, for the
// projection-wide loop. A node running r starts with c slots (r > c, as
// when nodes herded: hundreds each) has no free slot until the (r−c)-th of
// their ends, whichever they are, and the only effect of each of those
// ends on the node is that count: nothing starts there before it, and
// nothing else reads the count (mostFree's room does, for an instance
// with no node: holdOver is used only when there is none, see
// shape.anyUnplaced). So the node starts at 0 free slots, the first r−c
// ends are marked held (they free none), and those of them that end given
// up (evLost: no retry, no release) are counted lost here and left out
// (in BenchmarkLive's herded recovery a few thousand of a projection's
// 10,000-20,000 events before the last release). The others (up: they count towards releases; failed: their
// back-off) stay, in their place. Every other event sees the same state
// as without holdOver, so the projection is the same.
func (l *Live) holdOver(p *projector, kind int, speed []float64) {
	p.over = resize(p.over, len(p.free))
	held := false
	for n, f := range p.free {
		p.over[n] = 0
		if f < 0 {
			p.over[n], p.free[n] = -f, 0
			held = true
		}
	}
	if !held {
		return
	}
	w := 0
	for _, e := range p.run {
		if n := p.startNode[e.inst]; !e.remote && p.over[n] > 0 {
			p.over[n]--
			if l.heldLost(e, kind, speed[n]) {
				p.lost++ // given up, never started again: its att is read no more
				continue
			}
			e.held = true
		}
		p.run[w] = e
		w++
	}
	p.run = p.run[:w]
}

// heldLost reports whether e, the end of a running start beyond its
// node's slots (held: see holdOver) in projection k on a node of the
// given speed, gives its instance up: its last start (evLost), or one
// that fails with none of its retries able to come up. Such a start was
// made by a recovery that did not keep to the node's slots (a herded
// node runs hundreds on 4–6); its futile retries are not projected to
// take the plan's slots after it, as a retry that fails does within
// them (end): on BenchmarkLive's herded recovery, nearly all its held
// ends, that took the projections from 6 s to 12 s. The estimate of such
// a node is thus early by their slot time, as it was before futile
// retries held slots at all.
func (l *Live) heldLost(e finishEv, k int, speed float64) bool {
	return e.kind == evLost || e.kind == evFail && !l.retriesCan(e.inst, k, l.shape.timeout[e.inst]*max(speed, 1e-3))
}

// finish completes projection pr from its up times ups: the instances at
// risk and the 90 % point.
func (l *Live) finish(p *projector, pr projection, ups []float64) projection {
	c, sh := l.c, &l.shape
	p.ups = ups
	pr.atRisk = len(c.Instances) - l.nUp - len(ups) - sh.gaveUp - p.lost
	switch k := ninetyK(len(c.Instances)); {
	case k < 0:
		pr.ninety = pr.all
	case k < l.nUp:
		pr.ninety = sh.upNinety
	case k-l.nUp < len(ups):
		pr.ninety = p.kthLarge(ups, k-l.nUp)
	default:
		pr.ninety = pr.all
	}
	return pr
}

// projectLocal is project's event loop when the nodes are independent
// (shape.local): every service is released, so an instance coming up
// releases nothing, and every instance a projection starts has its node,
// so none is placed by the room on others. Each node's events are then
// exactly those the global loop would process for it, in the same order,
// with the same results; they are processed node by node, with the
// node's own small queue instead of the projection-wide one (which
// orders events of 190 nodes that cannot affect each other). The up times
// come out in another order, which changes none of the projection's
// figures (maxima, counts and the 90 % point's value). In a mixed
// projection (shape.mixed) it projects the closed nodes only, and keeps
// their ups that count towards a release in p.remote. It returns ups
// with the up times appended.
func (l *Live) projectLocal(p *projector, pr *projection, now float64, stale []bool, kind int, speed []float64, ups []float64) []float64 {
	return l.byNode(p, pr, false, now, stale, kind, speed, ups)
}

// projectOwn projects node n on its own (projectNode) with its running
// starts' ends run (in instance order), its back-offs later and the
// arrivals arr, once hopeful counted what can come up there (nothing:
// every instance given up, once).
func (l *Live) projectOwn(p *projector, pr *projection, n int32, now float64, kind int, sp float64, run, later []finishEv, arr []arrival, ups []float64) []float64 {
	sh := &l.shape
	hope := l.hopeful(p, n, run, later, sh.atNow[n], arr, kind, sp)
	if hope == 0 {
		p.lost += len(run) + len(later) + len(sh.atNow[n]) + len(arr) // each given up, once
		return ups
	}
	c := sh.slotOff[n+1] - sh.slotOff[n]
	if p.allFirst && !sh.noFast && !sh.noPure && !sh.noNodeOrder && c > 0 && len(run) <= int(c) {
		pure := true
		for _, e := range run {
			pure = pure && e.kind == evUp
		}
		if pure {
			return l.projectNodePure(p, pr, n, now, sp, run, later, arr, ups)
		}
	}
	var held []finishEv
	if !sh.noSplit {
		held, run = p.splitHeld(run, c)
	}
	return l.projectNode(p, pr, n, now, kind, sp, held, run, later, arr, hope, ups)
}

// projectNodePure is projectNode for a node on which nothing fails: its
// running starts are no more than its slots and all come up, and every
// instance waiting on it or to queue there (atNow, later, arr) comes up at
// its next start (hopeful found each one's first draw within its timeout
// at the node's speed: projector.allFirst). Then each start's up time is
// known when it starts (its start plus its draw at the node's speed, as
// in projectNode), and the node's slots are a few (time, instance) pairs
// scanned for the least, where projectNode queued each start's end as an
// event, popped it and took the event loop's five sources in turn. With
// nothing to queue later (no back-off under way, no arrival) the
// instances start in rank order, their node places in order, each at the
// least of the slots' free times (now for a free slot, a running start's
// end, or the end of the start made in it last): list scheduling, without
// the waiting set. The up times come in another order, which changes none
// of the projection's figures (see projectLocal). On a new incident's
// estimates nearly every node is such.
func (l *Live) projectNodePure(p *projector, pr *projection, n int32, now, sp float64, run, later []finishEv, arr []arrival, ups []float64) []float64 {
	sh := &l.shape
	c := int(sh.slotOff[n+1] - sh.slotOff[n])
	tiers := pr.tiers
	all := pr.all
	remote := sh.mixed && !sh.sink[n] // no instance on a sink counts towards a release
	for _, e := range run {
		t, i := e.t, e.inst
		ups = append(ups, t)
		all = max(all, t)
		tr := &tiers[sh.tt[i].tier]
		tr.ETAS = max(tr.ETAS, t)
		tr.projected++
		if remote && sh.quorumOpen[l.c.Instances[i].Service] {
			p.remote = append(p.remote, finishEv{t: t, inst: i, kind: evUp, remote: true})
		}
	}
	p.pures++
	pr.all = all
	if len(later) > 0 || len(arr) > 0 {
		return l.projectNodeQueued(p, pr, n, now, sp, run, later, arr, ups)
	}
	atNow := sh.atNow[n]
	nodePos, nodeInst, ttN, firstN, bits := sh.nodePos, sh.nodeInst, sh.ttN, p.firstN, sh.atNowBits
	limitSp := max(sp, 1e-3)
	slots := resize(p.slots, c)
	p.slots = slots
	free := c - len(run)
	for j := range free {
		slots[j] = now
	}
	for j, e := range run {
		slots[free+j] = e.t
	}
	if len(atNow) == 0 {
		return ups
	}
	// atNow's places: in the node's run of places, in rank order, from
	// its first's to its last's (see projectNodeFast).
	lo, hi := nodePos[atNow[0].inst()], nodePos[atNow[len(atNow)-1].inst()]
	for w := lo >> 6; w <= hi>>6; w++ {
		b := bits[w]
		if w == lo>>6 {
			b &= ^uint64(0) << (lo & 63)
		}
		if w == hi>>6 {
			b &= ^uint64(0) >> (63 - hi&63)
		}
		for ; b != 0; b &= b - 1 {
			// The slot free first (any of equal times: the same start).
			m := 0
			for j := 1; j < c; j++ {
				if slots[j] < slots[m] {
					m = j
				}
			}
			// Its up, as projectNode counts it (the same below).
			pos := w<<6 + int32(bitsTrailing(b))
			tt := ttN[pos]
			t := slots[m] + max(firstN[pos]/limitSp, 0)
			slots[m] = t
			ups = append(ups, t)
			all = max(all, t)
			tr := &tiers[tt.tier]
			tr.ETAS = max(tr.ETAS, t)
			tr.projected++
			if remote {
				l.remoteUp(p, nodeInst[pos], t)
			}
		}
	}
	pr.all = all
	return ups
}

// remoteUp keeps instance i's up at t in p.remote when it counts towards a
// release (see projectMixed).
func (l *Live) remoteUp(p *projector, i int32, t float64) {
	if l.shape.quorumOpen[l.c.Instances[i].Service] {
		p.remote = append(p.remote, finishEv{t: t, inst: i, kind: evUp, remote: true})
	}
}

// projectNodeQueued is projectNodePure's loop for a node on which
// instances queue later (back-offs later, arrivals arr): the waiting in
// the rankSet by place, as projectNodeFast keeps them, started by rank
// while a slot is free; the slots' ends (time, instance; +Inf free)
// scanned for the least, and taken in the event loop's order with the
// back-offs (by time, then instance) and the arrivals (each group at its
// loop event, before an end it precedes). Its running starts' ups are
// counted in pr and ups already; it returns ups with those it projects.
func (l *Live) projectNodeQueued(p *projector, pr *projection, n int32, now, sp float64, run, later []finishEv, arr []arrival, ups []float64) []float64 {
	sh := &l.shape
	nodeInst, ttN, firstN := sh.nodeInst, sh.ttN, p.firstN
	limitSp := max(sp, 1e-3)
	tiers := pr.tiers
	all := pr.all
	remote := sh.mixed && !sh.sink[n]
	p.queued++
	c := int(sh.slotOff[n+1] - sh.slotOff[n])
	ends := resize(p.ends, c)
	p.ends = ends
	idle := p.idle[:0] // free slots
	for j := range c - len(run) {
		ends[j] = finishEv{t: math.Inf(1)}
		idle = append(idle, int32(j))
	}
	copy(ends[c-len(run):], run)
	nodePos := sh.nodePos
	ws := &p.waitSet
	ws.reset(len(l.c.Instances))
	if atNow := sh.atNow[n]; len(atNow) > 0 {
		ws.or(sh.atNowBits, nodePos[atNow[0].inst()], nodePos[atNow[len(atNow)-1].inst()])
	}
	t := now
	li, ai := 0, 0
	for {
		for len(idle) > 0 && ws.n > 0 {
			j := idle[len(idle)-1]
			idle = idle[:len(idle)-1]
			pos := ws.pop()
			tt := ttN[pos]
			tu := t + max(firstN[pos]/limitSp, 0)
			i := nodeInst[pos]
			ends[j] = finishEv{t: tu, inst: i}
			ups = append(ups, tu)
			all = max(all, tu)
			tr := &tiers[tt.tier]
			tr.ETAS = max(tr.ETAS, tu)
			tr.projected++
			if remote {
				l.remoteUp(p, i, tu)
			}
		}
		// The earliest end (a free slot's +Inf last).
		m := 0
		for j := 1; j < c; j++ {
			if before(&ends[j], &ends[m]) != 0 {
				m = j
			}
		}
		e, src := ends[m], 0
		has := !math.IsInf(e.t, 1)
		if li < len(later) && (!has || later[li].less(e)) {
			e, src, has = later[li], 2, true
		}
		if ai < len(arr) && (!has || arr[ai].before(e)) {
			a := arr[ai]
			for ; ai < len(arr) && arr[ai].t == a.t && arr[ai].src == a.src; ai++ {
				ws.push(nodePos[arr[ai].inst])
			}
			t = a.t
			continue
		}
		if !has {
			break
		}
		t = e.t
		if src == 2 {
			ws.push(nodePos[e.inst])
			li++
			continue
		}
		ends[m].t = math.Inf(1)
		idle = append(idle, int32(m))
	}
	p.idle = idle
	pr.all = all
	return ups
}

// before is 1 when a comes before b (finishEv.less), else 0, computed
// without a branch.
func before(a, b *finishEv) int {
	return b2i(a.t < b.t) | b2i(a.t == b.t)&b2i(a.inst < b.inst)
}

// bitsTrailing is the number of trailing zero bits of x.
func bitsTrailing(x uint64) int { return bits.TrailingZeros64(x) }

// projectSinks projects each sink of a mixed projection (shape.sink) on
// its own once the projection-wide loop is over: its running starts, its
// back-offs and the instances released already, as projectLocal does,
// and the instances the loop's releases queued there, each at the
// loop's event that queued it (projector.arr). Nothing a sink does changes
// another node (none of its ups counts towards a release, its slots and
// queue are its own, and no instance lacks a node), so the loop's events
// elsewhere and its releases are what they are with the sinks in it, and
// each sink sees its own events and arrivals in the loop's order. On
// BenchmarkEstimateEarly's new incident every application node is a sink;
// the databases' and internal services' nodes are left in the loop while
// their own services wait for a release, and are projected on their own
// (closed) once those are released, the loop then only turning their ups
// into the application nodes' arrivals.
func (l *Live) projectSinks(p *projector, pr *projection, now float64, kind int, speed []float64, ups []float64) []float64 {
	nn := len(l.c.M.Devices)
	p.arrOff = resize(p.arrOff, nn+1)
	clear(p.arrOff)
	for _, a := range p.arr {
		p.arrOff[l.node[a.inst]+1]++
	}
	for n := 0; n < nn; n++ {
		p.arrOff[n+1] += p.arrOff[n]
	}
	p.arrNode = resize(p.arrNode, len(p.arr))
	fill := append(p.cur[:0], p.arrOff[:nn]...)
	p.cur = fill
	for _, a := range p.arr {
		n := l.node[a.inst]
		p.arrNode[fill[n]] = a
		fill[n]++
	}
	return l.byNode(p, pr, true, now, nil, kind, speed, ups)
}

// hopeful counts the instances on a node of the given speed that come up
// in projection k: those whose running start comes up, or one of whose
// retries left can (for a running start that fails), and those waiting on
// it (atNow) or waiting out a back-off (later) whose next start or one of
// whose retries left can. Whether an instance's starts come up depends on
// its draws, the node's speed and its attempts left, never on when they
// are dispatched, so the others all end given up, one each. A node with
// none is not projected (in a herded recovery's late estimates such nodes
// held up to a fifth of a projection's events), and a node's projection
// stops once its last hopeful instance is up (the starts it would still
// dispatch hold slots only for instances given up).
//
// With p, it also marks in p the waiting instances (later, atNow, arr) that
// cannot come up, by node place (see projector.hopeless): projectNode
// starts them without reading their draws again; and copies each one's
// next start's draw to its place (projector.firstN), where projectNodeFast
// reads it. With the plan's places (shape.byPlan) the draws are there by
// place already, and a node n all of whose planned instances' first draws
// end before their timeouts at its speed (planLayout.maxFirst) has every
// waiting instance hopeful, none marked: its waiting instances are counted
// without reading them (on a new incident, nearly every node).
func (l *Live) hopeful(p *projector, n int32, run, later []finishEv, atNow []rankItem, arr []arrival, k int, speed float64) int {
	if p == nil || l.shape.noFast {
		return l.hopefulUpTo(run, later, atNow, arr, k, speed, math.MaxInt)
	}
	p.markStart(len(l.c.Instances))
	p.allFirst = false
	sh := &l.shape
	np := len(sh.nodeInst)
	p.firstBuf = resize(p.firstBuf, np)
	p.firstN = p.firstBuf
	sp := max(speed, 1e-3)
	hope, marked := 0, 0
	runMarked := false
	for _, e := range run {
		if e.kind == evUp || e.kind == evFail && l.retriesCan(e.inst, k, sh.timeout[e.inst]*sp) {
			hope++
		} else if e.kind == evFail {
			// It fails, and none of its retries can come up: marked, so
			// that its retry, all of them held at once (end), is started
			// without its draws, as a waiting instance marked is.
			p.mark(sh.nodePos[e.inst])
			runMarked = true
		}
	}
	if sh.byPlan {
		pf := sh.planFirst
		p.firstN = pf.first[k*np : (k+1)*np]
		if pf.allFirst(k, n, sp) {
			p.skips++
			p.allFirst = true
			p.dirty = runMarked
			return hope + len(later) + len(atNow) + len(arr)
		}
	}
	if !sh.noQuick {
		hope = l.hopefulQuick(p, later, atNow, arr, k, sp, hope)
		p.dirty = p.dirty || runMarked
		return hope
	}
	nInst := len(l.c.Instances)
	slow := func(i int32) {
		pos := sh.nodePos[i]
		p.firstBuf[pos] = sh.heads[k*nInst+int(i)].first
		if l.waitingCan(i, k, sp) {
			hope++
		} else {
			p.mark(pos)
			marked++
		}
	}
	for _, e := range later {
		slow(e.inst)
	}
	for _, r := range atNow {
		slow(r.inst())
	}
	for _, a := range arr {
		slow(a.inst)
	}
	p.marks += marked
	p.dirty = marked > 0 || runMarked
	return hope
}

// hopefulQuick is the rest of hopeful for the waiting instances (later,
// atNow, arr; hope counted so far) in two passes: the first decides each
// instance from its head alone, without a branch on the draws: its next
// start can end in time (first within the limit: hopeful), or none of its
// retries can (least beyond it: marked hopeless), or it is kept for the
// second pass, which asks retriesCan (the retries not drawn yet, or the
// least within the limit). With a branch on each draw the processor
// waited for each head in turn, its guesses of the comparisons wrong
// about as often as right; without, it can read the heads of many
// instances at once.
func (l *Live) hopefulQuick(p *projector, later []finishEv, atNow []rankItem, arr []arrival, k int, sp float64, hope int) int {
	sh := &l.shape
	n := len(l.c.Instances)
	q := quickScan{heads: sh.heads[k*n : (k+1)*n], nodePos: sh.nodePos, ttN: sh.ttN, firstN: p.firstBuf, sp: sp, hopeless: p.hopeless,
		maybe: resize(p.maybe, len(later)+len(atNow)+len(arr))}
	for _, e := range later {
		q.add(e.inst)
	}
	for _, r := range atNow {
		q.add(r.inst())
	}
	for _, a := range arr {
		q.add(a.inst)
	}
	hope += q.hope
	p.allFirst = q.hope == len(later)+len(atNow)+len(arr)
	marked := q.marked
	for _, i := range q.maybe[:q.n] {
		if l.retriesCan(i, k, sh.timeout[i]*sp) {
			hope++
		} else {
			p.mark(sh.nodePos[i])
			marked++
		}
	}
	p.maybe = q.maybe
	p.marks += marked
	p.dirty = marked > 0
	return hope
}

// quickScan is hopefulQuick's first pass.
type quickScan struct {
	heads        []drawHead
	nodePos      []int32    // viewMem.nodePos
	ttN          []timeTier // viewMem.ttN
	firstN       []float64  // projector.firstBuf, written
	sp           float64
	hopeless     []uint64
	maybe        []int32 // instances for the second pass: maybe[:n]
	n            int
	hope, marked int
}

// add decides waiting instance i from its head (see hopefulQuick), and
// copies its next start's draw to its node place (firstN).
func (q *quickScan) add(i int32) {
	hd := &q.heads[i]
	pos := q.nodePos[i]
	limit := q.ttN[pos].timeout * q.sp // as waitingCan compares
	first := hd.first
	q.firstN[pos] = first
	lb := hd.least.Load()
	// 1 or 0 each, combined without a branch: its next start within the
	// limit; its least retry within it, or not drawn (0; a least of 0 is
	// kept as −0).
	can := b2i(first <= limit)
	low := b2i(lb == 0) | b2i(math.Float64frombits(lb) <= limit)
	retry := (1 - can) & low
	none := (1 - can) & (1 - low)
	q.hope += can
	q.marked += none
	q.hopeless[pos>>6] |= uint64(none) << (pos & 63)
	q.maybe[q.n] = i
	q.n += retry
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hopefulUpTo is hopeful without p, counting no further than most.
func (l *Live) hopefulUpTo(run, later []finishEv, atNow []rankItem, arr []arrival, k int, speed float64, most int) int {
	sh := &l.shape
	sp := max(speed, 1e-3)
	hope := 0
	for _, e := range run {
		if e.kind == evUp || e.kind == evFail && l.retriesCan(e.inst, k, sh.timeout[e.inst]*sp) {
			if hope++; hope == most {
				return hope
			}
		}
	}
	for _, e := range later {
		if l.waitingCan(e.inst, k, sp) {
			if hope++; hope == most {
				return hope
			}
		}
	}
	for _, r := range atNow {
		if l.waitingCan(r.inst(), k, sp) {
			if hope++; hope == most {
				return hope
			}
		}
	}
	for _, a := range arr {
		if l.waitingCan(a.inst, k, sp) {
			if hope++; hope == most {
				return hope
			}
		}
	}
	return hope
}

// retriesCan reports whether one of instance i's retries left can end
// before its timeout in projection k, limit·(1/sp) on a node of speed sp:
// nextUp's search from its next failure on (a retry past the last draw is
// reached only when none of the draws can).
func (l *Live) retriesCan(i int32, k int, limit float64) bool {
	if l.minRetry(int(i), k) > limit {
		return false // no retry ends in time: the instance is given up (end)
	}
	if l.fails[i] == 0 {
		return true // every retry drawn is still allowed: the least is among them
	}
	rs := l.retryBlock(int(i), k)
	for a := int(l.fails[i]) + 1; l.retry.Again(a); a++ {
		if q := a - int(l.fails[i]); q > l.shape.nRetry || rs[q-1] <= limit {
			return true
		}
	}
	return false
}

// waitingCan reports whether instance i, not running, comes up in
// projection k on a node of speed sp (>= 1e-3) once it starts there: its
// next start, or one of its retries left, ends before its timeout.
func (l *Live) waitingCan(i int32, k int, sp float64) bool {
	limit := l.shape.timeout[i] * sp // as attempt and end compare
	return l.shape.heads[k*len(l.c.Instances)+int(i)].first <= limit || l.retriesCan(i, k, limit)
}

// projectNode projects node n on its own from now (see projectLocal):
// its running starts end as held (the ends that free no slot to start
// anything in, see splitHeld; in any order) and run (the others, sorted)
// say, the instances released already wait on it (shape.atNow), those
// waiting out a back-off queue at the times later says (sorted), those a
// release queues (a sink's: see projectSinks) at the arrivals arr (sorted,
// by the projection-wide loop's event), and its free slots start the
// waiting by rank, as dispatch does. It stops once hope instances came up (see
// hopeful; -1: at the end), counting the others given up. It is
// projectNodeFast unless shape.noFast; the reference below queues the
// waiting in a rankQueue and starts every instance through attempt and
// end (tests compare the two).
func (l *Live) projectNode(p *projector, pr *projection, n int32, now float64, kind int, sp float64, held, run, later []finishEv, arr []arrival, hope int, ups []float64) []float64 {
	sh := &l.shape
	if !sh.noFast {
		return l.projectNodeFast(p, pr, n, now, kind, sp, held, run, later, arr, hope, ups)
	}
	up0, lost0 := len(ups), p.lost
	defer func() {
		if hope >= 0 {
			// Every instance on the node ends up or given up, once.
			p.lost = lost0 + len(held) + len(run) + len(later) + len(sh.atNow[n]) + len(arr) - (len(ups) - up0)
		}
	}()
	free := sh.slotOff[n+1] - sh.slotOff[n] - int32(len(held)+len(run))
	q := &p.waiting[n]
	*q = (*q)[:0]
	atNow := sh.atNow[n]
	head := 0
	h := &p.nodeEv
	*h = (*h)[:0]
	// cameUp counts instance i up at t.
	cameUp := func(i int32, t float64) {
		ups = append(ups, t)
		pr.all = max(pr.all, t)
		tr := &pr.tiers[sh.tier[i]]
		tr.ETAS = max(tr.ETAS, t)
		tr.projected++
		if sh.mixed && sh.quorumOpen[l.c.Instances[i].Service] {
			p.remote = append(p.remote, finishEv{t: t, inst: i, kind: evUp, remote: true})
		}
	}
	// failed counts instance i's start failed at t, and queues its next
	// start that can come up when its back-off is over.
	failed := func(i int32, t float64, ek uint8) {
		p.att[i]++
		if ek == evLost {
			p.lost++
		} else if at, ok := l.nextUp(p, int(i), kind, t, sp); ok {
			h.push(finishEv{t: at, inst: i, kind: evReady})
		} else {
			p.lost++
		}
	}
	// start starts, at t, the waiting instances by rank while a slot is
	// free.
	start := func(t float64) {
		for free > 0 && (len(*q) > 0 || head < len(atNow)) {
			var i int32
			if head < len(atNow) && (len(*q) == 0 || atNow[head].less((*q)[0])) {
				i = atNow[head].inst()
				head++
			} else {
				i = q.pop().inst()
			}
			d, up := l.attempt(int(i), kind, int(p.att[i]-l.fails[i]), sp, 0)
			free--
			h.push(l.end(int(i), kind, int(p.att[i]), t, d, up, sp))
		}
	}
	// The held ends come first, in any order: each frees a slot that
	// the running starts beyond the node's slots still hold (free stays
	// at most 0), so none starts anything, and whatever else happens
	// before the last of them (back-offs ending, as pushes to the rank
	// queue) has the same effect after them.
	for _, e := range held {
		free++
		if e.kind != evUp {
			if l.heldLost(e, kind, sp) {
				p.att[e.inst]++
				p.lost++
				continue
			}
			failed(e.inst, e.t, e.kind)
			continue
		}
		if cameUp(e.inst, e.t); len(ups)-up0 == hope {
			return ups // the node's last hopeful instance is up
		}
	}
	start(now)
	ri, li, ai := 0, 0, 0
	for len(*h) > 0 || ri < len(run) || li < len(later) || ai < len(arr) {
		// The earliest of the four, as project takes them.
		var e finishEv
		src := -1 // 0 heap, 1 running, 2 later
		if len(*h) > 0 {
			e, src = (*h)[0], 0
		}
		if ri < len(run) && (src < 0 || run[ri].less(e)) {
			e, src = run[ri], 1
		}
		if li < len(later) && (src < 0 || later[li].less(e)) {
			e, src = later[li], 2
		}
		if ai < len(arr) && (src < 0 || arr[ai].before(e)) {
			// The next arrivals, all those of one event of the
			// projection-wide loop: queued, then started as dispatch
			// does after it.
			a := arr[ai]
			for ; ai < len(arr) && arr[ai].t == a.t && arr[ai].src == a.src; ai++ {
				q.push(mkRank(l.rank(int(arr[ai].inst)), arr[ai].inst))
			}
			start(a.t)
			continue
		}
		switch src {
		case 0:
			h.pop()
		case 1:
			ri++
		default:
			li++
		}
		i, t := e.inst, e.t
		if e.kind == evReady {
			q.push(mkRank(l.rank(int(i)), i))
			start(t)
			continue
		}
		if free++; free <= 0 && e.kind != evUp && l.heldLost(e, kind, sp) {
			p.att[i]++ // a start beyond the node's slots
			p.lost++
			start(t)
			continue
		}
		if e.kind != evUp {
			failed(i, t, e.kind)
			start(t)
			continue
		}
		if cameUp(i, t); len(ups)-up0 == hope {
			break // the node's last hopeful instance is up
		}
		start(t)
	}
	return ups
}

// splitHeld orders a node's running starts' ends run (each instance's
// once, in any order) as far as its projection needs them with c slots:
// when it runs more starts than c, the first len(run)−c ends (by time,
// then instance) free no slot to start anything in (the node's free
// slots only come back to 0), so held is those, in any order, and run
// the c latest, in order. A herded node runs hundreds of starts on 4–6
// slots: its ends were sorted in every projection (a radix sort of all
// the projection's running starts and their layout by node, about 8 % of
// BenchmarkLive's time), where only the latest c need be.
func (p *projector) splitHeld(run []finishEv, c int32) (held, rest []finishEv) {
	r := len(run)
	if c <= 0 {
		return run, run[:0]
	}
	if int32(r) <= c || c > splitMaxSlots {
		sortEvents(run)
		if int32(r) <= c {
			return run[:0], run
		}
		return run[:r-int(c)], run[r-int(c):]
	}
	// The c latest so far in tops, in order; the others to the front of
	// run (w never passes the one being read).
	tops := p.tops[:0]
	w := 0
	for _, e := range run {
		if len(tops) < int(c) {
			j := len(tops)
			tops = append(tops, e)
			for ; j > 0 && e.less(tops[j-1]); j-- {
				tops[j] = tops[j-1]
			}
			tops[j] = e
			continue
		}
		if !tops[0].less(e) {
			run[w] = e
			w++
			continue
		}
		run[w] = tops[0]
		w++
		j := 1
		for ; j < len(tops) && tops[j].less(e); j++ {
			tops[j-1] = tops[j]
		}
		tops[j-1] = e
	}
	copy(run[w:], tops)
	p.tops = tops
	return run[:w], run[w:]
}

// splitMaxSlots is the most slots for which splitHeld keeps the latest
// ends by insertion; a node with more has all its ends sorted.
const splitMaxSlots = 16

// sortEvents sorts xs by time, then instance.
func sortEvents(xs []finishEv) {
	if len(xs) > 12 {
		slices.SortFunc(xs, compare[finishEv])
		return
	}
	for k := 1; k < len(xs); k++ {
		e := xs[k]
		j := k
		for ; j > 0 && e.less(xs[j-1]); j-- {
			xs[j] = xs[j-1]
		}
		xs[j] = e
	}
}

// evHeap is a binary min-heap of events by time, then instance. Its push
// and pop are rankQueue's written for finishEv: one generic heap for both
// (minHeap[T interface{ less(T) bool }]) measured 7 % slower on
// BenchmarkLive (CPU 24.2 / 24.8 / 29.0 s against 22.9 / 21.6 / 26.4 s,
// idle), its less called through the instantiation's dictionary.
type evHeap []finishEv

func (h *evHeap) push(x finishEv) {
	a := append(*h, x)
	j := len(a) - 1
	for j > 0 {
		up := (j - 1) / 2
		if !x.less(a[up]) {
			break
		}
		a[j] = a[up]
		j = up
	}
	a[j] = x
	*h = a
}

func (h *evHeap) pop() finishEv {
	a := *h
	top := a[0]
	last := len(a) - 1
	x := a[last]
	a = a[:last]
	j := 0
	for {
		c := 2*j + 1
		if c >= last {
			break
		}
		if d := c + 1; d < last && a[d].less(a[c]) {
			c = d
		}
		if !a[c].less(x) {
			break
		}
		a[j] = a[c]
		j = c
	}
	if last > 0 {
		a[j] = x
	}
	*h = a
	return top
}

// Kinds of projected events.
const (
	evUp    = iota // a start ends with the instance up
	evFail         // a start ends at its timeout, to be retried
	evLost         // a start ends at its timeout, and no retry can come up
	evReady        // an instance's back-off is over: it queues again
)

// end is the end of instance i's start at t in projection k, on a node
// of the given speed, that takes d (attempt) and comes up or not; a is the
// instance's failures before it (projected ones counted). A start that
// fails ends at its timeout, failed, to be retried, or given up when it
// was the instance's last (evLost). A retry that fails (a beyond the
// failures observed) holds its slot also for the timeouts of the futile
// retries after it (failHold), then ends failed, or given up when none of
// its retries left can come up (evLost: the retry rule's test made here
// while the instance's draws are at hand).
func (l *Live) end(i, k, a int, t, d float64, up bool, speed float64) finishEv {
	if up {
		return finishEv{t: t + d, inst: int32(i), kind: evUp}
	}
	f, lost := 0, !l.retry.Again(a+1)
	to := l.shape.timeout[i]
	if a > int(l.fails[i]) {
		f, lost = l.failHold(i, k, a+1, to*max(speed, 1e-3))
	}
	e := finishEv{t: t + d + float64(f)*to, inst: int32(i), kind: evFail}
	if lost {
		e.kind = evLost
	}
	return e
}

// release puts service s's instances that are neither up nor starting in
// their nodes' queues at t, those waiting out a back-off when it ends;
// dispatch starts them. Instances out of attempts stay down.
func (l *Live) release(p *projector, s int32, t float64, stale []bool) {
	first := l.c.First(int(s))
	for i := first; i < first+l.c.M.Services[s].Instances; i++ {
		if st := l.state[i]; st == stUp || st == stStarted || l.givenUp(i) {
			continue
		}
		if at := l.readyAt(i); at > t {
			p.ev.push(finishEv{t: at, inst: int32(i), kind: evReady})
			continue
		}
		l.place(p, int32(i), s, stale)
	}
}

// place queues instance i of service s on its node, or on the node of the
// pool with the most free slots when it has none; on a stale node, or with
// no node, it is at risk.
func (l *Live) place(p *projector, i, s int32, stale []bool) {
	n := l.node[i]
	if n < 0 {
		n = l.mostFree(p, s, stale)
	}
	if n < 0 || stale[n] {
		return
	}
	if p.doomed[n] {
		p.lost++ // it would start there, and fail, in its time
		return
	}
	if l.shape.mixed && l.shape.sink[n] {
		p.arr = append(p.arr, arrival{t: p.at.t, src: p.at.inst, inst: i}) // projected there later
		return
	}
	p.waiting[n].push(mkRank(l.rank(int(i)), i))
	p.touched = append(p.touched, n)
}

// dispatch starts, at t, on every node touched since the last dispatch,
// waiting instances by rank while the node has free slots.
func (l *Live) dispatch(p *projector, t float64, kind int, speed []float64) {
	sh := &l.shape
	for _, n := range p.touched {
		q := &p.waiting[n]
		now := sh.atNow[n]
		for p.free[n] > 0 && (len(*q) > 0 || p.head[n] < int32(len(now))) {
			var i int32
			if p.head[n] < int32(len(now)) && (len(*q) == 0 || now[p.head[n]].less((*q)[0])) {
				i = now[p.head[n]].inst()
				p.head[n]++
			} else {
				i = q.pop().inst()
			}
			d, up := l.attempt(int(i), kind, int(p.att[i]-l.fails[i]), speed[n], 0)
			p.free[n]--
			p.startNode[i] = n
			p.ev.push(l.end(int(i), kind, int(p.att[i]), t, d, up, speed[n]))
		}
	}
	p.touched = p.touched[:0]
}

// mostFree picks, for an instance no event or plan has placed, the node
// of its service's pool with the most free slots, then the fewest waiting,
// among those still reporting.
func (l *Live) mostFree(p *projector, s int32, stale []bool) int32 {
	best := int32(-1)
	for _, n := range l.c.Pool(s) {
		if stale[n] {
			continue
		}
		if best < 0 || l.room(p, n) > l.room(p, best) {
			best = n
		}
	}
	return best
}

// radixByTime sorts xs, which is in instance order, by time then instance:
// a stable LSD radix sort on the bits of the times (all >= 0, so their
// bits order as they do), radixBits a pass, skipping the digits all share.
// It returns its working memory for the next call.
func radixByTime(xs, tmp []finishEv) []finishEv {
	const passes = (64 + radixBits - 1) / radixBits
	n := len(xs)
	if n < 2 {
		return tmp
	}
	tmp = resize(tmp, n)
	var count [passes][1 << radixBits]int32
	for _, x := range xs {
		b := math.Float64bits(x.t)
		for d := 0; d < passes; d++ {
			count[d][(b>>(radixBits*d))&(1<<radixBits-1)]++
		}
	}
	src, dst := xs, tmp
	for d := 0; d < passes; d++ {
		c := &count[d]
		shift := radixBits * d
		if b := math.Float64bits(xs[0].t); c[(b>>shift)&(1<<radixBits-1)] == int32(n) {
			continue // every time has this digit
		}
		sum := int32(0)
		for k := range c {
			c[k], sum = sum, sum+c[k]
		}
		for _, x := range src {
			k := (math.Float64bits(x.t) >> shift) & (1<<radixBits - 1)
			dst[c[k]] = x
			c[k]++
		}
		src, dst = dst, src
	}
	if &src[0] != &xs[0] {
		copy(xs, src)
	}
	return tmp
}

// radixBits is the digit radixByTime sorts by a pass.
const radixBits = 11

// room is node n's free slots less the instances waiting on it.
func (l *Live) room(p *projector, n int32) int32 {
	return p.free[n] - int32(len(p.waiting[n])) - (int32(len(l.shape.atNow[n])) - p.head[n])
}

// finishEv is a projected event: a start's end or a back-off's.
type finishEv struct {
	t    float64
	inst int32
	kind uint8 // evUp, evFail, evLost or evReady
	held bool  // a running start's end that frees no slot (see holdOver)
	// remote: an up projected on a closed node, for the projection-wide
	// loop's release count (see projectMixed).
	remote bool
	// tier1: 1 + the instance's tier, of an up projectNodeFast projects
	// (read from its node place), 0 unknown (read by instance).
	tier1 uint8
}

// tier1 is 1 + tier for finishEv.tier1, 0 (unknown) above 254.
func tier1(tier int32) uint8 {
	if tier >= 255 {
		return 0
	}
	return uint8(tier + 1)
}

// compare orders two items by their less, for slices.SortFunc.
func compare[T interface{ less(T) bool }](a, b T) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// radixQueue is a monotone priority queue of finish events by time, then
// instance: a radix heap on the bits of the times (all >= 0, so their bits
// order as they do). A projection pushes only events at or after the one
// it is at, so an event sits in the bucket of the highest bit in which its
// time differs from that of the latest popped (bucket 0: the same time);
// a pop takes the least of the lowest bucket and spreads the rest of that
// bucket over the buckets below. An event moves down a few buckets in
// all, where a binary or 4-ary heap moves it up and down its whole depth
// at every push and pop: the 4-ary heap it replaces (written out for its
// type: a generic heap's calls through its type parameter made
// BenchmarkLive 30 % slower) took about a third of the projections' time
// in a herded recovery. peek leaves the queue as it is, so that events
// from other sources may still be pushed at earlier times than its least.
type radixQueue struct {
	last    uint64 // time bits of the latest pop (every event's are >= last)
	n       int
	buckets [65][]finishEv
	// The least event, once found: buckets[minB][minJ]; minB -1 when not
	// known.
	minB, minJ int
}

// timeKey is the bits of a time >= 0, ordered as the times are.
func timeKey(t float64) uint64 {
	if t == 0 {
		return 0 // −0 too
	}
	return math.Float64bits(t)
}

// reset empties q.
func (q *radixQueue) reset() {
	for b := range q.buckets {
		q.buckets[b] = q.buckets[b][:0]
	}
	q.last, q.n, q.minB = 0, 0, -1
}

// push adds x, whose time is at or after the latest popped's.
func (q *radixQueue) push(x finishEv) {
	b := bits.Len64(timeKey(x.t) ^ q.last)
	q.buckets[b] = append(q.buckets[b], x)
	q.n++
	if q.minB >= 0 && x.less(q.buckets[q.minB][q.minJ]) {
		q.minB, q.minJ = b, len(q.buckets[b])-1
	}
}

// peek returns the least event; q is not empty.
func (q *radixQueue) peek() finishEv {
	if q.minB < 0 {
		b := 0
		for len(q.buckets[b]) == 0 {
			b++
		}
		bk := q.buckets[b]
		j := 0
		for k := 1; k < len(bk); k++ {
			if bk[k].less(bk[j]) {
				j = k
			}
		}
		q.minB, q.minJ = b, j
	}
	return q.buckets[q.minB][q.minJ]
}

// pop removes and returns the least event; q is not empty.
func (q *radixQueue) pop() finishEv {
	x := q.peek()
	b, j := q.minB, q.minJ
	bk := q.buckets[b]
	if b == 0 {
		last := len(bk) - 1
		bk[j] = bk[last]
		q.buckets[0] = bk[:last]
		q.n--
		q.minB = -1
		return x
	}
	// The rest of bucket b goes below: every time in it differs from x's
	// first at a lower bit than at b. The buckets below were empty, so the
	// least of the rest is the queue's next.
	q.last = timeKey(x.t)
	q.buckets[b] = bk[:0]
	q.minB = -1
	for k, y := range bk {
		if k == j {
			continue
		}
		nb := bits.Len64(timeKey(y.t) ^ q.last)
		q.buckets[nb] = append(q.buckets[nb], y)
		if q.minB < 0 || y.less(q.buckets[q.minB][q.minJ]) {
			q.minB, q.minJ = nb, len(q.buckets[nb])-1
		}
	}
	q.n--
	return x
}

// less orders finish events by time, then instance.
func (a finishEv) less(b finishEv) bool { return a.t < b.t || a.t == b.t && a.inst < b.inst }

// rankItem is an instance waiting on a node: its dispatch rank (>= 0) in
// the high 32 bits, the instance in the low, so that one comparison
// orders two by rank, then instance (ranks are distinct but for the
// unplaced, which share the last). A heap of them sifted by one
// comparison took BenchmarkLive's projections' rank queues about a third
// less time than one of (rank, instance) pairs.
type rankItem uint64

// mkRank is instance i of dispatch rank rank waiting.
func mkRank(rank, i int32) rankItem { return rankItem(uint64(uint32(rank))<<32 | uint64(uint32(i))) }

// inst is the waiting instance.
func (a rankItem) inst() int32 { return int32(uint32(a)) }

func (a rankItem) less(b rankItem) bool { return a < b }

// rankQueue is a min-heap of waiting instances by rank, then instance.
type rankQueue []rankItem

func (q *rankQueue) push(x rankItem) {
	h := append(*q, x)
	j := len(h) - 1
	for j > 0 {
		up := (j - 1) / 2
		if h[up] <= x {
			break
		}
		h[j] = h[up]
		j = up
	}
	h[j] = x
	*q = h
}

func (q *rankQueue) pop() rankItem {
	h := *q
	top := h[0]
	last := len(h) - 1
	x := h[last]
	h = h[:last]
	j := 0
	for {
		a := 2*j + 1
		if a >= last {
			break
		}
		if b := a + 1; b < last && h[b] < h[a] {
			a = b
		}
		if x <= h[a] {
			break
		}
		h[j] = h[a]
		j = a
	}
	if last > 0 {
		h[j] = x
	}
	*q = h
	return top
}

// resize returns s with length n, reusing its storage when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// kth returns the k-th smallest of xs (0-based), the value sorting would
// put at index k; it reorders xs.
func kth(xs []float64, k int) float64 {
	if len(xs) <= 16 {
		slices.Sort(xs)
		return xs[k]
	}
	lo, hi := 0, len(xs)-1
	for lo < hi {
		// Median of three as the pivot, then Hoare's partition.
		mid := lo + (hi-lo)/2
		a, b, c := xs[lo], xs[mid], xs[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// kthLarge returns the k-th smallest of xs (0-based) as kth does, in about
// one pass for many: the values between two of a sample's around the k-th
// are collected and the k-th found among them (in all of xs when the
// sample misses it: about 1 time in 10⁴ for the 90 % point, 1 in 100 for
// the median). It may reorder xs.
func (p *projector) kthLarge(xs []float64, k int) float64 {
	// The k-th's place in the sample varies by √(sample·q·(1−q)) for q =
	// k/n: 4.8 at the 90 % point.
	const sample, margin = 256, 20
	n := len(xs)
	if n < 8*sample {
		return kth(xs, k)
	}
	smp := resize(p.sel, sample)
	for j := range smp {
		smp[j] = xs[j*n/sample]
	}
	slices.Sort(smp)
	r := k * sample / n
	lo, hi := math.Inf(-1), math.Inf(1)
	if r-margin >= 0 {
		lo = smp[r-margin]
	}
	if r+margin < sample {
		hi = smp[r+margin]
	}
	below, mid := 0, smp[:0]
	for _, x := range xs {
		if x < lo {
			below++
		} else if x <= hi {
			mid = append(mid, x)
		}
	}
	p.sel = mid
	if k >= below && k < below+len(mid) {
		return kth(mid, k-below)
	}
	return kth(xs, k)
}

// rankSet is a set of places that gives up its least first: the node
// places (viewMem.nodePos) of the waiting instances of the node being
// projected (projectNodeFast), which on one node are in the rank order,
// so it gives them up as a rankQueue of them would, by rank, then
// instance. A bit per place and a bit per non-empty word: a push sets two
// bits, a pop finds the least in a few words, where the heap's pop sifted
// through hundreds of waiting instances (in a herded recovery's late
// estimates, a node's queue holds most of its instances waiting out
// back-offs).
type rankSet struct {
	words []uint64 // bit b of words[w]: place 64·w + b is in the set
	sum   []uint64 // bit b of sum[j]: words[64·j + b] is not 0
	n     int      // places in the set
	// low: no sum word below it is non-zero (pop starts there: a node's
	// places are one run, most of the set's words below it empty).
	low int32
}

// reset makes s an empty set of places below n, reusing its storage.
func (s *rankSet) reset(n int) {
	nw := (n + 63) / 64
	if len(s.words) != nw {
		s.words, s.sum = make([]uint64, nw), make([]uint64, (nw+63)/64)
	} else if s.n > 0 {
		s.clear()
	}
	s.n, s.low = 0, int32(len(s.sum))
}

// push adds place x (not in s).
func (s *rankSet) push(x int32) {
	w := x >> 6
	s.words[w] |= 1 << (x & 63)
	s.sum[w>>6] |= 1 << (w & 63)
	s.low = min(s.low, w>>6)
	s.n++
}

// pop removes and returns the least place; s is not empty.
func (s *rankSet) pop() int32 {
	j := int(s.low)
	for s.sum[j] == 0 {
		j++
	}
	s.low = int32(j)
	w := j<<6 + bits.TrailingZeros64(s.sum[j])
	b := bits.TrailingZeros64(s.words[w])
	if s.words[w] &^= 1 << b; s.words[w] == 0 {
		s.sum[j] &^= 1 << (w & 63)
	}
	s.n--
	return int32(w<<6 + b)
}

// or adds to s the places lo to hi (inclusive) that are in the set of
// places bits (bit x%64 of bits[x/64]: place x).
func (s *rankSet) or(bits []uint64, lo, hi int32) {
	wlo, whi := lo>>6, hi>>6
	for w := wlo; w <= whi; w++ {
		b := bits[w]
		if w == wlo {
			b &= ^uint64(0) << (lo & 63)
		}
		if w == whi {
			b &= ^uint64(0) >> (63 - hi&63)
		}
		if b != 0 {
			s.n += popCount(b &^ s.words[w])
			s.words[w] |= b
			s.sum[w>>6] |= 1 << (w & 63)
			s.low = min(s.low, w>>6)
		}
	}
}

// popCount is the number of bits set in x.
func popCount(x uint64) int { return bits.OnesCount64(x) }

// placeMarks is a set of node places, a bit each, that remembers the
// least and greatest place added so that clear clears only their words.
type placeMarks struct {
	bits   []uint64
	lo, hi int32
}

// add adds place x.
func (m *placeMarks) add(x int32) {
	m.bits[x>>6] |= 1 << (x & 63)
	m.lo, m.hi = min(m.lo, x), max(m.hi, x)
}

// has reports whether place x is in m.
func (m *placeMarks) has(x int32) bool { return m.bits[x>>6]&(1<<(x&63)) != 0 }

// clear empties m and returns its bits, all 0, for the next use.
func (m *placeMarks) clear() []uint64 {
	if m.hi >= 0 {
		clear(m.bits[m.lo>>6 : m.hi>>6+1])
	}
	return m.bits
}

// clear empties s, clearing only the words in use.
func (s *rankSet) clear() {
	for j, m := range s.sum {
		for m != 0 {
			s.words[j<<6+bits.TrailingZeros64(m)] = 0
			m &= m - 1
		}
		s.sum[j] = 0
	}
	s.n, s.low = 0, int32(len(s.sum))
}

// projectNodeFast is projectNode's fast path (not shape.noFast), written
// out in one loop: the waiting instances in a set of their node places
// (rankSet of viewMem.nodePos: on one node, the rank order), atNow's among
// them from the start, and the instances hopeful marked as never coming
// up started without their draws, as attempt and end make of them: the
// instance's first start from now on holds its slot for its timeout and
// fails alone (given up with no attempt left); a retry holds it for the
// futile retries left too and ends given up. Each pass of the loop first starts the waiting
// by rank while a slot is free, at the time of the event it took last
// (now at first), then takes the next event.
func (l *Live) projectNodeFast(p *projector, pr *projection, n int32, now float64, kind int, sp float64, held, run, later []finishEv, arr []arrival, hope int, ups []float64) []float64 {
	sh := &l.shape
	up0, lost0 := len(ups), p.lost
	free := sh.slotOff[n+1] - sh.slotOff[n] - int32(len(held)+len(run))
	atNow := sh.atNow[n]
	h := nodeQueue{a: p.nodeEv[:0], heap: sh.noSmallQ, keep: sh.noSmallQ}
	// The ends at a timeout (most of a herded node's: the starts given
	// up) come in the order they are pushed as long as the node's
	// timeouts are alike: those that do are queued in toEnds from toHead
	// on, the others in h, and the loop takes the earlier of the two.
	// A start at t ends at t plus the timeout, in order where its push
	// and the heap's sift were a fifth of these projections' time.
	toEnds, toHead := p.toEnds[:0], 0
	// The back-offs that end (an instance queued again after a failure)
	// are most often pushed in order too (each at its failure plus a
	// back-off alike): those are queued in readyQ from rqHead on, apart
	// from h, whose small sorted queue they filled with late events that
	// every other push had to pass.
	rq, rqHead := p.readyQ[:0], 0
	inOrder := !sh.noToEnds
	// The waiting instances are kept by their node places (nodePos): on
	// one node, the order of their ranks; what a start reads of them
	// (nodeInst, ttN, firstN, the hopeless marks) is laid out by place.
	ws := &p.waitSet
	ws.reset(len(l.c.Instances))
	nodePos, nodeInst, ttN, firstN := sh.nodePos, sh.nodeInst, sh.ttN, p.firstN
	if sh.noNodeOrder {
		for _, r := range atNow {
			ws.push(nodePos[r.inst()])
		}
	} else if len(atNow) > 0 {
		// On one node atNow's places are in its run of places, in rank
		// order: its first's to its last's are the node's own.
		ws.or(sh.atNowBits, nodePos[atNow[0].inst()], nodePos[atNow[len(atNow)-1].inst()])
	}
	hopeless := p.hopeless
	retried := placeMarks{bits: resize(p.retried, len(p.hopeless)), lo: math.MaxInt32, hi: -1}
	tt := sh.tt
	remote := sh.mixed && !sh.sink[n] // no instance on a sink counts towards a release
	limitSp := max(sp, 1e-3)
	tiers := pr.tiers
	all := pr.all
	done := false // the node's last hopeful instance is up
	// The held ends come first, in any order: each frees a slot that
	// the running starts beyond the node's slots still hold (free stays
	// at most 0), so none starts anything, and whatever else happens
	// before the last of them (back-offs ending, as pushes to the rank
	// set) has the same effect after them.
	for _, e := range held {
		free++
		i, t := e.inst, e.t
		if e.kind != evUp {
			p.att[i]++
			if e.kind == evLost || hopeless[nodePos[i]>>6]&(1<<(nodePos[i]&63)) != 0 { // heldLost
				p.lost++
			} else if d, ok := l.nextDelay(p, int(i), kind, sp); ok {
				if e := (finishEv{t: t + d, inst: i, kind: evReady}); inOrder && (rqHead == len(rq) || !e.less(rq[len(rq)-1])) {
					rq = append(rq, e)
				} else {
					h.push(e)
				}
				retried.add(nodePos[i])
			} else {
				p.lost++
			}
			continue
		}
		ups = append(ups, t)
		all = max(all, t)
		tr := &tiers[tt[i].tier]
		tr.ETAS = max(tr.ETAS, t)
		tr.projected++
		if remote && sh.quorumOpen[l.c.Instances[i].Service] {
			p.remote = append(p.remote, finishEv{t: t, inst: i, kind: evUp, remote: true})
		}
		if len(ups)-up0 == hope {
			done = true
			break
		}
	}
	t := now
	ri, li, ai := 0, 0, 0
	for !done {
		// Start the waiting by rank while a slot is free.
		for free > 0 && ws.n > 0 {
			pos := ws.pop()
			i := nodeInst[pos]
			free--
			to := ttN[pos].timeout
			if hopeless[pos>>6]&(1<<(pos&63)) != 0 {
				// A first start from now on fails alone; a retry holds
				// its slot for all the retries left (end).
				e := finishEv{t: t + to, inst: i, kind: evLost}
				if a := int(p.att[i]); a > int(l.fails[i]) {
					e.t += float64(l.futileLeft(a+1)) * to
				} else if l.retry.Again(a + 1) {
					e.kind = evFail
				}
				if inOrder && (toHead == len(toEnds) || !e.less(toEnds[len(toEnds)-1])) {
					toEnds = append(toEnds, e)
				} else {
					h.push(e)
				}
				continue
			}
			// attempt's and end's arithmetic for a start not yet begun.
			x := firstN[pos]
			if retried.has(pos) {
				if q := int(p.att[i] - l.fails[i]); q > 0 {
					x = l.retryDraw(int(i), kind, q)
				}
			}
			if x <= to*limitSp {
				h.push(finishEv{t: t + max(x/limitSp, 0), inst: i, kind: evUp, tier1: tier1(ttN[pos].tier)})
				continue
			}
			ek := uint8(evFail)
			a := int(p.att[i])
			f, lost := 0, !l.retry.Again(a+1)
			if a > int(l.fails[i]) {
				f, lost = l.failHold(int(i), kind, a+1, to*limitSp)
			}
			if lost {
				ek = evLost
			}
			if e := (finishEv{t: t + max(to, 0) + float64(f)*to, inst: i, kind: ek}); inOrder && (toHead == len(toEnds) || !e.less(toEnds[len(toEnds)-1])) {
				toEnds = append(toEnds, e)
			} else {
				h.push(e)
			}
		}
		if h.len() == 0 && toHead == len(toEnds) && rqHead == len(rq) && ri == len(run) && li == len(later) && ai == len(arr) {
			break
		}
		if free <= 0 && (li < len(later) || ai < len(arr)) {
			// Back-offs that end, and arrivals that come, while no slot
			// is free only queue their instances (nothing would start):
			// taken in one go, up to the next of the other events.
			var nx finishEv
			has := h.len() > 0
			if has {
				nx = h.min()
			}
			if toHead < len(toEnds) && (!has || toEnds[toHead].less(nx)) {
				nx, has = toEnds[toHead], true
			}
			if rqHead < len(rq) && (!has || rq[rqHead].less(nx)) {
				nx, has = rq[rqHead], true
			}
			if ri < len(run) && (!has || run[ri].less(nx)) {
				nx, has = run[ri], true
			}
			for li < len(later) && (!has || later[li].less(nx)) {
				ws.push(nodePos[later[li].inst])
				li++
			}
			for ai < len(arr) && (!has || arr[ai].before(nx)) {
				ws.push(nodePos[arr[ai].inst])
				ai++
			}
			if !has {
				break
			}
		}
		// The earliest of the five, as project takes them.
		var e finishEv
		src := -1 // 0 heap, 1 running, 2 later, 3 toEnds, 4 readyQ
		if h.len() > 0 {
			e, src = h.min(), 0
		}
		if toHead < len(toEnds) && (src < 0 || toEnds[toHead].less(e)) {
			e, src = toEnds[toHead], 3
		}
		if rqHead < len(rq) && (src < 0 || rq[rqHead].less(e)) {
			e, src = rq[rqHead], 4
		}
		if ri < len(run) && (src < 0 || run[ri].less(e)) {
			e, src = run[ri], 1
		}
		if li < len(later) && (src < 0 || later[li].less(e)) {
			e, src = later[li], 2
		}
		if ai < len(arr) && (src < 0 || arr[ai].before(e)) {
			// The next arrivals, all those of one event of the
			// projection-wide loop: queued, then started as dispatch
			// does after it.
			a := arr[ai]
			for ; ai < len(arr) && arr[ai].t == a.t && arr[ai].src == a.src; ai++ {
				ws.push(nodePos[arr[ai].inst])
			}
			t = a.t
			continue
		}
		switch src {
		case 0:
			h.pop()
		case 1:
			ri++
		case 2:
			li++
		case 4:
			if rqHead++; rqHead == len(rq) {
				rq, rqHead = rq[:0], 0
			}
		default:
			if toHead++; toHead == len(toEnds) {
				toEnds, toHead = toEnds[:0], 0
			}
		}
		i := e.inst
		t = e.t
		if e.kind == evReady {
			ws.push(nodePos[i])
			continue
		}
		free++
		if e.kind != evUp {
			p.att[i]++
			if e.kind == evLost || free <= 0 && l.heldLost(e, kind, sp) { // free <= 0: a start beyond the node's slots
				p.lost++
			} else if d, ok := l.nextDelay(p, int(i), kind, sp); ok {
				if e := (finishEv{t: t + d, inst: i, kind: evReady}); inOrder && (rqHead == len(rq) || !e.less(rq[len(rq)-1])) {
					rq = append(rq, e)
				} else {
					h.push(e)
				}
				retried.add(nodePos[i])
			} else {
				p.lost++
			}
			continue
		}
		ups = append(ups, t)
		all = max(all, t)
		tier := int32(e.tier1) - 1
		if tier < 0 {
			tier = tt[i].tier
		}
		tr := &tiers[tier]
		tr.ETAS = max(tr.ETAS, t)
		tr.projected++
		if remote && sh.quorumOpen[l.c.Instances[i].Service] {
			p.remote = append(p.remote, finishEv{t: t, inst: i, kind: evUp, remote: true})
		}
		if len(ups)-up0 == hope {
			break // the node's last hopeful instance is up
		}
	}
	pr.all = all
	p.nodeEv, p.toEnds, p.readyQ = h.rest(), toEnds, rq
	ws.clear()
	p.retried = retried.clear()
	if hope >= 0 {
		// Every instance on the node ends up or given up, once.
		p.lost = lost0 + len(held) + len(run) + len(later) + len(atNow) + len(arr) - (len(ups) - up0)
	}
	return ups
}

// nodeQueue is a node's projected events in projectNodeFast, taken by
// time, then instance: while at most smallQ are queued, a sorted slice
// (a[head:], ascending: a push is an insertion from the end, a pop takes
// the head), above that an evHeap (head 0) until it is empty again. A
// node's queue mostly holds its slots' ends (4 to 6 on the platform's
// nodes), where a heap's sift, up at a push and down at a pop, mispredicts
// a branch at almost every level.
type nodeQueue struct {
	a    []finishEv
	head int  // sorted: the queue is a[head:]
	heap bool // a is an evHeap
	keep bool // stay a heap (shape.noSmallQ)
}

// smallQ is the most events a nodeQueue keeps sorted.
const smallQ = 8

func (q *nodeQueue) len() int { return len(q.a) - q.head }

// min is the first event; the queue is not empty.
func (q *nodeQueue) min() finishEv { return q.a[q.head] }

func (q *nodeQueue) push(x finishEv) {
	if q.heap {
		(*evHeap)(&q.a).push(x)
		return
	}
	a := q.a
	n := len(a)
	if n-q.head >= smallQ || n == cap(a) {
		q.pushSlow(x)
		return
	}
	a = a[:n+1]
	j := n
	for j > q.head {
		y := a[j-1]
		if !(x.t < y.t || x.t == y.t && x.inst < y.inst) { // x.less(y), written out
			break
		}
		a[j] = y
		j--
	}
	a[j] = x
	q.a = a
}

// pushSlow is push as a heap, into a heap made of the sorted slice, or
// into the slice once its events are moved to its start.
func (q *nodeQueue) pushSlow(x finishEv) {
	if !q.heap && len(q.a)-q.head >= smallQ {
		// A sorted slice is a heap.
		q.a = q.a[:copy(q.a, q.a[q.head:])]
		q.head, q.heap = 0, true
	}
	if q.heap {
		(*evHeap)(&q.a).push(x)
		return
	}
	n := copy(q.a, q.a[q.head:])
	q.a, q.head = q.a[:n], 0
	if n == cap(q.a) {
		q.a = slices.Grow(q.a, 1)
	}
	q.push(x)
}

// pop takes the first event away; the queue is not empty.
func (q *nodeQueue) pop() {
	if q.heap {
		q.popHeap()
		return
	}
	q.head++ // the slice's start is reused when it is full (pushSlow)
}

// popHeap is pop of a heap, apart so that pop is inlined.
//
//go:noinline
func (q *nodeQueue) popHeap() {
	(*evHeap)(&q.a).pop()
	if len(q.a) == 0 && !q.keep {
		q.heap = false
	}
}

// rest is the events left, moved to the slice's start (as an evHeap holds
// them, or sorted).
func (q *nodeQueue) rest() evHeap {
	return q.a[:copy(q.a, q.a[q.head:])]
}
