package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"blackstart/chart"
	"blackstart/data/alibaba"
	"blackstart/data/events"
	"blackstart/data/generate"
	"blackstart/outfile"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a model and report every problem as file:line:col",
		ArgsUsage: "MODEL.toml [MORE.toml...]",
		Description: `The files are merged into one model. Every problem of every file is reported
in one run, sorted; the exit code is 2 when there is any.

Example:
   blackstart validate examples/small-dc/power.toml examples/small-dc/workloads.toml`,
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			m, err := loadModel(c)
			if err != nil {
				return err
			}
			s := topology.Summarize(m)
			fmt.Fprintf(c.App.Writer, "ok: %s: %s, %s, %s, %s (%s)\n", strings.Join(m.Files, " + "),
				count(len(m.Elements), "power element", "power elements"), count(s.Racks, "rack", "racks"),
				count(s.Devices, "device", "devices"), count(s.Services, "service", "services"), count(s.Instances, "instance", "instances"))
			return nil
		},
	}
}

func showCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "summarize a model: counts, and per rack and per feed the devices, draws and breakers",
		ArgsUsage: "MODEL.toml [MORE.toml...]",
		Description: `Per rack and per feed (branch circuit): the devices, their nameplate and typical
draw in W, and the breaker that protects the feed. A feed's figures are what
it carries when it is the only one left.

Examples:
   blackstart show examples/incident-2019.toml
   blackstart show --format json examples/incident-2019.toml`,
		Flags:        []cli.Flag{formatFlag("table", "json")},
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			format, err := checkFormat(c, "table", "json")
			if err != nil {
				return err
			}
			m, err := loadModel(c)
			if err != nil {
				return err
			}
			s := topology.Summarize(m)
			w := bufio.NewWriter(c.App.Writer)
			if format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(s); err != nil {
					return err
				}
			} else {
				writeSummary(w, s)
			}
			return w.Flush()
		},
	}
}

// count says "1 rack", "2 racks".
func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, plural(n, one, many)) }

// watts formats a draw, or "n/a" when no device had the figure.
func watts(v float64, missing, devices int) string {
	if devices > 0 && missing == devices {
		return "n/a"
	}
	s := fmt.Sprintf("%.0f W", v)
	if missing > 0 {
		s += fmt.Sprintf(" (%d without)", missing)
	}
	return s
}

// total formats a site total, "n/a" when no device gave the figure.
func total(w float64) string {
	if w == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f W", w)
}

