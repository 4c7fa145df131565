package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	// modernc.org/libc must be exactly the version modernc.org/sqlite's
	// go.mod names (its doc.go says why); importing it keeps it a direct,
	// pinned requirement of go.mod, and .ci/run checks the two agree.
	_ "modernc.org/libc"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ApplicationID is the SQLite application_id of a blackstart database
// ("BSDB"): a file whose header holds another value is not one.
const ApplicationID = 0x42534442

// Errors Open and the other functions return, wrapped with details (test
// with errors.Is). Each is a problem with the input, not a failure of
// blackstart: the command line reports it with exit code 2.
var (
	ErrNoDatabase  = errors.New("no database")                    // the file does not exist
	ErrNotDatabase = errors.New("not a blackstart database")      // not SQLite, or another application's
	ErrNewer       = errors.New("database newer than blackstart") // schema version above this binary's
	ErrNoModel     = errors.New("no such model")
	ErrNoRevision  = errors.New("no such revision")
	ErrAmbiguous   = errors.New("ambiguous revision")
	ErrInvalid     = errors.New("invalid input")   // a name, file name, message or argument the store refuses
	ErrConflict    = errors.New("conflict")        // the model's latest revision is not the expected parent
	ErrExists      = errors.New("file exists")     // a backup target that is already there
	ErrCheck       = errors.New("check failed")    // a database that fails Check (restore)
	ErrInUse       = errors.New("database in use") // a restore target another process has open
)

// Message is err's text without the leading "invalid input: " of
// ErrInvalid, which says nothing the rest does not: the text a user reads.
func Message(err error) string {
	return strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one forward-only schema step: applying migrations[i] takes
// the database from user_version i to i+1.
type migration struct {
	name string
	sql  string
}

// migrations are the embedded files in name order (0001_..., 0002_...).
var migrations = loadMigrations()

func loadMigrations() []migration {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err) // the pattern is a constant
	}
	sort.Strings(names)
	out := make([]migration, len(names))
	for i, n := range names {
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			panic(err) // embedded at build time
		}
		out[i] = migration{name: filepath.Base(n), sql: string(b)}
	}
	return out
}

// SchemaVersion is the schema version (user_version) this binary creates
// and migrates databases to.
func SchemaVersion() int { return len(migrations) }

// Options say how Open opens a database.
type Options struct {
	// Create makes Open create the database, with its schema, when the file
	// does not exist (commands that write). Without it a missing file is
	// ErrNoDatabase and nothing is created (commands that only read).
	Create bool
	// Readers bounds the reader pool, connections, >= 1; 4 when 0.
	Readers int
	// Now is the clock of the times the store records (created_ms); time.Now
	// when nil.
	Now func() time.Time
}

// DB is an open blackstart database: one writer connection (every write
// is one BEGIN IMMEDIATE transaction) and a bounded pool of query-only
// reader connections, all in WAL mode with a busy timeout and foreign keys
// on (set per connection in the DSN). It is safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // one connection: SQLite has one writer at a time
	r    *sql.DB // readers; never block the writer (WAL)
	now  func() time.Time
	// ws and rs are statements prepared once on w and r (the event
	// batches' statements).
	ws, rs stmtCache
}

