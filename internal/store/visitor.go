package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// MaxUserIDLength bounds the user ids a site may pass to the widget.
const MaxUserIDLength = 200

// IdentityHash is what a site computes to vouch for a user id (W5): hex HMAC-SHA256 of the
// user id with the chatbot's identity secret.
func IdentityHash(secret, userID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

// OpenSession opens or resumes a visitor's widget session on a chatbot (by slug).
func (d *DB) OpenSession(ctx context.Context, c baton.VisitorSessionCreate) (*baton.VisitorSession, error) {
	if c.Chatbot == "" {
		return nil, baton.Invalid("chatbot is required.")
	}
	if err := checkName("name", c.Name); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(c.UserID) > MaxUserIDLength {
		return nil, baton.Invalid("user_id is too long (%d characters at most).", MaxUserIDLength)
	}
	email := ""
	if strings.TrimSpace(c.Email) != "" {
		var err error
		if email, err = NormalizeEmail(c.Email); err != nil {
			return nil, err
		}
	}
	bot, err := d.read().GetChatbotBySlug(ctx, c.Chatbot)
	if isNoRows(err) {
		return nil, baton.NotFound("Chatbot")
	} else if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	if bot.IdentityVerification {
		if c.UserID == "" || !hmac.Equal([]byte(IdentityHash(bot.IdentitySecret, c.UserID)), []byte(strings.ToLower(c.UserHash))) {
			return nil, baton.Errorf(baton.EUNAUTHORIZED, "This chatbot requires a verified user: user_id and a valid user_hash are needed.")
		}
	}
	sessionID := "web:" + d.NewID()
	if c.UserID != "" {
		sessionID = "web:" + c.UserID
	}
	token := randomToken(VisitorTokenPrefix)
	out := &baton.VisitorSession{SessionID: sessionID, Token: token}
	open := func(tx *Tx) error {
		contact, err := tx.GetContactBySession(ctx, db.GetContactBySessionParams{ChatbotID: bot.ID, SessionID: sessionID})
		if isNoRows(err) {
			contact = db.Contact{ID: d.NewID(), AccountID: bot.AccountID, ChatbotID: bot.ID, SessionID: sessionID,
				Name: strings.TrimSpace(c.Name), Email: email, Attributes: "{}", CreatedAt: tx.Now()}
			if err := tx.CreateContact(ctx, db.CreateContactParams{ID: contact.ID, AccountID: contact.AccountID,
				ChatbotID: contact.ChatbotID, SessionID: contact.SessionID, Name: contact.Name, Email: contact.Email,
				Attributes: contact.Attributes, CreatedAt: contact.CreatedAt}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		} else if (c.Name != "" && c.Name != contact.Name) || (email != "" && email != contact.Email) {
			if c.Name != "" {
				contact.Name = strings.TrimSpace(c.Name)
			}
			if email != "" {
				contact.Email = email
			}
			if err := tx.UpdateContact(ctx, db.UpdateContactParams{ID: contact.ID, AccountID: contact.AccountID,
				Name: contact.Name, Email: contact.Email, Phone: contact.Phone, Attributes: contact.Attributes}); err != nil {
				return err
			}
		}
		conv, err := tx.LatestConversationForContact(ctx, contact.ID)
		if isNoRows(err) {
			ct, err := d.createConversation(ctx, tx, bot.AccountID, bot.ID, contact.ID, baton.ChannelWeb, "", nil)
			if err != nil {
				return err
			}
			if err := ct.save(); err != nil {
				return err
			}
			out.ConversationID = ct.c.ID
		} else if err != nil {
			return err
		} else {
			out.ConversationID = conv.ID
		}
		return tx.CreateVisitorToken(ctx, db.CreateVisitorTokenParams{TokenHash: hashToken(token), ContactID: contact.ID, CreatedAt: tx.Now()})
	}
	err = d.Write(ctx, open)
	if isUnique(err) {
		// A concurrent session of the same user (another tab) created the contact first:
		// run again to resume it.
		err = d.Write(ctx, open)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

var errBadVisitor = baton.Errorf(baton.EUNAUTHORIZED, "The visitor token is missing or not valid: open a session first.")

// AuthenticateVisitor resolves a visitor token.
func (d *DB) AuthenticateVisitor(ctx context.Context, token string) (*baton.Visitor, error) {
	if !strings.HasPrefix(token, VisitorTokenPrefix) {
		return nil, errBadVisitor
	}
	hash := hashToken(token)
	if v, ok := d.visitors.get(hash); ok {
		return &v, nil
	}
	r, err := d.read().GetVisitorToken(ctx, hash)
	if isNoRows(err) {
		return nil, errBadVisitor
	} else if err != nil {
		return nil, fmt.Errorf("authenticate visitor: %w", err)
	}
	v := baton.Visitor{AccountID: r.AccountID, ChatbotID: r.ChatbotID, ContactID: r.ContactID, SessionID: r.SessionID}
	d.visitors.put(hash, v)
	return &v, nil
}

// visitorCacheSize bounds the visitors a node remembers (twice this, at most).
const visitorCacheSize = 20000

// visitorCache remembers whom recently used visitor tokens name, by the token's hash, so
// that a visitor's every message and poll need not read it from the database (a tenth of
// the server's CPU at 2,000 messages/s on SQLite). That is safe because what a token names
// never changes: a token is made with its contact, a contact keeps its account, chatbot
// and session, and neither tokens nor contacts are deleted. Should that change, the cache
// must be told. Two generations: the newer fills to visitorCacheSize, then becomes the
// older and the older is dropped; a hit in the older moves back to the newer.
type visitorCache struct {
	mu       sync.Mutex
	cur, old map[string]baton.Visitor
}

func (c *visitorCache) get(hash string) (baton.Visitor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[hash]; ok {
		return v, true
	}
	v, ok := c.old[hash]
	if ok {
		c.putLocked(hash, v)
	}
	return v, ok
}

func (c *visitorCache) put(hash string, v baton.Visitor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(hash, v)
}

func (c *visitorCache) putLocked(hash string, v baton.Visitor) {
	if len(c.cur) >= visitorCacheSize {
		c.old, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[string]baton.Visitor, 64)
	}
	c.cur[hash] = v
}

// VisitorConversation returns the id of the visitor's current conversation.
func (d *DB) VisitorConversation(ctx context.Context, v *baton.Visitor) (string, error) {
	c, err := d.read().LatestConversationForContact(ctx, v.ContactID)
	if isNoRows(err) {
		return "", baton.NotFound("Conversation")
	} else if err != nil {
		return "", fmt.Errorf("visitor conversation: %w", err)
	}
	return c.ID, nil
}

// PostVisitorMessage stores a visitor's message (H7: after resolve or close, in a new
// conversation linked to the old one).
func (d *DB) PostVisitorMessage(ctx context.Context, v *baton.Visitor, content string) (*baton.Message, error) {
	content, err := CheckContent(content)
	if err != nil {
		return nil, err
	}
	said := d.readVisitor(content, false)
	var m *baton.Message
	err = d.Write(ctx, func(tx *Tx) error {
		if err := said.lockRouting(ctx, tx, v.AccountID); err != nil {
			return err
		}
		ct, err := d.visitorConversation(ctx, tx, v)
		if err != nil {
			return err
		}
		if m, err = ct.addMessage(baton.KindVisitor, sender{name: "Visitor"}, content, ""); err != nil {
			return err
		}
		return ct.visitorSaid(m, said, true)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// visitorText is what the message path reads in a visitor's words before storing them: a
// thank-you that may settle the conversation, and a request for a person (DB.AsksForPerson,
// with the reason to record and the bot's reply). Automated messages (auto-replies,
// bounces) say neither.
type visitorText struct {
	thanks        bool
	asks          bool
	reason, reply string
}

func (d *DB) readVisitor(content string, automated bool) visitorText {
	if automated {
		return visitorText{}
	}
	t := visitorText{thanks: IsThanks(content)}
	if d.AsksForPerson != nil {
		t.asks, t.reason, t.reply = d.AsksForPerson(content)
	}
	return t
}

// lockRouting takes the account's routing lock when the message may resolve the
// conversation (a seat frees) or hand it off (a seat is taken): before any conversation lock.
func (t visitorText) lockRouting(ctx context.Context, tx *Tx, accountID string) error {
	if !t.thanks && !t.asks {
		return nil
	}
	return tx.lockRouting(ctx, accountID)
}

// visitorSaid finishes storing a visitor's message, from any channel: a thank-you that
// settles the question resolves the conversation when the chatbot's timers say so; a
// request for a person, while the bot has the conversation, hands it off at once (the
// caller holds the routing lock in both cases, see visitorText.lockRouting); otherwise the
// bot is asked to answer when botAnswers.
func (ct *convTx) visitorSaid(m *baton.Message, said visitorText, botAnswers bool) error {
	if s := baton.Status(ct.c.Status); said.thanks && (s == baton.StatusBot || s == baton.StatusHuman) {
		t, err := ct.timers()
		if err != nil {
			return err
		}
		if t.ResolveOnThanks {
			return ct.apply(nil, baton.ActionRequest{Action: baton.ActionAutoResolve, Reason: "the visitor said the question is settled."})
		}
	}
	if said.asks && botAnswers && baton.Status(ct.c.Status) == baton.StatusBot {
		return ct.botAnswer(BotAnswer{Content: said.reply, Handoff: true, Reason: said.reason})
	}
	if botAnswers {
		if err := ct.enqueueBotReply(m); err != nil {
			return err
		}
	}
	return ct.save()
}

// visitorConversation locks the conversation a visitor's new message belongs to: their
// latest one, or a new one linked to it when that one ended (H7).
func (d *DB) visitorConversation(ctx context.Context, tx *Tx, v *baton.Visitor) (*convTx, error) {
	latest, err := tx.LatestConversationForContact(ctx, v.ContactID)
	if isNoRows(err) {
		return d.createConversation(ctx, tx, v.AccountID, v.ChatbotID, v.ContactID, channelOf(v.SessionID), "", nil)
	} else if err != nil {
		return nil, err
	}
	ct, err := d.holdConversation(ctx, tx, latest)
	if err != nil {
		return nil, err
	}
	t, err := baton.Transit(baton.Status(ct.c.Status), baton.ActionVisitorMessage)
	if err != nil {
		return nil, err
	}
	if t.Has(baton.EffectNewConversation) {
		// While this transaction waited for the lock, a concurrent message of the same
		// visitor may have started the linked conversation already (H7): on PostgreSQL,
		// re-read the latest now that the lock is held and write there.
		if cur, err := tx.LatestConversationForContact(ctx, v.ContactID); err != nil {
			return nil, err
		} else if cur.ID != ct.c.ID {
			if ct, err = d.lockConversation(ctx, tx, v.AccountID, cur.ID); err != nil {
				return nil, err
			}
			if t, err = baton.Transit(baton.Status(ct.c.Status), baton.ActionVisitorMessage); err != nil {
				return nil, err
			}
		}
	}
	if t.Has(baton.EffectNewConversation) {
		prev := ct.c.ID
		return d.createConversation(ctx, tx, v.AccountID, v.ChatbotID, v.ContactID, ct.c.Channel, ct.c.Subject, &prev)
	}
	return ct, nil
}

func channelOf(sessionID string) string {
	switch {
	case strings.HasPrefix(sessionID, "tg:"):
		return baton.ChannelTelegram
	case strings.HasPrefix(sessionID, "wa:"):
		return baton.ChannelWhatsApp
	case strings.HasPrefix(sessionID, "fb:"):
		return baton.ChannelMessenger
	case strings.HasPrefix(sessionID, "email:"):
		return baton.ChannelEmail
	}
	return baton.ChannelWeb
}

// VisitorMessages returns the visitor-visible events of the visitor's current
// conversation after a visitor sequence number.
func (d *DB) VisitorMessages(ctx context.Context, v *baton.Visitor, afterSeq int64, limit int) ([]*baton.VisitorEvent, error) {
	convID, err := d.VisitorConversation(ctx, v)
	if err != nil {
		return nil, err
	}
	return d.VisitorEvents(ctx, convID, afterSeq, limit)
}

// VisitorEvents returns a conversation's visitor-visible events after a visitor seq.
func (d *DB) VisitorEvents(ctx context.Context, convID string, afterSeq int64, limit int) ([]*baton.VisitorEvent, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := d.read().VisitorEventsAfter(ctx, db.VisitorEventsAfterParams{ConversationID: convID, VisitorSeq: &afterSeq, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("visitor events: %w", err)
	}
	out := make([]*baton.VisitorEvent, 0, len(rows))
	for _, r := range rows {
		e := &baton.VisitorEvent{Type: deref(r.VisitorType), ConversationID: r.ConversationID, Data: map[string]any{}}
		if r.VisitorSeq != nil {
			e.Seq = *r.VisitorSeq
		}
		_ = json.Unmarshal([]byte(deref(r.VisitorPayload)), &e.Data)
		out = append(out, e)
	}
	return out, nil
}

// Events returns a conversation's events (team view) after seq, for resuming streams.
func (d *DB) Events(ctx context.Context, convID string, afterSeq int64, limit int) ([]*baton.Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := d.read().EventsAfter(ctx, db.EventsAfterParams{ConversationID: convID, Seq: afterSeq, Limit: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := make([]*baton.Event, len(rows))
	for i, r := range rows {
		e := &baton.Event{AccountID: r.AccountID, ConversationID: r.ConversationID, Seq: r.Seq, Type: r.Type,
			Payload: json.RawMessage(r.Payload), CreatedAt: r.CreatedAt}
		if r.VisitorSeq != nil {
			e.VisitorSeq, e.VisitorType, e.VisitorPayload = *r.VisitorSeq, deref(r.VisitorType), json.RawMessage(deref(r.VisitorPayload))
		}
		out[i] = e
	}
	return out, nil
}
