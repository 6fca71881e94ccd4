package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/baton-chat/baton/internal/store/db"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Group commit (SQLite). SQLite has one writer; a commit writes the transaction's pages to
// the WAL, and that — not the statements — is most of the cost of a small write. So the
// writes that arrive while one group is committing wait together and go into the next
// transaction, each in its own savepoint: one caller's error rolls back only its part, and
// every caller returns after the commit that made its write durable (nothing is
// acknowledged or published before). Under light load a group is one write, as before.
//
// PostgreSQL needs none of this: its concurrent commits already share WAL flushes.

// maxGroup bounds a group, so one commit never holds a long queue behind it.
const maxGroup = 64

var groupSize = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "baton_db_write_group_size",
	Help:    "Writes committed together in one SQLite transaction (group commit).",
	Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
})

var errClosed = errors.New("store: database closed")

type groupCommit struct {
	d         *DB
	reqs      chan *writeReq
	committed chan []*writeReq // to the publisher, in commit order
	mu        sync.RWMutex     // held for reading while sending to reqs; close takes it to write
	shut      bool
	done      chan struct{}
}

type writeReq struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	tx   *Tx
	err  error
	done chan struct{}
}

func newGroupCommit(d *DB) *groupCommit {
	g := &groupCommit{d: d, reqs: make(chan *writeReq, maxGroup),
		committed: make(chan []*writeReq, 16), done: make(chan struct{})}
	go g.loop()
	go g.publishLoop()
	return g
}

// write queues fn and waits for the group holding it to commit or roll back. It waits even
// when ctx ends meanwhile: a write that started is finished and reported (ctx only keeps a
// write that has not started from running).
func (g *groupCommit) write(ctx context.Context, fn func(tx *Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.mu.RLock()
	if g.shut {
		g.mu.RUnlock()
		return errClosed
	}
	select {
	case g.reqs <- r:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	<-r.done
	return r.err
}

func (g *groupCommit) close() {
	g.mu.Lock()
	if !g.shut {
		g.shut = true
		close(g.reqs)
	}
	g.mu.Unlock()
	<-g.done
}

func (g *groupCommit) loop() {
	defer close(g.committed)
	for r := range g.reqs {
		batch := append(make([]*writeReq, 0, 8), r)
	more:
		for len(batch) < maxGroup {
			select {
			case r, ok := <-g.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		g.commit(batch)
		g.committed <- batch
	}
}

// publishLoop publishes each committed write's events, in commit order (so sockets see a
// conversation's events in sequence), and then lets its caller return.
func (g *groupCommit) publishLoop() {
	defer close(g.done)
	for batch := range g.committed {
		for _, r := range batch {
			if r.err == nil {
				g.d.publish(r.ctx, r.tx)
			}
			close(r.done)
		}
	}
}

// commit runs one group in one transaction.
func (g *groupCommit) commit(batch []*writeReq) {
	d := g.d
	fail := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.err, r.tx = err, nil
			}
		}
	}
	// Requests whose caller gave up before they started are not run.
	run := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
		} else {
			run = append(run, r)
		}
	}
	if len(run) == 0 {
		return
	}
	groupSize.Observe(float64(len(run)))
	bg := context.Background()
	stx, err := d.writer.BeginTx(bg, nil)
	if err != nil {
		fail(fmt.Errorf("store: begin: %w", err))
		return
	}
	defer stx.Rollback()
	conn := sqliteConn{q: stx, detach: true}
	savepoints := len(run) > 1
	for _, r := range run {
		tx := &Tx{now: d.Now().UTC().Truncate(time.Microsecond), SQL: stx, conn: conn}
		tx.Queries = db.New(conn)
		if savepoints {
			if _, err := stx.ExecContext(bg, "SAVEPOINT w"); err != nil {
				fail(fmt.Errorf("store: savepoint: %w", err))
				return
			}
		}
		err := runWrite(tx, r.fn)
		if err == nil {
			err = d.runHooks(r.ctx, tx)
		}
		if err != nil {
			r.err = err
			if !savepoints {
				return // the deferred rollback undoes it
			}
			// A failed statement may have ended the whole transaction (SQLite does so on
			// I/O errors, a full disk, an interrupt): then nothing of the group stands.
			if _, rerr := stx.ExecContext(bg, "ROLLBACK TO w"); rerr != nil {
				fail(fmt.Errorf("store: write rolled back with its group: %w", err))
				return
			}
		} else {
			r.tx = tx
		}
		if savepoints {
			if _, err := stx.ExecContext(bg, "RELEASE w"); err != nil {
				fail(fmt.Errorf("store: release savepoint: %w", err))
				return
			}
		}
	}
	if err := stx.Commit(); err != nil {
		fail(fmt.Errorf("store: commit: %w", err))
		return
	}
	if d.ckpt != nil {
		d.ckpt.wrote()
	}
}

// runWrite runs one caller's fn, turning a panic into that caller's error so that the
// group's other writes and the committer survive it.
func runWrite(tx *Tx, fn func(tx *Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}
