package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/baton-chat/baton/internal/storetest"
)

// FuzzRESTBodies sends arbitrary bodies to the visitor and agent endpoints, on every
// database under test: every answer
// is a 2xx or a 4xx in the API's error shape, never a 500 (checkResponse fails the test
// on anything else).
func FuzzRESTBodies(f *testing.F) {
	for _, s := range []string{`{"content":"hi"}`, `{"content":""}`, `{}`, `[]`, `null`, `{"content":1}`, `{"content":"\u0000"}`,
		`{"content":"a","private":"yes"}`, `{"chatbot":"demo","user_id":"` + string(make([]byte, 300)) + `"}`, "\xff\xfe", `{"a":`, `{"content":"x"} {}`} {
		f.Add(s)
	}
	type target struct {
		e *env
		v visitor
	}
	var targets []target
	for _, d := range storetest.Dialects() {
		e := newEnv(f, storetest.Open(f, d))
		targets = append(targets, target{e, e.openVisitor(f, "demo", "Fuzz", "hello")})
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, tg := range targets {
			e, v := tg.e, tg.v
			for _, r := range []req{
				{Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Body: body},
				{Method: "POST", URL: "/widget/v1/sessions", Body: body},
				{Method: "POST", URL: "/api/v1/conversations/" + v.ConversationID + "/messages", Token: e.OwnerToken, Body: body},
				{Method: "PATCH", URL: "/api/v1/conversations/" + v.ConversationID, Token: e.OwnerToken, Body: body},
				{Method: "POST", URL: "/api/v1/conversations/" + v.ConversationID + "/actions/transfer", Token: e.OwnerToken, Body: body},
			} {
				res := e.do(t, r)
				if res.Status >= http.StatusInternalServerError {
					t.Fatalf("%s: %s %s with %q = %d", e.DB.Dialect, r.Method, r.URL, body, res.Status)
				}
			}
		}
	})
}
