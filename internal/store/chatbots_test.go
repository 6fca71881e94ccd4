package store_test

import (
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func TestFindChatbot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		b := e.otherAccount(t)

		for _, ref := range []string{e.bot.ID, e.bot.Slug} {
			c, err := db.FindChatbot(e.ctx, ref)
			if err != nil || c.ID != e.bot.ID || c.Slug != "acme" || c.Name != "Acme Bot" || c.AccountID != e.account.ID {
				t.Errorf("FindChatbot(%q) = %+v, %v; want the acme chatbot", ref, c, err)
			}
		}
		for _, ref := range []string{b.bot.ID, b.bot.Slug, "", "nope"} {
			_, err := db.FindChatbot(e.ctx, ref)
			wantCode(t, err, baton.ENOTFOUND, "FindChatbot(%q) by another account", ref)
		}
		list, err := db.ListChatbots(e.ctx)
		if err != nil || len(list) != 1 || list[0].ID != e.bot.ID {
			t.Errorf("ListChatbots = %+v, %v; want only the acme chatbot", list, err)
		}
		secret, err := db.IdentitySecret(e.ctx, e.bot.Slug)
		if err != nil || len(secret) < 32 {
			t.Errorf("IdentitySecret = %q, %v; want a long random secret", secret, err)
		}
		other, _ := db.IdentitySecret(b.ctx, b.bot.Slug)
		if other == secret {
			t.Errorf("two chatbots share the identity secret %q", secret)
		}
		_, err = db.IdentitySecret(e.ctx, b.bot.ID)
		wantCode(t, err, baton.ENOTFOUND, "IdentitySecret(another account's chatbot)")

		_, _, err = db.CreateAccount(e.ctx, "Copycat", "acme", "Copy Bot")
		wantCode(t, err, baton.ECONFLICT, "CreateAccount with a taken chatbot slug")
	})
}

func TestUpdateChatbot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		b := e.otherAccount(t)

		c, err := db.UpdateChatbot(e.ctx, e.bot.Slug, baton.ChatbotUpdate{Name: ptr(" Ada "),
			HandoverWebhookURL: ptr("https://desk.example.com/handover"), MessageWebhookURL: ptr("http://desk.example.com:8080/m?x=1"),
			IdentityVerification: ptr(true)})
		if err != nil {
			t.Fatalf("UpdateChatbot = %v", err)
		}
		if c.Name != "Ada" || c.HandoverWebhookURL != "https://desk.example.com/handover" ||
			c.MessageWebhookURL != "http://desk.example.com:8080/m?x=1" || !c.IdentityVerification {
			t.Errorf("UpdateChatbot = %+v, want the new name, webhooks and identity verification", c)
		}
		saved, err := db.FindChatbot(e.ctx, e.bot.ID)
		if err != nil || *saved != *c {
			t.Errorf("FindChatbot after update = %+v, %v; want %+v", saved, err, c)
		}

		for _, u := range []string{"ftp://desk.example.com/h", "desk.example.com/h", "http://", "https:///path",
			"javascript:alert(1)", "not a url", "https://" + strings.Repeat("a", 2048) + ".com"} {
			_, err := db.UpdateChatbot(e.ctx, e.bot.ID, baton.ChatbotUpdate{HandoverWebhookURL: ptr(u)})
			wantCode(t, err, baton.EINVALID, "UpdateChatbot(handover_webhook_url %.40q)", u)
			_, err = db.UpdateChatbot(e.ctx, e.bot.ID, baton.ChatbotUpdate{MessageWebhookURL: ptr(u)})
			wantCode(t, err, baton.EINVALID, "UpdateChatbot(message_webhook_url %.40q)", u)
		}
		_, err = db.UpdateChatbot(e.ctx, e.bot.ID, baton.ChatbotUpdate{Name: ptr("  ")})
		wantCode(t, err, baton.EINVALID, "UpdateChatbot(empty name)")
		// A refused update changes nothing, not even the fields that were valid.
		_, err = db.UpdateChatbot(e.ctx, e.bot.ID, baton.ChatbotUpdate{Name: ptr("Bea"), MessageWebhookURL: ptr("gopher://x")})
		wantCode(t, err, baton.EINVALID, "UpdateChatbot(valid name, bad URL)")
		if got, _ := db.FindChatbot(e.ctx, e.bot.ID); *got != *c {
			t.Errorf("after refused updates FindChatbot = %+v, want %+v", got, c)
		}

		// An empty URL turns the webhook off.
		c, err = db.UpdateChatbot(e.ctx, e.bot.ID, baton.ChatbotUpdate{HandoverWebhookURL: ptr("")})
		if err != nil || c.HandoverWebhookURL != "" || c.MessageWebhookURL == "" {
			t.Errorf("UpdateChatbot(clear handover webhook) = %+v, %v; want it cleared and the message webhook kept", c, err)
		}

		_, err = db.UpdateChatbot(b.ctx, e.bot.ID, baton.ChatbotUpdate{Name: ptr("Stolen")})
		wantCode(t, err, baton.ENOTFOUND, "UpdateChatbot(another account's chatbot by id)")
		_, err = db.UpdateChatbot(b.ctx, e.bot.Slug, baton.ChatbotUpdate{Name: ptr("Stolen")})
		wantCode(t, err, baton.ENOTFOUND, "UpdateChatbot(another account's chatbot by slug)")
		if got, _ := db.FindChatbot(e.ctx, e.bot.ID); got.Name != "Ada" {
			t.Errorf("after another account's update the name is %q, want Ada", got.Name)
		}
	})
}
