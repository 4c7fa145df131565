package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"blackstart/analysis"
	"blackstart/data/store"
	"blackstart/placement"
	"blackstart/power"
	"blackstart/topology"
)

// Pagination of collections: limit defaults to DefaultLimit, at most
// MaxLimit.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

func (s *Server) routes() {
	read := route{need: store.ScopeRead}
	s.handle("GET /healthz", route{}, s.healthz)
	s.handle("GET /api/v1/models", read, s.listModels)
	s.handle("GET /api/v1/models/{model}/revisions", read, s.listRevisions)
	s.handle("POST /api/v1/models/{model}/revisions", route{need: store.ScopeWrite, maxBody: MaxCommitBytes, write: true}, s.commit)
	s.handle("POST /api/v1/models/{model}/readings", route{need: store.ScopeIngest, maxBody: s.cfg.MaxReadingsBytes, write: true}, s.ingest)
	s.handle("GET /api/v1/models/{model}/revisions/{rev}", read, s.getRevision)
	s.handle("GET /api/v1/models/{model}/revisions/{rev}/files/{file}", read, s.getFile)
	s.handle("GET /api/v1/models/{model}/diff", read, s.diff)
	for _, a := range analyses {
		s.handle("GET /api/v1/models/{model}/revisions/{rev}/"+a.path, read, s.analysisHandler(a))
	}
	ingest := route{need: store.ScopeIngest, maxBody: 64 << 10, write: true}
	s.handle("POST /api/v1/incidents", ingest, s.createIncident)
	s.handle("GET /api/v1/incidents", read, s.listIncidents)
	s.handle("GET /api/v1/incidents/{id}", read, s.getIncident)
	s.handle("POST /api/v1/incidents/{id}/close", route{need: store.ScopeIngest, write: true}, s.closeIncident)
	s.handle("POST /api/v1/incidents/{id}/events", route{need: store.ScopeIngest, maxBody: MaxBatchBytes, write: true}, s.postEvents)
	s.handle("GET /api/v1/incidents/{id}/events", read, s.getEvents)
	s.handle("GET /api/v1/incidents/{id}/eta", read, s.getETA)
	s.handle("GET /api/v1/incidents/{id}/stream", read, s.stream)
	s.handle("GET /api/v1/audit", route{need: store.ScopeAdmin}, s.audit)
	s.methodNotAllowed()
	s.pageRoutes()
	s.handle("/", route{}, func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no route %s %s (see docs/api.md)", r.Method, r.URL.Path)
	})
}

// healthz answers whether the database answers, its WAL size and the
// build; 503 when the database does not answer.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	type health struct {
		Status        string `json:"status"`
		Database      string `json:"database"`
		SchemaVersion int    `json:"schema_version"`
		WALBytes      int64  `json:"wal_bytes"`
		Version       string `json:"version"`
		CachedResults int    `json:"cached_results"`
		CachedBytes   int64  `json:"cached_bytes"`
	}
	n, b := s.cache.stats()
	h := health{Status: "ok", Database: "ok", WALBytes: s.db.WALBytes(), Version: s.cfg.Version, CachedResults: n, CachedBytes: b}
	v, err := s.db.Version(r.Context())
	status := http.StatusOK
	if err != nil {
		h.Status, h.Database, status = "unavailable", err.Error(), http.StatusServiceUnavailable
	}
	h.SchemaVersion = v
	s.writeJSON(w, status, h)
	return nil
}

// page is a paginated collection: count in all, the URLs of the next and
// previous pages (null at the ends), and this page's results.
type page struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  any     `json:"results"`
}

// pageBounds reads limit and offset.
func pageBounds(q *query) (limit, offset int, err error) {
	if limit, err = q.int("limit", DefaultLimit); err != nil {
		return
	}
	if offset, err = q.int("offset", 0); err != nil {
		return
	}
	if limit < 1 || limit > MaxLimit {
		return 0, 0, errorf(http.StatusBadRequest, "limit %d: want 1 to %d", limit, MaxLimit)
	}
	if offset < 0 {
		return 0, 0, errorf(http.StatusBadRequest, "offset %d: want >= 0", offset)
	}
	return limit, offset, q.done()
}

