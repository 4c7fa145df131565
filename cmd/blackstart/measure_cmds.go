package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"blackstart/analysis"
	"blackstart/data/generate"
	"blackstart/data/readings"
	"blackstart/data/store"
	"blackstart/power"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

// defaultWindow is the span of readings --basis measured and power gap
// summarize when --window is not given.
const defaultWindow = "30d"

func windowFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "window", Value: defaultWindow,
		Usage: "with --db: span of readings summarized, ending at the model's newest reading (30d, 12h, 90m, or a Go duration)"}
}

// parseSpan reads a span: N followed by d (days), h, m or s, or a Go
// duration; > 0. It returns milliseconds.
func parseSpan(flag, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err == nil && n > 0 && n <= 36500 {
			return int64(n * 86_400_000), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d.Milliseconds(), nil
	}
	return 0, badInput("--%s must be a span > 0 such as 30d, 12h or 90m, got %q", flag, s)
}

// spanText prints a span in days, hours or minutes.
func spanText(ms int64) string {
	switch {
	case ms%86_400_000 == 0:
		return strconv.FormatInt(ms/86_400_000, 10) + " d"
	case ms%3_600_000 == 0:
		return strconv.FormatInt(ms/3_600_000, 10) + " h"
	}
	return strconv.FormatFloat(float64(ms)/60000, 'f', -1, 64) + " min"
}

func windowText(w store.Window) string {
	return spanText(w.EndMS-w.StartMS) + " to " + utc(w.EndMS)
}

func measureCommand() *cli.Command {
	return &cli.Command{
		Name:         "measure",
		Action:       group,
		OnUsageError: usageError,
		Usage:        "measured loads: import PDU and meter readings into a database, prune old ones",
		UsageText:    "blackstart measure import|generate|prune [options] ...",
		Description: `Examples:
   blackstart measure import --db site.db examples/small-dc/readings.csv
   blackstart measure generate examples/small-dc/power.toml -o readings.csv
   blackstart measure prune --db site.db`,
		Subcommands: []*cli.Command{
			{
				Name:      "import",
				Usage:     "store readings files (CSV or JSON Lines), each whole or not at all",
				ArgsUsage: "FILE [MORE...]",
				Description: `Each row: time (Unix seconds or RFC 3339), element id (device, rack PDU, bank,
circuit or breaker of the model's latest revision), power_w and/or current_a,
and optionally line (L1, L2, L3) for a per-phase reading of a three-phase
element. Every problem is reported at file:line:col and the file is not
stored. Readings already stored (same element, line, quantity and time) are
not added again. docs/measurements.md describes the format.

Examples:
   blackstart measure import --db site.db examples/small-dc/readings.csv
   blackstart measure import --db site.db --model small-dc pdu-*.jsonl`,
				Flags:        []cli.Flag{dbFlag(), modelFlag(), formatFlag("table", "json")},
				OnUsageError: usageError,
				Action:       measureImport,
			},
			{
				Name:      "generate",
				Usage:     "write synthetic device power readings for a model (CSV, in time order), for trials and benchmarks",
				ArgsUsage: "MODEL.toml [MORE.toml...]",
				Description: `One reading per device every --interval, --count times from --start: each
device around a level between 45 % and 95 % of its typical draw, a daily
swing, noise and rare spikes. The same seed gives the same file.

Examples:
   blackstart measure generate --count 43200 --interval 1m -o readings.csv dc.toml`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "start", Value: "2026-11-01T00:00:00Z", Usage: "time of the first readings (RFC 3339 or Unix seconds)"},
					&cli.StringFlag{Name: "interval", Value: "1m", Usage: "between two readings of a device (>= 1s)"},
					&cli.IntFlag{Name: "count", Value: 1440, Usage: "readings per device"},
					&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of stdout"},
				},
				OnUsageError: usageError,
				Action:       measureGenerate,
			},
			{
				Name:  "prune",
				Usage: "drop raw readings and rollups past their retention (and abandoned imports)",
				Description: `Raw readings are kept --keep-raw (default 90 d), their 5-minute rollups
--keep-rollups (default 730 d), both counted back from each model's newest
reading. Giving either flag also stores it as the database's setting.

Examples:
   blackstart measure prune --db site.db
   blackstart measure prune --db site.db --keep-raw 30d --keep-rollups 365d`,
				Flags: []cli.Flag{dbFlag(), modelFlag(), formatFlag("table", "json"),
					&cli.StringFlag{Name: "keep-raw", Usage: "keep raw readings this many `DAYS` (e.g. 90d), and remember it"},
					&cli.StringFlag{Name: "keep-rollups", Usage: "keep 5-minute rollups this many `DAYS` (e.g. 730d), and remember it"}},
				OnUsageError: usageError,
				Action:       measurePrune,
			},
		},
	}
}

