package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// TestAIEndpointOnLoopbackRefusedAtCallTime: a chatbot whose model was configured on
// loopback while the operator allowed private targets, on a server restarted without
// BATON_ALLOW_PRIVATE_WEBHOOKS: the setting is refused if made again, the bot's call
// never reaches the loopback service, and the visitor gets the usual apology, never the
// service's answer. On SQLite and, when configured, PostgreSQL.
func TestAIEndpointOnLoopbackRefusedAtCallTime(t *testing.T) {
	pg := cleanEnv(t)
	t.Setenv("BATON_ADMIN_EMAIL", "admin@example.com")
	t.Setenv("BATON_ADMIN_PASSWORD", "correct-horse-1")
	dialects := map[string]func(t *testing.T) []string{
		"sqlite": func(t *testing.T) []string { return []string{"--data-dir", t.TempDir()} },
	}
	if pg != "" {
		dialects["postgres"] = func(t *testing.T) []string {
			t.Setenv("BATON_TEST_DATABASE_URL", pg) // storetest reads it
			cfg := storetest.Config(t, store.Postgres)
			return []string{"--database-url", cfg.URL, "--data-dir", cfg.DataDir}
		}
	}
	for name, args := range dialects {
		t.Run(name, func(t *testing.T) {
			var hits atomic.Int32
			internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"INTERNAL-SECRET"},"finish_reason":"stop"}]}`))
			}))
			defer internal.Close()
			flags := args(t)
			ai := map[string]any{"ai": map[string]string{"responder": "openai", "base_url": internal.URL + "/v1", "model": "m", "api_key": "sk-test"}}

			t.Setenv("BATON_ALLOW_PRIVATE_WEBHOOKS", "1")
			allowed := start(t, flags...)
			admin := login(t, allowed.URL(), "admin@example.com", "correct-horse-1")
			want(t, "PATCH ai on loopback, allowed", call(t, "PATCH", allowed.URL()+"/api/v1/chatbots/demo", admin, ai), 200)
			allowed.close(t)

			os.Unsetenv("BATON_ALLOW_PRIVATE_WEBHOOKS")
			s := start(t, flags...)
			base := s.URL()
			admin = login(t, base, "admin@example.com", "correct-horse-1")
			want(t, "PATCH ai on loopback, not allowed", call(t, "PATCH", base+"/api/v1/chatbots/demo", admin, ai), 400,
				`"invalid"`, "BATON_ALLOW_PRIVATE_WEBHOOKS")
			sess := want(t, "open a visitor session", call(t, "POST", base+"/widget/v1/sessions", "",
				map[string]string{"chatbot": "demo", "name": "Vera"}), 201).json(t)
			vtoken, _ := sess["token"].(string)
			want(t, "a visitor message", call(t, "POST", base+"/widget/v1/messages", vtoken,
				map[string]string{"content": "Where is my order?"}), 201)
			deadline := time.Now().Add(20 * time.Second)
			for {
				r := want(t, "the visitor's messages", call(t, "GET", base+"/widget/v1/messages?after_seq=0", vtoken, nil), 200)
				if strings.Contains(string(r.Body), "INTERNAL-SECRET") {
					t.Fatalf("the visitor sees the internal service's answer: %s", r.Body)
				}
				if strings.Contains(string(r.Body), "having trouble answering") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no apology from the bot: %s", r.Body)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the loopback service got %d requests, want 0", n)
			}
		})
	}
}
