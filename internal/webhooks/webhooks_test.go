package webhooks_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/tickets"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/baton-chat/baton/internal/webhooks/webhookstest"
)

// The store-level tests of the webhooks: the subscriptions, which events make a delivery,
// the delivery log and the integration settings, on every database under test, with the
// hook on a fake job queue (the jobs are counted, never run).

// clock is the tests' settable time source.
type clock = storetest.Clock

// env is one account of a test database ("Acme", chatbot "acme") acting as its owner.
type env struct {
	db    *store.DB
	clock *clock
	ctx   context.Context
}

// setup installs a test clock on db and creates the account "Acme".
func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	c := storetest.NewClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	db.Now = c.Now
	return newAccount(t, db, c, "Acme", "acme")
}

// otherAccount creates a second tenant, "Globex", in the same database.
func (e *env) otherAccount(t *testing.T) *env {
	t.Helper()
	return newAccount(t, e.db, e.clock, "Globex", "globex")
}

func newAccount(t *testing.T, db *store.DB, c *clock, name, slug string) *env {
	t.Helper()
	return &env{db: db, clock: c, ctx: storetest.NewTenant(t, db, name, slug).Ctx}
}

// fakeJobs records the jobs enqueued by committed transactions' hooks.
type fakeJobs = storetest.Jobs

// withIntegrations gives e's database a fake job queue and the webhooks' hook.
func withIntegrations(e *env) *fakeJobs { return webhookstest.WithHook(e.db) }

// namedVisitor opens a widget session of chatbot "acme" with a name.
func (e *env) namedVisitor(t *testing.T, name string) (*baton.VisitorSession, *baton.Visitor) {
	t.Helper()
	s, err := e.db.OpenSession(context.Background(), baton.VisitorSessionCreate{Chatbot: "acme", Name: name})
	if err != nil {
		t.Fatalf("OpenSession = %v", err)
	}
	v, err := e.db.AuthenticateVisitor(context.Background(), s.Token)
	if err != nil {
		t.Fatalf("AuthenticateVisitor = %v", err)
	}
	return s, v
}

// say posts a visitor message.
func (e *env) say(t *testing.T, v *baton.Visitor, text string) {
	t.Helper()
	if _, err := e.db.PostVisitorMessage(context.Background(), v, text); err != nil {
		t.Fatalf("PostVisitorMessage(%q) = %v", text, err)
	}
}

// act applies an action as the owner and fails the test if it is refused.
func (e *env) act(t *testing.T, id string, req baton.ActionRequest) {
	t.Helper()
	if _, err := e.db.Act(e.ctx, id, req); err != nil {
		t.Fatalf("Act(%s) = %v", req.Action, err)
	}
}

// waitingConversation starts a conversation with one visitor message and joins it
// (status waiting), as the handoff a handover webhook follows.
func (e *env) waitingConversation(t *testing.T) {
	t.Helper()
	sess, v := e.namedVisitor(t, "")
	e.say(t, v, "Hello, I need help with my order.")
	e.act(t, sess.ConversationID, baton.ActionRequest{Action: baton.ActionJoin})
	if c, err := e.db.FindConversation(e.ctx, sess.ConversationID); err != nil || c.Status != baton.StatusWaiting {
		t.Fatalf("after a join the conversation is %+v, %v; want waiting", c, err)
	}
}

// integrationDeliveries lists the handover and message deliveries, oldest first.
func (e *env) integrationDeliveries(t *testing.T) []*baton.WebhookDelivery {
	return webhookstest.IntegrationDeliveries(t, e.ctx, e.db)
}

// payload returns a delivery's stored body as a map.
func (e *env) payload(t *testing.T, id string) map[string]any {
	return webhookstest.Payload(t, e.db, id)
}

func wantCode(t *testing.T, err error, code string, format string, args ...any) {
	t.Helper()
	if got := baton.ErrorCode(err); got != code {
		t.Errorf("%s = %v, want code %s", fmt.Sprintf(format, args...), err, code)
	}
}

func ptr[T any](v T) *T { return &v }

func TestIntegrationSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		s, err := webhooks.IntegrationSettings(e.ctx, db)
		if err != nil || s.MessageWebhookURL != "" || s.SigningSecretSet {
			t.Fatalf("IntegrationSettings = %+v, %v; want empty", s, err)
		}
		_, err = webhooks.UpdateIntegrationSettings(e.ctx, db, ptr("ftp://x"))
		wantCode(t, err, baton.EINVALID, "UpdateIntegrationSettings(ftp)")
		s, err = webhooks.RotateSigningSecret(e.ctx, db)
		if err != nil || !strings.HasPrefix(s.SigningSecret, webhooks.SecretPrefix) || !s.SigningSecretSet {
			t.Fatalf("RotateSigningSecret = %+v, %v", s, err)
		}
		if s2, _ := webhooks.IntegrationSettings(e.ctx, db); s2.SigningSecret != "" || !s2.SigningSecretSet {
			t.Errorf("IntegrationSettings after rotation = %+v, want the secret set but not shown", s2)
		}
		other := e.otherAccount(t)
		if s3, _ := webhooks.IntegrationSettings(other.ctx, db); s3.SigningSecretSet {
			t.Error("another account sees a signing secret")
		}
	})
}

func TestWebhookSubscriptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		jobs := withIntegrations(e)

		for name, in := range map[string]baton.WebhookInput{
			"no url":        {Events: []string{baton.WebhookMessageCreated}},
			"a bad url":     {URL: "mailto:x@example.com", Events: []string{baton.WebhookMessageCreated}},
			"no event":      {URL: "https://hooks.example/in"},
			"unknown event": {URL: "https://hooks.example/in", Events: []string{"message.deleted"}},
			"a long description": {URL: "https://hooks.example/in", Events: []string{baton.WebhookMessageCreated},
				Description: strings.Repeat("d", 201)},
		} {
			_, err := webhooks.Create(e.ctx, db, in)
			wantCode(t, err, baton.EINVALID, "CreateWebhook with %s", name)
		}
		all, err := webhooks.Create(e.ctx, db, baton.WebhookInput{URL: "https://hooks.example/all", Events: baton.WebhookEvents})
		if err != nil || !strings.HasPrefix(all.Secret, webhooks.SecretPrefix) || !all.Active || len(all.Events) != len(baton.WebhookEvents) {
			t.Fatalf("CreateWebhook = %+v, %v", all, err)
		}
		msgs, err := webhooks.Create(e.ctx, db, baton.WebhookInput{URL: "https://hooks.example/msgs",
			Events: []string{baton.WebhookMessageCreated, baton.WebhookMessageCreated}})
		if err != nil || !slices.Equal(msgs.Events, []string{baton.WebhookMessageCreated}) {
			t.Fatalf("CreateWebhook(duplicate events) = %+v, %v", msgs, err)
		}
		off, err := webhooks.Create(e.ctx, db, baton.WebhookInput{URL: "https://hooks.example/off", Events: baton.WebhookEvents, Active: ptr(false)})
		if err != nil || off.Active {
			t.Fatalf("CreateWebhook(inactive) = %+v, %v", off, err)
		}
		if list, _ := webhooks.List(e.ctx, db); len(list) != 3 || list[0].Secret != "" {
			t.Errorf("ListWebhooks = %+v, want 3 without secrets", list)
		}

		// A conversation's life, seen by the subscriptions.
		sess, v := e.namedVisitor(t, "Eve")
		e.say(t, v, "I need a person")
		e.act(t, sess.ConversationID, baton.ActionRequest{Action: baton.ActionJoin})
		e.clock.Add(time.Second) // the ticket is told apart by its transaction's clock reading
		if _, err := tickets.Create(e.ctx, db, baton.TicketCreate{Subject: "Call back", ConversationIDs: []string{sess.ConversationID}}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Second)
		e.act(t, sess.ConversationID, baton.ActionRequest{Action: baton.ActionClose})
		e.clock.Add(time.Second) // and a ticket of no conversation
		if _, err := tickets.Create(e.ctx, db, baton.TicketCreate{Subject: "Standalone"}); err != nil {
			t.Fatal(err)
		}

		events := func(w *baton.Webhook) map[string]int {
			p, err := webhooks.ListDeliveries(e.ctx, db, w.ID, "", 200)
			if err != nil {
				t.Fatalf("ListWebhookDeliveries = %v", err)
			}
			n := map[string]int{}
			for _, d := range p.Deliveries {
				n[d.Event]++
			}
			return n
		}
		got := events(all)
		for ev, want := range map[string]int{baton.WebhookConversationCreated: 1, baton.WebhookMessageCreated: 4,
			baton.WebhookHandoffStarted: 1, baton.WebhookConversationAssigned: 1, baton.WebhookConversationStatusChanged: 2,
			baton.WebhookTicketCreated: 2, baton.WebhookConversationClosed: 0} {
			if got[ev] != want {
				t.Errorf("deliveries of %s = %d, want %d (all: %v)", ev, got[ev], want, got)
			}
		}
		if got := events(msgs); len(got) != 1 || got[baton.WebhookMessageCreated] != 4 {
			t.Errorf("the message subscription got %v, want only its 4 messages (visitor, join, ticket, close)", got)
		}
		if got := events(off); len(got) != 0 {
			t.Errorf("the inactive subscription got %v, want nothing", got)
		}
		if n := jobs.Count("conversation_analysis"); n != 1 {
			t.Errorf("analyses enqueued on close = %d, want 1", n)
		}
		an, err := db.FindAnalysis(e.ctx, sess.ConversationID)
		if err != nil || an.Status != baton.AnalysisPending || an.Reason != baton.AnalysisOnClose {
			t.Errorf("FindAnalysis after close = %+v, %v; want pending, reason close", an, err)
		}

		// The ticket's delivery carries the ticket with its conversation.
		p, _ := webhooks.ListDeliveries(e.ctx, db, all.ID, "", 200)
		for _, d := range p.Deliveries {
			body := e.payload(t, d.ID)
			data, _ := body["data"].(map[string]any)
			switch d.Event {
			case baton.WebhookTicketCreated:
				tk, _ := data["ticket"].(map[string]any)
				linked := tk["subject"] == "Call back" && body["conversation_id"] == sess.ConversationID
				alone := tk["subject"] == "Standalone" && body["conversation_id"] == nil && fmt.Sprint(tk["conversation_ids"]) == "[]"
				if !linked && !alone {
					t.Errorf("ticket.created payload = %v", body)
				}
			case baton.WebhookConversationStatusChanged:
				if data["status"] != "waiting" && data["status"] != "closed" {
					t.Errorf("status_changed payload = %v", body)
				}
			case baton.WebhookMessageCreated:
				if m, _ := data["message"].(map[string]any); m["conversation_id"] != sess.ConversationID {
					t.Errorf("message.created payload = %v", body)
				}
			}
		}

		// Pagination of the log, newest first.
		page1, err := webhooks.ListDeliveries(e.ctx, db, all.ID, "", 5)
		if err != nil || len(page1.Deliveries) != 5 || page1.NextCursor == "" {
			t.Fatalf("first page = %d deliveries, cursor %q, %v", len(page1.Deliveries), page1.NextCursor, err)
		}
		page2, err := webhooks.ListDeliveries(e.ctx, db, all.ID, page1.NextCursor, 200)
		if err != nil || len(page2.Deliveries) != len(p.Deliveries)-5 || page2.Deliveries[0].ID >= page1.Deliveries[4].ID {
			t.Errorf("second page = %d deliveries, %v; want the %d older ones", len(page2.Deliveries), err, len(p.Deliveries)-5)
		}

		// Update, rotate, delete; another account sees none of it.
		up, err := webhooks.Update(e.ctx, db, msgs.ID, baton.WebhookUpdate{Events: &[]string{baton.WebhookTicketCreated}, Active: ptr(false)})
		if err != nil || !slices.Equal(up.Events, []string{baton.WebhookTicketCreated}) || up.Active {
			t.Errorf("UpdateWebhook = %+v, %v", up, err)
		}
		_, err = webhooks.Update(e.ctx, db, msgs.ID, baton.WebhookUpdate{URL: ptr("nope")})
		wantCode(t, err, baton.EINVALID, "UpdateWebhook(bad url)")
		rot, err := webhooks.RotateSecret(e.ctx, db, msgs.ID)
		if err != nil || rot.Secret == "" || rot.Secret == msgs.Secret {
			t.Errorf("RotateWebhookSecret = %+v, %v; want a new secret", rot, err)
		}
		other := e.otherAccount(t)
		for name, err := range map[string]error{
			"find": func() error { _, err := webhooks.Find(other.ctx, db, all.ID); return err }(),
			"update": func() error {
				_, err := webhooks.Update(other.ctx, db, all.ID, baton.WebhookUpdate{Active: ptr(false)})
				return err
			}(),
			"rotate": func() error { _, err := webhooks.RotateSecret(other.ctx, db, all.ID); return err }(),
			"ping":   func() error { _, err := webhooks.Ping(other.ctx, db, all.ID); return err }(),
			"log":    func() error { _, err := webhooks.ListDeliveries(other.ctx, db, all.ID, "", 10); return err }(),
			"delete": webhooks.Delete(other.ctx, db, all.ID),
		} {
			wantCode(t, err, baton.ENOTFOUND, "%s of another account's webhook", name)
		}
		if list, _ := webhooks.List(other.ctx, db); len(list) != 0 {
			t.Errorf("another account lists %d webhooks", len(list))
		}
		if p, _ := webhooks.ListIntegrationDeliveries(other.ctx, db, "", 10); len(p.Deliveries) != 0 {
			t.Errorf("another account lists %d deliveries", len(p.Deliveries))
		}
		ping, err := webhooks.Ping(e.ctx, db, all.ID)
		if err != nil || ping.Event != baton.WebhookPing || ping.Status != baton.WebhookPending {
			t.Errorf("PingWebhook = %+v, %v", ping, err)
		}
		if err := webhooks.Delete(e.ctx, db, all.ID); err != nil {
			t.Fatal(err)
		}
		_, err = webhooks.DeliveryToSend(context.Background(), db, ping.ID)
		wantCode(t, err, baton.ENOTFOUND, "DeliveryToSend of a deleted webhook's delivery")
	})
}

func TestDeliveryLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		withIntegrations(e)
		w, err := webhooks.Create(e.ctx, db, baton.WebhookInput{URL: "https://hooks.example/in", Events: baton.WebhookEvents})
		if err != nil {
			t.Fatal(err)
		}
		d, err := webhooks.Ping(e.ctx, db, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		out, err := webhooks.DeliveryToSend(context.Background(), db, d.ID)
		if err != nil || out.Secret != w.Secret || out.URL != w.URL || out.Kind != baton.DeliveryKindEvent {
			t.Fatalf("DeliveryToSend = %+v, %v; want the webhook's secret and URL", out, err)
		}
		steps := []struct {
			att    baton.WebhookAttempt
			status string
		}{
			{baton.WebhookAttempt{Attempt: 1, StatusCode: 500, DurationMS: 12, Error: "the receiver answered 500"}, baton.WebhookRetrying},
			{baton.WebhookAttempt{Attempt: 2, StatusCode: 204, DurationMS: 8}, baton.WebhookSucceeded},
		}
		for _, s := range steps {
			if err := webhooks.RecordDeliveryAttempt(context.Background(), db, d.ID, s.att, s.status); err != nil {
				t.Fatal(err)
			}
		}
		p, _ := webhooks.ListDeliveries(e.ctx, db, w.ID, "", 10)
		got := p.Deliveries[0]
		if got.Status != baton.WebhookSucceeded || got.Attempts != 2 || got.LastStatusCode != 204 || got.CompletedAt == nil || len(got.Log) != 2 ||
			got.Log[0].StatusCode != 500 || got.Log[0].Error == "" || got.Log[0].DurationMS != 12 || got.Log[1].StatusCode != 204 {
			t.Errorf("the delivery log = %+v", got)
		}
		// The handover and message webhooks sign with the account's secret, made on first use.
		if _, err := db.UpdateChatbot(e.ctx, "acme", baton.ChatbotUpdate{HandoverWebhookURL: ptr("https://desk.example/h")}); err != nil {
			t.Fatal(err)
		}
		e.waitingConversation(t)
		ds := e.integrationDeliveries(t)
		if len(ds) != 1 || ds[0].Kind != baton.DeliveryKindHandover {
			t.Fatalf("deliveries after a join = %+v, want the handover webhook", ds)
		}
		if s, _ := webhooks.IntegrationSettings(e.ctx, db); s.SigningSecretSet {
			t.Fatal("a signing secret exists before any delivery needs one")
		}
		first, err := webhooks.DeliveryToSend(context.Background(), db, ds[0].ID)
		if err != nil || !strings.HasPrefix(first.Secret, webhooks.SecretPrefix) {
			t.Fatalf("DeliveryToSend(handover) = %+v, %v; want a signing secret", first, err)
		}
		again, _ := webhooks.DeliveryToSend(context.Background(), db, ds[0].ID)
		if again.Secret != first.Secret {
			t.Error("the signing secret changed between two deliveries")
		}
		rotated, err := webhooks.RotateSigningSecret(e.ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if now, _ := webhooks.DeliveryToSend(context.Background(), db, ds[0].ID); now.Secret != rotated.SigningSecret || now.Secret == first.Secret {
			t.Errorf("after rotation the delivery signs with %q, want the new secret %q", now.Secret, rotated.SigningSecret)
		}
	})
}
