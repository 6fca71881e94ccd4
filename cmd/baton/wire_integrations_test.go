package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/riverqueue/river"
	"gopkg.in/yaml.v3"
)

// loadOpenAPI parses docs/openapi.yaml.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse docs/openapi.yaml: %v", err)
	}
	return doc
}

func node(v any, path ...string) map[string]any {
	m, _ := v.(map[string]any)
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	return m
}

// TestOpenAPICoversIntegrationRoutes: every route the integrations add (and every other
// route of the wired server) is in docs/openapi.yaml with its method.
func TestOpenAPICoversIntegrationRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	m := &Main{Config: &Config{}, DB: storetest.Open(t, store.SQLite), Logger: slog.New(slog.DiscardHandler)}
	api := httpapi.NewServer(m.DB, m.Logger)
	before := len(api.Routes())
	if err := wireIntegrations(m, api, river.NewWorkers()); err != nil {
		t.Fatal(err)
	}
	routes := api.Routes()[before:]
	if len(routes) < 20 {
		t.Fatalf("the integrations registered %d routes: %v", len(routes), routes)
	}
	for _, r := range routes {
		method, path, ok := strings.Cut(r, " ")
		if !ok {
			continue // a catch-all without a method
		}
		path = strings.ReplaceAll(path, "{$}", "")
		if node(doc, "paths", path)[strings.ToLower(method)] == nil {
			t.Errorf("route %q is missing from docs/openapi.yaml", r)
		}
	}
}

// specCheck validates JSON answers against the response schemas of docs/openapi.yaml.
type specCheck struct {
	t   *testing.T
	doc map[string]any
}

func (s specCheck) resolve(m map[string]any) map[string]any {
	for i := 0; i < 20 && m != nil; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = node(s.doc, strings.Split(strings.TrimPrefix(ref, "#/"), "/")...)
	}
	return m
}

