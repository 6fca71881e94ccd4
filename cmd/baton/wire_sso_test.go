package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/riverqueue/river"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// opUser is a user of the test identity provider (storage.User's JSON form).
type opUser struct {
	ID            string
	Username      string
	Password      string
	FirstName     string
	LastName      string
	Email         string
	EmailVerified bool
}

const opPassword = "verysecure"

// startOP starts zitadel/oidc's example OpenID provider (the library's own OP, with its
// login form) on an httptest server, with users and one web client, "baton", whose
// redirect URI is Baton's callback at batonURL.
func startOP(t *testing.T, batonURL string, users ...opUser) string {
	t.Helper()
	byID := map[string]opUser{}
	for _, u := range users {
		byID[u.ID] = u
	}
	b, err := json.Marshal(byID)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(path)
	if err != nil {
		t.Fatalf("StoreFromFile: %v", err)
	}
	st := storage.NewStorageWithClients(us, map[string]*storage.Client{
		"baton": storage.WebClient("baton", "baton-secret", batonURL+"/auth/oidc/callback"),
	})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.Handle("/", exampleop.SetupServer(srv.URL, st, slog.New(slog.DiscardHandler), false))
	return srv.URL
}

// ssoEnv is Baton's API with SSO wired as `baton serve` wires it, on one database.
type ssoEnv struct {
	URL     string
	DB      *store.DB
	Account *baton.Account
	Owner   string // the owner's session token
}