// measureModel opens the database and names the model readings are for.
func measureModel(c *cli.Context) (*store.DB, string, error) {
	db, err := openDB(c, false)
	if err != nil {
		return nil, "", err
	}
	name, err := db.DefaultModel(context.Background(), c.String("model"))
	if err != nil {
		db.Close()
		return nil, "", storeError(err)
	}
	return db, name, nil
}

func measureImport(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	files := c.Args().Slice()
	if len(files) == 0 {
		return badInput("measure import: no readings file given (usage: blackstart measure import --db DB FILE...)")
	}
	db, model, err := measureModel(c)
	if err != nil {
		return err
	}
	defer db.Close()
	var results []store.ImportResult
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return badInput("%s: cannot read readings: %v", path, err)
		}
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			f.Close()
			return badInput("%s: cannot read readings: is a directory", path)
		}
		res, err := db.ImportReadings(context.Background(), model, path, f, store.ImportOptions{})
		f.Close()
		if err != nil {
			var list topology.ErrorList
			if errors.As(err, &list) {
				if len(results) > 0 {
					fmt.Fprintf(c.App.ErrWriter, "blackstart: %d earlier %s stored; %s is not\n", len(results), plural(len(results), "file", "files"), path)
				}
				return list
			}
			return storeError(err)
		}
		results = append(results, res)
		if format == "table" {
			past := ""
			if res.PastRetention > 0 {
				past = fmt.Sprintf(", %d older than the raw retention (rolled up only)", res.PastRetention)
			}
			fmt.Fprintf(w, "%s: %s (%s) of %d series, %s .. %s, checked against %s%s: %d added, %d already stored%s\n",
				res.File, count(res.Readings, "reading", "readings"), count(res.Values, "value", "values"), res.Series, utc(res.FirstMS), utc(res.LastMS), res.Model, res.Revision, res.Added, res.Duplicates, past)
		}
	}
	if format == "json" {
		return writeJSON(w, results)
	}
	return nil
}

func measureGenerate(c *cli.Context) error {
	if err := checkOutput(c, c.String("output")); err != nil {
		return err
	}
	start, err := readings.ParseTime(c.String("start"))
	if err != nil {
		return badInput("--start: %v", err)
	}
	iv, err := parseSpan("interval", c.String("interval"))
	if err != nil {
		return err
	}
	o := generate.ReadingsOptions{StartMS: start, IntervalMS: iv, Count: c.Int("count"), Seed: c.Uint64("seed")}
	if o.IntervalMS < 1000 || o.Count < 1 || o.Count > 10_000_000 {
		return badInput("--interval must be >= 1s and --count 1 to 10,000,000, got %s and %d", c.String("interval"), o.Count)
	}
	m, err := loadModel(c)
	if err != nil {
		return err
	}
	if len(m.Devices) == 0 {
		return badInput("%s: the model has no devices to read", strings.Join(m.Files, " + "))
	}
	devs := make([]generate.MeteredDevice, len(m.Devices))
	for d := range m.Devices {
		w, _ := power.Draw(m, &m.Devices[d], power.BasisTypical)
		devs[d] = generate.MeteredDevice{ID: m.Devices[d].ID, LevelW: w}
	}
	return writeOutput(c, c.String("output"), func(w io.Writer) error {
		_, err := generate.Readings(w, devs, o)
		return err
	})
}

