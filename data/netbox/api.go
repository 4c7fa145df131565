// Package netbox imports a NetBox (REST API v4) power inventory into a
// blackstart model: panels and feeds become sources, panels, breakers and
// circuits; racks, PDUs (devices with power outlets) and devices with their
// power ports and cables become racks, rack PDUs (with banks per feed leg)
// and devices. What NetBox does not know (breaker standards, UPSes, power
// factor, PSU redundancy) comes from an overlay or from defaults, every one
// of them listed in the import report; what the inventory leaves open
// (uncabled feeds and PSUs, ports without a draw) is written as such, so the
// analysis says "cannot-judge" instead of "ok".
//
// The responses are read from saved files (one per endpoint, as
// GET /api/dcim/<endpoint>/?limit=0 returns) or from a live NetBox over
// HTTP, following the pagination. This package is an edge: it reads files
// and the network; the model it writes is checked by topology and judged by
// power.
package netbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Endpoints are the /api/dcim/ endpoints the importer reads, in the order
// it reads them.
var endpoints = [...]string{
	"power-panels", "power-feeds", "racks", "devices", "device-types",
	"power-port-templates", "power-outlet-templates", "power-ports", "power-outlets", "cables",
}

// Endpoints returns the /api/dcim/ endpoints the importer reads.
func Endpoints() []string { return append([]string(nil), endpoints[:]...) }

// Ref is a nested object in brief form.
type Ref struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// IDRef is a nested object of which the import needs only the id (the
// rest is skipped, not decoded).
type IDRef struct {
	ID int `json:"id"`
}

// Choice is a NetBox choice field ({"value", "label"}); null when empty.
type Choice struct {
	Value string `json:"value"`
}

// value returns the choice's value, "" when null.
func (c *Choice) value() string {
	if c == nil {
		return ""
	}
	return c.Value
}

// Panel is a power panel: a name and a place, nothing electrical.
type Panel struct {
	ID       int    `json:"id"`
	URL      string `json:"url"`
	Name     string `json:"name"`
	Site     *Ref   `json:"site"`
	Location *Ref   `json:"location"`
}

// Feed is a power feed: one branch circuit out of a panel, to a rack.
type Feed struct {
	ID             int      `json:"id"`
	URL            string   `json:"url"`
	Name           string   `json:"name"`
	PowerPanel     *IDRef   `json:"power_panel"`
	Rack           *IDRef   `json:"rack"`
	Status         *Choice  `json:"status"`
	Type           *Choice  `json:"type"`   // primary or redundant: a label only
	Supply         *Choice  `json:"supply"` // ac or dc
	Phase          *Choice  `json:"phase"`  // single-phase or three-phase
	Voltage        *float64 `json:"voltage"`
	Amperage       *float64 `json:"amperage"`
	MaxUtilization *float64 `json:"max_utilization"` // percent of the amperage
	MarkConnected  bool     `json:"mark_connected"`
}

// Rack is a cabinet.
type Rack struct {
	ID       int     `json:"id"`
	URL      string  `json:"url"`
	Name     string  `json:"name"`
	Site     *Ref    `json:"site"`
	Location *Ref    `json:"location"`
	Status   *Choice `json:"status"`
}

// Device is a device: a load, or a PDU when it has power outlets.
type Device struct {
	ID         int     `json:"id"`
	URL        string  `json:"url"`
	Name       *string `json:"name"` // null for unnamed devices
	DeviceType *IDRef  `json:"device_type"`
	Role       *Ref    `json:"role"`
	Site       *Ref    `json:"site"`
	Rack       *IDRef  `json:"rack"`
	Status     *Choice `json:"status"`
}

// DeviceType is a device type (a catalogue entry).
type DeviceType struct {
	ID           int    `json:"id"`
	URL          string `json:"url"`
	Model        string `json:"model"`
	Slug         string `json:"slug"`
	Manufacturer *Ref   `json:"manufacturer"`
}

