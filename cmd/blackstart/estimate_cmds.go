package main

import (
	"blackstart/analysis"
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"blackstart/data/events"
	"blackstart/estimate"
	"blackstart/placement"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

func estimateCommand() *cli.Command {
	from := &cli.StringFlag{Name: "from-alibaba", Usage: "the Running pods of an Alibaba openb trace `DIR` instead of a model"}
	seed := &cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed; run k uses seed+k"}
	runs := &cli.IntFlag{Name: "runs", Value: 50, Usage: "Monte-Carlo runs / simulated recoveries, 1 to 10000"}
	policy := &cli.StringFlag{Name: "policy", Value: placement.PolicyPlan, Usage: "plan, stale, random or p2c"}
	return &cli.Command{
		Name:      "estimate",
		Usage:     "recovery ETA: planned, live from progress events, and its accuracy against the RAM baseline",
		UsageText: "blackstart estimate plan|live|evaluate [options] MODEL.toml [MORE.toml...]",
		Description: `Examples:
   blackstart estimate plan --runs 100 examples/platform-2019.toml
   blackstart plan simulate --events-out recovery.jsonl examples/platform-2019.toml
   blackstart estimate live --events recovery.jsonl examples/platform-2019.toml
   blackstart estimate evaluate --runs 20 examples/platform-2019.toml`,
		Action:       group,
		OnUsageError: usageError,
		Subcommands: []*cli.Command{
			{
				Name:      "plan",
				Usage:     "planned ETA: p10/p50/p90 of all up, 90 % up and each tier, over simulated recoveries",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `Each run draws start durations and node speeds (±20 % spread) from its seed.

Example:
   blackstart estimate plan --runs 100 --seed 1 examples/platform-2019.toml`,
				Flags:        []cli.Flag{formatFlag("table", "json", "csv"), from, seed, runs, policy},
				OnUsageError: usageError,
				Action:       estimatePlan,
			},
			{
				Name:      "live",
				Usage:     "live ETA from a recovery's progress events, beside the RAM extrapolation",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `Events: JSON Lines or CSV (t_s, instance, node, state; see docs/events.md).
--at estimates as of that time (default: the last event); --history prints the
ETA as it would have been announced after each batch of events. --start gives
the incident's start: RFC 3339 event times count from it (default: from the
first event), as the service's incidents do (GET .../events replays here,
with --seed the incident's id).

Example:
   blackstart estimate live --events recovery.jsonl examples/platform-2019.toml`,
				Flags: []cli.Flag{formatFlag("table", "json", "csv"), from,
					&cli.StringFlag{Name: "events", Usage: "progress events `FILE` (JSON Lines or CSV), required"},
					&cli.Float64Flag{Name: "at", Value: -1, DefaultText: "the last event", Usage: "estimate as of this time, s since power-on, 0 to 1e7"},
					&cli.StringFlag{Name: "start", Usage: "the incident's start, `RFC3339`: event times count from it (default: the first event's)"},
					&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the projections' draws (the service seeds incident N's with N)"},
					&cli.BoolFlag{Name: "history", Usage: "the ETA after every --batch events"},
					&cli.IntFlag{Name: "batch", Value: 1000, Usage: "events per batch of --history, >= 1"}},
				OnUsageError: usageError,
				Action:       estimateLive,
			},
			{
				Name:      "evaluate",
				Usage:     "accuracy of the live ETA and of the RAM baseline over perturbed simulated recoveries",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `Two sets of --runs recoveries: perturbed (node speeds spread lognormal, sigma
0.5; a tenth of the nodes at half speed; one node in fifty dying in the first
half of the run; in one run in four a whole role's nodes stalling at a fifth
of their speed) and calm (nothing goes wrong). Scores the throughput ETA, the
RAM extrapolation and two references, replay (the rest of the run simulated
from its true state) and climatology (the other runs' median finish), at 10,
25, 50 and 75 % of the instances up and of the actual duration: median and
p90 of |ETA − actual| / actual remaining, the median signed error, and the
share of runs whose finish fell in the 80 % band, each with a bootstrap 95 %
interval. --speeds-known also scores the throughput ETA given every node's
true speed, to show what estimating the speeds costs. See docs/evaluate.md.

Example:
   blackstart estimate evaluate --runs 20 examples/platform-2019.toml`,
				Flags: []cli.Flag{formatFlag("table", "json", "csv"), from, seed, runs, policy,
					&cli.IntFlag{Name: "replays", Value: estimate.DefaultReplays, Usage: "continuations of the replay reference per scoring moment, 1 to 10000"},
					&cli.BoolFlag{Name: "speeds-known", Usage: "also score the diagnostic speeds_known: the throughput ETA given every node's true speed (what estimating node speeds costs)"}},
				OnUsageError: usageError,
				Action:       estimateEvaluate,
			},
		},
	}
}

