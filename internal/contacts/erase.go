package contacts

import (
	"context"
	"errors"
	"fmt"

	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/store"
)

// Erasure counts what Erase removed.
type Erasure struct {
	Conversations int64 `json:"conversations"`
	Messages      int64 `json:"messages"`
	Attachments   int64 `json:"attachments"`
	// BlobsFailed counts attachment files whose bytes could not be deleted after the
	// commit (their rows are gone, so nothing serves them; the caller logs the errors).
	BlobsFailed int `json:"-"`
}

// Erase removes the contact's personal data from the account (GDPR erasure), in one
// transaction that also records the erasure, by, in the audit log:
//   - every message of the contact's conversations, whoever wrote it, keeps its place
//     (kind, time, sender) but loses its text (emptied: "") and its attachments; the
//     visitor's messages lose their sender name too; the search indexes lose the words;
//   - the conversations lose their cached last message, handoff brief, email subject,
//     resolution note, post-chat analysis and event log (which repeat the words);
//   - the contact loses name, email, phone and attributes, and its identity (the channel
//     session id, replaced by "erased:<id>") and visitor tokens, so that the person
//     cannot resume: they come back as a new contact;
//   - attachment rows are deleted, and their bytes in blobs after the commit.
//
// Tickets linked to the contact are the team's records and stay as written.
// Erasing again is allowed and does it again (ENOTFOUND for a contact of another
// account or none).
func Erase(ctx context.Context, d *store.DB, blobs blob.Store, accountID, contactID string, by audit.Entry) (*Erasure, error) {
	var (
		x    Erasure
		keys []string
	)
	const ofContact = "conversation_id IN (SELECT id FROM conversations WHERE account_id = $1 AND contact_id = $2)"
	err := d.Write(ctx, func(tx *store.Tx) error {
		x, keys = Erasure{}, nil // the write may run again
		q := tx.Conn()
		if _, err := contact(ctx, q, accountID, contactID); err != nil {
			return err
		}
		rows, err := q.Query(ctx, "SELECT blob_key FROM attachments WHERE account_id = $1 AND "+ofContact, accountID, contactID)
		if err != nil {
			return fmt.Errorf("erase: attachments: %w", err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return fmt.Errorf("erase: attachments: %w", err)
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("erase: attachments: %w", err)
		}
		tag, err := q.Exec(ctx, "DELETE FROM attachments WHERE account_id = $1 AND "+ofContact, accountID, contactID)
		if err != nil {
			return fmt.Errorf("erase: attachments: %w", err)
		}
		x.Attachments = tag.RowsAffected()
		if x.Messages, err = tx.RedactContactMessages(ctx, accountID, contactID); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
		for _, table := range []string{"events", "conversation_analyses"} {
			if _, err := q.Exec(ctx, "DELETE FROM "+table+" WHERE account_id = $1 AND "+ofContact, accountID, contactID); err != nil {
				return fmt.Errorf("erase: %s: %w", table, err)
			}
		}
		tag, err = q.Exec(ctx, `UPDATE conversations SET last_message = '', brief = '', subject = '', resolution_note = ''
WHERE account_id = $1 AND contact_id = $2`, accountID, contactID)
		if err != nil {
			return fmt.Errorf("erase: conversations: %w", err)
		}
		x.Conversations = tag.RowsAffected()
		if _, err := q.Exec(ctx, `UPDATE contacts SET name = '', email = '', phone = '', attributes = '{}', session_id = $3, erased_at = $4
WHERE account_id = $1 AND id = $2`, accountID, contactID, "erased:"+contactID, tx.Now()); err != nil {
			return fmt.Errorf("erase: contact: %w", err)
		}
		if _, err := d.DeleteVisitorTokens(ctx, tx, contactID); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
		e := by.With("conversations", x.Conversations).With("messages", x.Messages).With("attachments", x.Attachments)
		e.AccountID, e.Action, e.Target = accountID, audit.ContactErase, "contact:"+contactID
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, k := range keys {
		if blobs == nil {
			break
		}
		if err := blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			x.BlobsFailed++
			errs = append(errs, fmt.Errorf("erase: delete blob %s: %w", k, err))
		}
	}
	return &x, errors.Join(errs...)
}
