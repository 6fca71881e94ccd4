package store

import (
	"context"
	"testing"

	"github.com/baton-chat/baton"
)

// A message its group has not indexed yet is redacted in that group: the index must stay
// whole (the update trigger deletes words messages_fts must hold) and lose the words.
func TestRedactContactMessagesInTheGroupThatStoredThem(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer d.Close()
	acct, _, err := d.CreateAccount(ctx, "Acme", "demo", "Demo Bot")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	sess, err := d.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "demo", Name: "Zelda"})
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	v, err := d.AuthenticateVisitor(ctx, sess.Token)
	if err != nil {
		t.Fatalf("AuthenticateVisitor: %v", err)
	}
	if _, err := d.PostVisitorMessage(ctx, v, "alpha indexed already"); err != nil {
		t.Fatalf("PostVisitorMessage: %v", err)
	}
	err = d.Write(ctx, func(tx *Tx) error {
		if err := tx.beforeMessage(ctx); err != nil {
			return err
		}
		if _, err := tx.Conn().Exec(ctx, `INSERT INTO messages (id, account_id, conversation_id, seq, kind, content, created_at)
VALUES ($1, $2, $3, 1000, 'visitor', 'bravo not indexed yet', $4)`, d.NewID(), acct.ID, sess.ConversationID, tx.Now()); err != nil {
			return err
		}
		n, err := tx.RedactContactMessages(ctx, acct.ID, v.ContactID)
		if err == nil && n < 2 {
			t.Errorf("RedactContactMessages changed %d messages, want at least 2", n)
		}
		return err
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if _, err := d.SQL().ExecContext(ctx, "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"); err != nil {
		t.Errorf("messages_fts integrity check: %v", err)
	}
	for _, word := range []string{"alpha", "bravo"} {
		var n int
		if err := d.SQL().QueryRowContext(ctx, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", word).Scan(&n); err != nil {
			t.Fatalf("match %s: %v", word, err)
		}
		if n != 0 {
			t.Errorf("messages_fts still finds %q in %d messages after redaction", word, n)
		}
	}
}
