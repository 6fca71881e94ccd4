package baton

import "context"

// VisitorSessionCreate opens (or resumes) a visitor's session on a chatbot's widget.
type VisitorSessionCreate struct {
	Chatbot  string
	Name     string
	Email    string
	UserID   string
	UserHash string
}

// VisitorSession is what the widget keeps: the session id, a bearer token and the
// conversation it writes to.
type VisitorSession struct {
	SessionID      string `json:"session_id"`
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
}

// Visitor is an authenticated visitor (from the visitor token).
type Visitor struct {
	AccountID string
	ChatbotID string
	ContactID string
	SessionID string
}

// VisitorService is the widget's side (what /widget/v1 uses).
type VisitorService interface {
	// OpenSession returns ENOTFOUND for an unknown chatbot and EUNAUTHORIZED when identity
	// verification is on and the user hash does not match.
	OpenSession(ctx context.Context, c VisitorSessionCreate) (*VisitorSession, error)
	AuthenticateVisitor(ctx context.Context, token string) (*Visitor, error)
	// PostVisitorMessage stores a message in the visitor's current conversation, starting a
	// new linked one when that is resolved or closed (H7).
	PostVisitorMessage(ctx context.Context, v *Visitor, content string) (*Message, error)
	// VisitorMessages lists the visitor-visible messages after a visitor sequence number.
	VisitorMessages(ctx context.Context, v *Visitor, afterSeq int64, limit int) ([]*VisitorEvent, error)
}

// VisitorEvent is an event as the visitor sees it (R3).
type VisitorEvent struct {
	Type           string         `json:"type"`
	Seq            int64          `json:"seq"`
	ConversationID string         `json:"conversation_id"`
	Data           map[string]any `json:"data"`
}
