package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// InboundMessage is a visitor's message received on an external channel (C2–C5), its
// files already in the blob store.
type InboundMessage struct {
	ChatbotID string
	// SessionID names the visitor on the channel: tg:<chat_id>, wa:<wa_id>, fb:<psid> or
	// email:<address>. Its prefix gives the conversation's channel.
	SessionID string
	// Key makes delivery idempotent (C6): a second message with the same key for the same
	// chatbot is a duplicate and stores nothing (update_id, wamid, mid, Message-ID).
	Key string
	// ExternalID is the provider's id of the message, kept on it (receipts, threading).
	ExternalID string
	// Name, Email and Phone fill in the contact when they are not known yet.
	Name, Email, Phone string
	Content            string
	Attachments        []NewAttachment
	// Subject titles a new conversation (email).
	Subject string
	// References are the Message-IDs a mail answers, most relevant first: the
	// conversation holding one of them gets the message. With none, a mail starts a new
	// conversation; messages of the other channels go to the visitor's latest one.
	References []string
	// Automated marks auto-replies and bounces: stored, never answered by the bot.
	Automated bool
	// SentAt is when the provider says the visitor sent it (zero: unknown). A provider's
	// late or retried delivery then opens no more of the reply window than the provider
	// itself allows: the window counts from the earlier of this and the time it is stored.
	SentAt time.Time
}

var errDuplicate = errors.New("store: duplicate inbound message")

// MaxInboundID bounds what a provider names a visitor or a message by (session ids, keys,
// message ids, references): the providers' own are under 200 characters.
const MaxInboundID = 512

// CheckInbound refuses an inbound message whose session id, key or message id could not be
// stored or looked up as it is (empty, longer than MaxInboundID, not UTF-8, or holding a
// NUL character, which PostgreSQL's text refuses). The texts of the message are cleaned
// instead (ReceiveMessage).
func CheckInbound(in *InboundMessage) error {
	for _, f := range []struct{ what, v string }{{"session id", in.SessionID}, {"message key", in.Key}} {
		if f.v == "" {
			return baton.Invalid("The message has no %s.", f.what)
		}
		if !inboundID(f.v) {
			return baton.Invalid("The message's %s is not an id Baton can keep (at most %d bytes of text).", f.what, MaxInboundID)
		}
	}
	if in.ExternalID != "" && !inboundID(in.ExternalID) {
		return baton.Invalid("The message's id is not an id Baton can keep (at most %d bytes of text).", MaxInboundID)
	}
	return nil
}