// PortTemplate is a power-port template of a device type (or module type).
type PortTemplate struct {
	ID            int      `json:"id"`
	DeviceType    *IDRef   `json:"device_type"`
	ModuleType    *IDRef   `json:"module_type"`
	Name          string   `json:"name"`
	MaximumDraw   *float64 `json:"maximum_draw"`   // W
	AllocatedDraw *float64 `json:"allocated_draw"` // W
}

// OutletTemplate is a power-outlet template of a device type.
type OutletTemplate struct {
	ID         int     `json:"id"`
	DeviceType *IDRef  `json:"device_type"`
	ModuleType *IDRef  `json:"module_type"`
	Name       string  `json:"name"`
	PowerPort  *IDRef  `json:"power_port"`
	FeedLeg    *Choice `json:"feed_leg"`
}

// Port is a power port of a device: a PSU inlet, or a PDU's inlet.
type Port struct {
	ID            int      `json:"id"`
	URL           string   `json:"url"`
	Device        *IDRef   `json:"device"`
	Name          string   `json:"name"`
	MaximumDraw   *float64 `json:"maximum_draw"`   // W
	AllocatedDraw *float64 `json:"allocated_draw"` // W
	MarkConnected bool     `json:"mark_connected"`
}

// Outlet is a power outlet of a device (a PDU).
type Outlet struct {
	ID        int     `json:"id"`
	URL       string  `json:"url"`
	Device    *IDRef  `json:"device"`
	Name      string  `json:"name"`
	PowerPort *IDRef  `json:"power_port"` // the inlet that feeds it
	FeedLeg   *Choice `json:"feed_leg"`   // A, B or C on a three-phase feed
}

// Termination is one end of a cable.
type Termination struct {
	ObjectType string `json:"object_type"` // dcim.powerport, dcim.poweroutlet, dcim.powerfeed, …
	ObjectID   int    `json:"object_id"`
}

// Cable joins its A terminations to its B terminations.
type Cable struct {
	ID     int           `json:"id"`
	URL    string        `json:"url"`
	A      []Termination `json:"a_terminations"`
	B      []Termination `json:"b_terminations"`
	Status *Choice       `json:"status"`
}

// Page is one response of a list endpoint.
type Page struct {
	Count   int               // objects the server says the list holds
	Next    string            // URL of the next page, "" on the last
	Results []json.RawMessage // the objects of this page
	// Offsets holds the byte offset of each result in the response, for
	// error positions.
	Offsets []int64
}

// Error is a problem in a response: where (file or URL, line:col when
// known) and what, naming the object.
type Error struct {
	Source string // file name or URL
	Line   int    // 1-based; 0 when unknown
	Col    int
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.Source, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Source, e.Msg)
}

// ErrorList is every problem found; it is an error when not empty.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// ErrBadInput marks every error caused by the input (a malformed response,
// an HTTP failure, a collision between folders): the command exits 2.
var ErrBadInput = errors.New("bad NetBox input")

// lineCol converts a byte offset of data into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	return newLines(data).at(off)
}

// lines finds the line and column of many offsets of one response: the
// newlines are indexed once, each offset found by binary search (a file
// with thousands of bad objects is not scanned once per object).
type lines struct {
	n     int64
	start []int64 // byte offset of each line's first byte
}

func newLines(data []byte) *lines {
	l := &lines{n: int64(len(data)), start: []int64{0}}
	for i, c := range data {
		if c == '\n' {
			l.start = append(l.start, int64(i)+1)
		}
	}
	return l
}

func (l *lines) at(off int64) (int, int) {
	if off < 0 || off > l.n {
		return 0, 0
	}
	k := sort.Search(len(l.start), func(i int) bool { return l.start[i] > off }) - 1
	return k + 1, int(off-l.start[k]) + 1
}

