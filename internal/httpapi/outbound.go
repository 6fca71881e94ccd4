package httpapi

import (
	"net/http"
)

// checkOutboundTargets refuses, when they are configured, the URLs of a chatbot that the
// outbound guard would refuse when Baton calls them (SSRF): its AI endpoints (ai.base_url,
// ai.webhook_url) and its webhooks (handover_webhook_url, message_webhook_url).' (Empty turns
// a webhook off, or the AI endpoint back to its default.)
func (s *Server) checkOutboundTargets(r *http.Request, p *chatbotPatch) error {
	type target struct {
		field string
		url   *string
	}
	targets := []target{{"handover_webhook_url", p.HandoverWebhookURL}, {"message_webhook_url", p.MessageWebhookURL}}
	if p.AI != nil {
		targets = append(targets, target{"ai.base_url", p.AI.BaseURL}, target{"ai.webhook_url", p.AI.WebhookURL})
	}
	for _, f := range targets {
		if f.url == nil {
			continue
		}
		if err := s.Outbound.CheckURLField(r.Context(), f.field, *f.url); err != nil {
			return err
		}
	}
	return nil
}
