package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/store"
)

// rotateIdentitySecret gives a chatbot a new identity-verification secret (W5) and shows
// it this once: the site's server signs user ids with it (user_hash = hex HMAC-SHA256 of
// user_id). The old secret stops working at once.
func (s *Server) rotateIdentitySecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.DB.RotateIdentitySecret(r.Context(), r.PathValue("chatbot"), func(tx *store.Tx, c *baton.Chatbot) error {
		return audit.Record(r.Context(), tx, auditEntry(r, audit.IdentityRotate, "chatbot:"+c.Slug))
	})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]string{"identity_secret": secret})
}
