package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Token errors (wrapped; test with errors.Is). The API answers each with
// 401 and the same words, so that a client learns why.
var (
	ErrNoToken      = errors.New("no token")
	ErrBadToken     = errors.New("unknown or malformed token")
	ErrTokenExpired = errors.New("token expired")
	ErrTokenRevoked = errors.New("token revoked")
)

// Scopes of API tokens. A read token may read; ingest adds posting
// measurements; write adds committing revisions; admin may do everything
// (the audit log, tokens).
const (
	ScopeRead   = "read"
	ScopeWrite  = "write"
	ScopeIngest = "ingest"
	ScopeAdmin  = "admin"
)

// CheckScope reports whether s names a scope.
func CheckScope(s string) error {
	switch s {
	case ScopeRead, ScopeWrite, ScopeIngest, ScopeAdmin:
		return nil
	}
	return fmt.Errorf("%w: scope %q: want read, write, ingest or admin", ErrInvalid, s)
}

// Allows reports whether a token of scope has may do what need requires.
func Allows(has, need string) bool {
	switch has {
	case ScopeAdmin:
		return true
	case ScopeWrite, ScopeIngest:
		return need == has || need == ScopeRead
	case ScopeRead:
		return need == ScopeRead
	}
	return false
}

// Token describes an API token; its secret is never kept.
type Token struct {
	ID        string `json:"id"`    // 12 hex digits, public
	Scope     string `json:"scope"` // read, write, ingest or admin
	Name      string `json:"name"`  // what it is for
	CreatedMS int64  `json:"created_ms"`
	ExpiresMS int64  `json:"expires_ms"` // Unix ms; 0: never
	RevokedMS int64  `json:"revoked_ms"` // Unix ms; 0: not revoked
}

// tokenPrefix starts every bearer string: bst_<id>_<secret>.
const tokenPrefix = "bst_"

func (db *DB) pepper(ctx context.Context, q querier) ([]byte, error) {
	var p []byte
	err := q.QueryRowContext(ctx, pepperQuery).Scan(&p)
	return p, err
}

// pepperQuery reads the tokens' pepper; tokenByID a token with its hash
// and the pepper.
const (
	pepperQuery = "SELECT value FROM secret WHERE name = 'token_pepper'"
	tokenByID   = "SELECT " + tokenColumns + ", hash, (" + pepperQuery + ") FROM token WHERE id = ?"
)

func tokenHash(pepper []byte, secret string) []byte {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// CreateToken makes a token of scope, valid until expiresMS (Unix ms, 0:
// never), and returns it with its bearer string bst_<id>_<secret>, which is
// shown once: only HMAC-SHA256(pepper, secret) is stored.
func (db *DB) CreateToken(ctx context.Context, scope, name string, expiresMS int64) (Token, string, error) {
	if err := CheckScope(scope); err != nil {
		return Token{}, "", err
	}
	if err := checkText("token name", name, MaxNameLen); err != nil {
		return Token{}, "", err
	}
	now := db.now().UnixMilli()
	if expiresMS != 0 && expiresMS <= now {
		return Token{}, "", fmt.Errorf("%w: the token would expire before it is made", ErrInvalid)
	}
	var idb [6]byte
	var sec [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return Token{}, "", err
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return Token{}, "", err
	}
	t := Token{ID: hex.EncodeToString(idb[:]), Scope: scope, Name: name, CreatedMS: now, ExpiresMS: expiresMS}
	secret := base64.RawURLEncoding.EncodeToString(sec[:])
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Token{}, "", err
	}
	defer tx.Rollback()
	pepper, err := db.pepper(ctx, tx)
	if err != nil {
		return Token{}, "", err
	}
	var exp sql.NullInt64
	if expiresMS != 0 {
		exp = sql.NullInt64{Int64: expiresMS, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO token(id, scope, name, hash, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
		t.ID, scope, name, tokenHash(pepper, secret), now, exp); err != nil {
		return Token{}, "", err
	}
	if err := tx.Commit(); err != nil {
		return Token{}, "", err
	}
	return t, tokenPrefix + t.ID + "_" + secret, nil
}

const tokenColumns = "id, scope, name, created_ms, coalesce(expires_ms, 0), coalesce(revoked_ms, 0)"

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var t Token
	err := sc.Scan(&t.ID, &t.Scope, &t.Name, &t.CreatedMS, &t.ExpiresMS, &t.RevokedMS)
	return t, err
}

// Tokens lists every token, oldest first, revoked and expired ones
// included.
func (db *DB) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+tokenColumns+" FROM token ORDER BY created_ms, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes the token id (its 12 hex digits, or its whole
// bearer string); revoking a revoked token changes nothing.
func (db *DB) RevokeToken(ctx context.Context, id string) (Token, error) {
	if strings.HasPrefix(id, tokenPrefix) {
		id, _, _ = strings.Cut(strings.TrimPrefix(id, tokenPrefix), "_")
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Token{}, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE token SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL", db.now().UnixMilli(), id); err != nil {
		return Token{}, err
	}
	t, err := scanToken(tx.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM token WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("%w: no token %q", ErrInvalid, id)
	}
	if err != nil {
		return Token{}, err
	}
	return t, tx.Commit()
}

// Authenticate returns the token whose bearer string is bearer, when it is
// valid at nowMS (Unix ms): ErrNoToken for an empty string, ErrBadToken
// for a malformed or unknown one or a wrong secret (compared in constant
// time), ErrTokenExpired, ErrTokenRevoked.
func (db *DB) Authenticate(ctx context.Context, bearer string, nowMS int64) (Token, error) {
	if bearer == "" {
		return Token{}, ErrNoToken
	}
	rest, ok := strings.CutPrefix(bearer, tokenPrefix)
	id, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 12 || len(secret) != 43 {
		return Token{}, ErrBadToken
	}
	var t Token
	var hash []byte
	// The token and the pepper in one statement, prepared once (every
	// request of the service is authenticated), read again each time so
	// that a revocation counts at once.
	st, err := db.rs.get(ctx, db.r, tokenByID)
	if err != nil {
		return Token{}, err
	}
	var pepper []byte
	err = st.QueryRowContext(ctx, id).Scan(&t.ID, &t.Scope, &t.Name, &t.CreatedMS, &t.ExpiresMS, &t.RevokedMS, &hash, &pepper)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrBadToken
	}
	if err != nil {
		return Token{}, err
	}
	if pepper == nil {
		return Token{}, errors.New("the tokens' pepper is missing from the database")
	}
	if !hmac.Equal(tokenHash(pepper, secret), hash) {
		return Token{}, ErrBadToken
	}
	switch {
	case t.RevokedMS != 0:
		return Token{}, ErrTokenRevoked
	case t.ExpiresMS != 0 && nowMS >= t.ExpiresMS:
		return Token{}, ErrTokenExpired
	}
	return t, nil
}

