package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/jackc/pgx/v5"
)

// GenerateOptions sizes a demo data set (for trying the console at scale and for the
// list/search benchmarks).
type GenerateOptions struct {
	Conversations int
	Messages      int
	// Slug names the chatbot of the new account that receives the data.
	Slug string
	Seed uint64
	// Progress, when set, is told how far each stage is.
	Progress func(stage string, done, total int)
}

var (
	genFirst = strings.Fields("Maria Jose Ana Luis Carmen Juan Sofia Pedro Lucia Diego Emma Noah Olivia Liam Ava Elijah Mia Lucas Amelia Mateo Chloe Hugo Lea Louis Jade Arthur Mila Paul Anna Ben Ella Finn Lina Jonas Marie Felix Clara Leon Ines Tomas Beatriz Rafael Julia Gabriel Alice Martin Nina Oscar Eva Sam")
	genLast  = strings.Fields("Garcia Lopez Martinez Silva Santos Muller Schmidt Dubois Martin Rossi Smith Johnson Brown Jones Miller Davis Wilson Taylor Anderson Thomas Moore Jackson White Harris Clark Lewis Walker Young King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Torres Parker Collins Edwards Stewart Flores Morris")
	genWords = strings.Fields(`order refund delivery package shipping invoice payment card account password login reset
		subscription plan upgrade downgrade cancel return exchange size color warranty repair broken damaged missing
		late tracking number address change update email phone discount coupon code price charge twice bank transfer
		receipt billing question help please thanks urgent today tomorrow week store online app website error crash
		slow loading checkout cart item product stock available backorder gift wrap international customs fee tax
		hello hi good morning evening agent human person support team manager complaint feedback review rating great
		terrible awesome confused waiting still again why how when where what which can could would should my your
		the a an is are was were be been have has do does did not no yes ok maybe sure right wrong need want`)
	genChannels = []string{baton.ChannelWeb, baton.ChannelWeb, baton.ChannelWeb, baton.ChannelWeb, baton.ChannelWeb, baton.ChannelWeb,
		baton.ChannelWhatsApp, baton.ChannelWhatsApp, baton.ChannelTelegram, baton.ChannelEmail, baton.ChannelMessenger}
	genStatuses = []baton.Status{baton.StatusBot, baton.StatusBot, baton.StatusBot, baton.StatusBot, baton.StatusResolved,
		baton.StatusResolved, baton.StatusResolved, baton.StatusClosed, baton.StatusClosed, baton.StatusHuman,
		baton.StatusWaiting, baton.StatusOffline, baton.StatusAbandoned}
	genPriorities = []string{"", "", "", "low", "medium", "high", "urgent"}
)

