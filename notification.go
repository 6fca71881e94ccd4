package baton

import "time"

// Notification is something a teammate should see: a mention (M7), an assignment, a
// handoff of a conversation they follow.
type Notification struct {
	ID             string     `json:"id"`
	Kind           string     `json:"kind"` // mention, assigned, following
	ConversationID string     `json:"conversation_id,omitempty"`
	MessageID      string     `json:"message_id,omitempty"`
	ActorName      string     `json:"actor_name"`
	Body           string     `json:"body"`
	CreatedAt      time.Time  `json:"created_at"`
	ReadAt         *time.Time `json:"read_at"`
}

// EventNotification is the team event that carries a notification to its user's sockets
// (Seq 0, no stream): its payload is {"user_id", "notification"}.
const EventNotification = "notification"
