package readings

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"blackstart/topology"
)

// Reading is one measurement of one element at one time.
type Reading struct {
	TimeMS   int64   // Unix milliseconds, > 0
	Element  string  // element id (device, rack PDU, bank, circuit or breaker), non-empty
	Line     string  // "" for the whole element, else "L1", "L2" or "L3"
	PowerW   float64 // real power, watts, >= 0; NaN when the row has none
	CurrentA float64 // RMS current, amperes, >= 0; NaN when the row has none
	Pos      topology.Pos
}

// MaxErrors bounds the problems Read reports before it gives up on a file.
const MaxErrors = 50

// Lines are the per-phase line names a reading may carry.
var lines = [...]string{"L1", "L2", "L3"}

// Read reads the readings file r (named name in errors) and calls fn with
// each reading, in file order; the Reading is reused between calls. A
// problem in a row, or an error fn returns for a reading, is recorded at
// the reading's position and reading goes on, up to MaxErrors; Read then
// returns every problem as a topology.ErrorList. Any other error (from r)
// is returned as it is.
func Read(name string, r io.Reader, fn func(*Reading) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	first, err := firstByte(br)
	if err != nil {
		if err == io.EOF {
			return topology.ErrorList{{Pos: topology.Pos{File: name}, Msg: "the file holds no readings"}}
		}
		return err
	}
	p := parser{name: name, fn: fn}
	if first == '{' {
		err = p.jsonLines(br)
	} else {
		err = p.csv(br)
	}
	if errors.Is(err, errStopped) {
		err = nil
	}
	if err != nil && !errors.Is(err, errTooMany) {
		var el topology.ErrorList
		if !errors.As(err, &el) {
			return err
		}
	}
	if len(p.errs) == 0 && p.n == 0 {
		p.errs = append(p.errs, &topology.Error{Pos: topology.Pos{File: name}, Msg: "the file holds no readings"})
	}
	if errors.Is(err, errTooMany) {
		p.errs = append(p.errs, &topology.Error{Pos: topology.Pos{File: name}, Msg: fmt.Sprintf("more than %d problems: stopped reading", MaxErrors)})
	}
	return p.errs.Err()
}

var errTooMany = errors.New("too many problems")

// errStopped stops reading a file whose problem is recorded and whose
// rest is not worth reading (a line longer than maxLine).
var errStopped = errors.New("stopped reading")

// maxLine bounds a line of a readings file, bytes: a reading is a few
// dozen bytes, and a file of one endless line (a device, a broken
// export) must not be gathered whole in memory.
const maxLine = 1 << 20

// longLineError is a line longer than maxLine, at line.
type longLineError struct{ line int }

func (e *longLineError) Error() string {
	return fmt.Sprintf("line %d: a line longer than %d bytes", e.line, maxLine)
}

// lineLimit passes r through, counting lines from line, and fails with a
// *longLineError (then always) at the first line longer than maxLine:
// encoding/csv gathers a line whole, however long.
type lineLimit struct {
	r    io.Reader
	line int   // the line being read
	n    int   // its bytes so far
	err  error // the *longLineError, once found
}

func (l *lineLimit) Read(b []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(b)
	for k := 0; k < n; {
		j := bytes.IndexByte(b[k:n], '\n')
		if j < 0 {
			l.n += n - k
			break
		}
		if l.n+j > maxLine {
			l.n += j
			break
		}
		l.line++
		l.n = 0
		k += j + 1
	}
	if l.n > maxLine {
		l.err = &longLineError{line: l.line}
		return 0, l.err
	}
	return n, err
}

