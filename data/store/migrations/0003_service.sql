-- Schema version 3: the HTTP service's API tokens, the audit log of its
-- writes, and its cache of analysis results. Times are INTEGER Unix ms.

-- A server secret: token_pepper keys the hash of every token secret
-- (HMAC-SHA256), generated once with the schema.
CREATE TABLE secret (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL CHECK (length(value) >= 32)
) STRICT, WITHOUT ROWID;
INSERT INTO secret(name, value) VALUES ('token_pepper', randomblob(32));

-- An API token. The secret itself is never stored: hash is
-- HMAC-SHA256(token_pepper, secret). id is public (it is part of the
-- bearer string bst_<id>_<secret>).
CREATE TABLE token (
	id         TEXT    PRIMARY KEY CHECK (length(id) = 12),
	scope      TEXT    NOT NULL CHECK (scope IN ('read', 'write', 'ingest', 'admin')),
	name       TEXT    NOT NULL,
	hash       BLOB    NOT NULL CHECK (length(hash) = 32),
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER,          -- NULL: never expires
	revoked_ms INTEGER           -- NULL: not revoked
) STRICT, WITHOUT ROWID;

-- One audited write of the HTTP API: who (token), what (method, route),
-- its answer (status) and the revision it made, if any.
CREATE TABLE audit (
	id              INTEGER PRIMARY KEY,
	time_ms         INTEGER NOT NULL,
	token_id        TEXT,        -- NULL: no valid token was given
	method          TEXT    NOT NULL,
	route           TEXT    NOT NULL,
	status          INTEGER NOT NULL,
	model           TEXT    NOT NULL DEFAULT '',
	revision_sha256 TEXT    NOT NULL DEFAULT '',
	remote          TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE TRIGGER audit_immutable BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_kept BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Analysis results of a revision, by the revision's content hash, the
-- analysis and its canonical arguments (key), and the blackstart build
-- that computed them (version): revisions are immutable, so a result never
-- goes stale for one build.
CREATE TABLE result (
	revision_sha256 TEXT    NOT NULL CHECK (length(revision_sha256) = 64),
	key             TEXT    NOT NULL,
	version         TEXT    NOT NULL,
	body            BLOB    NOT NULL,
	created_ms      INTEGER NOT NULL,
	PRIMARY KEY (revision_sha256, key, version)
) STRICT, WITHOUT ROWID;
