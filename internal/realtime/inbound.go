package realtime

import (
	"context"
	"encoding/json"

	"github.com/baton-chat/baton"
)

// Authorizer checks that an agent may see a conversation (same account).
type Authorizer interface {
	FindConversation(ctx context.Context, id string) (*baton.Conversation, error)
}

// onInbound handles a frame a client sent (docs/protocol.md).
func (h *Hub) onInbound(ctx context.Context, c *client, in *inbound) error {
	switch in.Type {
	case "ping":
		c.push(item{ctl: ctlPong})
		return nil
	case "typing":
		var d struct {
			Typing bool `json:"typing"`
		}
		if len(in.Data) > 0 && json.Unmarshal(in.Data, &d) != nil {
			return badFrame("typing data must be {\"typing\": bool}")
		}
		if c.isVisitor() {
			if !c.visitorFrameAllowed() {
				return nil
			}
			data, _ := json.Marshal(map[string]any{"typing": d.Typing, "who": "visitor"})
			h.PublishEphemeral(ctx, &Ephemeral{AccountID: c.accountID, ConversationID: c.convID(),
				Audience: "team", Type: "typing", Data: data, Origin: c.id})
			return nil
		}
		if err := h.authorize(ctx, c, in.ConversationID); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"typing": d.Typing, "name": c.name})
		h.PublishEphemeral(ctx, &Ephemeral{AccountID: c.accountID, ConversationID: in.ConversationID,
			Audience: "visitor", Type: "typing", Data: data, Origin: c.id})
		teamData, _ := json.Marshal(map[string]any{"typing": d.Typing, "who": "agent", "user_id": c.userID, "name": c.name})
		h.PublishEphemeral(ctx, &Ephemeral{AccountID: c.accountID, ConversationID: in.ConversationID,
			Audience: "team", Type: "typing", Data: teamData, Origin: c.id})
		return nil
	case "read":
		var d struct {
			Seq int64 `json:"seq"`
		}
		if json.Unmarshal(in.Data, &d) != nil || d.Seq < 0 {
			return badFrame("read data must be {\"seq\": N}")
		}
		data, _ := json.Marshal(map[string]any{"seq": d.Seq})
		if c.isVisitor() {
			if !c.visitorFrameAllowed() {
				return nil
			}
			h.PublishEphemeral(ctx, &Ephemeral{AccountID: c.accountID, ConversationID: c.convID(),
				Audience: "team", Type: "read", Data: data, Origin: c.id})
			return nil
		}
		if err := h.authorize(ctx, c, in.ConversationID); err != nil {
			return err
		}
		h.PublishEphemeral(ctx, &Ephemeral{AccountID: c.accountID, ConversationID: in.ConversationID,
			Audience: "visitor", Type: "read", Data: data, Origin: c.id})
		return nil
	case "subscribe":
		if c.isVisitor() {
			return badFrame("visitors follow their own conversation")
		}
		if in.Since < 0 {
			return badFrame("since must be ≥ 0")
		}
		if err := h.authorize(ctx, c, in.ConversationID); err != nil {
			return err
		}
		c.push(item{ctl: ctlReplay, conv: in.ConversationID, since: in.Since})
		return nil
	}
	return badFrame("unknown frame type")
}

// authorize checks (once per socket and conversation) that the agent's account owns it.
func (h *Hub) authorize(ctx context.Context, c *client, convID string) error {
	if convID == "" {
		return badFrame("conversation_id is required")
	}
	if c.allowed[convID] {
		return nil
	}
	if c.allowed == nil {
		c.allowed = map[string]bool{}
	}
	actx := baton.NewContextWithActor(ctx, c.actor)
	if _, err := c.authz.FindConversation(actx, convID); err != nil {
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return badFrame("no such conversation")
		}
		return err
	}
	if len(c.allowed) > 1000 {
		clear(c.allowed)
	}
	c.allowed[convID] = true
	return nil
}
