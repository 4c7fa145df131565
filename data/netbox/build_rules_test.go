package netbox

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSlugAndNamer pins the model's id-making by hand: slug keeps a–z,
// 0–9, '.' and '_' (the ends of each range included) and makes every
// other run one '-', never a leading or trailing one; the namer prefixes
// a name used twice with its site, and adds kind and NetBox id when that
// is still ambiguous; unique counts on from base-2.
func TestSlugAndNamer(t *testing.T) {
	for in, want := range map[string]string{
		"az09":        "az09",
		"A.b_Z":       "a.b_z",
		"--Rack A/1 ": "rack-a-1",
		"é9":          "9",
		"r0":          "r0",
		"":            "",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}

	n := newNamer()
	n.want("rack", 1, "R1", "Lab")     // R1 twice, two sites: lab-r1, hall-r1
	n.want("rack", 2, "R1", "Hall")    //
	n.want("device", 3, "web", "Lab")  // web twice in one site: kind and id added
	n.want("device", 4, "web", "Lab")  //
	n.want("device", 5, "Lab DB", "x") // lab-db, its own name: kept
	n.want("device", 6, "db", "Lab")   // db twice → lab-db, taken by device 5's own name
	n.want("device", 7, "db", "Lab 2") // lab-2-db
	n.want("device", 8, "", "Lab")     // no name: device-8
	n.want("device", 9, "solo", "Lab") // once: its slug
	n.assign()
	for k, want := range map[nameKey]string{
		{"rack", 1}: "lab-r1", {"rack", 2}: "hall-r1",
		{"device", 3}: "lab-web-device3", {"device", 4}: "lab-web-device4",
		{"device", 5}: "lab-db", {"device", 6}: "lab-db-device6", {"device", 7}: "lab-2-db",
		{"device", 8}: "device-8", {"device", 9}: "solo",
	} {
		if got := n.id(k.kind, k.id); got != want {
			t.Errorf("%s %d: id %q, want %q", k.kind, k.id, got, want)
		}
	}
	n.reserve("brk")
	for _, want := range []string{"brk-2", "brk-3", "solo-2", "x"} {
		base := strings.TrimSuffix(strings.TrimSuffix(want, "-2"), "-3")
		if got := n.unique(base); got != want {
			t.Errorf("unique(%q) = %q, want %q", base, got, want)
		}
	}
}

// TestReportHelpers pins dedupe (sorted runs made one), contains and
// nilToEmpty (nil lists made empty, given ones kept).
func TestReportHelpers(t *testing.T) {
	if got := dedupe([]string{"a", "a", "b", "c", "c", "c"}); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("dedupe = %q, want [a b c]", got)
	}
	if !contains([]string{"x", "y"}, "y") || contains([]string{"x", "y"}, "z") {
		t.Error("contains: y is in [x y], z is not")
	}
	r := Report{Defaults: []Default{{Setting: "s"}}, Warnings: []string{"w"}}
	nilToEmpty(&r)
	if len(r.Defaults) != 1 || len(r.Warnings) != 1 || r.Feeds == nil || r.Racks == nil || r.Skipped == nil || r.UnfedPSUs == nil {
		t.Errorf("nilToEmpty: %+v", r)
	}
	var e Report
	nilToEmpty(&e)
	if e.Defaults == nil || e.Warnings == nil || e.DevicesWithoutPSU == nil {
		t.Errorf("nilToEmpty left nil lists: %+v", e)
	}
}

var sectionID = regexp.MustCompile(`(?m)^\[\[(\w+)\]\]\nid = "([^"]*)"`)

// sections lists the model's [[kind]] ids in order, "kind:id".
func sections(model []byte) string {
	var l []string
	for _, m := range sectionID.FindAllSubmatch(model, -1) {
		l = append(l, string(m[1])+":"+string(m[2]))
	}
	return strings.Join(l, " ")
}

// reverseInventory reverses every list NetBox returned, so that an
// order that holds must come from the importer's own sorting by id.
func reverseInventory(inv *Inventory) {
	slices.Reverse(inv.Panels)
	slices.Reverse(inv.Feeds)
	slices.Reverse(inv.Racks)
	slices.Reverse(inv.Devices)
	slices.Reverse(inv.DeviceTypes)
	slices.Reverse(inv.Ports)
	slices.Reverse(inv.Outlets)
	slices.Reverse(inv.PortTemplates)
	slices.Reverse(inv.Cables)
}

