package httpapi_test

import (
	"net/http"
	"testing"
	"time"
)

// An expired visitor token answers 401 unauthorized with a message that says so; a new
// session works at once (issue 18, item 14).
func TestExpiredVisitorTokenIsUnauthorized(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Vera", "Hello")
		e.do(t, req{Method: "GET", URL: "/widget/v1/messages", Token: v.Token}).wantStatus(t, http.StatusOK)
		e.Clock.Advance(31 * 24 * time.Hour)
		for _, r := range []req{
			{Method: "GET", URL: "/widget/v1/messages", Token: v.Token},
			{Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Body: map[string]string{"content": "still there?"}},
		} {
			e.do(t, r).wantError(t, http.StatusUnauthorized, "unauthorized", "The visitor token has expired: open a new session.")
		}
		fresh := e.openVisitor(t, "demo", "Vera", "Back again")
		e.do(t, req{Method: "GET", URL: "/widget/v1/messages", Token: fresh.Token}).wantStatus(t, http.StatusOK)
	})
}
