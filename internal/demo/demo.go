// Package demo fills a new account with synthetic contacts, conversations and messages:
// the data behind `baton demo`, for trying the console and search at scale and for the
// list/search benchmarks. It writes through the store's bulk loader (store.BulkLoad,
// store.BulkInsert), which keeps the search index in step.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
)

// Options sizes a demo data set (for trying the console at scale and for the
// list/search benchmarks).
type Options struct {
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
func Generate(ctx context.Context, d *store.DB, o Options) (*baton.Account, error) {
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
	if err := d.BulkLoad(ctx, acc.ID, o.Progress, func() error { return fill(ctx, d, o, acc.ID, bot.ID) }); err != nil {
		return nil, err
	}
	return acc, nil
}

// fill writes o's contacts, conversations and messages into the account.
func fill(ctx context.Context, d *store.DB, o Options, accountID, botID string) error {
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
		if err := d.BulkInsert(ctx, "contacts", []string{"id", "account_id", "chatbot_id", "session_id", "name", "email", "phone", "attributes", "created_at"}, contactRows); err != nil {
			return err
		}
		if err := d.BulkInsert(ctx, "conversations", []string{"id", "account_id", "chatbot_id", "contact_id", "number", "channel", "status",
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
		contactRows = append(contactRows, []any{c.contact, accountID, botID, "gen:" + strconv.Itoa(i), name, email, phone, "{}", created})
		convRows = append(convRows, []any{c.id, accountID, botID, c.contact, int64(i + 1), channel, string(status),
			status == baton.StatusHuman && r.IntN(2) == 0, genPriorities[r.IntN(len(genPriorities))], "", subject, int64(turns),
			int64(counts[i]), int64(turns), genSentence(r), created, last, last, last})
		if len(convRows) == cap(convRows) {
			if err := flushConvs(); err != nil {
				return err
			}
			if i+1 < o.Conversations {
				o.Progress("conversations", i+1, o.Conversations)
			}
		}
	}
	if err := flushConvs(); err != nil {
		return err
	}
	o.Progress("conversations", o.Conversations, o.Conversations)
	if err := d.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Conn().Exec(ctx, "UPDATE accounts SET next_number = $1 WHERE id = $2", int64(o.Conversations+1), accountID)
		return err
	}); err != nil {
		return fmt.Errorf("generate: %w", err)
	}

	msgRows := make([][]any, 0, 20000)
	done := 0
	kinds := []string{"visitor", "bot", "visitor", "agent"}
	for i, c := range convs {
		step := c.last.Sub(c.created) / time.Duration(max(1, counts[i]))
		for s := 1; s <= counts[i]; s++ {
			kind := kinds[(s-1)%len(kinds)]
			msgRows = append(msgRows, []any{d.NewID(), accountID, c.id, int64(s), kind, "", genSentence(r), "[]", "",
				c.created.Add(time.Duration(s-1) * step)})
			if len(msgRows) == cap(msgRows) {
				if err := d.BulkInsert(ctx, "messages", []string{"id", "account_id", "conversation_id", "seq", "kind", "sender_name",
					"content", "attachments", "delivery_status", "created_at"}, msgRows); err != nil {
					return err
				}
				done += len(msgRows)
				msgRows = msgRows[:0]
				if done < o.Messages {
					o.Progress("messages", done, o.Messages)
				}
			}
		}
	}
	if err := d.BulkInsert(ctx, "messages", []string{"id", "account_id", "conversation_id", "seq", "kind", "sender_name",
		"content", "attachments", "delivery_status", "created_at"}, msgRows); err != nil {
		return err
	}
	o.Progress("messages", o.Messages, o.Messages)
	return nil
}
