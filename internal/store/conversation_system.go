package store

import (
	"context"

	"github.com/baton-chat/baton"
)

// SystemMessage posts a system message (from "Baton") to a conversation of the account
// inside tx, for the packages whose writes a conversation announces (a ticket linked to
// it): it locks the conversation, appends the message and its event with the next seq,
// and saves the conversation's activity. ENOTFOUND if the account has no such
// conversation.
func (d *DB) SystemMessage(ctx context.Context, tx *Tx, accountID, conversationID, text string) error {
	ct, err := d.lockConversation(ctx, tx, accountID, conversationID)
	if err != nil {
		return err
	}
	if _, err := ct.addMessage(baton.KindSystem, sender{name: "Baton"}, text, ""); err != nil {
		return err
	}
	return ct.save()
}
