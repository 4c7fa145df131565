package netbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// A one-pass reader of the list responses, for the fields the importer
// uses: encoding/json spends most of an import decoding fields nobody
// reads. It accepts only what encoding/json would decode the same way (a
// document json.Valid accepts (it checks the grammar as it goes, skipped
// values included), keys spelt exactly, values of the field's
// type); anything else — a key in other case, a wrong type, an escape it
// does not handle — makes it give up, and the response is read again by
// encoding/json and ReadPage, which say what is wrong and where.

var errGiveUp = errors.New("fast reader gives up")

type lexer struct {
	b []byte
	i int
	// intern holds the strings of nested objects and choices (a site's
	// name, a status), which repeat on every object: one copy each.
	intern map[string]string
}

// internStr reads a string without escapes through the intern table.
func (l *lexer) internStr(dst *string) (bool, error) {
	if l.null() {
		return true, nil
	}
	if l.peek() == '"' {
		j := l.i + 1
		for j < len(l.b) && l.b[j] != '"' && l.b[j] != '\\' && l.b[j] >= 0x20 {
			j++
		}
		if j < len(l.b) && l.b[j] == '"' && utf8.Valid(l.b[l.i+1:j]) {
			if v, ok := l.intern[string(l.b[l.i+1:j])]; ok {
				*dst = v
				l.i = j + 1
				return true, nil
			}
		}
	}
	s, err := l.str()
	if err == nil && len(l.intern) < 1<<16 {
		if l.intern == nil {
			l.intern = map[string]string{}
		}
		l.intern[s] = s
	}
	*dst = s
	return true, err
}

func (l *lexer) ws() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

func (l *lexer) peek() byte {
	l.ws()
	if l.i >= len(l.b) {
		return 0
	}
	return l.b[l.i]
}

func (l *lexer) expect(c byte) error {
	if l.peek() != c {
		return errGiveUp
	}
	l.i++
	return nil
}

// rawString returns the bytes of a string without escapes; an escape
// makes it decode the string with encoding/json.
func (l *lexer) str() (string, error) {
	if l.peek() != '"' {
		return "", errGiveUp
	}
	start := l.i + 1
	j := start
	for j < len(l.b) && l.b[j] != '"' && l.b[j] != '\\' {
		if l.b[j] < 0x20 {
			return "", errGiveUp
		}
		j++
	}
	if j < len(l.b) && l.b[j] == '"' {
		s := l.b[start:j]
		if !utf8.Valid(s) {
			return "", errGiveUp
		}
		l.i = j + 1
		return string(s), nil
	}
	// escapes: find the end, let encoding/json decode it
	for j < len(l.b) && l.b[j] != '"' {
		if l.b[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(l.b) {
		return "", errGiveUp
	}
	var s string
	if err := json.Unmarshal(l.b[l.i:j+1], &s); err != nil {
		return "", errGiveUp
	}
	l.i = j + 1
	return s, nil
}

func (l *lexer) null() bool {
	if l.peek() == 'n' && bytes.HasPrefix(l.b[l.i:], []byte("null")) {
		l.i += 4
		return true
	}
	return false
}

// skip passes over one value, checking it as json.Valid would: the
// reader makes a single pass over the response.
func (l *lexer) skip() error { return l.value(0) }

// maxDepth bounds the nesting of a skipped value, below encoding/json's
// limit of 10,000 counted from the top (a skipped value starts a few
// levels down).
const maxDepth = 9000

func (l *lexer) value(depth int) error {
	if depth > maxDepth {
		return errGiveUp
	}
	switch c := l.peek(); {
	case c == '"':
		return l.skipString()
	case c == '{' || c == '[':
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		l.i++
		if l.peek() == close {
			l.i++
			return nil
		}
		for {
			if c == '{' {
				if l.peek() != '"' {
					return errGiveUp
				}
				if err := l.skipString(); err != nil {
					return err
				}
				if err := l.expect(':'); err != nil {
					return err
				}
			}
			if err := l.value(depth + 1); err != nil {
				return err
			}
			switch l.peek() {
			case ',':
				l.i++
			case close:
				l.i++
				return nil
			default:
				return errGiveUp
			}
		}
	case c == 't' || c == 'f':
		_, err := l.boolean()
		return err
	case c == 'n':
		if !l.null() {
			return errGiveUp
		}
		return nil
	case c == '-' || c >= '0' && c <= '9':
		_, err := l.number()
		return err
	}
	return errGiveUp
}

// skipString passes over a string, checking its escapes.
func (l *lexer) skipString() error {
	j := l.i + 1
	for j < len(l.b) {
		c := l.b[j]
		switch {
		case c == '"':
			l.i = j + 1
			return nil
		case c < 0x20:
			return errGiveUp
		case c == '\\':
			if j+1 >= len(l.b) {
				return errGiveUp
			}
			switch l.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(l.b) {
					return errGiveUp
				}
				for _, h := range l.b[j+2 : j+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return errGiveUp
					}
				}
				j += 6
			default:
				return errGiveUp
			}
		default:
			j++
		}
	}
	return errGiveUp
}

