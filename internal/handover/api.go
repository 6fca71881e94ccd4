// Package handover serves the external handover API: a third-party desk takes a
// conversation from the bot, answers the visitor and gives it back (SPEC §9 X2, X4).
// The webhooks that tell the desk about handoffs and visitor messages (X1, X3) live in
// package webhooks.
package handover

import (
	"net/http"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
)

// HandoverPath is the external handover route of API.md (its trailing slash included).
const HandoverPath = "/webbot/api/webchat/{botId}/handover/{userId}/"

// API serves the external handover API.
type API struct {
	DB *store.DB
}

// Register adds the routes to s.
func (a *API) Register(s *httpapi.Server) {
	desk := func(h httpapi.HandlerFunc) httpapi.HandlerFunc { return s.BearerOnly(baton.ScopeHandover, h) }
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
