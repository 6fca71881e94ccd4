// Package notify is a teammate's notifications inbox: the list of what they should see (a
// mention, an assignment, a handoff of a conversation they follow), newest first with the
// unread count, and marking them read. The notifications themselves are written by the
// conversation acts that cause them, in the act's transaction (internal/store).
package notify

import (
	"context"
	"fmt"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// List lists the actor's notifications, newest first, and how many are unread.
func List(ctx context.Context, d *store.DB, limit int) ([]*baton.Notification, int64, error) {
	a := baton.ActorFromContext(ctx)
	if limit <= 0 || limit > store.MaxPageSize {
		limit = store.DefaultPageSize
	}
	q := db.New(d.Reader())
	rows, err := q.ListNotifications(ctx, db.ListNotificationsParams{UserID: a.UserID(), AccountID: a.AccountID, Limit: int32(limit)})
	if err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	unread, err := q.CountUnreadNotifications(ctx, db.CountUnreadNotificationsParams{UserID: a.UserID(), AccountID: a.AccountID})
	if err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	out := make([]*baton.Notification, len(rows))
	for i, r := range rows {
		out[i] = store.NotificationFromRow(r)
	}
	return out, unread, nil
}

// MarkRead marks one of the actor's notifications read ("all" marks every one). A
// notification of someone else, or none, is ENOTFOUND.
func MarkRead(ctx context.Context, d *store.DB, id string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *store.Tx) error {
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
			if err := tx.Conn().QueryRow(ctx, "SELECT count(*) FROM notifications WHERE id = $1 AND user_id = $2", id, a.UserID()).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return baton.NotFound("Notification")
			}
		}
		return nil
	})
}
