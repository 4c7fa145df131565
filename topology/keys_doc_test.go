package topology

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestModelKeysDocumented: docs/model.md's "Keys" tables list exactly the
// keys the loader accepts, section by section, each with a unit and a
// default; the power elements' "kinds" column gives exactly the keys each
// kind accepts (keysFor). A key added to the loader without its row, or a
// row left for a key that is gone, fails here.
func TestModelKeysDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/model.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "\n## Keys\n")
	if start < 0 {
		t.Fatal("docs/model.md has no ## Keys section")
	}
	doc = doc[start:]
	if end := strings.Index(doc[1:], "\n## "); end >= 0 {
		doc = doc[:end+1]
	}
	sections := map[string]reflect.Type{
		"`[site]`":                          reflect.TypeOf(rawSite{}),
		"Power elements":                    reflect.TypeOf(rawElement{}),
		"`overload` steps (of a `[[ups]]`)": reflect.TypeOf(rawOverload{}),
		"`[[rack_pdu.bank]]`":               reflect.TypeOf(rawBank{}),
		"`[[rack]]`":                        reflect.TypeOf(rawRack{}),
		"`[[device_model]]`":                reflect.TypeOf(rawDeviceModel{}),
		"`[[device]]`":                      reflect.TypeOf(rawDevice{}),
		"`[[service]]`":                     reflect.TypeOf(rawService{}),
		"`start` (of a `[[service]]`)":      reflect.TypeOf(rawDist{}),
	}
	kinds := map[string]Kind{"source": KindSource, "ups": KindUPS, "panel": KindPanel, "breaker": KindBreaker,
		"circuit": KindCircuit, "ats": KindATS, "rack_pdu": KindRackPDU}
	if len(kinds) != len(keysFor) {
		t.Fatalf("the test knows %d element kinds, the loader %d", len(kinds), len(keysFor))
	}
	span := regexp.MustCompile("`([^`]+)`")
	found := map[reflect.Type]bool{}
	for _, part := range strings.Split(doc, "\n### ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		typ, ok := sections[strings.TrimSpace(title)]
		if !ok {
			t.Errorf("docs/model.md: section %q of ## Keys is not one the test knows", title)
			continue
		}
		found[typ] = true
		documented := map[string]bool{}
		perKind := map[Kind]map[string]bool{}
		for _, line := range strings.Split(body, "\n") {
			if !strings.HasPrefix(line, "| `") {
				continue
			}
			cells := strings.Split(strings.Trim(line, "|"), "|")
			want := 4
			if typ == reflect.TypeOf(rawElement{}) {
				want = 5
			}
			if len(cells) != want {
				t.Errorf("docs/model.md %s: row %q has %d cells, want %d", title, line, len(cells), want)
				continue
			}
			for _, c := range cells[len(cells)-3 : len(cells)-1] {
				if strings.TrimSpace(c) == "" {
					t.Errorf("docs/model.md %s: row %q gives no unit or no default", title, line)
				}
			}
			var keys []string
			for _, m := range span.FindAllStringSubmatch(cells[0], -1) {
				keys = append(keys, m[1])
			}
			for _, k := range keys {
				if documented[k] {
					t.Errorf("docs/model.md %s: key %q has two rows", title, k)
				}
				documented[k] = true
			}
			if want == 5 {
				names := strings.Split(strings.TrimSpace(cells[1]), ", ")
				if names[0] == "all" {
					names = names[:0]
					for n := range kinds {
						names = append(names, n)
					}
				}
				for _, n := range names {
					kind, ok := kinds[n]
					if !ok {
						t.Errorf("docs/model.md %s: row %q names kind %q", title, line, n)
						continue
					}
					if perKind[kind] == nil {
						perKind[kind] = map[string]bool{}
					}
					for _, k := range keys {
						perKind[kind][k] = true
					}
				}
			}
		}
		compareKeys(t, "docs/model.md "+title, documented, fieldsOf[typ])
		if typ == reflect.TypeOf(rawElement{}) {
			for n, kind := range kinds {
				accepted := map[string]int{}
				for k := range allowedKeys[kind] {
					accepted[k] = 0
				}
				compareKeys(t, "docs/model.md "+title+", kind "+n, perKind[kind], accepted)
			}
		}
	}
	for title, typ := range sections {
		if !found[typ] {
			t.Errorf("docs/model.md ## Keys has no section %s", title)
		}
	}
	// The tables themselves: every one the loader reads is named.
	for table := range fieldsOf[reflect.TypeOf(rawFile{})] {
		if !strings.Contains(doc, "[["+table+"]]") && !strings.Contains(doc, "["+table+"]") {
			t.Errorf("docs/model.md ## Keys does not name the table %q", table)
		}
	}
}

// compareKeys reports keys the doc gives that the loader does not accept, and
// keys the loader accepts that the doc does not give.
func compareKeys(t *testing.T, where string, doc map[string]bool, loader map[string]int) {
	t.Helper()
	var extra, missing []string
	for k := range doc {
		if _, ok := loader[k]; !ok {
			extra = append(extra, k)
		}
	}
	for k := range loader {
		if !doc[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	for _, k := range extra {
		t.Errorf("%s: key %q is documented but the loader does not accept it", where, k)
	}
	for _, k := range missing {
		t.Errorf("%s: the loader accepts key %q, which is not documented", where, k)
	}
}
