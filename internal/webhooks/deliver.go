package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// Envelope is the body of a subscription's delivery (X5). ID is the delivery's id (the
// same on every attempt: receivers deduplicate with it); Timestamp and Attempt are those
// of this attempt; Data depends on Event (docs/integrations.md).
type Envelope struct {
	ID             string          `json:"id"`
	Event          string          `json:"event"`
	AccountID      string          `json:"account_id"`
	ConversationID string          `json:"conversation_id,omitempty"`
	OccurredAt     time.Time       `json:"occurred_at"`
	Timestamp      int64           `json:"timestamp"`
	Attempt        int             `json:"attempt"`
	Data           json.RawMessage `json:"data"`
}

// Body builds what an attempt of a delivery sends.
func Body(d *OutgoingDelivery, attempt int, now time.Time) ([]byte, error) {
	switch d.Kind {
	case baton.DeliveryKindEvent:
		var p struct {
			ConversationID string          `json:"conversation_id"`
			OccurredAt     time.Time       `json:"occurred_at"`
			Data           json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			return nil, fmt.Errorf("delivery payload: %w", err)
		}
		return json.Marshal(Envelope{ID: d.ID, Event: d.Event, AccountID: d.AccountID, ConversationID: p.ConversationID,
			OccurredAt: p.OccurredAt, Timestamp: now.Unix(), Attempt: attempt, Data: p.Data})
	case baton.DeliveryKindMessage:
		var m MessageWebhookBody
		if err := json.Unmarshal(d.Payload, &m); err != nil {
			return nil, fmt.Errorf("delivery payload: %w", err)
		}
		m.Timestamp = now.Unix()
		return json.Marshal(m)
	}
	// The handover webhook's body is the reference's, as stored.
	return d.Payload, nil
}

// DefaultBackoff waits 10 s after the first failure, then three times longer after each
// (30 s, 90 s, 4.5 min, …), at most 6 hours: eight attempts span about three hours.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 3
	}
	return min(d, 6*time.Hour)
}

// Deliverer is the job that sends one webhook delivery: it signs the body, POSTs it
// through the guarded client, logs the attempt, and leaves the retries to the job queue
// (with Backoff between attempts) until the last attempt, which marks the delivery failed.
// A refused target fails at once.
type Deliverer struct {
	river.WorkerDefaults[DeliveryArgs]
	DB *store.DB
	// Client sends the requests: outbound.Guard.Client, so that the SSRF guard holds.
	Client *http.Client
	Logger *slog.Logger
	// Backoff is the wait after a failed attempt n (nil: DefaultBackoff).
	Backoff func(attempt int) time.Duration
	// Now stamps the attempts (nil: time.Now).
	Now func() time.Time
}

// NextRetry schedules the next attempt after a failure.
func (w *Deliverer) NextRetry(job *river.Job[DeliveryArgs]) time.Time {
	b := w.Backoff
	if b == nil {
		b = DefaultBackoff
	}
	return time.Now().Add(b(job.Attempt))
}

// Timeout bounds one attempt (the client's own timeout is the real bound).
func (w *Deliverer) Timeout(*river.Job[DeliveryArgs]) time.Duration { return time.Minute }

// Work makes one attempt.
func (w *Deliverer) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	d, err := DeliveryToSend(ctx, w.DB, job.Args.DeliveryID)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil // deleted with its subscription
	} else if err != nil {
		return err
	}
	if d.Status == baton.WebhookSucceeded || d.Status == baton.WebhookFailed {
		return nil
	}
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	body, err := Body(d, job.Attempt, now)
	if err != nil {
		return river.JobCancel(err)
	}
	start := time.Now()
	code, sendErr := w.send(ctx, d, job.Attempt, body, now)
	att := baton.WebhookAttempt{Attempt: job.Attempt, StatusCode: code, DurationMS: time.Since(start).Milliseconds()}
	var refused *outbound.TargetError
	status := baton.WebhookSucceeded
	switch {
	case sendErr == nil:
	case errors.As(sendErr, &refused):
		att.Error, status = refused.Error(), baton.WebhookFailed
	case job.Attempt >= job.MaxAttempts:
		att.Error, status = sendErr.Error()+" (last attempt: given up)", baton.WebhookFailed
	default:
		att.Error, status = sendErr.Error(), baton.WebhookRetrying
	}
	if err := RecordDeliveryAttempt(context.WithoutCancel(ctx), w.DB, d.ID, att, status); err != nil {
		return err
	}
	switch status {
	case baton.WebhookSucceeded:
		return nil
	case baton.WebhookFailed:
		if w.Logger != nil {
			w.Logger.Warn("webhook delivery failed", "delivery", d.ID, "event", d.Event, "attempt", job.Attempt, "err", att.Error)
		}
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// send POSTs the signed body; any answer but 2xx is an error.
func (w *Deliverer) send(ctx context.Context, d *OutgoingDelivery, attempt int, body []byte, now time.Time) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, &outbound.TargetError{Addr: d.URL, Reason: "not a valid URL"}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Baton-Webhooks/1")
	h.Set(SignatureHeader, Sign(d.Secret, body))
	h.Set(TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	h.Set(EventHeader, d.Event)
	h.Set(DeliveryHeader, d.ID)
	h.Set(AttemptHeader, strconv.Itoa(attempt))
	client := w.Client
	if client == nil {
		client = outbound.Guard{}.Client(10 * time.Second)
	}
	resp, err := client.Do(req)
	if err != nil {
		var refused *outbound.TargetError
		if errors.As(err, &refused) {
			return 0, refused
		}
		return 0, fmt.Errorf("no answer: %s", transportReason(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, nil
	}
	msg := fmt.Sprintf("the receiver answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	if s := strings.TrimSpace(string(snippet)); s != "" && utf8.ValidString(s) {
		msg += ": " + strings.Join(strings.Fields(s), " ")
	}
	return resp.StatusCode, errors.New(msg)
}

// transportReason is a transport error without the URL (already in the log).
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
