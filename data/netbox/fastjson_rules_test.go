package netbox

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// fastPanelsPage is a power-panels page in NetBox's shape that the
// one-pass reader must take whole: escapes in a name, UTF-8, a custom
// field holding every kind of JSON value (negative, fractional and
// exponent numbers, every escape), a site repeated on every panel.
const fastPanelsPage = `{"count": 3, "next": null, "previous": null, "results": [
 {"id": 1, "url": "u1", "name": "Panel \"A\" \/ 1", "site": {"id": 1, "name": "Lab 1", "slug": "lab-1"}, "location": null,
  "custom_fields": {"n": [0, -1, 2.5, -0.5e-3, 1E+2, 10e3, true, false, null, "\b\f\n\r\t\\\u00e9\u00FF", {}, [], {"deep": [[{"x": "y"}]]}]}},
 {"id": 2, "url": "u2", "name": "Sälen", "site": {"id": 1, "name": "Lab 1", "slug": "lab-1"}},
 {"id": 3, "url": "u3", "name": "P3", "site": {"id": 1, "name": "Lab 1", "slug": "lab-1"}, "comments": ""}
]}`

// TestFastReaderAccepts: the one-pass reader takes a NetBox page whole
// (it gives up only on what it must not guess, and a reader that gave up
// more often would pass every other test, only slower), shares one copy
// of a string repeated in nested objects (its intern table), gives up on
// every truncation of the page without panicking, on a key that differs
// from a known one only in case, on invalid UTF-8, on a page without
// count or results or with text after it, sizes its slice by count only
// when the page can hold that many, and nests 9,000 levels deep but not 9,001.
func TestFastReaderAccepts(t *testing.T) {
	count, next, ps, err := fastPage([]byte(fastPanelsPage), panelKeys, fastPanel)
	if err != nil || count != 3 || next != nil || len(ps) != 3 {
		t.Fatalf("fastPage: %d panels of %d, next %v, %v; want 3 of 3, no next, nil", len(ps), count, next, err)
	}
	if ps[0].Name != `Panel "A" / 1` || ps[1].Name != "Sälen" || ps[2].ID != 3 || ps[2].URL != "u3" || *ps[2].Site != (Ref{ID: 1, Name: "Lab 1", Slug: "lab-1"}) {
		t.Errorf("panels %+v %+v %+v", ps[0], ps[1], ps[2])
	}
	if unsafe.StringData(ps[1].Site.Name) != unsafe.StringData(ps[2].Site.Name) || unsafe.StringData(ps[1].Site.Slug) != unsafe.StringData(ps[2].Site.Slug) {
		t.Error("the site's name and slug, the same on every panel, are not one copy (the intern table)")
	}
	// Results before count: the slice is sized without it.
	if _, _, ps, err := fastPage([]byte(`{"results": [{"id": 7, "name": "P7"}], "count": 1, "next": null}`), panelKeys, fastPanel); err != nil || len(ps) != 1 || ps[0].ID != 7 {
		t.Errorf("results before count: %+v, %v", ps, err)
	}
	for i := range len(fastPanelsPage) {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("the page cut at byte %d: panic %v", i, r)
				}
			}()
			cut := []byte(fastPanelsPage[:i])
			cut = cut[:i:i] // no spare capacity: a read past the end panics, as it would at the end of a buffer
			if _, _, _, err := fastPage(cut, panelKeys, fastPanel); !errors.Is(err, errGiveUp) {
				t.Fatalf("the page cut at byte %d: %v, want errGiveUp", i, err)
			}
		}()
	}
	// \u escapes in a skipped value with every bound of the hex digits'
	// ranges (0 9 a f A F): passed over, not given up on.
	if _, _, ps, err := fastPage([]byte(`{"count": 1, "next": null, "results": [{"id": 1, "name": "P", "comments": "\u00af\u00AF\u0009"}]}`), panelKeys, fastPanel); err != nil || len(ps) != 1 || ps[0].Name != "P" {
		t.Errorf("\\u escapes of 0, 9, a, f, A, F in a skipped string: %+v, %v; want the panel read", ps, err)
	}
	for name, page := range map[string]string{
		"a key in another case": `{"count": 1, "next": null, "results": [{"id": 1, "NAME": "P1"}]}`,
		"invalid UTF-8":         "{\"count\": 1, \"next\": null, \"results\": [{\"id\": 1, \"name\": \"P\xff\"}]}",
		"no count":              `{"next": null, "results": [{"id": 1}]}`,
		"no results":            `{"count": 0, "next": null}`,
		"text after":            `{"count": 0, "next": null, "results": []} x`,
		"one level too deep":    `{"count": 1, "next": null, "results": [{"id": 1, "x": ` + strings.Repeat("[", 9002) + strings.Repeat("]", 9002) + `}]}`,
	} {
		if _, _, _, err := fastPage([]byte(page), panelKeys, fastPanel); !errors.Is(err, errGiveUp) {
			t.Errorf("%s: %v, want errGiveUp", name, err)
		}
	}
	// A count no slice can hold is not taken as the slice's size.
	if _, _, ps, err := fastPage([]byte(`{"count": 9000000000000000, "next": null, "results": []}`), panelKeys, fastPanel); err != nil || len(ps) != 0 {
		t.Errorf("a count of 9e15 and no results: %v", err)
	}
	deep := fmt.Sprintf(`{"count": 1, "next": null, "results": [{"id": 1, "x": %s%s}]}`, strings.Repeat("[", 9001), strings.Repeat("]", 9001))
	if _, _, ps, err := fastPage([]byte(deep), panelKeys, fastPanel); err != nil || len(ps) != 1 {
		t.Errorf("9,001 nested arrays (the innermost at depth 9,000): %v", err)
	}
}