// AuditEntry is one audited write of the API.
type AuditEntry struct {
	ID       int64  `json:"id"`
	TimeMS   int64  `json:"time_ms"`  // Unix ms
	TokenID  string `json:"token_id"` // "" when no valid token was given
	Method   string `json:"method"`
	Route    string `json:"route"`  // the request's path
	Status   int    `json:"status"` // the HTTP status answered
	Model    string `json:"model"`
	Revision string `json:"revision_sha256"` // the revision the write made or named, "" if none
	Remote   string `json:"remote"`          // the client's address
}

// auditTx appends e to the audit log inside tx, for a commit of model
// that answered status with the revision whose hash is sha.
func auditTx(ctx context.Context, tx *sql.Tx, e *AuditEntry, model, sha string, status int, nowMS int64) error {
	return auditWith(ctx, tx, nil, e, model, sha, status, nowMS)
}

// auditInsert is auditTx's statement.
const auditInsert = `INSERT INTO audit(time_ms, token_id, method, route, status, model, revision_sha256, remote)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// auditWith is auditTx with its statement st prepared in tx (nil: run
// as text).
func auditWith(ctx context.Context, tx *sql.Tx, st *sql.Stmt, e *AuditEntry, model, sha string, status int, nowMS int64) error {
	e.Model, e.Revision, e.Status = model, sha, status
	if e.TimeMS == 0 {
		e.TimeMS = nowMS
	}
	var tok sql.NullString
	if e.TokenID != "" {
		tok = sql.NullString{String: e.TokenID, Valid: true}
	}
	args := []any{e.TimeMS, tok, e.Method, e.Route, e.Status, e.Model, e.Revision, e.Remote}
	var res sql.Result
	var err error
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = tx.ExecContext(ctx, auditInsert, args...)
	}
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

// Audit appends e to the audit log (its ID and, when 0, TimeMS are set
// here) and returns it.
func (db *DB) Audit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.TimeMS == 0 {
		e.TimeMS = db.now().UnixMilli()
	}
	var tok sql.NullString
	if e.TokenID != "" {
		tok = sql.NullString{String: e.TokenID, Valid: true}
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO audit(time_ms, token_id, method, route, status, model, revision_sha256, remote)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.TimeMS, tok, e.Method, e.Route, e.Status, e.Model, e.Revision, e.Remote)
	if err != nil {
		return e, err
	}
	e.ID, err = res.LastInsertId()
	return e, err
}

// AuditLog returns at most limit entries of the audit log, newest first,
// after skipping offset, and the number of entries in all.
func (db *DB) AuditLog(ctx context.Context, limit, offset int) ([]AuditEntry, int, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var count int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM audit").Scan(&count); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, time_ms, coalesce(token_id, ''), method, route, status, model, revision_sha256, remote
		FROM audit ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.TimeMS, &e.TokenID, &e.Method, &e.Route, &e.Status, &e.Model, &e.Revision, &e.Remote); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, count, rows.Err()
}

// Result returns the cached body of an analysis of the revision whose hash
// is sha, by key and version (see PutResult); ok is false when there is
// none.
func (db *DB) Result(ctx context.Context, sha, key, version string) (body []byte, ok bool, err error) {
	err = db.r.QueryRowContext(ctx, "SELECT body FROM result WHERE revision_sha256 = ? AND key = ? AND version = ?", sha, key, version).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return body, err == nil, err
}

// PutResult keeps the body of an analysis of the revision whose hash is
// sha: key names the analysis and its canonical arguments, version the
// build that computed it. A result already kept is left as it is.
func (db *DB) PutResult(ctx context.Context, sha, key, version string, body []byte) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO result(revision_sha256, key, version, body, created_ms) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, sha, key, version, body, db.now().UnixMilli())
	return err
}
