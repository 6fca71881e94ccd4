package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// visitorVisibleTypes are the team event types that may carry a visitor-side copy.
var visitorVisibleTypes = map[string]bool{
	baton.EventMessageCreated:      true, // visitor, bot and agent messages only
	baton.EventConversationUpdated: true, // only when the status changed
	baton.EventHandoffStarted:      true,
	baton.EventHandoffEnded:        true,
}

// checkNumbering checks R2 on one conversation: team seqs are 1..N with no gap, visitor
// seqs are 1..M with no gap and only on visitor-visible events, and the conversation's
// counters agree.
func checkNumbering(t *testing.T, e *env, id string) (n, m int64) {
	t.Helper()
	ctx := context.Background()
	evs, err := e.db.Events(ctx, id, 0, 0)
	if err != nil {
		t.Fatalf("Events = %v", err)
	}
	for i, ev := range evs {
		n++
		if ev.Seq != n {
			t.Fatalf("team event %d has seq %d, want %d (no gap)", i, ev.Seq, n)
		}
		if ev.AccountID != e.account.ID || ev.ConversationID != id {
			t.Errorf("event %d belongs to %s/%s, want %s/%s", ev.Seq, ev.AccountID, ev.ConversationID, e.account.ID, id)
		}
		if ev.VisitorSeq == 0 {
			if ev.VisitorType != "" || len(ev.VisitorPayload) != 0 {
				t.Errorf("event %d has a visitor type %q but no visitor seq", ev.Seq, ev.VisitorType)
			}
			continue
		}
		m++
		if ev.VisitorSeq != m {
			t.Fatalf("event %d has visitor seq %d, want %d (no gap)", ev.Seq, ev.VisitorSeq, m)
		}
		if !visitorVisibleTypes[ev.Type] {
			t.Errorf("event %d of type %s is visitor-visible", ev.Seq, ev.Type)
		}
		if ev.Type == baton.EventMessageCreated {
			var msg baton.Message
			if err := json.Unmarshal(ev.Payload, &msg); err != nil {
				t.Fatalf("event %d payload: %v", ev.Seq, err)
			}
			if !msg.Kind.VisitorVisible() {
				t.Errorf("event %d: a %s message is visitor-visible", ev.Seq, msg.Kind)
			}
		}
	}
	// Every visitor-visible message must have reached the visitor.
	for _, ev := range evs {
		if ev.Type != baton.EventMessageCreated {
			continue
		}
		var msg baton.Message
		_ = json.Unmarshal(ev.Payload, &msg)
		if msg.Kind.VisitorVisible() && ev.VisitorSeq == 0 {
			t.Errorf("event %d: the %s message %q is hidden from the visitor", ev.Seq, msg.Kind, msg.Content)
		}
	}
	c := e.find(t, id)
	if c.LastSeq != n || c.LastVisitorSeq != m {
		t.Errorf("conversation counters = last_seq %d, last_visitor_seq %d; want %d, %d", c.LastSeq, c.LastVisitorSeq, n, m)
	}
	vevs, err := e.db.VisitorEvents(ctx, id, 0, 0)
	if err != nil {
		t.Fatalf("VisitorEvents = %v", err)
	}
	if int64(len(vevs)) != m {
		t.Errorf("VisitorEvents = %d events, want %d", len(vevs), m)
	}
	for i, ev := range vevs {
		if ev.Seq != int64(i+1) || ev.ConversationID != id || ev.Type == "" {
			t.Errorf("visitor event %d = seq %d, type %q, conversation %s; want seq %d of %s", i, ev.Seq, ev.Type, ev.ConversationID, i+1, id)
		}
	}
	return n, m
}

