package main

import (
	"blackstart/analysis"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"blackstart/chart"
	"blackstart/data/events"
	"blackstart/estimate"
	"blackstart/outfile"
	"blackstart/placement"
	"blackstart/power"
	"blackstart/topology"
)

// renderFlags are the flags shared by chart and report.
func renderFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "events", Usage: "progress events of the actual recovery (`FILE`, JSON Lines or CSV): adds it to the recovery and ETA charts"},
		&cli.StringSliceFlag{Name: "fail", Usage: "cascade: the failure to draw (element `ID` or DEVICE/psuN, repeatable; default: the worst single failure)"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the simulated recoveries and of the ETA's projections"},
		&cli.IntFlag{Name: "top", Value: chart.DefaultTop, Usage: "racks, failures and elements the headroom and risk charts show at most"},
		&cli.IntFlag{Name: "batch", Usage: "ETA chart: events per estimate (0: about 100 estimates over the recovery)"},
		&cli.StringFlag{Name: "basis", Value: "conservative", Usage: "device draw basis: conservative, nameplate, allocated, typical, peak or measured"},
		windowFlag(),
		&cli.BoolFlag{Name: "offline", EnvVars: []string{"BLACKSTART_OFFLINE"}, Usage: "self-contained pages: inline echarts " + chart.EchartsVersion + " from a local copy (see --echarts-js)"},
		&cli.StringFlag{Name: "echarts-js", Usage: "local echarts.min.js `PATH` for --offline and --png (default $" + chart.EchartsEnv + ", else ./" + chart.DefaultEchartsPath + " here or above)"},
		&cli.BoolFlag{Name: "png", Usage: "also write a PNG of each chart, through headless Chromium"},
	}
}

func chartCommand() *cli.Command {
	return &cli.Command{
		Name:      "chart",
		Usage:     "draw one chart as an HTML page (echarts)",
		ArgsUsage: "KIND MODEL.toml [MORE.toml...]",
		Description: `Kinds:
   headroom   per rack: the N-1-safe headroom (kW, as power headroom computes it) and the element that binds
   risk       the N-1 risk map: single failures × the elements they overload, coloured by load / rating
   cascade    one failure's cascade in time (--fail ID, default the worst single failure)
   flow       the power flow, sources → UPS → panels → circuits → racks, in kW (sankey)
   gantt      the restart plan by node (by tier on big platforms), coloured by tier
   recovery   instances up over time: plan vs stale simulated, and the actual recovery with --events
   eta        the ETA over time: throughput estimate and band vs RAM estimate vs the actual finish
   gap        per rack: the model's draw vs the measured p95 and peak, worst first (needs --db with readings)

The page loads echarts ` + chart.EchartsVersion + ` from its CDN; --offline inlines a local copy
(npm install --no-save echarts@` + chart.EchartsVersion + `). --png also writes FILE.png through
headless Chromium. --format option prints the echarts option JSON instead of a page.

Examples:
   blackstart chart headroom examples/incident-2019.toml -o headroom.html
   blackstart chart cascade --fail breaker-a examples/incident-2019.toml -o cascade.html
   blackstart chart gantt --offline --png examples/platform-2019.toml -o gantt.html`,
		Flags: append(renderFlags(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the page to `FILE.html` (- for stdout)"},
			&cli.StringFlag{Name: "format", Value: "html", Usage: "html, or option: the echarts option as JSON"}),
		OnUsageError: usageError,
		Action:       chartAction,
	}
}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write the postmortem bundle: a summary page, every chart and the JSON behind them",
		ArgsUsage: "MODEL.toml [MORE.toml...]",
		Description: `DIR gets index.html (worst failover risks, the restart plan against its lower
bound, ETA accuracy), KIND.html and KIND.json for every chart the model allows
(power charts need power elements, restart charts need workloads), and
accuracy.json. DIR must not exist, be empty, or hold an earlier report; the
bundle is written beside it and moved in place once complete.

Examples:
   blackstart report examples/platform-2019.toml -o postmortem
   blackstart report --offline --events recovery.jsonl examples/platform-2019.toml -o postmortem`,
		Flags: append(renderFlags(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "bundle directory `DIR`"},
			&cli.IntFlag{Name: "runs", Value: 5, Usage: "perturbed recoveries of the ETA accuracy table, 0 to 10000 (0: skip it)"}),
		OnUsageError: usageError,
		Action:       reportAction,
	}
}

