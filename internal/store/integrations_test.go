package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/baton-chat/baton/internal/webhooks/webhookstest"
)

// fakeJobs records the jobs enqueued by committed transactions' hooks.
type fakeJobs = storetest.Jobs

// withIntegrations gives e's database a fake job queue and the webhooks' hook.
func withIntegrations(e *env) *fakeJobs { return webhookstest.WithHook(e.db) }

// desk returns a context acting as an integration token of e's account with scopes.
func (e *env) desk(t *testing.T, scopes ...baton.Scope) context.Context {
	t.Helper()
	tok, err := e.db.CreateToken(e.ctx, "Desk", scopes)
	if err != nil {
		t.Fatalf("CreateToken = %v", err)
	}
	a, err := e.db.Authenticate(context.Background(), tok.Token)
	if err != nil {
		t.Fatalf("Authenticate = %v", err)
	}
	return baton.NewContextWithActor(context.Background(), a)
}

// integrationDeliveries lists the handover and message deliveries, oldest first.
func (e *env) integrationDeliveries(t *testing.T) []*baton.WebhookDelivery {
	return webhookstest.IntegrationDeliveries(t, e.ctx, e.db)
}

// payload returns a delivery's stored body as a map.
func (e *env) payload(t *testing.T, id string) map[string]any {
	return webhookstest.Payload(t, e.db, id)
}

// namedVisitor opens a widget session with a name.
func (e *env) namedVisitor(t *testing.T, name string) (*baton.VisitorSession, *baton.Visitor) {
	t.Helper()
	s, err := e.db.OpenSession(context.Background(), baton.VisitorSessionCreate{Chatbot: e.bot.Slug, Name: name})
	if err != nil {
		t.Fatalf("OpenSession = %v", err)
	}
	v, err := e.db.AuthenticateVisitor(context.Background(), s.Token)
	if err != nil {
		t.Fatalf("AuthenticateVisitor = %v", err)
	}
	return s, v
}

