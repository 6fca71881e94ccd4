package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/riverqueue/river"
)

// jobLog records the jobs a transaction enqueues (what store.JobQueue is asked).
type jobLog struct {
	mu     sync.Mutex
	jobs   []river.JobArgs
	queues []string // the queue each job was put in ("" for River's default)
}

func (l *jobLog) InsertTx(_ context.Context, _ *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.jobs = append(l.jobs, args)
	queue := ""
	if opts != nil {
		queue = opts.Queue
	}
	l.queues = append(l.queues, queue)
	return nil
}

// deliveries returns the delivery jobs enqueued so far.
func (l *jobLog) deliveries() []store.DeliverArgs {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []store.DeliverArgs
	for _, j := range l.jobs {
		if d, ok := j.(store.DeliverArgs); ok {
			out = append(out, d)
		}
	}
	return out
}

// deliveryQueues returns the queues the delivery jobs were put in, in order.
func (l *jobLog) deliveryQueues() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for i, j := range l.jobs {
		if _, ok := j.(store.DeliverArgs); ok {
			out = append(out, l.queues[i])
		}
	}
	return out
}

// botReplies counts the bot_reply jobs enqueued so far.
func (l *jobLog) botReplies() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, j := range l.jobs {
		if _, ok := j.(store.BotReplyArgs); ok {
			n++
		}
	}
	return n
}

// eventLog records published events.
type eventLog struct {
	mu     sync.Mutex
	events []*baton.Event
}

func (l *eventLog) Publish(_ context.Context, events []*baton.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, events...)
}

func (l *eventLog) ofType(typ string) []*baton.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*baton.Event
	for _, e := range l.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// channelEnv is an account whose database enqueues into a jobLog, publishes into an
// eventLog and delivers through the channel hook.
func channelEnv(t *testing.T, db *store.DB) (*env, *jobLog, *eventLog) {
	t.Helper()
	e := setup(t, db)
	jobs, events := &jobLog{}, &eventLog{}
	db.Jobs, db.Publisher = jobs, events
	db.AddTxHook(db.ChannelDeliveryHook)
	return e, jobs, events
}

// receive stores an inbound message of e's chatbot and fails the test on error.
func (e *env) receive(t *testing.T, in store.InboundMessage) (*baton.Message, bool) {
	t.Helper()
	in.ChatbotID = e.bot.ID
	m, dup, err := e.db.ReceiveMessage(context.Background(), &in)
	if err != nil {
		t.Fatalf("ReceiveMessage(%s) = %v", in.Key, err)
	}
	return m, dup
}

func (e *env) messages(t *testing.T, convID string) []*baton.Message {
	t.Helper()
	p, err := e.db.ListMessages(e.ctx, convID, 0, store.MaxPageSize)
	if err != nil {
		t.Fatalf("ListMessages = %v", err)
	}
	return p.Messages
}

func TestChannelConfigIsSealedAndScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box, err := secret.New(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		db.Secrets = box
		e := setup(t, db)
		other := e.otherAccount(t)
		ctx := context.Background()

		c, err := db.Channel(e.ctx, e.bot.Slug, baton.ChannelTelegram)
		if err != nil || c.Status != baton.ChannelNotConfigured {
			t.Fatalf("Channel(never configured) = %+v, %v; want status not_configured", c, err)
		}
		saved, err := db.SaveChannel(e.ctx, e.bot.Slug, baton.ChannelWhatsApp, map[string]any{"phone_number_id": "1065"},
			map[string]string{"access_token": "EAAG-secret-token", "app_secret": "app-secret"})
		if err != nil {
			t.Fatalf("SaveChannel = %v", err)
		}
		if saved.Status != baton.ChannelConnected || saved.Secrets["access_token"] != "EAAG-secret-token" || saved.Setting("phone_number_id") != "1065" {
			t.Fatalf("SaveChannel = %+v", saved)
		}
		var raw string
		q := "SELECT settings || secrets FROM channels WHERE chatbot_id = $1"
		if db.Dialect == store.Postgres {
			err = db.Pool().QueryRow(ctx, q, e.bot.ID).Scan(&raw)
		} else {
			err = db.SQL().QueryRowContext(ctx, strings.ReplaceAll(q, "$1", "?"), e.bot.ID).Scan(&raw)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "EAAG-secret-token") || strings.Contains(raw, "app-secret") || !strings.Contains(raw, "1065") {
			t.Errorf("the stored row holds %q: secrets must be sealed, settings plain", raw)
		}
		for _, ref := range []string{e.bot.ID, e.bot.Slug} {
			h, err := db.HookChannel(ctx, ref, baton.ChannelWhatsApp)
			if err != nil || h.Secrets["app_secret"] != "app-secret" || h.ChatbotID != e.bot.ID {
				t.Errorf("HookChannel(%s) = %+v, %v", ref, h, err)
			}
		}
		if _, err := db.HookChannel(ctx, e.bot.Slug, baton.ChannelTelegram); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("HookChannel(unconfigured kind) = %v, want not_found", err)
		}
		if _, err := db.Channel(other.ctx, e.bot.Slug, baton.ChannelWhatsApp); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("Channel(another account's chatbot) = %v, want not_found", err)
		}
		if _, err := db.SaveChannel(other.ctx, e.bot.ID, baton.ChannelWhatsApp, nil, map[string]string{"access_token": "hacked"}); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("SaveChannel(another account's chatbot) = %v, want not_found", err)
		}
		if err := db.DisconnectChannel(other.ctx, e.bot.ID, baton.ChannelWhatsApp); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("DisconnectChannel(another account's chatbot) = %v, want not_found", err)
		}
		if _, err := db.Channel(e.ctx, e.bot.Slug, baton.ChannelWeb); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("Channel(web) = %v, want not_found: the widget has no configuration", err)
		}

		if err := db.DisconnectChannel(e.ctx, e.bot.Slug, baton.ChannelWhatsApp); err != nil {
			t.Fatalf("DisconnectChannel = %v", err)
		}
		if _, err := db.HookChannel(ctx, e.bot.Slug, baton.ChannelWhatsApp); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("HookChannel(disconnected) = %v, want not_found", err)
		}
		c, err = db.ChannelByID(ctx, e.bot.ID, baton.ChannelWhatsApp)
		if err != nil || c.Status != baton.ChannelDisconnected || len(c.Secrets) != 0 || c.Setting("phone_number_id") != "1065" {
			t.Errorf("ChannelByID(disconnected) = %+v, %v; want the settings kept and the secrets erased", c, err)
		}
		if err := db.SetChannelError(ctx, e.bot.ID, baton.ChannelWhatsApp, "IMAP: connection refused"); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.ChannelByID(ctx, e.bot.ID, baton.ChannelWhatsApp); c.Error != "IMAP: connection refused" {
			t.Errorf("after SetChannelError the channel's error is %q", c.Error)
		}
	})
}

func TestReceiveMessageCreatesAndContinuesConversations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, jobs, _ := channelEnv(t, db)
		first, dup := e.receive(t, store.InboundMessage{SessionID: "tg:4242", Key: "update:1", ExternalID: "10", Name: "Ada Lovelace", Content: "Hello from Telegram"})
		if dup || first == nil {
			t.Fatalf("first message: duplicate=%v", dup)
		}
		conv := e.find(t, first.ConversationID)
		if conv.Channel != baton.ChannelTelegram || conv.Contact.SessionID != "tg:4242" || conv.Contact.Name != "Ada Lovelace" || conv.Status != baton.StatusBot {
			t.Fatalf("conversation = channel %s, contact %+v, status %s", conv.Channel, conv.Contact, conv.Status)
		}
		if first.Kind != baton.KindVisitor || first.SenderName != "Ada Lovelace" {
			t.Errorf("message = %+v", first)
		}
		if jobs.botReplies() != 1 {
			t.Errorf("bot replies enqueued = %d, want 1", jobs.botReplies())
		}

		again, dup := e.receive(t, store.InboundMessage{SessionID: "tg:4242", Key: "update:1", ExternalID: "10", Content: "Hello from Telegram"})
		if !dup || again != nil {
			t.Errorf("the same update again: duplicate=%v, message=%v; want a duplicate", dup, again)
		}
		second, _ := e.receive(t, store.InboundMessage{SessionID: "tg:4242", Key: "update:2", Content: "Are you there?"})
		if second.ConversationID != first.ConversationID {
			t.Errorf("the second message went to %s, want the same conversation %s", second.ConversationID, first.ConversationID)
		}
		if got := len(e.messages(t, first.ConversationID)); got != 2 {
			t.Errorf("messages = %d, want 2 (the duplicate is stored once)", got)
		}

		e.act(t, first.ConversationID, baton.ActionRequest{Action: baton.ActionResolve})
		third, _ := e.receive(t, store.InboundMessage{SessionID: "tg:4242", Key: "update:3", Content: "One more thing"})
		linked := e.find(t, third.ConversationID)
		if third.ConversationID == first.ConversationID || linked.PreviousID != first.ConversationID || linked.Channel != baton.ChannelTelegram {
			t.Errorf("after resolve the message went to %s (previous %q), want a new linked conversation", third.ConversationID, linked.PreviousID)
		}

		before := jobs.botReplies()
		e.receive(t, store.InboundMessage{SessionID: "tg:4242", Key: "update:4", Content: "I am away until Monday.", Automated: true})
		if jobs.botReplies() != before {
			t.Errorf("an automated message enqueued a bot reply")
		}
	})
}

