package channel_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/channel/telegram"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// job is attempt n of 3 of a delivery.
func job(args store.DeliverArgs, n int) *river.Job[store.DeliverArgs] {
	return &river.Job[store.DeliverArgs]{JobRow: &rivertype.JobRow{Attempt: n, MaxAttempts: store.DeliveryAttempts}, Args: args}
}

// telegramConversation is a Telegram visitor's conversation, handed to the account's owner
// (in human): the account, its chatbot, a context acting as the owner, the conversation.
func telegramConversation(t *testing.T, db *store.DB) (*baton.Account, *baton.Chatbot, context.Context, string) {
	t.Helper()
	ctx := context.Background()
	acc, bot, err := db.CreateAccount(ctx, "Acme", "demo", "Demo Bot")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := db.CreateUser(ctx, baton.UserCreate{AccountID: acc.ID, Email: "o@acme.test", Password: "correct horse battery",
		FirstName: "Olivia", Role: baton.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	actx := baton.NewContextWithActor(ctx, &baton.Actor{AccountID: acc.ID, User: owner})
	in, _, err := db.ReceiveMessage(ctx, &store.InboundMessage{ChatbotID: bot.ID, SessionID: "tg:77", Key: "update:77", Content: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []baton.Action{baton.ActionJoin, baton.ActionAccept} {
		if _, err := db.Act(actx, in.ConversationID, baton.ActionRequest{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	return acc, bot, actx, in.ConversationID
}

// TestDelivererWithoutAProvider covers the runs that never reach a provider: a channel not
// configured or disconnected does nothing, a message that cannot be prepared ends failed on
// its last attempt, and a message delivered already is not sent again.
func TestDelivererWithoutAProvider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc, bot, actx, conv := telegramConversation(t, db)
		blobs := blob.Dir{Root: t.TempDir()}
		var logs bytes.Buffer
		w := &channel.Deliverer{DB: db, Blobs: blobs, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Adapters: map[string]channel.Adapter{baton.ChannelTelegram: &telegram.Adapter{APIURL: "http://127.0.0.1:1"}}}
		status := func(id string) *baton.Message {
			p, err := db.ListMessages(actx, conv, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Messages {
				if m.ID == id {
					return m
				}
			}
			t.Fatalf("message %s is gone", id)
			return nil
		}

		plain, err := db.Reply(actx, conv, "Not configured yet", false)
		if err != nil {
			t.Fatal(err)
		}
		args := store.DeliverArgs{AccountID: acc.ID, ConversationID: conv, MessageID: plain.ID, Channel: baton.ChannelTelegram}
		if err := w.Work(ctx, job(args, 1)); err != nil || status(plain.ID).DeliveryStatus != baton.DeliveryQueued ||
			!strings.Contains(logs.String(), "the channel is not configured; nothing sent") {
			t.Errorf("Work(no configuration) = %v, message %s, log %q", err, status(plain.ID).DeliveryStatus, logs.String())
		}
		if _, err := db.SaveChannel(actx, bot.ID, baton.ChannelTelegram, nil, map[string]string{"bot_token": "1:x", "webhook_secret": "s"}); err != nil {
			t.Fatal(err)
		}
		if err := db.DisconnectChannel(actx, bot.ID, baton.ChannelTelegram); err != nil {
			t.Fatal(err)
		}
		if err := w.Work(ctx, job(args, 1)); err != nil || !strings.Contains(logs.String(), "the channel is not connected; nothing sent") {
			t.Errorf("Work(disconnected) = %v, log %q", err, logs.String())
		}
		if err := db.SetDelivery(ctx, acc.ID, conv, plain.ID, baton.DeliverySent, "", "9"); err != nil {
			t.Fatal(err)
		}
		if err := w.Work(ctx, job(args, 2)); err != nil {
			t.Errorf("Work(delivered already) = %v, want nil", err)
		}

		key, size, err := blobs.Put(ctx, strings.NewReader("%PDF-1.4\n%%EOF\n"))
		if err != nil {
			t.Fatal(err)
		}
		now := db.Now
		db.Now = func() time.Time { return now().Add(store.ReplyInterval) }
		withFile, err := db.ReplyWithAttachments(actx, conv, "The invoice", false,
			[]store.NewAttachment{{BlobKey: key, Name: "invoice.pdf", ContentType: "application/pdf", Size: size}})
		if err != nil {
			t.Fatal(err)
		}
		q := "DELETE FROM attachments WHERE message_id = $1"
		if db.Dialect == store.Postgres {
			_, err = db.Pool().Exec(ctx, q, withFile.ID)
		} else {
			_, err = db.SQL().ExecContext(ctx, strings.ReplaceAll(q, "$1", "?"), withFile.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		args.MessageID = withFile.ID
		if err := w.Work(ctx, job(args, 1)); err == nil || status(withFile.ID).DeliveryStatus != baton.DeliveryQueued {
			t.Errorf("Work(attempt 1 of a message whose attachment is gone) = %v, %s; want an error to retry", err, status(withFile.ID).DeliveryStatus)
		}
		err = w.Work(ctx, job(args, store.DeliveryAttempts))
		var cancel *rivertype.JobCancelError
		m := status(withFile.ID)
		if !errors.As(err, &cancel) || m.DeliveryStatus != baton.DeliveryFailed || m.DeliveryError != "Baton could not prepare the message for delivery." {
			t.Errorf("Work(last attempt) = %v; message %s %q, want failed", err, m.DeliveryStatus, m.DeliveryError)
		}
	})
}

// flaky is a Telegram adapter whose first send fails with a reason that will be retried.
type flaky struct {
	telegram.Adapter
	sends int
}

func (f *flaky) Send(context.Context, *store.ChannelConfig, *channel.Outbound) (string, error) {
	f.sends++
	if f.sends == 1 {
		return "", channel.Temporary("Telegram answered 502 Bad Gateway")
	}
	return "42", nil
}

// TestARetriedDeliverySaysWhy: between attempts the message stays queued, with the reason
// and the attempt to come ("retrying (attempt 2 of 3): …"), and a later success clears it.
func TestARetriedDeliverySaysWhy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		acc, bot, actx, conv := telegramConversation(t, db)
		if _, err := db.SaveChannel(actx, bot.ID, baton.ChannelTelegram, nil, map[string]string{"bot_token": "1:x", "webhook_secret": "s"}); err != nil {
			t.Fatal(err)
		}
		w := &channel.Deliverer{DB: db, Blobs: blob.Dir{Root: t.TempDir()}, Logger: slog.New(slog.DiscardHandler),
			Adapters: map[string]channel.Adapter{baton.ChannelTelegram: &flaky{}}}
		reply, err := db.Reply(actx, conv, "On its way", false)
		if err != nil {
			t.Fatal(err)
		}
		get := func() *baton.Message {
			p, err := db.ListMessages(actx, conv, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Messages {
				if m.ID == reply.ID {
					return m
				}
			}
			t.Fatalf("message %s is gone", reply.ID)
			return nil
		}
		args := store.DeliverArgs{AccountID: acc.ID, ConversationID: conv, MessageID: reply.ID, Channel: baton.ChannelTelegram}
		if err := w.Work(ctx, job(args, 1)); err == nil {
			t.Fatal("Work(attempt 1, provider failing) = nil, want an error so River retries")
		}
		if m := get(); m.DeliveryStatus != baton.DeliveryQueued || m.DeliveryError != "retrying (attempt 2 of 3): Telegram answered 502 Bad Gateway" {
			t.Errorf("after a failed attempt the message is %s %q, want queued with the retry and its reason", m.DeliveryStatus, m.DeliveryError)
		}
		if err := w.Work(ctx, job(args, 2)); err != nil {
			t.Fatalf("Work(attempt 2) = %v", err)
		}
		if m := get(); m.DeliveryStatus != baton.DeliverySent || m.DeliveryError != "" {
			t.Errorf("after the retry succeeded the message is %s %q, want sent with no reason", m.DeliveryStatus, m.DeliveryError)
		}
	})
}
