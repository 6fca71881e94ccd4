package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// clock is the store's clock in these tests: it stands still until a test moves it, so
// time-based rules (M3) are tested without sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Now().UTC().Truncate(time.Second)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuffer collects the server's log lines and shows them when the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const testPassword = "velvet anchor meadow 42"

// env is one account with its owner, served over HTTP by a fresh Server on one database.
type env struct {
	DB      *store.DB
	API     *httpapi.Server
	URL     string
	Clock   *clock
	Account *baton.Account
	Bot     *baton.Chatbot
	Owner   *baton.User
	// OwnerToken is a session token of Owner (signed in through the store, so that the
	// HTTP login throttle is left to the tests about it).
	OwnerToken string
	logs       *logBuffer
}

// newEnv builds an account "Acme" with chatbot "demo" and an owner on db, and serves it.
func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	clk := newClock()
	db.Now = clk.Now
	// Tests move the clock by hours and days; sessions last through that unless a test
	// of session lifetimes sets its own.
	db.SessionIdle, db.SessionMax = 365*24*time.Hour, 365*24*time.Hour
	e := &env{DB: db, Clock: clk, logs: &logBuffer{}}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.API = httpapi.NewServer(db, logger)
	e.API.Blobs = blob.Dir{Root: t.TempDir()}
	srv := httptest.NewServer(e.API)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	e.URL = srv.URL
	ctx := context.Background()
	var err error
	e.Account, e.Bot, err = db.CreateAccount(ctx, "Acme", "demo", "Demo Bot")
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	e.Owner, e.OwnerToken = e.newUser(t, e.Account.ID, "owner@acme.test", baton.RoleOwner)
	return e
}

// newUser creates a user of the account and signs them in; it returns the session token.
func (e *env) newUser(t testing.TB, accountID, email string, role baton.Role) (*baton.User, string) {
	t.Helper()
	ctx := context.Background()
	u, err := e.DB.CreateUser(ctx, baton.UserCreate{AccountID: accountID, Email: email, Password: testPassword,
		FirstName: firstName(email), Role: role})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	sess, err := e.DB.Login(ctx, email, testPassword)
	if err != nil {
		t.Fatalf("Login(%s): %v", email, err)
	}
	return u, sess.Token
}

// firstName makes "Ana" of "ana@acme.test".
func firstName(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return strings.ToUpper(local[:1]) + local[1:]
}

// asUser is a context acting as u, for calling the store directly.
func asUser(u *baton.User) context.Context {
	return baton.NewContextWithActor(context.Background(), &baton.Actor{AccountID: u.AccountID, User: u})
}

// newToken creates an integration token of u's account with the scopes.
func (e *env) newToken(t testing.TB, u *baton.User, name string, scopes ...baton.Scope) *store.APIToken {
	t.Helper()
	tok, err := e.DB.CreateToken(asUser(u), name, scopes)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// visitor is a widget session.
type visitor struct {
	SessionID      string `json:"session_id"`
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
}

// openVisitor opens a widget session over HTTP on the chatbot slug and sends one message.
func (e *env) openVisitor(t testing.TB, slug, name, firstMessage string) visitor {
	t.Helper()
	var v visitor
	r := e.do(t, req{Method: "POST", URL: "/widget/v1/sessions", Body: map[string]string{"chatbot": slug, "name": name}})
	r.wantStatus(t, http.StatusCreated)
	r.decode(t, &v)
	if firstMessage != "" {
		e.do(t, req{Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Body: map[string]string{"content": firstMessage}}).
			wantStatus(t, http.StatusCreated)
	}
	return v
}

// handOff takes a conversation to status human as the holder of token (join, accept).
func (e *env) handOff(t testing.TB, token, convID string) {
	t.Helper()
	for _, a := range []string{"join", "accept"} {
		e.do(t, req{Method: "POST", URL: "/api/v1/conversations/" + convID + "/actions/" + a, Token: token}).
			wantStatus(t, http.StatusOK)
	}
}

// req is one HTTP request of a test.
type req struct {
	Method string
	URL    string // path and query, relative to the server
	// Body is sent as is when it is a string or []byte, else as JSON; nil sends no body.
	Body any
	// Token is sent as "Authorization: Bearer <Token>".
	Token string
	// Cookie is sent as the session cookie.
	Cookie  string
	Headers map[string]string
}

// resp is a response with its body read.
type resp struct {
	Method, URL string
	Status      int
	Header      http.Header
	Body        []byte
}

var client = &http.Client{
	Timeout: 30 * time.Second,
	// Redirects are answers to check, not to follow.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends r and checks what every response must satisfy: never a 500, and every error in
// the shape of API.md with a code that fits the status.
func (e *env) do(t testing.TB, r req) resp {
	t.Helper()
	return doRequest(t, e.URL, r)
}

func doRequest(t testing.TB, base string, r req) resp {
	t.Helper()
	var body io.Reader
	isJSON := false
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
		isJSON = true
	case []byte:
		body = bytes.NewReader(b)
		isJSON = true
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal body: %v", err)
		}
		body = bytes.NewReader(j)
		isJSON = true
	}
	hr, err := http.NewRequest(r.Method, base+r.URL, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", r.Method, r.URL, err)
	}
	if isJSON {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if r.Cookie != "" {
		hr.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: r.Cookie})
	}
	for k, v := range r.Headers {
		hr.Header.Set(k, v)
	}
	res, err := client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", r.Method, r.URL, err)
	}
	out := resp{Method: r.Method, URL: r.URL, Status: res.StatusCode, Header: res.Header, Body: b}
	checkResponse(t, out)
	return out
}

