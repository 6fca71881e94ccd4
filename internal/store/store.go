// Package store keeps Baton's data in SQLite (the default, embedded) or PostgreSQL, with one
// set of sqlc queries for both, and implements the services of package baton on top of it.
// Each service method runs in one transaction and publishes its events after commit.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Dialect names the database behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database with its services' shared state.
type DB struct {
	Dialect Dialect

	pg     *pgxpool.Pool
	writer *sql.DB // SQLite: the single writer connection
	reader *sql.DB // SQLite: read-only pool

	// Now returns the current time; tests replace it.
	Now func() time.Time
	// NewID returns a new public id; tests may replace it.
	NewID func() string
	// Publisher receives events after each commit.
	Publisher baton.Publisher
	// Jobs enqueues background work in the same transaction (nil: no jobs).
	Jobs JobQueue
	// Secrets seals stored secrets (nil: stored as given — tests only).
	Secrets *secret.Box
	// AsksForPerson, when set, tells whether a visitor's message asks for a person (H2),
	// with the reason to record and the bot's reply: the conversation is then handed off
	// in the message's own transaction, without waiting for a bot job.
	AsksForPerson func(text string) (ok bool, reason, reply string)
	// SessionIdle and SessionMax bound agents' sessions: idle time since the last request,
	// and lifetime since sign-in (0: DefaultSessionIdle, DefaultSessionMax).
	SessionIdle, SessionMax time.Duration
	// Brief writes the handoff brief from the visitor's messages, oldest first (B3).
	Brief func(visitorMessages []string) string
	// AnalysisAttempts is how many times an analysis job is tried (0:
	// DefaultAnalysisMaxAttempts).
	AnalysisAttempts int
	// AnalysisClosed, when set, runs in the transaction that records how the analysis of a
	// closed conversation ended, with the conversation and the analysis: package webhooks
	// queues the conversation.closed webhook there (set while wiring).
	AnalysisClosed func(ctx context.Context, tx *Tx, accountID string, conv *baton.Conversation, an *baton.Analysis) error

	hooks    []TxHook
	visitors visitorCache  // the visitors of recently used tokens
	group    *groupCommit  // SQLite: the writer's group commit
	ckpt     *checkpointer // SQLite: checkpoints the log beside the writer
}

// TxHook sees the events of a transaction just before it commits, and may write in it —
// typically to enqueue the jobs the events cause (channel delivery, webhooks, analysis),
// so that they commit or roll back with the change. An error rolls everything back.
type TxHook func(ctx context.Context, tx *Tx, events []*baton.Event) error

// AddTxHook registers a hook; call it while wiring, before serving.
func (d *DB) AddTxHook(h TxHook) { d.hooks = append(d.hooks, h) }

func (d *DB) runHooks(ctx context.Context, tx *Tx) error {
	if len(tx.events) == 0 {
		return nil
	}
	for _, h := range d.hooks {
		if err := h(ctx, tx, tx.events); err != nil {
			return err
		}
	}
	return nil
}

