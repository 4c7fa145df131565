package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"blackstart/analysis"
	"blackstart/outfile"
	"blackstart/power"

	"github.com/urfave/cli/v2"
)

// capacityCommands are power's capacity-planning subcommands: thin
// wrappers over power.Headroom, power.Place and power.Balance.
func capacityCommands(basis cli.Flag) []*cli.Command {
	return []*cli.Command{
		{
			Name:      "headroom",
			Usage:     "N-1-safe headroom of every rack: the power (or devices of a model) that can still be added",
			ArgsUsage: "MODEL.toml [MORE.toml...]",
			Description: `For every rack, the power that can still be added such that every limited
element (breaker, bank, circuit, panel at its continuous limit; UPS and source
at their rating) stays within its limit in its failover case, the power
package's one N-1-safe budget. Per feed point (rack PDU side, bank, line): the
largest new device with a PSU there, and the element that binds. With
--device-model, how many of it fit per rack (rack units counted) and in the
whole site together. Exit 3 when some rack is not N-1-safe now.

Columns: headroom = total that fits by greedy fill over the rack's slots;
largest = the largest single new device; binds = the element limiting it,
its failover-case load / limit; fit = devices of --device-model in this rack
alone (limit: power or units).

Examples:
   blackstart power headroom examples/incident-2019.toml
   blackstart power headroom --device-model poweredge-r640 examples/small-dc/power.toml`,
			Flags: []cli.Flag{basis, formatFlag("table", "json"),
				&cli.StringFlag{Name: "device-model", Usage: "device model `ID` to count per rack"},
				&cli.BoolFlag{Name: "feeds", Usage: "table: list every feed point (side, bank, line)"}},
			OnUsageError: usageError,
			Action:       powerHeadroom,
		},
		{
			Name:      "place",
			Usage:     "choose racks, banks and lines for new devices so the site stays N-1-safe",
			ArgsUsage: "MODEL.toml [MORE.toml...]",
			Description: `Places N new devices of each --add model where every limited element stays
within its limit in its failover case, minimising the worst failover load,
then levelling the lines of three-phase elements (the objective is printed).
Writes the new [[device]] entries as TOML that loads together with the model
(--output; refused if the file exists), shows the before/after of every rack
touched, and verifies the result with the full N-1 sweep before and after.
Exit 3 when some devices do not fit or a failure ends worse after.

Examples:
   blackstart power place --add poweredge-r640=4 examples/small-dc/power.toml
   blackstart power place --add poweredge-r640=2 --rack r1-01 --output new.toml examples/small-dc/power.toml`,
			Flags: []cli.Flag{basis, formatFlag("table", "json"),
				&cli.StringSliceFlag{Name: "add", Usage: "`MODEL=N`: N new devices of device model MODEL; repeat"},
				&cli.StringSliceFlag{Name: "rack", Usage: "rack `ID` the new devices may go to; repeat (default: any)"},
				&cli.StringFlag{Name: "output", Usage: "write the new devices as TOML to `FILE` (must not exist)"},
				&cli.BoolFlag{Name: "no-verify", Usage: "skip the verification sweep"}},
			OnUsageError: usageError,
			Action:       powerPlace,
		},
		{
			Name:      "balance",
			Usage:     "the fewest moves (device to another bank or line, cord to another side) that make every rack N-1-safe and the lines balanced",
			ArgsUsage: "MODEL.toml [MORE.toml...]",
			Description: `An ordered work list of at most --max-moves moves after which every limited
element is within its limit in its failover case and every three-phase rated
element's line spread ((largest − smallest line current) / its limit, in its
failover case) is at most --imbalance percent. A move re-plugs a device's
cords into another slot of its rack (another bank or line), or one cord
into a feed point of another side. Every step is safe: a cord is moved
with the device running on its other PSUs, and no element ends a step, or
the time a cord is out, over its limit unless it already was, nor worse.
The search is exhaustive (fewest moves) within a budget of states, else
greedy (said in the output). When K moves do not suffice, what remains is
listed and the exit code is 3.

Examples:
   blackstart power balance examples/incident-2019.toml
   blackstart power balance --basis typical --max-moves 3 examples/small-dc/power.toml`,
			Flags: []cli.Flag{basis, formatFlag("table", "json"),
				&cli.IntFlag{Name: "max-moves", Value: 5, Usage: "most moves in the work list"},
				&cli.Float64Flag{Name: "imbalance", Value: power.DefaultImbalancePct, Usage: "largest line spread allowed, percent of the limit"}},
			OnUsageError: usageError,
			Action:       powerBalance,
		},
	}
}

