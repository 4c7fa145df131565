package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFixture runs the whole runner on testdata/fixture/fix, whose mutants
// have known verdicts (see fix.go): one build, covering tests only.
func TestFixture(t *testing.T) {
	root, err := filepath.Abs("testdata/fixture")
	if err != nil {
		t.Fatal(err)
	}
	o := options{workers: 2, coef: 2, margin: 1500 * time.Millisecond, modRoot: root, logdir: t.TempDir()}
	res, err := runPackage(o, "fix")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range res.Mutants {
		got[r.Type+" at "+r.Pos()] = r
	}
	want := map[string]string{
		"ARITHMETIC_BASE at fix.go:6:35":        Killed,
		"CONDITIONALS_BOUNDARY at fix.go:11:7":  Lived,
		"CONDITIONALS_NEGATION at fix.go:11:7":  Killed,
		"CONDITIONALS_BOUNDARY at fix.go:20:16": Killed,
		"CONDITIONALS_NEGATION at fix.go:20:16": Killed,
		"INCREMENT_DECREMENT at fix.go:20:22":   TimedOut,
		"ARITHMETIC_BASE at fix.go:29:11":       Killed,
		"ARITHMETIC_BASE at fix.go:34:44":       NotViable,
		// Poly: (x+1)*(x-2) - -x, eight mutants (a minus makes two), nested
		// three deep.
		"ARITHMETIC_BASE at fix.go:37:33":       Killed,
		"ARITHMETIC_BASE at fix.go:37:36":       Killed,
		"INVERT_NEGATIVES at fix.go:37:39":      Killed,
		"ARITHMETIC_BASE at fix.go:37:39":       Killed,
		"INVERT_NEGATIVES at fix.go:37:43":      Killed,
		"ARITHMETIC_BASE at fix.go:37:43":       Killed,
		"INVERT_NEGATIVES at fix.go:37:45":      Killed,
		"ARITHMETIC_BASE at fix.go:37:45":       Killed,
		"INCREMENT_DECREMENT at fix.go:41:4":    Killed,
		"CONDITIONALS_BOUNDARY at fix.go:47:42": Lived,
		"CONDITIONALS_NEGATION at fix.go:47:42": Killed,
		"ARITHMETIC_BASE at fix.go:50:35":       NotCovered,
	}
	for k, w := range want {
		r, ok := got[k]
		if !ok {
			t.Errorf("%s: no such mutant", k)
			continue
		}
		if r.Status != w {
			t.Errorf("%s: %s, want %s", k, r.Status, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d mutants, want %d: %v", len(got), len(want), got)
	}
	// Only the array length and the string + take the slow path.
	for k, r := range got {
		slow := k == "ARITHMETIC_BASE at fix.go:29:11" || k == "ARITHMETIC_BASE at fix.go:34:44"
		if r.SlowPath != slow && r.Covered {
			t.Errorf("%s: slow path %v, want %v", k, r.SlowPath, slow)
		}
	}
	if res.SlowPath != 2 {
		t.Errorf("%d covered mutants on the slow path, want 2", res.SlowPath)
	}
	// Covering tests: Max's mutants meet TestMax alone.
	if r := got["CONDITIONALS_BOUNDARY at fix.go:11:7"]; len(r.Tests) != 1 || r.Tests[0] != "TestMax" {
		t.Errorf("Max's > is covered by %v, want [TestMax]", r.Tests)
	}
}

// TestBlockCovers pins gremlins' coverage rule on a block from 3.10 to
// 5.2.
func TestBlockCovers(t *testing.T) {
	b := block{3, 10, 5, 2}
	for _, c := range []struct {
		line, col int
		want      bool
	}{{3, 9, false}, {3, 10, true}, {3, 80, true}, {4, 1, true}, {5, 2, true}, {5, 3, false}, {2, 10, false}, {6, 1, false}} {
		if got := b.covers(c.line, c.col); got != c.want {
			t.Errorf("%d:%d covered %v, want %v", c.line, c.col, got, c.want)
		}
	}
	one := block{7, 4, 7, 9}
	if one.covers(7, 3) || !one.covers(7, 9) || one.covers(7, 10) {
		t.Error("single-line block 7.4,7.9")
	}
}

// TestPhases pins the split of a mutant's covering tests: the quickest
// within a quarter of their time first (here 1 + 2 s of 16 s), then the
// rest; a test that does not cover the mutant is in neither.
func TestPhases(t *testing.T) {
	all := []block{{1, 1, 9, 1}}
	c := &coverage{Tests: []*testCover{
		{Name: "TestSlow", Duration: 10 * time.Second, blocks: map[string][]block{"a.go": all}},
		{Name: "TestB", Duration: 2 * time.Second, blocks: map[string][]block{"a.go": all}},
		{Name: "TestOther", Duration: time.Second, blocks: map[string][]block{"b.go": all}},
		{Name: "TestC", Duration: 3 * time.Second, blocks: map[string][]block{"a.go": all}},
		{Name: "TestA", Duration: time.Second, blocks: map[string][]block{"a.go": all}},
	}}
	show := func(ps []phase) string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%v %s", p.names, p.d))
		}
		return strings.Join(out, "; ")
	}
	got := show(c.phases(&Mutant{File: "a.go", Line: 3, Col: 1}))
	if want := "[TestA TestB] 3s; [TestC TestSlow] 13s"; got != want {
		t.Errorf("phases %s, want %s", got, want)
	}
	if got := show(c.phases(&Mutant{File: "b.go", Line: 3, Col: 1})); got != "[TestOther] 1s" {
		t.Errorf("one test: phases %s, want [TestOther] 1s", got)
	}
}

// TestLinkBeside: a copy made in tmp/run finds the directory beside the
// module root that the tests read (../shared from the root) at the same
// relative path; nothing is linked when there is none.
func TestLinkBeside(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "mod")
	for _, d := range []string{mod, filepath.Join(root, "shared", "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "shared", "data", "x.csv"), []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := linkBeside(mod, tmp); err != nil {
		t.Fatal(err)
	}
	// A test of package p in the copy tmp/run reads ../../shared.
	b, err := os.ReadFile(filepath.Join(tmp, "run", "p", "..", "..", "shared", "data", "x.csv"))
	if err == nil && string(b) != "a,b\n" {
		err = fmt.Errorf("read %q", b)
	}
	if err != nil {
		// filepath.Join cleans the path: tmp/shared/data/x.csv, which the
		// link must provide.
		t.Errorf("the copy's ../shared: %v", err)
	}
	bare := t.TempDir()
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bare, "mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := linkBeside(filepath.Join(bare, "mod"), other); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(other, "shared")); !os.IsNotExist(err) {
		t.Errorf("no shared beside the module: want nothing linked, got %v", err)
	}
}
