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
	"github.com/riverqueue/river"
)

// Group commit (SQLite). SQLite has one writer; a commit writes the transaction's pages to
// the WAL, and that — not the statements — is most of the cost of a small write. So the
// writes that arrive while one group is committing wait together and go into the next
// transaction, and every caller returns after the commit that made its write durable
// (nothing is acknowledged or published before). Under light load a group is one write.
//
// One caller's error must undo only its own part. Savepoints do that, at the price of two
// statements per write and a copy of every page a write changes (the statement journal):
// an eighth of the writer's time at 2,000 messages/s. Errors are rare, so a group first runs
// without them, and a write that fails rolls the whole transaction back: the failed write
// is reported and left out, and the others run again, in the same order, in a new
// transaction with a savepoint each — which sees what the first would have seen without the
// failed write, and where a further failure undoes only itself. A write may therefore run
// twice before it commits: fn must change nothing but the database and the Tx
// (Tx.afterCommit holds what must happen once).
//
// PostgreSQL needs none of this: its concurrent commits already share WAL flushes.

// maxGroup bounds a group, so one commit never holds a long queue behind it.
const maxGroup = 64

var groupSize = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "baton_db_write_group_size",
	Help:    "Writes committed together in one SQLite transaction (group commit).",
	Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
})

var commitSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "baton_db_commit_seconds",
	Help:    "Time the SQLite COMMIT of one write group took (the WAL append, and the writer's own checkpoint when the log passed its threshold).",
	Buckets: prometheus.ExponentialBuckets(0.00005, 2, 14),
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

// commit runs one group: in one transaction when every write succeeds, and otherwise
// again without the write that failed, until what is left commits.
func (g *groupCommit) commit(batch []*writeReq) {
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
	failed := g.attempt(run, false)
	if failed == len(run) {
		// The group's jobs, inserted together, failed: every write runs again and inserts
		// its own, so that a bad job fails only its write.
		g.attempt(run, true)
	} else if failed >= 0 {
		// One write failed and took the others' work with it. They run again, each in its
		// own savepoint this time, so that further failures cost nothing more: a stream of
		// failing writes never makes a group run more than twice.
		g.attempt(append(run[:failed:failed], run[failed+1:]...), true)
	}
}

// attempt runs the writes in one transaction. Without savepoints, a write's error rolls
// everything back and attempt returns its index (that write's err is set); the jobs the
// writes enqueue are inserted together at the end (Tx.DeferJob), and if that fails
// everything is rolled back and attempt returns len(run). With savepoints, a write's error
// rolls back that write alone, and jobs are inserted as they come. Otherwise attempt
// returns -1: the transaction committed (each write's tx or err is set), or failed as a
// whole (each write's err is set).
func (g *groupCommit) attempt(run []*writeReq, savepoints bool) (failed int) {
	if len(run) == 0 {
		return -1
	}
	d := g.d
	fail := func(err error) int {
		for _, r := range run {
			if r.err == nil {
				r.err, r.tx = err, nil
			}
		}
		return -1
	}
	groupSize.Observe(float64(len(run)))
	bg := context.Background()
	stx, err := d.writer.BeginTx(bg, nil)
	if err != nil {
		return fail(fmt.Errorf("store: begin: %w", err))
	}
	defer stx.Rollback()
	mark := &searchMark{} // read by the group's first message (see indexNewMessages)
	conn := sqliteConn{q: stx, detach: true}
	var jobs []river.InsertManyParams
	batcher, _ := d.Jobs.(JobBatcher)
	for i, r := range run {
		tx := &Tx{now: d.Now().UTC().Truncate(time.Microsecond), SQL: stx, conn: conn, search: mark}
		if !savepoints && batcher != nil {
			tx.jobs = &jobs
		}
		tx.Queries = db.New(conn)
		if savepoints {
			if _, err := stx.ExecContext(bg, "SAVEPOINT w"); err != nil {
				return fail(fmt.Errorf("store: savepoint: %w", err))
			}
		}
		err := runWrite(tx, r.fn)
		if err == nil {
			err = d.runHooks(r.ctx, tx)
		}
		if err != nil && !savepoints {
			r.err = err
			return i // the deferred rollback undoes the others too; they run again
		}
		if err != nil {
			r.err, r.tx = err, nil
			// A failed statement may have ended the whole transaction (SQLite does so on
			// I/O errors, a full disk, an interrupt): then nothing of the group stands.
			if _, rerr := stx.ExecContext(bg, "ROLLBACK TO w"); rerr != nil {
				return fail(fmt.Errorf("store: write rolled back with its group: %w", err))
			}
		} else {
			r.err, r.tx = nil, tx
		}
		if savepoints {
			if _, err := stx.ExecContext(bg, "RELEASE w"); err != nil {
				return fail(fmt.Errorf("store: release savepoint: %w", err))
			}
		}
	}
	if len(jobs) > 0 {
		if err := batcher.InsertManySQLite(bg, stx, jobs); err != nil {
			for _, r := range run {
				r.err, r.tx = err, nil
			}
			return len(run)
		}
	}
	if mark.read {
		if _, err := stx.ExecContext(bg, indexNewMessages, mark.rowid); err != nil {
			return fail(fmt.Errorf("store: index messages: %w", err))
		}
	}
	start := time.Now()
	err = stx.Commit()
	commitSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		for _, r := range run {
			r.tx = nil
		}
		return fail(fmt.Errorf("store: commit: %w", err))
	}
	if d.ckpt != nil {
		d.ckpt.wrote()
	}
	return -1
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
