package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
)

// SQLite parses a statement for longer than it runs most of ours, and database/sql prepares
// nothing by itself: every QueryContext/ExecContext on a connection parses its SQL again.
// The connections Baton opens keep their statements prepared instead, per connection, keyed
// by the SQL text and bounded (least recently used first out). This sits below
// database/sql, so it serves every user of the connection the same way — our queries, and
// River's (riversqlite), which run on the same writer.

// maxConnStmts bounds the statements kept per connection (the list's filters and River's
// queries make a few hundred shapes at most).
const maxConnStmts = 256

// openSQLiteDB opens a database/sql pool whose connections cache their statements.
func openSQLiteDB(dsn string) *sql.DB {
	return sql.OpenDB(stmtConnector{dsn: dsn, drv: sqliteDriver})
}

type stmtConnector struct {
	dsn string
	drv driver.Driver
}

func (c stmtConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	base, ok := conn.(baseConn)
	if !ok { // not the driver we know: no cache
		return conn, nil
	}
	return &stmtConn{baseConn: base, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

func (c stmtConnector) Driver() driver.Driver { return c.drv }

// baseConn is what modernc.org/sqlite's connection implements and database/sql uses.
type baseConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is one connection with its prepared statements. database/sql never uses a
// connection from two goroutines at once, so it needs no lock.
type stmtConn struct {
	baseConn
	stmts map[string]*list.Element // SQL → element of lru holding a *connStmt
	lru   *list.List               // front: most recently used
}

type connStmt struct {
	sql  string
	st   driver.Stmt
	busy bool // rows of it are open: a second use meanwhile gets a statement of its own
}

// stmtFor returns the cached statement for query, preparing it once; nil means run the
// query unprepared (a script of several statements, a statement in use, or a prepare error,
// which the unprepared run then reports).
func (c *stmtConn) stmtFor(ctx context.Context, query string) *connStmt {
	if !singleStatement(query) {
		return nil
	}
	if e, ok := c.stmts[query]; ok {
		c.lru.MoveToFront(e)
		cs := e.Value.(*connStmt)
		if cs.busy {
			return nil
		}
		return cs
	}
	st, err := c.baseConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	cs := &connStmt{sql: query, st: st}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > maxConnStmts {
		old := c.lru.Back()
		ocs := old.Value.(*connStmt)
		if ocs.busy {
			break // closed when evicted later; a busy statement is at most a few
		}
		c.lru.Remove(old)
		delete(c.stmts, ocs.sql)
		ocs.st.Close()
	}
	return cs
}

// singleStatement reports whether query holds one statement (a trailing ';' allowed):
// scripts run unprepared, statement by statement, as the driver does them.
func singleStatement(query string) bool {
	q := strings.TrimRight(query, " \t\r\n;")
	return q != "" && !strings.Contains(q, ";")
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if cs := c.stmtFor(ctx, query); cs != nil {
		return cs.st.(driver.StmtExecContext).ExecContext(ctx, args)
	}
	return c.baseConn.ExecContext(ctx, query, args)
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.stmtFor(ctx, query)
	if cs == nil {
		return c.baseConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	full, ok := rows.(typedRows)
	if !ok {
		rows.Close()
		return c.baseConn.QueryContext(ctx, query, args)
	}
	cs.busy = true
	return &stmtRows{typedRows: full, cs: cs}, nil
}

func (c *stmtConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*connStmt).st.Close()
	}
	clear(c.stmts)
	c.lru.Init()
	return c.baseConn.Close()
}

// typedRows is what the driver's rows implement (column types for database/sql).
type typedRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// stmtRows frees its statement for the next use when closed.
type stmtRows struct {
	typedRows
	cs *connStmt
}

func (r *stmtRows) Close() error {
	err := r.typedRows.Close()
	r.cs.busy = false
	return err
}
