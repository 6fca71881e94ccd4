package baton

import "time"

// Outgoing webhook events (X5): what a subscription may ask for.
const (
	WebhookConversationCreated       = "conversation.created"
	WebhookConversationStatusChanged = "conversation.status_changed"
	WebhookConversationAssigned      = "conversation.assigned"
	WebhookConversationClosed        = "conversation.closed"
	WebhookMessageCreated            = "message.created"
	WebhookHandoffStarted            = "handoff.started"
	WebhookHandoffEnded              = "handoff.ended"
	WebhookTicketCreated             = "ticket.created"
	// WebhookPing is sent only by the "test" button of a subscription.
	WebhookPing = "ping"
)

// WebhookEvents lists the events a subscription may name.
var WebhookEvents = []string{WebhookConversationCreated, WebhookConversationStatusChanged, WebhookConversationAssigned,
	WebhookConversationClosed, WebhookMessageCreated, WebhookHandoffStarted, WebhookHandoffEnded, WebhookTicketCreated}

// Webhook is an account's subscription to outgoing events (X5). Secret signs the bodies;
// it is shown once, when the subscription is created or its secret rotated.
type Webhook struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events"`
	Active      bool      `json:"active"`
	Secret      string    `json:"secret,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// WebhookInput creates a subscription.
type WebhookInput struct {
	URL         string
	Description string
	Events      []string
	Active      *bool
}

// WebhookUpdate changes a subscription; nil fields are left alone.
type WebhookUpdate struct {
	URL         *string
	Description *string
	Events      *[]string
	Active      *bool
}

// Kinds of webhook deliveries: to a subscription, or to a chatbot's (or the account's)
// handover and message webhooks of the external handover (X1, X3).
const (
	DeliveryKindEvent    = "event"
	DeliveryKindHandover = "handover"
	DeliveryKindMessage  = "message"
)

// Statuses of a webhook delivery.
const (
	WebhookPending   = "pending"   // not tried yet
	WebhookRetrying  = "retrying"  // failed, another attempt is scheduled
	WebhookSucceeded = "succeeded" // the receiver answered 2xx
	WebhookFailed    = "failed"    // the last attempt failed, or the target is refused
)

// WebhookDelivery is one event sent (or to be sent) to one URL, with its log.
type WebhookDelivery struct {
	ID             string           `json:"id"`
	WebhookID      string           `json:"webhook_id,omitempty"`
	Kind           string           `json:"kind"`
	Event          string           `json:"event"`
	URL            string           `json:"url"`
	Status         string           `json:"status"`
	Attempts       int              `json:"attempts"`
	MaxAttempts    int              `json:"max_attempts"`
	LastStatusCode int              `json:"last_status_code"`
	LastError      string           `json:"last_error"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	CompletedAt    *time.Time       `json:"completed_at"`
	Log            []WebhookAttempt `json:"log"`
}

// WebhookAttempt is one try of a delivery: the receiver's status code (0 when none
// answered), how long it took, and what went wrong.
type WebhookAttempt struct {
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code"`
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error"`
	At         time.Time `json:"at"`
}

// IntegrationSettings are an account's settings of the external handover: the message
// webhook used when a chatbot has none (X3), and whether the secret that signs the
// handover and message webhooks was ever revealed. SigningSecret is set only in the answer
// that reveals a new one.
type IntegrationSettings struct {
	MessageWebhookURL string `json:"message_webhook_url"`
	SigningSecretSet  bool   `json:"signing_secret_set"`
	SigningSecret     string `json:"signing_secret,omitempty"`
}

// Handover is where a visitor's conversation stands for an external desk (X2–X4).
type Handover struct {
	ConversationID string `json:"conversation_id"`
	BotID          string `json:"bot_id"`
	SessionID      string `json:"session_id"`
	Status         Status `json:"status"`
	// ListenMode is true while the external desk holds the conversation: the bot is silent
	// and every visitor message goes to the message webhook.
	ListenMode bool `json:"listen_mode"`
	// Changed is false when the call found the conversation already as asked.
	Changed bool `json:"changed"`
}

// Types of the data fields post-chat analysis extracts (P1).
const (
	FieldString  = "string"
	FieldNumber  = "number"
	FieldInteger = "integer"
	FieldBoolean = "boolean"
	FieldEmail   = "email"
	FieldPhone   = "phone"
	FieldDate    = "date" // YYYY-MM-DD
)

// FieldTypes lists the field types.
var FieldTypes = []string{FieldString, FieldNumber, FieldInteger, FieldBoolean, FieldEmail, FieldPhone, FieldDate}

// AnalysisField is a data field a chatbot's analysis extracts from conversations, such as
// an order number. Pattern, when set, is a regular expression (RE2) the value must match;
// the built-in analyser also finds values with it.
type AnalysisField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Pattern     string `json:"pattern"`
}

// Analysis statuses and reasons.
const (
	AnalysisPending = "pending"
	AnalysisDone    = "done"
	// AnalysisFailed: the job gave up (every attempt failed); Error says so, and a result
	// of an earlier run, if any, stays.
	AnalysisFailed = "failed"

	AnalysisOnClose  = "close"
	AnalysisOnDemand = "manual"

	EngineLLM     = "llm"
	EngineBuiltin = "builtin"
)

// Analysis is the post-chat analysis of a conversation (P1).
type Analysis struct {
	ConversationID string `json:"conversation_id"`
	// Status is pending until the job has computed it, then done — or failed when the
	// job gave up.
	Status string `json:"status"`
	// Reason says what asked for it: the conversation closed, or someone asked (manual).
	Reason string `json:"reason"`
	// Engine is llm (the chatbot's model) or builtin (the offline analyser).
	Engine    string           `json:"engine"`
	Model     string           `json:"model"`
	Summary   string           `json:"summary"`
	Sentiment SentimentScore   `json:"sentiment"`
	Fields    []ExtractedField `json:"fields"`
	// Entities are what the built-in heuristics recognise in the visitor's messages,
	// whatever the fields configured.
	Entities Entities `json:"entities"`
	// Error says what went wrong on the last failed attempt, if any (for example the model
	// failed and the built-in analyser stood in).
	Error       string    `json:"error"`
	Attempts    int       `json:"attempts"`
	RequestedAt time.Time `json:"requested_at"`
	// CompletedAt is when the result shown was computed (nil before the first one).
	CompletedAt *time.Time `json:"completed_at"`
}

// SentimentScore is the visitor's sentiment: positive, neutral or negative, with a score
// from -1 (very negative) to 1 (very positive).
type SentimentScore struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// ExtractedField is the value found for a configured field: a string, number or boolean
// by the field's type, or nil when the conversation does not say.
type ExtractedField struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Entities are emails, phone numbers and order-like ids found in a conversation.
type Entities struct {
	Emails   []string `json:"emails"`
	Phones   []string `json:"phones"`
	OrderIDs []string `json:"order_ids"`
}
