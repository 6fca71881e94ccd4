// Package webhookstest is the harness of the integrations' tests: one account with the
// webhooks wired on a real job queue and the HTTP API served, and webhook receivers.
package webhookstest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/jobs"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/riverqueue/river"
)

// KindFilter is the job queue of these tests: the jobs of the integrations go to the real
// River queue; the others (bot answers, timers) are only counted, so that these tests
// need no worker of other parts.
type KindFilter struct {
	q       *jobs.Queue
	kinds   map[string]bool
	mu      sync.Mutex
	dropped map[string]int
}

// InsertTx queues the integrations' jobs and counts the others.
func (f *KindFilter) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if f.kinds[args.Kind()] {
		return f.q.InsertTx(ctx, tx, args, opts)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropped[args.Kind()]++
	return nil
}

// Count is how many jobs of kind were dropped.
func (f *KindFilter) Count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped[kind]
}

// Harness is one account ("Acme", chatbot "demo") with its owner, the integrations
// wired on a real job queue, and the HTTP API served.
type Harness struct {
	DB      *store.DB
	URL     string
	Jobs    *KindFilter
	Account *baton.Account
	Bot     *baton.Chatbot
	Owner   *baton.User
	Ctx     context.Context // acting as the owner
	// OwnerToken is a session token of the owner.
	OwnerToken string
	logs       *bytes.Buffer
	logMu      *sync.Mutex
}

