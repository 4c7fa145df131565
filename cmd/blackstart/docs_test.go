package main

import (
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
