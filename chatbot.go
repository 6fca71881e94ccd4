package baton

import (
	"context"
	"time"
)

// Chatbot is one bot of an account, reachable by its slug from the widget and channels.
type Chatbot struct {
	ID                   string        `json:"id"`
	AccountID            string        `json:"account_id"`
	Slug                 string        `json:"slug"`
	Name                 string        `json:"name"`
	Greeting             string        `json:"greeting"`
	HandoverWebhookURL   string        `json:"handover_webhook_url"`
	MessageWebhookURL    string        `json:"message_webhook_url"`
	IdentityVerification bool          `json:"identity_verification"`
	DefaultQueueID       string        `json:"default_queue_id"`
	AI                   AISettings    `json:"ai"`
	Timers               TimerSettings `json:"timers"`
	CreatedAt            time.Time     `json:"created_at"`
}

// Responder kinds (B1).
const (
	ResponderFAQ     = "faq"
	ResponderOpenAI  = "openai"
	ResponderWebhook = "webhook"
)

// AISettings configure a chatbot's responder and handoff rules. Keys are write-only:
// APIKeySet and WebhookSecretSet say whether one is stored.
type AISettings struct {
	Responder        string `json:"responder"`
	BaseURL          string `json:"base_url"`
	Model            string `json:"model"`
	SystemPrompt     string `json:"system_prompt"`
	APIKeySet        bool   `json:"api_key_set"`
	WebhookURL       string `json:"webhook_url"`
	WebhookSecretSet bool   `json:"webhook_secret_set"`
	// MaxUnanswered is how many answers in a row the bot may fail before it hands off (H2).
	MaxUnanswered int `json:"max_unanswered"`
	// HandoffOnNegative hands off after two strongly negative visitor messages in a row.
	HandoffOnNegative bool `json:"handoff_on_negative"`
}

// TimerSettings configure a chatbot's timers (H8).
type TimerSettings struct {
	// AutoResolveHours resolves a conversation after that many hours without a visitor
	// message (0 turns it off).
	AutoResolveHours int `json:"auto_resolve_hours"`
	// AbandonMinutes marks a waiting conversation abandoned when the visitor has been gone
	// that long (0 turns it off).
	AbandonMinutes int `json:"abandon_minutes"`
	// ResolveOnThanks resolves when the visitor says "thanks" or "resolved".
	ResolveOnThanks bool `json:"resolve_on_thanks"`
}

// DefaultAISettings and DefaultTimerSettings apply to new chatbots.
var (
	DefaultAISettings    = AISettings{Responder: ResponderFAQ, MaxUnanswered: 2, HandoffOnNegative: true}
	DefaultTimerSettings = TimerSettings{AutoResolveHours: 24, AbandonMinutes: 15}
)

// AIUpdate changes a chatbot's AI settings; nil fields are left alone. An empty APIKey or
// WebhookSecret removes the stored one.
type AIUpdate struct {
	Responder         *string `json:"responder"`
	BaseURL           *string `json:"base_url"`
	Model             *string `json:"model"`
	SystemPrompt      *string `json:"system_prompt"`
	APIKey            *string `json:"api_key"`
	WebhookURL        *string `json:"webhook_url"`
	WebhookSecret     *string `json:"webhook_secret"`
	MaxUnanswered     *int    `json:"max_unanswered"`
	HandoffOnNegative *bool   `json:"handoff_on_negative"`
}

// KnowledgeEntry is one question and answer the FAQ bot knows (and the LLM gets as context).
type KnowledgeEntry struct {
	ID        string    `json:"id"`
	Question  string    `json:"question"`
	Answer    string    `json:"answer"`
	Keywords  []string  `json:"keywords"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ChatbotUpdate changes a chatbot; nil fields are left alone.
type ChatbotUpdate struct {
	Name                 *string
	Greeting             *string
	HandoverWebhookURL   *string
	MessageWebhookURL    *string
	IdentityVerification *bool
	AI                   *AIUpdate
	Timers               *TimerSettings
}

// ChatbotService manages chatbots. ref is an id or a slug.
type ChatbotService interface {
	ListChatbots(ctx context.Context) ([]*Chatbot, error)
	FindChatbot(ctx context.Context, ref string) (*Chatbot, error)
	UpdateChatbot(ctx context.Context, ref string, u ChatbotUpdate) (*Chatbot, error)
}

// Contact is a visitor, identified per chatbot by a session id such as "web:…", "tg:…".
type Contact struct {
	ID         string            `json:"id"`
	SessionID  string            `json:"session_id"`
	Name       string            `json:"name"`
	Email      string            `json:"email"`
	Phone      string            `json:"phone"`
	Attributes map[string]string `json:"attributes"`
}
