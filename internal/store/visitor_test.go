package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func TestOpenSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()

		s, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme", Name: " Vera ", Email: "Vera@Example.com", UserID: "u-42"})
		if err != nil {
			t.Fatalf("OpenSession = %v", err)
		}
		if s.SessionID != "web:u-42" || !strings.HasPrefix(s.Token, store.VisitorTokenPrefix) || s.ConversationID == "" {
			t.Errorf("OpenSession = %+v, want session web:u-42, a %s token and a conversation", s, store.VisitorTokenPrefix)
		}
		c := e.find(t, s.ConversationID)
		if c.Status != baton.StatusBot || c.Channel != baton.ChannelWeb || c.Chatbot.ID != e.bot.ID || c.Number != 1 ||
			c.Contact == nil || c.Contact.SessionID != "web:u-42" || c.Contact.Name != "Vera" || c.Contact.Email != "vera@example.com" {
			t.Errorf("new conversation = %+v, contact %+v; want #1, bot, web, contact Vera <vera@example.com>", c, c.Contact)
		}
		v, err := db.AuthenticateVisitor(ctx, s.Token)
		if err != nil || v.AccountID != e.account.ID || v.ChatbotID != e.bot.ID || v.SessionID != "web:u-42" || v.ContactID != c.Contact.ID {
			t.Errorf("AuthenticateVisitor = %+v, %v; want the contact %s of acme", v, err, c.Contact.ID)
		}

		// The same user id resumes the same contact and conversation with a new token; both
		// tokens stay valid (two tabs).
		again, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme", UserID: "u-42"})
		if err != nil {
			t.Fatalf("OpenSession(same user) = %v", err)
		}
		if again.ConversationID != s.ConversationID || again.SessionID != s.SessionID || again.Token == s.Token {
			t.Errorf("OpenSession(same user) = %+v, want conversation %s, session %s and a new token", again, s.ConversationID, s.SessionID)
		}
		v2, err := db.AuthenticateVisitor(ctx, again.Token)
		if err != nil || v2.ContactID != v.ContactID {
			t.Errorf("AuthenticateVisitor(second token) = %+v, %v; want contact %s", v2, err, v.ContactID)
		}
		if _, err := db.AuthenticateVisitor(ctx, s.Token); err != nil {
			t.Errorf("AuthenticateVisitor(first token) after a second session = %v", err)
		}
		if c := e.find(t, s.ConversationID); c.Contact.Name != "Vera" {
			t.Errorf("resuming without a name changed the contact name to %q", c.Contact.Name)
		}

		// Anonymous visitors each get their own contact and conversation.
		a1, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme"})
		if err != nil {
			t.Fatalf("OpenSession(anonymous) = %v", err)
		}
		a2, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme"})
		if err != nil {
			t.Fatalf("OpenSession(anonymous) = %v", err)
		}
		if !strings.HasPrefix(a1.SessionID, "web:") || a1.SessionID == a2.SessionID || a1.ConversationID == a2.ConversationID ||
			a1.ConversationID == s.ConversationID {
			t.Errorf("anonymous sessions %+v and %+v, want distinct web: sessions and conversations", a1, a2)
		}
		if page, _ := db.ListConversations(e.ctx, baton.ConversationFilter{}); len(page.Conversations) != 3 {
			t.Errorf("ListConversations = %d conversations, want 3", len(page.Conversations))
		}

		for _, tc := range []struct {
			name string
			c    baton.VisitorSessionCreate
			code string
		}{
			{"an unknown chatbot is not found", baton.VisitorSessionCreate{Chatbot: "nope"}, baton.ENOTFOUND},
			{"a chatbot id is not a slug", baton.VisitorSessionCreate{Chatbot: e.bot.ID}, baton.ENOTFOUND},
			{"no chatbot is invalid", baton.VisitorSessionCreate{}, baton.EINVALID},
			{"a bad email is invalid", baton.VisitorSessionCreate{Chatbot: "acme", Email: "vera@"}, baton.EINVALID},
			{"a long name is invalid", baton.VisitorSessionCreate{Chatbot: "acme", Name: strings.Repeat("v", 101)}, baton.EINVALID},
			{"a long user id is invalid", baton.VisitorSessionCreate{Chatbot: "acme", UserID: strings.Repeat("u", store.MaxUserIDLength+1)}, baton.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := db.OpenSession(ctx, tc.c)
				wantCode(t, err, tc.code, "OpenSession(%+v)", tc.c)
			})
		}
		for _, bad := range []string{"", store.VisitorTokenPrefix, store.VisitorTokenPrefix + "x", s.Token + "x", "bts_" + s.Token[4:]} {
			_, err := db.AuthenticateVisitor(ctx, bad)
			wantCode(t, err, baton.EUNAUTHORIZED, "AuthenticateVisitor(%q)", bad)
		}
	})
}

