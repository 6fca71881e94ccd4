package demo_test

import (
	"context"
	"testing"

	"github.com/baton-chat/baton/internal/demo"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// The bulk loader (baton demo --conversations …) indexes the messages it writes as the
// group commit does: the index agrees with the table, and its words are found.
func TestGenerateIndexesItsMessages(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	if _, err := demo.Generate(ctx, db, demo.Options{Conversations: 40, Messages: 400, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("messages_fts integrity-check: %v", err)
	}
	var indexed, stored int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(DISTINCT rowid) FROM messages_fts WHERE messages_fts MATCH 'the OR a OR order OR refund OR hello'`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored < 400 || indexed == 0 {
		t.Errorf("%d messages stored, %d found by common words", stored, indexed)
	}
}

// On both databases Generate fills the account it creates and leaves the search data
// whole: on PostgreSQL the search indexes and triggers it set aside for the load are
// back, and every conversation has its search row.
func TestGenerateLeavesSearchWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc, err := demo.Generate(ctx, db, demo.Options{Conversations: 30, Messages: 200, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		var convs, msgs int
		if err := db.Reader().QueryRow(ctx, `SELECT count(*) FROM conversations WHERE account_id = $1`, acc.ID).Scan(&convs); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRow(ctx, `SELECT count(*) FROM messages WHERE account_id = $1`, acc.ID).Scan(&msgs); err != nil {
			t.Fatal(err)
		}
		if convs != 30 || msgs != 200 {
			t.Errorf("Generate made %d conversations and %d messages, want 30 and 200", convs, msgs)
		}
		if db.Dialect != store.Postgres {
			return
		}
		var heads, indexes, disabled int
		if err := db.Reader().QueryRow(ctx, `SELECT count(*) FROM conversation_heads h JOIN conversations c ON c.id = h.conversation_id
			WHERE c.account_id = $1`, acc.ID).Scan(&heads); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRow(ctx, `SELECT count(*) FROM pg_indexes
			WHERE indexname IN ('messages_content_tsv', 'conversation_heads_head')`).Scan(&indexes); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRow(ctx, `SELECT count(*) FROM pg_trigger
			WHERE tgname IN ('conversations_search_insert', 'messages_search') AND tgenabled = 'D'`).Scan(&disabled); err != nil {
			t.Fatal(err)
		}
		if heads != 30 || indexes != 2 || disabled != 0 {
			t.Errorf("after Generate: %d search heads (want 30), %d search indexes (want 2), %d triggers off (want 0)", heads, indexes, disabled)
		}
	})
}
