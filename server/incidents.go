package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"blackstart/analysis"
	"blackstart/data/events"
	"blackstart/data/store"
	"blackstart/estimate"
	"blackstart/placement"
	"blackstart/topology"
)

// MaxBatchBytes bounds an event batch's request body, bytes (413 past it):
// 1,000 events take about 80 kB.
const MaxBatchBytes = 16 << 20

// StreamRefresh is how often /stream sends a fresh estimate when no batch
// came (the ETA moves with the clock: nodes go stale).
const StreamRefresh = 10 * time.Second

// DefaultMaxLive bounds the live estimators kept in memory when
// Config.MaxLive is 0: an incident past it that was not asked about for
// the longest is dropped, and rebuilt from its stored events when asked
// again.
const DefaultMaxLive = 64

// revState is what every incident of one model revision shares, built
// once and read-only: the cluster, the restart plan, and the events
// reader's index of names. refs counts the live estimators using it; at
// 0 it is dropped.
type revState struct {
	c     *placement.Cluster
	p     *placement.Plan
	x     *events.Index
	refs  int           // under incidents.mu
	ready chan struct{} // closed once built (or failed: err)
	err   error
}

// live is one incident's live estimator, kept between batches: a batch is
// observed once, never re-read. mu serialises its batches and estimates.
type live struct {
	mu    sync.Mutex
	in    store.Incident
	rev   *revState
	c     *placement.Cluster // = rev.c
	p     *placement.Plan    // = rev.p
	l     *estimate.Live
	n     int     // events observed (= acknowledged)
	lastT float64 // the latest event's time, s from the start
	seq   int     // the latest batch acknowledged
	// changed is closed (and replaced) when a batch is acknowledged or the
	// incident is closed: /stream waits on it.
	changed chan struct{}
	// The last ETA document answered (JSON, as estimate live prints it)
	// and what it is of: the events observed and the time asked, s. The
	// estimate is a function of these alone.
	etaN    int
	etaAt   float64
	etaJSON []byte
	// hist is the estimates made from the kept estimator, in time order,
	// one per events count (the latest at that count): the ETA chart of
	// the incident page. At most MaxHistory, thinned by halves.
	hist []estimate.Snapshot
	// dropped is set (under mu) when the estimator is evicted: a request
	// holding it asks for the incident's estimator again.
	dropped bool
	used    uint64 // when it was last asked for (incidents.clock)
}

// incidents holds the live estimators of the incidents asked about, at
// most max of them, and the revisions they share.
type incidents struct {
	mu    sync.Mutex
	m     map[int64]*live
	revs  map[string]*revState // by revision hash
	max   int
	clock uint64
	// estimating holds a token per estimate being computed (see
	// estimateGate); gateWaits counts the requests waiting for one.
	estimating chan struct{}
	gateWaits  atomic.Int32
	// queued is closed when the last request waiting for the gate is
	// admitted (nil while none waits; under queuedMu): what a batch
	// waits for in yieldToEstimates.
	queuedMu sync.Mutex
	queued   chan struct{}
}

// ReadsFirstMax bounds how long a batch waits, before it is read, for the
// estimates queued at the gate (see yieldToEstimates).
const ReadsFirstMax = 50 * time.Millisecond

// yieldToEstimates waits while ETA requests wait for the estimate gate,
// at most ReadsFirstMax, before a batch is read and written out (some 3
// ms of CPU for 1,000 events): under the 32-client load a round of
// batches, acknowledged together by one commit, was read all at once on
// 2 processors while the same round's ETA requests queued at the gate
// behind other incidents' estimates. An ETA is what everyone watching an
// incident waits for; a batch is acknowledged when committed, a little
// later. Nothing waits when no ETA request does, and no batch waits
// longer than the bound.
func (s *Server) yieldToEstimates(ctx context.Context) {
	if s.inc.gateWaits.Load() == 0 {
		return
	}
	s.inc.queuedMu.Lock()
	ch := s.inc.queued
	s.inc.queuedMu.Unlock()
	if ch == nil {
		return
	}
	t := time.NewTimer(ReadsFirstMax)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}

