package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/riverqueue/river"
)

// DeliveryAttempts is how many times an outbound message is tried on its channel before
// it is marked failed (C6).
const DeliveryAttempts = 3

// QueueChannels is the job queue of channel deliveries: apart from the other jobs, so that
// a provider holding its calls until they time out takes only this queue's workers, never
// those of bot answers, timers or webhooks.
const QueueChannels = "channels"

// DeliverArgs is the job that delivers an agent's or the bot's message to the visitor on
// an external channel (C6). It is enqueued with the message, in the same transaction.
type DeliverArgs struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	Channel        string `json:"channel"`
	// Tag is the Messenger message tag free text goes out with after the standard
	// window (HUMAN_AGENT).
	Tag string `json:"tag,omitempty"`
	// Template, when set, sends this approved WhatsApp template instead of the text.
	Template *TemplateSend `json:"template,omitempty"`
}

// Kind names the job for River.
func (DeliverArgs) Kind() string { return "channel_delivery" }

// TemplateSend is a template with its parameters filled in.
type TemplateSend struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	Parameters []string `json:"parameters"`
}

// ErrWhatsAppWindow refuses free text outside WhatsApp's 24-hour window (C3). Its code
// tells the console to offer the chatbot's templates.
var ErrWhatsAppWindow = &baton.Error{Code: "window_closed", Status: 409,
	Message: "The visitor last wrote on WhatsApp more than 24 hours ago: WhatsApp accepts only an approved template now. Choose a template to send."}

// ErrMessengerWindow refuses free text after Messenger's 7-day human-agent window (C4).
var ErrMessengerWindow = &baton.Error{Code: "window_closed", Status: 409,
	Message: "The visitor last wrote on Messenger more than 7 days ago: Messenger accepts no reply until they write again."}

type templateKey struct{}

// pendingTemplate marks, in a transaction's context, the message that carries a template.
type pendingTemplate struct {
	messageID string
	send      TemplateSend
}

// ChannelDeliveryHook is the transaction hook that enqueues the delivery of every agent
// and bot message of a conversation on an external channel, in the transaction that
// creates it (C6). It refuses (rolling everything back) an agent's free text outside the
// channel's window (C3, C4), and marks a bot message queued until it is delivered.
// Register it with AddTxHook.
func (d *DB) ChannelDeliveryHook(ctx context.Context, tx *Tx, events []*baton.Event) error {
	convs := map[string]db.Conversation{}
	for _, e := range events {
		if e.Type != baton.EventMessageCreated {
			continue
		}
		m, err := tx.MessageOf(e)
		if err != nil {
			return fmt.Errorf("delivery hook: %w", err)
		}
		if m.Kind != baton.KindAgent && m.Kind != baton.KindBot {
			continue
		}
		c, ok := convs[e.ConversationID]
		if !ok {
			var err error
			if c, err = tx.GetConversation(ctx, db.GetConversationParams{ID: e.ConversationID, AccountID: e.AccountID}); err != nil {
				return fmt.Errorf("delivery hook: %w", err)
			}
			convs[e.ConversationID] = c
		}
		if c.Channel == baton.ChannelWeb || c.Channel == "" {
			continue
		}
		args := DeliverArgs{AccountID: e.AccountID, ConversationID: c.ID, MessageID: m.ID, Channel: c.Channel}
		if p, ok := ctx.Value(templateKey{}).(*pendingTemplate); ok && p.messageID == m.ID {
			send := p.send
			args.Template = &send
		} else if m.Kind == baton.KindAgent {
			w := baton.WindowFor(c.Channel, c.LastVisitorAt, tx.Now())
			switch {
			case !w.Open && c.Channel == baton.ChannelWhatsApp:
				return ErrWhatsAppWindow
			case !w.Open:
				return ErrMessengerWindow
			}
			args.Tag = w.Tag
		}
		if m.DeliveryStatus != baton.DeliveryQueued {
			// The bot's answers are stored as sent; on an external channel they are only
			// queued until the provider takes them.
			m.DeliveryStatus = baton.DeliveryQueued
			if err := tx.SetMessageDelivery(ctx, db.SetMessageDeliveryParams{ID: m.ID, ConversationID: c.ID,
				DeliveryStatus: baton.DeliveryQueued}); err != nil {
				return fmt.Errorf("delivery hook: %w", err)
			}
			e.Payload = mustJSON(&m)
			if err := tx.SetEventPayload(ctx, db.SetEventPayloadParams{ConversationID: c.ID, Seq: e.Seq, Payload: string(e.Payload)}); err != nil {
				return fmt.Errorf("delivery hook: %w", err)
			}
		}
		if d.Jobs == nil {
			continue
		}
		if err := d.Jobs.InsertTx(ctx, tx, args, &river.InsertOpts{Queue: QueueChannels, MaxAttempts: DeliveryAttempts}); err != nil {
			return err
		}
	}
	return nil
}

