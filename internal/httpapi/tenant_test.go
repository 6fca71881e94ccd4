package httpapi_test

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
)

// tenantIDs are the ids a route's path parameters take, in one account.
type tenantIDs struct {
	Conversation, User, Chatbot, ChatbotSlug, Token, VisitorSession, Knowledge, Ticket string
	Label, Queue, Canned, Notification, Attachment, Contact                            string
}

// pathValue gives a path parameter its value among ids, by its name and the segment
// before it; ok is false for a parameter this test does not know yet.
func (ids tenantIDs) pathValue(prev, name string) (string, bool) {
	switch name {
	case "id":
		switch prev {
		case "conversations":
			return ids.Conversation, true
		case "users":
			return ids.User, true
		case "tokens":
			return ids.Token, true
		case "knowledge":
			return ids.Knowledge, true
		case "tickets":
			return ids.Ticket, true
		case "labels":
			return ids.Label, true
		case "queues":
			return ids.Queue, true
		case "canned-responses":
			return ids.Canned, true
		case "notifications":
			return ids.Notification, true
		case "attachments":
			return ids.Attachment, true
		case "contacts":
			return ids.Contact, true
		}
	case "chatbot", "botId", "bot":
		return ids.Chatbot, true
	case "userId":
		return ids.VisitorSession, true
	case "action":
		return "join", true
	case "kind":
		return "telegram", true
	}
	return "", false
}

var pathParam = regexp.MustCompile(`^\{(\w+?)(\.\.\.)?\}$`)

