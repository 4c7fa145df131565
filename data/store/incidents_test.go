package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// TestIncidentBatches: batches are appended in order, a retry under the
// same key adds nothing, a different body under a used key, a stale
// check and a closed incident are refused, and the events come back
// concatenated, also after reopening.
func TestIncidentBatches(t *testing.T) {
	db, path := newDB(t)
	commit(t, db, "", "the incident rack", readFiles(t, incident)...)
	in, err := db.CreateIncident(ctx, "incident-2019", "", "the outage", 1_000)
	if err != nil {
		t.Fatal(err)
	}
	if in.Rev != 1 || in.Model != "incident-2019" || len(in.Revision) != 64 || in.StartMS != 1_000 {
		t.Fatalf("incident %+v", in)
	}
	if _, err := db.CreateIncident(ctx, "incident-2019", "@7", "", 0); !errors.Is(err, ErrNoRevision) {
		t.Fatalf("incident of a missing revision: %v", err)
	}
	a := []byte("{\"t_s\":1,\"instance\":\"a#0\",\"node\":\"n\",\"state\":\"up\"}\n")
	b := []byte("{\"t_s\":2,\"instance\":\"a#1\",\"node\":\"n\",\"state\":\"up\"}\n")
	b1, err := db.AppendBatch(ctx, in.ID, "k1", a, 0, a, 1, 1000, nil)
	if err != nil || b1.Seq != 1 || b1.First != 0 || b1.Replayed {
		t.Fatalf("first batch %+v, %v", b1, err)
	}
	again, err := db.AppendBatch(ctx, in.ID, "k1", a, 1, a, 1, 1000, nil)
	if err != nil || !again.Replayed || again.Seq != 1 {
		t.Fatalf("retry %+v, %v", again, err)
	}
	if _, err := db.AppendBatch(ctx, in.ID, "k1", b, 1, b, 1, 2000, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("other body under a used key: %v", err)
	}
	if _, err := db.AppendBatch(ctx, in.ID, "k2", b, 0, b, 1, 2000, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("batch checked against a stale state: %v", err)
	}
	if _, err := db.AppendBatch(ctx, in.ID, "", b, 1, b, 1, 2000, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no key: %v", err)
	}
	b2, err := db.AppendBatch(ctx, in.ID, "k2", b, 1, b, 1, 2000, nil)
	if err != nil || b2.Seq != 2 || b2.First != 1 {
		t.Fatalf("second batch %+v, %v", b2, err)
	}
	// A batch of no events (a header only; the canonical form is nil) is
	// taken and adds nothing (it was a NOT NULL failure, a 500).
	empty, err := db.AppendBatch(ctx, in.ID, "k-empty", []byte("t_s,instance,node,state\n"), 2, nil, 0, 0, nil)
	if err != nil || empty.Seq != 3 || empty.First != 2 || empty.Count != 0 {
		t.Fatalf("empty batch %+v, %v; want seq 3 from event 2, no events", empty, err)
	}
	got, last, err := db.IncidentEvents(ctx, in.ID, 1)
	if err != nil || string(got) != string(a)+string(b) || last != 3 {
		t.Fatalf("events %q last %d, %v", got, last, err)
	}
	got, _, _ = db.IncidentEvents(ctx, in.ID, 2)
	if string(got) != string(b) {
		t.Fatalf("events from batch 2: %q", got)
	}
	if _, err := db.CloseIncident(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendBatch(ctx, in.ID, "k3", b, 2, b, 1, 2000, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("batch of a closed incident: %v", err)
	}
	if _, _, err := db.IncidentEvents(ctx, 99, 1); !errors.Is(err, ErrNoIncident) {
		t.Fatalf("events of a missing incident: %v", err)
	}
	db.Close()
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in, err = db.GetIncident(ctx, in.ID)
	if err != nil || in.Events != 2 || in.LastTMS != 2000 || in.ClosedMS == 0 {
		t.Fatalf("reopened %+v, %v", in, err)
	}
	if rep, err := db.Check(ctx, CheckOptions{}); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check %+v, %v", rep, err)
	}
}

