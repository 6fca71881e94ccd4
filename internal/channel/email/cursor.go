package email

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-chat/baton/internal/store"
	"github.com/jackc/pgx/v5"
)

// cursor is where a chatbot's mailbox was read up to: the UIDVALIDITY of INBOX when it
// was read, and the last UID imported. A mailbox is read by UID, so a mail someone opened
// in another client before Baton saw it (marked \Seen) is imported all the same.
type cursor struct {
	UIDValidity uint32
	LastUID     uint32
}

// readCursor returns the chatbot's cursor, or ok false when the mailbox was never read.
func readCursor(ctx context.Context, d *store.DB, chatbotID string) (c cursor, ok bool, err error) {
	var validity, last int64
	err = d.Reader().QueryRow(ctx, `SELECT uid_validity, last_uid FROM email_mailboxes WHERE chatbot_id = $1`, chatbotID).
		Scan(&validity, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return cursor{}, false, nil
	} else if err != nil {
		return cursor{}, false, fmt.Errorf("read the mailbox cursor: %w", err)
	}
	return cursor{UIDValidity: uint32(validity), LastUID: uint32(last)}, true, nil
}

// saveCursor records how far the mailbox was read.
func saveCursor(ctx context.Context, d *store.DB, chatbotID string, c cursor) error {
	err := d.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Conn().Exec(ctx, `INSERT INTO email_mailboxes (chatbot_id, uid_validity, last_uid, updated_at)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (chatbot_id) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
				updated_at = excluded.updated_at`, chatbotID, int64(c.UIDValidity), int64(c.LastUID), tx.Now())
		return err
	})
	if err != nil {
		return fmt.Errorf("save the mailbox cursor: %w", err)
	}
	return nil
}