// chartInputs computes, once each and on demand, the results the charts
// are drawn from.
type chartInputs struct {
	c    *cli.Context
	m    *topology.Model
	net  *power.Network
	load *power.LoadReport
	swp  *power.SweepReport
	cl   *placement.Cluster
	plan *placement.Plan
	sims map[string]*placement.Result
	evs  []placement.Event // actual recovery, from --events
	hist []estimate.Snapshot
	// actualS is when the recovery drawn on the ETA chart finished (the
	// recorded one with --events, else the simulated one), s; -1 when it
	// has not.
	actualS float64
	// etaFrom says where the ETA chart's recovery comes from.
	etaFrom string
}

func newInputs(c *cli.Context, args []string) (*chartInputs, error) {
	if len(args) == 0 && !storeDefault(c) {
		return nil, badInput("%s: no model file given", c.Command.Name)
	}
	if c.Int("batch") < 0 {
		return nil, badInput("--batch must be >= 0, got %d", c.Int("batch"))
	}
	m, err := loadModelFrom(c, args)
	if err != nil {
		return nil, err
	}
	in := &chartInputs{c: c, m: m, sims: map[string]*placement.Result{}}
	if path := c.String("events"); path != "" {
		if len(m.Services) == 0 {
			return nil, badInput("--events: the model has no workloads to match the events to")
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, badInput("%s: cannot read events: %v", path, err)
		}
		defer f.Close()
		in.evs, err = readEvents(path, f, in.cluster(), events.Options{})
		if err != nil {
			return nil, err
		}
		if len(in.evs) == 0 {
			return nil, badInput("%s: no progress events in the file", path)
		}
	}
	return in, nil
}

func (in *chartInputs) hasPower() bool   { return len(in.m.Elements) > 0 }
func (in *chartInputs) hasRestart() bool { return len(in.m.Services) > 0 }
func (in *chartInputs) files() string    { return strings.Join(in.m.Files, " + ") }
func (in *chartInputs) noPower() error {
	return badInput("%s: the model has no power elements to chart", in.files())
}
func (in *chartInputs) noWorkloads() error {
	return analysisError(analysis.Workloads(in.m))
}

func (in *chartInputs) network() (*power.Network, error) {
	if !in.hasPower() {
		return nil, in.noPower()
	}
	if in.net == nil {
		b, err := power.ParseBasis(in.c.String("basis"))
		if err != nil {
			return nil, badInput("--%v", err)
		}
		in.net = power.NewNetwork(in.m, b)
	}
	return in.net, nil
}

func (in *chartInputs) loadReport() (power.LoadReport, error) {
	n, err := in.network()
	if err != nil {
		return power.LoadReport{}, err
	}
	if in.load == nil {
		r := n.Load()
		in.load = &r
	}
	return *in.load, nil
}

func (in *chartInputs) sweep() (power.SweepReport, error) {
	n, err := in.network()
	if err != nil {
		return power.SweepReport{}, err
	}
	if in.swp == nil {
		r := n.Sweep(power.SweepOptions{Progress: progress(in.c.App.ErrWriter, "failover sweep (scenarios)")})
		if h := in.hosting(); h != nil {
			for i := range r.Scenarios {
				if len(r.Scenarios[i].Dark.Devices) > 0 {
					h.FillDark(&r.Scenarios[i])
				}
			}
		}
		in.swp = &r
	}
	return *in.swp, nil
}

