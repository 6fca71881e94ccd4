package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// The conformance suite: every test runs through storetest.Each, once on SQLite and once
// on PostgreSQL when BATON_TEST_DATABASE_URL is set. Tests use only the store's exported
// methods, with an actor in the context as the API layer puts it there. Password hashing
// costs tens of milliseconds per user, so each test creates as few users as it can.

// start is the clock reading every test begins at.
var start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// clock is the tests' settable time source.
type clock = storetest.Clock

// env is one account of a test database with its owner, acting as the owner.
type env struct {
	db      *store.DB
	clock   *clock
	account *baton.Account
	bot     *baton.Chatbot
	owner   *baton.User
	ctx     context.Context
}

// setup installs a test clock on db and creates the account "Acme" (chatbot "acme") with
// its owner.
func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	c := storetest.NewClock(start)
	db.Now = c.Now
	return newAccount(t, db, c, "Acme", "acme", "owner@acme.test")
}

// otherAccount creates a second tenant, "Globex", in the same database.
func (e *env) otherAccount(t *testing.T) *env {
	t.Helper()
	return newAccount(t, e.db, e.clock, "Globex", "globex", "owner@globex.test")
}

func newAccount(t *testing.T, db *store.DB, c *clock, name, slug, ownerEmail string) *env {
	t.Helper()
	ctx := context.Background()
	acc, bot, err := db.CreateAccount(ctx, name, slug, name+" Bot")
	if err != nil {
		t.Fatalf("CreateAccount(%s) = %v", name, err)
	}
	owner, err := db.CreateUser(ctx, baton.UserCreate{AccountID: acc.ID, Email: ownerEmail, Password: "correct horse battery",
		FirstName: "Olivia", Role: baton.RoleOwner})
	if err != nil {
		t.Fatalf("CreateUser(%s) = %v", ownerEmail, err)
	}
	e := &env{db: db, clock: c, account: acc, bot: bot, owner: owner}
	e.ctx = e.as(owner)
	return e
}

// as returns a context acting as u (a signed-in user of e's account).
func (e *env) as(u *baton.User) context.Context {
	return baton.NewContextWithActor(context.Background(), &baton.Actor{AccountID: e.account.ID, User: u, SessionToken: "bts_test"})
}

