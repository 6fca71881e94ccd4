package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
)

// TestAuthentication: who may call the agent API, with what.
func TestAuthentication(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		runScenarios(t, e, []scenario{
			{Name: "no token is 401", Method: "GET", URL: "/api/v1/me", ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "no token on a list is 401", Method: "GET", URL: "/api/v1/conversations", ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "no token on a write is 401", Method: "POST", URL: "/api/v1/conversations/" + v.ConversationID + "/actions/join",
				ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "an unknown session token is 401", Method: "GET", URL: "/api/v1/me", Token: "bts_nope", ExpectedStatus: 401,
				ExpectedCode: "unauthorized", ExpectedHeaders: map[string]string{"WWW-Authenticate": `Bearer realm="baton"`}},
			{Name: "an unknown integration token is 401", Method: "GET", URL: "/api/v1/me", Token: "bti_nope", ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "garbage is 401", Method: "GET", URL: "/api/v1/me", Token: "garbage", ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "a very long token is 401", Method: "GET", URL: "/api/v1/me", Token: "bts_" + strings.Repeat("x", 5000), ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "a session token with a character changed is 401", Method: "GET", URL: "/api/v1/me", Token: flipLast(e.OwnerToken),
				ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "a visitor token is no agent token", Method: "GET", URL: "/api/v1/conversations", Token: v.Token, ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "an agent token is no visitor token", Method: "GET", URL: "/widget/v1/messages", Token: e.OwnerToken, ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "the widget needs a token", Method: "POST", URL: "/widget/v1/messages", Body: `{"content":"hi"}`, ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "a wrong Authorization scheme is 401", Method: "GET", URL: "/api/v1/me", Headers: map[string]string{"Authorization": "Basic " + e.OwnerToken},
				ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "a bearer token works", Method: "GET", URL: "/api/v1/me", Token: e.OwnerToken, ExpectedStatus: 200,
				ExpectedContent: []string{`"email":"owner@acme.test"`, `"role":"owner"`}, NotExpectedContent: []string{"password"}},
			{Name: "the bearer scheme is case-insensitive", Method: "GET", URL: "/api/v1/me", Headers: map[string]string{"Authorization": "bEaReR " + e.OwnerToken},
				ExpectedStatus: 200},
			{Name: "the session cookie works for GET", Method: "GET", URL: "/api/v1/me", Cookie: e.OwnerToken, ExpectedStatus: 200,
				ExpectedContent: []string{`"owner@acme.test"`}},
			{Name: "the session cookie works for a list", Method: "GET", URL: "/api/v1/conversations", Cookie: e.OwnerToken, ExpectedStatus: 200,
				ExpectedContent: []string{v.ConversationID}},
			{Name: "a bad cookie is 401", Method: "GET", URL: "/api/v1/me", Cookie: "bts_nope", ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "a wrong password is 401", Method: "POST", URL: "/api/v1/session", Body: `{"email":"owner@acme.test","password":"wrong password"}`,
				ExpectedStatus: 401, ExpectedCode: "unauthorized", ExpectedContent: []string{"Invalid email or password."}, NotExpectedContent: []string{"token"}},
			{Name: "an unknown email gets the same 401", Method: "POST", URL: "/api/v1/session", Body: `{"email":"nobody@acme.test","password":"wrong password"}`,
				ExpectedStatus: 401, ExpectedCode: "unauthorized", ExpectedContent: []string{"Invalid email or password."}},
		})
	})
}

// flipLast changes a token's last character.
func flipLast(token string) string {
	last := "A"
	if strings.HasSuffix(token, last) {
		last = "B"
	}
	return token[:len(token)-1] + last
}

