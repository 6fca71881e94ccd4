package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// Visitor tokens expire after 30 days unused or 180 days in all (issue 18, item 14), also
// when this node's cache still holds them; their last use is written at most once an hour.
func TestVisitorTokenExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		open := func() string {
			t.Helper()
			s, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme"})
			if err != nil {
				t.Fatalf("OpenSession = %v", err)
			}
			return s.Token
		}
		auth := func(token string) error {
			_, err := db.AuthenticateVisitor(ctx, token)
			return err
		}
		// Each anonymous session is a contact of its own, with one token.
		lastUsed := func(token string) *time.Time {
			t.Helper()
			v, err := db.AuthenticateVisitor(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			var at *time.Time
			if err := db.Reader().QueryRow(ctx, `SELECT last_used_at FROM visitor_tokens WHERE contact_id = $1`, v.ContactID).Scan(&at); err != nil {
				t.Fatalf("read last_used_at: %v", err)
			}
			return at
		}

		t.Run("a token used within the idle lifetime keeps sliding, written at most hourly", func(t *testing.T) {
			tok := open()
			for range 3 {
				e.clock.Add(10 * time.Minute)
				if err := auth(tok); err != nil {
					t.Fatalf("AuthenticateVisitor = %v, want the visitor", err)
				}
			}
			if at := lastUsed(tok); at != nil {
				t.Errorf("last_used_at = %v after 30 minutes, want NULL (not written on every request)", at)
			}
			e.clock.Add(40 * time.Minute)
			if err := auth(tok); err != nil {
				t.Fatalf("AuthenticateVisitor = %v", err)
			}
			if at := lastUsed(tok); at == nil || !at.Equal(e.clock.Now()) {
				t.Errorf("last_used_at = %v, want %v (touched after an hour)", at, e.clock.Now())
			}
			for range 3 { // 3 × 29 days: idle never reaches 30
				e.clock.Add(29 * 24 * time.Hour)
				if err := auth(tok); err != nil {
					t.Fatalf("AuthenticateVisitor after 29 idle days = %v, want the visitor", err)
				}
			}
		})

		t.Run("a token unused for 30 days is refused, even from the cache", func(t *testing.T) {
			tok := open()
			if err := auth(tok); err != nil { // cached now
				t.Fatal(err)
			}
			e.clock.Add(30*24*time.Hour + time.Minute)
			err := auth(tok)
			if baton.ErrorCode(err) != baton.EUNAUTHORIZED {
				t.Fatalf("AuthenticateVisitor after 30 idle days = %v, want unauthorized", err)
			}
			if msg := baton.ErrorMessage(err); msg != "The visitor token has expired: open a new session." {
				t.Errorf("message = %q", msg)
			}
		})

		t.Run("a token is refused 180 days after it was made, however often used", func(t *testing.T) {
			tok := open()
			for day := 1; day < 180; day += 10 {
				e.clock.Add(10 * 24 * time.Hour)
				if err := auth(tok); err != nil && day+10 < 180 {
					t.Fatalf("AuthenticateVisitor on day %d = %v", day+10, err)
				}
			}
			e.clock.Add(24 * time.Hour)
			if err := auth(tok); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
				t.Fatalf("AuthenticateVisitor after 180 days = %v, want unauthorized", err)
			}
		})

		t.Run("the lifetimes are configurable and prune deletes expired tokens only", func(t *testing.T) {
			db.SetVisitorTokenLifetime(time.Hour, 24*time.Hour)
			defer db.SetVisitorTokenLifetime(0, 0)
			old, fresh := open(), open()
			e.clock.Add(50 * time.Minute)
			if err := auth(fresh); err != nil {
				t.Fatal(err)
			}
			e.clock.Add(20 * time.Minute) // old: 70 min unused; fresh: 20
			if err := auth(old); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
				t.Errorf("AuthenticateVisitor(unused 70 min, idle 1 h) = %v, want unauthorized", err)
			}
			n, err := db.PruneVisitorTokens(ctx)
			if err != nil {
				t.Fatalf("PruneVisitorTokens = %v", err)
			}
			if n < 1 {
				t.Errorf("PruneVisitorTokens deleted %d, want at least the expired one", n)
			}
			if err := auth(fresh); err != nil {
				t.Errorf("AuthenticateVisitor(fresh) after prune = %v, want the visitor", err)
			}
			if err := auth(old); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
				t.Errorf("AuthenticateVisitor(pruned) = %v, want unauthorized", err)
			}
		})
	})
}
