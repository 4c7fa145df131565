package main

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestJSONFieldsDocumented: every JSON field blackstart writes (a json tag
// in the packages whose results the commands print) is named in
// docs/json.md (or in the reference of its commands under docs/), so a new field cannot go undocumented.
func TestJSONFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	// The other references document their commands' fields (the store and
	// diff, the API, the evaluation, NetBox, measurements, capacity).
	others, _ := filepath.Glob("../../docs/*.md")
	for _, other := range others {
		if filepath.Base(other) == "json.md" {
			continue
		}
		b, err := os.ReadFile(other)
		if err != nil {
			t.Fatal(err)
		}
		doc = append(doc, b...)
	}
	// The names the docs give: identifiers inside `code` spans (also in
	// lists such as `{id, sides[]}`) and "quoted" keys of JSON examples.
	named := map[string]bool{}
	ident := regexp.MustCompile(`[A-Za-z0-9_]+`)
	text := strings.ReplaceAll(string(doc), "```", "\n") // fences of code blocks do not pair with spans
	for _, span := range regexp.MustCompile("`[^`\n]+`|\"[a-z0-9_]+\"").FindAllString(text, -1) {
		for _, w := range ident.FindAllString(span, -1) {
			named[w] = true
		}
	}
	tag := regexp.MustCompile("json:\"([A-Za-z0-9_]+)")
	// Every package's Go files, so that a new package's fields cannot be
	// missed.
	var files []string
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tag.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !named[m[1]] {
				t.Errorf("%s: JSON field %q is not documented in docs/json.md", f, m[1])
			}
		}
	}
	if seen < 150 {
		t.Errorf("found %d JSON tags, want the whole output format", seen)
	}
}

// docNames returns the names the given pages of docs/ give: identifiers
// inside `code` spans (a span may wrap within a paragraph, as
// `{file, model,\n revision}` does) and "quoted" keys of JSON examples.
func docNames(t *testing.T, pages ...string) map[string]bool {
	t.Helper()
	named := map[string]bool{}
	ident := regexp.MustCompile(`[A-Za-z0-9_]+`)
	span := regexp.MustCompile("`[^`]+`|\"[a-z0-9_]+\"")
	for _, p := range pages {
		b, err := os.ReadFile("../../docs/" + p)
		if err != nil {
			t.Fatal(err)
		}
		// Fences of code blocks do not pair with spans; a blank line ends a
		// span that was never closed.
		for _, para := range strings.Split(strings.ReplaceAll(string(b), "```", "\n"), "\n\n") {
			for _, s := range span.FindAllString(para, -1) {
				for _, w := range ident.FindAllString(s, -1) {
					named[w] = true
				}
			}
		}
	}
	return named
}

// jsonKeys decodes every JSON document of out (one, or JSON Lines) and
// calls f with each object key and its path (array elements as []). The
// keys of an object under a data parent (a map keyed by data, such as
// basis_counts' basis names) are not field names and are not passed.
func jsonKeys(t *testing.T, out []byte, f func(key, path string)) int {
	t.Helper()
	data := map[string]bool{"basis_counts": true}
	var walk func(v any, path, parent string)
	walk = func(v any, path, parent string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if !data[parent] {
					f(k, path+"."+k)
				}
				walk(e, path+"."+k, k)
			}
		case []any:
			for _, e := range v {
				walk(e, path+"[]", parent)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	docs := 0
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		docs++
		walk(v, "", "")
	}
	return docs
}

