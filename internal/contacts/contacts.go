// Package contacts is what an account holds about a customer: the contact (name, email,
// phone, attributes, the identity a channel knows them by) and the conversations, messages,
// tickets and attachments that name them. It exports all of it for the person (GDPR
// access) and erases it (GDPR erasure); a later issue adds the contacts list, merge and
// attributes here.
package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/jackc/pgx/v5"
)

// Contact is the person as the account holds them.
type Contact struct {
	ID         string         `json:"id"`
	Chatbot    string         `json:"chatbot"`
	Name       string         `json:"name"`
	Email      string         `json:"email"`
	Phone      string         `json:"phone"`
	Attributes map[string]any `json:"attributes"`
	Identities []Identity     `json:"identities"`
	CreatedAt  time.Time      `json:"created_at"`
	LastSeenAt *time.Time     `json:"last_seen_at"`
	// ErasedAt is when the contact's personal data was erased (nil: never).
	ErasedAt *time.Time `json:"erased_at"`
}

// Identity is how a channel knows the contact: the widget's session id, or the
// provider's user id ("tg:<chat_id>", "wa:<wa_id>", an email address…).
type Identity struct {
	Channel   string `json:"channel"`
	SessionID string `json:"session_id"`
}

// contact reads the account's contact (ENOTFOUND if the account has none of that id).
func contact(ctx context.Context, q db.DBTX, accountID, id string) (*Contact, error) {
	var (
		c       Contact
		session string
		attrs   string
	)
	err := q.QueryRow(ctx, `SELECT ct.id, b.slug, ct.session_id, ct.name, ct.email, ct.phone, ct.attributes, ct.created_at, ct.last_seen_at, ct.erased_at
FROM contacts ct JOIN chatbots b ON b.id = ct.chatbot_id WHERE ct.id = $1 AND ct.account_id = $2`, id, accountID).
		Scan(&c.ID, &c.Chatbot, &session, &c.Name, &c.Email, &c.Phone, &attrs, &c.CreatedAt, &c.LastSeenAt, &c.ErasedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, baton.NotFound("Contact")
	} else if err != nil {
		return nil, fmt.Errorf("contact: %w", err)
	}
	c.Attributes = map[string]any{}
	_ = json.Unmarshal([]byte(attrs), &c.Attributes) // stored by the store as a JSON object
	c.Identities = []Identity{}
	if c.ErasedAt == nil {
		c.Identities = append(c.Identities, Identity{Channel: store.ChannelOfSession(session), SessionID: session})
	}
	return &c, nil
}
