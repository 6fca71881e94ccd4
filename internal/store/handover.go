package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// The external handover (SPEC §9, API.md "External handover"): a third-party desk takes a
// visitor's conversation from the bot (listen mode: status human, bot silent), writes to
// the visitor as an agent, and gives the conversation back. Listen mode is kept in
// external_handovers; it ends whenever the conversation leaves status human, whoever moves
// it (the integrations hook of package webhooks ends it in the same transaction).

// MaxSessionIDLength bounds the visitor session ids the handover API accepts.
const MaxSessionIDLength = 300

var errNotListening = baton.Errorf(baton.ECONFLICT,
	"An agent of the team is handling this conversation: it is not in listen mode.")

// handoverTarget finds the chatbot (by id or slug) and the visitor (by session id) of the
// account; either unknown is ENOTFOUND.
func handoverTarget(ctx context.Context, tx *Tx, accountID, botRef, sessionID string) (db.Chatbot, db.Contact, error) {
	bot, err := tx.GetChatbot(ctx, db.GetChatbotParams{AccountID: accountID, ID: botRef})
	if isNoRows(err) {
		return db.Chatbot{}, db.Contact{}, baton.NotFound("Chatbot")
	} else if err != nil {
		return db.Chatbot{}, db.Contact{}, fmt.Errorf("handover chatbot: %w", err)
	}
	if sessionID == "" || utf8.RuneCountInString(sessionID) > MaxSessionIDLength {
		return db.Chatbot{}, db.Contact{}, baton.NotFound("Visitor")
	}
	contact, err := tx.GetContactBySession(ctx, db.GetContactBySessionParams{ChatbotID: bot.ID, SessionID: sessionID})
	if isNoRows(err) || (err == nil && contact.AccountID != accountID) {
		return db.Chatbot{}, db.Contact{}, baton.NotFound("Visitor")
	} else if err != nil {
		return db.Chatbot{}, db.Contact{}, fmt.Errorf("handover visitor: %w", err)
	}
	return bot, contact, nil
}

// lockVisitorConversation locks the visitor's current conversation for a handover call.
func (d *DB) lockVisitorConversation(ctx context.Context, tx *Tx, accountID, botRef, sessionID string) (*convTx, db.Chatbot, error) {
	bot, contact, err := handoverTarget(ctx, tx, accountID, botRef, sessionID)
	if err != nil {
		return nil, bot, err
	}
	latest, err := tx.LatestConversationForContact(ctx, contact.ID)
	if isNoRows(err) {
		return nil, bot, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, bot, fmt.Errorf("handover conversation: %w", err)
	}
	ct, err := d.lockConversation(ctx, tx, accountID, latest.ID)
	return ct, bot, err
}

// listening reports whether an external desk holds the conversation (listen mode).
func (ct *convTx) listening() (bool, error) {
	h, err := ct.GetExternalHandover(ct.ctx, ct.c.ID)
	if isNoRows(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("external handover: %w", err)
	}
	return h.EndedAt == nil && ct.c.Status == string(baton.StatusHuman), nil
}

func (ct *convTx) handover(bot db.Chatbot, listening, changed bool) *baton.Handover {
	sess := ""
	if c, err := ct.GetContact(ct.ctx, db.GetContactParams{ID: ct.c.ContactID, AccountID: ct.c.AccountID}); err == nil {
		sess = c.SessionID
	}
	return &baton.Handover{ConversationID: ct.c.ID, BotID: bot.Slug, SessionID: sess, Status: baton.Status(ct.c.Status),
		ListenMode: listening, Changed: changed}
}

// deskActor is the actor of a handover call as the thread names it: the token's creator
// (for ids and rights) shown as "The external desk".
func deskActor(a *baton.Actor) *baton.Actor {
	desk := *a
	u := baton.User{FirstName: "The external desk"}
	if a.User != nil {
		u.ID, u.AccountID, u.Role = a.User.ID, a.User.AccountID, a.User.Role
	}
	desk.User = &u
	return &desk
}

