package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pluralOfOne matches a count of one with a plural noun ("1 racks").
var pluralOfOne = regexp.MustCompile(`(^|[^0-9.,])1 (racks|rows|devices|nodes|feeds|PDUs|PSUs|ports|objects|outlets|problems|instances|services|scenarios|elements|tiers|models|circuits|breakers)\b`)

// TestGrammarOfOne: where a count is one, the noun is singular, in every
// message that counts: the generated site's header, the NetBox import's
// headline, the planner's reasons for an instance no node takes, and the
// model summary.
func TestGrammarOfOne(t *testing.T) {
	dir := t.TempDir()
	var said []string
	check := func(what string, want ...string) {
		t.Helper()
		text := strings.Join(said, "\n")
		if m := pluralOfOne.FindString(text); m != "" {
			t.Errorf("%s says %q:\n%s", what, m, text)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, text)
			}
		}
		said = nil
	}
	run := func(args ...string) {
		t.Helper()
		code, out, errOut := runCLI(t, args...)
		if code != exitOK && code != exitRisk {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		said = append(said, out, errOut)
	}

	site := filepath.Join(dir, "one.toml")
	run("generate", "--racks", "1", "--per-rack", "1", "-o", site)
	b, err := os.ReadFile(site)
	if err != nil {
		t.Fatal(err)
	}
	said = append(said, string(b[:min(len(b), 400)]))
	check("generate --racks 1 --per-rack 1", "# 1 rack in 1 row, 1 device,")

	nb := filepath.Join(dir, "nb")
	run("generate", "--netbox", nb, "--racks", "1")
	run("import", "netbox", "--from", nb, "-o", filepath.Join(dir, "nb.toml"))
	check("import netbox of one rack", ", 1 rack, ")

	// One node, and a service too big for it.
	one := filepath.Join(dir, "node.toml")
	src := strings.Replace(miniModel, "count = 3", "count = 1", 1) + "[[service]]\nid = \"huge\"\nram_gib = 500\nrole = \"app\"\n"
	if err := os.WriteFile(one, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	run("plan", "restart", one)
	check("plan restart of an instance no node takes", "(1 node: ")
	run("show", one)
	run("validate", one)
	check("show and validate of a one-rack model")
}
