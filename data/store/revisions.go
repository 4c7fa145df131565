package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"blackstart/topology"
)

// File is one model file: its name and its bytes.
type File struct {
	Name string // base name inside a revision (no directory); a path on Commit
	Data []byte
}

// FileInfo describes one file of a revision.
type FileInfo struct {
	Name      string `json:"name"`
	SizeBytes int64  `json:"size_bytes"`
	SHA256    string `json:"sha256"` // SHA-256 of the bytes, hex
}

// Revision is one immutable version of a model.
type Revision struct {
	Model  string `json:"model"`
	Seq    int    `json:"rev"`    // 1, 2, ... per model: the revision is @Seq
	SHA256 string `json:"sha256"` // Hash of its files, hex
	// Parent is the previous revision's hash, "" for @1; ParentSeq its seq,
	// 0 for @1 (always Seq-1: history is linear).
	Parent    string     `json:"parent"`
	ParentSeq int        `json:"parent_rev"`
	Author    string     `json:"author"`
	Message   string     `json:"message"`
	TimeMS    int64      `json:"time_ms"` // when it was committed, Unix ms
	Files     []FileInfo `json:"files"`   // in the order they were committed
}

// Name returns "@Seq", how the command line names a revision.
func (r Revision) Name() string { return "@" + strconv.Itoa(r.Seq) }

// Hash returns the hash of a revision's files: SHA-256, in hex, of one
// line per file in order, the file's base name, a NUL byte, the hex
// SHA-256 of its bytes and a newline. It depends on the names, order and
// contents of the files only, so identical content has the same hash
// whoever commits it.
func Hash(files []File) string {
	h := sha256.New()
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		h.Write([]byte(filepath.Base(f.Name)))
		h.Write([]byte{0})
		h.Write([]byte(hex.EncodeToString(sum[:])))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileSHA is the hex SHA-256 of a file's bytes.
func fileSHA(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// hashInfos is Hash over the stored descriptions of files.
func hashInfos(files []FileInfo) string {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.Name))
		h.Write([]byte{0})
		h.Write([]byte(f.SHA256))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Limits on what a revision records.
const (
	MaxNameLen    = 200   // model name, bytes
	MaxAuthorLen  = 200   // bytes
	MaxMessageLen = 10000 // bytes
	MaxFiles      = 100   // files per revision
)

// CheckModelName reports whether name can name a model: 1 to MaxNameLen
// bytes of UTF-8 with no control characters, not starting with "@" or a
// space.
func CheckModelName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty model name", ErrInvalid)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: model name of %d bytes, at most %d", ErrInvalid, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: model name %q is not UTF-8", ErrInvalid, name)
	case strings.HasPrefix(name, "@"), strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: model name %q starts with @ or has leading or trailing spaces", ErrInvalid, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: model name %q holds a control character", ErrInvalid, name)
	}
	return nil
}

// checkFileName reports whether a base name can name a stored file.
func checkFileName(name string) error {
	switch {
	case name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\"):
		return fmt.Errorf("%w: file name %q", ErrInvalid, name)
	case len(name) > 255 || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: file name %q (at most 255 bytes of UTF-8, no control characters)", ErrInvalid, name)
	}
	return nil
}

func checkText(what, s string, limit int) error {
	if len(s) > limit || !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s must be UTF-8 of at most %d bytes", ErrInvalid, what, limit)
	}
	if strings.ContainsRune(s, 0) {
		return fmt.Errorf("%w: %s holds a NUL byte", ErrInvalid, what)
	}
	return nil
}

// CommitRequest is what Commit stores.
type CommitRequest struct {
	// Model names the model; empty means the site's name in the files.
	Model string
	// Files are the model's files, in load order. Names may be paths: the
	// errors of validation name them as given, the revision keeps their
	// base names (which must differ).
	Files   []File
	Author  string // who made the change, 1..MaxAuthorLen bytes
	Message string // why, 1..MaxMessageLen bytes
	// Parent, when not empty, is the hash (or a prefix of at least 4 hex
	// digits) the model's latest revision must have: the commit is
	// ErrConflict otherwise (a lost update). "-" requires a new model.
	Parent string
	// Audit, when set, is written to the audit log in the commit's own
	// transaction, with its Model, Revision and Status (201 when a
	// revision is created, 200 when the files were the latest's) filled
	// in: an acknowledged commit is always audited.
	Audit *AuditEntry
}