// queue counts a request waiting for the gate (d +1) or no longer (−1).
func (s *Server) queue(d int32) {
	s.inc.queuedMu.Lock()
	defer s.inc.queuedMu.Unlock()
	switch n := s.inc.gateWaits.Add(d); {
	case d > 0 && s.inc.queued == nil:
		s.inc.queued = make(chan struct{})
	case n == 0 && s.inc.queued != nil:
		close(s.inc.queued)
		s.inc.queued = nil
	}
}

// estimateGate admits an estimate: at most GOMAXPROCS are computed at
// once (each spreads its projections over the processors already), the
// others wait their turn in arrival order as far as the runtime keeps it.
// With 32 incidents each asking for a fresh estimate at once, computing
// them all together interleaved 32 estimators' working memory (several MB
// each) on 2 cores' caches; the estimates are the same either way. It
// returns the release, or the context's error.
func (s *Server) estimateGate(ctx context.Context) (func(), error) {
	select {
	case s.inc.estimating <- struct{}{}:
		return func() { <-s.inc.estimating }, nil
	default:
	}
	s.queue(1)
	defer s.queue(-1)
	select {
	case s.inc.estimating <- struct{}{}:
		return func() { <-s.inc.estimating }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// incidentID parses an incident id of a route's path: a number from 1,
// else 404.
func incidentID(text string) (int64, error) {
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id < 1 {
		return 0, errorf(http.StatusNotFound, "no incident %q: ids are numbers from 1", text)
	}
	return id, nil
}

// liveOf returns the live estimator of incident id, building it once from
// the stored events (after a restart, or after it was evicted). The
// caller takes lv.mu and, finding lv.dropped, asks again (lockLive does).
func (s *Server) liveOf(ctx context.Context, idText string) (*live, error) {
	id, err := incidentID(idText)
	if err != nil {
		return nil, err
	}
	for {
		s.inc.mu.Lock()
		s.inc.clock++
		lv := s.inc.m[id]
		if lv == nil {
			lv = &live{changed: make(chan struct{}), used: s.inc.clock}
			lv.mu.Lock() // built below, outside the map's lock
			s.inc.m[id] = lv
			s.evictLocked(lv)
			s.inc.mu.Unlock()
			err := s.buildLive(ctx, id, lv)
			if err != nil {
				lv.dropped = true
				lv.mu.Unlock()
				s.inc.mu.Lock()
				if s.inc.m[id] == lv {
					delete(s.inc.m, id)
				}
				s.inc.mu.Unlock()
				return nil, err
			}
			lv.mu.Unlock()
			return lv, nil
		}
		lv.used = s.inc.clock
		s.inc.mu.Unlock()
		lv.mu.Lock()
		ok := !lv.dropped
		lv.mu.Unlock()
		if ok {
			return lv, nil
		}
		// its build failed or it was evicted meanwhile: again
	}
}

// lockLive is liveOf with the estimator locked: the caller unlocks it.
func (s *Server) lockLive(ctx context.Context, idText string) (*live, error) {
	for {
		lv, err := s.liveOf(ctx, idText)
		if err != nil {
			return nil, err
		}
		lv.mu.Lock()
		if !lv.dropped {
			return lv, nil
		}
		lv.mu.Unlock()
	}
}

// evictLocked drops the estimators asked about least recently while more
// than the bound are kept, sparing keep and any in use (locked). Called
// with s.inc.mu held.
func (s *Server) evictLocked(keep *live) {
	for len(s.inc.m) > s.inc.max {
		var victim *live
		var vid int64
		for id, lv := range s.inc.m {
			if lv != keep && (victim == nil || lv.used < victim.used) {
				victim, vid = lv, id
			}
		}
		if victim == nil || !victim.mu.TryLock() {
			return // all in use: over the bound until one is free
		}
		s.dropLocked(vid, victim)
		victim.mu.Unlock()
	}
}

// dropLocked forgets incident id's estimator lv (locked by the caller,
// s.inc.mu held) and releases its revision.
func (s *Server) dropLocked(id int64, lv *live) {
	lv.dropped = true
	lv.etaJSON = nil
	if s.inc.m[id] == lv {
		delete(s.inc.m, id)
	}
	if r := lv.rev; r != nil {
		lv.rev = nil
		if r.refs--; r.refs == 0 {
			delete(s.inc.revs, lv.in.Revision)
		}
	}
	close(lv.changed) // streams on it look again
	lv.changed = make(chan struct{})
}

// revOf returns the shared state of revision sha of model, built once
// (the incidents asking while it is built wait for it).
func (s *Server) revOf(ctx context.Context, model, sha string) (*revState, error) {
	s.inc.mu.Lock()
	if r := s.inc.revs[sha]; r != nil {
		r.refs++
		s.inc.mu.Unlock()
		<-r.ready
		if r.err != nil {
			s.inc.mu.Lock()
			r.refs--
			s.inc.mu.Unlock()
			return nil, r.err
		}
		return r, nil
	}
	r := &revState{refs: 1, ready: make(chan struct{})}
	s.inc.revs[sha] = r
	s.inc.mu.Unlock()
	m, _, err := s.db.LoadModel(ctx, model, sha)
	if err == nil {
		r.c = placement.NewCluster(m)
		r.p = placement.NewPlan(r.c)
		r.x = events.NewIndex(r.c)
	}
	r.err = err
	if err != nil {
		s.inc.mu.Lock()
		delete(s.inc.revs, sha) // the next asks again
		r.refs--
		s.inc.mu.Unlock()
	}
	close(r.ready)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Server) buildLive(ctx context.Context, id int64, lv *live) error {
	ctx = context.WithoutCancel(ctx)
	in, err := s.db.GetIncident(ctx, id)
	if err != nil {
		return err
	}
	r, err := s.revOf(ctx, in.Model, in.Revision)
	if err != nil {
		return err
	}
	lv.in, lv.rev = in, r // released by dropLocked from here on
	body, seq, err := s.db.IncidentEvents(ctx, id, 1)
	if err != nil {
		s.releaseRev(lv)
		return err
	}
	evs, err := events.ReadWith(fmt.Sprintf("incident %d", id), bytes.NewReader(body), r.c, events.Options{AllowEmpty: true, Index: r.x})
	if err != nil {
		s.releaseRev(lv)
		return fmt.Errorf("incident %d: its stored events do not read back: %w", id, err)
	}
	l := estimate.NewLive(r.c, r.p)
	l.SetSeed(uint64(id)) // each incident its own draws; estimate live --seed ID
	// At most GOMAXPROCS estimates run at once (estimateGate): the
	// incidents of a revision share their projections' working memory.
	l.ShareWorkspace()
	for _, e := range evs {
		l.Observe(e)
	}
	lv.c, lv.p, lv.l, lv.n, lv.seq = r.c, r.p, l, len(evs), seq
	if len(evs) > 0 {
		lv.lastT = evs[len(evs)-1].TS
	}
	return nil
}

// releaseRev gives back lv's revision after a failed build.
func (s *Server) releaseRev(lv *live) {
	s.inc.mu.Lock()
	defer s.inc.mu.Unlock()
	if r := lv.rev; r != nil {
		lv.rev = nil
		if r.refs--; r.refs == 0 {
			delete(s.inc.revs, lv.in.Revision)
		}
	}
}

// LiveStats returns the live estimators kept and the revisions they
// share (cluster, plan and index each).
func (s *Server) LiveStats() (incidents, revisions int) {
	s.inc.mu.Lock()
	defer s.inc.mu.Unlock()
	return len(s.inc.m), len(s.inc.revs)
}

// incidentRequest is the body of POST /api/v1/incidents.
type incidentRequest struct {
	Model string `json:"model"`
	Rev   string `json:"rev"`   // "" or @latest, @N, a hash prefix
	Start string `json:"start"` // RFC 3339; "" for the server's clock
	Name  string `json:"name"`
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	var body incidentRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	info := auditOf(r)
	info.model = body.Model
	start := s.cfg.Now()
	if body.Start != "" {
		t, err := time.Parse(time.RFC3339Nano, body.Start)
		if err != nil {
			return errorf(http.StatusBadRequest, "start %q: want RFC 3339 such as \"2019-06-04T09:30:00Z\"", body.Start)
		}
		start = t
	}
	ctx := context.WithoutCancel(r.Context())
	in, err := s.db.CreateIncident(ctx, body.Model, body.Rev, body.Name, start.UnixMilli())
	if err != nil {
		return err
	}
	info.revision = in.Revision
	// Its live estimator is built now (and its revision's cluster, plan
	// and index, unless another incident's estimator holds them), under
	// the usual bound, so that its first batch and ETA do not wait for
	// them: the revision took some 200 ms to build on the platform, and
	// the first batches of incidents created together all waited for it.
	// A revision that fails to load is answered as before, when the
	// incident is asked about (the incident is created either way).
	s.liveOf(ctx, strconv.FormatInt(in.ID, 10))
	w.Header().Set("Location", fmt.Sprintf("/api/v1/incidents/%d", in.ID))
	s.writeJSON(w, http.StatusCreated, in)
	return nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	limit, offset, err := pageBounds(q)
	if err != nil {
		return err
	}
	if err := q.done(); err != nil {
		return err
	}
	all, err := s.db.Incidents(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, pageOf(r, len(all), limit, offset, window(all, limit, offset)))
	return nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id, err := incidentID(r.PathValue("id"))
	if err != nil {
		return err
	}
	in, err := s.db.GetIncident(r.Context(), id)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) closeIncident(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	lv, err := s.lockLive(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer lv.mu.Unlock()
	in, err := s.db.CloseIncident(context.WithoutCancel(r.Context()), lv.in.ID)
	if err != nil {
		return err
	}
	auditOf(r).model, auditOf(r).revision = in.Model, in.Revision
	lv.in = in
	// A closed incident's estimator is not kept: asked again, it is
	// rebuilt from the stored events (and counts against the bound).
	s.inc.mu.Lock()
	s.dropLocked(in.ID, lv)
	s.inc.mu.Unlock()
	s.writeJSON(w, http.StatusOK, in)
	return nil
}

// batchAnswer is the answer to an acknowledged batch.
type batchAnswer struct {
	Batch  store.Batch `json:"batch"`
	Events int         `json:"events"`   // the incident's events in all
	LastTS float64     `json:"last_t_s"` // its latest event's time, s from the start
}

// refused is a batch's 422: its problems at batch:line:col.
func refused(err error) error {
	var list topology.ErrorList
	if !errors.As(err, &list) {
		return err
	}
	ps := make([]problem, len(list))
	for i, e := range list {
		ps[i] = problem{File: e.Pos.File, Line: e.Pos.Line, Col: e.Pos.Col, Message: e.Msg}
	}
	return &apiError{status: http.StatusUnprocessableEntity, msg: fmt.Sprintf("the batch is refused, nothing of it was taken: %d problem(s); the first: %v", len(list), list[0]), problems: ps}
}

// postEvents takes a batch of progress events: it is checked whole against
// the incident's model and its latest event, committed under its
// Idempotency-Key, and only then acknowledged and observed by the live
// estimator.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > store.MaxIdempotencyKey {
		return errorf(http.StatusBadRequest, "Idempotency-Key: required, 1 to %d bytes, a new one per batch (a retry sends the same)", store.MaxIdempotencyKey)
	}
	body, err := readBody(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "request body: %v", err)
	}
	s.yieldToEstimates(r.Context())
	lv, err := s.lockLive(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ctx := context.WithoutCancel(r.Context())
	defer lv.mu.Unlock()
	info := auditOf(r)
	info.model, info.revision = lv.in.Model, lv.in.Revision
	if b, sha, ok, err := s.db.BatchKey(ctx, lv.in.ID, key); err != nil {
		return err
	} else if ok {
		if sha != sha256Hex(body) {
			return errorf(http.StatusConflict, "Idempotency-Key %q was acknowledged (batch %d) with a different body", key, b.Seq)
		}
		b.Replayed = true
		s.writeJSON(w, http.StatusOK, batchAnswer{Batch: b, Events: lv.n, LastTS: lv.lastT})
		return nil
	}
	if lv.in.ClosedMS != 0 {
		return errorf(http.StatusConflict, "incident %d is closed", lv.in.ID)
	}
	var verbatim bool
	evs, err := events.ReadWith("batch", bytes.NewReader(body), lv.c,
		// Held: an incident holds at most events.MaxEvents, so that its
		// events read back (when its estimator is built again, and by
		// estimate live from GET …/events).
		events.Options{Start: time.UnixMilli(lv.in.StartMS), After: lv.lastT, HaveAfter: lv.n > 0, AllowEmpty: true, Index: lv.rev.x, Held: lv.n,
			Verbatim: &verbatim})
	if err != nil {
		return refused(err)
	}
	for k := range evs {
		evs[k].TS = math.Round(evs[k].TS*1000) / 1000
	}
	// The batch is stored in the canonical form, as events.Write writes
	// it: the body itself when it is that already, line for line (as a
	// client that writes with events.Write posts it), else written again.
	canon := body
	if !verbatim {
		var buf bytes.Buffer
		buf.Grow(len(body) + len(body)/8) // about its size: not grown from nothing, copied and cleared each doubling
		if err := events.Write(&buf, lv.c, evs, events.FormatJSONL); err != nil {
			return err
		}
		canon = buf.Bytes()
	}
	lastMS := int64(0)
	if len(evs) > 0 {
		lastMS = int64(math.Round(evs[len(evs)-1].TS * 1000))
	}
	// The batch and its audit are one transaction.
	info.entry = &store.AuditEntry{TimeMS: s.cfg.Now().UnixMilli(), TokenID: tokenOf(r).ID, Method: r.Method, Route: r.URL.Path, Remote: r.RemoteAddr}
	b, err := s.group.append(ctx, s.db, store.BatchRequest{Incident: lv.in.ID, Key: key, Body: body, WantEvents: lv.n,
		Events: canon, Count: len(evs), LastTMS: lastMS, Audit: info.entry})
	if err != nil {
		info.entry = nil // rolled back: the route audits the refusal
		if errors.Is(err, store.ErrClosed) {
			return errorf(http.StatusConflict, "%v", err)
		}
		return err
	}
	for _, e := range evs {
		lv.l.Observe(e)
	}
	lv.n += len(evs)
	if len(evs) > 0 {
		lv.lastT = evs[len(evs)-1].TS
	}
	lv.seq = b.Seq
	lv.in.Events, lv.in.LastTMS = lv.n, int64(math.Round(lv.lastT*1000))
	close(lv.changed)
	lv.changed = make(chan struct{})
	w.Header().Set("Location", fmt.Sprintf("/api/v1/incidents/%d/events", lv.in.ID))
	s.writeJSON(w, http.StatusCreated, batchAnswer{Batch: b, Events: lv.n, LastTS: lv.lastT})
	return nil
}

// readBody reads r's body whole into memory of the size its
// Content-Length gives (up to bodyPrealloc; the body's own bound still
// applies), rather than growing it from 512 bytes by doublings, each
// copied and the new memory cleared: a 1,000-event batch is about 80 kB.
// A longer body grows past it as io.ReadAll would: the header alone,
// before any of the body came, never reserves more than bodyPrealloc.
func readBody(r *http.Request) ([]byte, error) {
	n := r.ContentLength
	if n <= 0 {
		return io.ReadAll(r.Body)
	}
	b := make([]byte, 0, min(n, bodyPrealloc)+1) // the 1: the end is seen without growing
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than it said: grown as io.ReadAll does
		}
		m, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// bodyPrealloc bounds the memory readBody reserves from a Content-Length
// before reading, bytes: a client announcing MaxBatchBytes and sending
// nothing (or slowly) would otherwise hold 16 MiB of the server per
// request; some 12,000 events fit in it.
const bodyPrealloc = 1 << 20

// getEvents exports the incident's events in the events file format (JSON
// Lines, t_s from the start): what estimate live --events and report
// --events read.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id, err := incidentID(r.PathValue("id"))
	if err != nil {
		return err
	}
	body, _, err := s.db.IncidentEvents(r.Context(), id, 1)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
	return nil
}

