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
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/baton-chat/baton/internal/webhooks/webhookstest"
)

// newHarness is the integrations' harness with the external handover API served.
func newHarness(t testing.TB, d *store.DB, o webhookstest.Options) *webhookstest.Harness {
	t.Helper()
	o.Register = (&handover.API{DB: d}).Register
	return webhookstest.New(t, d, o)
}

func handoverURL(bot, user string) string {
	return "/webbot/api/webchat/" + bot + "/handover/" + user + "/"
}

// visitorEvents returns what the visitor's widget reads (GET /widget/v1/messages).
func visitorEvents(t *testing.T, h *webhookstest.Harness, v webhookstest.Visitor) []baton.VisitorEvent {
	t.Helper()
	var out struct {
		Events []baton.VisitorEvent `json:"events"`
	}
	h.Call(t, "GET", "/widget/v1/messages?after_seq=0", v.Token, nil, http.StatusOK, &out)
	return out.Events
}

func lastSeq(t *testing.T, h *webhookstest.Harness, convID string) int64 {
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
		h := newHarness(t, d, webhookstest.Options{AllowPrivate: true})
		desk := webhookstest.NewReceiver(t)
		var settings baton.IntegrationSettings
		h.Call(t, "POST", "/api/v1/integrations/signing-secret", h.OwnerToken, nil, http.StatusOK, &settings)
		if !strings.HasPrefix(settings.SigningSecret, webhooks.SecretPrefix) {
			t.Fatalf("signing secret = %+v", settings)
		}
		secret := settings.SigningSecret
		if _, err := d.UpdateChatbot(h.Ctx, "demo", baton.ChatbotUpdate{HandoverWebhookURL: ptr(desk.URL + "/handover"),
			MessageWebhookURL: ptr(desk.URL + "/messages")}); err != nil {
			t.Fatal(err)
		}
		token := h.Token(t, baton.ScopeHandover)
		v := h.OpenVisitor(t, "Vera Lynn")
		h.Say(t, v, "My parcel is damaged")

		// A handoff (the bot's: nobody online, so offline) calls the handover webhook.
		if _, err := d.ApplyBotAnswer(context.Background(), h.Account.ID, v.ConversationID,
			store.BotAnswer{Handoff: true, Reason: "The visitor asked for a person."}); err != nil {
			t.Fatal(err)
		}
		r := desk.Next(t)
		if !webhooks.Verify(secret, r.Body, r.Header.Get("X-Baton-Signature")) {
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
		h.Call(t, "GET", handoverURL("demo", v.SessionID), token, nil, http.StatusOK, &ho)
		if ho.Status != baton.StatusHuman || !ho.ListenMode || !ho.Changed || ho.ConversationID != v.ConversationID {
			t.Errorf("GET handover = %+v", ho)
		}
		seq := lastSeq(t, h, v.ConversationID)
		h.Call(t, "GET", handoverURL(h.Bot.ID, v.SessionID), token, nil, http.StatusOK, &ho)
		if ho.Changed || !ho.ListenMode || lastSeq(t, h, v.ConversationID) != seq {
			t.Errorf("a second GET handover = %+v and moved the conversation's seq: want nothing changed", ho)
		}

		// The visitor's next messages reach the message webhook; the bot stays silent.
		botReplies := h.Jobs.Count("bot_reply")
		h.Say(t, v, "Hello? Anyone?")
		r = desk.Next(t)
		var msg webhooks.MessageWebhookBody
		if err := json.Unmarshal(r.Body, &msg); err != nil {
			t.Fatal(err)
		}
		if msg.Interlocutor != "user" || msg.Message != "Hello? Anyone?" || msg.UserID != v.SessionID || msg.BotID != "demo" || msg.Timestamp == 0 {
			t.Errorf("message webhook body = %s", r.Body)
		}
		if err := webhooks.VerifyRequest(secret, r.Body, r.Header.Get("X-Baton-Signature"), r.Header.Get("X-Baton-Timestamp"),
			time.Now(), 5*time.Minute); err != nil {
			t.Errorf("message webhook: %v", err)
		}
		if n := h.Jobs.Count("bot_reply"); n != botReplies {
			t.Errorf("the bot was asked to answer %d times in listen mode", n-botReplies)
		}

		// The desk answers: the visitor reads an agent message.
		var m baton.Message
		h.Call(t, "POST", handoverURL("demo", v.SessionID), token, map[string]string{"message": "Hello from Agent!"}, http.StatusCreated, &m)
		if m.Kind != baton.KindAgent || m.Content != "Hello from Agent!" {
			t.Errorf("POST handover = %+v", m)
		}
		evs := visitorEvents(t, h, v)
		last := evs[len(evs)-1]
		if last.Type != baton.VisitorAgentMessage || last.Data["content"] != "Hello from Agent!" || last.Data["agent_name"] != "Olivia" {
			t.Errorf("the visitor's last event = %+v, want the agent message", last)
		}

		// Ending the handover hands the conversation back to the bot.
		h.Call(t, "DELETE", handoverURL("demo", v.SessionID), token, nil, http.StatusOK, &ho)
		if ho.Status != baton.StatusBot || ho.ListenMode || !ho.Changed {
			t.Errorf("DELETE handover = %+v", ho)
		}
		evs = visitorEvents(t, h, v)
		if !slices.ContainsFunc(evs, func(e baton.VisitorEvent) bool { return e.Type == baton.VisitorHandoffEnded }) {
			t.Error("the visitor was not told the handoff ended")
		}
		h.Say(t, v, "Thanks")
		if n := h.Jobs.Count("bot_reply"); n != botReplies+1 {
			t.Errorf("after the handover the bot was asked %d times, want once", n-botReplies)
		}
		if got := desk.Hits(); got != 2 {
			t.Errorf("the desk got %d webhooks, want 2 (the handover and one message)", got)
		}
	})
}

