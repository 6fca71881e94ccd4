package notify_test

import (
	"context"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/notify"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// env is one account of a test database, acting as its owner.
type env struct {
	db      *store.DB
	tenant  *storetest.Tenant
	account *baton.Account
	bot     *baton.Chatbot
	ctx     context.Context
}

// setup creates the account "Acme" (chatbot "acme") with its owner, Olivia.
func setup(t *testing.T, db *store.DB) *env { return newAccount(t, db, "Acme", "acme") }

// otherAccount creates a second tenant, "Globex", in the same database.
func (e *env) otherAccount(t *testing.T) *env { return newAccount(t, e.db, "Globex", "globex") }

func newAccount(t *testing.T, db *store.DB, name, slug string) *env {
	tn := storetest.NewTenant(t, db, name, slug)
	return &env{db: db, tenant: tn, account: tn.Account, bot: tn.Bot, ctx: tn.Ctx}
}

// as returns a context acting as u (a signed-in user of e's account).
func (e *env) as(u *baton.User) context.Context { return e.tenant.As(u) }

// newUser adds a teammate to e's account.
func (e *env) newUser(t *testing.T, email, firstName string, role baton.Role) *baton.User {
	return e.tenant.NewUser(t, e.db, email, firstName, role)
}

// conversationIn returns a new conversation with one visitor message, in status bot (the
// only status these tests start from), and its visitor.
func (e *env) conversationIn(t *testing.T, s baton.Status) (string, *baton.Visitor) {
	t.Helper()
	if s != baton.StatusBot {
		t.Fatalf("conversationIn: no path to status %q", s)
	}
	return storetest.Conversation(t, e.db, e.bot)
}

// act applies an action as the owner and fails the test if it is refused.
func (e *env) act(t *testing.T, id string, req baton.ActionRequest) {
	t.Helper()
	if _, err := e.db.Act(e.ctx, id, req); err != nil {
		t.Fatalf("Act(%s) = %v", req.Action, err)
	}
}

func TestMentionsNotifyTeammates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ana := e.newUser(t, "ana.lopez@acme.test", "Ana", baton.RoleAgent)
		id, _ := e.conversationIn(t, baton.StatusBot)
		if _, err := e.db.Reply(e.ctx, id, "@ana can you check the refund? cc @nobody", true); err != nil {
			t.Fatal(err)
		}
		list, unread, err := notify.List(e.as(ana), e.db, 10)
		if err != nil || unread != 1 || list[0].Kind != "mention" || list[0].ActorName != "Olivia" {
			t.Fatalf("Ana's notifications = %+v (unread %d), %v", list, unread, err)
		}
		if err := notify.MarkRead(e.as(ana), e.db, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, unread, _ := notify.List(e.as(ana), e.db, 10); unread != 0 {
			t.Fatalf("unread after marking read = %d", unread)
		}
		// By the email's local part too, and never for a reply to the visitor.
		e.act(t, id, baton.ActionRequest{Action: baton.ActionJoin})
		e.act(t, id, baton.ActionRequest{Action: baton.ActionAccept})
		if _, err := e.db.Reply(e.ctx, id, "thanks @ana.lopez", false); err != nil {
			t.Fatal(err)
		}
		if list, _, _ := notify.List(e.as(ana), e.db, 10); len(list) != 1 {
			t.Fatalf("a reply to the visitor notified a mention: %+v", list)
		}
		if _, err := e.db.Reply(e.ctx, id, "ping @Ana.Lopez", true); err != nil {
			t.Fatal(err)
		}
		if list, _, _ := notify.List(e.as(ana), e.db, 10); len(list) != 2 {
			t.Fatalf("a mention by email local part did not notify: %+v", list)
		}
		// Another account's user of the same name is not notified.
		other := e.otherAccount(t)
		otherAna := other.newUser(t, "ana@globex.test", "Ana", baton.RoleAgent)
		if list, _, _ := notify.List(other.as(otherAna), other.db, 10); len(list) != 0 {
			t.Fatalf("a mention crossed accounts: %+v", list)
		}
	})
}
