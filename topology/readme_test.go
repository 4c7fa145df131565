package topology

import (
	"os"
	"strings"
	"testing"
)

// The README's annotated example documents the format: it must load, and
// use every key the loader knows.
func TestReadmeExampleLoads(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "```toml\n")
	if start < 0 {
		t.Fatal("README.md has no ```toml block")
	}
	block := text[start+len("```toml\n"):]
	block = block[:strings.Index(block, "```")]
	m, err := Parse(File{Name: "README.md", Data: []byte(block)})
	if err != nil {
		t.Fatalf("README example does not load:\n%v", err)
	}
	if len(m.Devices) != 21 || len(m.Services) != 9 {
		t.Errorf("README example: %d devices, %d services; want 21 and 9", len(m.Devices), len(m.Services))
	}
	// Every key of the format appears in the example (commented or not).
	for typ, fields := range fieldsOf {
		for key := range fields {
			if !strings.Contains(block, key+" =") && !strings.Contains(block, key+",") && !strings.Contains(block, "[["+key+"]]") &&
				!strings.Contains(block, "["+key+"]") && !strings.Contains(block, "."+key+"]]") && !strings.Contains(block, key+":") {
				t.Errorf("README example does not show key %q of %s", key, typ.Name())
			}
		}
	}
}
