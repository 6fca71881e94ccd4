package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/labels"
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
	Name                 *string              `json:"name"`
	Greeting             *string              `json:"greeting"`
	HandoverWebhookURL   *string              `json:"handover_webhook_url"`
	MessageWebhookURL    *string              `json:"message_webhook_url"`
	IdentityVerification *bool                `json:"identity_verification"`
	AI                   *baton.AIUpdate      `json:"ai"`
	Timers               *baton.TimerSettings `json:"timers"`
	DefaultQueueID       *string              `json:"default_queue_id"`
}

func (s *Server) updateChatbot(w http.ResponseWriter, r *http.Request) error {
	var p chatbotPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if err := s.checkOutboundTargets(r, &p); err != nil {
		return err
	}
	if p.DefaultQueueID != nil {
		if err := s.DB.SetChatbotQueue(r.Context(), r.PathValue("chatbot"), *p.DefaultQueueID); err != nil {
			return err
		}
	}
	b, err := s.DB.UpdateChatbot(r.Context(), r.PathValue("chatbot"), baton.ChatbotUpdate{Name: p.Name, Greeting: p.Greeting,
		HandoverWebhookURL: p.HandoverWebhookURL, MessageWebhookURL: p.MessageWebhookURL, IdentityVerification: p.IdentityVerification,
		AI: p.AI, Timers: p.Timers})
	if err != nil {
		return err
	}
	s.auditChatbot(r, b.Slug, &p)
	return writeJSON(w, http.StatusOK, b)
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) error {
	list, err := labels.List(r.Context(), s.DB)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"labels": list})
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
	s.LogAudit(r, auditEntry(r, audit.TokenCreate, "token:"+t.ID).With("name", t.Name).With("scopes", t.Scopes))
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
	a := baton.ActorFromContext(r.Context())
	s.revoke(r.Context(), baton.Revocation{AccountID: a.AccountID, TokenID: r.PathValue("id")})
	s.LogAudit(r, auditEntry(r, audit.TokenRevoke, "token:"+r.PathValue("id")))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type knowledgeRequest struct {
	Question string   `json:"question"`
	Answer   string   `json:"answer"`
	Keywords []string `json:"keywords"`
}

func (k knowledgeRequest) entry() baton.KnowledgeEntry {
	return baton.KnowledgeEntry{Question: k.Question, Answer: k.Answer, Keywords: k.Keywords}
}

func (s *Server) listKnowledge(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.DB.ListKnowledge(r.Context(), r.PathValue("chatbot"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

func (s *Server) createKnowledge(w http.ResponseWriter, r *http.Request) error {
	var req knowledgeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, err := s.DB.CreateKnowledge(r.Context(), r.PathValue("chatbot"), []baton.KnowledgeEntry{req.entry()})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out[0])
}

func (s *Server) updateKnowledge(w http.ResponseWriter, r *http.Request) error {
	var req knowledgeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	e, err := s.DB.UpdateKnowledge(r.Context(), r.PathValue("chatbot"), r.PathValue("id"), req.entry())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (s *Server) deleteKnowledge(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.DeleteKnowledge(r.Context(), r.PathValue("chatbot"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
