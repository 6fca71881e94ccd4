package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// convTx is a write transaction on one locked conversation. It numbers the events it
// writes (R2) and saves the conversation row once at the end.
type convTx struct {
	*Tx
	ctx context.Context
	d   *DB
	c   db.Conversation
	// stored is the row as the database has it: save writes only what differs.
	stored db.Conversation
}

// lockConversation locks a conversation of the account for the rest of the transaction:
// SELECT … FOR NO KEY UPDATE on PostgreSQL. SQLite has one writer, whose transaction
// excludes every other already: there a read is the lock.
func (d *DB) lockConversation(ctx context.Context, tx *Tx, accountID, id string) (*convTx, error) {
	var (
		c   db.Conversation
		err error
	)
	if d.Dialect == SQLite {
		c, err = tx.GetConversation(ctx, db.GetConversationParams{ID: id, AccountID: accountID})
	} else {
		c, err = tx.LockConversation(ctx, db.LockConversationParams{ID: id, AccountID: accountID})
	}
	if isNoRows(err) {
		return nil, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, fmt.Errorf("lock conversation: %w", err)
	}
	return &convTx{Tx: tx, ctx: ctx, d: d, c: c, stored: c}, nil
}

// holdConversation locks a conversation row the transaction has just read (found by
// another key): on SQLite that read holds it already; PostgreSQL locks it now and reads it
// again under the lock.
func (d *DB) holdConversation(ctx context.Context, tx *Tx, c db.Conversation) (*convTx, error) {
	if d.Dialect == SQLite {
		return &convTx{Tx: tx, ctx: ctx, d: d, c: c, stored: c}, nil
	}
	return d.lockConversation(ctx, tx, c.AccountID, c.ID)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: marshal %T: %v", v, err)) // our own types always marshal
	}
	return b
}

// emit writes one event. vtype is empty for team-only events; otherwise the visitor sees
// it as vtype with vpayload, numbered in the visitor's own sequence.
func (ct *convTx) emit(typ string, payload any, vtype string, vpayload any) error {
	ct.c.LastSeq++
	e := &baton.Event{AccountID: ct.c.AccountID, ConversationID: ct.c.ID, Seq: ct.c.LastSeq, Type: typ,
		Payload: mustJSON(payload), CreatedAt: ct.Now()}
	p := db.InsertEventParams{ConversationID: e.ConversationID, Seq: e.Seq, AccountID: e.AccountID, Type: typ,
		Payload: string(e.Payload), CreatedAt: e.CreatedAt}
	if vtype != "" {
		ct.c.LastVisitorSeq++
		e.VisitorSeq, e.VisitorType, e.VisitorPayload = ct.c.LastVisitorSeq, vtype, mustJSON(vpayload)
		vs, vp := e.VisitorSeq, string(e.VisitorPayload)
		p.VisitorSeq, p.VisitorType, p.VisitorPayload = &vs, &vtype, &vp
	}
	if err := ct.InsertEvent(ct.ctx, p); err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	if m, ok := payload.(*baton.Message); ok && typ == baton.EventMessageCreated {
		ct.emitMessage(e, m)
	} else {
		ct.Emit(e)
	}
	return nil
}

