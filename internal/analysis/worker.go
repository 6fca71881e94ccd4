package analysis

import (
	"context"
	"fmt"
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
// analysis says why in its error. A last attempt that fails for any other reason marks the
// analysis failed. The conversation's closing never waits for any of it.
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

// GaveUp is the error an analysis shows when its job gave up: safe to show, it says
// nothing of the internal cause (which is logged).
const GaveUp = "The analysis could not be completed after %d attempts."

// Work analyses one conversation. When its last attempt fails (or panics), the analysis
// is marked failed, so that it does not stay pending for ever, and the team is told.
func (w *Worker) Work(ctx context.Context, job *river.Job[store.AnalysisArgs]) (err error) {
	if job.Attempt >= job.MaxAttempts {
		defer func() {
			if r := recover(); r != nil {
				w.giveUp(ctx, job, fmt.Errorf("panic: %v", r))
				panic(r) // the job queue reports it
			}
			if err != nil {
				w.giveUp(ctx, job, err)
			}
		}()
	}
	return w.work(ctx, job)
}

// giveUp marks the job's analysis failed for good.
func (w *Worker) giveUp(ctx context.Context, job *river.Job[store.AnalysisArgs], cause error) {
	a := job.Args
	if w.Logger != nil {
		w.Logger.Error("analysis: the last attempt failed", "conversation", a.ConversationID, "attempt", job.Attempt, "err", cause)
	}
	err := w.DB.FailAnalysis(context.WithoutCancel(ctx), a.AccountID, a.ConversationID, fmt.Sprintf(GaveUp, job.Attempt), job.Attempt,
		a.Reason == baton.AnalysisOnClose)
	if err != nil && baton.ErrorCode(err) != baton.ENOTFOUND && w.Logger != nil {
		w.Logger.Error("analysis: could not record the failure", "conversation", a.ConversationID, "err", err)
	}
}

func (w *Worker) work(ctx context.Context, job *river.Job[store.AnalysisArgs]) error {
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
	err = w.DB.SaveAnalysis(context.WithoutCancel(ctx), a.AccountID, an, a.Reason == baton.AnalysisOnClose)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil // deleted meanwhile
	}
	return err
}
