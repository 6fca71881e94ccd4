package bot

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
)

// Roles of a [Turn].
const (
	RoleVisitor = string(baton.KindVisitor)
	RoleBot     = string(baton.KindBot)
	RoleAgent   = string(baton.KindAgent)
)

// Turn is one message of the transcript as the bot sees it.
type Turn struct {
	Role    string `json:"role"` // RoleVisitor, RoleBot or RoleAgent
	Content string `json:"content"`
}

// Entry is one knowledge entry of a chatbot: a question, its answer, and keywords that
// help find it.
type Entry struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answer   string   `json:"answer"`
	Keywords []string `json:"keywords,omitempty"`
}

// Request is what a responder needs to answer the visitor's latest message.
type Request struct {
	// ConversationID is opaque to the bot; external bots need it to answer later.
	ConversationID string
	ChatbotName    string
	// Instructions are extra instructions from the chatbot's settings (LLM responders).
	Instructions string
	Knowledge    []Entry
	// Transcript is oldest first; the last turn is the visitor's new message.
	Transcript []Turn
	// Language is the chatbot's language ("en", "es-MX", ...); "" means English. It picks
	// the language of the built-in sentences.
	Language string
}

// Reply is a responder's answer.
//
// Content, when not empty, is sent to the visitor as a bot message, also when Handoff is
// set (it then tells the visitor a person is coming). An empty Content without Handoff
// means there is nothing to send now (an external bot answers later).
type Reply struct {
	Content       string
	Handoff       bool
	HandoffReason string
	// Confidence is the responder's confidence in Content, from 0 to 1. The FAQ bot
	// computes it; LLM and external bots do not report one, so their answers carry 1 and
	// their handoffs 0.
	Confidence float64
}

// Responder answers a visitor. Implementations are safe for concurrent use.
//
// Respond returns [ErrNoMessage] when the transcript has no visitor message; remote
// responders also return [ErrTimeout], [ErrUnauthorized], [ErrRateLimited],
// [ErrUnavailable], [ErrRejected] or [ErrMalformed] (see [HTTPError]).
type Responder interface {
	Respond(ctx context.Context, req Request) (Reply, error)
}

// ResponderFunc adapts a function to [Responder].
type ResponderFunc func(ctx context.Context, req Request) (Reply, error)

// Respond calls f.
func (f ResponderFunc) Respond(ctx context.Context, req Request) (Reply, error) { return f(ctx, req) }

// TurnsFromMessages builds a transcript from a thread, oldest first. Only what the
// visitor can see goes in: system messages and internal notes are left out, so no
// responder can ever repeat a note to the visitor (M1). Messages without text
// (attachments only) are left out too.
func TurnsFromMessages(msgs []*baton.Message) []Turn {
	out := make([]Turn, 0, len(msgs))
	for _, m := range msgs {
		if m == nil || !m.Kind.VisitorVisible() || strings.TrimSpace(m.Content) == "" {
			continue
		}
		out = append(out, Turn{Role: string(m.Kind), Content: m.Content})
	}
	return out
}

// lastVisitor returns the index of the last visitor turn, or -1.
func lastVisitor(transcript []Turn) int {
	for i := len(transcript) - 1; i >= 0; i-- {
		if transcript[i].Role == RoleVisitor {
			return i
		}
	}
	return -1
}

// previousBotTurns calls fn with each bot turn before index i, newest first, until fn
// returns false or an agent turn is met (an agent in between resets every streak).
func previousBotTurns(transcript []Turn, i int, fn func(content string) bool) {
	for j := i - 1; j >= 0; j-- {
		switch transcript[j].Role {
		case RoleAgent:
			return
		case RoleBot:
			if !fn(transcript[j].Content) {
				return
			}
		}
	}
}

// clip shortens s to at most n runes, cutting at a word boundary when one is near and
// marking the cut with an ellipsis.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexAny(cut, " \n\t"); i > len(cut)*2/3 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " \n\t,;:.-") + "…"
}

// oneLine collapses runs of white space into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
