package tickets

import (
	"context"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// OfflineMessage stores the widget's offline form (W4): the contact's name and email are
// updated and a follow-up ticket is opened, linked to the visitor's conversation.
func OfflineMessage(ctx context.Context, d *store.DB, v *baton.Visitor, name, email, message string) (*baton.Ticket, error) {
	name = strings.TrimSpace(name)
	if err := store.CheckName("name", name); err != nil {
		return nil, err
	}
	email, err := store.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if message, err = store.CheckContent(message); err != nil {
		return nil, err
	}
	var id string
	err = d.Write(ctx, func(tx *store.Tx) error {
		contact, err := tx.GetContact(ctx, db.GetContactParams{ID: v.ContactID, AccountID: v.AccountID})
		if err != nil {
			return err
		}
		if name != "" {
			contact.Name = name
		}
		contact.Email = email
		if err := tx.UpdateContact(ctx, db.UpdateContactParams{ID: contact.ID, AccountID: contact.AccountID, Name: contact.Name,
			Email: contact.Email, Phone: contact.Phone, Attributes: contact.Attributes}); err != nil {
			return err
		}
		conv, err := tx.LatestConversationForContact(ctx, v.ContactID)
		if err != nil {
			return err
		}
		who := name
		if who == "" {
			who = email
		}
		id, err = create(ctx, d, tx, v.AccountID, baton.TicketCreate{Subject: "Offline message from " + who,
			Description: message, Priority: baton.PriorityMedium, ConversationIDs: []string{conv.ID}}, "offline_form", "", contact.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	q := db.New(d.Reader())
	t, err := q.GetTicket(ctx, db.GetTicketParams{ID: id, AccountID: v.AccountID})
	if err != nil {
		return nil, err
	}
	return fromRow(ctx, q, t), nil
}