func estimateSetup(c *cli.Context) (*placement.Cluster, *placement.Plan, error) {
	if c.IsSet("policy") && !validPolicy(c.String("policy")) {
		return nil, nil, badInput("--policy must be plan, stale, random or p2c, got %q", c.String("policy"))
	}
	if c.IsSet("runs") && (c.Int("runs") < 1 || c.Int("runs") > estimate.MaxRuns) {
		return nil, nil, badInput("--runs must be 1 to %d, got %d", estimate.MaxRuns, c.Int("runs"))
	}
	m, err := restartModel(c)
	if err != nil {
		return nil, nil, err
	}
	cl := placement.NewCluster(m)
	return cl, placement.NewPlan(cl), nil
}

func estimatePlan(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if c.IsSet("policy") && !validPolicy(c.String("policy")) {
		return badInput("--policy must be plan, stale, random or p2c, got %q", c.String("policy"))
	}
	if r := c.Int("runs"); r < 1 || r > estimate.MaxRuns {
		return badInput("--runs must be 1 to %d, got %d", estimate.MaxRuns, r)
	}
	m, err := restartModel(c)
	if err != nil {
		return err
	}
	e, err := analysis.PlannedETA(m, analysis.ETAOptions{Policy: c.String("policy"), Runs: c.Int("runs"), Seed: c.Uint64("seed"),
		Progress: progress(c.App.ErrWriter, "simulated recoveries")})
	if err != nil {
		return analysisError(err)
	}
	w := bufio.NewWriter(c.App.Writer)
	switch format {
	case "json":
		err = writeJSON(w, e)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"what", "p10_s", "p50_s", "p90_s"})
		row := func(name string, q estimate.Quantiles) {
			cw.Write([]string{name, csvFloat(r1(q.P10)), csvFloat(r1(q.P50)), csvFloat(r1(q.P90))})
		}
		row("all_up", e.AllUpS)
		row("ninety_up", e.NinetyUpS)
		for _, t := range e.Tiers {
			row("tier_"+strconv.Itoa(t.Tier), t.UpS)
		}
		cw.Flush()
		err = cw.Error()
	default:
		fmt.Fprintf(w, "planned ETA, policy %s, %d runs from seed %d (start durations and node speeds drawn per run)\n\n", e.Policy, e.Runs, e.Seed)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "WHAT\tP10\tP50\tP90")
		row := func(name string, q estimate.Quantiles) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, dur(secs(q.P10)), dur(secs(q.P50)), dur(secs(q.P90)))
		}
		row("everything up", e.AllUpS)
		row("90 % up", e.NinetyUpS)
		for _, t := range e.Tiers {
			row(fmt.Sprintf("tier %d up", t.Tier), t.UpS)
		}
		tw.Flush()
		if e.NeverUp > 0 {
			fmt.Fprintf(w, "\nup to %s never came up in a run (given up after their attempts)\n", count(e.NeverUp, "instance", "instances"))
		}
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

