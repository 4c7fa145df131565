package main

import (
	"blackstart/analysis"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"blackstart/data/store"
	"blackstart/diff"
	"blackstart/power"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:  "diff",
		Usage: "what a model change did: elements added, removed, changed, and the N-1 analysis before and after",
		Description: `Each side is model files (--old F --old G, --new F) or a stored revision
(--old-rev REV, --new-rev REV, of --model in --db). Without a new side the
database's latest revision is new; without an old side the old is the new
revision's parent, or, when the new side is files, the latest revision.

The element diff matches entities by id and compares their resolved keys.
The analysis runs the load flow and the N-1 sweep on both sides and lists
the single failures that became risky or safe (or got worse or better) and
the racks whose worst failover load moved. Exit 3 when the new side adds a
risk: a failure that is newly risky, became risky, or got worse.

Examples:
   blackstart diff --old examples/incident-2019.toml --new fixed.toml
   blackstart diff --old-rev @-1
   blackstart diff --new examples/small-dc/power.toml --new examples/small-dc/workloads.toml   # against the latest revision`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "old", Usage: "a model file of the old side (repeat for several)"},
			&cli.StringSliceFlag{Name: "new", Usage: "a model file of the new side (repeat for several)"},
			&cli.StringFlag{Name: "old-rev", Usage: "stored revision of the old side: @N, @-K, a hash prefix"},
			&cli.StringFlag{Name: "new-rev", Usage: "stored revision of the new side (default the latest)"},
			dbFlag(), modelFlag(),
			&cli.StringFlag{Name: "basis", Value: "conservative", Usage: "draw figure per device (as power load)"},
			&cli.Float64Flag{Name: "horizon", Value: power.DefaultHorizonS, Usage: "cascade horizon, seconds"},
			formatFlag("table", "json", "csv"),
		},
		OnUsageError: usageError,
		Action:       diffAction,
	}
}

// diffSide is one side of a diff: a model and what it is.
type diffSide struct {
	m     *topology.Model
	label string
	rev   *store.Revision
}

