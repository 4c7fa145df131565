-- Schema version 3: live incidents and their progress events. Times are
-- INTEGER Unix ms, event times ms from the incident's start.

-- An incident: the recovery of one model revision, from start_ms on.
-- events and last_t_ms sum up its batches (the latest event's time).
CREATE TABLE incident (
	id              INTEGER PRIMARY KEY,
	model           TEXT    NOT NULL,
	revision_sha256 TEXT    NOT NULL CHECK (length(revision_sha256) = 64),
	rev             INTEGER NOT NULL CHECK (rev >= 1),
	name            TEXT    NOT NULL DEFAULT '',
	start_ms        INTEGER NOT NULL,
	created_ms      INTEGER NOT NULL,
	closed_ms       INTEGER,          -- NULL: open
	events          INTEGER NOT NULL DEFAULT 0 CHECK (events >= 0),
	last_t_ms       INTEGER NOT NULL DEFAULT 0 CHECK (last_t_ms >= 0)
) STRICT;

-- One acknowledged batch of progress events, in the events file format
-- (JSON Lines, t_s from the start, as events.Write writes them). key is the
-- client's Idempotency-Key: a batch posted again under the same key adds
-- nothing. seq orders the batches; first is the index of its first event.
CREATE TABLE incident_batch (
	incident_id INTEGER NOT NULL REFERENCES incident(id),
	seq         INTEGER NOT NULL CHECK (seq >= 1),
	key         TEXT    NOT NULL,
	body_sha256 TEXT    NOT NULL CHECK (length(body_sha256) = 64),
	first       INTEGER NOT NULL CHECK (first >= 0),
	count       INTEGER NOT NULL CHECK (count >= 0),
	events      BLOB    NOT NULL,
	created_ms  INTEGER NOT NULL,
	PRIMARY KEY (incident_id, seq),
	UNIQUE (incident_id, key)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER incident_batch_immutable BEFORE UPDATE ON incident_batch
BEGIN SELECT RAISE(ABORT, 'acknowledged event batches are immutable'); END;
