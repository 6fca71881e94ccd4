package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Knowledge limits.
const (
	MaxKnowledgeEntries = 2000
	MaxQuestionLength   = 500
	MaxAnswerLength     = 5000
)

func knowledgeFromRow(k db.KnowledgeEntry) *baton.KnowledgeEntry {
	e := &baton.KnowledgeEntry{ID: k.ID, Question: k.Question, Answer: k.Answer, Keywords: []string{}, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt}
	for _, w := range strings.Split(k.Keywords, ",") {
		if w = strings.TrimSpace(w); w != "" {
			e.Keywords = append(e.Keywords, w)
		}
	}
	return e
}

func checkKnowledge(e *baton.KnowledgeEntry) error {
	e.Question, e.Answer = strings.TrimSpace(e.Question), strings.TrimSpace(e.Answer)
	if e.Question == "" || utf8.RuneCountInString(e.Question) > MaxQuestionLength {
		return baton.Invalid("question must be 1 to %d characters long.", MaxQuestionLength)
	}
	if e.Answer == "" || utf8.RuneCountInString(e.Answer) > MaxAnswerLength {
		return baton.Invalid("answer must be 1 to %d characters long.", MaxAnswerLength)
	}
	if len(e.Keywords) > 50 {
		return baton.Invalid("At most 50 keywords.")
	}
	for _, k := range e.Keywords {
		if utf8.RuneCountInString(k) > 50 || strings.Contains(k, ",") {
			return baton.Invalid("Keywords are at most 50 characters and contain no comma.")
		}
	}
	return nil
}

func (d *DB) chatbotOf(ctx context.Context, q *db.Queries, ref string) (db.Chatbot, error) {
	c, err := q.GetChatbot(ctx, db.GetChatbotParams{AccountID: baton.ActorFromContext(ctx).AccountID, ID: ref})
	if isNoRows(err) {
		return c, baton.NotFound("Chatbot")
	}
	return c, err
}

// ListKnowledge lists a chatbot's knowledge entries.
func (d *DB) ListKnowledge(ctx context.Context, chatbot string) ([]*baton.KnowledgeEntry, error) {
	c, err := d.chatbotOf(ctx, d.read(), chatbot)
	if err != nil {
		return nil, err
	}
	return d.knowledge(ctx, c.AccountID, c.ID)
}

func (d *DB) knowledge(ctx context.Context, accountID, chatbotID string) ([]*baton.KnowledgeEntry, error) {
	rows, err := d.read().ListKnowledgeEntries(ctx, db.ListKnowledgeEntriesParams{ChatbotID: chatbotID, AccountID: accountID})
	if err != nil {
		return nil, fmt.Errorf("list knowledge: %w", err)
	}
	out := make([]*baton.KnowledgeEntry, len(rows))
	for i, r := range rows {
		out[i] = knowledgeFromRow(r)
	}
	return out, nil
}

// CreateKnowledge adds entries to a chatbot's knowledge.
func (d *DB) CreateKnowledge(ctx context.Context, chatbot string, entries []baton.KnowledgeEntry) ([]*baton.KnowledgeEntry, error) {
	var out []*baton.KnowledgeEntry
	err := d.Write(ctx, func(tx *Tx) error {
		c, err := d.chatbotOf(ctx, tx.Queries, chatbot)
		if err != nil {
			return err
		}
		n, err := tx.CountKnowledgeEntries(ctx, c.ID)
		if err != nil {
			return err
		}
		if int(n)+len(entries) > MaxKnowledgeEntries {
			return baton.Invalid("A chatbot can hold at most %d knowledge entries.", MaxKnowledgeEntries)
		}
		for _, e := range entries {
			if err := checkKnowledge(&e); err != nil {
				return err
			}
			row := db.KnowledgeEntry{ID: d.NewID(), AccountID: c.AccountID, ChatbotID: c.ID, Question: e.Question,
				Answer: e.Answer, Keywords: strings.Join(e.Keywords, ","), CreatedAt: tx.Now(), UpdatedAt: tx.Now()}
			if err := tx.CreateKnowledgeEntry(ctx, db.CreateKnowledgeEntryParams{ID: row.ID, AccountID: row.AccountID,
				ChatbotID: row.ChatbotID, Question: row.Question, Answer: row.Answer, Keywords: row.Keywords, CreatedAt: row.CreatedAt}); err != nil {
				return err
			}
			out = append(out, knowledgeFromRow(row))
		}
		return nil
	})
	return out, err
}

// UpdateKnowledge replaces an entry's question, answer and keywords.
func (d *DB) UpdateKnowledge(ctx context.Context, chatbot, id string, e baton.KnowledgeEntry) (*baton.KnowledgeEntry, error) {
	if err := checkKnowledge(&e); err != nil {
		return nil, err
	}
	var out *baton.KnowledgeEntry
	err := d.Write(ctx, func(tx *Tx) error {
		c, err := d.chatbotOf(ctx, tx.Queries, chatbot)
		if err != nil {
			return err
		}
		row, err := tx.GetKnowledgeEntry(ctx, db.GetKnowledgeEntryParams{ID: id, ChatbotID: c.ID, AccountID: c.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Knowledge entry")
		} else if err != nil {
			return err
		}
		row.Question, row.Answer, row.Keywords, row.UpdatedAt = e.Question, e.Answer, strings.Join(e.Keywords, ","), tx.Now()
		out = knowledgeFromRow(row)
		return tx.UpdateKnowledgeEntry(ctx, db.UpdateKnowledgeEntryParams{ID: id, ChatbotID: c.ID, AccountID: c.AccountID,
			Question: row.Question, Answer: row.Answer, Keywords: row.Keywords, UpdatedAt: row.UpdatedAt})
	})
	return out, err
}

// DeleteKnowledge removes an entry.
func (d *DB) DeleteKnowledge(ctx context.Context, chatbot, id string) error {
	return d.Write(ctx, func(tx *Tx) error {
		c, err := d.chatbotOf(ctx, tx.Queries, chatbot)
		if err != nil {
			return err
		}
		n, err := tx.DeleteKnowledgeEntry(ctx, db.DeleteKnowledgeEntryParams{ID: id, ChatbotID: c.ID, AccountID: c.AccountID})
		if err != nil {
			return err
		}
		if n == 0 {
			return baton.NotFound("Knowledge entry")
		}
		return nil
	})
}
