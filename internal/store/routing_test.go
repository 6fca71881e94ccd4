package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/notify"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// online opens a console for u (the agent becomes online with a fresh heartbeat).
func (e *env) online(t *testing.T, u *baton.User) {
	t.Helper()
	if err := e.db.AgentConnected(context.Background(), e.account.ID, u.ID); err != nil {
		t.Fatalf("AgentConnected = %v", err)
	}
}

// handoff has a new visitor ask for a human; the conversation is routed at once.
func (e *env) handoff(t *testing.T) string {
	t.Helper()
	sess, v := e.visitor(t, "")
	e.say(t, v, "I need a person")
	if _, err := e.db.ApplyBotAnswer(context.Background(), e.account.ID, sess.ConversationID,
		store.BotAnswer{Handoff: true, Reason: "Visitor asked for a human"}); err != nil {
		t.Fatalf("ApplyBotAnswer = %v", err)
	}
	return sess.ConversationID
}

func assignee(c *baton.Conversation) string {
	if c.Assignee == nil {
		return ""
	}
	return c.Assignee.Name
}

func setCapacity(t *testing.T, e *env, u *baton.User, n int) {
	t.Helper()
	if _, err := e.db.UpdateUser(context.Background(), e.account.ID, u.ID, baton.UserUpdate{Capacity: &n}, ""); err != nil {
		t.Fatal(err)
	}
}

func TestRoutingOffersTheLeastLoadedEligibleAgent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ana := e.newUser(t, "ana@acme.test", "Ana", baton.RoleAgent)
		ben := e.newUser(t, "ben@acme.test", "Ben", baton.RoleAgent)
		setCapacity(t, e, ana, 2)
		setCapacity(t, e, ben, 2)
		e.online(t, ana)
		e.online(t, ben)

		first := e.find(t, e.handoff(t))
		if first.Status != baton.StatusWaiting || first.Assignee == nil {
			t.Fatalf("first handoff: status %s, assignee %q; want waiting, offered to someone", first.Status, assignee(first))
		}
		e.clock.Add(time.Second)
		second := e.find(t, e.handoff(t))
		if assignee(second) == assignee(first) || second.Assignee == nil {
			t.Fatalf("second handoff offered to %q after %q: want the other, less-loaded agent", assignee(second), assignee(first))
		}
		// Both agents hold one: the next goes to whoever waited longest since an offer.
		e.clock.Add(time.Second)
		third := e.find(t, e.handoff(t))
		if assignee(third) != assignee(first) {
			t.Fatalf("third handoff offered to %q, want %q (tie broken by longest idle)", assignee(third), assignee(first))
		}
		// The offered agent accepts: the conversation is theirs.
		var offered *baton.User
		for _, u := range []*baton.User{ana, ben} {
			if u.FirstName == assignee(third) {
				offered = u
			}
		}
		c := e.actAs(t, e.as(offered), third.ID, baton.ActionRequest{Action: baton.ActionAccept})
		if c.Status != baton.StatusHuman || assignee(c) != offered.FirstName {
			t.Fatalf("after accept: %s / %q", c.Status, assignee(c))
		}
	})
}

func TestRoutingWaitsWhenAllAreFullAndOffersTheMomentASeatFrees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ana := e.newUser(t, "ana@acme.test", "Ana", baton.RoleAgent)
		setCapacity(t, e, ana, 1)
		e.online(t, ana)
		held := e.handoff(t)
		if assignee(e.find(t, held)) != "Ana" {
			t.Fatal("the first handoff was not offered to the only agent")
		}
		e.clock.Add(time.Second)
		queued := e.handoff(t)
		e.clock.Add(time.Second)
		later := e.handoff(t)
		for _, id := range []string{queued, later} {
			if c := e.find(t, id); c.Status != baton.StatusWaiting || c.Assignee != nil {
				t.Fatalf("with every seat taken, %s is %s assigned to %q; want waiting, unassigned", id, c.Status, assignee(c))
			}
		}
		// Ana finishes: the oldest waiting conversation is offered to her at once.
		e.actAs(t, e.as(ana), held, baton.ActionRequest{Action: baton.ActionAccept})
		e.actAs(t, e.as(ana), held, baton.ActionRequest{Action: baton.ActionResolve})
		if c := e.find(t, queued); assignee(c) != "Ana" {
			t.Fatalf("after a seat freed, the oldest waiting conversation is assigned to %q, want Ana", assignee(c))
		}
		if c := e.find(t, later); c.Assignee != nil {
			t.Fatalf("the younger conversation jumped the queue: assigned to %q", assignee(c))
		}
		// Raising capacity frees a seat too.
		setCapacity(t, e, ana, 2)
		if c := e.find(t, later); assignee(c) != "Ana" {
			t.Fatalf("after raising capacity, assigned to %q, want Ana", assignee(c))
		}
	})
}