// stmtCache keeps the statements of one pool prepared once, by their
// SQL: the driver parses a statement given as text each time it runs it
// (an event batch's eight statements took about 0.24 ms of CPU to parse
// every time in BenchmarkIngest's profile), while a prepared one is
// reset and run again, on every connection it was prepared on.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// get returns query prepared on pool. The first time it takes one of
// pool's connections to prepare it (without holding c, so that callers
// of other statements never wait for a connection through it): never
// call it for the writer inside one of its transactions (with its one
// connection it would wait for itself).
func (c *stmtCache) get(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had := c.m[query]; had != nil {
		st.Close() // prepared meanwhile by another caller
		return had, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// close closes the statements kept.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// Path returns the database file's path as given to Open.
func (db *DB) Path() string { return db.path }

// busyTimeoutMS is how long a connection waits for a lock, milliseconds.
const busyTimeoutMS = 5000

// dsn builds the driver's name for path: a file: URI (so SQLite honours
// mode=rw, which never creates the file) with the per-connection PRAGMAs.
func dsn(path string, create, writer bool) string {
	var b strings.Builder
	b.WriteString("file:")
	b.WriteString(uriPath(path))
	b.WriteString("?")
	if !create {
		b.WriteString("mode=rw&")
	}
	fmt.Fprintf(&b, "_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_defensive=1", busyTimeoutMS)
	if writer {
		// synchronous FULL: a commit that returned survives a power cut,
		// not only a crash of the process.
		b.WriteString("&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	} else {
		b.WriteString("&_pragma=query_only(1)")
	}
	return b.String()
}

// uriPath escapes the characters that end or escape the path of a SQLite
// URI.
func uriPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%', '?', '#':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// sniff reads the database header of path without opening it through
// SQLite, so that a file that is not a blackstart database, or is newer
// than the binary (which knows migrations schema versions), is refused
// before anything could write to it.
func sniff(path string, migrations int) error {
	// Only a regular file can be a database: opening a named pipe to read
	// its header would wait for a writer forever.
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w (create one with blackstart db commit)", path, ErrNoDatabase)
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %v", path, ErrNotDatabase, err)
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return fmt.Errorf("%s: %w: it is a directory", path, ErrNotDatabase)
	case m&fs.ModeNamedPipe != 0:
		return fmt.Errorf("%s: %w: it is a named pipe (FIFO)", path, ErrNotDatabase)
	case !m.IsRegular():
		return fmt.Errorf("%s: %w: it is not a regular file (%v)", path, ErrNotDatabase, m.Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", path, ErrNotDatabase, err)
	}
	defer f.Close()
	var h [100]byte
	n, err := io.ReadFull(f, h[:])
	if n == 0 && (err == io.EOF || err == nil) {
		return fmt.Errorf("%s: %w: the file is empty", path, ErrNotDatabase)
	}
	if n < 16 || !bytes.Equal(h[:16], []byte("SQLite format 3\x00")) {
		return fmt.Errorf("%s: %w: not a SQLite file", path, ErrNotDatabase)
	}
	if n < len(h) {
		return fmt.Errorf("%s: %w: %d bytes, shorter than a SQLite header", path, ErrNotDatabase, n)
	}
	if id := binary.BigEndian.Uint32(h[68:72]); id != ApplicationID {
		return fmt.Errorf("%s: %w: a SQLite database of another application (application_id %#x, want %#x)", path, ErrNotDatabase, id, ApplicationID)
	}
	// A blackstart database is placed only once its first migration is
	// committed and checkpointed: its header never says version 0.
	version := binary.BigEndian.Uint32(h[60:64])
	if version == 0 {
		return fmt.Errorf("%s: %w: schema version 0", path, ErrNotDatabase)
	}
	// Out of WAL mode (a backup) the header is the whole truth: refuse a
	// newer schema before a connection could switch the file to WAL. In WAL
	// mode the header may lag the log; migrate reads the version through
	// SQLite, and opening a WAL database changes nothing in it.
	if wal := h[18] == 2 && h[19] == 2; !wal && int(version) > migrations {
		return fmt.Errorf("%s: %w: schema version %d, this blackstart knows up to %d (upgrade blackstart)", path, ErrNewer, version, migrations)
	}
	return nil
}

// Open opens the blackstart database at path, creating it when o.Create is
// set and the file does not exist, and brings its schema up to this
// binary's version: each pending migration runs in one transaction. A file
// that is not a blackstart database (ErrNotDatabase), or whose schema is
// newer than this binary's (ErrNewer), is refused and left as it was.
func Open(path string, o Options) (*DB, error) {
	return open(path, o, migrations)
}

func open(path string, o Options, migs []migration) (*DB, error) {
	if o.Readers < 0 {
		return nil, fmt.Errorf("%w: %d reader connections", ErrInvalid, o.Readers)
	}
	if o.Readers == 0 {
		o.Readers = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	err := sniff(path, len(migs))
	if errors.Is(err, ErrNoDatabase) && o.Create {
		err = create(path, migs, o.Now)
		if err == nil || errors.Is(err, fs.ErrExist) {
			err = sniff(path, len(migs)) // created here, or by another process meanwhile
		}
	}
	if err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, false, true))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(w, path, migs); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, false, false))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	return &DB{path: path, w: w, r: r, now: o.Now}, nil
}