// JobQueue enqueues River jobs inside a store transaction.
type JobQueue interface {
	InsertTx(ctx context.Context, tx *Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// JobBatcher is a JobQueue that also inserts many jobs at once on SQLite: then, in a group
// commit's first attempt, its InsertTx may hand a job to Tx.DeferJob, and the group
// inserts its writes' jobs with one InsertManySQLite before COMMIT.
type JobBatcher interface {
	JobQueue
	InsertManySQLite(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error
}

// Seal encrypts a secret for storage (as given when the DB has no Secrets box: tests only);
// Unseal reverses it.
func (d *DB) Seal(s string) string { return d.seal(s) }

func (d *DB) seal(s string) string {
	if d.Secrets == nil {
		return s
	}
	return d.Secrets.Seal(s)
}

// Unseal decrypts a sealed secret.
func (d *DB) Unseal(sealed string) (string, error) {
	if d.Secrets == nil {
		return sealed, nil
	}
	return d.Secrets.Open(sealed)
}

// Config says which database to open.
type Config struct {
	// URL is a postgres:// URL; empty means SQLite in DataDir.
	URL     string
	DataDir string
	// MaxConns caps the PostgreSQL pool (0 means pgx's default).
	MaxConns int32
}

// Open opens the database and runs the migrations.
func Open(ctx context.Context, c Config) (*DB, error) {
	d := &DB{
		Now:       func() time.Time { return time.Now().UTC() },
		NewID:     newID,
		Publisher: baton.NopPublisher{},
	}
	if c.URL != "" {
		if !strings.HasPrefix(c.URL, "postgres://") && !strings.HasPrefix(c.URL, "postgresql://") {
			return nil, fmt.Errorf("store: database URL must start with postgres://")
		}
		cfg, err := pgxpool.ParseConfig(c.URL)
		if err != nil {
			return nil, fmt.Errorf("store: parse database URL: %w", err)
		}
		if c.MaxConns > 0 {
			cfg.MaxConns = c.MaxConns
		}
		if d.pg, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			return nil, fmt.Errorf("store: connect to PostgreSQL: %w", err)
		}
		d.Dialect = Postgres
	} else {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create data dir: %w", err)
		}
		path := filepath.Join(c.DataDir, "baton.db")
		var err error
		if d.writer, err = openSQLite(path, false); err != nil {
			return nil, err
		}
		d.writer.SetMaxOpenConns(1)
		d.writer.SetMaxIdleConns(1)
		if d.reader, err = openSQLite(path, true); err != nil {
			d.writer.Close()
			return nil, err
		}
		// Keep every reader open: a closed connection loses its prepared statements.
		d.reader.SetMaxOpenConns(4)
		d.reader.SetMaxIdleConns(4)
		if d.ckpt, err = newCheckpointer(path); err != nil {
			d.reader.Close()
			d.writer.Close()
			return nil, err
		}
		d.group = newGroupCommit(d)
		d.Dialect = SQLite
	}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func openSQLite(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Temporary files in memory: a statement that may fail half-way journals each page it
	// changes first (the statement journal), which would otherwise be a temporary file.
	q.Add("_pragma", "temp_store(2)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// The writer's own checkpoint, and the size a restarted log is cut back to on disk
		// (the checkpointer's blocking checkpoint may have let it grow): see checkpoint.go.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages))
		q.Add("_pragma", "journal_size_limit(67108864)")
	}
	db := openSQLiteDB("file:" + path + "?" + q.Encode())
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// Close releases the database.
func (d *DB) Close() error {
	if d.pg != nil {
		d.pg.Close()
	}
	var err error
	if d.group != nil {
		d.group.close()
	}
	if d.reader != nil {
		err = errors.Join(err, d.reader.Close())
	}
	if d.writer != nil {
		err = errors.Join(err, d.writer.Close())
	}
	if d.ckpt != nil {
		err = errors.Join(err, d.ckpt.close())
	}
	return err
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if d.pg != nil {
		return d.pg.Ping(ctx)
	}
	return d.writer.PingContext(ctx)
}

// Pool returns the PostgreSQL pool (nil on SQLite), for the job system.
func (d *DB) Pool() *pgxpool.Pool { return d.pg }

// SQL returns the SQLite writer (nil on PostgreSQL), for the job system.
func (d *DB) SQL() *sql.DB { return d.writer }

// read returns queries for reads outside a transaction.
func (d *DB) read() *db.Queries {
	if d.pg != nil {
		return db.New(d.pg)
	}
	return db.New(sqliteConn{q: d.reader})
}

// raw returns the DBTX for reads outside a transaction (hand-built queries).
func (d *DB) raw() db.DBTX {
	if d.pg != nil {
		return d.pg
	}
	return sqliteConn{q: d.reader}
}

// Reader is the connection for reads outside a transaction, for the queries other
// packages make of their own tables ($N placeholders on both databases).
func (d *DB) Reader() db.DBTX { return d.raw() }

// Tx is one write transaction with the events it will publish after commit.
type Tx struct {
	*db.Queries
	conn   db.DBTX
	PG     pgx.Tx  // set on PostgreSQL (for River's InsertTx)
	SQL    *sql.Tx // set on SQLite
	now    time.Time
	events []*baton.Event
	// search is the SQLite group's search-index mark (nil on PostgreSQL).
	search *searchMark
	// jobs, when not nil, collects the jobs of the write for the group commit to insert
	// together (SQLite; see DeferJob).
	jobs *[]river.InsertManyParams
	// messages are the messages of this transaction's message_created events, as emitted:
	// the hooks read them here rather than decode each event's payload again (a write
	// stores a message or two: a slice, searched, costs less than a map).
	messages []emittedMessage
	// committed runs after the commit, in order (a write may run more than once before it
	// commits, see grouped.go: what must happen once waits here).
	committed []func()
}

// afterCommit runs f once the transaction has committed, and never if it rolls back.
func (tx *Tx) afterCommit(f func()) { tx.committed = append(tx.committed, f) }

// Conn is the transaction's connection, for queries of other packages' own tables.
func (tx *Tx) Conn() db.DBTX { return tx.conn }

// Now is the transaction's clock reading (one per transaction, so all rows agree).
func (tx *Tx) Now() time.Time { return tx.now }

// DeferJob keeps a job for the group commit to insert with the group's other jobs, before
// COMMIT and after every write of the group, and reports whether it did: false means
// insert it now. River inserts many jobs in one statement for about half the cost of one
// statement each (and a bot answers every visitor message with a job).
func (tx *Tx) DeferJob(args river.JobArgs, opts *river.InsertOpts) bool {
	if tx.jobs == nil {
		return false
	}
	*tx.jobs = append(*tx.jobs, river.InsertManyParams{Args: args, InsertOpts: opts})
	return true
}

// Emit queues an event for publication after commit.
func (tx *Tx) Emit(e *baton.Event) { tx.events = append(tx.events, e) }

// emittedMessage is a message_created event with its message, as the payload has it.
type emittedMessage struct {
	e *baton.Event
	m baton.Message
}

// emitMessage queues a message_created event whose payload is m.
func (tx *Tx) emitMessage(e *baton.Event, m *baton.Message) {
	// A copy: the payload's message, whatever the caller changes in m afterwards.
	tx.messages = append(tx.messages, emittedMessage{e: e, m: *m})
	tx.Emit(e)
}

// MessageOf is the message a message_created event of this transaction carries (the
// hooks read it without decoding the payload again).
func (tx *Tx) MessageOf(e *baton.Event) (*baton.Message, error) {
	for i := range tx.messages {
		if tx.messages[i].e == e {
			return &tx.messages[i].m, nil
		}
	}
	m := new(baton.Message)
	if err := json.Unmarshal(e.Payload, m); err != nil {
		return nil, err
	}
	return m, nil
}

// Write runs fn in a transaction; it commits when fn returns nil and then publishes the
// events fn emitted. Any error rolls back everything fn did.
//
// On SQLite the writes of concurrent callers are committed together (group commit, see
// grouped.go): fn then shares a transaction with others, and Write returns once the group
// has committed. fn may run more than once before it commits (when another write of its
// group failed), so it must change nothing but the database and tx; it must not call Write
// itself.
func (d *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	if d.group != nil {
		return d.group.write(ctx, fn)
	}
	tx := &Tx{now: d.Now().UTC().Truncate(time.Microsecond)}
	ptx, err := d.pg.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer ptx.Rollback(context.WithoutCancel(ctx))
	tx.PG, tx.conn = ptx, ptx
	tx.Queries = db.New(ptx)
	if err := fn(tx); err != nil {
		return err
	}
	if err := d.runHooks(ctx, tx); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	d.publish(ctx, tx)
	return nil
}

func (d *DB) publish(ctx context.Context, tx *Tx) {
	for _, f := range tx.committed {
		f()
	}
	if len(tx.events) > 0 {
		d.Publisher.Publish(context.WithoutCancel(ctx), tx.events)
	}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// RandomToken returns a prefixed random token with 256 bits of entropy (secrets, tokens).
func RandomToken(prefix string) string { return randomToken(prefix) }

// randomToken returns a prefixed random token with 256 bits of entropy.
func randomToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + strings.TrimRight(encodeB64(b), "=")
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) }

// isUnique reports a unique-constraint violation on either database.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// IsNoRows reports that a query found no row, on either database (for feature packages
// that map it to their own not_found error).
func IsNoRows(err error) bool { return isNoRows(err) }

// IsUnique reports a unique-constraint violation on either database (for feature
// packages that map it to their own conflict error).
func IsUnique(err error) bool { return isUnique(err) }
