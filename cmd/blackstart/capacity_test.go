package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The capacity commands on the examples: goldens and exit codes.
func TestCapacityCommands(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		golden string
	}{
		{"headroom incident", []string{"power", "headroom", incident}, exitRisk, "power-headroom-incident.golden"},
		{"headroom small-dc", []string{"power", "headroom", "--basis", "typical", "--device-model", "poweredge-r640", "--feeds", smallPow}, exitOK, "power-headroom-small-dc.golden"},
		{"place small-dc", []string{"power", "place", "--basis", "typical", "--add", "poweredge-r640=4", "--rack", "r1-01", "--rack", "r1-02", smallPow}, exitOK, "power-place-small-dc.golden"},
		{"balance incident", []string{"power", "balance", incident}, exitRisk, "power-balance-incident.golden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, c.code, errOut)
			}
			golden(t, c.golden, out)
		})
	}
	_, out, _ := runCLI(t, "power", "headroom", incident)
	if !strings.Contains(out, "rack-1  NO    0 W       0 W      breaker breaker-a 24.35 / 12.80 A") {
		t.Errorf("incident headroom lacks rack-1 at 0 W bound by breaker-a:\n%s", out)
	}
}

// place --output writes TOML that loads with the model, and never
// overwrites a file; bad --add values are usage errors.
func TestPlaceOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "new.toml")
	code, _, errOut := runCLI(t, "power", "place", "--basis", "typical", "--add", "poweredge-r640=3", "--output", out, smallPow)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if code, vout, verr := runCLI(t, "validate", smallPow, out); code != exitOK {
		t.Fatalf("the model with %s does not validate (exit %d): %s %s", out, code, vout, verr)
	}
	data, err := os.ReadFile(out)
	if err != nil || strings.Count(string(data), "[[device]]") != 3 {
		t.Fatalf("%s: %v, want 3 [[device]] entries:\n%s", out, err, data)
	}
	code, _, errOut = runCLI(t, "power", "place", "--add", "poweredge-r640=1", "--output", out, smallPow)
	if code != exitBadInput || !strings.Contains(errOut, "the file exists") {
		t.Errorf("existing --output: exit %d, stderr %q; want 2 and 'the file exists'", code, errOut)
	}
	if again, _ := os.ReadFile(out); string(again) != string(data) {
		t.Errorf("existing --output was changed")
	}
	for _, bad := range []string{"poweredge-r640", "poweredge-r640=0", "=3", "nosuch=2"} {
		if code, _, _ := runCLI(t, "power", "place", "--add", bad, smallPow); code != exitBadInput {
			t.Errorf("--add %q: exit %d, want 2", bad, code)
		}
	}
}
