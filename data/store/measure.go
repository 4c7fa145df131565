package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"

	"blackstart/power"
	"blackstart/topology"

	"gonum.org/v1/gonum/stat"
)

// Quantities a series measures, as stored (and as the readings' JSON and
// CSV fields are named).
const (
	QuantityPower   = "power_w"   // real power, W
	QuantityCurrent = "current_a" // RMS current, A
)

// Sizes of the stored time buckets, milliseconds.
const (
	HourMS   = 3_600_000 // a raw block holds one series' readings of one hour
	BucketMS = 300_000   // a rollup covers 5 minutes
)

// readingBytes is the size of one stored reading: uint32 offset + float64.
const readingBytes = 12

// sample is one stored reading: its offset in the hour and its value.
type sample struct {
	off uint32  // ms since the hour, < HourMS
	v   float64 // W or A
}

// mergeBlock merges fresh readings into a stored block (sorted, no offset
// twice): a fresh reading at an offset already stored, or repeated within
// fresh, is dropped (the first kept). It returns the merged block, the
// number of readings added and the 5-minute buckets they fell in.
func mergeBlock(dst, old, fresh []sample) ([]sample, int, uint16) {
	slices.SortStableFunc(fresh, func(a, b sample) int { return int(a.off) - int(b.off) })
	var touched uint16
	added := 0
	i, j := 0, 0
	for i < len(old) || j < len(fresh) {
		switch {
		case j >= len(fresh) || (i < len(old) && old[i].off < fresh[j].off):
			dst = append(dst, old[i])
			i++
		case i < len(old) && old[i].off == fresh[j].off:
			j++ // already stored
		default:
			if len(dst) > 0 && dst[len(dst)-1].off == fresh[j].off {
				j++ // repeated in the file
				continue
			}
			dst = append(dst, fresh[j])
			touched |= 1 << (fresh[j].off / BucketMS)
			added++
			j++
		}
	}
	return dst, added, touched
}

// Rollup is the summary of one series over one 5-minute bucket.
type Rollup struct {
	BucketMS int64   `json:"bucket_ms"` // start of the bucket, Unix ms, a multiple of 300,000
	N        int     `json:"n"`         // readings in the bucket, >= 1
	Min      float64 `json:"min"`
	Mean     float64 `json:"mean"`
	Max      float64 `json:"max"`
	P95      float64 `json:"p95"` // nearest-rank 95th percentile
}

// Summarize computes the rollup of values (any order; it is sorted in
// place): min, mean, max and the nearest-rank 95th percentile, the
// smallest value with at least 95 % of the values at or below it.
func Summarize(values []float64) Rollup {
	slices.Sort(values)
	sum := 0.0
	for _, v := range values {
		sum += v
	}
	return Rollup{N: len(values), Min: values[0], Max: values[len(values)-1], Mean: sum / float64(len(values)),
		P95: stat.Quantile(0.95, stat.Empirical, values, nil)}
}

// Retention is how long readings are kept, counted back from the model's
// newest reading.
type Retention struct {
	RawDays    int `json:"raw_retention_days"`    // raw readings, days, >= 1
	RollupDays int `json:"rollup_retention_days"` // 5-minute rollups, days, >= RawDays
}

// Retention returns the database's retention settings.
func (db *DB) Retention(ctx context.Context) (Retention, error) {
	return retention(ctx, db.r)
}

func retention(ctx context.Context, q querier) (Retention, error) {
	var r Retention
	rows, err := q.QueryContext(ctx, "SELECT name, value FROM measure_setting")
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int
		if err := rows.Scan(&name, &v); err != nil {
			return r, err
		}
		switch name {
		case "raw_retention_days":
			r.RawDays = v
		case "rollup_retention_days":
			r.RollupDays = v
		}
	}
	return r, rows.Err()
}

