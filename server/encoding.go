package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// minGzipBytes is the size from which a result is kept gzip-compressed:
// a large JSON document (the sweep of a big site is tens of MB) shrinks
// 20-50 times, so more results fit in the cache and a client that accepts
// gzip gets a fraction of the bytes.
const minGzipBytes = 64 << 10

// pack returns the form a result is kept in: gzip (BestSpeed) from
// minGzipBytes, else the bytes themselves. A JSON document never starts
// with gzip's magic bytes, so the form is known from the bytes.
func pack(body []byte) ([]byte, error) {
	if len(body) < minGzipBytes {
		return body, nil
	}
	var b bytes.Buffer
	b.Grow(len(body) / 16)
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(b.Bytes()), nil
}

func isGzip(stored []byte) bool { return len(stored) > 2 && stored[0] == 0x1f && stored[1] == 0x8b }

// acceptsGzip reports whether the request's Accept-Encoding admits gzip.
func acceptsGzip(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(h, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "x-gzip" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// gzipETag is the entity tag of the gzip representation of etag's.
func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gzip"` }

// writeStored answers a kept result: gzip as it is to a client that
// accepts it, else the JSON, decompressed as it is written.
func writeStored(w http.ResponseWriter, r *http.Request, stored []byte, etag string) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Vary", "Accept-Encoding")
	if !isGzip(stored) {
		h.Set("ETag", etag)
		h.Set("Content-Length", strconv.Itoa(len(stored)))
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(stored)
		return err
	}
	if acceptsGzip(r) {
		h.Set("ETag", gzipETag(etag))
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(stored)))
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(stored)
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return err
	}
	h.Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, zr)
	return err
}
