package realtime

import (
	"context"
	"net/http"
	"strconv"

	"github.com/baton-chat/baton"
)

// VisitorAuth resolves a visitor token and their current conversation.
type VisitorAuth interface {
	AuthenticateVisitor(ctx context.Context, token string) (*baton.Visitor, error)
	VisitorConversation(ctx context.Context, v *baton.Visitor) (string, error)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(`{"error":{"code":"` + code + `","message":"` + msg + `"}}`))
}

// refuse answers an unauthenticated socket request: a WebSocket upgrade is accepted and
// closed with 4001 (browsers cannot read an HTTP status of a failed upgrade; the close
// code tells the client not to retry with this token); a plain request gets 401.
func refuse(w http.ResponseWriter, r *http.Request, anyOrigin bool, msg string) {
	if r.Header.Get("Upgrade") != "" {
		if conn, early, ok := upgrade(w, r, anyOrigin); ok {
			closeAtOnce(conn, early, CloseUnauthorized, msg)
		}
		return
	}
	writeErr(w, http.StatusUnauthorized, baton.EUNAUTHORIZED, msg)
}

// VisitorHandler serves GET /widget/v1/ws?token=…&since=…&conversation_id=….
func (h *Hub) VisitorHandler(auth VisitorAuth) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		v, err := auth.AuthenticateVisitor(r.Context(), q.Get("token"))
		if err != nil {
			refuse(w, r, true, "The visitor token is missing or not valid.")
			return
		}
		since, err := strconv.ParseInt(q.Get("since"), 10, 64)
		if q.Get("since") == "" {
			since, err = 0, nil
		}
		if err != nil || since < 0 {
			writeErr(w, http.StatusBadRequest, baton.EINVALID, "since must be a whole number, 0 or more.")
			return
		}
		conv, err := auth.VisitorConversation(r.Context(), v)
		if err != nil {
			writeErr(w, http.StatusNotFound, baton.ENOTFOUND, "Conversation not found.")
			return
		}
		if c := q.Get("conversation_id"); c != "" && c != conv {
			// The visitor's conversation changed while they were away (H7): the new one is
			// replayed from its start.
			since = 0
		}
		// The widget runs on customers' sites: any origin, authenticated by the token.
		conn, early, ok := upgrade(w, r, true)
		if !ok {
			return
		}
		c := newClient(h, conn)
		c.visitor, c.accountID, c.contactID = true, v.AccountID, v.ContactID
		c.frames = h.newVisitorFrameLimit()
		c.conv.Store(conv)
		c.followed = []string{conv}
		c.serve(since, early)
	})
}

// AgentHandler serves GET /api/v1/ws; authenticate resolves the session cookie or token.
func (h *Hub) AgentHandler(authenticate func(r *http.Request) (*baton.Actor, error), authz Authorizer, onConnect func(ctx context.Context, a *baton.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := authenticate(r)
		if err != nil || a.User == nil || !a.Can(baton.ScopeRead) {
			refuse(w, r, false, "Sign in first.")
			return
		}
		// Same-origin only (the console); tokens in the query string serve non-browser
		// clients, which send no Origin.
		conn, early, ok := upgrade(w, r, false)
		if !ok {
			return
		}
		c := newClient(h, conn)
		c.accountID, c.userID, c.actor, c.authz = a.AccountID, a.User.ID, a, authz
		c.name = a.User.DisplayName()
		availability := a.User.Availability
		if availability == baton.AvailabilityOffline {
			availability = baton.AvailabilityOnline
		}
		c.availability.Store(string(availability))
		if onConnect != nil {
			onConnect(r.Context(), a)
		}
		c.serve(0, early)
	})
}