func pageOf(r *http.Request, count, limit, offset int, results any) page {
	link := func(off int) *string {
		u := url.URL{Path: r.URL.Path}
		v := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(off)}}
		u.RawQuery = v.Encode()
		s := u.String()
		return &s
	}
	p := page{Count: count, Results: results}
	if offset+limit < count {
		p.Next = link(offset + limit)
	}
	if offset > 0 {
		p.Previous = link(max(0, offset-limit))
	}
	return p
}

func window[T any](all []T, limit, offset int) []T {
	if offset >= len(all) {
		return []T{}
	}
	return all[offset:min(len(all), offset+limit)]
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	limit, offset, err := pageBounds(q)
	if err != nil {
		return err
	}
	ms, err := s.db.Models(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, pageOf(r, len(ms), limit, offset, window(ms, limit, offset)))
	return nil
}

func (s *Server) listRevisions(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	limit, offset, err := pageBounds(q)
	if err != nil {
		return err
	}
	revs, err := s.db.Log(r.Context(), r.PathValue("model"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, pageOf(r, len(revs), limit, offset, window(revs, limit, offset)))
	return nil
}

// commitRequest is the body of a commit.
type commitRequest struct {
	Author  string `json:"author"`  // default: the token's name and id
	Message string `json:"message"` // required
	// Parent, when set, is the hash (prefix) the model's latest revision
	// must have, "-" for a new model; the If-Match header does the same.
	Parent string       `json:"parent"`
	Files  []commitFile `json:"files"`
}

type commitFile struct {
	Name    string `json:"name"`
	Content string `json:"content"` // the file's text, TOML
}

// commitAnswer is a commit's answer: the revision, and whether it was made
// (false: the files were those of the latest revision).
type commitAnswer struct {
	Created  bool           `json:"created"`
	Revision store.Revision `json:"revision"`
}

// readCommit decodes and checks a commit body into a store request.
func readCommit(r *http.Request, model string) (store.CommitRequest, error) {
	var body commitRequest
	if err := decodeJSON(r, &body); err != nil {
		return store.CommitRequest{}, err
	}
	req := store.CommitRequest{Model: model, Author: body.Author, Message: body.Message, Parent: body.Parent}
	if im := r.Header.Get("If-Match"); im != "" {
		if body.Parent != "" {
			return req, errorf(http.StatusBadRequest, "give the expected parent in If-Match or in the body, not both")
		}
		req.Parent = strings.Trim(strings.TrimPrefix(im, "W/"), `"`)
	}
	for _, f := range body.Files {
		if strings.ContainsAny(f.Name, "/\\") {
			return req, errorf(http.StatusBadRequest, "file name %q: a base name, without directories", f.Name)
		}
		req.Files = append(req.Files, store.File{Name: f.Name, Data: []byte(f.Content)})
	}
	return req, nil
}

func (s *Server) commit(w http.ResponseWriter, r *http.Request) error {
	model := r.PathValue("model")
	info := auditOf(r)
	info.model = model
	if err := noQuery(r); err != nil {
		return err
	}
	req, err := readCommit(r, model)
	if err != nil {
		return err
	}
	if strings.TrimSpace(req.Author) == "" {
		t := tokenOf(r)
		req.Author = "token " + t.ID
		if t.Name != "" {
			req.Author = t.Name + " (token " + t.ID + ")"
		}
	}
	// The write and its audit are one transaction, and it finishes even
	// if the client goes away.
	info.entry = &store.AuditEntry{TimeMS: s.cfg.Now().UnixMilli(), TokenID: tokenOf(r).ID, Method: r.Method, Route: r.URL.Path, Remote: r.RemoteAddr}
	req.Audit = info.entry
	res, err := s.db.Commit(context.WithoutCancel(r.Context()), req)
	if err != nil {
		info.entry = nil // rolled back with the write: the route audits the refusal
		if r.Header.Get("If-Match") != "" && classify(err).status == http.StatusConflict {
			return errorf(http.StatusPreconditionFailed, "%v", err)
		}
		return err
	}
	info.revision = res.Revision.SHA256
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	w.Header().Set("ETag", `"`+res.Revision.SHA256+`"`)
	w.Header().Set("Location", "/api/v1/models/"+url.PathEscape(model)+"/revisions/"+res.Revision.Name())
	s.writeJSON(w, status, commitAnswer{Created: res.Created, Revision: res.Revision})
	return nil
}

// ingest stores the body, a readings file (CSV or JSON Lines, as measure
// import reads), for the model: checked against its latest revision and
// stored whole or not at all; values already stored are not added again.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request) error {
	model := r.PathValue("model")
	info := auditOf(r)
	info.model = model
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	name, err := q.str("name", "body")
	if err != nil {
		return err
	}
	if err := q.done(); err != nil {
		return err
	}
	if name == "" || strings.ContainsAny(name, "/\\\x00") || len(name) > 255 {
		return errorf(http.StatusBadRequest, "query parameter name=%q: want a file's base name (at most 255 bytes)", name)
	}
	// A client that goes away leaves nothing behind: the import is whole
	// or nothing.
	res, err := s.db.ImportReadings(r.Context(), model, name, r.Body, store.ImportOptions{})
	if err != nil {
		return err
	}
	// The audit names the revision the readings were checked against by
	// its hash.
	if rev, err := s.db.Resolve(context.WithoutCancel(r.Context()), model, res.Revision); err == nil {
		info.revision = rev.SHA256
	}
	s.writeJSON(w, http.StatusOK, res)
	return nil
}

