package httpapi_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store"
)

// signIn signs in over HTTP and returns the session token.
func (e *env) signIn(t testing.TB, email, password string) string {
	t.Helper()
	var out struct{ Token string }
	e.do(t, req{Method: "POST", URL: "/api/v1/session", Body: map[string]string{"email": email, "password": password}}).
		wantStatus(t, http.StatusOK).decode(t, &out)
	return out.Token
}

// TestTokensCannotBecomePasswords: an integration token, whatever its scopes, cannot
// change its creator's password or email, mint tokens or manage users — found by a
// hostile test, where a read token set a new password and signed in as the owner.
func TestTokensCannotBecomePasswords(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		read := e.newToken(t, e.Owner, "read", baton.ScopeRead).Token
		all := e.newToken(t, e.Owner, "all", baton.ScopeRead, baton.ScopeWrite, baton.ScopeHandover).Token
		for _, tok := range []string{read, all} {
			runScenarios(t, e, []scenario{
				{Name: "a token may not set a password", Method: "PATCH", URL: "/api/v1/me", Token: tok,
					Body: `{"password":"attacker owns this 99","current_password":"` + testPassword + `"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
				{Name: "a token may not change the email", Method: "PATCH", URL: "/api/v1/me", Token: tok,
					Body: `{"email":"attacker@evil.test"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
				{Name: "a token may not mint a token", Method: "POST", URL: "/api/v1/tokens", Token: tok,
					Body: `{"name":"wider","scopes":["read","write","handover"]}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
				{Name: "a token may not add a user", Method: "POST", URL: "/api/v1/users", Token: tok,
					Body: `{"email":"mole@acme.test","password":"a fine long secret 7","role":"admin"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
				{Name: "a token may not reset a teammate's password", Method: "PATCH", URL: "/api/v1/users/" + e.Owner.ID, Token: tok,
					Body: `{"password":"attacker owns this 99"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
				{Name: "a token may not sign out everywhere", Method: "DELETE", URL: "/api/v1/sessions", Token: tok,
					ExpectedStatus: 403, ExpectedCode: "forbidden"},
			})
		}
		e.do(t, req{Method: "POST", URL: "/api/v1/session", Body: map[string]string{"email": "owner@acme.test", "password": "attacker owns this 99"}}).
			wantError(t, http.StatusUnauthorized, "unauthorized", "")
		e.signIn(t, "owner@acme.test", testPassword)
	})
}

// TestChangingOnesOwnPassword needs the current one, and ends the other sessions.
func TestChangingOnesOwnPassword(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		_, first := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		second := e.signIn(t, "ana@acme.test", testPassword)
		runScenarios(t, e, []scenario{
			{Name: "without the current password is 400", Method: "PATCH", URL: "/api/v1/me", Token: first,
				Body: `{"password":"a brand new phrase 5"}`, ExpectedStatus: 400, ExpectedCode: "invalid", ExpectedContent: []string{"current_password"}},
			{Name: "with a wrong current password is 403", Method: "PATCH", URL: "/api/v1/me", Token: first,
				Body: `{"password":"a brand new phrase 5","current_password":"not my password"}`, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "a weak new password is 400", Method: "PATCH", URL: "/api/v1/me", Token: first,
				Body: `{"password":"password1234","current_password":"` + testPassword + `"}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "the name alone needs no password", Method: "PATCH", URL: "/api/v1/me", Token: first,
				Body: `{"first_name":"Anabel"}`, ExpectedStatus: 200},
			{Name: "with the current password it changes", Method: "PATCH", URL: "/api/v1/me", Token: first,
				Body: `{"password":"a brand new phrase 5","current_password":"` + testPassword + `"}`, ExpectedStatus: 200},
		})
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: first}).wantStatus(t, http.StatusOK)
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: second}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		e.signIn(t, "ana@acme.test", "a brand new phrase 5")

		// An email change too needs the password and ends the other sessions.
		third := e.signIn(t, "ana@acme.test", "a brand new phrase 5")
		e.do(t, req{Method: "PATCH", URL: "/api/v1/me", Token: first, Body: `{"email":"anabel@acme.test"}`}).wantError(t, 400, "invalid", "")
		e.do(t, req{Method: "PATCH", URL: "/api/v1/me", Token: first,
			Body: `{"email":"anabel@acme.test","current_password":"a brand new phrase 5"}`}).wantStatus(t, http.StatusOK)
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: third}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		e.signIn(t, "anabel@acme.test", "a brand new phrase 5")
		e.do(t, req{Method: "PATCH", URL: "/api/v1/me", Token: first,
			Body: `{"email":"OWNER@acme.test","current_password":"a brand new phrase 5"}`}).wantError(t, http.StatusConflict, "conflict", "")
	})
}

