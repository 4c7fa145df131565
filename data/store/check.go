package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"

	"blackstart/topology"
)

// Invariants Check verifies, by name. docs/store.md describes each.
const (
	InvIntegrity      = "sqlite-integrity"    // PRAGMA integrity_check is "ok"
	InvForeignKeys    = "foreign-keys"        // PRAGMA foreign_key_check finds nothing
	InvSchema         = "schema"              // application_id, user_version and the schema objects are this binary's
	InvBlobHash       = "blob-hash"           // every blob's sha256 and size are those of its bytes
	InvOrphanBlob     = "blob-referenced"     // every blob belongs to some revision
	InvRevisionFiles  = "revision-files"      // every revision has files at positions 0..n-1
	InvRevisionHash   = "revision-hash"       // every revision's sha256 is the Hash of its files
	InvParentChain    = "parent-chain"        // @1 has no parent, @N's parent is @N-1 of the same model: every chain ends at a root
	InvNoRepeat       = "no-identical-parent" // no revision has its parent's hash (identical commits write nothing)
	InvModelRevisions = "model-has-revisions" // every model has a revision
	InvTimes          = "times"               // every time is a positive Unix ms
	InvRevisionLoads  = "revision-loads"      // every revision's files load as a valid model
	InvReadingBlocks  = "reading-blocks"      // every raw block holds n readings in time order within its hour, finite and >= 0
	InvRollups        = "rollups-match-raw"   // every 5-minute bucket with raw readings has the rollup its readings give
	// InvIncidentBatches: every incident's batches are numbered 1..n
	// without gap, n is its batches, its events are their counts summed,
	// and each batch's first is the events of the batches before it.
	InvIncidentBatches = "incident-batches"
)

// Problem is one broken invariant.
type Problem struct {
	Invariant string `json:"invariant"` // one of the Inv* names
	Message   string `json:"message"`
}

// String prints the problem as db check does: "INVARIANT: message".
func (p Problem) String() string { return p.Invariant + ": " + p.Message }

// CheckOptions tune Check.
type CheckOptions struct {
	// SkipModels skips the revision-loads invariant (loading every
	// revision is the slow part of a check on a large history).
	SkipModels bool
}

// CheckReport is what Check found.
type CheckReport struct {
	SchemaVersion int          `json:"schema_version"`
	Models        int          `json:"models"`
	Revisions     int          `json:"revisions"`
	Blobs         int          `json:"blobs"`
	BlobBytes     int64        `json:"blob_bytes"`
	Measurements  MeasureSizes `json:"measurements"` // what the database holds of measured loads
	Checked       []string     `json:"checked"`      // invariants checked, in order
	Problems      []Problem    `json:"problems"`     // empty when every invariant holds
}

// maxProblems bounds the problems one invariant reports.
const maxProblems = 20

