package httpapi

import (
	"context"
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/tickets"
)

type visitorKey struct{}

func visitorFrom(ctx context.Context) *baton.Visitor {
	v, _ := ctx.Value(visitorKey{}).(*baton.Visitor)
	return v
}

// visitor requires a visitor token (Authorization: Bearer btv_…).
func (s *Server) visitor(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.DB.AuthenticateVisitor(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	}
}

type sessionRequest struct {
	Chatbot  string `json:"chatbot"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	UserID   string `json:"user_id"`
	UserHash string `json:"user_hash"`
}

func (s *Server) openSession(w http.ResponseWriter, r *http.Request) error {
	var req sessionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sess, err := s.DB.OpenSession(r.Context(), baton.VisitorSessionCreate{Chatbot: req.Chatbot, Name: req.Name,
		Email: req.Email, UserID: req.UserID, UserHash: req.UserHash})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, sess)
}

type visitorMessageRequest struct {
	Content string `json:"content"`
}

func (s *Server) postVisitorMessage(w http.ResponseWriter, r *http.Request) error {
	var req visitorMessageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := s.DB.PostVisitorMessage(r.Context(), visitorFrom(r.Context()), req.Content)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": m.ID, "conversation_id": m.ConversationID,
		"kind": m.Kind, "content": m.Content, "created_at": m.CreatedAt})
}

func (s *Server) visitorMessages(w http.ResponseWriter, r *http.Request) error {
	after, err := queryInt(r, "after_seq", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 200, 1, 500)
	if err != nil {
		return err
	}
	v := visitorFrom(r.Context())
	convID, err := s.DB.VisitorConversation(r.Context(), v)
	if err != nil {
		return err
	}
	events, err := s.DB.VisitorEvents(r.Context(), convID, after, int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"conversation_id": convID, "events": events})
}

// widgetConfig is what the widget shows before a session exists.
func (s *Server) widgetConfig(w http.ResponseWriter, r *http.Request) error {
	slug := r.URL.Query().Get("chatbot")
	if slug == "" || len(slug) > 100 {
		return baton.Invalid("Query parameter chatbot is required.")
	}
	b, err := s.DB.PublicChatbot(r.Context(), slug)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": b.Name, "greeting": b.Greeting,
		"identity_verification": b.IdentityVerification})
}

type offlineRequest struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Message string `json:"message"`
}

func (s *Server) offlineMessage(w http.ResponseWriter, r *http.Request) error {
	var req offlineRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := tickets.OfflineMessage(r.Context(), s.DB, visitorFrom(r.Context()), req.Name, req.Email, req.Message)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"ticket_number": t.Number,
		"message": "Thanks! We'll get back to you by email."})
}