// Takeover puts the visitor's current conversation in listen mode (X2): status human by
// the takeover action, no agent of the team assigned, the bot silent. It is idempotent: a
// conversation already in listen mode is left as it is (Changed false). A conversation an
// agent of the team is handling, or one that is closed, is ECONFLICT; an unknown chatbot or
// visitor is ENOTFOUND. Nothing is written on error.
func (d *DB) Takeover(ctx context.Context, botRef, sessionID string) (*baton.Handover, error) {
	a := baton.ActorFromContext(ctx)
	var out *baton.Handover
	err := d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, a.AccountID); err != nil {
			return err
		}
		ct, bot, err := d.lockVisitorConversation(ctx, tx, a.AccountID, botRef, sessionID)
		if err != nil {
			return err
		}
		listening, err := ct.listening()
		if err != nil {
			return err
		}
		if listening {
			out = ct.handover(bot, true, false)
			return nil
		}
		if baton.Status(ct.c.Status) == baton.StatusHuman {
			return baton.Errorf(baton.ECONFLICT, "An agent of the team is handling this conversation: it cannot be taken over.")
		}
		previous := deref(ct.c.AssigneeID)
		// Listen mode first, so that the integrations hook knows this handoff came from the
		// desk and does not call the desk's own handover webhook.
		if err := tx.StartExternalHandover(ctx, db.StartExternalHandoverParams{ConversationID: ct.c.ID,
			AccountID: a.AccountID, TokenID: a.TokenID, StartedAt: tx.Now()}); err != nil {
			return fmt.Errorf("start external handover: %w", err)
		}
		if err := ct.apply(deskActor(a), baton.ActionRequest{Action: baton.ActionTakeover,
			Reason: "An external desk took over the conversation."}); err != nil {
			return err
		}
		if previous != "" {
			// An agent was offered (or had joined) it: the desk holds it now, the seat frees.
			ct.c.AssigneeID = nil
			if err := ct.emit(baton.EventAssigned, map[string]any{"conversation_id": ct.c.ID, "assignee_id": "", "by": a.UserID()}, "", nil); err != nil {
				return err
			}
			if err := ct.updated(false); err != nil {
				return err
			}
			if err := ct.save(); err != nil {
				return err
			}
			if err := d.routeWaiting(ctx, tx, a.AccountID); err != nil {
				return err
			}
		}
		out = ct.handover(bot, true, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MaxAgentNameLength bounds the agent name a desk may give its messages.
const MaxAgentNameLength = 100

// HandoverReply delivers a desk's message to the visitor as an agent message (X4): the
// same message and agent_message event as a console reply, over whatever channel the
// visitor uses. agentName, when set, is the name the visitor sees; otherwise the token's
// creator's. Only in status human (ECONFLICT "Can only reply to handed-off
// conversations." otherwise, nothing written).
func (d *DB) HandoverReply(ctx context.Context, botRef, sessionID, content, agentName string) (*baton.Message, error) {
	a := baton.ActorFromContext(ctx)
	content, err := CheckContent(content)
	if err != nil {
		return nil, err
	}
	agentName = strings.TrimSpace(agentName)
	if utf8.RuneCountInString(agentName) > MaxAgentNameLength {
		return nil, baton.Invalid("agent_name is too long (%d characters at most).", MaxAgentNameLength)
	}
	var m *baton.Message
	err = d.Write(ctx, func(tx *Tx) error {
		ct, _, err := d.lockVisitorConversation(ctx, tx, a.AccountID, botRef, sessionID)
		if err != nil {
			return err
		}
		if baton.Status(ct.c.Status) != baton.StatusHuman {
			return ErrNotHandedOff
		}
		who := actorSender(a)
		if agentName != "" {
			who.name = agentName
		}
		delivery := baton.DeliverySent
		if ct.c.Channel != baton.ChannelWeb {
			delivery = baton.DeliveryQueued
		}
		if m, err = ct.addMessage(baton.KindAgent, who, content, delivery); err != nil {
			return err
		}
		return ct.save()
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// EndHandover ends listen mode: the conversation returns to the bot (release), the
// visitor hears handoff_ended and the bot answers again. A conversation not in listen mode
// is left alone (Changed false) unless an agent of the team is handling it (ECONFLICT).
func (d *DB) EndHandover(ctx context.Context, botRef, sessionID string) (*baton.Handover, error) {
	a := baton.ActorFromContext(ctx)
	var out *baton.Handover
	err := d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, a.AccountID); err != nil {
			return err
		}
		ct, bot, err := d.lockVisitorConversation(ctx, tx, a.AccountID, botRef, sessionID)
		if err != nil {
			return err
		}
		listening, err := ct.listening()
		if err != nil {
			return err
		}
		if !listening {
			if baton.Status(ct.c.Status) == baton.StatusHuman {
				return errNotListening
			}
			out = ct.handover(bot, false, false)
			return nil
		}
		if err := ct.apply(deskActor(a), baton.ActionRequest{Action: baton.ActionRelease}); err != nil {
			return err
		}
		if _, err := tx.EndExternalHandover(ctx, db.EndExternalHandoverParams{ConversationID: ct.c.ID, EndedAt: ptr(tx.Now())}); err != nil {
			return fmt.Errorf("end external handover: %w", err)
		}
		out = ct.handover(bot, false, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
