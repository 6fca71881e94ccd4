package analysis_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/analysis"
	"github.com/baton-chat/baton/internal/outbound"
)

// loopbackClient reaches the fake models on loopback: the guard's client, private
// targets allowed (as with BATON_ALLOW_PRIVATE_WEBHOOKS=1).
var loopbackClient = outbound.Guard{AllowPrivate: true}.Client(time.Minute)

// reply is one scripted answer of the fake model: a status and a body.
type reply struct {
	status int
	body   []byte
}

// fakeLLM is an OpenAI-compatible chat-completions server: it answers POST
// /v1/chat/completions with the scripted replies in turn (the last repeats) and keeps the
// requests it got.
type fakeLLM struct {
	*httptest.Server
	mu       sync.Mutex
	script   []reply
	requests []chatRequest
	auth     []string
}

// chatRequest is the part of the wire format the tests check.
type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	ResponseFormat struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string         `json:"name"`
			Strict bool           `json:"strict"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

func newFakeLLM(t *testing.T, script ...reply) *fakeLLM {
	f := &fakeLLM{script: script}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
			return
		}
		var req chatRequest
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		n := len(f.requests)
		f.requests = append(f.requests, req)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		rep := f.script[min(n, len(f.script)-1)]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		w.Write(rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLLM) calls() []chatRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/llm/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answer is the captured completion with its content replaced.
func answer(t *testing.T, content string) reply {
	t.Helper()
	var resp map[string]any
	if err := json.Unmarshal(testdata(t, "damaged_order_answer.json"), &resp); err != nil {
		t.Fatal(err)
	}
	resp["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"] = content
	b, _ := json.Marshal(resp)
	return reply{http.StatusOK, b}
}

func good(t *testing.T) reply { return reply{http.StatusOK, testdata(t, "damaged_order_answer.json")} }

func (f *fakeLLM) client() *analysis.LLM {
	return &analysis.LLM{BaseURL: f.URL + "/v1/", APIKey: "sk-test", Model: "gpt-4o-mini", Client: loopbackClient}
}

func TestLLMAnalyse(t *testing.T) {
	c := loadCases(t)["damaged_order"]
	f := newFakeLLM(t, good(t))
	r, err := f.client().Analyse(context.Background(), c.input())
	if err != nil {
		t.Fatalf("Analyse = %v", err)
	}
	if r.Engine != baton.EngineLLM || r.Model != "gpt-4o-mini" || r.Sentiment != (baton.SentimentScore{Label: "negative", Score: -0.7}) ||
		!strings.Contains(r.Summary, "A-48213") {
		t.Errorf("Analyse = %+v", r)
	}
	want := []baton.ExtractedField{{Name: "order_number", Type: "string", Value: "A-48213"},
		{Name: "email", Type: "email", Value: "dan.miller@example.com"}, {Name: "amount_paid", Type: "number", Value: 300.0}}
	if !slices.Equal(r.Fields, want) {
		t.Errorf("fields = %+v, want %+v", r.Fields, want)
	}

	calls := f.calls()
	if len(calls) != 1 {
		t.Fatalf("%d requests, want 1", len(calls))
	}
	req := calls[0]
	rf := req.ResponseFormat
	if req.Model != "gpt-4o-mini" || rf.Type != "json_schema" || rf.JSONSchema.Name != "conversation_analysis" || !rf.JSONSchema.Strict {
		t.Errorf("request = model %q, response_format %+v; want a strict json_schema", req.Model, rf)
	}
	if f.auth[0] != "Bearer sk-test" {
		t.Errorf("Authorization = %q", f.auth[0])
	}
	if len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user" ||
		!strings.Contains(req.Messages[1].Content, "Visitor: Hi, my order #A-48213") || !strings.Contains(req.Messages[1].Content, "Agent Ana: ") ||
		!strings.Contains(req.Messages[0].Content, "order_number (string)") {
		t.Errorf("messages = %+v", req.Messages)
	}
	schema := rf.JSONSchema.Schema
	fields, _ := schema["properties"].(map[string]any)["fields"].(map[string]any)
	if schema["additionalProperties"] != false || fields["additionalProperties"] != false ||
		!slices.Equal(toStrings(fields["required"]), []string{"order_number", "email", "amount_paid"}) ||
		!slices.Equal(toStrings(schema["required"]), []string{"summary", "sentiment", "sentiment_score", "fields"}) {
		t.Errorf("schema = %v, want every property required and no additional ones", schema)
	}
	amount := fields["properties"].(map[string]any)["amount_paid"].(map[string]any)
	if !slices.Equal(toStrings(amount["type"]), []string{"number", "null"}) {
		t.Errorf("amount_paid schema = %v, want a nullable number", amount)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestLLMMalformedAnswerIsRetried(t *testing.T) {
	c := loadCases(t)["damaged_order"]
	f := newFakeLLM(t,
		answer(t, "Sure! Here is the analysis: the customer was upset."),
		answer(t, `{"summary":"Refunded.","sentiment":"angry","sentiment_score":-0.8,"fields":{"order_number":"A-48213","email":null,"amount_paid":300}}`),
		good(t))
	r, err := f.client().Analyse(context.Background(), c.input())
	if err != nil {
		t.Fatalf("Analyse = %v", err)
	}
	if r.Engine != baton.EngineLLM || r.Sentiment.Label != "negative" {
		t.Errorf("Analyse = %+v, want the third, valid answer", r)
	}
	calls := f.calls()
	if len(calls) != 3 {
		t.Fatalf("%d requests, want 3 (two malformed answers asked again)", len(calls))
	}
	second := calls[1].Messages
	if len(second) != 4 || second[2].Role != "assistant" || !strings.Contains(second[2].Content, "Here is the analysis") ||
		second[3].Role != "user" || !strings.Contains(second[3].Content, "not valid") {
		t.Errorf("the retry's messages = %+v, want the bad answer and what was wrong with it", second)
	}
	if third := calls[2].Messages; len(third) != 4 || !strings.Contains(third[3].Content, "sentiment must be") {
		t.Errorf("the second retry's correction = %+v, want it to name the sentiment", third)
	}

	// Three malformed answers in a row: ErrMalformed, permanent.
	f = newFakeLLM(t, answer(t, "{}"))
	_, err = f.client().Analyse(context.Background(), c.input())
	if !errors.Is(err, analysis.ErrMalformed) || analysis.Temporary(err) || len(f.calls()) != 3 {
		t.Errorf("Analyse with only malformed answers = %v after %d requests; want ErrMalformed after 3", err, len(f.calls()))
	}
}

func TestLLMErrors(t *testing.T) {
	c := loadCases(t)["opening_hours"]
	for _, tc := range []struct {
		name      string
		reply     reply
		want      error
		temporary bool
	}{
		{"a 500", reply{500, testdata(t, "server_error.json")}, analysis.ErrUnavailable, true},
		{"a 429", reply{429, []byte(`{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`)}, analysis.ErrUnavailable, true},
		{"a 401", reply{401, []byte(`{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}`)}, analysis.ErrRejected, false},
		{"a 404 model", reply{404, []byte(`{"error":{"message":"The model does not exist","code":"model_not_found"}}`)}, analysis.ErrRejected, false},
		{"a refusal", reply{200, testdata(t, "refusal.json")}, analysis.ErrMalformed, false},
		{"not a completion", reply{200, []byte(`<html>proxy error</html>`)}, analysis.ErrMalformed, false},
	} {
		f := newFakeLLM(t, tc.reply)
		_, err := f.client().Analyse(context.Background(), c.input())
		if !errors.Is(err, tc.want) || analysis.Temporary(err) != tc.temporary {
			t.Errorf("Analyse with %s = %v, want %v (temporary %v)", tc.name, err, tc.want, tc.temporary)
		}
	}
	// No server at all: unavailable.
	_, err := (&analysis.LLM{BaseURL: "http://127.0.0.1:1/v1", Model: "m", Client: loopbackClient}).Analyse(context.Background(), c.input())
	if !analysis.Temporary(err) {
		t.Errorf("Analyse with no server = %v, want a temporary error", err)
	}
}

func TestParse(t *testing.T) {
	fields := []baton.AnalysisField{
		{Name: "order_number", Type: baton.FieldString, Pattern: `^[A-Z]-\d+$`},
		{Name: "email", Type: baton.FieldEmail},
		{Name: "seats", Type: baton.FieldInteger},
		{Name: "vip", Type: baton.FieldBoolean},
	}
	ok := `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":"A-1","email":"A@B.example","seats":3,"vip":false}}`
	r, err := analysis.Parse(ok, fields)
	if err != nil {
		t.Fatalf("Parse(valid) = %v", err)
	}
	want := []baton.ExtractedField{{Name: "order_number", Type: "string", Value: "A-1"}, {Name: "email", Type: "email", Value: "a@b.example"},
		{Name: "seats", Type: "integer", Value: int64(3)}, {Name: "vip", Type: "boolean", Value: false}}
	if !slices.Equal(r.Fields, want) {
		t.Errorf("Parse(valid) fields = %+v, want %+v", r.Fields, want)
	}
	nulls := `{"summary":"S.","sentiment":"neutral","sentiment_score":0.1,"fields":{"order_number":null,"email":null,"seats":null,"vip":null}}`
	if r, err := analysis.Parse(nulls, fields); err != nil || r.Fields[0].Value != nil {
		t.Errorf("Parse(nulls) = %+v, %v", r, err)
	}
	for name, bad := range map[string]string{
		"not JSON":             `The customer was happy.`,
		"no summary":           `{"sentiment":"neutral","sentiment_score":0,"fields":{"order_number":null,"email":null,"seats":null,"vip":null}}`,
		"an empty summary":     `{"summary":" ","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":null,"email":null,"seats":null,"vip":null}}`,
		"a bad sentiment":      `{"summary":"S.","sentiment":"mixed","sentiment_score":0,"fields":{"order_number":null,"email":null,"seats":null,"vip":null}}`,
		"a score out of range": `{"summary":"S.","sentiment":"positive","sentiment_score":3,"fields":{"order_number":null,"email":null,"seats":null,"vip":null}}`,
		"a score as text":      `{"summary":"S.","sentiment":"positive","sentiment_score":"0.5","fields":{"order_number":null,"email":null,"seats":null,"vip":null}}`,
		"an extra property":    `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"mood":"ok","fields":{"order_number":null,"email":null,"seats":null,"vip":null}}`,
		"a missing field":      `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":null,"email":null,"seats":null}}`,
		"an unknown field":     `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":null,"email":null,"seats":null,"vip":null,"x":1}}`,
		"a pattern mismatch":   `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":"order 1","email":null,"seats":null,"vip":null}}`,
		"a bad email":          `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":null,"email":"dan at example","seats":null,"vip":null}}`,
		"a fractional integer": `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":null,"email":null,"seats":2.5,"vip":null}}`,
		"a boolean as text":    `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{"order_number":null,"email":null,"seats":null,"vip":"yes"}}`,
		"fields not an object": `{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":[]}`,
	} {
		if _, err := analysis.Parse(bad, fields); err == nil {
			t.Errorf("Parse with %s = nil error, want it refused", name)
		}
	}
	// Without fields the schema has none, and an answer must not add them.
	if _, err := analysis.Parse(`{"summary":"S.","sentiment":"neutral","sentiment_score":0}`, nil); err != nil {
		t.Errorf("Parse without fields = %v", err)
	}
	if _, err := analysis.Parse(`{"summary":"S.","sentiment":"neutral","sentiment_score":0,"fields":{}}`, nil); err == nil {
		t.Error("Parse accepted fields that the schema does not have")
	}
}

