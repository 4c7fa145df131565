-- Schema version 6: an incident counts its batches, and a batch's events
-- are kept out of the keys' b-trees.
--
-- batches is the number of batches acknowledged, the seq of the latest
-- (batches are numbered 1, 2, ... without gap), kept by a trigger on every
-- batch inserted (incident_batch_counted, below), in the transaction that
-- appends it: the next batch's seq is batches + 1, read with the
-- incident's row, rather than max(seq) of its batches. A trigger rather
-- than the append's own UPDATE, so that the batches of a binary of
-- version 5 still appending to the database after a newer command
-- migrated it (seq = max(seq) + 1) are counted too. Incidents stored
-- before this version are counted here.
ALTER TABLE incident ADD COLUMN batches INTEGER NOT NULL DEFAULT 0 CHECK (batches >= 0);
UPDATE incident SET batches = (SELECT coalesce(max(seq), 0) FROM incident_batch WHERE incident_id = incident.id);

-- incident_batch was a WITHOUT ROWID table: its rows, each holding a
-- batch's events (about 80 kB for 1,000 events), were the entries of its
-- primary key's b-tree, and SQLite reads the whole of an entry that
-- spills over into overflow pages to compare it with a key, so that
-- finding where a batch goes (or the last batch) read 80 kB per entry
-- compared. As a rowid table its rows sit in the leaves of the rowid
-- b-tree, appended at its end, and its keys are small index entries.
-- The batches are copied as they are; the table's columns, keys and
-- trigger are as before.
ALTER TABLE incident_batch RENAME TO incident_batch_v5;
DROP TRIGGER incident_batch_immutable;
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
) STRICT;
INSERT INTO incident_batch(incident_id, seq, key, body_sha256, first, count, events, created_ms)
	SELECT incident_id, seq, key, body_sha256, first, count, events, created_ms FROM incident_batch_v5 ORDER BY incident_id, seq;
DROP TABLE incident_batch_v5;
CREATE TRIGGER incident_batch_immutable BEFORE UPDATE ON incident_batch
BEGIN SELECT RAISE(ABORT, 'acknowledged event batches are immutable'); END;
CREATE TRIGGER incident_batch_counted AFTER INSERT ON incident_batch
BEGIN UPDATE incident SET batches = max(batches, NEW.seq) WHERE id = NEW.incident_id; END;
