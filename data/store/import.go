package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"blackstart/data/readings"
	"blackstart/topology"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// How an import stores a file whole or not at all (schema version 5):
//
//   - One import at a time per database: an import begins by inserting its
//     row in state 'staging' only when no other live import is staging
//     (others wait); imports whose process stopped marking them alive for
//     staleImportMS are taken for abandoned and their rows removed first.
//   - Hours of a series that hold nothing yet (the common case: PDUs
//     export in time order, each file after the last) are written in
//     place, raw block and rollups, tagged with the import's id, in
//     batches of small transactions. Readers skip rows whose import is
//     still staging, so nothing of the file is visible yet, and the
//     write-ahead log is checkpointed between batches: it holds one batch,
//     not the file.
//   - Blocks of hours that already hold readings (a re-import, an
//     overlapping export, a file out of time order) or that lie past the
//     raw retention go to the staging table and are merged in the last
//     transaction, which also sets the import 'done': every row of the
//     file becomes visible at that one commit. Its size is that of the
//     blocks it changes, nothing for a file imported twice.
//   - Whatever fails before that commit (a bad row, a killed process),
//     the import's rows are removed by range, in small transactions, by
//     the import itself or by the next one.

// staleImportMS is how long an import may go without a heartbeat (its
// process marks it alive every heartbeatEvery, and at each batch) before
// another import, a prune or a check takes it for abandoned (its process
// died) and removes its rows, ms. A process killed mid-import holds up
// the next import that long.
const staleImportMS = 60 * 1000

// heartbeatEvery is how often a running import marks itself alive.
const heartbeatEvery = 5 * time.Second

// importCacheKiB is the writer's page cache during an import, KiB.
const importCacheKiB = 64 << 10

// removingMS marks an abandoned import whose rows are being removed (its
// updated_ms): its process, if it still runs, must not publish.
const removingMS = 0

// importWait is how long an import waits before it looks again whether
// another import has finished.
const importWait = 100 * time.Millisecond

// ErrReadings is wrapped by ImportReadings when the file's readings fail
// their checks (the topology.ErrorList says where); nothing was stored.
var ErrReadings = errors.New("bad readings")

// errAbandoned: the import was taken for abandoned by another process
// while it ran (it committed nothing for staleImportMS).
var errAbandoned = errors.New("the import was idle too long and taken for abandoned by another process: nothing stored, import the file again")

// ImportOptions tune ImportReadings.
type ImportOptions struct {
	// BatchBlocks is how many hour blocks one transaction writes before
	// the last; 16384 when 0 (with one reading a minute, about 12 MB).
	BatchBlocks int
	// Progress, when set, is called after each batch is committed, with
	// the readings read when it was handed to the writer, from the
	// goroutine that writes the batches.
	Progress func(readings int)
}

// ImportResult says what an import did. Values = Added + Duplicates +
// PastRetention.
type ImportResult struct {
	File     string `json:"file"`
	Model    string `json:"model"`
	Revision string `json:"revision"` // the revision whose elements the readings were checked against, @N
	Readings int    `json:"readings"` // rows read (a row with power and current counts once)
	Values   int    `json:"values"`   // values read: power and current of a row count apart
	// Added is the values stored as raw readings by this import and kept:
	// the raw readings the database holds grew by exactly this much.
	Added      int `json:"added"`
	Duplicates int `json:"duplicates"` // values already stored as raw readings (or repeated in the file), not added again
	// PastRetention is the values in hours older than the raw retention
	// (counted back from the model's newest reading, this file's
	// included): not kept as raw readings; their 5-minute rollups are
	// stored where none was.
	PastRetention int   `json:"past_retention"`
	Series        int   `json:"series"`        // distinct series (element, line, quantity) in the file
	FirstMS       int64 `json:"first_time_ms"` // earliest reading, Unix ms
	LastMS        int64 `json:"last_time_ms"`  // latest reading, Unix ms
}

// seriesKey names a series within a model.
type seriesKey struct {
	element, line, quantity string
}

// elementChecker says which ids and lines of a model take readings.
type elementChecker struct {
	rev   string
	kinds map[string]string // id → "device" or the element kind
	three map[string]bool   // ids of three-phase elements
}

func newChecker(m *topology.Model, rev string) *elementChecker {
	c := &elementChecker{rev: rev, kinds: map[string]string{}, three: map[string]bool{}}
	for i := range m.Devices {
		c.kinds[m.Devices[i].ID] = "device"
	}
	for i := range m.Elements {
		e := &m.Elements[i]
		c.kinds[e.ID] = e.Kind.String()
		if e.Phases == 3 {
			c.three[e.ID] = true
		}
	}
	return c
}

