package netbox

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"blackstart/topology"

	"github.com/BurntSushi/toml"
)

// Overlay is what NetBox does not know, written once by the team: breaker
// standards and curves, power factor, the elements above each panel (in an
// upstream model file merged with the import), PDU input and bank
// breakers, PSU redundancy. Every field is optional; what is not given is
// defaulted, and the import report lists each default with how many
// elements use it.
type Overlay struct {
	Defaults    OverlayDefaults     `toml:"defaults"`
	Panels      []OverlayPanel      `toml:"panel"`
	Feeds       []OverlayFeed       `toml:"feed"`
	PDUs        []OverlayPDU        `toml:"pdu"`
	DeviceTypes []OverlayDeviceType `toml:"device_type"`
}

// OverlayDefaults apply to every element the overlay does not name.
type OverlayDefaults struct {
	PowerFactor *float64 `toml:"power_factor"` // loads' power factor, (0, 1]
	FrequencyHz *float64 `toml:"frequency_hz"` // 50 or 60
	Breaker              // feeds' breakers
	// PortDraw is how a port's draw figures are read: "device" (each port
	// gives the whole device's draw, the device-type library's and NetBox's
	// convention) or "share" (each port gives its PSU's share; the device
	// draws their sum).
	PortDraw *string `toml:"port_draw"`
	// LegConnection says how the outlets of a feed leg connect on a
	// three-phase feed: "line-to-neutral" (L1, L2, L3) or "line-to-line"
	// (L1-L2, L2-L3, L3-L1).
	LegConnection *string `toml:"leg_connection"`
}

// Breaker is the protective device NetBox does not describe.
type Breaker struct {
	Standard       *string   `toml:"standard"` // iec60898, iec60947-2 or ul489
	Curve          *string   `toml:"curve"`    // B, C or D for iec60898
	InstantaneousX []float64 `toml:"instantaneous_x"`
}

// OverlayPanel describes a power panel (by its NetBox name).
type OverlayPanel struct {
	Name string `toml:"name"`
	// Input is the id of the element feeding the panel (a UPS, breaker or
	// panel in an upstream model file given with the import); without it
	// the panel gets a utility source of its own.
	Input *string `toml:"input"`
	// Line connects a single-phase panel to one line (L1, L2, L3) or two
	// (L1-L2, L2-L3, L3-L1) of a three-phase input; the panel then takes
	// its voltage from that connection.
	Line    *string  `toml:"line"`
	RatingA *float64 `toml:"rating_a"` // bus rating, A
	Breaker          // its feeds' breakers
}

// OverlayFeed describes one power feed's breaker (by its NetBox name).
type OverlayFeed struct {
	Name    string `toml:"name"`
	Breaker        // standard, curve, instantaneous_x
}

// OverlayPDU describes a PDU (by its NetBox device name): its input and
// bank protection.
type OverlayPDU struct {
	Name        string   `toml:"name"`
	RatingA     *float64 `toml:"rating_a"` // input rating, A
	Breaker              // makes the input a breaker
	BankRatingA *float64 `toml:"bank_rating_a"`
	BankBreaker Breaker  `toml:"bank"`
}

// OverlayDeviceType completes a device type (by its NetBox slug).
type OverlayDeviceType struct {
	Slug         string   `toml:"slug"`
	PSUsRequired *int     `toml:"psus_required"`
	PSURatingW   *float64 `toml:"psu_rating_w"`
	PowerFactor  *float64 `toml:"power_factor"`
	TypicalW     *float64 `toml:"typical_w"`
}

// ReadOverlay reads an overlay file; unknown keys are errors.
func ReadOverlay(name string) (*Overlay, error) {
	data, err := topology.ReadBounded(name, MaxOverlayBytes)
	if errors.Is(err, topology.ErrTooBig) {
		return nil, ErrorList{{Source: name, Msg: tooBigMsg("the overlay is", MaxOverlayBytes)}}
	}
	if err != nil {
		return nil, ErrorList{{Source: name, Msg: "cannot read the overlay: " + unwrapPath(err)}}
	}
	return ParseOverlay(name, data)
}

