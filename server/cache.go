package server

import (
	"container/list"
	"sync"
)

// cache keeps analysis results in memory, least recently used first out,
// bounded in bytes, and runs each missing result once however many
// requests want it at the same time (the others wait for it).
type cache struct {
	mu       sync.Mutex
	maxBytes int64 // bound on the bodies kept, bytes
	bytes    int64 // bodies kept, bytes; <= maxBytes
	lru      *list.List
	entries  map[string]*list.Element // key -> element of lru holding *cached
	running  map[string]*flight
}

type cached struct {
	key  string
	body []byte
}

// flight is one computation of a result under way.
type flight struct {
	done    chan struct{}
	body    []byte
	err     error
	waiters int  // requests waiting for it; guarded by cache.mu
	stopped bool // every waiter left: the computation may stop
}

func newCache(maxBytes int64) *cache {
	return &cache{maxBytes: maxBytes, lru: list.New(), entries: map[string]*list.Element{}, running: map[string]*flight{}}
}

// get returns the body cached under key.
func (c *cache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cached).body, true
	}
	return nil, false
}

// put keeps body under key, dropping the least recently used bodies past
// the bound; a body larger than the whole bound is not kept.
func (c *cache) put(key string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(len(body)) > c.maxBytes {
		return
	}
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e)
		return
	}
	c.entries[key] = c.lru.PushFront(&cached{key, body})
	c.bytes += int64(len(body))
	for c.bytes > c.maxBytes {
		last := c.lru.Back()
		v := last.Value.(*cached)
		c.lru.Remove(last)
		delete(c.entries, v.key)
		c.bytes -= int64(len(v.body))
	}
}

// stats returns the entries and bytes kept.
func (c *cache) stats() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.bytes
}

// join returns the computation of key under way, adding a waiter, or
// starts one (start reports true: the caller must run it and call finish).
func (c *cache) join(key string) (f *flight, start bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.running[key]; ok {
		f.waiters++
		f.stopped = false // wanted again before it saw the stop
		return f, false
	}
	f = &flight{done: make(chan struct{}), waiters: 1}
	c.running[key] = f
	return f, true
}

// leave removes a waiter that gave up; the last one to leave marks the
// computation stopped.
func (c *cache) leave(f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.stopped = true
	}
}

// isStopped reports whether every waiter of f has left.
func (c *cache) isStopped(f *flight) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return f.stopped
}

// finish ends the computation of key: a result is kept, an error is not.
func (c *cache) finish(key string, f *flight, body []byte, err error) {
	if err == nil {
		c.put(key, body)
	}
	c.mu.Lock()
	delete(c.running, key)
	f.body, f.err = body, err
	c.mu.Unlock()
	close(f.done)
}
