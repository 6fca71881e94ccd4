package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// Options tune the integrations hook.
type Options struct {
	// Attempts is how many times a webhook delivery is tried (0: DefaultMaxAttempts).
	Attempts int
}

func (o Options) attempts() int {
	if o.Attempts <= 0 {
		return DefaultMaxAttempts
	}
	return o.Attempts
}

// Hook returns the transaction hook of the integrations, to register with d.AddTxHook:
// from the events of each transaction it queues, in the same transaction, the outgoing
// webhooks (X5), the handover webhook when a handoff starts (X1), the message webhook for
// each visitor message in listen mode (X3), and the post-chat analysis when a conversation
// closes (P1); it also ends listen mode when a conversation leaves status human. None of
// it waits on the network: jobs send later, so the request that caused them never blocks.
// Without a job queue it does nothing.
func Hook(d *store.DB, o Options) store.TxHook {
	o.Attempts = o.attempts()
	return func(ctx context.Context, tx *store.Tx, events []*baton.Event) error {
		if d.Jobs == nil {
			return nil
		}
		h := &integrationRun{d: d, ctx: ctx, tx: tx, o: o, ticketsSeen: map[string]bool{}}
		for _, e := range events {
			if err := h.event(e); err != nil {
				return fmt.Errorf("integrations: %s: %w", e.Type, err)
			}
		}
		return nil
	}
}

// ClosedWebhook returns what d.AnalysisClosed runs: it queues conversation.closed,
// carrying the conversation and its analysis, to each subscription of the account that
// asks for it, in the transaction that records the analysis.
func ClosedWebhook(d *store.DB, o Options) func(ctx context.Context, tx *store.Tx, accountID string, conv *baton.Conversation, an *baton.Analysis) error {
	attempts := o.attempts()
	return func(ctx context.Context, tx *store.Tx, accountID string, conv *baton.Conversation, an *baton.Analysis) error {
		subs, err := subsOf(d).subscribers(ctx, tx, accountID, baton.WebhookConversationClosed)
		if err != nil || len(subs) == 0 {
			return err
		}
		at := tx.Now()
		if conv.ClosedAt != nil {
			at = *conv.ClosedAt
		}
		payload := mustJSON(eventPayload{ConversationID: conv.ID, OccurredAt: at,
			Data: map[string]any{"conversation": conv, "analysis": an}})
		for _, s := range subs {
			if _, err := queueDelivery(ctx, d, tx, accountID, &s.id, baton.DeliveryKindEvent, baton.WebhookConversationClosed, s.url,
				payload, attempts); err != nil {
				return err
			}
		}
		return nil
	}
}

// integrationRun is the hook at work on one transaction.
type integrationRun struct {
	d           *store.DB
	ctx         context.Context
	tx          *store.Tx
	o           Options
	ticketsSeen map[string]bool
}

func (h *integrationRun) event(e *baton.Event) error {
	raw := json.RawMessage(e.Payload)
	switch e.Type {
	case baton.EventMessageCreated:
		m, err := h.tx.MessageOf(e)
		if err != nil {
			return err
		}
		if err := h.publish(e, baton.WebhookMessageCreated, map[string]any{"message": raw}); err != nil {
			return err
		}
		switch m.Kind {
		case baton.KindVisitor:
			return h.messageWebhook(e, m)
		case baton.KindSystem:
			// Tickets linked to a conversation write a system message to it.
			return h.tickets(e.AccountID)
		}
	case baton.EventTicketCreated:
		return h.tickets(e.AccountID)
	case baton.EventConversationCreated:
		return h.publish(e, baton.WebhookConversationCreated, map[string]any{"conversation": raw})
	case baton.EventConversationUpdated:
		if e.VisitorType != baton.VisitorStatus {
			return nil // the status did not change
		}
		var c struct {
			Status baton.Status `json:"status"`
		}
		if err := json.Unmarshal(e.Payload, &c); err != nil {
			return err
		}
		if err := h.publish(e, baton.WebhookConversationStatusChanged, map[string]any{"conversation": raw, "status": c.Status}); err != nil {
			return err
		}
		if c.Status != baton.StatusHuman {
			if _, err := h.tx.EndExternalHandover(h.ctx, db.EndExternalHandoverParams{ConversationID: e.ConversationID, EndedAt: ptr(h.tx.Now())}); err != nil {
				return err
			}
		}
		if c.Status == baton.StatusClosed {
			return h.d.QueueAnalysis(h.ctx, h.tx, e.AccountID, e.ConversationID, baton.AnalysisOnClose)
		}
	case baton.EventAssigned:
		return h.publish(e, baton.WebhookConversationAssigned, raw)
	case baton.EventHandoffStarted:
		if err := h.publish(e, baton.WebhookHandoffStarted, raw); err != nil {
			return err
		}
		return h.handoverWebhook(e)
	case baton.EventHandoffEnded:
		return h.publish(e, baton.WebhookHandoffEnded, raw)
	}
	return nil
}

