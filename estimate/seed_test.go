package estimate

import (
	"reflect"
	"runtime"
	"testing"
	"time"

	"blackstart/placement"
)

// seeded returns an estimator of c with plan p seeded seed (none: NewLive's
// own), sharing its working memory when shared, fed evs.
func seeded(c *placement.Cluster, p *placement.Plan, evs []placement.Event, seed *uint64, shared bool) *Live {
	l := NewLive(c, p)
	if seed != nil {
		l.SetSeed(*seed)
	}
	if shared {
		l.ShareWorkspace()
	}
	for _, e := range evs {
		l.Observe(e)
	}
	return l
}

// TestSeedDrawsItsOwnFutures: the seed is an input of the estimate. Seed 0
// is NewLive's; one seed gives one estimate, whichever estimator draws it
// and whether it shares its working memory; two seeds draw different
// futures (start durations and the nodes' orders of their speed draws), so
// that incidents seeded each their own way do not all project the same
// nine. Before, every estimator drew the same.
func TestSeedDrawsItsOwnFutures(t *testing.T) {
	c, p, evs := herdingShort(t)
	evs = evs[:len(evs)/2]
	at := evs[len(evs)-1].TS + 5
	u := func(s uint64) *uint64 { return &s }
	est := func(seed *uint64, shared bool) Snapshot {
		return seeded(c, p, evs, seed, shared).Estimate(at)
	}
	def := est(nil, false)
	if got := est(u(0), false); !reflect.DeepEqual(got, def) {
		t.Fatalf("seed 0 gives\n%+v\nwant NewLive's\n%+v", got, def)
	}
	band := func(s Snapshot) [3]float64 { return [3]float64{s.ETAAllS, s.ETAAllLowS, s.ETAAllHighS} }
	seen := map[[3]float64]uint64{band(def): 0}
	for _, seed := range []uint64{7, 8, 1 << 40} {
		own := est(u(seed), false)
		if again := est(u(seed), false); !reflect.DeepEqual(again, own) {
			t.Fatalf("seed %d: a second estimator gives\n%+v\nwant\n%+v", seed, again, own)
		}
		if sh := est(u(seed), true); !reflect.DeepEqual(sh, own) {
			t.Fatalf("seed %d: sharing the working memory gives\n%+v\nwant\n%+v", seed, sh, own)
		}
		if s, dup := seen[band(own)]; dup {
			t.Fatalf("seeds %d and %d give the same band %v s: their draws are not their own", s, seed, band(own))
		}
		seen[band(own)] = seed
	}
	// The draws themselves: of 9 × instances first draws, seeds 0 and 7
	// share almost none; each node's speed order is another permutation
	// for some node.
	a, b := firstsOf(c), drawsOf(c, seedSalt(7)).firsts(c)
	same := 0
	for k := range a {
		if a[k] == b[k] {
			same++
		}
	}
	if same > len(a)/20 {
		t.Fatalf("seeds 0 and 7: %d of %d first draws alike", same, len(a))
	}
	l0, l7 := NewLive(c, p), NewLive(c, p)
	l7.SetSeed(7)
	if reflect.DeepEqual(l0.fits.z, l7.fits.z) {
		t.Fatal("seeds 0 and 7 order every node's speed draws alike")
	}
}

// TestSeedSharedAtOnce: estimators of two seeds that share their working
// memory, asked in turn, give what estimators with their own give, and
// keep their draws apart (one table each).
func TestSeedSharedAtOnce(t *testing.T) {
	c, p, evs := herdingShort(t)
	seeds := []uint64{0, 11, 12}
	shared := make([]*Live, len(seeds))
	own := make([]*Live, len(seeds))
	for j, s := range seeds {
		shared[j], own[j] = seeded(c, p, nil, &s, true), seeded(c, p, nil, &s, false)
	}
	fed := 0
	for step := 1; step <= 4; step++ {
		to := len(evs) * step / 4
		for j := range seeds {
			for _, e := range evs[fed:to] {
				shared[j].Observe(e)
				own[j].Observe(e)
			}
		}
		fed = to
		at := evs[to-1].TS + 5
		for j, s := range seeds {
			if got, want := shared[j].Estimate(at), own[j].Estimate(at); !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d, seed %d: sharing gives\n%+v\nwant\n%+v", step, s, got, want)
			}
		}
	}
	tabs := map[*drawTable]bool{}
	for _, l := range shared {
		tabs[l.shape.table] = true
	}
	if len(tabs) != len(seeds) {
		t.Fatalf("%d draw tables for %d seeds", len(tabs), len(seeds))
	}
	runtime.KeepAlive(own)
}

// TestSeedDrawsReleased: the draws of a seed other than 0 stay while an
// estimator holds them and go after the last (a service seeds each
// incident its own way and must not keep every incident's draws for the
// life of the model revision); seed 0's stay with the cluster.
func TestSeedDrawsReleased(t *testing.T) {
	c, p, evs := herdingShort(t)
	evs = evs[:len(evs)/4]
	at := evs[len(evs)-1].TS + 5
	salt := seedSalt(21)
	func() {
		s := uint64(21)
		l := seeded(c, p, evs, &s, true)
		l.Estimate(at)
		e := sharedOf(c)
		e.mu.Lock()
		_, held := e.seeds[salt]
		e.mu.Unlock()
		if !held {
			t.Fatal("seed 21's draws are not kept while its estimator lives")
		}
		runtime.KeepAlive(l)
	}()
	gone := false
	for try := 0; try < 200 && !gone; try++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond) // cleanups run on a goroutine of their own
		e := sharedOf(c)
		e.mu.Lock()
		_, held := e.seeds[salt]
		e.mu.Unlock()
		gone = !held
	}
	if !gone {
		t.Fatal("seed 21's draws are kept after its last estimator went (200 collections)")
	}
	if drawsOf(c, 0) != &sharedOf(c).zero {
		t.Fatal("seed 0's draws are not the cluster's own")
	}
}

