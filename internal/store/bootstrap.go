package store

import (
	"context"
	"fmt"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// DefaultLabels are created with every account (H9).
var DefaultLabels = []struct{ Name, Color string }{
	{"Follow-up Required", "#f59e0b"},
	{"Escalated", "#ef4444"},
	{"Bug Report", "#8b5cf6"},
	{"Feature Request", "#10b981"},
}

// CreateAccount makes an account with its default labels and first chatbot.
func (d *DB) CreateAccount(ctx context.Context, name, chatbotSlug, chatbotName string) (*baton.Account, *baton.Chatbot, error) {
	var acc baton.Account
	var bot db.Chatbot
	err := d.Write(ctx, func(tx *Tx) error {
		acc = baton.Account{ID: d.NewID(), Name: name, CreatedAt: tx.Now()}
		if err := tx.CreateAccount(ctx, db.CreateAccountParams{ID: acc.ID, Name: acc.Name, CreatedAt: acc.CreatedAt}); err != nil {
			return err
		}
		for _, l := range DefaultLabels {
			if err := tx.CreateLabel(ctx, db.CreateLabelParams{ID: d.NewID(), AccountID: acc.ID, Name: l.Name, Color: l.Color}); err != nil {
				return err
			}
		}
		bot = db.Chatbot{ID: d.NewID(), AccountID: acc.ID, Slug: chatbotSlug, Name: chatbotName,
			Greeting:       "Hi! I'm " + chatbotName + ". Ask me anything, or ask for a human at any time.",
			IdentitySecret: d.seal(randomToken("")), CreatedAt: tx.Now()}
		err := tx.CreateChatbot(ctx, db.CreateChatbotParams{ID: bot.ID, AccountID: acc.ID, Slug: bot.Slug, Name: bot.Name,
			Greeting: bot.Greeting, IdentitySecret: bot.IdentitySecret, CreatedAt: bot.CreatedAt})
		if isUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "A chatbot with the slug %q already exists.", chatbotSlug)
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create account: %w", err)
	}
	return &acc, chatbotFromRow(bot), nil
}

// Accounts lists every account (for start-up and the CLI).
func (d *DB) Accounts(ctx context.Context) ([]*baton.Account, error) {
	rows, err := d.read().ListAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	out := make([]*baton.Account, len(rows))
	for i, r := range rows {
		out[i] = &baton.Account{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
	}
	return out, nil
}
