package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// ReplyInterval is the agent send rate limit per conversation (M3).
const ReplyInterval = 3 * time.Second

// ErrNotHandedOff is the reference error for a reply outside status human (H4).
var ErrNotHandedOff = baton.Errorf(baton.ECONFLICT, "Can only reply to handed-off conversations.")

// Limits on the texts of actions.
const (
	MaxNoteLength   = 2000
	MaxReasonLength = 500
)

// CheckContent validates message text (K3).
func CheckContent(content string) (string, error) {
	if !utf8.ValidString(content) {
		return "", baton.Invalid("The message is not valid UTF-8.")
	}
	if strings.TrimSpace(content) == "" {
		return "", baton.Invalid("The message is empty.")
	}
	if n := utf8.RuneCountInString(content); n > baton.MaxMessageLength {
		return "", &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("The message is too long: %d characters, %d at most.", n, baton.MaxMessageLength)}
	}
	return strings.TrimRight(content, " \t\r\n"), nil
}

func actorSender(a *baton.Actor) sender {
	if a == nil || a.User == nil {
		return sender{name: "Baton"}
	}
	return sender{id: a.User.ID, name: a.User.DisplayName()}
}

// Act applies an agent's action to a conversation (H1, H3). A refused transition writes
// nothing and returns ECONFLICT.
func (d *DB) Act(ctx context.Context, id string, req baton.ActionRequest) (*baton.Conversation, error) {
	a := baton.ActorFromContext(ctx)
	if utf8.RuneCountInString(req.Note) > MaxNoteLength {
		return nil, baton.Invalid("The note is too long (%d characters at most).", MaxNoteLength)
	}
	if utf8.RuneCountInString(req.Reason) > MaxReasonLength {
		return nil, baton.Invalid("The reason is too long (%d characters at most).", MaxReasonLength)
	}
	err := d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, a.AccountID); err != nil {
			return err
		}
		ct, err := d.lockConversation(ctx, tx, a.AccountID, id)
		if err != nil {
			return err
		}
		return ct.apply(a, req)
	})
	if err != nil {
		return nil, err
	}
	return d.FindConversation(ctx, id)
}