func writeSummary(out io.Writer, s topology.Summary) {
	site := s.Site
	if site == "" {
		site = "(unnamed)"
	}
	fmt.Fprintf(out, "model %s: site %s\n", strings.Join(s.Files, " + "), site)
	e := s.Elements
	fmt.Fprintf(out, "power elements: %s, %d UPS, %s, %s, %s, %s, %s, %s\n",
		count(e["source"], "source", "sources"), e["ups"], count(e["panel"], "panel", "panels"), count(e["breaker"], "breaker", "breakers"),
		count(e["circuit"], "circuit", "circuits"), count(e["ats"], "transfer switch", "transfer switches"),
		count(e["rack_pdu"], "rack PDU", "rack PDUs"), count(e["bank"], "bank", "banks"))
	fmt.Fprintf(out, "racks: %d   device models: %d   devices: %d   services: %d (%s, %s)\n",
		s.Racks, s.DeviceModels, s.Devices, s.Services, count(s.Instances, "instance", "instances"), count(s.Tiers, "tier", "tiers"))
	fmt.Fprintf(out, "total draw: nameplate %s, typical %s\n\n", total(s.TotalNameplateW), total(s.TotalTypicalW))

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RACK\tDEVICES\tNAMEPLATE\tTYPICAL\tBREAKERS")
	for _, r := range s.RackRows {
		br := strings.Join(r.Breakers, ", ")
		if br == "" {
			br = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", r.ID, r.Devices, watts(r.NameplateW, r.MissingNameplate, r.Devices),
			watts(r.TypicalW, r.MissingTypical, r.Devices), br)
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tSUPPLY\tBREAKER\tRATING\tDEVICES\tNAMEPLATE\tTYPICAL")
	for _, f := range s.FeedRows {
		supply := fmt.Sprintf("%.0f V %d-ph", f.VoltageV, f.Phases)
		br, rating := "-", "-"
		if f.Breaker != "" {
			br = f.Breaker
			rating = fmt.Sprintf("%g A %s", f.RatingA, f.Standard)
			if f.Curve != "" {
				rating += " " + f.Curve
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.ID, supply, br, rating, f.Devices,
			watts(f.NameplateW, f.MissingNameplate, f.Devices), watts(f.TypicalW, f.MissingTypical, f.Devices))
	}
	tw.Flush()
}

// Bounds of generate: the largest site stays within the model size limit
// (topology.MaxModelBytes; about 53 bytes a device).
const (
	maxGenRacks   = 25_000
	maxGenDevices = 1_000_000
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "write a realistic generated model (for scale tests and benchmarks)",
		Description: `A site of N racks with M devices each: A/B feeds from a UPS pair through panels,
three-phase branch circuits and rack PDU banks, draws from published SPECpower
results, and a workloads section proportional to the nodes. The same seed
gives the same file, byte for byte.

With --platform it writes instead a hosting platform at the scale of the
incident that motivates blackstart (--racks and --per-rack do not apply):
ten racks holding 150 app, 30 db and 10 internal nodes; etcd, 40 internal
services in three tiers, 1,500 pinned databases and 7,500 apps of two
instances each. examples/platform-2019.toml is its output for seed 1.

Examples:
   blackstart generate --racks 1000 --per-rack 40 --seed 1 -o dc.toml
   blackstart generate --platform --seed 1 -o examples/platform-2019.toml`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "racks", Value: 10, Usage: "number of racks, 1 to 25000"},
			&cli.IntFlag{Name: "per-rack", Value: 40, Usage: "devices per rack, 1 to 99; racks × per-rack at most 1000000"},
			&cli.BoolFlag{Name: "platform", Usage: "write the incident-scale hosting platform instead of N racks of M devices"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of stdout"},
			&cli.StringFlag{Name: "netbox", Usage: "write instead a NetBox-shaped inventory of --racks racks (saved API responses, for import netbox --from) into the new `DIR`"},
		},
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return badInput("generate takes no arguments, got %q", c.Args().First())
			}
			if dir := c.String("netbox"); dir != "" {
				return generateNetBox(c, dir)
			}
			if c.Bool("platform") {
				for _, name := range []string{"racks", "per-rack"} {
					if c.IsSet(name) {
						return badInput("--%s does not apply to --platform: the platform's racks are fixed", name)
					}
				}
				o := generate.PlatformOptions{Seed: c.Uint64("seed")}
				return writeOutput(c, c.String("output"), func(w io.Writer) error { return generate.Platform(w, o) })
			}
			o := generate.SiteOptions{Racks: c.Int("racks"), PerRack: c.Int("per-rack"), Seed: c.Uint64("seed"),
				Progress: progress(c.App.ErrWriter, "generate (racks)")}
			if o.Racks < 1 || o.Racks > maxGenRacks {
				return badInput("--racks must be 1 to %d, got %d", maxGenRacks, o.Racks)
			}
			if o.PerRack < 1 || o.PerRack > 99 {
				return badInput("--per-rack must be 1 to 99, got %d", o.PerRack)
			}
			if o.Racks*o.PerRack > maxGenDevices {
				return badInput("--racks × --per-rack must be at most %d devices (a model blackstart can load), got %d", maxGenDevices, o.Racks*o.PerRack)
			}
			return writeOutput(c, c.String("output"), func(w io.Writer) error { return generate.Site(w, o) })
		},
	}
}

// writeOutput writes to stdout, or atomically to path (outfile.Write): a
// temporary file in the same directory renamed over path once complete, so
// a failure never leaves a half-written file, and never over anything but a
// regular file that is none of the command's inputs and is empty or one
// blackstart wrote (wroteIt).
func writeOutput(c *cli.Context, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		w := bufio.NewWriter(c.App.Writer)
		if err := write(w); err != nil {
			return err
		}
		return w.Flush()
	}
	return outfile.Write(path, wroteIt, inputsOf(c), func(f io.Writer) error {
		w := bufio.NewWriter(f)
		if err := write(w); err != nil {
			return err
		}
		return w.Flush()
	})
}

// checkOutput checks, before any work, that path may be written (see
// outfile.CheckOwned); "" and "-" (stdout) always may.
func checkOutput(c *cli.Context, path string) error {
	if path == "" || path == "-" {
		return nil
	}
	return outfile.CheckOwned(path, wroteIt, inputsOf(c)...)
}

// wroteIt recognises a file blackstart wrote, by its first bytes: a
// generated model or readings file, a chart page, option or PNG, a
// progress events file. An output replaces only such a file or an empty
// one: nothing blackstart writes destroys a file it did not create.
func wroteIt(head []byte) bool {
	return generate.Wrote(head) || chart.Wrote(head) || events.Wrote(head)
}

// inputsOf lists the files the command reads: its arguments (model files),
// --events, --echarts-js and the Alibaba trace's files. No output may be
// one of them.
func inputsOf(c *cli.Context) []string {
	in := append([]string(nil), c.Args().Slice()...)
	for _, name := range []string{"events", "echarts-js"} {
		if c.IsSet(name) {
			in = append(in, c.String(name))
		}
	}
	if dir := c.String("from-alibaba"); dir != "" {
		in = append(in, filepath.Join(dir, alibaba.NodeFile), filepath.Join(dir, alibaba.PodFile))
	}
	return in
}
