package events

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
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"blackstart/placement"
	"blackstart/topology"
)

// Event file formats, as Write names them.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// maxErrors is how many problems Read lists before it only counts
// the rest.
const maxErrors = 100

// maxQuoted is the longest value, in bytes, an error message repeats.
const maxQuoted = 64

// MaxTimeS bounds an event's time, seconds since power-on (from the first
// event for RFC 3339 times): 10,000,000 s is 115 days, far past any
// recovery, and keeps every sum over times finite and exact to the
// millisecond.
const MaxTimeS = 1e7

// MaxEvents bounds the events of one file: 10 for each instance of the
// largest model (topology.MaxInstances). An event takes 24 bytes in
// memory, and the slice that holds them grows by copying: 5,000,000 peak
// at about 270 MB (20,000,000, the limit before, ran out of a 2 GiB
// address space at 7,000,000, in 15-byte CSV lines, 105 MB).
const MaxEvents = 5_000_000

// MaxLineBytes bounds a line of an events file; an event takes about 80.
const MaxLineBytes = 64 << 10

// keysHelp names the fields of an event, for messages about unknown ones.
const keysHelp = "t_s or time, instance or service and index, node, state"

// Read reads the progress events of a recovery of cluster c from r,
// a JSON Lines or CSV file called name (used in error positions). The
// format is JSON Lines when the first non-blank byte is '{', CSV with a
// header line otherwise; docs/events.md
// describes both.
//
// The events come back in file order with TS in seconds from power-on
// (from the first event when the file gives RFC 3339 times), Instance an
// index into c.Instances and Node an index into c.M.Devices, or -1 for a
// failed event without a node.
//
// Problems in the content are returned together as a sorted
// topology.ErrorList, each at file:line:col (col 1 on JSON Lines, except
// for syntax errors), with no events; past 100 problems a last error
// counts the rest. A read error from r comes back wrapped with the name,
// not as a list.
func Read(name string, r io.Reader, c *placement.Cluster) ([]placement.Event, error) {
	return ReadWith(name, r, c, Options{})
}

// Options changes how ReadWith measures and orders times.
type Options struct {
	// Start, when not zero, is t = 0 for RFC 3339 times (the incident's
	// start) instead of the first event's time; an event before it is
	// refused. t_s times are seconds from the start already.
	Start time.Time
	// After, when HaveAfter, is the time of an event already taken (a
	// previous batch's latest, s from the start, to the millisecond):
	// every event must be at or after it once rounded to the millisecond
	// (as Write writes it).
	After     float64
	HaveAfter bool
	// AllowEmpty: input without events is no error (a batch of an
	// incident that brings nothing new); otherwise it is refused.
	AllowEmpty bool
	// Index, when given, is NewIndex of the cluster read against: a
	// caller reading many batches against one cluster builds it once
	// (building it names every instance).
	Index *Index
	// Held is how many events were taken before these (an incident's
	// earlier batches): at most MaxEvents − Held more are read, the one
	// past refused at its line, so that all of them together still read
	// back as one events file.
	Held int
	// Verbatim, when not nil, is set to whether the input read without a
	// problem is, byte for byte, what Write writes of the events read as
	// JSON Lines (every line as Write writes it, nothing else: no blank
	// line, byte order mark or missing last line break), so that a caller
	// storing the canonical form may keep the input instead of writing
	// it again. False whenever in doubt.
	Verbatim *bool
}

// Index is what reading events needs of a cluster: its instances,
// services and devices by name. Read-only once built; safe to share.
//
// An instance is found by its service and index (a service's instances
// are consecutive in c.Instances, in index order), not by a map of every
// instance's name: the services' map is a tenth of its size, and the
// names were built for it.
type Index struct {
	c     *placement.Cluster
	svc   map[string]int32 // service id → index into c.M.Services
	first []int32          // per service: index of its first instance
	dev   map[string]int32 // device id → index into c.M.Devices
}

// NewIndex indexes cluster c for ReadWith (Options.Index).
func NewIndex(c *placement.Cluster) *Index {
	m := c.M
	x := &Index{c: c,
		svc:   make(map[string]int32, len(m.Services)),
		first: make([]int32, len(m.Services)),
		dev:   make(map[string]int32, len(m.Devices))}
	for s := range m.Services {
		x.svc[m.Services[s].ID] = int32(s)
		x.first[s] = -1
	}
	for i, in := range c.Instances {
		if x.first[in.Service] < 0 || int32(i) < x.first[in.Service] {
			x.first[in.Service] = int32(i)
		}
	}
	for d := range m.Devices {
		x.dev[m.Devices[d].ID] = int32(d)
	}
	return x
}