// apply carries out one transition on the locked conversation. The caller holds the
// account's routing lock (taken before the conversation's).
func (ct *convTx) apply(a *baton.Actor, req baton.ActionRequest) error {
	from := baton.Status(ct.c.Status)
	if req.Action == baton.ActionTransfer && req.QueueID != "" {
		if req.AgentID != "" {
			return baton.Invalid("Transfer to an agent or to a queue, not both.")
		}
		req.Action = baton.ActionTransferQueue
	}
	t, err := baton.Transit(from, req.Action)
	if err != nil {
		return err
	}
	previous := deref(ct.c.AssigneeID)
	now := ct.Now()
	who := actorSender(a)
	system := t.System
	if strings.Contains(system, "%s") {
		arg := who.name
		if req.Action == baton.ActionHandoff || req.Action == baton.ActionHandoffNone {
			arg = req.Reason
		}
		system = fmt.Sprintf(system, arg)
	}

	var transferNote, notifyID string
	if req.Action == baton.ActionTransferQueue {
		q, err := ct.GetQueue(ct.ctx, db.GetQueueParams{ID: req.QueueID, AccountID: ct.c.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Queue")
		} else if err != nil {
			return err
		}
		ct.c.QueueID = &q.ID
		system = fmt.Sprintf("%s transferred the conversation to the queue %s.", who.name, q.Name)
		transferNote = req.Note
	}
	if t.Has(baton.EffectReassign) {
		if req.AgentID == "" {
			return baton.Invalid("A transfer needs an agent_id or a queue_id.")
		}
		target, err := ct.GetUser(ct.ctx, db.GetUserParams{ID: req.AgentID, AccountID: ct.c.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Agent")
		} else if err != nil {
			return err
		}
		if ct.c.AssigneeID != nil && *ct.c.AssigneeID == target.ID {
			return baton.Errorf(baton.ECONFLICT, "The conversation is already assigned to %s.", userFromRow(target).DisplayName())
		}
		if err := ct.checkAssignable(target, false); err != nil {
			return err
		}
		ct.c.AssigneeID = &target.ID
		system = fmt.Sprintf("%s transferred the conversation to %s.", who.name, userFromRow(target).DisplayName())
		transferNote = req.Note
		notifyID = target.ID
	}
	if t.Has(baton.EffectAssignActor) {
		if a == nil || a.User == nil {
			return baton.Errorf(baton.EFORBIDDEN, "Only a teammate can accept a conversation.")
		}
		me, err := ct.GetUser(ct.ctx, db.GetUserParams{ID: a.User.ID, AccountID: ct.c.AccountID})
		if err != nil {
			return err
		}
		// Taking a conversation by hand is allowed at any load; queue access still counts.
		if err := ct.checkAssignable(me, true); err != nil {
			return err
		}
		ct.c.AssigneeID = &a.User.ID
	}
	if t.Has(baton.EffectUnassign) {
		ct.c.AssigneeID = nil
	}
	ct.c.Status = string(t.To)
	ct.c.Pending = false
	switch t.To {
	case baton.StatusWaiting, baton.StatusOffline:
		if from == baton.StatusBot && ct.c.QueueID == nil {
			bot, err := ct.GetChatbotByID(ct.ctx, ct.c.ChatbotID)
			if err != nil {
				return err
			}
			ct.c.QueueID = bot.DefaultQueueID
		}
		if from == baton.StatusBot {
			ct.c.HandoffAt = &now
			ct.c.Reason = req.Reason
			if ct.c.Reason == "" && req.Action == baton.ActionJoin {
				ct.c.Reason = fmt.Sprintf("%s joined from the console.", who.name)
			}
			ct.c.Brief = req.Brief
			if ct.c.Brief == "" {
				if err := ct.writeBrief(); err != nil {
					return err
				}
			}
		}
	case baton.StatusHuman:
		if from == baton.StatusBot {
			ct.c.HandoffAt = &now
			if req.Reason != "" {
				ct.c.Reason = req.Reason
			}
		}
	case baton.StatusResolved:
		ct.c.ResolvedAt = &now
		if req.Action == baton.ActionResolve {
			ct.c.ResolutionNote = req.Note
		}
	case baton.StatusClosed:
		ct.c.ClosedAt = &now
	}
	if req.Action == baton.ActionResolve && req.Note != "" {
		system += " Resolution: " + req.Note
	}

	if system != "" {
		if _, err := ct.addMessage(baton.KindSystem, sender{name: "Baton"}, system, ""); err != nil {
			return err
		}
	}
	if transferNote != "" {
		if _, err := ct.addMessage(baton.KindNote, who, "Transfer note: "+transferNote, ""); err != nil {
			return err
		}
	}
	if t.Has(baton.EffectHandoffStarted) {
		// Before the status, so the visitor reads "connecting you…" then where it stands.
		if err := ct.handoffStarted(who.id); err != nil {
			return err
		}
	}
	if err := ct.updated(from != t.To); err != nil {
		return err
	}
	if t.Has(baton.EffectHandoffEnded) {
		if err := ct.emit(baton.EventHandoffEnded, map[string]any{"conversation_id": ct.c.ID}, baton.VisitorHandoffEnded, map[string]any{}); err != nil {
			return err
		}
	}
	if t.Has(baton.EffectReassign) || t.Has(baton.EffectAssignActor) {
		if err := ct.emit(baton.EventAssigned, map[string]any{"conversation_id": ct.c.ID, "assignee_id": deref(ct.c.AssigneeID), "by": who.id}, "", nil); err != nil {
			return err
		}
	}
	if notifyID != "" {
		body := who.name + " transferred a conversation to you."
		if transferNote != "" {
			body += " Note: " + transferNote
		}
		if err := ct.notifyFrom(notifyID, "assigned", "", who.name, body); err != nil {
			return err
		}
	}
	if t.Has(baton.EffectRoute) {
		// Offer it at once to the best agent of its queue (Q1). The conversation_updated
		// above went out before the offer: a second one carries the new assignee, so every
		// agent's list shows who holds it.
		offered, err := ct.offer(previous)
		if err != nil {
			return err
		}
		if offered {
			if err := ct.updated(false); err != nil {
				return err
			}
		}
	}
	if err := ct.save(); err != nil {
		return err
	}
	if from != t.To {
		if err := ct.scheduleTimers(); err != nil {
			return err
		}
	}
	// A seat freed: the longest-waiting conversations get it.
	if previous != "" && (deref(ct.c.AssigneeID) != previous || (t.To != baton.StatusWaiting && t.To != baton.StatusHuman)) {
		return ct.d.routeWaiting(ct.ctx, ct.Tx, ct.c.AccountID)
	}
	return nil
}

// handoffStarted emits the account-wide handoff alert (R4) and the visitor's
// handoff_started (R3) as one event.
func (ct *convTx) handoffStarted(by string) error {
	cb, err := ct.GetChatbotByID(ct.ctx, ct.c.ChatbotID)
	if err != nil {
		return fmt.Errorf("handoff chatbot: %w", err)
	}
	contact, err := ct.GetContact(ct.ctx, db.GetContactParams{ID: ct.c.ContactID, AccountID: ct.c.AccountID})
	if err != nil {
		return fmt.Errorf("handoff contact: %w", err)
	}
	return ct.emit(baton.EventHandoffStarted, map[string]any{"conversation_id": ct.c.ID, "chatbot_name": cb.Name,
		"visitor_name": visitorName(contact), "reason": ct.c.Reason, "by": by},
		baton.VisitorHandoffStarted, map[string]any{"reason": ct.c.Reason})
}

func visitorName(c db.Contact) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	}
	return "Visitor"
}