func genSentence(r *rand.Rand) string {
	n := 4 + r.IntN(12)
	w := make([]string, n)
	for i := range w {
		w[i] = genWords[r.IntN(len(genWords))]
	}
	if r.IntN(5) == 0 {
		w[r.IntN(n)] = "#" + strconv.Itoa(100000+r.IntN(900000))
	}
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// Generate fills a new account with synthetic conversations, contacts and messages in
// large batches (COPY on PostgreSQL, multi-row inserts on SQLite). The data bypasses the
// event log: it is for looking at and searching, not for replaying streams.
func (d *DB) Generate(ctx context.Context, o GenerateOptions) (*baton.Account, error) {
	if o.Conversations <= 0 || o.Messages < 0 {
		return nil, baton.Invalid("conversations must be positive and messages not negative")
	}
	if o.Slug == "" {
		o.Slug = "load"
	}
	if o.Progress == nil {
		o.Progress = func(string, int, int) {}
	}
	acc, bot, err := d.CreateAccount(ctx, "Load test", o.Slug, "Load Bot")
	if err != nil {
		return nil, err
	}
	if d.Dialect == Postgres {
		// Building the search indexes once at the end is many times faster than keeping
		// them up to date row by row. (Meant for a database not in use meanwhile.)
		for _, ix := range bulkIndexes {
			if _, err := d.pg.Exec(ctx, "DROP INDEX IF EXISTS "+ix.name); err != nil {
				return nil, fmt.Errorf("generate: %w", err)
			}
		}
		// The search triggers too: their rows are written in one statement at the end.
		for _, tr := range bulkTriggers {
			if _, err := d.pg.Exec(ctx, "ALTER TABLE "+tr.table+" DISABLE TRIGGER "+tr.name); err != nil {
				return nil, fmt.Errorf("generate: %w", err)
			}
		}
		// On an error the indexes and triggers still come back (IF NOT EXISTS makes it a
		// no-op after success).
		defer d.createBulkIndexes(context.WithoutCancel(ctx), func(string, int, int) {})
		defer d.enableBulkTriggers(context.WithoutCancel(ctx))
	}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	now := d.Now().UTC().Truncate(time.Microsecond)
	const span = 90 * 24 * time.Hour

	// Split the messages over the conversations: 1 to 2×average each.
	counts := make([]int, o.Conversations)
	left := o.Messages
	avg := max(1, o.Messages/o.Conversations)
	for i := range counts {
		if left <= 0 {
			break
		}
		n := min(left, 1+r.IntN(2*avg))
		counts[i], left = n, left-n
	}
	for i := 0; left > 0; i = (i + 1) % o.Conversations {
		counts[i]++
		left--
	}

	type conv struct {
		id, contact string
		created     time.Time
		last        time.Time
	}
	convs := make([]conv, o.Conversations)
	contactRows := make([][]any, 0, 10000)
	convRows := make([][]any, 0, 10000)
	flushConvs := func() error {
		if err := d.bulkInsert(ctx, "contacts", []string{"id", "account_id", "chatbot_id", "session_id", "name", "email", "phone", "attributes", "created_at"}, contactRows); err != nil {
			return err
		}
		if err := d.bulkInsert(ctx, "conversations", []string{"id", "account_id", "chatbot_id", "contact_id", "number", "channel", "status",
			"pending", "priority", "reason", "subject", "turns", "last_seq", "last_visitor_seq", "last_message", "created_at", "updated_at",
			"last_activity_at", "last_visitor_at"}, convRows); err != nil {
			return err
		}
		contactRows, convRows = contactRows[:0], convRows[:0]
		return nil
	}
	for i := range convs {
		created := now.Add(-time.Duration(r.Int64N(int64(span))))
		last := created.Add(time.Duration(counts[i]) * time.Duration(30+r.IntN(300)) * time.Second)
		if last.After(now) {
			// Spread rather than cap: real activity times (microseconds) almost never tie.
			last = now.Add(-time.Duration(r.Int64N(int64(now.Sub(created)) + 1)))
		}
		c := conv{id: d.NewID(), contact: d.NewID(), created: created, last: last}
		convs[i] = c
		first, lastName := genFirst[r.IntN(len(genFirst))], genLast[r.IntN(len(genLast))]
		name := first + " " + lastName
		email := strings.ToLower(first+"."+lastName) + strconv.Itoa(i) + "@example.com"
		phone := "+1555" + fmt.Sprintf("%07d", i%10000000)
		channel := genChannels[r.IntN(len(genChannels))]
		status := genStatuses[r.IntN(len(genStatuses))]
		subject := ""
		if channel == baton.ChannelEmail {
			subject = "Re: " + genSentence(r)
		}
		turns := (counts[i] + 1) / 2
		contactRows = append(contactRows, []any{c.contact, acc.ID, bot.ID, "gen:" + strconv.Itoa(i), name, email, phone, "{}", created})
		convRows = append(convRows, []any{c.id, acc.ID, bot.ID, c.contact, int64(i + 1), channel, string(status),
			status == baton.StatusHuman && r.IntN(2) == 0, genPriorities[r.IntN(len(genPriorities))], "", subject, int64(turns),
			int64(counts[i]), int64(turns), genSentence(r), created, last, last, last})
		if len(convRows) == cap(convRows) {
			if err := flushConvs(); err != nil {
				return nil, err
			}
			if i+1 < o.Conversations {
				o.Progress("conversations", i+1, o.Conversations)
			}
		}
	}
	if err := flushConvs(); err != nil {
		return nil, err
	}
	o.Progress("conversations", o.Conversations, o.Conversations)
	if err := d.Write(ctx, func(tx *Tx) error {
		_, err := tx.conn.Exec(ctx, "UPDATE accounts SET next_number = $1 WHERE id = $2", int64(o.Conversations+1), acc.ID)
		return err
	}); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}

	msgRows := make([][]any, 0, 20000)
	done := 0
	kinds := []string{"visitor", "bot", "visitor", "agent"}
	for i, c := range convs {
		step := c.last.Sub(c.created) / time.Duration(max(1, counts[i]))
		for s := 1; s <= counts[i]; s++ {
			kind := kinds[(s-1)%len(kinds)]
			msgRows = append(msgRows, []any{d.NewID(), acc.ID, c.id, int64(s), kind, "", genSentence(r), "[]", "",
				c.created.Add(time.Duration(s-1) * step)})
			if len(msgRows) == cap(msgRows) {
				if err := d.bulkInsert(ctx, "messages", []string{"id", "account_id", "conversation_id", "seq", "kind", "sender_name",
					"content", "attachments", "delivery_status", "created_at"}, msgRows); err != nil {
					return nil, err
				}
				done += len(msgRows)
				msgRows = msgRows[:0]
				if done < o.Messages {
					o.Progress("messages", done, o.Messages)
				}
			}
		}
	}
	if err := d.bulkInsert(ctx, "messages", []string{"id", "account_id", "conversation_id", "seq", "kind", "sender_name",
		"content", "attachments", "delivery_status", "created_at"}, msgRows); err != nil {
		return nil, err
	}
	o.Progress("messages", o.Messages, o.Messages)
	if d.Dialect == Postgres {
		o.Progress("search words", 0, 1)
		for _, q := range searchBackfill {
			if _, err := d.pg.Exec(ctx, q, acc.ID); err != nil {
				return nil, fmt.Errorf("generate: search words: %w", err)
			}
		}
		o.Progress("search words", 1, 1)
		if err := d.enableBulkTriggers(ctx); err != nil {
			return nil, err
		}
		if err := d.createBulkIndexes(ctx, o.Progress); err != nil {
			return nil, err
		}
		if _, err := d.pg.Exec(ctx, "ANALYZE"); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
	} else if _, err := d.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	return acc, nil
}

