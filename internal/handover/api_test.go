package handover_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/handover"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func handoverURL(bot, user string) string {
	return "/webbot/api/webchat/" + bot + "/handover/" + user + "/"
}

// visitorEvents returns what the visitor's widget reads (GET /widget/v1/messages).
func (h *harness) visitorEvents(t *testing.T, v visitor) []baton.VisitorEvent {
	t.Helper()
	var out struct {
		Events []baton.VisitorEvent `json:"events"`
	}
	h.call(t, "GET", "/widget/v1/messages?after_seq=0", v.Token, nil, http.StatusOK, &out)
	return out.Events
}

func (h *harness) lastSeq(t *testing.T, convID string) int64 {
	t.Helper()
	c, err := h.DB.FindConversation(h.Ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	return c.LastSeq
}

// TestHandoverAPI plays the reference sequence over HTTP: the handoff calls the handover
// webhook, the desk takes over, the visitor's messages reach the message webhook, the
// desk answers, and gives the conversation back.
func TestHandoverAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := newHarness(t, d, harnessOptions{AllowPrivate: true})
		desk := newReceiver(t)
		var settings baton.IntegrationSettings
		h.call(t, "POST", "/api/v1/integrations/signing-secret", h.OwnerToken, nil, http.StatusOK, &settings)
		if !strings.HasPrefix(settings.SigningSecret, store.WebhookSecretPrefix) {
			t.Fatalf("signing secret = %+v", settings)
		}
		secret := settings.SigningSecret
		if _, err := d.UpdateChatbot(h.Ctx, "demo", baton.ChatbotUpdate{HandoverWebhookURL: ptr(desk.URL + "/handover"),
			MessageWebhookURL: ptr(desk.URL + "/messages")}); err != nil {
			t.Fatal(err)
		}
		token := h.token(t, baton.ScopeHandover)
		v := h.openVisitor(t, "Vera Lynn")
		h.say(t, v, "My parcel is damaged")

		// A handoff (the bot's: nobody online, so offline) calls the handover webhook.
		if _, err := d.ApplyBotAnswer(context.Background(), h.Account.ID, v.ConversationID,
			store.BotAnswer{Handoff: true, Reason: "The visitor asked for a person."}); err != nil {
			t.Fatal(err)
		}
		r := desk.next(t)
		if !handover.Verify(secret, r.Body, r.Header.Get("X-Baton-Signature")) {
			t.Errorf("the handover webhook is not signed with the signing secret")
		}
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for k := range body {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		want := []string{"attachedMedia", "botId", "botTrainedModelId", "customVariables", "direction", "extractedData", "firstName",
			"from", "lastName", "moduleId", "replyData", "reply", "sessionId", "to"}
		sort.Strings(want)
		if !slices.Equal(fields, want) {
			t.Errorf("handover body fields = %v, want %v", fields, want)
		}
		if body["botId"] != "demo" || body["sessionId"] != v.SessionID || body["to"] != v.SessionID || body["firstName"] != "Vera" ||
			body["lastName"] != "Lynn" || body["direction"] != "out" {
			t.Errorf("handover body = %s", r.Body)
		}

		// The desk takes over (idempotent).
		var ho baton.Handover
		h.call(t, "GET", handoverURL("demo", v.SessionID), token, nil, http.StatusOK, &ho)
		if ho.Status != baton.StatusHuman || !ho.ListenMode || !ho.Changed || ho.ConversationID != v.ConversationID {
			t.Errorf("GET handover = %+v", ho)
		}
		seq := h.lastSeq(t, v.ConversationID)
		h.call(t, "GET", handoverURL(h.Bot.ID, v.SessionID), token, nil, http.StatusOK, &ho)
		if ho.Changed || !ho.ListenMode || h.lastSeq(t, v.ConversationID) != seq {
			t.Errorf("a second GET handover = %+v and moved the conversation's seq: want nothing changed", ho)
		}

		// The visitor's next messages reach the message webhook; the bot stays silent.
		botReplies := h.Jobs.count("bot_reply")
		h.say(t, v, "Hello? Anyone?")
		r = desk.next(t)
		var msg store.MessageWebhookBody
		if err := json.Unmarshal(r.Body, &msg); err != nil {
			t.Fatal(err)
		}
		if msg.Interlocutor != "user" || msg.Message != "Hello? Anyone?" || msg.UserID != v.SessionID || msg.BotID != "demo" || msg.Timestamp == 0 {
			t.Errorf("message webhook body = %s", r.Body)
		}
		if err := handover.VerifyRequest(secret, r.Body, r.Header.Get("X-Baton-Signature"), r.Header.Get("X-Baton-Timestamp"),
			time.Now(), 5*time.Minute); err != nil {
			t.Errorf("message webhook: %v", err)
		}
		if n := h.Jobs.count("bot_reply"); n != botReplies {
			t.Errorf("the bot was asked to answer %d times in listen mode", n-botReplies)
		}

		// The desk answers: the visitor reads an agent message.
		var m baton.Message
		h.call(t, "POST", handoverURL("demo", v.SessionID), token, map[string]string{"message": "Hello from Agent!"}, http.StatusCreated, &m)
		if m.Kind != baton.KindAgent || m.Content != "Hello from Agent!" {
			t.Errorf("POST handover = %+v", m)
		}
		evs := h.visitorEvents(t, v)
		last := evs[len(evs)-1]
		if last.Type != baton.VisitorAgentMessage || last.Data["content"] != "Hello from Agent!" || last.Data["agent_name"] != "Olivia" {
			t.Errorf("the visitor's last event = %+v, want the agent message", last)
		}

		// Ending the handover hands the conversation back to the bot.
		h.call(t, "DELETE", handoverURL("demo", v.SessionID), token, nil, http.StatusOK, &ho)
		if ho.Status != baton.StatusBot || ho.ListenMode || !ho.Changed {
			t.Errorf("DELETE handover = %+v", ho)
		}
		evs = h.visitorEvents(t, v)
		if !slices.ContainsFunc(evs, func(e baton.VisitorEvent) bool { return e.Type == baton.VisitorHandoffEnded }) {
			t.Error("the visitor was not told the handoff ended")
		}
		h.say(t, v, "Thanks")
		if n := h.Jobs.count("bot_reply"); n != botReplies+1 {
			t.Errorf("after the handover the bot was asked %d times, want once", n-botReplies)
		}
		if got := desk.hits(); got != 2 {
			t.Errorf("the desk got %d webhooks, want 2 (the handover and one message)", got)
		}
	})
}

