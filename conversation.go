package baton

import (
	"context"
	"time"
)

// Priority of a conversation (H9). The empty priority means none was set.
type Priority string

const (
	PriorityNone   Priority = ""
	PriorityLow    Priority = "low"
	PriorityMedium Priority = "medium"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is a known priority (or none).
func (p Priority) Valid() bool {
	switch p {
	case PriorityNone, PriorityLow, PriorityMedium, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Channel kinds. A conversation's channel is where its visitor writes from.
const (
	ChannelWeb       = "web"
	ChannelTelegram  = "telegram"
	ChannelWhatsApp  = "whatsapp"
	ChannelMessenger = "messenger"
	ChannelEmail     = "email"
)

// Channels lists the known channel kinds.
var Channels = []string{ChannelWeb, ChannelTelegram, ChannelWhatsApp, ChannelMessenger, ChannelEmail}

// Conversation is one thread between a visitor, the bot and the team.
type Conversation struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	// Number is the per-account display number ("#42").
	Number   int64    `json:"number"`
	Channel  string   `json:"channel"`
	Status   Status   `json:"status"`
	Pending  bool     `json:"pending"`
	Priority Priority `json:"priority"`
	Reason   string   `json:"reason"`
	// Brief is the handoff brief: what the visitor wants (B3).
	Brief          string     `json:"brief"`
	Subject        string     `json:"subject"`
	Chatbot        ChatbotRef `json:"chatbot"`
	Contact        *Contact   `json:"contact"`
	Assignee       *UserRef   `json:"assignee"`
	QueueID        string     `json:"queue_id,omitempty"`
	Tags           []string   `json:"tags"`
	Labels         []string   `json:"labels"`
	Collaborators  []UserRef  `json:"collaborators"`
	PreviousID     string     `json:"previous_conversation_id,omitempty"`
	ResolutionNote string     `json:"resolution_note,omitempty"`
	Turns          int        `json:"turns"`
	LastSeq        int64      `json:"last_seq"`
	LastVisitorSeq int64      `json:"last_visitor_seq"`
	LastMessage    string     `json:"last_message"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	LastActivityAt time.Time  `json:"last_activity_at"`
	HandoffAt      *time.Time `json:"handoff_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	ClosedAt       *time.Time `json:"closed_at"`
}

// ChatbotRef names a conversation's chatbot.
type ChatbotRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// UserRef names a teammate.
type UserRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Activity levels by visitor turns (A2).
const (
	ActivityLow    = "low"    // < 5 turns
	ActivityMedium = "medium" // 5–10 turns
	ActivityHigh   = "high"   // > 10 turns
)

// ConversationFilter selects conversations for the list (A2, A3).
type ConversationFilter struct {
	Statuses   []Status
	Pending    *bool
	Channel    string
	AssigneeID string // a user id, or "none" for unassigned
	Priority   Priority
	Tag        string
	Label      string
	QueueID    string
	Activity   string
	From, To   *time.Time // on last activity
	Query      string     // contact name, email, phone, message content, or number
	Cursor     string
	Limit      int
}

// ConversationPage is one page of the list.
type ConversationPage struct {
	Conversations []*Conversation `json:"conversations"`
	NextCursor    string          `json:"next_cursor"`
}

// ConversationUpdate changes a conversation's details (H9). Nil fields are left alone.
type ConversationUpdate struct {
	Priority      *Priority
	Tags          *[]string
	Labels        *[]string
	Collaborators *[]string // user ids
	ContactEmail  *string
	ContactName   *string
	AssigneeID    *string // "" unassigns
}

// ActionRequest is an agent's action on a conversation.
type ActionRequest struct {
	Action  Action
	Note    string
	AgentID string
	QueueID string
	Reason  string
	// Brief is the handoff brief, when the caller already has one (B3).
	Brief string
}

// ConversationService is everything that reads or changes conversations. Every method
// is scoped to the actor's account: another account's ids are ENOTFOUND.
type ConversationService interface {
	ListConversations(ctx context.Context, f ConversationFilter) (*ConversationPage, error)
	FindConversation(ctx context.Context, id string) (*Conversation, error)
	// Act applies an action (H1): ECONFLICT if the status machine refuses it, in which case
	// nothing is written.
	Act(ctx context.Context, id string, req ActionRequest) (*Conversation, error)
	UpdateConversation(ctx context.Context, id string, u ConversationUpdate) (*Conversation, error)
	// Reply posts an agent message (only in status human; ECONFLICT otherwise) or, with
	// private, an internal note (any status). ERATELIMITED when the agent writes faster
	// than one message per 3 s in a conversation (M3).
	Reply(ctx context.Context, id string, content string, private bool) (*Message, error)
	ListMessages(ctx context.Context, id string, before int64, limit int) (*MessagePage, error)
}
