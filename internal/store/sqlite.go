package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// The queries are written (and type-checked by sqlc) in PostgreSQL's dialect, which SQLite
// also speaks for everything we use, except placeholders: $N becomes ?N, which SQLite binds
// to the N-th argument exactly as PostgreSQL does. sqliteConn adapts database/sql to the
// pgx-shaped DBTX that sqlc generated, so one set of queries serves both databases.

// timeLayout is how times are stored in SQLite: fixed width, UTC, microseconds (the same
// precision as PostgreSQL), so that text order is time order.
const timeLayout = "2006-01-02 15:04:05.000000Z"

type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqliteConn runs queries on a pool (q) or a transaction (tx, with q == tx). It reuses
// prepared statements from its cache: SQLite spends more time parsing a statement than
// running most of ours.
type sqliteConn struct {
	q     sqlQuerier
	tx    *sql.Tx
	cache *stmtCache
}

// maxCachedStmts bounds the cache (the list's filters make many query shapes).
const maxCachedStmts = 512

// stmtCache holds statements prepared on one pool. A statement the writer's transaction
// needs for the first time cannot be prepared on the pool meanwhile (the transaction holds
// its only connection): it is noted, and prepared after the commit.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[q]
}

func (c *stmtCache) want(q string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stmts)+len(c.wanted) < maxCachedStmts {
		c.wanted[q] = true
	}
}

// prepare prepares q on the pool now (never while one of its transactions runs).
func (c *stmtCache) prepare(ctx context.Context, q string) {
	c.mu.Lock()
	full := len(c.stmts) >= maxCachedStmts
	_, done := c.stmts[q]
	c.mu.Unlock()
	if full || done {
		return
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return // the query runs unprepared; its own error shows there
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stmts[q]; ok || len(c.stmts) >= maxCachedStmts {
		st.Close()
		return
	}
	c.stmts[q] = st
}

// prepareWanted prepares the statements transactions asked for (after their commit).
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var qs []string
	for q := range c.wanted {
		qs = append(qs, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range qs {
		c.prepare(ctx, q)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	clear(c.stmts)
}

// stmt returns the cached statement for q, bound to the transaction if there is one, or
// nil (and notes or prepares it for next time).
func (c sqliteConn) stmt(ctx context.Context, q string) *sql.Stmt {
	if c.cache == nil {
		return nil
	}
	st := c.cache.get(q)
	if st == nil {
		if c.tx != nil {
			c.cache.want(q)
		} else {
			c.cache.prepare(ctx, q)
			st = c.cache.get(q)
		}
	}
	if st != nil && c.tx != nil {
		st = c.tx.StmtContext(ctx, st)
	}
	return st
}

var (
	placeholder = regexp.MustCompile(`\$(\d+)`)
	// castSuffix matches PostgreSQL casts (`$3::text`) that sqlc needs to type a
	// parameter; SQLite is dynamically typed and does not know the syntax.
	castSuffix = regexp.MustCompile(`::[a-z]+`)
)

var rewritten sync.Map // query text → SQLite query text

func sqliteQuery(q string) string {
	if v, ok := rewritten.Load(q); ok {
		return v.(string)
	}
	r := placeholder.ReplaceAllString(castSuffix.ReplaceAllString(q, ""), "?$1")
	rewritten.Store(q, r)
	return r
}

func sqliteArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			out[i] = v.UTC().Format(timeLayout)
		case *time.Time:
			if v == nil {
				out[i] = nil
			} else {
				out[i] = v.UTC().Format(timeLayout)
			}
		default:
			out[i] = a
		}
	}
	return out
}

func (c sqliteConn) Exec(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error) {
	q := sqliteQuery(query)
	var (
		res sql.Result
		err error
	)
	if st := c.stmt(ctx, q); st != nil {
		res, err = st.ExecContext(ctx, sqliteArgs(args)...)
	} else {
		res, err = c.q.ExecContext(ctx, q, sqliteArgs(args)...)
	}
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	return pgconn.NewCommandTag(fmt.Sprintf("UPDATE %d", n)), nil
}

func (c sqliteConn) query(ctx context.Context, query string, args []any) (*sql.Rows, error) {
	q := sqliteQuery(query)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, sqliteArgs(args)...)
	}
	return c.q.QueryContext(ctx, q, sqliteArgs(args)...)
}

func (c sqliteConn) Query(ctx context.Context, query string, args ...any) (pgx.Rows, error) {
	rows, err := c.query(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return &sqliteRows{rows: rows}, nil
}

func (c sqliteConn) QueryRow(ctx context.Context, query string, args ...any) pgx.Row {
	rows, err := c.query(ctx, query, args)
	return &sqliteRow{rows: rows, err: err}
}

type sqliteRow struct {
	rows *sql.Rows
	err  error
}

func (r *sqliteRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(wrapDest(dest)...); err != nil {
		return err
	}
	return r.rows.Close()
}

type sqliteRows struct {
	rows *sql.Rows
	err  error
}

func (r *sqliteRows) Close()                                       { r.rows.Close() }
func (r *sqliteRows) Err() error                                   { return errors.Join(r.err, r.rows.Err()) }
func (r *sqliteRows) CommandTag() pgconn.CommandTag                { return pgconn.NewCommandTag("SELECT") }
func (r *sqliteRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (r *sqliteRows) Next() bool                                   { return r.err == nil && r.rows.Next() }
func (r *sqliteRows) Scan(dest ...any) error {
	err := r.rows.Scan(wrapDest(dest)...)
	if err != nil {
		r.err = err
	}
	return err
}
func (r *sqliteRows) Values() ([]any, error) {
	return nil, errors.New("store: Values is not supported on SQLite")
}
func (r *sqliteRows) RawValues() [][]byte  { return nil }
func (r *sqliteRows) Conn() *pgx.Conn      { return nil }
func (r *sqliteRows) TypeMap() *pgtype.Map { return nil }

// wrapDest replaces time destinations with scanners that read our stored text.
func wrapDest(dest []any) []any {
	out := dest
	for i, d := range dest {
		switch v := d.(type) {
		case *time.Time:
			if &out[0] == &dest[0] {
				out = append([]any(nil), dest...)
			}
			out[i] = timeScanner{t: v}
		case **time.Time:
			if &out[0] == &dest[0] {
				out = append([]any(nil), dest...)
			}
			out[i] = nullTimeScanner{t: v}
		}
	}
	return out
}

type timeScanner struct{ t *time.Time }

func (s timeScanner) Scan(src any) error {
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	if t == nil {
		return errors.New("store: NULL in a NOT NULL time column")
	}
	*s.t = *t
	return nil
}

type nullTimeScanner struct{ t **time.Time }

func (s nullTimeScanner) Scan(src any) error {
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	*s.t = t
	return nil
}

var timeLayouts = []string{timeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"}

func parseTime(src any) (*time.Time, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t := v.UTC()
		return &t, nil
	case string:
		return parseTimeText(v)
	case []byte:
		return parseTimeText(string(v))
	case int64:
		t := time.UnixMicro(v).UTC()
		return &t, nil
	}
	return nil, fmt.Errorf("store: cannot read %T as a time", src)
}

func parseTimeText(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fmt.Errorf("store: cannot parse time %q", s)
}
