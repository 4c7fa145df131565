package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTokenClock: a token is made at the database's clock (Options.Now),
// not the machine's, and "valid until" is exclusive: a token whose
// expiry is the clock's very millisecond is refused, one a millisecond
// later is made. The clock stands at 2019-06-04T09:30:00Z,
// 1,559,640,600,000 ms.
func TestTokenClock(t *testing.T) {
	at := time.Date(2019, 6, 4, 9, 30, 0, 0, time.UTC)
	db, err := Open(filepath.Join(t.TempDir(), "c.db"), Options{Create: true, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const now = 1_559_640_600_000
	if _, _, err := db.CreateToken(ctx, ScopeWrite, "ci", now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a token expiring at the clock's millisecond: %v, want %v", err, ErrInvalid)
	}
	tok, _, err := db.CreateToken(ctx, ScopeWrite, "ci", now+1)
	if err != nil || tok.CreatedMS != now {
		t.Errorf("a token expiring 1 ms after the clock: made at %d ms (%v), want %d ms", tok.CreatedMS, err, int64(now))
	}
}

// TestTextLimits: the length limits are inclusive. An idempotency key of
// MaxIdempotencyKey (200) bytes is taken, one of 201 refused; a revision
// of MaxFiles (100) files (the incident and one rack a file) is prepared,
// one of 101 refused; "@-1234567890"
// (12 bytes, the longest @-reference) is read as 1,234,567,890 back, and
// "@-12345678901" refused.
func TestTextLimits(t *testing.T) {
	db, _ := newDB(t)
	commit(t, db, "", "the incident rack", readFiles(t, incident)...)
	in, err := db.CreateIncident(ctx, "incident-2019", "", "", 1_000)
	if err != nil {
		t.Fatal(err)
	}
	a := []byte("{\"t_s\":1,\"instance\":\"a#0\",\"node\":\"n\",\"state\":\"up\"}\n")
	req := func(key string, want int) BatchRequest {
		return BatchRequest{Incident: in.ID, Key: key, Body: a, WantEvents: want, Events: a, Count: 1, LastTMS: 1000}
	}
	res := db.AppendBatches(ctx, []BatchRequest{req(strings.Repeat("k", MaxIdempotencyKey), 0), req(strings.Repeat("k", MaxIdempotencyKey+1), 1)})
	if res[0].Err != nil || res[0].Batch.Seq != 1 || !errors.Is(res[1].Err, ErrInvalid) {
		t.Errorf("keys of 200 and 201 bytes: %+v, %+v; want seq 1 and %v", res[0], res[1], ErrInvalid)
	}

	files := make([]File, MaxFiles+1)
	files[0] = readFiles(t, incident)[0]
	for k := 1; k < len(files); k++ {
		files[k] = File{Name: fmt.Sprintf("rack-%d.toml", k), Data: fmt.Appendf(nil, "[[rack]]\nid = \"extra-%d\"\nrow = \"row-x\"\nroom = \"hall-1\"\n", k)}
	}
	if _, err := Prepare(CommitRequest{Files: files[:MaxFiles], Author: "a", Message: "m"}); err != nil {
		t.Errorf("%d files: %v, want them prepared", MaxFiles, err)
	}
	if _, err := Prepare(CommitRequest{Files: files, Author: "a", Message: "m"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("%d files: %v, want %v", MaxFiles+1, err, ErrInvalid)
	}

	if seq, back, _, err := parseRef("@-1234567890"); err != nil || seq != 0 || back != -1234567890 {
		t.Errorf("parseRef(@-1234567890) = %d, %d, %v; want 0, -1234567890", seq, back, err)
	}
	if _, _, _, err := parseRef("@-12345678901"); !errors.Is(err, ErrInvalid) {
		t.Errorf("parseRef(@-12345678901): %v, want %v", err, ErrInvalid)
	}
}

// TestAuditEntries: an audit entry without a time gets the database's
// clock (2019-06-04T09:30:00Z, 1,559,640,600,000 ms), one with a time
// keeps it; a token id is kept, none stays none; ids count from 1. The
// same through Audit and through a batch's audit entry (AppendBatches).
// An empty batch (0 events) leaves the incident's latest event time as it
// was, whatever LastTMS it carries; asked for its events from batch 3 on,
// the incident has none and its last batch is 2.
func TestAuditEntries(t *testing.T) {
	at := time.Date(2019, 6, 4, 9, 30, 0, 0, time.UTC)
	const now = 1_559_640_600_000
	db, err := Open(filepath.Join(t.TempDir(), "a.db"), Options{Create: true, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tok, _, err := db.CreateToken(ctx, ScopeWrite, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	e1, err1 := db.Audit(ctx, AuditEntry{Method: "GET", Route: "/a"})
	e2, err2 := db.Audit(ctx, AuditEntry{TimeMS: 5, TokenID: tok.ID, Method: "GET", Route: "/b"})
	if err1 != nil || err2 != nil || e1.ID != 1 || e1.TimeMS != now || e2.ID != 2 || e2.TimeMS != 5 {
		t.Errorf("Audit: %+v (%v), %+v (%v); want id 1 at %d ms, id 2 at 5 ms", e1, err1, e2, err2, int64(now))
	}

	commit(t, db, "", "the incident rack", readFiles(t, incident)...)
	in, err := db.CreateIncident(ctx, "incident-2019", "", "", 1_000)
	if err != nil {
		t.Fatal(err)
	}
	a := []byte("{\"t_s\":1,\"instance\":\"a#0\",\"node\":\"n\",\"state\":\"up\"}\n")
	res := db.AppendBatches(ctx, []BatchRequest{
		{Incident: in.ID, Key: "k1", Body: a, Events: a, Count: 1, LastTMS: 1000, Audit: &AuditEntry{TokenID: tok.ID, Method: "POST", Route: "/c"}},
		{Incident: in.ID, Key: "k2", Body: []byte("{}"), WantEvents: 1, Count: 0, LastTMS: 9000, Audit: &AuditEntry{TimeMS: 7, Method: "POST", Route: "/d"}},
	})
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if got, err := db.GetIncident(ctx, in.ID); err != nil || got.Events != 1 || got.LastTMS != 1000 {
		t.Errorf("after a batch of one event at 1,000 ms and an empty one: %d events, latest at %d ms (%v); want 1, 1,000 ms", got.Events, got.LastTMS, err)
	}
	// The incident's batches are 1 and 2: from 3 on there are none, and
	// the last batch is still 2.
	if evs, last, err := db.IncidentEvents(ctx, in.ID, 3); err != nil || len(evs) != 0 || last != 2 {
		t.Errorf("IncidentEvents from batch 3: %d bytes, last batch %d (%v); want none, 2", len(evs), last, err)
	}
	log, n, err := db.AuditLog(ctx, 10, 0)
	if err != nil || n < 4 {
		t.Fatalf("audit log: %d entries (%v), want at least 4", n, err)
	}
	byRoute := map[string]AuditEntry{}
	for _, e := range log {
		byRoute[e.Route] = e
	}
	for route, want := range map[string][2]any{"/a": {int64(now), ""}, "/b": {int64(5), tok.ID}, "/c": {int64(now), tok.ID}, "/d": {int64(7), ""}} {
		if e := byRoute[route]; e.TimeMS != want[0] || e.TokenID != want[1] {
			t.Errorf("%s: at %d ms, token %q; want %d ms, token %q", route, e.TimeMS, e.TokenID, want[0], want[1])
		}
	}
}

// TestMergeBlockUnsorted: fresh readings out of order are sorted before
// the merge. Stored: 100 ms (1 W). Fresh: 300 ms (3 W), 50 ms (0.5 W),
// 100 ms (9 W: already stored, dropped), 300 ms (4 W: repeated, the first
// kept). Merged: 50, 100, 300 ms with 0.5, 1, 3 W; 2 added, both in the
// first 5-minute bucket.
func TestMergeBlockUnsorted(t *testing.T) {
	got, added, touched := mergeBlock(nil, []sample{{100, 1}}, []sample{{300, 3}, {50, 0.5}, {100, 9}, {300, 4}})
	want := []sample{{50, 0.5}, {100, 1}, {300, 3}}
	if fmt.Sprint(got) != fmt.Sprint(want) || added != 2 || touched != 1 {
		t.Errorf("mergeBlock = %v, %d added, buckets %b; want %v, 2, 1", got, added, touched, want)
	}
}

// TestStatsWindowAndSizes: a window of 0 ms is refused (windows are
// > 0); a new database's file is its page count × page size: at least
// one page of 4,096 bytes, a whole number of pages.
func TestStatsWindowAndSizes(t *testing.T) {
	db, _ := newDB(t)
	if _, _, err := db.Stats(ctx, "x", 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Stats with a 0-ms window: %v, want %v", err, ErrInvalid)
	}
	s, err := measureSizes(ctx, db.r)
	if err != nil || s.FileBytes < 4096 || s.FileBytes%4096 != 0 {
		t.Errorf("measureSizes: %d bytes (%v), want whole 4,096-byte pages", s.FileBytes, err)
	}
}