// TestWeakPasswordsAreRefused wherever a password is set.
func TestWeakPasswordsAreRefused(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		for _, p := range []string{"password", "12345678", "short", "password1234", "Password123!", "qwertyuiopas", "aaaaaaaaaaaaaaaa", "new@acme.test"} {
			e.do(t, req{Method: "POST", URL: "/api/v1/users", Token: e.OwnerToken,
				Body: map[string]string{"email": "new@acme.test", "password": p}}).wantError(t, http.StatusBadRequest, "invalid", "")
		}
		e.do(t, req{Method: "POST", URL: "/api/v1/users", Token: e.OwnerToken,
			Body: map[string]string{"email": "new@acme.test", "password": "granite owl picnic 3"}}).wantStatus(t, http.StatusCreated)
	})
}

// TestDeactivation: a deactivated teammate cannot sign in, and every session and token of
// theirs stops working at once; reactivation lets them sign in again.
func TestDeactivation(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ana, anaSession := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		anaToken := e.newToken(t, ana, "ana's", baton.ScopeRead).Token
		admin, adminSession := e.newUser(t, e.Account.ID, "adam@acme.test", baton.RoleAdmin)
		url := "/api/v1/users/" + ana.ID
		runScenarios(t, e, []scenario{
			{Name: "an agent may not deactivate", Method: "POST", URL: url + "/deactivate", Token: anaSession, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "no one deactivates themselves", Method: "POST", URL: "/api/v1/users/" + admin.ID + "/deactivate", Token: adminSession,
				ExpectedStatus: 409, ExpectedCode: "conflict"},
			{Name: "an admin may not deactivate the owner", Method: "POST", URL: "/api/v1/users/" + e.Owner.ID + "/deactivate", Token: adminSession,
				ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "another account's user is not found", Method: "POST", URL: "/api/v1/users/nope/deactivate", Token: adminSession,
				ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "an admin deactivates an agent", Method: "POST", URL: url + "/deactivate", Token: adminSession, ExpectedStatus: 200,
				ExpectedContent: []string{`"deactivated_at":"`, `"availability":"offline"`}},
		})
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: anaSession}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: anaToken}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		e.do(t, req{Method: "POST", URL: "/api/v1/session", Body: map[string]string{"email": "ana@acme.test", "password": testPassword}}).
			wantError(t, http.StatusForbidden, "forbidden", "This user is deactivated: ask an admin of your account to reactivate you.")
		var agents struct{ Agents []struct{ ID string } }
		e.do(t, req{Method: "GET", URL: "/api/v1/agents", Token: adminSession}).wantStatus(t, 200).decode(t, &agents)
		for _, a := range agents.Agents {
			if a.ID == ana.ID {
				t.Errorf("GET /api/v1/agents lists the deactivated %s", ana.Email)
			}
		}
		e.do(t, req{Method: "POST", URL: url + "/reactivate", Token: adminSession}).wantStatus(t, http.StatusOK)
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: anaSession}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		fresh := e.signIn(t, "ana@acme.test", testPassword)
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: fresh}).wantStatus(t, http.StatusOK)
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: anaToken}).wantStatus(t, http.StatusOK)
	})
}

// TestAdminResetEndsSessions: an admin's password reset ends every session of the user.
func TestAdminResetEndsSessions(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ana, anaSession := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		e.do(t, req{Method: "PATCH", URL: "/api/v1/users/" + ana.ID, Token: e.OwnerToken, Body: `{"password":"reset by the owner 8"}`}).
			wantStatus(t, http.StatusOK)
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: anaSession}).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		e.signIn(t, "ana@acme.test", "reset by the owner 8")
		e.do(t, req{Method: "PATCH", URL: "/api/v1/users/" + e.Owner.ID, Token: e.OwnerToken, Body: `{"password":"reset by the owner 8"}`}).
			wantError(t, http.StatusForbidden, "forbidden", "Change your own password or email in your profile, with your current password.")
	})
}

