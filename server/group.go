package server

import (
	"context"
	"sync"
	"sync/atomic"

	"blackstart/data/store"
)

// MaxGroup bounds the batches committed in one transaction.
const MaxGroup = 64

// groupCommit commits event batches of different incidents together:
// while one transaction is being written and synced to disk, the batches
// that arrive queue up, and the next transaction takes them all, so that
// N clients posting at once cost about one sync per round rather than N.
// Each batch is acknowledged only after the commit of its transaction,
// and a batch refused (store.ErrConflict, ErrClosed) takes nothing and
// leaves the others of its group.
//
// There is no goroutine of its own: a poster that finds no commit under
// way commits its batch with everything queued (up to MaxGroup), then
// hands the turn to the first batch still queued, whose poster commits
// the next group.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*pendingBatch
	leading bool // a poster is committing
	// commits counts the transactions made (for the figures).
	commits atomic.Int64
}

type pendingBatch struct {
	req  store.BatchRequest
	res  store.BatchResult
	done chan struct{} // closed when res is known
	turn chan struct{} // closed when its poster is to commit the next group
}

// append commits req with whatever other batches are waiting and returns
// once its transaction is on disk (or refused).
func (g *groupCommit) append(ctx context.Context, db *store.DB, req store.BatchRequest) (store.Batch, error) {
	pb := &pendingBatch{req: req, done: make(chan struct{}), turn: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, pb)
	if g.leading {
		g.mu.Unlock()
		select {
		case <-pb.done:
			return pb.res.Batch, pb.res.Err
		case <-pb.turn:
		}
		g.mu.Lock()
	}
	g.leading = true
	// pb is first in the queue: the turns before took the ones before it.
	n := min(len(g.queue), MaxGroup)
	group := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()
	reqs := make([]store.BatchRequest, len(group))
	for k, p := range group {
		reqs[k] = p.req
	}
	res := db.AppendBatches(ctx, reqs)
	g.commits.Add(1)
	g.mu.Lock()
	if len(g.queue) > 0 {
		close(g.queue[0].turn)
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	for k, p := range group {
		p.res = res[k]
		close(p.done)
	}
	return pb.res.Batch, pb.res.Err
}
