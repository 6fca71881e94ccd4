package store_test

import (
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/bot"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// A visitor who asks for a person is handed off in the message's own transaction — from
// the widget and from a channel — with the reason and a brief, the bot's reply, and no bot
// job; the same words once a person has the conversation change nothing.
func TestAskingForAPersonHandsOffAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, jobs, _ := channelEnv(t, db)
		db.AsksForPerson = func(text string) (bool, string, string) { return bot.AsksForPerson(text, "") }
		db.Brief = func(msgs []string) string { return strings.Join(msgs, " / ") }
		agent := e.newUser(t, "ana@acme.test", "Ana", baton.RoleAgent)
		if err := db.AgentConnected(e.ctx, e.account.ID, agent.ID); err != nil {
			t.Fatal(err)
		}

		_, v := e.visitor(t, "ada")
		e.say(t, v, "My parcel is late")
		before := jobs.botReplies()
		m := e.say(t, v, "I want to talk to a human please")
		c := e.find(t, m.ConversationID)
		if c.Status != baton.StatusWaiting || !strings.Contains(c.Reason, "asked for a human") || !strings.Contains(c.Brief, "My parcel is late") {
			t.Fatalf("after asking: status %s, reason %q, brief %q; want waiting with both", c.Status, c.Reason, c.Brief)
		}
		if jobs.botReplies() != before {
			t.Errorf("a bot job was enqueued for a message that handed off")
		}
		msgs := e.messages(t, c.ID)
		var replied bool
		for _, m := range msgs {
			replied = replied || (m.Kind == baton.KindBot && strings.Contains(m.Content, "find a person"))
		}
		if !replied {
			t.Errorf("the bot did not tell the visitor a person is coming: %+v", msgs)
		}

		// From a channel too.
		in, _ := e.receive(t, store.InboundMessage{SessionID: "tg:77", Key: "update:77", Content: "can I speak to an agent?"})
		if s := e.find(t, in.ConversationID).Status; s != baton.StatusWaiting {
			t.Errorf("a channel visitor asking for a person: status %s, want waiting", s)
		}
		// An automated message saying so is not a request.
		auto, _ := e.receive(t, store.InboundMessage{SessionID: "tg:78", Key: "update:78", Content: "talk to a human", Automated: true})
		if s := e.find(t, auto.ConversationID).Status; s != baton.StatusBot {
			t.Errorf("an automated message handed off: status %s", s)
		}
	})
}
