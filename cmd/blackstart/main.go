// Command blackstart models a datacenter's power topology and restart
// capacity: it validates, summarizes and generates TOML models (topology),
// computes loads and simulates every single failure with its cascade
// (power), and plans and simulates the restart of a platform (placement).
// It is a thin shell: flags in, calls into those packages, rendering out.
//
// Exit codes: 0 ok; 1 internal error; 2 bad input or usage; 3 the analysis
// found a risk; 4 no risk found, but some rack cannot be judged.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/pprof"
	"strings"
	"syscall"

	"blackstart/outfile"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

// Exit codes of the command, as documented in the README.
const (
	exitOK       = 0
	exitInternal = 1
	exitBadInput = 2
	exitRisk     = 3
	// exitCannotJudge: no risk found, but the model cannot support a
	// judgement of some rack (an imported inventory with uncabled feeds,
	// unfed PSUs or unknown draws); a risk found elsewhere exits 3.
	exitCannotJudge = 4
)

func main() {
	boundHeap()
	removeTempsOnInterrupt()
	// BLACKSTART_CPUPROFILE=FILE writes a CPU profile of the whole run
	// (a diagnostic for measuring the commands, not a user feature).
	if p := os.Getenv("BLACKSTART_CPUPROFILE"); p != "" && outfile.Check(p) == nil {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				code := run(os.Args, os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
			f.Close()
		}
	}
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// removeTempsOnInterrupt makes an interrupt (Ctrl-C, SIGTERM) remove the
// temporary files of the outputs being written before blackstart exits
// (128 + the signal), so that nothing is left beside them; the outputs
// themselves stay as they were. serve replaces it with its own graceful
// shutdown.
func removeTempsOnInterrupt() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		outfile.RemoveTemps()
		fmt.Fprintln(os.Stderr, "blackstart: interrupted; its temporary files are removed, its outputs left as they were")
		code := 130
		if sig, ok := s.(syscall.Signal); ok {
			code = 128 + int(sig)
		}
		os.Exit(code)
	}()
}

// exitError carries an exit code with the message printed on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return &exitError{code: exitBadInput, err: fmt.Errorf(format, args...)}
}

// maxErrors is how many problems of one load are printed; the rest are
// counted.
const maxErrors = 100

// notFound records a subcommand name that does not exist: urfave/cli calls
// CommandNotFound and then returns no error, so run turns it into one.
var notFound string

// missingValue records a flag written last on the command line without
// the value it takes (flagsFirst would otherwise give it the first
// argument).
var missingValue string

