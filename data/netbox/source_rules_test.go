package netbox

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReadPageRules: the slow reader of a list response takes a count of
// 0 (the bound is c < 0, not c <= 0) and of 2³¹ but not 2³¹ + 1, refuses
// a page without count (Count
// starts at -1, meaning "not given"), and names a top-level array as "an
// array"; its line index places the end of the data (offset = length) at
// the last line's column after its last byte, and nothing beyond it; a
// list of errors is one line per error, no blank line first.
func TestReadPageRules(t *testing.T) {
	p, err := ReadPage("p.json", []byte(`{"count": 0, "next": null, "previous": null, "results": []}`))
	if err != nil || p.Count != 0 || len(p.Results) != 0 {
		t.Errorf("count 0, no results: %+v, %v; want a page of 0", p, err)
	}
	// The largest count taken is 2³¹ (2,147,483,648); one more is refused.
	if p, err := ReadPage("p.json", []byte(`{"count": 2147483648, "next": null, "results": []}`)); err != nil || p.Count != 1<<31 {
		t.Errorf("count 2147483648: %v, want it taken", err)
	}
	if _, err := ReadPage("p.json", []byte(`{"count": 2147483649, "next": null, "results": []}`)); err == nil || !strings.Contains(err.Error(), "count must be a whole number >= 0, got 2147483649") {
		t.Errorf("count 2147483649: %v, want it refused", err)
	}
	if _, err := ReadPage("p.json", []byte(`{"next": null, "results": []}`)); err == nil || !strings.Contains(err.Error(), `no "count"`) {
		t.Errorf("no count: %v, want an error saying so", err)
	}
	if _, err := ReadPage("p.json", []byte(`[1]`)); err == nil || !strings.Contains(err.Error(), "got an array") {
		t.Errorf("a top-level array: %v, want \"got an array\"", err)
	}
	// "ab\ncd": offset 5 (the end) is line 2, column 3; 3 is line 2, column 1.
	l := newLines([]byte("ab\ncd"))
	for off, want := range map[int64][2]int{0: {1, 1}, 2: {1, 3}, 3: {2, 1}, 5: {2, 3}, 6: {0, 0}, -1: {0, 0}} {
		if ln, c := l.at(off); ln != want[0] || c != want[1] {
			t.Errorf("at(%d) = %d:%d, want %d:%d", off, ln, c, want[0], want[1])
		}
	}
	errs := ErrorList{{Source: "a.json", Msg: "one"}, {Source: "b.json", Line: 2, Col: 3, Msg: "two"}}
	if got, want := errs.Error(), "a.json: one\nb.json:2:3: two"; got != want {
		t.Errorf("ErrorList.Error() = %q, want %q", got, want)
	}
}

// TestSavedPageWithNext: a saved response that is one page of several
// (a next link, though it holds its count of objects) is refused by
// ReadDir, the one-pass reader included, naming the file and the link.
func TestSavedPageWithNext(t *testing.T) {
	d := writeDir(t, map[string]string{"power-panels": `{"count": 1, "next": "http://nb/api/dcim/power-panels/?offset=1", "previous": null, "results": [{"id": 1, "name": "P", "site": {"id": 1, "name": "S", "slug": "s"}}]}`})
	if _, err := ReadDir(d); err == nil || !strings.Contains(err.Error(), `power-panels.json: holds 1 of 1 objects (next: "http://nb/api/dcim/power-panels/?offset=1")`) {
		t.Errorf("a saved page with a next link: %v, want it refused", err)
	}
}

// TestDefaultTimeout: a Client without a timeout (0 or negative) waits 30
// s a request, the default docs/netbox.md gives; the timeout named in the
// error is that one. The request is cut after 100 ms by the context, so
// the test does not wait 30 s.
func TestDefaultTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	for _, timeout := range []time.Duration{0, -time.Second} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := (&Client{BaseURL: srv.URL, Token: "t", Timeout: timeout}).Fetch(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "GET timed out (30s)") {
			t.Errorf("Timeout %v: %v, want the default of 30 s named", timeout, err)
		}
	}
}