// CommitResult says what Commit did.
type CommitResult struct {
	Revision Revision
	// Created is false when the files were identical to the model's latest
	// revision: nothing was written and Revision is that revision.
	Created bool
}

// Prepared is a commit whose files have been validated and hashed, ready
// to be written by CommitPrepared.
type Prepared struct {
	model   string
	stored  []File
	infos   []FileInfo
	hash    string
	author  string
	message string
	parent  string
	audit   *AuditEntry
	// Model is the files loaded: the model the revision will hold.
	Model *topology.Model
}

// ModelName is the name of the model the commit goes to.
func (p *Prepared) ModelName() string { return p.model }

// Prepare checks a commit without touching any database: the author and
// message, the file names, and the files as one model with the loader's
// strict rules (a model that does not load is not stored: the error is the
// loader's topology.ErrorList, positions naming the files as given).
func Prepare(req CommitRequest) (*Prepared, error) {
	if len(req.Files) == 0 {
		return nil, fmt.Errorf("%w: no model file", ErrInvalid)
	}
	if len(req.Files) > MaxFiles {
		return nil, fmt.Errorf("%w: %d files, at most %d", ErrInvalid, len(req.Files), MaxFiles)
	}
	if err := checkText("author", req.Author, MaxAuthorLen); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Author) == "" {
		return nil, fmt.Errorf("%w: empty author", ErrInvalid)
	}
	if err := checkText("message", req.Message, MaxMessageLen); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Message) == "" {
		return nil, fmt.Errorf("%w: empty message (say why the model changed)", ErrInvalid)
	}
	if req.Parent != "" && req.Parent != "-" && !isHexPrefix(req.Parent) {
		return nil, fmt.Errorf("%w: expected parent %q: want a hash prefix of at least 4 hex digits, or -", ErrInvalid, req.Parent)
	}
	p := &Prepared{stored: make([]File, len(req.Files)), author: req.Author, message: req.Message, parent: strings.ToLower(req.Parent), audit: req.Audit}
	seen := map[string]string{}
	parse := make([]topology.File, len(req.Files))
	for i, f := range req.Files {
		base := filepath.Base(f.Name)
		if err := checkFileName(base); err != nil {
			return nil, err
		}
		if prev, dup := seen[base]; dup {
			return nil, fmt.Errorf("%w: %s and %s have the same name %q: a revision keeps base names", ErrInvalid, prev, f.Name, base)
		}
		seen[base] = f.Name
		p.stored[i] = File{Name: base, Data: f.Data}
		parse[i] = topology.File{Name: f.Name, Data: f.Data}
	}
	m, err := topology.Parse(parse...)
	if err != nil {
		return nil, err
	}
	p.Model = m
	p.model = req.Model
	if p.model == "" {
		p.model = m.Site.Name
		if p.model == "" {
			return nil, fmt.Errorf("%w: the site has no name: name the model", ErrInvalid)
		}
	}
	if err := CheckModelName(p.model); err != nil {
		return nil, err
	}
	p.infos = make([]FileInfo, len(p.stored))
	for i, f := range p.stored {
		p.infos[i] = FileInfo{Name: f.Name, SizeBytes: int64(len(f.Data)), SHA256: fileSHA(f.Data)}
	}
	p.hash = hashInfos(p.infos)
	return p, nil
}

// Commit prepares the request (see Prepare) and commits it (see
// CommitPrepared).
func (db *DB) Commit(ctx context.Context, req CommitRequest) (CommitResult, error) {
	p, err := Prepare(req)
	if err != nil {
		return CommitResult{}, err
	}
	return db.CommitPrepared(ctx, p)
}

