package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Notification is something a teammate should see: a mention (M7), an assignment, a
// handoff of a conversation they follow.
type Notification struct {
	ID             string     `json:"id"`
	Kind           string     `json:"kind"` // mention, assigned, following
	ConversationID string     `json:"conversation_id,omitempty"`
	MessageID      string     `json:"message_id,omitempty"`
	ActorName      string     `json:"actor_name"`
	Body           string     `json:"body"`
	CreatedAt      time.Time  `json:"created_at"`
	ReadAt         *time.Time `json:"read_at"`
}

// EventNotification is the team event that carries a notification to its user's sockets.
const EventNotification = "notification"

// notify stores a notification for userID and emits it on the conversation stream; the
// hub delivers notification events only to that user (see realtime).
func (ct *convTx) notify(userID, kind, messageID, body string) error {
	return ct.notifyFrom(userID, kind, messageID, "", body)
}

// notifyFrom is notify with the name of the teammate who caused it.
func (ct *convTx) notifyFrom(userID, kind, messageID, actor, body string) error {
	n := db.Notification{ID: ct.d.NewID(), AccountID: ct.c.AccountID, UserID: userID, Kind: kind,
		ConversationID: &ct.c.ID, ActorName: actor, Body: truncate(body, 300), CreatedAt: ct.Now()}
	if messageID != "" {
		n.MessageID = &messageID
	}
	return ct.storeNotification(n)
}

func (ct *convTx) storeNotification(n db.Notification) error {
	if err := ct.CreateNotification(ct.ctx, db.CreateNotificationParams{ID: n.ID, AccountID: n.AccountID, UserID: n.UserID,
		Kind: n.Kind, ConversationID: n.ConversationID, MessageID: n.MessageID, ActorName: n.ActorName, Body: n.Body,
		CreatedAt: n.CreatedAt}); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	ct.Emit(&baton.Event{AccountID: n.AccountID, ConversationID: ct.c.ID, Type: EventNotification,
		Payload: mustJSON(map[string]any{"user_id": n.UserID, "notification": notificationFromRow(n)}), CreatedAt: n.CreatedAt})
	return nil
}

func notificationFromRow(n db.Notification) *Notification {
	return &Notification{ID: n.ID, Kind: n.Kind, ConversationID: deref(n.ConversationID), MessageID: deref(n.MessageID),
		ActorName: n.ActorName, Body: n.Body, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
}

var mentionRe = regexp.MustCompile(`(?:^|[^\w@.])@([\p{L}\p{N}._%+-]+(?:@[\p{L}\p{N}.-]+\.[\p{L}]{2,})?)`)

// mentions finds the teammates an internal note mentions (M7): @FirstName, @email or the
// part of the email before @, case-insensitively.
func (ct *convTx) mentions(content string) ([]db.User, error) {
	matches := mentionRe.FindAllStringSubmatch(content, 20)
	if len(matches) == 0 {
		return nil, nil
	}
	users, err := ct.ListUsers(ct.ctx, ct.c.AccountID)
	if err != nil {
		return nil, err
	}
	var out []db.User
	seen := map[string]bool{}
	for _, m := range matches {
		name := strings.ToLower(strings.TrimRight(m[1], ".,"))
		for _, u := range users {
			local, _, _ := strings.Cut(u.Email, "@")
			if seen[u.ID] || !(strings.EqualFold(u.FirstName, name) || strings.EqualFold(u.Email, name) || strings.EqualFold(local, name)) {
				continue
			}
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// ListNotifications lists the actor's notifications, newest first, and how many are unread.
func (d *DB) ListNotifications(ctx context.Context, limit int) ([]*Notification, int64, error) {
	a := baton.ActorFromContext(ctx)
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	rows, err := d.read().ListNotifications(ctx, db.ListNotificationsParams{UserID: a.UserID(), AccountID: a.AccountID, Limit: int32(limit)})
	if err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	unread, err := d.read().CountUnreadNotifications(ctx, db.CountUnreadNotificationsParams{UserID: a.UserID(), AccountID: a.AccountID})
	if err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	out := make([]*Notification, len(rows))
	for i, r := range rows {
		out[i] = notificationFromRow(r)
	}
	return out, unread, nil
}

// MarkNotificationRead marks one of the actor's notifications read ("all" marks every one).
func (d *DB) MarkNotificationRead(ctx context.Context, id string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *Tx) error {
		now := tx.Now()
		if id == "all" {
			return tx.MarkAllNotificationsRead(ctx, db.MarkAllNotificationsReadParams{UserID: a.UserID(), ReadAt: &now})
		}
		n, err := tx.MarkNotificationRead(ctx, db.MarkNotificationReadParams{ID: id, UserID: a.UserID(), ReadAt: &now})
		if err != nil {
			return err
		}
		if n == 0 {
			var exists int
			if err := tx.conn.QueryRow(ctx, "SELECT count(*) FROM notifications WHERE id = $1 AND user_id = $2", id, a.UserID()).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return baton.NotFound("Notification")
			}
		}
		return nil
	})
}