func estimateLive(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if c.Int("batch") < 1 {
		return badInput("--batch must be >= 1, got %d", c.Int("batch"))
	}
	path := c.String("events")
	if path == "" {
		return badInput("estimate live: --events FILE is required (the recovery's progress events)")
	}
	if at := c.Float64("at"); c.IsSet("at") && !(at >= 0 && at <= events.MaxTimeS) {
		return badInput("--at must be a time from 0 to %g s since power-on, got %g", events.MaxTimeS, at)
	}
	// Every flag and the events file before the model loads: a mistake
	// in them is named at once, not after a big model's load.
	var o events.Options
	if v := c.String("start"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return badInput("--start %q: want RFC 3339 such as 2019-06-04T09:30:00Z", v)
		}
		o.Start = t
	}
	f, err := os.Open(path)
	if err != nil {
		return badInput("%s: cannot read events: %v", path, err)
	}
	defer f.Close()
	cl, p, err := estimateSetup(c)
	if err != nil {
		return err
	}
	evs, err := readEvents(path, f, cl, o)
	if err != nil {
		return err
	}
	at := c.Float64("at")
	now := 0.0
	if c.IsSet("at") {
		k := 0
		for k < len(evs) && evs[k].TS <= at {
			k++
		}
		evs, now = evs[:k], at
	} else if len(evs) > 0 {
		now = evs[len(evs)-1].TS
	}
	batch := 0
	if c.Bool("history") {
		batch = c.Int("batch")
	}
	l := estimate.NewLive(cl, p)
	l.SetSeed(c.Uint64("seed"))
	snaps := estimate.History(l, evs, batch, now)
	final := snaps[len(snaps)-1]
	if !c.Bool("history") {
		snaps = snaps[len(snaps)-1:]
	}
	w := bufio.NewWriter(c.App.Writer)
	switch format {
	case "json":
		if c.Bool("history") {
			err = writeJSON(w, snaps)
		} else {
			err = writeJSON(w, final)
		}
	case "csv":
		err = snapsCSV(w, snaps)
	default:
		if c.Bool("history") {
			err = snapsCSV(w, snaps)
		} else {
			liveTable(w, final)
		}
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

func csvTime(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func snapsCSV(w io.Writer, snaps []estimate.Snapshot) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"t_s", "up", "total", "up_fraction", "eta_all_s", "eta_all_low_s", "eta_all_high_s", "eta_90_s", "at_risk",
		"ram_fraction", "ram_eta_all_s", "ram_eta_90_s"})
	for _, s := range snaps {
		cw.Write([]string{csvTime(s.TS), strconv.Itoa(s.Up), strconv.Itoa(s.Total), strconv.FormatFloat(s.Fraction, 'f', 4, 64),
			csvTime(s.ETAAllS), csvTime(s.ETAAllLowS), csvTime(s.ETAAllHighS), csvTime(s.ETA90S), strconv.Itoa(s.AtRisk),
			strconv.FormatFloat(s.RAMFraction, 'f', 4, 64), csvTime(s.RAMETAAllS), csvTime(s.RAMETA90S)})
	}
	cw.Flush()
	return cw.Error()
}

func liveTable(w io.Writer, s estimate.Snapshot) {
	fmt.Fprintf(w, "at %s: %d of %d instances up (%.1f %%)\n\n", dur(secs(s.TS)), s.Up, s.Total, 100*s.Fraction)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ESTIMATE\tEVERYTHING UP\tBAND (P10 – P90)\t90 % UP")
	fmt.Fprintf(tw, "throughput (per-node, live)\t%s\t%s – %s\t%s\n", dur(secs(s.ETAAllS)), dur(secs(s.ETAAllLowS)), dur(secs(s.ETAAllHighS)), dur(secs(s.ETA90S)))
	ram := "no RAM back yet"
	if !math.IsInf(s.RAMETAAllS, 1) {
		ram = dur(secs(s.RAMETAAllS))
	}
	ram90 := "-"
	if !math.IsInf(s.RAMETA90S, 1) {
		ram90 = dur(secs(s.RAMETA90S))
	}
	fmt.Fprintf(tw, "RAM baseline (%.1f %% of pre-incident RAM back, linear)\t%s\t-\t%s\n", 100*s.RAMFraction, ram, ram90)
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tUP\tOF\tPROJECTED UP")
	for _, t := range s.Tiers {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\n", t.Tier, t.Up, t.Total, dur(secs(t.ETAS)))
	}
	tw.Flush()
	if len(s.StaleNodes) > 0 {
		fmt.Fprintf(w, "\nnodes that stopped reporting: %s (%s at risk, not projected)\n", listOrNone(s.StaleNodes), count(s.AtRisk, "instance", "instances"))
	}
}

