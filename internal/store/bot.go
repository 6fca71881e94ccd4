package store

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/riverqueue/river"
)

// BotReplyArgs is the job that has the bot answer a visitor message (B1). It is enqueued
// with the message, in the same transaction.
type BotReplyArgs struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id"`
	// Seq is the seq of the visitor message to answer.
	Seq int64 `json:"seq"`
}

// Kind names the job for River.
func (BotReplyArgs) Kind() string { return "bot_reply" }

// enqueueBotReply asks the bot to answer the message just added, if the bot is active.
func (ct *convTx) enqueueBotReply(m *baton.Message) error {
	if ct.d.Jobs == nil || !baton.Status(ct.c.Status).BotActive() {
		return nil
	}
	return ct.d.Jobs.InsertTx(ct.ctx, ct.Tx, BotReplyArgs{AccountID: ct.c.AccountID, ConversationID: ct.c.ID, Seq: m.Seq},
		&river.InsertOpts{MaxAttempts: 3})
}

// BotContext is what a responder needs to answer.
type BotContext struct {
	Conversation  *baton.Conversation
	Chatbot       *baton.Chatbot
	APIKey        string
	WebhookSecret string
	Knowledge     []*baton.KnowledgeEntry
	// Transcript holds the visitor, bot and agent messages, oldest first (at most 40).
	Transcript []*baton.Message
}

// BotContext loads a conversation for its bot.
func (d *DB) BotContext(ctx context.Context, accountID, convID string) (*BotContext, error) {
	conv, err := d.findConversation(ctx, accountID, convID)
	if err != nil {
		return nil, err
	}
	row, err := d.read().GetChatbotByID(ctx, conv.Chatbot.ID)
	if err != nil {
		return nil, fmt.Errorf("bot chatbot: %w", err)
	}
	bc := &BotContext{Conversation: conv, Chatbot: chatbotFromRow(row)}
	cs := parseSettings(row.Settings)
	if bc.APIKey, err = d.Unseal(cs.AI.APIKey); err != nil {
		return nil, fmt.Errorf("bot api key: %w", err)
	}
	if bc.WebhookSecret, err = d.Unseal(cs.AI.WebhookSecret); err != nil {
		return nil, fmt.Errorf("bot webhook secret: %w", err)
	}
	if bc.Knowledge, err = d.knowledge(ctx, accountID, row.ID); err != nil {
		return nil, err
	}
	msgs, err := d.read().ListMessages(ctx, db.ListMessagesParams{ConversationID: convID, Seq: math.MaxInt64, Limit: 80})
	if err != nil {
		return nil, fmt.Errorf("bot transcript: %w", err)
	}
	for _, m := range msgs {
		if baton.MessageKind(m.Kind).VisitorVisible() && len(bc.Transcript) < 40 {
			bc.Transcript = append(bc.Transcript, messageFromRow(m))
		}
	}
	slices.Reverse(bc.Transcript)
	return bc, nil
}

// BotAnswer is what the bot decided.
type BotAnswer struct {
	Content string
	// Handoff asks for a human with Reason; Brief is the handoff brief (B3).
	Handoff bool
	Reason  string
	Brief   string
}

// ApplyBotAnswer stores the bot's answer — unless the conversation left the bot meanwhile,
// in which case it is dropped (B2) and dropped is true. A handoff goes to waiting when an
// agent is available, else to offline (SPEC §1).
func (d *DB) ApplyBotAnswer(ctx context.Context, accountID, convID string, ans BotAnswer) (dropped bool, err error) {
	err = d.Write(ctx, func(tx *Tx) error {
		if ans.Handoff {
			if err := tx.lockRouting(ctx, accountID); err != nil {
				return err
			}
		}
		ct, err := d.lockConversation(ctx, tx, accountID, convID)
		if err != nil {
			return err
		}
		if !baton.Status(ct.c.Status).BotActive() {
			dropped = true
			return nil
		}
		return ct.botAnswer(ans)
	})
	return dropped, err
}

// botAnswer stores the bot's answer in a conversation the bot is active in; a handoff
// needs the routing lock held (taken before the conversation's).
func (ct *convTx) botAnswer(ans BotAnswer) error {
	ctx, tx := ct.ctx, ct.Tx
	status := baton.Status(ct.c.Status)
	if ans.Content != "" {
		content, err := CheckContent(ans.Content)
		if err != nil {
			return fmt.Errorf("bot answer: %w", err)
		}
		row, err := tx.GetChatbotByID(ctx, ct.c.ChatbotID)
		if err != nil {
			return err
		}
		delivery := baton.DeliverySent
		if ct.c.Channel != baton.ChannelWeb {
			delivery = baton.DeliveryQueued // the channel's delivery job sends it
		}
		if _, err := ct.addMessage(baton.KindBot, sender{name: row.Name}, content, delivery); err != nil {
			return err
		}
	}
	if ans.Handoff {
		n, err := tx.availableAgents(ctx, ct.c.AccountID)
		if err != nil {
			return err
		}
		action := baton.ActionHandoff
		if n == 0 {
			action = baton.ActionHandoffNone
		}
		if status == baton.StatusOffline && action == baton.ActionHandoffNone {
			// Still nobody: the visitor already sees the offline form.
			return ct.save()
		}
		return ct.apply(nil, baton.ActionRequest{Action: action, Reason: ans.Reason, Brief: ans.Brief})
	}
	return ct.save()
}