func diffAction(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if err := noArgs(c); err != nil {
		return badInput("diff takes its sides as --old/--new files or --old-rev/--new-rev, got %q", c.Args().First())
	}
	b, err := power.ParseBasis(c.String("basis"))
	if err != nil {
		return badInput("--%v", err)
	}
	horizon := c.Float64("horizon")
	if !(horizon > 0) || math.IsInf(horizon, 0) {
		return badInput("--horizon must be a finite number of seconds > 0, got %g", horizon)
	}
	oldFiles, newFiles := c.StringSlice("old"), c.StringSlice("new")
	oldRev, newRev := c.String("old-rev"), c.String("new-rev")
	if len(oldFiles) > 0 && c.IsSet("old-rev") {
		return badInput("diff: give --old files or --old-rev, not both")
	}
	if len(newFiles) > 0 && c.IsSet("new-rev") {
		return badInput("diff: give --new files or --new-rev, not both")
	}
	if len(oldFiles) > 0 && len(newFiles) > 0 && (c.IsSet("db") || c.IsSet("model")) {
		return badInput("diff: both sides are files: --db and --model do not apply")
	}

	// The database, opened once when a side is stored.
	var db *store.DB
	var model string
	ctx := context.Background()
	stored := func(ref string) (diffSide, error) {
		if db == nil {
			var err error
			if db, err = openDB(c, false); err != nil {
				return diffSide{}, err
			}
			if model, err = db.DefaultModel(ctx, c.String("model")); err != nil {
				return diffSide{}, storeError(err)
			}
		}
		m, rev, err := db.LoadModel(ctx, model, ref)
		if err != nil {
			return diffSide{}, storeError(err)
		}
		return diffSide{m: m, rev: &rev, label: analysis.RevisionLabel(rev.Model, rev.Seq, rev.SHA256)}, nil
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	files := func(paths []string) (diffSide, error) {
		m, err := topology.Load(paths...)
		return diffSide{m: m, label: strings.Join(paths, " + ")}, err
	}

	var oldSide, newSide diffSide
	if len(newFiles) > 0 {
		newSide, err = files(newFiles)
	} else {
		newSide, err = stored(newRev)
	}
	if err != nil {
		return err
	}
	switch {
	case len(oldFiles) > 0:
		oldSide, err = files(oldFiles)
	case oldRev != "":
		oldSide, err = stored(oldRev)
	case newSide.rev != nil:
		if newSide.rev.ParentSeq == 0 {
			return badInput("diff: %s is the model's first revision: name the old side (--old or --old-rev)", newSide.label)
		}
		oldSide, err = stored("@" + strconv.Itoa(newSide.rev.ParentSeq))
	default:
		oldSide, err = stored("")
	}
	if err != nil {
		return err
	}
	rep, err := analysis.Diff(oldSide.m, newSide.m, oldSide.label, newSide.label, b, horizon)
	if err != nil {
		return analysisError(err)
	}
	if err := writeOutput(c, "", func(w io.Writer) error { return writeDiff(w, format, rep) }); err != nil {
		return err
	}
	if rep.AddsRisk {
		return &exitError{code: exitRisk}
	}
	return nil
}

// tableLines bounds each list of the table: entities added, removed and
// changed, failures (worst first) and racks (largest change first).
const tableLines = 40

func writeDiff(w io.Writer, format string, rep diff.Report) error {
	switch format {
	case "json":
		return analysis.WriteJSON(w, rep)
	case "csv":
		return writeDiffCSV(w, rep)
	}
	fmt.Fprintf(w, "old: %s\nnew: %s\n", rep.Old, rep.New)
	e := rep.Elements
	fmt.Fprintf(w, "\nelements: %d added, %d removed, %d changed\n", len(e.Added), len(e.Removed), len(e.Changed))
	lines := 0
	more := func(left int) bool {
		if lines == tableLines {
			fmt.Fprintf(w, "  … %d more (--format json or csv lists all)\n", left)
		}
		lines++
		return lines > tableLines
	}
	for i, x := range e.Added {
		if more(len(e.Added) - i) {
			break
		}
		fmt.Fprintf(w, "  + %s %s\n", x.Kind, x.ID)
	}
	lines = 0
	for i, x := range e.Removed {
		if more(len(e.Removed) - i) {
			break
		}
		fmt.Fprintf(w, "  - %s %s\n", x.Kind, x.ID)
	}
	lines = 0
	for i, x := range e.Changed {
		if more(len(e.Changed) - i) {
			break
		}
		id := x.ID
		if x.Kind == "site" {
			id = "(defaults)"
		}
		fmt.Fprintf(w, "  ~ %s %s\n", x.Kind, id)
		for _, k := range x.Keys {
			fmt.Fprintf(w, "      %s: %s → %s\n", k.Key, orNone(k.Old), orNone(k.New))
		}
	}
	a := rep.Analysis
	fmt.Fprintf(w, "\nsingle failures (basis %s): %d → %d scenarios, risky %d → %d; %d add risk, %d less risky\n",
		a.Basis, a.OldSummary.Scenarios, a.NewSummary.Scenarios, a.OldSummary.RiskyScenarios, a.NewSummary.RiskyScenarios, a.RiskyAdded, a.RiskyRemoved)
	for i, s := range a.Scenarios {
		if i == tableLines {
			fmt.Fprintf(w, "  … %d more (--format json or csv lists all)\n", len(a.Scenarios)-i)
			break
		}
		fmt.Fprintf(w, "  %-13s %s: %s → %s\n", s.Change, s.Scenario, outcomeText(s.Old), outcomeText(s.New))
	}
	fmt.Fprintf(w, "\nracks whose worst failover load moved: %d\n", len(a.Racks))
	for i, r := range a.Racks {
		if i == tableLines {
			fmt.Fprintf(w, "  … %d more (--format json or csv lists all)\n", len(a.Racks)-i)
			break
		}
		fmt.Fprintf(w, "  %s: %s → %s\n", r.Rack, failoverText(r.Old), failoverText(r.New))
	}
	fmt.Fprintf(w, "\nracks whose N-1-safe headroom moved: %d\n", len(a.Headroom))
	for i, r := range a.Headroom {
		if i == tableLines {
			fmt.Fprintf(w, "  … %d more (--format json or csv lists all)\n", len(a.Headroom)-i)
			break
		}
		fmt.Fprintf(w, "  %s: %s → %s\n", r.Rack, headroomText(r.Old), headroomText(r.New))
	}
	fmt.Fprintf(w, "\n%s\n", rep.Headline)
	if rep.AddsRisk {
		fmt.Fprintln(w, "the new side adds a risk (exit 3)")
	}
	return nil
}

// headroomText says one side of a rack's N-1-safe headroom.
func headroomText(h *diff.RackHeadroom) string {
	switch {
	case h == nil:
		return "(no such rack)"
	case !h.Safe:
		return "0 W, NOT N-1-safe (over: " + h.Binding + ")"
	case h.HeadroomW == nil:
		return "unlimited"
	case h.Binding == "":
		return num2(*h.HeadroomW) + " W"
	}
	return num2(*h.HeadroomW) + " W (bound by " + h.Binding + ")"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func outcomeText(o *diff.Outcome) string {
	if o == nil {
		return "(no such failure)"
	}
	if !o.Risky {
		return "safe (" + o.Verdict + ")"
	}
	parts := []string{o.Verdict}
	if o.Tripped > 0 {
		parts = append(parts, fmt.Sprintf("%d tripped", o.Tripped))
	}
	if o.DarkDevices > 0 {
		parts = append(parts, fmt.Sprintf("%d dark %s", o.DarkDevices, plural(o.DarkDevices, "device", "devices")))
	}
	if o.DarkRacks > 0 {
		parts = append(parts, fmt.Sprintf("%d dark %s", o.DarkRacks, plural(o.DarkRacks, "rack", "racks")))
	}
	return strings.Join(parts, ", ")
}

func failoverText(f *diff.RackFailover) string {
	if f == nil {
		return "(no such rack)"
	}
	if f.RatingA > 0 {
		return fmt.Sprintf("%s A on %s (%s A, %s %%, %s)", num2(f.FailoverA), f.Feed, num2(f.RatingA), num2(f.FailoverPct), f.Verdict)
	}
	return fmt.Sprintf("%s A on %s (unrated, %s)", num2(f.FailoverA), f.Feed, f.Verdict)
}

func num2(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

func writeDiffCSV(w io.Writer, rep diff.Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"section", "change", "kind", "id", "key", "old", "new"})
	e := rep.Elements
	for _, x := range e.Added {
		cw.Write([]string{"element", "added", x.Kind, x.ID, "", "", ""})
	}
	for _, x := range e.Removed {
		cw.Write([]string{"element", "removed", x.Kind, x.ID, "", "", ""})
	}
	for _, x := range e.Changed {
		for _, k := range x.Keys {
			cw.Write([]string{"element", "changed", x.Kind, x.ID, k.Key, k.Old, k.New})
		}
	}
	for _, s := range rep.Analysis.Scenarios {
		cw.Write([]string{"scenario", s.Change, "", s.Scenario, "outcome", outcomeText(s.Old), outcomeText(s.New)})
	}
	for _, r := range rep.Analysis.Racks {
		f := func(x *diff.RackFailover) string {
			if x == nil {
				return ""
			}
			return num2(x.FailoverA)
		}
		v := func(x *diff.RackFailover) string {
			if x == nil {
				return ""
			}
			return x.Verdict
		}
		change := "moved"
		switch {
		case r.Old == nil:
			change = "added"
		case r.New == nil:
			change = "removed"
		}
		cw.Write([]string{"rack", change, "rack", r.Rack, "failover_a", f(r.Old), f(r.New)})
		cw.Write([]string{"rack", change, "rack", r.Rack, "failover_verdict", v(r.Old), v(r.New)})
	}
	for _, r := range rep.Analysis.Headroom {
		f := func(x *diff.RackHeadroom) string {
			if x == nil || x.HeadroomW == nil {
				return ""
			}
			return num2(*x.HeadroomW)
		}
		b := func(x *diff.RackHeadroom) string {
			if x == nil {
				return ""
			}
			return x.Binding
		}
		change := "moved"
		switch {
		case r.Old == nil:
			change = "added"
		case r.New == nil:
			change = "removed"
		}
		cw.Write([]string{"rack", change, "rack", r.Rack, "headroom_w", f(r.Old), f(r.New)})
		cw.Write([]string{"rack", change, "rack", r.Rack, "headroom_binding", b(r.Old), b(r.New)})
	}
	cw.Flush()
	return cw.Error()
}