// run executes the command line and returns the exit code; stdout gets the
// results, stderr the diagnostics.
func run(args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	notFound, missingValue = "", ""
	args = flagsFirst(app, args)
	if missingValue != "" {
		fmt.Fprintf(stderr, "blackstart: %s needs a value (see --help)\n", dashed(missingValue))
		return exitBadInput
	}
	err := app.Run(args)
	if err == nil && notFound != "" {
		err = badInput("unknown command %q (see --help)", notFound)
	}
	if err == nil {
		return exitOK
	}
	var list topology.ErrorList
	if errors.As(err, &list) {
		// A reader that capped its own list ends it with the count of
		// the rest (events: "too many errors: N more not shown").
		capped := len(list) == maxErrors+1 && strings.HasPrefix(list[maxErrors].Msg, "too many errors")
		for i, e := range list {
			if i == maxErrors && !capped {
				fmt.Fprintf(stderr, "… %d more\n", len(list)-maxErrors)
				break
			}
			fmt.Fprintln(stderr, e.Error())
		}
		if !capped {
			fmt.Fprintf(stderr, "%d %s found\n", len(list), plural(len(list), "problem", "problems"))
		}
		return exitBadInput
	}
	var pe *outfile.PathError
	if errors.As(err, &pe) && !errors.As(err, new(*exitError)) {
		fmt.Fprintln(stderr, "blackstart:", topology.Clip(err.Error()))
		return exitBadInput
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "blackstart:", topology.Clip(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "blackstart: internal error:", err)
	return exitInternal
}

// flagValueErr and flagNameErr match the flag package's messages, which
// spell flags with one dash and give no reason for a refused value.
var (
	flagValueErr = regexp.MustCompile(`^invalid value "(.*)" for flag -([\w-]+): (.*)$`)
	flagNameErr  = regexp.MustCompile(`^(flag provided but not defined|flag needs an argument): -+([\w-]+)$`)
)

// dashed spells a flag name as it is typed: -o, --seed.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// usageError rewords a flag error: the flag as it is typed (--seed, not
// -seed) and why its value was refused.
func usageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if m := flagValueErr.FindStringSubmatch(msg); m != nil {
		why := "not a number"
		for _, f := range c.Command.Flags {
			for _, n := range f.Names() {
				if n != m[2] {
					continue
				}
				switch f.(type) {
				case *cli.Uint64Flag:
					why = "want a whole number from 0 to 18446744073709551615"
				case *cli.IntFlag:
					why = "want a whole number"
				case *cli.Float64Flag:
					why = "want a number"
				}
			}
		}
		if strings.Contains(m[3], "range") {
			why += " (out of range)"
		}
		msg = fmt.Sprintf("invalid value %q for %s: %s", m[1], dashed(m[2]), why)
	} else if m := flagNameErr.FindStringSubmatch(msg); m != nil {
		if m[1] == "flag needs an argument" {
			msg = fmt.Sprintf("%s needs a value", dashed(m[2]))
		} else {
			msg = fmt.Sprintf("unknown flag %s", dashed(m[2]))
		}
	}
	return &exitError{code: exitBadInput, err: fmt.Errorf("%s (see --help)", msg)}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "blackstart",
		Usage: "datacenter power-topology and restart-capacity modelling",
		UsageText: `blackstart COMMAND [options] MODEL.toml [MORE.toml...]

Examples:
   blackstart validate examples/incident-2019.toml
   blackstart show examples/small-dc/power.toml examples/small-dc/workloads.toml
   blackstart show --format json examples/incident-2019.toml
   blackstart generate --racks 1000 --per-rack 40 --seed 1 -o dc.toml
   blackstart power failover examples/incident-2019.toml
   blackstart plan compare --seed 1 examples/platform-2019.toml
   blackstart db commit -m "first version" examples/incident-2019.toml
   blackstart power failover --db blackstart.db --rev @1
   blackstart diff --old-rev @1 --new examples/incident-2019.toml`,
		Description: `A model is one or more TOML files that are merged (see README.md for the format).
Exit codes: 0 ok; 1 internal error; 2 bad input or usage; 3 the analysis found a risk;
4 no risk found, but some rack cannot be judged (uncabled feeds, unfed PSUs, unknown draws).`,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideVersion:     true,
		OnUsageError:    usageError,
		ExitErrHandler:  func(*cli.Context, error) {},
		CommandNotFound: func(c *cli.Context, name string) { notFound = name },
		Commands: []*cli.Command{
			validateCommand(),
			showCommand(),
			generateCommand(),
			powerCommand(),
			chartCommand(),
			reportCommand(),
			planCommand(),
			estimateCommand(),
			importCommand(),
			dbCommand(),
			measureCommand(),
			diffCommand(),
			serveCommand(),
			tokenCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return badInput("unknown command %q (see --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	addStoreFlags(app.Commands)
	checkSharedFlags(app.Commands)
	return app
}

// checkSharedFlags makes every command refuse a bad value of a flag that
// several commands share before its own work starts (before a model or a
// database is read): a negative --top, and a --window that is not a span.
// A command's own flags are checked at the top of its action.
func checkSharedFlags(cmds []*cli.Command) {
	for _, cmd := range cmds {
		checkSharedFlags(cmd.Subcommands)
		act := cmd.Action
		if act == nil || len(cmd.Subcommands) > 0 {
			continue
		}
		cmd.Action = func(c *cli.Context) error {
			if hasFlag(c, "top") && c.Int("top") < 0 {
				return badInput("--top must be >= 0 (0: all), got %d", c.Int("top"))
			}
			if hasFlag(c, "window") {
				if _, err := parseSpan("window", c.String("window")); err != nil {
					return err
				}
			}
			return act(c)
		}
	}
}

// group is the Action of a command that only holds subcommands: it shows
// the help, or rejects an unknown subcommand.
func group(c *cli.Context) error {
	if c.Args().Present() {
		return badInput("%s: unknown subcommand %q (see blackstart %s --help)", c.Command.Name, c.Args().First(), c.Command.Name)
	}
	return cli.ShowSubcommandHelp(c)
}

// loadModel loads the files named on the command line, or the stored
// revision --db/--model/--rev name.
func loadModel(c *cli.Context) (*topology.Model, error) {
	return loadModelFrom(c, c.Args().Slice())
}

// formatFlag is the --format flag shared by the analysis commands.
func formatFlag(allowed ...string) *cli.StringFlag {
	return &cli.StringFlag{Name: "format", Value: allowed[0], Usage: "output format: " + joinOr(allowed)}
}

func checkFormat(c *cli.Context, allowed ...string) (string, error) {
	f := c.String("format")
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
	}
	return "", badInput("--format must be %s, got %q", joinOr(allowed), f)
}

func joinOr(s []string) string {
	out := ""
	for i, x := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			out += " or "
		default:
			out += ", "
		}
		out += x
	}
	return out
}

// flagsFirst moves the flags written after a command's arguments before
// them, so that `blackstart chart gantt MODEL -o gantt.html` works as the
// usage lines show: urfave/cli stops parsing flags at the first argument.
// A "--" ends the flags; everything after it stays an argument.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	// "help power load" is "power load --help": the help of that command,
	// not of its group.
	if (args[1] == "help" || args[1] == "h") && len(args) > 2 {
		return flagsFirst(app, append(append([]string{args[0]}, args[2:]...), "--help"))
	}
	out := []string{args[0]}
	cmds := app.Commands
	var cmd *cli.Command
	i := 1
	// The command path: leading words that name a (sub)command.
	for i < len(args) {
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(args[i]) {
				next = c
			}
		}
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
		out = append(out, args[i])
		i++
	}
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, rest []string
	dashes := false
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			dashes = true
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		if name == "h" || name == "help" {
			return append(out, "--help") // the command's help, wherever it was asked for
		}
		flags = append(flags, a)
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		} else if takesValue[name] {
			missingValue = name
		}
	}
	out = append(out, flags...)
	if dashes {
		out = append(out, "--") // what follows is arguments, even when it starts with "-"
	}
	return append(out, rest...)
}
