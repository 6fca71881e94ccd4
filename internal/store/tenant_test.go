package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// TestTenantIsolation calls every account-scoped method as account B with account A's ids:
// each is not found, changes nothing, and B's lists never show A's data.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := setup(t, db)
		b := a.otherAccount(t)
		ctx := context.Background()

		// A's data: a handed-off conversation with a tag, a label, a note and a reply; a token.
		id, _ := a.conversationIn(t, baton.StatusHuman)
		if _, err := db.UpdateConversation(a.ctx, id, baton.ConversationUpdate{Tags: &[]string{"secret-tag"}, Labels: &[]string{"Escalated"}}); err != nil {
			t.Fatalf("UpdateConversation = %v", err)
		}
		if _, err := db.Reply(a.ctx, id, "A's private note", true); err != nil {
			t.Fatalf("Reply(note) = %v", err)
		}
		tok, err := db.CreateToken(a.ctx, "A's desk", []baton.Scope{baton.ScopeRead})
		if err != nil {
			t.Fatalf("CreateToken = %v", err)
		}
		// B has a conversation of its own, for the methods that need one.
		bID, _ := b.conversationIn(t, baton.StatusHuman)
		before := a.snapshot(t, id)
		bBefore := b.snapshot(t, bID)

		for _, tc := range []struct {
			name string
			call func() error
		}{
			{"FindConversation", func() error { _, err := db.FindConversation(b.ctx, id); return err }},
			{"ListMessages", func() error { _, err := db.ListMessages(b.ctx, id, 0, 0); return err }},
			{"Reply", func() error { _, err := db.Reply(b.ctx, id, "hi from B", false); return err }},
			{"Reply(note)", func() error { _, err := db.Reply(b.ctx, id, "note from B", true); return err }},
			{"UpdateConversation", func() error {
				_, err := db.UpdateConversation(b.ctx, id, baton.ConversationUpdate{Priority: ptr(baton.PriorityLow)})
				return err
			}},
			{"FindChatbot(id)", func() error { _, err := db.FindChatbot(b.ctx, a.bot.ID); return err }},
			{"FindChatbot(slug)", func() error { _, err := db.FindChatbot(b.ctx, a.bot.Slug); return err }},
			{"UpdateChatbot", func() error {
				_, err := db.UpdateChatbot(b.ctx, a.bot.ID, baton.ChatbotUpdate{Name: ptr("B was here")})
				return err
			}},
			{"IdentitySecret", func() error { _, err := db.IdentitySecret(b.ctx, a.bot.Slug); return err }},
			{"RevokeToken", func() error { return db.RevokeToken(b.ctx, tok.ID) }},
			{"FindUser", func() error { _, err := db.FindUser(ctx, b.account.ID, a.owner.ID); return err }},
			{"UpdateUser", func() error {
				_, err := db.UpdateUser(ctx, b.account.ID, a.owner.ID, baton.UserUpdate{FirstName: ptr("Mallory")}, "")
				return err
			}},
		} {
			t.Run(tc.name+" of another account is not found", func(t *testing.T) {
				wantCode(t, tc.call(), baton.ENOTFOUND, "%s as account B on A's id", tc.name)
			})
		}
		for _, action := range baton.AgentActions {
			_, err := db.Act(b.ctx, id, baton.ActionRequest{Action: action, AgentID: b.owner.ID})
			wantCode(t, err, baton.ENOTFOUND, "Act(%s) as account B on A's conversation", action)
		}
		a.unchanged(t, before, "account B's calls")

		// B cannot pull A's people or labels into its own conversation either.
		for name, u := range map[string]baton.ConversationUpdate{
			"A's user as collaborator": {Collaborators: &[]string{a.owner.ID}},
			"A's user as assignee":     {AssigneeID: ptr(a.owner.ID)},
		} {
			_, err := db.UpdateConversation(b.ctx, bID, u)
			wantCode(t, err, baton.EINVALID, "UpdateConversation(B's conversation, %s)", name)
		}
		_, err = db.Act(b.ctx, bID, baton.ActionRequest{Action: baton.ActionTransfer, AgentID: a.owner.ID})
		wantCode(t, err, baton.ENOTFOUND, "Act(transfer B's conversation to A's agent)")
		b.unchanged(t, bBefore, "account B's cross-account updates")

		// Nothing of A in B's lists, whatever the filter.
		for _, f := range []baton.ConversationFilter{
			{}, {Query: "order"}, {Query: "private"}, {Query: "1"}, {Tag: "secret-tag"}, {Label: "Escalated"},
			{Statuses: []baton.Status{baton.StatusHuman}}, {AssigneeID: a.owner.ID}, {Limit: store.MaxPageSize},
		} {
			for _, got := range b.list(t, f) {
				if got != bID {
					t.Errorf("ListConversations(%+v) as B lists %s, want only B's %s", f, got, bID)
				}
			}
		}
		if bots, _ := db.ListChatbots(b.ctx); len(bots) != 1 || bots[0].ID != b.bot.ID {
			t.Errorf("ListChatbots as B = %+v, want only B's chatbot", bots)
		}
		if toks, _ := db.ListTokens(b.ctx); len(toks) != 0 {
			t.Errorf("ListTokens as B = %+v, want none", toks)
		}
		if users, _ := db.ListUsers(ctx, b.account.ID); len(users) != 1 || users[0].ID != b.owner.ID {
			t.Errorf("ListUsers(B) = %+v, want only B's owner", users)
		}
		aLabels, _ := labelsOf(a.ctx, db)
		bLabels, _ := labelsOf(b.ctx, db)
		for _, l := range bLabels {
			if slices.ContainsFunc(aLabels, func(x map[string]string) bool { return x["id"] == l["id"] }) {
				t.Errorf("Labels as B includes A's label %v", l)
			}
		}

		// A's own view is intact.
		if _, err := db.Authenticate(ctx, tok.Token); err != nil {
			t.Errorf("A's token after B's revoke = %v, want valid", err)
		}
		if c, _ := db.FindChatbot(a.ctx, a.bot.ID); c.Name != "Acme Bot" {
			t.Errorf("A's chatbot name = %q after B's update, want Acme Bot", c.Name)
		}
		if u, _ := db.FindUser(ctx, a.account.ID, a.owner.ID); u.FirstName != "Olivia" {
			t.Errorf("A's owner first name = %q after B's update, want Olivia", u.FirstName)
		}
	})
}
