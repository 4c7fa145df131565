-- Schema version 1: models and their immutable revisions.
-- Times are INTEGER Unix milliseconds; hashes are lower-case hex SHA-256.

-- A model is a named site whose revisions the database keeps.
CREATE TABLE model (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
	created_ms INTEGER NOT NULL
) STRICT;

-- A blob is the content of one model file, stored once however many
-- revisions hold it: sha256 = SHA-256(data).
CREATE TABLE blob (
	sha256     TEXT    PRIMARY KEY CHECK (length(sha256) = 64),
	size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
	data       BLOB    NOT NULL
) STRICT, WITHOUT ROWID;

-- A revision is one committed version of a model: seq 1, 2, ... per model
-- (named @N), its parent the model's previous revision (NULL for @1), and
-- sha256 the hash of its files (names and contents, in order).
CREATE TABLE revision (
	id         INTEGER PRIMARY KEY,
	model_id   INTEGER NOT NULL REFERENCES model(id),
	seq        INTEGER NOT NULL CHECK (seq >= 1),
	parent_id  INTEGER REFERENCES revision(id),
	sha256     TEXT    NOT NULL CHECK (length(sha256) = 64),
	author     TEXT    NOT NULL,
	message    TEXT    NOT NULL,
	created_ms INTEGER NOT NULL,
	UNIQUE (model_id, seq)
) STRICT;
CREATE INDEX revision_by_sha256 ON revision(sha256);

-- The files of a revision, in the order they were given.
CREATE TABLE revision_file (
	revision_id INTEGER NOT NULL REFERENCES revision(id),
	pos         INTEGER NOT NULL CHECK (pos >= 0),
	name        TEXT    NOT NULL,
	blob_sha256 TEXT    NOT NULL REFERENCES blob(sha256),
	PRIMARY KEY (revision_id, pos),
	UNIQUE (revision_id, name)
) STRICT, WITHOUT ROWID;
CREATE INDEX revision_file_by_blob ON revision_file(blob_sha256);

-- Revisions are immutable: history is only ever appended to.
CREATE TRIGGER revision_immutable BEFORE UPDATE ON revision
BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
CREATE TRIGGER revision_kept BEFORE DELETE ON revision
BEGIN SELECT RAISE(ABORT, 'revisions are never deleted'); END;
CREATE TRIGGER revision_file_immutable BEFORE UPDATE ON revision_file
BEGIN SELECT RAISE(ABORT, 'revision files are immutable'); END;
CREATE TRIGGER revision_file_kept BEFORE DELETE ON revision_file
BEGIN SELECT RAISE(ABORT, 'revision files are never deleted'); END;
CREATE TRIGGER blob_immutable BEFORE UPDATE ON blob
BEGIN SELECT RAISE(ABORT, 'blobs are immutable'); END;
