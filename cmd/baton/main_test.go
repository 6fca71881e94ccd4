package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/coder/websocket"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cleanEnv removes every BATON_* variable for the test (restored afterwards), so that the
// machine's environment cannot steer the server; it returns BATON_TEST_DATABASE_URL.
func cleanEnv(t *testing.T) string {
	t.Helper()
	pg := os.Getenv("BATON_TEST_DATABASE_URL")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "BATON_") {
			t.Setenv(k, "") // registers the restore
			os.Unsetenv(k)
		}
	}
	return pg
}

// server is a running Main with its console output.
type server struct {
	*Main
	Stdout string
	stderr *syncBuffer
	closed bool
}

// start starts the real server with the flags on a free port. The widget's budgets are
// off (the tests open sessions faster than visitors do) unless args turn them on.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	var stdout bytes.Buffer
	stderr := &syncBuffer{}
	m, err := NewMain(append([]string{"--addr", "127.0.0.1:0", "--rate-limits", "off"}, args...), &stdout, stderr)
	if err != nil {
		t.Fatalf("NewMain: %v", err)
	}
	if err := m.Start(context.Background()); err != nil {
		m.Close()
		t.Fatalf("Start: %v\nstderr:\n%s", err, stderr.String())
	}
	s := &server{Main: m, Stdout: stdout.String(), stderr: stderr}
	t.Cleanup(func() {
		if !s.closed {
			s.close(t)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", stderr.String())
		}
	})
	return s
}

func (s *server) close(t *testing.T) {
	t.Helper()
	s.closed = true
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
}

var client = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// response is an answer of the real server.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return m
}

// call sends one request; body is JSON-encoded unless it is a string.
func call(t *testing.T, method, url, token string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode >= 500 {
		t.Errorf("%s %s = %d %s: a server error", method, url, res.StatusCode, b)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func want(t *testing.T, what string, r response, status int, substrings ...string) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s = %d %s, want %d", what, r.Status, r.Body, status)
	}
	for _, s := range substrings {
		if !bytes.Contains(r.Body, []byte(s)) {
			t.Fatalf("%s = %s, want it to contain %q", what, r.Body, s)
		}
	}
	return r
}

func login(t *testing.T, base, email, password string) string {
	t.Helper()
	r := want(t, "sign in as "+email, call(t, "POST", base+"/api/v1/session", "", map[string]string{"email": email, "password": password}), 200)
	token, _ := r.json(t)["token"].(string)
	if token == "" {
		t.Fatalf("sign in gave no token: %s", r.Body)
	}
	return token
}

var consoleLine = regexp.MustCompile(`Console: (http://127\.0\.0\.1:(\d+))/app/\n`)

// TestServe starts the real server as `baton serve` would, with the admin from the
// environment, and checks what API.md promises about start-up.
func TestServe(t *testing.T) {
	cleanEnv(t)
	t.Setenv("BATON_ADMIN_EMAIL", "chief@example.test")
	t.Setenv("BATON_ADMIN_PASSWORD", "s3cret-passw0rd")
	t.Setenv("BATON_ADDR", "256.256.256.256:1") // the --addr flag wins
	s := start(t, "--data-dir", t.TempDir())
	base := s.URL()

	m := consoleLine.FindStringSubmatch(s.Stdout)
	if m == nil || m[1] != base || m[2] == "0" {
		t.Fatalf("stdout = %q, want the console URL %s/app/ on the real port", s.Stdout, base)
	}
	if !strings.Contains(s.Stdout, "Sign in as chief@example.test") || strings.Contains(s.Stdout, "s3cret-passw0rd") ||
		strings.Contains(s.Stdout, "with password") {
		t.Errorf("stdout = %q, want the admin's email and no password", s.Stdout)
	}

	want(t, "GET /healthz", call(t, "GET", base+"/healthz", "", nil), 200, `"ok"`)
	want(t, "GET /readyz", call(t, "GET", base+"/readyz", "", nil), 200)
	r := want(t, "GET /", call(t, "GET", base+"/", "", nil), http.StatusFound)
	if loc := r.Header.Get("Location"); loc != "/app/" {
		t.Errorf("GET / redirects to %q, want /app/", loc)
	}
	want(t, "sign in with a wrong password", call(t, "POST", base+"/api/v1/session", "",
		map[string]string{"email": "chief@example.test", "password": "wrong"}), 401, `"unauthorized"`)
	token := login(t, base, "chief@example.test", "s3cret-passw0rd")
	want(t, "GET /api/v1/me", call(t, "GET", base+"/api/v1/me", token, nil), 200, `"role":"owner"`)
	want(t, "GET /api/v1/chatbots", call(t, "GET", base+"/api/v1/chatbots", token, nil), 200, `"slug":"demo"`)
	want(t, "GET /metrics", call(t, "GET", base+"/metrics", "", nil), 200, "baton_http_requests_total", `route="GET /api/v1/chatbots"`)
	want(t, "GET /api/v1/nope", call(t, "GET", base+"/api/v1/nope", token, nil), 404, `"not_found"`)

	// The sockets refuse strangers before upgrading, in the error shape.
	for _, u := range []string{"/api/v1/ws", "/api/v1/ws?token=bts_nope", "/widget/v1/ws", "/widget/v1/ws?token=btv_nope",
		"/widget/v1/ws?token=%FF%00"} {
		r := call(t, "GET", base+u, "", nil)
		if r.Status != http.StatusUnauthorized && r.Status != http.StatusBadRequest {
			t.Errorf("GET %s = %d %s, want 401 (or 400)", u, r.Status, r.Body)
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(r.Body, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Errorf("GET %s = %s, want the error shape", u, r.Body)
		}
	}

	coreFlow(t, base, token)

	s.close(t)
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after Close")
	}
}