// TestHandoverAPIRefusals: wrong or missing token 401, missing scope 403, unknown bot or
// user and another account's token 404 — and nothing changes.
func TestHandoverAPIRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := newHarness(t, d, webhookstest.Options{})
		good := h.Token(t, baton.ScopeHandover)
		readOnly := h.Token(t, baton.ScopeRead, baton.ScopeWrite)
		v := h.OpenVisitor(t, "Vera")
		h.Say(t, v, "hi")

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

		before := lastSeq(t, h, v.ConversationID)
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
				status, b := h.Do(t, method, handoverURL(c.bot, c.user), c.token, body)
				var e struct {
					Error struct{ Code, Message string }
				}
				json.Unmarshal(b, &e)
				if status != c.status || e.Error.Code != c.code {
					t.Errorf("%s handover with %s = %d %s, want %d %s", method, c.name, status, b, c.status, c.code)
				}
			}
		}
		if got := lastSeq(t, h, v.ConversationID); got != before {
			t.Errorf("refused calls changed the conversation (seq %d → %d)", before, got)
		}
		if c, _ := d.FindConversation(h.Ctx, v.ConversationID); c.Status != baton.StatusBot {
			t.Errorf("after refused calls the conversation is %s, want bot", c.Status)
		}

		// Replying before the takeover is a conflict; bad bodies are 400.
		if status, b := h.Do(t, "POST", handoverURL("demo", v.SessionID), good, map[string]string{"message": "hi"}); status != http.StatusConflict ||
			!strings.Contains(string(b), "Can only reply to handed-off conversations.") {
			t.Errorf("POST handover before GET = %d %s, want 409", status, b)
		}
		for _, body := range []any{map[string]string{"message": ""}, map[string]any{"message": 5}, map[string]string{"text": "hi"}} {
			if status, b := h.Do(t, "POST", handoverURL("demo", v.SessionID), good, body); status != http.StatusBadRequest {
				t.Errorf("POST handover %v = %d %s, want 400", body, status, b)
			}
		}
		// Without the trailing slash the same routes answer (no redirect, which would turn
		// a POST into a GET).
		noSlash := strings.TrimSuffix(handoverURL("demo", v.SessionID), "/")
		h.Call(t, "GET", noSlash, good, nil, http.StatusOK, nil)
		var m baton.Message
		h.Call(t, "POST", noSlash, good, map[string]string{"message": "Hello from Agent!"}, http.StatusCreated, &m)
		if m.Content != "Hello from Agent!" {
			t.Errorf("POST without the trailing slash = %+v", m)
		}
		if status, b := h.Do(t, "GET", "/webbot/api/webchat/demo/other", good, nil); status != http.StatusNotFound || !strings.Contains(string(b), "No such API route.") {
			t.Errorf("GET an unknown /webbot/ path = %d %s, want the 404 error shape", status, b)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestHandoverTakesBearerTokensOnly: a page on another site cannot make a signed-in
// agent's browser take a conversation over with its cookie (a GET passes no cross-origin
// check): the desk paths read the Authorization header only.
func TestHandoverTakesBearerTokensOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := newHarness(t, d, webhookstest.Options{})
		v := h.OpenVisitor(t, "Vera")
		h.Say(t, v, "hi")
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
		h.Call(t, "GET", "/api/v1/conversations/"+v.ConversationID, h.OwnerToken, nil, http.StatusOK, &conv)
		if conv.Status != "bot" {
			t.Errorf("after a cookie takeover attempt the conversation is %q, want bot", conv.Status)
		}
		h.Call(t, "GET", path, h.Token(t, baton.ScopeHandover), nil, http.StatusOK, nil)
	})
}