var referenceFields = []string{"attachedMedia", "reply", "botId", "direction", "extractedData", "lastName", "sessionId",
	"customVariables", "from", "firstName", "to", "replyData", "moduleId", "botTrainedModelId"}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestExternalHandoverListenMode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		jobs := withIntegrations(e)
		if _, err := db.UpdateChatbot(e.ctx, e.bot.Slug, baton.ChatbotUpdate{HandoverWebhookURL: ptr("https://desk.example/handover"),
			MessageWebhookURL: ptr("https://desk.example/messages")}); err != nil {
			t.Fatal(err)
		}
		desk := e.desk(t, baton.ScopeHandover)
		sess, v := e.namedVisitor(t, "Vera Lynn")
		execSQL(t, db, `UPDATE contacts SET attributes = $1, email = $2 WHERE session_id = $3`, `{"plan":"pro"}`, "vera@example.com", sess.SessionID)
		conv := sess.ConversationID
		e.say(t, v, "My order A-48213 arrived broken.")
		if n := jobs.Count("bot_reply"); n != 1 {
			t.Fatalf("bot replies enqueued = %d, want 1", n)
		}

		// The bot hands off (nobody online: offline): the handover webhook gets the
		// reference body.
		if _, err := db.ApplyBotAnswer(context.Background(), e.account.ID, conv, store.BotAnswer{Content: "Let me find a person.",
			Handoff: true, Reason: "The visitor asked for a person."}); err != nil {
			t.Fatal(err)
		}
		ds := e.integrationDeliveries(t)
		if len(ds) != 1 || ds[0].Kind != baton.DeliveryKindHandover || ds[0].URL != "https://desk.example/handover" ||
			ds[0].Status != baton.WebhookPending || ds[0].MaxAttempts != 4 {
			t.Fatalf("deliveries after the handoff = %+v, want one pending handover delivery of 4 attempts", ds)
		}
		body := e.payload(t, ds[0].ID)
		want := slices.Clone(referenceFields)
		sort.Strings(want)
		if got := keys(body); !slices.Equal(got, want) {
			t.Errorf("handover body fields = %v, want exactly %v", got, want)
		}
		for k, v := range map[string]any{"botId": "acme", "sessionId": sess.SessionID, "to": sess.SessionID, "firstName": "Vera",
			"lastName": "Lynn", "direction": "out", "from": "", "reply": "", "replyData": "", "moduleId": "", "botTrainedModelId": "",
			"attachedMedia": ""} {
			if body[k] != v {
				t.Errorf("handover body %s = %v, want %v", k, body[k], v)
			}
		}
		if cv, _ := body["customVariables"].(map[string]any); cv["plan"] != "pro" {
			t.Errorf("customVariables = %v, want the contact's attributes", body["customVariables"])
		}
		if ed, _ := body["extractedData"].(map[string]any); ed["email"] != "vera@example.com" || ed["conversationId"] != conv ||
			ed["reason"] != "The visitor asked for a person." {
			t.Errorf("extractedData = %v, want the contact's email, the conversation and the reason", body["extractedData"])
		}

		// Not in listen mode yet: a visitor message goes nowhere.
		e.say(t, v, "Hello?")
		if n := len(e.integrationDeliveries(t)); n != 1 {
			t.Errorf("deliveries after a message outside listen mode = %d, want still 1", n)
		}

		// The desk takes over: status human, listen mode, no webhook to the desk itself.
		before := len(e.teamTypes(t, conv, 0))
		h, err := db.Takeover(desk, "acme", sess.SessionID)
		if err != nil {
			t.Fatalf("Takeover = %v", err)
		}
		if h.Status != baton.StatusHuman || !h.ListenMode || !h.Changed || h.ConversationID != conv || h.BotID != "acme" || h.SessionID != sess.SessionID {
			t.Errorf("Takeover = %+v, want human, listen mode, changed", h)
		}
		if got := e.find(t, conv); got.Status != baton.StatusHuman || got.Assignee != nil {
			t.Errorf("after Takeover the conversation is %s assigned to %v, want human and unassigned", got.Status, got.Assignee)
		}
		if types := e.teamTypes(t, conv, int64(before)); !sameSet(types, []string{"message_created", "conversation_updated"}) {
			t.Errorf("Takeover emitted %v, want the system message and the update", types)
		}
		snap := e.snapshot(t, conv)
		h, err = db.Takeover(desk, e.bot.ID, sess.SessionID) // by id this time
		if err != nil || h.Changed || !h.ListenMode || h.Status != baton.StatusHuman {
			t.Errorf("second Takeover = %+v, %v; want unchanged listen mode", h, err)
		}
		e.unchanged(t, snap, "a second Takeover")

		// In listen mode each visitor message goes to the message webhook; the bot is silent.
		m := e.say(t, v, "Are you there?")
		if n := jobs.Count("bot_reply"); n != 2 {
			t.Errorf("bot replies enqueued = %d, want still 2 (the bot is silent in listen mode)", n)
		}
		ds = e.integrationDeliveries(t)
		if len(ds) != 2 || ds[1].Kind != baton.DeliveryKindMessage || ds[1].URL != "https://desk.example/messages" {
			t.Fatalf("deliveries = %+v, want a message delivery", ds)
		}
		mb := e.payload(t, ds[1].ID)
		if mb["interlocutor"] != "user" || mb["message"] != "Are you there?" || mb["sessionId"] != sess.SessionID ||
			mb["userId"] != sess.SessionID || mb["botId"] != "acme" || mb["messageId"] != m.ID || mb["conversationId"] != conv {
			t.Errorf("message body = %v", mb)
		}

		// The desk writes: an agent message like a console reply.
		snap = e.snapshot(t, conv)
		reply, err := db.HandoverReply(desk, "acme", sess.SessionID, "Hello from Agent!", "")
		if err != nil {
			t.Fatalf("HandoverReply = %v", err)
		}
		if reply.Kind != baton.KindAgent || reply.Content != "Hello from Agent!" || reply.SenderName != "Olivia" || reply.SenderID != e.owner.ID {
			t.Errorf("HandoverReply = %+v, want an agent message of the token's owner", reply)
		}
		evs, _ := db.VisitorEvents(context.Background(), conv, snap.Conversation.LastVisitorSeq, 0)
		if len(evs) != 1 || evs[0].Type != baton.VisitorAgentMessage || evs[0].Data["content"] != "Hello from Agent!" || evs[0].Data["agent_name"] != "Olivia" {
			t.Errorf("the visitor saw %+v, want one agent_message from Olivia", evs)
		}
		if r, err := db.HandoverReply(desk, "acme", sess.SessionID, "Second line.", "Dana (Zendesk)"); err != nil || r.SenderName != "Dana (Zendesk)" {
			t.Errorf("HandoverReply with agent_name = %+v, %v", r, err)
		}
		_, err = db.HandoverReply(desk, "acme", sess.SessionID, "  ", "")
		wantCode(t, err, baton.EINVALID, "HandoverReply(blank)")

		// The desk ends the handover: the bot answers again.
		h, err = db.EndHandover(desk, "acme", sess.SessionID)
		if err != nil || h.Status != baton.StatusBot || h.ListenMode || !h.Changed {
			t.Fatalf("EndHandover = %+v, %v; want bot, changed", h, err)
		}
		if types := e.visitorTypes(t, conv, e.snapshot(t, conv).Conversation.LastVisitorSeq-2); !slices.Contains(types, baton.VisitorHandoffEnded) {
			t.Errorf("the visitor's last events = %v, want handoff_ended", types)
		}
		if h, err := db.EndHandover(desk, "acme", sess.SessionID); err != nil || h.Changed {
			t.Errorf("second EndHandover = %+v, %v; want unchanged", h, err)
		}
		e.say(t, v, "Thanks, one more question")
		if n := jobs.Count("bot_reply"); n != 3 {
			t.Errorf("bot replies enqueued = %d, want 3 (the bot answers again)", n)
		}
		if n := len(e.integrationDeliveries(t)); n != 2 {
			t.Errorf("deliveries after the handover ended = %d, want still 2", n)
		}
		_, err = db.HandoverReply(desk, "acme", sess.SessionID, "Too late.", "")
		wantCode(t, err, baton.ECONFLICT, "HandoverReply after the handover ended")

		// Unknown chatbot or visitor, and another account's desk: not found, nothing changed.
		snap = e.snapshot(t, conv)
		other := e.otherAccount(t)
		otherDesk := other.desk(t, baton.ScopeHandover)
		for name, call := range map[string]func() error{
			"unknown bot":      func() error { _, err := db.Takeover(desk, "nope", sess.SessionID); return err },
			"unknown visitor":  func() error { _, err := db.Takeover(desk, "acme", "web:nobody"); return err },
			"empty visitor":    func() error { _, err := db.Takeover(desk, "acme", ""); return err },
			"other account":    func() error { _, err := db.Takeover(otherDesk, "acme", sess.SessionID); return err },
			"other account id": func() error { _, err := db.Takeover(otherDesk, e.bot.ID, sess.SessionID); return err },
			"other's reply": func() error {
				_, err := db.HandoverReply(otherDesk, "acme", sess.SessionID, "hi", "")
				return err
			},
			"other's end": func() error { _, err := db.EndHandover(otherDesk, "acme", sess.SessionID); return err },
		} {
			wantCode(t, call(), baton.ENOTFOUND, "%s", name)
		}
		e.unchanged(t, snap, "calls with unknown or foreign ids")
	})
}

func TestExternalHandoverEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		withIntegrations(e)
		if _, err := db.UpdateChatbot(e.ctx, e.bot.Slug, baton.ChatbotUpdate{HandoverWebhookURL: ptr("https://desk.example/handover")}); err != nil {
			t.Fatal(err)
		}
		desk := e.desk(t, baton.ScopeHandover)

		t.Run("a takeover from the bot tells the visitor and calls no webhook", func(t *testing.T) {
			sess, v := e.namedVisitor(t, "Bo")
			e.say(t, v, "hi")
			after := e.snapshot(t, sess.ConversationID).Conversation.LastVisitorSeq
			if _, err := db.Takeover(desk, "acme", sess.SessionID); err != nil {
				t.Fatal(err)
			}
			if types := e.visitorTypes(t, sess.ConversationID, after); !slices.Contains(types, baton.VisitorHandoffStarted) ||
				!slices.Contains(types, baton.VisitorStatus) {
				t.Errorf("the visitor saw %v, want handoff_started and status", types)
			}
			for _, d := range e.integrationDeliveries(t) {
				if d.Kind == baton.DeliveryKindHandover {
					t.Errorf("the desk's own takeover called the handover webhook: %+v", d)
				}
			}
		})

		t.Run("a conversation a teammate handles is not the desk's", func(t *testing.T) {
			id, _ := e.conversationIn(t, baton.StatusHuman)
			conv := e.find(t, id)
			snap := e.snapshot(t, id)
			_, err := db.Takeover(desk, "acme", conv.Contact.SessionID)
			wantCode(t, err, baton.ECONFLICT, "Takeover(human)")
			_, err = db.EndHandover(desk, "acme", conv.Contact.SessionID)
			wantCode(t, err, baton.ECONFLICT, "EndHandover(human, not listen mode)")
			e.unchanged(t, snap, "refused handover calls")
			// Replying is allowed in status human, as the API's agent reply.
			if _, err := db.HandoverReply(desk, "acme", conv.Contact.SessionID, "Desk here.", ""); err != nil {
				t.Errorf("HandoverReply(human) = %v", err)
			}
		})

		t.Run("a closed conversation cannot be taken over", func(t *testing.T) {
			id, _ := e.conversationIn(t, baton.StatusClosed)
			conv := e.find(t, id)
			_, err := db.Takeover(desk, "acme", conv.Contact.SessionID)
			wantCode(t, err, baton.ECONFLICT, "Takeover(closed)")
		})

		t.Run("a joined conversation taken over frees the agent", func(t *testing.T) {
			id, _ := e.conversationIn(t, baton.StatusWaiting)
			conv := e.find(t, id)
			if conv.Assignee == nil {
				t.Fatal("a joined conversation has no assignee")
			}
			if _, err := db.Takeover(desk, "acme", conv.Contact.SessionID); err != nil {
				t.Fatal(err)
			}
			if got := e.find(t, id); got.Status != baton.StatusHuman || got.Assignee != nil {
				t.Errorf("after Takeover: %s, assignee %v; want human, unassigned", got.Status, got.Assignee)
			}
		})

		t.Run("Return to AI from the console ends listen mode", func(t *testing.T) {
			sess, v := e.namedVisitor(t, "Cy")
			e.say(t, v, "hi")
			if _, err := db.Takeover(desk, "acme", sess.SessionID); err != nil {
				t.Fatal(err)
			}
			e.act(t, sess.ConversationID, baton.ActionRequest{Action: baton.ActionRelease})
			h, err := db.Takeover(desk, "acme", sess.SessionID)
			if err != nil || !h.Changed {
				t.Errorf("Takeover after the console's release = %+v, %v; want a new takeover", h, err)
			}
		})

		t.Run("the account's message webhook stands in for the chatbot's", func(t *testing.T) {
			if _, err := webhooks.UpdateIntegrationSettings(e.ctx, db, ptr("https://crm.example/in")); err != nil {
				t.Fatal(err)
			}
			sess, v := e.namedVisitor(t, "Di")
			e.say(t, v, "hi")
			if _, err := db.Takeover(desk, "acme", sess.SessionID); err != nil {
				t.Fatal(err)
			}
			e.say(t, v, "anyone?")
			ds := e.integrationDeliveries(t)
			last := ds[len(ds)-1]
			if last.Kind != baton.DeliveryKindMessage || last.URL != "https://crm.example/in" {
				t.Errorf("last delivery = %+v, want a message to the account's webhook", last)
			}
		})
	})
}

func TestAnalysisStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		jobs := withIntegrations(e)
		for name, fs := range map[string][]baton.AnalysisField{
			"a bad name":    {{Name: "Order Number", Type: baton.FieldString}},
			"a bad type":    {{Name: "order", Type: "uuid"}},
			"a duplicate":   {{Name: "order", Type: baton.FieldString}, {Name: "order", Type: baton.FieldString}},
			"a bad pattern": {{Name: "order", Type: baton.FieldString, Pattern: "(["}},
			"too many": func() []baton.AnalysisField {
				var out []baton.AnalysisField
				for i := range store.MaxAnalysisFields + 1 {
					out = append(out, baton.AnalysisField{Name: "f" + string(rune('a'+i)), Type: baton.FieldString})
				}
				return out
			}(),
		} {
			_, err := db.SetAnalysisFields(e.ctx, "acme", fs)
			wantCode(t, err, baton.EINVALID, "SetAnalysisFields with %s", name)
		}
		want := []baton.AnalysisField{{Name: "order_number", Type: baton.FieldString, Description: "The order number.", Pattern: `[A-Z]-\d+`},
			{Name: "email", Type: baton.FieldEmail}, {Name: "budget", Type: ""}}
		got, err := db.SetAnalysisFields(e.ctx, e.bot.ID, want)
		if err != nil || len(got) != 3 || got[0] != want[0] || got[2].Type != baton.FieldString {
			t.Fatalf("SetAnalysisFields = %+v, %v", got, err)
		}
		other := e.otherAccount(t)
		_, err = db.AnalysisFields(other.ctx, "acme")
		wantCode(t, err, baton.ENOTFOUND, "AnalysisFields of another account's chatbot")
		_, err = db.SetAnalysisFields(other.ctx, e.bot.ID, nil)
		wantCode(t, err, baton.ENOTFOUND, "SetAnalysisFields of another account's chatbot")

		id, _ := e.conversationIn(t, baton.StatusBot)
		_, err = db.FindAnalysis(e.ctx, id)
		wantCode(t, err, baton.ENOTFOUND, "FindAnalysis before any")
		an, err := db.RequestAnalysis(e.ctx, id)
		if err != nil || an.Status != baton.AnalysisPending || an.Reason != baton.AnalysisOnDemand || jobs.Count("conversation_analysis") != 1 {
			t.Fatalf("RequestAnalysis = %+v, %v", an, err)
		}
		_, err = db.RequestAnalysis(other.ctx, id)
		wantCode(t, err, baton.ENOTFOUND, "RequestAnalysis of another account's conversation")
		_, err = db.FindAnalysis(other.ctx, id)
		wantCode(t, err, baton.ENOTFOUND, "FindAnalysis of another account's conversation")

		in, err := db.AnalysisInput(context.Background(), e.account.ID, id)
		if err != nil || len(in.Fields) != 3 || len(in.Transcript) != 1 || in.Transcript[0].Kind != baton.KindVisitor {
			t.Fatalf("AnalysisInput = %+v, %v", in, err)
		}

		// A finished analysis after closing goes out with conversation.closed.
		w, err := webhooks.Create(e.ctx, db, baton.WebhookInput{URL: "https://hooks.example/closed", Events: []string{baton.WebhookConversationClosed}})
		if err != nil {
			t.Fatal(err)
		}
		closed := e.act(t, id, baton.ActionRequest{Action: baton.ActionClose})
		result := &baton.Analysis{ConversationID: id, Status: baton.AnalysisDone, Reason: baton.AnalysisOnClose, Engine: baton.EngineBuiltin,
			Summary: "The visitor needed help with an order.", Sentiment: baton.SentimentScore{Label: "neutral", Score: 0.1},
			Fields: []baton.ExtractedField{{Name: "order_number", Type: baton.FieldString, Value: "A-1"}}, Attempts: 1}
		if err := db.SaveAnalysis(context.Background(), e.account.ID, result, true); err != nil {
			t.Fatal(err)
		}
		got2, err := db.FindAnalysis(e.ctx, id)
		if err != nil || got2.Status != baton.AnalysisDone || got2.Summary != result.Summary || got2.CompletedAt == nil ||
			len(got2.Fields) != 1 || got2.Fields[0].Value != "A-1" || got2.Entities.Emails == nil {
			t.Errorf("FindAnalysis = %+v, %v", got2, err)
		}
		p, _ := webhooks.ListDeliveries(e.ctx, db, w.ID, "", 10)
		if len(p.Deliveries) != 1 || p.Deliveries[0].Event != baton.WebhookConversationClosed {
			t.Fatalf("conversation.closed deliveries = %+v", p.Deliveries)
		}
		body := e.payload(t, p.Deliveries[0].ID)
		data, _ := body["data"].(map[string]any)
		conv, _ := data["conversation"].(map[string]any)
		analysis, _ := data["analysis"].(map[string]any)
		if conv["status"] != "closed" || analysis["summary"] != result.Summary {
			t.Errorf("conversation.closed data = %v, want the closed conversation and its analysis", data)
		}

		// The team is told, in the conversation's stream; the visitor is not.
		evs, err := db.Events(context.Background(), id, closed.LastSeq, 0)
		if err != nil || len(evs) != 1 || evs[0].Type != baton.EventAnalysisUpdated || evs[0].Seq != closed.LastSeq+1 ||
			evs[0].VisitorSeq != 0 || evs[0].VisitorType != "" || evs[0].AccountID != e.account.ID {
			t.Fatalf("events after the analysis = %+v, %v; want one team-only analysis_updated", evs, err)
		}
		var told baton.Analysis
		if err := json.Unmarshal(evs[0].Payload, &told); err != nil || told.ConversationID != id || told.Status != baton.AnalysisDone ||
			told.Summary != result.Summary || !told.RequestedAt.Equal(got2.RequestedAt) {
			t.Errorf("analysis_updated payload = %s, want the stored analysis", evs[0].Payload)
		}
		if c, _ := db.FindConversation(e.ctx, id); c.LastSeq != evs[0].Seq {
			t.Errorf("the conversation's last_seq = %d, want %d", c.LastSeq, evs[0].Seq)
		}
		vevs, err := db.VisitorEvents(context.Background(), id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(vevs) == 0 {
			t.Fatal("the visitor sees no event at all: the check below would prove nothing")
		}
		for _, v := range vevs {
			if b, _ := json.Marshal(v); strings.Contains(string(b), `"summary"`) || v.Type == baton.EventAnalysisUpdated {
				t.Errorf("the visitor sees %s", b)
			}
		}

		// Failing for good: only a pending analysis, only in its own account; the earlier
		// result stays, the team is told, conversation.closed goes out with it.
		wantCode(t, db.FailAnalysis(context.Background(), other.account.ID, id, "The analysis failed.", 2, true), baton.ENOTFOUND,
			"FailAnalysis with another account")
		if err := db.FailAnalysis(context.Background(), e.account.ID, id, "The analysis failed.", 2, true); err != nil {
			t.Fatal(err)
		}
		if evs, _ := db.Events(context.Background(), id, evs[0].Seq, 0); len(evs) != 0 {
			t.Errorf("FailAnalysis of a done analysis emitted %+v, want nothing", evs)
		}
		if _, err := db.RequestAnalysis(e.ctx, id); err != nil {
			t.Fatal(err)
		}
		before, _ := db.FindConversation(e.ctx, id)
		if err := db.FailAnalysis(context.Background(), e.account.ID, id, "The analysis failed.", 2, true); err != nil {
			t.Fatal(err)
		}
		failed, err := db.FindAnalysis(e.ctx, id)
		if err != nil || failed.Status != baton.AnalysisFailed || failed.Error != "The analysis failed." || failed.Attempts != 2 ||
			failed.Summary != result.Summary || failed.CompletedAt == nil {
			t.Errorf("FindAnalysis after FailAnalysis = %+v, %v; want failed with the earlier result kept", failed, err)
		}
		evs, _ = db.Events(context.Background(), id, before.LastSeq, 0)
		if len(evs) != 1 || evs[0].Type != baton.EventAnalysisUpdated || evs[0].VisitorSeq != 0 || !strings.Contains(string(evs[0].Payload), `"status":"failed"`) {
			t.Errorf("events after FailAnalysis = %+v, want one team-only analysis_updated, failed", evs)
		}
		p, _ = webhooks.ListDeliveries(e.ctx, db, w.ID, "", 10)
		statuses := map[any]int{}
		for _, dl := range p.Deliveries {
			data, _ := e.payload(t, dl.ID)["data"].(map[string]any)
			an, _ := data["analysis"].(map[string]any)
			statuses[an["status"]]++
		}
		if len(p.Deliveries) != 2 || statuses["done"] != 1 || statuses["failed"] != 1 {
			t.Errorf("conversation.closed deliveries carry analyses %v, want one done and one failed", statuses)
		}
	})
}

func TestTokenLastUsed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		tok, err := db.CreateToken(e.ctx, "CRM", []baton.Scope{baton.ScopeRead})
		if err != nil {
			t.Fatal(err)
		}
		lastUsed := func() *time.Time {
			list, err := db.ListTokens(e.ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("ListTokens = %+v, %v", list, err)
			}
			return list[0].LastUsedAt
		}
		if lastUsed() != nil {
			t.Fatal("a new token has a last-used time")
		}
		use := func() {
			if _, err := db.Authenticate(context.Background(), tok.Token); err != nil {
				t.Fatal(err)
			}
		}
		use()
		first := lastUsed()
		if first == nil || !first.Equal(start) {
			t.Fatalf("last used = %v, want %v", first, start)
		}
		e.clock.Add(30 * time.Second)
		use()
		if got := lastUsed(); !got.Equal(start) {
			t.Errorf("last used after a use within the minute = %v, want still %v", got, start)
		}
		e.clock.Add(2 * time.Minute)
		use()
		if got := lastUsed(); !got.Equal(start.Add(150 * time.Second)) {
			t.Errorf("last used = %v, want %v", got, start.Add(150*time.Second))
		}
	})
}
