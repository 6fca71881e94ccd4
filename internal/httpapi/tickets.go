package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/tickets"
)

type ticketRequest struct {
	Subject         string         `json:"subject"`
	Description     string         `json:"description"`
	Priority        baton.Priority `json:"priority"`
	AssigneeID      string         `json:"assignee_id"`
	ConversationIDs []string       `json:"conversation_ids"`
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) error {
	var req ticketRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := tickets.Create(r.Context(), s.DB, baton.TicketCreate{Subject: req.Subject, Description: req.Description,
		Priority: req.Priority, AssigneeID: req.AssigneeID, ConversationIDs: req.ConversationIDs})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) createConversationTicket(w http.ResponseWriter, r *http.Request) error {
	var req ticketRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.ConversationIDs) > 0 {
		return baton.Invalid("conversation_ids is not accepted here: the ticket links this conversation.")
	}
	t, err := tickets.Create(r.Context(), s.DB, baton.TicketCreate{Subject: req.Subject, Description: req.Description,
		Priority: req.Priority, AssigneeID: req.AssigneeID, ConversationIDs: []string{r.PathValue("id")}})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) error {
	t, err := tickets.Find(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

type ticketPatch struct {
	Subject     *string         `json:"subject"`
	Description *string         `json:"description"`
	Priority    *baton.Priority `json:"priority"`
	Status      *string         `json:"status"`
	AssigneeID  *string         `json:"assignee_id"`
	Link        []string        `json:"link_conversation_ids"`
	Unlink      []string        `json:"unlink_conversation_ids"`
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request) error {
	var p ticketPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if len(p.Link)+len(p.Unlink) > 50 {
		return baton.Invalid("At most 50 conversations can be linked or unlinked at once.")
	}
	t, err := tickets.Update(r.Context(), s.DB, r.PathValue("id"), baton.TicketUpdate{Subject: p.Subject, Description: p.Description,
		Priority: p.Priority, Status: p.Status, AssigneeID: p.AssigneeID, Link: p.Link, Unlink: p.Unlink})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := baton.TicketFilter{Status: q.Get("status"), Priority: baton.Priority(q.Get("priority")),
		AssigneeID: q.Get("assignee"), Query: q.Get("q"), Cursor: q.Get("cursor")}
	switch f.Status {
	case "", baton.TicketOpen, baton.TicketPending, baton.TicketSolved:
	default:
		return baton.Invalid("status must be open, pending or solved.")
	}
	if !f.Priority.Valid() {
		return baton.Invalid("priority must be low, medium, high or urgent.")
	}
	if f.AssigneeID == "me" {
		f.AssigneeID = baton.ActorFromContext(r.Context()).UserID()
	}
	if len(f.Query) > 200 {
		return baton.Invalid("The search text is too long (200 characters at most).")
	}
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	list, next, err := tickets.List(r.Context(), s.DB, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tickets": list, "next_cursor": next})
}

func (s *Server) conversationTickets(w http.ResponseWriter, r *http.Request) error {
	list, err := tickets.OfConversation(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tickets": list})
}
