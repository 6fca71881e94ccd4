package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// lastMessage returns the newest message of a conversation.
func (e *env) lastMessage(t *testing.T, id string) *baton.Message {
	t.Helper()
	p, err := e.db.ListMessages(e.ctx, id, 0, 1)
	if err != nil || len(p.Messages) != 1 {
		t.Fatalf("ListMessages(newest) = %+v, %v", p, err)
	}
	return p.Messages[0]
}

// visitorTypes lists the types of the visitor events of a conversation after seq.
func (e *env) visitorTypes(t *testing.T, id string, after int64) []string {
	t.Helper()
	evs, err := e.db.VisitorEvents(context.Background(), id, after, 0)
	if err != nil {
		t.Fatalf("VisitorEvents = %v", err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types
}

// teamTypes lists the types of the team events of a conversation after seq.
func (e *env) teamTypes(t *testing.T, id string, after int64) []string {
	t.Helper()
	evs, err := e.db.Events(context.Background(), id, after, 0)
	if err != nil {
		t.Fatalf("Events = %v", err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types
}

// sameSet compares event types regardless of order: what a step emits is the contract,
// not the order it emits them in within one transaction.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestActAgentPaths follows a conversation through every agent action of H3 and H7: Join,
// Accept, Transfer, Release, Resolve with a note, Close, Reopen.
func TestActAgentPaths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ann := e.newUser(t, "ann@acme.test", "Ann", baton.RoleAgent)
		annCtx := e.as(ann)
		// Transfers go only to agents who are online (Q2).
		for _, u := range []*baton.User{e.owner, ann} {
			if _, err := db.UpdateUser(context.Background(), e.account.ID, u.ID, baton.UserUpdate{Availability: ptr(baton.AvailabilityOnline)}, ""); err != nil {
				t.Fatalf("UpdateUser(online) = %v", err)
			}
		}
		s, v := e.visitor(t, "")
		id := s.ConversationID
		e.say(t, v, "I want to talk to a person.")

		// Join: bot → waiting, assigned to whoever joined; the visitor and the team hear of
		// the handoff.
		e.clock.Add(time.Minute)
		before := e.find(t, id)
		c := e.actAs(t, annCtx, id, baton.ActionRequest{Action: baton.ActionJoin})
		if c.Status != baton.StatusWaiting || c.Assignee == nil || c.Assignee.ID != ann.ID || c.Reason != "Ann joined from the console." ||
			c.HandoffAt == nil || !c.HandoffAt.Equal(e.clock.Now()) {
			t.Errorf("Join = status %s, assignee %+v, reason %q, handoff at %v; want waiting, Ann, \"Ann joined from the console.\", now",
				c.Status, c.Assignee, c.Reason, c.HandoffAt)
		}
		if m := e.lastMessage(t, id); m.Kind != baton.KindSystem || m.Content != "Ann asked to take over the conversation." {
			t.Errorf("Join system message = %s %q", m.Kind, m.Content)
		}
		if got, want := e.visitorTypes(t, id, before.LastVisitorSeq), []string{baton.VisitorStatus, baton.VisitorHandoffStarted}; !sameSet(got, want) {
			t.Errorf("Join visitor events = %v, want %v", got, want)
		}
		if got, want := e.teamTypes(t, id, before.LastSeq), []string{baton.EventMessageCreated, baton.EventConversationUpdated, baton.EventHandoffStarted, baton.EventAssigned}; !sameSet(got, want) {
			t.Errorf("Join team events = %v, want %v", got, want)
		}

		// Accept: waiting → human, assigned to whoever accepts.
		before = c
		c = e.actAs(t, annCtx, id, baton.ActionRequest{Action: baton.ActionAccept})
		if c.Status != baton.StatusHuman || c.Assignee == nil || c.Assignee.ID != ann.ID || c.Assignee.Name != "Ann" {
			t.Errorf("Accept = status %s, assignee %+v; want human, Ann", c.Status, c.Assignee)
		}
		if m := e.lastMessage(t, id); m.Content != "Ann joined the conversation." {
			t.Errorf("Accept system message = %q", m.Content)
		}
		if got, want := e.teamTypes(t, id, before.LastSeq), []string{baton.EventMessageCreated, baton.EventConversationUpdated, baton.EventAssigned}; !sameSet(got, want) {
			t.Errorf("Accept team events = %v, want %v", got, want)
		}

		// Transfer to another agent of the account: stays human, with a note for the team.
		before = c
		c = e.actAs(t, annCtx, id, baton.ActionRequest{Action: baton.ActionTransfer, AgentID: e.owner.ID, Note: "VIP, be nice."})
		if c.Status != baton.StatusHuman || c.Assignee == nil || c.Assignee.ID != e.owner.ID {
			t.Errorf("Transfer = status %s, assignee %+v; want human, the owner", c.Status, c.Assignee)
		}
		p, _ := db.ListMessages(e.ctx, id, 0, 2)
		if len(p.Messages) != 2 || p.Messages[0].Kind != baton.KindNote || p.Messages[0].Content != "Transfer note: VIP, be nice." ||
			p.Messages[1].Kind != baton.KindSystem || p.Messages[1].Content != "Ann transferred the conversation to Olivia." {
			t.Errorf("Transfer messages = %+v, want the system message then the note", p.Messages)
		}
		for _, typ := range e.visitorTypes(t, id, before.LastVisitorSeq) {
			t.Errorf("Transfer showed the visitor a %q event, want nothing", typ)
		}

		// Release: human → bot, unassigned, the visitor hears that the handoff ended.
		before = c
		c = e.act(t, id, baton.ActionRequest{Action: baton.ActionRelease})
		if c.Status != baton.StatusBot || c.Assignee != nil {
			t.Errorf("Release = status %s, assignee %+v; want bot, nobody", c.Status, c.Assignee)
		}
		if got, want := e.visitorTypes(t, id, before.LastVisitorSeq), []string{baton.VisitorStatus, baton.VisitorHandoffEnded}; !sameSet(got, want) {
			t.Errorf("Release visitor events = %v, want %v", got, want)
		}

		// Resolve with a note.
		e.clock.Add(time.Minute)
		c = e.act(t, id, baton.ActionRequest{Action: baton.ActionResolve, Note: "Refund sent."})
		if c.Status != baton.StatusResolved || c.ResolutionNote != "Refund sent." || c.ResolvedAt == nil || !c.ResolvedAt.Equal(e.clock.Now()) {
			t.Errorf("Resolve = status %s, note %q, resolved at %v; want resolved, the note, now", c.Status, c.ResolutionNote, c.ResolvedAt)
		}
		if m := e.lastMessage(t, id); m.Content != "Olivia resolved the conversation. Resolution: Refund sent." {
			t.Errorf("Resolve system message = %q", m.Content)
		}

		// Close, then Reopen: back to the AI.
		c = e.act(t, id, baton.ActionRequest{Action: baton.ActionClose})
		if c.Status != baton.StatusClosed || c.ClosedAt == nil {
			t.Errorf("Close = status %s, closed at %v; want closed, now", c.Status, c.ClosedAt)
		}
		c = e.act(t, id, baton.ActionRequest{Action: baton.ActionReopen})
		if c.Status != baton.StatusBot || c.Assignee != nil {
			t.Errorf("Reopen = status %s, assignee %+v; want bot, nobody", c.Status, c.Assignee)
		}
		if m := e.lastMessage(t, id); m.Content != "Olivia reopened the conversation; the AI is answering again." {
			t.Errorf("Reopen system message = %q", m.Content)
		}

		// Transfer of a waiting conversation keeps it waiting for the new agent, who accepts
		// it; then Close from human.
		id2, _ := e.conversationIn(t, baton.StatusWaiting)
		c = e.act(t, id2, baton.ActionRequest{Action: baton.ActionTransfer, AgentID: ann.ID})
		if c.Status != baton.StatusWaiting || c.Assignee == nil || c.Assignee.ID != ann.ID {
			t.Errorf("Transfer(waiting) = status %s, assignee %+v; want waiting, Ann", c.Status, c.Assignee)
		}
		c = e.actAs(t, annCtx, id2, baton.ActionRequest{Action: baton.ActionAccept})
		if c.Status != baton.StatusHuman || c.Assignee == nil || c.Assignee.ID != ann.ID {
			t.Errorf("Accept by Ann of a conversation transferred to her = status %s, assignee %+v; want human, Ann", c.Status, c.Assignee)
		}
		if c = e.act(t, id2, baton.ActionRequest{Action: baton.ActionClose}); c.Status != baton.StatusClosed {
			t.Errorf("Close(human) = %s, want closed", c.Status)
		}
	})
}

// TestRefusedActionsWriteNothing runs every refused (status, action) pair of the table, and
// the transfers the service refuses, and checks that nothing at all was written (H1).
func TestRefusedActionsWriteNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		b := e.otherAccount(t)
		var refusals int
		for _, s := range baton.Statuses {
			id, _ := e.conversationIn(t, s)
			before := e.snapshot(t, id)
			e.clock.Add(time.Second)
			for _, action := range baton.Actions {
				if _, err := baton.Transit(s, action); err == nil {
					continue
				}
				refusals++
				_, err := db.Act(e.ctx, id, baton.ActionRequest{Action: action, Note: "note", Reason: "reason", AgentID: e.owner.ID})
				wantCode(t, err, baton.ECONFLICT, "Act(%s, %s)", s, action)
				if msg := baton.ErrorMessage(err); msg == "" || msg == "Internal error." {
					t.Errorf("Act(%s, %s) message = %q, want a message for the agent", s, action, msg)
				}
				e.unchanged(t, before, "a refused "+string(action)+" on "+string(s))
			}
		}
		if refusals < 40 {
			t.Errorf("only %d refused pairs were tried, want every refused pair of the table", refusals)
		}

		// Transfers the table allows but the service refuses.
		ann := e.newUser(t, "ann@acme.test", "Ann", baton.RoleAgent) // offline
		id, _ := e.conversationIn(t, baton.StatusHuman)              // assigned to the owner
		before := e.snapshot(t, id)
		for _, tc := range []struct {
			name string
			req  baton.ActionRequest
			code string
		}{
			{"without a target", baton.ActionRequest{Action: baton.ActionTransfer}, baton.EINVALID},
			{"to an unknown agent", baton.ActionRequest{Action: baton.ActionTransfer, AgentID: "no-such-user"}, baton.ENOTFOUND},
			{"to an agent of another account", baton.ActionRequest{Action: baton.ActionTransfer, AgentID: b.owner.ID}, baton.ENOTFOUND},
			{"to an unknown queue", baton.ActionRequest{Action: baton.ActionTransfer, QueueID: "no-such-queue"}, baton.ENOTFOUND},
			{"to the current assignee", baton.ActionRequest{Action: baton.ActionTransfer, AgentID: e.owner.ID}, baton.ECONFLICT},
			{"to an offline agent", baton.ActionRequest{Action: baton.ActionTransfer, AgentID: ann.ID}, baton.ECONFLICT},
			{"with a note over the limit", baton.ActionRequest{Action: baton.ActionResolve, Note: strings.Repeat("n", store.MaxNoteLength+1)}, baton.EINVALID},
		} {
			t.Run("transfer "+tc.name+" writes nothing", func(t *testing.T) {
				_, err := db.Act(e.ctx, id, tc.req)
				wantCode(t, err, tc.code, "Act(%+v)", tc.req)
				e.unchanged(t, before, "Act("+tc.name+")")
			})
		}
		_, err := db.Act(e.ctx, "no-such-conversation", baton.ActionRequest{Action: baton.ActionClose})
		wantCode(t, err, baton.ENOTFOUND, "Act(unknown conversation)")
	})
}

func TestReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)

		// Outside human: the reference error, and nothing stored (H4).
		for _, s := range baton.Statuses {
			if s == baton.StatusHuman {
				continue
			}
			id, _ := e.conversationIn(t, s)
			before := e.snapshot(t, id)
			_, err := db.Reply(e.ctx, id, "Hello from an agent", false)
			wantCode(t, err, baton.ECONFLICT, "Reply(%s)", s)
			if msg := baton.ErrorMessage(err); msg != "Can only reply to handed-off conversations." {
				t.Errorf("Reply(%s) message = %q, want %q", s, msg, "Can only reply to handed-off conversations.")
			}
			e.unchanged(t, before, "a refused reply in "+string(s))
		}

		// Joined (waiting) is still not handed off; once accepted the reply goes out at
		// once: the refused attempt left no rate mark behind.
		id, v := e.conversationIn(t, baton.StatusWaiting)
		_, err := db.Reply(e.ctx, id, "Too early", false)
		wantCode(t, err, baton.ECONFLICT, "Reply(waiting)")
		e.act(t, id, baton.ActionRequest{Action: baton.ActionAccept})
		before := e.find(t, id)
		m, err := db.Reply(e.ctx, id, "Hi, I am Olivia. ", false)
		if err != nil {
			t.Fatalf("Reply(human) = %v", err)
		}
		if m.Kind != baton.KindAgent || m.SenderID != e.owner.ID || m.SenderName != "Olivia" || m.Content != "Hi, I am Olivia." ||
			m.DeliveryStatus != baton.DeliverySent || m.ConversationID != id {
			t.Errorf("Reply = %+v, want an agent message from Olivia, sent", m)
		}
		c := e.find(t, id)
		if c.Status != baton.StatusHuman || !c.Pending || c.Turns != before.Turns || c.LastMessage != "Hi, I am Olivia." {
			t.Errorf("after a reply: status %s, pending %v, turns %d, last message %q; want human, pending (H6), turns unchanged, the reply",
				c.Status, c.Pending, c.Turns, c.LastMessage)
		}
		evs, _ := db.VisitorEvents(context.Background(), id, before.LastVisitorSeq, 0)
		if len(evs) != 1 || evs[0].Type != baton.VisitorAgentMessage || evs[0].Data["agent_name"] != "Olivia" || evs[0].Data["content"] != "Hi, I am Olivia." {
			t.Errorf("visitor events of a reply = %+v, want one agent_message from Olivia", evs)
		}

		// The visitor answers: pending clears.
		e.say(t, v, "Thanks Olivia")
		if c := e.find(t, id); c.Pending || c.Status != baton.StatusHuman {
			t.Errorf("after the visitor's answer: pending %v, status %s; want not pending, human", c.Pending, c.Status)
		}

		for _, tc := range []struct{ name, content, code string }{
			{"an empty reply is invalid", "  ", baton.EINVALID},
			{"a reply over the limit is too large", strings.Repeat("x", baton.MaxMessageLength+1), baton.ETOOLARGE},
		} {
			_, err := db.Reply(e.ctx, id, tc.content, false)
			wantCode(t, err, tc.code, "Reply(%s)", tc.name)
			_, err = db.Reply(e.ctx, id, tc.content, true)
			wantCode(t, err, tc.code, "Reply(note: %s)", tc.name)
		}
		_, err = db.Reply(e.ctx, "no-such-conversation", "Hi", true)
		wantCode(t, err, baton.ENOTFOUND, "Reply(unknown conversation)")
	})
}