// TestLogout: signing out ends the session, whether it came as a bearer token or a cookie.
func TestLogout(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		t.Run("bearer", func(t *testing.T) {
			_, token := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
			e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: token}).wantStatus(t, http.StatusOK)
			r := e.do(t, req{Method: "DELETE", URL: "/api/v1/session", Token: token}).wantStatus(t, http.StatusNoContent)
			if c := r.Header.Get("Set-Cookie"); !strings.Contains(c, httpapi.SessionCookie+"=;") || !strings.Contains(c, "Max-Age=0") {
				t.Errorf("logout Set-Cookie = %q, want the session cookie cleared", c)
			}
			e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: token}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
			e.do(t, req{Method: "GET", URL: "/api/v1/me", Cookie: token}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
			e.do(t, req{Method: "DELETE", URL: "/api/v1/session", Token: token}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
			// Other sessions live on.
			e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
		})
		t.Run("cookie", func(t *testing.T) {
			_, token := e.newUser(t, e.Account.ID, "bea@acme.test", baton.RoleAgent)
			e.do(t, req{Method: "DELETE", URL: "/api/v1/session", Cookie: token}).wantStatus(t, http.StatusNoContent)
			e.do(t, req{Method: "GET", URL: "/api/v1/me", Cookie: token}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		})
		t.Run("an expired session", func(t *testing.T) {
			e.DB.SessionIdle, e.DB.SessionMax = 0, 0 // the defaults
			_, token := e.newUser(t, e.Account.ID, "cid@acme.test", baton.RoleAgent)
			e.Clock.Advance(31 * 24 * time.Hour)
			e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: token}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		})
	})
}