// ReadWith is Read with o's start and ordering.
func ReadWith(name string, r io.Reader, c *placement.Cluster, o Options) ([]placement.Event, error) {
	x := o.Index
	if x == nil || x.c != c {
		x = NewIndex(c)
	}
	er := newEventReader(name, x)
	if !o.Start.IsZero() {
		er.haveT0, er.t0 = true, o.Start
		er.startRaw = o.Start.Format(time.RFC3339Nano)
	}
	er.haveAfter, er.after = o.HaveAfter, o.After
	er.held = max(o.Held, 0)
	if lr, ok := r.(interface{ Len() int }); ok {
		// A body in memory (the service's batches): room for its events
		// at about 64 bytes a line, rather than grown by doublings.
		er.evs = make([]placement.Event, 0, min(max(lr.Len(), 0)/64, MaxEvents))
	}
	ll := &lineLimit{r: r}
	br := readers.Get().(*bufio.Reader)
	br.Reset(ll)
	defer func() {
		br.Reset(nil) // holds nothing of r while pooled
		readers.Put(br)
	}()
	first, skipped, err := sniff(br)
	if err == nil {
		switch first {
		case 0: // empty (reported below), or a NUL byte: not events
			if _, perr := br.Peek(1); perr == nil {
				err = er.readCSV(br, skipped)
			}
		case '{':
			err = er.readJSONL(br, skipped)
		default:
			err = er.readCSV(br, skipped)
		}
	}
	var long *longLineError
	var many *tooManyError
	switch {
	case errors.As(err, &long):
		er.errorf(long.line, MaxLineBytes+1, "line longer than %d bytes: not a progress event (reading stopped here)", MaxLineBytes)
	case errors.As(err, &many) && er.held > 0:
		er.errorf(many.line, 1, "more than %d events with the %d taken before: all of them would not read back as one events file (reading stopped here)", MaxEvents, er.held)
	case errors.As(err, &many):
		er.errorf(many.line, 1, "more than %d events: split the file (reading stopped here)", MaxEvents)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(er.errs) == 0 && len(er.evs) == 0 && !o.AllowEmpty {
		er.errorf(1, 1, "the file holds no progress events") // the file's problem: at its first line
	}
	if o.Verbatim != nil {
		// Every byte of the input was in a line as Write writes its event.
		*o.Verbatim = len(er.errs) == 0 && er.verbatimN == ll.total
	}
	if len(er.errs) > 0 {
		er.errs.Sort()
		if er.more > 0 {
			er.errs = append(er.errs, &topology.Error{Pos: er.morePos,
				Msg: fmt.Sprintf("too many errors: %d more not shown", er.more)})
		}
		return nil, er.errs
	}
	return er.evs, nil
}

// lineLimit passes r through until a line is longer than MaxLineBytes,
// then fails with a *longLineError, so that a file without line breaks
// cannot make the reader hold it whole.
type lineLimit struct {
	r     io.Reader
	n     int // bytes of the current line so far
	line  int // lines completed
	total int // bytes passed through
	err   error
}

type longLineError struct{ line int }

func (e *longLineError) Error() string { return fmt.Sprintf("line %d is too long", e.line) }

// tooManyError stops reading past MaxEvents events.
type tooManyError struct{ line int }

func (e *tooManyError) Error() string { return fmt.Sprintf("too many events at line %d", e.line) }

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	l.total += n
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			j = n - i // no line break in the rest: the line goes on
		}
		if l.n+j > MaxLineBytes {
			l.err = &longLineError{line: l.line + 1}
			l.total -= n - (i + MaxLineBytes - l.n)
			return i + MaxLineBytes - l.n, l.err // the bytes up to the limit, as one at a time gave them
		}
		if i+j == n {
			l.n += j
			break
		}
		l.n = 0
		l.line++
		i += j + 1
	}
	return n, err
}

// readers are ReadWith's 64 KiB read buffers, kept between calls (a
// service reads a batch of about 80 kB per request).
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// writers are Write's 64 KiB write buffers, kept between calls.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

// sniff skips a UTF-8 byte order mark and returns the first byte that is
// not white space without consuming it (0 when there is none) and the
// number of whole lines it had to consume to see it.
func sniff(br *bufio.Reader) (first byte, skipped int, err error) {
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err == io.EOF {
				err = nil
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				// Only white space so far and the buffer is full: drop
				// the whole lines seen and look further.
				k := bytes.LastIndexByte(b, '\n') + 1
				if k == 0 {
					k = len(b)
				}
				skipped += bytes.Count(b[:k], []byte{'\n'})
				br.Discard(k)
				i = 0
				continue
			}
			return 0, skipped, err
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b[i-1], skipped, nil
	}
}

// field is one value of an event as the file gives it.
type field struct {
	s    string
	col  int  // 1-based byte column of the value, 1 on JSON Lines
	set  bool // present (a JSON null or an empty CSV field is absent)
	kind byte // kText (CSV), kString, kNumber or kLiteral (true/false); kNull when absent
}

const (
	kNull = iota // a JSON null, or an absent field
	kText
	kString
	kNumber
	kLiteral
	kNested // a JSON object or array
)

// record is one line of an event file before validation.
type record struct {
	line                                            int
	ts, time, instance, service, index, node, state field
}

// field returns the field of column k (colTS ... colState).
func (rec *record) field(k int) *field {
	switch k {
	case colTS:
		return &rec.ts
	case colTime:
		return &rec.time
	case colInstance:
		return &rec.instance
	case colService:
		return &rec.service
	case colIndex:
		return &rec.index
	case colNode:
		return &rec.node
	}
	return &rec.state
}

// timeKind says which time field a file uses.
const (
	timeNone = iota
	timeTS
	timeRFC
)

// eventReader validates records and collects events and errors.
type eventReader struct {
	name  string
	c     *placement.Cluster
	svc   map[string]int32 // service id → index into c.M.Services
	first []int32          // per service: index of its first instance
	dev   map[string]int32 // device id → index into c.M.Devices
	evs   []placement.Event

	// lastSvc is the service of the latest instance found by name, -1
	// before one: a batch names the same service in runs.
	lastSvc int32
	// lastDev is the latest node found, -1 before one.
	lastDev int32
	// verbatimN counts the bytes of the lines that are what Write
	// writes of their event (Options.Verbatim).
	verbatimN int

	// absent has bit k set when a CSV header lacks column colNames[k]:
	// its rows are not told again that the field is missing.
	absent uint8

	errs    topology.ErrorList
	stop    error        // set to end the reading early (too many events)
	more    int          // problems past maxErrors
	morePos topology.Pos // position of the first problem not listed

	kind      int // time field of the file, timeNone until an event gives one
	kindLine  int // line of the first event that gave it
	havePrev  bool
	prevTS    float64   // t_s of the latest event in order
	prevRaw   string    // its time as written
	prevTime  time.Time // RFC 3339: its time
	t0        time.Time // RFC 3339: time of the first event, t = 0
	haveT0    bool
	startRaw  string // Options.Start as written, "" when not given
	haveAfter bool
	after     float64 // Options.After
	held      int     // Options.Held
}

func newEventReader(name string, x *Index) *eventReader {
	return &eventReader{name: name, c: x.c, svc: x.svc, first: x.first, dev: x.dev, lastSvc: -1, lastDev: -1}
}

