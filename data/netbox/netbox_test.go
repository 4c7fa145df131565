package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"blackstart/power"
)

const (
	demoDir    = "../../../shared/data/netbox-demo/demo-v4.2"
	libraryDir = "../../../shared/data/netbox-demo/devicetype-library"
	cabledDir  = "testdata/cabled"
)

func readDirs(t testing.TB, dirs ...string) *Inventory {
	t.Helper()
	var invs []*Inventory
	for _, d := range dirs {
		inv, err := ReadDir(d)
		if err != nil {
			t.Fatalf("ReadDir(%s): %v", d, err)
		}
		invs = append(invs, inv)
	}
	inv, err := Merge(invs...)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	return inv
}

func importJudged(t testing.TB, inv *Inventory, o Options) *Result {
	t.Helper()
	res, err := Import(inv, o)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if _, err := res.Judge("import.toml"); err != nil {
		t.Fatalf("the imported model does not load: %v\n%s", err, res.Model)
	}
	return res
}

// needDemo fails when the public demo data is not beside the repository
// (../shared/data/netbox-demo: NetBox's demo data in the API's shape and
// four device types of the public device-type library).
func needDemo(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(demoDir); err != nil {
		t.Fatalf("the NetBox demo data is read at test time from ../shared/data/netbox-demo beside the repository: %v", err)
	}
}

// checkDemo asserts, by hand, what the public demo data holds: 4 panels,
// 48 single-phase feeds of 220 V × 20 A × 80 % = 3,520 VA, none cabled, 40
// racks, none of which can be judged.
func checkDemo(t *testing.T, res *Result) {
	t.Helper()
	rep := res.Report
	want := map[string][2]int{"power-panels": {4, 4}, "power-feeds": {48, 48}, "racks": {40, 40}, "power-ports": {75, 62}, "cables": {26, 26}} // the 13 skipped PDUs' inlets are not imported
	for _, c := range rep.Counts {
		if w, ok := want[c.Endpoint]; ok && (c.Read != w[0] || c.Imported != w[1]) {
			t.Errorf("%s: read %d, imported %d; want %d, %d", c.Endpoint, c.Read, c.Imported, w[0], w[1])
		}
	}
	if len(rep.Feeds) != 48 {
		t.Fatalf("%d feeds, want 48", len(rep.Feeds))
	}
	for _, f := range rep.Feeds {
		if f.VoltageV != 220 || f.AmperageA != 20 || f.MaxUtilizationPct != 80 || f.Phases != 1 || f.AvailablePowerVA != 3520 || f.ContinuousLimitA != 16 || f.Cabled {
			t.Errorf("feed %s: %g V %g A %g %% %d-phase, %g VA available, %g A continuous, cabled %v; want 220 V 20 A 80 %% 1-phase, 3520 VA, 16 A, uncabled",
				f.Feed, f.VoltageV, f.AmperageA, f.MaxUtilizationPct, f.Phases, f.AvailablePowerVA, f.ContinuousLimitA, f.Cabled)
		}
	}
	if len(rep.UncabledFeeds) != 48 || !strings.Contains(rep.UncabledFeeds[0].Reason, "no cable") {
		t.Errorf("%d uncabled feeds (%v), want all 48, 'no cable'", len(rep.UncabledFeeds), rep.UncabledFeeds[:min(1, len(rep.UncabledFeeds))])
	}
	if len(rep.Racks) != 40 || rep.CannotJudgeRacks != 40 {
		t.Errorf("%d racks, %d cannot be judged; want 40 and 40", len(rep.Racks), rep.CannotJudgeRacks)
	}
	for _, r := range rep.Racks {
		if r.Verdict != "cannot-judge" || len(r.CannotJudge) == 0 {
			t.Errorf("rack %s: verdict %s (%q), want cannot-judge with reasons", r.ID, r.Verdict, r.CannotJudge)
		}
		if r.ID == "r101" && (r.Feeds != 2 || r.AvailablePowerVA != 7040 || r.NetBoxUtilizationPct != 0) {
			t.Errorf("rack r101: %d feeds, %g VA, %g %%; want 2, 7040 VA, 0 %% (NetBox shows it empty)", r.Feeds, r.AvailablePowerVA, r.NetBoxUtilizationPct)
		}
	}
	found := false
	for _, u := range rep.UnfedPSUs {
		if u.Object == `device "ncsu-coreswitch1" PSU0` && u.Reason == "no cable" {
			found = true
		}
	}
	if !found {
		t.Errorf("the report does not say that ncsu-coreswitch1 PSU0 has no cable: %v", rep.UnfedPSUs)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf, 0); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"feeds with no cable (48)", `power feed "P1-1A" (rack "R101"): no cable`, "40 of 40 racks cannot be judged", "3520 VA"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("the text report does not say %q", s)
		}
	}
}

