package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/jackc/pgx/v5"
	"modernc.org/sqlite"
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

// commonThreshold is the number of matching heads or messages from which a part of a
// search counts as common (so that collecting it would cost more than walking).
var commonThreshold int64 = 5000

// probeRows is how many conversations a probe checks in list order before it decides;
// probeDense is the number of matches among them from which it walks on.
var (
	probeRows  = 300
	probeDense = 6
)

// maxHeadSet bounds the heads a SQLite walk reads as a set.
const maxHeadSet = 25000

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

// searchPlan is what the indexes say about a search's words.
type searchPlan struct {
	words []string
	// heads: the heads holding every word. bodies[i]: the messages holding word i; on
	// SQLite the word itself even when it is the last (its prefix would cost too much to
	// count). Counts stop at commonThreshold; PostgreSQL's common words are estimates.
	// Counts span all accounts (the indexes do not know them); the list query keeps to
	// the actor's.
	heads  int64
	bodies []int64
	// prefixCounted: on SQLite, the last word's count is its prefix's.
	prefixCounted bool
	// headSet: on SQLite, the rowids of the matching heads as a JSON array, when many
	// (but at most maxHeadSet) match.
	headSet string
	// headIDs: on PostgreSQL, the conversations of the matching heads, when fetched.
	headIDs      []string
	headsFetched bool
}

type searchStrategy int

const (
	collectPlan searchStrategy = iota
	walkPlan
	probePlan
)

// bodyPossible says whether the messages of some conversation may hold every word.
func (d *DB) bodyPossible(p searchPlan) bool {
	if len(p.bodies) < len(p.words) {
		return false // counting stopped at a word no message holds
	}
	for i, n := range p.bodies {
		if n == 0 && (d.Dialect == Postgres || !prefixed(p.words, i) || p.prefixCounted) {
			return false
		}
	}
	return len(p.words) > 0
}

// strategy picks the plan, and for collectPlan the word whose messages to start from
// (-1: none, when no body can match).
func (d *DB) strategy(p searchPlan) (searchStrategy, int) {
	n := len(p.words)
	if n == 0 || p.heads >= commonThreshold {
		if n == 0 {
			return collectPlan, -1
		}
		return walkPlan, -1
	}
	if !d.bodyPossible(p) {
		return collectPlan, -1
	}
	rarest := -1
	for i, c := range p.bodies {
		if d.Dialect == SQLite && prefixed(p.words, i) && !p.prefixCounted {
			continue // the whole word's count says nothing of the prefix's
		}
		if rarest < 0 || c < p.bodies[rarest] {
			rarest = i
		}
	}
	if rarest >= 0 && p.bodies[rarest] < commonThreshold {
		return collectPlan, rarest
	}
	if d.Dialect == Postgres || p.bodies[n-1] >= commonThreshold {
		return walkPlan, -1
	}
	return probePlan, n - 1
}

