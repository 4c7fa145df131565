// Package store keeps a site's models over time in one SQLite database
// (modernc.org/sqlite, pure Go): every version of each model as an
// immutable revision (its files byte for byte, content hash, parent,
// author, message, time), with checks of its own invariants, backup and
// restore; and each model's measured loads: raw meter readings in hourly
// blocks and their 5-minute rollups, imported whole or not at all,
// pruned by retention, summarized over a window (measure.go,
// docs/measurements.md).
//
// A database is one file. Open creates it only when asked (commands that
// write), refuses a file that is not a blackstart database or whose schema
// is newer than the binary, and applies the embedded forward-only
// migrations (migrations/NNNN_*.sql, one transaction each, tracked with
// PRAGMA user_version). Every connection runs in WAL mode with a busy
// timeout and foreign keys on, set in its DSN; writes go through one
// writer connection (BEGIN IMMEDIATE), reads through a bounded pool of
// query-only connections, so readers never block the writer. Times are
// integer Unix milliseconds. docs/store.md describes the schema and each
// invariant Check verifies.
package store
