package handover_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/handover"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/jobs"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// kindFilter is the job queue of these tests: the jobs of the integrations go to the real
// River queue; the others (bot answers, timers) are only counted, so that these tests
// need no worker of other parts.
type kindFilter struct {
	q       *jobs.Queue
	kinds   map[string]bool
	mu      sync.Mutex
	dropped map[string]int
}

func (f *kindFilter) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if f.kinds[args.Kind()] {
		return f.q.InsertTx(ctx, tx, args, opts)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropped[args.Kind()]++
	return nil
}

func (f *kindFilter) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped[kind]
}

// harness is one account ("Acme", chatbot "demo") with its owner, the integrations
// wired on a real job queue, and the HTTP API served.
type harness struct {
	DB      *store.DB
	URL     string
	Jobs    *kindFilter
	Account *baton.Account
	Bot     *baton.Chatbot
	Owner   *baton.User
	Ctx     context.Context // acting as the owner
	// OwnerToken is a session token of the owner.
	OwnerToken string
	logs       *bytes.Buffer
	logMu      *sync.Mutex
}

type harnessOptions struct {
	// AllowPrivate lets deliveries reach the tests' loopback receivers.
	AllowPrivate bool
	Attempts     int
	// Resolver, when set, resolves the webhooks' host names (the guard's checks).
	Resolver *net.Resolver
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

func newHarness(t testing.TB, d *store.DB, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{DB: d, logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
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
	river.AddWorker(workers, &handover.Deliverer{DB: d, Client: guard.Client(5 * time.Second), Logger: logger,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	q, err := jobs.New(ctx, d, jobs.Config{Workers: workers, Logger: logger, MaxWorkers: 4})
	if err != nil {
		t.Fatalf("jobs.New: %v", err)
	}
	h.Jobs = &kindFilter{q: q, kinds: map[string]bool{store.WebhookDeliveryArgs{}.Kind(): true}, dropped: map[string]int{}}
	d.Jobs = h.Jobs
	d.AddTxHook(d.IntegrationsHook(store.IntegrationOptions{WebhookAttempts: o.Attempts}))
	if err := q.Start(ctx); err != nil {
		t.Fatalf("start jobs: %v", err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(c)
	})

	api := httpapi.NewServer(d, logger)
	(&handover.API{DB: d, Guard: guard}).Register(api)
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

// token creates an integration token of the owner with scopes.
func (h *harness) token(t testing.TB, scopes ...baton.Scope) string {
	t.Helper()
	tok, err := h.DB.CreateToken(h.Ctx, "Desk", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// do sends a request; body is JSON-encoded unless nil. It returns the status and the body.
func (h *harness) do(t testing.TB, method, path, token string, body any) (int, []byte) {
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

// call is do that fails the test on another status and decodes the answer into out.
func (h *harness) call(t testing.TB, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, b := h.do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
}

// received is one request a receiver got.
type received struct {
	Header http.Header
	Body   []byte
}

// receiver is a webhook receiver: it answers with the statuses of script in turn (the last
// one repeats; 200 when empty) and hands each request on.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	got    chan received
	n      int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	rc := &receiver{script: script, got: make(chan received, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := http.StatusOK
		if len(rc.script) > 0 {
			status = rc.script[min(rc.n, len(rc.script)-1)]
		}
		rc.n++
		rc.mu.Unlock()
		rc.got <- received{Header: r.Header.Clone(), Body: b}
		w.WriteHeader(status)
		if status >= 400 {
			io.WriteString(w, `{"error":"try later"}`)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) hits() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.n
}

// next returns the next request, failing the test after 15 s.
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("the receiver got nothing within 15 s")
	}
	return received{}
}

// settled waits until the delivery is succeeded or failed and returns it.
func (h *harness) settled(t *testing.T, list func() []*baton.WebhookDelivery, id string) *baton.WebhookDelivery {
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

func (h *harness) webhookLog(t *testing.T, webhookID string) func() []*baton.WebhookDelivery {
	return func() []*baton.WebhookDelivery {
		p, err := h.DB.ListWebhookDeliveries(h.Ctx, webhookID, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		return p.Deliveries
	}
}

func (h *harness) integrationLog(t *testing.T) func() []*baton.WebhookDelivery {
	return func() []*baton.WebhookDelivery {
		p, err := h.DB.ListIntegrationDeliveries(h.Ctx, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		return p.Deliveries
	}
}

// visitor is a widget session.
type visitor struct {
	SessionID      string `json:"session_id"`
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
}

func (h *harness) openVisitor(t testing.TB, name string) visitor {
	t.Helper()
	var v visitor
	h.call(t, "POST", "/widget/v1/sessions", "", map[string]string{"chatbot": "demo", "name": name}, http.StatusCreated, &v)
	return v
}

func (h *harness) say(t testing.TB, v visitor, text string) {
	t.Helper()
	h.call(t, "POST", "/widget/v1/messages", v.Token, map[string]string{"content": text}, http.StatusCreated, nil)
}