// planSearch counts (or estimates) the heads and messages matching the words.
func (d *DB) planSearch(ctx context.Context, words []string) (searchPlan, error) {
	p := searchPlan{words: words}
	if len(words) == 0 {
		return p, nil
	}
	T := commonThreshold
	count := func(query string, args ...any) (int64, error) {
		var n int64
		err := d.raw().QueryRow(ctx, "SELECT count(*) FROM ("+query+" LIMIT $2) s", append(args, T)...).Scan(&n)
		return n, err
	}
	var err error
	if d.Dialect == Postgres {
		// The statistics estimate the words they know (the most common ones) well, and
		// give every other word one small default estimate: those are counted (their
		// posting lists are short).
		const head = "SELECT 1 FROM conversation_heads WHERE head @@ to_tsquery('simple', $1)"
		const body = "SELECT 1 FROM messages WHERE to_tsvector('simple', content) @@ to_tsquery('simple', $1)"
		known := func(query, tq string) (int64, bool, error) {
			est, err := d.pgEstimate(ctx, query, tq)
			if err != nil {
				return 0, false, err
			}
			unknown, err := d.pgUnknownEstimate(ctx, query)
			if err != nil {
				return 0, false, err
			}
			return est, est > unknown, nil
		}
		estimate := func(query, tq string) (int64, error) {
			est, ok, err := known(query, tq)
			if err != nil || ok {
				return est, err
			}
			return count(query, tq)
		}
		est, ok, err := known(head, tsWords(words))
		if err != nil {
			return p, err
		}
		if p.heads = est; !ok {
			// Fetch rather than count them: collecting needs them next.
			if p.headIDs, err = d.pgMatches(ctx, "SELECT conversation_id FROM conversation_heads WHERE head @@ to_tsquery('simple', $1) LIMIT $2",
				[]any{tsWords(words), T}); err != nil {
				return p, err
			}
			p.heads, p.headsFetched = int64(len(p.headIDs)), true
		}
		for i := range words {
			n, err := estimate(body, tsTerm(words, i))
			if err != nil {
				return p, err
			}
			p.bodies = append(p.bodies, n)
			if n == 0 {
				break
			}
		}
		return p, nil
	}
	if p.heads, err = count("SELECT 1 FROM conversations_head WHERE conversations_head MATCH $1", fts5Words(words)); err != nil {
		return p, err
	}
	if p.heads >= T {
		// Many heads match (a first name): a walk tests each conversation against their
		// set, read once (lazily, in rowid order), instead of reading each contact.
		rows, err := d.raw().Query(ctx, "SELECT rowid FROM conversations_head WHERE conversations_head MATCH $1 LIMIT $2", fts5Words(words), maxHeadSet+1)
		if err != nil {
			return p, err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return p, err
		}
		if len(ids) <= maxHeadSet {
			b, _ := json.Marshal(ids)
			p.headSet = string(b)
		}
	}
	const body = "SELECT 1 FROM messages_fts WHERE messages_fts MATCH $1"
	for i, w := range words {
		whole := `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		n, err := count(body, whole)
		if err != nil {
			return p, err
		}
		if prefixed(words, i) && n < T {
			// Counting the prefix reads every message of every word it starts, so only
			// when that is likely little: digits (numbers are many and each rare), or a
			// word of 4 letters or more that some head holds whole (a name, which rarely
			// starts common words; "re", whole in every "Re:" subject, starts many).
			// Otherwise the prefix stays unknown and the search probes.
			known := strings.Trim(w, "0123456789") == ""
			if !known && utf8.RuneCountInString(w) >= 4 {
				h, err := count("SELECT 1 FROM conversations_head WHERE conversations_head MATCH $1", whole)
				if err != nil {
					return p, err
				}
				known = h > 0
			}
			if known {
				if n, err = count(body, fts5Term(words, i)); err != nil {
					return p, err
				}
				p.prefixCounted = true
			}
		}
		p.bodies = append(p.bodies, n)
		if n == 0 && (!prefixed(words, i) || p.prefixCounted) {
			break
		}
	}
	return p, nil
}

// pgEstimate is the planner's estimate of the rows query returns.
func (d *DB) pgEstimate(ctx context.Context, query string, args ...any) (int64, error) {
	var plan []byte
	if err := d.pg.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+query, args...).Scan(&plan); err != nil {
		return 0, err
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &out); err != nil || len(out) == 0 {
		return 0, fmt.Errorf("explain: %s", plan)
	}
	return int64(out[0].Plan.Rows), nil
}

// pgUnknownEstimate is the planner's estimate for a word its statistics do not know, per
// query; it changes only with ANALYZE, so it is kept for a minute.
func (d *DB) pgUnknownEstimate(ctx context.Context, query string) (int64, error) {
	type key struct {
		d     *DB
		query string
	}
	type entry struct {
		n  int64
		at time.Time
	}
	k := key{d, query}
	if v, ok := unknownEstimates.Load(k); ok && time.Since(v.(entry).at) < time.Minute {
		return v.(entry).n, nil
	}
	n, err := d.pgEstimate(ctx, query, "'baton0unknown0word'")
	if err == nil {
		unknownEstimates.Store(k, entry{n, time.Now()})
	}
	return n, err
}

var unknownEstimates sync.Map

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

// searchQuery is one search being run.
type searchQuery struct {
	d         *DB
	accountID string
	words     []string
	number    int64
	isNumber  bool
	plan      searchPlan
}

// walk reads the list in order and checks each conversation.
func (s *searchQuery) walk(ctx context.Context, where []string, base sqlArgs, n int) ([]*baton.Conversation, error) {
	args := base.clone()
	return s.d.listConversations(ctx, conversationFrom, append(slices.Clone(where), s.check(&args)), args.args, n)
}

// check is the condition that conversation c (with contact ct) matches.
func (s *searchQuery) check(args *sqlArgs) string {
	var alts []string
	if s.isNumber {
		alts = append(alts, "c.number = "+args.add(s.number))
	}
	heads, bodies := s.plan.heads > 0, s.d.bodyPossible(s.plan)
	if s.d.Dialect == Postgres {
		// Scalar subqueries, not EXISTS: PostgreSQL may turn an EXISTS under OR into a hash
		// of every matching row (90,000 heads for "re"), when a walk needs a few.
		if heads {
			alts = append(alts, "coalesce((SELECT h.head @@ to_tsquery('simple', "+args.add(tsWords(s.words))+") FROM conversation_heads h WHERE h.conversation_id = c.id), false)")
		}
		if bodies {
			alts = append(alts, pgBodyMatch(args, s.words, "c.id"))
		}
	} else if s.d.Dialect == SQLite {
		if s.plan.headSet != "" {
			// The unary + keeps SQLite from starting from the set and sorting it.
			alts = append(alts, "+c.rowid IN (SELECT value FROM json_each("+args.add(s.plan.headSet)+"))")
		} else if heads {
			alts = append(alts, "baton_head_match("+args.add(matchWords(s.words))+", ct.name, ct.email, ct.phone, c.subject)")
		}
		if bodies {
			alts = append(alts, sqliteBodyMatch(args.add(matchWords(s.words)), "c.id"))
		}
	}
	if len(alts) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(alts, " OR ") + ")"
}

// collect reads the matching conversations from the indexes (the heads, and the messages
// of word r, checked for the other words) and sorts them.
func (s *searchQuery) collect(ctx context.Context, where []string, base sqlArgs, r int, n int) ([]*baton.Conversation, error) {
	pg := s.d.Dialect == Postgres
	// On PostgreSQL the matches are a query of their own (below).
	args := base.clone()
	if pg {
		args = sqlArgs{}
	}
	var sets []string
	if s.isNumber {
		sets = append(sets, "SELECT n.id FROM conversations n WHERE n.account_id = "+args.add(s.accountID)+" AND n.number = "+args.add(s.number))
	}
	if s.plan.heads > 0 && !s.plan.headsFetched {
		if pg {
			sets = append(sets, "SELECT h.conversation_id AS id FROM conversation_heads h WHERE h.head @@ to_tsquery('simple', "+args.add(tsWords(s.words))+")")
		} else {
			sets = append(sets, "SELECT h.id FROM conversations h WHERE h.rowid IN (SELECT rowid FROM conversations_head WHERE conversations_head MATCH "+args.add(fts5Words(s.words))+")")
		}
	}
	if r >= 0 {
		acc := args.add(s.accountID)
		var set string
		if pg {
			set = "SELECT DISTINCT m.conversation_id AS id FROM messages m WHERE to_tsvector('simple', m.content) @@ to_tsquery('simple', " +
				args.add(tsTerm(s.words, r)) + ") AND m.account_id = " + acc
			if len(s.words) > 1 {
				set = "SELECT x.id FROM (" + set + ") x WHERE " + pgBodyMatch(&args, s.words, "x.id")
			}
		} else {
			set = "SELECT DISTINCT m.conversation_id AS id FROM messages m WHERE m.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH " +
				args.add(fts5Term(s.words, r)) + ") AND m.account_id = " + acc
			if len(s.words) > 1 {
				set = "SELECT x.id FROM (" + set + ") x WHERE " + sqliteBodyMatch(args.add(matchWords(s.words)), "x.id")
			}
		}
		sets = append(sets, set)
	}
	if pg {
		// PostgreSQL's estimate of the matches is a guess (its statistics do not know rare
		// words), on which it may choose to hash the whole table: fetch the ids first, and
		// give it the list.
		ids := slices.Clone(s.plan.headIDs)
		if len(sets) > 0 {
			more, err := s.d.pgMatches(ctx, strings.Join(sets, " UNION "), args.args)
			if err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
			ids = append(ids, more...)
		}
		if len(ids) == 0 {
			return []*baton.Conversation{}, nil
		}
		// OFFSET 0 keeps the planner from walking the list for these rows instead.
		args = base.clone()
		from := " FROM (SELECT * FROM conversations WHERE id = ANY(" + args.add(ids) + ") OFFSET 0) c" + strings.TrimPrefix(conversationFrom, " FROM conversations c")
		return s.d.listConversations(ctx, from, where, args.args, n)
	}
	if len(sets) == 0 {
		return []*baton.Conversation{}, nil
	}
	// Start from the matches (CROSS JOIN keeps SQLite from reordering) and sort them,
	// rather than walk the whole list looking for them.
	from := " FROM (" + strings.Join(sets, " UNION ") + ") hits CROSS JOIN conversations c ON c.id = hits.id" + strings.TrimPrefix(conversationFrom, " FROM conversations c")
	return s.d.listConversations(ctx, from, where, args.args, n)
}

// pgMatches runs a query of conversation ids. The planner's guess for a word its
// statistics do not know is tens of thousands of rows, for which it would start parallel
// workers and compile the plan (JIT), tens of milliseconds each, for what are a few rows.
func (d *DB) pgMatches(ctx context.Context, query string, args []any) ([]string, error) {
	tx, err := d.pg.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return ids, tx.Commit(ctx)
}

// matchWords is the words argument of baton_match: the words, the last one marked with
// a * when it is a prefix.
func matchWords(words []string) string {
	out := slices.Clone(words)
	if prefixed(words, len(words)-1) {
		out[len(out)-1] += "*"
	}
	return strings.Join(out, " ")
}

func (a sqlArgs) clone() sqlArgs { return sqlArgs{args: slices.Clone(a.args)} }

// pgBodyMatch is a condition: the messages of conversation id hold every word (each may
// be in another chunk of its words).
func pgBodyMatch(args *sqlArgs, words []string, id string) string {
	parts := make([]string, len(words))
	for i := range words {
		parts[i] = "coalesce((SELECT bool_or(b.body @@ to_tsquery('simple', " + args.add(tsTerm(words, i)) + ")) FROM conversation_bodies b WHERE b.conversation_id = " + id + "), false)"
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// sqliteBodyMatch is a condition: the messages of conversation id hold every word.
func sqliteBodyMatch(words, id string) string {
	return "baton_match(" + words + ", (SELECT group_concat(bm.content, ' ') FROM messages bm WHERE bm.conversation_id = " + id + "))"
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

// The SQLite check functions. baton_match(words, text) and baton_head_match(words, name,
// email, phone, subject) are 1 when the text (or the head, made of the same words as
// conversations_head's row) holds every word of words (matchWords: space-separated, the
// last one ending in * when it is a prefix).
//
// sqliteDriver opens Baton's SQLite connections (sqlitestmt.go): functions registered on
// it exist on every connection it opens.
var sqliteDriver = func() *sqlite.Driver {
	drv := &sqlite.Driver{}
	drv.MustRegisterDeterministicScalarFunction("baton_match", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		m := newWordMatcher(args[0])
		m.add(args[1])
		return m.result(), nil
	})
	drv.MustRegisterDeterministicScalarFunction("baton_head_match", 5, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		m := newWordMatcher(args[0])
		m.add(args[1])
		m.add(args[2])
		if m.left > 0 {
			m.add(phoneWords(textValue(args[3])))
		}
		m.add(args[4])
		return m.result(), nil
	})
	return drv
}()

type wordMatcher struct {
	words  []string
	prefix bool // the last word is a prefix
	found  []bool
	left   int
}

func newWordMatcher(v driver.Value) *wordMatcher {
	words := strings.Fields(textValue(v))
	m := &wordMatcher{words: words, found: make([]bool, len(words)), left: len(words)}
	if n := len(words); n > 0 && strings.HasSuffix(words[n-1], "*") {
		m.words[n-1], m.prefix = strings.TrimSuffix(words[n-1], "*"), true
	}
	return m
}

func textValue(v driver.Value) string {
	switch t := v.(type) {
	case string:
		return t
	case []byte:
		return string(t)
	}
	return ""
}

func (m *wordMatcher) add(v driver.Value) {
	if m.left == 0 {
		return
	}
	last := len(m.words) - 1
	tokenize(textValue(v), func(tok string) bool {
		for i, w := range m.words {
			if m.found[i] {
				continue
			}
			if tok == w || (i == last && m.prefix && strings.HasPrefix(tok, w)) {
				m.found[i] = true
				m.left--
			}
		}
		return m.left > 0
	})
}

func (m *wordMatcher) result() int64 {
	if len(m.words) > 0 && m.left == 0 {
		return 1
	}
	return 0
}

// phoneWords is what conversations_head holds for a phone number: every suffix (from at
// most the 20 first positions) of the number without + - ( ) . , / and spaces.
func phoneWords(phone string) string {
	d := []rune(strings.Map(func(r rune) rune {
		if strings.ContainsRune("+ -().,/", r) {
			return -1
		}
		return r
	}, phone))
	var b strings.Builder
	for i := 0; i < len(d) && i < 20; i++ {
		b.WriteString(string(d[i:]))
		b.WriteByte(' ')
	}
	return b.String()
}

// tokenize calls f with each word of s as FTS5's unicode61 tokenizer with
// remove_diacritics 2 sees it (letters, numbers and private-use characters; lower case;
// the diacritics of Latin letters removed), until f returns false.
func tokenize(s string, f func(string) bool) {
	var b strings.Builder
	flush := func() bool {
		if b.Len() == 0 {
			return true
		}
		w := b.String()
		b.Reset()
		return f(w)
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r):
			r = unicode.ToLower(r)
			if f, ok := latinFold[r]; ok {
				r = f
			}
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// a combining diacritic: part of the word, and removed
		default:
			if !flush() {
				return
			}
		}
	}
	flush()
}

// latinFold maps the lower-case Latin letters with diacritics to their base letters (those
// that decompose into a letter and combining marks, as unicode61 folds them: not ø or ł).
var latinFold = func() map[rune]rune {
	m := map[rune]rune{}
	for _, p := range []struct{ from, to string }{
		{"àáâãäåāăą", "a"}, {"çćĉċč", "c"}, {"ď", "d"}, {"èéêëēĕėęě", "e"}, {"ĝğġģ", "g"}, {"ĥ", "h"},
		{"ìíîïĩīĭį", "i"}, {"ĵ", "j"}, {"ķ", "k"}, {"ĺļľ", "l"}, {"ñńņň", "n"}, {"òóôõöōŏő", "o"},
		{"ŕŗř", "r"}, {"śŝşšș", "s"}, {"ţťț", "t"}, {"ùúûüũūŭůűų", "u"}, {"ŵ", "w"}, {"ýÿŷ", "y"}, {"źżž", "z"},
	} {
		for _, r := range p.from {
			m[r] = []rune(p.to)[0]
		}
	}
	return m
}()
