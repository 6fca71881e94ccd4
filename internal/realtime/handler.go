package realtime

import (
	"context"
	"net/http"
	"strconv"

	"github.com/baton-chat/baton"
	"github.com/coder/websocket"
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
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: anyOrigin})
		if err == nil {
			conn.Close(CloseUnauthorized, msg)
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
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		c := newClient(h, conn)
		c.visitor = v
		c.accountID = v.AccountID
		c.conv.Store(conv)
		c.followed[conv] = true
		c.run(context.WithoutCancel(r.Context()), since)
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
		// Same-origin only (the console), which coder/websocket checks by default; tokens in
		// the query string serve non-browser clients, which send no Origin.
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c := newClient(h, conn)
		c.accountID, c.userID, c.actor, c.authz = a.AccountID, a.User.ID, a, authz
		c.name = a.User.DisplayName()
		c.allowed = map[string]bool{}
		availability := a.User.Availability
		if availability == baton.AvailabilityOffline {
			availability = baton.AvailabilityOnline
		}
		c.availability.Store(string(availability))
		if onConnect != nil {
			onConnect(r.Context(), a)
		}
		c.run(context.WithoutCancel(r.Context()), 0)
	})
}