func powerBalance(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	if err := analysis.CheckBalance(c.Int("max-moves"), c.Float64("imbalance")); err != nil {
		return analysisError(err)
	}
	_, n, _, err := network(c)
	if err != nil {
		return err
	}
	rep, err := analysis.Balance(n, c.Int("max-moves"), c.Float64("imbalance"))
	if err != nil {
		return analysisError(err)
	}
	w := bufio.NewWriter(c.App.Writer)
	if format == "json" {
		err = writeJSON(w, rep)
	} else {
		balanceTable(w, rep)
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !rep.Balanced {
		return &exitError{code: exitRisk, err: fmt.Errorf("")}
	}
	return nil
}

func stateWords(st power.BalanceState) string {
	var parts []string
	for _, b := range st.Over {
		parts = append(parts, b.String())
	}
	for _, s := range st.Imbalanced {
		parts = append(parts, fmt.Sprintf("%s line spread %.1f %% of its limit", s.Element, s.SpreadPct))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return cut(parts, 8)
}

func balanceTable(w io.Writer, rep power.BalanceReport) {
	fmt.Fprintf(w, "Rebalancing, basis %s: every limited element within its limit in its failover case, line spread at most %.0f %% of the limit; at most %d moves (%s search).\n",
		rep.Basis, rep.ImbalancePct, rep.MaxMoves, rep.Search)
	fmt.Fprintf(w, "Before: %s.\n\n", stateWords(rep.Before))
	if len(rep.Moves) == 0 {
		fmt.Fprintln(w, "No move.")
	}
	for i, mv := range rep.Moves {
		fmt.Fprintf(w, "%d. %s (%s).\n", i+1, mv, plural(mv.Steps, "one cord at a time, the device on its other PSU", "one cord at a time, the device on its other PSUs"))
		if len(mv.Fixed) > 0 {
			fmt.Fprintf(w, "   fixes: %s\n", strings.Join(mv.Fixed, "; "))
		}
		fmt.Fprintf(w, "   then the worst is %s\n", mv.WorstAfter)
	}
	fmt.Fprintln(w)
	if rep.Balanced {
		fmt.Fprintln(w, "After: every rack N-1-safe and every three-phase element balanced.")
	} else {
		fmt.Fprintf(w, "NOT enough: after %d move(s) what remains: %s.\n", len(rep.Moves), stateWords(rep.After))
	}
}

func powerHeadroom(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	_, n, _, err := network(c)
	if err != nil {
		return err
	}
	rep, err := analysis.Headroom(n, c.String("device-model"), progress(c.App.ErrWriter, "power headroom (racks)"))
	if err != nil {
		return badInput("--device-model: %s", analysis.Message(err))
	}
	w := bufio.NewWriter(c.App.Writer)
	if format == "json" {
		err = writeJSON(w, rep)
	} else {
		headroomTable(w, rep, c.Bool("feeds"))
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if rep.UnsafeRacks > 0 {
		return &exitError{code: exitRisk, err: fmt.Errorf("")}
	}
	return nil
}

func optW(v *float64) string {
	if v == nil {
		return "unlimited"
	}
	return fw(*v)
}

func bindWords(b *power.Binding) string {
	if b == nil {
		return "-"
	}
	return fmt.Sprintf("%s %s %.2f / %.2f A", b.Kind, b.Element, b.LoadA, b.LimitA)
}

func headroomTable(w io.Writer, rep power.HeadroomReport, feeds bool) {
	fmt.Fprintf(w, "N-1-safe headroom, basis %s: every limited element within its limit in its failover case.\n", rep.Basis)
	if rep.UnsafeRacks > 0 {
		fmt.Fprintf(w, "%d of %s %s NOT N-1-safe now: 0 W headroom until %s rebalanced.\n", rep.UnsafeRacks, count(len(rep.Racks), "rack", "racks"),
			plural(rep.UnsafeRacks, "is", "are"), plural(rep.UnsafeRacks, "it is", "they are"))
	}
	if rep.DeviceModel != "" {
		fmt.Fprintf(w, "Device model %s, %s each", rep.DeviceModel, fw(rep.DeviceW))
		if rep.FitTotal != nil {
			fmt.Fprintf(w, ": %d fit in the site together", *rep.FitTotal)
		} else if rep.FitUnlimited {
			fmt.Fprint(w, ": no bound in the site (a rack without u has a feed point with nothing rated above it)")
		}
		fmt.Fprintln(w, ".")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "RACK\tSAFE\tHEADROOM\tLARGEST\tBINDS\tU"
	if rep.DeviceModel != "" {
		head += "\tFIT"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rep.Racks {
		safe := "yes"
		if !r.Safe {
			safe = "NO"
		}
		u := "-"
		if r.U > 0 {
			u = fmt.Sprintf("%d/%d free", r.U-r.UsedU, r.U)
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", r.Rack, safe, optW(r.HeadroomW), optW(r.LargestDeviceW), bindWords(r.Binding), u)
		if r.Fit != nil {
			line += fmt.Sprintf("\t%d (%s)", *r.Fit, r.FitLimit)
		} else if r.FitLimit != "" {
			line += "\t" + r.FitLimit
		}
		fmt.Fprintln(tw, line)
		if feeds {
			for _, f := range r.Feeds {
				fmt.Fprintf(tw, "  %s\t%s\t\t%s\t%s\t\n", f.Feed, strings.TrimSpace(f.Line), optW(f.HeadroomW), bindWords(f.Binding))
			}
		}
	}
	tw.Flush()
}

// parseAdds parses --add MODEL=N values.
func parseAdds(vals []string) ([]power.PlaceRequest, error) {
	var out []power.PlaceRequest
	for _, v := range vals {
		id, num, ok := strings.Cut(v, "=")
		k, err := strconv.Atoi(num)
		if !ok || id == "" || err != nil || k < 1 {
			return nil, badInput("--add %q: want MODEL=N with N >= 1", v)
		}
		out = append(out, power.PlaceRequest{Model: id, Count: k})
	}
	if len(out) == 0 {
		return nil, badInput("give at least one --add MODEL=N")
	}
	return out, nil
}

func powerPlace(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	adds, err := parseAdds(c.StringSlice("add"))
	if err != nil {
		return err
	}
	out := c.String("output")
	if out != "" {
		// outfile's checks (no device, FIFO, symlink or directory, not an
		// input, its folder exists), and a file that exists is never
		// replaced, not even an earlier placement.
		if err := outfile.Check(out, inputsOf(c)...); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		if _, err := os.Lstat(out); err == nil {
			return badInput("--output %s: the file exists; blackstart does not overwrite it", out)
		}
	}
	_, n, _, err := network(c)
	if err != nil {
		return err
	}
	p, err := analysis.Place(n, adds, c.StringSlice("rack"), !c.Bool("no-verify"), progress(c.App.ErrWriter, "power place (devices, then scenarios)"))
	if err != nil {
		return badInput("%s", analysis.Message(err))
	}
	if out != "" {
		if err := writeNew(out, p.TOML()); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(c.App.Writer)
	if format == "json" {
		err = writeJSON(w, p)
	} else {
		placeTable(w, p, out)
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(p.Unplaced) > 0 || p.Verify != nil && !p.Verify.OK {
		return &exitError{code: exitRisk, err: fmt.Errorf("")}
	}
	return nil
}

// writeNew writes data to path, which must not exist: through a temporary
// file in the same directory, linked to path only once complete.
func writeNew(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return badInput("cannot write %s: %v", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	if errors.Is(err, os.ErrExist) {
		return badInput("--output %s: the file exists; blackstart does not overwrite it", path)
	}
	if err != nil {
		return badInput("cannot write %s: %v", path, err)
	}
	return nil
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " %" }

func placeTable(w io.Writer, p power.Placement, out string) {
	fmt.Fprintf(w, "Placed %d new device(s), basis %s.\n", len(p.Placed), p.Basis)
	for _, u := range p.Unplaced {
		fmt.Fprintf(w, "NOT placed: %d × %s: %s\n", u.Count, u.Model, u.Reason)
	}
	fmt.Fprintf(w, "Objective: %s.\n", p.Objective)
	fmt.Fprintf(w, "Worst failover load: before %s, after %s.\n", p.WorstBefore, p.WorstAfter)
	if v := p.Verify; v != nil {
		if v.OK {
			fmt.Fprintf(w, "Verified: the full N-1 sweep (%d failures) ends no worse than before (worst outcome %s, was %s).\n", v.Scenarios, v.OutcomeAfter, v.OutcomeBefore)
		} else {
			fmt.Fprintf(w, "VERIFICATION FAILED: %d failure(s) end worse than before: %s\n", len(v.Worse), cut(v.Worse, 5))
		}
	}
	if out != "" {
		fmt.Fprintf(w, "New devices written to %s (load it together with the model).\n", out)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tRACK\tFEEDS\tDRAW")
	for _, d := range p.Placed {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Device, d.Rack, strings.Join(d.Feeds, ", "), fw(d.DrawW))
	}
	tw.Flush()
	for _, r := range p.Racks {
		fmt.Fprintf(w, "\nRack %s (+%d): failover-case load before → after\n", r.Rack, len(r.Added))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ELEMENT\tKIND\tBEFORE\tAFTER\tLIMIT\tIMBALANCE")
		for _, e := range r.Elements {
			imb := "-"
			if e.ImbalanceBeforePct != nil && e.ImbalanceAfterPct != nil {
				imb = pct(*e.ImbalanceBeforePct) + " → " + pct(*e.ImbalanceAfterPct)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s (%s)\t%s (%s)\t%s\t%s\n", e.Element, e.Kind, fa(e.BeforeA), pct(e.BeforePct), fa(e.AfterA), pct(e.AfterPct), fa(e.LimitA), imb)
		}
		tw.Flush()
	}
}

// cut joins up to k items and says how many more there are.
func cut(items []string, k int) string {
	if len(items) <= k {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:k], "; ") + fmt.Sprintf("; … (%d more)", len(items)-k)
}
