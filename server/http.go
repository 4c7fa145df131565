package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"blackstart/analysis"
	"blackstart/data/store"
	"blackstart/topology"
)

// apiError is an error answer: its status and JSON body.
type apiError struct {
	status   int
	msg      string
	problems []problem
	retry    bool // 429: add Retry-After
}

func (e *apiError) Error() string { return e.msg }

// problem is one problem of a model, positioned in its files.
type problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"` // 0 when the problem has no position
	Col     int    `json:"col"`
	Path    string `json:"path,omitempty"` // key path, when there is no position
	ID      string `json:"id,omitempty"`   // the id the problem is about
	Message string `json:"message"`
}

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// classify turns an error of the store, the loader or an analysis into its
// answer; anything else is a 500.
func classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mbe.Limit)
	}
	var list topology.ErrorList
	if errors.As(err, &list) {
		what := "the model does not validate"
		if errors.Is(err, store.ErrReadings) {
			what = "the readings are refused, nothing was stored"
		}
		ps := make([]problem, len(list))
		for i, e := range list {
			ps[i] = problem{File: e.Pos.File, Line: e.Pos.Line, Col: e.Pos.Col, Path: e.Path, ID: e.ID, Message: e.Msg}
		}
		return &apiError{status: http.StatusUnprocessableEntity, msg: fmt.Sprintf("%s: %d problem(s)", what, len(list)), problems: ps}
	}
	switch {
	case errors.Is(err, store.ErrNoModel), errors.Is(err, store.ErrNoRevision), errors.Is(err, store.ErrNoIncident):
		return errorf(http.StatusNotFound, "%v", err)
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrAmbiguous):
		return errorf(http.StatusBadRequest, "%s", store.Message(err))
	case errors.Is(err, analysis.ErrInvalid):
		return errorf(http.StatusBadRequest, "%s", analysis.Message(err))
	case errors.Is(err, context.Canceled), errors.Is(err, analysis.ErrStopped):
		return errorf(499, "the client went away")
	}
	return errorf(http.StatusInternalServerError, "internal error: %v", err)
}

// writeError answers err as JSON: {"error": ..., "problems": [...]}.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	if ae.status == http.StatusInternalServerError {
		s.cfg.Log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="blackstart"`)
	}
	if ae.retry {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterS))
	}
	body := struct {
		Error    string    `json:"error"`
		Problems []problem `json:"problems,omitempty"`
	}{ae.msg, ae.problems}
	s.writeJSON(w, ae.status, body)
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	if err := analysis.WriteJSON(&b, v); err != nil {
		s.cfg.Log.Printf("encoding a %d answer: %v", status, err)
		http.Error(w, `{"error": "internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// route is one API route's policy: the scope it needs, its body limit
// (a route that reads no body refuses one), whether it is audited
// (writes).
type route struct {
	need    string // store.Scope*; "" for none (/healthz)
	maxBody int64  // request body bound, bytes; 0: no body
	write   bool   // audited
}

// auditInfo is what a write handler tells the audit log.
type auditInfo struct {
	model, revision string
	// entry, when set, is the entry the handler had written with its
	// write, in the same transaction: the route's own audit is skipped.
	entry *store.AuditEntry
}

type ctxKey int

const (
	tokenKey ctxKey = iota
	auditKey
)

// statusWriter records the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// handle registers h under pattern with rt's authentication, body limit
// and audit.
func (s *Server) handle(pattern string, rt route, h func(w http.ResponseWriter, r *http.Request) error) {
	if method, path, ok := strings.Cut(pattern, " "); ok {
		if s.methods[path] == nil {
			s.paths = append(s.paths, path)
		}
		s.methods[path] = append(s.methods[path], method)
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		var tok store.Token
		var info auditInfo
		if rt.write {
			defer func() {
				if info.entry != nil && info.entry.ID != 0 {
					return // written with the write itself
				}
				e := store.AuditEntry{TimeMS: s.cfg.Now().UnixMilli(), TokenID: tok.ID, Method: r.Method, Route: r.URL.Path, Status: sw.status,
					Model: info.model, Revision: info.revision, Remote: r.RemoteAddr}
				// The audit outlives the client: a write it started is recorded.
				if _, err := s.db.Audit(context.WithoutCancel(r.Context()), e); err != nil {
					s.cfg.Log.Printf("audit of %s %s: %v", r.Method, r.URL.Path, err)
				}
			}()
		}
		var err error
		tok, err = s.authenticate(r, rt)
		if err != nil {
			s.writeError(sw, r, err)
			return
		}
		if r.ContentLength > rt.maxBody { // a route without a body takes none
			s.writeError(sw, r, errorf(http.StatusRequestEntityTooLarge, "request body of %d bytes, at most %d", r.ContentLength, rt.maxBody))
			return
		}
		r.Body = http.MaxBytesReader(sw, r.Body, rt.maxBody)
		ctx := context.WithValue(r.Context(), tokenKey, tok)
		ctx = context.WithValue(ctx, auditKey, &info)
		if err := h(sw, r.WithContext(ctx)); err != nil {
			s.writeError(sw, r, err)
		}
	})
}