// fill puts ids into a route's path; ok is false when a parameter is unknown.
func (ids tenantIDs) fill(path string) (string, string, bool) {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == "{$}" {
			segs[i] = ""
			continue
		}
		m := pathParam.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		v, ok := ids.pathValue(prev, m[1])
		if !ok {
			return "", m[1], false
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/"), "", true
}

// isolationBodies are valid bodies for the routes that need one, so that a 404 can only
// come from the id. Routes not listed get {} (or no body for GET and DELETE).
var isolationBodies = map[string]any{
	"PATCH /api/v1/conversations/{id}":                    `{"priority":"urgent","tags":["hacked"]}`,
	"POST /api/v1/conversations/{id}/bot-reply":           `{"content":"hacked"}`,
	"POST /api/v1/conversations/{id}/tickets":             `{"subject":"hacked"}`,
	"POST /api/v1/chatbots/{chatbot}/knowledge":           `{"question":"hacked?","answer":"hacked"}`,
	"PUT /api/v1/chatbots/{chatbot}/knowledge/{id}":       `{"question":"hacked?","answer":"hacked"}`,
	"PATCH /api/v1/tickets/{id}":                          `{"subject":"hacked","status":"solved"}`,
	"PATCH /api/v1/labels/{id}":                           `{"name":"hacked"}`,
	"PATCH /api/v1/queues/{id}":                           `{"name":"hacked"}`,
	"PATCH /api/v1/canned-responses/{id}":                 `{"content":"hacked"}`,
	"POST /api/v1/conversations/{id}/messages":            `{"content":"hacked","private":true}`,
	"PUT /api/v1/conversations/{id}/status":               `{"status":"closed"}`,
	"PATCH /api/v1/users/{id}":                            `{"first_name":"Hacked","capacity":0}`,
	"PATCH /api/v1/chatbots/{chatbot}":                    `{"name":"Hacked","handover_webhook_url":"https://evil.example/"}`,
	"PUT /api/v1/chatbots/{chatbot}/channels/{kind}":      `{"bot_token":"123:hacked","webhook_secret":"hacked"}`,
	"POST /webbot/api/webchat/{botId}/handover/{userId}/": `{"message":"Hello from Agent!"}`,
}

// isolationExempt are routes with ids that no account's credentials reach: inbound
// channel webhooks, authenticated by the channel's own secret.
func isolationExempt(path string) bool { return strings.HasPrefix(path, "/hooks/") }

// TestTenantIsolation calls every route that takes an id with another account's ids: each
// is 404 and changes nothing there; lists and searches never show the other account (K1).
func TestTenantIsolation(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// The other account: Globex, with its owner, an agent, a token, a tagged
		// conversation handled by the agent, holding a word nobody else wrote.
		globex, globexBot, err := e.DB.CreateAccount(ctx, "Globex", "globex", "Globex Bot")
		if err != nil {
			t.Fatal(err)
		}
		gOwner, gOwnerTok := e.newUser(t, globex.ID, "owner@globex.test", baton.RoleOwner)
		gAgent, gAgentTok := e.newUser(t, globex.ID, "agent@globex.test", baton.RoleAgent)
		gToken := e.newToken(t, gOwner, "globex-desk", baton.ScopeRead, baton.ScopeWrite, baton.ScopeHandover)
		gv := e.openVisitor(t, "globex", "Zed Globex", "Where is my zanzibarquux order?")
		e.handOff(t, gAgentTok, gv.ConversationID)
		e.do(t, req{Method: "PATCH", URL: "/api/v1/conversations/" + gv.ConversationID, Token: gOwnerTok,
			Body: `{"tags":["globex-vip"]}`}).wantStatus(t, http.StatusOK)
		gKnowledge := e.do(t, req{Method: "POST", URL: "/api/v1/chatbots/globex/knowledge", Token: gOwnerTok,
			Body: `{"question":"What is a zanzibarquux?","answer":"Globex's finest."}`}).wantStatus(t, http.StatusCreated).jsonMap(t)
		gTicket := e.do(t, req{Method: "POST", URL: "/api/v1/conversations/" + gv.ConversationID + "/tickets", Token: gOwnerTok,
			Body: `{"subject":"Find the zanzibarquux"}`}).wantStatus(t, http.StatusCreated).jsonMap(t)
		other := tenantIDs{Conversation: gv.ConversationID, User: gAgent.ID, Chatbot: globexBot.ID, ChatbotSlug: globexBot.Slug,
			Token: gToken.ID, VisitorSession: gv.SessionID, Knowledge: gKnowledge["id"].(string), Ticket: gTicket["id"].(string)}
		other.Label, other.Queue, other.Canned, other.Notification = e.workflowIDs(t, gOwnerTok, gOwnerTok, gAgentTok, gv.ConversationID, "Globex", "@Agent")

		// This account: Acme, seen by its owner.
		agent, agentTok := e.newUser(t, e.Account.ID, "ana@acme.test", baton.RoleAgent)
		desk := e.newToken(t, e.Owner, "acme-desk", baton.ScopeRead, baton.ScopeWrite, baton.ScopeHandover)
		spare := e.newToken(t, e.Owner, "acme-spare", baton.ScopeRead)
		av := e.openVisitor(t, "demo", "Ada Acme", "Hello from Acme")
		aKnowledge := e.do(t, req{Method: "POST", URL: "/api/v1/chatbots/demo/knowledge", Token: e.OwnerToken,
			Body: `{"question":"Opening hours?","answer":"Nine to five."}`}).wantStatus(t, http.StatusCreated).jsonMap(t)
		aTicket := e.do(t, req{Method: "POST", URL: "/api/v1/tickets", Token: e.OwnerToken,
			Body: `{"subject":"Acme follow-up"}`}).wantStatus(t, http.StatusCreated).jsonMap(t)
		own := tenantIDs{Conversation: av.ConversationID, User: agent.ID, Chatbot: e.Bot.ID, ChatbotSlug: e.Bot.Slug,
			Token: spare.ID, VisitorSession: av.SessionID, Knowledge: aKnowledge["id"].(string), Ticket: aTicket["id"].(string)}
		// The notification is the owner's: a note of Ana's mentions them.
		own.Label, own.Queue, own.Canned, own.Notification = e.workflowIDs(t, e.OwnerToken, agentTok, e.OwnerToken, av.ConversationID, "Acme", "@Owner")
		other.Attachment = e.visitorFile(t, gv.Token)
		own.Attachment = e.visitorFile(t, av.Token)
		// This account's contact is one of its own (DELETE erases it).
		other.Contact = e.contactOf(t, gOwnerTok, gv.ConversationID)
		own.Contact = e.contactOf(t, e.OwnerToken, e.openVisitor(t, "demo", "Erin Erasable", "Hello again").ConversationID)

		globexState := func() map[string]string {
			get := func(u string) string {
				return string(e.do(t, req{Method: "GET", URL: u, Token: gOwnerTok}).wantStatus(t, http.StatusOK).Body)
			}
			c := "/api/v1/conversations/" + gv.ConversationID
			return map[string]string{
				"conversation": get(c), "messages": get(c + "/messages?limit=200"), "events": get(c + "/events"),
				"chatbot": get("/api/v1/chatbots/" + globexBot.ID), "users": get("/api/v1/users"), "tokens": get("/api/v1/tokens"),
				"knowledge": get("/api/v1/chatbots/globex/knowledge"), "tickets": get("/api/v1/tickets"),
				"labels": get("/api/v1/labels"), "queues": get("/api/v1/queues"), "canned": get("/api/v1/canned-responses"),
				"notifications": string(e.do(t, req{Method: "GET", URL: "/api/v1/notifications", Token: gAgentTok}).wantStatus(t, http.StatusOK).Body),
			}
		}
		before := globexState()

		// Deletions go last, so that the checks with this account's ids find what they use.
		routes := slices.Clone(e.API.Routes())
		slices.SortStableFunc(routes, func(a, b string) int {
			return cmp.Compare(b2i(strings.HasPrefix(a, "DELETE ")), b2i(strings.HasPrefix(b, "DELETE ")))
		})
		for _, route := range routes {
			method, path, hasMethod := strings.Cut(route, " ")
			if !hasMethod || !strings.Contains(path, "{") {
				continue
			}
			if isolationExempt(path) {
				continue
			}
			t.Run(route, func(t *testing.T) {
				token := e.OwnerToken
				if strings.HasPrefix(path, "/webbot/") {
					token = desk.Token
				}
				if strings.HasPrefix(path, "/widget/") {
					token = av.Token // this account's visitor
				}
				body := isolationBodies[route]
				if body == nil && method != "GET" && method != "DELETE" {
					body = `{}`
				}
				otherURL, unknown, ok := other.fill(path)
				if !ok {
					t.Fatalf("route %s has a path parameter {%s} this test does not know: teach tenantIDs.pathValue "+
						"(and isolationBodies) how to call it with another account's id", route, unknown)
				}
				urls := []string{otherURL}
				if strings.Contains(path, "{chatbot}") || strings.Contains(path, "{botId}") {
					bySlug := other
					bySlug.Chatbot = other.ChatbotSlug
					u, _, _ := bySlug.fill(path)
					urls = append(urls, u)
				}
				if strings.Contains(path, "{action}") {
					for _, a := range baton.AgentActions[1:] {
						urls = append(urls, strings.Replace(otherURL, "/actions/join", "/actions/"+string(a), 1))
					}
				}
				for _, u := range urls {
					r := e.do(t, req{Method: method, URL: u, Token: token, Body: body})
					_, msg, _ := errorShape(r.Body)
					if r.Status != http.StatusNotFound || msg == "No such API route." {
						t.Errorf("%s %s with another account's id = %d %s, want 404 for the id", method, u, r.Status, truncate(r.Body))
					}
				}
				// The same request with this account's ids reaches the handler, so the 404 above
				// was the other account's id, not a malformed request.
				if strings.Contains(path, "/channels/") {
					return // configuring a channel calls the provider: not here
				}
				ownURL, _, _ := own.fill(path)
				if r := e.do(t, req{Method: method, URL: ownURL, Token: token, Body: body}); r.Status == http.StatusNotFound {
					t.Errorf("%s %s with this account's ids = 404 %s: the request itself is wrong", method, ownURL, r.Body)
				}
			})
		}

		after := globexState()
		for k := range before {
			if before[k] != after[k] {
				t.Errorf("the other account's %s changed:\nbefore %s\nafter  %s", k, truncate([]byte(before[k])), truncate([]byte(after[k])))
			}
		}
		e.do(t, req{Method: "GET", URL: "/api/v1/me", Token: gToken.Token}).wantStatus(t, http.StatusOK)

		t.Run("lists and searches", func(t *testing.T) {
			theirs := []string{gv.ConversationID, "zanzibarquux", "Zed Globex", "globex", "Globex", gAgent.ID, gOwner.ID, globexBot.ID, globex.ID,
				other.Knowledge, other.Ticket, other.Label, other.Queue, other.Canned, other.Notification}
			var labels struct {
				Labels []struct{ ID string } `json:"labels"`
			}
			e.do(t, req{Method: "GET", URL: "/api/v1/labels", Token: gOwnerTok}).wantStatus(t, http.StatusOK).decode(t, &labels)
			for _, l := range labels.Labels {
				theirs = append(theirs, l.ID)
			}
			tok := e.OwnerToken
			// The checks above deleted this account's queue and canned response: new ones.
			own.Queue = e.do(t, req{Method: "POST", URL: "/api/v1/queues", Token: tok, Body: `{"name":"Acme Queue 2"}`}).
				wantStatus(t, http.StatusCreated).jsonMap(t)["id"].(string)
			own.Canned = e.do(t, req{Method: "POST", URL: "/api/v1/canned-responses", Token: tok, Body: `{"shortcut":"acme2","content":"Hi"}`}).
				wantStatus(t, http.StatusCreated).jsonMap(t)["id"].(string)
			runScenarios(t, e, []scenario{
				{Name: "the conversation list", Method: "GET", URL: "/api/v1/conversations?limit=200", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{av.ConversationID}, NotExpectedContent: theirs},
				{Name: "a search for the other account's word", Method: "GET", URL: "/api/v1/conversations?q=zanzibarquux", Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"conversations":[]`}},
				{Name: "the same search in the other account finds it", Method: "GET", URL: "/api/v1/conversations?q=zanzibarquux", Token: gOwnerTok,
					ExpectedStatus: 200, ExpectedContent: []string{gv.ConversationID}},
				{Name: "a search for the other visitor's name", Method: "GET", URL: "/api/v1/conversations?q=Zed", Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"conversations":[]`}},
				{Name: "a search by number", Method: "GET", URL: "/api/v1/conversations?q=%231", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{av.ConversationID}, NotExpectedContent: theirs},
				{Name: "a filter by the other account's agent", Method: "GET", URL: "/api/v1/conversations?assignee=" + gAgent.ID, Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"conversations":[]`}},
				{Name: "a filter by the other account's tag", Method: "GET", URL: "/api/v1/conversations?tag=globex-vip", Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"conversations":[]`}},
				{Name: "a filter by status", Method: "GET", URL: "/api/v1/conversations?status=human", Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"conversations":[]`}},
				{Name: "the team", Method: "GET", URL: "/api/v1/users", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{"owner@acme.test"}, NotExpectedContent: append(theirs, "@globex.test")},
				{Name: "the chatbots", Method: "GET", URL: "/api/v1/chatbots", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{`"slug":"demo"`}, NotExpectedContent: theirs},
				{Name: "the labels", Method: "GET", URL: "/api/v1/labels", Token: tok, ExpectedStatus: 200, NotExpectedContent: theirs},
				{Name: "the tokens", Method: "GET", URL: "/api/v1/tokens", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{"acme-desk"}, NotExpectedContent: append(theirs, gToken.ID)},
				{Name: "the tickets", Method: "GET", URL: "/api/v1/tickets?limit=200", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{own.Ticket}, NotExpectedContent: theirs},
				{Name: "a ticket search for the other account's word", Method: "GET", URL: "/api/v1/tickets?q=zanzibarquux", Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"tickets":[]`}},
				{Name: "the same ticket search in the other account finds it", Method: "GET", URL: "/api/v1/tickets?q=zanzibarquux", Token: gOwnerTok,
					ExpectedStatus: 200, ExpectedContent: []string{other.Ticket}},
				{Name: "a ticket filter by the other account's agent", Method: "GET", URL: "/api/v1/tickets?assignee=" + gAgent.ID, Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"tickets":[]`}},
				{Name: "the chatbot's knowledge", Method: "GET", URL: "/api/v1/chatbots/demo/knowledge", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{`"question":`}, NotExpectedContent: theirs},
				{Name: "the widget's config of the other account's chatbot is public, without secrets", Method: "GET",
					URL: "/widget/v1/config?chatbot=globex", ExpectedStatus: 200, NotExpectedContent: []string{globex.ID, gOwner.ID, "webhook"}},
				{Name: "the tags", Method: "GET", URL: "/api/v1/tags", Token: tok, ExpectedStatus: 200, NotExpectedContent: theirs},
				{Name: "the queues", Method: "GET", URL: "/api/v1/queues", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{own.Queue}, NotExpectedContent: theirs},
				{Name: "the agents", Method: "GET", URL: "/api/v1/agents", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{"owner@acme.test"}, NotExpectedContent: append(theirs, "@globex.test")},
				{Name: "the canned responses", Method: "GET", URL: "/api/v1/canned-responses", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{own.Canned}, NotExpectedContent: theirs},
				{Name: "a canned search for the other account's word", Method: "GET", URL: "/api/v1/canned-responses?q=zanzibarquux", Token: tok,
					ExpectedStatus: 200, ExpectedContent: []string{`"canned_responses":[]`}},
				{Name: "the notifications", Method: "GET", URL: "/api/v1/notifications", Token: tok, ExpectedStatus: 200,
					ExpectedContent: []string{own.Notification}, NotExpectedContent: theirs},
				{Name: "the visitor's own messages", Method: "GET", URL: "/widget/v1/messages", Token: av.Token, ExpectedStatus: 200,
					NotExpectedContent: theirs},
			})
			var page struct {
				Conversations []conversationJSON `json:"conversations"`
			}
			e.do(t, req{Method: "GET", URL: "/api/v1/conversations?limit=200", Token: tok}).decode(t, &page)
			for _, c := range page.Conversations {
				if c.AccountID != e.Account.ID {
					t.Errorf("the list shows conversation %s of account %s", c.ID, c.AccountID)
				}
			}
		})

		t.Run("references to the other account in bodies", func(t *testing.T) {
			av := e.openVisitor(t, "demo", "Ann Acme", "Hello again")
			conv := "/api/v1/conversations/" + av.ConversationID
			snap := e.snapshot(t, e.OwnerToken, av.ConversationID)
			e.do(t, req{Method: "PATCH", URL: conv, Token: e.OwnerToken, Body: map[string]string{"assignee_id": gAgent.ID}}).
				wantError(t, http.StatusBadRequest, "invalid", "")
			e.do(t, req{Method: "PATCH", URL: conv, Token: e.OwnerToken, Body: map[string][]string{"collaborators": {gAgent.ID}}}).
				wantError(t, http.StatusBadRequest, "invalid", "")
			snap.mustEqual(t, e.snapshot(t, e.OwnerToken, av.ConversationID), "a PATCH naming the other account's agent")
			e.handOff(t, e.OwnerToken, av.ConversationID)
			snap = e.snapshot(t, e.OwnerToken, av.ConversationID)
			e.do(t, req{Method: "POST", URL: conv + "/actions/transfer", Token: e.OwnerToken, Body: map[string]string{"agent_id": gAgent.ID}}).
				wantError(t, http.StatusNotFound, "not_found", "")
			snap.mustEqual(t, e.snapshot(t, e.OwnerToken, av.ConversationID), "a transfer to the other account's agent")
			tickets := string(e.do(t, req{Method: "GET", URL: "/api/v1/tickets", Token: e.OwnerToken}).wantStatus(t, http.StatusOK).Body)
			e.do(t, req{Method: "POST", URL: "/api/v1/tickets", Token: e.OwnerToken,
				Body: map[string]any{"subject": "link theirs", "conversation_ids": []string{gv.ConversationID}}}).wantError(t, http.StatusNotFound, "not_found", "")
			e.do(t, req{Method: "POST", URL: "/api/v1/tickets", Token: e.OwnerToken,
				Body: map[string]any{"subject": "assign theirs", "assignee_id": gAgent.ID}}).wantError(t, http.StatusBadRequest, "invalid", "")
			e.do(t, req{Method: "PATCH", URL: "/api/v1/tickets/" + own.Ticket, Token: e.OwnerToken,
				Body: map[string]any{"link_conversation_ids": []string{gv.ConversationID}}}).wantError(t, http.StatusNotFound, "not_found", "")
			e.do(t, req{Method: "PATCH", URL: "/api/v1/tickets/" + own.Ticket, Token: e.OwnerToken,
				Body: map[string]any{"assignee_id": gAgent.ID}}).wantError(t, http.StatusBadRequest, "invalid", "")
			if after := string(e.do(t, req{Method: "GET", URL: "/api/v1/tickets", Token: e.OwnerToken}).Body); after != tickets {
				t.Errorf("tickets naming the other account's ids changed the tickets:\nbefore %s\nafter  %s", tickets, after)
			}
			e.do(t, req{Method: "GET", URL: "/api/v1/canned-responses/" + own.Canned + "/render?conversation_id=" + gv.ConversationID,
				Token: e.OwnerToken}).wantError(t, http.StatusNotFound, "not_found", "")
			e.do(t, req{Method: "PATCH", URL: "/api/v1/queues/" + own.Queue, Token: e.OwnerToken,
				Body: map[string][]string{"member_ids": {gAgent.ID}}}).wantError(t, http.StatusBadRequest, "invalid", "")
			snap = e.snapshot(t, e.OwnerToken, av.ConversationID)
			r := e.do(t, req{Method: "POST", URL: conv + "/actions/transfer", Token: e.OwnerToken, Body: map[string]string{"queue_id": other.Queue}})
			if r.Status != http.StatusNotFound && r.Status != http.StatusBadRequest {
				t.Errorf("a transfer to the other account's queue = %d %s, want 404 (or 400)", r.Status, r.Body)
			}
			snap.mustEqual(t, e.snapshot(t, e.OwnerToken, av.ConversationID), "a transfer to the other account's queue")
			// And the other way round: Globex cannot reach Acme's conversation.
			e.do(t, req{Method: "GET", URL: conv, Token: gOwnerTok}).wantError(t, http.StatusNotFound, "not_found", "")
			e.do(t, req{Method: "GET", URL: conv + "/messages", Token: gToken.Token}).wantError(t, http.StatusNotFound, "not_found", "")
		})

		var c conversationJSON
		e.do(t, req{Method: "GET", URL: "/api/v1/conversations/" + gv.ConversationID, Token: gOwnerTok}).decode(t, &c)
		if b, _ := json.Marshal(c); c.Status != "human" || c.Assignee == nil || c.Assignee.ID != gAgent.ID {
			t.Errorf("the other account's conversation ended as %s, want human with its agent", b)
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// workflowIDs creates, as an account's admin, a label, a queue and a canned response
// named for the account, and has writer mention reader in a note of the conversation; it
// returns their ids and reader's notification id.
func (e *env) workflowIDs(t *testing.T, adminTok, writerTok, readerTok, convID, name, mention string) (label, queue, canned, notification string) {
	t.Helper()
	id := func(r resp) string {
		r.wantStatus(t, http.StatusCreated)
		s, _ := r.jsonMap(t)["id"].(string)
		return s
	}
	content := name + " says hi to {{first_name}}"
	if name == "Globex" {
		content += " zanzibarquux"
	}
	label = id(e.do(t, req{Method: "POST", URL: "/api/v1/labels", Token: adminTok, Body: map[string]string{"name": name + " Label", "color": "#123abc"}}))
	queue = id(e.do(t, req{Method: "POST", URL: "/api/v1/queues", Token: adminTok, Body: map[string]string{"name": name + " Queue"}}))
	canned = id(e.do(t, req{Method: "POST", URL: "/api/v1/canned-responses", Token: adminTok,
		Body: map[string]string{"shortcut": strings.ToLower(name), "content": content}}))
	e.do(t, req{Method: "POST", URL: "/api/v1/conversations/" + convID + "/messages", Token: writerTok,
		Body: map[string]any{"content": mention + " please look", "private": true}}).wantStatus(t, http.StatusCreated)
	var list struct {
		Notifications []struct{ ID string } `json:"notifications"`
	}
	e.do(t, req{Method: "GET", URL: "/api/v1/notifications", Token: readerTok}).wantStatus(t, http.StatusOK).decode(t, &list)
	if len(list.Notifications) == 0 {
		t.Fatalf("the mention %s in %s's conversation made no notification", mention, name)
	}
	return label, queue, canned, list.Notifications[0].ID
}
