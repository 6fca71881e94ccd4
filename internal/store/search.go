package store

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"
)

// commonThreshold is the number of matching messages above which a search walks the list
// in order and checks each conversation (it finds a page quickly among many matches),
// rather than collecting every match first (quick when matches are few).
var commonThreshold int64 = 2000

// Search is the one place where the dialects differ on purpose (ARCHITECTURE): FTS5 on
// SQLite (unicode61 words for messages, trigrams for contacts), a GIN expression index on
// to_tsvector('simple', content) and pg_trgm indexes on PostgreSQL. Both match message
// words by prefix ("refu" finds "refund") and contact fields by substring.

var wordRe = regexp.MustCompile(`[\p{L}\p{N}]+`)

// searchWords returns the words of a query, at most 8.
func searchWords(q string) []string {
	w := wordRe.FindAllString(strings.ToLower(q), 8)
	return w
}

// fts5Words is an FTS5 query matching every word, the last one as a prefix.
func fts5Words(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = `"` + w + `"`
		if i == len(words)-1 {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " ")
}

// tsWords is a to_tsquery text matching every word, the last one as a prefix.
func tsWords(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w
		if i == len(words)-1 {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// searchPlan says, per part of a search, whether matches are common (check each
// conversation in list order) or few (collect them first).
type searchPlan struct {
	messagesCommon, contactsCommon bool
	// On SQLite, the rowids of the matching messages and contacts when they are few (a
	// JSON array), so that the full-text query runs once.
	messageRows, contactRows string
}

// planSearch counts, up to commonThreshold, the messages and contacts q matches.
func (d *DB) planSearch(ctx context.Context, accountID, q string) (searchPlan, error) {
	var p searchPlan
	words := searchWords(q)
	count := func(query string, args ...any) (bool, error) {
		var n int64
		err := d.raw().QueryRow(ctx, query, args...).Scan(&n)
		return n >= commonThreshold, err
	}
	var err error
	if d.Dialect == Postgres {
		if len(words) > 0 {
			if p.messagesCommon, err = count("SELECT count(*) FROM (SELECT 1 FROM messages WHERE account_id = $1 AND "+
				"to_tsvector('simple', content) @@ to_tsquery('simple', $2) LIMIT $3) s", accountID, tsWords(words), commonThreshold); err != nil {
				return p, err
			}
		}
		return p, nil // the planner joins the contact matches well by itself
	}
	rowids := func(query string, args ...any) (string, bool, error) {
		rows, err := d.raw().Query(ctx, query, args...)
		if err != nil {
			return "", false, err
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return "", false, err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return "", false, err
		}
		if int64(len(ids)) >= commonThreshold {
			return "", true, nil
		}
		b, _ := json.Marshal(ids)
		if ids == nil {
			b = []byte("[]")
		}
		return string(b), false, nil
	}
	if len(words) > 0 {
		if p.messageRows, p.messagesCommon, err = rowids("SELECT rowid FROM messages_fts WHERE messages_fts MATCH $1 LIMIT $2",
			fts5Words(words), commonThreshold); err != nil {
			return p, err
		}
	}
	if utf8.RuneCountInString(strings.TrimSpace(q)) >= 3 {
		if p.contactRows, p.contactsCommon, err = rowids("SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH $1 LIMIT $2",
			trigramPhrase(q), commonThreshold); err != nil {
			return p, err
		}
	}
	return p, nil
}

func trigramPhrase(q string) string {
	return `"` + strings.ReplaceAll(strings.TrimSpace(q), `"`, `""`) + `"`
}

// search is how a list query finds the conversations matching q: either a condition for
// the WHERE clause, or (SQLite, when every part has few matches) a set of conversation
// ids the query starts from and then sorts.
type search struct {
	where string // a condition on c
	drive string // a subquery of conversation ids (SQLite), or ""
}

// searchFor builds the search of q on contact name, email and phone, email subject and
// message text.
func (d *DB) searchFor(args *sqlArgs, accountID, q string, p searchPlan) search {
	words := searchWords(q)
	like := args.add(likePattern(q))
	acc := args.add(accountID)
	var sets, perRow []string
	sets = append(sets, "SELECT s.id FROM conversations s WHERE s.account_id = "+acc+" AND s.subject <> '' AND lower(s.subject) LIKE "+like+` ESCAPE '\'`)
	if d.Dialect == Postgres {
		if len(words) > 0 {
			tq := args.add(tsWords(words))
			if p.messagesCommon {
				perRow = append(perRow, "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND to_tsvector('simple', m.content) @@ to_tsquery('simple', "+tq+"))")
			} else {
				sets = append(sets, "SELECT m.conversation_id FROM messages m WHERE m.account_id = "+acc+" AND to_tsvector('simple', m.content) @@ to_tsquery('simple', "+tq+")")
			}
		}
		sets = append(sets, "SELECT c2.id FROM conversations c2 JOIN contacts x ON x.id = c2.contact_id WHERE x.account_id = "+acc+
			" AND (lower(x.name) LIKE "+like+` ESCAPE '\' OR lower(x.email) LIKE `+like+` ESCAPE '\' OR x.phone LIKE `+like+` ESCAPE '\')`)
	} else {
		if len(words) > 0 {
			if p.messagesCommon {
				// Most conversations match: read each one's few messages in list order until
				// a page is full (a plain scan of a dozen short texts beats the full-text
				// index, whose doclist for a common word is huge).
				var likes []string
				for _, w := range words {
					likes = append(likes, "lower(m.content) LIKE "+args.add(likePattern(w))+` ESCAPE '\'`)
				}
				perRow = append(perRow, "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND "+strings.Join(likes, " AND ")+")")
			} else {
				sets = append(sets, "SELECT m.conversation_id FROM messages m WHERE m.rowid IN (SELECT value FROM json_each("+args.add(p.messageRows)+"))")
			}
		}
		if utf8.RuneCountInString(strings.TrimSpace(q)) >= 3 {
			// The trigram index finds any substring of three characters or more.
			if p.contactsCommon {
				perRow = append(perRow, "(lower(ct.name) LIKE "+like+` ESCAPE '\' OR lower(ct.email) LIKE `+like+` ESCAPE '\' OR ct.phone LIKE `+like+` ESCAPE '\')`)
			} else {
				sets = append(sets, "SELECT c2.id FROM conversations c2 WHERE c2.contact_id IN (SELECT x.id FROM contacts x WHERE x.rowid IN "+
					"(SELECT value FROM json_each("+args.add(p.contactRows)+")))")
			}
		} else {
			perRow = append(perRow, "(lower(ct.name) LIKE "+like+` ESCAPE '\' OR lower(ct.email) LIKE `+like+` ESCAPE '\' OR ct.phone LIKE `+like+` ESCAPE '\')`)
		}
	}
	union := strings.Join(sets, " UNION ")
	if d.Dialect == SQLite && len(perRow) == 0 {
		return search{drive: union}
	}
	if len(perRow) == 0 {
		return search{where: "c.id IN (" + union + ")"}
	}
	return search{where: "(c.id IN (" + union + ") OR " + strings.Join(perRow, " OR ") + ")"}
}

// cleanSearch drops what no search can match: control characters (NUL among them, which
// neither FTS5 nor PostgreSQL accepts in a query) and invalid UTF-8.
func cleanSearch(q string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, q)
}