// Check verifies SQLite's integrity_check and foreign keys and the store's
// own invariants (the Inv* names), reading one snapshot of the database.
func (db *DB) Check(ctx context.Context, o CheckOptions) (CheckReport, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return CheckReport{}, err
	}
	defer tx.Rollback()
	rep := CheckReport{Problems: []Problem{}}
	counts := map[string]int{}
	add := func(inv, format string, args ...any) {
		counts[inv]++
		if counts[inv] == maxProblems+1 {
			rep.Problems = append(rep.Problems, Problem{inv, "more problems not listed"})
		}
		if counts[inv] > maxProblems {
			return
		}
		rep.Problems = append(rep.Problems, Problem{inv, fmt.Sprintf(format, args...)})
	}
	run := func(inv string, fn func() error) error {
		rep.Checked = append(rep.Checked, inv)
		return fn()
	}
	q := func(query string, args ...any) (*sql.Rows, error) { return tx.QueryContext(ctx, query, args...) }

	steps := []struct {
		inv string
		fn  func() error
	}{
		{InvIntegrity, func() error {
			rows, err := q("PRAGMA integrity_check")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					return err
				}
				if s != "ok" {
					add(InvIntegrity, "%s", s)
				}
			}
			return rows.Err()
		}},
		{InvForeignKeys, func() error {
			rows, err := q("PRAGMA foreign_key_check")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var table, parent string
				var rowid sql.NullInt64
				var fkid int
				if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
					return err
				}
				add(InvForeignKeys, "a row of %s (rowid %v) refers to a missing row of %s", table, rowid.Int64, parent)
			}
			return rows.Err()
		}},
		{InvSchema, func() error {
			var appID int64
			if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&rep.SchemaVersion); err != nil {
				return err
			}
			if appID != ApplicationID {
				add(InvSchema, "application_id %#x, want %#x", appID, ApplicationID)
			}
			if rep.SchemaVersion != SchemaVersion() {
				add(InvSchema, "schema version %d, want %d", rep.SchemaVersion, SchemaVersion())
			}
			got, err := schemaObjects(ctx, tx)
			if err != nil {
				return err
			}
			want, err := expectedSchema(ctx)
			if err != nil {
				return err
			}
			for name, sqlText := range want {
				switch g, ok := got[name]; {
				case !ok:
					add(InvSchema, "%s is missing", name)
				case g != sqlText:
					add(InvSchema, "%s differs from this version's definition", name)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					add(InvSchema, "%s is not part of the schema", name)
				}
			}
			return nil
		}},
		{InvBlobHash, func() error {
			// A blob larger than a model may hold is not read (blackstart
			// never stores one; reading it would take that much memory).
			rows, err := q("SELECT sha256, size_bytes, CASE WHEN length(data) <= ? THEN data END, length(data) FROM blob ORDER BY sha256", topology.MaxModelBytes)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var h string
				var size, n int64
				var data []byte
				if err := rows.Scan(&h, &size, &data, &n); err != nil {
					return err
				}
				if n > topology.MaxModelBytes {
					rep.Blobs++
					rep.BlobBytes += n
					add(InvBlobHash, "blob %s holds %d bytes, more than a model may (%d): not read", short(h), n, topology.MaxModelBytes)
					continue
				}
				rep.Blobs++
				rep.BlobBytes += int64(len(data))
				sum := sha256.Sum256(data)
				if got := hex.EncodeToString(sum[:]); got != h {
					add(InvBlobHash, "blob %s holds bytes whose SHA-256 is %s", short(h), short(got))
				}
				if size != int64(len(data)) {
					add(InvBlobHash, "blob %s records %d bytes, holds %d", short(h), size, len(data))
				}
			}
			return rows.Err()
		}},
		{InvOrphanBlob, func() error {
			return eachRow(q, "SELECT sha256 FROM blob WHERE sha256 NOT IN (SELECT blob_sha256 FROM revision_file) ORDER BY sha256", func(s []any) {
				add(InvOrphanBlob, "blob %s belongs to no revision", short(*s[0].(*string)))
			}, new(string))
		}},
		{InvModelRevisions, func() error {
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM model").Scan(&rep.Models); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM revision").Scan(&rep.Revisions); err != nil {
				return err
			}
			return eachRow(q, "SELECT name FROM model WHERE id NOT IN (SELECT model_id FROM revision) ORDER BY name", func(s []any) {
				add(InvModelRevisions, "model %q has no revision", *s[0].(*string))
			}, new(string))
		}},
		{InvRevisionFiles, func() error {
			return eachRow(q, `SELECT m.name, r.seq, count(f.pos), coalesce(min(f.pos), -1), coalesce(max(f.pos), -1)
				FROM revision r JOIN model m ON m.id = r.model_id LEFT JOIN revision_file f ON f.revision_id = r.id
				GROUP BY r.id HAVING count(f.pos) = 0 OR min(f.pos) != 0 OR max(f.pos) != count(f.pos) - 1 ORDER BY m.name, r.seq`, func(s []any) {
				add(InvRevisionFiles, "%s@%d has %d files at positions %d..%d", *s[0].(*string), *s[1].(*int), *s[2].(*int), *s[3].(*int), *s[4].(*int))
			}, new(string), new(int), new(int), new(int), new(int))
		}},
		{InvRevisionHash, func() error {
			rows, err := q(`SELECT r.id, m.name, r.seq, r.sha256 FROM revision r JOIN model m ON m.id = r.model_id ORDER BY m.name, r.seq`)
			if err != nil {
				return err
			}
			type rv struct {
				id    int64
				model string
				seq   int
				hash  string
			}
			var revs []rv
			for rows.Next() {
				var r rv
				if err := rows.Scan(&r.id, &r.model, &r.seq, &r.hash); err != nil {
					rows.Close()
					return err
				}
				revs = append(revs, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range revs {
				files, err := fileInfos(ctx, tx, r.id)
				if err != nil {
					return err
				}
				if got := hashInfos(files); got != r.hash {
					add(InvRevisionHash, "%s@%d records hash %s, its files hash to %s", r.model, r.seq, short(r.hash), short(got))
				}
			}
			return nil
		}},
		{InvParentChain, func() error {
			if err := eachRow(q, `SELECT m.name, r.seq, coalesce(p.seq, 0), coalesce(pm.name, ''), r.parent_id IS NULL
				FROM revision r JOIN model m ON m.id = r.model_id
				LEFT JOIN revision p ON p.id = r.parent_id LEFT JOIN model pm ON pm.id = p.model_id
				WHERE (r.seq = 1) != (r.parent_id IS NULL) OR (r.parent_id IS NOT NULL AND (p.id IS NULL OR p.model_id != r.model_id OR p.seq != r.seq - 1))
				ORDER BY m.name, r.seq`, func(s []any) {
				name, seq, pseq, pmodel, root := *s[0].(*string), *s[1].(*int), *s[2].(*int), *s[3].(*string), *s[4].(*bool)
				switch {
				case seq == 1 && !root:
					add(InvParentChain, "%s@1 has a parent (%s@%d): the first revision must be a root", name, pmodel, pseq)
				case root:
					add(InvParentChain, "%s@%d has no parent: its chain ends before @1", name, seq)
				case pmodel == "":
					add(InvParentChain, "%s@%d's parent does not exist", name, seq)
				default:
					add(InvParentChain, "%s@%d's parent is %s@%d, want %s@%d", name, seq, pmodel, pseq, name, seq-1)
				}
			}, new(string), new(int), new(int), new(string), new(bool)); err != nil {
				return err
			}
			return eachRow(q, `SELECT m.name, count(r.id), coalesce(max(r.seq), 0) FROM model m JOIN revision r ON r.model_id = m.id
				GROUP BY m.id HAVING count(r.id) != max(r.seq) ORDER BY m.name`, func(s []any) {
				add(InvParentChain, "model %q has %d revisions numbered up to @%d: the chain has a gap", *s[0].(*string), *s[1].(*int), *s[2].(*int))
			}, new(string), new(int), new(int))
		}},
		{InvNoRepeat, func() error {
			return eachRow(q, `SELECT m.name, r.seq, p.seq FROM revision r JOIN revision p ON p.id = r.parent_id JOIN model m ON m.id = r.model_id
				WHERE r.sha256 = p.sha256 ORDER BY m.name, r.seq`, func(s []any) {
				add(InvNoRepeat, "%s@%d has the same files as its parent @%d", *s[0].(*string), *s[1].(*int), *s[2].(*int))
			}, new(string), new(int), new(int))
		}},
		{InvTimes, func() error {
			if err := eachRow(q, "SELECT name, created_ms FROM model WHERE created_ms <= 0 ORDER BY name", func(s []any) {
				add(InvTimes, "model %q created at %d ms", *s[0].(*string), *s[1].(*int64))
			}, new(string), new(int64)); err != nil {
				return err
			}
			return eachRow(q, "SELECT m.name, r.seq, r.created_ms FROM revision r JOIN model m ON m.id = r.model_id WHERE r.created_ms <= 0 ORDER BY m.name, r.seq", func(s []any) {
				add(InvTimes, "%s@%d committed at %d ms", *s[0].(*string), *s[1].(*int), *s[2].(*int64))
			}, new(string), new(int), new(int64))
		}},
		{InvIncidentBatches, func() error {
			if err := eachRow(q, `SELECT i.id, i.batches, i.events, count(b.seq), coalesce(max(b.seq), 0), coalesce(sum(b.count), 0)
				FROM incident i LEFT JOIN incident_batch b ON b.incident_id = i.id GROUP BY i.id
				HAVING i.batches != count(b.seq) OR count(b.seq) != coalesce(max(b.seq), 0) OR i.events != coalesce(sum(b.count), 0)
				ORDER BY i.id`, func(s []any) {
				add(InvIncidentBatches, "incident %d records %d batches and %d events; it holds %d batches numbered up to %d, of %d events",
					*s[0].(*int64), *s[1].(*int), *s[2].(*int64), *s[3].(*int), *s[4].(*int), *s[5].(*int64))
			}, new(int64), new(int), new(int64), new(int), new(int), new(int64)); err != nil {
				return err
			}
			return eachRow(q, `SELECT incident_id, seq, first, before FROM (SELECT incident_id, seq, first,
				coalesce(sum(count) OVER (PARTITION BY incident_id ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
				FROM incident_batch) WHERE first != before ORDER BY incident_id, seq`, func(s []any) {
				add(InvIncidentBatches, "incident %d batch %d starts at event %d; the batches before it hold %d",
					*s[0].(*int64), *s[1].(*int), *s[2].(*int64), *s[3].(*int64))
			}, new(int64), new(int), new(int64), new(int64))
		}},
	}
	steps = append(steps, struct {
		inv string
		fn  func() error
	}{InvReadingBlocks, func() error {
		var err error
		rep.Measurements, err = measureSizes(ctx, tx)
		if err != nil {
			return err
		}
		rep.Checked = append(rep.Checked, InvRollups)
		return checkReadings(ctx, tx, add)
	}})
	for _, st := range steps {
		if err := run(st.inv, st.fn); err != nil {
			return rep, fmt.Errorf("check %s: %w", st.inv, err)
		}
	}
	if !o.SkipModels {
		rep.Checked = append(rep.Checked, InvRevisionLoads)
		if err := db.checkModels(ctx, tx, add); err != nil {
			return rep, fmt.Errorf("check %s: %w", InvRevisionLoads, err)
		}
	}
	return rep, nil
}

