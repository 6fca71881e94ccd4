package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/jackc/pgx/v5"
)

// Retention bounds, in days: each account keeps its entries DefaultRetentionDays unless
// an admin sets another number between MinRetentionDays and MaxRetentionDays.
const (
	DefaultRetentionDays = 365
	MinRetentionDays     = 7
	MaxRetentionDays     = 3650
)

// Settings are an account's audit log settings.
type Settings struct {
	RetentionDays int `json:"retention_days"`
}

// GetSettings returns the account's settings (ENOTFOUND for no such account).
func GetSettings(ctx context.Context, d *store.DB, accountID string) (*Settings, error) {
	var s Settings
	err := d.Reader().QueryRow(ctx, "SELECT audit_retention_days FROM accounts WHERE id = $1", accountID).Scan(&s.RetentionDays)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, baton.NotFound("Account")
	} else if err != nil {
		return nil, fmt.Errorf("audit: settings: %w", err)
	}
	return &s, nil
}

// SetRetention sets the account's retention (EINVALID outside the bounds) and records
// the change, by e's actor, in the same transaction.
func SetRetention(ctx context.Context, d *store.DB, e Entry, days int) (*Settings, error) {
	if days < MinRetentionDays || days > MaxRetentionDays {
		return nil, baton.Invalid("retention_days must be %d to %d.", MinRetentionDays, MaxRetentionDays)
	}
	err := d.Write(ctx, func(tx *store.Tx) error {
		var old int
		err := tx.Conn().QueryRow(ctx, "SELECT audit_retention_days FROM accounts WHERE id = $1", e.AccountID).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return baton.NotFound("Account")
		} else if err != nil {
			return fmt.Errorf("audit: set retention: %w", err)
		}
		if _, err := tx.Conn().Exec(ctx, "UPDATE accounts SET audit_retention_days = $2 WHERE id = $1", e.AccountID, days); err != nil {
			return fmt.Errorf("audit: set retention: %w", err)
		}
		e.Action = SettingsUpdate
		if e.Target == "" {
			e.Target = "audit_log"
		}
		return Record(ctx, tx, e.With("retention_days", days).With("previous_retention_days", old))
	})
	if err != nil {
		return nil, err
	}
	return &Settings{RetentionDays: days}, nil
}

// Prune deletes every account's entries older than its retention, as of now; it returns
// how many it deleted. The daily prune job runs it.
func Prune(ctx context.Context, d *store.DB) (int64, error) {
	var n int64
	err := d.Write(ctx, func(tx *store.Tx) error {
		rows, err := tx.Conn().Query(ctx, "SELECT id, audit_retention_days FROM accounts")
		if err != nil {
			return fmt.Errorf("audit: prune: %w", err)
		}
		type account struct {
			id   string
			days int
		}
		var accounts []account
		for rows.Next() {
			var a account
			if err := rows.Scan(&a.id, &a.days); err != nil {
				rows.Close()
				return fmt.Errorf("audit: prune: %w", err)
			}
			accounts = append(accounts, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("audit: prune: %w", err)
		}
		n = 0 // the write may run again
		for _, a := range accounts {
			before := tx.Now().Add(-time.Duration(a.days) * 24 * time.Hour)
			tag, err := tx.Conn().Exec(ctx, "DELETE FROM audit_log WHERE account_id = $1 AND at < $2", a.id, before)
			if err != nil {
				return fmt.Errorf("audit: prune: %w", err)
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	return n, err
}