// TestJSONOutputDocumented runs every command that writes JSON on the
// bundled examples and checks that every key of what it prints (or
// writes: the report's KIND.json, the NetBox map) is named in that
// command's reference page(s) of docs/, not merely somewhere: a field
// added to an output without its page fails here. (The API's own answers:
// server's TestAPIAnswersDocumented; its analyses print these bytes.)
func TestJSONOutputDocumented(t *testing.T) {
	tempDB(t)
	dir := t.TempDir()
	mustRun(t, exitOK, "db", "commit", "-m", "small site", smallPow, smallWl)
	mustRun(t, exitOK, "db", "commit", "-m", "the incident rack", "--model", "incident-2019", incident)
	mustRun(t, exitOK, "token", "create", "--scope", "read", "--name", "reader")
	events := filepath.Join(dir, "events.jsonl")
	mustRun(t, exitOK, "plan", "simulate", "--policy", "plan", "--seed", "1", "--events-out", events, smallPow, smallWl)
	nbDir := filepath.Join(dir, "nb")
	mustRun(t, exitOK, "generate", "--netbox", nbDir, "--racks", "3", "--seed", "1")
	report := filepath.Join(dir, "report")

	const jsonRef, capacity, store, measure = "json.md", "capacity.md", "store.md", "measurements.md"
	small := []string{smallPow, smallWl}
	cases := []struct {
		name  string
		pages []string
		args  []string
		files []string // files the command writes, checked too
	}{
		{"show", []string{jsonRef}, []string{"show", smallPow, smallWl}, nil},
		{"power load", []string{jsonRef}, []string{"power", "load", incident}, nil},
		{"power load typical", []string{jsonRef}, []string{"power", "load", "--basis", "typical", smallPow, smallWl}, nil},
		{"power failover --all", []string{jsonRef}, append([]string{"power", "failover", "--all"}, small...), nil},
		{"power failover incident", []string{jsonRef}, []string{"power", "failover", incident}, nil},
		{"power failover --fail", []string{jsonRef}, append([]string{"power", "failover", "--fail", "main-a-row1"}, small...), nil},
		{"power failover psu", []string{jsonRef}, append([]string{"power", "failover", "--fail", "app-01/psu1"}, small...), nil},
		{"power headroom", []string{capacity}, append([]string{"power", "headroom", "--device-model", "poweredge-r640"}, small...), nil},
		{"power place", []string{capacity}, append([]string{"power", "place", "--add", "poweredge-r640=2"}, small...), nil},
		{"power balance", []string{capacity}, append([]string{"power", "balance", "--imbalance", "5"}, small...), nil},
		{"plan restart", []string{jsonRef}, append([]string{"plan", "restart"}, small...), nil},
		{"plan simulate", []string{jsonRef}, append([]string{"plan", "simulate", "--policy", "stale", "--seed", "1"}, small...), nil},
		{"plan compare", []string{jsonRef}, append([]string{"plan", "compare", "--seed", "1"}, small...), nil},
		{"estimate plan", []string{jsonRef}, append([]string{"estimate", "plan", "--runs", "3"}, small...), nil},
		{"estimate live", []string{jsonRef}, append([]string{"estimate", "live", "--events", events, "--at", "100"}, small...), nil},
		{"estimate live --history", []string{jsonRef}, append([]string{"estimate", "live", "--events", events, "--history"}, small...), nil},
		{"estimate evaluate", []string{"evaluate.md"}, append([]string{"estimate", "evaluate", "--runs", "3", "--replays", "2"}, small...), nil},
		{"estimate evaluate --speeds-known", []string{"evaluate.md"}, append([]string{"estimate", "evaluate", "--runs", "2", "--replays", "2", "--speeds-known"}, small...), nil},
		{"report", []string{jsonRef, capacity, "evaluate.md"}, append([]string{"report", "-o", report, "--events", events}, small...),
			[]string{"headroom.json", "risk.json", "cascade.json", "flow.json", "gantt.json", "recovery.json", "eta.json", "accuracy.json"}},
		// diff's analysis carries power failover's summaries (json.md).
		{"diff", []string{store, jsonRef}, []string{"diff", "--old", smallPow, "--old", smallWl, "--new", incident}, nil},
		{"db log", []string{store}, []string{"db", "log", "--model", "small-dc"}, nil},
		{"db models", []string{store}, []string{"db", "models"}, nil},
		{"measure import", []string{measure}, []string{"measure", "import", "--model", "small-dc", smallReadings, smallPDU}, nil},
		{"power gap", []string{measure}, []string{"power", "gap", "--model", "small-dc"}, nil},
		{"power failover measured", []string{jsonRef, measure}, []string{"power", "failover", "--model", "small-dc", "--basis", "measured"}, nil},
		{"measure prune", []string{measure, jsonRef}, []string{"measure", "prune", "--model", "small-dc"}, nil},
		{"db check", []string{store, jsonRef}, []string{"db", "check"}, nil},
		{"token list", []string{"api.md"}, []string{"token", "list"}, nil},
		{"import netbox", []string{"netbox.md"}, []string{"import", "netbox", "--from", nbDir, "-o", filepath.Join(dir, "nb.toml")}, []string{"nb.netbox.json"}},
	}
	for _, c := range cases {
		named := docNames(t, c.pages...)
		args := c.args
		if c.name != "report" { // the report writes its JSON files, no --format
			args = append(args, "--format", "json")
		}
		code, out, errOut := runCLI(t, args...)
		if code != exitOK && code != exitRisk {
			t.Errorf("%s: exit %d\n%s", c.name, code, errOut)
			continue
		}
		outputs := map[string][]byte{"stdout": []byte(out)}
		for _, f := range c.files {
			p := filepath.Join(report, f)
			if c.name == "import netbox" {
				p = filepath.Join(dir, f)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			outputs[f] = b
		}
		for name, b := range outputs {
			if name == "stdout" && c.name == "report" {
				continue // the report prints what it wrote, as text
			}
			missing := map[string]string{}
			keys := 0
			if jsonKeys(t, b, func(k, path string) {
				keys++
				if !named[k] {
					missing[k] = path
				}
			}) == 0 || keys == 0 {
				t.Errorf("%s: %s: no JSON keys", c.name, name)
			}
			for k, path := range missing {
				t.Errorf("%s --format json: %s: field %q (at %s) is not named in docs/%s", c.name, name, k, path, strings.Join(c.pages, ", docs/"))
			}
		}
	}
}
