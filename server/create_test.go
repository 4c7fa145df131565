package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"blackstart/data/store"
)

// TestCreateBesideBusyEstimator: with room for one estimator, and that
// one in use (its lock held, as by a batch or an estimate being
// computed), creating an incident neither waits for it nor drops it: the
// new incident is created at once with its own estimator built (two kept,
// over the bound), the busy one is still kept, and once both are free the
// next estimator added (a third incident's creation) brings them back to
// the bound, the evicted ones rebuilt when asked.
func TestCreateBesideBusyEstimator(t *testing.T) {
	e := newEnv(t, Config{MaxLive: 1})
	smallRecovery(t, e)
	create := func() int64 {
		t.Helper()
		code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T11:00:00Z"}`))
		var in store.Incident
		if code != http.StatusCreated || json.Unmarshal(b, &in) != nil {
			t.Fatalf("create: %d %s", code, b)
		}
		return in.ID
	}
	a := create()
	e.srv.inc.mu.Lock()
	busy := e.srv.inc.m[a]
	e.srv.inc.mu.Unlock()
	if busy == nil {
		t.Fatal("the first incident's estimator was not built at its creation")
	}
	busy.mu.Lock()
	done := make(chan int64)
	go func() { done <- create() }()
	var b int64
	select {
	case b = <-done:
	case <-time.After(20 * time.Second):
		busy.mu.Unlock()
		t.Fatal("creating an incident waited for the busy estimator")
	}
	if n, revs := e.srv.LiveStats(); n != 2 || revs != 1 || busy.dropped {
		t.Fatalf("beside a busy estimator: %d estimators, %d revisions, busy one dropped %v; want 2, 1, kept", n, revs, busy.dropped)
	}
	busy.mu.Unlock()
	// Eviction runs when an estimator is added: the third incident's
	// creation drops both idle ones.
	c := create()
	e.srv.inc.mu.Lock()
	_, kept := e.srv.inc.m[c]
	e.srv.inc.mu.Unlock()
	busy.mu.Lock()
	dropped := busy.dropped
	busy.mu.Unlock()
	if n, revs := e.srv.LiveStats(); n != 1 || revs != 1 || !kept || !dropped {
		t.Fatalf("a third created with both free: %d estimators, %d revisions, its own kept %v, the once busy one dropped %v; want 1, 1, true, true", n, revs, kept, dropped)
	}
	for _, id := range []int64{a, b} {
		if code, out, _ := e.do("GET", fmt.Sprintf("/api/v1/incidents/%d/eta?at=10", id), "", nil); code != http.StatusOK {
			t.Fatalf("eta of the evicted %d: %d %s", id, code, out)
		}
	}
}