// TestHandoverAPIRefusals: wrong or missing token 401, missing scope 403, unknown bot or
// user and another account's token 404 — and nothing changes.
func TestHandoverAPIRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := newHarness(t, d, harnessOptions{})
		good := h.token(t, baton.ScopeHandover)
		readOnly := h.token(t, baton.ScopeRead, baton.ScopeWrite)
		v := h.openVisitor(t, "Vera")
		h.say(t, v, "hi")

		globex, _, err := d.CreateAccount(context.Background(), "Globex", "globex", "Globex Bot")
		if err != nil {
			t.Fatal(err)
		}
		gOwner, err := d.CreateUser(context.Background(), baton.UserCreate{AccountID: globex.ID, Email: "owner@globex.test",
			Password: "correct horse battery", Role: baton.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
		gTok, err := d.CreateToken(baton.NewContextWithActor(context.Background(), &baton.Actor{AccountID: globex.ID, User: gOwner}),
			"Globex desk", []baton.Scope{baton.ScopeHandover})
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := d.CreateToken(h.Ctx, "Old desk", []baton.Scope{baton.ScopeHandover})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeToken(h.Ctx, revoked.ID); err != nil {
			t.Fatal(err)
		}

		before := h.lastSeq(t, v.ConversationID)
		for _, c := range []struct {
			name, token, bot, user string
			status                 int
			code                   string
		}{
			{"no token", "", "demo", v.SessionID, 401, "unauthorized"},
			{"a wrong token", "bti_nope", "demo", v.SessionID, 401, "unauthorized"},
			{"a revoked token", revoked.Token, "demo", v.SessionID, 401, "unauthorized"},
			{"a token without the handover scope", readOnly, "demo", v.SessionID, 403, "forbidden"},
			{"an unknown bot", good, "nobot", v.SessionID, 404, "not_found"},
			{"an unknown user", good, "demo", "web:nobody", 404, "not_found"},
			{"another account's token", gTok.Token, "demo", v.SessionID, 404, "not_found"},
			{"another account's token by bot id", gTok.Token, h.Bot.ID, v.SessionID, 404, "not_found"},
			{"another account's bot", good, "globex", v.SessionID, 404, "not_found"},
		} {
			for _, method := range []string{"GET", "POST", "DELETE"} {
				var body any
				if method == "POST" {
					body = map[string]string{"message": "Hello from Agent!"}
				}
				status, b := h.do(t, method, handoverURL(c.bot, c.user), c.token, body)
				var e struct {
					Error struct{ Code, Message string }
				}
				json.Unmarshal(b, &e)
				if status != c.status || e.Error.Code != c.code {
					t.Errorf("%s handover with %s = %d %s, want %d %s", method, c.name, status, b, c.status, c.code)
				}
			}
		}
		if got := h.lastSeq(t, v.ConversationID); got != before {
			t.Errorf("refused calls changed the conversation (seq %d → %d)", before, got)
		}
		if c, _ := d.FindConversation(h.Ctx, v.ConversationID); c.Status != baton.StatusBot {
			t.Errorf("after refused calls the conversation is %s, want bot", c.Status)
		}

		// Replying before the takeover is a conflict; bad bodies are 400.
		if status, b := h.do(t, "POST", handoverURL("demo", v.SessionID), good, map[string]string{"message": "hi"}); status != http.StatusConflict ||
			!strings.Contains(string(b), "Can only reply to handed-off conversations.") {
			t.Errorf("POST handover before GET = %d %s, want 409", status, b)
		}
		for _, body := range []any{map[string]string{"message": ""}, map[string]any{"message": 5}, map[string]string{"text": "hi"}} {
			if status, b := h.do(t, "POST", handoverURL("demo", v.SessionID), good, body); status != http.StatusBadRequest {
				t.Errorf("POST handover %v = %d %s, want 400", body, status, b)
			}
		}
		// Without the trailing slash the same routes answer (no redirect, which would turn
		// a POST into a GET).
		noSlash := strings.TrimSuffix(handoverURL("demo", v.SessionID), "/")
		h.call(t, "GET", noSlash, good, nil, http.StatusOK, nil)
		var m baton.Message
		h.call(t, "POST", noSlash, good, map[string]string{"message": "Hello from Agent!"}, http.StatusCreated, &m)
		if m.Content != "Hello from Agent!" {
			t.Errorf("POST without the trailing slash = %+v", m)
		}
		if status, b := h.do(t, "GET", "/webbot/api/webchat/demo/other", good, nil); status != http.StatusNotFound || !strings.Contains(string(b), "No such API route.") {
			t.Errorf("GET an unknown /webbot/ path = %d %s, want the 404 error shape", status, b)
		}
	})
}