// TestImportOrder: testdata/cabled (panels A, B, C with one feed each;
// rack R1 with PDUs A and B on A-1 and B-1, twelve 1U servers srv-01…12 of
// 150 W allocated and five GPU boxes of 700 W; rack R2 with a three-phase
// PDU on C-1 and three servers of 400 W) read with every list reversed
// imports in NetBox id order all the same: the model's sections, the
// mapping (sorted by blackstart id) and the report's defaults (sorted by
// setting), each with the count of elements using it.
func TestImportOrder(t *testing.T) {
	inv := readDirs(t, cabledDir)
	reverseInventory(inv)
	res := importJudged(t, inv, Options{})
	want := "source:src-panel-a panel:panel-a breaker:brk-a-1 circuit:a-1 " +
		"source:src-panel-b panel:panel-b breaker:brk-b-1 circuit:b-1 " +
		"source:src-panel-c panel:panel-c breaker:brk-c-1 circuit:c-1 " +
		"rack:r1 rack:r2 rack_pdu:r1-pdu-a rack_pdu:r1-pdu-b rack_pdu:r2-pdu " +
		"circuit:r2-pdu-l1 circuit:r2-pdu-l2 circuit:r2-pdu-l3 " +
		"device_model:srv-1u device_model:gpu-2u device_model:srv-r2 " +
		"device:srv-01 device:srv-02 device:srv-03 device:srv-04 device:srv-05 device:srv-06 device:srv-07 device:srv-08 " +
		"device:srv-09 device:srv-10 device:srv-11 device:srv-12 device:gpu-01 device:gpu-02 device:gpu-03 device:gpu-04 device:gpu-05 " +
		"device:srv-r2-1 device:srv-r2-2 device:srv-r2-3"
	if got := sections(res.Model); got != want {
		t.Errorf("model sections\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(string(res.Model), "[site]\nname = \"lab\"\n") {
		t.Errorf("the model's site is not the one site imported, lab:\n%.200s", res.Model)
	}
	var ids []string
	for _, e := range res.Mapping.Elements {
		ids = append(ids, e.ID)
	}
	if !slices.IsSorted(ids) || len(ids) != 43 || ids[0] != "a-1" || ids[42] != "srv-r2-3" {
		t.Errorf("mapping ids %q: want 43, sorted, a-1 … srv-r2-3", ids)
	}
	var defs []string
	for _, d := range res.Report.Defaults {
		defs = append(defs, fmt.Sprintf("%s=%d", d.Setting, d.Elements))
	}
	// 3 feeds (breaker, frequency, panels' sources, PDUs' inputs and
	// banks), one three-phase PDU, 20 devices, 2 device models of two PSUs.
	wantDefs := "PDU bank breaker=3 PDU input rating=3 feed breaker standard=3 feed leg connection=1 port draw reading=20 " +
		"power_factor=20 psus_required=2 site frequency_hz=3 source above each panel=3"
	if got := strings.Join(defs, " "); got != wantDefs {
		t.Errorf("defaults %s\nwant %s", got, wantDefs)
	}
	for _, d := range res.Report.Defaults {
		if d.Setting == "port draw reading" && !strings.HasPrefix(d.Value, "device: the whole device's draw, on every port") {
			t.Errorf("port draw reading %q, want device's", d.Value)
		}
	}
	if h := res.Report.Headline; !strings.HasPrefix(h, "3 feeds (0 uncabled), 2 racks, 3 PDUs, 20 devices; 0 PSUs") {
		t.Errorf("headline %q", h)
	}
	for _, s := range []string{"id = \"srv-1u\"\nmanufacturer = \"Acme\"\npsus = 2\nallocated_w = 150\n\n",
		"id = \"gpu-2u\"\nmanufacturer = \"Acme\"\npsus = 2\nnameplate_w = 700\n\n"} {
		if !strings.Contains(string(res.Model), s) {
			t.Errorf("model lacks %q", s)
		}
	}

	// Every server offline: no device, so no port draw reading is used.
	for i := range inv.Devices {
		if d := &inv.Devices[i]; d.Role != nil && d.Role.Slug == "server" {
			d.Status = &Choice{Value: "offline"}
		}
	}
	res = importJudged(t, inv, Options{})
	for _, d := range res.Report.Defaults {
		if d.Setting == "port draw reading" {
			t.Errorf("no device imported, yet the default %q is used by %d", d.Setting, d.Elements)
		}
	}
}

// TestSiteFilter: with --site, a rack or panel is kept when its site's
// slug or name is the one asked for; the model's site is that name, and
// without --site the one site imported (lab); an unknown site is an error
// listing the sites there are.
func TestSiteFilter(t *testing.T) {
	inv := readDirs(t, cabledDir)
	other := &Ref{ID: 2, Name: "Other", Slug: "other"}
	for i := range inv.Racks {
		if inv.Racks[i].Name == "R2" {
			inv.Racks[i].Site = other
		}
	}
	for i := range inv.Devices { // NetBox keeps a device in its rack's site
		if d := &inv.Devices[i]; d.Rack != nil && d.Rack.ID == 2 {
			d.Site = other
		}
	}
	for i := range inv.Panels {
		if inv.Panels[i].Name == "Panel C" {
			inv.Panels[i].Site = other
		}
	}
	for _, c := range []struct{ site, name, sections string }{
		{"Lab", "Lab", "panel:panel-a panel:panel-b rack:r1 rack_pdu:r1-pdu-a rack_pdu:r1-pdu-b"},
		{"other", "other", "panel:panel-c rack:r2 rack_pdu:r2-pdu"},
		{"", "netbox", "panel:panel-a panel:panel-b panel:panel-c rack:r1 rack:r2 rack_pdu:r1-pdu-a rack_pdu:r1-pdu-b rack_pdu:r2-pdu"},
	} {
		res := importJudged(t, inv, Options{Site: c.site})
		var l []string
		for _, s := range strings.Fields(sections(res.Model)) {
			if k, _, _ := strings.Cut(s, ":"); k == "panel" || k == "rack" || k == "rack_pdu" {
				l = append(l, s)
			}
		}
		if got := strings.Join(l, " "); got != c.sections {
			t.Errorf("site %q: %s, want %s", c.site, got, c.sections)
		}
		if want := "[site]\nname = \"" + c.name + "\"\n"; !strings.Contains(string(res.Model), want) {
			t.Errorf("site %q: the model's site is not %q:\n%.200s", c.site, c.name, res.Model)
		}
	}
	_, err := Import(inv, Options{Site: "nowhere"})
	if want := `no rack or power panel in site "nowhere"; sites: lab, other`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("site nowhere: %v, want %q", err, want)
	}
}

