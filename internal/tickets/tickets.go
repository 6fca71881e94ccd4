// Package tickets is the team's follow-up work (T1): tickets with a subject, priority,
// status and assignee, numbered per account and linked to the conversations they follow
// up (each linked conversation gets a system message), the filtered ticket list, and the
// ticket the widget's offline form opens for the visitor's message (W4).
package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/jackc/pgx/v5"
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

// Create makes a ticket, linked to the given conversations of the account.
func Create(ctx context.Context, d *store.DB, c baton.TicketCreate) (*baton.Ticket, error) {
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
	err := d.Write(ctx, func(tx *store.Tx) error {
		var err error
		id, err = create(ctx, d, tx, a.AccountID, c, "agent", a.UserID(), "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return Find(ctx, d, id)
}

func create(ctx context.Context, d *store.DB, tx *store.Tx, accountID string, c baton.TicketCreate, source, createdBy, contactID string) (string, error) {
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
		payload, _ := json.Marshal(map[string]string{"ticket_id": id}) // a map of strings always marshals
		tx.Emit(&baton.Event{Type: baton.EventTicketCreated, AccountID: accountID, CreatedAt: tx.Now(),
			Payload: payload})
	}
	for _, cid := range c.ConversationIDs {
		if err := tx.LinkTicketConversation(ctx, db.LinkTicketConversationParams{TicketID: id, ConversationID: cid}); err != nil {
			return "", err
		}
		if err := d.SystemMessage(ctx, tx, accountID, cid, fmt.Sprintf("Ticket #%d created: %s", num, strings.TrimSpace(c.Subject))); err != nil {
			return "", err
		}
	}
	return id, nil
}

// Find returns a ticket of the actor's account with its conversations.
func Find(ctx context.Context, d *store.DB, id string) (*baton.Ticket, error) {
	a := baton.ActorFromContext(ctx)
	q := db.New(d.Reader())
	t, err := q.GetTicket(ctx, db.GetTicketParams{ID: id, AccountID: a.AccountID})
	if isNoRows(err) {
		return nil, baton.NotFound("Ticket")
	} else if err != nil {
		return nil, fmt.Errorf("find ticket: %w", err)
	}
	out := fromRow(ctx, q, t)
	if out.ConversationIDs, err = q.TicketConversationIDs(ctx, id); err != nil {
		return nil, fmt.Errorf("ticket conversations: %w", err)
	}
	if out.ConversationIDs == nil {
		out.ConversationIDs = []string{}
	}
	return out, nil
}

func fromRow(ctx context.Context, q *db.Queries, t db.Ticket) *baton.Ticket {
	out := &baton.Ticket{ID: t.ID, Number: t.Number, Subject: t.Subject, Description: t.Description,
		Priority: baton.Priority(t.Priority), Status: t.Status, ContactID: deref(t.ContactID), Source: t.Source,
		ConversationIDs: []string{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.AssigneeID != nil {
		if u, err := q.GetUser(ctx, db.GetUserParams{ID: *t.AssigneeID, AccountID: t.AccountID}); err == nil {
			name := (&baton.User{Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}).DisplayName()
			out.Assignee = &baton.UserRef{ID: u.ID, Name: name, Email: u.Email}
		}
	}
	return out
}

// Update changes a ticket and its links.
func Update(ctx context.Context, d *store.DB, id string, up baton.TicketUpdate) (*baton.Ticket, error) {
	a := baton.ActorFromContext(ctx)
	err := d.Write(ctx, func(tx *store.Tx) error {
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
	return Find(ctx, d, id)
}

// List lists the account's tickets, most recently updated first, and the cursor of the
// next page ("" on the last).
func List(ctx context.Context, d *store.DB, f baton.TicketFilter) ([]*baton.Ticket, string, error) {
	a := baton.ActorFromContext(ctx)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{"t.account_id = " + arg(a.AccountID)}
	if f.Status != "" {
		where = append(where, "t.status = "+arg(f.Status))
	}
	if f.Priority != "" {
		where = append(where, "t.priority = "+arg(string(f.Priority)))
	}
	if f.AssigneeID == "none" {
		where = append(where, "t.assignee_id IS NULL")
	} else if f.AssigneeID != "" {
		where = append(where, "t.assignee_id = "+arg(f.AssigneeID))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if n, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil {
			where = append(where, "t.number = "+arg(n))
		} else {
			p := arg(likePattern(q))
			where = append(where, "(lower(t.subject) LIKE "+p+` ESCAPE '\' OR lower(t.description) LIKE `+p+` ESCAPE '\')`)
		}
	}
	if f.Cursor != "" {
		ts, id, err := store.DecodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		pt, pi := arg(ts), arg(id)
		// A range the (account_id, updated_at, id) index can seek to, as the conversation
		// list's cursor.
		where = append(where, "t.updated_at <= "+pt+" AND (t.updated_at < "+pt+" OR t.id < "+pi+")")
	}
	limit := f.Limit
	if limit <= 0 || limit > store.MaxPageSize {
		limit = store.DefaultPageSize
	}
	rows, err := d.Reader().Query(ctx, `SELECT t.id, t.account_id, t.number, t.subject, t.description, t.priority, t.status,
 t.assignee_id, t.contact_id, t.source, t.created_by, t.created_at, t.updated_at FROM tickets t WHERE `+
		strings.Join(where, " AND ")+" ORDER BY t.updated_at DESC, t.id DESC LIMIT "+arg(limit+1), args...)
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
		next = store.EncodeCursor(list[limit-1].UpdatedAt, list[limit-1].ID)
	}
	q := db.New(d.Reader())
	out := make([]*baton.Ticket, len(list))
	for i, t := range list {
		out[i] = fromRow(ctx, q, t)
		ids, err := q.TicketConversationIDs(ctx, t.ID)
		if err != nil {
			return nil, "", err
		}
		if ids != nil {
			out[i].ConversationIDs = ids
		}
	}
	return out, next, nil
}

// OfConversation lists the tickets linked to a conversation of the actor's account.
func OfConversation(ctx context.Context, d *store.DB, convID string) ([]*baton.Ticket, error) {
	a := baton.ActorFromContext(ctx)
	q := db.New(d.Reader())
	if _, err := q.GetConversation(ctx, db.GetConversationParams{ID: convID, AccountID: a.AccountID}); isNoRows(err) {
		return nil, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, err
	}
	ids, err := q.ConversationTicketIDs(ctx, db.ConversationTicketIDsParams{ConversationID: convID, AccountID: a.AccountID})
	if err != nil {
		return nil, fmt.Errorf("conversation tickets: %w", err)
	}
	out := []*baton.Ticket{}
	for _, id := range ids {
		t, err := Find(ctx, d, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// likePattern is s as a LIKE pattern matching it anywhere, case-insensitively (with ESCAPE
// '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
