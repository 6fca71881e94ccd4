// Package channeltest runs a channel end to end in tests: a real database (SQLite, and
// PostgreSQL when configured), the real API server with the channel routes, River with
// the delivery and bot workers, and the transaction hook — so that a test speaks to
// Baton over HTTP as a provider would, and watches what Baton sends to the provider's
// fake.
package channeltest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/jobs"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// Timeout bounds every wait of a test.
const Timeout = 20 * time.Second

// Clock is the store's clock: it follows real time, shifted by what the test adds (the
// 24-hour windows are tested without waiting a day).
type Clock struct {
	mu    sync.Mutex
	shift time.Duration
}

// Now is the shifted time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.shift)
}

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shift += d
}

// Events records what the store publishes and wakes up waiters.
type Events struct {
	mu     sync.Mutex
	events []*baton.Event
	wake   chan struct{}
}

// Publish records events.
func (e *Events) Publish(_ context.Context, events []*baton.Event) {
	e.mu.Lock()
	e.events = append(e.events, events...)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// OfType returns the recorded events of a type.
func (e *Events) OfType(typ string) []*baton.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*baton.Event
	for _, ev := range e.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// logBuffer keeps the server's log for a failing test.
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

// Env is one account ("Acme", chatbot "demo", an owner) served with its channels.
type Env struct {
	DB      *store.DB
	API     *httpapi.Server
	URL     string
	Clock   *Clock
	Events  *Events
	Service *channel.Service
	Blobs   blob.Dir
	Account *baton.Account
	Bot     *baton.Chatbot
	Owner   *baton.User
	// Token is the owner's session token.
	Token  string
	Logger *slog.Logger
	logs   *logBuffer
}

// New serves db with the adapters, the delivery worker (backoff 20 ms), the bot and the
// conversation timers.
func New(t testing.TB, db *store.DB, adapters ...channel.Adapter) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{DB: db, Clock: &Clock{}, Events: &Events{wake: make(chan struct{}, 1)}, logs: &logBuffer{},
		Blobs: blob.Dir{Root: t.TempDir()}}
	e.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	db.Now = e.Clock.Now
	// The tests move the clock by days (a reply window); sessions outlast that.
	db.SessionIdle, db.SessionMax = 365*24*time.Hour, 365*24*time.Hour
	db.Publisher = e.Events
	box, err := secret.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	db.Secrets = box
	if e.Account, e.Bot, err = db.CreateAccount(ctx, "Acme", "demo", "Demo Bot"); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if e.Owner, err = db.CreateUser(ctx, baton.UserCreate{AccountID: e.Account.ID, Email: "owner@acme.test",
		Password: "correct horse battery", FirstName: "Olivia", Role: baton.RoleOwner}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	sess, err := db.Login(ctx, "owner@acme.test", "correct horse battery")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	e.Token = sess.Token

	byKind := map[string]channel.Adapter{}
	for _, a := range adapters {
		byKind[a.Kind()] = a
	}
	e.API = httpapi.NewServer(db, e.Logger)
	srv := httptest.NewServer(e.API)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	e.Service = &channel.Service{DB: db, Blobs: e.Blobs, Logger: e.Logger, Adapters: byKind,
		BaseURL: func() string { return srv.URL }}
	e.Service.Register(e.API)
	db.AddTxHook(db.ChannelDeliveryHook)

	workers := river.NewWorkers()
	river.AddWorker(workers, &channel.Deliverer{DB: db, Blobs: e.Blobs, Logger: e.Logger, Adapters: byKind,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond }, MaxSnooze: time.Second})
	river.AddWorker(workers, &jobs.BotReply{DB: db, Logger: e.Logger})
	// The store enqueues these with conversations; River refuses kinds it has no worker for.
	river.AddWorker(workers, &jobs.AutoResolve{DB: db})
	river.AddWorker(workers, &jobs.Abandon{DB: db})
	river.AddWorker(workers, &jobs.RingTimeout{DB: db})
	q, err := jobs.New(ctx, db, jobs.Config{Workers: workers, Logger: e.Logger.With("component", "river"), MaxWorkers: 4})
	if err != nil {
		t.Fatalf("jobs: %v", err)
	}
	db.Jobs = q
	if err := q.Start(ctx); err != nil {
		t.Fatalf("start jobs: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return e
}

// Actor is a context acting as the owner.
func (e *Env) Actor() context.Context {
	return baton.NewContextWithActor(context.Background(), &baton.Actor{AccountID: e.Account.ID, User: e.Owner})
}

// Response is an HTTP answer.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into a map.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %s", r.Status, r.Body)
	}
	return m
}