// save writes the conversation row back.
func (ct *convTx) save() error {
	c, was := &ct.c, &ct.stored
	c.UpdatedAt = ct.Now()
	// Only the columns that changed: an update rewrites the entries of every index over a
	// column it sets, changed or not, and a visitor's message changes only the activity
	// columns — not the status, queue, subject or handoff ones, whose indexes stay as
	// they are.
	args := []any{c.ID, c.AccountID}
	sets := make([]string, 0, 8)
	set := func(column string, changed bool, v any) {
		if changed {
			args = append(args, v)
			sets = append(sets, column+" = $"+strconv.Itoa(len(args)))
		}
	}
	set("status", c.Status != was.Status, c.Status)
	set("pending", c.Pending != was.Pending, c.Pending)
	set("priority", c.Priority != was.Priority, c.Priority)
	set("reason", c.Reason != was.Reason, c.Reason)
	set("brief", c.Brief != was.Brief, c.Brief)
	set("subject", c.Subject != was.Subject, c.Subject)
	set("assignee_id", !equalPtr(c.AssigneeID, was.AssigneeID), c.AssigneeID)
	set("queue_id", !equalPtr(c.QueueID, was.QueueID), c.QueueID)
	set("resolution_note", c.ResolutionNote != was.ResolutionNote, c.ResolutionNote)
	set("turns", c.Turns != was.Turns, c.Turns)
	set("last_seq", c.LastSeq != was.LastSeq, c.LastSeq)
	set("last_visitor_seq", c.LastVisitorSeq != was.LastVisitorSeq, c.LastVisitorSeq)
	set("last_message", c.LastMessage != was.LastMessage, c.LastMessage)
	set("updated_at", !c.UpdatedAt.Equal(was.UpdatedAt), c.UpdatedAt)
	set("last_activity_at", !c.LastActivityAt.Equal(was.LastActivityAt), c.LastActivityAt)
	set("last_visitor_at", !equalTime(c.LastVisitorAt, was.LastVisitorAt), c.LastVisitorAt)
	set("handoff_at", !equalTime(c.HandoffAt, was.HandoffAt), c.HandoffAt)
	set("resolved_at", !equalTime(c.ResolvedAt, was.ResolvedAt), c.ResolvedAt)
	set("closed_at", !equalTime(c.ClosedAt, was.ClosedAt), c.ClosedAt)
	if len(sets) == 0 {
		return nil
	}
	q := "UPDATE conversations SET " + strings.Join(sets, ", ") + " WHERE id = $1 AND account_id = $2"
	if _, err := ct.conn.Exec(ct.ctx, q, args...); err != nil {
		return fmt.Errorf("save conversation: %w", err)
	}
	ct.stored = *c
	return nil
}

func equalPtr(a, b *string) bool { return a == b || a != nil && b != nil && *a == *b }

func equalTime(a, b *time.Time) bool { return a == b || a != nil && b != nil && a.Equal(*b) }