// TestWebhookSettingsAPI covers the admin routes of subscriptions and settings.
func TestWebhookSettingsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := newHarness(t, d, harnessOptions{AllowPrivate: true})
		agent, err := d.CreateUser(context.Background(), baton.UserCreate{AccountID: h.Account.ID, Email: "ana@acme.test",
			Password: "correct horse battery", FirstName: "Ana", Role: baton.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := d.Login(context.Background(), agent.Email, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := h.do(t, "GET", "/api/v1/webhooks", sess.Token, nil); status != http.StatusForbidden {
			t.Errorf("GET /api/v1/webhooks as an agent = %d, want 403", status)
		}
		if status, _ := h.do(t, "GET", "/api/v1/webhooks", "", nil); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/webhooks without credentials = %d, want 401", status)
		}
		var wh baton.Webhook
		h.call(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "https://hooks.example/a", "events": []string{"ticket.created"}},
			http.StatusCreated, &wh)
		var list struct {
			Webhooks []baton.Webhook `json:"webhooks"`
			Events   []string        `json:"events"`
		}
		h.call(t, "GET", "/api/v1/webhooks", h.OwnerToken, nil, http.StatusOK, &list)
		if len(list.Webhooks) != 1 || list.Webhooks[0].Secret != "" || !slices.Equal(list.Events, baton.WebhookEvents) {
			t.Errorf("GET /api/v1/webhooks = %+v", list)
		}
		var got baton.Webhook
		h.call(t, "PATCH", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, map[string]any{"active": false, "description": "Paused"}, http.StatusOK, &got)
		if got.Active || got.Description != "Paused" || got.Secret != "" {
			t.Errorf("PATCH = %+v", got)
		}
		h.call(t, "GET", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, nil, http.StatusOK, &got)
		if got.Active {
			t.Error("GET after PATCH shows it active")
		}
		if status, _ := h.do(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "https://x.example", "events": []string{"nope"}}); status != 400 {
			t.Errorf("POST with an unknown event = %d, want 400", status)
		}
		if status, _ := h.do(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "https://x.example", "events": []string{"ping"}, "extra": 1}); status != 400 {
			t.Errorf("POST with an unknown field = %d, want 400", status)
		}
		h.call(t, "DELETE", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, nil, http.StatusNoContent, nil)
		if status, _ := h.do(t, "GET", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, nil); status != 404 {
			t.Errorf("GET a deleted webhook = %d, want 404", status)
		}

		var s baton.IntegrationSettings
		h.call(t, "PATCH", "/api/v1/integrations", h.OwnerToken, map[string]any{"message_webhook_url": "https://crm.example/in"}, http.StatusOK, &s)
		if s.MessageWebhookURL != "https://crm.example/in" || s.SigningSecret != "" {
			t.Errorf("PATCH /api/v1/integrations = %+v", s)
		}
		h.call(t, "GET", "/api/v1/integrations", h.OwnerToken, nil, http.StatusOK, &s)
		if s.MessageWebhookURL != "https://crm.example/in" {
			t.Errorf("GET /api/v1/integrations = %+v", s)
		}
		var page store.DeliveryPage
		h.call(t, "GET", "/api/v1/integrations/deliveries?limit=10", h.OwnerToken, nil, http.StatusOK, &page)
		if page.Deliveries == nil {
			t.Error("GET /api/v1/integrations/deliveries has no deliveries list")
		}
		if status, _ := h.do(t, "GET", "/api/v1/integrations/deliveries?limit=0", h.OwnerToken, nil); status != 400 {
			t.Errorf("limit=0 = %d, want 400", status)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestHandoverTakesBearerTokensOnly: a page on another site cannot make a signed-in
// agent's browser take a conversation over with its cookie (a GET passes no cross-origin
// check): the desk paths read the Authorization header only.
func TestHandoverTakesBearerTokensOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := newHarness(t, d, harnessOptions{})
		v := h.openVisitor(t, "Vera")
		h.say(t, v, "hi")
		path := "/webbot/api/webchat/demo/handover/" + v.SessionID + "/"
		req, _ := http.NewRequest("GET", h.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: h.OwnerToken})
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET %s with the session cookie = %d, want 401", path, res.StatusCode)
		}
		var conv struct{ Status string }
		h.call(t, "GET", "/api/v1/conversations/"+v.ConversationID, h.OwnerToken, nil, http.StatusOK, &conv)
		if conv.Status != "bot" {
			t.Errorf("after a cookie takeover attempt the conversation is %q, want bot", conv.Status)
		}
		h.call(t, "GET", path, h.token(t, baton.ScopeHandover), nil, http.StatusOK, nil)
	})
}