func TestDemoFromFiles(t *testing.T) {
	needDemo(t)
	res := importJudged(t, readDirs(t, demoDir, libraryDir), Options{})
	checkDemo(t, res)
	// The library's C9200-48P (PS-1, PS-2 of 740 W) merges with the demo's
	// type of the same slug: the demo's switches have one undrawn port.
	mm := 0
	for _, f := range res.Report.TemplateMismatch {
		if strings.Contains(f.Reason, `device type "c9200-48p": port "Power Port" has no template; template "PS-1" has no port; template "PS-2" has no port`) {
			mm++
		}
	}
	if mm != 13 {
		t.Errorf("%d C9200-48P switches reported as disagreeing with their templates, want 13: %v", mm, res.Report.TemplateMismatch)
	}
	// The mapping ties every id to its NetBox object.
	byID := map[string]MapEntry{}
	for _, e := range res.Mapping.Elements {
		byID[e.ID] = e
	}
	if e := byID["p1-1a"]; e.Object != "dcim.powerfeed" || e.NetBoxID != 1 || e.URL != "http://netbox.local/api/dcim/power-feeds/1/" {
		t.Errorf("mapping of p1-1a: %+v", e)
	}
	if e := byID["r101"]; e.Object != "dcim.rack" || e.NetBoxID != 14 {
		t.Errorf("mapping of r101: %+v", e)
	}
}