func (r *eventReader) errorf(line, col int, format string, args ...any) {
	pos := topology.Pos{File: r.name, Line: line, Col: col}
	if len(r.errs) >= maxErrors {
		if r.more == 0 {
			r.morePos = pos
		}
		r.more++
		return
	}
	r.errs = append(r.errs, &topology.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// lacks reports whether the CSV header lacks every one of cols.
func (r *eventReader) lacks(cols ...int) bool {
	for _, k := range cols {
		if r.absent&(1<<k) == 0 {
			return false
		}
	}
	return true
}

// quote quotes s for a message, cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}

// add validates rec and appends its event.
func (r *eventReader) add(rec *record) {
	ok := true
	ev := placement.Event{Node: -1}

	// Time.
	switch {
	case rec.ts.set && rec.time.set:
		r.errorf(rec.line, rec.time.col, "both t_s and time given: use one")
		ok = false
	case rec.ts.set:
		ok = r.timeTS(rec, &ev) && ok
	case rec.time.set:
		ok = r.timeRFC(rec, &ev) && ok
	default:
		if !r.lacks(colTS, colTime) {
			r.errorf(rec.line, max(rec.ts.col, rec.time.col), "missing t_s (or time)")
		}
		ok = false
	}

	// Instance.
	switch {
	case rec.instance.set && (rec.service.set || rec.index.set):
		r.errorf(rec.line, rec.instance.col, "both instance and service or index given: use instance \"service#index\" or the pair service and index")
		ok = false
	case rec.instance.set:
		if !r.isString(rec, "instance", rec.instance) {
			ok = false
		} else if i, msg := r.instanceByName(rec.instance.s); msg != "" {
			r.errorf(rec.line, rec.instance.col, "%s", msg)
			ok = false
		} else {
			ev.Instance = i
		}
	case rec.service.set && rec.index.set:
		if i, ok1 := r.instanceByPair(rec); ok1 {
			ev.Instance = i
		} else {
			ok = false
		}
	case rec.service.set:
		if !r.lacks(colIndex) {
			r.errorf(rec.line, rec.index.col, "missing index for service %s", quote(rec.service.s))
		}
		ok = false
	case rec.index.set:
		if !r.lacks(colService) {
			r.errorf(rec.line, rec.service.col, "missing service for index %s", quote(rec.index.s))
		}
		ok = false
	default:
		if !r.lacks(colInstance) || !r.lacks(colService) && !r.lacks(colIndex) {
			r.errorf(rec.line, max(rec.instance.col, rec.service.col), "missing instance (or service and index)")
		}
		ok = false
	}

	// State, then the node, which only a failed event may leave out.
	stateOK := false
	if !rec.state.set {
		if !r.lacks(colState) {
			r.errorf(rec.line, rec.state.col, "missing state")
		}
	} else if r.isString(rec, "state", rec.state) {
		switch rec.state.s {
		case "scheduled":
			ev.State, stateOK = placement.Scheduled, true
		case "started":
			ev.State, stateOK = placement.Started, true
		case "up":
			ev.State, stateOK = placement.Up, true
		case "failed":
			ev.State, stateOK = placement.Failed, true
		default:
			r.errorf(rec.line, rec.state.col, "state must be scheduled, started, up or failed, got %s", quote(rec.state.s))
		}
	}
	ok = ok && stateOK
	switch {
	case rec.node.set && !r.isString(rec, "node", rec.node):
		ok = false
	case !rec.node.set || rec.node.s == "":
		if stateOK && ev.State != placement.Failed {
			if !r.lacks(colNode) {
				r.errorf(rec.line, rec.node.col, "missing node: only a failed event may have none")
			}
			ok = false
		}
	default:
		if d := r.lastDev; d >= 0 && r.c.M.Devices[d].ID == rec.node.s {
			ev.Node = d // the same node as the line before's
		} else if d, found := r.dev[rec.node.s]; found {
			ev.Node, r.lastDev = d, d
		} else {
			r.errorf(rec.line, rec.node.col, "node %s is not a device of the model", quote(rec.node.s))
			ok = false
		}
	}

	if ok && len(r.errs) == 0 {
		if len(r.evs)+r.held >= MaxEvents {
			r.stop = &tooManyError{line: rec.line}
			return
		}
		r.evs = append(r.evs, ev)
	}
}

// setKind records the time field of rec's event and reports whether it is
// the file's.
func (r *eventReader) setKind(rec *record, kind int, f field) bool {
	if r.kind == timeNone {
		r.kind, r.kindLine = kind, rec.line
		return true
	}
	if r.kind == kind {
		return true
	}
	this, other := "time", "t_s"
	if kind == timeTS {
		this, other = other, this
	}
	r.errorf(rec.line, f.col, "this event gives %s but line %d gives %s: a file must not mix t_s and time", this, r.kindLine, other)
	return false
}

// timeTS reads a t_s time into ev and checks the order.
func (r *eventReader) timeTS(rec *record, ev *placement.Event) bool {
	f := rec.ts
	if !r.isNumber(rec, "t_s", f) {
		return false
	}
	if !r.setKind(rec, timeTS, f) {
		return false
	}
	var t float64
	if n, ms := canonicalMS([]byte(f.s)); n > 0 && n == len(f.s) {
		// As Write writes it: its value is ms/1000 rounded once, which is
		// what ParseFloat reads (TestCanonicalMS), without its work.
		t = float64(ms) / 1000
	} else {
		if !isDecimal(f.s) {
			r.errorf(rec.line, f.col, "bad time %s", quote(f.s))
			return false
		}
		t, _ = strconv.ParseFloat(f.s, 64) // out of range: ±Inf, refused below, or 0
	}

	if math.IsInf(t, 0) || math.IsNaN(t) || t < 0 || t > MaxTimeS {
		r.errorf(rec.line, f.col, "bad time %s: t_s must be a number of seconds from 0 to %g", quote(f.s), MaxTimeS)
		return false
	}
	t += 0 // no negative zero
	if r.havePrev && t < r.prevTS {
		r.errorf(rec.line, f.col, "time %s s is before the previous event's %s s: events must be in time order",
			strconv.FormatFloat(t, 'f', -1, 64), strconv.FormatFloat(r.prevTS, 'f', -1, 64))
		return false
	}
	r.havePrev, r.prevTS = true, t
	ev.TS = t
	return r.checkAfter(rec.line, f.col, ev.TS)
}

// timeRFC reads an RFC 3339 time into ev, as seconds after the first
// event's, and checks the order.
func (r *eventReader) timeRFC(rec *record, ev *placement.Event) bool {
	f := rec.time
	if !r.isString(rec, "time", f) {
		return false
	}
	if !r.setKind(rec, timeRFC, f) {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, f.s)
	if err != nil {
		r.errorf(rec.line, f.col, "bad time %s: want RFC 3339 such as \"2019-06-04T09:30:00Z\"", quote(f.s))
		return false
	}
	if r.startRaw != "" && t.Before(r.t0) {
		r.errorf(rec.line, f.col, "time %s is before the incident's start %s", quote(f.s), quote(r.startRaw))
		return false
	}
	if r.havePrev && t.Before(r.prevTime) {
		r.errorf(rec.line, f.col, "time %s is before the previous event's %s: events must be in time order",
			quote(f.s), quote(r.prevRaw))
		return false
	}
	if !r.haveT0 {
		r.haveT0, r.t0 = true, t
	}
	// Sub saturates at about 292 years: bound the span before it does.
	if span := t.Sub(r.t0); span > time.Duration(MaxTimeS)*time.Second {
		r.errorf(rec.line, f.col, "time %s is more than %g s after the first event's %s", quote(f.s), MaxTimeS, quote(r.t0.Format(time.RFC3339Nano)))
		return false
	}
	// A copy: f.s is in the line being read, whose memory the next lines
	// take (jsonLine), and prevRaw is quoted in a later line's message.
	r.havePrev, r.prevTime, r.prevRaw = true, t, strings.Clone(f.s)
	ev.TS = t.Sub(r.t0).Seconds()
	return r.checkAfter(rec.line, f.col, ev.TS)
}

// checkAfter refuses a time t (s) before Options.After.
func (r *eventReader) checkAfter(line, col int, t float64) bool {
	if r.haveAfter && roundMS(t) < r.after {
		r.errorf(line, col, "time %s s is before the incident's latest event at %s s: events must be in time order",
			strconv.FormatFloat(roundMS(t), 'f', -1, 64), strconv.FormatFloat(r.after, 'f', -1, 64))
		return false
	}
	return true
}

// isDecimal reports whether s is a plain decimal number: an optional
// sign, digits with an optional fraction, an optional exponent.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		j := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// isNumber checks that a JSON value is a number (CSV text always may be).
func (r *eventReader) isNumber(rec *record, key string, f field) bool {
	switch f.kind {
	case kText, kNumber:
		return true
	case kString:
		r.errorf(rec.line, f.col, "%s must be a number, got the string %s", key, quote(f.s))
	default:
		r.errorf(rec.line, f.col, "%s must be a number, got %s", key, f.s)
	}
	return false
}

// isString checks that a JSON value is a string (CSV text always is).
func (r *eventReader) isString(rec *record, key string, f field) bool {
	switch f.kind {
	case kText, kString:
		return true
	}
	r.errorf(rec.line, f.col, "%s must be a string, got %s", key, f.s)
	return false
}

// parseIndex reads a 0-based instance index: decimal digits only. Indices
// too large for an int32 come back as MaxInt32, beyond every service.
func parseIndex(s string) (int32, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = min(n*10+int64(s[i]-'0'), math.MaxInt32)
	}
	return int32(n), true
}

// lookup returns the index of instance k of service sv, or a message.
func (r *eventReader) lookup(sv int32, k int32) (int32, string) {
	n := r.c.M.Services[sv].Instances
	if int(k) >= n || r.first[sv] < 0 {
		noun := "instances"
		if n == 1 {
			noun = "instance"
		}
		name := r.c.M.Services[sv].ID + "#" + strconv.Itoa(int(k))
		return 0, fmt.Sprintf("unknown instance %s (service %s has %d %s)", quote(name), quote(r.c.M.Services[sv].ID), n, noun)
	}
	return r.first[sv] + k, ""
}

// instanceByName resolves "service#index", or says why it cannot.
func (r *eventReader) instanceByName(s string) (int32, string) {
	h := strings.LastIndexByte(s, '#')
	if h >= 0 {
		// The usual case first, without a message: the same service as
		// the line before (compared with its id), else by the map.
		sv := r.lastSvc
		if sv < 0 || r.c.M.Services[sv].ID != s[:h] {
			var ok bool
			if sv, ok = r.svc[s[:h]]; !ok {
				sv = -1
			}
		}
		if sv >= 0 {
			if k, ok := parseIndex(s[h+1:]); ok && int(k) < r.c.M.Services[sv].Instances && r.first[sv] >= 0 {
				r.lastSvc = sv
				return r.first[sv] + k, ""
			}
		}
	}
	if h < 0 {
		if _, ok := r.svc[s]; ok {
			return 0, fmt.Sprintf("bad instance %s: want service#index (0-based index)", quote(s))
		}
		return 0, fmt.Sprintf("unknown service %s (instance %s: want service#index)", quote(s), quote(s))
	}
	sv, ok := r.svc[s[:h]]
	if !ok {
		return 0, fmt.Sprintf("unknown service %s", quote(s[:h]))
	}
	k, ok := parseIndex(s[h+1:])
	if !ok {
		return 0, fmt.Sprintf("bad instance %s: want service#index (0-based index)", quote(s))
	}
	return r.lookup(sv, k)
}

// instanceByPair resolves the pair service and index, reporting problems.
func (r *eventReader) instanceByPair(rec *record) (int32, bool) {
	okS := r.isString(rec, "service", rec.service)
	okI := r.isNumber(rec, "index", rec.index)
	if !okS || !okI {
		return 0, false
	}
	sv, found := r.svc[rec.service.s]
	if !found {
		r.errorf(rec.line, rec.service.col, "unknown service %s", quote(rec.service.s))
		return 0, false
	}
	k, ok := parseIndex(rec.index.s)
	if !ok {
		r.errorf(rec.line, rec.index.col, "bad index %s: want a 0-based integer", quote(rec.index.s))
		return 0, false
	}
	i, msg := r.lookup(sv, k)
	if msg != "" {
		r.errorf(rec.line, rec.index.col, "%s", msg)
		return 0, false
	}
	return i, true
}

// ── JSON Lines ──────────────────────────────────────────────────────────

// readJSONL reads one flat JSON object per line; line numbers start after
// the skipped lines.
func (r *eventReader) readJSONL(br *bufio.Reader, skipped int) error {
	line := skipped
	var long []byte
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, b...)
			continue
		}
		if len(long) > 0 {
			b = append(long, b...)
			long = long[:0]
		}
		if len(b) > 0 {
			line++
			r.jsonLine(line, b)
			if r.stop != nil {
				return r.stop
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// jsonLine handles one line of a JSON Lines file.
func (r *eventReader) jsonLine(line int, b []byte) {
	blank := true
	for _, ch := range b {
		if ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n' {
			blank = false
			break
		}
	}
	if blank {
		return
	}
	if r.fastLine(line, b) {
		return
	}
	rec := record{line: line}
	for k := range nCols {
		rec.field(k).col = 1
	}
	// The line's bytes as a string, not a copy: b is in the read buffer,
	// which the next lines overwrite, so nothing of rec may be kept past
	// this line (the messages copy what they quote; timeRFC copies the
	// time it keeps).
	s := unsafe.String(unsafe.SliceData(b), len(b))
	var sc jsonScanner
	if !sc.object(s, &rec) {
		r.jsonSyntax(line, b, &sc)
		return
	}
	for _, msg := range sc.problems {
		r.errorf(line, 1, "%s", msg)
	}
	r.add(&rec) // not in Write's form (fastLine takes those): never verbatim
}

// fastLine takes line b, with its line break, when it is in the form
// Write writes (appendJSONLine): {"t_s":T,"instance":"I","node":"N",
// "state":"S"} with the node left out or not, T as canonicalMS reads it,
// the strings not empty and without an escape; it reports false, having
// done nothing, for any other line. The record is the one the scanner
// makes of such a line, without its work, and is checked by add as any
// other. The line is Write's own line of its event (Options.Verbatim)
// when it is taken and the instance's index has no leading zero: T is
// what AppendFloat writes of its value, I resolved to the instance of
// that service id and index, N is the device's id, S the state's name,
// and none of them needs an escape (FuzzReadEvents checks it).
func (r *eventReader) fastLine(line int, b []byte) bool {
	rest, ok := cutPrefix(b, `{"t_s":`)
	if !ok {
		return false
	}
	n, _ := canonicalMS(rest)
	if n == 0 {
		return false
	}
	ts := rest[:n]
	if rest, ok = cutPrefix(rest[n:], `,"instance":"`); !ok {
		return false
	}
	inst, rest, ok := plainString(rest)
	if !ok {
		return false
	}
	var node []byte
	if after, found := cutPrefix(rest, `,"node":"`); found {
		if node, rest, ok = plainString(after); !ok {
			return false
		}
	}
	if rest, ok = cutPrefix(rest, `,"state":"`); !ok {
		return false
	}
	state, rest, ok := plainString(rest)
	if !ok || string(rest) != "}\n" {
		return false
	}
	// Strings into the line, as jsonLine's: nothing of rec is kept.
	str := func(x []byte) string { return unsafe.String(unsafe.SliceData(x), len(x)) }
	rec := record{line: line,
		ts:       field{s: str(ts), col: 1, set: true, kind: kNumber},
		time:     field{col: 1},
		instance: field{s: str(inst), col: 1, set: true, kind: kString},
		service:  field{col: 1},
		index:    field{col: 1},
		node:     field{col: 1},
		state:    field{s: str(state), col: 1, set: true, kind: kString}}
	if node != nil {
		rec.node = field{s: str(node), col: 1, set: true, kind: kString}
	}
	k := len(r.evs)
	r.add(&rec)
	if len(r.evs) > k {
		digits := inst[bytes.LastIndexByte(inst, '#')+1:] // resolved: there is a '#'
		if len(digits) == 1 || digits[0] != '0' {
			r.verbatimN += len(b)
		}
	}
	return true
}

// plainString reads a JSON string's value up to its closing quote, the
// opening one before b: not empty, without escapes or control bytes. It
// returns the value and what follows the quote.
func plainString(b []byte) (s, rest []byte, ok bool) {
	i := 0
	for i < len(b) && !stringStop[b[i]] {
		i++
	}
	if i == 0 || i == len(b) || b[i] != '"' {
		return nil, b, false
	}
	return b[:i], b[i+1:], true
}

// cutPrefix is bytes.CutPrefix with a string prefix.
func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return b, false
	}
	return b[len(p):], true
}