// SetRetention changes the retention settings (a zero field keeps its
// value); rollups must be kept at least as long as raw readings.
func (db *DB) SetRetention(ctx context.Context, r Retention) (Retention, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Retention{}, err
	}
	defer tx.Rollback()
	cur, err := retention(ctx, tx)
	if err != nil {
		return cur, err
	}
	if r.RawDays < 0 || r.RollupDays < 0 {
		return cur, fmt.Errorf("%w: retention must be >= 1 day", ErrInvalid)
	}
	if r.RawDays > 0 {
		cur.RawDays = r.RawDays
	}
	if r.RollupDays > 0 {
		cur.RollupDays = r.RollupDays
	}
	if cur.RollupDays < cur.RawDays {
		return cur, fmt.Errorf("%w: rollups (%d d) must be kept at least as long as raw readings (%d d)", ErrInvalid, cur.RollupDays, cur.RawDays)
	}
	for name, v := range map[string]int{"raw_retention_days": cur.RawDays, "rollup_retention_days": cur.RollupDays} {
		if _, err := tx.ExecContext(ctx, "UPDATE measure_setting SET value = ? WHERE name = ?", v, name); err != nil {
			return cur, err
		}
	}
	return cur, tx.Commit()
}

// PruneResult says what Prune removed.
type PruneResult struct {
	Model            string    `json:"model"`
	Retention        Retention `json:"retention"`
	NewestMS         int64     `json:"newest_time_ms"`    // the model's newest reading, Unix ms (0: none)
	RawBeforeMS      int64     `json:"raw_before_ms"`     // raw hours that end at or before this were removed, Unix ms
	RollupsBeforeMS  int64     `json:"rollups_before_ms"` // rollups that end at or before this were removed, Unix ms
	RawBlocks        int64     `json:"raw_blocks_removed"`
	Readings         int64     `json:"readings_removed"`
	Rollups          int64     `json:"rollups_removed"`
	AbandonedImports int       `json:"abandoned_imports_removed"`
}

// Prune removes the model's raw readings older than the raw retention and
// rollups older than the rollup retention, both counted back from the
// model's newest reading (so a model's history does not vanish because
// its meters stopped reporting), and the staging rows of abandoned
// imports. A raw hour is removed once all of it is out of retention.
func (db *DB) Prune(ctx context.Context, model string) (PruneResult, error) {
	res := PruneResult{Model: model}
	var staleBefore int
	if err := db.w.QueryRowContext(ctx, "SELECT count(*) FROM import WHERE state = 'staging' AND updated_ms < ?", db.now().UnixMilli()-staleImportMS).Scan(&staleBefore); err != nil {
		return res, err
	}
	if err := db.removeAbandoned(ctx); err != nil {
		return res, err
	}
	res.AbandonedImports = staleBefore
	modelID, err := db.modelID(ctx, db.w, model)
	if err != nil {
		return res, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	if res.Retention, err = retention(ctx, tx); err != nil {
		return res, err
	}
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT max(last_ms) FROM import WHERE model_id = ? AND state = 'done' AND readings > 0", modelID).Scan(&newest); err != nil {
		return res, err
	}
	if !newest.Valid {
		return res, tx.Commit()
	}
	res.NewestMS = newest.Int64
	const day = 86_400_000
	res.RawBeforeMS = newest.Int64 - int64(res.Retention.RawDays)*day
	res.RollupsBeforeMS = newest.Int64 - int64(res.Retention.RollupDays)*day
	err = tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(n), 0) FROM reading_hour WHERE series_id IN (SELECT id FROM series WHERE model_id = ?) AND hour_ms + ? <= ?`,
		modelID, HourMS, res.RawBeforeMS).Scan(&res.RawBlocks, &res.Readings)
	if err != nil {
		return res, err
	}
	if res.RawBlocks > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reading_hour WHERE series_id IN (SELECT id FROM series WHERE model_id = ?) AND hour_ms + ? <= ?`, modelID, HourMS, res.RawBeforeMS); err != nil {
			return res, err
		}
	}
	r, err := tx.ExecContext(ctx, `DELETE FROM rollup_5m WHERE series_id IN (SELECT id FROM series WHERE model_id = ?) AND bucket_ms + ? <= ?`, modelID, BucketMS, res.RollupsBeforeMS)
	if err != nil {
		return res, err
	}
	res.Rollups, _ = r.RowsAffected()
	return res, tx.Commit()
}

