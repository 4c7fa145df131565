-- Schema version 2: measured loads (readings that PDUs and meters export).
-- Times are INTEGER Unix milliseconds; values are watts or amperes.

-- A series is one measured quantity of one element of a model: its power
-- or its current, of the whole element (line '') or of one line.
CREATE TABLE series (
	id       INTEGER PRIMARY KEY,
	model_id INTEGER NOT NULL REFERENCES model(id),
	element  TEXT    NOT NULL CHECK (length(element) >= 1),
	line     TEXT    NOT NULL CHECK (line IN ('', 'L1', 'L2', 'L3')),
	quantity TEXT    NOT NULL CHECK (quantity IN ('power_w', 'current_a')),
	UNIQUE (model_id, element, line, quantity)
) STRICT;

-- Raw readings, one row per series and hour: data holds n readings of 12
-- bytes each, in time order, no time twice: the offset from hour_ms
-- (uint32, little-endian, ms, < 3,600,000) and the value (float64,
-- little-endian IEEE 754).
CREATE TABLE reading_hour (
	series_id INTEGER NOT NULL REFERENCES series(id),
	hour_ms   INTEGER NOT NULL CHECK (hour_ms % 3600000 = 0),
	n         INTEGER NOT NULL CHECK (n >= 1),
	data      BLOB    NOT NULL CHECK (length(data) = 12 * n),
	PRIMARY KEY (series_id, hour_ms)
) STRICT, WITHOUT ROWID;

-- Rollups: the readings of each series in each 5-minute bucket
-- [bucket_ms, bucket_ms + 300000), kept longer than the raw readings.
-- p95 is the nearest-rank 95th percentile of the bucket's readings.
CREATE TABLE rollup_5m (
	series_id INTEGER NOT NULL REFERENCES series(id),
	bucket_ms INTEGER NOT NULL CHECK (bucket_ms % 300000 = 0),
	n         INTEGER NOT NULL CHECK (n >= 1),
	min       REAL    NOT NULL,
	mean      REAL    NOT NULL,
	max       REAL    NOT NULL,
	p95       REAL    NOT NULL,
	PRIMARY KEY (series_id, bucket_ms)
) STRICT, WITHOUT ROWID;

-- One import of one readings file. While state is 'staging' its readings
-- are in staging only and nothing reads them; the transaction that moves
-- them into reading_hour and rollup_5m sets state 'done'.
CREATE TABLE import (
	id         INTEGER PRIMARY KEY,
	model_id   INTEGER NOT NULL REFERENCES model(id),
	file       TEXT    NOT NULL,
	sha256     TEXT    NOT NULL CHECK (length(sha256) = 64),
	state      TEXT    NOT NULL CHECK (state IN ('staging', 'done')),
	readings   INTEGER NOT NULL CHECK (readings >= 0),
	added      INTEGER NOT NULL CHECK (added >= 0),
	first_ms   INTEGER NOT NULL,
	last_ms    INTEGER NOT NULL,
	started_ms INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL
) STRICT;

-- The blocks of an import in progress, written in many small transactions
-- (same encoding as reading_hour.data, not yet sorted or merged).
CREATE TABLE staging (
	import_id INTEGER NOT NULL REFERENCES import(id),
	series_id INTEGER NOT NULL REFERENCES series(id),
	hour_ms   INTEGER NOT NULL,
	data      BLOB    NOT NULL
) STRICT;
CREATE INDEX staging_by_import ON staging(import_id);

-- How long readings are kept, days, counted back from the model's newest
-- reading: raw readings, then their 5-minute rollups.
CREATE TABLE measure_setting (
	name  TEXT    PRIMARY KEY,
	value INTEGER NOT NULL CHECK (value >= 1)
) STRICT;
INSERT INTO measure_setting (name, value) VALUES ('raw_retention_days', 90), ('rollup_retention_days', 730);