// A provider's text may hold what a database cannot keep (PostgreSQL's text refuses NUL)
// and ids of any length: texts are cleaned, ids that cannot be kept are refused as bad
// input, and receipts or lookups under such ids find nothing — never an internal error.
func TestReceiveMessageCleansProviderText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _, _ := channelEnv(t, db)
		m, _ := e.receive(t, store.InboundMessage{SessionID: "email:nul@example.com", Key: "mid:1", Name: "N\x00ul \xff",
			Email: "nul@example.com", Subject: "Sub\x00ject", Content: "hello\x00 world\xc3"})
		if m.Content != "hello world\uFFFD" {
			t.Errorf("content = %q, want the NUL dropped and the broken byte replaced", m.Content)
		}
		c := e.find(t, m.ConversationID)
		if c.Contact.Name != "Nul \uFFFD" || c.Subject != "Subject" {
			t.Errorf("name %q, subject %q", c.Contact.Name, c.Subject)
		}
		for _, in := range []store.InboundMessage{
			{SessionID: "tg:1\x00", Key: "update:1", Content: "a"},
			{SessionID: "tg:1", Key: "update:\xff", Content: "a"},
			{SessionID: "tg:" + strings.Repeat("9", store.MaxInboundID), Key: "update:2", Content: "a"},
			{SessionID: "tg:1", Key: "update:3", ExternalID: strings.Repeat("x", store.MaxInboundID+1), Content: "a"},
			{SessionID: "tg:1", Content: "a"},
		} {
			in.ChatbotID = e.bot.ID
			if _, _, err := db.ReceiveMessage(context.Background(), &in); baton.ErrorCode(err) != baton.EINVALID {
				t.Errorf("ReceiveMessage(%q, %q) = %v, want invalid", in.SessionID, in.Key, err)
			}
		}
		ctx := context.Background()
		if seen, err := db.InboundSeen(ctx, e.bot.ID, "mid:\x00"); err != nil || seen {
			t.Errorf("InboundSeen(NUL) = %v, %v", seen, err)
		}
		if err := db.UpdateDeliveryByExternalID(ctx, e.bot.ID, "wamid.\x00", baton.DeliveryRead, ""); err != nil {
			t.Errorf("a receipt for an id that cannot exist: %v", err)
		}
		if err := db.MarkReadUntil(ctx, e.bot.ID, "fb:\x00", time.Now()); err != nil {
			t.Errorf("a read watermark for a session that cannot exist: %v", err)
		}
	})
}

func TestReceiveEmailThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _, _ := channelEnv(t, db)
		first, _ := e.receive(t, store.InboundMessage{SessionID: "email:ada@example.com", Key: "mid:a1@example.com",
			ExternalID: "a1@example.com", Name: "Ada", Email: "ada@example.com", Subject: "Refund for order 1234", Content: "Where is my refund?"})
		conv := e.find(t, first.ConversationID)
		if conv.Channel != baton.ChannelEmail || conv.Subject != "Refund for order 1234" || conv.Contact.Email != "ada@example.com" {
			t.Fatalf("conversation = channel %s, subject %q, contact %+v", conv.Channel, conv.Subject, conv.Contact)
		}
		// The team's answer went out with its own Message-ID.
		e.act(t, conv.ID, baton.ActionRequest{Action: baton.ActionJoin})
		e.act(t, conv.ID, baton.ActionRequest{Action: baton.ActionAccept})
		reply, err := db.Reply(e.ctx, conv.ID, "We are on it.", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetDelivery(context.Background(), e.account.ID, conv.ID, reply.ID, baton.DeliverySent, "", "baton.r1@support.test"); err != nil {
			t.Fatal(err)
		}
		answer, _ := e.receive(t, store.InboundMessage{SessionID: "email:ada@example.com", Key: "mid:a2@example.com",
			ExternalID: "a2@example.com", Subject: "Re: Refund for order 1234", Content: "Thanks!",
			References: []string{"baton.r1@support.test", "a1@example.com"}})
		if answer.ConversationID != conv.ID {
			t.Errorf("a reply in the thread went to %s, want %s", answer.ConversationID, conv.ID)
		}
		fresh, _ := e.receive(t, store.InboundMessage{SessionID: "email:ada@example.com", Key: "mid:a3@example.com",
			ExternalID: "a3@example.com", Subject: "Another question", Content: "Do you ship to Mars?"})
		if fresh.ConversationID == conv.ID || e.find(t, fresh.ConversationID).Subject != "Another question" {
			t.Errorf("a new thread went to %s, want a new conversation titled with its subject", fresh.ConversationID)
		}
		stranger, _ := e.receive(t, store.InboundMessage{SessionID: "email:bob@example.com", Key: "mid:b1@example.com",
			ExternalID: "b1@example.com", Subject: "Re: Refund for order 1234", Content: "I have the same problem",
			References: []string{"a1@example.com"}})
		if stranger.ConversationID == conv.ID {
			t.Errorf("another visitor answering the thread joined Ada's conversation")
		}
		out, err := db.Outbound(context.Background(), store.DeliverArgs{AccountID: e.account.ID, ConversationID: conv.ID, MessageID: reply.ID})
		if err != nil {
			t.Fatal(err)
		}
		if out.InReplyTo != "a2@example.com" || strings.Join(out.Thread, " ") != "a1@example.com a2@example.com" || out.Subject != "Refund for order 1234" {
			t.Errorf("Outbound = in-reply-to %q, thread %v, subject %q", out.InReplyTo, out.Thread, out.Subject)
		}
	})
}

// handedOff brings a conversation started on a channel to status human.
func (e *env) handedOff(t *testing.T, session, key string) string {
	t.Helper()
	m, _ := e.receive(t, store.InboundMessage{SessionID: session, Key: key, Name: "Visitor " + key, Content: "I need a person"})
	e.act(t, m.ConversationID, baton.ActionRequest{Action: baton.ActionJoin})
	e.act(t, m.ConversationID, baton.ActionRequest{Action: baton.ActionAccept})
	return m.ConversationID
}