// methodNotAllowed answers 405, with Allow, on every path of a route
// asked with a method it does not take.
func (s *Server) methodNotAllowed() {
	for _, path := range s.paths {
		allow := strings.Join(append(s.methods[path], "HEAD"), ", ")
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.writeError(w, r, errorf(http.StatusMethodNotAllowed, "%s %s: this route takes %s", r.Method, r.URL.Path, allow))
		})
	}
}

// authenticate checks the request's bearer token against the route: a
// token given is always checked; none is enough only for a read from
// loopback on a server that is not remote.
func (s *Server) authenticate(r *http.Request, rt route) (store.Token, error) {
	if rt.need == "" {
		return store.Token{}, nil
	}
	h := r.Header.Get("Authorization")
	bearer, ok := strings.CutPrefix(h, "Bearer ")
	if h != "" && !ok {
		return store.Token{}, errorf(http.StatusUnauthorized, "Authorization: want Bearer bst_…")
	}
	if h == "" {
		if rt.need == store.ScopeRead && !s.cfg.Remote && loopbackPeer(r.RemoteAddr) {
			return store.Token{}, nil
		}
		what := "writes need a token"
		if rt.need == store.ScopeRead {
			what = "reads from another host need a token"
		}
		if rt.need == store.ScopeAdmin {
			what = "this route needs an admin token"
		}
		return store.Token{}, errorf(http.StatusUnauthorized, "%s: Authorization: Bearer bst_… (blackstart token create)", what)
	}
	t, err := s.db.Authenticate(r.Context(), strings.TrimSpace(bearer), s.cfg.Now().UnixMilli())
	switch {
	case errors.Is(err, store.ErrNoToken), errors.Is(err, store.ErrBadToken), errors.Is(err, store.ErrTokenExpired), errors.Is(err, store.ErrTokenRevoked):
		return store.Token{}, errorf(http.StatusUnauthorized, "%v", err)
	case err != nil:
		return store.Token{}, err
	}
	if !store.Allows(t.Scope, rt.need) {
		return t, errorf(http.StatusForbidden, "token %s has scope %s; this route needs %s", t.ID, t.Scope, rt.need)
	}
	return t, nil
}

func loopbackPeer(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func tokenOf(r *http.Request) store.Token {
	t, _ := r.Context().Value(tokenKey).(store.Token)
	return t
}

func auditOf(r *http.Request) *auditInfo {
	if a, ok := r.Context().Value(auditKey).(*auditInfo); ok {
		return a
	}
	return &auditInfo{}
}

// query is a request's query parameters, each used at most once and
// unknown ones refused.
type query struct {
	v    url.Values
	used map[string]bool
}

func newQuery(r *http.Request) (*query, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "query: %v", err)
	}
	return &query{v: v, used: map[string]bool{}}, nil
}

// str returns the parameter name, def when absent; given twice is an error.
func (q *query) str(name, def string) (string, error) {
	q.used[name] = true
	vs := q.v[name]
	switch len(vs) {
	case 0:
		return def, nil
	case 1:
		return vs[0], nil
	}
	return "", errorf(http.StatusBadRequest, "query parameter %s given %d times", name, len(vs))
}

func (q *query) list(name string) []string {
	q.used[name] = true
	return q.v[name]
}

func (q *query) float(name string, def float64) (float64, error) {
	s, err := q.str(name, "")
	if err != nil || s == "" {
		return def, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "query parameter %s=%q: want a number", name, s)
	}
	return f, nil
}

func (q *query) int(name string, def int) (int, error) {
	s, err := q.str(name, "")
	if err != nil || s == "" {
		return def, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "query parameter %s=%q: want an integer", name, s)
	}
	return n, nil
}

func (q *query) uint(name string, def uint64) (uint64, error) {
	s, err := q.str(name, "")
	if err != nil || s == "" {
		return def, err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "query parameter %s=%q: want an integer >= 0", name, s)
	}
	return n, nil
}

