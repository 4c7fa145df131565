package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrNoIncident is returned for an incident id the database does not hold.
var ErrNoIncident = errors.New("no such incident")

// ErrClosed is returned when events are posted to a closed incident.
var ErrClosed = errors.New("incident closed")

// MaxIdempotencyKey bounds a batch's idempotency key, bytes.
const MaxIdempotencyKey = 200

// Incident is a live recovery of one model revision.
type Incident struct {
	ID       int64  `json:"id"`
	Model    string `json:"model"`
	Revision string `json:"revision_sha256"` // the revision recovered, by hash
	Rev      int    `json:"rev"`             // its number, @Rev
	Name     string `json:"name"`
	// StartMS is the incident's start, Unix ms: event times are measured
	// from it.
	StartMS   int64 `json:"start_ms"`
	CreatedMS int64 `json:"created_ms"`
	ClosedMS  int64 `json:"closed_ms"` // Unix ms; 0 while open
	Events    int   `json:"events"`    // events acknowledged
	// LastTMS is the latest event's time, ms from the start (0 with none).
	LastTMS int64 `json:"last_t_ms"`
}

// Batch is one acknowledged batch of an incident's events.
type Batch struct {
	Seq   int    `json:"seq"`   // 1, 2, ... in the order acknowledged
	First int    `json:"first"` // index of its first event in the incident
	Count int    `json:"count"` // events in it
	Key   string `json:"key"`   // the client's idempotency key
	// Replayed is true when the batch had been acknowledged before under
	// the same key and nothing was added.
	Replayed bool `json:"replayed"`
}

const incidentColumns = "id, model, revision_sha256, rev, name, start_ms, created_ms, coalesce(closed_ms, 0), events, last_t_ms"

func scanIncident(sc interface{ Scan(...any) error }) (Incident, error) {
	var in Incident
	err := sc.Scan(&in.ID, &in.Model, &in.Revision, &in.Rev, &in.Name, &in.StartMS, &in.CreatedMS, &in.ClosedMS, &in.Events, &in.LastTMS)
	return in, err
}

// CreateIncident opens an incident of the model's revision ref (see
// Resolve) starting at startMS (Unix ms), named name.
func (db *DB) CreateIncident(ctx context.Context, model, ref, name string, startMS int64) (Incident, error) {
	if err := checkText("incident name", name, MaxNameLen); err != nil {
		return Incident{}, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Incident{}, err
	}
	defer tx.Rollback()
	id, err := db.resolve(ctx, tx, model, ref)
	if err != nil {
		return Incident{}, err
	}
	rev, err := revisionByID(ctx, tx, id)
	if err != nil {
		return Incident{}, err
	}
	now := db.now().UnixMilli()
	res, err := tx.ExecContext(ctx, "INSERT INTO incident(model, revision_sha256, rev, name, start_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
		rev.Model, rev.SHA256, rev.Seq, name, startMS, now)
	if err != nil {
		return Incident{}, err
	}
	iid, err := res.LastInsertId()
	if err != nil {
		return Incident{}, err
	}
	if err := tx.Commit(); err != nil {
		return Incident{}, err
	}
	return Incident{ID: iid, Model: rev.Model, Revision: rev.SHA256, Rev: rev.Seq, Name: name, StartMS: startMS, CreatedMS: now}, nil
}

// GetIncident returns the incident id.
func (db *DB) GetIncident(ctx context.Context, id int64) (Incident, error) {
	in, err := scanIncident(db.r.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incident WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("%w: %d", ErrNoIncident, id)
	}
	return in, err
}

// Incidents lists every incident, newest first.
func (db *DB) Incidents(ctx context.Context) ([]Incident, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+incidentColumns+" FROM incident ORDER BY id DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// CloseIncident closes the incident id; closing a closed incident changes
// nothing.
func (db *DB) CloseIncident(ctx context.Context, id int64) (Incident, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Incident{}, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE incident SET closed_ms = ? WHERE id = ? AND closed_ms IS NULL", db.now().UnixMilli(), id); err != nil {
		return Incident{}, err
	}
	in, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incident WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("%w: %d", ErrNoIncident, id)
	}
	if err != nil {
		return Incident{}, err
	}
	return in, tx.Commit()
}

