package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// BulkLoad runs load, which writes an account's rows with BulkInsert, and then brings
// the search data and the planner's statistics up to date. On PostgreSQL it drops the
// search indexes and turns off the search triggers for the load (building the indexes
// once at the end is many times faster than keeping them up to date row by row), then
// writes the account's search rows in one statement each and builds the indexes again;
// the indexes and triggers come back even when load fails. Meant for a database not in
// use meanwhile (baton demo). progress, when set, is told how far each stage is.
func (d *DB) BulkLoad(ctx context.Context, accountID string, progress func(stage string, done, total int), load func() error) error {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if d.Dialect == Postgres {
		for _, ix := range bulkIndexes {
			if _, err := d.pg.Exec(ctx, "DROP INDEX IF EXISTS "+ix.name); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
		}
		// The search triggers too: their rows are written in one statement at the end.
		for _, tr := range bulkTriggers {
			if _, err := d.pg.Exec(ctx, "ALTER TABLE "+tr.table+" DISABLE TRIGGER "+tr.name); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
		}
		// On an error the indexes and triggers still come back (IF NOT EXISTS makes it a
		// no-op after success).
		defer d.createBulkIndexes(context.WithoutCancel(ctx), func(string, int, int) {})
		defer d.enableBulkTriggers(context.WithoutCancel(ctx))
	}
	if err := load(); err != nil {
		return err
	}
	if d.Dialect == Postgres {
		progress("search words", 0, 1)
		for _, q := range searchBackfill {
			if _, err := d.pg.Exec(ctx, q, accountID); err != nil {
				return fmt.Errorf("generate: search words: %w", err)
			}
		}
		progress("search words", 1, 1)
		if err := d.enableBulkTriggers(ctx); err != nil {
			return err
		}
		if err := d.createBulkIndexes(ctx, progress); err != nil {
			return err
		}
		if _, err := d.pg.Exec(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
	} else if _, err := d.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// bulkIndexes are the PostgreSQL search indexes BulkLoad rebuilds after loading (the same
// definitions as migrations 00006 and 00007).
var bulkIndexes = []struct{ name, create string }{
	{"messages_content_tsv", "CREATE INDEX IF NOT EXISTS messages_content_tsv ON messages USING gin (to_tsvector('simple', content))"},
	{"conversation_heads_head", "CREATE INDEX IF NOT EXISTS conversation_heads_head ON conversation_heads USING gin (head)"},
}

// bulkTriggers are the PostgreSQL search triggers BulkLoad turns off while loading; it
// then writes the search rows with searchBackfill.
var bulkTriggers = []struct{ table, name string }{
	{"conversations", "conversations_search_insert"},
	{"messages", "messages_search"},
}

// searchBackfill writes the conversation_heads and conversation_bodies rows of an
// account's conversations (as migration 00007 does for all).
var searchBackfill = []string{`INSERT INTO conversation_heads (conversation_id, head)
SELECT c.id, baton_search_head(ct.name, ct.email, ct.phone, c.subject) FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
WHERE c.account_id = $1`, `INSERT INTO conversation_bodies (conversation_id, chunk, body)
SELECT w.id, 0, w.body FROM (
    SELECT c.id, (SELECT baton_search_agg(strip(to_tsvector('simple', m.content))) FROM messages m WHERE m.conversation_id = c.id) AS body
    FROM conversations c WHERE c.account_id = $1) w
WHERE length(w.body) > 0`}

func (d *DB) enableBulkTriggers(ctx context.Context) error {
	for _, tr := range bulkTriggers {
		if _, err := d.pg.Exec(ctx, "ALTER TABLE "+tr.table+" ENABLE TRIGGER "+tr.name); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	return nil
}

func (d *DB) createBulkIndexes(ctx context.Context, progress func(string, int, int)) error {
	for i, ix := range bulkIndexes {
		progress("search indexes", i, len(bulkIndexes))
		if _, err := d.pg.Exec(ctx, ix.create); err != nil {
			return fmt.Errorf("generate: %s: %w", ix.name, err)
		}
	}
	progress("search indexes", len(bulkIndexes), len(bulkIndexes))
	return nil
}

// BulkInsert writes rows in one transaction, bypassing the event log: COPY on
// PostgreSQL, multi-row INSERTs on SQLite, where rows of messages are added to the
// search index (messages_fts) in the same transaction. Columns name the table's own
// columns; values are what the database driver takes (time.Time, int64, string, bool).
func (d *DB) BulkInsert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if d.Dialect == Postgres {
		_, err := d.pg.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var mark int64 // messages_fts is the writer's to fill (see indexNewMessages)
	if table == "messages" {
		if err := tx.QueryRowContext(ctx, lastMessageRowid).Scan(&mark); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	per := max(1, 30000/len(cols))
	var stmt *sql.Stmt
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(len(rows), start+per)]
		if stmt == nil || len(chunk) != per {
			one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
			q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", len(chunk)), ",")
			if stmt != nil {
				stmt.Close()
			}
			if stmt, err = tx.PrepareContext(ctx, q); err != nil {
				return fmt.Errorf("insert %s: %w", table, err)
			}
		}
		args := make([]any, 0, len(chunk)*len(cols))
		for _, row := range chunk {
			args = append(args, row...)
		}
		if _, err := stmt.ExecContext(ctx, sqliteArgs(args)...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	if stmt != nil {
		stmt.Close()
	}
	if table == "messages" {
		if _, err := tx.ExecContext(ctx, indexNewMessages, mark); err != nil {
			return fmt.Errorf("index messages: %w", err)
		}
	}
	return tx.Commit()
}