// canonicalMS reads at the start of b a number of seconds as
// strconv.AppendFloat(t, 'f', -1, 64) writes a time t rounded to the
// millisecond: 0, or up to 8 digits without a leading zero, then
// optionally a point and 1 to 3 digits, the last not 0; no sign and no
// exponent. It returns the number's length (0 when b does not start with
// one) and its value in ms.
//
// Such a number is what Write writes of the time it reads as: it has at
// most 11 significant digits, and a decimal of at most 15 is the only
// one of as few digits to read as its float64 (DBL_DIG), so it is the
// shortest that reads back, which AppendFloat writes; its value t, a
// whole number of ms m over 1000 rounded once, is float64(m)/1000, which
// roundMS leaves as it is. TestCanonicalMS checks both ways.
func canonicalMS(b []byte) (n int, ms int64) {
	i := 0
	switch {
	case len(b) > 0 && b[0] == '0':
		i = 1
	case len(b) > 0 && b[0] >= '1' && b[0] <= '9':
		for i < len(b) && i < 8 && b[i] >= '0' && b[i] <= '9' {
			ms = ms*10 + int64(b[i]-'0')
			i++
		}
	default:
		return 0, 0
	}
	if i < len(b) && b[i] >= '0' && b[i] <= '9' {
		return 0, 0 // a leading zero, or more than 8 digits
	}
	ms *= 1000
	if i < len(b) && b[i] == '.' {
		i++
		scale := int64(100)
		j := i
		for i < len(b) && i-j < 3 && b[i] >= '0' && b[i] <= '9' {
			ms += int64(b[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == j || b[i-1] == '0' || i < len(b) && b[i] >= '0' && b[i] <= '9' {
			return 0, 0 // no digit, a trailing zero, or more than 3
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E' || b[i] == '.') {
		return 0, 0
	}
	return i, ms
}

// jsonSyntax reports a line the scanner refused: a syntax error as
// encoding/json words it, at its column, or a well-formed line of the
// wrong shape.
func (r *eventReader) jsonSyntax(line int, b []byte, sc *jsonScanner) {
	b = bytes.TrimRight(b, "\r\n")
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		col := int(se.Offset)
		col = max(1, min(col, len(b)))
		r.errorf(line, col, "invalid JSON: %s", se.Error())
	case err != nil:
		r.errorf(line, 1, "invalid JSON: %s", err.Error())
	case sc.nested != "" || len(sc.problems) > 0:
		for _, msg := range sc.problems {
			r.errorf(line, 1, "%s", msg)
		}
		if sc.nested != "" {
			r.errorf(line, 1, "%s must be a %s, got %s", sc.nested, wantKind(sc.nested), sc.nestedKind)
		}
	default:
		switch v.(type) {
		case map[string]any:
			r.errorf(line, 1, "invalid JSON")
		case []any:
			r.errorf(line, 1, "want a JSON object, got an array")
		default:
			r.errorf(line, 1, "want a JSON object, got %s", quote(string(bytes.TrimSpace(b))))
		}
	}
}

// wantKind names the JSON type of a key's value.
func wantKind(key string) string {
	switch key {
	case "t_s", "index":
		return "number"
	case "time", "instance", "service", "node", "state":
		return "string"
	}
	return ""
}

// jsonScanner parses one flat JSON object: string keys, and values that
// are strings, numbers, true, false or null. It accepts exactly what
// encoding/json accepts for such objects and refuses the rest; the caller
// asks encoding/json for the message.
type jsonScanner struct {
	seen       uint8    // bit k: key colNames[k] seen
	problems   []string // unknown and duplicate keys
	nested     string   // key whose value is an object or array
	nestedKind string
}

func skipWS(s string, i int) int {
	if i < len(s) && s[i] > ' ' {
		return i // no white space: the usual case, one comparison
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// object parses s into rec and reports whether s is one flat object.
func (sc *jsonScanner) object(s string, rec *record) bool {
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return skipWS(s, i+1) == len(s)
	}
	for {
		key, j, ok := jsonString(s, i)
		if !ok {
			return false
		}
		i = skipWS(s, j)
		if i >= len(s) || s[i] != ':' {
			return false
		}
		i = skipWS(s, i+1)
		var f field
		f, i, ok = jsonValue(s, i)
		if !ok {
			return false
		}
		if f.kind == kNested {
			if wantKind(key) == "" {
				sc.problems = append(sc.problems, fmt.Sprintf("unknown key %s (want %s)", quote(key), keysHelp))
			} else {
				sc.nested, sc.nestedKind = key, f.s
			}
			return false
		}
		sc.set(rec, key, f)
		i = skipWS(s, i)
		if i < len(s) && s[i] == ',' {
			i = skipWS(s, i+1)
			continue
		}
		if i < len(s) && s[i] == '}' {
			return skipWS(s, i+1) == len(s)
		}
		return false
	}
}

// set stores the value of key in rec. A null or an empty string leaves
// the field absent, as an empty CSV field does.
func (sc *jsonScanner) set(rec *record, key string, f field) {
	k := colOf(key)
	if k < 0 {
		sc.problems = append(sc.problems, fmt.Sprintf("unknown key %s (want %s)", quote(key), keysHelp))
		return
	}
	if sc.seen&(1<<k) != 0 {
		sc.problems = append(sc.problems, fmt.Sprintf("duplicate key %s", quote(key)))
		return
	}
	sc.seen |= 1 << k
	if f.kind == kNull || f.kind == kString && f.s == "" {
		return
	}
	f.col = 1
	*rec.field(k) = f
}

// jsonString parses the string starting at s[i] and returns its value and
// the index after it.
func jsonString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	i++
	start := i
	for i < len(s) {
		for i < len(s) && !stringStop[s[i]] {
			i++ // the bytes that neither end nor escape
		}
		if i == len(s) {
			break
		}
		switch ch := s[i]; {
		case ch == '"':
			return s[start:i], i + 1, true
		case ch == '\\':
			return jsonStringSlow(s, start)
		case ch < 0x20:
			return "", i, false
		}
		i++
	}
	return "", i, false
}

// stringStop marks the bytes at which jsonString stops: a quote, a
// backslash, or a control character.
var stringStop = func() (t [256]bool) {
	for ch := range 0x20 {
		t[ch] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// jsonStringSlow decodes a string with escapes from s[start:], start being
// the byte after the opening quote.
func jsonStringSlow(s string, start int) (string, int, bool) {
	var b []byte
	i := start
	for i < len(s) {
		ch := s[i]
		switch {
		case ch == '"':
			return string(b), i + 1, true
		case ch < 0x20:
			return "", i, false
		case ch != '\\':
			b = append(b, ch)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", i, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			b = append(b, s[i+1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r1, ok := hex4(s, i+2)
			if !ok {
				return "", i, false
			}
			i += 6
			if utf16.IsSurrogate(r1) {
				if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
						b = utf8.AppendRune(b, r)
						i += 6
						continue
					}
				}
				r1 = utf8.RuneError
			}
			b = utf8.AppendRune(b, r1)
			continue
		default:
			return "", i, false
		}
		i += 2
	}
	return "", i, false
}

// hex4 reads the four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, ch := range []byte(s[i : i+4]) {
		switch {
		case ch >= '0' && ch <= '9':
			ch -= '0'
		case ch >= 'a' && ch <= 'f':
			ch -= 'a' - 10
		case ch >= 'A' && ch <= 'F':
			ch -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(ch)
	}
	return r, true
}

// jsonValue parses the scalar value at s[i]. A null comes back with kind
// kNull; an object or array with kind kNested and its type in s (the scanner
// stops there).
func jsonValue(s string, i int) (field, int, bool) {
	if i >= len(s) {
		return field{}, i, false
	}
	switch ch := s[i]; {
	case ch == '"':
		v, j, ok := jsonString(s, i)
		return field{s: v, set: true, kind: kString}, j, ok
	case ch == '-' || ch >= '0' && ch <= '9':
		j := jsonNumber(s, i)
		if j < 0 {
			return field{}, i, false
		}
		return field{s: s[i:j], set: true, kind: kNumber}, j, true
	case ch == '{':
		return field{s: "an object", kind: kNested}, i, true
	case ch == '[':
		return field{s: "an array", kind: kNested}, i, true
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if strings.HasPrefix(s[i:], lit) {
			if lit == "null" {
				return field{}, i + 4, true
			}
			return field{s: lit, set: true, kind: kLiteral}, i + len(lit), true
		}
	}
	return field{}, i, false
}

// jsonNumber returns the index after the JSON number at s[i], or -1.
func jsonNumber(s string, i int) int {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return -1
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return -1
		}
	}
	return i
}