// inboundID reports whether an id from a provider can be stored and looked up as it is.
func inboundID(s string) bool {
	return len(s) <= MaxInboundID && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// cleanText makes a provider's text storable on both databases: invalid UTF-8 becomes
// U+FFFD and NUL characters are dropped.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// cleanInbound returns a copy of in with its texts cleaned and bounded: the content and
// subject as cleanText, the name and subject cut to 200 characters, an email or phone that
// cannot be one left out, and references that are not ids dropped.
func cleanInbound(in *InboundMessage) *InboundMessage {
	c := *in
	c.Content = strings.TrimSpace(cleanText(in.Content))
	c.Name = truncate(strings.TrimSpace(cleanText(in.Name)), 200)
	c.Subject = truncate(strings.TrimSpace(cleanText(in.Subject)), 200)
	if c.Email = cleanText(in.Email); len(c.Email) > 254 {
		c.Email = ""
	}
	if c.Phone = cleanText(in.Phone); len(c.Phone) > 64 {
		c.Phone = ""
	}
	c.References = nil
	for _, r := range in.References {
		if inboundID(r) {
			c.References = append(c.References, r)
		}
	}
	return &c
}

// InboundSeen reports whether a chatbot already stored the inbound message with key (so
// that a provider's retry skips downloading media again).
func (d *DB) InboundSeen(ctx context.Context, chatbotID, key string) (bool, error) {
	if !inboundID(key) {
		return false, nil // never stored (ReceiveMessage refuses it)
	}
	n, err := d.read().CountChannelReceipts(ctx, db.CountChannelReceiptsParams{ChatbotID: chatbotID, ExternalID: key})
	if err != nil {
		return false, fmt.Errorf("inbound seen: %w", err)
	}
	return n > 0, nil
}

// ContactKnown reports whether a chatbot has a contact of that session id with a name
// (so that a channel asks the provider for the name only once).
func (d *DB) ContactKnown(ctx context.Context, chatbotID, sessionID string) (bool, error) {
	if !inboundID(sessionID) {
		return false, nil
	}
	c, err := d.read().GetContactBySession(ctx, db.GetContactBySessionParams{ChatbotID: chatbotID, SessionID: sessionID})
	if isNoRows(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("contact known: %w", err)
	}
	return c.Name != "", nil
}

// ReceiveMessage stores an inbound message as the visitor's, in the conversation it
// belongs to — creating the contact and the conversation as needed, and a new linked
// conversation after a resolved or closed one (H7) — and asks the bot to answer unless
// the message is automated or holds no text. Attachments must pass CheckAttachment. duplicate is true (and nothing is written) when the key was
// stored before.
func (d *DB) ReceiveMessage(ctx context.Context, in *InboundMessage) (m *baton.Message, duplicate bool, err error) {
	if in.ChatbotID == "" {
		return nil, false, errors.New("store: inbound message without a chatbot")
	}
	if err := CheckInbound(in); err != nil {
		return nil, false, err
	}
	in = cleanInbound(in)
	content := in.Content
	if utf8.RuneCountInString(content) > baton.MaxMessageLength {
		content = string([]rune(content)[:baton.MaxMessageLength-1]) + "…"
	}
	said := d.readVisitor(content, in.Automated)
	receive := func(tx *Tx) error {
		n, err := tx.InsertChannelReceipt(ctx, db.InsertChannelReceiptParams{ChatbotID: in.ChatbotID, ExternalID: in.Key, CreatedAt: tx.Now()})
		if err != nil {
			return fmt.Errorf("receipt: %w", err)
		} else if n == 0 {
			return errDuplicate
		}
		bot, err := tx.GetChatbotByID(ctx, in.ChatbotID)
		if err != nil {
			return fmt.Errorf("inbound chatbot: %w", err)
		}
		if err := said.lockRouting(ctx, tx, bot.AccountID); err != nil {
			return err
		}
		contact, err := d.inboundContact(ctx, tx, bot, in)
		if err != nil {
			return err
		}
		ct, err := d.inboundConversation(ctx, tx, bot, contact, in)
		if err != nil {
			return err
		}
		atts, err := ct.attach(in.Attachments)
		if err != nil {
			return err
		}
		before := ct.c.LastVisitorAt
		if m, err = ct.addMessageWith(baton.KindVisitor, sender{name: visitorName(contact)}, content, "",
			msgOpts{Attachments: atts, ExternalID: in.ExternalID}); err != nil {
			return err
		}
		if sent := in.SentAt.UTC().Truncate(time.Microsecond); !sent.IsZero() && sent.Before(*ct.c.LastVisitorAt) {
			if before != nil && before.After(sent) {
				sent = *before // an older message delivered late moves nothing back
			}
			ct.c.LastVisitorAt = &sent
		}
		if err := ct.linkAttachments(atts, m.ID); err != nil {
			return err
		}
		// The bot reads text only: a file alone waits for a person or the next question.
		return ct.visitorSaid(m, said, !in.Automated && content != "")
	}
	err = d.Write(ctx, receive)
	if isUnique(err) {
		// A concurrent message of the same new visitor created the contact first.
		err = d.Write(ctx, receive)
	}
	if errors.Is(err, errDuplicate) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return m, false, nil
}

// inboundContact finds or creates the visitor of an inbound message, filling in what the
// channel tells about them.
func (d *DB) inboundContact(ctx context.Context, tx *Tx, bot db.Chatbot, in *InboundMessage) (db.Contact, error) {
	name := in.Name // cleaned and bounded by ReceiveMessage
	c, err := tx.GetContactBySession(ctx, db.GetContactBySessionParams{ChatbotID: bot.ID, SessionID: in.SessionID})
	if isNoRows(err) {
		c = db.Contact{ID: d.NewID(), AccountID: bot.AccountID, ChatbotID: bot.ID, SessionID: in.SessionID, Name: name,
			Email: in.Email, Phone: in.Phone, Attributes: "{}", CreatedAt: tx.Now()}
		err := tx.CreateContact(ctx, db.CreateContactParams{ID: c.ID, AccountID: c.AccountID, ChatbotID: c.ChatbotID,
			SessionID: c.SessionID, Name: c.Name, Email: c.Email, Phone: c.Phone, Attributes: c.Attributes, CreatedAt: c.CreatedAt})
		return c, err
	} else if err != nil {
		return c, fmt.Errorf("inbound contact: %w", err)
	}
	changed := false
	if c.Name == "" && name != "" {
		c.Name, changed = name, true
	}
	if c.Email == "" && in.Email != "" {
		c.Email, changed = in.Email, true
	}
	if c.Phone == "" && in.Phone != "" {
		c.Phone, changed = in.Phone, true
	}
	if changed {
		if err := tx.UpdateContact(ctx, db.UpdateContactParams{ID: c.ID, AccountID: c.AccountID, Name: c.Name,
			Email: c.Email, Phone: c.Phone, Attributes: c.Attributes}); err != nil {
			return c, fmt.Errorf("inbound contact: %w", err)
		}
	}
	return c, nil
}

// inboundConversation locks the conversation an inbound message belongs to.
func (d *DB) inboundConversation(ctx context.Context, tx *Tx, bot db.Chatbot, contact db.Contact, in *InboundMessage) (*convTx, error) {
	channel := channelOf(in.SessionID)
	if channel != baton.ChannelEmail {
		return d.visitorConversation(ctx, tx, &baton.Visitor{AccountID: bot.AccountID, ChatbotID: bot.ID,
			ContactID: contact.ID, SessionID: in.SessionID})
	}
	subject := in.Subject // cleaned and bounded by ReceiveMessage
	for _, ref := range in.References {
		ref := ref
		id, err := tx.ConversationByExternalID(ctx, db.ConversationByExternalIDParams{ChatbotID: bot.ID, ExternalID: &ref})
		if isNoRows(err) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("thread: %w", err)
		}
		ct, err := d.lockConversation(ctx, tx, bot.AccountID, id)
		if err != nil {
			return nil, err
		}
		if ct.c.ContactID != contact.ID {
			// Someone else answering a thread (a colleague of the visitor) starts their own.
			break
		}
		t, err := baton.Transit(baton.Status(ct.c.Status), baton.ActionVisitorMessage)
		if err != nil {
			return nil, err
		}
		if t.Has(baton.EffectNewConversation) {
			prev := ct.c.ID
			return d.createConversation(ctx, tx, bot.AccountID, bot.ID, contact.ID, channel, ct.c.Subject, &prev)
		}
		return ct, nil
	}
	return d.createConversation(ctx, tx, bot.AccountID, bot.ID, contact.ID, channel, subject, nil)
}

