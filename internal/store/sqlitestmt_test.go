package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// A statement whose rows are still open is not reused under them, a script of several
// statements still runs, and the cache stays bounded.
func TestConnStatements(t *testing.T) {
	ctx := context.Background()
	db := openSQLiteDB("file:" + filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
	outer, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var n int
		outer.Scan(&n)
		inner, err := tx.QueryContext(ctx, q, n) // the same SQL while outer is open
		if err != nil {
			t.Fatal(err)
		}
		var ns []int
		for inner.Next() {
			var m int
			inner.Scan(&m)
			ns = append(ns, m)
		}
		inner.Close()
		got = append(got, fmt.Sprint(n, ns))
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 [1 2 3] 2 [2 3] 3 [3]]" {
		t.Errorf("nested reads %v", got)
	}
	for i := range maxConnStmts + 50 {
		var n int
		if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) + %d FROM t", i)).Scan(&n); err != nil || n != 3+i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	tx.Commit()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Raw(func(dc any) error {
		if n := len(dc.(*stmtConn).stmts); n > maxConnStmts {
			t.Errorf("%d statements kept, the bound is %d", n, maxConnStmts)
		}
		return nil
	})
}
