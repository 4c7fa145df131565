package topology

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse. It must never panic, every error
// must be an ErrorList, and a model it accepts must keep the invariants the
// rest of blackstart relies on.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.toml")
	parts, _ := filepath.Glob("testdata/bad/*/*.toml") // files of multi-file cases
	seeds = append(seeds, parts...)
	seeds = append(seeds, "../examples/incident-2019.toml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(File{Name: "fuzz.toml", Data: data})
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("Parse error is %T, want ErrorList: %v", err, err)
			}
			if m != nil {
				t.Fatalf("Parse returned a model and an error: %v", err)
			}
			return
		}
		if err := m.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	})
}
