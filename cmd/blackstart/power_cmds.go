package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"blackstart/analysis"
	"blackstart/power"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

func powerCommand() *cli.Command {
	basis := &cli.StringFlag{Name: "basis", Value: "conservative",
		Usage: "draw figure per device: nameplate, allocated, typical, peak, measured, or conservative (the highest the model gives)"}
	return &cli.Command{
		Name:         "power",
		Action:       group,
		OnUsageError: usageError,
		Usage:        "load flow, N-1 failover sweep and cascade simulation",
		Subcommands: []*cli.Command{
			{
				Name:      "load",
				Usage:     "load on every element and line in normal operation, and each rack's failover load",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `For every element: power (W, VA), current (A; three-phase line currents as
phasor sums, with the imbalance), rating, utilization against the rating and
the continuous limit, and the verdict. Per rack: each side's share and the
load it carries when the rack's other feeds are lost.

Examples:
   blackstart power load examples/incident-2019.toml
   blackstart power load --basis typical --format json examples/small-dc/power.toml
   blackstart power load --racks --format csv examples/small-dc/power.toml`,
				Flags: []cli.Flag{basis, formatFlag("table", "json", "csv"),
					&cli.BoolFlag{Name: "racks", Usage: "csv: print the rack sides instead of the elements"}},
				OnUsageError: usageError,
				Action:       powerLoad,
			},
			{
				Name:      "failover",
				Usage:     "simulate every single failure and its cascade (exit 3 when any ends in a trip or dark load)",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `Every element (source, UPS, panel, breaker, circuit, transfer switch, rack
PDU, bank) and every PSU (a PSU fault opens the breaker that feeds it) fails
in turn; the load moves to what survives and breakers trip by their bands
until nothing more trips or the horizon ends. Ranked worst first.
With --fail, one scenario (N-k) and its timeline.

Examples:
   blackstart power failover examples/incident-2019.toml
   blackstart power failover --fail breaker-a examples/incident-2019.toml
   blackstart power failover --format json examples/small-dc/power.toml`,
				Flags: []cli.Flag{basis, formatFlag("table", "json", "csv"),
					&cli.StringSliceFlag{Name: "fail", Usage: "element `ID` (or DEVICE/psuN) to fail; repeat for N-k"},
					&cli.Float64Flag{Name: "horizon", Value: power.DefaultHorizonS, Usage: "cascade horizon, seconds"},
					&cli.IntFlag{Name: "top", Value: 20, Usage: "table: scenarios to detail (0: all)"},
					&cli.BoolFlag{Name: "all", Usage: "json/csv: list every scenario, not only the risky ones"},
				},
				OnUsageError: usageError,
				Action:       powerFailover,
			},
		},
	}
}

func network(c *cli.Context) (*topology.Model, *power.Network, error) {
	b, err := power.ParseBasis(c.String("basis"))
	if err != nil {
		return nil, nil, badInput("--%v", err)
	}
	m, err := loadModel(c)
	if err != nil {
		return nil, nil, err
	}
	n, err := analysis.Network(m, b)
	return m, n, analysisError(err)
}

// analysisError turns the analysis package's input errors into exit code 2.
func analysisError(err error) error {
	if errors.Is(err, analysis.ErrInvalid) {
		return &exitError{code: exitBadInput, err: errors.New(analysis.Message(err))}
	}
	return err
}