func TestOpenSessionWithIdentityVerification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		if _, err := db.UpdateChatbot(e.ctx, "acme", baton.ChatbotUpdate{IdentityVerification: ptr(true)}); err != nil {
			t.Fatalf("UpdateChatbot = %v", err)
		}
		secret, err := db.IdentitySecret(e.ctx, "acme")
		if err != nil {
			t.Fatalf("IdentitySecret = %v", err)
		}
		good := store.IdentityHash(secret, "u-7")
		for _, tc := range []struct {
			name         string
			userID, hash string
		}{
			{"no user id", "", ""},
			{"no user hash", "u-7", ""},
			{"a hash of another user", "u-7", store.IdentityHash(secret, "u-8")},
			{"a hash with another secret", "u-7", store.IdentityHash("not-the-secret", "u-7")},
			{"a truncated hash", "u-7", good[:32]},
			{"a hash without a user id", "", good},
		} {
			t.Run(tc.name+" is unauthorized", func(t *testing.T) {
				_, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme", UserID: tc.userID, UserHash: tc.hash})
				wantCode(t, err, baton.EUNAUTHORIZED, "OpenSession(user %q, hash %q)", tc.userID, tc.hash)
			})
		}
		if page, _ := db.ListConversations(e.ctx, baton.ConversationFilter{}); len(page.Conversations) != 0 {
			t.Errorf("refused sessions created %d conversations, want 0", len(page.Conversations))
		}
		s, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme", UserID: "u-7", UserHash: good})
		if err != nil || s.SessionID != "web:u-7" {
			t.Fatalf("OpenSession(IdentityHash(secret, uid)) = %+v, %v; want session web:u-7", s, err)
		}
		if _, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme", UserID: "u-7", UserHash: strings.ToUpper(good)}); err != nil {
			t.Errorf("OpenSession(upper-case hex hash) = %v, want accepted", err)
		}
	})
}

func TestPostVisitorMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		s, v := e.visitor(t, "u-1")

		e.clock.Add(90e9)
		m, err := db.PostVisitorMessage(ctx, v, "Where is my parcel?  \n")
		if err != nil {
			t.Fatalf("PostVisitorMessage = %v", err)
		}
		if m.ConversationID != s.ConversationID || m.Kind != baton.KindVisitor || m.Content != "Where is my parcel?" ||
			m.ID == "" || !m.CreatedAt.Equal(e.clock.Now()) {
			t.Errorf("PostVisitorMessage = %+v, want a visitor message in %s, trailing space trimmed, created now", m, s.ConversationID)
		}
		c := e.find(t, s.ConversationID)
		if c.Turns != 1 || c.LastMessage != "Where is my parcel?" || !c.LastActivityAt.Equal(e.clock.Now()) || c.Status != baton.StatusBot {
			t.Errorf("after a visitor message: turns %d, last message %q, last activity %v, status %s; want 1, the text, now, bot",
				c.Turns, c.LastMessage, c.LastActivityAt, c.Status)
		}
		page, err := db.ListMessages(e.ctx, s.ConversationID, 0, 10)
		if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != m.ID || page.Messages[0].Seq != m.Seq {
			t.Errorf("ListMessages = %+v, %v; want the one message", page, err)
		}
		evs, err := db.VisitorMessages(ctx, v, 0, 0)
		if err != nil || len(evs) != 1 || evs[0].Type != baton.VisitorMessage || evs[0].Data["content"] != "Where is my parcel?" || evs[0].Seq != 1 {
			t.Errorf("VisitorMessages = %+v, %v; want the message as visitor_message seq 1", evs, err)
		}

		for _, tc := range []struct {
			name, content, code string
		}{
			{"an empty message is invalid", "", baton.EINVALID},
			{"a blank message is invalid", " \n\t ", baton.EINVALID},
			{"invalid UTF-8 is invalid", "caf\xe9", baton.EINVALID},
			{"a message over the limit is too large", strings.Repeat("é", baton.MaxMessageLength+1), baton.ETOOLARGE},
		} {
			_, err := db.PostVisitorMessage(ctx, v, tc.content)
			wantCode(t, err, tc.code, "PostVisitorMessage(%s)", tc.name)
		}
		if _, err := db.PostVisitorMessage(ctx, v, strings.Repeat("é", baton.MaxMessageLength)); err != nil {
			t.Errorf("PostVisitorMessage(exactly the limit) = %v", err)
		}
		if c := e.find(t, s.ConversationID); c.Turns != 2 {
			t.Errorf("after refused messages turns = %d, want 2", c.Turns)
		}
	})
}