// TestServeGeneratedPassword: without BATON_ADMIN_PASSWORD the first start prints a
// generated password once; it works, and a second start does not print it again.
func TestServeGeneratedPassword(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	first := start(t, "--data-dir", dir)
	m := regexp.MustCompile(`Sign in as (admin@baton\.local) with password (\S+)\n`).FindStringSubmatch(first.Stdout)
	if m == nil {
		t.Fatalf("first start printed %q, want the admin login with a generated password", first.Stdout)
	}
	email, password := m[1], m[2]
	if len(password) < 12 {
		t.Errorf("generated password %q is short", password)
	}
	login(t, first.URL(), email, password)
	first.close(t)

	second := start(t, "--data-dir", dir)
	if strings.Contains(second.Stdout, password) || strings.Contains(second.Stdout, "with password") {
		t.Errorf("second start printed %q: the password is shown only once", second.Stdout)
	}
	if !strings.Contains(second.Stdout, "Sign in as "+email) {
		t.Errorf("second start printed %q, want the admin's email", second.Stdout)
	}
	token := login(t, second.URL(), email, password)
	r := want(t, "GET /api/v1/chatbots", call(t, "GET", second.URL()+"/api/v1/chatbots", token, nil), 200)
	if n := strings.Count(string(r.Body), `"slug":`); n != 1 {
		t.Errorf("after a restart there are %d chatbots, want the one demo bot: %s", n, r.Body)
	}
}

// TestServePostgres runs the core flow against the real server on PostgreSQL.
func TestServePostgres(t *testing.T) {
	pg := cleanEnv(t)
	if pg == "" {
		t.Skip("BATON_TEST_DATABASE_URL is not set")
	}
	t.Setenv("BATON_TEST_DATABASE_URL", pg) // storetest reads it
	t.Setenv("BATON_ADMIN_EMAIL", "chief@example.test")
	t.Setenv("BATON_ADMIN_PASSWORD", "s3cret-passw0rd")
	cfg := storetest.Config(t, store.Postgres)
	s := start(t, "--database-url", cfg.URL, "--data-dir", cfg.DataDir)
	want(t, "GET /readyz", call(t, "GET", s.URL()+"/readyz", "", nil), 200)
	token := login(t, s.URL(), "chief@example.test", "s3cret-passw0rd")
	coreFlow(t, s.URL(), token)
	s.close(t)

	// A restart on the same database keeps the one demo account.
	again := start(t, "--database-url", cfg.URL, "--data-dir", cfg.DataDir)
	token = login(t, again.URL(), "chief@example.test", "s3cret-passw0rd")
	r := want(t, "GET /api/v1/chatbots", call(t, "GET", again.URL()+"/api/v1/chatbots", token, nil), 200)
	if n := strings.Count(string(r.Body), `"slug":`); n != 1 {
		t.Errorf("after a restart there are %d chatbots, want the one demo bot: %s", n, r.Body)
	}
}

