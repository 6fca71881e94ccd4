package baton

import "time"

// Ticket statuses (T1).
const (
	TicketOpen    = "open"
	TicketPending = "pending"
	TicketSolved  = "solved"
)

// Ticket is a follow-up item linked to one or more conversations (T1).
type Ticket struct {
	ID              string    `json:"id"`
	Number          int64     `json:"number"`
	Subject         string    `json:"subject"`
	Description     string    `json:"description"`
	Priority        Priority  `json:"priority"`
	Status          string    `json:"status"`
	Assignee        *UserRef  `json:"assignee"`
	ContactID       string    `json:"contact_id,omitempty"`
	Source          string    `json:"source"` // agent, offline_form
	ConversationIDs []string  `json:"conversation_ids"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// TicketCreate makes a ticket.
type TicketCreate struct {
	Subject         string
	Description     string
	Priority        Priority
	AssigneeID      string
	ConversationIDs []string
}

// TicketUpdate changes a ticket; nil fields are left alone.
type TicketUpdate struct {
	Subject     *string
	Description *string
	Priority    *Priority
	Status      *string
	AssigneeID  *string
	// Link and Unlink add or remove conversations.
	Link   []string
	Unlink []string
}

// TicketFilter selects tickets for the list.
type TicketFilter struct {
	Status     string
	Priority   Priority
	AssigneeID string
	Query      string
	Cursor     string
	Limit      int
}