// firstByte peeks at the first byte that is not white space or a UTF-8 BOM.
func firstByte(br *bufio.Reader) (byte, error) {
	for i := 0; ; i++ {
		b, err := br.Peek(i + 1)
		if err != nil {
			return 0, err
		}
		c := b[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xEF || c == 0xBB || c == 0xBF {
			if i > 4096 {
				return 0, io.EOF
			}
			continue
		}
		return c, nil
	}
}

type parser struct {
	name string
	fn   func(*Reading) error
	errs topology.ErrorList
	n    int // readings passed to fn
	rd   Reading
	// CSV: the header's columns, once read, and its field count.
	headerRead bool
	cols       columns
	nhead      int
	slowCSV    bool // read all CSV with encoding/csv (tests compare the two)
}

func (p *parser) fail(line, col int, format string, args ...any) error {
	p.errs = append(p.errs, &topology.Error{Pos: topology.Pos{File: p.name, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)})
	if len(p.errs) >= MaxErrors {
		return errTooMany
	}
	return nil
}

// emit checks the reading as a whole and hands it to fn.
func (p *parser) emit() error {
	rd := &p.rd
	if math.IsNaN(rd.PowerW) && math.IsNaN(rd.CurrentA) {
		return p.fail(rd.Pos.Line, rd.Pos.Col, "element %q: the reading has neither power_w nor current_a", rd.Element)
	}
	if err := p.fn(rd); err != nil {
		return p.fail(rd.Pos.Line, rd.Pos.Col, "%v", err)
	}
	p.n++
	return nil
}

// column indices of the CSV header's fields, -1 when absent.
type columns struct{ time, element, power, current, line int }

// aliases are the header names accepted for each column.
var headerNames = map[string]string{
	"time": "time", "timestamp": "time", "ts": "time",
	"element": "element", "id": "element", "element_id": "element",
	"power_w": "power_w", "current_a": "current_a", "line": "line",
}

// csv reads a CSV file. Lines without a double quote, the shape PDUs
// export, are split here (a line a time, one string per line); from the
// first line that holds a quote on (or is longer than the buffer), the
// rest goes to encoding/csv, which knows quoted fields across lines. Both
// give the same readings and positions (TestFastCSVAsEncodingCSV).
func (p *parser) csv(br *bufio.Reader) error {
	if p.slowCSV {
		return p.csvSlow(br, 0, false)
	}
	var fields []string
	var starts []int
	line := 0
	for {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || bytes.IndexByte(b, '"') >= 0 {
			rest := io.MultiReader(bytes.NewReader(bytes.Clone(b)), br)
			return p.csvSlow(rest, line, p.headerRead)
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(b) == 0 && err == io.EOF {
			return nil
		}
		line++
		// As encoding/csv: \r\n ends a line as \n does; empty lines and
		// lines that begin with # are skipped.
		b = bytes.TrimSuffix(b, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		if len(b) > 0 && b[0] != '#' {
			str := string(b)
			fields, starts = fields[:0], starts[:0]
			for i := 0; ; {
				j := strings.IndexByte(str[i:], ',')
				starts = append(starts, i+1)
				if j < 0 {
					fields = append(fields, str[i:])
					break
				}
				fields = append(fields, str[i:i+j])
				i += j + 1
			}
			pos := func(i int) (int, int) { return line, starts[i] }
			if !p.headerRead {
				if done, e := p.header(fields, pos); done || e != nil {
					return e
				}
			} else if e := p.record(fields, pos); e != nil {
				return e
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// csvSlow reads CSV with encoding/csv; r begins at line lines+1 of the
// file, after the header when headerRead.
func (p *parser) csvSlow(r io.Reader, lines int, headerRead bool) error {
	cr := csv.NewReader(&lineLimit{r: r, line: lines + 1})
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	pos := func(i int) (int, int) {
		l, c := cr.FieldPos(i)
		return l + lines, c
	}
	if !headerRead {
		head, err := cr.Read()
		if err != nil {
			return p.csvErr(err, lines)
		}
		if done, e := p.header(head, pos); done || e != nil {
			return e
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if e := p.csvErr(err, lines); e != nil {
				return e
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(pe.Err, csv.ErrFieldCount) {
				return nil // the rest of a broken file is not worth reading
			}
			continue
		}
		if e := p.record(rec, pos); e != nil {
			return e
		}
	}
}

// header reads the header's fields (pos gives a field's line and column)
// into p.cols. done is set when the file is not worth reading further
// (the header is wrong: its problems are recorded).
func (p *parser) header(head []string, pos func(int) (int, int)) (done bool, err error) {
	p.headerRead = true
	p.nhead = len(head)
	cols := columns{-1, -1, -1, -1, -1}
	hline, _ := pos(0)
	for i, h := range head {
		h = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(h)), "\ufeff")
		_, col := pos(i)
		name, ok := headerNames[h]
		if !ok {
			hint := ""
			switch {
			case strings.HasPrefix(h, "power"):
				hint = " (power is power_w, in watts)"
			case strings.HasPrefix(h, "current"):
				hint = " (current is current_a, in amperes)"
			}
			if err := p.fail(hline, col, "unknown column %q%s: the columns are time, element, power_w, current_a, line", h, hint); err != nil {
				return true, err
			}
			continue
		}
		idx := map[string]*int{"time": &cols.time, "element": &cols.element, "power_w": &cols.power, "current_a": &cols.current, "line": &cols.line}[name]
		if *idx >= 0 {
			if err := p.fail(hline, col, "column %q given twice", name); err != nil {
				return true, err
			}
		}
		*idx = i
	}
	p.cols = cols
	if cols.time < 0 || cols.element < 0 || (cols.power < 0 && cols.current < 0) {
		return true, p.fail(hline, 1, "the header must name the columns time, element and power_w and/or current_a (got %s)", strings.Join(head, ","))
	}
	return len(p.errs) > 0, nil
}

// record reads one row after the header.
func (p *parser) record(rec []string, pos func(int) (int, int)) error {
	line, col := pos(0)
	if len(rec) != p.nhead {
		return p.fail(line, col, "%d fields, the header has %d", len(rec), p.nhead)
	}
	rd := &p.rd
	*rd = Reading{PowerW: math.NaN(), CurrentA: math.NaN(), Pos: topology.Pos{File: p.name, Line: line, Col: col}}
	ok := true
	field := func(i int, err error) {
		if err != nil && ok {
			l, c := pos(i)
			ok = false
			p.fail(l, c, "%v", err) // MaxErrors is checked below
		}
	}
	cols := &p.cols
	if cols.element >= 0 {
		field(cols.element, setElement(rd, rec[cols.element]))
	}
	if cols.time >= 0 && ok {
		field(cols.time, setTime(rd, rec[cols.time]))
	}
	if cols.line >= 0 && ok {
		field(cols.line, setLine(rd, rec[cols.line]))
	}
	if cols.power >= 0 && ok {
		field(cols.power, setValue(&rd.PowerW, rec[cols.power], "power_w", "W"))
	}
	if cols.current >= 0 && ok {
		field(cols.current, setValue(&rd.CurrentA, rec[cols.current], "current_a", "A"))
	}
	if len(p.errs) >= MaxErrors {
		return errTooMany
	}
	if !ok {
		return nil
	}
	return p.emit()
}

// csvErr records an encoding/csv error; lines is the line r began after.
func (p *parser) csvErr(err error, lines int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return p.fail(pe.Line+lines, pe.Column, "%v", pe.Err)
	}
	var le *longLineError
	if errors.As(err, &le) {
		if e := p.fail(le.line, 1, "a line longer than 1 MiB"); e != nil {
			return e
		}
		return errStopped
	}
	if err == io.EOF {
		return nil
	}
	return err
}

func setElement(rd *Reading, s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("empty element id")
	}
	rd.Element = s
	return nil
}

// setTime reads Unix seconds (integer or decimal) or RFC 3339.
func setTime(rd *Reading, s string) error {
	s = strings.TrimSpace(s)
	ms, err := ParseTime(s)
	if err != nil {
		return err
	}
	rd.TimeMS = ms
	return nil
}

// maxTimeMS bounds times: year 9999.
const maxTimeMS = 253402300799999

// ParseTime reads a reading's time: Unix seconds (integer or decimal,
// > 0) or RFC 3339. It returns Unix milliseconds.
func ParseTime(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty time")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 || n > maxTimeMS/1000 {
			return 0, fmt.Errorf("time %q: Unix seconds out of range (1 .. %d)", s, int64(maxTimeMS/1000))
		}
		return n * 1000, nil
	}
	if c := s[0]; (c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+') && !strings.ContainsAny(s, "T:tZz") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f*1000 > maxTimeMS {
			return 0, fmt.Errorf("time %q: not Unix seconds > 0 or an RFC 3339 time", s)
		}
		return int64(math.Round(f * 1000)), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("time %q: not Unix seconds or an RFC 3339 time (2026-11-02T10:00:00Z)", s)
	}
	ms := t.UnixMilli()
	if ms <= 0 || ms > maxTimeMS {
		return 0, fmt.Errorf("time %q: before 1970 or after 9999", s)
	}
	return ms, nil
}

func setLine(rd *Reading, s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		rd.Line = ""
		return nil
	}
	for _, l := range lines {
		if s == l {
			rd.Line = l
			return nil
		}
	}
	return fmt.Errorf("line %q: must be L1, L2 or L3 (or empty for the whole element)", s)
}