func TestRoutingNeverPicksAnIneligibleAgent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		offline := e.newUser(t, "off@acme.test", "Offline", baton.RoleAgent)
		away := e.newUser(t, "away@acme.test", "Away", baton.RoleAgent)
		full := e.newUser(t, "full@acme.test", "Full", baton.RoleAgent)
		outsider := e.newUser(t, "out@acme.test", "Outsider", baton.RoleAgent)
		member := e.newUser(t, "member@acme.test", "Member", baton.RoleAgent)
		_ = offline // never connects
		e.online(t, away)
		a := baton.AvailabilityAway
		if _, err := e.db.UpdateUser(context.Background(), e.account.ID, away.ID, baton.UserUpdate{Availability: &a}, ""); err != nil {
			t.Fatal(err)
		}
		setCapacity(t, e, full, 0)
		e.online(t, full)
		e.online(t, outsider)

		q, err := e.db.CreateQueue(e.ctx, store.QueueInput{Name: ptr("Billing"), MemberIDs: &[]string{away.ID, full.ID, offline.ID, member.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.SetChatbotQueue(e.ctx, e.bot.ID, q.ID); err != nil {
			t.Fatal(err)
		}
		id := e.handoff(t)
		if c := e.find(t, id); c.Assignee != nil || c.QueueID != q.ID {
			t.Fatalf("offered to %q (queue %q); no member is eligible: offline, away, full, and the online one is not a member", assignee(c), c.QueueID)
		}
		// The outsider cannot take it either; the member who comes online is offered it.
		if _, err := e.db.Act(e.as(outsider), id, baton.ActionRequest{Action: baton.ActionAccept}); baton.ErrorCode(err) != baton.EFORBIDDEN {
			t.Fatalf("accept by a non-member = %v, want forbidden", err)
		}
		e.online(t, member)
		if c := e.find(t, id); assignee(c) != "Member" {
			t.Fatalf("after the member came online, assigned to %q, want Member", assignee(c))
		}
		// Transfers are held to the same rules.
		e.actAs(t, e.as(member), id, baton.ActionRequest{Action: baton.ActionAccept})
		for _, u := range []*baton.User{offline, full, outsider} {
			_, err := e.db.Act(e.as(member), id, baton.ActionRequest{Action: baton.ActionTransfer, AgentID: u.ID})
			if err == nil {
				t.Fatalf("transfer to %s was allowed", u.FirstName)
			}
		}
	})
}

