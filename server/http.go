package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
		return errorf(http.StatusBadRequest, "%v", err)
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

// decodeJSON reads one JSON value from the body into v, refusing unknown
// fields and trailing data.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "request body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "request body: data after the JSON value")
	}
	return nil
}
