//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptLeavesNothing: Ctrl-C (SIGINT) during a long write removes
// the temporary file or folder the output was being written to, leaves the
// destination as it was (absent, or the earlier report with the user's
// file), and exits 130.
func TestInterruptLeavesNothing(t *testing.T) {
	bin := binary(t)
	root, _ := filepath.Abs("../..")
	small := []string{filepath.Join(root, "examples/small-dc/power.toml"), filepath.Join(root, "examples/small-dc/workloads.toml")}
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		temp  string // prefix of the temporary entry to wait for ("": wait 2 s)
		check func(t *testing.T, dir string)
	}{
		{"measure generate -o", nil, append([]string{"measure", "generate", "--count", "10000000", "-o", "r.csv"}, small...), ".r.csv.tmp-",
			func(t *testing.T, dir string) {
				if _, err := os.Stat(filepath.Join(dir, "r.csv")); err == nil {
					t.Error("r.csv was written by an interrupted command")
				}
			}},
		// Interrupted during its 10,000 runs, before its folder is made: the
		// earlier report and the user's file stay. A report interrupted while
		// its folder is being filled is outfile's TestRemoveTemps.
		{"report -o over an earlier report, during its runs", map[string]string{"pm/.blackstart-report": "blackstart report\nfile index.html\n", "pm/index.html": "old", "pm/notes.txt": "mine"},
			append([]string{"report", "--runs", "10000", "-o", "pm"}, small...), "",
			func(t *testing.T, dir string) {
				for name, want := range map[string]string{"index.html": "old", "notes.txt": "mine"} {
					if b, err := os.ReadFile(filepath.Join(dir, "pm", name)); err != nil || string(b) != want {
						t.Errorf("pm/%s after the interrupt: %q, %v; want %q", name, b, err, want)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			layout(t, dir, c.files)
			cmd := exec.Command(bin, c.args...)
			cmd.Dir = dir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for the temporary entry, then interrupt.
			deadline := time.Now().Add(time.Minute)
			if c.temp == "" {
				time.Sleep(2 * time.Second)
			}
			for c.temp != "" && !hasPrefixEntry(dir, c.temp) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("no %s* entry appeared within a minute: %s", c.temp, stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 130 {
				t.Errorf("exit %v after SIGINT, want 130; stderr: %s", err, stderr.String())
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("%s left behind after the interrupt", e.Name())
				}
			}
			c.check(t, dir)
		})
	}
}

func hasPrefixEntry(dir, prefix string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			return true
		}
	}
	return false
}
