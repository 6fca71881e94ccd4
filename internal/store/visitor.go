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
	"time"
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
		key, err := d.openIdentitySecret(bot.IdentitySecret)
		if err != nil {
			return nil, fmt.Errorf("open session: identity secret: %w", err)
		}
		if c.UserID == "" || !hmac.Equal([]byte(IdentityHash(key, c.UserID)), []byte(strings.ToLower(c.UserHash))) {
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

var errExpiredVisitor = baton.Errorf(baton.EUNAUTHORIZED, "The visitor token has expired: open a new session.")

// Visitor token lifetimes (issue 18, item 14), unless SetVisitorTokenLifetime says otherwise:
// a token unused for the idle lifetime, or older than the absolute one, no longer resolves.
const (
	DefaultVisitorTokenIdle     = 30 * 24 * time.Hour
	DefaultVisitorTokenLifetime = 180 * 24 * time.Hour
	// visitorTouchEvery is how stale a token's stored last use may get: the message path
	// writes it at most this often per token, not on every request (a tenth of the idle
	// lifetime when that is shorter, so that a token is never refused much before its time).
	visitorTouchEvery = time.Hour
)

// SetVisitorTokenLifetime sets how long a visitor token lives: idle since its last use,
// and at most absolute since it was made (0 keeps the default). Call it while wiring.
func (d *DB) SetVisitorTokenLifetime(idle, absolute time.Duration) {
	d.visitors.mu.Lock()
	defer d.visitors.mu.Unlock()
	d.visitors.idle, d.visitors.absolute = idle, absolute
}

// AuthenticateVisitor resolves a visitor token; an expired one is refused (unauthorized).
func (d *DB) AuthenticateVisitor(ctx context.Context, token string) (*baton.Visitor, error) {
	if !strings.HasPrefix(token, VisitorTokenPrefix) {
		return nil, errBadVisitor
	}
	hash := hashToken(token)
	now := d.Now()
	e, ok := d.visitors.get(hash)
	if !ok || d.visitors.expired(e, now) {
		// Not cached, or expired by what this node knows: another node may have seen the
		// token since, so the database decides.
		var err error
		if e, err = d.readVisitorToken(ctx, hash); err != nil {
			return nil, err
		}
		if d.visitors.expired(e, now) {
			return nil, errExpiredVisitor
		}
	}
	if now.Sub(e.lastUsed) >= d.visitors.touchEvery() {
		if err := d.Write(ctx, func(tx *Tx) error {
			_, err := tx.Conn().Exec(ctx, `UPDATE visitor_tokens SET last_used_at = $1 WHERE token_hash = $2`, now, hash)
			return err
		}); err != nil {
			return nil, fmt.Errorf("authenticate visitor: touch: %w", err)
		}
		e.lastUsed = now
	}
	d.visitors.put(hash, e)
	v := e.Visitor
	return &v, nil
}

func (d *DB) readVisitorToken(ctx context.Context, hash string) (visitorEntry, error) {
	var e visitorEntry
	var lastUsed *time.Time
	err := d.Reader().QueryRow(ctx, `SELECT c.id, c.account_id, c.chatbot_id, c.session_id, t.created_at, t.last_used_at
FROM visitor_tokens t JOIN contacts c ON c.id = t.contact_id WHERE t.token_hash = $1`, hash).
		Scan(&e.ContactID, &e.AccountID, &e.ChatbotID, &e.SessionID, &e.created, &lastUsed)
	if isNoRows(err) {
		return e, errBadVisitor
	} else if err != nil {
		return e, fmt.Errorf("authenticate visitor: %w", err)
	}
	e.lastUsed = e.created
	if lastUsed != nil && lastUsed.After(e.created) {
		e.lastUsed = *lastUsed
	}
	return e, nil
}

// PruneVisitorTokens deletes the visitor tokens that have expired (the prune job).
func (d *DB) PruneVisitorTokens(ctx context.Context) (int64, error) {
	idle, absolute := d.visitors.lifetimes()
	var n int64
	err := d.Write(ctx, func(tx *Tx) error {
		now := tx.Now()
		tag, err := tx.Conn().Exec(ctx, `DELETE FROM visitor_tokens WHERE created_at < $1 OR COALESCE(last_used_at, created_at) < $2`,
			now.Add(-absolute), now.Add(-idle))
		if err != nil {
			return fmt.Errorf("prune visitor tokens: %w", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	return n, err
}

// visitorCacheSize bounds the visitors a node remembers (twice this, at most).
const visitorCacheSize = 20000

// visitorCache remembers whom recently used visitor tokens name, by the token's hash, so
// that a visitor's every message and poll need not read it from the database (a tenth of
// the server's CPU at 2,000 messages/s on SQLite). That is safe because what a token names
// never changes: a token is made with its contact, a contact keeps its account, chatbot
// and session. A token's expiry is checked on every use against the times cached with it:
// the cached last use is never later than the stored one, so the cache may only think a
// token expired too early — and then the database is asked. Two generations: the newer
// fills to visitorCacheSize, then becomes the older and the older is dropped; a hit in the
// older moves back to the newer.
type visitorCache struct {
	mu             sync.Mutex
	cur, old       map[string]visitorEntry
	idle, absolute time.Duration // 0: the defaults
}

// visitorEntry is a token's visitor with its creation and (at most an hour stale) last use.
type visitorEntry struct {
	baton.Visitor
	created, lastUsed time.Time
}

func (c *visitorCache) lifetimes() (idle, absolute time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	idle, absolute = c.idle, c.absolute
	if idle <= 0 {
		idle = DefaultVisitorTokenIdle
	}
	if absolute <= 0 {
		absolute = DefaultVisitorTokenLifetime
	}
	return idle, absolute
}

func (c *visitorCache) touchEvery() time.Duration {
	idle, _ := c.lifetimes()
	return min(visitorTouchEvery, idle/10)
}

func (c *visitorCache) expired(e visitorEntry, now time.Time) bool {
	idle, absolute := c.lifetimes()
	return now.Sub(e.lastUsed) > idle || now.Sub(e.created) > absolute
}

func (c *visitorCache) get(hash string) (visitorEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cur[hash]; ok {
		return e, true
	}
	e, ok := c.old[hash]
	if ok {
		c.putLocked(hash, e)
	}
	return e, ok
}

func (c *visitorCache) put(hash string, e visitorEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(hash, e)
}

func (c *visitorCache) putLocked(hash string, e visitorEntry) {
	if len(c.cur) >= visitorCacheSize {
		c.old, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[string]visitorEntry, 64)
	}
	c.cur[hash] = e
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
