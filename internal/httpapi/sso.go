package httpapi

import (
	"net/http"

	"github.com/baton-chat/baton"
)

// Helpers for sign-ins that do not go through POST /api/v1/session (single sign-on).

// SetSessionCookie sets the session cookie of sess the way the password sign-in does.
func SetSessionCookie(w http.ResponseWriter, r *http.Request, sess *baton.Session) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(r)})
}

// IsHTTPS reports whether the client reached Baton over HTTPS, directly or through a proxy
// that says so.
func IsHTTPS(r *http.Request) bool { return isHTTPS(r) }

// ClientIP is the address of the client of r (for the audit log).
func ClientIP(r *http.Request) string { return clientIP(r) }