// BatchKey finds the batch of incident id acknowledged under key; ok is
// false when there is none.
func (db *DB) BatchKey(ctx context.Context, id int64, key string) (b Batch, bodySHA string, ok bool, err error) {
	st, err := db.rs.get(ctx, db.r, batchByKey)
	if err != nil {
		return Batch{}, "", false, err
	}
	err = st.QueryRowContext(ctx, id, key).Scan(&b.Seq, &b.First, &b.Count, &b.Key, &bodySHA)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, "", false, nil
	}
	return b, bodySHA, err == nil, err
}

// AppendBatch appends a checked batch of count events to incident id, in
// one transaction that is durable when it returns: events is the batch in
// the events file format (JSON Lines, t_s from the start), lastTMS its
// latest event's time (ms from the start), body the request as posted
// (its hash tells a retry from a different batch under the same key).
//
// A batch already acknowledged under key comes back with Replayed set
// when body is the same, ErrConflict when it is not; ErrConflict too when
// the incident has taken events after wantEvents (another batch came
// first: the caller checked this one's order against a stale state).
// ErrClosed when the incident is closed. audit, when given, is appended to
// the audit log in the same transaction (status 201), so that an
// acknowledged batch is always audited and costs one sync to disk.
func (db *DB) AppendBatch(ctx context.Context, id int64, key string, body []byte, wantEvents int, events []byte, count int, lastTMS int64, audit *AuditEntry) (Batch, error) {
	res := db.AppendBatches(ctx, []BatchRequest{{Incident: id, Key: key, Body: body, WantEvents: wantEvents, Events: events, Count: count, LastTMS: lastTMS, Audit: audit}})
	return res[0].Batch, res[0].Err
}

// BatchRequest is one checked batch for AppendBatches; the fields are
// AppendBatch's arguments.
type BatchRequest struct {
	Incident   int64
	Key        string // the client's idempotency key, 1 to MaxIdempotencyKey bytes
	Body       []byte // the request as posted
	WantEvents int    // the incident's events the batch was checked against
	Events     []byte // the batch in the events file format
	Count      int    // events in it, >= 0
	LastTMS    int64  // its latest event's time, ms from the start
	Audit      *AuditEntry
}

// BatchResult is the outcome of one BatchRequest: its batch, or why it
// was not taken.
type BatchResult struct {
	Batch Batch
	Err   error
}

