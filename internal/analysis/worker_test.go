package analysis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/analysis"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/jobs"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/realtime"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/riverqueue/river"
)

// onlyKinds sends the integrations' jobs to the real queue and drops the others (bot
// answers, timers), which these tests do not need.
type onlyKinds struct {
	q     *jobs.Queue
	kinds map[string]bool
}

func (o onlyKinds) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if !o.kinds[args.Kind()] {
		return nil
	}
	return o.q.InsertTx(ctx, tx, args, opts)
}

// env is an account ("Acme", chatbot "demo") with the analysis wired on a real job queue
// and its API served.
type env struct {
	db    *store.DB
	url   string
	ctx   context.Context
	token string
	acc   *baton.Account
	hub   *realtime.Hub
}

func newEnv(t *testing.T, d *store.DB, analysisAttempts int) *env {
	t.Helper()
	ctx := context.Background()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("log:\n%s", logs.String())
			mu.Unlock()
		}
	})
	// The sockets: committed events reach them through the hub, as in production.
	hub, err := realtime.NewHub(realtime.NewLocalBus(), d, logger)
	if err != nil {
		t.Fatal(err)
	}
	d.Publisher = hub
	workers := river.NewWorkers()
	river.AddWorker(workers, &analysis.Worker{DB: d, Client: loopbackClient, Logger: logger, Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	river.AddWorker(workers, &webhooks.Deliverer{DB: d, Client: outbound.Guard{AllowPrivate: true}.Client(5 * time.Second), Logger: logger,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	q, err := jobs.New(ctx, d, jobs.Config{Workers: workers, Logger: logger, MaxWorkers: 4})
	if err != nil {
		t.Fatal(err)
	}
	d.Jobs = onlyKinds{q: q, kinds: map[string]bool{"conversation_analysis": true, "webhook_delivery": true}}
	d.AnalysisAttempts = analysisAttempts
	d.AddTxHook(webhooks.Hook(d, webhooks.Options{}))
	d.AnalysisClosed = webhooks.ClosedWebhook(d, webhooks.Options{})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(c)
	})
	api := httpapi.NewServer(d, logger)
	(&analysis.API{DB: d}).Register(api)
	api.Handle("GET /widget/v1/ws", hub.VisitorHandler(d))
	api.Handle("GET /api/v1/ws", hub.AgentHandler(api.AuthenticateSocket, d, nil))
	srv := httptest.NewServer(api)
	t.Cleanup(func() { hub.Close(); srv.Close() })

	e := &env{db: d, url: srv.URL, hub: hub}
	if e.acc, _, err = d.CreateAccount(ctx, "Acme", "demo", "Demo Bot"); err != nil {
		t.Fatal(err)
	}
	owner, err := d.CreateUser(ctx, baton.UserCreate{AccountID: e.acc.ID, Email: "owner@acme.test", Password: "correct horse battery",
		FirstName: "Olivia", Role: baton.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	e.ctx = baton.NewContextWithActor(ctx, &baton.Actor{AccountID: e.acc.ID, User: owner})
	sess, err := d.Login(ctx, owner.Email, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	e.token = sess.Token
	return e
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (e *env) call(t *testing.T, method, path string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, r)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

// conversation plays a case's visitor messages in a new widget conversation.
func (e *env) conversation(t *testing.T, c transcriptCase) string {
	t.Helper()
	s, err := e.db.OpenSession(context.Background(), baton.VisitorSessionCreate{Chatbot: "demo", Name: c.Contact.Name})
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.db.AuthenticateVisitor(context.Background(), s.Token)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Messages {
		if m.Kind == baton.KindVisitor {
			if _, err := e.db.PostVisitorMessage(context.Background(), v, m.Content); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s.ConversationID
}

// done waits for the conversation's analysis to be done.
func (e *env) done(t *testing.T, convID string) *baton.Analysis {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		an, err := e.db.FindAnalysis(e.ctx, convID)
		if err == nil && an.Status == baton.AnalysisDone {
			return an
		}
		time.Sleep(25 * time.Millisecond)
	}
	an, err := e.db.FindAnalysis(e.ctx, convID)
	t.Fatalf("the analysis is not done within 20 s: %+v, %v", an, err)
	return nil
}

// closedWebhook subscribes a receiver to conversation.closed and returns the bodies it gets.
func closedWebhook(t *testing.T, e *env, d *store.DB, n int) <-chan []byte {
	t.Helper()
	got := make(chan []byte, n)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	t.Cleanup(rc.Close)
	if _, err := webhooks.Create(e.ctx, d, baton.WebhookInput{URL: rc.URL, Events: []string{baton.WebhookConversationClosed}}); err != nil {
		t.Fatal(err)
	}
	return got
}

func (e *env) useModel(t *testing.T, f *fakeLLM) {
	t.Helper()
	if _, err := e.db.UpdateChatbot(e.ctx, "demo", baton.ChatbotUpdate{AI: &baton.AIUpdate{Responder: ptr(baton.ResponderOpenAI),
		BaseURL: ptr(f.URL + "/v1"), Model: ptr("gpt-4o-mini"), APIKey: ptr("sk-test")}}); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestAnalysisOnCloseWithTheModel: closing runs the analysis job, which asks the model
// (again after a malformed answer), stores the result, and sends conversation.closed with
// it; the close itself waited for none of it.
func TestAnalysisOnCloseWithTheModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newEnv(t, d, 3)
		c := loadCases(t)["damaged_order"]
		f := newFakeLLM(t, answer(t, `{"summary": "cut`), good(t))
		e.useModel(t, f)
		var fields struct {
			Fields []baton.AnalysisField `json:"fields"`
		}
		e.call(t, "PUT", "/api/v1/chatbots/demo/analysis-fields", map[string]any{"fields": c.Fields}, http.StatusOK, &fields)
		if len(fields.Fields) != 3 {
			t.Fatalf("PUT analysis-fields = %+v", fields)
		}
		got := closedWebhook(t, e, d, 10)

		id := e.conversation(t, c)
		e.call(t, "GET", "/api/v1/conversations/"+id+"/analysis", nil, http.StatusNotFound, nil)
		if _, err := d.Act(e.ctx, id, baton.ActionRequest{Action: baton.ActionClose}); err != nil {
			t.Fatal(err)
		}
		an := e.done(t, id)
		if an.Engine != baton.EngineLLM || an.Model != "gpt-4o-mini" || an.Reason != baton.AnalysisOnClose || an.Sentiment.Label != "negative" ||
			len(an.Fields) != 3 || an.Fields[0].Value != "A-48213" || an.Error != "" || !strings.Contains(an.Summary, "refund") {
			t.Errorf("analysis = %+v, want the model's", an)
		}
		if n := len(f.calls()); n != 2 {
			t.Errorf("the model was asked %d times, want 2 (a malformed answer, then a good one)", n)
		}
		var viaAPI baton.Analysis
		e.call(t, "GET", "/api/v1/conversations/"+id+"/analysis", nil, http.StatusOK, &viaAPI)
		if viaAPI.Summary != an.Summary || viaAPI.Entities.OrderIDs == nil {
			t.Errorf("GET analysis = %+v", viaAPI)
		}

		select {
		case b := <-got:
			var env webhooks.Envelope
			json.Unmarshal(b, &env)
			var data struct {
				Conversation baton.Conversation `json:"conversation"`
				Analysis     baton.Analysis     `json:"analysis"`
			}
			json.Unmarshal(env.Data, &data)
			if env.Event != baton.WebhookConversationClosed || data.Conversation.ID != id || data.Conversation.Status != baton.StatusClosed ||
				data.Analysis.Summary != an.Summary || data.Analysis.Sentiment.Label != "negative" {
				t.Errorf("conversation.closed = %s", b)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("no conversation.closed webhook within 15 s")
		}
	})
}

func TestAnalysisRetriesWhileTheModelIsDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newEnv(t, d, 3)
		f := newFakeLLM(t, reply{503, testdata(t, "server_error.json")}, good(t))
		e.useModel(t, f)
		c := loadCases(t)["damaged_order"]
		if _, err := d.SetAnalysisFields(e.ctx, "demo", c.Fields); err != nil {
			t.Fatal(err)
		}
		id := e.conversation(t, c)
		if _, err := d.Act(e.ctx, id, baton.ActionRequest{Action: baton.ActionClose}); err != nil {
			t.Fatal(err)
		}
		an := e.done(t, id)
		if an.Engine != baton.EngineLLM || an.Attempts != 2 || an.Error != "" {
			t.Errorf("analysis = %+v, want the model's at the second attempt", an)
		}
	})
}

func TestAnalysisFallsBackWhenTheModelFailsForGood(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newEnv(t, d, 2)
		f := newFakeLLM(t, reply{500, testdata(t, "server_error.json")})
		e.useModel(t, f)
		c := loadCases(t)["damaged_order"]
		if _, err := d.SetAnalysisFields(e.ctx, "demo", c.Fields); err != nil {
			t.Fatal(err)
		}
		id := e.conversation(t, c)
		if _, err := d.Act(e.ctx, id, baton.ActionRequest{Action: baton.ActionClose}); err != nil {
			t.Fatal(err)
		}
		an := e.done(t, id)
		if an.Engine != baton.EngineBuiltin || an.Attempts != 2 || !strings.Contains(an.Error, "model failed") ||
			an.Sentiment.Label != "negative" || an.Fields[0].Value != "A-48213" {
			t.Errorf("analysis = %+v, want the built-in one after 2 attempts, saying the model failed", an)
		}
		if n := len(f.calls()); n != 2 {
			t.Errorf("the model was asked %d times, want 2 (one per attempt)", n)
		}
	})
}