// rank orders delivery statuses: a receipt never moves a message back.
var deliveryRank = map[string]int{baton.DeliveryQueued: 0, baton.DeliverySent: 1, baton.DeliveryDelivered: 2, baton.DeliveryRead: 3}

// UpdateDeliveryByExternalID applies a provider's delivery receipt (WhatsApp statuses,
// Messenger deliveries) to the outbound message of a chatbot with that provider id. A
// receipt for an unknown message, or one that would move a message back (delivered after
// read), changes nothing; failed applies only before delivery.
func (d *DB) UpdateDeliveryByExternalID(ctx context.Context, chatbotID, externalID, status, reason string) error {
	if externalID == "" || !inboundID(externalID) {
		return nil // no message was sent under such an id
	}
	row, err := d.read().MessageByExternalID(ctx, db.MessageByExternalIDParams{ChatbotID: chatbotID, ExternalID: &externalID})
	if isNoRows(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	return d.Write(ctx, func(tx *Tx) error {
		return d.setDelivery(ctx, tx, row.AccountID, row.ConversationID, row.ID, status, reason, "")
	})
}

// MarkReadUntil marks read every outbound message sent at or before until in the latest
// conversation of a chatbot's visitor (Messenger's read watermark).
func (d *DB) MarkReadUntil(ctx context.Context, chatbotID, sessionID string, until time.Time) error {
	if !inboundID(sessionID) {
		return nil // no visitor has such a session id
	}
	c, err := d.read().GetContactBySession(ctx, db.GetContactBySessionParams{ChatbotID: chatbotID, SessionID: sessionID})
	if isNoRows(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read receipt: %w", err)
	}
	conv, err := d.read().LatestConversationForContact(ctx, c.ID)
	if isNoRows(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read receipt: %w", err)
	}
	ids, err := d.read().UnreadOutbound(ctx, db.UnreadOutboundParams{ConversationID: conv.ID, CreatedAt: until})
	if err != nil || len(ids) == 0 {
		return err
	}
	return d.Write(ctx, func(tx *Tx) error {
		for _, id := range ids {
			if err := d.setDelivery(ctx, tx, c.AccountID, conv.ID, id, baton.DeliveryRead, "", ""); err != nil {
				return err
			}
		}
		return nil
	})
}