// ParseOverlay reads an overlay held in memory.
func ParseOverlay(name string, data []byte) (*Overlay, error) {
	// The TOML parser recurses once per level of nesting: a small file
	// of nested inline tables would take gigabytes, as would a few
	// megabytes of tiny tables or keys. The model loader's bounds apply.
	if e := topology.CheckTOML(name, data, nil); e != nil {
		return nil, ErrorList{{Source: name, Line: e.Pos.Line, Col: e.Pos.Col, Msg: e.Msg}}
	}
	var o Overlay
	md, err := toml.Decode(string(data), &o)
	if err != nil {
		var pe toml.ParseError
		if e, ok := err.(toml.ParseError); ok {
			pe = e
			return nil, ErrorList{{Source: name, Line: pe.Position.Line, Col: max(pe.Position.Col, 1), Msg: pe.Message}}
		}
		return nil, ErrorList{{Source: name, Msg: err.Error()}}
	}
	var errs ErrorList
	keys := keyLines(data)
	for _, k := range md.Undecoded() {
		e := &Error{Source: name, Msg: fmt.Sprintf("unknown key %q", k.String())}
		// Its line and column: the first key or header of that path not
		// yet reported (the decoder lists them in the file's order).
		for i := range keys {
			if keys[i].path == k.String() && keys[i].line > 0 {
				e.Line, e.Col = keys[i].line, keys[i].col
				keys[i].line = 0
				break
			}
		}
		errs = append(errs, e)
	}
	chk := func(where string, b Breaker) {
		if b.Standard != nil && !validStandard[*b.Standard] {
			errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("%s: standard must be iec60898, iec60947-2 or ul489, got %q", where, *b.Standard)})
		}
		if b.Curve != nil && *b.Curve != "B" && *b.Curve != "C" && *b.Curve != "D" {
			errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("%s: curve must be B, C or D, got %q", where, *b.Curve)})
		}
	}
	chk("defaults", o.Defaults.Breaker)
	if pf := o.Defaults.PowerFactor; pf != nil && !(*pf > 0 && *pf <= 1) {
		errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("defaults.power_factor must be in (0, 1], got %g", *pf)})
	}
	if f := o.Defaults.FrequencyHz; f != nil && *f != 50 && *f != 60 {
		errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("defaults.frequency_hz must be 50 or 60, got %g", *f)})
	}
	if p := o.Defaults.PortDraw; p != nil && *p != "device" && *p != "share" {
		errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("defaults.port_draw must be \"device\" or \"share\", got %q", *p)})
	}
	if l := o.Defaults.LegConnection; l != nil && *l != "line-to-neutral" && *l != "line-to-line" {
		errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("defaults.leg_connection must be \"line-to-neutral\" or \"line-to-line\", got %q", *l)})
	}
	names := map[string]bool{}
	once := func(kind, n string) {
		if n == "" {
			errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("a [[%s]] needs its NetBox name", kind)})
		}
		if names[kind+"\x00"+n] {
			errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("[[%s]] %q given twice", kind, n)})
		}
		names[kind+"\x00"+n] = true
	}
	for _, p := range o.Panels {
		once("panel", p.Name)
		chk("panel "+p.Name, p.Breaker)
		if p.Line != nil && p.Input == nil {
			errs = append(errs, &Error{Source: name, Msg: fmt.Sprintf("panel %s: line applies with input (the upstream element it connects to)", p.Name)})
		}
	}
	for _, f := range o.Feeds {
		once("feed", f.Name)
		chk("feed "+f.Name, f.Breaker)
	}
	for _, p := range o.PDUs {
		once("pdu", p.Name)
		chk("pdu "+p.Name, p.Breaker)
		chk("pdu "+p.Name+" bank", p.BankBreaker)
	}
	for _, d := range o.DeviceTypes {
		once("device_type", d.Slug)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return strings.Compare(errs[i].Msg, errs[j].Msg) < 0 })
		return nil, errs
	}
	return &o, nil
}

var validStandard = map[string]bool{"iec60898": true, "iec60947-2": true, "ul489": true}

// keyLine is a key (or a table header) of an overlay and where it is
// written; path is the key's full dotted path as toml.Key.String writes
// it, without array indices.
type keyLine struct {
	path      string
	line, col int
}

// keyLines lists the keys that begin a line and the table headers of a
// TOML document, in order: enough to place an unknown key of an overlay,
// whose keys are plain (a key inside an inline table is left without a
// position). data has been parsed: its lines are well formed.
func keyLines(data []byte) []keyLine {
	var out []keyLine
	table := ""
	inString := false // inside a multi-line string: its lines hold no keys
	for n, l := range strings.Split(string(data), "\n") {
		t := strings.TrimLeft(l, " \t")
		col := len(l) - len(t) + 1
		if strings.Count(t, `"""`)%2 == 1 || strings.Count(t, "'''")%2 == 1 {
			inString = !inString
			if !inString {
				continue
			}
		} else if inString {
			continue
		}
		switch {
		case t == "" || t[0] == '#':
		case t[0] == '[':
			h := strings.TrimLeft(t, "[")
			if i := strings.Index(h, "]"); i >= 0 {
				table = normKey(h[:i])
				out = append(out, keyLine{table, n + 1, col})
			}
		default:
			if i := strings.Index(t, "="); i > 0 {
				k := normKey(t[:i])
				if table != "" {
					k = table + "." + k
				}
				out = append(out, keyLine{k, n + 1, col})
			}
		}
	}
	return out
}

// normKey writes a dotted key as toml.Key.String does: parts joined by
// dots without blanks, a part quoted only when it is not a bare key.
func normKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := strconv.Unquote(p); err == nil && len(p) > 1 && p[0] == '"' {
			p = u
		} else if len(p) > 1 && p[0] == '\'' && p[len(p)-1] == '\'' {
			p = p[1 : len(p)-1]
		}
		if p == "" || strings.IndexFunc(p, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) >= 0 {
			p = strconv.Quote(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, ".")
}
