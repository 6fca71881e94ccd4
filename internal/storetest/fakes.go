package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// Clock is a settable time source for store.DB.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Jobs records the jobs that committed transactions enqueue (a store.JobQueue without a
// job system: the jobs are counted, never run).
type Jobs struct {
	mu   sync.Mutex
	jobs []river.JobArgs
}

// InsertTx records the job.
func (f *Jobs) InsertTx(_ context.Context, _ *store.Tx, args river.JobArgs, _ *river.InsertOpts) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs = append(f.jobs, args)
	return nil
}

// Count returns how many jobs of kind were enqueued.
func (f *Jobs) Count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, j := range f.jobs {
		if j.Kind() == kind {
			n++
		}
	}
	return n
}

// Tenant is an account of a test database, with its chatbot and its owner ("Olivia",
// owner@<slug>.test, password "correct horse battery"), and a context acting as the owner.
type Tenant struct {
	Account *baton.Account
	Bot     *baton.Chatbot
	Owner   *baton.User
	Ctx     context.Context
}

// NewTenant creates the account name with the chatbot slug ("<name> Bot") and its owner.
func NewTenant(t testing.TB, db *store.DB, name, slug string) *Tenant {
	t.Helper()
	ctx := context.Background()
	acc, bot, err := db.CreateAccount(ctx, name, slug, name+" Bot")
	if err != nil {
		t.Fatalf("CreateAccount(%s) = %v", name, err)
	}
	owner, err := db.CreateUser(ctx, baton.UserCreate{AccountID: acc.ID, Email: "owner@" + slug + ".test",
		Password: "correct horse battery", FirstName: "Olivia", Role: baton.RoleOwner})
	if err != nil {
		t.Fatalf("CreateUser(owner of %s) = %v", name, err)
	}
	return &Tenant{Account: acc, Bot: bot, Owner: owner,
		Ctx: baton.NewContextWithActor(ctx, &baton.Actor{AccountID: acc.ID, User: owner, SessionToken: "bts_test"})}
}

// Conversation opens a widget conversation on bot with one visitor message (status bot),
// and returns it with its visitor.
func Conversation(t testing.TB, db *store.DB, bot *baton.Chatbot) (string, *baton.Visitor) {
	t.Helper()
	ctx := context.Background()
	sess, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: bot.Slug})
	if err != nil {
		t.Fatalf("OpenSession = %v", err)
	}
	v, err := db.AuthenticateVisitor(ctx, sess.Token)
	if err != nil {
		t.Fatalf("AuthenticateVisitor = %v", err)
	}
	if _, err := db.PostVisitorMessage(ctx, v, "Hello, I need help with my order."); err != nil {
		t.Fatalf("PostVisitorMessage = %v", err)
	}
	return sess.ConversationID, v
}

// As returns a context acting as u, a signed-in user of the tenant's account.
func (tn *Tenant) As(u *baton.User) context.Context {
	return baton.NewContextWithActor(context.Background(), &baton.Actor{AccountID: tn.Account.ID, User: u, SessionToken: "bts_test"})
}

// NewUser adds a teammate to the tenant's account.
func (tn *Tenant) NewUser(t testing.TB, db *store.DB, email, firstName string, role baton.Role) *baton.User {
	t.Helper()
	u, err := db.CreateUser(context.Background(), baton.UserCreate{AccountID: tn.Account.ID, Email: email,
		Password: "correct horse battery", FirstName: firstName, Role: role})
	if err != nil {
		t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	return u
}