// summary is the conversation as carried by conversation_created and conversation_updated
// events: every field a list row shows (docs/protocol.md), so that each agent's list
// follows the account feed without re-reading the conversation. The contact, tags and
// labels are read here; a new conversation has no tags or labels yet.
func (ct *convTx) summary(created bool) (map[string]any, error) {
	c := &ct.c
	contact, err := ct.GetContact(ct.ctx, db.GetContactParams{ID: c.ContactID, AccountID: c.AccountID})
	if err != nil {
		return nil, fmt.Errorf("summary contact: %w", err)
	}
	tags, labels := []string{}, []string{}
	if !created {
		if tags, err = ct.ConversationTags(ct.ctx, c.ID); err != nil {
			return nil, fmt.Errorf("summary tags: %w", err)
		}
		if labels, err = ct.ConversationLabels(ct.ctx, c.ID); err != nil {
			return nil, fmt.Errorf("summary labels: %w", err)
		}
		if tags == nil {
			tags = []string{}
		}
		if labels == nil {
			labels = []string{}
		}
	}
	return map[string]any{"id": c.ID, "contact_id": c.ContactID, "chatbot_id": c.ChatbotID, "number": c.Number, "status": c.Status, "pending": c.Pending,
		"priority": c.Priority, "reason": c.Reason, "assignee_id": deref(c.AssigneeID), "queue_id": deref(c.QueueID),
		"channel": c.Channel, "last_message": c.LastMessage, "last_activity_at": c.LastActivityAt,
		"last_seq": c.LastSeq, "turns": c.Turns, "tags": tags, "labels": labels,
		"contact": map[string]any{"id": contact.ID, "name": contact.Name, "email": contact.Email}}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// updated emits conversation_updated (team) and, if the status changed, status (visitor).
func (ct *convTx) updated(statusChanged bool) error {
	sum, err := ct.summary(false)
	if err != nil {
		return err
	}
	if statusChanged {
		return ct.emit(baton.EventConversationUpdated, sum, baton.VisitorStatus, map[string]any{"status": ct.c.Status})
	}
	return ct.emit(baton.EventConversationUpdated, sum, "", nil)
}

// sender is who writes a message.
type sender struct {
	id   string
	name string
}

// msgOpts are the optional parts of a new message.
type msgOpts struct {
	Attachments []baton.Attachment
	// ExternalID is the provider's id of an inbound or outbound message (idempotency,
	// delivery receipts).
	ExternalID string
}

// addMessage inserts a message and its event, and updates the conversation's activity.
func (ct *convTx) addMessage(kind baton.MessageKind, from sender, content string, delivery string) (*baton.Message, error) {
	return ct.addMessageWith(kind, from, content, delivery, msgOpts{})
}

func (ct *convTx) addMessageWith(kind baton.MessageKind, from sender, content string, delivery string, opt msgOpts) (*baton.Message, error) {
	now := ct.Now()
	atts := opt.Attachments
	if atts == nil {
		atts = []baton.Attachment{}
	}
	m := &baton.Message{ID: ct.d.NewID(), ConversationID: ct.c.ID, Seq: ct.c.LastSeq + 1, Kind: kind, SenderID: from.id,
		SenderName: from.name, Content: content, Attachments: atts, DeliveryStatus: delivery, CreatedAt: now}
	var sid, ext *string
	if from.id != "" {
		sid = &from.id
	}
	if opt.ExternalID != "" {
		ext = &opt.ExternalID
	}
	if err := ct.beforeMessage(ct.ctx); err != nil {
		return nil, err
	}
	err := ct.InsertMessage(ct.ctx, db.InsertMessageParams{ID: m.ID, AccountID: ct.c.AccountID, ConversationID: ct.c.ID,
		Seq: m.Seq, Kind: string(kind), SenderID: sid, SenderName: from.name, Content: content, Attachments: string(mustJSON(atts)),
		DeliveryStatus: delivery, ExternalID: ext, CreatedAt: now})
	if err != nil {
		return nil, fmt.Errorf("insert message: %w", err)
	}
	vpayload := map[string]any{"id": m.ID, "kind": kind, "content": content, "created_at": now}
	if len(atts) > 0 {
		// Visitors fetch files through the widget API with their own token.
		va := make([]baton.Attachment, len(atts))
		for i, a := range atts {
			a.URL = "/widget/v1/attachments/" + a.ID
			va[i] = a
		}
		vpayload["attachments"] = va
	}
	var vtype string
	switch kind {
	case baton.KindVisitor:
		vtype = baton.VisitorMessage
		ct.c.Turns++
		ct.c.Pending = false
		ct.c.LastVisitorAt = &now
	case baton.KindBot:
		vtype = baton.VisitorBotMessage
	case baton.KindAgent:
		vtype = baton.VisitorAgentMessage
		vpayload["agent_name"] = from.name
		ct.c.Pending = ct.c.Status == string(baton.StatusHuman)
	}
	if kind != baton.KindSystem {
		ct.c.LastMessage = truncate(content, 200)
		if content == "" && len(atts) > 0 {
			ct.c.LastMessage = "📎 " + atts[0].Name
		}
	}
	if kind != baton.KindNote && kind != baton.KindSystem {
		ct.c.LastActivityAt = now
	}
	if vtype == "" {
		err = ct.emit(baton.EventMessageCreated, m, "", nil)
	} else {
		err = ct.emit(baton.EventMessageCreated, m, vtype, vpayload)
	}
	if err != nil {
		return nil, err
	}
	ct.afterCommit(func() { messagesStored.WithLabelValues(string(kind)).Inc() })
	return m, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// createConversation starts a conversation for a contact (status bot) and returns it
// locked in tx.
func (d *DB) createConversation(ctx context.Context, tx *Tx, accountID, chatbotID, contactID, channel, subject string, previous *string) (*convTx, error) {
	num, err := tx.NextConversationNumber(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("next conversation number: %w", err)
	}
	id := d.NewID()
	now := tx.Now()
	err = tx.CreateConversation(ctx, db.CreateConversationParams{ID: id, AccountID: accountID, ChatbotID: chatbotID,
		ContactID: contactID, Number: int64(num), Channel: channel, Status: string(baton.StatusBot), Subject: subject,
		PreviousID: previous, CreatedAt: now})
	if err != nil {
		return nil, fmt.Errorf("create conversation: %w", err)
	}
	ct, err := d.lockConversation(ctx, tx, accountID, id)
	if err != nil {
		return nil, err
	}
	sum, err := ct.summary(true)
	if err != nil {
		return nil, err
	}
	if err := ct.emit(baton.EventConversationCreated, sum, "", nil); err != nil {
		return nil, err
	}
	if err := ct.scheduleTimers(); err != nil {
		return nil, err
	}
	return ct, nil
}
