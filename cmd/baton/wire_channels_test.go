package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// botAPI is a minimal Telegram Bot API: getMe, setWebhook and sendMessage with their
// documented answers; it records the calls.
type botAPI struct {
	mu    sync.Mutex
	calls []map[string]string
	// sent is signalled on each sendMessage.
	sent chan struct{}
}

func (b *botAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/bot42:wired-token/") {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"ok":false,"error_code":401,"description":"Unauthorized"}`))
		return
	}
	r.ParseMultipartForm(1 << 20)
	c := map[string]string{"method": strings.TrimPrefix(r.URL.Path, "/bot42:wired-token/")}
	if r.MultipartForm != nil {
		for k, v := range r.MultipartForm.Value {
			c[k] = v[0]
		}
	}
	b.mu.Lock()
	b.calls = append(b.calls, c)
	b.mu.Unlock()
	switch c["method"] {
	case "getMe":
		w.Write([]byte(`{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Wired","username":"wired_bot"}}`))
	case "setWebhook":
		w.Write([]byte(`{"ok":true,"result":true,"description":"Webhook was set"}`))
	default:
		select {
		case b.sent <- struct{}{}:
		default:
		}
		w.Write([]byte(`{"ok":true,"result":{"message_id":7,"date":1763802005,"chat":{"id":5150,"type":"private"},"text":"ok"}}`))
	}
}

func (b *botAPI) find(method string) []map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]string
	for _, c := range b.calls {
		if c["method"] == method {
			out = append(out, c)
		}
	}
	return out
}

// TestServeWiresChannels starts the real server with BATON_TELEGRAM_API_URL pointing at
// a fake Bot API: configuring the channel registers the server's webhook, an update
// posted there becomes a conversation, and the bot's answer reaches the chat through the
// delivery job — the channels are wired into the server, its jobs and its hooks.
func TestServeWiresChannels(t *testing.T) {
	cleanEnv(t)
	fake := &botAPI{sent: make(chan struct{}, 1)}
	api := httptest.NewServer(fake)
	defer api.Close()
	t.Setenv("BATON_TELEGRAM_API_URL", api.URL)
	t.Setenv("BATON_ADMIN_EMAIL", "chief@example.test")
	t.Setenv("BATON_ADMIN_PASSWORD", "s3cret-passw0rd")
	s := start(t, "--data-dir", t.TempDir())
	base := s.URL()
	token := login(t, base, "chief@example.test", "s3cret-passw0rd")

	r := want(t, "PUT the Telegram channel", call(t, "PUT", base+"/api/v1/chatbots/demo/channels/telegram", token,
		map[string]string{"bot_token": "42:wired-token", "webhook_secret": "wired-secret"}), 200, `"status":"connected"`)
	if bytes.Contains(r.Body, []byte("42:wired-token")) {
		t.Errorf("the answer holds the token: %s", r.Body)
	}
	hooks := fake.find("setWebhook")
	if len(hooks) != 1 || hooks[0]["url"] != base+"/hooks/telegram/demo" || hooks[0]["secret_token"] != "wired-secret" {
		t.Fatalf("setWebhook calls = %v", hooks)
	}

	update, _ := json.Marshal(map[string]any{"update_id": 9001, "message": map[string]any{"message_id": 1, "date": 1763802000,
		"from": map[string]any{"id": 5150, "is_bot": false, "first_name": "Wire"}, "chat": map[string]any{"id": 5150, "type": "private"},
		"text": "Hello through the wires"}})
	req, _ := http.NewRequest("POST", base+"/hooks/telegram/demo", bytes.NewReader(update))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "wired-secret")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /hooks/telegram/demo = %d", res.StatusCode)
	}
	want(t, "the conversation", call(t, "GET", base+"/api/v1/conversations?channel=telegram", token, nil), 200, `"session_id":"tg:5150"`, `"name":"Wire"`)

	select {
	case <-fake.sent:
	case <-time.After(20 * time.Second):
		t.Fatalf("the bot's answer never reached the fake Bot API")
	}
	if sent := fake.find("sendMessage"); sent[0]["chat_id"] != "5150" || sent[0]["text"] == "" {
		t.Errorf("sendMessage = %v", sent[0])
	}
	s.close(t)
}

// TestTemplateAnswersMatchTheSpec calls the template routes of the real server — each
// answer, errors included, checked against docs/openapi.yaml — and edits a template.
func TestTemplateAnswersMatchTheSpec(t *testing.T) {
	cleanEnv(t)
	t.Setenv("BATON_ADMIN_EMAIL", "chief@example.test")
	t.Setenv("BATON_ADMIN_PASSWORD", "s3cret-passw0rd")
	s := start(t, "--data-dir", t.TempDir())
	base := s.URL()
	admin := login(t, base, "chief@example.test", "s3cret-passw0rd")
	spec := specCheck{t: t, doc: loadOpenAPI(t)}
	const list, one = "/api/v1/chatbots/{chatbot}/templates", "/api/v1/chatbots/{chatbot}/templates/{id}"
	do := func(method, path, doc string, body any, status int) map[string]any {
		t.Helper()
		r := call(t, method, base+path, admin, body)
		if r.Status != status {
			t.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, status)
		}
		spec.check(method, doc, r)
		if len(r.Body) == 0 {
			return nil
		}
		return r.json(t)
	}
	tpl := do("POST", "/api/v1/chatbots/demo/templates", list, map[string]any{"name": "order_update", "language": "en_US",
		"parameters": []string{"first_name"}, "body": "Hi {{1}}, your order shipped."}, 201)
	do("POST", "/api/v1/chatbots/demo/templates", list, map[string]any{"name": "order_update", "language": "pt_BR"}, 201)
	do("POST", "/api/v1/chatbots/demo/templates", list, map[string]any{"name": "order_update", "language": "pt_BR"}, 409)
	u := "/api/v1/chatbots/demo/templates/" + tpl["id"].(string)
	got := do("PATCH", u, one, map[string]any{"body": "Hi {{1}}, order {{2}} shipped.", "parameters": []string{"first_name", "order"}}, 200)
	if got["name"] != "order_update" || got["body"] != "Hi {{1}}, order {{2}} shipped." {
		t.Errorf("PATCH = %v", got)
	}
	do("PATCH", u, one, map[string]any{"parameters": nil}, 200)
	do("PATCH", u, one, map[string]any{"name": "has space"}, 400)
	do("PATCH", u, one, map[string]any{"language": "pt_BR"}, 409)
	do("PATCH", "/api/v1/chatbots/demo/templates/nope", one, map[string]any{"name": "x"}, 404)
	list2 := do("GET", "/api/v1/chatbots/demo/templates", list, nil, 200)
	if n := len(list2["templates"].([]any)); n != 2 {
		t.Errorf("GET templates = %v, want 2", list2)
	}
	do("DELETE", u, one, nil, 204)
}
