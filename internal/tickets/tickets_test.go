package tickets_test

import (
	"context"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/tickets"
)

// env is one account of a test database, acting as its owner.
type env struct {
	db  *store.DB
	bot *baton.Chatbot
	ctx context.Context
}

// setup creates the account "Acme" (chatbot "acme") with its owner.
func setup(t *testing.T, db *store.DB) *env { return newAccount(t, db, "Acme", "acme") }

// otherAccount creates a second tenant, "Globex", in the same database.
func (e *env) otherAccount(t *testing.T) *env { return newAccount(t, e.db, "Globex", "globex") }

func newAccount(t *testing.T, db *store.DB, name, slug string) *env {
	tn := storetest.NewTenant(t, db, name, slug)
	return &env{db: db, bot: tn.Bot, ctx: tn.Ctx}
}

// conversationIn returns a new conversation with one visitor message, in status bot (the
// only status these tests need), and its visitor.
func (e *env) conversationIn(t *testing.T, s baton.Status) (string, *baton.Visitor) {
	t.Helper()
	if s != baton.StatusBot {
		t.Fatalf("conversationIn: no path to status %q", s)
	}
	return storetest.Conversation(t, e.db, e.bot)
}

func ptr[T any](v T) *T { return &v }

func TestATicketLinksTwoConversations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		a, _ := e.conversationIn(t, baton.StatusBot)
		b, _ := e.conversationIn(t, baton.StatusBot)
		tk, err := tickets.Create(e.ctx, e.db, baton.TicketCreate{Subject: "Refund for order 42", Priority: baton.PriorityHigh, ConversationIDs: []string{a}})
		if err != nil {
			t.Fatal(err)
		}
		tk, err = tickets.Update(e.ctx, e.db, tk.ID, baton.TicketUpdate{Link: []string{b}, Status: ptr(baton.TicketPending)})
		if err != nil {
			t.Fatal(err)
		}
		if len(tk.ConversationIDs) != 2 || tk.Status != baton.TicketPending || tk.Number != 1 {
			t.Fatalf("ticket = %+v", tk)
		}
		for _, id := range []string{a, b} {
			ts, err := tickets.OfConversation(e.ctx, e.db, id)
			if err != nil || len(ts) != 1 || ts[0].ID != tk.ID {
				t.Fatalf("tickets of %s = %+v, %v", id, ts, err)
			}
		}
		list, _, err := tickets.List(e.ctx, e.db, baton.TicketFilter{Status: baton.TicketPending})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListTickets(pending) = %d, %v", len(list), err)
		}
		other := e.otherAccount(t)
		if _, err := tickets.Update(other.ctx, other.db, tk.ID, baton.TicketUpdate{Link: []string{a}}); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Fatalf("another account updates our ticket: %v", err)
		}
		oc, _ := other.conversationIn(t, baton.StatusBot)
		if _, err := tickets.Update(e.ctx, e.db, tk.ID, baton.TicketUpdate{Link: []string{oc}}); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Fatalf("linking another account's conversation = %v, want not_found", err)
		}
	})
}
