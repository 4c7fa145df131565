package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"blackstart/data/events"
	"blackstart/data/store"
	"blackstart/placement"
	"blackstart/topology"
)

// crashBatch is the events per batch of the incident crash test.
const crashBatch = 500

// startServe starts a real serve process on a free loopback port and
// returns it with its base URL once it answers /healthz.
func startServe(t *testing.T, path string) (kill func(), base string) {
	t.Helper()
	cmd := blackstartCmd("serve", "--db", path, "--addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill = func() { cmd.Process.Kill(); cmd.Wait() }
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`on (http://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case base = <-addr:
	case <-time.After(60 * time.Second):
		kill()
		t.Fatal("serve did not say where it listens within 60 s")
	}
	return kill, base
}

// TestCrashDuringIngest: a client posts event batches to a real serve
// process and records each acknowledgement; 24 times, once one to three
// batches have been acknowledged, the server is SIGKILLed 0 to 59 ms into
// the next batch (a moment that moves from round to round) and
// restarted, and the client retries its unacknowledged batch under the
// same key. Afterwards: the database passes every check, every
// acknowledged batch is there whole, no batch is there twice or in part,
// and the exported events read back in order.
func TestCrashDuringIngest(t *testing.T) {
	path := tempDB(t)
	mustRun(t, 0, "db", "commit", "-m", "two rows", smallPow, smallWl)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := db.CreateToken(context.Background(), store.ScopeIngest, "crash test", 0)
	if err != nil {
		t.Fatal(err)
	}
	in, err := db.CreateIncident(context.Background(), "small-dc", "", "crash", time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	m, err := topology.Load(smallPow, smallWl)
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	p := placement.NewPlan(c)
	// Batch k: crashBatch scheduling events, a millisecond apart, in order
	// across batches.
	batch := func(k int) []byte {
		evs := make([]placement.Event, crashBatch)
		for j := range evs {
			n := k*crashBatch + j
			i := n % len(c.Instances)
			evs[j] = placement.Event{TS: float64(n) / 1000, Instance: int32(i), Node: p.Assign[i].Node, State: placement.Scheduled}
		}
		var b bytes.Buffer
		if err := events.Write(&b, c, evs, events.FormatJSONL); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	post := func(base string, k int) (int, error) {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/incidents/%d/events", base, in.ID), bytes.NewReader(batch(k)))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("b%d", k))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}

	acked := map[int]bool{}
	next := 0
	const kills = 24
	for round := 0; round < kills; round++ {
		kill, base := startServe(t, path)
		// Writing begins: round%3+1 batches acknowledged (the first
		// retries the batch in flight at the last kill, under its key).
		for j := 0; j < round%3+1; j++ {
			code, err := post(base, next)
			if err != nil || (code != http.StatusCreated && code != http.StatusOK) {
				kill()
				t.Fatalf("round %d, batch %d: status %d, %v", round, next, code, err)
			}
			acked[next] = true
			next++
		}
		// Then the server is killed during the next batch, at a moment
		// that moves through it from round to round (reading, checking,
		// committing, answering), or just before it.
		d := time.Duration(round*37%60) * time.Millisecond
		res := make(chan int, 1)
		go func() {
			code, err := post(base, next)
			if err != nil {
				code = 0
			}
			res <- code
		}()
		time.Sleep(d)
		kill()
		if code := <-res; code == http.StatusCreated || code == http.StatusOK {
			acked[next] = true // answered before the kill
			next++
		}
	}

	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := db.Check(context.Background(), store.CheckOptions{})
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("after %d kills: check %v %v", kills, rep.Problems, err)
	}
	got, err := db.GetIncident(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Every acknowledged batch is there; the one in flight at the last
	// kill may be too (committed, its answer lost), whole.
	if got.Events != len(acked)*crashBatch && got.Events != (len(acked)+1)*crashBatch {
		t.Fatalf("incident holds %d events, %d batches acknowledged of %d", got.Events, len(acked), crashBatch)
	}
	body, _, err := db.IncidentEvents(context.Background(), in.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for k := 0; k < got.Events/crashBatch; k++ {
		want.Write(batch(k))
	}
	if !bytes.Equal(body, want.Bytes()) {
		t.Fatalf("stored events (%d bytes) are not the batches 0..%d in order, each once", len(body), got.Events/crashBatch-1)
	}
	evs, err := events.Read("stored", bytes.NewReader(body), c)
	if err != nil || len(evs) != got.Events {
		t.Fatalf("stored events read back: %d, %v", len(evs), err)
	}
	t.Logf("%d kills, %d batches of %d events acknowledged, %d stored", kills, len(acked), crashBatch, got.Events/crashBatch)
}