// hosting joins dark devices with the instances on them, through the
// restart plan the charts draw (nil without workloads).
func (in *chartInputs) hosting() *placement.Hosting {
	if !in.hasRestart() {
		return nil
	}
	p, err := in.restartPlan()
	if err != nil {
		return nil
	}
	return placement.HostingOf(in.cluster(), p)
}

// scenario is the --fail scenario, or the worst single failure.
func (in *chartInputs) scenario() (power.Scenario, error) {
	n, err := in.network()
	if err != nil {
		return power.Scenario{}, err
	}
	if ids := in.c.StringSlice("fail"); len(ids) > 0 {
		sc, err := analysis.Scenario(in.m, n, ids, power.DefaultHorizonS)
		if err != nil {
			return sc, analysisError(err)
		}
		if h := in.hosting(); h != nil {
			h.FillDark(&sc)
		}
		return sc, nil
	}
	rep, err := in.sweep()
	if err != nil {
		return power.Scenario{}, err
	}
	if len(rep.Scenarios) == 0 {
		return power.Scenario{}, badInput("%s: no failure to draw", in.files())
	}
	return rep.Scenarios[0], nil
}

func (in *chartInputs) cluster() *placement.Cluster {
	if in.cl == nil {
		in.cl = placement.NewCluster(in.m)
	}
	return in.cl
}

func (in *chartInputs) restartPlan() (*placement.Plan, error) {
	if !in.hasRestart() {
		return nil, in.noWorkloads()
	}
	if in.plan == nil {
		in.plan = placement.NewPlan(in.cluster())
	}
	return in.plan, nil
}

// simulate runs one policy with --seed, recording its events when asked.
func (in *chartInputs) simulate(policy string, events *[]placement.Event) (*placement.Result, error) {
	if r, ok := in.sims[policy]; ok && events == nil {
		return r, nil
	}
	p, err := in.restartPlan()
	if err != nil {
		return nil, err
	}
	o := placement.SimOptions{Policy: policy, Seed: in.c.Uint64("seed")}
	if events != nil {
		o.OnEvent = func(e placement.Event) { *events = append(*events, e) }
	}
	r, err := placement.Simulate(in.cluster(), p, o)
	if err != nil {
		return nil, badInput("%v", err)
	}
	in.sims[policy] = r
	return r, nil
}

// upTimes is, per instance, the first time the events report it up, s (-1:
// never).
func upTimes(n int, evs []placement.Event) []float64 {
	up := make([]float64, n)
	for i := range up {
		up[i] = -1
	}
	for _, e := range evs {
		if e.State == placement.Up && up[e.Instance] < 0 {
			up[e.Instance] = e.TS
		}
	}
	return up
}

func (in *chartInputs) recoveryCurves() ([]chart.RecoveryCurve, int, error) {
	var curves []chart.RecoveryCurve
	for _, pol := range []string{placement.PolicyPlan, placement.PolicyStale} {
		r, err := in.simulate(pol, nil)
		if err != nil {
			return nil, 0, err
		}
		curves = append(curves, chart.RecoveryCurve{Name: pol + " (simulated)", UpS: r.UpS})
	}
	if in.evs != nil {
		curves = append(curves, chart.RecoveryCurve{Name: "actual (events)", UpS: upTimes(len(in.cluster().Instances), in.evs)})
	}
	return curves, len(in.cluster().Instances), nil
}

