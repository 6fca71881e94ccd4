package analysis

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// Worker is the analysis job. With an OpenAI-compatible model configured on the chatbot
// (responder openai and a base URL) it asks the model; a model that is unavailable is
// tried again by the job queue (with Backoff) and, at the last attempt or when it fails
// for good (rejected request, malformed answers), the built-in analyser stands in and the
// analysis says why in its error. The conversation's closing never waits for any of it.
type Worker struct {
	river.WorkerDefaults[store.AnalysisArgs]
	DB     *store.DB
	Client *http.Client
	Logger *slog.Logger
	// Backoff is the wait after a failed attempt n (nil: 30 s, 2 min, 8 min, …).
	Backoff func(attempt int) time.Duration
	// LLMTimeout bounds each model request (0: 60 s).
	LLMTimeout time.Duration
}

// NextRetry schedules the next attempt after a failure.
func (w *Worker) NextRetry(job *river.Job[store.AnalysisArgs]) time.Time {
	if w.Backoff != nil {
		return time.Now().Add(w.Backoff(job.Attempt))
	}
	d := 30 * time.Second
	for i := 1; i < job.Attempt; i++ {
		d *= 4
	}
	return time.Now().Add(min(d, 2*time.Hour))
}

// LLMFor returns the model client of a chatbot's AI settings, or nil when none is
// configured.
func LLMFor(in *store.AnalysisInput, client *http.Client, timeout time.Duration) *LLM {
	ai := in.Chatbot.AI
	if ai.Responder != baton.ResponderOpenAI || ai.BaseURL == "" {
		return nil
	}
	return &LLM{BaseURL: ai.BaseURL, APIKey: in.APIKey, Model: ai.Model, Client: client, Timeout: timeout}
}

// Work analyses one conversation.
func (w *Worker) Work(ctx context.Context, job *river.Job[store.AnalysisArgs]) error {
	a := job.Args
	in, err := w.DB.AnalysisInput(ctx, a.AccountID, a.ConversationID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil // deleted meanwhile
	} else if err != nil {
		return err
	}
	an := &baton.Analysis{ConversationID: a.ConversationID, Status: baton.AnalysisDone, Reason: a.Reason, Attempts: job.Attempt}
	var res Result
	if llm := LLMFor(in, w.Client, w.LLMTimeout); llm != nil {
		res, err = llm.Analyse(ctx, in)
		if err != nil {
			if Temporary(err) && job.Attempt < job.MaxAttempts {
				if rerr := w.DB.RecordAnalysisError(context.WithoutCancel(ctx), a.AccountID, a.ConversationID, err.Error(), job.Attempt); rerr != nil {
					return rerr
				}
				return err
			}
			if w.Logger != nil {
				w.Logger.Warn("analysis: the model failed, using the built-in analyser", "conversation", a.ConversationID, "err", err)
			}
			res = Builtin(in)
			an.Error = "The model failed; the built-in analyser was used: " + err.Error()
		}
	} else {
		res = Builtin(in)
	}
	an.Engine, an.Model, an.Summary, an.Sentiment, an.Fields, an.Entities = res.Engine, res.Model, res.Summary, res.Sentiment, res.Fields, res.Entities
	return w.DB.SaveAnalysis(context.WithoutCancel(ctx), a.AccountID, an, a.Reason == baton.AnalysisOnClose)
}