// TestEventNumbering drives a conversation through messages, notes, actions and updates
// and checks both sequences are gapless (R2), also when read from the middle.
func TestEventNumbering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		s, v := e.visitor(t, "")
		id := s.ConversationID
		step := func(name string, fn func() error) {
			t.Helper()
			e.clock.Add(5 * time.Second)
			if err := fn(); err != nil {
				t.Fatalf("%s = %v", name, err)
			}
		}
		act := func(a baton.Action) func() error {
			return func() error { _, err := db.Act(e.ctx, id, baton.ActionRequest{Action: a}); return err }
		}
		say := func(text string) func() error {
			return func() error { _, err := db.PostVisitorMessage(ctx, v, text); return err }
		}
		reply := func(text string, private bool) func() error {
			return func() error { _, err := db.Reply(e.ctx, id, text, private); return err }
		}
		step("say", say("hello"))
		step("note", reply("a note in bot", true))
		step("join", act(baton.ActionJoin))
		step("say", say("anyone?"))
		step("note", reply("a note while waiting", true))
		step("accept", act(baton.ActionAccept))
		step("reply", reply("Hi, Olivia here.", false))
		step("note", reply("a note while human", true))
		step("update", func() error {
			_, err := db.UpdateConversation(e.ctx, id, baton.ConversationUpdate{Priority: ptr(baton.PriorityHigh), Tags: &[]string{"x"}})
			return err
		})
		step("say", say("thanks"))
		step("reply", reply("You are welcome.", false))
		step("release", act(baton.ActionRelease))
		step("resolve", act(baton.ActionResolve))
		// Refused operations must not burn sequence numbers.
		_, _ = db.Act(e.ctx, id, baton.ActionRequest{Action: baton.ActionAccept})
		_, _ = db.Reply(e.ctx, id, "too late", false)
		step("reopen", act(baton.ActionReopen))
		step("close", act(baton.ActionClose))

		n, m := checkNumbering(t, e, id)
		if n < 25 || m < 12 {
			t.Errorf("only %d team and %d visitor events: the scenario did not run", n, m)
		}

		// Resuming from the middle gives exactly the rest, in order.
		for _, after := range []int64{0, 1, n / 2, n - 1, n} {
			evs, err := db.Events(ctx, id, after, 0)
			if err != nil || int64(len(evs)) != n-after || (len(evs) > 0 && evs[0].Seq != after+1) {
				t.Errorf("Events(after %d) = %d events, %v; want %d from seq %d", after, len(evs), err, n-after, after+1)
			}
		}
		for _, after := range []int64{0, 1, m / 2, m - 1, m} {
			evs, err := db.VisitorEvents(ctx, id, after, 0)
			if err != nil || int64(len(evs)) != m-after || (len(evs) > 0 && evs[0].Seq != after+1) {
				t.Errorf("VisitorEvents(after %d) = %d events, %v; want %d from seq %d", after, len(evs), err, m-after, after+1)
			}
		}
		evs, _ := db.Events(ctx, id, 0, 3)
		if len(evs) != 3 || evs[2].Seq != 3 {
			t.Errorf("Events(limit 3) = %d events, want seqs 1..3", len(evs))
		}
		vevs, _ := db.VisitorEvents(ctx, id, 2, 2)
		if len(vevs) != 2 || vevs[0].Seq != 3 || vevs[1].Seq != 4 {
			t.Errorf("VisitorEvents(after 2, limit 2) = %+v, want seqs 3 and 4", vevs)
		}
	})
}

// TestConcurrentWritesKeepNumberingGapless writes to one conversation from several
// goroutines at once (visitor messages, notes, updates): every write must succeed and
// both sequences must stay gapless.
func TestConcurrentWritesKeepNumberingGapless(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		s, v := e.visitor(t, "")
		const each = 15
		var wg sync.WaitGroup
		errs := make(chan error, 3*each)
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					var err error
					switch w {
					case 0:
						_, err = db.PostVisitorMessage(ctx, v, "visitor")
					case 1:
						_, err = db.Reply(e.ctx, s.ConversationID, "note", true)
					case 2:
						_, err = db.UpdateConversation(e.ctx, s.ConversationID, baton.ConversationUpdate{Tags: &[]string{"a", "b"}})
					}
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent write = %v", err)
		}
		n, m := checkNumbering(t, e, s.ConversationID)
		if n != 1+3*each || m != each {
			t.Errorf("after %d writes: %d team and %d visitor events, want %d and %d", 3*each, n, m, 1+3*each, each)
		}
	})
}

// TestConcurrentVisitorMessagesAfterResolveStartOneConversation: a visitor who sends two
// messages at once to a resolved conversation (a double click, two tabs) gets one new
// linked conversation holding both, not two (H7).
func TestConcurrentVisitorMessagesAfterResolveStartOneConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		for round := 0; round < 5; round++ {
			old, v := e.conversationIn(t, baton.StatusResolved)
			var (
				wg    sync.WaitGroup
				ready = make(chan struct{})
				msgs  = make([]*baton.Message, 3)
				errs  = make([]error, 3)
			)
			for i := range msgs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-ready
					msgs[i], errs[i] = db.PostVisitorMessage(context.Background(), v, "are you there?")
				}()
			}
			close(ready)
			wg.Wait()
			convs := map[string]bool{}
			for i, m := range msgs {
				if errs[i] != nil {
					t.Fatalf("round %d: PostVisitorMessage = %v", round, errs[i])
				}
				convs[m.ConversationID] = true
			}
			if len(convs) != 1 || convs[old] {
				t.Errorf("round %d: concurrent messages after resolve went to %d conversations (old one: %v), want one new conversation",
					round, len(convs), convs[old])
			}
			for id := range convs {
				if c := e.find(t, id); c.PreviousID != old || c.Turns != 3 {
					t.Errorf("round %d: new conversation previous %s, turns %d; want %s, 3", round, c.PreviousID, c.Turns, old)
				}
			}
		}
	})
}