// TestReplyRateLimit is M3: one message per 3 s per agent per conversation.
func TestReplyRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ann := e.newUser(t, "ann@acme.test", "Ann", baton.RoleAgent)
		id, _ := e.conversationIn(t, baton.StatusHuman)
		other, _ := e.conversationIn(t, baton.StatusHuman)

		if _, err := db.Reply(e.ctx, id, "one", false); err != nil {
			t.Fatalf("Reply = %v", err)
		}
		for _, tc := range []struct {
			after      time.Duration
			retryAfter int
		}{{0, 3}, {time.Second, 2}, {2*time.Second + 500*time.Millisecond, 1}, {3*time.Second - time.Microsecond, 1}} {
			e.clock.Add(tc.after)
			before := e.snapshot(t, id)
			_, err := db.Reply(e.ctx, id, "too fast", false)
			e.clock.Add(-tc.after)
			wantCode(t, err, baton.ERATELIMITED, "Reply %v after the last", tc.after)
			var be *baton.Error
			if errors.As(err, &be) && (be.RetryAfter != tc.retryAfter || be.Message == "") {
				t.Errorf("Reply %v after the last: RetryAfter = %d, message %q; want %d and a message", tc.after, be.RetryAfter, be.Message, tc.retryAfter)
			}
			e.unchanged(t, before, "a rate-limited reply")
		}
		// Notes and other conversations are not limited; another agent may not reply at all
		// (only the assignee answers the customer), which is a conflict, not a rate limit.
		if _, err := db.Reply(e.ctx, id, "a note right away", true); err != nil {
			t.Errorf("Reply(note) within 3 s = %v, want allowed", err)
		}
		_, annErr := db.Reply(e.as(ann), id, "Ann here too", false)
		wantCode(t, annErr, baton.ECONFLICT, "Reply by an agent who is not the assignee")
		if _, err := db.Reply(e.ctx, other, "in another conversation", false); err != nil {
			t.Errorf("Reply in another conversation within 3 s = %v, want allowed", err)
		}
		e.clock.Add(store.ReplyInterval)
		if _, err := db.Reply(e.ctx, id, "two", false); err != nil {
			t.Errorf("Reply 3 s after the last = %v, want allowed", err)
		}
		// The limit counts from the last accepted reply.
		e.clock.Add(time.Second)
		_, err := db.Reply(e.ctx, id, "too fast again", false)
		wantCode(t, err, baton.ERATELIMITED, "Reply 1 s after the second")
	})
}

func TestNotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		for _, s := range baton.Statuses {
			t.Run("a note is allowed in "+string(s), func(t *testing.T) {
				id, _ := e.conversationIn(t, s)
				before := e.find(t, id)
				e.clock.Add(time.Minute)
				m, err := db.Reply(e.ctx, id, "Secret: customer is a VIP", true)
				if err != nil {
					t.Fatalf("Reply(note, %s) = %v", s, err)
				}
				if m.Kind != baton.KindNote || m.SenderID != e.owner.ID || m.DeliveryStatus != "" {
					t.Errorf("Reply(note) = %+v, want a note by the owner, not delivered anywhere", m)
				}
				c := e.find(t, id)
				if c.Status != s || c.Pending != before.Pending || !c.LastActivityAt.Equal(before.LastActivityAt) || c.Turns != before.Turns {
					t.Errorf("after a note: status %s, pending %v, last activity %v; want %s, %v, %v unchanged",
						c.Status, c.Pending, c.LastActivityAt, s, before.Pending, before.LastActivityAt)
				}
				if c.LastVisitorSeq != before.LastVisitorSeq {
					t.Errorf("a note moved the visitor sequence from %d to %d", before.LastVisitorSeq, c.LastVisitorSeq)
				}
				evs, err := db.VisitorEvents(context.Background(), id, 0, 0)
				if err != nil {
					t.Fatalf("VisitorEvents = %v", err)
				}
				for _, ev := range evs {
					if b, _ := json.Marshal(ev); strings.Contains(string(b), "Secret") || ev.Data["kind"] == string(baton.KindNote) {
						t.Errorf("the visitor sees the note: %s", b)
					}
				}
				all, _ := db.Events(context.Background(), id, 0, 0)
				for _, ev := range all {
					if strings.Contains(string(ev.Payload), "Secret") && (ev.VisitorSeq != 0 || ev.VisitorType != "" || len(ev.VisitorPayload) != 0) {
						t.Errorf("the note's event %d is visitor-visible as %q seq %d", ev.Seq, ev.VisitorType, ev.VisitorSeq)
					}
				}
			})
		}
	})
}