// history replays a recovery's events into the live estimator and keeps the
// estimate after every batch: the events given with --events, or else those
// of the plan simulated with --seed.
func (in *chartInputs) history() ([]estimate.Snapshot, error) {
	if in.hist != nil {
		return in.hist, nil
	}
	p, err := in.restartPlan()
	if err != nil {
		return nil, err
	}
	evs := in.evs
	in.etaFrom = "the events given"
	if evs == nil {
		if _, err := in.simulate(placement.PolicyPlan, &evs); err != nil {
			return nil, err
		}
		in.etaFrom = fmt.Sprintf("the plan's simulated recovery, seed %d", in.c.Uint64("seed"))
	}
	batch := in.c.Int("batch")
	if batch == 0 {
		batch = max(1, len(evs)/100)
	}
	end := 0.0
	if len(evs) > 0 {
		end = evs[len(evs)-1].TS
	}
	l := estimate.NewLive(in.cluster(), p)
	l.SetSeed(in.c.Uint64("seed")) // the projections' draws, as estimate live --seed's
	in.hist = estimate.History(l, evs, batch, end)
	// The recovery finished when every placed instance is up.
	up := upTimes(len(in.cluster().Instances), evs)
	in.actualS = -1
	last, missing := 0.0, 0
	for i, a := range p.Assign {
		if a.Node < 0 {
			continue
		}
		if up[i] < 0 {
			missing++
		}
		last = math.Max(last, up[i])
	}
	if missing == 0 && len(evs) > 0 {
		in.actualS = last
	}
	return in.hist, nil
}

// build makes one chart and returns the data behind it.
func (in *chartInputs) build(kind string) (*chart.Chart, any, error) {
	top := in.c.Int("top")
	switch kind {
	case "headroom":
		n, err := in.network()
		if err != nil {
			return nil, nil, err
		}
		// The same function and figures as `power headroom --format json`.
		rep, err := power.Headroom(n, power.HeadroomOptions{})
		if err != nil {
			return nil, nil, err
		}
		return chart.Headroom(rep, top), rep, nil
	case "risk":
		rep, err := in.sweep()
		if err != nil {
			return nil, nil, err
		}
		var with []power.Scenario
		for _, sc := range rep.Scenarios {
			if len(sc.Overloads) > 0 {
				with = append(with, sc)
			}
		}
		return chart.RiskMap(rep, top), map[string]any{"summary": rep.Summary, "scenarios_with_overloads": with}, nil
	case "cascade":
		sc, err := in.scenario()
		if err != nil {
			return nil, nil, err
		}
		return chart.Cascade(sc), sc, nil
	case "flow":
		rep, err := in.loadReport()
		if err != nil {
			return nil, nil, err
		}
		return chart.Flow(in.m, rep), map[string]any{"elements": rep.Elements}, nil
	case "gantt":
		p, err := in.restartPlan()
		if err != nil {
			return nil, nil, err
		}
		return chart.Gantt(p), toPlanJSON(p), nil
	case "recovery":
		curves, total, err := in.recoveryCurves()
		if err != nil {
			return nil, nil, err
		}
		var res []resultJSON
		for _, pol := range []string{placement.PolicyPlan, placement.PolicyStale} {
			res = append(res, toResultJSON(in.sims[pol]))
		}
		return chart.Recovery(curves, total), map[string]any{"instances": total, "simulated": res}, nil
	case "eta":
		h, err := in.history()
		if err != nil {
			return nil, nil, err
		}
		var actual *float64
		if in.actualS >= 0 {
			actual = &in.actualS
		}
		finish := "simulated finish"
		if in.evs != nil {
			finish = "actual finish"
		}
		return chart.ETA(h, in.actualS, finish), map[string]any{"recovery": in.etaFrom, "finish_s": actual, "estimates": h}, nil
	case "gap":
		if !in.hasPower() {
			return nil, nil, in.noPower()
		}
		if !fromStore(in.c) && os.Getenv("BLACKSTART_DB") == "" {
			return nil, nil, badInput("chart gap: the readings are in a database: give --db (the model comes from it too)")
		}
		rep, w, err := gapReport(in.c, in.m)
		if err != nil {
			return nil, nil, err
		}
		return chart.Gap(rep, top, windowText(w)), gapJSON{w, rep}, nil
	}
	return nil, nil, badInput("chart: unknown kind %q (want %s)", kind, joinOr(chart.Kinds))
}

