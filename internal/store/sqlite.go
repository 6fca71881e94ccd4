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

// sqliteConn runs queries on a pool or a transaction; the connections underneath keep
// their statements prepared (sqlitestmt.go).
type sqliteConn struct {
	q sqlQuerier
	// detach: run statements whatever happens to the caller's context. In a group commit
	// one caller's cancelled request must not interrupt SQLite mid-statement, which would
	// roll back the other callers' writes with it.
	detach bool
}

func (c sqliteConn) ctx(ctx context.Context) context.Context {
	if c.detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
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
	res, err = c.q.ExecContext(c.ctx(ctx), q, sqliteArgs(args)...)
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
	return c.q.QueryContext(c.ctx(ctx), sqliteQuery(query), sqliteArgs(args)...)
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