// measurable element kinds (topology.Kind names) besides devices.
var measurable = map[string]bool{"device": true, "rack_pdu": true, "bank": true, "circuit": true, "breaker": true}

func (c *elementChecker) check(rd *readings.Reading) error {
	kind, ok := c.kinds[rd.Element]
	if !ok {
		return fmt.Errorf("unknown element %q: no device or power element of %s has that id", rd.Element, c.rev)
	}
	if !measurable[kind] {
		return fmt.Errorf("element %q is a %s: readings are of devices, rack PDUs, banks, circuits and breakers", rd.Element, strings.ReplaceAll(kind, "_", " "))
	}
	if rd.Line != "" && !c.three[rd.Element] {
		return fmt.Errorf("line %s on %q: per-line readings are for three-phase elements, %q is not one", rd.Line, rd.Element, rd.Element)
	}
	return nil
}

// seriesState is one series of the file while it is read.
type seriesState struct {
	id   int64
	hour int64    // hour of the open block, Unix ms; -1 before the first reading
	buf  []sample // the open block's readings, in file order
	// floor: hours <= floor may hold stored raw readings or rollups (the
	// store's, when the import began), Unix ms; -1 when none.
	floor int64
	// last is the latest hour of a block of this series closed so far, -1
	// before: a block at or before it is an hour met again (a file out of
	// time order).
	last int64
}

// block is one hour of one series' readings, sorted, no offset twice.
type block struct {
	series, hour int64
	s            []sample
}

// importer holds one import's state.
type importer struct {
	db      *DB
	ctx     context.Context
	id      int64 // the import's row
	modelID int64
	o       ImportOptions
	res     ImportResult
	series  map[seriesKey]*seriesState
	// newestDone is the model's newest reading of a done import before
	// this one, Unix ms; math.MinInt64 when none.
	newestDone int64
	rawMS      int64 // raw retention, ms
	inPlace    []block
	staged     []block
	stagedKeys map[[2]int64]bool // (series, hour) of every staged block
	// minHour, maxHour bound the hours of the rows written in place, Unix
	// ms (minHour > maxHour: none); written to the import row with them.
	minHour, maxHour int64
	added, past      int
}

