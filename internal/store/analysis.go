package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/riverqueue/river"
)

// Post-chat analysis (P1): the fields each chatbot extracts, the analysis of each
// conversation, and what its job reads and writes.

// Analysis limits.
const (
	DefaultAnalysisMaxAttempts = 5
	MaxAnalysisFields          = 20
	MaxFieldDescription        = 300
	MaxFieldPattern            = 200
	// MaxAnalysisMessages is how many messages of a conversation the analysis reads.
	MaxAnalysisMessages = 400
)

// AnalysisArgs is the job that analyses a conversation.
type AnalysisArgs struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id"`
	// Reason is close (the conversation closed: the conversation.closed webhook follows
	// the analysis) or manual.
	Reason string `json:"reason"`
}

// Kind names the job for River.
func (AnalysisArgs) Kind() string { return "conversation_analysis" }

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// CheckAnalysisFields validates a chatbot's field list (EINVALID says what is wrong).
func CheckAnalysisFields(fields []baton.AnalysisField) error {
	if len(fields) > MaxAnalysisFields {
		return baton.Invalid("A chatbot extracts at most %d fields.", MaxAnalysisFields)
	}
	seen := map[string]bool{}
	for i, f := range fields {
		if !fieldName.MatchString(f.Name) {
			return baton.Invalid("Field %d: name must be 1 to 40 lower-case letters, digits or underscores, starting with a letter.", i+1)
		}
		if seen[f.Name] {
			return baton.Invalid("Field %q appears twice.", f.Name)
		}
		seen[f.Name] = true
		if !slices.Contains(baton.FieldTypes, f.Type) {
			return baton.Invalid("Field %q: type must be one of %s.", f.Name, strings.Join(baton.FieldTypes, ", "))
		}
		if utf8.RuneCountInString(f.Description) > MaxFieldDescription {
			return baton.Invalid("Field %q: the description is too long (%d characters at most).", f.Name, MaxFieldDescription)
		}
		if len(f.Pattern) > MaxFieldPattern {
			return baton.Invalid("Field %q: the pattern is too long (%d characters at most).", f.Name, MaxFieldPattern)
		}
		if f.Pattern != "" {
			if _, err := regexp.Compile(f.Pattern); err != nil {
				return baton.Invalid("Field %q: the pattern is not a valid regular expression.", f.Name)
			}
		}
	}
	return nil
}

func fieldsFromRows(rows []db.AnalysisField) []baton.AnalysisField {
	out := make([]baton.AnalysisField, len(rows))
	for i, r := range rows {
		out[i] = baton.AnalysisField{Name: r.Name, Type: r.Type, Description: r.Description, Pattern: r.Pattern}
	}
	return out
}

// AnalysisFields lists the fields a chatbot of the actor's account extracts.
func (d *DB) AnalysisFields(ctx context.Context, chatbot string) ([]baton.AnalysisField, error) {
	a := baton.ActorFromContext(ctx)
	bot, err := d.read().GetChatbot(ctx, db.GetChatbotParams{AccountID: a.AccountID, ID: chatbot})
	if isNoRows(err) {
		return nil, baton.NotFound("Chatbot")
	} else if err != nil {
		return nil, fmt.Errorf("analysis fields: %w", err)
	}
	rows, err := d.read().ListAnalysisFields(ctx, db.ListAnalysisFieldsParams{ChatbotID: bot.ID, AccountID: a.AccountID})
	if err != nil {
		return nil, fmt.Errorf("analysis fields: %w", err)
	}
	return fieldsFromRows(rows), nil
}