// TestSessionLifetimes: a session ends after its idle timeout without a request, and at
// its absolute lifetime whatever its use; "sign out everywhere" ends them all.
func TestSessionLifetimes(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.DB.SessionIdle, e.DB.SessionMax = store.DefaultSessionIdle, store.DefaultSessionMax
		_, tok := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		me := func(token string) resp { return e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: token}) }
		// Used every 20 minutes, a session lives until its 12 hours are up.
		for elapsed := time.Duration(0); elapsed < store.DefaultSessionMax-20*time.Minute; elapsed += 20 * time.Minute {
			me(tok).wantStatus(t, http.StatusOK)
			e.Clock.Advance(20 * time.Minute)
		}
		me(tok).wantStatus(t, http.StatusOK)
		e.Clock.Advance(20 * time.Minute)
		me(tok).wantError(t, http.StatusUnauthorized, "unauthorized", "")

		idle := e.signIn(t, "ana@acme.test", testPassword)
		e.Clock.Advance(store.DefaultSessionIdle - time.Minute)
		me(idle).wantStatus(t, http.StatusOK)
		e.Clock.Advance(store.DefaultSessionIdle + time.Second)
		me(idle).wantError(t, http.StatusUnauthorized, "unauthorized", "")

		a := e.signIn(t, "ana@acme.test", testPassword)
		b := e.signIn(t, "ana@acme.test", testPassword)
		owner := e.signIn(t, "owner@acme.test", testPassword)
		var out struct{ Ended int }
		r := e.do(t, req{Method: "DELETE", URL: "/api/v1/sessions", Token: a}).wantStatus(t, http.StatusOK)
		r.decode(t, &out)
		if out.Ended < 2 {
			t.Errorf("sign out everywhere ended %d sessions, want at least 2", out.Ended)
		}
		if c := r.Header.Get("Set-Cookie"); !strings.Contains(c, "Max-Age=0") {
			t.Errorf("sign out everywhere Set-Cookie = %q, want the cookie cleared", c)
		}
		me(a).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		me(b).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		me(owner).wantStatus(t, http.StatusOK)
	})
}

// TestSignInThrottleCountsFailuresOnly: successes never throttle, and failures for one
// email do not lock its owner out of a right password from an address that never failed.
func TestSignInThrottleCountsFailuresOnly(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.API.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		for i := 0; i < 25; i++ {
			e.signIn(t, "ana@acme.test", testPassword)
		}
		// A guesser behind a trusted proxy (its own address) fails on Ana's email…
		guesser := map[string]string{"X-Forwarded-For": "203.0.113.7"}
		var last resp
		for i := 0; i < 12; i++ {
			last = e.do(t, req{Method: "POST", URL: "/api/v1/session", Headers: guesser,
				Body: map[string]string{"email": "ana@acme.test", "password": "guess " + string(rune('a'+i))}})
		}
		last.wantError(t, http.StatusTooManyRequests, "rate_limited", "")
		// … and is refused even with the right one; Ana, elsewhere, is not.
		e.do(t, req{Method: "POST", URL: "/api/v1/session", Headers: guesser,
			Body: map[string]string{"email": "ana@acme.test", "password": testPassword}}).wantError(t, http.StatusTooManyRequests, "rate_limited", "")
		e.do(t, req{Method: "POST", URL: "/api/v1/session", Headers: map[string]string{"X-Forwarded-For": "198.51.100.20"},
			Body: map[string]string{"email": "ana@acme.test", "password": testPassword}}).wantStatus(t, http.StatusOK)
	})
}