// TestSeedLayoutReleased: the working memory the estimators of a cluster
// share (ShareWorkspace: projectors and views, pooled between estimates)
// keeps nothing of a dropped estimator's seed: its first draws by the
// plan's node places (which the node-by-node projections read in place)
// go with it, where a pooled projector and view used to hold them until
// reused. The node places themselves depend on no seed: every seed's
// estimators share the cluster's one layout of the plan, which stays.
func TestSeedLayoutReleased(t *testing.T) {
	c, p, evs := earlyStream(t, 4000)
	at := evs[len(evs)-1].TS + 5
	gone := make(chan struct{}, 1)
	var layout *planLayout
	func() {
		s := uint64(33)
		l := seeded(c, p, evs, &s, true)
		l.Estimate(at)
		pf := l.shape.planFirst
		if pf == nil || l.shape.plan == nil || !l.shape.local && !l.shape.mixed {
			t.Fatal("the estimate projected no node on its own from the plan's layout: the test tests nothing")
		}
		layout = l.shape.plan
		runtime.AddCleanup(&pf.first[0], func(ch chan struct{}) { ch <- struct{}{} }, gone)
	}()
	for done := false; !done; {
		runtime.GC()
		select {
		case <-gone:
			done = true
		case <-time.After(5 * time.Second):
			t.Fatal("the plan layout's first draws of seed 33 stayed after its estimator went (5 s)")
		}
	}
	e := sharedOf(c)
	e.mu.Lock()
	pooled := len(e.free)
	e.mu.Unlock()
	if pooled == 0 {
		t.Fatal("no projector pooled: the test tests nothing of the pool")
	}
	s := uint64(34)
	l := seeded(c, p, evs, &s, true)
	l.Estimate(at)
	if l.shape.plan != layout || l.shape.planFirst == nil {
		t.Fatal("seed 34's estimator laid out the plan's node places again: they are not shared across seeds")
	}
}

// TestSeedSharedKeepsOneCopy: the estimators that share their working
// memory keep a seed's first draws once, in its draw table's heads (and
// by the plan's places): no list of them besides (1.2 MB a seed on the
// platform); those heads hold the very draws the list would, the ones an
// estimator with working memory of its own projects with; and the table
// points to retries by chunks, not per pair (another 1.2 MB).
func TestSeedSharedKeepsOneCopy(t *testing.T) {
	c, p, evs := earlyStream(t, 4000)
	at := evs[len(evs)-1].TS + 5
	s := uint64(35)
	l := seeded(c, p, evs, &s, true)
	l.Estimate(at)
	d := l.shape.draws
	if d.x != nil {
		t.Fatal("a shared estimator's seed keeps its first draws in a list of their own too")
	}
	heads, n := l.shape.heads, len(c.Instances)
	if len(heads) != n*Samples {
		t.Fatalf("%d heads for %d first draws", len(heads), n*Samples)
	}
	for ki := range heads {
		// What the list (seedDraws.firsts) would hold, drawn here
		// without making it, so that another run of the test finds no
		// list either.
		if want := firstDraw(c, d.salt, ki%n, ki/n); heads[ki].first != want {
			t.Fatalf("head %d: first draw %g, the seed's %g", ki, heads[ki].first, want)
		}
	}
	own := seeded(c, p, evs, &s, false)
	if a, b := l.Estimate(at), own.Estimate(at); !reflect.DeepEqual(a, b) {
		t.Fatalf("seed 35 shared: %+v; with its own working memory: %+v", a, b)
	}
	// The pointers to retries: one per chunk of retryChunk pairs in the
	// table, not one per pair.
	tab := l.shape.table
	if want := (len(tab.heads) + retryChunk - 1) / retryChunk; len(tab.retries) != want {
		t.Fatalf("%d pointers to chunks of retries for %d pairs, want %d", len(tab.retries), len(tab.heads), want)
	}
}

// TestFixedShapeNilPlanKept: the fixed shape of the estimators without a
// plan (their ranks the instances' indices) stays shared when another
// plan's is made: the sweep of collected plans' shapes takes the nil
// plan's key for a collected one's (every other nil-plan estimator then
// made its own, and TestShareWorkspaceMixedAtOnce failed 6 times in 40).
func TestFixedShapeNilPlanKept(t *testing.T) {
	c, p, _ := earlyStream(t, 10)
	e := sharedOf(c)
	a := e.fixedOf(c, nil)
	if e.fixedOf(c, p) == a {
		t.Fatal("the plan's fixed shape is the nil plan's")
	}
	if b := e.fixedOf(c, nil); b != a {
		t.Fatal("the nil plan's fixed shape was made again after another plan's")
	}
}
