package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestHelpEveryCommand: every command and subcommand answers `help PATH`
// and `PATH --help` with its own help (not its group's): its name, a
// usage line, and examples that run it, so a new command cannot come
// without them.
func TestHelpEveryCommand(t *testing.T) {
	var paths [][]string
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Name == "help" || c.Hidden {
				continue
			}
			p := append(append([]string(nil), prefix...), c.Name)
			paths = append(paths, p)
			walk(p, c.Subcommands)
		}
	}
	walk(nil, newApp(io.Discard, io.Discard).Commands)
	if len(paths) < 40 {
		t.Fatalf("found %d commands, want every command and subcommand", len(paths))
	}
	for _, p := range paths {
		name := strings.Join(p, " ")
		t.Run(name, func(t *testing.T) {
			code, help, errOut := runCLI(t, append([]string{"help"}, p...)...)
			if code != exitOK {
				t.Fatalf("help %s: exit %d: %s", name, code, errOut)
			}
			if !strings.Contains(help, "blackstart "+name+" - ") {
				t.Errorf("help %s does not show that command's name line:\n%s", name, help)
			}
			usage := regexp.MustCompile(`USAGE:\n\s+blackstart ` + regexp.QuoteMeta(name) + `\b`)
			if !usage.MatchString(help) {
				t.Errorf("help %s has no usage line for it:\n%s", name, help)
			}
			example := regexp.MustCompile(`(?m)Examples?:\n(\s+blackstart .*\n)*\s+blackstart ` + regexp.QuoteMeta(name) + `( |$)`)
			if !example.MatchString(help) {
				t.Errorf("help %s has no example running it:\n%s", name, help)
			}
			code, flagHelp, _ := runCLI(t, append(p, "--help")...)
			if code != exitOK || flagHelp != help {
				t.Errorf("%s --help (exit %d) differs from help %s", name, code, name)
			}
		})
	}
}

// TestAtDefaultIsLastEvent: estimate live without --at estimates as of the
// last event, as its help says.
func TestAtDefaultIsLastEvent(t *testing.T) {
	_, help, _ := runCLI(t, "help", "estimate", "live")
	if !regexp.MustCompile(`--at value\s+.*\(default: the last event\)`).MatchString(help) {
		t.Fatalf("help estimate live does not give --at's default:\n%s", help)
	}
	dc := []string{"../../examples/small-dc/power.toml", "../../examples/small-dc/workloads.toml"}
	evs := filepath.Join(t.TempDir(), "sim.csv")
	if code, _, errOut := runCLI(t, append([]string{"plan", "simulate", "--events-out", evs}, dc...)...); code != exitOK {
		t.Fatalf("plan simulate: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(evs)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// Half way: the file cut after its middle event, whose time is the
	// last one's.
	cut := filepath.Join(t.TempDir(), "half.csv")
	if err := os.WriteFile(cut, []byte(strings.Join(lines[:len(lines)/2], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	last := strings.SplitN(lines[len(lines)/2-1], ",", 2)[0]
	_, without, _ := runCLI(t, append([]string{"estimate", "live", "--events", cut, "--format", "json"}, dc...)...)
	code, with, errOut := runCLI(t, append([]string{"estimate", "live", "--events", cut, "--at", last, "--format", "json"}, dc...)...)
	if code != exitOK || without != with || !strings.Contains(with, `"t_s": `+last) {
		t.Errorf("estimate live without --at differs from --at %s (the last event), exit %d %s:\n%s\n---\n%s", last, code, errOut, without, with)
	}
}