// TestIdentitySecret: the W5 secret is shown once when generated, stored sealed, and the
// previous one stops working.
func TestIdentitySecret(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		box, err := secret.New(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		e.DB.Secrets = box
		_, agent := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		runScenarios(t, e, []scenario{
			{Name: "an agent may not rotate it", Method: "POST", URL: "/api/v1/chatbots/demo/identity-secret", Token: agent, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "a token may not rotate it", Method: "POST", URL: "/api/v1/chatbots/demo/identity-secret",
				Token: e.newToken(t, e.Owner, "w", baton.ScopeRead, baton.ScopeWrite).Token, ExpectedStatus: 403, ExpectedCode: "forbidden"},
			{Name: "an unknown chatbot is 404", Method: "POST", URL: "/api/v1/chatbots/nope/identity-secret", Token: e.OwnerToken, ExpectedStatus: 404, ExpectedCode: "not_found"},
		})
		var first, second struct {
			IdentitySecret string `json:"identity_secret"`
		}
		e.do(t, req{Method: "POST", URL: "/api/v1/chatbots/demo/identity-secret", Token: e.OwnerToken}).wantStatus(t, 200).decode(t, &first)
		e.do(t, req{Method: "POST", URL: "/api/v1/chatbots/demo/identity-secret", Token: e.OwnerToken}).wantStatus(t, 200).decode(t, &second)
		if len(second.IdentitySecret) < 32 || first.IdentitySecret == second.IdentitySecret {
			t.Fatalf("identity secrets %q then %q: want two long, different secrets", first.IdentitySecret, second.IdentitySecret)
		}
		var stored string
		if err := e.DB.Reader().QueryRow(t.Context(), "SELECT identity_secret FROM chatbots WHERE slug = $1", "demo").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !secret.IsSealed(stored) || strings.Contains(stored, second.IdentitySecret) {
			t.Errorf("stored identity secret %q is not sealed", stored)
		}
		e.do(t, req{Method: "PATCH", URL: "/api/v1/chatbots/demo", Token: e.OwnerToken, Body: `{"identity_verification":true}`}).wantStatus(t, 200)
		open := func(key string) resp {
			return e.do(t, req{Method: "POST", URL: "/widget/v1/sessions", Body: map[string]string{"chatbot": "demo", "user_id": "u-7",
				"user_hash": store.IdentityHash(key, "u-7")}})
		}
		open(first.IdentitySecret).wantError(t, http.StatusUnauthorized, "unauthorized", "")
		open(second.IdentitySecret).wantStatus(t, http.StatusCreated)
		e.do(t, req{Method: "POST", URL: "/widget/v1/sessions", Body: map[string]string{"chatbot": "demo", "user_id": "u-7"}}).
			wantError(t, http.StatusUnauthorized, "unauthorized", "")
	})
}

// TestOnlyTheAssigneeReplies: in human, a teammate who is not the assignee cannot answer
// the customer (409 with who is handling it); they may add notes, or take the
// conversation over, after which the previous assignee cannot reply any more.
func TestOnlyTheAssigneeReplies(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		_, anaTok := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		sam, samTok := e.newUser(t, e.Account.ID, "sam@acme.test", baton.RoleAgent)
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		conv := "/api/v1/conversations/" + v.ConversationID
		for _, a := range []string{"join", "accept"} {
			e.do(t, req{Method: "POST", URL: conv + "/actions/" + a, Token: anaTok}).wantStatus(t, http.StatusOK)
		}
		reply := func(tok, text string) resp {
			e.Clock.Advance(time.Minute)
			return e.do(t, req{Method: "POST", URL: conv + "/messages", Token: tok, Body: map[string]any{"content": text}})
		}
		reply(anaTok, "Hi, Ana here").wantStatus(t, http.StatusCreated)
		reply(samTok, "Sam here too").wantError(t, http.StatusConflict, "conflict",
			"Ana is handling this conversation: only the assignee can reply. Take it over to answer, or add an internal note.")
		e.do(t, req{Method: "POST", URL: conv + "/messages", Token: samTok, Body: map[string]any{"content": "@ana I can take it", "private": true}}).
			wantStatus(t, http.StatusCreated)
		e.do(t, req{Method: "PATCH", URL: "/api/v1/me", Token: samTok, Body: `{"availability":"online"}`}).wantStatus(t, http.StatusOK)
		e.do(t, req{Method: "POST", URL: conv + "/actions/transfer", Token: samTok, Body: map[string]any{"agent_id": sam.ID}}).wantStatus(t, http.StatusOK)
		reply(samTok, "Sam has it now").wantStatus(t, http.StatusCreated)
		reply(anaTok, "Ana again").wantError(t, http.StatusConflict, "conflict",
			"Sam is handling this conversation: only the assignee can reply. Take it over to answer, or add an internal note.")
		var page struct{ Messages []struct{ Content string } }
		e.do(t, req{Method: "GET", URL: conv + "/messages", Token: e.OwnerToken}).wantStatus(t, 200).decode(t, &page)
		for _, m := range page.Messages {
			if m.Content == "Sam here too" || m.Content == "Ana again" {
				t.Errorf("a refused reply was stored: %q", m.Content)
			}
		}
	})
}