// Do sends a request to the server: body is sent as is ([]byte, string) or as JSON.
func (e *Env) Do(t testing.TB, method, path string, header http.Header, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if rd != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// AsOwner sends an API request with the owner's token.
func (e *Env) AsOwner(t testing.TB, method, path string, body any) Response {
	t.Helper()
	return e.Do(t, method, path, http.Header{"Authorization": {"Bearer " + e.Token}}, body)
}

// Captures reads the files of testdata/ whose names match pattern (captured payloads, the
// seeds of a fuzz target); it fails the test when there are none.
func Captures(t testing.TB, pattern string) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata/%s: %v", pattern, err)
	}
	out := make([][]byte, len(names))
	for i, n := range names {
		if out[i], err = os.ReadFile(n); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// NoServerError fails the test on a 5xx answer, and on a refusal (4xx) that is not the
// API's error shape, {"error": {"code", "message"}} (API.md): bad input of any kind is the
// client's error.
func NoServerError(t testing.TB, r Response, what string) {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("%s = %d %s: no input may cause a server error", what, r.Status, r.Body)
	}
	if r.Status < 400 {
		return
	}
	var shape struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &shape); err != nil || shape.Error.Code == "" || shape.Error.Message == "" {
		t.Fatalf("%s = %d %s, want {\"error\":{\"code\",\"message\"}}", what, r.Status, r.Body)
	}
}

// Want fails the test unless the answer has the status.
func Want(t testing.TB, r Response, status int, what string) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s = %d %s, want %d", what, r.Status, r.Body, status)
	}
	return r
}

// Conversations lists the account's conversations, newest activity first.
func (e *Env) Conversations(t testing.TB) []*baton.Conversation {
	t.Helper()
	p, err := e.DB.ListConversations(e.Actor(), baton.ConversationFilter{Limit: 100})
	if err != nil {
		t.Fatalf("ListConversations: %v", err)
	}
	return p.Conversations
}

// Conversation reads one conversation.
func (e *Env) Conversation(t *testing.T, id string) *baton.Conversation {
	t.Helper()
	c, err := e.DB.FindConversation(e.Actor(), id)
	if err != nil {
		t.Fatalf("FindConversation: %v", err)
	}
	return c
}

// Messages lists a conversation's messages, oldest first.
func (e *Env) Messages(t testing.TB, convID string) []*baton.Message {
	t.Helper()
	p, err := e.DB.ListMessages(e.Actor(), convID, 0, store.MaxPageSize)
	if err != nil {
		t.Fatalf("ListMessages: %v", err)
	}
	out := make([]*baton.Message, len(p.Messages))
	for i, m := range p.Messages {
		out[len(out)-1-i] = m
	}
	return out
}

// Message finds a message by id.
func (e *Env) Message(t *testing.T, convID, id string) *baton.Message {
	t.Helper()
	for _, m := range e.Messages(t, convID) {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %s is not in conversation %s", id, convID)
	return nil
}

// Eventually waits until cond holds, waking up on every published event and every
// 25 ms (jobs change things too), and fails the test after Timeout.
func (e *Env) Eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", Timeout, what)
		case <-e.Events.wake:
		case <-tick.C:
		}
	}
}