// TestLLMPassesTheOutboundGuard: without a client of its own the model client refuses a
// loopback endpoint before asking it, for good (not retried); an endpoint that redirects
// is not followed, and the error holds none of the redirect's body.
func TestLLMPassesTheOutboundGuard(t *testing.T) {
	c := loadCases(t)["damaged_order"]
	f := newFakeLLM(t, good(t))
	_, err := (&analysis.LLM{BaseURL: f.URL + "/v1/", Model: "m"}).Analyse(context.Background(), c.input())
	if !errors.Is(err, analysis.ErrRejected) || analysis.Temporary(err) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Analyse on loopback with the default client = %v, want a permanent ErrRejected (loopback)", err)
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("the loopback model got %d requests, want 0", n)
	}
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", f.URL+"/v1/chat/completions")
		w.WriteHeader(http.StatusTemporaryRedirect)
		w.Write([]byte("REDIRECT-BODY"))
	}))
	defer redirector.Close()
	_, err = (&analysis.LLM{BaseURL: redirector.URL + "/v1", Model: "m", Client: loopbackClient}).Analyse(context.Background(), c.input())
	if !errors.Is(err, analysis.ErrRejected) || strings.Contains(err.Error(), "REDIRECT-BODY") {
		t.Errorf("Analyse through a redirect = %v, want ErrRejected without the body", err)
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("the redirect was followed: the model got %d requests", n)
	}
}
