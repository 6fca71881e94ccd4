package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Checkpoints (SQLite). In WAL mode a commit appends pages to the write-ahead log, and a
// checkpoint copies them back into the database file and syncs it. SQLite runs that
// checkpoint inside the commit that takes the log past a threshold (1,000 pages unless told
// otherwise); the writer then copies the pages and waits for two fsyncs while every other
// write queues behind it.
//
// So a checkpointer on a connection of its own runs PASSIVE checkpoints beside the writer
// (at most every 100 ms, after writes): they copy what is committed without taking the write
// lock, and the commit that reaches the threshold finds almost everything copied and synced
// already. The writer keeps that last, small checkpoint on purpose: only a checkpoint that
// completes between two writes lets the next write start the log over from its beginning,
// and a log that is reused rather than grown overwrites blocks the file already has. A log
// that grows allocates blocks, and on ext4 (data=ordered) every journal commit — any fsync
// on the machine — must first flush such blocks' data, stalling the writer's next append
// for as long (measured: p99 from 6 to 90 ms at 500 messages/s when the log only grew).
// Should the log grow all the same (readers holding old snapshots), a log past walHardLimit
// pages is truncated with a blocking checkpoint, which bounds the disk it takes.
//
// The writer's threshold is writerCheckpointPages, not SQLite's 1,000: a message was about
// 17 pages of log when it committed alone (each index and table it touches is a page; 15
// since migration 00010), so
// 1,000 pages came every 0.12 s at 500 messages/s, and each such commit stalled the writer
// 3–13 ms; 7 % of the time went there. At 16,000 pages (a 64 MB log, reused) they come
// every two seconds: p99 at 500 messages/s fell from 8.4–9.2 ms to 4.4–6.0 ms
// (docs/decisions.md).

const (
	checkpointEvery       = 100 * time.Millisecond // at most this often, and only after writes
	writerCheckpointPages = 16000                  // the writer checkpoints the log past this (64 MB)
	walHardLimit          = 64 << 10               // pages (256 MB at 4 KB): then a blocking checkpoint
)

var (
	checkpointSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "baton_db_checkpoint_seconds",
		Help:    "Time one background SQLite WAL checkpoint took (off the write path).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	walPages = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "baton_db_wal_pages",
		Help: "Pages in the SQLite write-ahead log after the last checkpoint.",
	})
	checkpointErrors = promauto.NewCounter(prometheus.CounterOpts{
		Name: "baton_db_checkpoint_errors_total",
		Help: "Background SQLite checkpoints that failed (the log then grows until one succeeds).",
	})
)

type checkpointer struct {
	conn  *sql.DB // its own connection: a checkpoint never waits for the writer's
	dirty atomic.Bool
	stop  chan struct{}
	done  chan struct{}
	halt  sync.Once // stops the loop
	once  sync.Once // closes
	err   error     // of close
	// hardLimit is the log size in pages past which a blocking checkpoint truncates it.
	hardLimit atomic.Int64
}

func newCheckpointer(path string) (*checkpointer, error) {
	conn, err := openSQLite(path, false)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	c := &checkpointer{conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	c.hardLimit.Store(walHardLimit)
	go c.loop()
	return c, nil
}

// wrote tells the checkpointer that the log has grown.
func (c *checkpointer) wrote() { c.dirty.Store(true) }

func (c *checkpointer) loop() {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for idle := 0; ; {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		// River's own transactions on the writer do not call wrote; a checkpoint with
		// nothing to copy costs one small read, so every tenth tick runs regardless.
		if !c.dirty.Swap(false) {
			if idle++; idle < 10 {
				continue
			}
		}
		idle = 0
		if _, err := c.checkpoint(context.Background()); err != nil {
			checkpointErrors.Inc()
		}
	}
}

// checkpoint runs one PASSIVE checkpoint, and a blocking TRUNCATE one if the log is past
// the hard limit all the same. It returns the log's size in pages after it.
func (c *checkpointer) checkpoint(ctx context.Context) (int, error) {
	start := time.Now()
	log, err := c.run(ctx, "PASSIVE")
	if err == nil && int64(log) > c.hardLimit.Load() {
		log, err = c.run(ctx, "TRUNCATE")
	}
	checkpointSeconds.Observe(time.Since(start).Seconds())
	if err == nil {
		walPages.Set(float64(log))
	}
	return log, err
}

func (c *checkpointer) run(ctx context.Context, mode string) (int, error) {
	var busy, log, copied int
	if err := c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &copied); err != nil {
		return 0, fmt.Errorf("store: checkpoint %s: %w", mode, err)
	}
	return log, nil
}

// stopLoop stops the background checkpoints (checkpoint may still be called).
func (c *checkpointer) stopLoop() {
	c.halt.Do(func() { close(c.stop) })
	<-c.done
}

// close stops the loop and, once the writer is closed too, empties the log into the
// database file so that a stopped node leaves one file behind.
func (c *checkpointer) close() error {
	c.once.Do(func() {
		c.stopLoop()
		_, err := c.run(context.Background(), "TRUNCATE")
		c.err = errors.Join(err, c.conn.Close())
	})
	return c.err
}