// Options tune New.
type Options struct {
	// AllowPrivate lets deliveries reach the tests' loopback receivers.
	AllowPrivate bool
	Attempts     int
	// Resolver, when set, resolves the webhooks' host names (the guard's checks).
	Resolver *net.Resolver
	// Register, when set, adds more routes to the API (the external handover's).
	Register func(*httpapi.Server)
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// New wires the integrations on d and serves the API; everything stops with the test.
func New(t testing.TB, d *store.DB, o Options) *Harness {
	t.Helper()
	ctx := context.Background()
	h := &Harness{DB: d, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	logger := slog.New(slog.NewJSONHandler(lockedWriter{h.logMu, h.logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t.Cleanup(func() {
		if t.Failed() {
			h.logMu.Lock()
			t.Logf("log:\n%s", h.logs.String())
			h.logMu.Unlock()
		}
	})
	guard := outbound.Guard{AllowPrivate: o.AllowPrivate, Resolver: o.Resolver}
	workers := river.NewWorkers()
	river.AddWorker(workers, &webhooks.Deliverer{DB: d, Client: guard.Client(5 * time.Second), Logger: logger,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	q, err := jobs.New(ctx, d, jobs.Config{Workers: workers, Logger: logger, MaxWorkers: 4})
	if err != nil {
		t.Fatalf("jobs.New: %v", err)
	}
	h.Jobs = &KindFilter{q: q, kinds: map[string]bool{webhooks.DeliveryArgs{}.Kind(): true}, dropped: map[string]int{}}
	d.Jobs = h.Jobs
	wo := webhooks.Options{Attempts: o.Attempts}
	d.AddTxHook(webhooks.Hook(d, wo))
	d.AnalysisClosed = webhooks.ClosedWebhook(d, wo)
	if err := q.Start(ctx); err != nil {
		t.Fatalf("start jobs: %v", err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(c)
	})

	api := httpapi.NewServer(d, logger)
	(&webhooks.API{DB: d, Guard: guard}).Register(api)
	if o.Register != nil {
		o.Register(api)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	h.URL = srv.URL

	if h.Account, h.Bot, err = d.CreateAccount(ctx, "Acme", "demo", "Demo Bot"); err != nil {
		t.Fatal(err)
	}
	if h.Owner, err = d.CreateUser(ctx, baton.UserCreate{AccountID: h.Account.ID, Email: "owner@acme.test",
		Password: "correct horse battery", FirstName: "Olivia", Role: baton.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	h.Ctx = baton.NewContextWithActor(ctx, &baton.Actor{AccountID: h.Account.ID, User: h.Owner})
	sess, err := d.Login(ctx, "owner@acme.test", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h.OwnerToken = sess.Token
	return h
}

// Token creates an integration token of the owner with scopes.
func (h *Harness) Token(t testing.TB, scopes ...baton.Scope) string {
	t.Helper()
	tok, err := h.DB.CreateToken(h.Ctx, "Desk", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// Do sends a request; body is JSON-encoded unless nil. It returns the status and the body.
func (h *Harness) Do(t testing.TB, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Call is Do that fails the test on another status and decodes the answer into out.
func (h *Harness) Call(t testing.TB, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, b := h.Do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
}

// Received is one request a Receiver got.
type Received struct {
	Header http.Header
	Body   []byte
}

// Receiver is a webhook receiver: it answers with the statuses of script in turn (the last
// one repeats; 200 when empty) and hands each request on.
type Receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	got    chan Received
	n      int
}

func NewReceiver(t *testing.T, script ...int) *Receiver {
	rc := &Receiver{script: script, got: make(chan Received, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := http.StatusOK
		if len(rc.script) > 0 {
			status = rc.script[min(rc.n, len(rc.script)-1)]
		}
		rc.n++
		rc.mu.Unlock()
		rc.got <- Received{Header: r.Header.Clone(), Body: b}
		w.WriteHeader(status)
		if status >= 400 {
			io.WriteString(w, `{"error":"try later"}`)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// Hits is how many requests the receiver got.
func (rc *Receiver) Hits() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n
}

// Next returns the next request, failing the test after 15 s.
func (rc *Receiver) Next(t *testing.T) Received {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("the Receiver got nothing within 15 s")
	}
	return Received{}
}

// Settled waits until the delivery is succeeded or failed and returns it.
func (h *Harness) Settled(t *testing.T, list func() []*baton.WebhookDelivery, id string) *baton.WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, d := range list() {
			if d.ID == id && (d.Status == baton.WebhookSucceeded || d.Status == baton.WebhookFailed) {
				return d
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("delivery %s did not settle within 15 s: %+v", id, list())
	return nil
}

// WebhookLog lists a subscription's deliveries, newest first.
func (h *Harness) WebhookLog(t *testing.T, webhookID string) func() []*baton.WebhookDelivery {
	return func() []*baton.WebhookDelivery {
		p, err := webhooks.ListDeliveries(h.Ctx, h.DB, webhookID, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		return p.Deliveries
	}
}

// IntegrationLog lists the handover and message deliveries, newest first.
func (h *Harness) IntegrationLog(t *testing.T) func() []*baton.WebhookDelivery {
	return func() []*baton.WebhookDelivery {
		p, err := webhooks.ListIntegrationDeliveries(h.Ctx, h.DB, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		return p.Deliveries
	}
}

// Visitor is a widget session.
type Visitor struct {
	SessionID      string `json:"session_id"`
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
}

// OpenVisitor opens a widget session of the chatbot "demo".
func (h *Harness) OpenVisitor(t testing.TB, name string) Visitor {
	t.Helper()
	var v Visitor
	h.Call(t, "POST", "/widget/v1/sessions", "", map[string]string{"chatbot": "demo", "name": name}, http.StatusCreated, &v)
	return v
}

// Say posts a visitor message.
func (h *Harness) Say(t testing.TB, v Visitor, text string) {
	t.Helper()
	h.Call(t, "POST", "/widget/v1/messages", v.Token, map[string]string{"content": text}, http.StatusCreated, nil)
}

// IntegrationDeliveries lists the account's handover and message deliveries (ctx acts in
// it), oldest first.
func IntegrationDeliveries(t testing.TB, ctx context.Context, d *store.DB) []*baton.WebhookDelivery {
	t.Helper()
	p, err := webhooks.ListIntegrationDeliveries(ctx, d, "", 200)
	if err != nil {
		t.Fatalf("ListIntegrationDeliveries = %v", err)
	}
	slices.Reverse(p.Deliveries)
	return p.Deliveries
}

// Payload returns a delivery's stored body as a map.
func Payload(t testing.TB, d *store.DB, id string) map[string]any {
	t.Helper()
	out, err := webhooks.DeliveryToSend(context.Background(), d, id)
	if err != nil {
		t.Fatalf("DeliveryToSend = %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		t.Fatalf("delivery payload %s: %v", out.Payload, err)
	}
	return m
}

// WithHook gives d a job queue that only records its jobs, and the webhooks' transaction
// hook (4 delivery attempts; analyses 2), as cmd/baton wires it: for tests of which writes
// make which deliveries.
func WithHook(d *store.DB) *storetest.Jobs {
	f := &storetest.Jobs{}
	d.Jobs = f
	d.AnalysisAttempts = 2
	o := webhooks.Options{Attempts: 4}
	d.AddTxHook(webhooks.Hook(d, o))
	d.AnalysisClosed = webhooks.ClosedWebhook(d, o)
	return f
}
