package main

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"blackstart/analysis"
	"blackstart/data/store"
	"blackstart/power"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

func powerCommand() *cli.Command {
	basis := &cli.StringFlag{Name: "basis", Value: "conservative",
		Usage: "draw figure per device: nameplate, allocated, typical, peak, measured, or conservative (the highest the model gives); measured with --db: each device's p95 over --window from its readings"}
	return &cli.Command{
		Name:         "power",
		Action:       group,
		OnUsageError: usageError,
		Usage:        "load flow, N-1 failover sweep and cascade simulation",
		UsageText:    "blackstart power load|failover|gap|headroom|place|balance [options] MODEL.toml [MORE.toml...]",
		Description: `Examples:
   blackstart power load examples/incident-2019.toml
   blackstart power failover examples/small-dc/power.toml
   blackstart power headroom examples/small-dc/power.toml
   blackstart power place --add poweredge-r640=4 examples/small-dc/power.toml
   blackstart power balance examples/incident-2019.toml
   blackstart power gap --db site.db --window 30d`,
		Subcommands: append([]*cli.Command{
			{
				Name:      "load",
				Usage:     "load on every element and line in normal operation, and each rack's failover load (exit 3 when normal operation already overloads something)",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `The rack sides first (each side's load now and when the rack's other feeds
are lost, worst first), then the elements, worst verdict first. Exit 3 when
an element shown is already above its continuous limit in normal operation.

Rack sides table:
   RACK, FEED        the rack and one of its feeds (a branch circuit)
   BREAKER, RATING A the feed's protective device and its rating In (- when none)
   NORMAL A, NORMAL %
                     current through it in normal operation, and % of In
   SHARE %           this side's share of the rack's power
   FAILOVER A, FAILOVER %
                     current through it when the rack's other feeds are lost, % of In
   LIMITED BY        on failover, the element of the side's path (source, UPS, panel,
                     breaker, circuit, rack PDU, bank) with the worst verdict, nearest
                     its rating: what limits the side
   LIMIT LOAD %      that element's load over its rating (a UPS or source: power over capacity)
   VERDICT           its verdict: ok, over-continuous, over-rating, may-trip, trip
   TRIP WINDOW       when it may or must trip at that load
   SHED kW           power to remove for it to be back within its continuous limit
                     (a UPS or source: its rating)

Elements table:
   ELEMENT, KIND     id and kind
   SUPPLY            voltage (line to line on three-phase), phases, and the line(s)
                     it hangs on (L1, L1-L2, …)
   POWER kW          real power through it
   APPARENT kVA      apparent power
   CURRENT A         largest line current
   L1/L2/L3 A        three-phase: each line's current (phasor sums)
   NEUTRAL A         three-phase wye: neutral current (phasor sum of the lines;
                     fundamental only, harmonics excluded); - on delta or single-phase
   IMBALANCE %       largest deviation of a line current from their mean, % of the mean
   RATING A          In (- when unrated)
   CAPACITY kVA/kW   a UPS or source: its rated apparent and real power
   OF RATING %       load over rating (current over In; a UPS: power over capacity;
                     a 4-pole breaker: the worse of its lines and its neutral)
   OF LIMIT %        load over the continuous limit (80 % of In unless set; a UPS: its rating)
   VERDICT           as above, with the trip window when it may or must trip

Examples:
   blackstart power load examples/incident-2019.toml
   blackstart power load --rack r1-02 --rack r2-01 examples/small-dc/power.toml
   blackstart power load --worst 10 examples/platform-2019.toml
   blackstart power load --basis typical --format json examples/small-dc/power.toml
   blackstart power load --sides --format csv examples/small-dc/power.toml`,
				Flags: []cli.Flag{basis, windowFlag(), formatFlag("table", "json", "csv"),
					&cli.StringSliceFlag{Name: "rack", Usage: "only this rack `ID`'s sides and the elements that feed it (repeatable)"},
					&cli.IntFlag{Name: "worst", Usage: "only the `N` worst elements and N worst racks (0: all)"},
					&cli.BoolFlag{Name: "sides", Usage: "csv: print the rack sides instead of the elements"}},
				OnUsageError: usageError,
				Action:       powerLoad,
			},
			{
				Name:      "failover",
				Usage:     "simulate every single failure and its cascade (exit 3 when any ends in a trip or dark load, else 4 when a rack cannot be judged)",
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
				Flags: []cli.Flag{basis, windowFlag(), formatFlag("table", "json", "csv"),
					&cli.StringSliceFlag{Name: "fail", Usage: "element `ID` (or DEVICE/psuN) to fail; repeat for N-k"},
					&cli.Float64Flag{Name: "horizon", Value: power.DefaultHorizonS, Usage: "cascade horizon, seconds"},
					&cli.IntFlag{Name: "top", Value: 20, Usage: "table: scenarios to detail (0: all)"},
					&cli.BoolFlag{Name: "all", Usage: "json/csv: list every scenario, not only the risky ones"},
				},
				OnUsageError: usageError,
				Action:       powerFailover,
			},
			gapCommand(),
		}, capacityCommands(basis)...),
	}
}