// atParam reads ?at=: seconds from the incident's start, or an RFC 3339
// time; the server's clock when absent (the caller moves that to the
// latest event when the clock is behind it).
func (s *Server) atParam(q *query, in store.Incident) (float64, error) {
	v, err := q.str("at", "")
	if err != nil {
		return 0, err
	}
	start := time.UnixMilli(in.StartMS)
	if v == "" {
		return max(0, s.cfg.Now().Sub(start).Seconds()), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if !(f >= 0 && f <= events.MaxTimeS) {
			return 0, errorf(http.StatusBadRequest, "query parameter at: a time from 0 to %g s from the incident's start, got %q", events.MaxTimeS, v)
		}
		return f, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "query parameter at: seconds from the incident's start or an RFC 3339 time, got %q", v)
	}
	if t.Before(start) {
		return 0, errorf(http.StatusBadRequest, "query parameter at: %s is before the incident's start %s", v, start.UTC().Format(time.RFC3339Nano))
	}
	// Compared as times: t.Sub saturates past 292 years.
	if t.After(start.Add(time.Duration(events.MaxTimeS) * time.Second)) {
		return 0, errorf(http.StatusBadRequest, "query parameter at: %s is more than %g s after the incident's start %s", v, events.MaxTimeS, start.UTC().Format(time.RFC3339Nano))
	}
	return t.Sub(start).Seconds(), nil
}