func TestDeliveryHookEnforcesWindows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, jobs, _ := channelEnv(t, db)

		t.Run("an agent reply on WhatsApp within 24 hours is queued for delivery", func(t *testing.T) {
			conv := e.handedOff(t, "wa:15551234567", "wamid.w1")
			m, err := db.Reply(e.ctx, conv, "Hello from the team", false)
			if err != nil {
				t.Fatalf("Reply = %v", err)
			}
			d := jobs.deliveries()
			if m.DeliveryStatus != baton.DeliveryQueued || len(d) == 0 || d[len(d)-1].MessageID != m.ID || d[len(d)-1].Channel != baton.ChannelWhatsApp {
				t.Fatalf("reply %s status %s, deliveries %+v", m.ID, m.DeliveryStatus, d)
			}
			if q := jobs.deliveryQueues(); q[len(q)-1] != store.QueueChannels {
				t.Errorf("the delivery job is in queue %q, want %q (apart from the other jobs)", q[len(q)-1], store.QueueChannels)
			}
			if win, err := db.ChannelWindow(e.ctx, conv); err != nil || !win.Open {
				t.Errorf("ChannelWindow = %+v, %v; want open", win, err)
			}

			e.clock.Add(24*time.Hour + time.Minute)
			before := e.snapshot(t, conv)
			n := len(jobs.deliveries())
			_, err = db.Reply(e.ctx, conv, "Still there?", false)
			if baton.ErrorCode(err) != "window_closed" || !strings.Contains(baton.ErrorMessage(err), "template") {
				t.Fatalf("Reply after 24 hours = %v, want window_closed offering a template", err)
			}
			e.unchanged(t, before, "a refused reply")
			if len(jobs.deliveries()) != n {
				t.Errorf("a refused reply enqueued a delivery")
			}
			if win, _ := db.ChannelWindow(e.ctx, conv); win.Open || !win.TemplateRequired {
				t.Errorf("ChannelWindow after 24 hours = %+v, want closed, template required", win)
			}
			if _, err := db.Reply(e.ctx, conv, "An internal note is fine", true); err != nil {
				t.Errorf("a note after 24 hours = %v, want it stored (it is never sent)", err)
			}

			tpl, err := db.CreateTemplate(e.ctx, e.bot.Slug, baton.ChannelTemplate{Name: "order_update", Language: "en_US",
				Parameters: []string{"name", "order"}, Body: "Hi {{1}}, order {{2}} has news."})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.SendTemplate(e.ctx, conv, tpl.ID, []string{"Ada"}); baton.ErrorCode(err) != baton.EINVALID {
				t.Errorf("SendTemplate with one parameter of two = %v, want invalid", err)
			}
			sent, err := db.SendTemplate(e.ctx, conv, tpl.ID, []string{"Ada", "1234"})
			if err != nil {
				t.Fatalf("SendTemplate = %v", err)
			}
			d = jobs.deliveries()
			last := d[len(d)-1]
			if sent.Content != "Hi Ada, order 1234 has news." || last.MessageID != sent.ID || last.Template == nil ||
				last.Template.Name != "order_update" || last.Template.Language != "en_US" || strings.Join(last.Template.Parameters, ",") != "Ada,1234" {
				t.Errorf("SendTemplate = %q, delivery %+v", sent.Content, last)
			}
		})

		t.Run("Messenger tags late replies HUMAN_AGENT and refuses them after 7 days", func(t *testing.T) {
			conv := e.handedOff(t, "fb:7001", "m_1")
			e.clock.Add(25 * time.Hour)
			m, err := db.Reply(e.ctx, conv, "Sorry for the wait", false)
			if err != nil {
				t.Fatalf("Reply after 25 hours = %v", err)
			}
			d := jobs.deliveries()
			if last := d[len(d)-1]; last.MessageID != m.ID || last.Tag != baton.TagHumanAgent {
				t.Errorf("delivery = %+v, want tag HUMAN_AGENT", last)
			}
			e.clock.Add(6 * 24 * time.Hour)
			if _, err := db.Reply(e.ctx, conv, "Hello?", false); baton.ErrorCode(err) != "window_closed" {
				t.Errorf("Reply after 7 days = %v, want window_closed", err)
			}
			tpl, _ := db.Templates(e.ctx, e.bot.Slug)
			if _, err := db.SendTemplate(e.ctx, conv, tpl[0].ID, []string{"a", "b"}); baton.ErrorCode(err) != baton.ECONFLICT {
				t.Errorf("SendTemplate on Messenger = %v, want conflict", err)
			}
		})

		t.Run("the bot's answers on a channel are queued; on the widget nothing is enqueued", func(t *testing.T) {
			m, _ := e.receive(t, store.InboundMessage{SessionID: "tg:99", Key: "update:99", Content: "hi"})
			n := len(jobs.deliveries())
			if _, err := db.ApplyBotAnswer(context.Background(), e.account.ID, m.ConversationID, store.BotAnswer{Content: "Hello! How can I help?"}); err != nil {
				t.Fatal(err)
			}
			d := jobs.deliveries()
			if len(d) != n+1 || d[n].Channel != baton.ChannelTelegram {
				t.Fatalf("deliveries after the bot answered = %+v", d[n:])
			}
			msgs := e.messages(t, m.ConversationID)
			if msgs[0].Kind != baton.KindBot || msgs[0].DeliveryStatus != baton.DeliveryQueued {
				t.Errorf("the bot's answer is %s %s, want bot queued", msgs[0].Kind, msgs[0].DeliveryStatus)
			}
			evs, _ := db.Events(e.ctx, m.ConversationID, 0, 100)
			last := evs[len(evs)-1]
			var p baton.Message
			json.Unmarshal(last.Payload, &p)
			if last.Type != baton.EventMessageCreated || p.DeliveryStatus != baton.DeliveryQueued {
				t.Errorf("the stored event says %s %s, want message_created queued", last.Type, p.DeliveryStatus)
			}

			id, v := e.conversationIn(t, baton.StatusHuman)
			_ = v
			n = len(jobs.deliveries())
			if _, err := db.Reply(e.ctx, id, "Hi on the widget", false); err != nil {
				t.Fatal(err)
			}
			if len(jobs.deliveries()) != n {
				t.Errorf("a widget reply enqueued a channel delivery")
			}
		})
	})
}

func TestDeliveryStatusMovesForwardOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _, events := channelEnv(t, db)
		ctx := context.Background()
		conv := e.handedOff(t, "wa:15550001111", "wamid.in1")
		m, err := db.Reply(e.ctx, conv, "Your order shipped.", false)
		if err != nil {
			t.Fatal(err)
		}
		status := func() *baton.Message {
			for _, x := range e.messages(t, conv) {
				if x.ID == m.ID {
					return x
				}
			}
			t.Fatalf("message %s is gone", m.ID)
			return nil
		}
		if err := db.SetDelivery(ctx, e.account.ID, conv, m.ID, baton.DeliverySent, "", "wamid.out1"); err != nil {
			t.Fatal(err)
		}
		steps := []struct{ status, want string }{
			{baton.DeliveryDelivered, baton.DeliveryDelivered},
			{baton.DeliveryRead, baton.DeliveryRead},
			{baton.DeliveryDelivered, baton.DeliveryRead},
			{baton.DeliveryFailed, baton.DeliveryRead},
		}
		for _, s := range steps {
			if err := db.UpdateDeliveryByExternalID(ctx, e.bot.ID, "wamid.out1", s.status, "boom"); err != nil {
				t.Fatal(err)
			}
			if got := status().DeliveryStatus; got != s.want {
				t.Errorf("after a %s receipt the message is %s, want %s", s.status, got, s.want)
			}
		}
		if got := len(events.ofType(baton.EventMessageUpdated)); got != 3 {
			t.Errorf("message_updated events = %d, want 3 (sent, delivered, read)", got)
		}
		if err := db.UpdateDeliveryByExternalID(ctx, e.bot.ID, "wamid.unknown", baton.DeliveryRead, ""); err != nil {
			t.Errorf("a receipt for an unknown message = %v, want it ignored", err)
		}
		other := e.otherAccount(t)
		if err := db.UpdateDeliveryByExternalID(ctx, other.bot.ID, "wamid.out1", baton.DeliveryFailed, "x"); err != nil || status().DeliveryStatus != baton.DeliveryRead {
			t.Errorf("another chatbot's receipt changed the message")
		}

		e.clock.Add(store.ReplyInterval)
		failing, err := db.Reply(e.ctx, conv, "Second try", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetDelivery(ctx, e.account.ID, conv, failing.ID, baton.DeliveryFailed, "WhatsApp: (#131026) Message undeliverable", ""); err != nil {
			t.Fatal(err)
		}
		var got *baton.Message
		for _, x := range e.messages(t, conv) {
			if x.ID == failing.ID {
				got = x
			}
		}
		if got.DeliveryStatus != baton.DeliveryFailed || got.DeliveryError != "WhatsApp: (#131026) Message undeliverable" {
			t.Errorf("failed message = %s %q", got.DeliveryStatus, got.DeliveryError)
		}
		ups := events.ofType(baton.EventMessageUpdated)
		var p baton.Message
		json.Unmarshal(ups[len(ups)-1].Payload, &p)
		if p.ID != failing.ID || p.DeliveryStatus != baton.DeliveryFailed || p.DeliveryError == "" {
			t.Errorf("the last message_updated carries %+v", p)
		}

		// Messenger's read watermark marks everything sent until then.
		fb := e.handedOff(t, "fb:8001", "m_in")
		e.clock.Add(time.Minute)
		a, _ := db.Reply(e.ctx, fb, "one", false)
		db.SetDelivery(ctx, e.account.ID, fb, a.ID, baton.DeliverySent, "", "m_a")
		e.clock.Add(time.Minute)
		b, _ := db.Reply(e.ctx, fb, "two", false)
		db.SetDelivery(ctx, e.account.ID, fb, b.ID, baton.DeliverySent, "", "m_b")
		if err := db.MarkReadUntil(ctx, e.bot.ID, "fb:8001", a.CreatedAt); err != nil {
			t.Fatal(err)
		}
		for _, x := range e.messages(t, fb) {
			want := map[string]string{a.ID: baton.DeliveryRead, b.ID: baton.DeliverySent}[x.ID]
			if want != "" && x.DeliveryStatus != want {
				t.Errorf("after the read watermark %q is %s, want %s", x.Content, x.DeliveryStatus, want)
			}
		}
	})
}

func TestTemplatesAreValidatedAndScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		other := e.otherAccount(t)
		bad := []baton.ChannelTemplate{
			{Name: "", Language: "en_US"},
			{Name: "has space", Language: "en_US"},
			{Name: "ok", Language: ""},
			{Name: "ok", Language: "en_US", Parameters: []string{""}},
		}
		for _, b := range bad {
			if _, err := db.CreateTemplate(e.ctx, e.bot.Slug, b); baton.ErrorCode(err) != baton.EINVALID {
				t.Errorf("CreateTemplate(%+v) = %v, want invalid", b, err)
			}
		}
		tpl, err := db.CreateTemplate(e.ctx, e.bot.Slug, baton.ChannelTemplate{Name: "hello_world", Language: "en_US"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateTemplate(e.ctx, e.bot.ID, baton.ChannelTemplate{Name: "hello_world", Language: "en_US"}); baton.ErrorCode(err) != baton.ECONFLICT {
			t.Errorf("the same template twice = %v, want conflict", err)
		}
		if _, err := db.Templates(other.ctx, e.bot.Slug); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("Templates(another account's chatbot) = %v, want not_found", err)
		}
		if err := db.DeleteTemplate(other.ctx, other.bot.Slug, tpl.ID); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("DeleteTemplate(another chatbot's template) = %v, want not_found", err)
		}
		list, _ := db.Templates(e.ctx, e.bot.Slug)
		if len(list) != 1 || list[0].Name != "hello_world" || list[0].Parameters == nil {
			t.Errorf("Templates = %+v", list)
		}
		if got := store.RenderChannelTemplate(list[0], nil); got != "[Template hello_world (en_US)]" {
			t.Errorf("RenderChannelTemplate(no body) = %q", got)
		}
		if err := db.DeleteTemplate(e.ctx, e.bot.Slug, tpl.ID); err != nil {
			t.Errorf("DeleteTemplate = %v", err)
		}
	})
}

// A thank-you from a channel resolves the conversation when the chatbot says so, as it does
// from the widget; an automated "thanks" (an auto-reply) settles nothing.
func TestChannelThanksResolves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, jobs, _ := channelEnv(t, db)
		timers := baton.DefaultTimerSettings
		timers.ResolveOnThanks = true
		if _, err := db.UpdateChatbot(e.ctx, e.bot.ID, baton.ChatbotUpdate{Timers: &timers}); err != nil {
			t.Fatal(err)
		}
		first, _ := e.receive(t, store.InboundMessage{SessionID: "wa:15550001", Key: "wamid.1", Content: "Where is my order?"})
		e.receive(t, store.InboundMessage{SessionID: "wa:15550001", Key: "wamid.2", Content: "Thank you!", Automated: true})
		if s := e.find(t, first.ConversationID).Status; s != baton.StatusBot {
			t.Fatalf("after an automated thanks, status = %s, want bot", s)
		}
		before := jobs.botReplies()
		e.receive(t, store.InboundMessage{SessionID: "wa:15550001", Key: "wamid.3", Content: "Thanks a lot!"})
		if s := e.find(t, first.ConversationID).Status; s != baton.StatusResolved {
			t.Fatalf("after thanks, status = %s, want resolved", s)
		}
		if jobs.botReplies() != before {
			t.Errorf("the bot was asked to answer a thank-you that resolved the conversation")
		}
	})
}

// The reply window counts from when the provider says the visitor wrote, when that is
// earlier than when Baton stored it (a late or retried webhook), and an older message
// delivered late never moves it back.
func TestWindowCountsFromTheProviderTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _, _ := channelEnv(t, db)
		late, _ := e.receive(t, store.InboundMessage{SessionID: "wa:15550002", Key: "wamid.late", Content: "Hello?",
			SentAt: e.clock.Now().Add(-25 * time.Hour)})
		w, err := db.ChannelWindow(e.ctx, late.ConversationID)
		if err != nil || w.Open {
			t.Fatalf("window after a message sent 25 h ago = %+v, %v; want closed", w, err)
		}
		e.receive(t, store.InboundMessage{SessionID: "wa:15550002", Key: "wamid.now", Content: "Anyone?", SentAt: e.clock.Now()})
		e.receive(t, store.InboundMessage{SessionID: "wa:15550002", Key: "wamid.older", Content: "(an old one)",
			SentAt: e.clock.Now().Add(-30 * time.Hour)})
		if w, _ := db.ChannelWindow(e.ctx, late.ConversationID); !w.Open {
			t.Errorf("an older message delivered late closed the window: %+v", w)
		}
	})
}
