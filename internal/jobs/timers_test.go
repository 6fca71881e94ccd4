package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/jobs"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/riverqueue/river"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *fakeClock               { return &fakeClock{t: time.Now().UTC().Truncate(time.Second)} }
func quiet() *slog.Logger                { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// open opens the store with an insert-only job queue (nothing runs by itself: the test
// plays the worker with a fake clock).
func open(t *testing.T, cfg store.Config, clk *fakeClock) (*store.DB, *jobs.Queue) {
	t.Helper()
	d, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Now = clk.Now
	q, err := jobs.New(context.Background(), d, jobs.Config{InsertOnly: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	d.Jobs = q
	return d, q
}

func conversation(t *testing.T, d *store.DB, slug string) (*baton.Visitor, string) {
	t.Helper()
	ctx := context.Background()
	s, err := d.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: slug, Name: "Vera"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.AuthenticateVisitor(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.PostVisitorMessage(ctx, v, "Where is my order?"); err != nil {
		t.Fatal(err)
	}
	return v, s.ConversationID
}

func status(t *testing.T, d *store.DB, actor context.Context, id string) baton.Status {
	t.Helper()
	c, err := d.FindConversation(actor, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

func argsConversation(t *testing.T, raw []byte) string {
	var a struct {
		ConversationID string `json:"conversation_id"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	return a.ConversationID
}

func TestAutoResolveFiresAfterInactivityAndSurvivesARestart(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Config(t, dialect)
			clk := newClock()
			d, q := open(t, cfg, clk)
			acc, _, err := d.CreateAccount(ctx, "Acme", "acme", "Acme Bot")
			if err != nil {
				t.Fatal(err)
			}
			actor := baton.NewContextWithActor(ctx, &baton.Actor{AccountID: acc.ID})
			_, conv := conversation(t, d, "acme")

			// Restart: close everything and open again. The timer is still queued.
			d.Close()
			d, q = open(t, cfg, clk)
			defer d.Close()
			js, err := q.JobsOfKind(ctx, "auto_resolve")
			if err != nil {
				t.Fatal(err)
			}
			if len(js) != 1 || argsConversation(t, js[0].EncodedArgs) != conv {
				t.Fatalf("after a restart %d auto_resolve jobs, want 1 for %s", len(js), conv)
			}
			w := &jobs.AutoResolve{DB: d}
			job := &river.Job[store.AutoResolveArgs]{JobRow: js[0], Args: store.AutoResolveArgs{AccountID: acc.ID, ConversationID: conv}}

			clk.Add(23 * time.Hour)
			err = w.Work(ctx, job)
			var snooze *river.JobSnoozeError
			if !errorsAs(err, &snooze) || snooze.Duration < 59*time.Minute || snooze.Duration > time.Hour {
				t.Fatalf("Work at 23 h = %v, want a snooze of about 1 h", err)
			}
			if s := status(t, d, actor, conv); s != baton.StatusBot {
				t.Fatalf("status at 23 h = %s, want bot", s)
			}
			clk.Add(2 * time.Hour)
			if err := w.Work(ctx, job); err != nil {
				t.Fatalf("Work at 25 h = %v", err)
			}
			if s := status(t, d, actor, conv); s != baton.StatusResolved {
				t.Fatalf("status at 25 h = %s, want resolved", s)
			}
			// Firing again changes nothing.
			if err := w.Work(ctx, job); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func errorsAs(err error, target **river.JobSnoozeError) bool {
	if err == nil {
		return false
	}
	s, ok := err.(*river.JobSnoozeError)
	if ok {
		*target = s
	}
	return ok
}

func TestAbandonFiresOnlyWhenTheVisitorIsGone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		ctx := context.Background()
		clk := newClock()
		d.Now = clk.Now
		q, err := jobs.New(ctx, d, jobs.Config{InsertOnly: true, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		d.Jobs = q
		acc, _, err := d.CreateAccount(ctx, "Acme", "acme", "Acme Bot")
		if err != nil {
			t.Fatal(err)
		}
		u, err := d.CreateUser(ctx, baton.UserCreate{AccountID: acc.ID, Email: "ana@acme.test", Password: "meadow-lantern-77", FirstName: "Ana", Role: baton.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
		actor := baton.NewContextWithActor(ctx, &baton.Actor{AccountID: acc.ID, User: u})
		v, conv := conversation(t, d, "acme")
		if _, err := d.Act(actor, conv, baton.ActionRequest{Action: baton.ActionJoin}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Act(actor, conv, baton.ActionRequest{Action: baton.ActionRelease}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ApplyBotAnswer(ctx, acc.ID, conv, store.BotAnswer{Handoff: true, Reason: "asked for a human"}); err != nil {
			t.Fatal(err)
		}
		if s := status(t, d, actor, conv); s != baton.StatusOffline && s != baton.StatusWaiting {
			t.Fatalf("status = %s, want waiting or offline", s)
		}
		js, err := q.JobsOfKind(ctx, "abandon")
		if err != nil || len(js) != 1 {
			t.Fatalf("abandon jobs = %d, %v; want 1", len(js), err)
		}
		w := &jobs.Abandon{DB: d}
		job := &river.Job[store.AbandonArgs]{JobRow: js[0], Args: store.AbandonArgs{AccountID: acc.ID, ConversationID: conv}}

		// The widget is still open at 10 min: at 16 min the visitor is not gone yet.
		clk.Add(10 * time.Minute)
		if err := d.TouchVisitors(ctx, []string{v.ContactID}); err != nil {
			t.Fatal(err)
		}
		clk.Add(6 * time.Minute)
		var snooze *river.JobSnoozeError
		if err := w.Work(ctx, job); !errorsAs(err, &snooze) {
			t.Fatalf("Work at 16 min = %v, want a snooze", err)
		}
		if s := status(t, d, actor, conv); s == baton.StatusAbandoned {
			t.Fatal("abandoned while the widget was open")
		}
		clk.Add(10 * time.Minute)
		if err := w.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		if s := status(t, d, actor, conv); s != baton.StatusAbandoned {
			t.Fatalf("status at 26 min = %s, want abandoned", s)
		}
	})
}

func TestThanksResolvesWhenTheChatbotSaysSo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		ctx := context.Background()
		acc, bot, err := d.CreateAccount(ctx, "Acme", "acme", "Acme Bot")
		if err != nil {
			t.Fatal(err)
		}
		actor := baton.NewContextWithActor(ctx, &baton.Actor{AccountID: acc.ID})
		v, conv := conversation(t, d, "acme")
		if _, err := d.PostVisitorMessage(ctx, v, "Thanks!"); err != nil {
			t.Fatal(err)
		}
		if s := status(t, d, actor, conv); s != baton.StatusBot {
			t.Fatalf("with resolve_on_thanks off, status = %s, want bot", s)
		}
		timers := baton.DefaultTimerSettings
		timers.ResolveOnThanks = true
		if _, err := d.UpdateChatbot(actor, bot.ID, baton.ChatbotUpdate{Timers: &timers}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.PostVisitorMessage(ctx, v, "Thanks, that helps but what about returns?"); err != nil {
			t.Fatal(err)
		}
		if s := status(t, d, actor, conv); s != baton.StatusBot {
			t.Fatalf("a question with thanks in it resolved the conversation (%s)", s)
		}
		if _, err := d.PostVisitorMessage(ctx, v, "Thank you so much!"); err != nil {
			t.Fatal(err)
		}
		if s := status(t, d, actor, conv); s != baton.StatusResolved {
			t.Fatalf("status = %s, want resolved", s)
		}
	})
}

func TestIsThanks(t *testing.T) {
	for text, want := range map[string]bool{"Thanks!": true, "thank you so much": true, "Merci beaucoup": true, "resolved.": true,
		"obrigada": true, "thanks, but no": false, "thanks for nothing, this is broken": false, "": false} {
		if got := store.IsThanks(text); got != want {
			t.Errorf("IsThanks(%q) = %v, want %v", text, got, want)
		}
	}
}
