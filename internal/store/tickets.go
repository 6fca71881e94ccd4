package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Ticket limits.
const (
	MaxSubjectLength     = 200
	MaxDescriptionLength = 10000
)

func checkTicketText(subject, description string) error {
	if strings.TrimSpace(subject) == "" || utf8.RuneCountInString(subject) > MaxSubjectLength {
		return baton.Invalid("subject must be 1 to %d characters long.", MaxSubjectLength)
	}
	if utf8.RuneCountInString(description) > MaxDescriptionLength {
		return baton.Invalid("description is too long (%d characters at most).", MaxDescriptionLength)
	}
	return nil
}

func checkTicketPriority(p baton.Priority) error {
	if p == "" || !p.Valid() {
		return baton.Invalid("priority must be low, medium, high or urgent.")
	}
	return nil
}

// CreateTicket makes a ticket, linked to the given conversations of the account.
func (d *DB) CreateTicket(ctx context.Context, c baton.TicketCreate) (*baton.Ticket, error) {
	a := baton.ActorFromContext(ctx)
	if c.Priority == "" {
		c.Priority = baton.PriorityMedium
	}
	if err := checkTicketText(c.Subject, c.Description); err != nil {
		return nil, err
	}
	if err := checkTicketPriority(c.Priority); err != nil {
		return nil, err
	}
	if len(c.ConversationIDs) > 50 {
		return nil, baton.Invalid("A ticket links at most 50 conversations.")
	}
	var id string
	err := d.Write(ctx, func(tx *Tx) error {
		var err error
		id, err = d.createTicket(ctx, tx, a.AccountID, c, "agent", a.UserID(), "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.FindTicket(ctx, id)
}

func (d *DB) createTicket(ctx context.Context, tx *Tx, accountID string, c baton.TicketCreate, source, createdBy, contactID string) (string, error) {
	var assignee *string
	if c.AssigneeID != "" {
		if _, err := tx.GetUser(ctx, db.GetUserParams{ID: c.AssigneeID, AccountID: accountID}); isNoRows(err) {
			return "", baton.Invalid("There is no teammate with id %q.", c.AssigneeID)
		} else if err != nil {
			return "", err
		}
		assignee = &c.AssigneeID
	}
	var contact *string
	for _, cid := range c.ConversationIDs {
		conv, err := tx.GetConversation(ctx, db.GetConversationParams{ID: cid, AccountID: accountID})
		if isNoRows(err) {
			return "", baton.NotFound("Conversation")
		} else if err != nil {
			return "", err
		}
		if contact == nil {
			contact = &conv.ContactID
		}
	}
	if contactID != "" {
		contact = &contactID
	}
	num, err := tx.NextTicketNumber(ctx, accountID)
	if err != nil {
		return "", fmt.Errorf("next ticket number: %w", err)
	}
	var by *string
	if createdBy != "" {
		by = &createdBy
	}
	id := d.NewID()
	if err := tx.CreateTicket(ctx, db.CreateTicketParams{ID: id, AccountID: accountID, Number: int64(num),
		Subject: strings.TrimSpace(c.Subject), Description: c.Description, Priority: string(c.Priority),
		Status: baton.TicketOpen, AssigneeID: assignee, ContactID: contact, Source: source, CreatedBy: by,
		CreatedAt: tx.Now()}); err != nil {
		return "", fmt.Errorf("create ticket: %w", err)
	}
	if len(c.ConversationIDs) == 0 {
		// No conversation's system message announces it: signal it for the ticket.created
		// webhook (integrations hook).
		tx.Emit(&baton.Event{Type: baton.EventTicketCreated, AccountID: accountID, CreatedAt: tx.Now(),
			Payload: mustJSON(map[string]string{"ticket_id": id})})
	}
	for _, cid := range c.ConversationIDs {
		if err := tx.LinkTicketConversation(ctx, db.LinkTicketConversationParams{TicketID: id, ConversationID: cid}); err != nil {
			return "", err
		}
		ct, err := d.lockConversation(ctx, tx, accountID, cid)
		if err != nil {
			return "", err
		}
		if _, err := ct.addMessage(baton.KindSystem, sender{name: "Baton"}, fmt.Sprintf("Ticket #%d created: %s", num, strings.TrimSpace(c.Subject)), ""); err != nil {
			return "", err
		}
		if err := ct.save(); err != nil {
			return "", err
		}
	}
	return id, nil
}

// FindTicket returns a ticket of the actor's account with its conversations.
func (d *DB) FindTicket(ctx context.Context, id string) (*baton.Ticket, error) {
	a := baton.ActorFromContext(ctx)
	q := d.read()
	t, err := q.GetTicket(ctx, db.GetTicketParams{ID: id, AccountID: a.AccountID})
	if isNoRows(err) {
		return nil, baton.NotFound("Ticket")
	} else if err != nil {
		return nil, fmt.Errorf("find ticket: %w", err)
	}
	out := d.ticketFromRow(ctx, t)
	if out.ConversationIDs, err = q.TicketConversationIDs(ctx, id); err != nil {
		return nil, fmt.Errorf("ticket conversations: %w", err)
	}
	if out.ConversationIDs == nil {
		out.ConversationIDs = []string{}
	}
	return out, nil
}

func (d *DB) ticketFromRow(ctx context.Context, t db.Ticket) *baton.Ticket {
	out := &baton.Ticket{ID: t.ID, Number: t.Number, Subject: t.Subject, Description: t.Description,
		Priority: baton.Priority(t.Priority), Status: t.Status, ContactID: deref(t.ContactID), Source: t.Source,
		ConversationIDs: []string{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.AssigneeID != nil {
		if u, err := d.read().GetUser(ctx, db.GetUserParams{ID: *t.AssigneeID, AccountID: t.AccountID}); err == nil {
			out.Assignee = &baton.UserRef{ID: u.ID, Name: userFromRow(u).DisplayName(), Email: u.Email}
		}
	}
	return out
}

// UpdateTicket changes a ticket and its links.
func (d *DB) UpdateTicket(ctx context.Context, id string, up baton.TicketUpdate) (*baton.Ticket, error) {
	a := baton.ActorFromContext(ctx)
	err := d.Write(ctx, func(tx *Tx) error {
		t, err := tx.GetTicket(ctx, db.GetTicketParams{ID: id, AccountID: a.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Ticket")
		} else if err != nil {
			return err
		}
		if up.Subject != nil {
			t.Subject = strings.TrimSpace(*up.Subject)
		}
		if up.Description != nil {
			t.Description = *up.Description
		}
		if err := checkTicketText(t.Subject, t.Description); err != nil {
			return err
		}
		if up.Priority != nil {
			if err := checkTicketPriority(*up.Priority); err != nil {
				return err
			}
			t.Priority = string(*up.Priority)
		}
		if up.Status != nil {
			switch *up.Status {
			case baton.TicketOpen, baton.TicketPending, baton.TicketSolved:
				t.Status = *up.Status
			default:
				return baton.Invalid("status must be open, pending or solved.")
			}
		}
		if up.AssigneeID != nil {
			if *up.AssigneeID == "" {
				t.AssigneeID = nil
			} else {
				if _, err := tx.GetUser(ctx, db.GetUserParams{ID: *up.AssigneeID, AccountID: a.AccountID}); isNoRows(err) {
					return baton.Invalid("There is no teammate with id %q.", *up.AssigneeID)
				} else if err != nil {
					return err
				}
				t.AssigneeID = up.AssigneeID
			}
		}
		for _, cid := range up.Link {
			if _, err := tx.GetConversation(ctx, db.GetConversationParams{ID: cid, AccountID: a.AccountID}); isNoRows(err) {
				return baton.NotFound("Conversation")
			} else if err != nil {
				return err
			}
			if err := tx.LinkTicketConversation(ctx, db.LinkTicketConversationParams{TicketID: id, ConversationID: cid}); err != nil {
				return err
			}
		}
		for _, cid := range up.Unlink {
			if _, err := tx.UnlinkTicketConversation(ctx, db.UnlinkTicketConversationParams{TicketID: id, ConversationID: cid}); err != nil {
				return err
			}
		}
		return tx.UpdateTicket(ctx, db.UpdateTicketParams{ID: id, AccountID: a.AccountID, Subject: t.Subject,
			Description: t.Description, Priority: t.Priority, Status: t.Status, AssigneeID: t.AssigneeID, UpdatedAt: tx.Now()})
	})
	if err != nil {
		return nil, err
	}
	return d.FindTicket(ctx, id)
}

// ListTickets lists the account's tickets, most recently updated first.
func (d *DB) ListTickets(ctx context.Context, f baton.TicketFilter) ([]*baton.Ticket, string, error) {
	a := baton.ActorFromContext(ctx)
	var args sqlArgs
	where := []string{"t.account_id = " + args.add(a.AccountID)}
	if f.Status != "" {
		where = append(where, "t.status = "+args.add(f.Status))
	}
	if f.Priority != "" {
		where = append(where, "t.priority = "+args.add(string(f.Priority)))
	}
	if f.AssigneeID == "none" {
		where = append(where, "t.assignee_id IS NULL")
	} else if f.AssigneeID != "" {
		where = append(where, "t.assignee_id = "+args.add(f.AssigneeID))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if n, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil {
			where = append(where, "t.number = "+args.add(n))
		} else {
			p := args.add(likePattern(q))
			where = append(where, "(lower(t.subject) LIKE "+p+` ESCAPE '\' OR lower(t.description) LIKE `+p+` ESCAPE '\')`)
		}
	}
	if f.Cursor != "" {
		ts, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		pt, pi := args.add(ts), args.add(id)
		// A range the (account_id, updated_at, id) index can seek to, as the conversation
		// list's cursor.
		where = append(where, "t.updated_at <= "+pt+" AND (t.updated_at < "+pt+" OR t.id < "+pi+")")
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	rows, err := d.raw().Query(ctx, `SELECT t.id, t.account_id, t.number, t.subject, t.description, t.priority, t.status,
 t.assignee_id, t.contact_id, t.source, t.created_by, t.created_at, t.updated_at FROM tickets t WHERE `+
		strings.Join(where, " AND ")+" ORDER BY t.updated_at DESC, t.id DESC LIMIT "+args.add(limit+1), args.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	var list []db.Ticket
	for rows.Next() {
		var t db.Ticket
		if err := rows.Scan(&t.ID, &t.AccountID, &t.Number, &t.Subject, &t.Description, &t.Priority, &t.Status,
			&t.AssigneeID, &t.ContactID, &t.Source, &t.CreatedBy, &t.CreatedAt, &t.UpdatedAt); err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("list tickets: %w", err)
		}
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list tickets: %w", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = encodeCursor(list[limit-1].UpdatedAt, list[limit-1].ID)
	}
	out := make([]*baton.Ticket, len(list))
	for i, t := range list {
		out[i] = d.ticketFromRow(ctx, t)
		ids, err := d.read().TicketConversationIDs(ctx, t.ID)
		if err != nil {
			return nil, "", err
		}
		if ids != nil {
			out[i].ConversationIDs = ids
		}
	}
	return out, next, nil
}

// ConversationTickets lists the tickets linked to a conversation.
func (d *DB) ConversationTickets(ctx context.Context, convID string) ([]*baton.Ticket, error) {
	a := baton.ActorFromContext(ctx)
	if _, err := d.read().GetConversation(ctx, db.GetConversationParams{ID: convID, AccountID: a.AccountID}); isNoRows(err) {
		return nil, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, err
	}
	ids, err := d.read().ConversationTicketIDs(ctx, db.ConversationTicketIDsParams{ConversationID: convID, AccountID: a.AccountID})
	if err != nil {
		return nil, fmt.Errorf("conversation tickets: %w", err)
	}
	out := []*baton.Ticket{}
	for _, id := range ids {
		t, err := d.FindTicket(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// OfflineMessage stores the widget's offline form (W4): the contact's name and email are
// updated and a follow-up ticket is opened, linked to the visitor's conversation.
func (d *DB) OfflineMessage(ctx context.Context, v *baton.Visitor, name, email, message string) (*baton.Ticket, error) {
	name = strings.TrimSpace(name)
	if err := checkName("name", name); err != nil {
		return nil, err
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if message, err = CheckContent(message); err != nil {
		return nil, err
	}
	var id string
	err = d.Write(ctx, func(tx *Tx) error {
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
		id, err = d.createTicket(ctx, tx, v.AccountID, baton.TicketCreate{Subject: "Offline message from " + who,
			Description: message, Priority: baton.PriorityMedium, ConversationIDs: []string{conv.ID}}, "offline_form", "", contact.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	t, err := d.read().GetTicket(ctx, db.GetTicketParams{ID: id, AccountID: v.AccountID})
	if err != nil {
		return nil, err
	}
	return d.ticketFromRow(ctx, t), nil
}
