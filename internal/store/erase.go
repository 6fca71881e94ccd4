package store

import (
	"context"
	"fmt"
	"strconv"
)

// Storage primitives for erasing a person's data (internal/contacts decides what to
// erase; these know how the search indexes follow the text).

// RedactContactMessages empties the text, the attachment list and, for the visitor's own
// messages, the sender name of every message of the contact's conversations in the
// account, and takes their words out of the search indexes: on SQLite messages_fts (by
// its update trigger), on PostgreSQL the conversations' word sets (conversation_bodies,
// emptied; messages_content_tsv follows the content by itself). It returns the number of
// messages changed.
func (tx *Tx) RedactContactMessages(ctx context.Context, accountID, contactID string) (int64, error) {
	const ofContact = "conversation_id IN (SELECT id FROM conversations WHERE account_id = $1 AND contact_id = $2)"
	if tx.search != nil && tx.search.read {
		// This group stored messages it has not indexed yet (the writer indexes them just
		// before COMMIT). The update trigger removes a message's old words from
		// messages_fts, which must hold them: index the contact's new ones first. Emptied,
		// they add no word when the group indexes them again.
		if _, err := tx.conn.Exec(ctx, "INSERT INTO messages_fts (rowid, content) SELECT rowid, content FROM messages WHERE rowid > "+
			strconv.FormatInt(tx.search.rowid, 10)+" AND "+ofContact, accountID, contactID); err != nil {
			return 0, fmt.Errorf("redact messages: index: %w", err)
		}
	}
	tag, err := tx.conn.Exec(ctx, "UPDATE messages SET content = '', attachments = '[]', "+
		"sender_name = CASE WHEN kind = 'visitor' THEN '' ELSE sender_name END "+
		"WHERE "+ofContact+" AND (content <> '' OR attachments <> '[]' OR (kind = 'visitor' AND sender_name <> ''))", accountID, contactID)
	if err != nil {
		return 0, fmt.Errorf("redact messages: %w", err)
	}
	if tx.PG != nil {
		if _, err := tx.conn.Exec(ctx, "DELETE FROM conversation_bodies WHERE "+ofContact, accountID, contactID); err != nil {
			return 0, fmt.Errorf("redact messages: search words: %w", err)
		}
	}
	return tag.RowsAffected(), nil
}

// DeleteVisitorTokens deletes the contact's visitor tokens, so that no widget session
// of the contact can resume, and, after commit, forgets them in this node's cache of
// visitors (another node's cache keeps a token it used until the token ages out).
func (d *DB) DeleteVisitorTokens(ctx context.Context, tx *Tx, contactID string) (int64, error) {
	tag, err := tx.conn.Exec(ctx, "DELETE FROM visitor_tokens WHERE contact_id = $1", contactID)
	if err != nil {
		return 0, fmt.Errorf("delete visitor tokens: %w", err)
	}
	tx.afterCommit(func() { d.visitors.forgetContact(contactID) })
	return tag.RowsAffected(), nil
}

// forgetContact drops the cached visitors of a contact.
func (c *visitorCache) forgetContact(contactID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]visitorEntry{c.cur, c.old} {
		for k, v := range m {
			if v.ContactID == contactID {
				delete(m, k)
			}
		}
	}
}