func measurePrune(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	if err := noArgs(c); err != nil {
		return err
	}
	var ret store.Retention
	for _, x := range []struct {
		flag string
		dst  *int
	}{{"keep-raw", &ret.RawDays}, {"keep-rollups", &ret.RollupDays}} {
		if !c.IsSet(x.flag) {
			continue
		}
		ms, err := parseSpan(x.flag, c.String(x.flag))
		if err != nil {
			return err
		}
		if ms%86_400_000 != 0 {
			return badInput("--%s is kept in whole days, got %s", x.flag, c.String(x.flag))
		}
		*x.dst = int(ms / 86_400_000)
	}
	db, err := openDB(c, false)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if ret.RawDays > 0 || ret.RollupDays > 0 {
		if _, err := db.SetRetention(ctx, ret); err != nil {
			return storeError(err)
		}
	}
	var names []string
	if c.IsSet("model") {
		names = []string{c.String("model")}
	} else {
		ms, err := db.Models(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			names = append(names, m.Name)
		}
	}
	var out []store.PruneResult
	for _, name := range names {
		res, err := db.Prune(ctx, name)
		if err != nil {
			return storeError(err)
		}
		out = append(out, res)
	}
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	if format == "json" {
		return writeJSON(w, out)
	}
	for _, r := range out {
		if r.NewestMS == 0 {
			fmt.Fprintf(w, "%s: no readings\n", r.Model)
			continue
		}
		fmt.Fprintf(w, "%s: newest reading %s; kept raw %d d, rollups %d d; removed %d raw readings (%d series-hours), %d rollups, %d abandoned imports\n",
			r.Model, utc(r.NewestMS), r.Retention.RawDays, r.Retention.RollupDays, r.Readings, r.RawBlocks, r.Rollups, r.AbandonedImports)
	}
	return nil
}

// meteredNetwork builds the network for --basis measured with --db: each
// device's p95 over --window from the store, falling back as the basis
// does without meters. It returns the window summarized.
func meteredNetwork(c *cli.Context, m *topology.Model) (*power.Network, store.Window, error) {
	win, err := parseSpan("window", c.String("window"))
	if err != nil {
		return nil, store.Window{}, err
	}
	db, model, err := measureModel(c)
	if err != nil {
		return nil, store.Window{}, err
	}
	defer db.Close()
	draws, w, err := db.DeviceP95(context.Background(), model, m, win, 0)
	if err != nil {
		return nil, w, storeError(err)
	}
	return power.NewNetworkMetered(m, draws), w, nil
}

// drawSourcesLine says which devices drew which figure, naming the
// devices of each group when there are few.
func drawSourcesLine(draws []power.DrawSource, rw analysis.ReadingsWindow) string {
	w := store.Window{StartMS: rw.StartMS, EndMS: rw.EndMS}
	var parts []string
	for _, s := range draws {
		p := fmt.Sprintf("%s for %d", s.Basis, len(s.Devices))
		if s.Basis != "measured-p95" { // name the devices that fell back
			ids := s.Devices
			more := ""
			if len(ids) > 6 {
				ids, more = ids[:6], fmt.Sprintf(" and %d more: --format json lists all", len(ids)-6)
			}
			p += " (" + strings.Join(ids, ", ") + more + ")"
		}
		parts = append(parts, p)
	}
	src := "no readings in the database"
	if w.EndMS > 0 {
		src = "p95 of readings over " + windowText(w)
	}
	return fmt.Sprintf("draw figures (%s): %s", src, strings.Join(parts, ", "))
}

