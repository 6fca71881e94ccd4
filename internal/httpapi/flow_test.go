package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
)

type conversationJSON struct {
	ID          string `json:"id"`
	AccountID   string `json:"account_id"`
	Status      string `json:"status"`
	Pending     bool   `json:"pending"`
	LastSeq     int64  `json:"last_seq"`
	LastMessage string `json:"last_message"`
	Assignee    *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"assignee"`
	Contact struct {
		Name      string `json:"name"`
		SessionID string `json:"session_id"`
	} `json:"contact"`
	Chatbot struct {
		Slug string `json:"slug"`
	} `json:"chatbot"`
}

type messageJSON struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Kind           string `json:"kind"`
	SenderName     string `json:"sender_name"`
	Content        string `json:"content"`
}

type visitorEventsJSON struct {
	ConversationID string `json:"conversation_id"`
	Events         []struct {
		Type           string         `json:"type"`
		Seq            int64          `json:"seq"`
		ConversationID string         `json:"conversation_id"`
		Data           map[string]any `json:"data"`
	} `json:"events"`
}

// TestCoreFlow walks the core flow of API.md (the Go twin of scripts/smoke.sh): sign in,
// a visitor writes, the agent joins, accepts, replies and notes, returns the conversation
// to the AI, closes and reopens it.
func TestCoreFlow(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		r := e.do(t, req{Method: "POST", URL: "/api/v1/session",
			Body: map[string]string{"email": "Owner@Acme.test", "password": testPassword}}).wantStatus(t, http.StatusOK)
		var sess struct {
			Token     string     `json:"token"`
			User      baton.User `json:"user"`
			ExpiresAt time.Time  `json:"expires_at"`
		}
		r.decode(t, &sess)
		if sess.Token == "" || sess.User.ID != e.Owner.ID || !sess.ExpiresAt.After(e.Clock.Now()) {
			t.Fatalf("POST /api/v1/session = %s, want a token, the owner and a future expiry", r.Body)
		}
		var cookie *http.Cookie
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == httpapi.SessionCookie {
				cookie = c
			}
		}
		if cookie == nil || cookie.Value != sess.Token || !cookie.HttpOnly || cookie.Path != "/" {
			t.Errorf("login Set-Cookie = %q, want an HttpOnly %s cookie holding the token", r.Header.Values("Set-Cookie"), httpapi.SessionCookie)
		}
		token := sess.Token
		conv := func(id string) conversationJSON {
			var c conversationJSON
			e.do(t, req{Method: "GET", URL: "/api/v1/conversations/" + id, Token: token}).wantStatus(t, http.StatusOK).decode(t, &c)
			return c
		}

		v := e.openVisitor(t, "demo", "Ada Lovelace", "")
		if !strings.HasPrefix(v.SessionID, "web:") || !strings.HasPrefix(v.Token, "btv_") || v.ConversationID == "" {
			t.Fatalf("visitor session = %+v, want a web: session id, a btv_ token and a conversation", v)
		}
		var vm map[string]any
		e.do(t, req{Method: "POST", URL: "/widget/v1/messages", Token: v.Token,
			Body: map[string]string{"content": "Hello, I need help with my order"}}).wantStatus(t, http.StatusCreated).decode(t, &vm)
		if vm["kind"] != "visitor" || vm["conversation_id"] != v.ConversationID || vm["content"] != "Hello, I need help with my order" {
			t.Errorf("visitor message = %v, want kind visitor in conversation %s", vm, v.ConversationID)
		}

		var page struct {
			Conversations []conversationJSON `json:"conversations"`
		}
		e.do(t, req{Method: "GET", URL: "/api/v1/conversations", Token: token}).wantStatus(t, http.StatusOK).decode(t, &page)
		if len(page.Conversations) != 1 || page.Conversations[0].ID != v.ConversationID {
			t.Fatalf("conversation list = %+v, want only %s", page.Conversations, v.ConversationID)
		}
		if c := page.Conversations[0]; c.Status != "bot" || c.Contact.Name != "Ada Lovelace" || c.Chatbot.Slug != "demo" ||
			c.LastMessage != "Hello, I need help with my order" {
			t.Errorf("listed conversation = %+v, want status bot, contact Ada Lovelace, chatbot demo and the last message", c)
		}

		base := "/api/v1/conversations/" + v.ConversationID
		e.do(t, req{Method: "POST", URL: base + "/messages", Token: token, Body: map[string]string{"content": "hi"}}).
			wantError(t, http.StatusConflict, "conflict", "Can only reply to handed-off conversations.")

		for _, step := range []struct{ action, status string }{{"join", "waiting"}, {"accept", "human"}} {
			var c conversationJSON
			e.do(t, req{Method: "POST", URL: base + "/actions/" + step.action, Token: token}).wantStatus(t, http.StatusOK).decode(t, &c)
			if c.Status != step.status {
				t.Fatalf("%s: status %q, want %q", step.action, c.Status, step.status)
			}
		}
		if c := conv(v.ConversationID); c.Assignee == nil || c.Assignee.ID != e.Owner.ID {
			t.Errorf("after accept the assignee is %+v, want the owner %s", c.Assignee, e.Owner.ID)
		}

		var reply messageJSON
		e.do(t, req{Method: "POST", URL: base + "/messages", Token: token, Body: map[string]any{"content": "Hi, I am here to help."}}).
			wantStatus(t, http.StatusCreated).decode(t, &reply)
		if reply.Kind != "agent" || reply.Content != "Hi, I am here to help." || reply.SenderName != "Owner" || reply.ConversationID != v.ConversationID {
			t.Errorf("reply = %+v, want an agent message by Owner", reply)
		}
		if c := conv(v.ConversationID); c.Status != "human" || !c.Pending {
			t.Errorf("after the reply: status %q pending %v, want human and pending", c.Status, c.Pending)
		}

		var note messageJSON
		e.do(t, req{Method: "POST", URL: base + "/messages", Token: token, Body: map[string]any{"content": "VIP customer", "private": true}}).
			wantStatus(t, http.StatusCreated).decode(t, &note)
		if note.Kind != "note" {
			t.Errorf("note kind = %q, want note", note.Kind)
		}

		// The visitor sees the reply, never the note nor the system messages, in a gapless
		// sequence of their own.
		vr := e.do(t, req{Method: "GET", URL: "/widget/v1/messages?after_seq=0", Token: v.Token}).wantStatus(t, http.StatusOK)
		var ve visitorEventsJSON
		vr.decode(t, &ve)
		if strings.Contains(string(vr.Body), "VIP customer") || strings.Contains(string(vr.Body), `"note"`) ||
			strings.Contains(string(vr.Body), "joined the conversation") {
			t.Errorf("visitor messages = %s: the visitor sees a note or a system message", vr.Body)
		}
		if !strings.Contains(string(vr.Body), "Hi, I am here to help.") {
			t.Errorf("visitor messages = %s, want the agent's reply", vr.Body)
		}
		for i, ev := range ve.Events {
			if ev.Seq != int64(i+1) || ev.ConversationID != v.ConversationID {
				t.Errorf("visitor event %d = seq %d in %s, want seq %d in %s", i, ev.Seq, ev.ConversationID, i+1, v.ConversationID)
			}
			if ev.Type == "agent_message" && ev.Data["agent_name"] != "Owner" {
				t.Errorf("agent_message data = %v, want agent_name Owner", ev.Data)
			}
		}
		// after_seq skips what the visitor has.
		if n := len(ve.Events); n > 0 {
			var rest visitorEventsJSON
			e.do(t, req{Method: "GET", URL: fmt.Sprintf("/widget/v1/messages?after_seq=%d", n-1), Token: v.Token}).
				wantStatus(t, http.StatusOK).decode(t, &rest)
			if len(rest.Events) != 1 || rest.Events[0].Seq != int64(n) {
				t.Errorf("after_seq=%d gave %d events, want only seq %d", n-1, len(rest.Events), n)
			}
		}
		// The team sees the note.
		ar := e.do(t, req{Method: "GET", URL: base + "/messages", Token: token}).wantStatus(t, http.StatusOK)
		if !strings.Contains(string(ar.Body), "VIP customer") {
			t.Errorf("agent messages = %s, want the note", ar.Body)
		}

		var c conversationJSON
		e.do(t, req{Method: "PUT", URL: base + "/status", Token: token, Body: map[string]string{"status": "active"}}).
			wantStatus(t, http.StatusOK).decode(t, &c)
		if c.Status != "bot" || c.Assignee != nil {
			t.Errorf("PUT status active: status %q assignee %+v, want bot and unassigned", c.Status, c.Assignee)
		}
		e.do(t, req{Method: "PUT", URL: base + "/status", Token: token, Body: map[string]string{"status": "open"}}).
			wantError(t, http.StatusBadRequest, "invalid_status", "")
		e.do(t, req{Method: "PUT", URL: base + "/status", Token: token, Body: map[string]string{"status": "closed"}}).
			wantStatus(t, http.StatusOK).decode(t, &c)
		if c.Status != "closed" {
			t.Errorf("PUT status closed: status %q, want closed", c.Status)
		}
		e.do(t, req{Method: "POST", URL: base + "/actions/close", Token: token}).wantError(t, http.StatusConflict, "conflict", "")
		e.do(t, req{Method: "PUT", URL: base + "/status", Token: token, Body: map[string]string{"status": "closed"}}).
			wantError(t, http.StatusConflict, "conflict", "")
		e.do(t, req{Method: "POST", URL: base + "/actions/reopen", Token: token}).wantStatus(t, http.StatusOK).decode(t, &c)
		if c.Status != "bot" {
			t.Errorf("reopen: status %q, want bot", c.Status)
		}
	})
}

// TestActions applies every agent action to a conversation in every status the agent API
// can reach, and checks the answer against the status machine: an allowed pair moves to
// the table's status, a refused one is 409 and writes nothing.
func TestActions(t *testing.T) {
	setups := map[baton.Status][]string{
		baton.StatusBot:      nil,
		baton.StatusWaiting:  {"join"},
		baton.StatusHuman:    {"join", "accept"},
		baton.StatusResolved: {"resolve"},
		baton.StatusClosed:   {"close"},
	}
	eachEnv(t, func(t *testing.T, e *env) {
		other, beaTok := e.newUser(t, e.Account.ID, "bea@acme.test", baton.RoleAgent)
		// A transfer goes to an agent who is online.
		e.do(t, req{Method: "PATCH", URL: "/api/v1/me", Token: beaTok, Body: `{"availability":"online"}`}).wantStatus(t, http.StatusOK)
		for from, steps := range setups {
			for _, action := range baton.AgentActions {
				t.Run(fmt.Sprintf("%s %s", action, from), func(t *testing.T) {
					v := e.openVisitor(t, "demo", "", "Hello")
					base := "/api/v1/conversations/" + v.ConversationID
					for _, s := range steps {
						e.do(t, req{Method: "POST", URL: base + "/actions/" + s, Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
					}
					var body any
					if action == baton.ActionTransfer {
						body = map[string]string{"agent_id": other.ID, "note": "over to Bea"}
					}
					before := e.snapshot(t, e.OwnerToken, v.ConversationID)
					e.Clock.Advance(time.Minute)
					r := e.do(t, req{Method: "POST", URL: base + "/actions/" + string(action), Token: e.OwnerToken, Body: body})
					want, err := baton.Transit(from, action)
					if err != nil {
						r.wantError(t, http.StatusConflict, "conflict", baton.ErrorMessage(err))
						before.mustEqual(t, e.snapshot(t, e.OwnerToken, v.ConversationID), fmt.Sprintf("refused %s in %s", action, from))
						return
					}
					var c conversationJSON
					r.wantStatus(t, http.StatusOK).decode(t, &c)
					if c.Status != string(want.To) {
						t.Errorf("%s in %s: status %q, want %q", action, from, c.Status, want.To)
					}
					after := e.snapshot(t, e.OwnerToken, v.ConversationID)
					if after.Events == before.Events || after.Messages == before.Messages {
						t.Errorf("%s in %s wrote no event or no system message", action, from)
					}
				})
			}
		}
	})
}

// TestRefusedRequestsWriteNothing checks the other refusals of a conversation: replies
// outside human, a bad status, an unknown action, a transfer without a target, and a
// reply over the rate limit.
func TestRefusedRequestsWriteNothing(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		base := "/api/v1/conversations/" + v.ConversationID
		check := func(t *testing.T, name string, r req, status int, code string) {
			t.Helper()
			before := e.snapshot(t, e.OwnerToken, v.ConversationID)
			e.Clock.Advance(time.Minute)
			r.Token = e.OwnerToken
			e.do(t, r).wantError(t, status, code, "")
			before.mustEqual(t, e.snapshot(t, e.OwnerToken, v.ConversationID), name)
		}
		check(t, "reply in bot", req{Method: "POST", URL: base + "/messages", Body: `{"content":"hi"}`}, 409, "conflict")
		check(t, "PUT status active in bot", req{Method: "PUT", URL: base + "/status", Body: `{"status":"active"}`}, 409, "conflict")
		check(t, "PUT status open", req{Method: "PUT", URL: base + "/status", Body: `{"status":"open"}`}, 400, "invalid_status")
		check(t, "PUT status empty", req{Method: "PUT", URL: base + "/status", Body: `{}`}, 400, "invalid_status")
		check(t, "unknown action", req{Method: "POST", URL: base + "/actions/explode"}, 404, "not_found")
		check(t, "note too long", req{Method: "POST", URL: base + "/actions/resolve", Body: map[string]string{"note": strings.Repeat("n", 2001)}}, 400, "invalid")
		check(t, "bad priority", req{Method: "PATCH", URL: base, Body: `{"priority":"whenever"}`}, 400, "invalid")
		check(t, "unknown label", req{Method: "PATCH", URL: base, Body: `{"labels":["Nope"]}`}, 400, "invalid")

		e.do(t, req{Method: "POST", URL: base + "/actions/join", Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
		check(t, "reply in waiting", req{Method: "POST", URL: base + "/messages", Body: `{"content":"hi"}`}, 409, "conflict")
		check(t, "transfer without target", req{Method: "POST", URL: base + "/actions/transfer"}, 400, "invalid")
		check(t, "transfer to a stranger", req{Method: "POST", URL: base + "/actions/transfer", Body: `{"agent_id":"nobody"}`}, 404, "not_found")

		e.do(t, req{Method: "POST", URL: base + "/actions/accept", Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
		check(t, "transfer to the assignee", req{Method: "POST", URL: base + "/actions/transfer", Body: map[string]string{"agent_id": e.Owner.ID}}, 409, "conflict")
		e.do(t, req{Method: "POST", URL: base + "/messages", Token: e.OwnerToken, Body: `{"content":"first"}`}).wantStatus(t, http.StatusCreated)
		before := e.snapshot(t, e.OwnerToken, v.ConversationID)
		e.do(t, req{Method: "POST", URL: base + "/messages", Token: e.OwnerToken, Body: `{"content":"too soon"}`}).
			wantError(t, http.StatusTooManyRequests, "rate_limited", "")
		before.mustEqual(t, e.snapshot(t, e.OwnerToken, v.ConversationID), "a rate-limited reply")

		e.do(t, req{Method: "POST", URL: base + "/actions/close", Token: e.OwnerToken}).wantStatus(t, http.StatusOK)
		check(t, "reply in closed", req{Method: "POST", URL: base + "/messages", Body: `{"content":"hi"}`}, 409, "conflict")
		check(t, "close again", req{Method: "POST", URL: base + "/actions/close"}, 409, "conflict")
		check(t, "PUT status closed again", req{Method: "PUT", URL: base + "/status", Body: `{"status":"closed"}`}, 409, "conflict")
	})
}

// TestVisitorAfterClose: a visitor who writes to a closed conversation starts a new one,
// linked to the old, and the widget follows it (H7).
func TestVisitorAfterClose(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Ada", "Hello")
		e.do(t, req{Method: "POST", URL: "/api/v1/conversations/" + v.ConversationID + "/actions/close", Token: e.OwnerToken}).
			wantStatus(t, http.StatusOK)
		var m map[string]any
		e.do(t, req{Method: "POST", URL: "/widget/v1/messages", Token: v.Token, Body: `{"content":"Me again"}`}).
			wantStatus(t, http.StatusCreated).decode(t, &m)
		newID, _ := m["conversation_id"].(string)
		if newID == "" || newID == v.ConversationID {
			t.Fatalf("message after close went to %q, want a new conversation", newID)
		}
		var c map[string]any
		e.do(t, req{Method: "GET", URL: "/api/v1/conversations/" + newID, Token: e.OwnerToken}).wantStatus(t, http.StatusOK).decode(t, &c)
		if c["previous_conversation_id"] != v.ConversationID || c["status"] != "bot" {
			t.Errorf("new conversation = %v, want status bot linked to %s", c, v.ConversationID)
		}
		var ve visitorEventsJSON
		e.do(t, req{Method: "GET", URL: "/widget/v1/messages", Token: v.Token}).wantStatus(t, http.StatusOK).decode(t, &ve)
		if ve.ConversationID != newID || len(ve.Events) != 1 || ve.Events[0].Seq != 1 || ve.Events[0].Data["content"] != "Me again" {
			b, _ := json.Marshal(ve)
			t.Errorf("widget messages = %s, want the new conversation's one message at seq 1", b)
		}
	})
}

// TestWidgetExtras covers the rest of the visitor API: the public config and the offline
// form, whose answers are checked against docs/openapi.yaml like every other.
func TestWidgetExtras(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "", "Hello")
		runScenarios(t, e, []scenario{
			{Name: "the config of a chatbot", Method: "GET", URL: "/widget/v1/config?chatbot=demo", ExpectedStatus: 200,
				ExpectedContent: []string{`"name":"Demo Bot"`}, NotExpectedContent: []string{e.Account.ID, "webhook", "secret"},
				ExpectedHeaders: map[string]string{"Access-Control-Allow-Origin": "*"}},
			{Name: "the config without a chatbot", Method: "GET", URL: "/widget/v1/config", ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "the config of an unknown chatbot", Method: "GET", URL: "/widget/v1/config?chatbot=nope", ExpectedStatus: 404, ExpectedCode: "not_found"},
			{Name: "the offline form needs a visitor", Method: "POST", URL: "/widget/v1/offline",
				Body: `{"email":"ada@example.test","message":"Call me"}`, ExpectedStatus: 401, ExpectedCode: "unauthorized"},
			{Name: "the offline form needs an email", Method: "POST", URL: "/widget/v1/offline", Token: v.Token,
				Body: `{"message":"Call me"}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "the offline form needs a message", Method: "POST", URL: "/widget/v1/offline", Token: v.Token,
				Body: `{"email":"ada@example.test","message":""}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "the offline form opens a ticket", Method: "POST", URL: "/widget/v1/offline", Token: v.Token,
				Body: `{"name":"Ada","email":"ada@example.test","message":"Call me"}`, ExpectedStatus: 201, ExpectedContent: []string{`"ticket_number":1`}},
			{Name: "the ticket is linked to the conversation", Method: "GET", URL: "/api/v1/conversations/" + v.ConversationID + "/tickets",
				Token: e.OwnerToken, ExpectedStatus: 200, ExpectedContent: []string{`"source":"offline_form"`, "Call me"}},
			{Name: "the contact got the name and email", Method: "GET", URL: "/api/v1/conversations/" + v.ConversationID,
				Token: e.OwnerToken, ExpectedStatus: 200, ExpectedContent: []string{`"email":"ada@example.test"`, `"name":"Ada"`}},
			{Name: "an admin may answer as the bot", Method: "POST", URL: "/api/v1/conversations/" + v.ConversationID + "/bot-reply",
				Token: e.OwnerToken, Body: `{"content":"Bot here"}`, ExpectedStatus: 200, ExpectedContent: []string{`"last_message":"Bot here"`}},
			{Name: "a bot answer needs content or a handoff", Method: "POST", URL: "/api/v1/conversations/" + v.ConversationID + "/bot-reply",
				Token: e.OwnerToken, Body: `{}`, ExpectedStatus: 400, ExpectedCode: "invalid"},
			{Name: "the visitor sees the bot's answer", Method: "GET", URL: "/widget/v1/messages", Token: v.Token, ExpectedStatus: 200,
				ExpectedContent: []string{`"type":"bot_message"`, "Bot here"}},
		})
	})
}