// publish queues a delivery of event to each subscription of the account that asks for it.
func (h *integrationRun) publish(e *baton.Event, event string, data any) error {
	subs, err := subsOf(h.d).subscribers(h.ctx, h.tx, e.AccountID, event)
	if err != nil || len(subs) == 0 {
		return err
	}
	payload := mustJSON(eventPayload{ConversationID: e.ConversationID, OccurredAt: e.CreatedAt, Data: data})
	for _, s := range subs {
		if _, err := queueDelivery(h.ctx, h.d, h.tx, e.AccountID, &s.id, baton.DeliveryKindEvent, event, s.url, payload, h.o.Attempts); err != nil {
			return err
		}
	}
	return nil
}

// HandoverWebhookBody is the body POSTed to a chatbot's handover webhook when a handoff
// starts (X1): the fields of the reference, filled with what Baton knows and empty
// otherwise. sessionId and to are the visitor's session id (the {userId} of the handover
// API), botId the chatbot's slug; customVariables are the contact's attributes;
// extractedData holds the contact's email and phone and the conversation's details.
type HandoverWebhookBody struct {
	AttachedMedia     string            `json:"attachedMedia"`
	Reply             string            `json:"reply"`
	BotID             string            `json:"botId"`
	Direction         string            `json:"direction"`
	ExtractedData     map[string]any    `json:"extractedData"`
	LastName          string            `json:"lastName"`
	SessionID         string            `json:"sessionId"`
	CustomVariables   map[string]string `json:"customVariables"`
	From              string            `json:"from"`
	FirstName         string            `json:"firstName"`
	To                string            `json:"to"`
	ReplyData         string            `json:"replyData"`
	ModuleID          string            `json:"moduleId"`
	BotTrainedModelID string            `json:"botTrainedModelId"`
}

// MessageWebhookBody is the body POSTed to the message webhook for each visitor message
// while an external desk holds the conversation (X3). Timestamp is the Unix time of the
// attempt (signed with the body, against replays).
type MessageWebhookBody struct {
	Interlocutor   string             `json:"interlocutor"`
	Message        string             `json:"message"`
	BotID          string             `json:"botId"`
	SessionID      string             `json:"sessionId"`
	UserID         string             `json:"userId"`
	FirstName      string             `json:"firstName"`
	LastName       string             `json:"lastName"`
	ConversationID string             `json:"conversationId"`
	MessageID      string             `json:"messageId"`
	Seq            int64              `json:"seq"`
	AttachedMedia  string             `json:"attachedMedia"`
	Attachments    []baton.Attachment `json:"attachments"`
	CreatedAt      time.Time          `json:"createdAt"`
	Timestamp      int64              `json:"timestamp"`
}

// splitName makes first and last names of a contact's name.
func splitName(name string) (first, last string) {
	first, last, _ = strings.Cut(strings.TrimSpace(name), " ")
	return first, strings.TrimSpace(last)
}

func contactAttributes(c db.Contact) map[string]string {
	attrs := map[string]string{}
	_ = json.Unmarshal([]byte(c.Attributes), &attrs)
	return attrs
}

// handoverWebhook queues the chatbot's handover webhook (X1), unless the handoff is the
// external desk's own takeover.
func (h *integrationRun) handoverWebhook(e *baton.Event) error {
	ctx, tx := h.ctx, h.tx
	conv, err := tx.GetConversation(ctx, db.GetConversationParams{ID: e.ConversationID, AccountID: e.AccountID})
	if err != nil {
		return err
	}
	if ho, err := tx.GetExternalHandover(ctx, conv.ID); err == nil && ho.EndedAt == nil {
		return nil
	} else if err != nil && !store.IsNoRows(err) {
		return err
	}
	bot, err := tx.GetChatbotByID(ctx, conv.ChatbotID)
	if err != nil || bot.HandoverWebhookUrl == "" {
		return err
	}
	contact, err := tx.GetContact(ctx, db.GetContactParams{ID: conv.ContactID, AccountID: conv.AccountID})
	if err != nil {
		return err
	}
	first, last := splitName(contact.Name)
	extracted := map[string]any{"conversationId": conv.ID, "conversationNumber": conv.Number, "channel": conv.Channel}
	for k, v := range map[string]string{"email": contact.Email, "phone": contact.Phone, "name": contact.Name,
		"reason": conv.Reason, "brief": conv.Brief} {
		if v != "" {
			extracted[k] = v
		}
	}
	body := HandoverWebhookBody{BotID: bot.Slug, Direction: "out", ExtractedData: extracted, FirstName: first, LastName: last,
		SessionID: contact.SessionID, To: contact.SessionID, CustomVariables: contactAttributes(contact)}
	recent, err := tx.ListMessages(ctx, db.ListMessagesParams{ConversationID: conv.ID, Seq: conv.LastSeq + 1, Limit: 50})
	if err != nil {
		return err
	}
	for _, m := range recent { // newest first: the visitor's latest file
		if m.Kind == string(baton.KindVisitor) {
			if msg := store.MessageFromRow(m); len(msg.Attachments) > 0 {
				body.AttachedMedia = msg.Attachments[0].URL
				break
			}
		}
	}
	_, err = queueDelivery(ctx, h.d, tx, e.AccountID, nil, baton.DeliveryKindHandover, "handover.started", bot.HandoverWebhookUrl,
		mustJSON(body), h.o.Attempts)
	return err
}