// etaAt is the live estimate at at (s from the start) as the JSON
// estimate live --format json prints: the kept estimator's when at is at
// or after the latest event (the last document answered again when
// neither the events nor at changed), else the events up to at replayed
// into a new one (a look back, as estimate live --at does). seq is the
// latest batch the estimate is after.
//
// A request that has an estimate to compute waits for the estimate gate
// without the incident's lock (held, it kept the incident's batches
// waiting behind other incidents' estimates), then takes the lock again
// and works from the events taken by then: the time asked is worked out
// from them again, and the estimate covers exactly them (seq says up to
// which batch).
func (s *Server) etaAt(ctx context.Context, idText string, at func(lastT float64) float64) (doc []byte, seq int, err error) {
	lv, err := s.lockLive(ctx, idText)
	if err != nil {
		return nil, 0, err
	}
	if t := at(lv.lastT); lv.kept(t) {
		defer lv.mu.Unlock()
		return lv.etaJSON, lv.seq, nil
	}
	lv.mu.Unlock()
	release, err := s.estimateGate(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer func() { release() }()
	if lv, err = s.lockLive(ctx, idText); err != nil {
		return nil, 0, err
	}
	t := at(lv.lastT)
	if t >= lv.lastT || lv.n == 0 {
		defer lv.mu.Unlock()
		if lv.kept(t) {
			return lv.etaJSON, lv.seq, nil // computed while this request waited
		}
		snap := lv.l.Estimate(t)
		var b bytes.Buffer
		if err := analysis.WriteJSON(&b, snap); err != nil {
			return nil, 0, err
		}
		lv.remember(snap)
		lv.etaN, lv.etaAt, lv.etaJSON = lv.n, t, b.Bytes()
		return lv.etaJSON, lv.seq, nil
	}
	// A look back: the events are read without the lock or a token.
	c, p, x, id, seq := lv.c, lv.p, lv.rev.x, lv.in.ID, lv.seq
	lv.mu.Unlock()
	release()
	release = func() {}
	body, _, err := s.db.IncidentEvents(ctx, id, 1)
	if err != nil {
		return nil, 0, err
	}
	evs, err := events.ReadWith(fmt.Sprintf("incident %d", id), bytes.NewReader(body), c, events.Options{AllowEmpty: true, Index: x})
	if err != nil {
		return nil, 0, err
	}
	k := 0
	for k < len(evs) && evs[k].TS <= t {
		k++
	}
	if release, err = s.estimateGate(ctx); err != nil {
		release = func() {}
		return nil, 0, err
	}
	back := estimate.NewLive(c, p)
	back.SetSeed(uint64(id))
	back.ShareWorkspace()
	snaps := estimate.History(back, evs[:k], 0, t)
	var b bytes.Buffer
	if err := analysis.WriteJSON(&b, snaps[len(snaps)-1]); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), seq, nil
}

