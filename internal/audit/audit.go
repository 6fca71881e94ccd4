// Package audit keeps each account's audit log (TR1): who signed in or failed to, who
// changed a user, a token, a setting, a channel or a webhook, who exported or erased a
// contact — with the actor, the target, the client address and the time. Entries are
// written in the transaction of the change they record, so a change and its entry commit
// or roll back together.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/google/uuid"
)

// Actions recorded. The names are stable: filters and exports use them.
const (
	SignIn         = "session.sign_in"
	SignInFailed   = "session.sign_in_failed"
	SignOut        = "session.sign_out"
	SignOutAll     = "session.sign_out_everywhere"
	UserCreate     = "user.create"
	UserUpdate     = "user.update"
	UserRole       = "user.role_change"
	UserDeactivate = "user.deactivate"
	UserReactivate = "user.reactivate"
	PasswordChange = "user.password_change"
	PasswordReset  = "user.password_reset"
	EmailChange    = "user.email_change"
	TokenCreate    = "token.create"
	TokenRevoke    = "token.revoke"
	ChatbotUpdate  = "chatbot.update"
	IdentityRotate = "chatbot.identity_secret_rotate"
	ChannelUpdate  = "channel.update"
	ChannelDelete  = "channel.delete"
	WebhookUpdate  = "webhook.update"
	SettingsUpdate = "settings.update"
	ContactExport  = "contact.export"
	ContactErase   = "contact.erase"
)

// Entry is one line of the log. Actor is nil for what no signed-in user did (a failed
// sign-in, the command line).
type Entry struct {
	AccountID  string
	ActorID    string
	ActorEmail string
	Action     string
	// Target names what the action was done to: "user:<id>", "token:<id>",
	// "chatbot:<slug>", "contact:<id>", or an email for a sign-in.
	Target string
	IP     string
	// Detail holds a few action-specific fields (never a secret).
	Detail map[string]any
}

// By fills the actor of e from a (a signed-in user or an integration token's creator).
func (e Entry) By(a *baton.Actor) Entry {
	if a == nil {
		return e
	}
	if e.AccountID == "" {
		e.AccountID = a.AccountID
	}
	if a.User != nil {
		e.ActorID, e.ActorEmail = a.User.ID, a.User.Email
	}
	if a.TokenID != "" {
		if e.Detail == nil {
			e.Detail = map[string]any{}
		}
		e.Detail["token_id"] = a.TokenID
	}
	return e
}

// With returns e with one more detail field.
func (e Entry) With(key string, value any) Entry {
	d := make(map[string]any, len(e.Detail)+1)
	for k, v := range e.Detail {
		d[k] = v
	}
	d[key] = value
	e.Detail = d
	return e
}

// Record writes e in tx, the transaction of the change it records.
func Record(ctx context.Context, tx *store.Tx, e Entry) error {
	if e.AccountID == "" || e.Action == "" {
		return fmt.Errorf("audit: an entry needs an account and an action")
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit: detail: %w", err)
		}
	}
	var actor *string
	if e.ActorID != "" {
		actor = &e.ActorID
	}
	_, err := tx.Conn().Exec(ctx, `INSERT INTO audit_log (id, account_id, at, actor_id, actor_email, action, target, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		uuid.Must(uuid.NewV7()).String(), e.AccountID, tx.Now(), actor, clip(e.ActorEmail, 254), e.Action, clip(e.Target, 300), clip(e.IP, 64), string(detail))
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// Log writes e in a transaction of its own, for events that change nothing else (a
// failed sign-in, an export).
func Log(ctx context.Context, d *store.DB, e Entry) error {
	return d.Write(ctx, func(tx *store.Tx) error { return Record(ctx, tx, e) })
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