// create makes a new database at path: it is built under a temporary name
// in the same directory and linked into place only once its schema is
// committed and checkpointed, so that path never holds half a database,
// and an existing file is never replaced (fs.ErrExist).
func create(path string, migs []migration, now func() time.Time) error {
	dir := filepath.Dir(path)
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".new-"+hex.EncodeToString(rnd[:]))
	// The file is made here (SQLite takes an empty file as a new
	// database), so that a folder that is missing or read-only is named,
	// not reported as SQLite's "unable to open database file".
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s: %w: cannot create it: the directory %s does not exist", path, ErrNoDatabase, dir)
		case errors.Is(err, syscall.ENOTDIR):
			return fmt.Errorf("%s: %w: cannot create it: %s is not a directory", path, ErrNoDatabase, dir)
		case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
			return fmt.Errorf("%s: %w: cannot create it: the directory %s is not writable", path, ErrNoDatabase, dir)
		}
		return err
	}
	f.Close()
	defer removeDB(tmp)
	w, err := sql.Open("sqlite", dsn(tmp, true, true))
	if err != nil {
		return err
	}
	w.SetMaxOpenConns(1)
	if err := migrate(w, path, migs); err != nil {
		w.Close()
		return err
	}
	if _, err := w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// No hard links here: rename, unless something appeared meanwhile.
		if _, serr := os.Lstat(path); serr == nil {
			return fs.ErrExist
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// removeDB removes a database file and its WAL and shared-memory files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.Sync() // not every file system syncs directories; the link is made
	return nil
}

// migrate brings the database on w to len(migs), one transaction per
// migration; the first also stamps the application_id. A database newer
// than migs is ErrNewer; one whose application_id is not ours (read
// through SQL, authoritative where the header may lag the WAL) is
// ErrNotDatabase. name is the path reported in errors.
func migrate(w *sql.DB, name string, migs []migration) error {
	ctx := context.Background()
	var version, appID int64
	if err := w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return notDatabase(name, err)
	}
	if err := w.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return notDatabase(name, err)
	}
	if version > 0 && appID != ApplicationID {
		return fmt.Errorf("%s: %w: application_id %#x, want %#x", name, ErrNotDatabase, appID, ApplicationID)
	}
	if version > int64(len(migs)) {
		return fmt.Errorf("%s: %w: schema version %d, this blackstart knows up to %d (upgrade blackstart)", name, ErrNewer, version, len(migs))
	}
	if version == 0 {
		// A new database holds nothing yet; anything else is not ours.
		var objects int
		if err := w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&objects); err != nil {
			return notDatabase(name, err)
		}
		if objects > 0 {
			return fmt.Errorf("%s: %w: schema version 0 with %d schema objects", name, ErrNotDatabase, objects)
		}
	}
	for v := int(version); v < len(migs); v++ {
		if err := applyMigration(ctx, w, v, migs[v]); err != nil {
			return fmt.Errorf("%s: migration %s: %w", name, migs[v].name, err)
		}
	}
	if version > 0 && int(version) < len(migs) {
		// A migration that rewrites a table (0006 copies every stored
		// batch) leaves a write-ahead log as large as what it wrote, and
		// SQLite keeps that file at its largest until the last connection
		// closes: a service would hold it for its whole run. Folded into
		// the database and truncated here (a reader of another process
		// still in the log makes this a partial checkpoint, not an error).
		if _, err := w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return fmt.Errorf("%s: checkpoint after migrating: %w", name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, w *sql.DB, v int, m migration) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if v == 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return err
	}
	return tx.Commit()
}

// notDatabase reports a file SQLite cannot read as a database.
func notDatabase(name string, err error) error {
	return fmt.Errorf("%s: %w: %v", name, ErrNotDatabase, err)
}

// Close closes both pools. The last connection to close checkpoints the
// WAL into the database file.
func (db *DB) Close() error {
	db.ws.close()
	db.rs.close()
	rerr := db.r.Close()
	werr := db.w.Close()
	if werr != nil {
		return werr
	}
	return rerr
}

// Version returns the database's schema version (user_version).
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// WALBytes returns the size of the database's write-ahead log, bytes (0
// when there is none).
func (db *DB) WALBytes() int64 {
	st, err := os.Stat(db.path + "-wal")
	if err != nil {
		return 0
	}
	return st.Size()
}
