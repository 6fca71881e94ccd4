package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/outbound"
)

// loopbackClient reaches the fake servers on loopback: the guard's client, private
// targets allowed, as a server run with BATON_ALLOW_PRIVATE_WEBHOOKS=1 has.
var loopbackClient = outbound.Guard{AllowPrivate: true}.Client(time.Minute)

// fakeLLM is an OpenAI-compatible chat-completions server that answers with a captured
// response from testdata and records what it was sent.
type fakeLLM struct {
	*httptest.Server
	mu       sync.Mutex
	status   int
	header   http.Header
	body     []byte
	hang     bool // wait until the client gives up
	release  chan struct{}
	requests []recordedRequest
}

type recordedRequest struct {
	Method, Path, Authorization, ContentType string
	Body                                     map[string]any
}

func newFakeLLM(t *testing.T, status int, testdata string) *fakeLLM {
	t.Helper()
	f := &fakeLLM{status: status, header: http.Header{}, release: make(chan struct{})}
	if testdata != "" {
		b, err := os.ReadFile("testdata/" + testdata)
		if err != nil {
			t.Fatal(err)
		}
		f.body = b
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	t.Cleanup(func() { close(f.release) }) // runs first: never leave Close waiting on a handler
	return f
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.requests = append(f.requests, recordedRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body})
	f.mu.Unlock()
	if f.hang {
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
		return
	}
	for k, vs := range f.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	w.Write(f.body)
}

func (f *fakeLLM) last(t *testing.T) recordedRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) != 1 {
		t.Fatalf("the server got %d requests, want 1", len(f.requests))
	}
	return f.requests[0]
}

func (f *fakeLLM) client() *OpenAI {
	return &OpenAI{BaseURL: f.URL + "/v1", APIKey: "sk-test", Model: "gpt-4o-mini", Client: loopbackClient}
}

var widgetRequest = Request{
	ChatbotName:  "Baton Assistant",
	Instructions: "Always sign as Baton.",
	Knowledge:    DemoKnowledge(),
	Language:     "en",
	Transcript: []Turn{
		{RoleVisitor, "Hi"},
		{RoleBot, "Hello! How can I help you today?"},
		{RoleAgent, "Sam from the team here, the bot will continue."},
		{RoleVisitor, "How do I embed the widget on my site?"},
	},
}

func TestOpenAIRespondAnswers(t *testing.T) {
	srv := newFakeLLM(t, 200, "openai_answer.json")
	o := srv.client()
	o.TopK = 2
	got, err := o.Respond(context.Background(), widgetRequest)
	if err != nil {
		t.Fatalf("Respond: %v", err)
	}
	want := Reply{Content: "Add one <script> tag with your chatbot's id just before </body>, and the widget appears on every page.", Confidence: 1}
	if got != want {
		t.Errorf("Respond = %+v, want %+v", got, want)
	}

	req := srv.last(t)
	t.Run("posts to /chat/completions under the base URL with the key", func(t *testing.T) {
		if req.Method != "POST" || req.Path != "/v1/chat/completions" {
			t.Errorf("request = %s %s, want POST /v1/chat/completions", req.Method, req.Path)
		}
		if req.Authorization != "Bearer sk-test" || req.ContentType != "application/json" {
			t.Errorf("Authorization = %q, Content-Type = %q; want Bearer sk-test, application/json", req.Authorization, req.ContentType)
		}
	})
	t.Run("sends the model, the handoff tool and tool_choice auto", func(t *testing.T) {
		b := req.Body
		if b["model"] != "gpt-4o-mini" || b["tool_choice"] != "auto" {
			t.Errorf("model = %v, tool_choice = %v; want gpt-4o-mini, auto", b["model"], b["tool_choice"])
		}
		if _, ok := b["temperature"]; ok {
			t.Errorf("temperature = %v, want it left out when not configured", b["temperature"])
		}
		tools, _ := b["tools"].([]any)
		if len(tools) != 1 {
			t.Fatalf("tools = %v, want one", b["tools"])
		}
		tool := tools[0].(map[string]any)
		fn := tool["function"].(map[string]any)
		params := fn["parameters"].(map[string]any)
		reason := params["properties"].(map[string]any)["reason"].(map[string]any)
		if tool["type"] != "function" || fn["name"] != "handoff" || params["type"] != "object" || reason["type"] != "string" {
			t.Errorf("tool = %v, want function handoff(reason string)", tool)
		}
		if req, _ := params["required"].([]any); len(req) != 1 || req[0] != "reason" {
			t.Errorf("tool required = %v, want [reason]", params["required"])
		}
	})
	t.Run("maps the transcript to user and assistant messages after the system prompt", func(t *testing.T) {
		msgs := req.Body["messages"].([]any)
		wantRoles := []string{"system", "user", "assistant", "assistant", "user"}
		if len(msgs) != len(wantRoles) {
			t.Fatalf("got %d messages, want %d", len(msgs), len(wantRoles))
		}
		for i, m := range msgs {
			m := m.(map[string]any)
			if m["role"] != wantRoles[i] {
				t.Errorf("messages[%d].role = %v, want %s", i, m["role"], wantRoles[i])
			}
			if i > 0 && m["content"] != widgetRequest.Transcript[i-1].Content {
				t.Errorf("messages[%d].content = %v, want %q", i, m["content"], widgetRequest.Transcript[i-1].Content)
			}
		}
	})
	t.Run("puts the name, instructions and best knowledge in the system prompt", func(t *testing.T) {
		system := req.Body["messages"].([]any)[0].(map[string]any)["content"].(string)
		for _, want := range []string{"Baton Assistant", "Always sign as Baton.", "How do I embed the chat widget on my website?", entryAnswer(t, "embed-widget")} {
			if !strings.Contains(system, want) {
				t.Errorf("system prompt lacks %q:\n%s", want, system)
			}
		}
		if n := strings.Count(system, "\nA: "); n != 2 {
			t.Errorf("system prompt has %d knowledge entries, want TopK = 2:\n%s", n, system)
		}
	})
}

