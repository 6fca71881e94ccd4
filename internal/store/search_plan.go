package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

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
