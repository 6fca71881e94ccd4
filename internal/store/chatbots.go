package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store/db"
)

func chatbotFromRow(c db.Chatbot) *baton.Chatbot {
	cs := parseSettings(c.Settings)
	return &baton.Chatbot{ID: c.ID, AccountID: c.AccountID, Slug: c.Slug, Name: c.Name, Greeting: c.Greeting,
		HandoverWebhookURL: c.HandoverWebhookUrl, MessageWebhookURL: c.MessageWebhookUrl,
		IdentityVerification: c.IdentityVerification, DefaultQueueID: deref(c.DefaultQueueID), AI: cs.AI.AISettings, Timers: *cs.Timers, CreatedAt: c.CreatedAt}
}

// ListChatbots lists the actor's chatbots.
func (d *DB) ListChatbots(ctx context.Context) ([]*baton.Chatbot, error) {
	rows, err := d.read().ListChatbots(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, fmt.Errorf("list chatbots: %w", err)
	}
	out := make([]*baton.Chatbot, len(rows))
	for i, r := range rows {
		out[i] = chatbotFromRow(r)
	}
	return out, nil
}

// FindChatbot finds a chatbot of the actor's account by id or slug.
func (d *DB) FindChatbot(ctx context.Context, ref string) (*baton.Chatbot, error) {
	c, err := d.read().GetChatbot(ctx, db.GetChatbotParams{AccountID: baton.ActorFromContext(ctx).AccountID, ID: ref})
	if isNoRows(err) {
		return nil, baton.NotFound("Chatbot")
	} else if err != nil {
		return nil, fmt.Errorf("find chatbot: %w", err)
	}
	return chatbotFromRow(c), nil
}

// IdentitySecret returns the chatbot's HMAC secret for identity verification (W5).
func (d *DB) IdentitySecret(ctx context.Context, ref string) (string, error) {
	c, err := d.read().GetChatbot(ctx, db.GetChatbotParams{AccountID: baton.ActorFromContext(ctx).AccountID, ID: ref})
	if isNoRows(err) {
		return "", baton.NotFound("Chatbot")
	} else if err != nil {
		return "", fmt.Errorf("find chatbot: %w", err)
	}
	return d.openIdentitySecret(c.IdentitySecret)
}

// openIdentitySecret unseals a stored identity secret. Secrets stored before they were
// sealed (random, and never shown to anyone) are used as they are.
func (d *DB) openIdentitySecret(stored string) (string, error) {
	if d.Secrets == nil || !secret.IsSealed(stored) {
		return stored, nil
	}
	return d.Unseal(stored)
}

// RotateIdentitySecret gives the chatbot a new identity secret (W5), stored sealed, and
// returns it: the one time it is shown. Sites must sign user ids with the new one. also
// runs in the same transaction.
func (d *DB) RotateIdentitySecret(ctx context.Context, ref string, also ...func(*Tx, *baton.Chatbot) error) (string, error) {
	fresh := randomToken("")
	err := d.Write(ctx, func(tx *Tx) error {
		c, err := tx.GetChatbot(ctx, db.GetChatbotParams{AccountID: baton.ActorFromContext(ctx).AccountID, ID: ref})
		if isNoRows(err) {
			return baton.NotFound("Chatbot")
		} else if err != nil {
			return err
		}
		if _, err := tx.SetChatbotIdentitySecret(ctx, db.SetChatbotIdentitySecretParams{ID: c.ID, AccountID: c.AccountID,
			IdentitySecret: d.seal(fresh)}); err != nil {
			return err
		}
		for _, f := range also {
			if err := f(tx, chatbotFromRow(c)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fresh, nil
}

// UpdateChatbot changes a chatbot of the actor's account.
func (d *DB) UpdateChatbot(ctx context.Context, ref string, up baton.ChatbotUpdate) (*baton.Chatbot, error) {
	var out db.Chatbot
	err := d.Write(ctx, func(tx *Tx) error {
		c, err := tx.GetChatbot(ctx, db.GetChatbotParams{AccountID: baton.ActorFromContext(ctx).AccountID, ID: ref})
		if isNoRows(err) {
			return baton.NotFound("Chatbot")
		} else if err != nil {
			return err
		}
		if up.Name != nil {
			n := strings.TrimSpace(*up.Name)
			if n == "" || utf8.RuneCountInString(n) > 100 {
				return baton.Invalid("A chatbot needs a name of 1 to 100 characters.")
			}
			c.Name = n
		}
		if up.Greeting != nil {
			if utf8.RuneCountInString(*up.Greeting) > 1000 {
				return baton.Invalid("The greeting is too long (1000 characters at most).")
			}
			c.Greeting = *up.Greeting
		}
		if up.HandoverWebhookURL != nil {
			if err := checkHTTPURL("handover_webhook_url", *up.HandoverWebhookURL); err != nil {
				return err
			}
			c.HandoverWebhookUrl = *up.HandoverWebhookURL
		}
		if up.MessageWebhookURL != nil {
			if err := checkHTTPURL("message_webhook_url", *up.MessageWebhookURL); err != nil {
				return err
			}
			c.MessageWebhookUrl = *up.MessageWebhookURL
		}
		if up.IdentityVerification != nil {
			c.IdentityVerification = *up.IdentityVerification
		}
		cs := parseSettings(c.Settings)
		if up.AI != nil {
			if err := cs.applyAI(up.AI, d.seal); err != nil {
				return err
			}
		}
		if up.Timers != nil {
			if err := checkTimers(up.Timers); err != nil {
				return err
			}
			cs.Timers = up.Timers
		}
		c.Settings = cs.encode()
		out = c
		return tx.UpdateChatbot(ctx, db.UpdateChatbotParams{ID: c.ID, AccountID: c.AccountID, Name: c.Name,
			Greeting: c.Greeting, HandoverWebhookUrl: c.HandoverWebhookUrl, MessageWebhookUrl: c.MessageWebhookUrl,
			IdentityVerification: c.IdentityVerification, Settings: c.Settings})
	})
	if err != nil {
		return nil, err
	}
	return chatbotFromRow(out), nil
}

// PublicChatbot is what the widget may know of a chatbot (GET /widget/v1/config).
func (d *DB) PublicChatbot(ctx context.Context, slug string) (*baton.Chatbot, error) {
	c, err := d.read().GetChatbotBySlug(ctx, slug)
	if isNoRows(err) {
		return nil, baton.NotFound("Chatbot")
	} else if err != nil {
		return nil, fmt.Errorf("find chatbot: %w", err)
	}
	return chatbotFromRow(c), nil
}