func TestTransfersNotifyTheReceiver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ana := e.newUser(t, "ana@acme.test", "Ana", baton.RoleAgent)
		ben := e.newUser(t, "ben@acme.test", "Ben", baton.RoleAgent)
		e.online(t, ana)
		id, _ := e.conversationIn(t, baton.StatusHuman)
		e.act(t, id, baton.ActionRequest{Action: baton.ActionTransfer, AgentID: ana.ID, Note: "Spanish speaker"})
		c := e.find(t, id)
		if assignee(c) != "Ana" || c.Status != baton.StatusHuman {
			t.Fatalf("after transfer: %s / %q", c.Status, assignee(c))
		}
		list, unread, err := notify.List(e.as(ana), e.db, 10)
		if err != nil || unread != 1 || list[0].Kind != "assigned" || !strings.Contains(list[0].Body, "Spanish speaker") {
			t.Fatalf("Ana's notifications = %+v (unread %d), %v", list, unread, err)
		}
		msgs, _ := e.db.ListMessages(e.ctx, id, 0, 10)
		var note bool
		for _, m := range msgs.Messages {
			note = note || (m.Kind == baton.KindNote && strings.Contains(m.Content, "Spanish speaker"))
		}
		if !note {
			t.Fatal("the transfer note is not stored as an internal note")
		}
		// To a queue: back to waiting, offered to the queue's online member.
		q, err := e.db.CreateQueue(e.ctx, store.QueueInput{Name: ptr("Spanish"), MemberIDs: &[]string{ben.ID}})
		if err != nil {
			t.Fatal(err)
		}
		e.online(t, ben)
		c = e.actAs(t, e.as(ana), id, baton.ActionRequest{Action: baton.ActionTransfer, QueueID: q.ID})
		if c.Status != baton.StatusWaiting || assignee(c) != "Ben" || c.QueueID != q.ID {
			t.Fatalf("after transfer to a queue: %s / %q / %q", c.Status, assignee(c), c.QueueID)
		}
		if list, _, _ := notify.List(e.as(ben), e.db, 10); len(list) != 1 || list[0].ConversationID != id {
			t.Fatalf("Ben's notifications = %+v", list)
		}
	})
}

// lastSummary is the payload of the last conversation_updated (or conversation_created)
// event of a conversation: what every agent's list row takes from the feed.
func (e *env) lastSummary(t *testing.T, id string) map[string]any {
	t.Helper()
	evs, err := e.db.Events(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatalf("Events = %v", err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == baton.EventConversationUpdated || evs[i].Type == baton.EventConversationCreated {
			var m map[string]any
			if err := json.Unmarshal(evs[i].Payload, &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("no summary event in %s", id)
	return nil
}

// Issue 19: a routed handoff's last summary names the assignee (the offer comes after the
// transition's own summary), and summaries carry the contact, tags and labels.
func TestSummariesCarryEveryListField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ana := e.newUser(t, "ana@acme.test", "Ana", baton.RoleAgent)
		e.online(t, ana)
		ctx := context.Background()
		sess, err := e.db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: e.bot.Slug, Name: "Bob Stone"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.db.AuthenticateVisitor(ctx, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		e.say(t, v, "I need a person")
		id := sess.ConversationID
		created := e.lastSummary(t, id)
		if c, _ := created["contact"].(map[string]any); c["name"] != "Bob Stone" {
			t.Fatalf("conversation_created contact = %v, want the visitor's name", created["contact"])
		}
		if _, err := e.db.ApplyBotAnswer(ctx, e.account.ID, id, store.BotAnswer{Handoff: true, Reason: "Visitor asked for a human"}); err != nil {
			t.Fatalf("ApplyBotAnswer = %v", err)
		}
		s := e.lastSummary(t, id)
		if s["assignee_id"] != ana.ID || s["status"] != string(baton.StatusWaiting) {
			t.Fatalf("after the routed handoff the last summary has assignee %v, status %v; want %s, waiting", s["assignee_id"], s["status"], ana.ID)
		}
		if c, _ := s["contact"].(map[string]any); c["name"] != "Bob Stone" {
			t.Fatalf("summary contact = %v", s["contact"])
		}
		tags, prio := []string{"refund"}, baton.Priority("high")
		if _, err := e.db.UpdateConversation(e.as(ana), id, baton.ConversationUpdate{Tags: &tags, Priority: &prio}); err != nil {
			t.Fatalf("UpdateConversation = %v", err)
		}
		s = e.lastSummary(t, id)
		if tg, _ := s["tags"].([]any); len(tg) != 1 || tg[0] != "refund" || s["priority"] != "high" {
			t.Fatalf("summary after an update: tags %v, priority %v", s["tags"], s["priority"])
		}
		if l, ok := s["labels"].([]any); !ok || len(l) != 0 {
			t.Fatalf("summary labels = %#v, want []", s["labels"])
		}
	})
}
