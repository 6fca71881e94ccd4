package bot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

const webhookSecret = "s3cret"

var webhookClock = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

var orderRequest = Request{
	ConversationID: "c_123",
	ChatbotName:    "Acme Support",
	Language:       "en",
	Knowledge:      DemoKnowledge(), // not sent: the external bot has its own
	Transcript: []Turn{
		{RoleBot, "Hello! How can I help you today?"},
		{RoleVisitor, "Where is my order?"},
	},
}

// externalBot is an external bot as the protocol describes it: it checks the signature
// and answers with status and body.
func externalBot(t *testing.T, status int, body string) (*httptest.Server, *[]byte) {
	t.Helper()
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request = %s with Content-Type %q, want POST application/json", r.Method, r.Header.Get("Content-Type"))
		}
		if !VerifySignature(webhookSecret, got, r.Header.Get(SignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func newWebhook(url string) *Webhook {
	return &Webhook{URL: url, Secret: webhookSecret, Now: func() time.Time { return webhookClock }, Client: loopbackClient}
}

func TestWebhookRespond(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Reply
	}{
		{"returns the external bot's reply", 200, `{"reply": "Your order left today.", "handoff": false, "reason": ""}`,
			Reply{Content: "Your order left today.", Confidence: 1}},
		{"returns a handoff with the bot's reason", 200, `{"reply": "One moment.", "handoff": true, "reason": "Order lookup failed"}`,
			Reply{Content: "One moment.", Handoff: true, HandoffReason: "Order lookup failed"}},
		{"gives a handoff without a reason a default one", 200, `{"handoff": true}`,
			Reply{Handoff: true, HandoffReason: "The external bot asked for a human"}},
		{"ignores fields it does not know", 200, `{"reply": "Hi", "handoff": false, "reason": "", "buttons": []}`,
			Reply{Content: "Hi", Confidence: 1}},
		{"returns nothing to send on 204, the bot answers later", 204, ``, Reply{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := externalBot(t, tt.status, tt.body)
			got, err := newWebhook(srv.URL).Respond(context.Background(), orderRequest)
			if err != nil {
				t.Fatalf("Respond: %v", err)
			}
			if got != tt.want {
				t.Errorf("Respond = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWebhookSendsTheDocumentedBody(t *testing.T) {
	srv, got := externalBot(t, 204, "")
	if _, err := newWebhook(srv.URL).Respond(context.Background(), orderRequest); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/webhook_request.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(*got, bytes.TrimSpace(want)) {
		t.Errorf("body =\n%s\nwant\n%s", *got, want)
	}
}

func TestWebhookSignature(t *testing.T) {
	body := []byte(`{"message":"hi"}`)
	// Computed independently: printf '{"message":"hi"}' | openssl dgst -sha256 -hmac s3cret
	const want = "sha256=64c19d212d69a145ac3c072126fdbb9ee9cb42924786fa0953ae173b4a1bc638"
	got := Sign(webhookSecret, body)
	t.Run("is sha256= and the hex HMAC-SHA256 of the body", func(t *testing.T) {
		if got != want {
			t.Errorf("Sign() = %q, want %q", got, want)
		}
	})
	t.Run("verifies its own signature", func(t *testing.T) {
		if !VerifySignature(webhookSecret, body, got) {
			t.Error("VerifySignature(Sign()) = false, want true")
		}
	})
	t.Run("refuses another body, secret or a bare digest", func(t *testing.T) {
		if VerifySignature(webhookSecret, []byte(`{"message":"hi!"}`), got) ||
			VerifySignature("other", body, got) ||
			VerifySignature(webhookSecret, body, strings.TrimPrefix(got, "sha256=")) {
			t.Error("VerifySignature accepted a wrong signature")
		}
	})
}

func TestWebhookErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		secret string
		wantIs error
	}{
		{"a wrong secret is refused by the bot", 200, `{"reply":"hi"}`, "wrong", ErrUnauthorized},
		{"a 500 is unavailable", 500, "oops", webhookSecret, ErrUnavailable},
		{"a 400 is rejected", 400, "bad request", webhookSecret, ErrRejected},
		{"a 429 is rate limited", 429, "slow down", webhookSecret, ErrRateLimited},
		{"a body that is not JSON is malformed", 200, "<html>hello</html>", webhookSecret, ErrMalformed},
		{"an empty 200 is malformed", 200, "", webhookSecret, ErrMalformed},
		{"a reply of the wrong type is malformed", 200, `{"reply": 42}`, webhookSecret, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := externalBot(t, tt.status, tt.body)
			w := newWebhook(srv.URL)
			w.Secret = tt.secret
			if _, err := w.Respond(context.Background(), orderRequest); !errors.Is(err, tt.wantIs) {
				t.Errorf("Respond error = %v, want %v", err, tt.wantIs)
			}
		})
	}
	t.Run("a bot that does not answer in time is a timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // until the body is read, the server cannot see the client leave
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) }) // runs first: never leave Close waiting on a handler
		w := newWebhook(srv.URL)
		w.Timeout = 50 * time.Millisecond
		if _, err := w.Respond(context.Background(), orderRequest); !errors.Is(err, ErrTimeout) {
			t.Errorf("Respond error = %v, want ErrTimeout", err)
		}
	})
	t.Run("a webhook without a secret is refused before sending", func(t *testing.T) {
		srv, got := externalBot(t, 200, `{"reply":"hi"}`)
		w := newWebhook(srv.URL)
		w.Secret = ""
		if _, err := w.Respond(context.Background(), orderRequest); err == nil || *got != nil {
			t.Errorf("Respond error = %v, sent %q; want an error and nothing sent", err, *got)
		}
	})
	t.Run("a transcript without visitor message is ErrNoMessage", func(t *testing.T) {
		if _, err := newWebhook("http://127.0.0.1:1").Respond(context.Background(), Request{}); !errors.Is(err, ErrNoMessage) {
			t.Errorf("Respond error = %v, want ErrNoMessage", err)
		}
	})
}