func (q *query) bool(name string) (bool, error) {
	s, err := q.str(name, "false")
	if err != nil {
		return false, err
	}
	switch s {
	case "", "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, errorf(http.StatusBadRequest, "query parameter %s=%q: want true or false", name, s)
}

// noQuery refuses every query parameter but format=json: for routes that
// take none.
func noQuery(r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	return q.done()
}

// done refuses parameters the route does not take, and a format other
// than json.
func (q *query) done() error {
	if f, ok := q.v["format"]; ok && !(len(f) == 1 && f[0] == "json") {
		return errorf(http.StatusBadRequest, "query parameter format: the API answers json only")
	}
	for k := range q.v {
		if !q.used[k] && k != "format" {
			return errorf(http.StatusBadRequest, "unknown query parameter %q", k)
		}
	}
	return nil
}

// decodeJSON reads one JSON object from the body into v, refusing unknown
// fields and trailing data. A problem is a 400 that says where (line and
// column of a syntax error) or which field (a wrong type, an unknown
// field), in the request's terms rather than Go's.
func decodeJSON(r *http.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "request body: %v", err)
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 {
		return errorf(http.StatusBadRequest, "request body: empty, want a JSON object")
	} else if t[0] != '{' && json.Valid(t) {
		// Its kind from its first byte: decoding it (8 million numbers
		// fit in 16 MiB) would take gigabytes.
		return errorf(http.StatusBadRequest, "request body: want a JSON object, got %s", jsonKindOf(t[0]))
	}
	if off := tooManyValues(data, MaxJSONValues); off >= 0 {
		line, col := lineCol(data, int64(off))
		return errorf(http.StatusBadRequest, "request body:%d:%d: more than %d JSON values (no request of this API holds as many: a commit of its %d files at most holds about 300)", line, col, MaxJSONValues, store.MaxFiles)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset-1) // the byte that does not fit
		return errorf(http.StatusBadRequest, "request body:%d:%d: %v", line, col, se)
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(data, int64(len(data)))
		return errorf(http.StatusBadRequest, "request body:%d:%d: the JSON ends before its object is closed", line, col)
	case errors.As(err, &te):
		line, col := lineCol(data, valueStart(data, te.Offset, te.Value))
		if te.Field == "" {
			return errorf(http.StatusBadRequest, "request body:%d:%d: want a JSON object, got %s", line, col, article(te.Value))
		}
		return errorf(http.StatusBadRequest, "request body:%d:%d: field %q must be %s, got %s", line, col, te.Field, jsonType(te.Type), article(te.Value))
	default:
		// An unknown field: encoding/json says `json: unknown field "x"`.
		return errorf(http.StatusBadRequest, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		off := dec.InputOffset()
		off += int64(len(data[off:]) - len(bytes.TrimLeft(data[off:], " \t\r\n")))
		line, col := lineCol(data, off)
		return errorf(http.StatusBadRequest, "request body:%d:%d: data after the JSON object", line, col)
	}
	return nil
}

// lineCol is the line and column (1-based, in bytes) of the byte at
// offset (0-based) in data; len(data) is just past its end.
func lineCol(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	nl := bytes.LastIndexByte(before, '\n')
	return bytes.Count(before, []byte{'\n'}) + 1, len(before) - nl
}

// valueStart is the offset where the JSON value of kind ends before end
// (encoding/json's offset of an UnmarshalTypeError: just past a number,
// boolean or string, just past the bracket that opens an array or
// object) begins.
func valueStart(data []byte, end int64, kind string) int64 {
	i := min(max(end-1, 0), int64(len(data)-1))
	switch {
	case kind == "string" && i > 0 && data[i] == '"':
		for i--; i > 0; i-- {
			if data[i] == '"' {
				// An escaped quote is preceded by an odd run of backslashes.
				n := int64(0)
				for n < i && data[i-1-n] == '\\' {
					n++
				}
				if n%2 == 0 {
					break
				}
			}
		}
	case kind == "number" || kind == "bool" || strings.HasPrefix(kind, "number "):
		for i > 0 && strings.IndexByte("+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", data[i-1]) >= 0 {
			i--
		}
	}
	return max(i, 0)
}

// jsonKindOf names the kind of the valid JSON value that starts with c.
func jsonKindOf(c byte) string {
	switch c {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "a number"
}

// MaxJSONValues bounds the values of a JSON request body that is decoded
// whole (a commit, a new incident), counted before it is decoded: an
// empty object takes the decoder about 40 bytes however short ("{}"), so
// 16 MiB of them (5 million files) ran the service out of a 2 GiB
// address space. A commit of 100 files holds about 300.
const MaxJSONValues = 10_000

// tooManyValues returns the offset of the JSON value past limit in data,
// or -1: it counts the arrays, objects and commas outside strings (each
// comma separates one more value or member), one pass, no allocation.
func tooManyValues(data []byte, limit int) int {
	n := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '[', '{', ',':
			if n++; n > limit {
				return i
			}
		}
	}
	return -1
}

// article puts an article before the name encoding/json gives a JSON
// value's kind (number, string, array, object, bool).
func article(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "bool":
		return "a boolean"
	case "number", "string":
		return "a " + kind
	}
	return kind
}

// jsonType names the JSON a Go type takes.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}
