// Package channel connects Baton to the external channels visitors write from — Telegram,
// WhatsApp, Messenger and email (SPEC §4). One Adapter per kind speaks to its provider:
// it checks a configuration, authenticates and parses inbound webhooks, and sends
// outbound messages. This package does the rest, the same for every kind: it serves the
// configuration API and the webhooks, stores what comes in exactly once (with its media
// as attachments), and delivers agent and bot messages as durable jobs with retries.
package channel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/baton-chat/baton/internal/store"
)

// Adapter speaks to one provider. Its errors carry user-safe messages: a *baton.Error
// from Connect and Receive, a *SendError from Send.
type Adapter interface {
	// Kind is the channel kind (baton.ChannelTelegram, …).
	Kind() string
	// Fields lists the configuration fields of the kind, in the order the console shows them.
	Fields() []Field
	// Connect checks a new configuration with the provider and registers hookURL as its
	// webhook where the provider allows it. A refusal is EINVALID with the reason.
	Connect(ctx context.Context, c *store.ChannelConfig, hookURL string) error
	// Receive authenticates one webhook request whose body was read already, and parses
	// it: EUNAUTHORIZED when the signature or secret is missing, EFORBIDDEN when it is
	// wrong, EINVALID when the body is not what the provider sends.
	Receive(ctx context.Context, c *store.ChannelConfig, r *http.Request, body []byte) (*Batch, error)
	// Send delivers one message and returns the provider's id for it.
	Send(ctx context.Context, c *store.ChannelConfig, m *Outbound) (string, error)
}

// Verifier is an Adapter whose provider checks the webhook URL with a GET first (the
// Graph API's hub.challenge).
type Verifier interface {
	// Verify answers the provider's verification request: the challenge to echo, or
	// EFORBIDDEN.
	Verify(c *store.ChannelConfig, r *http.Request) (string, error)
}

// Field describes one configuration field of a channel kind.
type Field struct {
	Name string `json:"name"`
	// Type is "string", "int" or "bool".
	Type string `json:"type"`
	// Secret fields are stored sealed and never shown again.
	Secret   bool `json:"secret"`
	Required bool `json:"required"`
	// Generated secrets are made up by Baton when left empty.
	Generated bool `json:"generated,omitempty"`
}

// Batch is what one webhook request brought.
type Batch struct {
	Messages []*Inbound
	// Statuses are delivery receipts of outbound messages.
	Statuses []Status
	// Reads are read watermarks: everything sent to the visitor until then was read.
	Reads []Read
}

// Inbound is a visitor's message received from a provider; its files are still there.
type Inbound struct {
	store.InboundMessage
	Files []File
	// NameLookup, when set, asks the provider for the visitor's name; it is called only
	// for a visitor the chatbot does not know by name yet.
	NameLookup func(ctx context.Context) string
}

// File is a file of an inbound message, fetched only when the message is new.
type File struct {
	Name string
	// Open fetches the file's bytes from the provider.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Status is a delivery receipt for an outbound message, by the provider's id.
type Status struct {
	ExternalID string
	// Status is baton.DeliverySent, DeliveryDelivered, DeliveryRead or DeliveryFailed.
	Status string
	Reason string
}

// Read says the visitor read everything sent to them until a time.
type Read struct {
	SessionID string
	Until     time.Time
}

// Outbound is one message to deliver.
type Outbound struct {
	*store.OutboundMessage
	// Tag is the Messenger message tag to send with (HUMAN_AGENT after 24 hours).
	Tag string
	// Template, when set, is sent instead of the text (WhatsApp).
	Template *store.TemplateSend
	// Open reads an attachment's bytes.
	Open func(ctx context.Context, f store.OutboundFile) (io.ReadCloser, error)
}

// SendError is why a provider did not take a message. Reason is safe to show to the
// team (it never holds a token); Permanent errors are not retried; RetryAfter > 0 asks
// to wait that long (rate limits).
type SendError struct {
	Reason     string
	Permanent  bool
	RetryAfter time.Duration
}

func (e *SendError) Error() string { return e.Reason }

// Temporary is a failure worth retrying (network, 5xx).
func Temporary(format string, args ...any) error {
	return &SendError{Reason: fmt.Sprintf(format, args...)}
}

// Permanent is a failure retrying will not fix (blocked, invalid recipient, closed window).
func Permanent(format string, args ...any) error {
	return &SendError{Reason: fmt.Sprintf(format, args...), Permanent: true}
}

// RateLimited asks to try again after a while.
func RateLimited(after time.Duration, format string, args ...any) error {
	if after <= 0 {
		after = 30 * time.Second
	}
	return &SendError{Reason: fmt.Sprintf(format, args...), RetryAfter: after}
}

// AsSendError returns err as a *SendError; anything else is a temporary failure with a
// generic reason.
func AsSendError(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Reason: "The message could not be sent."}
}