// number reads a number of JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (l *lexer) number() ([]byte, error) {
	l.ws()
	b, i := l.b, l.i
	digits := func() int {
		k := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			k++
		}
		return k
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return nil, errGiveUp
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, errGiveUp
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, errGiveUp
		}
	}
	n := b[l.i:i]
	l.i = i
	return n, nil
}

func (l *lexer) integer() (int, error) {
	n, err := l.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || int64(int(v)) != v {
		return 0, errGiveUp
	}
	return int(v), nil
}

func (l *lexer) float() (*float64, error) {
	if l.null() {
		return nil, nil
	}
	n, err := l.number()
	if err != nil {
		return nil, err
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, errGiveUp
	}
	return &v, nil
}

func (l *lexer) boolean() (bool, error) {
	switch {
	case l.null():
		return false, nil
	case bytes.HasPrefix(l.b[l.i:], []byte("true")):
		l.i += 4
		return true, nil
	case bytes.HasPrefix(l.b[l.i:], []byte("false")):
		l.i += 5
		return false, nil
	}
	return false, errGiveUp
}

// object calls field for each key of an object; field decodes the value
// or returns false to have it skipped. A key that matches a known one
// only when case is ignored (encoding/json would take it) gives up.
func (l *lexer) object(known []string, field func(key string) (bool, error)) error {
	if err := l.expect('{'); err != nil {
		return err
	}
	if l.peek() == '}' {
		l.i++
		return nil
	}
	var seen uint64 // known keys read: a key given twice gives up (encoding/json would merge into the first)
	for {
		k, err := l.str()
		if err != nil {
			return err
		}
		if err := l.expect(':'); err != nil {
			return err
		}
		for n, kk := range known {
			if kk == k {
				if seen&(1<<n) != 0 {
					return errGiveUp
				}
				seen |= 1 << n
				break
			}
		}
		done, err := field(k)
		if err != nil {
			return err
		}
		if !done {
			for _, kk := range known {
				if kk != k && len(kk) == len(k) && bytes.EqualFold([]byte(kk), []byte(k)) {
					return errGiveUp
				}
			}
			if err := l.skip(); err != nil {
				return err
			}
		}
		switch l.peek() {
		case ',':
			l.i++
		case '}':
			l.i++
			return nil
		default:
			return errGiveUp
		}
	}
}

func (l *lexer) strField(dst *string) (bool, error) {
	if l.null() {
		return true, nil
	}
	s, err := l.str()
	*dst = s
	return true, err
}

var refKeys = []string{"id", "name", "slug"}

func (l *lexer) ref() (*Ref, error) {
	if l.null() {
		return nil, nil
	}
	r := &Ref{}
	err := l.object(refKeys, func(k string) (bool, error) {
		switch k {
		case "id":
			v, err := l.integer()
			r.ID = v
			return true, err
		case "name":
			return l.internStr(&r.Name)
		case "slug":
			return l.internStr(&r.Slug)
		}
		return false, nil
	})
	return r, err
}

var idKeys = []string{"id"}

func (l *lexer) idRefField(dst **IDRef) (bool, error) {
	if l.null() {
		*dst = nil
		return true, nil
	}
	r := &IDRef{}
	err := l.object(idKeys, func(k string) (bool, error) {
		if k == "id" {
			return l.intField(&r.ID)
		}
		return false, nil
	})
	*dst = r
	return true, err
}

