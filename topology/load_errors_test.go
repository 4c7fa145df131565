package topology

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden .err files of testdata/bad")

// badCase is one malformed model under testdata/bad: a NAME.toml file, or a
// NAME directory whose .toml files are loaded together. NAME.err beside it
// holds the exact ErrorList text the loader must return.
type badCase struct {
	name  string
	paths []string
}

func badCases(t *testing.T) []badCase {
	t.Helper()
	const dir = "testdata/bad"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	var cases []badCase
	for _, e := range entries {
		p := filepath.ToSlash(filepath.Join(dir, e.Name()))
		switch {
		case e.IsDir():
			paths, err := filepath.Glob(filepath.Join(p, "*.toml"))
			if err != nil || len(paths) == 0 {
				t.Fatalf("directory case %s holds no .toml file (%v)", p, err)
			}
			sort.Strings(paths)
			for i := range paths {
				paths[i] = filepath.ToSlash(paths[i])
			}
			cases = append(cases, badCase{name: e.Name(), paths: paths})
		case strings.HasSuffix(e.Name(), ".toml"):
			cases = append(cases, badCase{name: strings.TrimSuffix(e.Name(), ".toml"), paths: []string{p}})
		}
	}
	if len(cases) == 0 {
		t.Fatalf("no case in %s", dir)
	}
	return cases
}

// TestLoadErrors loads every malformed model of testdata/bad and compares
// the full error text with the golden NAME.err file. Run with -update to
// rewrite the golden files after checking the new text by hand.
func TestLoadErrors(t *testing.T) {
	for _, c := range badCases(t) {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(c.paths...)
			if err == nil {
				t.Fatalf("Load(%q) = model with %d elements, nil error; want an error", c.paths, len(m.Elements))
			}
			if m != nil {
				t.Errorf("Load(%q) returned a model along with the error", c.paths)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Load(%q) error is %T, want topology.ErrorList", c.paths, err)
			}
			for _, e := range list {
				if e.Pos.Line <= 0 || e.Pos.Col <= 0 {
					t.Errorf("error without a position: %q", e.Error())
				}
			}
			if !sortedUnique(list) {
				t.Errorf("errors are not sorted or hold duplicates:\n%s", list.Error())
			}

			got := list.Error() + "\n"
			golden := filepath.Join("testdata/bad", c.name+".err")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file: %v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("Load(%q) errors:\ngot:\n%s\nwant (%s):\n%s", c.paths, got, golden, want)
			}

			// Loading again yields the same text: the output is stable.
			_, err2 := Load(c.paths...)
			if err2 == nil || err2.Error()+"\n" != got {
				t.Errorf("second Load(%q) gave a different result:\ngot:\n%v\nwant:\n%s", c.paths, err2, got)
			}
		})
	}
}

// sortedUnique reports whether the list is in the order of ErrorList.Sort
// and holds no line twice.
func sortedUnique(l ErrorList) bool {
	for i := 1; i < len(l); i++ {
		a, b := l[i-1], l[i]
		if a.Error() == b.Error() {
			return false
		}
		if a.Pos.File != b.Pos.File {
			if a.Pos.File > b.Pos.File {
				return false
			}
			continue
		}
		if a.Pos.Line > b.Pos.Line || a.Pos.Line == b.Pos.Line && a.Pos.Col > b.Pos.Col {
			return false
		}
	}
	return true
}

// TestParseSameAsLoad checks that Parse on in-memory files reports what Load
// reports for the files on disk, for the multi-file cases.
func TestParseSameAsLoad(t *testing.T) {
	for _, c := range badCases(t) {
		if len(c.paths) < 2 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			files := make([]File, len(c.paths))
			for i, p := range c.paths {
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				files[i] = File{Name: p, Data: data}
			}
			_, perr := Parse(files...)
			_, lerr := Load(c.paths...)
			if perr == nil || lerr == nil || perr.Error() != lerr.Error() {
				t.Errorf("Parse errors:\n%v\nLoad errors:\n%v", perr, lerr)
			}
		})
	}
}

// TestLoadExample checks that the example model loads: the bad cases are
// only meaningful if the valid model they were cut from passes.
func TestLoadExample(t *testing.T) {
	m, err := Load("../examples/incident-2019.toml")
	if err != nil {
		t.Fatalf("Load(incident-2019.toml): %v", err)
	}
	if got, want := len(m.Devices), 20; got != want {
		t.Errorf("devices: got %d, want %d", got, want)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Error(err)
	}
}

// TestUnreadableFile checks the one error that has no line: a file that
// cannot be read.
func TestUnreadableFile(t *testing.T) {
	_, err := Load("testdata/bad/does-not-exist.toml")
	want := "testdata/bad/does-not-exist.toml: cannot read model: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("Load(missing file): got %v, want %q", err, want)
	}
}