// ImportReadings stores the readings file r (named name) for model: every
// reading is checked against the model's latest revision (element ids,
// lines) and the file is stored whole or not at all, in batches of small
// transactions that nothing reads until the last one publishes them (see
// the comment at the top of this file). A value already stored for the
// same series and time is kept and not added twice; values in hours past
// the raw retention are only rolled up. A file that fails its checks
// wraps ErrReadings around a topology.ErrorList and leaves nothing
// behind. One import runs at a time per database: another waits.
func (db *DB) ImportReadings(ctx context.Context, model, name string, r io.Reader, o ImportOptions) (ImportResult, error) {
	if o.BatchBlocks <= 0 {
		o.BatchBlocks = 16384
	}
	m, rev, err := db.LoadModel(ctx, model, "")
	if err != nil {
		return ImportResult{}, err
	}
	im := &importer{db: db, ctx: ctx, o: o, series: map[seriesKey]*seriesState{}, stagedKeys: map[[2]int64]bool{},
		minHour: math.MaxInt64, maxHour: math.MinInt64,
		res: ImportResult{File: name, Model: model, Revision: rev.Name(), FirstMS: math.MaxInt64, LastMS: math.MinInt64}}
	chk := newChecker(m, model+rev.Name())
	if im.modelID, err = db.modelID(ctx, db.r, model); err != nil {
		return im.res, err
	}
	// A large page cache keeps a batch's B-tree pages in memory until its
	// commit; it is the writer connection's own.
	if _, err := db.w.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", importCacheKiB)); err != nil {
		return im.res, err
	}
	// The batches are not acknowledged to anyone and are invisible until
	// the last commit: they need not reach the disk at their own commit
	// (synchronous NORMAL is still crash-safe in WAL mode: a crash loses
	// at most the latest batches, whose import is then abandoned). The
	// publishing commit is FULL, which syncs the log with every batch
	// before it.
	if _, err := db.w.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return im.res, err
	}
	defer db.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL")
	// A multi-row INSERT keeps a statement journal (to undo half a
	// statement): in memory it costs no file writes. It holds one
	// statement's pages, not the transaction's.
	if _, err := db.w.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		return im.res, err
	}
	defer db.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = DEFAULT")
	if err := im.begin(name); err != nil {
		return im.res, err
	}
	// Whatever goes wrong from here, the import's rows go.
	published := false
	defer func() {
		if !published {
			db.dropImport(context.WithoutCancel(ctx), im.id)
		}
	}()
	stopBeat := im.heartbeat()
	defer stopBeat()
	// Reading and writing overlap: this goroutine parses, checks and
	// encodes the next batch while another writes the last one (on two
	// cores, each can have one). Stopped before the rows are dropped.
	wr := im.startWriter()
	defer wr.finish()
	h := sha256.New()
	var writeErr error
	tee := io.TeeReader(r, h)
	seen := map[elementLine]*elementSeries{}
	err = readings.Read(name, tee, func(rd *readings.Reading) error {
		if writeErr != nil {
			return nil
		}
		// One lookup a reading: the element and line checked once, and
		// their series.
		key := elementLine{rd.Element, rd.Line}
		e := seen[key]
		if e == nil {
			e = &elementSeries{err: chk.check(rd)}
			seen[key] = e
		}
		if e.err != nil {
			return e.err
		}
		im.res.Readings++
		im.res.FirstMS = min(im.res.FirstMS, rd.TimeMS)
		im.res.LastMS = max(im.res.LastMS, rd.TimeMS)
		if !math.IsNaN(rd.PowerW) {
			writeErr = im.add(&e.power, rd, QuantityPower, rd.PowerW)
		}
		if !math.IsNaN(rd.CurrentA) && writeErr == nil {
			writeErr = im.add(&e.current, rd, QuantityCurrent, rd.CurrentA)
		}
		if writeErr == nil && len(im.inPlace)+len(im.staged) >= o.BatchBlocks {
			writeErr = wr.send(im.takeBatch())
		}
		return nil
	})
	if writeErr != nil {
		if err := wr.finish(); err != nil {
			return im.res, err
		}
		return im.res, writeErr
	}
	if err != nil {
		var el topology.ErrorList
		if errors.As(err, &el) {
			return im.res, fmt.Errorf("%w: %w", ErrReadings, err)
		}
		return im.res, err
	}
	io.Copy(io.Discard, tee) // the hash covers the whole file
	keys := make([]seriesKey, 0, len(im.series))
	for k := range im.series {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
	for _, k := range keys {
		im.closeBlock(im.series[k])
	}
	wr.send(im.takeBatch()) // a failed writer's error is finish's
	if err := wr.finish(); err != nil {
		return im.res, err
	}
	im.res.Series = len(im.series)
	cutoff := max(im.newestDone, im.res.LastMS) - im.rawMS
	if err := im.trim(cutoff); err != nil {
		return im.res, err
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return im.res, err
	}
	if err := im.publish(hex.EncodeToString(h.Sum(nil)), cutoff); err != nil {
		return im.res, err
	}
	published = true
	if err := db.clearStaging(ctx); err != nil {
		return im.res, fmt.Errorf("readings stored; removing their staged copy: %w", err)
	}
	im.res.Added, im.res.PastRetention = im.added, im.past
	im.res.Duplicates = im.res.Values - im.added - im.past
	if _, err := db.Prune(ctx, model); err != nil {
		return im.res, fmt.Errorf("readings stored; prune after import: %w", err)
	}
	return im.res, nil
}

// begin waits until no other import is staging, removing abandoned ones,
// and inserts the import's row; it reads the retention and the model's
// newest reading.
func (im *importer) begin(name string) error {
	db, ctx := im.db, im.ctx
	for {
		if err := db.removeAbandoned(ctx); err != nil {
			return err
		}
		ok, err := im.tryBegin(name)
		if isBusy(err) {
			ok, err = false, nil // a long merge of another process: wait
		}
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(importWait):
		}
	}
}