// revisionFiles is a revision with its files' contents.
type revisionFiles struct {
	store.Revision
	Contents []fileContent `json:"contents"`
}

type fileContent struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

func (s *Server) getRevision(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	withFiles, err := q.bool("files")
	if err != nil {
		return err
	}
	if err := q.done(); err != nil {
		return err
	}
	if !withFiles {
		rev, err := s.db.Resolve(r.Context(), r.PathValue("model"), r.PathValue("rev"))
		if err != nil {
			return err
		}
		w.Header().Set("ETag", `"`+rev.SHA256+`"`)
		s.writeJSON(w, http.StatusOK, rev)
		return nil
	}
	rev, files, err := s.db.Files(r.Context(), r.PathValue("model"), r.PathValue("rev"))
	if err != nil {
		return err
	}
	out := revisionFiles{Revision: rev, Contents: make([]fileContent, len(files))}
	for i, f := range files {
		out.Contents[i] = fileContent{f.Name, string(f.Data)}
	}
	w.Header().Set("ETag", `"`+rev.SHA256+`"`)
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// getFile answers one file of a revision, byte for byte.
func (s *Server) getFile(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	rev, files, err := s.db.Files(r.Context(), r.PathValue("model"), r.PathValue("rev"))
	if err != nil {
		return err
	}
	name := r.PathValue("file")
	for _, f := range files {
		if f.Name == name {
			w.Header().Set("Content-Type", "application/toml")
			w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
			w.Header().Set("ETag", `"`+rev.SHA256+`"`)
			w.Write(f.Data)
			return nil
		}
	}
	return errorf(http.StatusNotFound, "revision %s of model %q has no file %q", rev.Name(), rev.Model, name)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	limit, offset, err := pageBounds(q)
	if err != nil {
		return err
	}
	es, n, err := s.db.AuditLog(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, pageOf(r, n, limit, offset, es))
	return nil
}

// analysisRoute is one analysis of a revision: parse reads its query
// parameters (the CLI flags of the same name, with the same defaults) and
// returns the canonical form of its arguments and the computation.
type analysisRoute struct {
	path  string
	parse func(q *query) (canon string, run runFunc, err error)
}

// runFunc computes an analysis of a loaded model; stop reports that every
// client waiting for it went away.
type runFunc func(m *topology.Model, stop func() bool) ([]byte, error)

func basisParam(q *query) (power.Basis, string, error) {
	s, err := q.str("basis", "conservative")
	if err != nil {
		return 0, "", err
	}
	b, err := power.ParseBasis(s)
	if err != nil {
		return 0, "", errorf(http.StatusBadRequest, "query parameter %v", err) // "basis must be …"
	}
	return b, s, nil
}

// analyses are the analysis routes, each the CLI command of the same name
// with --format json.
var analyses = []analysisRoute{
	{"power/load", func(q *query) (string, runFunc, error) {
		b, bs, err := basisParam(q)
		if err != nil {
			return "", nil, err
		}
		return "basis=" + bs, func(m *topology.Model, _ func() bool) ([]byte, error) {
			n, err := analysis.Network(m, b)
			if err != nil {
				return nil, err
			}
			res, err := analysis.Load(n, power.LoadOptions{}, nil)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = res.WriteJSON(&buf)
			return buf.Bytes(), err
		}, nil
	}},
	{"power/failover", func(q *query) (string, runFunc, error) {
		b, bs, err := basisParam(q)
		if err != nil {
			return "", nil, err
		}
		h, err := q.float("horizon", power.DefaultHorizonS)
		if err != nil {
			return "", nil, err
		}
		if err := analysis.CheckHorizon(h); err != nil {
			return "", nil, err
		}
		all, err := q.bool("all")
		if err != nil {
			return "", nil, err
		}
		fail := q.list("fail")
		canon := url.Values{"basis": {bs}, "horizon": {strconv.FormatFloat(h, 'g', -1, 64)}, "all": {strconv.FormatBool(all)}, "fail": fail}
		return canon.Encode(), func(m *topology.Model, stop func() bool) ([]byte, error) {
			n, err := analysis.Network(m, b)
			if err != nil {
				return nil, err
			}
			res, err := analysis.Failover(m, n, analysis.FailoverOptions{HorizonS: h, Fail: fail, All: all, Stop: stop})
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = res.WriteJSON(&buf)
			return buf.Bytes(), err
		}, nil
	}},
	{"power/headroom", func(q *query) (string, runFunc, error) {
		b, bs, err := basisParam(q)
		if err != nil {
			return "", nil, err
		}
		dm, err := q.str("device-model", "")
		if err != nil {
			return "", nil, err
		}
		canon := url.Values{"basis": {bs}, "device-model": {dm}}
		return canon.Encode(), onNetwork(b, func(n *power.Network) (any, error) {
			return analysis.Headroom(n, dm, nil)
		}), nil
	}},
	{"power/place", func(q *query) (string, runFunc, error) {
		b, bs, err := basisParam(q)
		if err != nil {
			return "", nil, err
		}
		add := q.list("add")
		adds, err := analysis.ParseAdds(add)
		if err != nil {
			return "", nil, err
		}
		racks := q.list("rack")
		noVerify, err := q.bool("no-verify")
		if err != nil {
			return "", nil, err
		}
		canon := url.Values{"basis": {bs}, "add": add, "rack": racks, "no-verify": {strconv.FormatBool(noVerify)}}
		return canon.Encode(), onNetwork(b, func(n *power.Network) (any, error) {
			return analysis.Place(n, adds, racks, !noVerify, nil)
		}), nil
	}},
	{"power/balance", func(q *query) (string, runFunc, error) {
		b, bs, err := basisParam(q)
		if err != nil {
			return "", nil, err
		}
		moves, err := q.int("max-moves", 5)
		if err != nil {
			return "", nil, err
		}
		imb, err := q.float("imbalance", power.DefaultImbalancePct)
		if err != nil {
			return "", nil, err
		}
		if err := analysis.CheckBalance(moves, imb); err != nil {
			return "", nil, err // ErrInvalid: 400
		}
		canon := url.Values{"basis": {bs}, "max-moves": {strconv.Itoa(moves)}, "imbalance": {strconv.FormatFloat(imb, 'g', -1, 64)}}
		return canon.Encode(), onNetwork(b, func(n *power.Network) (any, error) {
			return analysis.Balance(n, moves, imb)
		}), nil
	}},
	{"plan/restart", func(q *query) (string, runFunc, error) {
		return "", func(m *topology.Model, _ func() bool) ([]byte, error) {
			if err := analysis.Workloads(m); err != nil {
				return nil, err // ErrInvalid: 400
			}
			var buf bytes.Buffer
			err := analysis.WriteJSON(&buf, analysis.RestartPlan(m, nil))
			return buf.Bytes(), err
		}, nil
	}},
	{"plan/compare", func(q *query) (string, runFunc, error) {
		seed, err := q.uint("seed", 1)
		if err != nil {
			return "", nil, err
		}
		refresh, err := q.float("refresh", placement.DefaultRefreshS)
		if err != nil {
			return "", nil, err
		}
		rate, err := q.float("dispatch-rate", 0)
		if err != nil {
			return "", nil, err
		}
		o := analysis.SimOptions{Seed: seed, RefreshS: refresh, DispatchPerS: rate}
		canon := url.Values{"seed": {strconv.FormatUint(seed, 10)}, "refresh": {strconv.FormatFloat(refresh, 'g', -1, 64)},
			"dispatch-rate": {strconv.FormatFloat(rate, 'g', -1, 64)}}
		return canon.Encode(), func(m *topology.Model, stop func() bool) ([]byte, error) {
			o.Stop = stop
			res, err := analysis.Simulate(m, placement.Policies, o)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = analysis.WriteResults(&buf, res)
			return buf.Bytes(), err
		}, nil
	}},
	{"estimate/plan", func(q *query) (string, runFunc, error) {
		seed, err := q.uint("seed", 1)
		if err != nil {
			return "", nil, err
		}
		runs, err := q.int("runs", 50)
		if err != nil {
			return "", nil, err
		}
		policy, err := q.str("policy", placement.PolicyPlan)
		if err != nil {
			return "", nil, err
		}
		if err := analysis.CheckPolicy(policy); err != nil {
			return "", nil, err
		}
		if runs < 1 || runs > MaxRuns {
			return "", nil, errorf(http.StatusBadRequest, "runs %d: want 1 to %d", runs, MaxRuns)
		}
		o := analysis.ETAOptions{Policy: policy, Runs: runs, Seed: seed}
		canon := url.Values{"seed": {strconv.FormatUint(seed, 10)}, "runs": {strconv.Itoa(runs)}, "policy": {policy}}
		return canon.Encode(), func(m *topology.Model, stop func() bool) ([]byte, error) {
			o := o
			o.Stop = stop
			e, err := analysis.PlannedETA(m, o)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = analysis.WriteJSON(&buf, e)
			return buf.Bytes(), err
		}, nil
	}},
}

// MaxRuns bounds estimate/plan's runs on the API (the CLI allows up to
// estimate.MaxRuns).
const MaxRuns = 1000

// etag is the entity tag of a result: it depends on the build and the
// result's key (revision hashes, analysis, canonical arguments) only, so
// it is known before the result is computed.
func (s *Server) etag(key string) string {
	h := sha256.Sum256([]byte(s.cfg.Version + "\x00" + key))
	return `"` + hex.EncodeToString(h[:16]) + `"`
}

func (s *Server) analysisHandler(a analysisRoute) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := newQuery(r)
		if err != nil {
			return err
		}
		canon, run, err := a.parse(q)
		if err != nil {
			return err
		}
		if err := q.done(); err != nil {
			return err
		}
		model := r.PathValue("model")
		rev, err := s.db.Resolve(r.Context(), model, r.PathValue("rev"))
		if err != nil {
			return err
		}
		key := rev.SHA256 + " " + a.path + "?" + canon
		w.Header().Set("X-Blackstart-Revision", rev.Model+rev.Name()+" "+rev.SHA256)
		return s.serveResult(w, r, key, rev.SHA256, func(stop func() bool) ([]byte, error) {
			m, _, err := s.db.LoadModel(context.WithoutCancel(r.Context()), model, rev.Name())
			if err != nil {
				return nil, err
			}
			return run(m, stop)
		})
	}
}