// MaxValue bounds a reading's value, W or A: the bound the model's own
// numbers have (topology), far above any real PDU or meter, and small
// enough that sums of millions of readings stay finite.
const MaxValue = 1e9

// setValue reads a number of the unit unit, 0 to MaxValue; "" leaves *v
// NaN.
func setValue(v *float64, s, field, unit string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r > '9' && r != 'e' && r != 'E' }); i > 0 {
			return fmt.Errorf("%s %q: a plain number of %s, without a unit", field, s, unit)
		}
		return fmt.Errorf("%s %q: not a number", field, s)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > MaxValue {
		return fmt.Errorf("%s %s: must be a finite number of %s >= 0 and at most %g", field, s, unit, float64(MaxValue))
	}
	*v = f
	return nil
}

// jsonReading is one JSON Lines record.
type jsonReading struct {
	Time     json.RawMessage `json:"time"`
	Element  *string         `json:"element"`
	PowerW   json.RawMessage `json:"power_w"`
	CurrentA json.RawMessage `json:"current_a"`
	Line     *string         `json:"line"`
}

func (p *parser) jsonLines(r *bufio.Reader) error {
	line := 0
	for {
		b, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: gather it.
			buf := append([]byte(nil), b...)
			for err == bufio.ErrBufferFull {
				b, err = r.ReadSlice('\n')
				buf = append(buf, b...)
				if len(buf) > 1<<20 {
					line++
					return p.fail(line, 1, "a line longer than 1 MiB")
				}
			}
			b = buf
		}
		if len(b) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		line++
		if e := p.jsonLine(line, bytes.TrimSpace(b)); e != nil {
			return e
		}
		if err == io.EOF {
			return nil
		}
	}
}