var choiceKeys = []string{"value"}

func (l *lexer) choice() (*Choice, error) {
	if l.null() {
		return nil, nil
	}
	c := &Choice{}
	err := l.object(choiceKeys, func(k string) (bool, error) {
		if k == "value" {
			return l.internStr(&c.Value)
		}
		return false, nil
	})
	return c, err
}

// fastPage reads {"count", "next", "results": [...]} with one decoder per
// result.
func fastPage[T any](data []byte, known []string, one func(l *lexer, o *T, k string) (bool, error)) (count int, next *string, out []T, err error) {
	l := &lexer{b: data}
	seenCount := false
	err = l.object([]string{"count", "next", "results"}, func(k string) (bool, error) {
		switch k {
		case "count":
			v, err := l.integer()
			count, seenCount = v, err == nil
			return true, err
		case "next":
			next = nil
			if l.null() {
				return true, nil
			}
			s, err := l.str()
			next = &s
			return true, err
		case "results":
			if err := l.expect('['); err != nil {
				return true, err
			}
			n := len(data)/1024 + 1
			if seenCount && count >= 0 && count <= len(data)/8 { // NetBox writes count first: size the slice once
				n = count
			}
			out = make([]T, 0, n)
			if l.peek() == ']' {
				l.i++
				return true, nil
			}
			for {
				var o T
				if err := l.object(known, func(k string) (bool, error) { return one(l, &o, k) }); err != nil {
					return true, err
				}
				out = append(out, o)
				switch l.peek() {
				case ',':
					l.i++
				case ']':
					l.i++
					return true, nil
				default:
					return true, errGiveUp
				}
			}
		}
		return false, nil
	})
	if err == nil && (!seenCount || out == nil) {
		err = errGiveUp
	}
	if l.ws(); err == nil && l.i != len(l.b) { // text after the response
		err = errGiveUp
	}
	return
}

func (l *lexer) intField(dst *int) (bool, error) {
	v, err := l.integer()
	*dst = v
	return true, err
}

func (l *lexer) floatField(dst **float64) (bool, error) {
	v, err := l.float()
	*dst = v
	return true, err
}

func (l *lexer) refField(dst **Ref) (bool, error) {
	v, err := l.ref()
	*dst = v
	return true, err
}

func (l *lexer) choiceField(dst **Choice) (bool, error) {
	v, err := l.choice()
	*dst = v
	return true, err
}

var (
	panelKeys = []string{"id", "url", "name", "site", "location"}
	feedKeys  = []string{"id", "url", "name", "power_panel", "rack", "status", "type", "supply", "phase", "voltage", "amperage", "max_utilization", "mark_connected"}
	rackKeys  = []string{"id", "url", "name", "site", "location", "status"}
	devKeys   = []string{"id", "url", "name", "device_type", "role", "site", "rack", "status"}
	typeKeys  = []string{"id", "url", "model", "slug", "manufacturer"}
	ptKeys    = []string{"id", "device_type", "module_type", "name", "maximum_draw", "allocated_draw"}
	otKeys    = []string{"id", "device_type", "module_type", "name", "power_port", "feed_leg"}
	portKeys  = []string{"id", "url", "device", "name", "maximum_draw", "allocated_draw", "mark_connected"}
	outKeys   = []string{"id", "url", "device", "name", "power_port", "feed_leg"}
	cabKeys   = []string{"id", "url", "a_terminations", "b_terminations", "status"}
	termKeys  = []string{"object_type", "object_id"}
)

func fastPanel(l *lexer, o *Panel, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "name":
		return l.strField(&o.Name)
	case "site":
		return l.refField(&o.Site)
	case "location":
		return l.refField(&o.Location)
	}
	return false, nil
}

