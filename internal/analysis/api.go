package analysis

import (
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
)

// API serves a conversation's analysis and the fields each chatbot extracts.
type API struct {
	DB *store.DB
}

// Register adds the routes to s.
func (a *API) Register(s *httpapi.Server) {
	s.HandleFunc("GET /api/v1/conversations/{id}/analysis", s.Authed(baton.ScopeRead, "", a.get))
	s.HandleFunc("POST /api/v1/conversations/{id}/analysis", s.Authed(baton.ScopeWrite, "", a.request))
	s.HandleFunc("GET /api/v1/chatbots/{chatbot}/analysis-fields", s.Authed(baton.ScopeRead, "", a.fields))
	s.HandleFunc("PUT /api/v1/chatbots/{chatbot}/analysis-fields", s.Authed(baton.ScopeWrite, baton.RoleAdmin, a.setFields))
}

func (a *API) get(w http.ResponseWriter, r *http.Request) error {
	an, err := a.DB.FindAnalysis(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, an)
}

func (a *API) request(w http.ResponseWriter, r *http.Request) error {
	an, err := a.DB.RequestAnalysis(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, an)
}

func (a *API) fields(w http.ResponseWriter, r *http.Request) error {
	fs, err := a.DB.AnalysisFields(r.Context(), r.PathValue("chatbot"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"fields": fs, "types": baton.FieldTypes})
}

func (a *API) setFields(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Fields []baton.AnalysisField `json:"fields"`
	}
	if err := httpapi.Decode(w, r, &body); err != nil {
		return err
	}
	if body.Fields == nil {
		return baton.Invalid("fields is required (an empty list removes every field).")
	}
	fs, err := a.DB.SetAnalysisFields(r.Context(), r.PathValue("chatbot"), body.Fields)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"fields": fs, "types": baton.FieldTypes})
}