// statusOfCode is API.md's table of error codes.
var statusOfCode = map[string]int{
	"invalid":                400,
	"unauthorized":           401,
	"forbidden":              403,
	"not_found":              404,
	"conflict":               409,
	"too_large":              413,
	"unsupported_media_type": 415,
	"rate_limited":           429,
	"internal":               500,
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkResponse fails the test on a 500, on any error that is not API.md's JSON shape, and
// on any answer that docs/openapi.yaml does not describe.
func checkResponse(t testing.TB, r resp) {
	t.Helper()
	checkAgainstSpec(t, r)
	if r.Status >= 500 {
		t.Errorf("%s %s = %d %s: no request may cause a server error", r.Method, r.URL, r.Status, r.Body)
	}
	if r.Status < 400 {
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s = %d with Content-Type %q, want application/json (body %q)", r.Method, r.URL, r.Status, ct, r.Body)
		return
	}
	code, msg, ok := errorShape(r.Body)
	if !ok {
		t.Errorf("%s %s = %d %s, want exactly {\"error\":{\"code\",\"message\"}}", r.Method, r.URL, r.Status, r.Body)
		return
	}
	if !snakeCase.MatchString(code) || strings.TrimSpace(msg) == "" {
		t.Errorf("%s %s: error code %q / message %q, want a snake_case code and a message", r.Method, r.URL, code, msg)
	}
	if want, known := statusOfCode[code]; known && want != r.Status {
		t.Errorf("%s %s = %d with code %q, want status %d for that code", r.Method, r.URL, r.Status, code, want)
	} else if !known && r.Status != 400 {
		t.Errorf("%s %s = %d with code %q: a specific code is only used with 400 so far", r.Method, r.URL, r.Status, code)
	}
	if r.Status == http.StatusTooManyRequests {
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("%s %s = 429 with Retry-After %q, want a whole number of seconds ≥ 1", r.Method, r.URL, r.Header.Get("Retry-After"))
		}
	}
	for _, leak := range []string{"sql", "pgx", "pq:", "SQLSTATE", "baton error", "goroutine", ".go:"} {
		if strings.Contains(msg, leak) {
			t.Errorf("%s %s: error message %q leaks internals (%q)", r.Method, r.URL, msg, leak)
		}
	}
}

// errorShape parses an error body strictly: one key "error" holding exactly code and message.
func errorShape(b []byte) (code, message string, ok bool) {
	var outer map[string]json.RawMessage
	if json.Unmarshal(b, &outer) != nil || len(outer) != 1 || outer["error"] == nil {
		return "", "", false
	}
	var inner map[string]any
	if json.Unmarshal(outer["error"], &inner) != nil || len(inner) != 2 {
		return "", "", false
	}
	code, ok1 := inner["code"].(string)
	message, ok2 := inner["message"].(string)
	return code, message, ok1 && ok2
}

func (r resp) wantStatus(t testing.TB, want int) resp {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s %s = %d %s, want %d", r.Method, r.URL, r.Status, r.Body, want)
	}
	return r
}