// messageWebhook queues the message webhook (X3) for a visitor message in listen mode:
// the chatbot's message webhook, else the account's.
func (h *integrationRun) messageWebhook(e *baton.Event, m *baton.Message) error {
	ctx, tx := h.ctx, h.tx
	ho, err := tx.GetExternalHandover(ctx, e.ConversationID)
	if store.IsNoRows(err) || (err == nil && ho.EndedAt != nil) {
		return nil
	} else if err != nil {
		return err
	}
	conv, err := tx.GetConversation(ctx, db.GetConversationParams{ID: e.ConversationID, AccountID: e.AccountID})
	if err != nil || conv.Status != string(baton.StatusHuman) {
		return err
	}
	bot, err := tx.GetChatbotByID(ctx, conv.ChatbotID)
	if err != nil {
		return err
	}
	url := bot.MessageWebhookUrl
	if url == "" {
		s, err := integrationSettings(ctx, tx, e.AccountID)
		if err != nil {
			return err
		}
		url = s.MessageWebhookUrl
	}
	if url == "" {
		return nil
	}
	contact, err := tx.GetContact(ctx, db.GetContactParams{ID: conv.ContactID, AccountID: conv.AccountID})
	if err != nil {
		return err
	}
	first, last := splitName(contact.Name)
	body := MessageWebhookBody{Interlocutor: "user", Message: m.Content, BotID: bot.Slug, SessionID: contact.SessionID,
		UserID: contact.SessionID, FirstName: first, LastName: last, ConversationID: conv.ID, MessageID: m.ID, Seq: m.Seq,
		Attachments: m.Attachments, CreatedAt: m.CreatedAt}
	if body.Attachments == nil {
		body.Attachments = []baton.Attachment{}
	}
	if len(m.Attachments) > 0 {
		body.AttachedMedia = m.Attachments[0].URL
	}
	_, err = queueDelivery(ctx, h.d, tx, e.AccountID, nil, baton.DeliveryKindMessage, "message.user", url, mustJSON(body), h.o.Attempts)
	return err
}

// TicketEvent is the ticket of a ticket.created webhook.
type TicketEvent struct {
	ID              string    `json:"id"`
	Number          int64     `json:"number"`
	Subject         string    `json:"subject"`
	Description     string    `json:"description"`
	Priority        string    `json:"priority"`
	Status          string    `json:"status"`
	AssigneeID      string    `json:"assignee_id"`
	ContactID       string    `json:"contact_id"`
	Source          string    `json:"source"`
	ConversationIDs []string  `json:"conversation_ids"`
	CreatedAt       time.Time `json:"created_at"`
}

// tickets publishes ticket.created for the tickets this transaction created (all of one
// transaction share its clock reading).
func (h *integrationRun) tickets(accountID string) error {
	if h.ticketsSeen[accountID] {
		return nil
	}
	h.ticketsSeen[accountID] = true
	subs, err := subsOf(h.d).subscribers(h.ctx, h.tx, accountID, baton.WebhookTicketCreated)
	if err != nil || len(subs) == 0 {
		return err
	}
	rows, err := h.tx.TicketsCreatedAt(h.ctx, db.TicketsCreatedAtParams{AccountID: accountID, CreatedAt: h.tx.Now()})
	if err != nil {
		return err
	}
	for _, t := range rows {
		convs, err := h.tx.TicketConversationIDs(h.ctx, t.ID)
		if err != nil {
			return err
		}
		if convs == nil {
			convs = []string{}
		}
		ev := TicketEvent{ID: t.ID, Number: t.Number, Subject: t.Subject, Description: t.Description, Priority: t.Priority,
			Status: t.Status, AssigneeID: deref(t.AssigneeID), ContactID: deref(t.ContactID), Source: t.Source,
			ConversationIDs: convs, CreatedAt: t.CreatedAt}
		e := &baton.Event{AccountID: accountID, CreatedAt: t.CreatedAt}
		if len(convs) > 0 {
			e.ConversationID = convs[0]
		}
		if err := h.publish(e, baton.WebhookTicketCreated, map[string]any{"ticket": ev}); err != nil {
			return err
		}
	}
	return nil
}