// serveResult answers the result under key: 304 when the client has it,
// from the cache, or computed once (under the bound on analyses running:
// 429 past it) while the client waits; a client that goes away is no
// longer waited for, and once none waits a sweep stops.
func (s *Server) serveResult(w http.ResponseWriter, r *http.Request, key, sha string, compute func(stop func() bool) ([]byte, error)) error {
	etag := s.etag(key)
	w.Header().Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && (etagMatch(inm, etag) || etagMatch(inm, gzipETag(etag))) {
		if etagMatch(inm, etag) {
			w.Header().Set("ETag", etag)
		} else {
			w.Header().Set("ETag", gzipETag(etag))
		}
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body, err := s.result(r.Context(), key, sha, false, compute)
	if err != nil {
		return err
	}
	if err := writeStored(w, r, body, etag); err != nil && r.Context().Err() == nil {
		s.cfg.Log.Printf("writing %s: %v", r.URL.Path, err)
	}
	return nil
}

// result returns the result under key as kept (gzip from 64 KiB: see
// pack): from the cache, or computed once under the bound on analyses
// running (errBusy past it) while ctx waits; once no request waits, a
// computation that can stop does. wait: past the bound, wait for a
// slot rather than answer errBusy (the pages).
func (s *Server) result(ctx context.Context, key, sha string, wait bool, compute func(stop func() bool) ([]byte, error)) ([]byte, error) {
	body, ok := s.cache.get(key)
	if !ok && s.cfg.PersistResults {
		var err error
		if body, ok, err = s.db.Result(ctx, sha, key, s.cfg.Version); err != nil {
			return nil, err
		}
		if ok {
			s.cache.put(key, body)
		}
	}
	// A computation stopped because its clients left just as this one
	// joined is started again.
	for !ok {
		f, start := s.cache.join(key)
		if start {
			if wait { // a page: its reader waits for a slot
				select {
				case s.sem <- struct{}{}:
				case <-ctx.Done():
					s.cache.finish(key, f, nil, ctx.Err())
					return nil, ctx.Err()
				}
			} else {
				select {
				case s.sem <- struct{}{}:
				default:
					s.cache.finish(key, f, nil, errBusy)
					return nil, errBusy
				}
			}
			go func() {
				// The slot is given back before the waiters hear of the
				// result: a client that sends its next request as soon as
				// it has this one's answer must find the slot free.
				b, err := func() ([]byte, error) {
					defer func() { <-s.sem }()
					b, err := compute(func() bool { return s.cache.isStopped(f) })
					if err == nil {
						b, err = pack(b)
					}
					if err == nil && s.cfg.PersistResults {
						if perr := s.db.PutResult(context.Background(), sha, key, s.cfg.Version, b); perr != nil {
							s.cfg.Log.Printf("keeping result %s: %v", key, perr)
						}
					}
					return b, err
				}()
				if s.resultHook != nil {
					s.resultHook(s)
				}
				s.cache.finish(key, f, b, err)
			}()
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			s.cache.leave(f)
			return nil, ctx.Err()
		}
		switch {
		case errors.Is(f.err, analysis.ErrStopped):
			continue
		case f.err != nil:
			return nil, f.err
		}
		body, ok = f.body, true
	}
	return body, nil
}

var errBusy = &apiError{status: http.StatusTooManyRequests, msg: "too many analyses running; retry later", retry: true}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// diff answers blackstart diff --format json for two stored revisions:
// new defaults to the latest, old to new's parent.
func (s *Server) diff(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	oldRef, err := q.str("old", "")
	if err != nil {
		return err
	}
	newRef, err := q.str("new", "")
	if err != nil {
		return err
	}
	b, bs, err := basisParam(q)
	if err != nil {
		return err
	}
	h, err := q.float("horizon", power.DefaultHorizonS)
	if err != nil {
		return err
	}
	if err := analysis.CheckHorizon(h); err != nil {
		return err
	}
	if err := q.done(); err != nil {
		return err
	}
	key, _, newRev, compute, err := s.diffOf(r.Context(), r.PathValue("model"), oldRef, newRef, b, bs, h)
	if err != nil {
		return err
	}
	return s.serveResult(w, r, key, newRev.SHA256, compute)
}

// diffOf resolves the two revisions of a diff of model (new: the latest
// when ""; old: new's parent when "") and returns the key of blackstart
// diff --format json of them and its computation.
func (s *Server) diffOf(ctx context.Context, model, oldRef, newRef string, b power.Basis, bs string, h float64) (key string, oldRev, newRev store.Revision, compute func(stop func() bool) ([]byte, error), err error) {
	newRev, err = s.db.Resolve(ctx, model, newRef)
	if err != nil {
		return
	}
	if oldRef == "" {
		if newRev.ParentSeq == 0 {
			err = errorf(http.StatusBadRequest, "diff: %s is the model's first revision: name the old side (old=REV)", analysis.RevisionLabel(newRev.Model, newRev.Seq, newRev.SHA256))
			return
		}
		oldRef = "@" + strconv.Itoa(newRev.ParentSeq)
	}
	oldRev, err = s.db.Resolve(ctx, model, oldRef)
	if err != nil {
		return
	}
	canon := url.Values{"basis": {bs}, "horizon": {strconv.FormatFloat(h, 'g', -1, 64)}}
	// The labels name the model and the revisions' numbers: they are part
	// of the key.
	key = oldRev.SHA256 + " " + newRev.SHA256 + " diff?" + canon.Encode() + "&model=" + url.QueryEscape(model) +
		"&seqs=" + strconv.Itoa(oldRev.Seq) + "," + strconv.Itoa(newRev.Seq)
	compute = func(stop func() bool) ([]byte, error) {
		cctx := context.WithoutCancel(ctx)
		om, _, err := s.db.LoadModel(cctx, model, oldRev.Name())
		if err != nil {
			return nil, err
		}
		nm, _, err := s.db.LoadModel(cctx, model, newRev.Name())
		if err != nil {
			return nil, err
		}
		rep, err := analysis.DiffUntil(om, nm, analysis.RevisionLabel(oldRev.Model, oldRev.Seq, oldRev.SHA256),
			analysis.RevisionLabel(newRev.Model, newRev.Seq, newRev.SHA256), b, h, stop)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		err = analysis.WriteJSON(&buf, rep)
		return buf.Bytes(), err
	}
	return key, oldRev, newRev, compute, nil
}

// onNetwork is the runFunc of a route that answers from the model's power
// network at basis b: it builds the network as the CLI does and writes
// what f returns as the CLI's --format json bytes.
func onNetwork(b power.Basis, f func(*power.Network) (any, error)) runFunc {
	return func(m *topology.Model, _ func() bool) ([]byte, error) {
		n, err := analysis.Network(m, b)
		if err != nil {
			return nil, err
		}
		v, err := f(n)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		err = analysis.WriteJSON(&buf, v)
		return buf.Bytes(), err
	}
}
