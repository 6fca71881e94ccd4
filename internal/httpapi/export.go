package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
)

// The exported helpers below let other parts of Baton (channels, integrations) serve
// routes with the same error shape, limits and authentication as the core API. Their
// handlers return errors; a *baton.Error becomes its status and safe message.

// HandlerFunc is an HTTP handler that returns an error.
type HandlerFunc = handlerFunc

// HandleFunc registers a handler that returns errors (listed in Routes, instrumented).
func (s *Server) HandleFunc(pattern string, h HandlerFunc) { s.handle(pattern, h) }

// Authed requires a signed-in user or an integration token with scope, and a role of at
// least min ("" for any role); the actor is in the request's context.
func (s *Server) Authed(scope baton.Scope, min baton.Role, h HandlerFunc) HandlerFunc {
	return s.authWith(h, func(a *baton.Actor) error {
		if min != "" && !a.Role().AtLeast(min) {
			return baton.Errorf(baton.EFORBIDDEN, "Only an admin or the owner can do this.")
		}
		if !a.Can(scope) {
			return errScope(scope)
		}
		return nil
	})
}

// BearerOnly is Authed for APIs called by other programs (the external handover API): the
// credentials must come in the Authorization header, never from a cookie, so that a page
// on another site cannot make a signed-in agent's browser call them (a GET performs a
// takeover, and GETs pass no cross-origin check).
func (s *Server) BearerOnly(scope baton.Scope, h HandlerFunc) HandlerFunc {
	authed := s.Authed(scope, "", h)
	return func(w http.ResponseWriter, r *http.Request) error {
		if bearer(r) == "" {
			return baton.Errorf(baton.EUNAUTHORIZED, "This API takes an integration token in an Authorization: Bearer header; session cookies are not accepted.")
		}
		return authed(w, r)
	}
}

// Visitor requires a visitor token; VisitorFrom reads the visitor from the context.
func (s *Server) Visitor(h HandlerFunc) HandlerFunc { return s.visitor(h) }

// VisitorFrom returns the authenticated visitor of a request.
var VisitorFrom = visitorFrom

// Decode reads a JSON body with the API's limits (1 MiB, UTF-8, no unknown fields).
func Decode(w http.ResponseWriter, r *http.Request, v any) error { return decode(w, r, v) }

// DecodeOptional is Decode for bodies that may be absent.
func DecodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeOptional(w, r, v)
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error { return writeJSON(w, status, v) }

// QueryInt reads an integer query parameter within [min, max]; absent gives def.
func QueryInt(r *http.Request, name string, def, min, max int64) (int64, error) {
	return queryInt(r, name, def, min, max)
}
