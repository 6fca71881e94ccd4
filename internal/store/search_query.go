package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/baton-chat/baton"
	"github.com/jackc/pgx/v5"
)

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