// TestMergeAliases: folders that hold one device type under two ids (the
// same slug, model and manufacturer) merge into the first folder's id:
// the second folder's power-port and power-outlet templates and devices
// move to it, an outlet template of the same name there is kept once,
// and a module's template (no device type) is kept as it is. The same
// slug and model under two manufacturers collide, naming both.
func TestMergeAliases(t *testing.T) {
	listN := func(objs ...string) string {
		return fmt.Sprintf(`{"count": %d, "next": null, "previous": null, "results": [%s]}`, len(objs), strings.Join(objs, ","))
	}
	site := `"site": {"id": 1, "name": "S", "slug": "s"}`
	a := writeDir(t, map[string]string{
		"device-types":           listN(`{"id": 1, "model": "X1", "slug": "x1", "manufacturer": {"id": 1, "slug": "acme"}}`),
		"power-outlet-templates": listN(`{"id": 60, "device_type": {"id": 1}, "name": "O1"}`),
		"devices":                listN(`{"id": 10, "device_type": {"id": 1}, ` + site + `}`),
	})
	b := writeDir(t, map[string]string{
		"device-types":         listN(`{"id": 7, "model": "X1", "slug": "x1", "manufacturer": {"id": 1, "slug": "acme"}}`),
		"power-port-templates": listN(`{"id": 70, "device_type": {"id": 7}, "name": "PSU1", "maximum_draw": 500}`),
		"power-outlet-templates": listN(`{"id": 71, "device_type": {"id": 7}, "name": "O1"}`, `{"id": 72, "device_type": {"id": 7}, "name": "O2"}`,
			`{"id": 73, "module_type": {"id": 3}, "name": "M1"}`),
		"devices": listN(`{"id": 11, "device_type": {"id": 7}, ` + site + `}`),
	})
	c := writeDir(t, map[string]string{
		"device-types": listN(`{"id": 8, "model": "X1", "slug": "x1", "manufacturer": {"id": 2, "slug": "other"}}`),
	})
	read := func(d string) *Inventory {
		inv, err := ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	inv, err := Merge(read(a), read(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.DeviceTypes) != 1 || inv.DeviceTypes[0].ID != 1 {
		t.Errorf("device types %+v, want the one of id 1", inv.DeviceTypes)
	}
	if len(inv.PortTemplates) != 1 || inv.PortTemplates[0].DeviceType.ID != 1 {
		t.Errorf("port templates %+v, want PSU1 on device type 1", inv.PortTemplates)
	}
	var outlets []string
	for _, o := range inv.OutletTemplates {
		typ := "module"
		if o.DeviceType != nil {
			typ = fmt.Sprint(o.DeviceType.ID)
		}
		outlets = append(outlets, fmt.Sprintf("%d %s %s", o.ID, typ, o.Name))
	}
	if want := []string{"60 1 O1", "72 1 O2", "73 module M1"}; !slices.Equal(outlets, want) {
		t.Errorf("outlet templates %q, want %q", outlets, want)
	}
	for _, d := range inv.Devices {
		if d.DeviceType.ID != 1 {
			t.Errorf("device %d of device type %d, want 1", d.ID, d.DeviceType.ID)
		}
	}
	if _, err := Merge(read(a), read(c)); err == nil || !strings.Contains(err.Error(), "(acme X1)") || !strings.Contains(err.Error(), "(other X1)") {
		t.Errorf("one slug and model under two manufacturers: %v, want a collision naming acme and other", err)
	}
}

// TestOverlayIEC60898CurveC: a feed given standard iec60898 by the
// overlay without a curve gets curve C (docs/netbox.md); one given ul489
// gets no curve.
func TestOverlayIEC60898CurveC(t *testing.T) {
	ov, err := ParseOverlay("overlay.toml", []byte("[[feed]]\nname = \"A-1\"\nstandard = \"iec60898\"\n[[feed]]\nname = \"B-1\"\nstandard = \"ul489\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	res := importJudged(t, readDirs(t, cabledDir), Options{Overlay: ov})
	for s, want := range map[string]bool{
		"id = \"brk-a-1\"\nname = \"A-1\"\ninput = \"panel-a\"\nstandard = \"iec60898\"\ncurve = \"C\"\n": true,
		"id = \"brk-b-1\"\nname = \"B-1\"\ninput = \"panel-b\"\nstandard = \"ul489\"\n":                   true,
		"standard = \"ul489\"\ncurve": false,
	} {
		if strings.Contains(string(res.Model), s) != want {
			t.Errorf("model holds %q: %v, want %v", s, !want, want)
		}
	}
}

// TestFeedAtZeroVA: a cabled feed whose V × A × utilization rounds to 0
// VA (A-1 at 0.01 V: 0.01 × 16 × 80 % = 0.128 VA) has a NetBox
// utilization of 0 %, not the 1,800 W of its PDU over 0 VA.
func TestFeedAtZeroVA(t *testing.T) {
	inv := readDirs(t, cabledDir)
	for i := range inv.Feeds {
		if inv.Feeds[i].Name == "A-1" {
			v := 0.01
			inv.Feeds[i].Voltage = &v
		}
	}
	res, err := Import(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range res.Report.Feeds {
		if f.Feed == "A-1" {
			found = true
			if !f.Cabled || f.AllocatedW != 1800 || f.AvailablePowerVA != 0 || f.NetBoxUtilizationPct != 0 || math.IsNaN(f.NetBoxUtilizationPct) {
				t.Errorf("A-1: cabled %v, %g W allocated, %g VA, %g %%; want cabled, 1800 W, 0 VA, 0 %%", f.Cabled, f.AllocatedW, f.AvailablePowerVA, f.NetBoxUtilizationPct)
			}
		}
	}
	if !found {
		t.Error("feed A-1 not in the report")
	}
}

// TestDefaultsTwoValues: a setting defaulted to two values lists them in
// order: a feed at 208 V (on a panel of its own) beside the cabled site's
// 400 V ones takes UL 489,
// the others IEC 60898 curve C ("iec60898 curve C" before "ul489").
func TestDefaultsTwoValues(t *testing.T) {
	inv := readDirs(t, cabledDir)
	f := func(v float64) *float64 { return &v }
	inv.Panels = append(inv.Panels, Panel{ID: 10, Name: "P10", Site: &Ref{ID: 1, Name: "Lab", Slug: "lab"}})
	inv.Feeds = append(inv.Feeds, Feed{ID: 30, Name: "US-1", PowerPanel: &IDRef{ID: 10}, Phase: &Choice{Value: "single-phase"},
		Voltage: f(208), Amperage: f(20), MaxUtilization: f(80)})
	res, err := Import(inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, d := range res.Report.Defaults {
		if d.Setting == "feed breaker standard" {
			values = append(values, fmt.Sprintf("%s (%d)", d.Value, d.Elements))
		}
	}
	if want := []string{"iec60898 curve C (3)", "ul489 (1)"}; !slices.Equal(values, want) {
		t.Errorf("feed breaker standard defaults %q, want %q", values, want)
	}
}

// TestJudgeKeepsOrderOnTies: the racks' ranking (worst first) is stable:
// the demo's 40 racks, all cannot-judge, stay in the import's order.
func TestJudgeKeepsOrderOnTies(t *testing.T) {
	needDemo(t)
	res, err := Import(readDirs(t, demoDir, libraryDir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var before, after []string
	for _, r := range res.Report.Racks {
		before = append(before, r.ID)
	}
	if _, err := res.Judge("import.toml"); err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Report.Racks {
		after = append(after, r.ID)
		if r.Verdict != "cannot-judge" {
			t.Fatalf("rack %s: %s, want every rack cannot-judge", r.ID, r.Verdict)
		}
	}
	if len(after) != 40 || !slices.Equal(before, after) {
		t.Errorf("racks after judging %q, want the import's order %q", after, before)
	}
}
