package baton

import (
	"context"
	"encoding/json"
	"time"
)

// Audience says who may see an event.
type Audience string

const (
	AudienceTeam    Audience = "team"    // agents only
	AudienceVisitor Audience = "visitor" // agents and the visitor
)

// Event types on the agent socket (team).
const (
	EventMessageCreated      = "message_created"
	EventConversationUpdated = "conversation_updated"
	EventConversationCreated = "conversation_created"
	EventHandoff             = "handoff"
	EventHandoffStarted      = "handoff_started"
	EventHandoffEnded        = "handoff_ended"
	EventAssigned            = "assigned"
	// EventAnalysisUpdated tells the team that a conversation's post-chat analysis is
	// done or failed for good. The payload is the Analysis.
	EventAnalysisUpdated = "analysis_updated"
	// EventTicketCreated is an internal signal (Seq 0, no stream, never sent to a socket)
	// for a ticket that no conversation's event announces: one created on its own.
	EventTicketCreated = "ticket_created"
)

// Event types on the visitor socket (R3).
const (
	VisitorBotMessage     = "bot_message"
	VisitorAgentMessage   = "agent_message"
	VisitorMessage        = "visitor_message"
	VisitorHandoffStarted = "handoff_started"
	VisitorHandoffEnded   = "handoff_ended"
	VisitorStatus         = "status"
	VisitorTyping         = "typing"
	VisitorRead           = "read"
)

// Event is one durable change of a conversation. Seq counts every event of the
// conversation (what the team sees); VisitorSeq counts only the visitor-visible ones, so
// that each audience sees a gapless sequence (R2).
type Event struct {
	AccountID      string          `json:"account_id"`
	ConversationID string          `json:"conversation_id"`
	Seq            int64           `json:"seq"`
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload"`
	// VisitorSeq, VisitorType and VisitorPayload are set when the visitor sees the event.
	VisitorSeq     int64           `json:"visitor_seq,omitempty"`
	VisitorType    string          `json:"visitor_type,omitempty"`
	VisitorPayload json.RawMessage `json:"visitor_payload,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

// Publisher fans committed events out to live subscribers. Called only after commit.
type Publisher interface {
	Publish(ctx context.Context, events []*Event)
}

// NopPublisher drops events (used where nothing listens).
type NopPublisher struct{}

// Publish does nothing.
func (NopPublisher) Publish(context.Context, []*Event) {}