// serve serves the saved responses of dirs the way NetBox does: pages of
// ?limit=&offset= with next links, 403 without the token.
func serve(t *testing.T, token string, pageLimit int, dirs ...string) *httptest.Server {
	t.Helper()
	pages := map[string][]json.RawMessage{}
	for _, ep := range endpoints {
		for _, d := range dirs {
			data, err := os.ReadFile(filepath.Join(d, ep+".json"))
			if err != nil {
				continue
			}
			p, err := ReadPage(ep, data)
			if err != nil {
				t.Fatal(err)
			}
			pages[ep] = append(pages[ep], p.Results...)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token "+token {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"detail":"Invalid token"}`)
			return
		}
		ep := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/dcim/"), "/")
		all, ok := pages[ep]
		if !ok {
			all = []json.RawMessage{}
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > pageLimit {
			limit = pageLimit
		}
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		end := min(off+limit, len(all))
		var next any
		if end < len(all) {
			next = fmt.Sprintf("http://%s/api/dcim/%s/?limit=%d&offset=%d", r.Host, ep, limit, end)
		}
		json.NewEncoder(w).Encode(map[string]any{"count": len(all), "next": next, "previous": nil, "results": all[min(off, len(all)):end]})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDemoFromServer(t *testing.T) {
	needDemo(t)
	srv := serve(t, "s3cret", 7, demoDir, libraryDir)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want 127.0.0.1", srv.URL)
	}
	inv, err := (&Client{BaseURL: srv.URL, Token: "s3cret", Timeout: 10 * time.Second, PageSize: 5}).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res := importJudged(t, inv, Options{})
	checkDemo(t, res)
	// Same model as from the files, but for the header naming the source.
	files := importJudged(t, readDirs(t, demoDir, libraryDir), Options{})
	body := func(b []byte) []byte { return b[bytes.IndexByte(b, '\n'):] }
	if !bytes.Equal(body(res.Model), body(files.Model)) {
		t.Errorf("the model read over HTTP differs from the one read from files")
	}
	// A wrong token is a clear error.
	_, err = (&Client{BaseURL: srv.URL, Token: "wrong"}).Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "403 Forbidden: Invalid token (check the token") {
		t.Errorf("wrong token: got %v", err)
	}
}

// The cabled variant: rack R1 has twelve servers whose ports give 150 W
// allocated and five GPU boxes with only maximum_draw = 700 W, which
// NetBox's utilization counts as nothing. NetBox: each feed carries
// 12 × 150 = 1,800 W of 230 × 16 × 0.8 = 2,944 VA, 61.1 %, green.
// blackstart: 12 × 150 + 5 × 700 = 5,300 W; each side 2,650 W /
// (230 V × 0.95) = 12.128 A; losing a side puts 24.256 A = 1.516 In on the
// other, past IEC 60898-1's 1.45 In: it trips.
func TestCabledRackNetBoxCallsSafe(t *testing.T) {
	res := importJudged(t, readDirs(t, cabledDir), Options{})
	rep := res.Report
	feeds := map[string]FeedFigures{}
	for _, f := range rep.Feeds {
		feeds[f.ID] = f
	}
	for _, id := range []string{"a-1", "b-1"} {
		f := feeds[id]
		if f.AvailablePowerVA != 2944 || f.AllocatedW != 1800 || f.NetBoxUtilizationPct != 61.1 {
			t.Errorf("%s: NetBox %g VA, %g W, %g %%; want 2944 VA, 1800 W, 61.1 %%", id, f.AvailablePowerVA, f.AllocatedW, f.NetBoxUtilizationPct)
		}
		if math.Abs(f.NormalA-2650/(230*0.95)) > 0.001 || math.Abs(f.FailoverA-5300/(230*0.95)) > 0.001 || f.FailoverVerdict != "trip" {
			t.Errorf("%s: normal %g A, failover %g A (%s); want 12.128, 24.256, trip", id, f.NormalA, f.FailoverA, f.FailoverVerdict)
		}
	}
	if f := feeds["c-1"]; f.AvailablePowerVA != 8868 || f.Phases != 3 {
		t.Errorf("c-1: %g VA, %d-phase; want 400 × 16 × 0.8 × 1.732 = 8868 VA, three-phase", f.AvailablePowerVA, f.Phases)
	}
	if r := rep.Racks[0]; r.ID != "r1" || r.NetBoxUtilizationPct != 61.1 || r.Verdict != "trip" || len(r.CannotJudge) != 0 {
		t.Errorf("worst rack %+v, want r1 at NetBox 61.1 %% and trip", r)
	}
	if rep.CannotJudgeRacks != 0 || len(rep.UncabledFeeds) != 0 || len(rep.UnfedPSUs) != 0 {
		t.Errorf("cabled inventory: %d racks cannot be judged, %d uncabled feeds, %d unfed PSUs; want none", rep.CannotJudgeRacks, len(rep.UncabledFeeds), len(rep.UnfedPSUs))
	}
	if len(rep.TemplateMismatch) != 1 || !strings.Contains(rep.TemplateMismatch[0].Reason, `port "PSU" has no template`) {
		t.Errorf("template mismatches %v, want srv-r2-3's port PSU", rep.TemplateMismatch)
	}
	// The leg outlets of r2-pdu are lines of the three-phase feed.
	for _, s := range []string{"id = \"r2-pdu-l1\"\nname = \"r2-pdu leg A\"\ninput = \"r2-pdu\"\nline = \"L1\"", "feeds = [\"r2-pdu-l3\"]"} {
		if !bytes.Contains(res.Model, []byte(s)) {
			t.Errorf("model lacks %q", s)
		}
	}
	// The sweep agrees: losing a side of r1 trips the other.
	m, _ := res.Judge("import.toml")
	sw := power.NewNetwork(m, power.BasisConservative).Sweep(power.SweepOptions{})
	if sw.Summary.TripScenarios == 0 || !strings.Contains(strings.Join(sw.Summary.DarkRackIDs, ","), "r1") {
		t.Errorf("sweep: %s", sw.Summary.Headline)
	}
}

// An overlay gives the breakers, the UPS above the panels, the bank
// breakers and the PSU redundancy; nothing is defaulted any more for them.
func TestOverlay(t *testing.T) {
	ov, err := ParseOverlay("overlay.toml", []byte(`
[defaults]
power_factor = 1
standard = "iec60947-2"
[[panel]]
name = "Panel A"
input = "ups-a"
[[feed]]
name = "B-1"
standard = "ul489"
[[pdu]]
name = "r2-pdu"
bank_rating_a = 16
bank = { standard = "iec60898", curve = "B" }
[[device_type]]
slug = "gpu-2u"
psus_required = 2
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(readDirs(t, cabledDir), Options{Overlay: ov})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"id = \"panel-a\"\nname = \"Panel A\"\ninput = \"ups-a\"", "id = \"brk-b-1\"\nname = \"B-1\"\ninput = \"panel-b\"\nstandard = \"ul489\"",
		"id = \"brk-c-1\"\nname = \"C-1\"\ninput = \"panel-c\"\nstandard = \"iec60947-2\"", "  [[rack_pdu.bank]]\n  id = \"r2-pdu-l1\"\n  line = \"L1\"\n  rating_a = 16\n  standard = \"iec60898\"\n  curve = \"B\"",
		"psus = 2\npsus_required = 2\nnameplate_w = 700"} {
		if !bytes.Contains(res.Model, []byte(s)) {
			t.Errorf("model lacks %q", s)
		}
	}
	for _, d := range res.Report.Defaults {
		if d.Setting == "power_factor" || d.Setting == "feed breaker standard" || d.Setting == "PDU bank breaker" {
			t.Errorf("default %q still applied with the overlay", d.Setting)
		}
	}
	if strings.Join(res.Report.UpstreamElements, ",") != "ups-a" {
		t.Errorf("upstream elements %v, want ups-a", res.Report.UpstreamElements)
	}
	// Without the upstream file the model does not load; with it, it does.
	if _, err := res.Judge("import.toml"); err == nil || !strings.Contains(err.Error(), `"ups-a" is not defined`) {
		t.Errorf("without the upstream file: %v", err)
	}
	if _, err := ParseOverlay("bad.toml", []byte("[defaults]\nstandrd = \"ul489\"\n")); err == nil || !strings.Contains(err.Error(), `bad.toml:2:1: unknown key "defaults.standrd"`) {
		t.Errorf("a misspelt overlay key: %v", err)
	}
	// Each unknown key at its line and column, as a model file's: in an
	// array of tables, the second of two, a quoted key, an unknown table
	// (a key in a multi-line string is no key).
	src := "x = \"\"\"\n[defaults]\nfoo = 1\n\"\"\"\n[defaults]\n  \"powr\" = 2\n[[panel]]\nname = \"a\"\n[[panel]]\nname = \"b\"\nrating = 3\n[defaultz]\n"
	_, err = ParseOverlay("o.toml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("unknown keys: %v", err)
	}
	got := map[string]bool{}
	for _, e := range list {
		got[e.Error()] = true
	}
	for _, w := range []string{`o.toml:1:1: unknown key "x"`, `o.toml:6:3: unknown key "defaults.powr"`, `o.toml:11:1: unknown key "panel.rating"`, `o.toml:12:1: unknown key "defaultz"`} {
		if !got[w] {
			t.Errorf("unknown keys: %v; want %s", err, w)
		}
	}
}

// Importing the same responses twice gives the same bytes.
func TestRoundTrip(t *testing.T) {
	for _, dirs := range [][]string{{cabledDir}, {demoDir, libraryDir}} {
		if dirs[0] == demoDir {
			needDemo(t)
		}
		a := importJudged(t, readDirs(t, dirs...), Options{})
		b := importJudged(t, readDirs(t, dirs...), Options{})
		ja, _ := json.Marshal(a.Mapping)
		jb, _ := json.Marshal(b.Mapping)
		if !bytes.Equal(a.Model, b.Model) || !bytes.Equal(ja, jb) {
			t.Errorf("%v: two imports differ", dirs)
		}
	}
}

// writeDir writes responses (endpoint -> JSON text) into a temporary folder.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	d := t.TempDir()
	for ep, s := range files {
		if err := os.WriteFile(filepath.Join(d, ep+".json"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// list wraps one object as a complete list response.
func list(results string) string {
	n := 1
	return fmt.Sprintf(`{"count": %d, "next": null, "previous": null, "results": [%s]}`, n, results)
}

func TestMalformed(t *testing.T) {
	panel := `{"id": 1, "name": "P", "site": {"id": 1, "name": "S", "slug": "s"}}`
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"not JSON", map[string]string{"power-panels": `{"count": 1, "results": [`}, "power-panels.json:1:"},
		{"not a list", map[string]string{"power-panels": `[1, 2]`}, `a NetBox list response is an object`},
		{"missing field", map[string]string{"power-panels": list(panel), "power-feeds": list(`{"id": 7, "name": "F", "power_panel": {"id": 1}, "phase": {"value": "single-phase"}, "voltage": 230, "max_utilization": 80}`)},
			`power-feeds.json:1:58: power-feeds results[0] (id 7): missing "amperage"`},
		{"wrong type", map[string]string{"power-panels": list(panel), "power-feeds": list(`{"id": 7, "name": "F", "power_panel": {"id": 1}, "phase": {"value": "single-phase"}, "voltage": "230", "amperage": 16, "max_utilization": 80}`)},
			`(id 7): field "voltage" is a JSON string, want a number`},
		{"cable to an unknown object", map[string]string{"power-panels": list(panel), "cables": list(`{"id": 9, "a_terminations": [{"object_type": "dcim.powerport", "object_id": 5}], "b_terminations": [{"object_type": "dcim.powerfeed", "object_id": 6}]}`)},
			`cable 9: a_terminations[0] is dcim.powerport 5, which is not in the inventory`},
		{"partial file", map[string]string{"power-panels": `{"count": 2, "next": "http://x/api/dcim/power-panels/?offset=1", "results": [` + panel + `]}`}, "holds 1 of 2 objects"},
		{"duplicate id", map[string]string{"power-panels": `{"count": 2, "next": null, "results": [` + panel + `, ` + panel + `]}`}, "power-panels id 1 given twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := writeDir(t, c.files)
			inv, err := ReadDir(d)
			if err == nil {
				_, err = Import(inv, Options{})
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// Two folders that disagree about one object, or two device types of one
// slug that are different types, are an error naming both.
func TestMergeCollision(t *testing.T) {
	a := writeDir(t, map[string]string{"device-types": list(`{"id": 1, "model": "X1", "slug": "x1", "manufacturer": {"id": 1, "slug": "acme"}}`)})
	b := writeDir(t, map[string]string{"device-types": list(`{"id": 1, "model": "X1 rev 2", "slug": "x1", "manufacturer": {"id": 1, "slug": "acme"}}`)})
	c := writeDir(t, map[string]string{"device-types": list(`{"id": 2, "model": "Y", "slug": "x1", "manufacturer": {"id": 2, "slug": "other"}}`)})
	for _, pair := range [][2]string{{a, b}, {a, c}} {
		ia, err := ReadDir(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		ib, err := ReadDir(pair[1])
		if err != nil {
			t.Fatal(err)
		}
		_, err = Merge(ia, ib)
		if err == nil || !strings.Contains(err.Error(), pair[0]) {
			t.Errorf("merging %s and %s: %v, want a collision naming both", pair[0], pair[1], err)
		}
	}
}

// Pagination that never ends, or that loops, stops with an error.
func TestPagesThatNeverEnd(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
	}{
		{"empty page with next", `{"count": 5, "next": "NEXT?again=NUM", "results": []}`, "the pages never end"},
		{"loop", `{"count": 500, "next": "NEXT", "results": [{"id": 1, "name": "P", "site": {"id": 1, "slug": "s"}}]}`, "the pages loop"},
		{"count exceeded", `{"count": 1, "next": "NEXT?more=NUM", "results": [{"id": NUM, "name": "P", "site": {"id": 1, "slug": "s"}}]}`, "more than the count of 1"},
		{"elsewhere", `{"count": 5, "next": "http://example.com/api/dcim/power-panels/?offset=1", "results": [{"id": 1, "name": "P", "site": {"id": 1, "slug": "s"}}]}`, "not followed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n++
				next := "http://" + r.Host + r.URL.Path
				body := strings.ReplaceAll(strings.ReplaceAll(c.body, "NEXT", next), "NUM", strconv.Itoa(n))
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			_, err := (&Client{BaseURL: srv.URL, Token: "t"}).Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
			if n > 10 {
				t.Errorf("%d requests before stopping", n)
			}
		})
	}
}

// A server that does not answer within the timeout is a clear error.
func TestTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	_, err := (&Client{BaseURL: srv.URL, Token: "t", Timeout: 50 * time.Millisecond}).Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GET timed out (50ms)") || !strings.Contains(err.Error(), "/api/dcim/power-panels/?limit=1000") {
		t.Errorf("got %v, want a timeout naming the URL", err)
	}
}

// The overlay example in docs/netbox.md parses and names every key.
func TestDocsOverlay(t *testing.T) {
	doc, err := os.ReadFile("../../docs/netbox.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "```toml\n")
	if i < 0 {
		t.Fatal("docs/netbox.md has no ```toml block")
	}
	block := text[i+len("```toml\n"):]
	block = block[:strings.Index(block, "```")]
	ov, err := ParseOverlay("docs/netbox.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Panels) != 1 || len(ov.Feeds) != 1 || len(ov.PDUs) != 1 || len(ov.DeviceTypes) != 1 || ov.Defaults.PortDraw == nil || ov.PDUs[0].BankBreaker.Standard == nil {
		t.Errorf("docs overlay decoded as %+v", ov)
	}
	for _, key := range []string{"power_factor", "frequency_hz", "standard", "curve", "instantaneous_x", "port_draw", "leg_connection",
		"input", "line", "rating_a", "bank_rating_a", "bank", "psus_required", "psu_rating_w", "typical_w"} {
		if !strings.Contains(block, key+" =") {
			t.Errorf("docs overlay does not show %q", key)
		}
	}
}

// Statuses and supplies NetBox records change what is imported, and the
// report says so.
func TestStatusesAndSkips(t *testing.T) {
	inv := readDirs(t, cabledDir)
	f := func(v float64) *float64 { return &v }
	inv.Feeds[1].Status = &Choice{Value: "offline"} // B-1
	inv.Feeds = append(inv.Feeds,
		Feed{ID: 90, Name: "P-1", PowerPanel: &IDRef{ID: 1}, Status: &Choice{Value: "planned"}, Phase: &Choice{Value: "single-phase"}, Voltage: f(230), Amperage: f(16), MaxUtilization: f(80)},
		Feed{ID: 91, Name: "DC-1", PowerPanel: &IDRef{ID: 1}, Supply: &Choice{Value: "dc"}, Phase: &Choice{Value: "single-phase"}, Voltage: f(-48), Amperage: f(16), MaxUtilization: f(80)},
		Feed{ID: 92, Name: "X-1", PowerPanel: &IDRef{ID: 1}, Phase: &Choice{Value: "three-phase"}, Voltage: f(400), Amperage: f(16), MaxUtilization: f(80)})
	inv.Devices[5].Rack = nil // srv-04 (id 6)
	res := importJudged(t, inv, Options{})
	rep := res.Report
	var lines []string
	for _, f := range rep.Skipped {
		lines = append(lines, f.Object+": "+f.Reason)
	}
	text := strings.Join(append(lines, rep.Warnings...), "\n")
	for _, s := range []string{`power feed "P-1": planned (--include-planned imports it)`, `power feed "DC-1": DC supply`,
		`power feed "X-1": 400 V three-phase, but feed "A-1" of the same panel is 230 V single-phase`,
		`device "srv-04": not in a rack`, `power feed "B-1" is offline in NetBox: imported as live (power failover --fail brk-b-1 shows it lost)`} {
		if !strings.Contains(text, s) {
			t.Errorf("report does not say %q:\n%s", s, text)
		}
	}
	res = importJudged(t, inv, Options{IncludePlanned: true})
	if !bytes.Contains(res.Model, []byte("id = \"p-1\"\nname = \"P-1\"")) {
		t.Error("--include-planned did not import the planned feed")
	}
}

// A PDU with two inlets on two feeds is two rack PDUs, each with the
// outlets NetBox says its inlet feeds; an outlet of an uncabled inlet
// feeds nothing.
func TestTwoInletPDU(t *testing.T) {
	inv := readDirs(t, cabledDir)
	f := func(v float64) *float64 { return &v }
	inv.Feeds = append(inv.Feeds, Feed{ID: 80, URL: "u", Name: "A-2", PowerPanel: &IDRef{ID: 1}, Rack: &IDRef{ID: 1}, Status: &Choice{Value: "active"},
		Phase: &Choice{Value: "single-phase"}, Voltage: f(230), Amperage: f(16), MaxUtilization: f(80)})
	inv.Ports = append(inv.Ports, Port{ID: 500, Device: &IDRef{ID: 1}, Name: "Input 2"}, Port{ID: 501, Device: &IDRef{ID: 1}, Name: "Input 3"})
	inv.Cables = append(inv.Cables, Cable{ID: 900, Status: &Choice{Value: "connected"},
		A: []Termination{{"dcim.powerport", 500}}, B: []Termination{{"dcim.powerfeed", 80}}})
	// r1-pdu-a is device 1, its outlets 1..17; the GPU boxes' PSU0 sit on
	// outlets 13..17: move 13..16 to Input 2 and 17 to the uncabled Input 3.
	for i := range inv.Outlets {
		switch o := &inv.Outlets[i]; {
		case o.ID >= 13 && o.ID <= 16:
			o.PowerPort = &IDRef{ID: 500}
		case o.ID == 17:
			o.PowerPort = &IDRef{ID: 501}
		}
	}
	res := importJudged(t, inv, Options{})
	for _, s := range []string{"id = \"r1-pdu-a-input\"\nname = \"r1-pdu-a\"\nrack = \"r1\"\ninput = \"a-1\"",
		"id = \"r1-pdu-a-input-2\"\nname = \"r1-pdu-a\"\nrack = \"r1\"\ninput = \"a-2\"",
		"id = \"gpu-01\"\nrack = \"r1\"\nmodel = \"gpu-2u\"\nrole = \"server\"\nfeeds = [\"r1-pdu-a-input-2\", \"r1-pdu-b\"]",
		"id = \"gpu-05\"\nrack = \"r1\"\nmodel = \"gpu-2u\"\nrole = \"server\"\nfeeds = [\"\", \"r1-pdu-b\"]",
		"id = \"srv-01\"\nrack = \"r1\"\nmodel = \"srv-1u\"\nrole = \"server\"\nfeeds = [\"r1-pdu-a-input\", \"r1-pdu-b\"]"} {
		if !bytes.Contains(res.Model, []byte(s)) {
			t.Errorf("model lacks %q", s)
		}
	}
	// Every outlet names an inlet: no unit for outlets naming none, so no
	// PDU of the plain id and no dual-input switch default.
	if bytes.Contains(res.Model, []byte("id = \"r1-pdu-a\"\n")) {
		t.Error("model holds a unit r1-pdu-a for outlets that name no inlet, though every outlet names one")
	}
	for _, d := range res.Report.Defaults {
		if d.Setting == "dual-input PDU switch" {
			t.Errorf("default %q used, but no outlet switches between inlets", d.Setting)
		}
	}
	found := false
	for _, u := range res.Report.UnfedPSUs {
		found = found || u.Object == `device "gpu-05" PSU0` && strings.Contains(u.Reason, `its inlet "Input 3" is not cabled to a feed`)
	}
	if !found {
		t.Errorf("unfed PSUs %v, want gpu-05 PSU0 behind the uncabled Input 3", res.Report.UnfedPSUs)
	}
}

// v2 tokens go as Bearer; HTTP failures name the status and NetBox's
// detail.
func TestHTTPStatusAndTokens(t *testing.T) {
	var auth string
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if status != http.StatusOK {
			w.WriteHeader(status)
			fmt.Fprint(w, `{"detail": "Not found."}`)
			return
		}
		fmt.Fprint(w, `{"count": 0, "next": null, "results": []}`)
	}))
	defer srv.Close()
	if _, err := (&Client{BaseURL: srv.URL, Token: "nbt_abc.def"}).Fetch(context.Background()); err != nil || auth != "Bearer nbt_abc.def" {
		t.Errorf("v2 token: %v, Authorization %q", err, auth)
	}
	if _, err := (&Client{BaseURL: srv.URL + "/", Token: "0123abcd"}).Fetch(context.Background()); err != nil || auth != "Token 0123abcd" {
		t.Errorf("v1 token: %v, Authorization %q", err, auth)
	}
	status = http.StatusNotFound
	_, err := (&Client{BaseURL: srv.URL, Token: "t"}).Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/api/dcim/power-panels/?limit=1000: HTTP 404 Not Found: Not found. (is --url the NetBox root, and the API v4?)") {
		t.Errorf("404: %v", err)
	}
	if _, err := (&Client{BaseURL: "ftp://x", Token: "t"}).Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "--url must be an http(s) URL") {
		t.Errorf("bad URL: %v", err)
	}
}