// TestConcurrentAcceptOneWins: two agents accept the same waiting conversation at once;
// the row lock lets exactly one win and the other sees a conflict. On SQLite the single
// writer serializes them; on PostgreSQL it is the row lock that decides.
func TestConcurrentAcceptOneWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ann := e.newUser(t, "ann@acme.test", "Ann", baton.RoleAgent)
		ctxs := []context.Context{e.ctx, e.as(ann)}
		for round := 0; round < 10; round++ {
			id, _ := e.conversationIn(t, baton.StatusWaiting)
			var (
				wg    sync.WaitGroup
				ready = make(chan struct{})
				errs  = make([]error, 2)
			)
			for i := range ctxs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-ready
					_, errs[i] = db.Act(ctxs[i], id, baton.ActionRequest{Action: baton.ActionAccept})
				}()
			}
			close(ready)
			wg.Wait()
			won := -1
			for i, err := range errs {
				switch baton.ErrorCode(err) {
				case "":
					if won >= 0 {
						t.Fatalf("round %d: both accepts succeeded", round)
					}
					won = i
				case baton.ECONFLICT:
				default:
					t.Fatalf("round %d: Act(accept) = %v, want success or conflict", round, err)
				}
			}
			if won < 0 {
				t.Fatalf("round %d: both accepts failed: %v", round, errs)
			}
			c := e.find(t, id)
			if c.Status != baton.StatusHuman || c.Assignee == nil || c.Assignee.ID != baton.ActorFromContext(ctxs[won]).UserID() {
				t.Errorf("round %d: status %s, assignee %+v; want human, the winner", round, c.Status, c.Assignee)
			}
			var accepted int
			p, _ := db.ListMessages(e.ctx, id, 0, 0)
			for _, m := range p.Messages {
				if strings.HasSuffix(m.Content, "joined the conversation.") {
					accepted++
				}
			}
			if accepted != 1 {
				t.Errorf("round %d: %d \"joined\" system messages, want 1", round, accepted)
			}
		}
	})
}
