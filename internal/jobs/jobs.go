// Package jobs runs Baton's durable background work on River: bot answers, channel
// delivery, timers, analysis and webhooks. Jobs are enqueued in the same transaction as
// the change that causes them (store.Tx), so nothing acknowledged is lost and nothing
// rolled back runs.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/baton-chat/baton/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Queue is the job client for the store's database.
type Queue struct {
	sqlite *river.Client[*sql.Tx]
	pg     *river.Client[pgx.Tx]
}

// migrationLock serialises River's migrations between nodes starting at once.
const migrationLock = 7243520001

// Config tunes the queue.
type Config struct {
	Workers *river.Workers
	Logger  *slog.Logger
	// MaxWorkers is how many jobs of the default queue run at once on this node (default
	// 20).
	MaxWorkers int
	// ChannelWorkers is how many channel deliveries (store.QueueChannels) run at once on
	// this node, besides MaxWorkers (default 20).
	ChannelWorkers int
	// Insert-only clients enqueue but never work (for CLI tools and tests).
	InsertOnly bool
	// Periodic jobs run on the elected leader only.
	Periodic []*river.PeriodicJob
}

// New migrates River's tables and builds the client (not started).
func New(ctx context.Context, d *store.DB, c Config) (*Queue, error) {
	if c.MaxWorkers == 0 {
		c.MaxWorkers = 20
	}
	if c.ChannelWorkers == 0 {
		c.ChannelWorkers = 20
	}
	rc := &river.Config{Logger: c.Logger, JobTimeout: 2 * time.Minute, MaxAttempts: 5,
		RescueStuckJobsAfter: 5 * time.Minute}
	if !c.InsertOnly {
		rc.Workers = c.Workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: c.MaxWorkers},
			store.QueueChannels: {MaxWorkers: c.ChannelWorkers}}
		rc.PeriodicJobs = c.Periodic
	}
	q := &Queue{}
	switch d.Dialect {
	case store.Postgres:
		driver := riverpgxv5.New(d.Pool())
		conn, err := d.Pool().Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLock)); err != nil {
			return nil, fmt.Errorf("jobs: migration lock: %w", err)
		}
		defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLock))
		m, err := rivermigrate.New(driver, nil)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return nil, fmt.Errorf("jobs: migrate: %w", err)
		}
		if q.pg, err = river.NewClient(driver, rc); err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
	default:
		driver := riversqlite.New(d.SQL())
		m, err := rivermigrate.New(driver, nil)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return nil, fmt.Errorf("jobs: migrate: %w", err)
		}
		// SQLite has no LISTEN/NOTIFY: poll often (a cheap indexed query) so a bot answer
		// does not wait a second.
		rc.FetchPollInterval = 50 * time.Millisecond
		rc.FetchCooldown = 10 * time.Millisecond
		if q.sqlite, err = river.NewClient(driver, rc); err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
	}
	return q, nil
}

// InsertTx enqueues a job in the store transaction (it implements store.JobQueue).
func (q *Queue) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	var err error
	switch {
	case q.pg != nil && tx.PG != nil:
		_, err = q.pg.InsertTx(ctx, tx.PG, args, opts)
	case q.sqlite != nil && tx.SQL != nil:
		if tx.DeferJob(args, opts) {
			return nil
		}
		// Detached: in a group commit, a cancelled caller must not interrupt SQLite in the
		// middle of the group's transaction (see store/grouped.go).
		_, err = q.sqlite.InsertTx(context.WithoutCancel(ctx), tx.SQL, args, opts)
	default:
		err = errors.New("transaction and job client are of different databases")
	}
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// InsertManySQLite enqueues the jobs a SQLite write group deferred (it implements
// store.JobQueue).
func (q *Queue) InsertManySQLite(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error {
	if q.sqlite == nil {
		return errors.New("jobs: not a SQLite queue")
	}
	if _, err := q.sqlite.InsertManyTx(context.WithoutCancel(ctx), tx, jobs); err != nil {
		return fmt.Errorf("enqueue %d jobs: %w", len(jobs), err)
	}
	return nil
}

// Start starts working jobs.
func (q *Queue) Start(ctx context.Context) error {
	if q.pg != nil {
		return q.pg.Start(ctx)
	}
	return q.sqlite.Start(ctx)
}

// Stop waits for running jobs to finish (until ctx ends, then cancels them); unfinished
// jobs are handed back to the queue for another node or the next start (O4).
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	if q.pg != nil {
		err = q.pg.Stop(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = q.pg.StopAndCancel(context.Background())
		}
	} else {
		err = q.sqlite.Stop(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = q.sqlite.StopAndCancel(context.Background())
		}
	}
	return err
}

// JobsOfKind lists the jobs of a kind still to run (scheduled, available, retryable or
// running), oldest first — for operators and tests.
func (q *Queue) JobsOfKind(ctx context.Context, kind string) ([]*rivertype.JobRow, error) {
	params := river.NewJobListParams().Kinds(kind).States(rivertype.JobStateScheduled, rivertype.JobStateAvailable,
		rivertype.JobStateRetryable, rivertype.JobStateRunning).First(1000)
	var (
		res *river.JobListResult
		err error
	)
	if q.pg != nil {
		res, err = q.pg.JobList(ctx, params)
	} else {
		res, err = q.sqlite.JobList(ctx, params)
	}
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return res.Jobs, nil
}

var _ store.JobBatcher = (*Queue)(nil)
