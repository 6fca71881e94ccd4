// Package handover serves Baton's integrations with other desks and systems: the external
// handover API (a third-party desk takes a conversation from the bot, SPEC §9 X1–X4) and
// outgoing webhooks (X5) — their settings and the signed deliveries made by durable jobs,
// every one through the SSRF guard of package outbound.
package handover

import (
	"net/http"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
)

// HandoverPath is the external handover route of API.md (its trailing slash included).
const HandoverPath = "/webbot/api/webchat/{botId}/handover/{userId}/"

// API serves the external handover API and the webhook settings.
type API struct {
	DB    *store.DB
	Guard outbound.Guard
}

// Register adds the routes to s.
func (a *API) Register(s *httpapi.Server) {
	desk := func(h httpapi.HandlerFunc) httpapi.HandlerFunc { return s.BearerOnly(baton.ScopeHandover, h) }
	adminRead := func(h httpapi.HandlerFunc) httpapi.HandlerFunc { return s.Authed(baton.ScopeRead, baton.RoleAdmin, h) }
	adminWrite := func(h httpapi.HandlerFunc) httpapi.HandlerFunc { return s.Authed(baton.ScopeWrite, baton.RoleAdmin, h) }
	// Changes of webhooks and of the integration settings go to the audit log.
	audited := func(h httpapi.HandlerFunc) httpapi.HandlerFunc {
		return adminWrite(s.Audited(audit.WebhookUpdate, webhookTarget, h))
	}

	// The reference path ends with a slash; desks that leave it out are served too (the
	// mux would otherwise redirect them, and a client that follows a redirect turns a POST
	// into a GET).
	for _, p := range []string{HandoverPath + "{$}", strings.TrimSuffix(HandoverPath, "/")} {
		s.HandleFunc("GET "+p, desk(a.takeover))
		s.HandleFunc("POST "+p, desk(a.reply))
		s.HandleFunc("DELETE "+p, desk(a.release))
	}
	s.HandleFunc("/webbot/", func(w http.ResponseWriter, r *http.Request) error {
		return baton.Errorf(baton.ENOTFOUND, "No such API route.")
	})

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

func (a *API) takeover(w http.ResponseWriter, r *http.Request) error {
	h, err := a.DB.Takeover(r.Context(), r.PathValue("botId"), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, h)
}

func (a *API) reply(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Message   string `json:"message"`
		AgentName string `json:"agent_name"`
	}
	if err := httpapi.Decode(w, r, &body); err != nil {
		return err
	}
	m, err := a.DB.HandoverReply(r.Context(), r.PathValue("botId"), r.PathValue("userId"), body.Message, body.AgentName)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, m)
}

func (a *API) release(w http.ResponseWriter, r *http.Request) error {
	h, err := a.DB.EndHandover(r.Context(), r.PathValue("botId"), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, h)
}

type webhookBody struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	Events      *[]string `json:"events"`
	Active      *bool     `json:"active"`
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	list, err := a.DB.ListWebhooks(r.Context())
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
	wh, err := a.DB.CreateWebhook(r.Context(), in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, wh)
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := a.DB.FindWebhook(r.Context(), r.PathValue("id"))
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
	if _, err := a.DB.FindWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	if b.URL != nil {
		if err := a.Guard.CheckURLField(r.Context(), "url", *b.URL); err != nil {
			return err
		}
	}
	wh, err := a.DB.UpdateWebhook(r.Context(), r.PathValue("id"), baton.WebhookUpdate{URL: b.URL, Description: b.Description,
		Events: b.Events, Active: b.Active})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, wh)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := a.DB.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	wh, err := a.DB.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, wh)
}

func (a *API) pingWebhook(w http.ResponseWriter, r *http.Request) error {
	d, err := a.DB.PingWebhook(r.Context(), r.PathValue("id"))
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
	p, err := a.DB.ListWebhookDeliveries(r.Context(), r.PathValue("id"), r.URL.Query().Get("cursor"), int(limit))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, p)
}

func (a *API) getSettings(w http.ResponseWriter, r *http.Request) error {
	s, err := a.DB.IntegrationSettings(r.Context())
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
	s, err := a.DB.UpdateIntegrationSettings(r.Context(), b.MessageWebhookURL)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s)
}

func (a *API) rotateSigningSecret(w http.ResponseWriter, r *http.Request) error {
	s, err := a.DB.RotateSigningSecret(r.Context())
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
	p, err := a.DB.ListIntegrationDeliveries(r.Context(), r.URL.Query().Get("cursor"), int(limit))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, p)
}