func estimateEvaluate(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if r := c.Int("replays"); r < 1 || r > estimate.MaxReplays {
		return badInput("--replays must be 1 to %d, got %d", estimate.MaxReplays, r)
	}
	cl, p, err := estimateSetup(c)
	if err != nil {
		return err
	}
	ev, err := estimate.Evaluate(cl, p, estimate.EvaluateOptions{Policy: c.String("policy"), Runs: c.Int("runs"), Seed: c.Uint64("seed"), Replays: c.Int("replays"),
		SpeedsKnown: c.Bool("speeds-known"), Progress: progress(c.App.ErrWriter, "simulated recoveries")})
	if err != nil {
		return badInput("%v", err)
	}
	w := bufio.NewWriter(c.App.Writer)
	switch format {
	case "json":
		err = writeJSON(w, ev) // Interval writes its figures rounded as the CSV
	case "csv":
		cw := csv.NewWriter(w)
		head := []string{"scenario", "estimator", "point", "progress", "samples"}
		for _, f := range []string{"median_abs_error", "p90_abs_error", "median_signed_error", "coverage"} {
			head = append(head, f, f+"_ci95_low", f+"_ci95_high")
		}
		cw.Write(append(head, "nominal_coverage"))
		for _, s := range ev.Scores {
			row := []string{s.Scenario, s.Estimator, s.Point, csvFloat(s.Progress), strconv.Itoa(s.Samples)}
			for _, v := range []estimate.Interval{s.MedianAbsError, s.P90AbsError, s.MedianSignedError, s.Coverage} {
				row = append(row, csvErr(v.Value), csvErr(v.Low), csvErr(v.High))
			}
			cw.Write(append(row, csvFloat(s.NominalCoverage)))
		}
		cw.Flush()
		err = cw.Error()
	default:
		fmt.Fprintf(w, "ETA accuracy over %d simulated recoveries per set (policy %s, seeds %d…; replay: %d continuations per moment).\n", ev.Runs, ev.Policy, ev.Seed, ev.Replays)
		fmt.Fprintf(w, "Error: (ETA − actual) / actual remaining; [95 %% bootstrap interval]; coverage: share of runs whose finish fell in the %.0f %% band.\n", 100*estimate.BandLevel)
		if ev.SpeedsKnown {
			fmt.Fprintf(w, "%s: the throughput ETA given every node's true speed (a diagnostic).\n", estimate.EstimatorSpeedsKnown)
		}
		for _, scen := range []string{estimate.ScenarioPerturbed, estimate.ScenarioCalm} {
			fmt.Fprintf(w, "\n%s runs\n", scen)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tESTIMATOR\tMEDIAN |ERROR|\tP90 |ERROR|\tBIAS (MEDIAN ERROR)\tCOVERAGE")
			for _, s := range ev.Scores {
				if s.Scenario != scen {
					continue
				}
				at := fmt.Sprintf("%.0f %% up", 100*s.Progress)
				if s.Point == estimate.PointDuration {
					at = fmt.Sprintf("%.0f %% of time", 100*s.Progress)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", at, s.Estimator, tabInterval(s.MedianAbsError), tabInterval(s.P90AbsError),
					tabInterval(s.MedianSignedError), tabInterval(s.Coverage))
			}
			tw.Flush()
		}
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// tabInterval formats a figure and its 95 % interval for a table.
func tabInterval(v estimate.Interval) string {
	if math.IsNaN(v.Value) {
		return "-"
	}
	return fmt.Sprintf("%s [%s, %s]", tabErr(v.Value), tabErr(v.Low), tabErr(v.High))
}

// tabErr formats a relative error for a table: "-" without samples, "inf"
// when the estimator gave no finite ETA.
func tabErr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case math.IsInf(v, 0):
		return "inf"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// csvErr formats a relative error for CSV: empty without samples, +Inf
// when the estimator gave no finite ETA.
func csvErr(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// readEvents reads a progress events file; a file that cannot be read (a
// directory, a device that fails) is bad input, named.
func readEvents(path string, f *os.File, cl *placement.Cluster, o events.Options) ([]placement.Event, error) {
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, badInput("%s: cannot read events: is a directory", path)
	}
	evs, err := events.ReadWith(path, bufio.NewReader(f), cl, o)
	var list topology.ErrorList
	if err != nil && !errors.As(err, &list) {
		return nil, badInput("cannot read events: %v", err)
	}
	return evs, err
}
