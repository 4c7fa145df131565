package store

import (
	"errors"
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
	got, last, err := db.IncidentEvents(ctx, in.ID, 1)
	if err != nil || string(got) != string(a)+string(b) || last != 2 {
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