// wantError checks the status, the error code and, when message is not empty, the exact
// message.
func (r resp) wantError(t testing.TB, status int, code, message string) {
	t.Helper()
	gotCode, gotMsg, _ := errorShape(r.Body)
	if r.Status != status || gotCode != code {
		t.Errorf("%s %s = %d %s, want %d with code %q", r.Method, r.URL, r.Status, r.Body, status, code)
		return
	}
	if message != "" && gotMsg != message {
		t.Errorf("%s %s: message %q, want %q", r.Method, r.URL, gotMsg, message)
	}
}

func (r resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: decode %s: %v", r.Method, r.URL, r.Body, err)
	}
}

// jsonMap decodes the body as a JSON object.
func (r resp) jsonMap(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// scenario is one row of an API table test, in the manner of pocketbase's ApiScenario.
type scenario struct {
	Name    string
	Method  string
	URL     string
	Body    any
	Token   string
	Cookie  string
	Headers map[string]string

	ExpectedStatus int
	// ExpectedCode is the error code, for error statuses.
	ExpectedCode string
	// ExpectedContent are substrings the body must contain.
	ExpectedContent []string
	// NotExpectedContent are substrings the body must not contain.
	NotExpectedContent []string
	// ExpectedHeaders are headers the response must carry, with these values ("*" for any).
	ExpectedHeaders map[string]string
}

func (sc scenario) test(t testing.TB, e *env) resp {
	t.Helper()
	r := e.do(t, req{Method: sc.Method, URL: sc.URL, Body: sc.Body, Token: sc.Token, Cookie: sc.Cookie, Headers: sc.Headers})
	if r.Status != sc.ExpectedStatus {
		t.Errorf("%s %s = %d %s, want %d", sc.Method, sc.URL, r.Status, truncate(r.Body), sc.ExpectedStatus)
	}
	if sc.ExpectedCode != "" {
		if code, _, _ := errorShape(r.Body); code != sc.ExpectedCode {
			t.Errorf("%s %s: error code %q, want %q (body %s)", sc.Method, sc.URL, code, sc.ExpectedCode, truncate(r.Body))
		}
	}
	for _, s := range sc.ExpectedContent {
		if !bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("%s %s: body %s does not contain %q", sc.Method, sc.URL, truncate(r.Body), s)
		}
	}
	for _, s := range sc.NotExpectedContent {
		if bytes.Contains(r.Body, []byte(s)) {
			t.Errorf("%s %s: body %s contains %q", sc.Method, sc.URL, truncate(r.Body), s)
		}
	}
	for k, v := range sc.ExpectedHeaders {
		got := r.Header.Get(k)
		if (v == "*" && got == "") || (v != "*" && got != v) {
			t.Errorf("%s %s: header %s = %q, want %q", sc.Method, sc.URL, k, got, v)
		}
	}
	return r
}

// runScenarios runs each scenario as a subtest.
func runScenarios(t *testing.T, e *env, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) { sc.test(t, e) })
	}
}

func truncate(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// eachEnv runs fn once per database dialect on a fresh environment.
func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db)) })
}

// snapshot is everything a refused request must leave unchanged about a conversation.
type snapshot struct {
	Conversation, Messages, Events string
}

func (e *env) snapshot(t testing.TB, token, convID string) snapshot {
	t.Helper()
	get := func(path string) string {
		return string(e.do(t, req{Method: "GET", URL: path, Token: token}).wantStatus(t, http.StatusOK).Body)
	}
	base := "/api/v1/conversations/" + convID
	return snapshot{Conversation: get(base), Messages: get(base + "/messages?limit=200"), Events: get(base + "/events")}
}

func (s snapshot) mustEqual(t testing.TB, after snapshot, what string) {
	t.Helper()
	if s.Conversation != after.Conversation {
		t.Errorf("%s changed the conversation:\nbefore %s\nafter  %s", what, s.Conversation, after.Conversation)
	}
	if s.Messages != after.Messages {
		t.Errorf("%s wrote messages:\nbefore %s\nafter  %s", what, s.Messages, after.Messages)
	}
	if s.Events != after.Events {
		t.Errorf("%s wrote events:\nbefore %s\nafter  %s", what, truncate([]byte(s.Events)), truncate([]byte(after.Events)))
	}
}
