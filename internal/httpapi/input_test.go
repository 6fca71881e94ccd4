package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/baton-chat/baton/internal/httpapi"
)

// TestBadInput sends malformed bodies and parameters (K3): each gets a clear 4xx in the
// error shape, never a 500, and a good request right beside it succeeds.
func TestBadInput(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		human := e.openVisitor(t, "demo", "Bob", "Hello")
		e.handOff(t, e.OwnerToken, human.ConversationID)
		msgs := "/api/v1/conversations/" + v.ConversationID + "/messages"
		humanMsgs := "/api/v1/conversations/" + human.ConversationID + "/messages"
		tok := e.OwnerToken

		overMiB := `{"content":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`
		runScenarios(t, e, []scenario{
			{Name: "a body over 1 MiB is 413", Method: "POST", URL: msgs, Token: tok, Body: overMiB,
				ExpectedStatus: 413, ExpectedCode: "too_large"},
			{Name: "a visitor body over 1 MiB is 413", Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Body: overMiB,
				ExpectedStatus: 413, ExpectedCode: "too_large"},
			{Name: "a login body over 1 MiB is 413", Method: "POST", URL: "/api/v1/session", Body: overMiB,
				ExpectedStatus: 413, ExpectedCode: "too_large"},
			{Name: "invalid JSON is 400", Method: "POST", URL: msgs, Token: tok, Body: `{"content":`,
				ExpectedStatus: 400, ExpectedCode: "invalid", ExpectedContent: []string{"not valid JSON"}},
			{Name: "JSON with a syntax error is 400", Method: "POST", URL: msgs, Token: tok, Body: `{"content" "x"}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "an unknown field is 400", Method: "POST", URL: msgs, Token: tok, Body: `{"content":"x","private":true,"bogus":1}`,
				ExpectedStatus: 400, ExpectedCode: "invalid", ExpectedContent: []string{"bogus"}},
			{Name: "invalid UTF-8 is 400", Method: "POST", URL: msgs, Token: tok, Body: "{\"content\":\"\xff\xfe\",\"private\":true}",
				ExpectedStatus: 400, ExpectedCode: "invalid", ExpectedContent: []string{"UTF-8"}},
			{Name: "invalid UTF-8 from a visitor is 400", Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Body: "{\"content\":\"\xc3\x28\"}",
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "Content-Type text/plain is 415", Method: "POST", URL: msgs, Token: tok, Body: `{"content":"x","private":true}`,
				Headers: map[string]string{"Content-Type": "text/plain"}, ExpectedStatus: 415, ExpectedCode: "unsupported_media_type"},
			{Name: "a form body is 415", Method: "POST", URL: "/api/v1/session", Body: `email=a&password=b`,
				Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, ExpectedStatus: 415, ExpectedCode: "unsupported_media_type"},
			{Name: "a bad Content-Type is 415", Method: "POST", URL: "/widget/v1/sessions", Body: `{"chatbot":"demo"}`,
				Headers: map[string]string{"Content-Type": ";;;"}, ExpectedStatus: 415, ExpectedCode: "unsupported_media_type"},
			{Name: "application/json with a charset is fine", Method: "POST", URL: msgs, Token: tok, Body: `{"content":"x","private":true}`,
				Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}, ExpectedStatus: 201},
			{Name: "an empty body is 400", Method: "POST", URL: msgs, Token: tok, Body: "",
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a JSON array is 400", Method: "POST", URL: msgs, Token: tok, Body: `[]`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a JSON string is 400", Method: "POST", URL: msgs, Token: tok, Body: `"hello"`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "null is 400", Method: "POST", URL: msgs, Token: tok, Body: `null`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "two objects are 400", Method: "POST", URL: msgs, Token: tok, Body: `{"content":"a","private":true}{"content":"b"}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a field of the wrong type is 400", Method: "POST", URL: msgs, Token: tok, Body: `{"content":5}`,
				ExpectedStatus: 400, ExpectedCode: "invalid", ExpectedContent: []string{"content"}},
			{Name: "a number too large for its field is 400", Method: "PATCH", URL: "/api/v1/me", Token: tok, Body: `{"capacity":1e40}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a deeply nested body is 400", Method: "POST", URL: msgs, Token: tok,
				Body: strings.Repeat(`{"content":`, 20000) + `"x"` + strings.Repeat("}", 20000), ExpectedStatus: 400, ExpectedCode: "invalid"},

			{Name: "a message over 10000 characters is 413", Method: "POST", URL: msgs, Token: tok,
				Body: map[string]any{"content": strings.Repeat("é", 10001), "private": true}, ExpectedStatus: 413, ExpectedCode: "too_large"},
			{Name: "a message of 10000 characters is fine", Method: "POST", URL: msgs, Token: tok,
				Body: map[string]any{"content": strings.Repeat("é", 10000), "private": true}, ExpectedStatus: 201},
			{Name: "a reply over 10000 characters is 413", Method: "POST", URL: humanMsgs, Token: tok,
				Body: map[string]any{"content": strings.Repeat("x", 10001)}, ExpectedStatus: 413, ExpectedCode: "too_large"},
			{Name: "a visitor message over 10000 characters is 413", Method: "POST", URL: "/widget/v1/messages", Token: v.Token,
				Body: map[string]any{"content": strings.Repeat("x", 10001)}, ExpectedStatus: 413, ExpectedCode: "too_large"},
			{Name: "an empty message is 400", Method: "POST", URL: msgs, Token: tok, Body: `{"content":"","private":true}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a blank message is 400", Method: "POST", URL: humanMsgs, Token: tok, Body: `{"content":" \n\t "}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a missing content is 400", Method: "POST", URL: humanMsgs, Token: tok, Body: `{}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "an empty visitor message is 400", Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Body: `{"content":""}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			// PostgreSQL cannot store NUL in text; it is refused before it gets there.
			{Name: "a message with a NUL character is 400", Method: "POST", URL: msgs, Token: tok,
				Body: `{"content":"a\u0000b","private":true}`, ExpectedStatus: 400, ExpectedCode: "invalid", ExpectedContent: []string{"NUL"}},
			{Name: "a visitor message with a NUL character is 400", Method: "POST", URL: "/widget/v1/messages", Token: v.Token,
				Body: `{"content":"a\u0000b"}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "an escaped backslash before u0000 is no NUL", Method: "POST", URL: msgs, Token: tok,
				Body: `{"content":"C:\\u0000","private":true}`, ExpectedStatus: 201, ExpectedContent: []string{`C:\\u0000`}},

			{Name: "a session on an unknown chatbot is 404", Method: "POST", URL: "/widget/v1/sessions", Body: `{"chatbot":"nope"}`,
				ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "a session without a chatbot is 400", Method: "POST", URL: "/widget/v1/sessions", Body: `{}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a session with a bad email is 400", Method: "POST", URL: "/widget/v1/sessions", Body: `{"chatbot":"demo","email":"not an email"}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a session with a name over 100 characters is 400", Method: "POST", URL: "/widget/v1/sessions",
				Body: map[string]string{"chatbot": "demo", "name": strings.Repeat("n", 101)}, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a login without a password is 400", Method: "POST", URL: "/api/v1/session", Body: `{"email":"owner@acme.test"}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a token without scopes is 400", Method: "POST", URL: "/api/v1/tokens", Token: tok, Body: `{"name":"x","scopes":[]}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a token with an unknown scope is 400", Method: "POST", URL: "/api/v1/tokens", Token: tok, Body: `{"name":"x","scopes":["admin"]}`,
				ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a user with a short password is 400", Method: "POST", URL: "/api/v1/users", Token: tok,
				Body: `{"email":"new@acme.test","password":"short"}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a user with an unknown role is 400", Method: "POST", URL: "/api/v1/users", Token: tok,
				Body: `{"email":"new@acme.test","password":"long enough phrase","role":"god"}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a user with a taken email is 409", Method: "POST", URL: "/api/v1/users", Token: tok,
				Body: `{"email":"OWNER@acme.test","password":"long enough phrase"}`, ExpectedStatus: 409, ExpectedCode: "conflict"},
			{Name: "a chatbot webhook that is not http is 400", Method: "PATCH", URL: "/api/v1/chatbots/demo", Token: tok,
				Body: `{"handover_webhook_url":"javascript:alert(1)"}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "a chatbot with an empty name is 400", Method: "PATCH", URL: "/api/v1/chatbots/demo", Token: tok,
				Body: `{"name":"  "}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "an unknown availability is 400", Method: "PATCH", URL: "/api/v1/me", Token: tok,
				Body: `{"availability":"asleep"}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "too many tags are 400", Method: "PATCH", URL: "/api/v1/conversations/" + v.ConversationID, Token: tok,
				Body: map[string]any{"tags": strings.Split(strings.Repeat("t,", 51), ",")}, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "an unknown collaborator is 400", Method: "PATCH", URL: "/api/v1/conversations/" + v.ConversationID, Token: tok,
				Body: `{"collaborators":["nobody"]}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
		})
	})
}

// TestBadQueryParameters: every malformed query parameter is 400 invalid.
func TestBadQueryParameters(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		conv := "/api/v1/conversations/" + v.ConversationID
		var scenarios []scenario
		bad := map[string][]string{
			"/api/v1/conversations?": {
				"limit=0", "limit=abc", "limit=-1", "limit=201", "limit=1.5", "limit=99999999999999999999",
				"status=bogus", "status=bot,bogus", "range=bogus", "channel=bogus", "priority=bogus", "activity=bogus",
				"from=yesterday", "to=2024-13-45", "cursor=not-base64!", "cursor=bm9waXBl", "q=" + strings.Repeat("q", 201),
			},
			conv + "/messages?":    {"limit=0", "limit=abc", "limit=201", "before=-1", "before=abc"},
			conv + "/events?":      {"since=abc", "since=-1", "limit=0", "limit=1001"},
			"/widget/v1/messages?": {"after_seq=abc", "after_seq=-5", "limit=0", "limit=501"},
		}
		for path, queries := range bad {
			for _, q := range queries {
				token := e.OwnerToken
				if strings.HasPrefix(path, "/widget/") {
					token = v.Token
				}
				scenarios = append(scenarios, scenario{Name: path + q, Method: "GET", URL: path + q, Token: token,
					ExpectedStatus: 400, ExpectedCode: "invalid"})
			}
		}
		good := []string{
			"/api/v1/conversations?limit=1", "/api/v1/conversations?limit=200", "/api/v1/conversations?status=all",
			"/api/v1/conversations?status=bot,waiting", "/api/v1/conversations?status=pending", "/api/v1/conversations?range=today",
			"/api/v1/conversations?range=7d", "/api/v1/conversations?from=2020-01-01&to=2999-01-01T00:00:00Z",
			"/api/v1/conversations?channel=web&priority=high&activity=low", "/api/v1/conversations?assignee=me",
			"/api/v1/conversations?assignee=none", "/api/v1/conversations?q=" + url.QueryEscape(`100%_\'"`),
			"/api/v1/conversations?q=%231", "/api/v1/conversations?tag=x&label=y&queue=z",
			conv + "/messages?before=1&limit=1", conv + "/events?since=0&limit=1",
		}
		for _, u := range good {
			scenarios = append(scenarios, scenario{Name: u, Method: "GET", URL: u, Token: e.OwnerToken, ExpectedStatus: 200})
		}
		runScenarios(t, e, scenarios)
	})
}

// TestOddIdentifiers sends ids and query texts no id looks like (invalid UTF-8, NUL,
// very long, SQL) to every route with a path id: never a server error.
func TestOddIdentifiers(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		odd := []string{"%FF", "%00", "%C3%28", strings.Repeat("x", 5000), "1%27%20OR%20%271%27=%271", "..%2F..%2Fetc", "%20"}
		routes := []struct{ method, path string }{
			{"GET", "/api/v1/conversations/%s"}, {"PATCH", "/api/v1/conversations/%s"},
			{"GET", "/api/v1/conversations/%s/messages"}, {"POST", "/api/v1/conversations/%s/messages"},
			{"POST", "/api/v1/conversations/%s/actions/join"}, {"PUT", "/api/v1/conversations/%s/status"},
			{"GET", "/api/v1/conversations/%s/events"}, {"PATCH", "/api/v1/users/%s"},
			{"GET", "/api/v1/chatbots/%s"}, {"PATCH", "/api/v1/chatbots/%s"}, {"DELETE", "/api/v1/tokens/%s"},
		}
		bodies := map[string]string{"PATCH": `{}`, "POST": `{"content":"x","private":true}`, "PUT": `{"status":"closed"}`}
		for _, rt := range routes {
			for _, id := range odd {
				u := fmt.Sprintf(rt.path, id)
				t.Run(rt.method+" "+truncate([]byte(u)), func(t *testing.T) {
					var body any
					if b, ok := bodies[rt.method]; ok {
						body = b
					}
					r := e.do(t, req{Method: rt.method, URL: u, Token: e.OwnerToken, Body: body})
					if r.Status != http.StatusNotFound && r.Status != http.StatusBadRequest {
						t.Errorf("%s %s = %d, want 404 (or 400)", rt.method, u, r.Status)
					}
				})
			}
		}
		for _, q := range []string{"%FF", "%00", "a%00b", "%C3%28", "%E2%82"} {
			for _, p := range []string{"q", "status", "tag", "label", "assignee", "queue", "cursor", "channel"} {
				u := "/api/v1/conversations?" + p + "=" + q
				t.Run("GET "+u, func(t *testing.T) {
					r := e.do(t, req{Method: "GET", URL: u, Token: e.OwnerToken})
					if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
						t.Errorf("GET %s = %d, want 200 or 400", u, r.Status)
					}
				})
			}
		}
		for _, b := range []string{`{"chatbot":"\u0000"}`, `{"chatbot":"demo","name":"a\u0000"}`, `{"chatbot":"demo","user_id":"\u0000"}`} {
			t.Run("POST /widget/v1/sessions "+b, func(t *testing.T) {
				r := e.do(t, req{Method: "POST", URL: "/widget/v1/sessions", Body: b})
				if r.Status != http.StatusCreated && r.Status != http.StatusBadRequest && r.Status != http.StatusNotFound {
					t.Errorf("POST /widget/v1/sessions %s = %d, want 201, 400 or 404", b, r.Status)
				}
			})
		}
		for _, b := range []string{`{"email":"a\u0000@x.test","password":"whatever1"}`, `{"email":"owner@acme.test","password":"a\u0000b"}`} {
			t.Run("POST /api/v1/session "+b, func(t *testing.T) {
				e.do(t, req{Method: "POST", URL: "/api/v1/session", Body: b}).wantError(t, http.StatusBadRequest, "invalid", "")
			})
		}
		patches := []struct{ url, body string }{
			{"/api/v1/me", `{"first_name":"a\u0000"}`},
			{"/api/v1/chatbots/demo", `{"name":"a\u0000"}`},
			{"/api/v1/chatbots/demo", `{"greeting":"a\u0000"}`},
			{"/api/v1/conversations/" + e.openVisitor(t, "demo", "", "").ConversationID, `{"tags":["a\u0000"]}`},
		}
		for _, p := range patches {
			t.Run("PATCH "+p.url+" "+p.body, func(t *testing.T) {
				r := e.do(t, req{Method: "PATCH", URL: p.url, Token: e.OwnerToken, Body: p.body})
				if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
					t.Errorf("PATCH %s %s = %d, want 200 or 400", p.url, p.body, r.Status)
				}
			})
		}
		t.Run("POST /api/v1/tokens with a NUL in the name", func(t *testing.T) {
			r := e.do(t, req{Method: "POST", URL: "/api/v1/tokens", Token: e.OwnerToken, Body: `{"name":"a\u0000","scopes":["read"]}`})
			if r.Status != http.StatusCreated && r.Status != http.StatusBadRequest {
				t.Errorf("POST /api/v1/tokens = %d, want 201 or 400", r.Status)
			}
		})
	})
}

// TestUnknownRoutes: an unknown path under /api/ is a JSON 404.
func TestUnknownRoutes(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		runScenarios(t, e, []scenario{
			{Name: "unknown API path", Method: "GET", URL: "/api/v1/nope", Token: e.OwnerToken, ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "unknown API version", Method: "GET", URL: "/api/v2/conversations", ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "a method the route lacks", Method: "DELETE", URL: "/api/v1/conversations", Token: e.OwnerToken, ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "a trailing slash", Method: "GET", URL: "/api/v1/conversations/", Token: e.OwnerToken, ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "unknown widget path", Method: "GET", URL: "/widget/v1/nope", ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "a method the widget route lacks", Method: "DELETE", URL: "/widget/v1/messages", ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "the widget's CORS preflight", Method: "OPTIONS", URL: "/widget/v1/messages", ExpectedStatus: 204,
				ExpectedHeaders: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization, Content-Type"}},
		})
	})
}