// TestFeedFigureChecks: a feed of 0 A or at a max_utilization of 0 % or
// above 100 % is skipped as impossible, one at 100 % imported; a
// three-phase feed at 220, 230 or 240 V is warned about as likely
// line-to-neutral, one at 400 V (C-1) not; ports without a draw figure
// are listed and their device's draw unknown, a zero figure counting as
// none.
func TestFeedFigureChecks(t *testing.T) {
	inv := readDirs(t, cabledDir)
	f := func(v float64) *float64 { return &v }
	lab := &Ref{ID: 1, Name: "Lab", Slug: "lab"}
	for i := 0; i < 4; i++ {
		inv.Panels = append(inv.Panels, Panel{ID: 10 + i, Name: fmt.Sprintf("P%d", 10+i), Site: lab})
	}
	single, three := &Choice{Value: "single-phase"}, &Choice{Value: "three-phase"}
	inv.Feeds = append(inv.Feeds,
		Feed{ID: 20, Name: "zero-A", PowerPanel: &IDRef{ID: 10}, Phase: single, Voltage: f(230), Amperage: f(0), MaxUtilization: f(80)},
		Feed{ID: 21, Name: "zero-util", PowerPanel: &IDRef{ID: 10}, Phase: single, Voltage: f(230), Amperage: f(16), MaxUtilization: f(0)},
		Feed{ID: 22, Name: "over-util", PowerPanel: &IDRef{ID: 10}, Phase: single, Voltage: f(230), Amperage: f(16), MaxUtilization: f(100.5)},
		Feed{ID: 23, Name: "full-util", PowerPanel: &IDRef{ID: 10}, Phase: single, Voltage: f(230), Amperage: f(16), MaxUtilization: f(100)},
		Feed{ID: 24, Name: "T220", PowerPanel: &IDRef{ID: 11}, Phase: three, Voltage: f(220), Amperage: f(16), MaxUtilization: f(80)},
		Feed{ID: 25, Name: "T230", PowerPanel: &IDRef{ID: 12}, Phase: three, Voltage: f(230), Amperage: f(16), MaxUtilization: f(80)},
		Feed{ID: 26, Name: "T240", PowerPanel: &IDRef{ID: 13}, Phase: three, Voltage: f(-240), Amperage: f(16), MaxUtilization: f(80)})
	byDevice := map[int]string{}
	for _, d := range inv.Devices {
		byDevice[d.ID] = nameOf(&d)
	}
	for i := range inv.Ports {
		switch p := &inv.Ports[i]; byDevice[p.Device.ID] {
		case "srv-r2-3": // nameplate only: made 0
			p.MaximumDraw = f(0)
		case "srv-12": // allocated only: made 0
			p.AllocatedDraw = f(0)
		}
	}
	res := importJudged(t, inv, Options{})
	rep := res.Report
	var skipped []string
	for _, s := range rep.Skipped {
		skipped = append(skipped, s.Object)
	}
	if got, want := strings.Join(skipped, ", "), `power feed "zero-A", power feed "zero-util", power feed "over-util"`; got != want {
		t.Errorf("skipped %s, want %s", got, want)
	}
	if !strings.Contains(string(res.Model), "[[circuit]]\nid = \"full-util\"") {
		t.Error("the feed at 100 % max_utilization was not imported")
	}
	var warned []string
	for _, w := range rep.Warnings {
		if name, ok := strings.CutPrefix(w, "three-phase power feed "); ok {
			warned = append(warned, strings.Fields(name)[0])
		}
	}
	if got, want := strings.Join(warned, " "), `"T220" "T230" "T240"`; got != want || len(rep.Warnings) != 3 {
		t.Errorf("warned about %s (%q), want %s and nothing else", got, rep.Warnings, want)
	}
	var noDraw []string
	for _, p := range rep.PortsWithoutDraw {
		noDraw = append(noDraw, p.Object)
	}
	if got, want := strings.Join(noDraw, ", "), `device "srv-12" PSU0, device "srv-12" PSU1, device "srv-r2-3" PSU`; got != want {
		t.Errorf("ports without draw: %s, want %s", got, want)
	}
	for _, s := range []string{"id = \"srv-1u~2psu-0-0\"\nmanufacturer = \"Acme\"\npsus = 2\ndraw_unknown = true\n",
		"id = \"srv-r2~1psu-0-0\"\nmanufacturer = \"Acme\"\npsus = 1\ndraw_unknown = true\n",
		"id = \"srv-12\"\nrack = \"r1\"\nmodel = \"srv-1u~2psu-0-0\""} {
		if !strings.Contains(string(res.Model), s) {
			t.Errorf("model lacks %q", s)
		}
	}
}