// renderSetup resolves --offline and --png: the local echarts script they
// need, and the browser --png needs.
func renderSetup(c *cli.Context) (chart.Render, string, error) {
	r := chart.Render{Offline: c.Bool("offline")}
	browser := ""
	var missing []string // what --png or --offline needs and is not here
	if r.Offline || c.Bool("png") {
		js, _, err := chart.LocateEcharts(c.String("echarts-js"))
		if err != nil {
			missing = append(missing, err.Error())
		}
		r.Echarts = js
	}
	if c.Bool("png") {
		b, err := chart.FindBrowser()
		if err != nil {
			missing = append(missing, err.Error())
		}
		browser = b
	}
	if len(missing) > 0 {
		what := "--offline"
		if c.Bool("png") {
			what = "--png (a PNG is drawn from the offline page in headless Chromium)"
		}
		return r, "", badInput("%s cannot run: %s", what, strings.Join(missing, "; and "))
	}
	return r, browser, nil
}

func chartAction(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return badInput("chart: no chart kind given (want %s)", joinOr(chart.Kinds))
	}
	kind := args[0]
	known := false
	for _, k := range chart.Kinds {
		known = known || k == kind
	}
	if !known {
		return badInput("chart: unknown kind %q (want %s)", kind, joinOr(chart.Kinds))
	}
	format := c.String("format")
	if format != "html" && format != "option" {
		return badInput("--format must be html or option, got %q", format)
	}
	out := c.String("output")
	if out == "" && format == "html" {
		return badInput("chart: -o FILE.html is required (- for stdout)")
	}
	if c.Bool("png") && format != "html" {
		return badInput("--png draws the page: it needs --format html")
	}
	if c.Bool("png") && (out == "" || out == "-") {
		return badInput("--png needs -o FILE.html: the PNG is written beside it")
	}
	if err := checkOutput(c, out); err != nil {
		return err
	}
	if c.Bool("png") {
		if err := checkOutput(c, pngPath(out)); err != nil {
			return err
		}
	}
	r, browser, err := renderSetup(c)
	if err != nil {
		return err
	}
	in, err := newInputs(c, args[1:])
	if err != nil {
		return err
	}
	ch, _, err := in.build(kind)
	if err != nil {
		return err
	}
	if format == "option" {
		opt, err := ch.Option()
		if err != nil {
			return err
		}
		return writeOutput(c, out, func(w io.Writer) error { _, err := w.Write(opt); return err })
	}
	var page bytes.Buffer
	if err := ch.HTML(&page, r); err != nil {
		return badInput("%v", err)
	}
	if err := writeOutput(c, out, func(w io.Writer) error { _, err := w.Write(page.Bytes()); return err }); err != nil {
		return err
	}
	if browser != "" {
		return pngBeside(c, browser, ch, r, out)
	}
	return nil
}

// pngBeside writes FILE.png beside FILE.html, from an offline page.
func pngBeside(c *cli.Context, browser string, ch *chart.Chart, r chart.Render, htmlPath string) error {
	path := pngPath(htmlPath)
	png, err := chart.Screenshot(browser, ch, r)
	if err != nil {
		return &exitError{code: exitInternal, err: fmt.Errorf("--png: %s: %v", path, err)}
	}
	return writeOutput(c, path, func(w io.Writer) error { _, err := w.Write(png); return err })
}

// pngPath is where --png writes the PNG of the page at htmlPath.
func pngPath(htmlPath string) string { return strings.TrimSuffix(htmlPath, ".html") + ".png" }

