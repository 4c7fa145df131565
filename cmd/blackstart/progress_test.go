//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the program's side (a terminal)
// and the side a terminal emulator would read.
func openPTY(t *testing.T) (tty, master *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return s, m
}

// TestProgressOnlyOnTerminal: on a terminal the bar shows the units done
// of the total and the time; anywhere else (a buffer, a pipe, a file)
// nothing at all.
func TestProgressOnlyOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	if progress(&buf, "x") != nil {
		t.Error("progress on a buffer: want no callback")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if progress(w, "x") != nil {
		t.Error("progress on a pipe: want no callback")
	}
	tty, master := openPTY(t)
	cb := progress(tty, "failover sweep (scenarios)")
	if cb == nil {
		t.Fatal("progress on a terminal: got no callback")
	}
	cb(3, 7)
	time.Sleep(150 * time.Millisecond) // past the bar's throttle
	cb(5, 7)
	got := make([]byte, 4096)
	master.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := master.Read(got)
	out := string(got[:n])
	for _, want := range []string{"failover sweep (scenarios)", "/7)", "%"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal shows %q, want it to contain %q", out, want)
		}
	}
}

// TestProgressLongCommands: every command that can run past ~2 s (power
// headroom, power place, plan restart, the failover sweep, plan compare
// and simulate, estimate plan and evaluate, report, generate) draws its
// labelled bar on a terminal (the commands pass the
// callback through analysis to the core), print the same answer as
// without a terminal, and draw nothing on a non-terminal stderr.
func TestProgressLongCommands(t *testing.T) {
	cases := []struct {
		label string
		args  []string
	}{
		{"power headroom (racks)", []string{"power", "headroom", "--basis", "typical", "--device-model", "poweredge-r640", smallPow, smallWl}},
		{"power place (devices, then scenarios)", []string{"power", "place", "--basis", "typical", "--add", "poweredge-r640=4", smallPow, smallWl}},
		{"plan restart (instances)", []string{"plan", "restart", smallPow, smallWl}},
		// The other long commands of docs/limits.md's list.
		{"failover sweep (scenarios)", []string{"power", "failover", "--top", "3", smallPow, smallWl}},
		{"plan and simulated policies", []string{"plan", "compare", smallPow, smallWl}},
		{"plan and simulated policies", []string{"plan", "simulate", smallPow, smallWl}},
		{"simulated recoveries", []string{"estimate", "plan", "--runs", "5", smallPow, smallWl}},
		{"simulated recoveries", []string{"estimate", "evaluate", "--runs", "2", "--replays", "2", smallPow, smallWl}},
		{"report: charts", []string{"report", "--runs", "2", "-o", "$DIR/pm", smallPow, smallWl}},
		{"generate (racks)", []string{"generate", "--racks", "200", "-o", "$DIR/g.toml"}},
	}
	for _, tc := range cases {
		// Outputs go to a new folder per run, named the same in both runs'
		// stdout.
		dirs := [2]string{t.TempDir(), t.TempDir()}
		argsIn := func(k int) []string {
			var a []string
			for _, x := range tc.args {
				a = append(a, strings.ReplaceAll(x, "$DIR", dirs[k]))
			}
			return a
		}
		tc.args = argsIn(0)
		tty, master := openPTY(t)
		var out bytes.Buffer
		code := run(append([]string{"blackstart"}, tc.args...), &out, tty)
		if code != 0 && code != exitRisk {
			t.Fatalf("%v: exit %d, want 0 or 3", tc.args, code)
		}
		// The terminal closed, the read returns what was drawn (or
		// nothing) instead of waiting for more.
		tty.Close()
		got := make([]byte, 1<<16)
		n, _ := master.Read(got)
		if shown := string(got[:n]); !strings.Contains(shown, tc.label) || !strings.Contains(shown, "%") {
			t.Errorf("%v: terminal shows %q, want a bar labelled %q", tc.args, shown, tc.label)
		}
		code2, out2, errOut := runCLI(t, argsIn(1)...)
		if code2 != code || strings.ReplaceAll(out2, dirs[1], dirs[0]) != out.String() {
			t.Errorf("%v: the output with a terminal differs from the one without", tc.args)
		}
		if errOut != "" {
			t.Errorf("%v: stderr not a terminal, got %q; want nothing", tc.args, errOut)
		}
	}
}