// CommitPrepared appends a prepared commit to its model's history as a new
// immutable revision whose parent is the model's latest, in one
// transaction. Files identical to the latest revision (same Hash) write
// nothing.
func (db *DB) CommitPrepared(ctx context.Context, p *Prepared) (CommitResult, error) {
	name, stored, infos, hash := p.model, p.stored, p.infos, p.hash
	req := CommitRequest{Author: p.author, Message: p.message, Parent: p.parent}
	tx, err := db.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		return CommitResult{}, err
	}
	defer tx.Rollback()
	now := db.now().UnixMilli()
	var modelID int64
	err = tx.QueryRowContext(ctx, "SELECT id FROM model WHERE name = ?", name).Scan(&modelID)
	if errors.Is(err, sql.ErrNoRows) {
		if req.Parent != "" && req.Parent != "-" {
			return CommitResult{}, fmt.Errorf("%w: model %q has no revision, expected parent %s", ErrConflict, name, req.Parent)
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO model(name, created_ms) VALUES (?, ?)", name, now)
		if err != nil {
			return CommitResult{}, err
		}
		if modelID, err = res.LastInsertId(); err != nil {
			return CommitResult{}, err
		}
	} else if err != nil {
		return CommitResult{}, err
	}
	var (
		parentID  sql.NullInt64
		parentSeq int
		parentSHA string
	)
	err = tx.QueryRowContext(ctx, "SELECT id, seq, sha256 FROM revision WHERE model_id = ? ORDER BY seq DESC LIMIT 1", modelID).Scan(&parentID, &parentSeq, &parentSHA)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return CommitResult{}, err
	}
	switch {
	case req.Parent == "-" && parentID.Valid:
		return CommitResult{}, fmt.Errorf("%w: model %q already has revisions (latest @%d %s)", ErrConflict, name, parentSeq, short(parentSHA))
	case req.Parent != "" && req.Parent != "-" && !(parentID.Valid && isHexPrefix(req.Parent) && strings.HasPrefix(parentSHA, req.Parent)):
		return CommitResult{}, fmt.Errorf("%w: model %q's latest revision is @%d %s, not %s", ErrConflict, name, parentSeq, short(parentSHA), req.Parent)
	}
	if parentID.Valid && parentSHA == hash {
		rev, err := revisionByID(ctx, tx, parentID.Int64)
		if err != nil || p.audit == nil {
			return CommitResult{Revision: rev}, err
		}
		if err := auditTx(ctx, tx, p.audit, name, hash, 200, now); err != nil {
			return CommitResult{}, err
		}
		return CommitResult{Revision: rev}, tx.Commit()
	}
	res, err := tx.ExecContext(ctx,
		"INSERT INTO revision(model_id, seq, parent_id, sha256, author, message, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
		modelID, parentSeq+1, parentID, hash, req.Author, req.Message, now)
	if err != nil {
		return CommitResult{}, err
	}
	revID, err := res.LastInsertId()
	if err != nil {
		return CommitResult{}, err
	}
	for i, f := range stored {
		if _, err := tx.ExecContext(ctx, "INSERT INTO blob(sha256, size_bytes, data) VALUES (?, ?, ?) ON CONFLICT(sha256) DO NOTHING",
			infos[i].SHA256, infos[i].SizeBytes, f.Data); err != nil {
			return CommitResult{}, err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO revision_file(revision_id, pos, name, blob_sha256) VALUES (?, ?, ?, ?)",
			revID, i, f.Name, infos[i].SHA256); err != nil {
			return CommitResult{}, err
		}
	}
	if p.audit != nil {
		if err := auditTx(ctx, tx, p.audit, name, hash, 201, now); err != nil {
			return CommitResult{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return CommitResult{}, err
	}
	return CommitResult{Created: true, Revision: Revision{
		Model: name, Seq: parentSeq + 1, SHA256: hash, Parent: parentSHA, ParentSeq: parentSeq,
		Author: req.Author, Message: req.Message, TimeMS: now, Files: infos,
	}}, nil
}

func short(h string) string { return h[:min(12, len(h))] }

func isHexPrefix(s string) bool {
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// querier is what reads need: a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const revisionColumns = `r.id, m.name, r.seq, r.sha256, coalesce(p.sha256, ''), coalesce(p.seq, 0), r.author, r.message, r.created_ms
	FROM revision r JOIN model m ON m.id = r.model_id LEFT JOIN revision p ON p.id = r.parent_id`

func scanRevision(sc interface{ Scan(...any) error }) (int64, Revision, error) {
	var id int64
	var r Revision
	err := sc.Scan(&id, &r.Model, &r.Seq, &r.SHA256, &r.Parent, &r.ParentSeq, &r.Author, &r.Message, &r.TimeMS)
	return id, r, err
}

func revisionByID(ctx context.Context, q querier, id int64) (Revision, error) {
	_, r, err := scanRevision(q.QueryRowContext(ctx, "SELECT "+revisionColumns+" WHERE r.id = ?", id))
	if err != nil {
		return Revision{}, err
	}
	r.Files, err = fileInfos(ctx, q, id)
	return r, err
}

func fileInfos(ctx context.Context, q querier, revID int64) ([]FileInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT f.name, b.size_bytes, f.blob_sha256 FROM revision_file f JOIN blob b ON b.sha256 = f.blob_sha256
		WHERE f.revision_id = ? ORDER BY f.pos`, revID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []FileInfo{}
	for rows.Next() {
		var f FileInfo
		if err := rows.Scan(&f.Name, &f.SizeBytes, &f.SHA256); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ModelInfo summarizes one model of the database.
type ModelInfo struct {
	Name      string `json:"name"`
	Revisions int    `json:"revisions"`
	Latest    string `json:"latest_sha256"` // hash of the latest revision
	LatestMS  int64  `json:"latest_time_ms"`
	CreatedMS int64  `json:"created_ms"` // when the first revision was committed, Unix ms
}

// Models lists the models of the database by name.
func (db *DB) Models(ctx context.Context) ([]ModelInfo, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT m.name, m.created_ms, count(r.id), coalesce(max(r.seq), 0),
		coalesce((SELECT l.sha256 FROM revision l WHERE l.model_id = m.id ORDER BY l.seq DESC LIMIT 1), ''),
		coalesce((SELECT l.created_ms FROM revision l WHERE l.model_id = m.id ORDER BY l.seq DESC LIMIT 1), 0)
		FROM model m LEFT JOIN revision r ON r.model_id = m.id GROUP BY m.id ORDER BY m.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ModelInfo{}
	for rows.Next() {
		var mi ModelInfo
		var maxSeq int
		if err := rows.Scan(&mi.Name, &mi.CreatedMS, &mi.Revisions, &maxSeq, &mi.Latest, &mi.LatestMS); err != nil {
			return nil, err
		}
		out = append(out, mi)
	}
	return out, rows.Err()
}

// DefaultModel returns name, or, when name is empty, the database's only
// model: with several the caller must choose (ErrInvalid names them), with
// none there is nothing to read (ErrNoModel).
func (db *DB) DefaultModel(ctx context.Context, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	ms, err := db.Models(ctx)
	if err != nil {
		return "", err
	}
	switch len(ms) {
	case 0:
		return "", fmt.Errorf("%s: %w: the database holds no model yet", db.path, ErrNoModel)
	case 1:
		return ms[0].Name, nil
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = strconv.Quote(m.Name)
	}
	return "", fmt.Errorf("%w: the database holds %d models (%s): choose one with --model", ErrInvalid, len(ms), strings.Join(names, ", "))
}

func (db *DB) modelID(ctx context.Context, q querier, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM model WHERE name = ?", name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w %q in %s", ErrNoModel, name, db.path)
	}
	return id, err
}

// Log returns the model's revisions, newest first.
func (db *DB) Log(ctx context.Context, model string) ([]Revision, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	mid, err := db.modelID(ctx, tx, model)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+revisionColumns+" WHERE r.model_id = ? ORDER BY r.seq DESC", mid)
	if err != nil {
		return nil, err
	}
	var ids []int64
	out := []Revision{}
	for rows.Next() {
		id, r, err := scanRevision(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, id := range ids {
		if out[i].Files, err = fileInfos(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseRef splits a reference into a seq (>0), an offset from the latest
// (<= 0) or a hash prefix.
func parseRef(ref string) (seq int, back int, prefix string, err error) {
	switch {
	case ref == "" || ref == "@latest":
		return 0, 0, "", nil
	case strings.HasPrefix(ref, "@"):
		n, perr := strconv.Atoi(ref[1:])
		if perr != nil || n == 0 || ref[1] == '+' || strings.HasPrefix(ref[1:], "-0") || len(ref) > 12 {
			return 0, 0, "", fmt.Errorf("%w: revision %q: want @N (N >= 1), @-K, @latest or a hash prefix", ErrInvalid, ref)
		}
		if n < 0 {
			return 0, n, "", nil
		}
		return n, 0, "", nil
	case isHexPrefix(ref):
		return 0, 0, strings.ToLower(ref), nil
	}
	return 0, 0, "", fmt.Errorf("%w: revision %q: want @N (N >= 1), @-K, @latest or a hash prefix of at least 4 hex digits", ErrInvalid, ref)
}

// Resolve finds the model's revision named ref: "" or "@latest" for the
// latest, "@N" for the Nth (1-based), "@-K" for the Kth before the latest,
// or a prefix of at least 4 hex digits of its hash. A hash prefix
// matching revisions of different hashes is ErrAmbiguous; one matching
// several revisions of the same content (a change undone) names the latest
// of them.
func (db *DB) Resolve(ctx context.Context, model, ref string) (Revision, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Revision{}, err
	}
	defer tx.Rollback()
	id, err := db.resolve(ctx, tx, model, ref)
	if err != nil {
		return Revision{}, err
	}
	return revisionByID(ctx, tx, id)
}

func (db *DB) resolve(ctx context.Context, q querier, model, ref string) (int64, error) {
	seq, back, prefix, err := parseRef(ref)
	if err != nil {
		return 0, err
	}
	mid, err := db.modelID(ctx, q, model)
	if err != nil {
		return 0, err
	}
	var latest int
	if err := q.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM revision WHERE model_id = ?", mid).Scan(&latest); err != nil {
		return 0, err
	}
	if latest == 0 {
		return 0, fmt.Errorf("%w: model %q has no revision", ErrNoRevision, model)
	}
	if prefix == "" {
		want := seq
		switch {
		case seq == 0:
			want = latest + back
		}
		if want < 1 || want > latest {
			return 0, fmt.Errorf("%w %s of model %q: it has @1 to @%d", ErrNoRevision, ref, model, latest)
		}
		var id int64
		err := q.QueryRowContext(ctx, "SELECT id FROM revision WHERE model_id = ? AND seq = ?", mid, want).Scan(&id)
		return id, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, seq, sha256 FROM revision WHERE model_id = ? AND sha256 >= ? AND sha256 < ? ORDER BY seq DESC`,
		mid, prefix, prefix+"g")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var (
		id     int64
		hash   string
		hashes []string
	)
	for rows.Next() {
		var rid int64
		var s int
		var h string
		if err := rows.Scan(&rid, &s, &h); err != nil {
			return 0, err
		}
		if id == 0 {
			id, hash = rid, h
		}
		if h != hash || len(hashes) == 0 {
			hashes = append(hashes, fmt.Sprintf("@%d %s", s, short(h)))
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, fmt.Errorf("%w %s of model %q", ErrNoRevision, ref, model)
	}
	if len(hashes) > 1 {
		return 0, fmt.Errorf("%w %s of model %q: it matches %s", ErrAmbiguous, ref, model, strings.Join(hashes, ", "))
	}
	return id, nil
}

// Files returns the model's revision named ref and its files, byte for
// byte as committed, in order.
func (db *DB) Files(ctx context.Context, model, ref string) (Revision, []File, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Revision{}, nil, err
	}
	defer tx.Rollback()
	id, err := db.resolve(ctx, tx, model, ref)
	if err != nil {
		return Revision{}, nil, err
	}
	rev, err := revisionByID(ctx, tx, id)
	if err != nil {
		return Revision{}, nil, err
	}
	// The files' size first (SQLite knows a blob's length without reading
	// it): blackstart never stores more than a model may hold, so a larger
	// revision is a database written by something else, and reading it
	// would take that much memory.
	var size int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(length(b.data)), 0) FROM revision_file f JOIN blob b ON b.sha256 = f.blob_sha256
		WHERE f.revision_id = ?`, id).Scan(&size); err != nil {
		return Revision{}, nil, err
	}
	if size > topology.MaxModelBytes {
		return Revision{}, nil, fmt.Errorf("%w: revision %s%s holds %d bytes of files, more than a model may (%d, %d MiB)", ErrNotDatabase, rev.Model, rev.Name(), size, topology.MaxModelBytes, topology.MaxModelBytes>>20)
	}
	rows, err := tx.QueryContext(ctx, `SELECT f.name, b.data FROM revision_file f JOIN blob b ON b.sha256 = f.blob_sha256
		WHERE f.revision_id = ? ORDER BY f.pos`, id)
	if err != nil {
		return Revision{}, nil, err
	}
	defer rows.Close()
	var files []File
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.Name, &f.Data); err != nil {
			return Revision{}, nil, err
		}
		if f.Data == nil {
			f.Data = []byte{}
		}
		files = append(files, f)
	}
	return rev, files, rows.Err()
}

// LoadModel returns the model's revision named ref, loaded: its files are
// parsed as topology.Load would, each named MODEL@N/FILE so that a problem
// is located in the stored revision.
func (db *DB) LoadModel(ctx context.Context, model, ref string) (*topology.Model, Revision, error) {
	rev, files, err := db.Files(ctx, model, ref)
	if err != nil {
		return nil, Revision{}, err
	}
	tf := make([]topology.File, len(files))
	for i, f := range files {
		tf[i] = topology.File{Name: rev.Model + rev.Name() + "/" + f.Name, Data: f.Data}
	}
	m, err := topology.Parse(tf...)
	return m, rev, err
}
