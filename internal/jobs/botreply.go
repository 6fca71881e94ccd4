package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/bot"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// BotReply answers a visitor message with the chatbot's responder (B1): the FAQ bot, an
// OpenAI-compatible model or an external bot, behind the handoff rules (H2) and a
// fallback that apologises on errors and hands off after repeated failures. An answer for
// a conversation that left the bot meanwhile is dropped (B2).
type BotReply struct {
	river.WorkerDefaults[store.BotReplyArgs]
	DB     *store.DB
	Logger *slog.Logger
	// Client makes the responders' and the brief's HTTP calls: a client of the outbound
	// guard (nil: bot.DefaultClient, which refuses private addresses), which follows no
	// redirect.
	Client *http.Client
	// Typing, when set, shows the visitor that the bot is writing.
	Typing func(ctx context.Context, accountID, convID, name string, typing bool)
}

// Work answers one message.
func (w *BotReply) Work(ctx context.Context, job *river.Job[store.BotReplyArgs]) error {
	a := job.Args
	bc, err := w.DB.BotContext(ctx, a.AccountID, a.ConversationID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil // deleted meanwhile: nothing to answer
	} else if err != nil {
		return err
	}
	if !bc.Conversation.Status.BotActive() {
		return nil // B2: paused while the job waited
	}
	for _, m := range bc.Transcript {
		if m.Kind == baton.KindVisitor && m.Seq > a.Seq {
			return nil // a newer message came in; its own job answers the whole thread
		}
	}
	turns := bot.TurnsFromMessages(bc.Transcript)
	req := bot.Request{ConversationID: a.ConversationID, ChatbotName: bc.Chatbot.Name,
		Instructions: bc.Chatbot.AI.SystemPrompt, Transcript: turns}
	for _, k := range bc.Knowledge {
		req.Knowledge = append(req.Knowledge, bot.Entry{ID: k.ID, Question: k.Question, Answer: k.Answer, Keywords: k.Keywords})
	}
	responder := bot.Guard(&bot.Fallback{Responder: w.responder(bc), OnError: func(err error) {
		w.Logger.Warn("bot responder failed", "conversation", a.ConversationID, "responder", bc.Chatbot.AI.Responder, "err", err)
	}})
	if w.Typing != nil {
		w.Typing(ctx, a.AccountID, a.ConversationID, bc.Chatbot.Name, true)
		defer w.Typing(context.WithoutCancel(ctx), a.AccountID, a.ConversationID, bc.Chatbot.Name, false)
	}
	reply, err := responder.Respond(ctx, req)
	if err != nil {
		return fmt.Errorf("bot reply: %w", err)
	}
	ans := store.BotAnswer{Content: reply.Content, Handoff: reply.Handoff, Reason: reply.HandoffReason}
	if reply.Handoff {
		ans.Brief = w.brief(ctx, bc, turns)
	}
	dropped, err := w.DB.ApplyBotAnswer(ctx, a.AccountID, a.ConversationID, ans)
	if err != nil {
		return err
	}
	if dropped {
		w.Logger.Info("bot answer dropped: the conversation left the bot", "conversation", a.ConversationID)
	}
	return nil
}

func (w *BotReply) responder(bc *store.BotContext) bot.Responder {
	ai := bc.Chatbot.AI
	switch ai.Responder {
	case baton.ResponderOpenAI:
		return &bot.OpenAI{BaseURL: ai.BaseURL, APIKey: bc.APIKey, Model: ai.Model, Client: w.Client}
	case baton.ResponderWebhook:
		return &bot.Webhook{URL: ai.WebhookURL, Secret: bc.WebhookSecret, Client: w.Client}
	}
	return &bot.FAQ{}
}

// brief writes the handoff brief: by the model when one is configured, else extractive.
func (w *BotReply) brief(ctx context.Context, bc *store.BotContext, turns []bot.Turn) string {
	if ai := bc.Chatbot.AI; ai.Responder == baton.ResponderOpenAI {
		o := &bot.OpenAI{BaseURL: ai.BaseURL, APIKey: bc.APIKey, Model: ai.Model, Client: w.Client}
		if b, err := o.Brief(ctx, turns); err == nil && b != "" {
			return b
		}
	}
	return bot.Brief(turns)
}

// ExtractiveBrief adapts bot.Brief to the store's hook (agent-initiated handoffs).
func ExtractiveBrief(visitorMessages []string) string {
	turns := make([]bot.Turn, len(visitorMessages))
	for i, m := range visitorMessages {
		turns[i] = bot.Turn{Role: bot.RoleVisitor, Content: m}
	}
	return bot.Brief(turns)
}