// AppendBatches appends several batches in one transaction, one sync to
// disk for all of them (group commit): each is checked and written as
// AppendBatch does, inside its own savepoint, so that a batch refused
// (ErrConflict, ErrClosed, ErrNoIncident) takes nothing of it and leaves
// the others; every batch taken is durable when AppendBatches returns, and
// none is when the commit fails (each result then holds that error).
// Batches of the same incident are taken in the order given.
func (db *DB) AppendBatches(ctx context.Context, reqs []BatchRequest) []BatchResult {
	out := make([]BatchResult, len(reqs))
	fail := func(err error) []BatchResult {
		for k := range out {
			out[k] = BatchResult{Err: err}
		}
		return out
	}
	// The statements are prepared (once) before the transaction takes
	// the writer's one connection.
	var ps [len(appendSQL)]*sql.Stmt
	for k, q := range appendSQL {
		st, err := db.ws.get(ctx, db.w, q)
		if err != nil {
			return fail(err)
		}
		ps[k] = st
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	var st appendStmts
	for k, p := range ps {
		// In tx, each as prepared on its connection; closed with tx.
		st[k] = tx.StmtContext(ctx, p)
	}
	for k, r := range reqs {
		if _, err := st[sqlSavepoint].ExecContext(ctx); err != nil {
			return fail(err)
		}
		b, err := db.appendTx(ctx, tx, &st, r)
		if err != nil {
			if _, rerr := st[sqlRollbackTo].ExecContext(ctx); rerr != nil {
				return fail(rerr)
			}
		}
		if _, rerr := st[sqlRelease].ExecContext(ctx); rerr != nil {
			return fail(rerr)
		}
		out[k] = BatchResult{Batch: b, Err: err}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return out
}

// The statements of AppendBatches, prepared once (DB.ws), by their
// place in appendSQL.
const (
	sqlSavepoint = iota
	sqlRollbackTo
	sqlRelease
	sqlBatchByKey
	sqlIncidentRow
	sqlInsertBatch
	sqlUpdateIncident
	sqlAudit
)

// batchByKey finds a batch by its incident and key.
const batchByKey = "SELECT seq, first, count, key, body_sha256 FROM incident_batch WHERE incident_id = ? AND key = ?"

var appendSQL = [...]string{
	sqlSavepoint:      "SAVEPOINT batch",
	sqlRollbackTo:     "ROLLBACK TO batch",
	sqlRelease:        "RELEASE batch",
	sqlBatchByKey:     batchByKey,
	sqlIncidentRow:    "SELECT model, revision_sha256, coalesce(closed_ms, 0), events, last_t_ms, batches FROM incident WHERE id = ?",
	sqlInsertBatch:    "INSERT INTO incident_batch(incident_id, seq, key, body_sha256, first, count, events, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	sqlUpdateIncident: "UPDATE incident SET events = events + ?, last_t_ms = ? WHERE id = ?",
	sqlAudit:          auditInsert,
}

// appendStmts are appendSQL's statements in one transaction.
type appendStmts [len(appendSQL)]*sql.Stmt

// appendTx is one batch of AppendBatches, in tx, with its statements st.
func (db *DB) appendTx(ctx context.Context, tx *sql.Tx, st *appendStmts, r BatchRequest) (Batch, error) {
	id, key := r.Incident, r.Key
	if key == "" || len(key) > MaxIdempotencyKey {
		return Batch{}, fmt.Errorf("%w: an idempotency key of 1 to %d bytes is required", ErrInvalid, MaxIdempotencyKey)
	}
	if err := checkText("idempotency key", key, MaxIdempotencyKey); err != nil {
		return Batch{}, err
	}
	if r.Events == nil {
		r.Events = []byte{} // a batch of no events (a header only) is stored empty, never NULL
	}
	sum := sha256.Sum256(r.Body)
	bodySHA := hex.EncodeToString(sum[:])
	var b Batch
	var had string
	err := st[sqlBatchByKey].QueryRowContext(ctx, id, key).Scan(&b.Seq, &b.First, &b.Count, &b.Key, &had)
	switch {
	case err == nil:
		if had != bodySHA {
			return Batch{}, fmt.Errorf("%w: batch key %q was acknowledged (batch %d) with a different body", ErrConflict, key, b.Seq)
		}
		b.Replayed = true
		return b, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Batch{}, err
	}
	// The batch's seq is the incident's batches + 1 (schema version 6),
	// read with its row: no query over its batches' rows. The insert's
	// trigger (incident_batch_counted) raises batches to seq.
	var in Incident
	var batches int
	err = st[sqlIncidentRow].QueryRowContext(ctx, id).Scan(&in.Model, &in.Revision, &in.ClosedMS, &in.Events, &in.LastTMS, &batches)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, fmt.Errorf("%w: %d", ErrNoIncident, id)
	}
	if err != nil {
		return Batch{}, err
	}
	if in.ClosedMS != 0 {
		return Batch{}, fmt.Errorf("%w: incident %d was closed", ErrClosed, id)
	}
	if in.Events != r.WantEvents {
		return Batch{}, fmt.Errorf("%w: incident %d holds %d events, the batch was checked against %d", ErrConflict, id, in.Events, r.WantEvents)
	}
	seq := batches + 1
	b = Batch{Seq: seq, First: in.Events, Count: r.Count, Key: key}
	if _, err := st[sqlInsertBatch].ExecContext(ctx, id, seq, key, bodySHA, b.First, r.Count, r.Events, db.now().UnixMilli()); err != nil {
		return Batch{}, err
	}
	last := in.LastTMS
	if r.Count > 0 {
		last = max(last, r.LastTMS)
	}
	if _, err := st[sqlUpdateIncident].ExecContext(ctx, r.Count, last, id); err != nil {
		return Batch{}, err
	}
	if r.Audit != nil {
		if err := auditWith(ctx, tx, st[sqlAudit], r.Audit, in.Model, in.Revision, 201, db.now().UnixMilli()); err != nil {
			return Batch{}, err
		}
	}
	return b, nil
}

// IncidentEvents returns the events of incident id from its fromSeq-th
// batch on (1: all), in the events file format (JSON Lines, t_s from
// the start), concatenated in order, and the seq of the last batch.
func (db *DB) IncidentEvents(ctx context.Context, id int64, fromSeq int) ([]byte, int, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, "SELECT 1 FROM incident WHERE id = ?", id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("%w: %d", ErrNoIncident, id)
	} else if err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT seq, events FROM incident_batch WHERE incident_id = ? AND seq >= ? ORDER BY seq", id, fromSeq)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var buf bytes.Buffer
	last := fromSeq - 1
	for rows.Next() {
		var ev []byte
		if err := rows.Scan(&last, &ev); err != nil {
			return nil, 0, err
		}
		buf.Write(ev)
	}
	return buf.Bytes(), last, rows.Err()
}
