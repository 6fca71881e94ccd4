package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// TestChatbotAITargetsPassTheOutboundGuard: PATCH /api/v1/chatbots/{chatbot} refuses an
// AI endpoint (ai.base_url, ai.webhook_url) on a loopback, private or metadata address,
// or written as a numeric address not in dotted form, with 400 invalid naming the switch
// and nothing stored; with private targets allowed, the dotted ones are accepted.
func TestChatbotAITargetsPassTheOutboundGuard(t *testing.T) {
	private := []string{"http://127.0.0.1:1/", "http://169.254.169.254/latest/", "http://[::1]/", "http://10.0.0.1/",
		"http://127.0.0.1./", "http://localhost/", "http://localhost./v1", "http://[::ffff:127.0.0.1]/"}
	numeric := []string{"http://127.1/", "http://2130706433/", "http://0x7f000001/", "http://0/", "http://0177.0.0.1/"}
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newEnv(t, d)
		const good = "https://llm.example.invalid/v1" // does not resolve: checked again when called
		patch := func(field, url string) resp {
			return e.do(t, req{Method: "PATCH", URL: "/api/v1/chatbots/demo", Token: e.OwnerToken,
				Body: map[string]any{"ai": map[string]string{field: url}}})
		}
		stored := func(field string) string {
			var bot struct{ AI map[string]any }
			e.do(t, req{Method: "GET", URL: "/api/v1/chatbots/demo", Token: e.OwnerToken}).wantStatus(t, http.StatusOK).decode(t, &bot)
			s, _ := bot.AI[field].(string)
			return s
		}
		for _, field := range []string{"base_url", "webhook_url"} {
			patch(field, good).wantStatus(t, http.StatusOK)
			for _, u := range append(append([]string{}, private...), numeric...) {
				r := patch(field, u)
				r.wantError(t, http.StatusBadRequest, "invalid", "")
				if !strings.Contains(string(r.Body), "ai."+field) || !strings.Contains(string(r.Body), "BATON_ALLOW_PRIVATE_WEBHOOKS") {
					t.Errorf("PATCH ai.%s = %s: want a message naming the field and BATON_ALLOW_PRIVATE_WEBHOOKS", field, r.Body)
				}
				if got := stored(field); got != good {
					t.Errorf("after the refused %s, ai.%s = %q, want %q kept", u, field, got, good)
				}
			}
		}

		e.API.Outbound = outbound.Guard{AllowPrivate: true}
		for _, field := range []string{"base_url", "webhook_url"} {
			for _, u := range private {
				patch(field, u).wantStatus(t, http.StatusOK)
				if got := stored(field); strings.TrimSuffix(got, "/") != strings.TrimSuffix(u, "/") {
					t.Errorf("with private targets allowed, ai.%s = %q, want %q", field, got, u)
				}
			}
			// The numeric forms stay refused: what is checked must be what is dialled.
			for _, u := range numeric {
				patch(field, u).wantError(t, http.StatusBadRequest, "invalid", "")
			}
		}
	})
}