func fastFeed(l *lexer, o *Feed, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "name":
		return l.strField(&o.Name)
	case "power_panel":
		return l.idRefField(&o.PowerPanel)
	case "rack":
		return l.idRefField(&o.Rack)
	case "status":
		return l.choiceField(&o.Status)
	case "type":
		return l.choiceField(&o.Type)
	case "supply":
		return l.choiceField(&o.Supply)
	case "phase":
		return l.choiceField(&o.Phase)
	case "voltage":
		return l.floatField(&o.Voltage)
	case "amperage":
		return l.floatField(&o.Amperage)
	case "max_utilization":
		return l.floatField(&o.MaxUtilization)
	case "mark_connected":
		v, err := l.boolean()
		o.MarkConnected = v
		return true, err
	}
	return false, nil
}

func fastRack(l *lexer, o *Rack, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "name":
		return l.strField(&o.Name)
	case "site":
		return l.refField(&o.Site)
	case "location":
		return l.refField(&o.Location)
	case "status":
		return l.choiceField(&o.Status)
	}
	return false, nil
}

func fastDevice(l *lexer, o *Device, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "name":
		if l.null() {
			o.Name = nil
			return true, nil
		}
		s, err := l.str()
		o.Name = &s
		return true, err
	case "device_type":
		return l.idRefField(&o.DeviceType)
	case "role":
		return l.refField(&o.Role)
	case "site":
		return l.refField(&o.Site)
	case "rack":
		return l.idRefField(&o.Rack)
	case "status":
		return l.choiceField(&o.Status)
	}
	return false, nil
}

func fastType(l *lexer, o *DeviceType, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "model":
		return l.strField(&o.Model)
	case "slug":
		return l.strField(&o.Slug)
	case "manufacturer":
		return l.refField(&o.Manufacturer)
	}
	return false, nil
}

func fastPortTemplate(l *lexer, o *PortTemplate, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "device_type":
		return l.idRefField(&o.DeviceType)
	case "module_type":
		return l.idRefField(&o.ModuleType)
	case "name":
		return l.strField(&o.Name)
	case "maximum_draw":
		return l.floatField(&o.MaximumDraw)
	case "allocated_draw":
		return l.floatField(&o.AllocatedDraw)
	}
	return false, nil
}

func fastOutletTemplate(l *lexer, o *OutletTemplate, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "device_type":
		return l.idRefField(&o.DeviceType)
	case "module_type":
		return l.idRefField(&o.ModuleType)
	case "name":
		return l.strField(&o.Name)
	case "power_port":
		return l.idRefField(&o.PowerPort)
	case "feed_leg":
		return l.choiceField(&o.FeedLeg)
	}
	return false, nil
}

func fastPort(l *lexer, o *Port, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "device":
		return l.idRefField(&o.Device)
	case "name":
		return l.strField(&o.Name)
	case "maximum_draw":
		return l.floatField(&o.MaximumDraw)
	case "allocated_draw":
		return l.floatField(&o.AllocatedDraw)
	case "mark_connected":
		v, err := l.boolean()
		o.MarkConnected = v
		return true, err
	}
	return false, nil
}

func fastOutlet(l *lexer, o *Outlet, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "device":
		return l.idRefField(&o.Device)
	case "name":
		return l.strField(&o.Name)
	case "power_port":
		return l.idRefField(&o.PowerPort)
	case "feed_leg":
		return l.choiceField(&o.FeedLeg)
	}
	return false, nil
}

func (l *lexer) terms(dst *[]Termination) (bool, error) {
	if l.null() {
		*dst = nil
		return true, nil
	}
	if err := l.expect('['); err != nil {
		return true, err
	}
	out := []Termination{}
	if l.peek() == ']' {
		l.i++
		*dst = out
		return true, nil
	}
	for {
		var t Termination
		err := l.object(termKeys, func(k string) (bool, error) {
			switch k {
			case "object_type":
				return l.strField(&t.ObjectType)
			case "object_id":
				return l.intField(&t.ObjectID)
			}
			return false, nil
		})
		if err != nil {
			return true, err
		}
		out = append(out, t)
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			*dst = out
			return true, nil
		default:
			return true, errGiveUp
		}
	}
}

func fastCable(l *lexer, o *Cable, k string) (bool, error) {
	switch k {
	case "id":
		return l.intField(&o.ID)
	case "url":
		return l.strField(&o.URL)
	case "a_terminations":
		return l.terms(&o.A)
	case "b_terminations":
		return l.terms(&o.B)
	case "status":
		return l.choiceField(&o.Status)
	}
	return false, nil
}