// SetAnalysisFields replaces the fields a chatbot extracts, in the order given.
func (d *DB) SetAnalysisFields(ctx context.Context, chatbot string, fields []baton.AnalysisField) ([]baton.AnalysisField, error) {
	a := baton.ActorFromContext(ctx)
	for i := range fields {
		fields[i].Name = strings.TrimSpace(fields[i].Name)
		fields[i].Description = strings.TrimSpace(fields[i].Description)
		if fields[i].Type == "" {
			fields[i].Type = baton.FieldString
		}
	}
	if err := CheckAnalysisFields(fields); err != nil {
		return nil, err
	}
	err := d.Write(ctx, func(tx *Tx) error {
		bot, err := tx.GetChatbot(ctx, db.GetChatbotParams{AccountID: a.AccountID, ID: chatbot})
		if isNoRows(err) {
			return baton.NotFound("Chatbot")
		} else if err != nil {
			return err
		}
		if err := tx.DeleteAnalysisFields(ctx, db.DeleteAnalysisFieldsParams{ChatbotID: bot.ID, AccountID: a.AccountID}); err != nil {
			return err
		}
		for i, f := range fields {
			if err := tx.CreateAnalysisField(ctx, db.CreateAnalysisFieldParams{ID: d.NewID(), AccountID: a.AccountID, ChatbotID: bot.ID,
				Position: int64(i), Name: f.Name, Type: f.Type, Description: f.Description, Pattern: f.Pattern}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.AnalysisFields(ctx, chatbot)
}

func analysisFromRow(r db.ConversationAnalysis) *baton.Analysis {
	a := &baton.Analysis{ConversationID: r.ConversationID, Status: r.Status, Reason: r.Reason, Engine: r.Engine, Model: r.Model,
		Summary: r.Summary, Sentiment: baton.SentimentScore{Label: r.Sentiment, Score: r.SentimentScore}, Error: r.Error,
		Attempts: int(r.Attempts), RequestedAt: r.RequestedAt, CompletedAt: r.CompletedAt, Fields: []baton.ExtractedField{}}
	_ = json.Unmarshal([]byte(r.Fields), &a.Fields)
	_ = json.Unmarshal([]byte(r.Entities), &a.Entities)
	if a.Fields == nil {
		a.Fields = []baton.ExtractedField{}
	}
	for _, l := range []*[]string{&a.Entities.Emails, &a.Entities.Phones, &a.Entities.OrderIDs} {
		if *l == nil {
			*l = []string{}
		}
	}
	return a
}

// FindAnalysis returns the analysis of a conversation of the actor's account; ENOTFOUND
// when the conversation is unknown or was never analysed.
func (d *DB) FindAnalysis(ctx context.Context, convID string) (*baton.Analysis, error) {
	a := baton.ActorFromContext(ctx)
	r, err := d.read().GetAnalysis(ctx, db.GetAnalysisParams{ConversationID: convID, AccountID: a.AccountID})
	if isNoRows(err) {
		if _, err := d.read().GetConversation(ctx, db.GetConversationParams{ID: convID, AccountID: a.AccountID}); isNoRows(err) {
			return nil, baton.NotFound("Conversation")
		}
		return nil, baton.NotFound("Analysis")
	} else if err != nil {
		return nil, fmt.Errorf("find analysis: %w", err)
	}
	return analysisFromRow(r), nil
}

// ErrNoJobs is the error of a write that must queue a job when the DB has no job queue.
var ErrNoJobs = errors.New("store: no job queue: the job cannot run")

// RequestAnalysis asks for a conversation's analysis now (the console's "Analyse"
// button): the analysis becomes pending and a job computes it. The answer is the analysis
// as the request left it (pending), whatever the job has done since.
func (d *DB) RequestAnalysis(ctx context.Context, convID string) (*baton.Analysis, error) {
	a := baton.ActorFromContext(ctx)
	var out *baton.Analysis
	err := d.Write(ctx, func(tx *Tx) error {
		if _, err := tx.GetConversation(ctx, db.GetConversationParams{ID: convID, AccountID: a.AccountID}); isNoRows(err) {
			return baton.NotFound("Conversation")
		} else if err != nil {
			return err
		}
		if d.Jobs == nil {
			return ErrNoJobs
		}
		if err := d.QueueAnalysis(ctx, tx, a.AccountID, convID, baton.AnalysisOnDemand); err != nil {
			return err
		}
		row, err := tx.GetAnalysis(ctx, db.GetAnalysisParams{ConversationID: convID, AccountID: a.AccountID})
		if err != nil {
			return err
		}
		out = analysisFromRow(row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AnalysisInput is what the analysis job reads.
type AnalysisInput struct {
	Conversation *baton.Conversation
	Chatbot      *baton.Chatbot
	// APIKey is the chatbot's model key, for the LLM path.
	APIKey string
	Fields []baton.AnalysisField
	// Transcript holds the visitor, bot and agent messages, oldest first.
	Transcript []*baton.Message
}

// AnalysisInput loads a conversation for its analysis (ENOTFOUND if it was deleted).
func (d *DB) AnalysisInput(ctx context.Context, accountID, convID string) (*AnalysisInput, error) {
	conv, err := d.findConversation(ctx, accountID, convID)
	if err != nil {
		return nil, err
	}
	row, err := d.read().GetChatbotByID(ctx, conv.Chatbot.ID)
	if err != nil {
		return nil, fmt.Errorf("analysis chatbot: %w", err)
	}
	in := &AnalysisInput{Conversation: conv, Chatbot: chatbotFromRow(row)}
	if in.APIKey, err = d.Unseal(parseSettings(row.Settings).AI.APIKey); err != nil {
		return nil, fmt.Errorf("analysis api key: %w", err)
	}
	fields, err := d.read().ListAnalysisFields(ctx, db.ListAnalysisFieldsParams{ChatbotID: row.ID, AccountID: accountID})
	if err != nil {
		return nil, fmt.Errorf("analysis fields: %w", err)
	}
	in.Fields = fieldsFromRows(fields)
	msgs, err := d.read().TranscriptMessages(ctx, db.TranscriptMessagesParams{ConversationID: convID, Limit: MaxAnalysisMessages})
	if err != nil {
		return nil, fmt.Errorf("analysis transcript: %w", err)
	}
	for _, m := range msgs {
		in.Transcript = append(in.Transcript, messageFromRow(m))
	}
	return in, nil
}

// SaveAnalysis stores a finished analysis and tells the team (analysis_updated, a team
// event of the conversation's stream). When the analysis followed the conversation's
// closing, the conversation.closed webhook goes out with it, queued in the same
// transaction. ENOTFOUND when the conversation is gone.
func (d *DB) SaveAnalysis(ctx context.Context, accountID string, an *baton.Analysis, closed bool) error {
	if an.Fields == nil {
		an.Fields = []baton.ExtractedField{}
	}
	return d.finishAnalysis(ctx, accountID, an.ConversationID, closed, func(tx *Tx) (bool, error) {
		now := tx.Now()
		err := tx.SaveAnalysis(ctx, db.SaveAnalysisParams{ConversationID: an.ConversationID, AccountID: accountID, Status: an.Status,
			Reason: an.Reason, Engine: an.Engine, Model: an.Model, Summary: an.Summary, Sentiment: an.Sentiment.Label,
			SentimentScore: an.Sentiment.Score, Fields: string(mustJSON(an.Fields)), Entities: string(mustJSON(an.Entities)),
			Error: truncate(an.Error, 500), Attempts: int64(an.Attempts), RequestedAt: now, CompletedAt: &now})
		if err != nil {
			return false, fmt.Errorf("save analysis: %w", err)
		}
		return true, nil
	})
}

// FailAnalysis records that a conversation's pending analysis failed for good (its job
// gave up) with a reason safe to show, keeps any earlier result, and tells the team
// (analysis_updated). closed says the analysis followed the conversation's closing: the
// conversation.closed webhook then goes out with the failed analysis, since no other
// will. An analysis that is not pending any more is left alone; ENOTFOUND when the
// conversation is gone.
func (d *DB) FailAnalysis(ctx context.Context, accountID, convID, reason string, attempts int, closed bool) error {
	return d.finishAnalysis(ctx, accountID, convID, closed, func(tx *Tx) (bool, error) {
		n, err := tx.FailAnalysis(ctx, db.FailAnalysisParams{ConversationID: convID, AccountID: accountID,
			Error: truncate(reason, 500), Attempts: int64(attempts)})
		if err != nil {
			return false, fmt.Errorf("fail analysis: %w", err)
		}
		return n > 0, nil
	})
}

// finishAnalysis runs write, which records how a conversation's analysis ended and says
// whether it changed anything, under the conversation's lock; then it tells the team and,
// when the analysis followed the conversation's closing, queues conversation.closed.
func (d *DB) finishAnalysis(ctx context.Context, accountID, convID string, closed bool, write func(tx *Tx) (bool, error)) error {
	var conv *baton.Conversation
	if closed {
		var err error
		if conv, err = d.findConversation(ctx, accountID, convID); err != nil {
			return err
		}
	}
	return d.Write(ctx, func(tx *Tx) error {
		ct, err := d.lockConversation(ctx, tx, accountID, convID)
		if err != nil {
			return err
		}
		if changed, err := write(tx); err != nil || !changed {
			return err
		}
		an, err := ct.analysisUpdated()
		if err != nil || !closed {
			return err
		}
		if d.AnalysisClosed == nil {
			return nil
		}
		return d.AnalysisClosed(ctx, tx, accountID, conv, an)
	})
}

// analysisUpdated reads the conversation's analysis as just written and emits it to the
// team (never to the visitor).
func (ct *convTx) analysisUpdated() (*baton.Analysis, error) {
	row, err := ct.GetAnalysis(ct.ctx, db.GetAnalysisParams{ConversationID: ct.c.ID, AccountID: ct.c.AccountID})
	if err != nil {
		return nil, fmt.Errorf("read analysis: %w", err)
	}
	an := analysisFromRow(row)
	if err := ct.emit(baton.EventAnalysisUpdated, an, "", nil); err != nil {
		return nil, err
	}
	return an, ct.save()
}

// RecordAnalysisError notes a failed attempt of the analysis job (it will be retried).
func (d *DB) RecordAnalysisError(ctx context.Context, accountID, convID, msg string, attempt int) error {
	return d.Write(ctx, func(tx *Tx) error {
		return tx.SetAnalysisError(ctx, db.SetAnalysisErrorParams{ConversationID: convID, AccountID: accountID,
			Error: truncate(msg, 500), Attempts: int64(attempt)})
	})
}

// QueueAnalysis marks a conversation's analysis pending and enqueues its job in tx, tried
// AnalysisAttempts times.
func (d *DB) QueueAnalysis(ctx context.Context, tx *Tx, accountID, convID, reason string) error {
	attempts := d.AnalysisAttempts
	if attempts <= 0 {
		attempts = DefaultAnalysisMaxAttempts
	}
	if err := tx.RequestAnalysis(ctx, db.RequestAnalysisParams{ConversationID: convID, AccountID: accountID, Reason: reason,
		RequestedAt: tx.Now()}); err != nil {
		return fmt.Errorf("request analysis: %w", err)
	}
	return d.Jobs.InsertTx(ctx, tx, AnalysisArgs{AccountID: accountID, ConversationID: convID, Reason: reason},
		&river.InsertOpts{MaxAttempts: attempts})
}
