package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
)

// Search (A3) is the one place where the dialects differ on purpose (ARCHITECTURE). A
// conversation matches a search when every word of it (the last one as a prefix: "refu"
// finds "refund") is
//   - a word of its head: the contact's name and email, the email subject, or a run of
//     the phone's digits ("5550123" finds +1 555 0123 456); or
//   - a word of its body: the text of any of its messages (notes included);
// or when the search is its number ("#42", or bare digits, which may also be a phone).
//
// Indexes (migrations 00006 and 00007): messages_fts (FTS5, SQLite) and
// messages_content_tsv (GIN, PostgreSQL) find the messages holding a word; the head is one
// FTS5 row per conversation (conversations_head) or a GIN-indexed tsvector
// (conversation_heads.head). PostgreSQL also keeps each conversation's body words in
// conversation_bodies (a trigger adds a message's new words), which makes checking
// one conversation cheap; on SQLite baton_match checks the words in Go over the
// conversation's messages, with the rules of the unicode61 tokenizer.
//
// The plan depends on how many conversations match, which the indexes tell cheaply only in
// part: SQLite counts a word's messages lazily (up to commonThreshold) but expands a
// prefix eagerly (every message of every word starting so: "refu" costs as much as reading
// all of "refund"'s), so it counts a last word's prefix only when that is likely cheap;
// PostgreSQL's statistics estimate common words well and rare ones not at all (a GIN count
// then answers: rare words have short posting lists). So:
//   - collect, when some word is rare: read the conversations of its messages (and the
//     heads holding every word) from the indexes, check the other words, sort by activity;
//   - walk, when the words are common: read the list in activity order and check each
//     conversation until the page is full (the matches are dense, so that is soon);
//   - probe (SQLite, when only the last word's prefix could tell): check probeRows
//     conversations; if the page is not full by then, walk on if the matches were dense,
//     else collect the rest.
// Every plan returns the list's order, so the cursor pages as usual. docs/decisions.md
// ("Search: a head document per conversation…") has the measurements behind each choice.

// On SQLite the writer, not a trigger, adds new messages to messages_fts: once per
// transaction, after its writes, it indexes every message stored after mark, the largest
// rowid before the transaction's first message (migration 00009 says why). Rowids only
// grow, as Baton never deletes a message, so the messages after mark are this
// transaction's own. A transaction that stores no message reads and indexes nothing.
const (
	lastMessageRowid = "SELECT coalesce(max(rowid), 0) FROM messages"
	indexNewMessages = "INSERT INTO messages_fts (rowid, content) SELECT rowid, content FROM messages WHERE rowid > ?"
)

// searchMark is a SQLite group's mark: the largest message rowid before its first message.
type searchMark struct {
	rowid int64
	read  bool
}

// beforeMessage reads the group's mark before the first message it stores (SQLite; a
// no-op on PostgreSQL, whose index follows by trigger).
func (tx *Tx) beforeMessage(ctx context.Context) error {
	if tx.search == nil || tx.search.read {
		return nil
	}
	if err := tx.conn.QueryRow(ctx, lastMessageRowid).Scan(&tx.search.rowid); err != nil {
		return fmt.Errorf("last message: %w", err)
	}
	tx.search.read = true
	return nil
}

// maxSearchWords bounds the words of one search.
const maxSearchWords = 8

var (
	wordRe  = regexp.MustCompile(`[\p{L}\p{N}]+`)
	phoneRe = regexp.MustCompile(`^[+(]*[0-9][0-9+ ().,/-]*$`)
)

// searchWords returns the words of q as the dialect's index holds them: lower case, and
// on SQLite without diacritics (unicode61 remove_diacritics 2).
func searchWords(dialect Dialect, q string) []string {
	if phoneRe.MatchString(q) {
		// Digits and the separators of a phone number are one run of digits: "(555) 012"
		// finds +1 555 012 3456.
		return []string{strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, q)}
	}
	if dialect == Postgres {
		return wordRe.FindAllString(strings.ToLower(q), maxSearchWords)
	}
	var words []string
	tokenize(q, func(w string) bool {
		words = append(words, w)
		return len(words) < maxSearchWords
	})
	return words
}

// A search's query texts: FTS5 (SQLite) and to_tsquery (PostgreSQL) forms of every word,
// or of one, the last word as a prefix. A last word of fewer than 4 digits is whole: it is
// more likely a conversation number than part of a phone, and as a prefix it would match
// nearly every phone.
func prefixed(words []string, i int) bool {
	if i != len(words)-1 {
		return false
	}
	w := words[i]
	if len(w) < 4 && strings.Trim(w, "0123456789") == "" {
		return false
	}
	return true
}

func fts5Words(words []string) string {
	parts := make([]string, len(words))
	for i := range words {
		parts[i] = fts5Term(words, i)
	}
	return strings.Join(parts, " ")
}

func fts5Term(words []string, i int) string {
	t := `"` + strings.ReplaceAll(words[i], `"`, `""`) + `"`
	if prefixed(words, i) {
		t += "*"
	}
	return t
}

func tsWords(words []string) string {
	parts := make([]string, len(words))
	for i := range words {
		parts[i] = tsTerm(words, i)
	}
	return strings.Join(parts, " & ")
}

func tsTerm(words []string, i int) string {
	t := "'" + strings.ReplaceAll(words[i], "'", "''") + "'"
	if prefixed(words, i) {
		t += ":*"
	}
	return t
}

// searchConversations returns the first n conversations (list order, after the filters
// and cursor of where) that match q.
func (d *DB) searchConversations(ctx context.Context, accountID, q string, where []string, base sqlArgs, n int) ([]*baton.Conversation, error) {
	num, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64)
	isNumber := err == nil && num > 0
	if isNumber && strings.HasPrefix(q, "#") {
		args := base.clone()
		return d.listConversations(ctx, conversationFrom, append(where, "c.number = "+args.add(num)), args.args, n)
	}
	s := &searchQuery{d: d, accountID: accountID, words: searchWords(d.Dialect, q), number: num, isNumber: isNumber}
	if s.plan, err = d.planSearch(ctx, s.words); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	strategy, from := d.strategy(s.plan)
	switch strategy {
	case collectPlan:
		return s.collect(ctx, where, base, from, n)
	case walkPlan:
		return s.walk(ctx, where, base, n)
	}
	// Probe: check the first probeRows conversations of the list.
	args := base.clone()
	check := s.check(&args)
	window := " FROM (SELECT c.id FROM conversations c WHERE " + strings.Join(where, " AND ") +
		" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT " + strconv.Itoa(probeRows) + ") win CROSS JOIN conversations c ON c.id = win.id" +
		strings.TrimPrefix(conversationFrom, " FROM conversations c")
	found, err := d.listConversations(ctx, window, []string{check}, args.args, n)
	if err != nil || len(found) >= n {
		return found, err
	}
	// Where the probe stopped (none: it read the whole list).
	var t time.Time
	var id string
	err = d.raw().QueryRow(ctx, "SELECT c.last_activity_at, c.id FROM conversations c WHERE "+strings.Join(where, " AND ")+
		" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT 1 OFFSET "+strconv.Itoa(probeRows-1), base.args...).Scan(&t, &id)
	if isNoRows(err) {
		return found, nil
	} else if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	rest := base.clone()
	after := append(slices.Clone(where), afterCursor(&rest, t, id))
	var more []*baton.Conversation
	if len(found) >= probeDense {
		more, err = s.walk(ctx, after, rest, n-len(found))
	} else {
		more, err = s.collect(ctx, after, rest, from, n-len(found))
	}
	return append(found, more...), err
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
