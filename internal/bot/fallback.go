package bot

import (
	"context"
	"errors"
)

// ReasonUnavailable is the handoff reason after repeated responder failures.
const ReasonUnavailable = "The assistant is unavailable"

// DefaultMaxFailures is how many failures in a row make [Fallback] hand off.
const DefaultMaxFailures = 3

// Fallback keeps a conversation going when its responder fails: instead of the error it
// answers "Sorry, I'm having trouble answering right now. Please try again in a moment."
// (in the chatbot's language) and, at the MaxFailures-th failure in a row, hands off
// with the reason [ReasonUnavailable].
//
// Failures are counted from the transcript: the apologies among the latest bot turns
// (until a bot turn that is not one, or an agent turn), plus this one. The count thus
// survives restarts and needs no state.
//
// The failures of the caller's own context (cancelled, deadline passed: the job is
// stopping) are returned as they are, so the job can be retried rather than answered.
type Fallback struct {
	Responder Responder
	// MaxFailures is the number of failures in a row that hands off; 0 means
	// DefaultMaxFailures.
	MaxFailures int
	// OnError, when set, is told about each error replaced by an apology (to log it once).
	OnError func(error)
}

// Respond asks the inner responder and replaces its errors by an apology or a handoff.
// It returns an error only when ctx is done or the transcript has no visitor message
// ([ErrNoMessage]).
func (f *Fallback) Respond(ctx context.Context, req Request) (Reply, error) {
	reply, err := f.Responder.Respond(ctx, req)
	if err == nil {
		return reply, nil
	}
	if ctx.Err() != nil || errors.Is(err, ErrNoMessage) {
		return Reply{}, err
	}
	if f.OnError != nil {
		f.OnError(err)
	}
	loc := localeFor(req.Language)
	if f.failuresInARow(req.Transcript)+1 >= f.maxFailures() {
		return Reply{Content: loc.unavailable, Handoff: true, HandoffReason: ReasonUnavailable}, nil
	}
	return Reply{Content: loc.apology}, nil
}

func (f *Fallback) maxFailures() int {
	if f.MaxFailures > 0 {
		return f.MaxFailures
	}
	return DefaultMaxFailures
}

// failuresInARow counts the apologies among the latest bot turns before the visitor's
// new message.
func (f *Fallback) failuresInARow(transcript []Turn) int {
	n := 0
	previousBotTurns(transcript, lastVisitor(transcript), func(content string) bool {
		if !isOwn(content, apologyOf) {
			return false
		}
		n++
		return true
	})
	return n
}