// ── CSV ─────────────────────────────────────────────────────────────────

// Columns of an event CSV file.
const (
	colTS = iota
	colTime
	colInstance
	colService
	colIndex
	colNode
	colState
	nCols
)

var colNames = [nCols]string{"t_s", "time", "instance", "service", "index", "node", "state"}

// colOf returns the column called name (colNames), or -1.
func colOf(name string) int {
	switch name {
	case "t_s":
		return colTS
	case "time":
		return colTime
	case "instance":
		return colInstance
	case "service":
		return colService
	case "index":
		return colIndex
	case "node":
		return colNode
	case "state":
		return colState
	}
	return -1
}

// readCSV reads a CSV file with a header line; line numbers are offset by
// the skipped lines.
func (r *eventReader) readCSV(br *bufio.Reader, skipped int) error {
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var at [nCols]int // column index of each field + 1; 0 when absent
	header := true
	nFields := 0
	for {
		row, err := cr.Read()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				r.errorf(pe.Line+skipped, max(pe.Column, 1), "bad CSV: %s", pe.Err.Error())
				continue
			}
			return err
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // a line of white space
		}
		if header {
			header = false
			nFields = len(row)
			if !r.csvHeader(cr, row, skipped, &at) {
				return nil
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		line += skipped
		if len(row) != nFields {
			r.errorf(line, 1, "line has %d fields, the header has %d", len(row), nFields)
			continue
		}
		rec := record{line: line}
		for k := range nCols {
			dst := rec.field(k)
			if at[k] == 0 {
				dst.col = 1
				continue
			}
			_, col := cr.FieldPos(at[k] - 1)
			*dst = field{s: row[at[k]-1], col: col, set: row[at[k]-1] != "", kind: kText}
		}
		r.add(&rec)
		if r.stop != nil {
			return r.stop
		}
	}
}