// TestPDUWithoutInlets: a PDU whose inlet has no cable is skipped as
// having no inlet cabled to a feed (r1-pdu-b, its cable to B-1 removed),
// one with outlets and no power port as such (r2-pdu, its inlet
// removed); a rack without feeds has no feeds line and no utilization;
// a panel without feeds takes no name (feed A-1 stays a-1).
func TestPDUWithoutInlets(t *testing.T) {
	inv := readDirs(t, cabledDir)
	gone := map[int]bool{}
	var ports []Port
	for _, p := range inv.Ports {
		if p.Device.ID == 20 { // r2-pdu
			gone[p.ID] = true
		} else {
			ports = append(ports, p)
		}
	}
	inv.Ports = ports
	for i := range inv.Outlets {
		if o := &inv.Outlets[i]; o.PowerPort != nil && gone[o.PowerPort.ID] {
			o.PowerPort = nil
		}
	}
	var cables []Cable
	for _, c := range inv.Cables {
		if c.ID != 2 && !(c.A[0].ObjectType == "dcim.powerport" && gone[c.A[0].ObjectID]) { // 2: r1-pdu-b's Input to B-1
			cables = append(cables, c)
		}
	}
	inv.Cables = cables
	inv.Panels = append(inv.Panels, Panel{ID: 40, Name: "A-1", Site: &Ref{ID: 1, Name: "Lab", Slug: "lab"}}) // no feeds: no name taken
	inv.Racks = append(inv.Racks, Rack{ID: 30, Name: "R30", Site: &Ref{ID: 1, Name: "Lab", Slug: "lab"}})
	res := importJudged(t, inv, Options{})
	var skipped []string
	for _, s := range res.Report.Skipped {
		skipped = append(skipped, s.Object+": "+s.Reason)
	}
	if got, want := strings.Join(skipped, "; "), `power panel "A-1": no feeds imported; device "r1-pdu-b" (PDU): no inlet cabled to a feed; device "r2-pdu" (PDU): outlets but no power port`; got != want {
		t.Errorf("skipped %s\nwant %s", got, want)
	}
	if !strings.Contains(string(res.Model), "[[rack]]\nid = \"r30\"\nroom = \"Lab\"\n\n[[") {
		t.Error("rack R30, without feeds, is not written with its room and no feeds")
	}
	if !strings.Contains(string(res.Model), "[[rack]]\nid = \"r1\"\nrow = \"Hall 1\"\nroom = \"Lab\"\nfeeds = [\"a-1\", \"b-1\"]\n") {
		t.Error("rack R1 is not written with its row, room and feeds")
	}
	for _, r := range res.Report.Racks {
		if r.Rack == "R30" && (r.Feeds != 0 || r.AvailablePowerVA != 0 || r.NetBoxUtilizationPct != 0) {
			t.Errorf("rack R30 without feeds: %+v", r)
		}
	}
}