// TestAnalysisOnDemandOffline: without a model, the console's button runs the built-in
// analyser; another account cannot read or ask for it.
func TestAnalysisOnDemandOffline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newEnv(t, d, 3)
		c := loadCases(t)["upgrade_question"]
		if _, err := d.SetAnalysisFields(e.ctx, "demo", c.Fields); err != nil {
			t.Fatal(err)
		}
		id := e.conversation(t, c)
		var an baton.Analysis
		e.call(t, "POST", "/api/v1/conversations/"+id+"/analysis", nil, http.StatusAccepted, &an)
		if an.Status != baton.AnalysisPending || an.Reason != baton.AnalysisOnDemand {
			t.Errorf("POST analysis = %+v, want pending", an)
		}
		done := e.done(t, id)
		if done.Engine != baton.EngineBuiltin || done.Sentiment.Label != "positive" || done.Fields[0].Value != "Starter" ||
			done.Fields[1].Value != "+442079460958" || done.Fields[2].Value != 8.0 {
			t.Errorf("analysis = %+v", done)
		}
		if c, _ := d.FindConversation(e.ctx, id); c.Status != baton.StatusBot {
			t.Errorf("asking for an analysis changed the conversation to %s", c.Status)
		}

		other, _, err := d.CreateAccount(context.Background(), "Globex", "globex", "Globex Bot")
		if err != nil {
			t.Fatal(err)
		}
		octx := baton.NewContextWithActor(context.Background(), &baton.Actor{AccountID: other.ID, User: &baton.User{ID: "x", Role: baton.RoleOwner}})
		if _, err := d.FindAnalysis(octx, id); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Errorf("FindAnalysis from another account = %v, want not found", err)
		}
		e.call(t, "GET", "/api/v1/conversations/nope/analysis", nil, http.StatusNotFound, nil)
		e.call(t, "POST", "/api/v1/conversations/nope/analysis", nil, http.StatusNotFound, nil)
		e.call(t, "PUT", "/api/v1/chatbots/demo/analysis-fields", map[string]any{"fields": []map[string]string{{"name": "Bad Name"}}}, http.StatusBadRequest, nil)
		e.call(t, "PUT", "/api/v1/chatbots/demo/analysis-fields", map[string]any{}, http.StatusBadRequest, nil)
		e.call(t, "PUT", "/api/v1/chatbots/globex/analysis-fields", map[string]any{"fields": []any{}}, http.StatusNotFound, nil)
	})
}
