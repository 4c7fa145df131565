package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"blackstart/data/store"
)

// TestReadBodyBounds: readBody reads what the body holds, whatever its
// Content-Length says (a body longer than announced grows as io.ReadAll
// does; a shorter one is what came), and a Content-Length alone never
// reserves more than bodyPrealloc before the body comes.
func TestReadBodyBounds(t *testing.T) {
	for _, c := range []struct {
		name   string
		length int64
		body   string
	}{
		{"as announced", 11, "hello world"},
		{"longer than announced", 5, strings.Repeat("x", 5000)},
		{"shorter than announced", 5000, "short"},
		{"unannounced", -1, "chunked body"},
		{"announced as the bound, nearly empty", MaxBatchBytes, "{}\n"},
	} {
		r, err := http.NewRequest("POST", "/", io.MultiReader(strings.NewReader(c.body)))
		if err != nil {
			t.Fatal(err)
		}
		r.ContentLength = c.length
		b, err := readBody(r)
		if err != nil || string(b) != c.body {
			t.Fatalf("%s: read %d bytes (%v), want the %d sent", c.name, len(b), err, len(c.body))
		}
		if cap(b) > bodyPrealloc+1 && cap(b) > 2*len(c.body) {
			t.Fatalf("%s: %d bytes reserved for a body of %d announced as %d, at most %d", c.name, cap(b), len(b), c.length, bodyPrealloc+1)
		}
	}
}

// TestBatchBodyLimits: a batch's body past MaxBatchBytes is 413 naming the
// bound, announced or chunked; a body shorter than its Content-Length (the
// client gone) is 400, and none of them takes a batch.
func TestBatchBodyLimits(t *testing.T) {
	e := newEnv(t, Config{})
	smallRecovery(t, e)
	if code, b, _ := e.do("POST", "/api/v1/incidents", store.ScopeIngest, []byte(`{"model":"small-dc","start":"2026-12-01T11:00:00Z"}`)); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, b)
	}
	path := "/api/v1/incidents/1/events"
	big := bytes.Repeat([]byte(" "), MaxBatchBytes+1)
	limit := fmt.Sprint(MaxBatchBytes)
	if code, b, _ := e.do("POST", path, store.ScopeIngest, big, "Idempotency-Key", "big"); code != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte(limit)) {
		t.Errorf("announced body of %d bytes: %d %s, want 413 naming %s", len(big), code, b, limit)
	}
	req, err := http.NewRequest("POST", e.ts.URL+path, io.MultiReader(bytes.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+e.tokens[store.ScopeIngest])
	req.Header.Set("Idempotency-Key", "chunked")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte(limit)) {
		t.Errorf("chunked body past the bound: %d %s, want 413 naming %s", res.StatusCode, b, limit)
	}

	// Content-Length 1000, 10 bytes sent, then the client stops sending.
	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nIdempotency-Key: short\r\nContent-Length: 1000\r\n\r\n0123456789",
		path, e.tokens[store.ScopeIngest])
	conn.(*net.TCPConn).CloseWrite()
	res, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("request body")) {
		t.Errorf("body shorter than its Content-Length: %d %s, want 400 naming the request body", res.StatusCode, b)
	}

	if code, b, _ := e.do("GET", "/api/v1/incidents/1", store.ScopeRead, nil); code != http.StatusOK || !bytes.Contains(b, []byte(`"events": 0`)) {
		t.Errorf("after the refusals: %d %s, want no events taken", code, b)
	}
}