// Reply posts an agent reply or an internal note (H4, M1, M3).
// checkReplier refuses a reply to the customer from anyone but the conversation's assignee:
// in human, one agent answers (two people must never answer one customer). A teammate
// may add notes, or take the conversation over (a transfer to themselves) to reply.
func (ct *convTx) checkReplier(userID string) error {
	if ct.c.AssigneeID == nil || *ct.c.AssigneeID == userID {
		return nil
	}
	name := "Another agent"
	if u, err := ct.GetUser(ct.ctx, db.GetUserParams{ID: *ct.c.AssigneeID, AccountID: ct.c.AccountID}); err == nil {
		name = userFromRow(u).DisplayName()
	}
	return baton.Errorf(baton.ECONFLICT, "%s is handling this conversation: only the assignee can reply. Take it over to answer, or add an internal note.", name)
}

func (d *DB) Reply(ctx context.Context, id string, content string, private bool) (*baton.Message, error) {
	a := baton.ActorFromContext(ctx)
	content, err := CheckContent(content)
	if err != nil {
		return nil, err
	}
	var m *baton.Message
	err = d.Write(ctx, func(tx *Tx) error {
		ct, err := d.lockConversation(ctx, tx, a.AccountID, id)
		if err != nil {
			return err
		}
		who := actorSender(a)
		if private {
			if m, err = ct.addMessage(baton.KindNote, who, content, ""); err != nil {
				return err
			}
			mentioned, err := ct.mentions(content)
			if err != nil {
				return err
			}
			for _, u := range mentioned {
				if u.ID == who.id {
					continue
				}
				if err := ct.notifyFrom(u.ID, "mention", m.ID, who.name, content); err != nil {
					return err
				}
			}
		} else {
			if baton.Status(ct.c.Status) != baton.StatusHuman {
				return ErrNotHandedOff
			}
			if err := ct.checkReplier(who.id); err != nil {
				return err
			}
			if err := ct.rateLimit(who.id); err != nil {
				return err
			}
			delivery := baton.DeliverySent
			if ct.c.Channel != baton.ChannelWeb {
				delivery = baton.DeliveryQueued
			}
			m, err = ct.addMessage(baton.KindAgent, who, content, delivery)
			if err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		return ct.save()
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// writeBrief fills the handoff brief from the visitor's recent messages (B3).
func (ct *convTx) writeBrief() error {
	if ct.d.Brief == nil {
		return nil
	}
	msgs, err := ct.ListMessages(ct.ctx, db.ListMessagesParams{ConversationID: ct.c.ID, Seq: ct.c.LastSeq + 1, Limit: 60})
	if err != nil {
		return fmt.Errorf("brief: %w", err)
	}
	var texts []string
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == string(baton.KindVisitor) {
			texts = append(texts, msgs[i].Content)
		}
	}
	ct.c.Brief = truncate(ct.d.Brief(texts), 500)
	return nil
}

// rateLimit allows one agent reply per ReplyInterval per agent and conversation (M3). The
// mark is stored, so it holds across nodes.
func (ct *convTx) rateLimit(userID string) error {
	key := "reply:" + userID + ":" + ct.c.ID
	last, err := ct.GetRateMark(ct.ctx, key)
	if err == nil && ct.Now().Sub(last) < ReplyInterval {
		wait := ReplyInterval - ct.Now().Sub(last)
		return &baton.Error{Code: baton.ERATELIMITED, RetryAfter: int((wait + time.Second - 1) / time.Second),
			Message: "You are sending messages too fast: wait at least 3 seconds between messages."}
	} else if err != nil && !isNoRows(err) {
		return err
	}
	return ct.SetRateMark(ct.ctx, db.SetRateMarkParams{Key: key, At: ct.Now()})
}
