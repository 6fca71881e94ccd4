package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
)

// parseFilter reads the list filters from the query string (A2, A3).
func parseFilter(r *http.Request, now time.Time) (baton.ConversationFilter, error) {
	q := r.URL.Query()
	var f baton.ConversationFilter
	for _, v := range strings.Split(q.Get("status"), ",") {
		v = strings.TrimSpace(v)
		switch {
		case v == "" || v == "all":
		case v == "pending":
			t := true
			f.Pending = &t
			f.Statuses = append(f.Statuses, baton.StatusHuman)
		case baton.Status(v).Valid():
			f.Statuses = append(f.Statuses, baton.Status(v))
		default:
			return f, baton.Invalid("Unknown status %q: use bot, waiting, human, pending, offline, resolved, closed or abandoned.", v)
		}
	}
	if c := q.Get("channel"); c != "" {
		if !slices.Contains(baton.Channels, c) {
			return f, baton.Invalid("Unknown channel %q.", c)
		}
		f.Channel = c
	}
	f.AssigneeID = q.Get("assignee")
	if f.AssigneeID == "me" {
		f.AssigneeID = baton.ActorFromContext(r.Context()).UserID()
	}
	f.Priority = baton.Priority(q.Get("priority"))
	if !f.Priority.Valid() {
		return f, baton.Invalid("Priority must be low, medium, high or urgent.")
	}
	f.Tag, f.Label, f.QueueID = q.Get("tag"), q.Get("label"), q.Get("queue")
	switch a := q.Get("activity"); a {
	case "", "all":
	case baton.ActivityLow, baton.ActivityMedium, baton.ActivityHigh:
		f.Activity = a
	default:
		return f, baton.Invalid("activity must be low, medium or high.")
	}
	switch rg := q.Get("range"); rg {
	case "", "all":
	case "today":
		t := now.Truncate(24 * time.Hour)
		f.From = &t
	case "24h", "7d", "30d":
		d := map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}[rg]
		t := now.Add(-d)
		f.From = &t
	default:
		return f, baton.Invalid("range must be today, 24h, 7d or 30d (or use from and to).")
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseTimeParam(v)
			if err != nil {
				return f, baton.Invalid("%s must be a date (2006-01-02) or an RFC 3339 time.", p.name)
			}
			*p.dst = &t
		}
	}
	f.Query = q.Get("q")
	if utf8.RuneCountInString(f.Query) > 200 {
		return f, baton.Invalid("The search text is too long (200 characters at most).")
	}
	f.Cursor = q.Get("cursor")
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return f, err
	}
	f.Limit = int(limit)
	return f, nil
}

func parseTimeParam(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Parse("2006-01-02", v)
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	f, err := parseFilter(r, s.DB.Now())
	if err != nil {
		return err
	}
	page, err := s.DB.ListConversations(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) error {
	c, err := s.DB.FindConversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

type conversationPatch struct {
	Priority      *baton.Priority `json:"priority"`
	Tags          *[]string       `json:"tags"`
	Labels        *[]string       `json:"labels"`
	Collaborators *[]string       `json:"collaborators"`
	AssigneeID    *string         `json:"assignee_id"`
	Contact       *struct {
		Email *string `json:"email"`
		Name  *string `json:"name"`
	} `json:"contact"`
}

func (s *Server) updateConversation(w http.ResponseWriter, r *http.Request) error {
	var p conversationPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	up := baton.ConversationUpdate{Priority: p.Priority, Tags: p.Tags, Labels: p.Labels, Collaborators: p.Collaborators, AssigneeID: p.AssigneeID}
	if p.Contact != nil {
		up.ContactEmail, up.ContactName = p.Contact.Email, p.Contact.Name
	}
	c, err := s.DB.UpdateConversation(r.Context(), r.PathValue("id"), up)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	before, err := queryInt(r, "before", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	page, err := s.DB.ListMessages(r.Context(), r.PathValue("id"), before, int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

type messageRequest struct {
	Content string `json:"content"`
	Private bool   `json:"private"`
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	var req messageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := s.DB.Reply(r.Context(), r.PathValue("id"), req.Content, req.Private)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

type actionRequest struct {
	Note    string `json:"note"`
	AgentID string `json:"agent_id"`
	QueueID string `json:"queue_id"`
	Reason  string `json:"reason"`
}

func (s *Server) act(w http.ResponseWriter, r *http.Request) error {
	action := baton.Action(r.PathValue("action"))
	if !slices.Contains(baton.AgentActions, action) {
		return baton.Errorf(baton.ENOTFOUND, "Unknown action %q: use join, accept, release, resolve, close, reopen or transfer.", action)
	}
	var req actionRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	c, err := s.DB.Act(r.Context(), r.PathValue("id"), baton.ActionRequest{Action: action, Note: req.Note,
		AgentID: req.AgentID, QueueID: req.QueueID, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

type statusRequest struct {
	Status string `json:"status"`
}

// putStatus is the reference form (000_573685f02b563e6c): "closed" closes, "active" returns
// the conversation to the AI (release, or reopen when it had ended).
func (s *Server) putStatus(w http.ResponseWriter, r *http.Request) error {
	var req statusRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	var action baton.Action
	switch req.Status {
	case "closed":
		action = baton.ActionClose
	case "active":
		c, err := s.DB.FindConversation(r.Context(), id)
		if err != nil {
			return err
		}
		action = baton.ActionRelease
		if !c.Status.Open() {
			action = baton.ActionReopen
		}
	default:
		return &baton.Error{Code: "invalid_status", Status: http.StatusBadRequest,
			Message: `status must be "closed" or "active".`}
	}
	c, err := s.DB.Act(r.Context(), id, baton.ActionRequest{Action: action})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	since, err := queryInt(r, "since", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 500, 1, 1000)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.DB.FindConversation(r.Context(), id); err != nil {
		return err
	}
	events, err := s.DB.Events(r.Context(), id, since, int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": events})
}

type botReplyRequest struct {
	Content string `json:"content"`
	Handoff bool   `json:"handoff"`
	Reason  string `json:"reason"`
}

// botReply lets an external bot (the webhook responder, B1) answer later: the answer is
// stored as a bot message, or dropped with 409 when the conversation left the bot (B2).
func (s *Server) botReply(w http.ResponseWriter, r *http.Request) error {
	var req botReplyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Content == "" && !req.Handoff {
		return baton.Invalid("Send content, handoff, or both.")
	}
	if req.Content != "" {
		if _, err := store.CheckContent(req.Content); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(req.Reason) > store.MaxReasonLength {
		return baton.Invalid("The reason is too long (%d characters at most).", store.MaxReasonLength)
	}
	a := baton.ActorFromContext(r.Context())
	if a.TokenID == "" && !a.Role().AtLeast(baton.RoleAdmin) {
		return baton.Errorf(baton.EFORBIDDEN, "Only an integration token or an admin can answer as the bot.")
	}
	id := r.PathValue("id")
	if _, err := s.DB.FindConversation(r.Context(), id); err != nil {
		return err
	}
	dropped, err := s.DB.ApplyBotAnswer(r.Context(), a.AccountID, id, store.BotAnswer{Content: req.Content, Handoff: req.Handoff, Reason: req.Reason})
	if err != nil {
		return err
	}
	if dropped {
		return baton.Errorf(baton.ECONFLICT, "The conversation is no longer handled by the bot; the answer was dropped.")
	}
	c, err := s.DB.FindConversation(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}
