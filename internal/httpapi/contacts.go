package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/contacts"
)

func (s *Server) contactRoutes() {
	s.handle("GET /api/v1/contacts/{id}/export", s.admin(s.exportContact))
	s.handle("DELETE /api/v1/contacts/{id}", s.admin(s.eraseContact))
}

// contactID is the {id} of a contact route (an id too long to be one is not found).
func contactID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 100 {
		return "", baton.NotFound("Contact")
	}
	return id, nil
}

func (s *Server) exportContact(w http.ResponseWriter, r *http.Request) error {
	id, err := contactID(r)
	if err != nil {
		return err
	}
	a := baton.ActorFromContext(r.Context())
	x, err := contacts.ExportContact(r.Context(), s.DB, a.AccountID, id, auditEntry(r, audit.ContactExport, "contact:"+id))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="contact-`+x.Contact.ID+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, x)
}

func (s *Server) eraseContact(w http.ResponseWriter, r *http.Request) error {
	id, err := contactID(r)
	if err != nil {
		return err
	}
	a := baton.ActorFromContext(r.Context())
	x, err := contacts.Erase(r.Context(), s.DB, s.Blobs, a.AccountID, id, auditEntry(r, audit.ContactErase, "contact:"+id))
	if x == nil {
		return err
	}
	if err != nil {
		// Committed: the rows are gone and nothing serves the files; their bytes stay.
		s.Logger.ErrorContext(r.Context(), "erase contact: attachment files left", "contact", id, "failed", x.BlobsFailed, "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
