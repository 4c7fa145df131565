-- Schema version 6: an incident counts its batches.
--
-- batches is the number of batches acknowledged, the seq of the latest
-- (batches are numbered 1, 2, ... without gap), kept in the transaction
-- that appends a batch: the next batch's seq is batches + 1, read with the
-- incident's row, rather than max(seq) of its batches (whose rows hold the
-- events: finding the last one read pages of them, 100-230 µs a batch).
-- Incidents stored before this version are counted here.
ALTER TABLE incident ADD COLUMN batches INTEGER NOT NULL DEFAULT 0 CHECK (batches >= 0);
UPDATE incident SET batches = (SELECT coalesce(max(seq), 0) FROM incident_batch WHERE incident_id = incident.id);