// csvHeader maps the header row's columns into at and reports whether
// the rows can be read at all.
func (r *eventReader) csvHeader(cr *csv.Reader, row []string, skipped int, at *[nCols]int) bool {
	line, _ := cr.FieldPos(0)
	line += skipped
	known := false
	for k, name := range row {
		_, col := cr.FieldPos(k)
		c := -1
		for j, n := range colNames {
			if name == n {
				c = j
			}
		}
		switch {
		case c < 0:
			r.errorf(line, col, "unknown column %s (want %s)", quote(name), keysHelp)
			continue
		case at[c] != 0:
			r.errorf(line, col, "duplicate column %s", quote(name))
			continue
		}
		known = true
		at[c] = k + 1
	}
	if !known {
		r.noHeader(line)
		return false
	}
	col := func(c int) int {
		_, col := cr.FieldPos(at[c] - 1)
		return col
	}
	if at[colTS] != 0 && at[colTime] != 0 {
		later := max(at[colTS], at[colTime])
		_, c := cr.FieldPos(later - 1)
		r.errorf(line, c, "both t_s and time columns: a file must not mix t_s and time")
		if at[colTS] == later {
			at[colTS] = 0
		} else {
			at[colTime] = 0
		}
	}
	if at[colInstance] != 0 && (at[colService] != 0 || at[colIndex] != 0) {
		for _, c := range []int{colService, colIndex} {
			if at[c] != 0 {
				r.errorf(line, col(c), "both instance and %s columns: use instance \"service#index\" or the pair service and index", colNames[c])
				at[c] = 0
			}
		}
	}
	for k := range nCols {
		if at[k] == 0 {
			r.absent |= 1 << k
		}
	}
	if at[colTS] == 0 && at[colTime] == 0 {
		r.errorf(line, 1, "missing column t_s (or time)")
	}
	switch {
	case at[colInstance] != 0:
	case at[colService] != 0 && at[colIndex] == 0:
		r.errorf(line, 1, "missing column index (with service)")
	case at[colIndex] != 0 && at[colService] == 0:
		r.errorf(line, 1, "missing column service (with index)")
	case at[colService] == 0:
		r.errorf(line, 1, "missing column instance (or service and index)")
	}
	for _, c := range []int{colNode, colState} {
		if at[c] == 0 {
			r.errorf(line, 1, "missing column %s", colNames[c])
		}
	}
	return true
}

