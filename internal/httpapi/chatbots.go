package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
)

func (s *Server) listChatbots(w http.ResponseWriter, r *http.Request) error {
	bots, err := s.DB.ListChatbots(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"chatbots": bots})
}

func (s *Server) getChatbot(w http.ResponseWriter, r *http.Request) error {
	b, err := s.DB.FindChatbot(r.Context(), r.PathValue("chatbot"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

type chatbotPatch struct {
	Name                 *string `json:"name"`
	Greeting             *string `json:"greeting"`
	HandoverWebhookURL   *string `json:"handover_webhook_url"`
	MessageWebhookURL    *string `json:"message_webhook_url"`
	IdentityVerification *bool   `json:"identity_verification"`
}

func (s *Server) updateChatbot(w http.ResponseWriter, r *http.Request) error {
	var p chatbotPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	b, err := s.DB.UpdateChatbot(r.Context(), r.PathValue("chatbot"), baton.ChatbotUpdate{Name: p.Name, Greeting: p.Greeting,
		HandoverWebhookURL: p.HandoverWebhookURL, MessageWebhookURL: p.MessageWebhookURL, IdentityVerification: p.IdentityVerification})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) error {
	labels, err := s.DB.Labels(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"labels": labels})
}

type tokenRequest struct {
	Name   string        `json:"name"`
	Scopes []baton.Scope `json:"scopes"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.DB.CreateToken(r.Context(), req.Name, req.Scopes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.DB.ListTokens(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.RevokeToken(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
