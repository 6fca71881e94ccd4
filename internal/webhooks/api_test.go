package webhooks_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/baton-chat/baton/internal/webhooks/webhookstest"
)

// TestWebhookSettingsAPI covers the admin routes of subscriptions and settings.
func TestWebhookSettingsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := webhookstest.New(t, d, webhookstest.Options{AllowPrivate: true})
		agent, err := d.CreateUser(context.Background(), baton.UserCreate{AccountID: h.Account.ID, Email: "ana@acme.test",
			Password: "correct horse battery", FirstName: "Ana", Role: baton.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := d.Login(context.Background(), agent.Email, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := h.Do(t, "GET", "/api/v1/webhooks", sess.Token, nil); status != http.StatusForbidden {
			t.Errorf("GET /api/v1/webhooks as an agent = %d, want 403", status)
		}
		if status, _ := h.Do(t, "GET", "/api/v1/webhooks", "", nil); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/webhooks without credentials = %d, want 401", status)
		}
		var wh baton.Webhook
		h.Call(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "https://hooks.example/a", "events": []string{"ticket.created"}},
			http.StatusCreated, &wh)
		var list struct {
			Webhooks []baton.Webhook `json:"webhooks"`
			Events   []string        `json:"events"`
		}
		h.Call(t, "GET", "/api/v1/webhooks", h.OwnerToken, nil, http.StatusOK, &list)
		if len(list.Webhooks) != 1 || list.Webhooks[0].Secret != "" || !slices.Equal(list.Events, baton.WebhookEvents) {
			t.Errorf("GET /api/v1/webhooks = %+v", list)
		}
		var got baton.Webhook
		h.Call(t, "PATCH", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, map[string]any{"active": false, "description": "Paused"}, http.StatusOK, &got)
		if got.Active || got.Description != "Paused" || got.Secret != "" {
			t.Errorf("PATCH = %+v", got)
		}
		h.Call(t, "GET", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, nil, http.StatusOK, &got)
		if got.Active {
			t.Error("GET after PATCH shows it active")
		}
		if status, _ := h.Do(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "https://x.example", "events": []string{"nope"}}); status != 400 {
			t.Errorf("POST with an unknown event = %d, want 400", status)
		}
		if status, _ := h.Do(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "https://x.example", "events": []string{"ping"}, "extra": 1}); status != 400 {
			t.Errorf("POST with an unknown field = %d, want 400", status)
		}
		h.Call(t, "DELETE", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, nil, http.StatusNoContent, nil)
		if status, _ := h.Do(t, "GET", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, nil); status != 404 {
			t.Errorf("GET a deleted webhook = %d, want 404", status)
		}

		var s baton.IntegrationSettings
		h.Call(t, "PATCH", "/api/v1/integrations", h.OwnerToken, map[string]any{"message_webhook_url": "https://crm.example/in"}, http.StatusOK, &s)
		if s.MessageWebhookURL != "https://crm.example/in" || s.SigningSecret != "" {
			t.Errorf("PATCH /api/v1/integrations = %+v", s)
		}
		h.Call(t, "GET", "/api/v1/integrations", h.OwnerToken, nil, http.StatusOK, &s)
		if s.MessageWebhookURL != "https://crm.example/in" {
			t.Errorf("GET /api/v1/integrations = %+v", s)
		}
		var page webhooks.DeliveryPage
		h.Call(t, "GET", "/api/v1/integrations/deliveries?limit=10", h.OwnerToken, nil, http.StatusOK, &page)
		if page.Deliveries == nil {
			t.Error("GET /api/v1/integrations/deliveries has no deliveries list")
		}
		if status, _ := h.Do(t, "GET", "/api/v1/integrations/deliveries?limit=0", h.OwnerToken, nil); status != 400 {
			t.Errorf("limit=0 = %d, want 400", status)
		}
	})
}