func network(c *cli.Context) (*topology.Model, *power.Network, *store.Window, error) {
	return networkThen(c, nil)
}

// networkThen loads the model, calls then with it (to start work that
// needs only the model), and prepares its network on --basis. With
// --basis measured and a database (--db), each device draws its p95 over
// --window from the database's readings, and metered is the window
// summarized (nil otherwise).
func networkThen(c *cli.Context, then func(*topology.Model)) (m *topology.Model, n *power.Network, metered *store.Window, err error) {
	b, err := power.ParseBasis(c.String("basis"))
	if err != nil {
		return nil, nil, nil, badInput("--%v", err)
	}
	m, err = loadModel(c)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(m.Elements) == 0 {
		return nil, nil, nil, badInput("%s: the model has no power elements (sources, breakers, circuits…) to analyse", strings.Join(m.Files, " + "))
	}
	if then != nil {
		then(m)
	}
	if b == power.BasisMeasured && (fromStore(c) || c.Args().Len() == 0 && os.Getenv("BLACKSTART_DB") != "") {
		n, w, err := meteredNetwork(c, m)
		if err != nil {
			return nil, nil, nil, err
		}
		return m, n, &w, nil
	}
	return m, power.NewNetwork(m, b), nil, nil
}

func powerLoad(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if c.Int("worst") < 0 {
		return badInput("--worst must be >= 0, got %d", c.Int("worst"))
	}
	_, n, metered, err := network(c)
	if err != nil {
		return err
	}
	res, err := analysis.Load(n, power.LoadOptions{Racks: c.StringSlice("rack"), Worst: c.Int("worst")}, readingsWindow(metered))
	if err != nil {
		return analysisError(err)
	}
	rep := res.Report
	w := bufio.NewWriter(c.App.Writer)
	switch {
	case format == "json":
		err = res.WriteJSON(w)
	case format == "csv":
		if c.Bool("sides") {
			err = loadRacksCSV(w, rep)
		} else {
			err = loadElementsCSV(w, rep)
		}
	default:
		if res.Readings != nil {
			fmt.Fprintln(w, drawSourcesLine(res.Draws, *res.Readings))
		}
		loadTable(w, rep)
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if rep.Worst > power.OK {
		return &exitError{code: exitRisk, err: fmt.Errorf("")}
	}
	return nil
}

// readingsWindow is the store's window of readings as the analysis takes
// it (nil when the network is not metered).
func readingsWindow(w *store.Window) *analysis.ReadingsWindow {
	if w == nil {
		return nil
	}
	return &analysis.ReadingsWindow{StartMS: w.StartMS, EndMS: w.EndMS}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

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

func dur(s power.Seconds) string { return power.Duration(s) }

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
	for _, b := range []string{"measured-p95", "nameplate", "allocated", "typical", "peak", "measured", "conservative"} {
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
	over := 0
	for _, e := range rep.Elements {
		if e.Verdict > power.OK {
			over++
		}
	}
	fmt.Fprintf(w, "worst verdict in normal operation: %s", rep.Worst)
	if over > 0 {
		fmt.Fprintf(w, " (%d %s above the continuous limit already)", over, plural(over, "element", "elements"))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\nrack sides, worst first: each side now and when the rack's other feeds are lost")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RACK\tFEED\tBREAKER\tRATING A\tNORMAL A\tNORMAL %\tSHARE %\tFAILOVER A\tFAILOVER %\tLIMITED BY\tLIMIT LOAD %\tVERDICT\tTRIP WINDOW\tSHED kW")
	for _, r := range rep.Racks {
		for _, s := range r.Sides {
			br, rating, normalPct, failPct := "-", "-", "-", "-"
			if s.Breaker != "" {
				br, rating = s.Breaker, fix2(s.RatingA)
				normalPct, failPct = fix1(s.NormalPct), fix1(s.FailoverPct)
			}
			shed := "-"
			if s.ShedW > 0 {
				shed = fix2(s.ShedW / 1000)
			}
			win := "-"
			if s.FailoverVerdict >= power.MayTrip {
				win = window(s.TripMinS, s.TripMaxS)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\n", r.ID, s.Feed, br, rating,
				fix2(s.NormalA), normalPct, fix1(s.SharePct), fix2(s.FailoverA), failPct, s.WorstKind, s.WorstElement, fix1(s.WorstPct), s.FailoverVerdict, win, shed)
		}
	}
	tw.Flush()
	cannotJudgeTable(w, rep.Racks)
	fmt.Fprintln(w, "\nelements, worst verdict first")
	els := slices.Clone(rep.Elements)
	slices.SortStableFunc(els, func(a, b power.ElementLoad) int {
		if a.Verdict != b.Verdict {
			return cmp.Compare(b.Verdict, a.Verdict)
		}
		return cmp.Compare(b.UtilizationPct, a.UtilizationPct)
	})
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ELEMENT\tKIND\tSUPPLY\tPOWER kW\tAPPARENT kVA\tCURRENT A\tL1/L2/L3 A\tNEUTRAL A\tIMBALANCE %\tRATING A\tCAPACITY kVA/kW\tOF RATING %\tOF LIMIT %\tVERDICT")
	for _, e := range els {
		supply := fmt.Sprintf("%.0f V %d-ph", e.VoltageV, e.Phases)
		if e.Line != "" {
			supply += " " + e.Line
		}
		lines, neutral, imb := "-", "-", "-"
		if len(e.LineCurrentsA) == 3 {
			lines = fmt.Sprintf("%.2f/%.2f/%.2f", e.LineCurrentsA[0], e.LineCurrentsA[1], e.LineCurrentsA[2])
			imb = fix1(e.ImbalancePct)
		}
		if e.NeutralA.Wye {
			neutral = fix2(e.NeutralA.A)
			if e.NeutralVerdict != "" && e.NeutralVerdict != "ok" {
				neutral += " (" + e.NeutralVerdict + ")"
			}
		}
		rating, capacity, util, lim := "-", "-", "-", "-"
		if e.RatingA > 0 {
			rating = fix2(e.RatingA)
		}
		if e.CapacityW > 0 || e.CapacityVA > 0 {
			capacity = dashZero(e.CapacityVA/1000) + "/" + dashZero(e.CapacityW/1000)
		}
		if e.RatingA > 0 || e.CapacityW > 0 || e.CapacityVA > 0 {
			util, lim = fix1(e.UtilizationPct), fix1(e.ContinuousPct)
		}
		v := e.Verdict.String()
		if e.Verdict >= power.MayTrip {
			v += " (" + window(e.TripMinS, e.TripMaxS) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Kind, supply, fix2(e.PowerW/1000), fix2(e.ApparentVA/1000),
			fix2(e.CurrentA), lines, neutral, imb, rating, capacity, util, lim, v)
	}
	tw.Flush()
}

// fix1 and fix2 write a number with 1 or 2 decimals; the unit is in the
// column's header.
func fix1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func fix2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func dashZero(v float64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// cannotJudgeTable lists the racks the model cannot support a judgement
// of, with the first reasons of each.
func cannotJudgeTable(w io.Writer, racks []power.RackLoad) {
	first := true
	for _, r := range racks {
		if len(r.CannotJudge) == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nracks that cannot be judged (the model does not say enough; verdict cannot-judge, or worse when the known part overloads):")
			first = false
		}
		reasons := r.CannotJudge
		more := ""
		if len(reasons) > 3 {
			reasons, more = reasons[:3], fmt.Sprintf("; … %d more (--format json lists them)", len(r.CannotJudge)-3)
		}
		fmt.Fprintf(w, "  %s (%s): %s%s\n", r.ID, r.Worst, strings.Join(reasons, "; "), more)
	}
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
	cw.Write([]string{"id", "kind", "voltage_v", "phases", "line", "power_w", "apparent_va", "current_a", "l1_a", "l2_a", "l3_a", "neutral_a",
		"neutral_rating_a", "neutral_verdict", "imbalance_pct", "rating_a", "continuous_limit_a", "utilization_pct", "continuous_pct", "verdict",
		"trip_min_s", "trip_max_s", "shed_w"})
	for _, e := range rep.Elements {
		l := []string{"", "", ""}
		if len(e.LineCurrentsA) == 3 {
			l = []string{csvFloat(e.LineCurrentsA[0]), csvFloat(e.LineCurrentsA[1]), csvFloat(e.LineCurrentsA[2])}
		}
		neutral, nr := "", ""
		if e.NeutralA.Wye {
			neutral = csvFloat(e.NeutralA.A)
		}
		if e.NeutralRatingA > 0 {
			nr = csvFloat(e.NeutralRatingA)
		}
		cw.Write([]string{e.ID, e.Kind, csvFloat(e.VoltageV), strconv.Itoa(e.Phases), e.Line, csvFloat(e.PowerW), csvFloat(e.ApparentVA),
			csvFloat(e.CurrentA), l[0], l[1], l[2], neutral, nr, e.NeutralVerdict, csvFloat(e.ImbalancePct), csvFloat(e.RatingA), csvFloat(e.ContinuousLimitA),
			csvFloat(e.UtilizationPct), csvFloat(e.ContinuousPct), e.Verdict.String(), csvSeconds(e.TripMinS), csvSeconds(e.TripMaxS), csvFloat(e.ShedW)})
	}
	cw.Flush()
	return cw.Error()
}

func loadRacksCSV(w io.Writer, rep power.LoadReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"rack", "feed", "breaker", "rating_a", "normal_a", "normal_w", "share_pct", "failover_a", "failover_w", "failover_pct",
		"worst_element", "worst_kind", "worst_current_a", "worst_rating_a", "worst_pct", "failover_verdict", "trip_min_s", "trip_max_s", "shed_w"})
	for _, r := range rep.Racks {
		for _, s := range r.Sides {
			cw.Write([]string{r.ID, s.Feed, s.Breaker, csvFloat(s.RatingA), csvFloat(s.NormalA), csvFloat(s.NormalW), csvFloat(s.SharePct),
				csvFloat(s.FailoverA), csvFloat(s.FailoverW), csvFloat(s.FailoverPct), s.WorstElement, s.WorstKind, csvFloat(s.WorstCurrentA),
				csvFloat(s.WorstRatingA), csvFloat(s.WorstPct), s.FailoverVerdict.String(),
				csvSeconds(s.TripMinS), csvSeconds(s.TripMaxS), csvFloat(s.ShedW)})
		}
	}
	cw.Flush()
	return cw.Error()
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
	m, n, metered, err := network(c)
	if err != nil {
		return err
	}
	// Hold only what will be written: the risky scenarios (all with
	// --all); the table also shows those that overload something.
	var keep func(*power.Scenario) bool
	if format == "table" && !c.Bool("all") {
		keep = func(sc *power.Scenario) bool { return sc.Risky || sc.Verdict > power.OK }
	}
	res, err := analysis.Failover(m, n, analysis.FailoverOptions{HorizonS: horizon, Fail: c.StringSlice("fail"), All: c.Bool("all"), Keep: keep,
		Progress: progress(c.App.ErrWriter, "failover sweep (scenarios)"), Readings: readingsWindow(metered)})
	if err != nil {
		return analysisError(err)
	}
	w := bufio.NewWriterSize(c.App.Writer, 1<<16)
	switch {
	case format == "json":
		err = res.WriteJSON(w)
	case format == "csv" && res.Scenario != nil:
		err = eventsCSV(w, *res.Scenario)
	case format == "csv":
		err = sweepCSV(w, *res.Sweep, res.Keep())
	default:
		if res.Readings != nil {
			fmt.Fprintln(w, drawSourcesLine(res.Draws, *res.Readings))
		}
		if res.Scenario != nil {
			scenarioTable(w, *res.Scenario)
		} else {
			sweepTable(w, *res.Sweep, c.Int("top"))
		}
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
	if res.CannotJudge() {
		return &exitError{code: exitCannotJudge, err: fmt.Errorf("")}
	}
	return nil
}

// outcomeWords says what a scenario's outcome means.
func outcomeWords(sc power.Scenario) string {
	switch sc.Outcome {
	case power.Trip:
		return "trip: dark load or a trip is certain"
	case power.MayTrip:
		return "may-trip: dark load or a trip only in the worst case of the trip bands"
	}
	return sc.Outcome.String() + ": nothing trips and nothing goes dark"
}

// darkLine summarizes a dark set.
func darkLine(d power.Dark) string {
	if len(d.Devices) == 0 && len(d.Elements) == 0 {
		return "nothing"
	}
	elements, instances := count(len(d.Elements), "element", "elements"), count(len(d.Instances), "workload instance", "workload instances")
	s := fmt.Sprintf("%s, %d %s, %s", elements, len(d.Devices), plural(len(d.Devices), "device", "devices"), instances)
	if len(d.Devices) > 0 {
		s = fmt.Sprintf("%s, %d %s (%s), %s", elements, len(d.Devices), plural(len(d.Devices), "device", "devices"),
			power.Cut(d.Devices, 8), instances)
	}
	if len(d.Racks) > 0 {
		s += "; " + plural(len(d.Racks), "rack ", "racks ") + power.Cut(d.Racks, 8)
	}
	return s
}

func scenarioTable(w io.Writer, sc power.Scenario) {
	fmt.Fprintf(w, "scenario: failure of %s — outcome %s\n", strings.Join(sc.Failed, " + "), outcomeWords(sc))
	fmt.Fprintf(w, "worst case (the darkest outcome the trip bands allow, each trip at the earliest time of its band): %d %s, %s dark\n",
		sc.Tripped, plural(sc.Tripped, "trip", "trips"), count(len(sc.Dark.Devices), "device", "devices"))
	fmt.Fprintf(w, "certain (only what must trip trips, at the latest time of its band): %d %s, %s dark\n",
		sc.Certain.Tripped, plural(sc.Certain.Tripped, "trip", "trips"), count(len(sc.Certain.Dark.Devices), "device", "devices"))
	if sc.WorstSearchCapped {
		fmt.Fprintf(w, "note: the worst case's search over overlapping trip bands stopped at its cap of %d cascades: it is the darkest outcome found, not proved the darkest\n", power.WorstSearchCascades)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "T\tELEMENT\tEVENT\tLOAD BEFORE → AFTER\tNOTE")
	for _, e := range sc.Events {
		note := e.Detail
		if e.Event == "overload" {
			note = e.Verdict
			if !math.IsInf(float64(e.TripMinS), 1) {
				note += ", " + window(e.TripMinS, e.TripMaxS) + " from t = 0"
			}
		}
		if e.Event == "trip" && !math.IsInf(float64(e.TripMaxS), 1) {
			note = "latest " + dur(e.TripMaxS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\t%s\n", dur(e.TS), e.Element, e.Event, fa(e.BeforeA), fa(e.AfterA), note)
	}
	tw.Flush()
	if len(sc.Certain.Trips) > 0 {
		var t []string
		for _, e := range sc.Certain.Trips {
			t = append(t, e.Element+" by "+dur(e.TS))
		}
		fmt.Fprintf(w, "certain trips: %s\n", strings.Join(t, ", "))
	}
	if len(sc.Overloads) > 0 {
		fmt.Fprintln(w, "\noverloads (worst load of each element):")
		for _, o := range sc.Overloads {
			fmt.Fprintln(w, "  "+overloadLine(o))
		}
	}
	if len(sc.Pickups) > 0 {
		fmt.Fprintln(w, "\nwho picks up the load (right after the failure, before any trip):")
		pickupTable(w, sc.Pickups)
	}
	fmt.Fprintf(w, "\ndark, worst case: %s\n", darkLine(sc.Dark))
	if len(sc.Certain.Dark.Elements) == len(sc.Dark.Elements) && len(sc.Certain.Dark.Devices) == len(sc.Dark.Devices) {
		fmt.Fprintln(w, "dark, certain: the same")
	} else {
		fmt.Fprintf(w, "dark, certain: %s\n", darkLine(sc.Certain.Dark))
	}
}

// pickupTable lists the elements whose load a failure raises.
func pickupTable(w io.Writer, ps []power.Pickup) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ELEMENT\tKIND\tCURRENT BEFORE → AFTER\tPOWER BEFORE → AFTER\tRATING\tOF RATING BEFORE → AFTER\tVERDICT")
	for _, p := range ps {
		rating, pct := "-", "-"
		switch {
		case p.CapacityKW > 0:
			rating = fmt.Sprintf("%.1f kW", p.CapacityKW)
		case p.RatingA > 0:
			rating = fa(p.RatingA)
		}
		if p.RatingA > 0 || p.CapacityKW > 0 {
			pct = fmt.Sprintf("%.1f %% → %.1f %%", p.BeforePct, p.AfterPct)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s → %s\t%s → %s\t%s\t%s\t%s\n", p.Element, p.Kind, fa(p.BeforeA), fa(p.AfterA), fkw(p.BeforeW), fkw(p.AfterW), rating, pct, p.Verdict)
	}
	tw.Flush()
}

// fkw writes watts as kilowatts, the unit of every power column.
func fkw(w float64) string { return strconv.FormatFloat(w/1000, 'f', 2, 64) + " kW" }

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

func listOrNone(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return "(" + power.Cut(s, 8) + ")"
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
	fmt.Fprintf(w, "%d risky of %d scenarios (%d certain trip, %d may trip); basis %s; cascade horizon %s\n", s.RiskyScenarios, s.Scenarios,
		s.TripScenarios, s.MayTripScenarios, s.Basis, dur(power.Seconds(s.HorizonS)))
	if s.DarkRacks > 0 {
		fmt.Fprintf(w, "racks that can go dark: %s (--format json lists them all)\n", power.Cut(s.DarkRackIDs, 20))
		if len(s.CertainDarkRackIDs) > 0 {
			fmt.Fprintf(w, "racks that certainly go dark in some failure: %s\n", power.Cut(s.CertainDarkRackIDs, 20))
		}
	}
	if s.CannotJudgeRacks > 0 {
		ids := s.CannotJudgeRackIDs
		more := ""
		if len(ids) > 20 {
			ids, more = ids[:20], fmt.Sprintf(", … (%d more; --format json lists them)", len(s.CannotJudgeRackIDs)-20)
		}
		fmt.Fprintf(w, "racks that cannot be judged (power load says why): %s%s\n", strings.Join(ids, ", "), more)
	}
	if s.WorstSearchCapped > 0 {
		fmt.Fprintf(w, "note: in %s the worst case's search over overlapping trip bands stopped at its cap of %d cascades: the darkest outcome found, not proved the darkest (worst_search_capped in --format json)\n",
			count(s.WorstSearchCapped, "scenario", "scenarios"), power.WorstSearchCascades)
	}
	fmt.Fprintln(w, "outcome: trip = dark load or a trip is certain; may-trip = only in the worst case of the trip bands (both exit 3)")
	// A PSU fault that ends as the element it opens is shown once, under
	// that element's scenario; one that ends otherwise (behind a transfer
	// switch) has its own row.
	psus := map[string][]string{}
	for _, sc := range rep.Scenarios {
		if sc.SameAs != "" && (sc.Risky || sc.Verdict > power.OK) {
			psus[sc.SameAs] = append(psus[sc.SameAs], sc.Failed[0])
		}
	}
	shown, rest := 0, 0
	for _, sc := range rep.Scenarios {
		if !sc.Risky && sc.Verdict == power.OK {
			break
		}
		if sc.SameAs != "" {
			continue
		}
		if top > 0 && shown == top {
			rest++
			continue
		}
		shown++
		fmt.Fprintf(w, "\n#%d %s\n", shown, sc.Describe())
		for _, o := range sc.Overloads {
			fmt.Fprintln(w, "    "+overloadLine(o))
		}
		if len(sc.Pickups) > 0 {
			var ps []string
			for _, p := range sc.Pickups {
				ps = append(ps, fmt.Sprintf("%s %s → %s", p.Element, fa(p.BeforeA), fa(p.AfterA)))
			}
			fmt.Fprintf(w, "    picks up the load: %s\n", power.Cut(ps, power.MaxListed))
		}
		if len(sc.Dark.Devices) > 0 {
			fmt.Fprintf(w, "    dark, worst case: %s\n", darkLine(sc.Dark))
			if len(sc.Certain.Dark.Devices) != len(sc.Dark.Devices) {
				fmt.Fprintf(w, "    dark, certain: %s\n", darkLine(sc.Certain.Dark))
			}
		}
		if p := psus[sc.Failed[0]]; len(p) > 0 && len(sc.Failed) == 1 {
			fmt.Fprintf(w, "    the same follows a fault of any of %d %s below it (%s)\n", len(p), plural(len(p), "PSU", "PSUs"), power.Cut(p, 8))
		}
	}
	if rest > 0 {
		fmt.Fprintf(w, "\n… %d more failures with risks (--top 0 shows all, --format json lists them)\n", rest)
	}
	if shown == 0 {
		fmt.Fprintln(w, "\nno single failure overloads anything or leaves a device dark")
	}
}

func sweepCSV(w io.Writer, rep power.SweepReport, keep func(*power.Scenario) bool) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"failed", "kind", "same_as", "outcome", "verdict", "tripped", "certain_tripped", "dark_devices", "certain_dark_devices", "dark_racks",
		"worst_element", "current_a", "rating_a", "ratio", "worst_verdict", "trip_min_s", "trip_max_s", "shed_w"})
	for i := range rep.Scenarios {
		sc := &rep.Scenarios[i]
		if !keep(sc) {
			continue
		}
		row := []string{strings.Join(sc.Failed, "+"), sc.Kind, sc.SameAs, sc.Outcome.String(), sc.Verdict.String(), strconv.Itoa(sc.Tripped),
			strconv.Itoa(sc.Certain.Tripped), strconv.Itoa(len(sc.Dark.Devices)), strconv.Itoa(len(sc.Certain.Dark.Devices)), strings.Join(sc.Dark.Racks, "+")}
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

// analysisError turns the analysis package's input errors into exit code 2.
func analysisError(err error) error {
	if errors.Is(err, analysis.ErrInvalid) {
		return &exitError{code: exitBadInput, err: errors.New(analysis.Message(err))}
	}
	return err
}