func reportAction(c *cli.Context) error {
	out := c.String("output")
	if out == "" || out == "-" {
		return badInput("report: -o DIR is required")
	}
	if c.Int("runs") < 0 || c.Int("runs") > estimate.MaxRuns {
		return badInput("--runs must be 0 to %d, got %d", estimate.MaxRuns, c.Int("runs"))
	}
	if err := outfile.CheckDir(out, inputsOf(c)...); err != nil {
		return badInput("report: -o %v", err)
	}
	r, browser, err := renderSetup(c)
	if err != nil {
		return err
	}
	in, err := newInputs(c, c.Args().Slice())
	if err != nil {
		return err
	}
	rep := chart.Report{Title: in.files(), Data: map[string]any{}}
	var kinds []string
	if in.hasPower() {
		kinds = append(kinds, "headroom", "risk", "cascade", "flow")
		sw, err := in.sweep()
		if err != nil {
			return err
		}
		rep.Headline = sw.Summary.Headline
		for _, sc := range sw.Scenarios {
			if len(rep.Risks) == 5 || !sc.Risky && len(sc.Overloads) == 0 {
				break
			}
			if sc.SameAs != "" { // a PSU fault that ends as an element listed already
				continue
			}
			line := sc.Describe()
			if len(sc.Overloads) > 0 {
				line += "; " + overloadLine(sc.Overloads[0])
			}
			rep.Risks = append(rep.Risks, line)
		}
	} else {
		rep.Notes = append(rep.Notes, "No power charts: the model has no power elements.")
	}
	if in.hasRestart() {
		kinds = append(kinds, "gantt", "recovery", "eta")
		p, err := in.restartPlan()
		if err != nil {
			return err
		}
		rep.Plan = append(rep.Plan, fmt.Sprintf("planned makespan %s against a lower bound of %s: %.2f× (%s, %d unplaced)",
			durS(p.MakespanS), durS(p.LowerBoundS), ratio(p.MakespanS, p.LowerBoundS), count(len(p.Assign), "instance", "instances"), len(p.Unplaced)))
		for _, pol := range []string{placement.PolicyPlan, placement.PolicyStale} {
			res, err := in.simulate(pol, nil)
			if err != nil {
				return err
			}
			rep.Plan = append(rep.Plan, fmt.Sprintf("%s, simulated (seed %d): all up at %s, %.2f× its lower bound on the drawn durations; %s, %s, peak %s on %s (c = %d)",
				pol, res.Seed, durS(res.MakespanS), ratio(res.MakespanS, res.LowerBoundS), count(res.Timeouts, "timeout", "timeouts"), count(res.Retries, "retry", "retries"),
				count(res.PeakConcurrent, "concurrent start", "concurrent starts"), res.PeakNode, res.PeakC))
		}
		if runs := c.Int("runs"); runs > 0 {
			acc, err := estimate.Evaluate(in.cluster(), p, estimate.EvaluateOptions{Runs: runs, Seed: c.Uint64("seed"),
				Progress: progress(c.App.ErrWriter, "report: perturbed recoveries")})
			if err != nil {
				return badInput("%v", err)
			}
			rep.Accuracy = acc
		}
	} else {
		rep.Notes = append(rep.Notes, "No restart charts: the model has no workloads.")
	}
	if in.hasPower() && fromStore(c) {
		// The model comes from a database: its readings, if any, give the
		// gap chart.
		if _, _, err := gapReport(c, in.m); err == nil {
			kinds = append(kinds, "gap")
		} else if errors.Is(err, errNoReadings) {
			rep.Notes = append(rep.Notes, "No gap chart: the database holds no readings of this model.")
		} else {
			return err
		}
	}
	st := newSteps(c.App.ErrWriter, "report: charts", len(kinds))
	for _, k := range kinds {
		ch, data, err := in.build(k)
		if err != nil {
			return err
		}
		rep.Charts = append(rep.Charts, ch)
		rep.Data[k] = data
		st.step()
	}
	if err := chart.WriteReport(out, inputsOf(c), rep, r, browser); err != nil {
		var pe *outfile.PathError
		if errors.As(err, &pe) {
			return badInput("report: -o %v", err)
		}
		return &exitError{code: exitInternal, err: fmt.Errorf("report: %v", err)}
	}
	fmt.Fprintf(c.App.Writer, "wrote %s/index.html and %s\n", strings.TrimSuffix(out, "/"), count(len(rep.Charts), "chart", "charts"))
	return nil
}

// durS formats seconds for a sentence.
func durS(s float64) string { return dur(secs(s)) }