// kept reports whether the last document answered is the estimate at t
// (s from the start) of the kept estimator: no event came since, t is
// the time it was asked at, and at or after the latest event. Called with
// lv.mu held.
func (lv *live) kept(t float64) bool {
	return lv.etaJSON != nil && lv.etaN == lv.n && lv.etaAt == t && (t >= lv.lastT || lv.n == 0)
}

// MaxHistory bounds the estimates an incident's ETA chart keeps.
const MaxHistory = 512

// remember adds snap, an estimate from the kept estimator, to the
// chart's history: it replaces the latest when no event came since (and
// it is later), and every other one is dropped when the history is full.
func (lv *live) remember(snap estimate.Snapshot) {
	if k := len(lv.hist) - 1; k >= 0 && lv.hist[k].Up == snap.Up && lv.etaN == lv.n && lv.etaJSON != nil {
		if snap.TS >= lv.hist[k].TS {
			lv.hist[k] = snap
		}
		return
	}
	if k := len(lv.hist) - 1; k >= 0 && snap.TS < lv.hist[k].TS {
		return // a look at an earlier time: not in the chart's order
	}
	if len(lv.hist) == MaxHistory {
		kept := lv.hist[:0]
		for k := range lv.hist {
			if k%2 == 1 || k == len(lv.hist)-1 {
				kept = append(kept, lv.hist[k])
			}
		}
		lv.hist = kept
	}
	lv.hist = append(lv.hist, snap)
}