// TestCSRF: a cookie-authenticated request that changes something must come from the
// console's origin; bearer tokens are not sent by browsers on their own, so they may.
func TestCSRF(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		note := "/api/v1/conversations/" + v.ConversationID + "/messages"
		crossSite := map[string]string{"Sec-Fetch-Site": "cross-site"}
		runScenarios(t, e, []scenario{
			{Name: "cookie POST cross-site is 403", Method: "POST", URL: note, Cookie: e.OwnerToken, Headers: crossSite,
				Body: `{"content":"csrf","private":true}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "cookie PATCH cross-site is 403", Method: "PATCH", URL: "/api/v1/chatbots/demo", Cookie: e.OwnerToken, Headers: crossSite,
				Body: `{"name":"Pwned"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "cookie DELETE session cross-site is 403", Method: "DELETE", URL: "/api/v1/session", Cookie: e.OwnerToken, Headers: crossSite,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "cookie POST from a foreign Origin is 403", Method: "POST", URL: note, Cookie: e.OwnerToken,
				Headers: map[string]string{"Origin": "https://evil.example"}, Body: `{"content":"csrf","private":true}`,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "a cross-site sign-in is 403", Method: "POST", URL: "/api/v1/session", Headers: crossSite,
				Body: `{"email":"owner@acme.test","password":"` + testPassword + `"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "cookie GET cross-site is allowed (safe method)", Method: "GET", URL: "/api/v1/me", Cookie: e.OwnerToken, Headers: crossSite,
				ExpectedStatus: 200},
			{Name: "bearer POST cross-site is allowed", Method: "POST", URL: note, Token: e.OwnerToken, Headers: crossSite,
				Body: `{"content":"bearer note","private":true}`, ExpectedStatus: 201},
			{Name: "cookie POST same-origin is allowed", Method: "POST", URL: note, Cookie: e.OwnerToken,
				Headers: map[string]string{"Sec-Fetch-Site": "same-origin"}, Body: `{"content":"cookie note","private":true}`, ExpectedStatus: 201},
			{Name: "the widget may be called from any site", Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Headers: crossSite,
				Body: `{"content":"from a customer's site"}`, ExpectedStatus: 201, ExpectedHeaders: map[string]string{"Access-Control-Allow-Origin": "*"}},
		})
		r := e.do(t, req{Method: "GET", URL: "/api/v1/conversations/" + v.ConversationID + "/messages", Token: e.OwnerToken})
		if strings.Contains(string(r.Body), `"csrf"`) {
			t.Errorf("a refused cross-site request wrote a message: %s", r.Body)
		}
		var bot map[string]any
		e.do(t, req{Method: "GET", URL: "/api/v1/chatbots/demo", Token: e.OwnerToken}).decode(t, &bot)
		if bot["name"] == "Pwned" {
			t.Error("a refused cross-site PATCH renamed the chatbot")
		}
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
	})
}

// TestLoginThrottle: many failed sign-ins from one address are refused with 429 and a
// Retry-After, whatever the email, and the right password does not get through either.
func TestLoginThrottle(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var last resp
		for i := 0; i < 30; i++ {
			last = e.do(t, req{Method: "POST", URL: "/api/v1/session",
				Body: fmt.Sprintf(`{"email":"guess%d@acme.test","password":"wrong password"}`, i)})
			if last.Status == http.StatusTooManyRequests {
				if i < 5 {
					t.Errorf("throttled after only %d attempts", i)
				}
				break
			}
			last.wantError(t, http.StatusUnauthorized, "unauthorized", "")
		}
		last.wantError(t, http.StatusTooManyRequests, "rate_limited", "")
		if n, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
			t.Errorf("Retry-After = %q, want a few seconds", last.Header.Get("Retry-After"))
		}
		e.do(t, req{Method: "POST", URL: "/api/v1/session", Body: `{"email":"owner@acme.test","password":"` + testPassword + `"}`}).
			wantError(t, http.StatusTooManyRequests, "rate_limited", "")
		// Signed-in sessions are not affected.
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
	})
}

// TestReplyRateLimit: one reply per 3 s per agent per conversation (M3), timed by the
// store's clock.
func TestReplyRateLimit(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		a := e.openVisitor(t, "demo", "Ada", "Hello")
		b := e.openVisitor(t, "demo", "Bob", "Hello")
		e.handOff(t, e.OwnerToken, a.ConversationID)
		e.handOff(t, e.OwnerToken, b.ConversationID)
		_, bea := e.newUser(t, e.Account.ID, "bea@acme.test", baton.RoleAgent)
		reply := func(token, conv, content string) resp {
			return e.do(t, req{Method: "POST", URL: "/api/v1/conversations/" + conv + "/messages", Token: token,
				Body: map[string]string{"content": content}})
		}
		reply(e.OwnerToken, a.ConversationID, "one").wantStatus(t, http.StatusCreated)
		r := reply(e.OwnerToken, a.ConversationID, "two")
		r.wantError(t, http.StatusTooManyRequests, "rate_limited", "")
		if got := r.Header.Get("Retry-After"); got != "3" {
			t.Errorf("Retry-After = %q right after a reply, want 3", got)
		}
		// Notes and other conversations are not limited; another agent may not reply at all
		// (only the assignee answers), which is a conflict, not a rate limit.
		e.do(t, req{Method: "POST", URL: "/api/v1/conversations/" + a.ConversationID + "/messages", Token: e.OwnerToken,
			Body: `{"content":"a note","private":true}`}).wantStatus(t, http.StatusCreated)
		reply(e.OwnerToken, b.ConversationID, "other conversation").wantStatus(t, http.StatusCreated)
		reply(bea, a.ConversationID, "other agent").wantError(t, http.StatusConflict, "conflict", "")

		e.Clock.Advance(2 * time.Second)
		r = reply(e.OwnerToken, a.ConversationID, "still too soon")
		r.wantError(t, http.StatusTooManyRequests, "rate_limited", "")
		if got := r.Header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After = %q 2 s after a reply, want 1", got)
		}
		e.Clock.Advance(time.Second)
		reply(e.OwnerToken, a.ConversationID, "three").wantStatus(t, http.StatusCreated)
		reply(e.OwnerToken, a.ConversationID, "four").wantError(t, http.StatusTooManyRequests, "rate_limited", "")

		var page struct {
			Messages []messageJSON `json:"messages"`
		}
		e.do(t, req{Method: "GET", URL: "/api/v1/conversations/" + a.ConversationID + "/messages", Token: e.OwnerToken}).decode(t, &page)
		for _, m := range page.Messages {
			if m.Content == "two" || m.Content == "still too soon" || m.Content == "four" {
				t.Errorf("a rate-limited reply was stored: %+v", m)
			}
		}
	})
}

// TestRoles: agents work conversations; admins and the owner manage the account.
func TestRoles(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		agent, agentTok := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		admin, adminTok := e.newUser(t, e.Account.ID, "abe@acme.test", baton.RoleAdmin)
		tok := e.newToken(t, e.Owner, "spare", baton.ScopeRead)
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		conv := "/api/v1/conversations/" + v.ConversationID
		newUser := func(email, role string) string {
			return fmt.Sprintf(`{"email":%q,"password":"long enough phrase","role":%q}`, email, role)
		}
		runScenarios(t, e, []scenario{
			{Name: "an agent may not change a chatbot", Method: "PATCH", URL: "/api/v1/chatbots/" + e.Bot.ID, Token: agentTok,
				Body: `{"name":"Agent's bot"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent may not add users", Method: "POST", URL: "/api/v1/users", Token: agentTok,
				Body: newUser("x@acme.test", "agent"), ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent may not change users", Method: "PATCH", URL: "/api/v1/users/" + admin.ID, Token: agentTok,
				Body: `{"capacity":1}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent may not create tokens", Method: "POST", URL: "/api/v1/tokens", Token: agentTok,
				Body: `{"name":"mine","scopes":["read"]}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent may not list tokens", Method: "GET", URL: "/api/v1/tokens", Token: agentTok, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent may not revoke tokens", Method: "DELETE", URL: "/api/v1/tokens/" + tok.ID, Token: agentTok, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent may not promote themself", Method: "PATCH", URL: "/api/v1/me", Token: agentTok, Body: `{"role":"admin"}`,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent may edit their profile", Method: "PATCH", URL: "/api/v1/me", Token: agentTok,
				Body: `{"first_name":"Ana","availability":"online","role":"agent"}`, ExpectedStatus: 200, ExpectedContent: []string{`"availability":"online"`}},
			{Name: "an agent may read chatbots", Method: "GET", URL: "/api/v1/chatbots", Token: agentTok, ExpectedStatus: 200, ExpectedContent: []string{`"slug":"demo"`}},
			{Name: "an agent may read the team", Method: "GET", URL: "/api/v1/users", Token: agentTok, ExpectedStatus: 200, ExpectedContent: []string{"owner@acme.test"}},
			{Name: "an agent may join", Method: "POST", URL: conv + "/actions/join", Token: agentTok, ExpectedStatus: 200},
			{Name: "an agent may accept", Method: "POST", URL: conv + "/actions/accept", Token: agentTok, ExpectedStatus: 200,
				ExpectedContent: []string{`"status":"human"`, agent.ID}},
			{Name: "an agent may reply", Method: "POST", URL: conv + "/messages", Token: agentTok, Body: `{"content":"Ana here"}`,
				ExpectedStatus: 201, ExpectedContent: []string{`"sender_name":"Ana"`}},

			{Name: "an admin may change a chatbot", Method: "PATCH", URL: "/api/v1/chatbots/" + e.Bot.ID, Token: adminTok,
				Body:           `{"name":"Admin's bot","handover_webhook_url":"https://desk.example/handover","message_webhook_url":""}`,
				ExpectedStatus: 200, ExpectedContent: []string{`"name":"Admin's bot"`, `"handover_webhook_url":"https://desk.example/handover"`}},
			{Name: "an admin may add an agent", Method: "POST", URL: "/api/v1/users", Token: adminTok,
				Body: newUser("new@acme.test", "agent"), ExpectedStatus: 201, ExpectedContent: []string{`"role":"agent"`}, NotExpectedContent: []string{"password"}},
			{Name: "an admin may not add an owner", Method: "POST", URL: "/api/v1/users", Token: adminTok,
				Body: newUser("boss@acme.test", "owner"), ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an admin may not change the owner", Method: "PATCH", URL: "/api/v1/users/" + e.Owner.ID, Token: adminTok,
				Body: `{"first_name":"Demoted"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an admin may change an agent", Method: "PATCH", URL: "/api/v1/users/" + agent.ID, Token: adminTok,
				Body: `{"capacity":3}`, ExpectedStatus: 200, ExpectedContent: []string{`"capacity":3`}},
			{Name: "an admin may create a token", Method: "POST", URL: "/api/v1/tokens", Token: adminTok,
				Body: `{"name":"desk","scopes":["read","handover"]}`, ExpectedStatus: 201, ExpectedContent: []string{`"token":"bti_`, `"handover"`}},
			{Name: "an admin may list tokens without their secrets", Method: "GET", URL: "/api/v1/tokens", Token: adminTok, ExpectedStatus: 200,
				ExpectedContent: []string{`"name":"desk"`, `"name":"spare"`}, NotExpectedContent: []string{"bti_"}},
			{Name: "an admin may revoke a token", Method: "DELETE", URL: "/api/v1/tokens/" + tok.ID, Token: adminTok, ExpectedStatus: 204},
			{Name: "a revoked token is 401", Method: "GET", URL: "/api/v1/me", Token: tok.Token, ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "the owner may add an owner", Method: "POST", URL: "/api/v1/users", Token: e.OwnerToken,
				Body: newUser("co@acme.test", "owner"), ExpectedStatus: 201},
			{Name: "the owner may make an admin an owner", Method: "PATCH",
				URL: "/api/v1/users/" + admin.ID, Token: e.OwnerToken, Body: `{"role":"owner"}`, ExpectedStatus: 200},
		})
		var bot map[string]any
		e.do(t, req{Method: "GET", URL: "/api/v1/chatbots/demo", Token: agentTok}).decode(t, &bot)
		if bot["name"] == "Agent's bot" {
			t.Error("an agent's refused PATCH renamed the chatbot")
		}
	})
}

// TestTokenScopes: integration tokens may do what their scopes name, with their creator's
// role.
func TestTokenScopes(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		read := e.newToken(t, e.Owner, "reader", baton.ScopeRead).Token
		write := e.newToken(t, e.Owner, "writer", baton.ScopeWrite).Token
		rw := e.newToken(t, e.Owner, "both", baton.ScopeRead, baton.ScopeWrite).Token
		handover := e.newToken(t, e.Owner, "desk", baton.ScopeHandover).Token
		agent, _ := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		agentRW := e.newToken(t, agent, "agent's", baton.ScopeRead, baton.ScopeWrite).Token
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		conv := "/api/v1/conversations/" + v.ConversationID
		runScenarios(t, e, []scenario{
			{Name: "read may GET conversations", Method: "GET", URL: "/api/v1/conversations", Token: read, ExpectedStatus: 200, ExpectedContent: []string{v.ConversationID}},
			{Name: "read may GET a conversation", Method: "GET", URL: conv, Token: read, ExpectedStatus: 200},
			{Name: "read may GET messages", Method: "GET", URL: conv + "/messages", Token: read, ExpectedStatus: 200},
			{Name: "read may GET events", Method: "GET", URL: conv + "/events", Token: read, ExpectedStatus: 200},
			{Name: "read may GET me", Method: "GET", URL: "/api/v1/me", Token: read, ExpectedStatus: 200, ExpectedContent: []string{"owner@acme.test"}},
			{Name: "read may GET chatbots", Method: "GET", URL: "/api/v1/chatbots", Token: read, ExpectedStatus: 200},
			{Name: "read may GET users", Method: "GET", URL: "/api/v1/users", Token: read, ExpectedStatus: 200},
			{Name: "read may GET labels", Method: "GET", URL: "/api/v1/labels", Token: read, ExpectedStatus: 200, ExpectedContent: []string{"Bug Report"}},
			{Name: "read may not POST actions", Method: "POST", URL: conv + "/actions/join", Token: read, ExpectedStatus: 403, ExpectedCode: "forbidden",
				ExpectedContent: []string{"write"}},
			{Name: "read may not POST messages", Method: "POST", URL: conv + "/messages", Token: read, Body: `{"content":"x","private":true}`,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "read may not PUT status", Method: "PUT", URL: conv + "/status", Token: read, Body: `{"status":"closed"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "read may not PATCH a conversation", Method: "PATCH", URL: conv, Token: read, Body: `{"priority":"high"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "read may not POST tokens", Method: "POST", URL: "/api/v1/tokens", Token: read, Body: `{"name":"x","scopes":["write"]}`,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "read may not POST users", Method: "POST", URL: "/api/v1/users", Token: read, Body: `{"email":"x@acme.test","password":"long enough phrase"}`,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "read may not PATCH a chatbot", Method: "PATCH", URL: "/api/v1/chatbots/demo", Token: read, Body: `{"name":"x"}`,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "write alone may not GET", Method: "GET", URL: "/api/v1/conversations", Token: write, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "handover alone may not GET", Method: "GET", URL: "/api/v1/conversations", Token: handover, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "handover alone may not act", Method: "POST", URL: conv + "/actions/join", Token: handover, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "write may join", Method: "POST", URL: conv + "/actions/join", Token: write, ExpectedStatus: 200},
			{Name: "write may accept", Method: "POST", URL: conv + "/actions/accept", Token: write, ExpectedStatus: 200, ExpectedContent: []string{e.Owner.ID}},
			{Name: "write may reply", Method: "POST", URL: conv + "/messages", Token: write, Body: `{"content":"from the integration"}`,
				ExpectedStatus: 201, ExpectedContent: []string{`"kind":"agent"`, `"sender_name":"Owner"`}},
			{Name: "read and write may note", Method: "POST", URL: conv + "/messages", Token: rw, Body: `{"content":"n","private":true}`, ExpectedStatus: 201},
			{Name: "an owner's write token may not create tokens (only a person may)", Method: "POST", URL: "/api/v1/tokens", Token: rw,
				Body: `{"name":"child","scopes":["read","write","handover"]}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent's token acts as an agent", Method: "PATCH", URL: "/api/v1/chatbots/demo", Token: agentRW, Body: `{"name":"x"}`,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an agent's token may not list tokens", Method: "GET", URL: "/api/v1/tokens", Token: agentRW, ExpectedStatus: 403, ExpectedCode: "forbidden"},
		})
	})
}

// TestSessionFixation: a session id is only ever issued by the server at sign-in — never
// adopted from the request — so a session planted in a browser before the victim signs in
// (a made-up value, or the attacker's own valid session) never becomes the victim's.
func TestSessionFixation(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		_, attacker := e.newUser(t, e.Account.ID, "mallory@acme.test", baton.RoleAgent)
		login := `{"email":"owner@acme.test","password":"` + testPassword + `"}`
		sameOrigin := map[string]string{"Sec-Fetch-Site": "same-origin"}
		for name, planted := range map[string]string{
			"a made-up session id":       "bts_" + strings.Repeat("A", 43),
			"the attacker's own session": attacker,
		} {
			t.Run(name, func(t *testing.T) {
				r := e.do(t, req{Method: "POST", URL: "/api/v1/session", Cookie: planted, Headers: sameOrigin, Body: login}).wantStatus(t, http.StatusOK)
				var issued string
				for _, c := range (&http.Response{Header: r.Header}).Cookies() {
					if c.Name == httpapi.SessionCookie {
						issued = c.Value
						if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
							t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/", c)
						}
					}
				}
				if issued == "" || issued == planted {
					t.Fatalf("sign-in issued %q with %q planted: want a new session id", issued, planted)
				}
				var me map[string]any
				e.do(t, req{Method: "GET", URL: "/api/v1/me", Cookie: issued}).decode(t, &me)
				if me["email"] != "owner@acme.test" {
					t.Errorf("the issued session is %v's, want the owner's", me["email"])
				}
				// The planted value gained nothing: unknown stays unknown, the attacker's stays theirs.
				pr := e.do(t, req{Method: "GET", URL: "/api/v1/me", Cookie: planted})
				if strings.Contains(string(pr.Body), "owner@acme.test") {
					t.Errorf("the planted session now signs in as the owner: %s", pr.Body)
				}
			})
		}
		t.Run("sessions over HTTPS are Secure", func(t *testing.T) {
			r := e.do(t, req{Method: "POST", URL: "/api/v1/session", Headers: map[string]string{"Sec-Fetch-Site": "same-origin",
				"X-Forwarded-Proto": "https"}, Body: login}).wantStatus(t, http.StatusOK)
			for _, c := range (&http.Response{Header: r.Header}).Cookies() {
				if c.Name == httpapi.SessionCookie && !c.Secure {
					t.Errorf("session cookie over HTTPS is not Secure: %+v", c)
				}
			}
		})
	})
}