func (p *parser) jsonLine(line int, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	var jr jsonReading
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&jr); err != nil {
		col := 1
		var se *json.SyntaxError
		if errors.As(err, &se) {
			col = int(se.Offset)
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if strings.HasPrefix(msg, "unknown field") {
			msg += ": the fields are time, element, power_w, current_a, line"
		}
		return p.fail(line, col, "%s", msg)
	}
	if dec.More() {
		return p.fail(line, 1, "more than one JSON value on the line")
	}
	rd := &p.rd
	*rd = Reading{PowerW: math.NaN(), CurrentA: math.NaN(), Pos: topology.Pos{File: p.name, Line: line, Col: 1}}
	col := func(key string) int {
		if i := bytes.Index(b, []byte(`"`+key+`"`)); i >= 0 {
			return i + 1
		}
		return 1
	}
	var errs []error
	var cols []int
	add := func(key string, err error) {
		if err != nil {
			errs = append(errs, err)
			cols = append(cols, col(key))
		}
	}
	if jr.Element == nil {
		add("element", errors.New("no element"))
	} else {
		add("element", setElement(rd, *jr.Element))
	}
	switch {
	case len(jr.Time) == 0 || string(jr.Time) == "null":
		add("time", errors.New("no time"))
	case jr.Time[0] == '"':
		var s string
		if err := json.Unmarshal(jr.Time, &s); err != nil {
			add("time", err)
		} else {
			add("time", setTime(rd, s))
		}
	default:
		add("time", setTime(rd, string(jr.Time)))
	}
	if jr.Line != nil {
		add("line", setLine(rd, *jr.Line))
	}
	add("power_w", jsonValue(&rd.PowerW, jr.PowerW, "power_w", "W"))
	add("current_a", jsonValue(&rd.CurrentA, jr.CurrentA, "current_a", "A"))
	for i, err := range errs {
		if e := p.fail(line, cols[i], "%v", err); e != nil {
			return e
		}
	}
	if len(errs) > 0 {
		return nil
	}
	return p.emit()
}

func jsonValue(v *float64, raw json.RawMessage, field, unit string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		return fmt.Errorf("%s %s: a JSON number of %s, not a string", field, raw, unit)
	}
	return setValue(v, string(raw), field, unit)
}
