package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(path, Options{Create: true, Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := db.now().UnixMilli()
	tok, bearer, err := db.CreateToken(ctx, ScopeWrite, "ci", now+3600_000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(bearer, "bst_"+tok.ID+"_") || len(bearer) != 4+12+1+43 {
		t.Fatalf("bearer %q for id %s: want bst_<id>_<43 chars>", bearer, tok.ID)
	}
	// Only the keyed hash is stored: the secret appears nowhere.
	secret := bearer[len("bst_"+tok.ID+"_"):]
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM token WHERE instr(hash, ?) > 0 OR instr(name, ?) > 0", secret, secret).Scan(&n); err != nil || n != 0 {
		t.Fatalf("secret found in the token table (%d rows, %v)", n, err)
	}
	got, err := db.Authenticate(ctx, bearer, now)
	if err != nil || got.ID != tok.ID || got.Scope != ScopeWrite {
		t.Fatalf("Authenticate = %+v, %v; want token %s write", got, err, tok.ID)
	}
	flip := "A"
	if bearer[len(bearer)-1] == 'A' {
		flip = "B"
	}
	wrong := bearer[:len(bearer)-1] + flip
	for _, c := range []struct {
		name, bearer string
		at           int64
		want         error
	}{
		{"empty", "", now, ErrNoToken},
		{"wrong secret", wrong, now, ErrBadToken},
		{"garbage", "hello", now, ErrBadToken},
		{"unknown id", "bst_000000000000_" + secret, now, ErrBadToken},
		{"expired", bearer, now + 3600_000, ErrTokenExpired},
	} {
		if _, err := db.Authenticate(ctx, c.bearer, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: Authenticate = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := db.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, bearer, now); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("after revoke: Authenticate = %v, want %v", err, ErrTokenRevoked)
	}
	if _, err := db.RevokeToken(ctx, "nosuchtoken0"); !errors.Is(err, ErrInvalid) {
		t.Errorf("revoke unknown: %v, want ErrInvalid", err)
	}
	if _, _, err := db.CreateToken(ctx, "root", "x", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("scope root: %v, want ErrInvalid", err)
	}
	if _, _, err := db.CreateToken(ctx, ScopeRead, "x", now-1); !errors.Is(err, ErrInvalid) {
		t.Errorf("expired at creation: %v, want ErrInvalid", err)
	}
	ts, err := db.Tokens(ctx)
	if err != nil || len(ts) != 1 || ts[0].RevokedMS == 0 {
		t.Errorf("Tokens = %+v, %v; want the one revoked token", ts, err)
	}
}

func TestScopes(t *testing.T) {
	for _, c := range []struct {
		has, need string
		want      bool
	}{
		{ScopeRead, ScopeRead, true}, {ScopeRead, ScopeWrite, false}, {ScopeRead, ScopeAdmin, false},
		{ScopeWrite, ScopeRead, true}, {ScopeWrite, ScopeWrite, true}, {ScopeWrite, ScopeIngest, false}, {ScopeWrite, ScopeAdmin, false},
		{ScopeIngest, ScopeIngest, true}, {ScopeIngest, ScopeWrite, false}, {ScopeIngest, ScopeRead, true},
		{ScopeAdmin, ScopeWrite, true}, {ScopeAdmin, ScopeAdmin, true}, {"", ScopeRead, false},
	} {
		if got := Allows(c.has, c.need); got != c.want {
			t.Errorf("Allows(%q, %q) = %v, want %v", c.has, c.need, got, c.want)
		}
	}
}

func TestAuditAndResults(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "a.db"), Options{Create: true, Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 5; i++ {
		if _, err := db.Audit(ctx, AuditEntry{TokenID: "abc", Method: "POST", Route: "/r", Status: 200 + i}); err != nil {
			t.Fatal(err)
		}
	}
	es, n, err := db.AuditLog(ctx, 2, 1)
	if err != nil || n != 5 || len(es) != 2 || es[0].Status != 203 || es[1].Status != 202 {
		t.Fatalf("AuditLog(2, 1) = %+v, %d, %v; want statuses 203, 202 of 5", es, n, err)
	}
	if _, err := db.w.ExecContext(ctx, "DELETE FROM audit"); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("deleting the audit log: %v, want refused", err)
	}
	sha := strings.Repeat("a", 64)
	if _, ok, err := db.Result(ctx, sha, "k", "v1"); ok || err != nil {
		t.Fatalf("Result before Put: %v, %v", ok, err)
	}
	if err := db.PutResult(ctx, sha, "k", "v1", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := db.PutResult(ctx, sha, "k", "v1", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := db.Result(ctx, sha, "k", "v1"); !ok || err != nil || string(b) != "one" {
		t.Errorf("Result = %q, %v, %v; want the first body kept", b, ok, err)
	}
	if _, ok, _ := db.Result(ctx, sha, "k", "v2"); ok {
		t.Errorf("a result of another build was returned")
	}
}

// TestCommitAudited: a commit with an audit entry writes it in its own
// transaction (201 created, 200 unchanged); a refused one writes nothing.
func TestCommitAudited(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "c.db"), Options{Create: true, Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files := readFiles(t, incident)
	for _, want := range []int{201, 200} {
		a := &AuditEntry{TokenID: "abcdefabcdef", Method: "POST", Route: "/r"}
		res, err := db.Commit(ctx, CommitRequest{Files: files, Author: "a", Message: "m", Audit: a})
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || a.Status != want || a.Revision != res.Revision.SHA256 || a.Model != "incident-2019" {
			t.Errorf("audit entry after a commit: %+v, want status %d and revision %s", a, want, res.Revision.SHA256)
		}
	}
	a := &AuditEntry{Method: "POST", Route: "/r"}
	if _, err := db.Commit(ctx, CommitRequest{Files: files, Author: "a", Message: "m", Parent: "-", Audit: a}); !errors.Is(err, ErrConflict) {
		t.Fatalf("commit of a new model that exists: %v", err)
	}
	es, n, err := db.AuditLog(ctx, 10, 0)
	if err != nil || n != 2 || es[0].Status != 200 || es[1].Status != 201 {
		t.Errorf("audit log %+v (%d, %v): want the two commits only", es, n, err)
	}
}