// newUser adds a teammate to e's account.
func (e *env) newUser(t *testing.T, email, firstName string, role baton.Role) *baton.User {
	t.Helper()
	u, err := e.db.CreateUser(context.Background(), baton.UserCreate{AccountID: e.account.ID, Email: email,
		Password: "correct horse battery", FirstName: firstName, Role: role})
	if err != nil {
		t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	return u
}

// visitor opens a widget session on e's chatbot (anonymous when userID is empty).
func (e *env) visitor(t *testing.T, userID string) (*baton.VisitorSession, *baton.Visitor) {
	t.Helper()
	s, err := e.db.OpenSession(context.Background(), baton.VisitorSessionCreate{Chatbot: e.bot.Slug, UserID: userID})
	if err != nil {
		t.Fatalf("OpenSession(%q) = %v", userID, err)
	}
	v, err := e.db.AuthenticateVisitor(context.Background(), s.Token)
	if err != nil {
		t.Fatalf("AuthenticateVisitor = %v", err)
	}
	return s, v
}

// say posts a visitor message.
func (e *env) say(t *testing.T, v *baton.Visitor, text string) *baton.Message {
	t.Helper()
	m, err := e.db.PostVisitorMessage(context.Background(), v, text)
	if err != nil {
		t.Fatalf("PostVisitorMessage(%q) = %v", text, err)
	}
	return m
}

// act applies an action as the owner and fails the test if it is refused.
func (e *env) act(t *testing.T, id string, req baton.ActionRequest) *baton.Conversation {
	t.Helper()
	return e.actAs(t, e.ctx, id, req)
}

func (e *env) actAs(t *testing.T, ctx context.Context, id string, req baton.ActionRequest) *baton.Conversation {
	t.Helper()
	c, err := e.db.Act(ctx, id, req)
	if err != nil {
		t.Fatalf("Act(%s) = %v", req.Action, err)
	}
	if c.ID != id {
		t.Fatalf("Act(%s) returned conversation %s, want %s", req.Action, c.ID, id)
	}
	return c
}

// find returns a conversation of e's account.
func (e *env) find(t *testing.T, id string) *baton.Conversation {
	t.Helper()
	c, err := e.db.FindConversation(e.ctx, id)
	if err != nil {
		t.Fatalf("FindConversation = %v", err)
	}
	return c
}

// conversationIn returns a new conversation (with one visitor message) brought to status s
// through the service, and its visitor.
func (e *env) conversationIn(t *testing.T, s baton.Status) (string, *baton.Visitor) {
	t.Helper()
	sess, v := e.visitor(t, "")
	e.say(t, v, "Hello, I need help with my order.")
	id := sess.ConversationID
	path := map[baton.Status][]baton.ActionRequest{
		baton.StatusBot:       nil,
		baton.StatusWaiting:   {{Action: baton.ActionJoin}},
		baton.StatusHuman:     {{Action: baton.ActionJoin}, {Action: baton.ActionAccept}},
		baton.StatusOffline:   {{Action: baton.ActionHandoffNone, Reason: "Nobody is online."}},
		baton.StatusResolved:  {{Action: baton.ActionResolve}},
		baton.StatusClosed:    {{Action: baton.ActionClose}},
		baton.StatusAbandoned: {{Action: baton.ActionJoin}, {Action: baton.ActionAbandon}},
	}
	reqs, ok := path[s]
	if !ok {
		t.Fatalf("conversationIn: no path to status %q", s)
	}
	for _, r := range reqs {
		e.act(t, id, r)
	}
	if got := e.find(t, id).Status; got != s {
		t.Fatalf("conversationIn(%s): status is %s", s, got)
	}
	return id, v
}

// snapshot is everything the store keeps about one conversation.
type snapshot struct {
	Conversation *baton.Conversation
	Messages     []*baton.Message
	Events       []*baton.Event
}

func (e *env) snapshot(t *testing.T, id string) snapshot {
	t.Helper()
	c := e.find(t, id)
	msgs, err := e.db.ListMessages(e.ctx, id, 0, store.MaxPageSize)
	if err != nil {
		t.Fatalf("ListMessages = %v", err)
	}
	if msgs.NextBefore != 0 {
		t.Fatalf("snapshot: more than %d messages", store.MaxPageSize)
	}
	evs, err := e.db.Events(e.ctx, id, 0, 1000)
	if err != nil {
		t.Fatalf("Events = %v", err)
	}
	return snapshot{Conversation: c, Messages: msgs.Messages, Events: evs}
}

// unchanged fails the test if the conversation differs from before in any way.
func (e *env) unchanged(t *testing.T, before snapshot, after string) {
	t.Helper()
	now := e.snapshot(t, before.Conversation.ID)
	b, _ := json.Marshal(before)
	a, _ := json.Marshal(now)
	if string(a) != string(b) {
		t.Errorf("%s changed the conversation:\nbefore: %s\nafter:  %s", after, b, a)
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code string, format string, args ...any) {
	t.Helper()
	if got := baton.ErrorCode(err); got != code {
		t.Errorf("%s = %v, want code %s", fmt.Sprintf(format, args...), err, code)
	}
}

// execSQL changes rows the service has no method for (a contact's phone, a conversation's
// channel): the channel adapters set them. Placeholders are PostgreSQL's $N.
func execSQL(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	var err error
	if db.Dialect == store.Postgres {
		_, err = db.Pool().Exec(context.Background(), q, args...)
	} else {
		_, err = db.SQL().ExecContext(context.Background(), strings.ReplaceAll(q, "$", "?"), args...)
	}
	if err != nil {
		t.Fatalf("exec %q: %v", q, err)
	}
}

func ptr[T any](v T) *T { return &v }