func newSSOEnv(t *testing.T, d *store.DB, users ...opUser) *ssoEnv {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	d.Secrets = box
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer := startOP(t, srv.URL, users...)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	m := &Main{Config: &Config{OIDCIssuer: issuer, OIDCClientID: "baton", OIDCClientSecret: "baton-secret",
		OIDCName: "Zitadel", PublicURL: srv.URL}, DB: d, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	api := httpapi.NewServer(d, m.Logger)
	if err := wireSSO(m, api, river.NewWorkers()); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", api)
	ctx := context.Background()
	acc, _, err := d.CreateAccount(ctx, "Acme", "acme", "Acme Bot")
	if err != nil {
		t.Fatal(err)
	}
	e := &ssoEnv{URL: srv.URL, DB: d, Account: acc}
	e.addUser(t, acc.ID, "owner@acme.test", baton.RoleOwner)
	sess, err := d.Login(ctx, "owner@acme.test", "owner password 123")
	if err != nil {
		t.Fatal(err)
	}
	e.Owner = sess.Token
	return e
}

func (e *ssoEnv) addUser(t *testing.T, accountID, email string, role baton.Role) *baton.User {
	t.Helper()
	u, err := e.DB.CreateUser(context.Background(), baton.UserCreate{AccountID: accountID, Email: email,
		Password: "owner password 123", FirstName: "X", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// browser is a user agent with a cookie jar that follows redirects up to Baton's console.
func (e *ssoEnv) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if strings.HasPrefix(r.URL.String(), e.URL+"/app/") || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
}

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// signIn clicks "Sign in with SSO", fills in the provider's login form and returns where
// Baton sends the browser in the end (/app/ or /app/?sso_error=…).
func (e *ssoEnv) signIn(t *testing.T, b *http.Client, username string) *url.URL {
	t.Helper()
	res, err := b.Get(e.URL + "/auth/oidc/login")
	if err != nil {
		t.Fatalf("GET /auth/oidc/login: %v", err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := loginFormID.FindSubmatch(page)
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("the provider's login page: %d %s", res.StatusCode, page)
	}
	formURL := res.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	res, err = b.PostForm(formURL.String(), url.Values{"id": {html.UnescapeString(string(m[1]))},
		"username": {username}, "password": {opPassword}})
	if err != nil {
		t.Fatalf("POST the login form: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("after the login form: %d %s (at %s)", res.StatusCode, body, res.Request.URL)
	}
	loc, err := res.Location()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// me is GET /api/v1/me with the browser's cookies.
func (e *ssoEnv) me(t *testing.T, b *http.Client) (int, map[string]any) {
	t.Helper()
	res, err := b.Get(e.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func wantRefusal(t *testing.T, loc *url.URL, code string) {
	t.Helper()
	if loc.Path != "/app/" || loc.Query().Get("sso_error") != code {
		t.Errorf("the sign-in ended at %s, want /app/?sso_error=%s", loc, code)
	}
}

func (e *ssoEnv) auditActions(t *testing.T, accountID, target string) []string {
	t.Helper()
	p, err := audit.List(context.Background(), e.DB, accountID, audit.Filter{Target: target}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range p.Items {
		method, _ := it.Detail["method"].(string)
		out = append(out, it.Action+" "+method)
	}
	return out
}

// TestSSOSignIn drives the authorization-code flow against a real OpenID provider.
func TestSSOSignIn(t *testing.T) {
	users := []opUser{
		{ID: "1", Username: "ana", Email: "Ana@acme.test", EmailVerified: true, FirstName: "Ana"},
		{ID: "2", Username: "neo", Email: "neo@signup.test", EmailVerified: true, FirstName: "Neo", LastName: "Anderson"},
		{ID: "3", Username: "bob", Email: "bob@nowhere.test", EmailVerified: true},
		{ID: "4", Username: "una", Email: "una@acme.test", EmailVerified: false},
		{ID: "5", Username: "dee", Email: "dee@acme.test", EmailVerified: true},
		{ID: "6", Username: "ulf", Email: "ulf@signup.test", EmailVerified: false},
	}
	for i := range users {
		users[i].Password = opPassword
	}
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newSSOEnv(t, d, users...)
		ctx := context.Background()
		ana := e.addUser(t, e.Account.ID, "ana@acme.test", baton.RoleAdmin)
		e.addUser(t, e.Account.ID, "una@acme.test", baton.RoleAgent)
		dee := e.addUser(t, e.Account.ID, "dee@acme.test", baton.RoleAgent)

		want(t, "sso config", call(t, "GET", e.URL+"/api/v1/sso/config", "", nil), 200, `"enabled":true`, `"name":"Zitadel"`)
		want(t, "set sign-up domains", call(t, "PUT", e.URL+"/api/v1/sso/settings", e.Owner,
			map[string]any{"signup_domains": []string{"Signup.TEST", "signup.test."}}), 200, `{"signup_domains":["signup.test"]}`)

		t.Run("a user is matched by verified email", func(t *testing.T) {
			b := e.browser(t)
			loc := e.signIn(t, b, "ana")
			if loc.String() != "/app/" && loc.String() != e.URL+"/app/" {
				t.Fatalf("the sign-in ended at %s, want /app/", loc)
			}
			status, me := e.me(t, b)
			if status != 200 || me["id"] != ana.ID {
				t.Fatalf("GET /api/v1/me = %d %v, want %s", status, me, ana.ID)
			}
			if got := e.auditActions(t, e.Account.ID, "ana@acme.test"); len(got) != 1 || got[0] != audit.SignIn+" sso" {
				t.Errorf("audit of ana = %v, want one SSO sign-in", got)
			}
		})

		t.Run("an unknown email of a sign-up domain becomes an agent", func(t *testing.T) {
			b := e.browser(t)
			if loc := e.signIn(t, b, "neo"); loc.Path != "/app/" || loc.RawQuery != "" {
				t.Fatalf("the sign-in ended at %s, want /app/", loc)
			}
			status, me := e.me(t, b)
			if status != 200 || me["email"] != "neo@signup.test" || me["role"] != "agent" || me["account_id"] != e.Account.ID ||
				me["first_name"] != "Neo" || me["last_name"] != "Anderson" {
				t.Fatalf("GET /api/v1/me = %d %v, want the new agent neo@signup.test of Acme", status, me)
			}
			if got := e.auditActions(t, e.Account.ID, "user:"+me["id"].(string)); len(got) != 1 || got[0] != audit.UserCreate+" sso" {
				t.Errorf("audit of the new user = %v, want one SSO user.create", got)
			}
			// The second time, the user is found, not created again.
			b2 := e.browser(t)
			if loc := e.signIn(t, b2, "neo"); loc.RawQuery != "" {
				t.Fatalf("the second sign-in ended at %s, want /app/", loc)
			}
			if _, again := e.me(t, b2); again["id"] != me["id"] {
				t.Errorf("the second sign-in is user %v, want %v", again["id"], me["id"])
			}
		})

		t.Run("an unknown email without a sign-up domain is refused", func(t *testing.T) {
			b := e.browser(t)
			wantRefusal(t, e.signIn(t, b, "bob"), "no_account")
			if status, _ := e.me(t, b); status != 401 {
				t.Errorf("GET /api/v1/me after a refusal = %d, want 401", status)
			}
			if _, err := d.FindUserByEmail(ctx, "bob@nowhere.test"); baton.ErrorCode(err) != baton.ENOTFOUND {
				t.Errorf("FindUserByEmail(bob) = %v, want not found", err)
			}
		})

		t.Run("an unverified email is refused", func(t *testing.T) {
			b := e.browser(t)
			wantRefusal(t, e.signIn(t, b, "una"), "email_unverified")
			if status, _ := e.me(t, b); status != 401 {
				t.Errorf("GET /api/v1/me after a refusal = %d, want 401", status)
			}
			if got := e.auditActions(t, e.Account.ID, "una@acme.test"); len(got) != 1 || got[0] != audit.SignInFailed+" sso" {
				t.Errorf("audit of una = %v, want one refused SSO sign-in", got)
			}
			wantRefusal(t, e.signIn(t, e.browser(t), "ulf"), "email_unverified")
			if _, err := d.FindUserByEmail(ctx, "ulf@signup.test"); baton.ErrorCode(err) != baton.ENOTFOUND {
				t.Errorf("FindUserByEmail(ulf) = %v, want not found: an unverified email creates no one", err)
			}
		})

		t.Run("a deactivated user is refused", func(t *testing.T) {
			if _, err := d.SetDeactivated(ctx, e.Account.ID, dee.ID, true); err != nil {
				t.Fatal(err)
			}
			b := e.browser(t)
			wantRefusal(t, e.signIn(t, b, "dee"), "deactivated")
			if status, _ := e.me(t, b); status != 401 {
				t.Errorf("GET /api/v1/me after a refusal = %d, want 401", status)
			}
			if got := e.auditActions(t, e.Account.ID, "dee@acme.test"); len(got) != 1 || got[0] != audit.SignInFailed+" sso" {
				t.Errorf("audit of dee = %v, want one refused SSO sign-in", got)
			}
		})

		t.Run("a forged, missing or replayed state is refused", func(t *testing.T) {
			b := e.browser(t)
			b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			res, err := b.Get(e.URL + "/auth/oidc/login")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			idp, _ := res.Location()
			if res.StatusCode != http.StatusFound || idp == nil || idp.Query().Get("code_challenge_method") != "S256" ||
				idp.Query().Get("nonce") == "" || idp.Query().Get("state") == "" {
				t.Fatalf("GET /auth/oidc/login = %d to %v, want a redirect to the provider with state, nonce and PKCE", res.StatusCode, idp)
			}
			state := idp.Query().Get("state")
			for name, u := range map[string]string{
				"forged state":  "/auth/oidc/callback?code=x&state=forged",
				"missing state": "/auth/oidc/callback?code=x",
			} {
				res, err := b.Get(e.URL + u)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				loc, _ := res.Location()
				if res.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("sso_error") != "state" {
					t.Errorf("%s: %d to %v, want a refusal with sso_error=state", name, res.StatusCode, loc)
				}
			}
			// The cookie went with the first callback: the real state no longer works.
			res, err = b.Get(e.URL + "/auth/oidc/callback?code=x&state=" + url.QueryEscape(state))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if loc, _ := res.Location(); loc == nil || loc.Query().Get("sso_error") != "state" {
				t.Errorf("a replayed state: to %v, want sso_error=state", loc)
			}
			// A cookie that is not sealed with the server's key is refused.
			req, _ := http.NewRequest("GET", e.URL+"/auth/oidc/callback?code=x&state=abc", nil)
			forged, _ := json.Marshal(map[string]any{"p": "oidc-login", "s": "abc", "n": "n", "v": "v", "e": time.Now().Add(time.Hour).Unix()})
			req.AddCookie(&http.Cookie{Name: "baton_oidc", Value: string(forged)})
			res, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if loc, _ := res.Location(); loc == nil || loc.Query().Get("sso_error") != "state" {
				t.Errorf("a forged cookie: to %v, want sso_error=state", loc)
			}
			if status, _ := e.me(t, b); status != 401 {
				t.Errorf("GET /api/v1/me = %d, want 401", status)
			}
		})
	})
}

// TestSSOSettings checks the sign-up domain settings: admins only, checked domains, one
// account per domain.
func TestSSOSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newSSOEnv(t, d)
		ctx := context.Background()
		agent := e.addUser(t, e.Account.ID, "agent@acme.test", baton.RoleAgent)
		agentSess, err := d.SignIn(ctx, agent)
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := d.CreateAccount(ctx, "Other", "other", "Other Bot")
		if err != nil {
			t.Fatal(err)
		}
		e.addUser(t, other.ID, "boss@other.test", baton.RoleOwner)
		otherSess, err := d.Login(ctx, "boss@other.test", "owner password 123")
		if err != nil {
			t.Fatal(err)
		}
		put := func(token string, body any) response {
			return call(t, "PUT", e.URL+"/api/v1/sso/settings", token, body)
		}
		want(t, "empty settings", call(t, "GET", e.URL+"/api/v1/sso/settings", e.Owner, nil), 200, `{"signup_domains":[]}`)
		want(t, "an agent reads", call(t, "GET", e.URL+"/api/v1/sso/settings", agentSess.Token, nil), 403, `"forbidden"`)
		want(t, "an agent writes", put(agentSess.Token, map[string]any{"signup_domains": []string{"x.test"}}), 403, `"forbidden"`)
		want(t, "no one signed in", put("", map[string]any{"signup_domains": []string{"x.test"}}), 401)
		for _, bad := range []string{"localhost", "a..test", "-a.test", "a b.test", "ex@mple.test", "übung.test", strings.Repeat("a", 64) + ".test"} {
			want(t, "domain "+bad, put(e.Owner, map[string]any{"signup_domains": []string{bad}}), 400, `"invalid"`)
		}
		want(t, "no list", put(e.Owner, map[string]any{}), 400, `"invalid"`)
		many := make([]string, 51)
		for i := range many {
			many[i] = strings.Repeat("a", i+1) + ".test"
		}
		want(t, "too many", put(e.Owner, map[string]any{"signup_domains": many}), 400, `"invalid"`)
		want(t, "set", put(e.Owner, map[string]any{"signup_domains": []string{"b.test", "@a.test"}}), 200, `{"signup_domains":["a.test","b.test"]}`)
		want(t, "another account takes a.test", put(otherSess.Token, map[string]any{"signup_domains": []string{"c.test", "A.test"}}), 409, `"conflict"`)
		want(t, "the other account unchanged", call(t, "GET", e.URL+"/api/v1/sso/settings", otherSess.Token, nil), 200, `{"signup_domains":[]}`)
		want(t, "replace", put(e.Owner, map[string]any{"signup_domains": []string{"b.test"}}), 200, `{"signup_domains":["b.test"]}`)
		want(t, "a.test is free again", put(otherSess.Token, map[string]any{"signup_domains": []string{"a.test"}}), 200, `["a.test"]`)
		if got := e.auditActions(t, e.Account.ID, "sso"); len(got) != 2 {
			t.Errorf("settings audit = %v, want two entries", got)
		}
	})
}

// TestSSOOff: without an issuer the sign-in page hides the button and the flow refuses.
func TestSSOOff(t *testing.T) {
	d := storetest.Open(t, store.SQLite)
	m := &Main{Config: &Config{}, DB: d, Logger: slog.New(slog.DiscardHandler)}
	api := httpapi.NewServer(d, m.Logger)
	if err := wireSSO(m, api, river.NewWorkers()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	want(t, "sso config", call(t, "GET", srv.URL+"/api/v1/sso/config", "", nil), 200, `"enabled":false`, `"name":"SSO"`)
	r := call(t, "GET", srv.URL+"/auth/oidc/login", "", nil)
	if loc := r.Header.Get("Location"); r.Status != 302 || loc != "/app/?sso_error=disabled" {
		t.Errorf("GET /auth/oidc/login = %d to %q, want a refusal", r.Status, loc)
	}
	// Every route SSO adds is in docs/openapi.yaml.
	doc := loadOpenAPI(t)
	for _, p := range []string{"GET /api/v1/sso/config", "GET /api/v1/sso/settings", "PUT /api/v1/sso/settings",
		"GET /auth/oidc/login", "GET /auth/oidc/callback"} {
		method, path, _ := strings.Cut(p, " ")
		if node(doc, "paths", path)[strings.ToLower(method)] == nil {
			t.Errorf("route %q is missing from docs/openapi.yaml", p)
		}
	}
}

// TestCheckOIDC: a configuration that cannot work is refused at start.
func TestCheckOIDC(t *testing.T) {
	for _, c := range []Config{
		{OIDCIssuer: "idp.example.com", OIDCClientID: "x"},
		{OIDCIssuer: "https://idp.example.com"},
		{OIDCIssuer: "https://idp.example.com", OIDCClientID: "x", PublicURL: "baton.example.com"},
	} {
		if err := c.checkOIDC(); err == nil {
			t.Errorf("checkOIDC(%+v) = nil, want an error", c)
		}
	}
	ok := Config{OIDCIssuer: "https://idp.example.com", OIDCClientID: "x", PublicURL: "https://baton.example.com"}
	if err := ok.checkOIDC(); err != nil {
		t.Errorf("checkOIDC(%+v) = %v, want nil", ok, err)
	}
}

// TestSSOProviderDown: an identity provider that cannot be reached does not stop the
// server; a sign-in is refused with sso_error=unavailable.
func TestSSOProviderDown(t *testing.T) {
	d := storetest.Open(t, store.SQLite)
	box, _ := secret.New(make([]byte, 32))
	d.Secrets = box
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	m := &Main{Config: &Config{OIDCIssuer: down.URL, OIDCClientID: "baton", PublicURL: "http://baton.test"}, DB: d,
		Logger: slog.New(slog.DiscardHandler)}
	api := httpapi.NewServer(d, m.Logger)
	if err := wireSSO(m, api, river.NewWorkers()); err != nil {
		t.Fatalf("wireSSO with the provider down = %v, want nil", err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	want(t, "sso config", call(t, "GET", srv.URL+"/api/v1/sso/config", "", nil), 200, `"enabled":true`)
	r := call(t, "GET", srv.URL+"/auth/oidc/login", "", nil)
	if loc := r.Header.Get("Location"); r.Status != 302 || loc != "/app/?sso_error=unavailable" {
		t.Errorf("GET /auth/oidc/login = %d to %q, want sso_error=unavailable", r.Status, loc)
	}
}