// TestVisitorMessageAfterTheEndStartsALinkedConversation is H7.
func TestVisitorMessageAfterTheEndStartsALinkedConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		for _, ended := range []baton.Status{baton.StatusResolved, baton.StatusClosed, baton.StatusAbandoned} {
			t.Run("after "+string(ended), func(t *testing.T) {
				old, v := e.conversationIn(t, ended)
				before := e.snapshot(t, old)
				e.clock.Add(60e9)

				m := e.say(t, v, "Me again: it broke once more.")
				if m.ConversationID == old {
					t.Fatalf("a visitor message to a %s conversation was stored in it, want a new conversation", ended)
				}
				e.unchanged(t, before, "a visitor message after "+string(ended))

				c := e.find(t, m.ConversationID)
				if c.PreviousID != old || c.Status != baton.StatusBot || c.Contact.ID != before.Conversation.Contact.ID ||
					c.Number <= before.Conversation.Number || c.Turns != 1 || c.Assignee != nil || c.Channel != before.Conversation.Channel {
					t.Errorf("new conversation = %+v; want previous %s, status bot, same contact and channel, a new number, 1 turn, nobody assigned",
						c, old)
				}
				// The visitor now writes to, and reads from, the new conversation.
				cur, err := db.VisitorConversation(context.Background(), v)
				if err != nil || cur != c.ID {
					t.Errorf("VisitorConversation = %s, %v; want %s", cur, err, c.ID)
				}
				next := e.say(t, v, "Hello?")
				if next.ConversationID != c.ID {
					t.Errorf("the next visitor message went to %s, want %s", next.ConversationID, c.ID)
				}
				evs, err := db.VisitorMessages(context.Background(), v, 0, 0)
				if err != nil || len(evs) != 2 || evs[0].Seq != 1 || evs[0].ConversationID != c.ID {
					t.Errorf("VisitorMessages = %d events, %v; want the 2 messages of the new conversation from seq 1", len(evs), err)
				}
				e.unchanged(t, before, "a second visitor message after "+string(ended))
			})
		}
	})
}

// TestReopenedSessionFollowsTheLinkedConversation checks that a returning visitor with a
// user id lands in the newest of their conversations.
func TestReopenedSessionFollowsTheLinkedConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		s, v := e.visitor(t, "u-9")
		e.say(t, v, "Hi")
		e.act(t, s.ConversationID, baton.ActionRequest{Action: baton.ActionResolve})
		m := e.say(t, v, "Hi again")
		again, _ := e.visitor(t, "u-9")
		if again.ConversationID != m.ConversationID {
			t.Errorf("OpenSession(returning user) = conversation %s, want the newest %s", again.ConversationID, m.ConversationID)
		}
	})
}

// TestConcurrentOpenSessionSameUser: two tabs of a new signed-in visitor open the widget at
// the same moment; both get a session on the same contact and conversation.
func TestConcurrentOpenSessionSameUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		for round := 0; round < 20; round++ {
			uid := fmt.Sprintf("tabs-%d", round)
			var (
				wg       sync.WaitGroup
				ready    = make(chan struct{})
				sessions = make([]*baton.VisitorSession, 2)
				errs     = make([]error, 2)
			)
			for i := range sessions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-ready
					sessions[i], errs[i] = db.OpenSession(context.Background(), baton.VisitorSessionCreate{Chatbot: "acme", UserID: uid})
				}()
			}
			close(ready)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d: OpenSession %d = %v, want a session", round, i, err)
				}
			}
			if sessions[0].ConversationID != sessions[1].ConversationID {
				t.Errorf("round %d: two tabs got conversations %s and %s, want the same", round, sessions[0].ConversationID, sessions[1].ConversationID)
			}
		}
	})
}