// noHeader reports a CSV file whose first line names no column: the only
// problem worth listing, since no row can be read.
func (r *eventReader) noHeader(line int) {
	r.errs = r.errs[:0]
	r.errorf(line, 1, "missing header line: the first line must name the columns, such as t_s,instance,node,state")
}

// ── Writing ─────────────────────────────────────────────────────────────

// Wrote reports whether the file that begins with head is a progress
// events file as Write writes it (JSON Lines whose first key is t_s, or
// CSV with Write's header), so that blackstart may replace it.
func Wrote(head []byte) bool {
	return bytes.HasPrefix(head, []byte(`{"t_s":`)) || bytes.HasPrefix(head, []byte("t_s,instance,node,state\n"))
}

// Write writes evs, events of a recovery of c in time order, to w as
// format "jsonl" (JSON Lines) or "csv", in the form Read reads: t_s
// rounded to the millisecond, instance as "service#index", the node's
// device id (empty, or left out in JSON Lines, for a failed event with no
// node) and the state. It checks every event, and that there are at most
// MaxEvents, before writing any.
func Write(w io.Writer, c *placement.Cluster, evs []placement.Event, format string) error {
	if format != FormatJSONL && format != FormatCSV {
		return fmt.Errorf("unknown event format %q (jsonl or csv)", format)
	}
	if len(evs) > MaxEvents {
		return fmt.Errorf("%d events, more than the %d an events file may hold", len(evs), MaxEvents)
	}
	prev := 0.0
	for k, e := range evs {
		switch {
		case e.Instance < 0 || int(e.Instance) >= len(c.Instances):
			return fmt.Errorf("event %d: instance %d out of range (%d instances)", k, e.Instance, len(c.Instances))
		case e.Node < -1 || int(e.Node) >= len(c.M.Devices):
			return fmt.Errorf("event %d: node %d out of range (%d devices)", k, e.Node, len(c.M.Devices))
		case e.State > placement.Failed:
			return fmt.Errorf("event %d: unknown state %d", k, e.State)
		case e.Node < 0 && e.State != placement.Failed:
			return fmt.Errorf("event %d: %s event without a node (only a failed event may have none)", k, e.State)
		}
		t := roundMS(e.TS)
		if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 || t > MaxTimeS {
			return fmt.Errorf("event %d: time %g s, want 0 to %g s (the longest an events file holds)", k, e.TS, MaxTimeS)
		}
		if t < prev {
			return fmt.Errorf("event %d: time %g s is before the previous event's %g s: events must be in time order", k, t, prev)
		}
		prev = t
	}

	if bb, ok := w.(*bytes.Buffer); ok && format == FormatJSONL {
		// Into memory (the service's canonical batches): the lines go
		// straight into the buffer, without a buffer between.
		var b []byte
		for _, e := range evs {
			b = appendJSONLine(b[:0], c, e)
			bb.Write(b)
		}
		return nil
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil) // holds nothing of w while pooled
		writers.Put(bw)
	}()
	if format == FormatCSV {
		cw := csv.NewWriter(bw)
		rec := []string{"t_s", "instance", "node", "state"}
		cw.Write(rec)
		var num []byte
		for _, e := range evs {
			num = strconv.AppendFloat(num[:0], roundMS(e.TS), 'f', -1, 64)
			rec[0], rec[1], rec[2], rec[3] = string(num), c.Name(int(e.Instance)), "", e.State.String()
			if e.Node >= 0 {
				rec[2] = c.M.Devices[e.Node].ID
			}
			cw.Write(rec)
		}
		cw.Flush() // cw writes through bw itself (bufio.NewWriter returns bw), so this flushes bw
		return cw.Error()
	}
	var b []byte
	for _, e := range evs {
		b = appendJSONLine(b[:0], c, e)
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendJSONLine appends event e of c as a line of JSON Lines.
func appendJSONLine(b []byte, c *placement.Cluster, e placement.Event) []byte {
	b = append(b, `{"t_s":`...)
	b = strconv.AppendFloat(b, roundMS(e.TS), 'f', -1, 64)
	b = append(b, `,"instance":`...)
	b = appendInstanceName(b, c, e.Instance)
	if e.Node >= 0 {
		b = append(b, `,"node":`...)
		b = appendJSONString(b, c.M.Devices[e.Node].ID)
	}
	b = append(b, `,"state":"`...)
	b = append(b, e.State.String()...)
	return append(b, "\"}\n"...)
}

// roundMS rounds t seconds to the millisecond. Past 2^52 ms a float64
// holds no fraction of a millisecond, and t stays as it is.
func roundMS(t float64) float64 {
	if math.Abs(t) >= 1<<52/1000 || math.IsNaN(t) {
		return t // never −0: |−0| is below the bound
	}
	return math.Round(t*1000)/1000 + 0 // + 0 turns −0 into 0
}

// appendInstanceName appends instance i's name (c.Name) as a JSON
// string, without building the name: a batch of a big cluster is written
// without a table of its names.
func appendInstanceName(b []byte, c *placement.Cluster, i int32) []byte {
	in := c.Instances[i]
	b = appendJSONString(b, c.M.Services[in.Service].ID)
	b = append(b[:len(b)-1], '#') // reopen the string after the service's id
	b = strconv.AppendInt(b, int64(in.Index), 10)
	return append(b, '"')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, everything else as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"' || ch == '\\':
			b = append(b, '\\', ch)
		case ch < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[ch>>4], hex[ch&0xf])
		default:
			b = append(b, ch)
		}
	}
	return append(b, '"')
}
