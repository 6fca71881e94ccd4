package webhooks

import (
	"net/http"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
)

// API serves the settings of the webhooks: the subscriptions with their delivery logs,
// and the integration settings with theirs.
type API struct {
	DB    *store.DB
	Guard outbound.Guard
}

// Register adds the routes to s.
func (a *API) Register(s *httpapi.Server) {
	adminRead := func(h httpapi.HandlerFunc) httpapi.HandlerFunc { return s.Authed(baton.ScopeRead, baton.RoleAdmin, h) }
	adminWrite := func(h httpapi.HandlerFunc) httpapi.HandlerFunc { return s.Authed(baton.ScopeWrite, baton.RoleAdmin, h) }
	// Changes of webhooks and of the integration settings go to the audit log.
	audited := func(h httpapi.HandlerFunc) httpapi.HandlerFunc {
		return adminWrite(s.Audited(audit.WebhookUpdate, webhookTarget, h))
	}

	s.HandleFunc("GET /api/v1/webhooks", adminRead(a.listWebhooks))
	s.HandleFunc("POST /api/v1/webhooks", audited(a.createWebhook))
	s.HandleFunc("GET /api/v1/webhooks/{id}", adminRead(a.getWebhook))
	s.HandleFunc("PATCH /api/v1/webhooks/{id}", audited(a.updateWebhook))
	s.HandleFunc("DELETE /api/v1/webhooks/{id}", audited(a.deleteWebhook))
	s.HandleFunc("POST /api/v1/webhooks/{id}/secret", audited(a.rotateWebhookSecret))
	s.HandleFunc("POST /api/v1/webhooks/{id}/ping", adminWrite(a.pingWebhook))
	s.HandleFunc("GET /api/v1/webhooks/{id}/deliveries", adminRead(a.webhookDeliveries))

	s.HandleFunc("GET /api/v1/integrations", adminRead(a.getSettings))
	s.HandleFunc("PATCH /api/v1/integrations", audited(a.updateSettings))
	s.HandleFunc("POST /api/v1/integrations/signing-secret", audited(a.rotateSigningSecret))
	s.HandleFunc("GET /api/v1/integrations/deliveries", adminRead(a.integrationDeliveries))
}

// webhookTarget names what a webhook or integration settings route changes.
func webhookTarget(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return "webhook:" + id
	}
	if strings.HasPrefix(r.URL.Path, "/api/v1/integrations") {
		return "integrations"
	}
	return "webhooks"
}

type webhookBody struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	Events      *[]string `json:"events"`
	Active      *bool     `json:"active"`
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	list, err := List(r.Context(), a.DB)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"webhooks": list, "events": baton.WebhookEvents})
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var b webhookBody
	if err := httpapi.Decode(w, r, &b); err != nil {
		return err
	}
	in := baton.WebhookInput{Active: b.Active}
	if b.URL != nil {
		in.URL = *b.URL
	}
	if b.Description != nil {
		in.Description = *b.Description
	}
	if b.Events != nil {
		in.Events = *b.Events
	}
	if err := a.Guard.CheckURLField(r.Context(), "url", in.URL); err != nil {
		return err
	}
	wh, err := Create(r.Context(), a.DB, in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, wh)
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := Find(r.Context(), a.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, wh)
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var b webhookBody
	if err := httpapi.Decode(w, r, &b); err != nil {
		return err
	}
	if _, err := Find(r.Context(), a.DB, r.PathValue("id")); err != nil {
		return err
	}
	if b.URL != nil {
		if err := a.Guard.CheckURLField(r.Context(), "url", *b.URL); err != nil {
			return err
		}
	}
	wh, err := Update(r.Context(), a.DB, r.PathValue("id"), baton.WebhookUpdate{URL: b.URL, Description: b.Description,
		Events: b.Events, Active: b.Active})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, wh)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := Delete(r.Context(), a.DB, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	wh, err := RotateSecret(r.Context(), a.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, wh)
}

func (a *API) pingWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := Ping(r.Context(), a.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, d)
}

func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpapi.QueryInt(r, "limit", store.DefaultPageSize, 1, store.MaxPageSize)
	if err != nil {
		return err
	}
	p, err := ListDeliveries(r.Context(), a.DB, r.PathValue("id"), r.URL.Query().Get("cursor"), int(limit))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, p)
}

func (a *API) getSettings(w http.ResponseWriter, r *http.Request) error {
	s, err := IntegrationSettings(r.Context(), a.DB)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s)
}

func (a *API) updateSettings(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		MessageWebhookURL *string `json:"message_webhook_url"`
	}
	if err := httpapi.Decode(w, r, &b); err != nil {
		return err
	}
	if b.MessageWebhookURL != nil {
		if err := a.Guard.CheckURLField(r.Context(), "message_webhook_url", *b.MessageWebhookURL); err != nil {
			return err
		}
	}
	s, err := UpdateIntegrationSettings(r.Context(), a.DB, b.MessageWebhookURL)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s)
}

func (a *API) rotateSigningSecret(w http.ResponseWriter, r *http.Request) error {
	s, err := RotateSigningSecret(r.Context(), a.DB)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s)
}

func (a *API) integrationDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpapi.QueryInt(r, "limit", store.DefaultPageSize, 1, store.MaxPageSize)
	if err != nil {
		return err
	}
	p, err := ListIntegrationDeliveries(r.Context(), a.DB, r.URL.Query().Get("cursor"), int(limit))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, p)
}