// heartbeat marks the import alive every heartbeatEvery until the
// returned function is called (while a batch or the merge holds the
// writer connection, the beat waits for it: a write transaction of
// another process cannot take the import for abandoned meanwhile
// either). An import being removed is left alone.
func (im *importer) heartbeat() (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				im.db.w.ExecContext(context.WithoutCancel(im.ctx), "UPDATE import SET updated_ms = ? WHERE id = ? AND state = 'staging' AND updated_ms != ?",
					im.db.now().UnixMilli(), im.id, removingMS)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// isBusy: SQLite could not take a lock within the busy timeout.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

func (im *importer) tryBegin(name string) (bool, error) {
	db, ctx := im.db, im.ctx
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	now := db.now().UnixMilli()
	var live int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM import WHERE state = 'staging' AND updated_ms >= ?", now-staleImportMS).Scan(&live); err != nil {
		return false, err
	}
	if live > 0 {
		return false, nil
	}
	ret, err := retention(ctx, tx)
	if err != nil {
		return false, err
	}
	im.rawMS = int64(ret.RawDays) * 86_400_000
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT max(last_ms) FROM import WHERE model_id = ? AND state = 'done' AND readings > 0", im.modelID).Scan(&newest); err != nil {
		return false, err
	}
	im.newestDone = math.MinInt64
	if newest.Valid {
		im.newestDone = newest.Int64
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO import (model_id, file, sha256, state, readings, added, first_ms, last_ms, started_ms, updated_ms)
		VALUES (?, ?, ?, 'staging', 0, 0, 0, 0, ?, ?) RETURNING id`, im.modelID, name, strings.Repeat("0", 64), now, now).Scan(&im.id); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// elementLine is an element id and line ("" for the whole element).
type elementLine struct{ element, line string }

// elementSeries is what the import knows of one element and line: the
// check's verdict and the series of its power and current.
type elementSeries struct {
	err            error
	power, current *seriesState
}

// add appends one value to its series' open block (*sp, found or made),
// closing the block when the hour changes.
func (im *importer) add(sp **seriesState, rd *readings.Reading, quantity string, v float64) error {
	s := *sp
	if s == nil {
		k := seriesKey{rd.Element, rd.Line, quantity}
		var err error
		if s, err = im.newSeries(k); err != nil {
			return err
		}
		im.series[k] = s
		*sp = s
	}
	hour := rd.TimeMS - rd.TimeMS%HourMS
	if hour != s.hour {
		im.closeBlock(s)
		s.hour = hour
	}
	s.buf = append(s.buf, sample{uint32(rd.TimeMS - hour), v})
	im.res.Values++
	return nil
}

// newSeries returns the id of series k of the model, creating it, and the
// latest hour of it the store may already hold.
func (im *importer) newSeries(k seriesKey) (*seriesState, error) {
	db, ctx := im.db, im.ctx
	s := &seriesState{hour: -1, floor: -1, last: -1}
	err := db.w.QueryRowContext(ctx, `INSERT INTO series (model_id, element, line, quantity) VALUES (?, ?, ?, ?)
		ON CONFLICT (model_id, element, line, quantity) DO UPDATE SET element = excluded.element RETURNING id`,
		im.modelID, k.element, k.line, k.quantity).Scan(&s.id)
	if err != nil {
		return nil, err
	}
	var raw, roll sql.NullInt64
	if err := db.w.QueryRowContext(ctx, "SELECT max(hour_ms) FROM reading_hour WHERE series_id = ?", s.id).Scan(&raw); err != nil {
		return nil, err
	}
	if err := db.w.QueryRowContext(ctx, "SELECT max(bucket_ms) FROM rollup_5m WHERE series_id = ?", s.id).Scan(&roll); err != nil {
		return nil, err
	}
	if raw.Valid {
		s.floor = raw.Int64
	}
	if roll.Valid {
		s.floor = max(s.floor, roll.Int64-roll.Int64%HourMS)
	}
	return s, nil
}

// closeBlock sorts the open block of s and queues it: in place when its
// hour holds nothing yet and is within the raw retention as far as the
// file has been read, else staged for the last transaction's merge.
func (im *importer) closeBlock(s *seriesState) {
	if len(s.buf) == 0 {
		return
	}
	smp := slices.Clone(s.buf)
	s.buf = s.buf[:0]
	if !slices.IsSortedFunc(smp, cmpSample) {
		slices.SortStableFunc(smp, cmpSample)
	}
	// A time given twice in the file: the first value is kept.
	smp = slices.CompactFunc(smp, func(a, b sample) bool { return a.off == b.off })
	b := block{series: s.id, hour: s.hour, s: smp}
	cutoff := max(im.newestDone, im.res.LastMS) - im.rawMS
	if s.hour > s.floor && s.hour > s.last && s.hour+HourMS > cutoff {
		im.inPlace = append(im.inPlace, b)
		im.minHour = min(im.minHour, s.hour)
		im.maxHour = max(im.maxHour, s.hour)
	} else {
		im.staged = append(im.staged, b)
		im.stagedKeys[[2]int64{s.id, s.hour}] = true
	}
	s.last = max(s.last, s.hour)
}

func cmpSample(a, b sample) int { return int(a.off) - int(b.off) }

// batch is the blocks one transaction writes.
type batch struct {
	inPlace, staged []block
	// first, last bound the hours of every row written in place so far,
	// this batch's included, Unix ms (0, 0: none).
	first, last int64
	readings    int // read so far, for Progress
}

// takeBatch hands the queued blocks over as a batch.
func (im *importer) takeBatch() *batch {
	b := &batch{inPlace: im.inPlace, staged: im.staged, readings: im.res.Readings}
	if im.minHour <= im.maxHour {
		b.first, b.last = im.minHour, im.maxHour+HourMS-1
	}
	im.inPlace, im.staged = nil, nil
	return b
}

// writer writes batches on its own goroutine, one at a time, while the
// next is read.
type writer struct {
	ch     chan *batch
	done   chan struct{}
	failed atomic.Bool
	err    error // set when failed; read after done
	once   sync.Once
}

func (im *importer) startWriter() *writer {
	w := &writer{ch: make(chan *batch, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for b := range w.ch {
			if w.failed.Load() {
				continue // drain
			}
			if err := im.flush(b); err != nil {
				w.err = err
				w.failed.Store(true)
			}
		}
	}()
	return w
}

// errWriter stands for the writer's error until finish returns it.
var errWriter = errors.New("the batch writer failed")

// send queues a batch, waiting while one is being written and another
// queued; it fails once a batch has failed.
func (w *writer) send(b *batch) error {
	if w.failed.Load() {
		return errWriter
	}
	w.ch <- b
	return nil
}

// finish waits for the queued batches and returns the first error.
func (w *writer) finish() error {
	w.once.Do(func() { close(w.ch) })
	<-w.done
	return w.err
}

// flush writes a batch in one transaction: the in-place blocks with
// their rollups, the others to the staging table; and marks the import
// alive. It runs on the writer's goroutine.
func (im *importer) flush(bt *batch) error {
	if len(bt.inPlace) == 0 && len(bt.staged) == 0 {
		return nil
	}
	db, ctx := im.db, im.ctx
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The import row first: it bounds the rows written below when this
	// commits, and it must still be this process's.
	r, err := tx.ExecContext(ctx, "UPDATE import SET updated_ms = ?, first_ms = ?, last_ms = ? WHERE id = ? AND state = 'staging' AND updated_ms != ?",
		db.now().UnixMilli(), bt.first, bt.last, im.id, removingMS)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return errAbandoned
	}
	slices.SortFunc(bt.inPlace, func(a, b block) int {
		if c := cmpInt(a.series, b.series); c != 0 {
			return c
		}
		return cmpInt(a.hour, b.hour)
	})
	raw := newMultiInsert(tx, "INSERT INTO reading_hour (series_id, hour_ms, n, data, import_id) VALUES ", 5, 64)
	defer raw.close()
	roll := newMultiInsert(tx, "INSERT INTO rollup_5m (series_id, bucket_ms, n, min, mean, max, p95, import_id) VALUES ", 8, 120)
	defer roll.close()
	var vals []float64
	for _, b := range bt.inPlace {
		if err := raw.add(ctx, b.series, b.hour, len(b.s), encodeBlock(make([]byte, 0, len(b.s)*readingBytes), b.s), im.id); err != nil {
			return err
		}
		im.added += len(b.s)
		if vals, err = writeRollups(ctx, roll, vals, b.series, b.hour, b.s, 0xffff, im.id); err != nil {
			return err
		}
	}
	if err := raw.flush(ctx); err != nil {
		return err
	}
	if err := roll.flush(ctx); err != nil {
		return err
	}
	if len(bt.staged) > 0 {
		st := newMultiInsert(tx, "INSERT INTO staging (import_id, series_id, hour_ms, data) VALUES ", 4, 64)
		defer st.close()
		for _, b := range bt.staged {
			if err := st.add(ctx, im.id, b.series, b.hour, encodeBlock(make([]byte, 0, len(b.s)*readingBytes), b.s)); err != nil {
				return err
			}
		}
		if err := st.flush(ctx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if im.o.Progress != nil {
		im.o.Progress(bt.readings)
	}
	return nil
}

// trim removes the raw blocks the import wrote in place in hours that
// the file's own later readings put past the raw retention (a file
// longer than the retention): they are counted past retention, their
// rollups kept. Blocks of hours also staged are left to the merge.
func (im *importer) trim(cutoff int64) error {
	if im.minHour > im.maxHour || im.minHour+HourMS > cutoff {
		return nil
	}
	db, ctx := im.db, im.ctx
	ids := make([]int64, 0, len(im.series))
	for _, s := range im.series {
		ids = append(ids, s.id)
	}
	slices.Sort(ids)
	for _, sid := range ids {
		type row struct{ hour, n int64 }
		var old []row
		rows, err := db.w.QueryContext(ctx, "SELECT hour_ms, n FROM reading_hour WHERE series_id = ? AND hour_ms >= ? AND hour_ms + ? <= ? AND import_id = ?",
			sid, im.minHour, HourMS, cutoff, im.id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var x row
			if err := rows.Scan(&x.hour, &x.n); err != nil {
				rows.Close()
				return err
			}
			if !im.stagedKeys[[2]int64{sid, x.hour}] {
				old = append(old, x)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The rows are invisible: any number of transactions will do.
		for len(old) > 0 {
			n := min(len(old), 4096)
			err := func() error {
				tx, err := db.w.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				for _, x := range old[:n] {
					if _, err := tx.ExecContext(ctx, "DELETE FROM reading_hour WHERE series_id = ? AND hour_ms = ? AND import_id = ?", sid, x.hour, im.id); err != nil {
						return err
					}
				}
				return tx.Commit()
			}()
			if err != nil {
				return err
			}
			for _, x := range old[:n] {
				im.added -= int(x.n)
				im.past += int(x.n)
			}
			old = old[n:]
		}
	}
	return nil
}

// publish merges the staged blocks into the raw blocks and rollups and
// sets the import done, in one transaction: every row the import wrote
// becomes visible at its commit. Hours that end at or before cutoff
// (Unix ms) are past the raw retention: their values are counted so,
// and where their raw hour is gone they only fill rollups not stored.
func (im *importer) publish(sum string, cutoff int64) error {
	db, ctx := im.db, im.ctx
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	get, err := tx.PrepareContext(ctx, "SELECT data, import_id FROM reading_hour WHERE series_id = ? AND hour_ms = ?")
	if err != nil {
		return err
	}
	defer get.Close()
	put, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO reading_hour (series_id, hour_ms, n, data, import_id) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer put.Close()
	have, err := tx.PrepareContext(ctx, "SELECT bucket_ms FROM rollup_5m WHERE series_id = ? AND bucket_ms >= ? AND bucket_ms < ?")
	if err != nil {
		return err
	}
	defer have.Close()
	pruned, err := tx.PrepareContext(ctx, "SELECT EXISTS (SELECT 1 FROM rollup_5m WHERE series_id = ? AND bucket_ms >= ? AND bucket_ms < ?)")
	if err != nil {
		return err
	}
	defer pruned.Close()
	roll := newMultiInsert(tx, "INSERT OR REPLACE INTO rollup_5m (series_id, bucket_ms, n, min, mean, max, p95, import_id) VALUES ", 8, 120)
	defer roll.close()
	// Merge in (series, hour) order: each series' blocks and rollups are
	// then written in key order, touching few B-tree pages at a time.
	type ref struct{ row, sid, hour int64 }
	var refs []ref
	rows, err := tx.QueryContext(ctx, "SELECT rowid, series_id, hour_ms FROM staging WHERE import_id = ?", im.id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.row, &r.sid, &r.hour); err != nil {
			rows.Close()
			return err
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(refs, func(a, b ref) int {
		switch {
		case a.sid != b.sid:
			return cmpInt(a.sid, b.sid)
		case a.hour != b.hour:
			return cmpInt(a.hour, b.hour)
		}
		return cmpInt(a.row, b.row)
	})
	data, err := tx.PrepareContext(ctx, "SELECT data FROM staging WHERE rowid = ?")
	if err != nil {
		return err
	}
	defer data.Close()
	var old, merged, fresh []sample
	var vals []float64
	var blob []byte
	for i := 0; i < len(refs); {
		// Every staged block of one series and hour (several when the file
		// is not in time order) is merged at once.
		sid, hour := refs[i].sid, refs[i].hour
		fresh = fresh[:0]
		for ; i < len(refs) && refs[i].sid == sid && refs[i].hour == hour; i++ {
			if err := data.QueryRowContext(ctx, refs[i].row).Scan(&blob); err != nil {
				return err
			}
			fresh = decodeBlock(fresh, blob)
		}
		var cur []byte
		var owner int64
		found := true
		switch err := get.QueryRowContext(ctx, sid, hour).Scan(&cur, &owner); {
		case errors.Is(err, sql.ErrNoRows):
			found = false
		case err != nil:
			return err
		}
		past := hour+HourMS <= cutoff
		if !found && !past {
			// An hour whose raw block is gone but whose rollups stay (it
			// was pruned, and a raised retention holds it again) is
			// taken as past too: a raw hour is then always whole, which
			// Stats relies on.
			var gone bool
			if err := pruned.QueryRowContext(ctx, sid, hour, hour+HourMS).Scan(&gone); err != nil {
				return err
			}
			past = gone
		}
		if past && !found {
			// The raw hour is gone (pruned) or was never kept: the values
			// only fill the rollups of buckets that hold none.
			slices.SortStableFunc(fresh, cmpSample)
			fresh = slices.CompactFunc(fresh, func(a, b sample) bool { return a.off == b.off })
			im.past += len(fresh)
			touched := uint16(0)
			for _, x := range fresh {
				touched |= 1 << (x.off / BucketMS)
			}
			br, err := have.QueryContext(ctx, sid, hour, hour+HourMS)
			if err != nil {
				return err
			}
			for br.Next() {
				var b int64
				if err := br.Scan(&b); err != nil {
					br.Close()
					return err
				}
				touched &^= 1 << ((b - hour) / BucketMS)
			}
			br.Close()
			if err := br.Err(); err != nil {
				return err
			}
			if vals, err = writeRollups(ctx, roll, vals, sid, hour, fresh, touched, im.id); err != nil {
				return err
			}
			continue
		}
		old = decodeBlock(old[:0], cur)
		var n int
		var touched uint16 // bit b: bucket b of the hour got a reading
		merged, n, touched = mergeBlock(merged[:0], old, fresh)
		if past {
			im.past += n
			if owner == im.id { // written in place, counted added then
				im.added -= len(old)
				im.past += len(old)
			}
		} else {
			im.added += n
		}
		if n == 0 {
			continue
		}
		enc := encodeBlock(make([]byte, 0, len(merged)*readingBytes), merged)
		if _, err := put.ExecContext(ctx, sid, hour, len(merged), enc, im.id); err != nil {
			return err
		}
		if vals, err = writeRollups(ctx, roll, vals, sid, hour, merged, touched, im.id); err != nil {
			return err
		}
	}
	if err := roll.flush(ctx); err != nil {
		return err
	}
	// The staged blocks are left to clearStaging, after the commit:
	// deleting them here would write every page of them to the log.
	res := &im.res
	first, last := res.FirstMS, res.LastMS
	if res.Readings == 0 {
		first, last = 0, 0
	}
	r, err := tx.ExecContext(ctx, `UPDATE import SET state = 'done', sha256 = ?, readings = ?, added = ?, first_ms = ?, last_ms = ?, updated_ms = ?
		WHERE id = ? AND state = 'staging' AND updated_ms != ?`,
		sum, res.Readings, im.added, first, last, db.now().UnixMilli(), im.id, removingMS)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return errAbandoned
	}
	return tx.Commit()
}

func lessKey(a, b seriesKey) bool {
	if a.element != b.element {
		return a.element < b.element
	}
	if a.line != b.line {
		return a.line < b.line
	}
	return a.quantity < b.quantity
}

// dropImport removes an unpublished import: its staged blocks, the rows
// it wrote in place (by the range its row bounds, one series a
// transaction) and its row. An import being removed is marked first, so
// that its process, if it still runs, cannot publish what is left.
func (db *DB) dropImport(ctx context.Context, importID int64) error {
	var first, last int64
	err := db.w.QueryRowContext(ctx, "UPDATE import SET updated_ms = ? WHERE id = ? AND state = 'staging' RETURNING first_ms, last_ms", removingMS, importID).Scan(&first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	for { // a few thousand blocks a transaction: the log stays small
		r, err := db.w.ExecContext(ctx, "DELETE FROM staging WHERE rowid IN (SELECT rowid FROM staging WHERE import_id = ? LIMIT 4096)", importID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			break
		}
	}
	if last > 0 {
		rows, err := db.w.QueryContext(ctx, "SELECT id FROM series WHERE model_id = (SELECT model_id FROM import WHERE id = ?) ORDER BY id", importID)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, sid := range ids {
			tx, err := db.w.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "DELETE FROM reading_hour WHERE series_id = ? AND hour_ms BETWEEN ? AND ? AND import_id = ?", sid, first, last, importID)
			if err == nil {
				_, err = tx.ExecContext(ctx, "DELETE FROM rollup_5m WHERE series_id = ? AND bucket_ms BETWEEN ? AND ? AND import_id = ?", sid, first, last, importID)
			}
			if err == nil {
				err = tx.Commit()
			}
			tx.Rollback()
			if err != nil {
				return err
			}
		}
	}
	_, err = db.w.ExecContext(ctx, "DELETE FROM import WHERE id = ? AND state = 'staging'", importID)
	return err
}

// clearStaging removes the staged blocks of published imports (merged,
// and read by nothing), a few thousand a transaction so that the log
// stays small; a process killed meanwhile leaves the rest to the next
// import or prune.
func (db *DB) clearStaging(ctx context.Context) error {
	for {
		r, err := db.w.ExecContext(ctx, `DELETE FROM staging WHERE rowid IN (SELECT s.rowid FROM staging s JOIN import i ON i.id = s.import_id
			WHERE i.state = 'done' LIMIT 4096)`)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil
		}
	}
}

// removeAbandoned drops the imports left in staging by a process that
// died: those that committed no batch for staleImportMS, and the staged
// copies of published imports.
func (db *DB) removeAbandoned(ctx context.Context) error {
	if err := db.clearStaging(ctx); err != nil {
		return err
	}
	rows, err := db.w.QueryContext(ctx, "SELECT id FROM import WHERE state = 'staging' AND updated_ms < ?", db.now().UnixMilli()-staleImportMS)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := db.dropImport(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// visible is the condition on a reading_hour or rollup_5m row (its
// import_id) that readers apply: rows of imports still staging are not
// there yet.
const visible = "import_id NOT IN (SELECT id FROM import WHERE state = 'staging')"

// writeRollups queues the rollups of the touched 5-minute buckets of one
// hour's sorted readings (bit b of touched: bucket b), for import id.
// vals is scratch space, returned for reuse.
func writeRollups(ctx context.Context, w *multiInsert, vals []float64, sid, hour int64, s []sample, touched uint16, id int64) ([]float64, error) {
	i := 0
	for b := uint32(0); b < HourMS/BucketMS; b++ {
		lo, hi := b*BucketMS, (b+1)*BucketMS
		for i < len(s) && s[i].off < lo {
			i++
		}
		j := i
		for j < len(s) && s[j].off < hi {
			j++
		}
		if touched&(1<<b) != 0 && j > i {
			vals = vals[:0]
			for _, x := range s[i:j] {
				vals = append(vals, x.v)
			}
			r := Summarize(vals)
			if err := w.add(ctx, sid, hour+int64(lo), r.N, r.Min, r.Mean, r.Max, r.P95, id); err != nil {
				return vals, err
			}
		}
		i = j
	}
	return vals, nil
}

// multiInsert writes rows with multi-row INSERT statements of up to max
// rows, prepared once per transaction.
type multiInsert struct {
	tx     *sql.Tx
	prefix string
	cols   int
	max    int
	stmts  map[int]*sql.Stmt // by row count
	args   []any
}

func newMultiInsert(tx *sql.Tx, prefix string, cols, maxRows int) *multiInsert {
	return &multiInsert{tx: tx, prefix: prefix, cols: cols, max: maxRows, stmts: map[int]*sql.Stmt{}}
}

func (m *multiInsert) add(ctx context.Context, vals ...any) error {
	m.args = append(m.args, vals...)
	if len(m.args) >= m.max*m.cols {
		return m.flush(ctx)
	}
	return nil
}

func (m *multiInsert) flush(ctx context.Context) error {
	rows := len(m.args) / m.cols
	if rows == 0 {
		return nil
	}
	st := m.stmts[rows]
	if st == nil {
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", m.cols), ", ") + ")"
		q := m.prefix + strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
		var err error
		if st, err = m.tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		m.stmts[rows] = st
	}
	_, err := st.ExecContext(ctx, m.args...)
	m.args = m.args[:0]
	return err
}

func (m *multiInsert) close() {
	for _, s := range m.stmts {
		s.Close()
	}
}

// decodeBlock appends the readings of a stored block to dst.
func decodeBlock(dst []sample, data []byte) []sample {
	for i := 0; i+readingBytes <= len(data); i += readingBytes {
		dst = append(dst, sample{binary.LittleEndian.Uint32(data[i:]), math.Float64frombits(binary.LittleEndian.Uint64(data[i+4:]))})
	}
	return dst
}

// encodeBlock appends the stored form of readings s to dst.
func encodeBlock(dst []byte, s []sample) []byte {
	for _, x := range s {
		dst = binary.LittleEndian.AppendUint32(dst, x.off)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x.v))
	}
	return dst
}