// coreFlow is scripts/smoke.sh in Go, against a real server.
func coreFlow(t *testing.T, base, token string) {
	t.Helper()
	sess := want(t, "open a visitor session", call(t, "POST", base+"/widget/v1/sessions", "",
		map[string]string{"chatbot": "demo", "name": "Go Visitor"}), 201).json(t)
	vtoken, _ := sess["token"].(string)
	conv, _ := sess["conversation_id"].(string)
	if sid, _ := sess["session_id"].(string); !strings.HasPrefix(sid, "web:") || vtoken == "" || conv == "" {
		t.Fatalf("visitor session = %v", sess)
	}
	api := base + "/api/v1/conversations/" + conv
	// Odd socket parameters: a refusal or a socket, never a server error.
	for _, q := range []string{"&since=abc", "&conversation_id=%FF", "&conversation_id=%00", "&conversation_id=" + strings.Repeat("x", 3000)} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/widget/v1/ws?token="+vtoken+q, nil)
		if err == nil {
			c.Close(websocket.StatusNormalClosure, "")
		} else if res == nil || res.StatusCode >= 500 {
			t.Errorf("dial /widget/v1/ws?token=…%s: %v (response %v)", q, err, res)
		}
		cancel()
	}
	want(t, "a visitor message", call(t, "POST", base+"/widget/v1/messages", vtoken,
		map[string]string{"content": "Hello, I need help with my order"}), 201, `"kind":"visitor"`)
	want(t, "the agent list", call(t, "GET", base+"/api/v1/conversations", token, nil), 200, conv)
	want(t, "a reply before the handoff", call(t, "POST", api+"/messages", token, `{"content":"hi"}`), 409,
		`"message":"Can only reply to handed-off conversations."`)
	want(t, "accept before join", call(t, "POST", api+"/actions/accept", token, nil), 409, `"conflict"`)
	want(t, "join", call(t, "POST", api+"/actions/join", token, nil), 200, `"status":"waiting"`)
	want(t, "accept", call(t, "POST", api+"/actions/accept", token, nil), 200, `"status":"human"`)
	want(t, "reply", call(t, "POST", api+"/messages", token, `{"content":"Hi, I am here to help."}`), 201, `"kind":"agent"`)
	want(t, "status after the reply", call(t, "GET", api, token, nil), 200, `"status":"human"`)
	want(t, "a note", call(t, "POST", api+"/messages", token, `{"content":"VIP customer","private":true}`), 201, `"kind":"note"`)
	r := want(t, "the visitor's messages", call(t, "GET", base+"/widget/v1/messages?after_seq=0", vtoken, nil), 200, "Hi, I am here to help.")
	if bytes.Contains(r.Body, []byte("VIP customer")) {
		t.Errorf("the visitor sees the note: %s", r.Body)
	}
	want(t, "PUT status active", call(t, "PUT", api+"/status", token, `{"status":"active"}`), 200, `"status":"bot"`)
	want(t, "PUT status open", call(t, "PUT", api+"/status", token, `{"status":"open"}`), 400, `"invalid_status"`)
	want(t, "close", call(t, "PUT", api+"/status", token, `{"status":"closed"}`), 200, `"status":"closed"`)
	want(t, "close again", call(t, "POST", api+"/actions/close", token, nil), 409, `"conflict"`)
	want(t, "reopen", call(t, "POST", api+"/actions/reopen", token, nil), 200, `"status":"bot"`)
}

