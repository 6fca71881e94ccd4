package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/baton-chat/baton"
)

// SignatureHeader carries the HMAC-SHA256 of a webhook body (see [Sign]).
const SignatureHeader = "X-Baton-Signature"

// ReasonExternalHandoff is the handoff reason when an external bot asks for a human
// without saying why.
const ReasonExternalHandoff = "The external bot asked for a human"

// Webhook answers with an external bot over HTTP; the protocol is in the package
// documentation.
type Webhook struct {
	URL string
	// Secret signs each body; required.
	Secret string
	// Timeout bounds each request; 0 means DefaultWebhookTimeout.
	Timeout time.Duration
	// Client sends the requests (nil: [DefaultClient]).
	Client *http.Client
	// Now defaults to time.Now (the body's sent_at, Retry-After dates).
	Now func() time.Time
}

type webhookRequest struct {
	ConversationID string `json:"conversation_id"`
	Chatbot        string `json:"chatbot"`
	Language       string `json:"language"`
	Message        string `json:"message"`
	Transcript     []Turn `json:"transcript"`
	SentAt         string `json:"sent_at"`
}

type webhookReply struct {
	Reply   string `json:"reply"`
	Handoff bool   `json:"handoff"`
	Reason  string `json:"reason"`
}

// Sign returns the value of [SignatureHeader] for body: "sha256=" and the hex HMAC-SHA256
// of body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports, in constant time, whether header is the signature of body.
func VerifySignature(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(strings.TrimSpace(header)))
}

// Respond posts the conversation to the external bot and returns its answer. A 204 (the
// bot answers later through the API) is an empty Reply. Errors: ErrNoMessage,
// ErrTimeout, [HTTPError] for any status but 200 and 204, ErrMalformed.
func (w *Webhook) Respond(ctx context.Context, req Request) (Reply, error) {
	i := lastVisitor(req.Transcript)
	if i < 0 {
		return Reply{}, ErrNoMessage
	}
	if w.Secret == "" {
		return Reply{}, fmt.Errorf("bot: webhook %s has no secret", w.URL)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	body, err := json.Marshal(webhookRequest{
		ConversationID: req.ConversationID,
		Chatbot:        req.ChatbotName,
		Language:       req.Language,
		Message:        req.Transcript[i].Content,
		Transcript:     req.Transcript,
		SentAt:         now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return Reply{}, fmt.Errorf("bot: encode webhook request: %w", err)
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Reply{}, fmt.Errorf("bot: webhook request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "Baton")
	hreq.Header.Set(SignatureHeader, Sign(w.Secret, body))

	raw, status, header, err := do(ctx, w.Client, hreq)
	switch {
	case err != nil:
		return Reply{}, err
	case status == http.StatusNoContent:
		return Reply{}, nil
	case status != http.StatusOK:
		return Reply{}, &HTTPError{Status: status, Message: clip(oneLine(string(raw)), 200), RetryAfter: parseRetryAfter(header, now())}
	}
	var ans webhookReply
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&ans); err != nil {
		return Reply{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	reply := Reply{Content: clip(ans.Reply, baton.MaxMessageLength), Handoff: ans.Handoff}
	if ans.Handoff {
		reply.HandoffReason = ReasonExternalHandoff
		if r := oneLine(ans.Reason); r != "" {
			reply.HandoffReason = clip(r, maxReasonRunes)
		}
	} else if reply.Content != "" {
		reply.Confidence = 1
	}
	return reply, nil
}