func gapCommand() *cli.Command {
	return &cli.Command{
		Name:      "gap",
		Usage:     "measured loads against the model: each measured element's p95 and peak against the model's figure, worst first",
		ArgsUsage: "[MODEL.toml...]",
		Description: `Per measured series (a device's or element's power, an element's current, a
line's current): the model's figure on --basis (a device's draw, an element's
load in normal operation), the measured p95 and peak over --window, worst
first; series whose peak exceeds the model's figure are flagged, and the
exit code is 3 when there is any. Per rack: the model's draw against the sum
of what its rack PDUs (else its devices) measured. Needs --db: the readings
and the model come from the database (--rev picks the revision).

Examples:
   blackstart power gap --db site.db
   blackstart power gap --db site.db --window 7d --basis typical --format json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "basis", Value: "conservative", Usage: "model figure compared: nameplate, allocated, typical, peak, measured (the model's measured_w), or conservative"},
			windowFlag(), formatFlag("table", "json", "csv"),
			&cli.BoolFlag{Name: "racks", Usage: "csv: print the racks instead of the series"},
			&cli.IntFlag{Name: "top", Value: 30, Usage: "table: series, and racks, to list (0: all)"},
		},
		OnUsageError: usageError,
		Action:       powerGap,
	}
}

// errNoReadings says the stored model has no readings to compare.
var errNoReadings = errors.New("no readings")

// gapReport computes the gap of the stored model and readings; an error
// wrapping errNoReadings when the model has none.
func gapReport(c *cli.Context, m *topology.Model) (power.GapReport, store.Window, error) {
	b, err := power.ParseBasis(c.String("basis"))
	if err != nil {
		return power.GapReport{}, store.Window{}, badInput("--%v", err)
	}
	win, err := parseSpan("window", c.String("window"))
	if err != nil {
		return power.GapReport{}, store.Window{}, err
	}
	db, model, err := measureModel(c)
	if err != nil {
		return power.GapReport{}, store.Window{}, err
	}
	defer db.Close()
	meas, w, err := db.Metered(context.Background(), model, win, 0)
	if err != nil {
		return power.GapReport{}, w, storeError(err)
	}
	if len(meas) == 0 {
		return power.GapReport{}, w, &exitError{code: exitBadInput, err: fmt.Errorf("%s: model %s has %w in the window (import some with blackstart measure import)", db.Path(), model, errNoReadings)}
	}
	return power.NewNetwork(m, b).Gap(meas), w, nil
}

// gapJSON is power gap's JSON: the window and the report.
type gapJSON struct {
	Window store.Window `json:"readings_window"`
	power.GapReport
}

func powerGap(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if !fromStore(c) && os.Getenv("BLACKSTART_DB") == "" {
		return badInput("power gap: the readings are in a database: give --db (and --model when it holds several)")
	}
	if c.Args().Present() {
		return badInput("power gap: the model comes from the database with its readings; give --rev, not model files")
	}
	m, err := loadModelFrom(c, nil)
	if err != nil {
		return err
	}
	rep, win, err := gapReport(c, m)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(c.App.Writer)
	switch format {
	case "json":
		err = writeJSON(w, gapJSON{win, rep})
	case "csv":
		if c.Bool("racks") {
			err = gapRacksCSV(w, rep)
		} else {
			err = gapCSV(w, rep)
		}
	default:
		gapTable(w, rep, win, c.Int("top"))
	}
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if rep.Exceeding > 0 {
		return &exitError{code: exitRisk, err: fmt.Errorf("")}
	}
	return nil
}

func ptrText(v *float64, unit string) string {
	if v == nil {
		return "—"
	}
	if unit == "W" {
		return fw(*v)
	}
	return fa(*v)
}

func pctText(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f %%", *v)
}

// gapValues returns a row's model, p95 and peak and their unit.
func gapValues(r power.GapRow) (model, p95, peak *float64, unit string) {
	if r.Quantity == "power_w" {
		return r.ModelW, r.P95W, r.MaxW, "W"
	}
	return r.ModelA, r.P95A, r.MaxA, "A"
}

// trimRight passes lines to w without the blanks that end them: a
// right-aligned tabwriter pads an empty last column (no flag) with blanks.
type trimRight struct {
	w    io.Writer
	line []byte
}

func (t *trimRight) Write(b []byte) (int, error) {
	for _, c := range b {
		if c != '\n' {
			t.line = append(t.line, c)
			continue
		}
		t.line = append(bytes.TrimRight(t.line, " "), '\n')
		if _, err := t.w.Write(t.line); err != nil {
			return 0, err
		}
		t.line = t.line[:0]
	}
	return len(b), nil
}

func gapTable(out io.Writer, rep power.GapReport, win store.Window, top int) {
	out = &trimRight{w: out} // every line the tabwriters write ends in '\n'

	fmt.Fprintf(out, "%d of %d measured series peak above the model (basis %s); readings over %s\n", rep.Exceeding, len(rep.Rows), rep.Basis, windowText(win))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "element\tkind\track\tline\tquantity\tmodel\tp95\tpeak\tp95 vs model\tpeak vs model\t\t")
	rows := rep.Rows
	if top > 0 && len(rows) > top {
		rows = rows[:top]
	}
	for _, r := range rows {
		model, p95, peak, unit := gapValues(r)
		flag := ""
		if r.PeakExceedsModel {
			flag = "PEAK OVER MODEL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Element, r.Kind, orDash(r.Rack), orDash(r.Line), r.Quantity,
			ptrText(model, unit), ptrText(p95, unit), ptrText(peak, unit), pctText(r.P95GapPct), pctText(r.PeakGapPct), flag)
	}
	tw.Flush()
	if len(rows) < len(rep.Rows) {
		fmt.Fprintf(out, "… %d more series (--top 0 lists all)\n", len(rep.Rows)-len(rows))
	}
	if len(rep.Racks) > 0 {
		fmt.Fprintln(out)
		fmt.Fprintln(out, "racks (model vs measured draw, largest peak over the model first):")
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "rack\tmeasured at\tmodel\tp95\tpeak\tp95 vs model\tpeak vs model\t\t")
		racks := rep.Racks
		if top > 0 && len(racks) > top {
			racks = racks[:top]
		}
		for _, r := range racks {
			src := "rack PDUs"
			if r.Source == "devices" {
				src = fmt.Sprintf("%d of %d devices", r.DevicesMeasured, r.Devices)
			}
			flag := ""
			if r.PeakExceedsModel {
				flag = "PEAK OVER MODEL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%+.1f %%\t%+.1f %%\t%s\t\n", r.Rack, src, fw(r.ModelW), fw(r.P95W), fw(r.MaxW), r.P95GapPct, r.PeakGapPct, flag)
		}
		tw.Flush()
		if len(racks) < len(rep.Racks) {
			fmt.Fprintf(out, "… %d more racks (--top 0 lists all)\n", len(rep.Racks)-len(racks))
		}
	}
	if len(rep.Unknown) > 0 {
		fmt.Fprintf(out, "readings of ids not in this revision (left out): %s\n", strings.Join(rep.Unknown, ", "))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func csvPtr(v *float64) string {
	if v == nil {
		return ""
	}
	return csvFloat(*v)
}

func gapCSV(out io.Writer, rep power.GapReport) error {
	w := csv.NewWriter(out)
	w.Write([]string{"element", "kind", "rack", "line", "quantity", "readings", "model", "p95", "max", "unit", "p95_gap_pct", "peak_gap_pct", "peak_exceeds_model"})
	for _, r := range rep.Rows {
		model, p95, peak, unit := gapValues(r)
		w.Write([]string{r.Element, r.Kind, r.Rack, r.Line, r.Quantity, strconv.Itoa(r.Readings), csvPtr(model), csvPtr(p95), csvPtr(peak), unit,
			csvPtr(r.P95GapPct), csvPtr(r.PeakGapPct), strconv.FormatBool(r.PeakExceedsModel)})
	}
	w.Flush()
	return w.Error()
}

func gapRacksCSV(out io.Writer, rep power.GapReport) error {
	w := csv.NewWriter(out)
	w.Write([]string{"rack", "source", "devices", "devices_measured", "model_w", "p95_w", "max_w", "p95_gap_pct", "peak_gap_pct", "peak_exceeds_model"})
	for _, r := range rep.Racks {
		w.Write([]string{r.Rack, r.Source, strconv.Itoa(r.Devices), strconv.Itoa(r.DevicesMeasured), csvFloat(r.ModelW), csvFloat(r.P95W), csvFloat(r.MaxW),
			csvFloat(r.P95GapPct), csvFloat(r.PeakGapPct), strconv.FormatBool(r.PeakExceedsModel)})
	}
	w.Flush()
	return w.Error()
}
