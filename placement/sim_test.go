package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"blackstart/topology"
)

// simulateWatched runs the simulator as Simulate does, calling watch with
// the simulator's state after every event. It fills in Simulate's
// defaults itself; callers compare its result with Simulate's, so a drift
// shows.
func simulateWatched(c *Cluster, p *Plan, o SimOptions, watch func(s *sim, e Event)) *Result {
	if o.RefreshS <= 0 {
		o.RefreshS = DefaultRefreshS
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BackoffS <= 0 {
		o.BackoffS = DefaultBackoffS
	}
	if o.HorizonS <= 0 {
		o.HorizonS = 24 * 3600
	}
	if o.Policy == PolicyPlan && p == nil {
		p = NewPlan(c)
	}
	var s *sim
	user := o.OnEvent
	o.OnEvent = func(e Event) {
		if user != nil {
			user(e)
		}
		watch(s, e)
	}
	s = newSim(c, p, o)
	s.run()
	return s.result()
}

// gpuHoldings checks, inside the simulator, that every instance holding
// resources on node n (starting or up) holds as many GPUs as it requests,
// and that no GPU of n is shared beyond 1000 thousandths. "" when it holds.
func gpuHoldings(s *sim, n int32) string {
	c := s.c
	use := make([]int, c.nodes[n].gpus)
	for j := range s.inst {
		in := &s.inst[j]
		if in.node != n || in.state != 2 && in.state != 3 {
			continue
		}
		sv := &c.M.Services[c.Instances[j].Service]
		if sv.GPUs == 0 {
			continue
		}
		if got := len(s.u.gpuOf[j]); got != sv.GPUs {
			return fmt.Sprintf("%s holds %d GPUs, want %d", c.Name(j), got, sv.GPUs)
		}
		for _, g := range s.u.gpuOf[j] {
			use[g] += sv.GPUMilli
		}
	}
	for g, x := range use {
		if x > 1000 {
			return fmt.Sprintf("GPU %d holds %d thousandths", g, x)
		}
	}
	return ""
}

// simOptionsFor draws the options of one simulated recovery.
func simOptionsFor(r *rand.Rand, policy string, seed uint64) SimOptions {
	o := SimOptions{Policy: policy, Seed: seed}
	if r.IntN(4) == 0 {
		o.DispatchPerS = []float64{0.5, 2, 10}[r.IntN(3)]
	}
	if r.IntN(3) == 0 {
		o.RefreshS = 10
	}
	if r.IntN(3) == 0 {
		o.MaxAttempts = 1 + r.IntN(4)
	}
	if r.IntN(3) == 0 {
		o.BackoffS = float64(1 + r.IntN(30))
	}
	return o
}

// TestSimulateProperties runs every policy on random small platforms and
// checks the event stream: capacity, concurrency, dependencies, the
// Started → Up/Failed life cycle, the counters, determinism per seed.
func TestSimulateProperties(t *testing.T) {
	cases := 200
	if testing.Short() {
		cases = 40
	}
	var timeouts, retries, rejections, ups, neverUp int
	for seed := uint64(1); seed <= uint64(cases); seed++ {
		r := rand.New(rand.NewPCG(seed, 0x73696d))
		text := randomPlatform(r)
		m := parseModel(t, fmt.Sprintf("random-%d", seed), text)
		c := NewCluster(m)
		p := NewPlan(c)
		for _, pol := range Policies {
			name := fmt.Sprintf("seed %d %s", seed, pol)
			o := simOptionsFor(r, pol, seed)
			var events []Event
			o.OnEvent = func(e Event) { events = append(events, e) }
			// The plan goes to every policy, as the CLI passes it.
			res, err := Simulate(c, p, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkRun(t, name, c, p, o, res, events)

			// Same seed: the same result and the same events.
			var again []Event
			o.OnEvent = func(e Event) { again = append(again, e) }
			res2, _ := Simulate(c, p, o)
			if !reflect.DeepEqual(res, res2) {
				t.Errorf("%s: same seed, got different results:\n%+v\n%+v", name, res, res2)
			}
			if !slices.Equal(events, again) {
				t.Errorf("%s: same seed, got different event streams (%d and %d events)", name, len(events), len(again))
			}

			// Inside the simulator: every started instance holds its GPUs.
			o.OnEvent = nil
			watched := simulateWatched(c, p, o, func(s *sim, e Event) {
				if e.State != Started {
					return
				}
				if why := gpuHoldings(s, e.Node); why != "" {
					t.Errorf("%s: at %g s on %s: %s", name, e.TS, m.Devices[e.Node].ID, why)
				}
			})
			if !reflect.DeepEqual(res, watched) {
				t.Errorf("%s: the watched simulation differs from Simulate", name)
			}

			// Another seed: other durations.
			o2 := o
			o2.Seed = seed + 1<<32
			res3, _ := Simulate(c, p, o2)
			checkOtherSeed(t, name, c, o, o2, res, res3)

			timeouts += res.Timeouts
			retries += res.Retries
			rejections += res.Rejections
			neverUp += res.NeverUp
			for _, u := range res.UpS {
				if u >= 0 {
					ups++
				}
			}
		}
		if t.Failed() {
			t.Logf("seed %d model:\n%s", seed, text)
			return
		}
	}
	t.Logf("%d instances up, %d never up; %d timeouts, %d retries, %d rejections", ups, neverUp, timeouts, retries, rejections)
	if timeouts == 0 || retries == 0 || rejections == 0 || neverUp == 0 {
		t.Errorf("generator too lax: want timeouts, retries, rejections and instances never up to occur")
	}
}

// checkOtherSeed checks that seeds o and o2 drew different durations: every
// instance with a random start distribution, and the results.
func checkOtherSeed(t *testing.T, name string, c *Cluster, o, o2 SimOptions, res, res2 *Result) {
	t.Helper()
	random := false
	for i, in := range c.Instances {
		if !randomStart(c.M.Services[in.Service].Start) {
			if a, b := c.Work(o.Seed, i, 0), c.Work(o2.Seed, i, 0); a != b {
				t.Errorf("%s: %s has a constant start, got %g and %g for two seeds", name, c.Name(i), a, b)
			}
			continue
		}
		for a := 0; a < 3; a++ {
			if x, y := c.Work(o.Seed, i, a), c.Work(o2.Seed, i, a); x == y {
				t.Errorf("%s: %s attempt %d: got the same duration %g for seeds %d and %d", name, c.Name(i), a, x, o.Seed, o2.Seed)
			}
		}
		random = random || res.UpS[i] >= 0 && res2.UpS[i] >= 0
	}
	if random && slices.Equal(res.UpS, res2.UpS) {
		t.Errorf("%s: seeds %d and %d: got the same up times, want different ones", name, o.Seed, o2.Seed)
	}
}

// randomStart reports whether d has more than one value.
func randomStart(d topology.Dist) bool {
	switch d.Kind {
	case "uniform":
		return d.MaxS > d.MinS
	case "lognormal":
		return d.P90S > d.MedianS
	case "exponential":
		return true
	}
	return false
}

// checkRun checks one simulated recovery against its event stream.
func checkRun(t *testing.T, name string, c *Cluster, p *Plan, o SimOptions, res *Result, events []Event) {
	t.Helper()
	m := c.M
	rm := newRefModel(m)
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	maxAttempts := o.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	backoff := o.BackoffS
	if backoff <= 0 {
		backoff = DefaultBackoffS
	}
	isPlan := o.Policy == PolicyPlan

	type instState struct {
		holding   int32 // node it holds resources on, -1 if none
		starting  bool
		up        bool
		upTS      float64
		upNode    int32
		scheduled int32 // node of the last Scheduled event, -1 if none
		starts    int
		fails     int
		lastFail  float64
	}
	is := make([]instState, len(c.Instances))
	for i := range is {
		is[i] = instState{holding: -1, scheduled: -1, upNode: -1}
	}
	st := newRefState(rm, c)
	running := make([]int, len(rm.nodes))
	upCount := make([]int, len(m.Services))
	peak := 0
	timeouts, failedUnstarted := 0, 0
	last := 0.0
	for k, e := range events {
		if e.TS < last {
			errorf("event %d at %g s, before the previous one at %g s", k, e.TS, last)
		}
		last = e.TS
		i, n := int(e.Instance), int(e.Node)
		sv := &m.Services[c.Instances[i].Service]
		s := &is[i]
		what := fmt.Sprintf("%s on %s at %g s", c.Name(i), m.Devices[n].ID, e.TS)
		switch e.State {
		case Scheduled:
			if s.holding >= 0 || s.up {
				errorf("%s: scheduled while starting or up", what)
			}
			if isPlan && e.Node != p.Assign[i].Node {
				errorf("%s: scheduled on another node than the planned %d", what, p.Assign[i].Node)
			}
			if !isPlan {
				if pin := sv.Pinned; len(pin) > 0 {
					if e.Node != pin[c.Instances[i].Index] {
						errorf("%s: scheduled off its pinned node", what)
					}
				} else if sv.Role != "" && m.Devices[n].Role != sv.Role {
					errorf("%s: scheduled on a node of role %q, want %q", what, m.Devices[n].Role, sv.Role)
				}
			}
			if s.fails > 0 {
				// The retry after the k-th failure waits at least half the
				// back-off base × 2^(k−1) (capped); rejections that leave no
				// event only make the wait longer.
				want := 0.5 * min(backoff*math.Pow(2, float64(s.fails-1)), MaxBackoffS)
				if e.TS-s.lastFail < want-1e-9 {
					errorf("%s: retried %g s after its failure #%d, want >= %g s", what, e.TS-s.lastFail, s.fails, want)
				}
			}
			s.scheduled = e.Node
		case Started:
			if s.holding >= 0 || s.up {
				errorf("%s: started while starting or up", what)
			}
			if s.scheduled != e.Node {
				errorf("%s: started without being scheduled there (last scheduled on %d)", what, s.scheduled)
			}
			for _, d := range sv.DependsOn {
				if q := quorum(&m.Services[d]); upCount[d] < q {
					errorf("%s: started with %d of %s up, want its ready quorum %d", what, upCount[d], m.Services[d].ID, q)
				}
			}
			s.holding, s.starting = e.Node, true
			s.starts++
			st.add(n, i)
			if why := st.nodeOK(n); why != "" {
				errorf("%s: node over capacity: %s", what, why)
			}
			if isPlan { // the plan keeps the power budgets; the baselines ignore them
				for _, g := range rm.nodes[n].groups {
					if why := st.groupOK(g); why != "" {
						errorf("%s: %s", what, why)
					}
				}
			}
			running[n]++
			peak = max(peak, running[n])
			if isPlan && running[n] > rm.nodes[n].c {
				errorf("%s: %d starts at once, want at most c = %d", what, running[n], rm.nodes[n].c)
			}
		case Up:
			if s.holding != e.Node || !s.starting {
				errorf("%s: up without a start running there (holding %d, starting %v)", what, s.holding, s.starting)
				continue
			}
			s.starting, s.up, s.upTS, s.upNode = false, true, e.TS, e.Node
			running[n]--
			upCount[c.Instances[i].Service]++
		case Failed:
			switch {
			case s.holding == e.Node && s.starting:
				st.remove(n, i)
				s.holding, s.starting = -1, false
				running[n]--
				timeouts++
			case s.holding < 0 && s.scheduled == e.Node && !isPlan:
				failedUnstarted++ // a rejection: the node lacked room
			default:
				errorf("%s: failed without a start running there", what)
			}
			s.fails++
			s.lastFail = e.TS
			s.scheduled = -1
		}
	}

	// The result agrees with the events.
	makespan, never, givenUp := 0.0, 0, 0
	for i := range is {
		s := &is[i]
		want := -1.0
		if s.up {
			want = s.upTS
			makespan = max(makespan, s.upTS)
		} else if !isPlan || p.Assign[i].Node >= 0 {
			never++
			if s.fails > 0 {
				givenUp++
			}
		}
		if res.UpS[i] != want || res.Placement[i] != s.upNode {
			errorf("%s: got up at %g on %d, want %g on %d (from the events)", c.Name(i), res.UpS[i], res.Placement[i], want, s.upNode)
		}
		if s.starts > maxAttempts || s.fails > maxAttempts {
			errorf("%s: %d starts and %d failures, want at most %d attempts", c.Name(i), s.starts, s.fails, maxAttempts)
		}
	}
	if res.MakespanS != makespan || res.NeverUp != never {
		errorf("got makespan %g and %d never up, want %g and %d (from the events)", res.MakespanS, res.NeverUp, makespan, never)
	}
	if res.PeakConcurrent != peak {
		errorf("got peak concurrent %d, want %d (from the events)", res.PeakConcurrent, peak)
	}
	if peak > 0 {
		d, _ := m.DeviceIndex(res.PeakNode)
		if res.PeakC != rm.nodes[d].c {
			errorf("got PeakC %d, want %s's c = %d", res.PeakC, res.PeakNode, rm.nodes[d].c)
		}
	}
	if res.Timeouts != timeouts {
		errorf("got %d timeouts, want %d (failures of running starts)", res.Timeouts, timeouts)
	}
	if res.Rejections < failedUnstarted || isPlan && res.Rejections != 0 {
		errorf("got %d rejections, want >= %d (failures of unstarted instances), 0 under the plan", res.Rejections, failedUnstarted)
	}
	// Every failure is retried or ends its instance: under the plan (no
	// rejection) exactly; the baselines reject some instances without an
	// event (no node has room), so only bounds hold there.
	if isPlan && res.Retries != res.Timeouts-givenUp {
		errorf("got %d retries, want timeouts %d − instances given up %d", res.Retries, res.Timeouts, givenUp)
	}
	if res.Retries > res.Timeouts+res.Rejections {
		errorf("got %d retries, more than the %d failures", res.Retries, res.Timeouts+res.Rejections)
	}
	if never == 0 && makespan > 0 && !approxLE(res.LowerBoundS, res.MakespanS) {
		errorf("got lower bound %g above the makespan %g, with every instance up", res.LowerBoundS, res.MakespanS)
	}
}

// TestSimulatePlanGPUs checks that the plan policy gives every instance the
// GPUs the plan chose for it, whatever order the starts come in: a GPU
// picked again at start time can be fragmented where the plan was not.
func TestSimulatePlanGPUs(t *testing.T) {
	m := loadTestdata(t, "gpu-order.toml")
	c := NewCluster(m)
	p := NewPlan(c)
	if len(p.Unplaced) != 0 {
		t.Fatalf("setup: got unplaced %v, want every instance placed", p.Unplaced)
	}
	fast, _ := m.ServiceIndex("fast")
	slow, _ := m.ServiceIndex("slow")
	reordered := 0
	for seed := uint64(1); seed <= 40; seed++ {
		if c.Work(seed, int(c.first[slow]), 0) < c.Work(seed, int(c.first[fast]), 0) {
			reordered++
		}
		o := SimOptions{Policy: PolicyPlan, Seed: seed}
		res := simulateWatched(c, p, o, func(s *sim, e Event) {
			if e.State != Started {
				return
			}
			if why := gpuHoldings(s, e.Node); why != "" {
				t.Errorf("seed %d: %s started at %g s: %s", seed, c.Name(int(e.Instance)), e.TS, why)
			}
		})
		if res.NeverUp != 0 {
			t.Errorf("seed %d: got %d never up, want 0", seed, res.NeverUp)
		}
	}
	if reordered == 0 {
		t.Errorf("setup: no seed draws slow before fast")
	}
}

// TestSimulateLowerBound checks that the bound a simulated recovery reports
// never exceeds its makespan when every instance came up: with starts
// slowed past their timeout and retried with shorter draws
// (lb-retry.toml), with a plan that left an instance out passed to the
// baselines (lb-plan-subset.toml), with dispatches rejected for want of
// room (random platforms), and on the shipped examples.
func TestSimulateLowerBound(t *testing.T) {
	check := func(name string, c *Cluster, p *Plan, o SimOptions) bool {
		t.Helper()
		res, err := Simulate(c, p, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.NeverUp > 0 || res.MakespanS == 0 {
			return false
		}
		if !approxLE(res.LowerBoundS, res.MakespanS) {
			t.Errorf("%s: got lower bound %g above the makespan %g (%d timeouts, %d rejections)",
				name, res.LowerBoundS, res.MakespanS, res.Timeouts, res.Rejections)
		}
		return true
	}

	// -short (stage 1 of a mutation run) takes a tenth of the seeds and
	// leaves platform-2019 to TestPlatform2019.
	retrySeeds, randomSeeds := uint64(300), uint64(400)
	if testing.Short() {
		retrySeeds, randomSeeds = 30, 40
	}
	c := NewCluster(loadTestdata(t, "lb-retry.toml"))
	for seed := uint64(1); seed <= retrySeeds; seed++ {
		for _, pol := range Policies {
			check(fmt.Sprintf("lb-retry seed %d %s", seed, pol), c, nil, SimOptions{Policy: pol, Seed: seed})
		}
	}

	c = NewCluster(loadTestdata(t, "lb-plan-subset.toml"))
	p := NewPlan(c)
	if len(p.Unplaced) != 1 {
		t.Fatalf("lb-plan-subset: setup: got unplaced %v, want db#2 alone", p.Unplaced)
	}
	for seed := uint64(1); seed <= 20; seed++ {
		for _, pol := range Policies {
			if !check(fmt.Sprintf("lb-plan-subset seed %d %s", seed, pol), c, p, SimOptions{Policy: pol, Seed: seed}) && pol != PolicyPlan {
				t.Errorf("lb-plan-subset seed %d %s: setup: want every instance up", seed, pol)
			}
		}
	}

	checked := 0
	for seed := uint64(1); seed <= randomSeeds; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x73696d))
		c := NewCluster(parseModel(t, "random", randomPlatform(r)))
		for _, pol := range Policies[1:] {
			o := SimOptions{Policy: pol, Seed: 10 * seed}
			if check(fmt.Sprintf("random-%d %s", seed, pol), c, nil, o) {
				checked++
			}
		}
	}
	t.Logf("random platforms: %d recoveries with every instance up checked", checked)

	examples := [][]string{
		{"../examples/small-dc/power.toml", "../examples/small-dc/workloads.toml"},
		{"../examples/platform-2019.toml"},
	}
	if testing.Short() {
		examples = examples[:1]
	}
	for _, files := range examples {
		m, err := topology.Load(files...)
		if err != nil {
			t.Fatal(err)
		}
		c := NewCluster(m)
		p := NewPlan(c)
		if !approxLE(p.LowerBoundS, p.MakespanS) {
			t.Errorf("%s: got plan lower bound %g above the planned makespan %g", files[0], p.LowerBoundS, p.MakespanS)
		}
		for _, pol := range Policies {
			check(fmt.Sprintf("%s %s", files[0], pol), c, p, SimOptions{Policy: pol, Seed: 1})
		}
	}
}