// TestDanglingAndDataCables: a data cable (interface to interface) is
// read and not imported; a reference to an object not in the inventory is
// an error naming the file it was read from, or its endpoint when it was
// not read from a file.
func TestDanglingAndDataCables(t *testing.T) {
	inv := readDirs(t, cabledDir)
	inv.Cables = append(inv.Cables, Cable{ID: 100, Status: &Choice{Value: "connected"},
		A: []Termination{{"dcim.interface", 1}}, B: []Termination{{"dcim.interface", 2}}})
	// 16 power ports (srv-01, 14 added) are modelled, 17 (srv-02) not.
	for k := 2; k < 16; k++ {
		inv.Ports = append(inv.Ports, Port{ID: 1000 + k, Device: &IDRef{ID: 3}, Name: fmt.Sprintf("PSU%d", k)})
	}
	for k := 2; k < 17; k++ {
		inv.Ports = append(inv.Ports, Port{ID: 2000 + k, Device: &IDRef{ID: 4}, Name: fmt.Sprintf("PSU%d", k)})
	}
	res := importJudged(t, inv, Options{})
	if len(res.Report.Skipped) != 1 || res.Report.Skipped[0].Object != `device "srv-02"` || res.Report.Skipped[0].Reason != "17 power ports: blackstart models at most 16 PSUs" {
		t.Errorf("skipped %+v, want srv-02 alone, of 17 ports", res.Report.Skipped)
	}
	if !strings.Contains(string(res.Model), "id = \"srv-1u\"\nmanufacturer = \"Acme\"\npsus = 16\n") || !strings.Contains(string(res.Model), "id = \"srv-01\"\nrack = \"r1\"\nmodel = \"srv-1u\"") {
		t.Error("srv-01, of 16 power ports, is not modelled with 16 PSUs")
	}
	for _, c := range res.Report.Counts {
		if c.Endpoint == "cables" && (c.Read != 41 || c.Imported != 40) {
			t.Errorf("cables: %d read, %d imported; want 41 and 40 (the data cable not imported)", c.Read, c.Imported)
		}
	}

	inv = readDirs(t, cabledDir)
	inv.Outlets[0].PowerPort = &IDRef{ID: 999}
	f := func(v float64) *float64 { return &v }
	inv.Feeds = append(inv.Feeds, Feed{ID: 77, Name: "X", PowerPanel: &IDRef{ID: 99}, Phase: &Choice{Value: "single-phase"}, Voltage: f(230), Amperage: f(16), MaxUtilization: f(80)})
	_, err := Import(inv, Options{})
	var l ErrorList
	if !errors.As(err, &l) {
		t.Fatalf("dangling references: %v, want an ErrorList", err)
	}
	var got []string
	for _, e := range l {
		got = append(got, e.Source+": "+e.Msg)
	}
	want := []string{`power-feeds: power feed 77 "X": power_panel 99 is not among the power panels`,
		fmt.Sprintf(`testdata/cabled/power-outlets.json: power outlet %d %q: power_port 999 is not among the power ports`, inv.Outlets[0].ID, inv.Outlets[0].Name)}
	if !slices.Equal(got, want) {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