// history returns the incident's estimates so far (see live.hist).
func (s *Server) history(ctx context.Context, idText string) ([]estimate.Snapshot, error) {
	lv, err := s.lockLive(ctx, idText)
	if err != nil {
		return nil, err
	}
	defer lv.mu.Unlock()
	return append([]estimate.Snapshot(nil), lv.hist...), nil
}

// clockAt is the server's clock as seconds from the incident's start,
// to the whole second (so that the requests of one second share one
// estimate), and never before the latest event taken.
func (s *Server) clockAt(startMS int64, lastT float64) float64 {
	now := s.cfg.Now().Sub(time.UnixMilli(startMS)).Seconds()
	return max(0, math.Floor(now), lastT)
}

// getETA answers what estimate live --format json --start prints for the
// incident's events at ?at= (the server's clock by default).
func (s *Server) getETA(w http.ResponseWriter, r *http.Request) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	id, err := incidentID(r.PathValue("id"))
	if err != nil {
		return err
	}
	in, err := s.incidentOf(r.Context(), id)
	if err != nil {
		return err
	}
	given := q.v.Get("at") != ""
	at, err := s.atParam(q, in)
	if err != nil {
		return err
	}
	if err := q.done(); err != nil {
		return err
	}
	doc, _, err := s.etaAt(r.Context(), r.PathValue("id"), func(lastT float64) float64 {
		if given {
			return at
		}
		return s.clockAt(in.StartMS, lastT) // now, and never before an event already taken
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
	return nil
}

// incidentOf is incident id as its live estimator knows it (the store's
// when it has none yet).
func (s *Server) incidentOf(ctx context.Context, id int64) (store.Incident, error) {
	lv, err := s.lockLive(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return store.Incident{}, err
	}
	defer lv.mu.Unlock()
	return lv.in, nil
}

// stream pushes the incident's estimate as Server-Sent Events: one now,
// one after each batch (its id the batch's seq), and one every
// StreamRefresh. A client resuming with Last-Event-ID equal to the latest
// batch gets nothing until the next.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.liveOf(r.Context(), id); err != nil {
		return err
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		if sw, ok2 := w.(*statusWriter); ok2 {
			fl, ok = sw.ResponseWriter.(http.Flusher)
		}
	}
	if !ok {
		return errorf(http.StatusInternalServerError, "streaming is not supported here")
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl.Flush() // the client sees the stream open at once
	last := -1
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			last = n
		}
	}
	tick := time.NewTicker(StreamRefresh)
	defer tick.Stop()
	var buf bytes.Buffer
	for {
		lv, err := s.lockLive(r.Context(), id)
		if err != nil {
			return nil // headers are out: end the stream
		}
		ch, seq, startMS := lv.changed, lv.seq, lv.in.StartMS
		lv.mu.Unlock()
		if seq != last {
			doc, seq, err := s.etaAt(r.Context(), id, func(lastT float64) float64 { return s.clockAt(startMS, lastT) })
			if err != nil {
				return nil // headers are out: end the stream
			}
			buf.Reset()
			fmt.Fprintf(&buf, "id: %d\nevent: eta\ndata: ", seq)
			if err := json.Compact(&buf, doc); err != nil {
				return nil
			}
			buf.WriteString("\n\n")
			rc.SetWriteDeadline(time.Now().Add(ReadTimeout))
			if _, err := w.Write(buf.Bytes()); err != nil {
				return nil
			}
			fl.Flush()
			last = seq
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		case <-ch:
		case <-tick.C:
			last = -1 // refresh: the clock moved
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
