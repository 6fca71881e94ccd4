package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/canned"
	"github.com/baton-chat/baton/internal/labels"
	"github.com/baton-chat/baton/internal/notify"
	"github.com/baton-chat/baton/internal/store"
)

type queueRequest struct {
	Name               *string   `json:"name"`
	RingTimeoutSeconds *int      `json:"ring_timeout_seconds"`
	MemberIDs          *[]string `json:"member_ids"`
}

func (q queueRequest) input() store.QueueInput {
	return store.QueueInput{Name: q.Name, RingTimeoutSeconds: q.RingTimeoutSeconds, MemberIDs: q.MemberIDs}
}

func (s *Server) listQueues(w http.ResponseWriter, r *http.Request) error {
	qs, err := s.DB.ListQueues(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"queues": qs})
}

func (s *Server) createQueue(w http.ResponseWriter, r *http.Request) error {
	var req queueRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	q, err := s.DB.CreateQueue(r.Context(), req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, q)
}

func (s *Server) getQueue(w http.ResponseWriter, r *http.Request) error {
	q, err := s.DB.FindQueue(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (s *Server) updateQueue(w http.ResponseWriter, r *http.Request) error {
	var req queueRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	q, err := s.DB.UpdateQueue(r.Context(), r.PathValue("id"), req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (s *Server) deleteQueue(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.DeleteQueue(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) error {
	agents, err := s.DB.ListAgents(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	list, unread, err := notify.List(r.Context(), s.DB, int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"notifications": list, "unread": unread})
}

func (s *Server) readNotification(w http.ResponseWriter, r *http.Request) error {
	if err := notify.MarkRead(r.Context(), s.DB, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type cannedRequest struct {
	Shortcut *string `json:"shortcut"`
	Title    *string `json:"title"`
	Content  *string `json:"content"`
	Category *string `json:"category"`
}

func (c cannedRequest) input() canned.Input {
	return canned.Input{Shortcut: c.Shortcut, Title: c.Title, Content: c.Content, Category: c.Category}
}

func (s *Server) listCanned(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if len(q.Get("q")) > 200 || len(q.Get("category")) > 100 {
		return baton.Invalid("The search text is too long.")
	}
	list, err := canned.List(r.Context(), s.DB, q.Get("q"), q.Get("category"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"canned_responses": list})
}

func (s *Server) createCanned(w http.ResponseWriter, r *http.Request) error {
	var req cannedRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := canned.Create(r.Context(), s.DB, req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) updateCanned(w http.ResponseWriter, r *http.Request) error {
	var req cannedRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := canned.Update(r.Context(), s.DB, r.PathValue("id"), req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) deleteCanned(w http.ResponseWriter, r *http.Request) error {
	if err := canned.Delete(r.Context(), s.DB, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) renderCanned(w http.ResponseWriter, r *http.Request) error {
	text, err := canned.Render(r.Context(), s.DB, r.PathValue("id"), r.URL.Query().Get("conversation_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"content": text})
}

type labelRequest struct {
	Name  *string `json:"name"`
	Color *string `json:"color"`
}

func (s *Server) createLabel(w http.ResponseWriter, r *http.Request) error {
	var req labelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	l, err := labels.Save(r.Context(), s.DB, "", labels.Input{Name: req.Name, Color: req.Color})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, l)
}

func (s *Server) updateLabel(w http.ResponseWriter, r *http.Request) error {
	var req labelRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	l, err := labels.Save(r.Context(), s.DB, r.PathValue("id"), labels.Input{Name: req.Name, Color: req.Color})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (s *Server) deleteLabel(w http.ResponseWriter, r *http.Request) error {
	if err := labels.Delete(r.Context(), s.DB, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) error {
	tags, err := labels.Tags(r.Context(), s.DB)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
}
