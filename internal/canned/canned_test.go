package canned_test

import (
	"context"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/canned"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func ptr[T any](v T) *T { return &v }

// account makes an account (its chatbot named "<name> Bot") and returns a context acting
// as its owner, Olivia.
func account(t *testing.T, d *store.DB, name, slug string) (context.Context, *baton.Chatbot) {
	tn := storetest.NewTenant(t, d, name, slug)
	return tn.Ctx, tn.Bot
}

// conversation opens a widget conversation on bot with one visitor message.
func conversation(t *testing.T, d *store.DB, bot *baton.Chatbot) string {
	id, _ := storetest.Conversation(t, d, bot)
	return id
}

func TestCannedResponsesRenderVariables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, bot := account(t, db, "Acme", "acme")
		id := conversation(t, db, bot)
		if _, err := db.UpdateConversation(ctx, id, baton.ConversationUpdate{ContactName: ptr("Maria Lopez"), ContactEmail: ptr("maria@example.com")}); err != nil {
			t.Fatal(err)
		}
		c, err := canned.Create(ctx, db, canned.Input{Shortcut: ptr("/hello"), Category: ptr("Greetings"),
			Content: ptr("Hi {{first_name}} {{ last_name }}, I'm {{agent_name}} from {{chatbot_name}}. We'll write to {{email}} or {{phone}}. Plan: {{plan}}. {{unknown_thing}}")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := canned.Render(ctx, db, c.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		want := "Hi Maria Lopez, I'm Olivia from Acme Bot. We'll write to maria@example.com or . Plan: . "
		if got != want {
			t.Fatalf("Render = %q, want %q", got, want)
		}
		if strings.Contains(got, "{{") {
			t.Fatal("raw braces left in the text")
		}
		if _, err := canned.Create(ctx, db, canned.Input{Shortcut: ptr("hello"), Content: ptr("x")}); baton.ErrorCode(err) != baton.ECONFLICT {
			t.Fatalf("a duplicate shortcut = %v, want conflict", err)
		}
		if _, err := canned.Create(ctx, db, canned.Input{Shortcut: ptr("bad shortcut"), Content: ptr("x")}); baton.ErrorCode(err) != baton.EINVALID {
			t.Fatalf("a shortcut with a space = %v, want invalid", err)
		}
		if _, err := canned.Create(ctx, db, canned.Input{Shortcut: ptr("refund"), Title: ptr("Refund policy"), Content: ptr("Refunds take 5 days.")}); err != nil {
			t.Fatal(err)
		}
		list, _ := canned.List(ctx, db, "ref", "")
		if len(list) != 1 || list[0].Shortcut != "refund" {
			t.Fatalf("search by shortcut = %+v", list)
		}
		list, _ = canned.List(ctx, db, "5 days", "")
		if len(list) != 1 {
			t.Fatalf("search by text = %+v", list)
		}
		list, _ = canned.List(ctx, db, "", "greetings")
		if len(list) != 1 || list[0].Shortcut != "hello" {
			t.Fatalf("by category = %+v", list)
		}
		other, _ := account(t, db, "Globex", "globex")
		if _, err := canned.Render(other, db, c.ID, ""); baton.ErrorCode(err) != baton.ENOTFOUND {
			t.Fatalf("another account renders our canned response: %v", err)
		}
	})
}
