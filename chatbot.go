package baton

import (
	"context"
	"time"
)

// Chatbot is one bot of an account, reachable by its slug from the widget and channels.
type Chatbot struct {
	ID                   string    `json:"id"`
	AccountID            string    `json:"account_id"`
	Slug                 string    `json:"slug"`
	Name                 string    `json:"name"`
	Greeting             string    `json:"greeting"`
	HandoverWebhookURL   string    `json:"handover_webhook_url"`
	MessageWebhookURL    string    `json:"message_webhook_url"`
	IdentityVerification bool      `json:"identity_verification"`
	CreatedAt            time.Time `json:"created_at"`
}

// ChatbotUpdate changes a chatbot; nil fields are left alone.
type ChatbotUpdate struct {
	Name                 *string
	Greeting             *string
	HandoverWebhookURL   *string
	MessageWebhookURL    *string
	IdentityVerification *bool
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