// ReadPage reads one list response: {"count", "next", "previous",
// "results": [...]}. source names it in errors.
func ReadPage(source string, data []byte) (*Page, error) {
	fail := func(off int64, format string, args ...any) error {
		l, c := lineCol(data, off)
		return &Error{Source: source, Line: l, Col: c, Msg: fmt.Sprintf(format, args...)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fail(dec.InputOffset(), "not JSON: %v", jsonMsg(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fail(0, "a NetBox list response is an object {\"count\", \"next\", \"results\"}, got %s", describeToken(tok))
	}
	p := &Page{Count: -1}
	seen := map[string]bool{}
	for dec.More() {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(dec.InputOffset(), "not JSON: %v", jsonMsg(err))
		}
		key, _ := tok.(string)
		seen[key] = true // a key given twice: the last one counts, as in encoding/json
		switch key {
		case "count":
			var n json.Number
			if err := dec.Decode(&n); err != nil {
				return nil, fail(off, "count must be a number: %v", jsonMsg(err))
			}
			c, err := n.Int64()
			if err != nil || c < 0 || c > 1<<31 {
				return nil, fail(off, "count must be a whole number >= 0, got %s", n)
			}
			p.Count = int(c)
		case "next":
			var s *string
			if err := dec.Decode(&s); err != nil {
				return nil, fail(off, "next must be a URL or null: %v", jsonMsg(err))
			}
			p.Next = ""
			if s != nil {
				p.Next = *s
			}
		case "results":
			t, err := dec.Token()
			if err != nil {
				return nil, fail(dec.InputOffset(), "not JSON: %v", jsonMsg(err))
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return nil, fail(off, "results must be an array, got %s", describeToken(t))
			}
			p.Results, p.Offsets = []json.RawMessage{}, nil
			for dec.More() {
				at := dec.InputOffset()
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, fail(dec.InputOffset(), "results[%d]: not JSON: %v", len(p.Results), jsonMsg(err))
				}
				// the offset before Decode may sit on the separator
				for at < int64(len(data)) && (data[at] == ',' || data[at] == ' ' || data[at] == '\n' || data[at] == '\r' || data[at] == '\t') {
					at++
				}
				if len(raw) == 0 || raw[0] != '{' {
					return nil, fail(at, "results[%d] must be an object, got %s", len(p.Results), short(raw))
				}
				p.Results = append(p.Results, raw)
				p.Offsets = append(p.Offsets, at)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fail(dec.InputOffset(), "not JSON: %v", jsonMsg(err))
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(dec.InputOffset(), "not JSON: %v", jsonMsg(err))
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail(dec.InputOffset(), "not JSON: %v", jsonMsg(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(dec.InputOffset(), "text after the response object")
	}
	if p.Results == nil {
		return nil, fail(0, "no \"results\": not a NetBox list response")
	}
	if p.Count < 0 {
		return nil, fail(0, "no \"count\": not a NetBox list response")
	}
	return p, nil
}

func jsonMsg(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of the response"
	}
	return err.Error()
}

func describeToken(t json.Token) string {
	switch x := t.(type) {
	case json.Delim:
		if x == '[' {
			return "an array"
		}
		return string(x)
	case string:
		return fmt.Sprintf("the string %q", short([]byte(x)))
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

func short(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// decodeObject decodes one result of endpoint ep into v, checking the
// required fields (present, not null, not empty).
func decodeObject(raw json.RawMessage, v object) error {
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("field %q is a JSON %s, want %s", te.Field, te.Value, goKind(te.Type.Kind().String()))
		}
		return fmt.Errorf("%v", jsonMsg(err))
	}
	if m := v.missing(); len(m) > 0 {
		return fmt.Errorf("missing %s", strings.Join(quote(m), ", "))
	}
	return nil
}

func goKind(k string) string {
	switch k {
	case "int", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "ptr":
		return "an object"
	}
	return k
}

func quote(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}