// DeliveryOf waits until a message is no longer queued and returns it.
func (e *Env) DeliveryOf(t *testing.T, convID, id string) *baton.Message {
	t.Helper()
	var m *baton.Message
	e.Eventually(t, "the delivery of message "+id, func() bool {
		m = e.Message(t, convID, id)
		return m.DeliveryStatus != baton.DeliveryQueued
	})
	return m
}

// HandOff brings a conversation to status human with the owner assigned.
func (e *Env) HandOff(t *testing.T, convID string) {
	t.Helper()
	if e.Conversation(t, convID).Status == baton.StatusBot {
		if _, err := e.DB.Act(e.Actor(), convID, baton.ActionRequest{Action: baton.ActionJoin}); err != nil {
			t.Fatalf("join: %v", err)
		}
	}
	if s := e.Conversation(t, convID).Status; s != baton.StatusHuman {
		if _, err := e.DB.Act(e.Actor(), convID, baton.ActionRequest{Action: baton.ActionAccept}); err != nil {
			t.Fatalf("accept from %s: %v", s, err)
		}
	}
}

// Reply posts an agent reply through the API; the clock moves past the agent rate limit
// first.
func (e *Env) Reply(t *testing.T, convID, text string) Response {
	t.Helper()
	e.Clock.Add(store.ReplyInterval)
	return e.AsOwner(t, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": text})
}

// LastOfKind returns the conversation's latest message of a kind (nil if none).
func (e *Env) LastOfKind(t *testing.T, convID string, kind baton.MessageKind) *baton.Message {
	t.Helper()
	msgs := e.Messages(t, convID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == kind {
			return msgs[i]
		}
	}
	return nil
}

// LogContains reports whether the server logged text.
func (e *Env) LogContains(text string) bool { return strings.Contains(e.logs.String(), text) }

// Step runs one step of a scenario as a subtest; the scenario stops at the first step
// that fails, since the next ones build on it.
func Step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}

// LogCount counts the server's log lines holding text.
func (e *Env) LogCount(text string) int { return strings.Count(e.logs.String(), text) }

// CheckBatch fails the test when a parsed webhook holds something the store should not be
// given: a session not of the channel (prefix), a message without a key or without text
// and files, text that is not UTF-8, a receipt for no message or of an unknown status.
func CheckBatch(t testing.TB, b *channel.Batch, prefix string) {
	t.Helper()
	text := func(what, s string) {
		if !utf8.ValidString(s) {
			t.Fatalf("%s %q is not valid UTF-8", what, s)
		}
	}
	for _, m := range b.Messages {
		if !strings.HasPrefix(m.SessionID, prefix) || len(m.SessionID) == len(prefix) {
			t.Fatalf("session %q, want %s<id>", m.SessionID, prefix)
		}
		if m.Key == "" {
			t.Fatalf("message of %s without a key (a retried notification would be stored twice)", m.SessionID)
		}
		if strings.TrimSpace(m.Content) == "" && len(m.Files) == 0 {
			t.Fatalf("message %s with neither text nor files", m.Key)
		}
		for what, s := range map[string]string{"session": m.SessionID, "key": m.Key, "external id": m.ExternalID, "name": m.Name,
			"phone": m.Phone, "content": m.Content} {
			text(what, s)
		}
		for _, file := range m.Files {
			if file.Name == "" || file.Open == nil {
				t.Fatalf("file %+v of %s", file, m.Key)
			}
			text("file name", file.Name)
		}
	}
	for _, s := range b.Statuses {
		if s.ExternalID == "" {
			t.Fatalf("a status %q for no message (an empty id)", s.Status)
		}
		switch s.Status {
		case baton.DeliverySent, baton.DeliveryDelivered, baton.DeliveryRead, baton.DeliveryFailed:
		default:
			t.Fatalf("status %q", s.Status)
		}
		text("reason", s.Reason)
	}
	for _, rd := range b.Reads {
		if !strings.HasPrefix(rd.SessionID, prefix) || len(rd.SessionID) == len(prefix) || rd.Until.IsZero() {
			t.Fatalf("read %+v", rd)
		}
	}
}