func TestOpenAIRespondSendsTheConfiguredTemperature(t *testing.T) {
	srv := newFakeLLM(t, 200, "openai_answer.json")
	o := srv.client()
	temp := 0.2
	o.Temperature = &temp
	o.BaseURL += "/" // a trailing slash is tolerated
	if _, err := o.Respond(context.Background(), widgetRequest); err != nil {
		t.Fatal(err)
	}
	req := srv.last(t)
	if req.Body["temperature"] != 0.2 || req.Path != "/v1/chat/completions" {
		t.Errorf("temperature = %v, path = %s; want 0.2, /v1/chat/completions", req.Body["temperature"], req.Path)
	}
}

func TestOpenAIRespondSaysWhenNoKnowledgeMatches(t *testing.T) {
	srv := newFakeLLM(t, 200, "openai_answer.json")
	req := widgetRequest
	req.Transcript = []Turn{{RoleVisitor, "What's the weather like in Lisbon?"}}
	if _, err := srv.client().Respond(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	system := srv.last(t).Body["messages"].([]any)[0].(map[string]any)["content"].(string)
	if !strings.Contains(system, "nothing in the knowledge base matches") || strings.Contains(system, "\nA: ") {
		t.Errorf("system prompt should say no knowledge matches and list none:\n%s", system)
	}
}

func TestOpenAIRespondHandsOff(t *testing.T) {
	tests := []struct {
		name     string
		testdata string
		want     Reply
	}{
		{
			name:     "turns a handoff tool call into a handoff with the model's reason",
			testdata: "openai_handoff.json",
			want:     Reply{Handoff: true, HandoffReason: "The visitor was charged twice for order 48213 and wants a refund."},
		},
		{
			name:     "accepts arguments sent as an object, and keeps the text beside the call",
			testdata: "openai_handoff_object_args.json",
			want:     Reply{Content: "Let me find someone from the team for you.", Handoff: true, HandoffReason: "Visitor is upset about a late delivery."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeLLM(t, 200, tt.testdata)
			got, err := srv.client().Respond(context.Background(), widgetRequest)
			if err != nil {
				t.Fatalf("Respond: %v", err)
			}
			if got != tt.want {
				t.Errorf("Respond = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHandoffReason(t *testing.T) {
	tests := []struct {
		name string
		args string
		want string
	}{
		{"reads the reason from a JSON string", `"{\"reason\":\"wants a refund\"}"`, "wants a refund"},
		{"reads the reason from an object", `{"reason":"wants a refund"}`, "wants a refund"},
		{"falls back when the arguments are not JSON", `"{reason: wants a refund"`, ReasonModelHandoff},
		{"falls back when the reason is empty", `"{\"reason\":\"  \"}"`, ReasonModelHandoff},
		{"falls back when there are no arguments", `null`, ReasonModelHandoff},
		{"puts the reason on one line", `"{\"reason\":\"wants\\na refund\"}"`, "wants a refund"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handoffReason(json.RawMessage(tt.args)); got != tt.want {
				t.Errorf("handoffReason(%s) = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestOpenAIRespondErrors(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		status         int
		testdata       string
		header         map[string]string
		wantIs         error
		wantStatus     int
		wantCode       string
		wantRetryAfter time.Duration
		wantTemporary  bool
	}{
		{name: "a 401 is unauthorized and final", status: 401, testdata: "openai_error_401.json",
			wantIs: ErrUnauthorized, wantStatus: 401, wantCode: "invalid_api_key"},
		{name: "a 429 is rate limited with the Retry-After seconds", status: 429, testdata: "openai_error_429.json",
			header: map[string]string{"Retry-After": "20"},
			wantIs: ErrRateLimited, wantStatus: 429, wantCode: "rate_limit_exceeded", wantRetryAfter: 20 * time.Second, wantTemporary: true},
		{name: "a 429 prefers retry-after-ms", status: 429, testdata: "openai_error_429.json",
			header: map[string]string{"Retry-After": "20", "Retry-After-Ms": "1500"},
			wantIs: ErrRateLimited, wantStatus: 429, wantCode: "rate_limit_exceeded", wantRetryAfter: 1500 * time.Millisecond, wantTemporary: true},
		{name: "a 429 reads a Retry-After date against the clock", status: 429, testdata: "openai_error_429.json",
			header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)},
			wantIs: ErrRateLimited, wantStatus: 429, wantCode: "rate_limit_exceeded", wantRetryAfter: 90 * time.Second, wantTemporary: true},
		{name: "an exhausted quota is rate limited but final", status: 429, testdata: "openai_error_429_quota.json",
			wantIs: ErrRateLimited, wantStatus: 429, wantCode: "insufficient_quota"},
		{name: "a 500 is unavailable and temporary", status: 500, testdata: "openai_error_500.json",
			wantIs: ErrUnavailable, wantStatus: 500, wantCode: "server_error", wantTemporary: true},
		{name: "a 502 with an HTML body is unavailable", status: 502, testdata: "",
			wantIs: ErrUnavailable, wantStatus: 502, wantTemporary: true},
		{name: "a 404 is rejected", status: 404, testdata: "openai_error_401.json",
			wantIs: ErrRejected, wantStatus: 404, wantCode: "invalid_api_key"},
		{name: "malformed JSON is malformed", status: 200, testdata: "openai_malformed.json", wantIs: ErrMalformed},
		{name: "an answer without choices is malformed", status: 200, testdata: "openai_no_choices.json", wantIs: ErrMalformed},
		{name: "an empty answer without a tool call is malformed", status: 200, testdata: "openai_empty_content.json", wantIs: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeLLM(t, tt.status, tt.testdata)
			if tt.testdata == "" {
				srv.body = []byte("<html><body>502 Bad Gateway</body></html>")
			}
			for k, v := range tt.header {
				srv.header.Set(k, v)
			}
			o := srv.client()
			o.Now = func() time.Time { return now }
			_, err := o.Respond(context.Background(), widgetRequest)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Respond error = %v, want %v", err, tt.wantIs)
			}
			if tt.wantStatus != 0 {
				var h *HTTPError
				if !errors.As(err, &h) {
					t.Fatalf("Respond error = %T, want *HTTPError", err)
				}
				if h.Status != tt.wantStatus || h.Code != tt.wantCode || h.Message == "" {
					t.Errorf("HTTPError = %+v, want status %d, code %q and a message", h, tt.wantStatus, tt.wantCode)
				}
			}
			if d, ok := RetryAfter(err); d != tt.wantRetryAfter || ok != (tt.wantRetryAfter > 0) {
				t.Errorf("RetryAfter(err) = %v, %v; want %v", d, ok, tt.wantRetryAfter)
			}
			if got := Temporary(err); got != tt.wantTemporary {
				t.Errorf("Temporary(err) = %v, want %v", got, tt.wantTemporary)
			}
		})
	}
}

func TestOpenAIRespondTimeouts(t *testing.T) {
	t.Run("gives up after its own timeout", func(t *testing.T) {
		srv := newFakeLLM(t, 200, "openai_answer.json")
		srv.hang = true
		o := srv.client()
		o.Timeout = 50 * time.Millisecond
		_, err := o.Respond(context.Background(), widgetRequest)
		if !errors.Is(err, ErrTimeout) || !Temporary(err) {
			t.Errorf("Respond error = %v, want a temporary ErrTimeout", err)
		}
	})
	t.Run("gives up at the caller's deadline", func(t *testing.T) {
		srv := newFakeLLM(t, 200, "openai_answer.json")
		srv.hang = true
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := srv.client().Respond(ctx, widgetRequest); !errors.Is(err, ErrTimeout) {
			t.Errorf("Respond error = %v, want ErrTimeout", err)
		}
	})
	t.Run("reports a cancellation as a cancellation", func(t *testing.T) {
		srv := newFakeLLM(t, 200, "openai_answer.json")
		srv.hang = true
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := srv.client().Respond(ctx, widgetRequest)
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Errorf("Respond error = %v, want context.Canceled and not ErrTimeout", err)
		}
	})
}

func TestOpenAIRespondWhenTheServerIsDown(t *testing.T) {
	srv := newFakeLLM(t, 200, "openai_answer.json")
	o := srv.client()
	srv.Close()
	if _, err := o.Respond(context.Background(), widgetRequest); !errors.Is(err, ErrUnavailable) || !Temporary(err) {
		t.Errorf("Respond error = %v, want a temporary ErrUnavailable", err)
	}
}

func TestOpenAIRespondWithoutVisitorMessage(t *testing.T) {
	srv := newFakeLLM(t, 200, "openai_answer.json")
	_, err := srv.client().Respond(context.Background(), Request{Transcript: []Turn{{RoleBot, "Hello!"}}})
	if !errors.Is(err, ErrNoMessage) {
		t.Errorf("Respond error = %v, want ErrNoMessage", err)
	}
	if len(srv.requests) != 0 {
		t.Errorf("the server got %d requests, want none", len(srv.requests))
	}
}

func TestOpenAIBehindFallbackApologises(t *testing.T) {
	srv := newFakeLLM(t, 500, "openai_error_500.json")
	r := Guard(&Fallback{Responder: srv.client()})
	got, err := r.Respond(context.Background(), widgetRequest)
	if err != nil || got.Content != locales["en"].apology || got.Handoff {
		t.Errorf("Respond = %+v, %v; want the apology", got, err)
	}
}

func TestOpenAIBrief(t *testing.T) {
	transcript := []Turn{
		{RoleVisitor, "My order #48213 never arrived"},
		{RoleBot, "I'm sorry to hear that."},
		{RoleVisitor, "And I was charged twice! I want a human"},
	}
	t.Run("asks for a summary and returns it on one line", func(t *testing.T) {
		srv := newFakeLLM(t, 200, "openai_brief.json")
		got, err := srv.client().Brief(context.Background(), transcript)
		if err != nil {
			t.Fatalf("Brief: %v", err)
		}
		want := "The visitor's order #48213 never arrived and they were charged twice. They want a refund for the duplicate charge."
		if got != want {
			t.Errorf("Brief = %q, want %q", got, want)
		}
		req := srv.last(t)
		if _, ok := req.Body["tools"]; ok {
			t.Error("Brief sent tools, want none")
		}
		msgs := req.Body["messages"].([]any)
		if len(msgs) != 2 {
			t.Fatalf("Brief sent %d messages, want a system prompt and the transcript", len(msgs))
		}
		user := msgs[1].(map[string]any)["content"].(string)
		if user != "Visitor: My order #48213 never arrived\nAssistant: I'm sorry to hear that.\nVisitor: And I was charged twice! I want a human\n" {
			t.Errorf("Brief transcript message = %q", user)
		}
	})
	t.Run("fails on an empty summary", func(t *testing.T) {
		srv := newFakeLLM(t, 200, "openai_empty_content.json")
		if _, err := srv.client().Brief(context.Background(), transcript); !errors.Is(err, ErrMalformed) {
			t.Errorf("Brief error = %v, want ErrMalformed", err)
		}
	})
	t.Run("returns the provider's errors", func(t *testing.T) {
		srv := newFakeLLM(t, 429, "openai_error_429.json")
		if _, err := srv.client().Brief(context.Background(), transcript); !errors.Is(err, ErrRateLimited) {
			t.Errorf("Brief error = %v, want ErrRateLimited", err)
		}
	})
}
