package baton

import (
	"time"
)

// MessageKind says who wrote a message (M1).
type MessageKind string

const (
	KindVisitor MessageKind = "visitor"
	KindBot     MessageKind = "bot"
	KindAgent   MessageKind = "agent"
	KindSystem  MessageKind = "system"
	KindNote    MessageKind = "note" // internal: never reaches the visitor
)

// VisitorVisible reports whether the visitor may ever see a message of kind k.
func (k MessageKind) VisitorVisible() bool {
	return k == KindVisitor || k == KindBot || k == KindAgent
}

// Delivery statuses of outbound messages (M4).
const (
	DeliveryQueued    = "queued"
	DeliverySent      = "sent"
	DeliveryDelivered = "delivered"
	DeliveryRead      = "read"
	DeliveryFailed    = "failed"
)

// Limits on message content (K3).
const (
	MaxMessageLength = 10000 // runes
)

// Attachment is a file attached to a message.
type Attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
}

// Message is one entry of a conversation's thread.
type Message struct {
	ID             string       `json:"id"`
	ConversationID string       `json:"conversation_id"`
	Seq            int64        `json:"seq"`
	Kind           MessageKind  `json:"kind"`
	SenderID       string       `json:"sender_id,omitempty"`
	SenderName     string       `json:"sender_name"`
	Content        string       `json:"content"`
	Attachments    []Attachment `json:"attachments"`
	DeliveryStatus string       `json:"delivery_status,omitempty"`
	DeliveryError  string       `json:"delivery_error,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
}

// MessagePage is a page of messages, newest first (M5).
type MessagePage struct {
	Messages []*Message `json:"messages"`
	// NextBefore is the cursor for the next (older) page; 0 when there is none.
	NextBefore int64 `json:"next_before"`
}