// checkModels loads every revision whose files are all there.
func (db *DB) checkModels(ctx context.Context, tx *sql.Tx, add func(inv, format string, args ...any)) error {
	rows, err := tx.QueryContext(ctx, "SELECT m.name, r.seq FROM revision r JOIN model m ON m.id = r.model_id ORDER BY m.name, r.seq")
	if err != nil {
		return err
	}
	type ref struct {
		model string
		seq   int
	}
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.model, &r.seq); err != nil {
			rows.Close()
			return err
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range refs {
		// A revision larger than a model may hold is not copied out
		// (blackstart never stores one).
		var size int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(length(b.data)), 0) FROM revision_file f JOIN revision r ON r.id = f.revision_id
			JOIN model m ON m.id = r.model_id JOIN blob b ON b.sha256 = f.blob_sha256 WHERE m.name = ? AND r.seq = ?`, r.model, r.seq).Scan(&size); err != nil {
			return err
		}
		if size > topology.MaxModelBytes {
			add(InvRevisionLoads, "%s@%d does not load: its files are %d bytes, more than a model may (%d)", r.model, r.seq, size, topology.MaxModelBytes)
			continue
		}
		frows, err := tx.QueryContext(ctx, `SELECT f.name, b.data FROM revision_file f JOIN revision r ON r.id = f.revision_id
			JOIN model m ON m.id = r.model_id JOIN blob b ON b.sha256 = f.blob_sha256 WHERE m.name = ? AND r.seq = ? ORDER BY f.pos`, r.model, r.seq)
		if err != nil {
			return err
		}
		var files []topology.File
		for frows.Next() {
			var f topology.File
			if err := frows.Scan(&f.Name, &f.Data); err != nil {
				frows.Close()
				return err
			}
			f.Name = fmt.Sprintf("%s@%d/%s", r.model, r.seq, f.Name)
			files = append(files, f)
		}
		frows.Close()
		if err := frows.Err(); err != nil {
			return err
		}
		if len(files) == 0 {
			continue // revision-files reports it
		}
		if _, err := topology.Parse(files...); err != nil {
			msg := err.Error()
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i] + " (and more)"
			}
			add(InvRevisionLoads, "%s@%d does not load: %s", r.model, r.seq, msg)
		}
	}
	return nil
}

// eachRow runs query and calls fn with dest filled for each row.
func eachRow(q func(string, ...any) (*sql.Rows, error), query string, fn func([]any), dest ...any) error {
	rows, err := q(query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn(dest)
	}
	return rows.Err()
}

// schemaObjects returns the database's schema objects, "type name" → SQL.
func schemaObjects(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			return nil, err
		}
		out[typ+" "+name] = text
	}
	return out, rows.Err()
}

// expectedSchema is the schema a new database of this version has, built
// in memory from the embedded migrations.
func expectedSchema(ctx context.Context) (map[string]string, error) {
	mem, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	mem.SetMaxOpenConns(1)
	for _, m := range migrations {
		if _, err := mem.ExecContext(ctx, m.sql); err != nil {
			return nil, fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return schemaObjects(ctx, mem)
}
