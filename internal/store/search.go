package store

import (
	"context"
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

// commonSearch reports whether q's words match at least commonThreshold messages.
func (d *DB) commonSearch(ctx context.Context, accountID, q string) (bool, error) {
	words := searchWords(q)
	if len(words) == 0 {
		return false, nil
	}
	var n int64
	var err error
	if d.Dialect == Postgres {
		err = d.raw().QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM messages WHERE account_id = $1 AND "+
			"to_tsvector('simple', content) @@ to_tsquery('simple', $2) LIMIT $3) s", accountID, tsWords(words), commonThreshold).Scan(&n)
	} else {
		err = d.raw().QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH $1 LIMIT $2)",
			fts5Words(words), commonThreshold).Scan(&n)
	}
	return n >= commonThreshold, err
}

// searchClause is the condition "conversation c matches q" on contact name, email and
// phone, email subject and message text. With common, message text is checked
// conversation by conversation (see commonThreshold).
func (d *DB) searchClause(args *sqlArgs, accountID, q string, common bool) string {
	words := searchWords(q)
	like := args.add(likePattern(q))
	acc := args.add(accountID)
	var sets []string
	subject := "SELECT s.id FROM conversations s WHERE s.account_id = " + acc + " AND s.subject <> '' AND lower(s.subject) LIKE " + like + ` ESCAPE '\'`
	var perRow string
	if d.Dialect == Postgres {
		if len(words) > 0 && common {
			perRow = "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND to_tsvector('simple', m.content) @@ to_tsquery('simple', " +
				args.add(tsWords(words)) + "))"
		} else if len(words) > 0 {
			sets = append(sets, "SELECT m.conversation_id FROM messages m WHERE m.account_id = "+acc+
				" AND to_tsvector('simple', m.content) @@ to_tsquery('simple', "+args.add(tsWords(words))+")")
		}
		sets = append(sets, "SELECT c2.id FROM conversations c2 JOIN contacts x ON x.id = c2.contact_id WHERE x.account_id = "+acc+
			" AND (lower(x.name) LIKE "+like+` ESCAPE '\' OR lower(x.email) LIKE `+like+` ESCAPE '\' OR x.phone LIKE `+like+` ESCAPE '\')`)
	} else {
		if len(words) > 0 && common {
			// FTS5 seeks a rowid in the match's doclist: one cheap probe per message.
			perRow = "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND EXISTS (SELECT 1 FROM messages_fts f " +
				"WHERE f.rowid = m.rowid AND messages_fts MATCH " + args.add(fts5Words(words)) + "))"
		} else if len(words) > 0 {
			sets = append(sets, "SELECT m.conversation_id FROM messages m WHERE m.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH "+
				args.add(fts5Words(words))+")")
		}
		if utf8.RuneCountInString(strings.TrimSpace(q)) >= 3 {
			// The trigram index finds any substring of three characters or more.
			phrase := `"` + strings.ReplaceAll(strings.TrimSpace(q), `"`, `""`) + `"`
			sets = append(sets, "SELECT c2.id FROM conversations c2 WHERE c2.contact_id IN (SELECT x.id FROM contacts x WHERE x.rowid IN "+
				"(SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH "+args.add(phrase)+"))")
		} else {
			sets = append(sets, "SELECT c2.id FROM conversations c2 JOIN contacts x ON x.id = c2.contact_id WHERE x.account_id = "+acc+
				" AND (lower(x.name) LIKE "+like+` ESCAPE '\' OR lower(x.email) LIKE `+like+` ESCAPE '\' OR x.phone LIKE `+like+` ESCAPE '\')`)
		}
	}
	sets = append(sets, subject)
	clause := "c.id IN (" + strings.Join(sets, " UNION ") + ")"
	if perRow != "" {
		clause = "(" + clause + " OR " + perRow + ")"
	}
	return clause
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