// TestRunMigrate: `baton migrate` creates the schema and can run again.
func TestRunMigrate(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		var stdout, stderr bytes.Buffer
		if err := Run(context.Background(), []string{"migrate", "--data-dir", dir}, &stdout, &stderr); err != nil {
			t.Fatalf("Run(migrate) #%d = %v, want nil (stderr %s)", i+1, err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "The database schema is up to date.") {
			t.Errorf("Run(migrate) printed %q", stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "baton.db")); err != nil {
		t.Errorf("no SQLite database after migrate: %v", err)
	}
}

// TestRunUserCreate: `baton user create` adds a user who can sign in.
func TestRunUserCreate(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	ctx := context.Background()
	userCreate := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := Run(ctx, append([]string{"user", "create", "--data-dir", dir}, args...), &stdout, &stderr)
		return stdout.String(), err
	}
	if _, err := userCreate("--email", "ana@example.test", "--password", "ana-password"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Errorf("user create before any start = %v, want the no-account error", err)
	}
	start(t, "--data-dir", dir).close(t)

	out, err := userCreate("--email", "Ana@Example.test", "--password", "ana-password", "--role", "admin", "--first-name", "Ana")
	if err != nil {
		t.Fatalf("user create = %v", err)
	}
	if !strings.Contains(out, "Created admin ana@example.test") {
		t.Errorf("user create printed %q", out)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"a taken email", []string{"--email", "ana@example.test", "--password", "other-password"}, "already exists"},
		{"a short password", []string{"--email", "bo@example.test", "--password", "short"}, "password"},
		{"an unknown role", []string{"--email", "bo@example.test", "--password", "long-enough-pw", "--role", "god"}, "Role"},
		{"no email", []string{"--password", "long-enough"}, "email"},
		{"an unknown flag", []string{"--email", "bo@example.test", "--bogus"}, "bogus"},
	} {
		if _, err := userCreate(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("user create with %s = %v, want an error about %q", c.name, err, c.want)
		}
	}

	s := start(t, "--data-dir", dir)
	token := login(t, s.URL(), "ana@example.test", "ana-password")
	want(t, "GET /api/v1/me", call(t, "GET", s.URL()+"/api/v1/me", token, nil), 200, `"role":"admin"`, `"first_name":"Ana"`)
	s.close(t)

	// An owner locked out resets a password from the command line: printed once, the old
	// sessions end.
	var stdout, stderr bytes.Buffer
	if err := Run(ctx, []string{"user", "reset-password", "--data-dir", dir, "--email", "ANA@example.test"}, &stdout, &stderr); err != nil {
		t.Fatalf("user reset-password = %v (%s)", err, stderr.String())
	}
	m := regexp.MustCompile(`New password: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("user reset-password printed %q, want the new password", stdout.String())
	}
	if err := Run(ctx, []string{"user", "reset-password", "--data-dir", dir, "--email", "nobody@example.test"}, io.Discard, io.Discard); err == nil {
		t.Error("user reset-password of an unknown email succeeded")
	}
	if err := Run(ctx, []string{"user", "reset-password", "--data-dir", dir, "--email", "ana@example.test", "--password", "password1234"}, io.Discard, io.Discard); err == nil {
		t.Error("user reset-password to a common password succeeded")
	}
	s = start(t, "--data-dir", dir)
	want(t, "GET /api/v1/me with the old session", call(t, "GET", s.URL()+"/api/v1/me", token, nil), 401)
	token = login(t, s.URL(), "ana@example.test", m[1])
	want(t, "GET /api/v1/me", call(t, "GET", s.URL()+"/api/v1/me", token, nil), 200, `"role":"admin"`)
}

// TestRunBadArguments: bad commands and flags are errors, not servers.
func TestRunBadArguments(t *testing.T) {
	cleanEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"serve", "--bogus"}, "bogus"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"migrate", "--bogus"}, "bogus"},
		{[]string{"migrate", "--data-dir", t.TempDir(), "--database-url", "mysql://x"}, "postgres://"},
		{[]string{"user"}, "usage"},
		{[]string{"user", "delete"}, "usage"},
		{[]string{"user", "create", "--nope"}, "nope"},
	} {
		var stdout, stderr bytes.Buffer
		err := Run(ctx, c.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%q) = %v, want an error about %q", c.args, err, c.want)
		}
	}
	var stdout bytes.Buffer
	if err := Run(ctx, []string{"help"}, &stdout, io.Discard); err != nil || !strings.Contains(stdout.String(), "Usage: baton") {
		t.Errorf("Run(help) = %v, %q, want the usage", err, stdout.String())
	}
	if _, err := NewMain([]string{"--addr"}, io.Discard, io.Discard); err == nil {
		t.Error("NewMain with a flag missing its value succeeded")
	}
}

// TestStartFailures: a server that cannot start says why, and Close still releases what
// Start opened (it must not hang).
func TestStartFailures(t *testing.T) {
	cleanEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"a busy port", nil, []string{"--addr", busy.Addr().String()}, "choose another with --addr or BATON_ADDR"},
		{"a bad secret key", map[string]string{"BATON_SECRET_KEY": "not hex"}, []string{"--addr", "127.0.0.1:0"}, "BATON_SECRET_KEY"},
		{"a database URL that is not PostgreSQL", nil, []string{"--addr", "127.0.0.1:0", "--database-url", "mysql://localhost/x"}, "postgres://"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			m, err := NewMain(append(c.args, "--data-dir", t.TempDir()), io.Discard, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Start() = %v, want an error about %q", err, c.want)
			}
			done := make(chan error, 1)
			go func() { done <- m.Close() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Close() after a failed Start() hangs")
			}
		})
	}
}