func types(schema map[string]any) []string {
	switch t := schema["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func (s specCheck) validate(schema map[string]any, v any, at string) []string {
	schema = s.resolve(schema)
	if schema == nil {
		return nil
	}
	var errs []string
	if ts := types(schema); ts != nil {
		jt := jsonType(v)
		if !slices.Contains(ts, jt) && !(jt == "integer" && slices.Contains(ts, "number")) {
			return []string{fmt.Sprintf("%s: %s, want %v", at, jt, ts)}
		}
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	if c, ok := schema["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		errs = append(errs, fmt.Sprintf("%s: %v, want %v", at, v, c))
	}
	switch x := v.(type) {
	case map[string]any:
		props := node(schema, "properties")
		for _, r := range asList(schema["required"]) {
			if _, ok := x[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: %s is missing", at, r))
			}
		}
		for k, val := range x {
			p := node(props, k)
			if p == nil {
				if schema["additionalProperties"] == false {
					errs = append(errs, fmt.Sprintf("%s: %s is not in the schema", at, k))
				} else if ap, ok := schema["additionalProperties"].(map[string]any); ok {
					errs = append(errs, s.validate(ap, val, at+"."+k)...)
				}
				continue
			}
			errs = append(errs, s.validate(p, val, at+"."+k)...)
		}
	case []any:
		if items := node(schema, "items"); items != nil {
			for i, it := range x {
				errs = append(errs, s.validate(items, it, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func asList(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// check validates an answer of the operation method path (the document's path).
func (s specCheck) check(method, path string, r response) {
	s.t.Helper()
	op := node(s.doc, "paths", path, strings.ToLower(method))
	if op == nil {
		s.t.Errorf("%s %s is not in docs/openapi.yaml", method, path)
		return
	}
	res := node(op, "responses", fmt.Sprint(r.Status))
	if res == nil {
		s.t.Errorf("%s %s answered %d, which docs/openapi.yaml does not list", method, path, r.Status)
		return
	}
	res = s.resolve(res)
	schema := node(res, "content", "application/json", "schema")
	if schema == nil {
		if len(r.Body) > 0 {
			s.t.Errorf("%s %s %d has a body but docs/openapi.yaml describes none", method, path, r.Status)
		}
		return
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		s.t.Errorf("%s %s %d: not JSON: %s", method, path, r.Status, r.Body)
		return
	}
	for _, e := range s.validate(schema, v, "$") {
		s.t.Errorf("%s %s %d does not match docs/openapi.yaml: %s\n%s", method, path, r.Status, e, r.Body)
	}
}

// TestIntegrationAnswersMatchTheSpec calls every integration route of the real server and
// checks each answer against docs/openapi.yaml.
func TestIntegrationAnswersMatchTheSpec(t *testing.T) {
	cleanEnv(t)
	t.Setenv("BATON_ALLOW_PRIVATE_WEBHOOKS", "1")
	t.Setenv("BATON_ADMIN_EMAIL", "admin@example.com")
	t.Setenv("BATON_ADMIN_PASSWORD", "correct-horse-1")
	s := start(t, "--data-dir", t.TempDir())
	base := s.URL()
	spec := specCheck{t: t, doc: loadOpenAPI(t)}
	admin := login(t, base, "admin@example.com", "correct-horse-1")
	do := func(method, path, doc, token string, body any, status int) response {
		t.Helper()
		r := call(t, method, base+path, token, body)
		if r.Status != status {
			t.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, status)
		}
		spec.check(method, doc, r)
		return r
	}
	got := make(chan string, 20)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.URL.Path + " " + string(b)
	}))
	defer rc.Close()

	var tok struct{ Token string }
	json.Unmarshal(do("POST", "/api/v1/tokens", "/api/v1/tokens", admin, map[string]any{"name": "desk", "scopes": []string{"handover"}}, 201).Body, &tok)
	do("GET", "/api/v1/integrations", "/api/v1/integrations", admin, nil, 200)
	do("PATCH", "/api/v1/integrations", "/api/v1/integrations", admin, map[string]string{"message_webhook_url": rc.URL + "/messages"}, 200)
	do("POST", "/api/v1/integrations/signing-secret", "/api/v1/integrations/signing-secret", admin, nil, 200)
	call(t, "PATCH", base+"/api/v1/chatbots/demo", admin, map[string]string{"handover_webhook_url": rc.URL + "/handover"})

	var wh struct{ ID string }
	json.Unmarshal(do("POST", "/api/v1/webhooks", "/api/v1/webhooks", admin, map[string]any{"url": rc.URL + "/events",
		"events": []string{"conversation.closed"}}, 201).Body, &wh)
	do("GET", "/api/v1/webhooks", "/api/v1/webhooks", admin, nil, 200)
	do("GET", "/api/v1/webhooks/"+wh.ID, "/api/v1/webhooks/{id}", admin, nil, 200)
	do("PATCH", "/api/v1/webhooks/"+wh.ID, "/api/v1/webhooks/{id}", admin, map[string]any{"description": "closed ones"}, 200)
	do("POST", "/api/v1/webhooks/"+wh.ID+"/secret", "/api/v1/webhooks/{id}/secret", admin, nil, 200)
	do("POST", "/api/v1/webhooks/"+wh.ID+"/ping", "/api/v1/webhooks/{id}/ping", admin, nil, 202)
	do("GET", "/api/v1/chatbots/demo/analysis-fields", "/api/v1/chatbots/{chatbot}/analysis-fields", admin, nil, 200)
	do("PUT", "/api/v1/chatbots/demo/analysis-fields", "/api/v1/chatbots/{chatbot}/analysis-fields", admin,
		map[string]any{"fields": []map[string]string{{"name": "order_number", "description": "The order number."}}}, 200)

	var v struct {
		SessionID      string `json:"session_id"`
		Token          string `json:"token"`
		ConversationID string `json:"conversation_id"`
	}
	json.Unmarshal(call(t, "POST", base+"/widget/v1/sessions", "", map[string]string{"chatbot": "demo", "name": "Vera Lynn"}).Body, &v)
	call(t, "POST", base+"/widget/v1/messages", v.Token, map[string]string{"content": "My order A-1234 is late"})
	call(t, "POST", base+"/widget/v1/messages", v.Token, map[string]string{"content": "I want to talk to a human"})
	seen := map[string]bool{}
	note := func(g string) {
		path, body, _ := strings.Cut(g, " ")
		switch {
		case path == "/events" && strings.Contains(body, `"event":"conversation.closed"`):
			seen["/events closed"] = true
		case path == "/events" && strings.Contains(body, `"event":"ping"`):
			seen["/events ping"] = true
		default:
			seen[path] = true
		}
	}
	for !seen["/handover"] { // the bot hands off: the handover webhook is called
		select {
		case g := <-got:
			note(g)
		case <-time.After(20 * time.Second):
			t.Fatalf("no handover webhook within 20 s of asking for a human (seen %v)", seen)
		}
	}
	hp := "/webbot/api/webchat/{botId}/handover/{userId}/"
	u := "/webbot/api/webchat/demo/handover/" + v.SessionID + "/"
	do("GET", u, hp, tok.Token, nil, 200)
	do("POST", u, hp, tok.Token, map[string]string{"message": "Hello from Agent!"}, 201)
	do("POST", u, hp, tok.Token, map[string]string{"message": ""}, 400)
	do("GET", "/webbot/api/webchat/nope/handover/"+v.SessionID+"/", hp, tok.Token, nil, 404)
	do("GET", u, hp, "", nil, 401)
	do("GET", u, hp, admin+"x", nil, 401)
	do("DELETE", u, hp, tok.Token, nil, 200)
	do("DELETE", strings.TrimSuffix(u, "/"), strings.TrimSuffix(hp, "/"), tok.Token, nil, 200)

	do("GET", "/api/v1/conversations/"+v.ConversationID+"/analysis", "/api/v1/conversations/{id}/analysis", admin, nil, 404)
	do("POST", "/api/v1/conversations/"+v.ConversationID+"/analysis", "/api/v1/conversations/{id}/analysis", admin, nil, 202)
	call(t, "POST", base+"/api/v1/conversations/"+v.ConversationID+"/actions/close", admin, nil)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := do("GET", "/api/v1/conversations/"+v.ConversationID+"/analysis", "/api/v1/conversations/{id}/analysis", admin, nil, 200)
		if strings.Contains(string(r.Body), `"status":"done"`) && strings.Contains(string(r.Body), `"reason":"close"`) {
			if !strings.Contains(string(r.Body), `"value":"A-1234"`) {
				t.Errorf("analysis = %s, want order_number A-1234", r.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the analysis is not done within 20 s: %s", r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The ping and conversation.closed reached the receiver too.
	for !seen["/events closed"] || !seen["/events ping"] {
		select {
		case g := <-got:
			note(g)
		case <-time.After(20 * time.Second):
			t.Fatalf("webhooks seen: %v; want the ping and conversation.closed too", seen)
		}
	}
	var page struct {
		Deliveries []struct{ Status string } `json:"deliveries"`
	}
	json.Unmarshal(do("GET", "/api/v1/webhooks/"+wh.ID+"/deliveries", "/api/v1/webhooks/{id}/deliveries", admin, nil, 200).Body, &page)
	do("GET", "/api/v1/integrations/deliveries?limit=5", "/api/v1/integrations/deliveries", admin, nil, 200)
	do("DELETE", "/api/v1/webhooks/"+wh.ID, "/api/v1/webhooks/{id}", admin, nil, 204)
	if len(page.Deliveries) < 2 {
		t.Errorf("the subscription's log has %d deliveries, want the ping and conversation.closed", len(page.Deliveries))
	}
}

// TestIntegrationRoutesIsolateTenants calls every integration route that takes an id with
// another account's ids, with this account's credentials (its admin, or its handover token
// for /webbot): each is 404; the same call with this account's ids is not.
func TestIntegrationRoutesIsolateTenants(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			d := storetest.Open(t, dialect)
			d.Jobs = discardJobs{} // the jobs are not what this test is about
			m := &Main{Config: &Config{}, DB: d, Logger: slog.New(slog.DiscardHandler)}
			api := httpapi.NewServer(d, m.Logger)
			before := len(api.Routes())
			if err := wireIntegrations(m, api, river.NewWorkers()); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(api)
			defer srv.Close()

			type tenant struct {
				ctx                                                    context.Context // as its owner
				admin, desk, webhook, conversation, bot, slug, session string
			}
			mk := func(name, slug string) tenant {
				ctx := context.Background()
				acc, bot, err := d.CreateAccount(ctx, name, slug, name+" Bot")
				if err != nil {
					t.Fatal(err)
				}
				u, err := d.CreateUser(ctx, baton.UserCreate{AccountID: acc.ID, Email: "owner@" + slug + ".test", Password: "correct horse battery",
					FirstName: name, Role: baton.RoleOwner})
				if err != nil {
					t.Fatal(err)
				}
				as := baton.NewContextWithActor(ctx, &baton.Actor{AccountID: acc.ID, User: u})
				sess, err := d.Login(ctx, u.Email, "correct horse battery")
				if err != nil {
					t.Fatal(err)
				}
				tok, err := d.CreateToken(as, "desk", []baton.Scope{baton.ScopeHandover})
				if err != nil {
					t.Fatal(err)
				}
				wh, err := webhooks.Create(as, d, baton.WebhookInput{URL: "https://hooks.example/" + slug, Events: baton.WebhookEvents})
				if err != nil {
					t.Fatal(err)
				}
				vs, err := d.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: slug, Name: "Visitor of " + name})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.RequestAnalysis(as, vs.ConversationID); err != nil { // so that GET analysis finds one
					t.Fatal(err)
				}
				return tenant{ctx: as, admin: sess.Token, desk: tok.Token, webhook: wh.ID, conversation: vs.ConversationID, bot: bot.ID, slug: slug, session: vs.SessionID}
			}
			acme, globex := mk("Acme", "acme"), mk("Globex", "globex")
			fill := func(path string, ids tenant, bySlug bool) string {
				r := strings.NewReplacer("{$}", "", "{userId}", ids.session, "{chatbot}", ids.bot, "{botId}", ids.bot)
				if bySlug {
					r = strings.NewReplacer("{$}", "", "{userId}", ids.session, "{chatbot}", ids.slug, "{botId}", ids.slug)
				}
				path = r.Replace(path)
				if strings.HasPrefix(path, "/api/v1/webhooks/") {
					return strings.Replace(path, "{id}", ids.webhook, 1)
				}
				return strings.Replace(path, "{id}", ids.conversation, 1)
			}
			bodies := map[string]string{
				"POST":   `{"message":"hacked"}`,
				"PATCH":  `{"description":"hacked"}`,
				"PUT":    `{"fields":[]}`,
				"GET":    ``,
				"DELETE": ``,
			}
			send := func(method, url, token string) (int, string) {
				var body io.Reader
				if b := bodies[method]; b != "" && !strings.HasSuffix(url, "/secret") && !strings.HasSuffix(url, "/ping") && !strings.HasSuffix(url, "/analysis") {
					body = strings.NewReader(b)
				}
				req, _ := http.NewRequest(method, srv.URL+url, body)
				req.Header.Set("Authorization", "Bearer "+token)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
			checked := 0
			for _, route := range api.Routes()[before:] {
				method, path, ok := strings.Cut(route, " ")
				if !ok || !strings.Contains(path, "{") || method == "DELETE" && strings.HasPrefix(path, "/api/v1/webhooks/") {
					continue // deleting runs last, below
				}
				token := acme.admin
				if strings.HasPrefix(path, "/webbot/") {
					token = acme.desk
				}
				for _, bySlug := range []bool{false, true} {
					status, body := send(method, fill(path, globex, bySlug), token)
					if status != http.StatusNotFound || strings.Contains(body, "No such API route.") {
						t.Errorf("%s with another account's ids = %d %s, want 404 for the id", route, status, body)
					}
				}
				if status, body := send(method, fill(path, acme, false), token); status == http.StatusNotFound {
					t.Errorf("%s with this account's ids = 404 %s: the request itself is wrong", route, body)
				}
				checked++
			}
			if status, _ := send("DELETE", "/api/v1/webhooks/"+globex.webhook, acme.admin); status != http.StatusNotFound {
				t.Errorf("DELETE another account's webhook = %d, want 404", status)
			}
			if _, err := webhooks.Find(globex.ctx, d, globex.webhook); err != nil {
				t.Errorf("the other account's webhook is gone: %v", err)
			}
			if checked < 12 {
				t.Errorf("checked %d routes with ids, want every integration route", checked)
			}
		})
	}
}

// discardJobs is a job queue that drops every job.
type discardJobs struct{}

func (discardJobs) InsertTx(context.Context, *store.Tx, river.JobArgs, *river.InsertOpts) error {
	return nil
}
