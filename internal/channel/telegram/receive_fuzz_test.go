package telegram_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/telegram"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

const fuzzSecret = "fuzz-hook-secret"

// FuzzTelegramWebhook sends what the fuzzer makes to the webhook as Telegram would (with
// the secret header) on every database under test: the answer is 200 or a 4xx in the
// API's error shape, never a server error (a refused update would be retried by Telegram
// for a day); with a wrong secret it is 401/403. The adapter's parse alone is checked too:
// what it hands the store is a tg: session, valid UTF-8, with a key.
func FuzzTelegramWebhook(f *testing.F) {
	for _, b := range channeltest.Captures(f, "update_*.json") {
		f.Add(b)
	}
	// Text a PostgreSQL TEXT column refuses (NUL) and names past any sensible size.
	f.Add([]byte(`{"update_id":9001,"message":{"message_id":1,"date":1700000000,"chat":{"id":77,"type":"private"},"from":{"id":77,"first_name":"N\u0000ul"},"text":"a\u0000b"}}`))
	f.Add([]byte(`{"update_id":9002,"message":{"message_id":2,"date":1700000000,"chat":{"id":78,"type":"private","title":"` + strings.Repeat("t", 5000) + `"},"caption":"` + strings.Repeat("é", 9000) + `"}}`))
	f.Add([]byte(`{"update_id":9003,"message":{"message_id":3,"chat":{"id":-1},"document":{"file_id":"x","file_name":"\u0000.pdf"}}}`))

	fake := newFake(f)
	var envs []*channeltest.Env
	for _, d := range storetest.Dialects() {
		e := channeltest.New(f, storetest.Open(f, d), &telegram.Adapter{APIURL: fake.srv.URL})
		channeltest.Want(f, e.AsOwner(f, "PUT", "/api/v1/chatbots/demo/channels/telegram",
			map[string]any{"bot_token": token, "webhook_secret": fuzzSecret}), http.StatusOK, "PUT telegram")
		envs = append(envs, e)
	}
	adapter := &telegram.Adapter{APIURL: "http://127.0.0.1:9"}
	cfg := &store.ChannelConfig{Kind: baton.ChannelTelegram, Secrets: map[string]string{"bot_token": token, "webhook_secret": fuzzSecret}}

	f.Fuzz(func(t *testing.T, body []byte) {
		r, _ := http.NewRequest("POST", "/hooks/telegram/demo", nil)
		r.Header.Set(telegram.SecretHeader, fuzzSecret)
		if batch, err := adapter.Receive(context.Background(), cfg, r, body); err != nil {
			if baton.ErrorCode(err) != baton.EINVALID {
				t.Fatalf("refused with %v, want invalid", err)
			}
		} else {
			channeltest.CheckBatch(t, batch, "tg:")
		}
		for _, e := range envs {
			res := e.Do(t, "POST", "/hooks/telegram/demo", http.Header{telegram.SecretHeader: {fuzzSecret}}, body)
			channeltest.NoServerError(t, res, "an update")
			if wrong := e.Do(t, "POST", "/hooks/telegram/demo", http.Header{telegram.SecretHeader: {"guess"}}, body); wrong.Status != http.StatusForbidden {
				t.Fatalf("an update with a wrong secret = %d %s, want 403", wrong.Status, wrong.Body)
			}
		}
	})
}
