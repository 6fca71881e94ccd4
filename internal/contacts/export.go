package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/jackc/pgx/v5"
)

// Export is everything the account holds about one contact (API.md
// GET /api/v1/contacts/{id}/export).
type Export struct {
	ExportedAt    time.Time      `json:"exported_at"`
	Contact       *Contact       `json:"contact"`
	Conversations []Conversation `json:"conversations"`
	Tickets       []Ticket       `json:"tickets"`
	Attachments   []Attachment   `json:"attachments"`
}

// Conversation is one of the contact's conversations with its whole thread.
type Conversation struct {
	ID        string    `json:"id"`
	Number    int64     `json:"number"`
	Channel   string    `json:"channel"`
	Status    string    `json:"status"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
	Messages  []Message `json:"messages"`
}

// Message is one message of a thread: who wrote it (kind: visitor, bot, agent, system,
// note), the words, the time. Internal notes are included: they are held about the person.
type Message struct {
	ID          string             `json:"id"`
	Seq         int64              `json:"seq"`
	Kind        string             `json:"kind"`
	SenderName  string             `json:"sender_name"`
	Content     string             `json:"content"`
	Attachments []baton.Attachment `json:"attachments"`
	CreatedAt   time.Time          `json:"created_at"`
}

// Ticket is a ticket linked to the contact.
type Ticket struct {
	ID          string    `json:"id"`
	Number      int64     `json:"number"`
	Subject     string    `json:"subject"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

// Attachment is a file of one of the contact's conversations (its bytes are served at URL).
type Attachment struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	MessageID      *string   `json:"message_id"`
	Name           string    `json:"name"`
	ContentType    string    `json:"content_type"`
	Size           int64     `json:"size"`
	URL            string    `json:"url"`
	CreatedAt      time.Time `json:"created_at"`
}

// MaxExportMessages bounds the messages one export reads (a contact of a long-lived
// channel may have many; past the bound the export is refused rather than truncated).
const MaxExportMessages = 100000

// ExportContact reads everything the account holds about the contact and records the
// export, by, in the audit log (ENOTFOUND for a contact of another account or none).
func ExportContact(ctx context.Context, d *store.DB, accountID, contactID string, by audit.Entry) (*Export, error) {
	r := d.Reader()
	c, err := contact(ctx, r, accountID, contactID)
	if err != nil {
		return nil, err
	}
	x := &Export{ExportedAt: d.Now().UTC(), Contact: c, Conversations: []Conversation{}, Tickets: []Ticket{}, Attachments: []Attachment{}}
	if x.Conversations, err = conversations(ctx, r, accountID, contactID); err != nil {
		return nil, err
	}
	if x.Tickets, err = tickets(ctx, r, accountID, contactID); err != nil {
		return nil, err
	}
	if x.Attachments, err = attachments(ctx, r, accountID, contactID); err != nil {
		return nil, err
	}
	n := 0
	for _, cv := range x.Conversations {
		n += len(cv.Messages)
	}
	e := by.With("conversations", len(x.Conversations)).With("messages", n).With("tickets", len(x.Tickets)).With("attachments", len(x.Attachments))
	e.AccountID, e.Action, e.Target = accountID, audit.ContactExport, "contact:"+contactID
	if err := audit.Log(ctx, d, e); err != nil {
		return nil, err
	}
	return x, nil
}

func conversations(ctx context.Context, q db.DBTX, accountID, contactID string) ([]Conversation, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM messages WHERE account_id = $1 AND conversation_id IN
(SELECT id FROM conversations WHERE account_id = $1 AND contact_id = $2)`, accountID, contactID).Scan(&n); err != nil {
		return nil, fmt.Errorf("export: count messages: %w", err)
	}
	if n > MaxExportMessages {
		return nil, baton.Errorf(baton.EINVALID, "This contact has more than %d messages: too many to export at once.", MaxExportMessages)
	}
	rows, err := q.Query(ctx, `SELECT id, number, channel, status, subject, created_at FROM conversations
WHERE account_id = $1 AND contact_id = $2 ORDER BY created_at, id`, accountID, contactID)
	if err != nil {
		return nil, fmt.Errorf("export: conversations: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Conversation, error) {
		c := Conversation{Messages: []Message{}}
		err := r.Scan(&c.ID, &c.Number, &c.Channel, &c.Status, &c.Subject, &c.CreatedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("export: conversations: %w", err)
	}
	for i := range cs {
		rows, err := q.Query(ctx, `SELECT id, seq, kind, sender_name, content, attachments, created_at FROM messages
WHERE account_id = $1 AND conversation_id = $2 ORDER BY seq`, accountID, cs[i].ID)
		if err != nil {
			return nil, fmt.Errorf("export: messages: %w", err)
		}
		cs[i].Messages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
			var (
				m     Message
				files string
			)
			if err := r.Scan(&m.ID, &m.Seq, &m.Kind, &m.SenderName, &m.Content, &files, &m.CreatedAt); err != nil {
				return m, err
			}
			m.Attachments = []baton.Attachment{}
			_ = json.Unmarshal([]byte(files), &m.Attachments) // written by the store as a JSON list
			return m, nil
		})
		if err != nil {
			return nil, fmt.Errorf("export: messages: %w", err)
		}
	}
	return cs, nil
}

func tickets(ctx context.Context, q db.DBTX, accountID, contactID string) ([]Ticket, error) {
	rows, err := q.Query(ctx, `SELECT id, number, subject, description, status, created_at FROM tickets
WHERE account_id = $1 AND (contact_id = $2 OR id IN (SELECT tc.ticket_id FROM ticket_conversations tc
JOIN conversations c ON c.id = tc.conversation_id WHERE c.account_id = $1 AND c.contact_id = $2)) ORDER BY created_at, id`, accountID, contactID)
	if err != nil {
		return nil, fmt.Errorf("export: tickets: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Ticket, error) {
		var t Ticket
		err := r.Scan(&t.ID, &t.Number, &t.Subject, &t.Description, &t.Status, &t.CreatedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("export: tickets: %w", err)
	}
	return ts, nil
}

func attachments(ctx context.Context, q db.DBTX, accountID, contactID string) ([]Attachment, error) {
	rows, err := q.Query(ctx, `SELECT id, conversation_id, message_id, name, content_type, size, created_at FROM attachments
WHERE account_id = $1 AND conversation_id IN (SELECT id FROM conversations WHERE account_id = $1 AND contact_id = $2)
ORDER BY created_at, id`, accountID, contactID)
	if err != nil {
		return nil, fmt.Errorf("export: attachments: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attachment, error) {
		var a Attachment
		if err := r.Scan(&a.ID, &a.ConversationID, &a.MessageID, &a.Name, &a.ContentType, &a.Size, &a.CreatedAt); err != nil {
			return a, err
		}
		a.URL = store.AttachmentURL(a.ID)
		return a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: attachments: %w", err)
	}
	return as, nil
}