// TestAppendBatchesGroup: batches of several incidents in one transaction;
// one refused in the middle (checked against a stale count) takes nothing
// and leaves the others, which are all there, each once, with their
// audit entries; a later group of the same incidents goes on from them.
func TestAppendBatchesGroup(t *testing.T) {
	db, _ := newDB(t)
	commit(t, db, "", "the incident rack", readFiles(t, incident)...)
	var ids []int64
	for range 3 {
		in, err := db.CreateIncident(ctx, "incident-2019", "", "", 1_000)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	a := []byte("{\"t_s\":1,\"instance\":\"a#0\",\"node\":\"n\",\"state\":\"up\"}\n")
	req := func(id int64, key string, want int) BatchRequest {
		return BatchRequest{Incident: id, Key: key, Body: a, WantEvents: want, Events: a, Count: 1, LastTMS: 1000,
			Audit: &AuditEntry{Method: "POST", Route: "/events"}}
	}
	res := db.AppendBatches(ctx, []BatchRequest{req(ids[0], "k", 0), req(ids[1], "k", 5), req(ids[2], "k", 0), req(99, "k", 0)})
	for k, want := range []error{nil, ErrConflict, nil, ErrNoIncident} {
		if !errors.Is(res[k].Err, want) || (want == nil && res[k].Batch.Seq != 1) {
			t.Errorf("batch %d: got %+v, %v; want seq 1 or %v", k, res[k].Batch, res[k].Err, want)
		}
	}
	for k, want := range []int{1, 0, 1} {
		in, err := db.GetIncident(ctx, ids[k])
		if err != nil || in.Events != want {
			t.Errorf("incident %d holds %d events, want %d (%v)", ids[k], in.Events, want, err)
		}
	}
	_, n, err := db.AuditLog(ctx, 10, 0)
	if err != nil || n != 2 {
		t.Errorf("audit log holds %d entries, want the 2 batches taken (%v)", n, err)
	}
	res = db.AppendBatches(ctx, []BatchRequest{req(ids[0], "k2", 1), req(ids[1], "k", 0), req(ids[0], "k", 2)})
	if res[0].Err != nil || res[0].Batch.Seq != 2 || res[1].Err != nil || res[1].Batch.Seq != 1 || res[2].Err != nil || !res[2].Batch.Replayed {
		t.Errorf("second group: %+v", res)
	}
}

// TestIncidentBatchesMigrated: a database of schema version 5 holding
// incidents and their batches (appended as version 5 did: no batch count
// on the incident) is migrated on open; each incident's count is its
// batches', the next batch of each goes on from it, and the invariants
// hold before and after.
func TestIncidentBatchesMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v5.db")
	old, err := open(path, Options{Create: true, Now: clock()}, migrations[:5])
	if err != nil {
		t.Fatal(err)
	}
	commit(t, old, "", "the incident rack", readFiles(t, incident)...)
	var ids []int64
	for range 3 {
		in, err := old.CreateIncident(ctx, "incident-2019", "", "", 1_000)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	line := func(k int) []byte {
		return fmt.Appendf(nil, "{\"t_s\":%d,\"instance\":\"a#%d\",\"node\":\"n\",\"state\":\"up\"}\n", k+1, k)
	}
	// Version 5's append: seq = max(seq) + 1, the incident's events and
	// latest time updated. Incident 1 takes 3 batches (the second empty),
	// incident 2 one, incident 3 none.
	for _, b := range []struct {
		id    int64
		count int
	}{{ids[0], 1}, {ids[0], 0}, {ids[0], 1}, {ids[1], 1}} {
		var seq, first int
		if err := old.w.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) + 1, (SELECT events FROM incident WHERE id = ?) FROM incident_batch WHERE incident_id = ?", b.id, b.id).Scan(&seq, &first); err != nil {
			t.Fatal(err)
		}
		ev := []byte{}
		if b.count > 0 {
			ev = line(first)
		}
		if _, err := old.w.ExecContext(ctx, "INSERT INTO incident_batch(incident_id, seq, key, body_sha256, first, count, events, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
			b.id, seq, fmt.Sprint("k", seq), fmt.Sprintf("%x", sha256.Sum256(ev)), first, b.count, ev); err != nil {
			t.Fatal(err)
		}
		if _, err := old.w.ExecContext(ctx, "UPDATE incident SET events = events + ?, last_t_ms = ? WHERE id = ?", b.count, (first+1)*1000, b.id); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(path, Options{Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(ctx); v != SchemaVersion() {
		t.Fatalf("version %d after migrating, want %d", v, SchemaVersion())
	}
	check := func(when string) {
		t.Helper()
		if rep, err := db.Check(ctx, CheckOptions{}); err != nil || len(rep.Problems) > 0 || !slices.Contains(rep.Checked, InvIncidentBatches) {
			t.Fatalf("check %s: %v, %v (checked %v)", when, rep.Problems, err, rep.Checked)
		}
	}
	check("after migrating")
	var counts []int
	for _, id := range ids {
		var n int
		if err := db.r.QueryRowContext(ctx, "SELECT batches FROM incident WHERE id = ?", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, n)
	}
	if fmt.Sprint(counts) != "[3 1 0]" {
		t.Fatalf("batches counted by the migration %v, want [3 1 0]", counts)
	}
	for k, want := range []Batch{{Seq: 4, First: 2, Count: 1, Key: "next"}, {Seq: 2, First: 1, Count: 1, Key: "next"}, {Seq: 1, First: 0, Count: 1, Key: "next"}} {
		ev := line(want.First)
		b, err := db.AppendBatch(ctx, ids[k], "next", ev, want.First, ev, 1, int64(want.First+1)*1000, nil)
		if err != nil || b != want {
			t.Errorf("incident %d's next batch %+v, %v; want %+v", ids[k], b, err, want)
		}
		// A retry of a batch acknowledged before the migration adds nothing.
		if k == 0 {
			if b, err := db.AppendBatch(ctx, ids[0], "k3", line(1), 3, line(1), 1, 2000, nil); err != nil || !b.Replayed || b.Seq != 3 {
				t.Errorf("retry of batch 3 after migrating: %+v, %v", b, err)
			}
		}
	}
	check("after appending")
	body, last, err := db.IncidentEvents(ctx, ids[0], 1)
	if err != nil || last != 4 || string(body) != string(line(0))+string(line(1))+string(line(2)) {
		t.Errorf("incident 1's events %q up to batch %d, %v", body, last, err)
	}
}

// TestCheckIncidentBatches: an incident whose batch count, events or a
// batch's first event disagree with its batches is named by
// incident-batches.
func TestCheckIncidentBatches(t *testing.T) {
	for _, c := range []struct {
		name, stmt string
		want       []string
	}{
		{"count", "UPDATE incident SET batches = 1", []string{"incident 1 records 1 batches and 2 events; it holds 2 batches numbered up to 2, of 2 events"}},
		{"events", "UPDATE incident SET events = 3", []string{"incident 1 records 2 batches and 3 events; it holds 2 batches numbered up to 2, of 2 events"}},
		{"gap", "DELETE FROM incident_batch WHERE seq = 1; UPDATE incident SET events = 1", []string{
			"incident 1 records 2 batches and 1 events; it holds 1 batches numbered up to 2, of 1 events",
			"incident 1 batch 2 starts at event 1; the batches before it hold 0"}},
		{"first", "DROP TRIGGER incident_batch_immutable; UPDATE incident_batch SET first = 0 WHERE seq = 2", []string{"incident 1 batch 2 starts at event 0; the batches before it hold 1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, path := newDB(t)
			commit(t, db, "", "the incident rack", readFiles(t, incident)...)
			in, err := db.CreateIncident(ctx, "incident-2019", "", "", 1_000)
			if err != nil {
				t.Fatal(err)
			}
			a := []byte("{\"t_s\":1,\"instance\":\"a#0\",\"node\":\"n\",\"state\":\"up\"}\n")
			b := []byte("{\"t_s\":2,\"instance\":\"a#1\",\"node\":\"n\",\"state\":\"up\"}\n")
			if _, err := db.AppendBatch(ctx, in.ID, "k1", a, 0, a, 1, 1000, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := db.AppendBatch(ctx, in.ID, "k2", b, 1, b, 1, 2000, nil); err != nil {
				t.Fatal(err)
			}
			if rep, err := db.Check(ctx, CheckOptions{}); err != nil || len(rep.Problems) > 0 {
				t.Fatalf("check before: %v, %v", rep.Problems, err)
			}
			raw := rawDB(t, path)
			if _, err := raw.Exec(c.stmt); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			rep, err := db.Check(ctx, CheckOptions{})
			var got, want []string
			for _, p := range rep.Problems {
				if p.Invariant != InvSchema || c.name != "first" { // the dropped trigger is the schema's
					got = append(got, p.String())
				}
			}
			for _, w := range c.want {
				want = append(want, InvIncidentBatches+": "+w)
			}
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("check: %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestBatchesCountedWhoeverAppends: any command migrates the database it
// opens, so a service of schema version 5 may still be appending batches
// (seq = max(seq) + 1, incident.batches unknown to it) to a database a
// newer command brought to version 6. Its batches are counted all the
// same, and the next batch appended here goes on after them; before, the
// count stayed behind and every later batch of that incident was refused
// on its (incident_id, seq) key.
func TestBatchesCountedWhoeverAppends(t *testing.T) {
	db, path := newDB(t)
	commit(t, db, "", "the incident rack", readFiles(t, incident)...)
	in, err := db.CreateIncident(ctx, "incident-2019", "", "", 1_000)
	if err != nil {
		t.Fatal(err)
	}
	line := func(k int) []byte {
		return fmt.Appendf(nil, "{\"t_s\":%d,\"instance\":\"a#%d\",\"node\":\"n\",\"state\":\"up\"}\n", k+1, k)
	}
	if b, err := db.AppendBatch(ctx, in.ID, "k1", line(0), 0, line(0), 1, 1000, nil); err != nil || b.Seq != 1 {
		t.Fatalf("first batch %+v, %v", b, err)
	}
	// Version 5's append, by another process on the same file.
	raw := rawDB(t, path)
	if _, err := raw.Exec(`INSERT INTO incident_batch(incident_id, seq, key, body_sha256, first, count, events, created_ms)
		SELECT ?, coalesce(max(seq), 0) + 1, 'k2', ?, (SELECT events FROM incident WHERE id = ?), 1, ?, 1 FROM incident_batch WHERE incident_id = ?`,
		in.ID, fmt.Sprintf("%x", sha256.Sum256(line(1))), in.ID, line(1), in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("UPDATE incident SET events = events + 1, last_t_ms = 2000 WHERE id = ?", in.ID); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if rep, err := db.Check(ctx, CheckOptions{}); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check after the older append: %v, %v", rep.Problems, err)
	}
	b, err := db.AppendBatch(ctx, in.ID, "k3", line(2), 2, line(2), 1, 3000, nil)
	if want := (Batch{Seq: 3, First: 2, Count: 1, Key: "k3"}); err != nil || b != want {
		t.Fatalf("batch after the older append %+v, %v; want %+v", b, err, want)
	}
	if rep, err := db.Check(ctx, CheckOptions{}); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("check after appending: %v, %v", rep.Problems, err)
	}
}
