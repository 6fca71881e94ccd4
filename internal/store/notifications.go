package store

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Notifications are written here, by the conversation acts that cause them (an offer or
// a transfer assigns, a note mentions), in the act's own transaction, with the event that
// carries them to the user's sockets; internal/notify lists and marks them read.

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
	ct.Emit(&baton.Event{AccountID: n.AccountID, ConversationID: ct.c.ID, Type: baton.EventNotification,
		Payload: mustJSON(map[string]any{"user_id": n.UserID, "notification": NotificationFromRow(n)}), CreatedAt: n.CreatedAt})
	return nil
}

// NotificationFromRow is the notification of a stored row, as the API and the
// notification event show it.
func NotificationFromRow(n db.Notification) *baton.Notification {
	return &baton.Notification{ID: n.ID, Kind: n.Kind, ConversationID: deref(n.ConversationID), MessageID: deref(n.MessageID),
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