// bulkIndexes are the PostgreSQL search indexes Generate rebuilds after loading (the same
// definitions as migrations 00006 and 00007).
var bulkIndexes = []struct{ name, create string }{
	{"messages_content_tsv", "CREATE INDEX IF NOT EXISTS messages_content_tsv ON messages USING gin (to_tsvector('simple', content))"},
	{"conversation_heads_head", "CREATE INDEX IF NOT EXISTS conversation_heads_head ON conversation_heads USING gin (head)"},
}

// bulkTriggers are the PostgreSQL search triggers Generate turns off while loading; it
// then writes the search rows with searchBackfill.
var bulkTriggers = []struct{ table, name string }{
	{"conversations", "conversations_search_insert"},
	{"messages", "messages_search"},
}

// searchBackfill writes the conversation_heads and conversation_bodies rows of an
// account's conversations (as migration 00007 does for all).
var searchBackfill = []string{`INSERT INTO conversation_heads (conversation_id, head)
SELECT c.id, baton_search_head(ct.name, ct.email, ct.phone, c.subject) FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
WHERE c.account_id = $1`, `INSERT INTO conversation_bodies (conversation_id, chunk, body)
SELECT w.id, 0, w.body FROM (
    SELECT c.id, (SELECT baton_search_agg(strip(to_tsvector('simple', m.content))) FROM messages m WHERE m.conversation_id = c.id) AS body
    FROM conversations c WHERE c.account_id = $1) w
WHERE length(w.body) > 0`}

func (d *DB) enableBulkTriggers(ctx context.Context) error {
	for _, tr := range bulkTriggers {
		if _, err := d.pg.Exec(ctx, "ALTER TABLE "+tr.table+" ENABLE TRIGGER "+tr.name); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	return nil
}

func (d *DB) createBulkIndexes(ctx context.Context, progress func(string, int, int)) error {
	for i, ix := range bulkIndexes {
		progress("search indexes", i, len(bulkIndexes))
		if _, err := d.pg.Exec(ctx, ix.create); err != nil {
			return fmt.Errorf("generate: %s: %w", ix.name, err)
		}
	}
	progress("search indexes", len(bulkIndexes), len(bulkIndexes))
	return nil
}

// bulkInsert writes rows in one transaction: COPY on PostgreSQL, multi-row INSERTs on
// SQLite.
func (d *DB) bulkInsert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if d.Dialect == Postgres {
		_, err := d.pg.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var mark int64 // messages_fts is the writer's to fill (see indexNewMessages)
	if table == "messages" {
		if err := tx.QueryRowContext(ctx, lastMessageRowid).Scan(&mark); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	per := max(1, 30000/len(cols))
	var stmt *sql.Stmt
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(len(rows), start+per)]
		if stmt == nil || len(chunk) != per {
			one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
			q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", len(chunk)), ",")
			if stmt != nil {
				stmt.Close()
			}
			if stmt, err = tx.PrepareContext(ctx, q); err != nil {
				return fmt.Errorf("insert %s: %w", table, err)
			}
		}
		args := make([]any, 0, len(chunk)*len(cols))
		for _, row := range chunk {
			args = append(args, row...)
		}
		if _, err := stmt.ExecContext(ctx, sqliteArgs(args)...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	if stmt != nil {
		stmt.Close()
	}
	if table == "messages" {
		if _, err := tx.ExecContext(ctx, indexNewMessages, mark); err != nil {
			return fmt.Errorf("index messages: %w", err)
		}
	}
	return tx.Commit()
}
