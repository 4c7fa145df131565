-- Schema version 5: readings are written in place, invisible until their
-- import is published.
--
-- An import writes the raw blocks and rollups of hours that hold nothing
-- yet straight into reading_hour and rollup_5m, in many small
-- transactions, each row tagged with its import's id; readers skip the
-- rows of imports whose state is still 'staging'. The one transaction
-- that sets the import 'done' makes them all visible at once, so a file
-- is still stored whole or not at all, and the write-ahead log holds one
-- batch at a time instead of the whole file. Rows stored before this
-- version, and rows merged into blocks that were already stored, are of
-- done imports (import_id 0: an import before version 5).
--
-- While an import is staging, import.first_ms and import.last_ms bound
-- the hours of the rows it has written (its own first and last reading
-- once done): removing an abandoned import's rows scans that range only.
ALTER TABLE reading_hour ADD COLUMN import_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_5m ADD COLUMN import_id INTEGER NOT NULL DEFAULT 0;