func powerLoad(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	_, n, err := network(c)
	if err != nil {
		return err
	}
	rep := n.Load()
	w := bufio.NewWriter(c.App.Writer)
	switch format {
	case "json":
		err = writeJSON(w, rep)
	case "csv":
		if c.Bool("racks") {
			err = loadRacksCSV(w, rep)
		} else {
			err = loadElementsCSV(w, rep)
		}
	default:
		loadTable(w, rep)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// writeJSON writes v as every --format json does (analysis.WriteJSON).
func writeJSON(w io.Writer, v any) error { return analysis.WriteJSON(w, v) }

// amps, watts and durations as people read them.
func fa(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + " A" }

func fw(v float64) string {
	if math.Abs(v) >= 10000 {
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + " kW"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " W"
}

// secs converts plain seconds for dur.
func secs(v float64) power.Seconds { return power.Seconds(v) }

func dur(s power.Seconds) string {
	v := float64(s)
	switch {
	case math.IsInf(v, 1):
		return "never"
	case v < 1:
		return strconv.FormatFloat(v, 'f', 3, 64) + " s"
	case v < 120:
		return strconv.FormatFloat(v, 'f', 1, 64) + " s"
	case v < 7200:
		return strconv.FormatFloat(v/60, 'f', 1, 64) + " min"
	}
	return strconv.FormatFloat(v/3600, 'f', 1, 64) + " h"
}

// window says when a band trips, in words.
func window(min, max power.Seconds) string {
	switch {
	case math.IsInf(float64(min), 1):
		return "holds"
	case math.IsInf(float64(max), 1):
		return "may trip after " + dur(min)
	}
	return "trips in " + dur(min) + " – " + dur(max)
}

func basisLine(rep power.LoadReport) string {
	var parts []string
	for _, b := range []string{"nameplate", "allocated", "typical", "peak", "measured", "conservative"} {
		if n := rep.BasisCounts[b]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s for %d", b, n))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("basis: %s (no devices)", rep.Basis)
	}
	return fmt.Sprintf("basis: %s (draw figure used: %s devices)", rep.Basis, strings.Join(parts, ", "))
}

func loadTable(w io.Writer, rep power.LoadReport) {
	fmt.Fprintln(w, basisLine(rep))
	fmt.Fprintf(w, "worst verdict in normal operation: %s\n\n", rep.Worst)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ELEMENT\tKIND\tSUPPLY\tPOWER\tAPPARENT\tCURRENT\tLINES L1/L2/L3\tIMBALANCE\tRATING\tOF RATING\tOF LIMIT\tVERDICT")
	for _, e := range rep.Elements {
		supply := fmt.Sprintf("%.0f V %d-ph", e.VoltageV, e.Phases)
		if e.Line != "" {
			supply += " " + e.Line
		}
		lines, imb := "-", "-"
		if len(e.LineCurrentsA) == 3 {
			lines = fmt.Sprintf("%.2f/%.2f/%.2f A", e.LineCurrentsA[0], e.LineCurrentsA[1], e.LineCurrentsA[2])
			imb = fmt.Sprintf("%.1f %%", e.ImbalancePct)
		}
		rating, util, lim := "-", "-", "-"
		switch {
		case e.RatingA > 0:
			rating = fa(e.RatingA)
		case e.CapacityW > 0 && e.CapacityVA > 0:
			rating = fmt.Sprintf("%.0f kVA/%.0f kW", e.CapacityVA/1000, e.CapacityW/1000)
		case e.CapacityVA > 0:
			rating = fmt.Sprintf("%.0f kVA", e.CapacityVA/1000)
		case e.CapacityW > 0:
			rating = fmt.Sprintf("%.0f kW", e.CapacityW/1000)
		}
		if e.RatingA > 0 || e.CapacityW > 0 || e.CapacityVA > 0 {
			util, lim = fmt.Sprintf("%.1f %%", e.UtilizationPct), fmt.Sprintf("%.1f %%", e.ContinuousPct)
		}
		v := e.Verdict.String()
		if e.Verdict >= power.MayTrip {
			v += " (" + window(e.TripMinS, e.TripMaxS) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f VA\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Kind, supply, fw(e.PowerW), e.ApparentVA, fa(e.CurrentA), lines, imb, rating, util, lim, v)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RACK\tFEED\tBREAKER\tRATING\tNORMAL\tSHARE\tFAILOVER (others lost)\tWORST ELEMENT ON FAILOVER\tVERDICT\tTRIP WINDOW\tSHED")
	for _, r := range rep.Racks {
		for _, s := range r.Sides {
			br := s.Breaker
			if br == "" {
				br = "-"
			}
			shed := "-"
			if s.ShedW > 0 {
				shed = fw(s.ShedW)
			}
			win := "-"
			if s.FailoverVerdict >= power.MayTrip {
				win = window(s.TripMinS, s.TripMaxS)
			}
			worst := s.WorstElement
			if s.WorstRatingA > 0 {
				worst += fmt.Sprintf(" %s / %s", fa(s.WorstCurrentA), fa(s.WorstRatingA))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%.1f %%)\t%.1f %%\t%s (%.1f %%)\t%s\t%s\t%s\t%s\n", r.ID, s.Feed, br, fa(s.RatingA),
				fa(s.NormalA), s.NormalPct, s.SharePct, fa(s.FailoverA), s.FailoverPct, worst, s.FailoverVerdict, win, shed)
		}
	}
	tw.Flush()
}

func csvFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func csvSeconds(s power.Seconds) string {
	if math.IsInf(float64(s), 1) {
		return ""
	}
	return strconv.FormatFloat(float64(s), 'f', 3, 64)
}

func loadElementsCSV(w io.Writer, rep power.LoadReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "kind", "voltage_v", "phases", "line", "power_w", "apparent_va", "current_a", "l1_a", "l2_a", "l3_a",
		"imbalance_pct", "rating_a", "continuous_limit_a", "utilization_pct", "continuous_pct", "verdict", "trip_min_s", "trip_max_s", "shed_w"})
	for _, e := range rep.Elements {
		l := []string{"", "", ""}
		if len(e.LineCurrentsA) == 3 {
			l = []string{csvFloat(e.LineCurrentsA[0]), csvFloat(e.LineCurrentsA[1]), csvFloat(e.LineCurrentsA[2])}
		}
		cw.Write([]string{e.ID, e.Kind, csvFloat(e.VoltageV), strconv.Itoa(e.Phases), e.Line, csvFloat(e.PowerW), csvFloat(e.ApparentVA),
			csvFloat(e.CurrentA), l[0], l[1], l[2], csvFloat(e.ImbalancePct), csvFloat(e.RatingA), csvFloat(e.ContinuousLimitA),
			csvFloat(e.UtilizationPct), csvFloat(e.ContinuousPct), e.Verdict.String(), csvSeconds(e.TripMinS), csvSeconds(e.TripMaxS), csvFloat(e.ShedW)})
	}
	cw.Flush()
	return cw.Error()
}

func loadRacksCSV(w io.Writer, rep power.LoadReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"rack", "feed", "breaker", "rating_a", "normal_a", "normal_w", "share_pct", "failover_a", "failover_w", "failover_pct",
		"worst_element", "worst_current_a", "worst_rating_a", "failover_verdict", "trip_min_s", "trip_max_s", "shed_w"})
	for _, r := range rep.Racks {
		for _, s := range r.Sides {
			cw.Write([]string{r.ID, s.Feed, s.Breaker, csvFloat(s.RatingA), csvFloat(s.NormalA), csvFloat(s.NormalW), csvFloat(s.SharePct),
				csvFloat(s.FailoverA), csvFloat(s.FailoverW), csvFloat(s.FailoverPct), s.WorstElement, csvFloat(s.WorstCurrentA),
				csvFloat(s.WorstRatingA), s.FailoverVerdict.String(),
				csvSeconds(s.TripMinS), csvSeconds(s.TripMaxS), csvFloat(s.ShedW)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// progress prints sweep progress on stderr when it is a terminal and the
// sweep has run for more than a second.
func progress(stderr io.Writer) func(done, total int) {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	start := time.Now()
	shown := false
	return func(done, total int) {
		if time.Since(start) < time.Second && !shown {
			return
		}
		shown = true
		fmt.Fprintf(f, "\rsweep: %3d %% (%d of %d scenarios)", done*100/total, done, total)
		if done == total {
			fmt.Fprintln(f)
		}
	}
}

func powerFailover(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	horizon := c.Float64("horizon")
	if err := analysis.CheckHorizon(horizon); err != nil {
		return analysisError(err)
	}
	m, n, err := network(c)
	if err != nil {
		return err
	}
	res, err := analysis.Failover(m, n, analysis.FailoverOptions{HorizonS: horizon, Fail: c.StringSlice("fail"), All: c.Bool("all"),
		Progress: progress(c.App.ErrWriter)})
	if err != nil {
		return analysisError(err)
	}
	w := bufio.NewWriter(c.App.Writer)
	switch {
	case format == "json":
		err = res.WriteJSON(w)
	case res.Scenario != nil && format == "csv":
		err = eventsCSV(w, *res.Scenario)
	case res.Scenario != nil:
		scenarioTable(w, *res.Scenario)
	case format == "csv":
		err = sweepCSV(w, riskyOnly(*res.Sweep, c.Bool("all")))
	default:
		sweepTable(w, *res.Sweep, c.Int("top"))
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if res.Risky() {
		return &exitError{code: exitRisk, err: fmt.Errorf("")}
	}
	return nil
}

// riskyOnly keeps the risky scenarios of a sweep (ranked first) unless all.
func riskyOnly(rep power.SweepReport, all bool) power.SweepReport {
	if !all {
		k := 0
		for k < len(rep.Scenarios) && rep.Scenarios[k].Risky {
			k++
		}
		rep.Scenarios = rep.Scenarios[:k]
	}
	return rep
}

func scenarioTable(w io.Writer, sc power.Scenario) {
	fmt.Fprintf(w, "scenario: failure of %s — verdict %s", strings.Join(sc.Failed, " + "), sc.Verdict)
	if sc.Tripped > 0 {
		fmt.Fprintf(w, ", %d %s", sc.Tripped, plural(sc.Tripped, "trip", "trips"))
	}
	if d := len(sc.Dark.Devices); d > 0 {
		fmt.Fprintf(w, ", %d %s dark", d, plural(d, "device", "devices"))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "T\tELEMENT\tEVENT\tLOAD BEFORE → AFTER\tNOTE")
	for _, e := range sc.Events {
		note := e.Detail
		if e.Event == "overload" {
			note = e.Verdict + ", " + window(e.TripMinS, e.TripMaxS) + " from t = 0"
		}
		if e.Event == "trip" && !math.IsInf(float64(e.TripMaxS), 1) {
			note = "latest " + dur(e.TripMaxS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\t%s\n", dur(e.TS), e.Element, e.Event, fa(e.BeforeA), fa(e.AfterA), note)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, o := range sc.Overloads {
		fmt.Fprintln(w, "  "+overloadLine(o))
	}
	racks := plural(len(sc.Dark.Racks), "rack", "racks")
	if l := listOrNone(sc.Dark.Racks); l != "" {
		racks += " " + l
	}
	fmt.Fprintf(w, "dark: %d elements, %d %s, %d devices, %d workload instances\n",
		len(sc.Dark.Elements), len(sc.Dark.Racks), racks, len(sc.Dark.Devices), len(sc.Dark.Instances))
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > 8 {
		return "(" + strings.Join(s[:8], ", ") + ", …)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func overloadLine(o power.Overload) string {
	s := fmt.Sprintf("%s %s carries %s against %s (%.2f × rating): %s", o.Kind, o.Element, fa(o.CurrentA), fa(o.RatingA), o.Ratio, o.Verdict)
	if o.Verdict >= power.MayTrip {
		s += ", " + window(o.TripMinS, o.TripMaxS)
	}
	if o.ShedW > 0 {
		s += "; shed " + fw(o.ShedW) + " to be within the continuous limit"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sweepTable(w io.Writer, rep power.SweepReport, top int) {
	s := rep.Summary
	fmt.Fprintln(w, s.Headline)
	fmt.Fprintf(w, "%d risky of %d scenarios; basis %s; cascade horizon %s\n", s.RiskyScenarios, s.Scenarios, s.Basis, dur(power.Seconds(s.HorizonS)))
	if s.DarkRacks > 0 {
		ids := s.DarkRackIDs
		more := ""
		if len(ids) > 20 {
			ids, more = ids[:20], fmt.Sprintf(", … (%d more; --format json lists them)", len(s.DarkRackIDs)-20)
		}
		fmt.Fprintf(w, "racks that can go dark: %s%s\n", strings.Join(ids, ", "), more)
	}
	// PSU faults end like the element they open: table view shows each
	// group once, after that element's own scenario.
	psus := map[string][]string{}
	for _, sc := range rep.Scenarios {
		if sc.Kind == "psu" && (sc.Risky || sc.Verdict > power.OK) {
			psus[sc.Opens] = append(psus[sc.Opens], sc.Failed[0])
		}
	}
	shown, rest := 0, 0
	for _, sc := range rep.Scenarios {
		if !sc.Risky && sc.Verdict == power.OK {
			break
		}
		if sc.Kind == "psu" {
			continue
		}
		if top > 0 && shown == top {
			rest++
			continue
		}
		shown++
		fmt.Fprintf(w, "\n#%d failure of %s (%s): verdict %s", shown, strings.Join(sc.Failed, " + "), sc.Kind, sc.Verdict)
		if sc.Tripped > 0 {
			var trips []string
			for _, e := range sc.Events {
				if e.Event == "trip" {
					trips = append(trips, fmt.Sprintf("%s at %s", e.Element, dur(e.TS)))
				}
			}
			fmt.Fprintf(w, "; cascade trips %s", strings.Join(trips, ", "))
		}
		fmt.Fprintln(w)
		for _, o := range sc.Overloads {
			fmt.Fprintln(w, "    "+overloadLine(o))
		}
		if len(sc.Dark.Devices) > 0 {
			fmt.Fprintf(w, "    dark: %d %s %s", len(sc.Dark.Devices), plural(len(sc.Dark.Devices), "device", "devices"), listOrNone(sc.Dark.Devices))
			if len(sc.Dark.Racks) > 0 {
				fmt.Fprintf(w, "; racks %s", strings.Join(sc.Dark.Racks, ", "))
			}
			if len(sc.Dark.Instances) > 0 {
				fmt.Fprintf(w, "; %d workload instances", len(sc.Dark.Instances))
			}
			fmt.Fprintln(w)
		}
		if p := psus[sc.Failed[0]]; len(p) > 0 && len(sc.Failed) == 1 {
			fmt.Fprintf(w, "    the same follows a fault of any of %d %s below it %s\n", len(p), plural(len(p), "PSU", "PSUs"), listOrNone(p))
		}
	}
	if rest > 0 {
		fmt.Fprintf(w, "\n… %d more element failures with risks (--top 0 shows all, --format json lists them)\n", rest)
	}
	if shown == 0 {
		fmt.Fprintln(w, "\nno single failure overloads anything or leaves a device dark")
	}
}

func sweepCSV(w io.Writer, rep power.SweepReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"failed", "kind", "verdict", "tripped", "dark_devices", "dark_racks", "worst_element", "current_a", "rating_a", "ratio",
		"worst_verdict", "trip_min_s", "trip_max_s", "shed_w"})
	for _, sc := range rep.Scenarios {
		row := []string{strings.Join(sc.Failed, "+"), sc.Kind, sc.Verdict.String(), strconv.Itoa(sc.Tripped), strconv.Itoa(len(sc.Dark.Devices)),
			strings.Join(sc.Dark.Racks, "+")}
		if len(sc.Overloads) > 0 {
			o := sc.Overloads[0]
			row = append(row, o.Element, csvFloat(o.CurrentA), csvFloat(o.RatingA), csvFloat(o.Ratio), o.Verdict.String(),
				csvSeconds(o.TripMinS), csvSeconds(o.TripMaxS), csvFloat(o.ShedW))
		} else {
			row = append(row, "", "", "", "", "", "", "", "")
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func eventsCSV(w io.Writer, sc power.Scenario) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"t_s", "element", "event", "current_a", "before_a", "after_a", "verdict", "detail", "trip_min_s", "trip_max_s"})
	for _, e := range sc.Events {
		tmin, tmax := "", ""
		if e.Event == "overload" || e.Event == "trip" {
			tmin, tmax = csvSeconds(e.TripMinS), csvSeconds(e.TripMaxS)
		}
		cw.Write([]string{csvSeconds(e.TS), e.Element, e.Event, csvFloat(e.CurrentA), csvFloat(e.BeforeA), csvFloat(e.AfterA), e.Verdict, e.Detail,
			tmin, tmax})
	}
	cw.Flush()
	return cw.Error()
}
