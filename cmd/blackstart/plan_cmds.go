package main

import (
	"bufio"

	"blackstart/analysis"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"blackstart/data/alibaba"
	"blackstart/data/events"
	"blackstart/placement"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

func planCommand() *cli.Command {
	from := &cli.StringFlag{Name: "from-alibaba", Usage: "restart the Running pods of an Alibaba openb trace `DIR` (cluster-trace-gpu-v2023 CSVs) instead of a model"}
	seed := &cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed of start durations, jitter and random choices"}
	refresh := &cli.Float64Flag{Name: "refresh", Value: placement.DefaultRefreshS, Usage: "metrics refresh period of the stale policies, s, 0.1 to 86400"}
	rate := &cli.Float64Flag{Name: "dispatch-rate", Usage: "cluster-wide dispatch limit of the baselines, starts/s: 0 (none) or 0.01 to 1e6"}
	return &cli.Command{
		Name:         "plan",
		Action:       group,
		OnUsageError: usageError,
		Usage:        "restart planning and recovery simulation",
		UsageText:    "blackstart plan restart|simulate|compare [options] MODEL.toml [MORE.toml...]",
		Description: `Examples:
   blackstart plan restart examples/platform-2019.toml
   blackstart plan simulate --policy stale --seed 1 examples/platform-2019.toml
   blackstart plan compare --seed 1 examples/platform-2019.toml`,
		Subcommands: []*cli.Command{
			{
				Name:      "restart",
				Usage:     "plan the cold restart: node, tier and planned start of every instance",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `Tiers from depends_on; every placement accounted the moment it is decided; at
most c starts per node at once; RAM, CPU and GPU capacity; each service spread
over its failure domain; pinned instances on their nodes; a power budget that
keeps every branch circuit failover-safe. Prints the tiers, the makespan and
the lower bound it is compared to, the instances that cannot be placed and why.

Examples:
   blackstart plan restart examples/platform-2019.toml
   blackstart plan restart --format csv examples/small-dc/power.toml examples/small-dc/workloads.toml
   blackstart plan restart --from-alibaba ../shared/data/alibaba-openb-2023`,
				Flags:        []cli.Flag{formatFlag("table", "json", "csv"), from, &cli.IntFlag{Name: "top", Value: 40, Usage: "table: instances to list (0: all)"}},
				OnUsageError: usageError,
				Action:       planRestart,
			},
			{
				Name:      "simulate",
				Usage:     "simulate the recovery under one policy",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `Policies: plan (ours), stale (the incident's: most available node by metrics
refreshed every --refresh s), random, p2c (best of two random nodes, stale
metrics). Same seed, same durations for every policy.

Example:
   blackstart plan simulate --policy stale --seed 1 examples/platform-2019.toml`,
				Flags: []cli.Flag{formatFlag("table", "json", "csv"), from, seed, refresh, rate,
					&cli.StringFlag{Name: "policy", Value: placement.PolicyPlan, Usage: "plan, stale, random or p2c"},
					&cli.StringFlag{Name: "events-out", Usage: "also write the progress events to `FILE` (CSV when it ends in .csv, else JSON Lines)"}},
				OnUsageError: usageError,
				Action:       planSimulate,
			},
			{
				Name:      "compare",
				Usage:     "simulate every policy with one seed, side by side",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `Example:
   blackstart plan compare --seed 1 examples/platform-2019.toml`,
				Flags:        []cli.Flag{formatFlag("table", "json", "csv"), from, seed, refresh, rate},
				OnUsageError: usageError,
				Action:       planCompare,
			},
		},
	}
}

// restartModel loads the model files, or imports the Alibaba trace: a
// model with workloads (analysis.Workloads).
func restartModel(c *cli.Context) (*topology.Model, error) {
	if dir := c.String("from-alibaba"); dir != "" {
		if c.Args().Present() {
			return nil, badInput("--from-alibaba takes no model files, got %q", c.Args().First())
		}
		if fromStore(c) {
			return nil, badInput("--from-alibaba takes no stored model (--db, --model, --rev)")
		}
		m, err := alibaba.Import(dir, alibaba.Options{})
		if err != nil {
			return nil, err
		}
		return m, analysisError(analysis.Workloads(m))
	}
	m, err := loadModel(c)
	if err != nil {
		return nil, err
	}
	// A model without workloads has nothing to plan (its tables would be
	// zeros): exit 2, as chart gantt says, and the API's 400.
	return m, analysisError(analysis.Workloads(m))
}

// The plan's and the simulations' documents are the analysis package's:
// the API writes the same.
type (
	planJSON   = analysis.Plan
	resultJSON = analysis.PolicyResult
)

var (
	toPlanJSON   = analysis.PlanDocument
	toResultJSON = analysis.PolicyDocument
	r1           = analysis.R1
	ratio        = analysis.Ratio
)

func planRestart(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	m, err := restartModel(c)
	if err != nil {
		return err
	}
	pj := analysis.RestartPlan(m, progress(c.App.ErrWriter, "plan restart (instances)"))
	w := bufio.NewWriter(c.App.Writer)
	switch format {
	case "json":
		err = writeJSON(w, pj)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"instance", "node", "tier", "start_s", "up_s"})
		for _, a := range pj.Assignments {
			cw.Write([]string{a.Instance, a.Node, strconv.Itoa(a.Tier), csvFloat(a.StartS), csvFloat(a.UpS)})
		}
		for _, u := range pj.Unplaced {
			cw.Write([]string{u.Instance, "", "", "", "", u.Reason})
		}
		cw.Flush()
		err = cw.Error()
	default:
		planTable(w, pj, c.Int("top"))
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

func planTable(w io.Writer, p planJSON, top int) {
	fmt.Fprintf(w, "restart plan: %d of %d instances placed; makespan %s, lower bound %s (%.3f × the bound)\n",
		p.Placed, p.Instances, dur(secs(p.MakespanS)), dur(secs(p.LowerBoundS)), p.Ratio)
	if p.SpreadShort > 0 {
		fmt.Fprintf(w, "%d %s a failure domain (the pool has too few domains with room):\n", p.SpreadShort, plural(p.SpreadShort, "service shares", "services share"))
		for k, sh := range p.Shortages {
			if k == 10 {
				fmt.Fprintf(w, "  … %d more (see --format json)\n", len(p.Shortages)-10)
				break
			}
			fmt.Fprintf(w, "  %s (spread %s): instances share %d %s, on %s\n", sh.Service, sh.Spread, sh.SharedDomains, plural(sh.SharedDomains, sh.Spread, sh.Spread+"s"), firstFew(sh.Nodes, 8))
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tINSTANCES\tFIRST START\tLAST UP")
	for _, t := range p.Tiers {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", t.Tier, t.Instances, dur(secs(t.StartS)), dur(secs(t.UpS)))
	}
	tw.Flush()
	if len(p.TimeoutRisk) > 0 {
		worst := p.TimeoutRisk[0]
		fmt.Fprintf(w, "\n%s even on an idle node (expected %.1f timeouts whatever the placement);\n"+
			"worst: %s, %.2f %% of starts exceed %s — lengthen the timeout or shorten the start\n",
			plural(len(p.TimeoutRisk), "1 service can outlast its start timeout", fmt.Sprintf("%d services can outlast their start timeout", len(p.TimeoutRisk))), p.ExpectedTimeouts, worst.Service, 100*worst.Probability, dur(secs(worst.TimeoutS)))
	}
	if len(p.Unplaced) > 0 {
		fmt.Fprintf(w, "\n%s:\n", plural(len(p.Unplaced), "1 instance cannot be placed", fmt.Sprintf("%d instances cannot be placed", len(p.Unplaced))))
		for k, u := range p.Unplaced {
			if top > 0 && k == top {
				fmt.Fprintf(w, "  … %d more\n", len(p.Unplaced)-top)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", u.Instance, u.Reason)
		}
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tNODE\tTIER\tPLANNED START\tPLANNED UP")
	for k, a := range p.Assignments {
		if top > 0 && k == top {
			fmt.Fprintf(tw, "… %d more (--top 0 lists all, --format csv or json)\t\t\t\t\n", len(p.Assignments)-top)
			break
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", a.Instance, a.Node, a.Tier, dur(secs(a.StartS)), dur(secs(a.UpS)))
	}
	tw.Flush()
}

func runPolicies(c *cli.Context, policies []string) ([]resultJSON, error) {
	out := c.String("events-out")
	for _, p := range policies {
		if err := analysis.CheckPolicy(p); err != nil {
			return nil, analysisError(err)
		}
	}
	if err := checkOutput(c, out); err != nil {
		return nil, fmt.Errorf("--events-out: %w", err)
	}
	if err := analysis.CheckSimOptions(analysis.SimOptions{RefreshS: c.Float64("refresh"), DispatchPerS: c.Float64("dispatch-rate")}); err != nil {
		return nil, analysisError(err)
	}
	m, err := restartModel(c)
	if err != nil {
		return nil, err
	}
	o := analysis.SimOptions{Seed: c.Uint64("seed"), RefreshS: c.Float64("refresh"), DispatchPerS: c.Float64("dispatch-rate"),
		Progress: progress(c.App.ErrWriter, "plan and simulated policies")}
	if out != "" {
		o.Events = func(cl *placement.Cluster, _ string, evs []placement.Event) error {
			format := events.FormatJSONL
			if strings.HasSuffix(out, ".csv") {
				format = events.FormatCSV
			}
			return writeOutput(c, out, func(w io.Writer) error {
				if err := events.Write(w, cl, evs, format); err != nil {
					return badInput("--events-out %s: %v", out, err) // a recovery an events file cannot hold
				}
				return nil
			})
		}
	}
	res, err := analysis.Simulate(m, policies, o)
	return res, analysisError(err)
}

func validPolicy(p string) bool {
	for _, x := range placement.Policies {
		if p == x {
			return true
		}
	}
	return false
}

func planSimulate(c *cli.Context) error {
	return writeResults(c, []string{c.String("policy")})
}

func planCompare(c *cli.Context) error {
	return writeResults(c, placement.Policies)
}

func writeResults(c *cli.Context, policies []string) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	res, err := runPolicies(c, policies)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(c.App.Writer)
	switch format {
	case "json":
		err = analysis.WriteResults(w, res)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"policy", "seed", "makespan_s", "lower_bound_s", "ratio", "timeouts", "retries", "rejections",
			"peak_concurrent_starts", "peak_node", "p50_up_s", "p95_up_s", "never_up", "unplaced"})
		for _, r := range res {
			cw.Write([]string{r.Policy, strconv.FormatUint(r.Seed, 10), csvFloat(r.MakespanS), csvFloat(r.LowerBoundS), csvFloat(r.Ratio),
				strconv.Itoa(r.Timeouts), strconv.Itoa(r.Retries), strconv.Itoa(r.Rejections), strconv.Itoa(r.PeakConcurrentStarts),
				r.PeakNode, csvFloat(r.P50UpS), csvFloat(r.P95UpS), strconv.Itoa(r.NeverUp), strconv.Itoa(r.Unplaced)})
		}
		cw.Flush()
		err = cw.Error()
	default:
		fmt.Fprintf(w, "recovery simulated with seed %d\n\n", res[0].Seed)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "POLICY\tMAKESPAN\tVS BOUND\tTIMEOUTS\tRETRIES\tREJECTED\tPEAK STARTS ON A NODE\tP50 UP\tP95 UP\tNEVER UP\tUNPLACED")
		for _, r := range res {
			fmt.Fprintf(tw, "%s\t%s\t%.2f×\t%d\t%d\t%d\t%d on %s (c = %d)\t%s\t%s\t%d\t%d\n", r.Policy, dur(secs(r.MakespanS)), r.Ratio,
				r.Timeouts, r.Retries, r.Rejections, r.PeakConcurrentStarts, r.PeakNode, r.PeakNodeConcurrency,
				dur(secs(r.P50UpS)), dur(secs(r.P95UpS)), r.NeverUp, r.Unplaced)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nlower bound on these durations: %s\n", dur(secs(res[0].LowerBoundS)))
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// firstFew joins up to n items, then says how many more there are.
func firstFew(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