// A response with thousands of bad objects gives the first hundred
// problems and a count of the rest, quickly.
func TestManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"count": 5000, "next": null, "results": [`)
	for i := 0; i < 5000; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"id": %d, "name": "P"}`, i+1)
	}
	b.WriteString("]}")
	d := writeDir(t, map[string]string{"power-panels": b.String()})
	_, err := ReadDir(d)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 101 || !strings.Contains(list[100].Msg, "… and 4900 more problems") ||
		!strings.Contains(list[99].Error(), `power-panels.json:100:1: power-panels results[99] (id 100): missing "site"`) {
		t.Errorf("got %d problems, last %v", len(list), list[len(list)-1])
	}
}

// Fetch reports each page read: the objects read rise to the objects the
// endpoints announced, and the last call has read them all.
func TestFetchProgress(t *testing.T) {
	needDemo(t)
	srv := serve(t, "s3cret", 7, demoDir, libraryDir)
	var calls [][2]int
	_, err := (&Client{BaseURL: srv.URL, Token: "s3cret", Timeout: 10 * time.Second, PageSize: 5,
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }}).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < len(endpoints) {
		t.Fatalf("%d progress calls, want one per page (at least %d)", len(calls), len(endpoints))
	}
	for i, c := range calls {
		if c[0] > c[1] || i > 0 && (c[0] < calls[i-1][0] || c[1] < calls[i-1][1]) {
			t.Fatalf("call %d: %d of %d after %v; want counts that never fall, done <= total", i, c[0], c[1], calls[max(i-1, 0)])
		}
	}
	if last := calls[len(calls)-1]; last[0] != last[1] || last[0] < 10 {
		t.Errorf("last call %d of %d: want every announced object read", last[0], last[1])
	}
}