// SeriesStats summarizes one series over a window.
type SeriesStats struct {
	Element  string  `json:"element"`
	Line     string  `json:"line,omitempty"` // "" for the whole element
	Quantity string  `json:"quantity"`       // power_w or current_a
	N        int     `json:"readings"`       // readings in the window (a rollup counts its n)
	P95      float64 `json:"p95"`            // nearest-rank 95th percentile, W or A
	Max      float64 `json:"max"`
	Mean     float64 `json:"mean"`
	FirstMS  int64   `json:"first_time_ms"` // earliest reading in the window, Unix ms (a rollup's bucket start)
	LastMS   int64   `json:"last_time_ms"`
	// FromRollups is set when part of the window is older than the raw
	// retention: each 5-minute rollup there counts as n readings of its p95.
	FromRollups bool `json:"from_rollups,omitempty"`
}

// Window is the span Stats summarizes.
type Window struct {
	StartMS int64 `json:"start_ms"` // exclusive, Unix ms
	EndMS   int64 `json:"end_ms"`   // inclusive, Unix ms: the model's newest reading unless given
}

// Stats summarizes every series of the model over the window of length
// windowMS that ends at endMS (the model's newest reading when 0):
// readings at times in (end - window, end]. Series with no reading in the
// window are left out. ok is false when the model has no readings.
func (db *DB) Stats(ctx context.Context, model string, windowMS, endMS int64) ([]SeriesStats, Window, error) {
	if windowMS <= 0 {
		return nil, Window{}, fmt.Errorf("%w: window must be > 0", ErrInvalid)
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, Window{}, err
	}
	defer tx.Rollback()
	modelID, err := db.modelID(ctx, tx, model)
	if err != nil {
		return nil, Window{}, err
	}
	if endMS == 0 {
		var newest sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT max(last_ms) FROM import WHERE model_id = ? AND state = 'done' AND readings > 0", modelID).Scan(&newest); err != nil {
			return nil, Window{}, err
		}
		if !newest.Valid {
			return nil, Window{}, nil
		}
		endMS = newest.Int64
	}
	w := Window{StartMS: endMS - windowMS, EndMS: endMS}
	rows, err := tx.QueryContext(ctx, "SELECT id, element, line, quantity FROM series WHERE model_id = ? ORDER BY element, line, quantity", modelID)
	if err != nil {
		return nil, w, err
	}
	type ser struct {
		id int64
		k  seriesKey
	}
	var all []ser
	for rows.Next() {
		var s ser
		if err := rows.Scan(&s.id, &s.k.element, &s.k.line, &s.k.quantity); err != nil {
			rows.Close()
			return nil, w, err
		}
		all = append(all, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, w, err
	}
	raw, err := tx.PrepareContext(ctx, "SELECT hour_ms, data FROM reading_hour WHERE series_id = ? AND hour_ms > ? AND hour_ms <= ? AND "+visible+" ORDER BY hour_ms")
	if err != nil {
		return nil, w, err
	}
	defer raw.Close()
	rolls, err := tx.PrepareContext(ctx, "SELECT bucket_ms, n, mean, max, p95 FROM rollup_5m WHERE series_id = ? AND bucket_ms > ? AND bucket_ms <= ? AND "+visible+" ORDER BY bucket_ms")
	if err != nil {
		return nil, w, err
	}
	defer rolls.Close()
	var out []SeriesStats
	var vals, wts []float64
	var buf []sample
	for _, s := range all {
		st := SeriesStats{Element: s.k.element, Line: s.k.line, Quantity: s.k.quantity, FirstMS: math.MaxInt64, LastMS: math.MinInt64, Max: math.Inf(-1)}
		vals, wts = vals[:0], wts[:0]
		var hours []int64 // the series' raw hours read, ascending
		sum := 0.0
		rr, err := raw.QueryContext(ctx, s.id, w.StartMS-HourMS, w.EndMS)
		if err != nil {
			return nil, w, err
		}
		for rr.Next() {
			var hour int64
			var data []byte
			if err := rr.Scan(&hour, &data); err != nil {
				rr.Close()
				return nil, w, err
			}
			hours = append(hours, hour)
			buf = decodeBlock(buf[:0], data)
			for _, x := range buf {
				t := hour + int64(x.off)
				if t <= w.StartMS || t > w.EndMS {
					continue
				}
				vals = append(vals, x.v)
				sum += x.v
				st.Max = max(st.Max, x.v)
				st.FirstMS = min(st.FirstMS, t)
				st.LastMS = max(st.LastMS, t)
			}
		}
		rr.Close()
		if err := rr.Err(); err != nil {
			return nil, w, err
		}
		n := len(vals)
		// Buckets whose raw hour is gone (pruned, or past the retention
		// when imported) count through their rollups: those in the gaps
		// of (start, end] between the raw hours just read. A raw hour is
		// whole (an import into an hour whose raw block is gone only fills
		// rollups), so no rollup inside one is read. Pruned hours usually
		// come first, but raising the retention can let an import put a
		// raw hour before them, so every gap is read.
		type rw struct{ v, n float64 }
		var fromRoll []rw
		from := w.StartMS // the gap's exclusive start
		gap := func(to int64) error {
			rq, err := rolls.QueryContext(ctx, s.id, from, to)
			if err != nil {
				return err
			}
			defer rq.Close()
			for rq.Next() {
				var b int64
				var cnt int
				var mean, mx, p95 float64
				if err := rq.Scan(&b, &cnt, &mean, &mx, &p95); err != nil {
					return err
				}
				fromRoll = append(fromRoll, rw{p95, float64(cnt)})
				sum += mean * float64(cnt)
				n += cnt
				st.Max = max(st.Max, mx)
				st.FirstMS = min(st.FirstMS, b)
				st.LastMS = max(st.LastMS, b)
			}
			return rq.Err()
		}
		for _, h := range hours {
			if h-1 > from {
				if err := gap(h - 1); err != nil {
					return nil, w, err
				}
			}
			from = max(from, h+HourMS-1)
		}
		if w.EndMS > from {
			if err := gap(w.EndMS); err != nil {
				return nil, w, err
			}
		}
		if n == 0 {
			continue
		}
		st.N = n
		st.Mean = sum / float64(n)
		if len(fromRoll) == 0 {
			slices.Sort(vals)
			st.P95 = stat.Quantile(0.95, stat.Empirical, vals, nil)
		} else {
			st.FromRollups = true
			pairs := make([]rw, 0, len(vals)+len(fromRoll))
			for _, v := range vals {
				pairs = append(pairs, rw{v, 1})
			}
			pairs = append(pairs, fromRoll...)
			slices.SortFunc(pairs, func(a, b rw) int { return cmpFloat(a.v, b.v) })
			vals, wts = vals[:0], wts[:0]
			for _, p := range pairs {
				vals = append(vals, p.v)
				wts = append(wts, p.n)
			}
			st.P95 = stat.Quantile(0.95, stat.Empirical, vals, wts)
		}
		out = append(out, st)
	}
	return out, w, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Rollups returns the stored 5-minute rollups of one series whose buckets
// start in [fromMS, toMS), in time order.
func (db *DB) Rollups(ctx context.Context, model, element, line, quantity string, fromMS, toMS int64) ([]Rollup, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT r.bucket_ms, r.n, r.min, r.mean, r.max, r.p95 FROM rollup_5m r
		JOIN series s ON s.id = r.series_id JOIN model m ON m.id = s.model_id
		WHERE m.name = ? AND s.element = ? AND s.line = ? AND s.quantity = ? AND r.bucket_ms >= ? AND r.bucket_ms < ? AND r.`+visible+` ORDER BY r.bucket_ms`,
		model, element, line, quantity, fromMS, toMS)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rollup
	for rows.Next() {
		var r Rollup
		if err := rows.Scan(&r.BucketMS, &r.N, &r.Min, &r.Mean, &r.Max, &r.P95); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MeasureSizes is what a database holds of measured loads.
type MeasureSizes struct {
	Series         int   `json:"series"`
	Readings       int64 `json:"readings"`        // raw readings kept
	RawBlocks      int64 `json:"raw_blocks"`      // series-hours
	RawBytes       int64 `json:"raw_bytes"`       // payload of the raw blocks, bytes
	Rollups        int64 `json:"rollups"`         // 5-minute rollups kept
	Imports        int   `json:"imports"`         // files imported
	StagingImports int   `json:"staging_imports"` // imports in progress or abandoned
	StagingBytes   int64 `json:"staging_bytes"`
	FileBytes      int64 `json:"file_bytes"` // the whole database file (page count × page size), bytes
}

func measureSizes(ctx context.Context, q querier) (MeasureSizes, error) {
	var s MeasureSizes
	var pages, pageSize int64
	for _, x := range []struct {
		query string
		dest  []any
	}{
		{"SELECT count(*) FROM series", []any{&s.Series}},
		{"SELECT count(*), coalesce(sum(n), 0), coalesce(sum(length(data)), 0) FROM reading_hour WHERE " + visible, []any{&s.RawBlocks, &s.Readings, &s.RawBytes}},
		{"SELECT count(*) FROM rollup_5m WHERE " + visible, []any{&s.Rollups}},
		{"SELECT count(*) FROM import WHERE state = 'done'", []any{&s.Imports}},
		{"SELECT count(*) FROM import WHERE state = 'staging'", []any{&s.StagingImports}},
		{"SELECT (SELECT coalesce(sum(length(data)), 0) FROM staging) + (SELECT coalesce(sum(length(data)), 0) FROM reading_hour WHERE NOT " + visible + ")", []any{&s.StagingBytes}},
		{"PRAGMA page_count", []any{&pages}},
		{"PRAGMA page_size", []any{&pageSize}},
	} {
		if err := q.QueryRowContext(ctx, x.query).Scan(x.dest...); err != nil {
			return s, err
		}
	}
	s.FileBytes = pages * pageSize
	return s, nil
}

// checkReadings verifies the reading-blocks and rollups-match-raw
// invariants: every raw block decodes to readings in time order within
// its hour, and every rollup whose raw hour is kept summarizes it. Blocks
// and rollups are read side by side in key order (a merge join), so the
// check holds one hour of one series in memory at a time.
func checkReadings(ctx context.Context, q querier, add func(inv, format string, args ...any)) error {
	rows, err := q.QueryContext(ctx, `SELECT s.element, s.line, s.quantity, r.series_id, r.hour_ms, r.n, r.data FROM reading_hour r
		JOIN series s ON s.id = r.series_id WHERE r.`+visible+` ORDER BY r.series_id, r.hour_ms`)
	if err != nil {
		return err
	}
	defer rows.Close()
	rr, err := q.QueryContext(ctx, `SELECT series_id, bucket_ms, n, min, mean, max, p95 FROM rollup_5m WHERE `+visible+` ORDER BY series_id, bucket_ms`)
	if err != nil {
		return err
	}
	defer rr.Close()
	type rollupRow struct {
		sid int64
		r   Rollup
	}
	var next *rollupRow // the rollup cursor's current row, nil at its end
	advance := func() error {
		if !rr.Next() {
			next = nil
			return rr.Err()
		}
		var x rollupRow
		if err := rr.Scan(&x.sid, &x.r.BucketMS, &x.r.N, &x.r.Min, &x.r.Mean, &x.r.Max, &x.r.P95); err != nil {
			return err
		}
		next = &x
		return nil
	}
	if err := advance(); err != nil {
		return err
	}
	before := func(sid, bucket int64) bool { // the cursor is before (sid, bucket)
		return next != nil && (next.sid < sid || next.sid == sid && next.r.BucketMS < bucket)
	}
	var buf []sample
	var vals []float64
	for rows.Next() {
		var el, line, qty string
		var sid, hour int64
		var n int
		var data []byte
		if err := rows.Scan(&el, &line, &qty, &sid, &hour, &n, &data); err != nil {
			return err
		}
		name := el + lineSuffix(line)
		buf = decodeBlock(buf[:0], data)
		if len(buf) != n || len(data) != n*readingBytes {
			add(InvReadingBlocks, "%s %s, hour %d: %d bytes for %d readings", name, qty, hour, len(data), n)
			continue
		}
		ok := true
		for i, x := range buf {
			if x.off >= HourMS || (i > 0 && x.off <= buf[i-1].off) || math.IsNaN(x.v) || math.IsInf(x.v, 0) || x.v < 0 {
				add(InvReadingBlocks, "%s %s, hour %d: reading %d (offset %d ms, value %g) out of order, outside the hour or not a finite value >= 0", name, qty, hour, i, x.off, x.v)
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		for i := 0; i < len(buf); {
			b := buf[i].off / BucketMS
			vals = vals[:0]
			for i < len(buf) && buf[i].off/BucketMS == b {
				vals = append(vals, buf[i].v)
				i++
			}
			w := Summarize(vals)
			w.BucketMS = hour + int64(b)*BucketMS
			for before(sid, w.BucketMS) { // rollups of pruned raw hours
				if err := advance(); err != nil {
					return err
				}
			}
			if next == nil || next.sid != sid || next.r.BucketMS != w.BucketMS {
				add(InvRollups, "%s %s, bucket %d: raw readings without a rollup", name, qty, w.BucketMS)
				continue
			}
			got := next.r
			if w.N != got.N || w.Min != got.Min || w.Max != got.Max || w.P95 != got.P95 || math.Abs(w.Mean-got.Mean) > 1e-9*math.Max(1, math.Abs(w.Mean)) {
				add(InvRollups, "%s %s, bucket %d: rollup n=%d min=%g mean=%g max=%g p95=%g, its readings give n=%d min=%g mean=%g max=%g p95=%g",
					name, qty, got.BucketMS, got.N, got.Min, got.Mean, got.Max, got.P95, w.N, w.Min, w.Mean, w.Max, w.P95)
			}
			if err := advance(); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

func lineSuffix(line string) string {
	if line == "" {
		return ""
	}
	return "/" + line
}

// Metered returns the model's series summarized over the window (as
// Stats), as the input of power's Gap.
func (db *DB) Metered(ctx context.Context, model string, windowMS, endMS int64) ([]power.Metered, Window, error) {
	st, w, err := db.Stats(ctx, model, windowMS, endMS)
	if err != nil {
		return nil, w, err
	}
	out := make([]power.Metered, len(st))
	for i, s := range st {
		out[i] = power.Metered{Element: s.Element, Line: s.Line, Quantity: s.Quantity, Readings: s.N, P95: s.P95, Max: s.Max}
	}
	return out, w, nil
}

// DeviceP95 returns each measured device's draw for BasisMeasured: the p95
// of its whole-device power readings over the window (as Stats), W, keyed
// by device id. Series of other elements, per-line series and currents are
// left out.
func (db *DB) DeviceP95(ctx context.Context, model string, m *topology.Model, windowMS, endMS int64) (map[string]float64, Window, error) {
	st, w, err := db.Stats(ctx, model, windowMS, endMS)
	if err != nil {
		return nil, w, err
	}
	out := map[string]float64{}
	for _, s := range st {
		if s.Quantity != QuantityPower || s.Line != "" {
			continue
		}
		if _, ok := m.DeviceIndex(s.Element); ok {
			out[s.Element] = s.P95
		}
	}
	return out, w, nil
}