// ChannelWindow tells what an agent may send now in a conversation (C3, C4).
func (d *DB) ChannelWindow(ctx context.Context, convID string) (*baton.ChannelWindow, error) {
	c, err := d.read().GetConversation(ctx, db.GetConversationParams{ID: convID, AccountID: baton.ActorFromContext(ctx).AccountID})
	if isNoRows(err) {
		return nil, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, fmt.Errorf("channel window: %w", err)
	}
	w := baton.WindowFor(c.Channel, c.LastVisitorAt, d.Now())
	return &w, nil
}

// SendTemplate posts an agent message that goes out as an approved WhatsApp template of
// the conversation's chatbot, with its parameters (C3): the way to reach a visitor after
// the 24-hour window. Like Reply, only in status human (ECONFLICT otherwise).
func (d *DB) SendTemplate(ctx context.Context, convID, templateID string, params []string) (*baton.Message, error) {
	a := baton.ActorFromContext(ctx)
	for _, p := range params {
		if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > 1000 || !utf8.ValidString(p) {
			return nil, baton.Invalid("Each template parameter needs a value of 1 to 1000 characters.")
		}
	}
	pending := &pendingTemplate{}
	ctx = context.WithValue(ctx, templateKey{}, pending)
	var m *baton.Message
	err := d.Write(ctx, func(tx *Tx) error {
		ct, err := d.lockConversation(ctx, tx, a.AccountID, convID)
		if err != nil {
			return err
		}
		if ct.c.Channel != baton.ChannelWhatsApp {
			return baton.Errorf(baton.ECONFLICT, "Templates are for WhatsApp conversations only.")
		}
		if baton.Status(ct.c.Status) != baton.StatusHuman {
			return ErrNotHandedOff
		}
		row, err := tx.GetChannelTemplate(ctx, db.GetChannelTemplateParams{ID: templateID, ChatbotID: ct.c.ChatbotID})
		if isNoRows(err) {
			return baton.NotFound("Template")
		} else if err != nil {
			return err
		}
		t := templateFromRow(row)
		if len(params) != len(t.Parameters) {
			return baton.Invalid("The template %s takes %d parameters; %d were given.", t.Name, len(t.Parameters), len(params))
		}
		pending.send = TemplateSend{Name: t.Name, Language: t.Language, Parameters: append([]string{}, params...)}
		if m, err = ct.addMessage(baton.KindAgent, actorSender(a), RenderChannelTemplate(t, params), baton.DeliveryQueued); err != nil {
			return err
		}
		pending.messageID = m.ID
		return ct.save()
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RenderChannelTemplate is the text an agent reads for a template sent with params: its body
// with {{1}}, {{2}}… replaced, or its name and parameters when it has no body.
func RenderChannelTemplate(t *baton.ChannelTemplate, params []string) string {
	if strings.TrimSpace(t.Body) == "" {
		s := "[Template " + t.Name + " (" + t.Language + ")]"
		if len(params) > 0 {
			s += " " + strings.Join(params, " · ")
		}
		return s
	}
	body := t.Body
	for i := len(params); i >= 1; i-- {
		body = strings.ReplaceAll(body, "{{"+strconv.Itoa(i)+"}}", params[i-1])
	}
	return body
}

// OutboundMessage is what a channel needs to deliver one message.
type OutboundMessage struct {
	Message   *baton.Message
	ChatbotID string
	Channel   string
	// Subject is the conversation's subject (email).
	Subject      string
	SessionID    string
	ContactName  string
	ContactEmail string
	// Thread lists the provider ids of the conversation's earlier messages, oldest
	// first; InReplyTo is the visitor's latest one (email threading).
	Thread    []string
	InReplyTo string
	// Files are the message's attachments with where their bytes are.
	Files []OutboundFile
}

// OutboundFile is an attachment of an outbound message.
type OutboundFile struct {
	baton.Attachment
	BlobKey string
}

// Outbound loads a message to deliver; ENOTFOUND when it is gone.
func (d *DB) Outbound(ctx context.Context, a DeliverArgs) (*OutboundMessage, error) {
	q := d.read()
	c, err := q.GetConversation(ctx, db.GetConversationParams{ID: a.ConversationID, AccountID: a.AccountID})
	if isNoRows(err) {
		return nil, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, fmt.Errorf("outbound: %w", err)
	}
	row, err := q.GetMessage(ctx, db.GetMessageParams{ID: a.MessageID, ConversationID: a.ConversationID})
	if isNoRows(err) {
		return nil, baton.NotFound("Message")
	} else if err != nil {
		return nil, fmt.Errorf("outbound: %w", err)
	}
	contact, err := q.GetContact(ctx, db.GetContactParams{ID: c.ContactID, AccountID: a.AccountID})
	if err != nil {
		return nil, fmt.Errorf("outbound contact: %w", err)
	}
	out := &OutboundMessage{Message: messageFromRow(row), ChatbotID: c.ChatbotID, Channel: c.Channel, Subject: c.Subject,
		SessionID: contact.SessionID, ContactName: contact.Name, ContactEmail: contact.Email}
	if c.Channel == baton.ChannelEmail {
		refs, err := q.ThreadExternalIDs(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("outbound thread: %w", err)
		}
		for _, r := range refs {
			if r.ExternalID == nil || deref(r.ExternalID) == deref(row.ExternalID) {
				continue
			}
			out.Thread = append(out.Thread, *r.ExternalID)
			if r.Kind == string(baton.KindVisitor) {
				out.InReplyTo = *r.ExternalID
			}
		}
	}
	for _, att := range out.Message.Attachments {
		ar, err := q.GetAttachment(ctx, db.GetAttachmentParams{ID: att.ID, AccountID: a.AccountID})
		if isNoRows(err) {
			return nil, fmt.Errorf("outbound: attachment %s is gone", att.ID)
		} else if err != nil {
			return nil, fmt.Errorf("outbound attachment: %w", err)
		}
		out.Files = append(out.Files, OutboundFile{Attachment: att, BlobKey: ar.BlobKey})
	}
	return out, nil
}

// SetDelivery records how delivering an outbound message went (M4) — sent with the
// provider's id, or failed with a reason safe to show — and tells the team with a
// message_updated event.
func (d *DB) SetDelivery(ctx context.Context, accountID, convID, msgID, status, reason, externalID string) error {
	return d.Write(ctx, func(tx *Tx) error {
		return d.setDelivery(ctx, tx, accountID, convID, msgID, status, reason, externalID)
	})
}

func (d *DB) setDelivery(ctx context.Context, tx *Tx, accountID, convID, msgID, status, reason, externalID string) error {
	ct, err := d.lockConversation(ctx, tx, accountID, convID)
	if err != nil {
		return err
	}
	row, err := tx.GetMessage(ctx, db.GetMessageParams{ID: msgID, ConversationID: convID})
	if isNoRows(err) {
		return baton.NotFound("Message")
	} else if err != nil {
		return err
	}
	cur := row.DeliveryStatus
	switch {
	case status == baton.DeliveryQueued && cur == baton.DeliveryQueued && reason != "":
		// A failed attempt that will be retried: the reason is shown while it waits.
		if reason == row.DeliveryError {
			return nil
		}
	case status == cur && (externalID == "" || externalID == deref(row.ExternalID)):
		return nil
	case status == baton.DeliveryFailed:
		if deliveryRank[cur] >= deliveryRank[baton.DeliveryDelivered] {
			return nil
		}
	case cur != baton.DeliveryFailed && deliveryRank[status] < deliveryRank[cur]:
		return nil
	}
	if status != baton.DeliveryFailed && status != baton.DeliveryQueued {
		reason = ""
	}
	p := db.SetMessageDeliveryParams{ID: msgID, ConversationID: convID, DeliveryStatus: status, DeliveryError: truncate(reason, 500)}
	if externalID != "" {
		p.ExternalID = &externalID
	}
	if err := tx.SetMessageDelivery(ctx, p); err != nil {
		return fmt.Errorf("set delivery: %w", err)
	}
	m := messageFromRow(row)
	m.DeliveryStatus, m.DeliveryError = status, p.DeliveryError
	if err := ct.emit(baton.EventMessageUpdated, m, "", nil); err != nil {
		return err
	}
	return ct.save()
}
