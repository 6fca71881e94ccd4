package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/riverqueue/river"
)

// DeliveryArgs is the job that sends one delivery.
type DeliveryArgs struct {
	AccountID  string `json:"account_id"`
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job for River.
func (DeliveryArgs) Kind() string { return "webhook_delivery" }

// eventPayload is what a subscription's delivery stores: the envelope but for the fields
// of each attempt (id, event, timestamp, attempt), added when it is sent.
type eventPayload struct {
	ConversationID string    `json:"conversation_id,omitempty"`
	OccurredAt     time.Time `json:"occurred_at"`
	Data           any       `json:"data"`
}

// queueDelivery stores a delivery and enqueues its job in tx. Without a job queue (tests
// of other parts, CLI tools) nothing is stored: nothing would ever send it.
func queueDelivery(ctx context.Context, d *store.DB, tx *store.Tx, accountID string, webhookID *string, kind, event, url string, payload []byte, maxAttempts int) (string, error) {
	if d.Jobs == nil {
		return "", nil
	}
	id := d.NewID()
	if err := tx.CreateWebhookDelivery(ctx, db.CreateWebhookDeliveryParams{ID: id, AccountID: accountID, WebhookID: webhookID,
		Kind: kind, Event: event, Url: url, Payload: string(payload), MaxAttempts: int64(maxAttempts), CreatedAt: tx.Now()}); err != nil {
		return "", fmt.Errorf("create webhook delivery: %w", err)
	}
	if err := d.Jobs.InsertTx(ctx, tx, DeliveryArgs{AccountID: accountID, DeliveryID: id},
		&river.InsertOpts{MaxAttempts: maxAttempts}); err != nil {
		return "", err
	}
	return id, nil
}

func deliveryFromRow(r db.WebhookDelivery) *baton.WebhookDelivery {
	return &baton.WebhookDelivery{ID: r.ID, WebhookID: deref(r.WebhookID), Kind: r.Kind, Event: r.Event, URL: r.Url,
		Status: r.Status, Attempts: int(r.Attempts), MaxAttempts: int(r.MaxAttempts), LastStatusCode: int(r.LastStatusCode),
		LastError: r.LastError, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CompletedAt: r.CompletedAt, Log: []baton.WebhookAttempt{}}
}

func withLog(ctx context.Context, d *store.DB, rows []db.WebhookDelivery) ([]*baton.WebhookDelivery, error) {
	out := make([]*baton.WebhookDelivery, len(rows))
	for i, r := range rows {
		out[i] = deliveryFromRow(r)
		atts, err := db.New(d.Reader()).ListWebhookAttempts(ctx, r.ID)
		if err != nil {
			return nil, fmt.Errorf("webhook attempts: %w", err)
		}
		for _, a := range atts {
			out[i].Log = append(out[i].Log, baton.WebhookAttempt{Attempt: int(a.Attempt), StatusCode: int(a.StatusCode),
				DurationMS: a.DurationMs, Error: a.Error, At: a.CreatedAt})
		}
	}
	return out, nil
}

func findDelivery(ctx context.Context, d *store.DB, accountID, id string) (*baton.WebhookDelivery, error) {
	r, err := db.New(d.Reader()).GetWebhookDelivery(ctx, id)
	if store.IsNoRows(err) || (err == nil && r.AccountID != accountID) {
		return nil, baton.NotFound("Delivery")
	} else if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	out, err := withLog(ctx, d, []db.WebhookDelivery{r})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// DeliveryPage is a page of the delivery log, newest first.
type DeliveryPage struct {
	Deliveries []*baton.WebhookDelivery `json:"deliveries"`
	NextCursor string                   `json:"next_cursor"`
}

func deliveryPage(out []*baton.WebhookDelivery, limit int) *DeliveryPage {
	p := &DeliveryPage{Deliveries: out}
	if len(out) > limit {
		p.Deliveries = out[:limit]
		p.NextCursor = out[limit-1].ID
	}
	return p
}

func pageArgs(cursor string, limit int) (string, int) {
	if cursor == "" {
		cursor = "zzzzzzzz" // after every id (ids are lower-case hex UUIDs), whatever the collation
	}
	if limit <= 0 || limit > store.MaxPageSize {
		limit = store.DefaultPageSize
	}
	return cursor, limit
}

// ListDeliveries returns a subscription's delivery log, newest first, each delivery with
// its attempts. cursor is the next_cursor of the previous page.
func ListDeliveries(ctx context.Context, d *store.DB, webhookID, cursor string, limit int) (*DeliveryPage, error) {
	a := baton.ActorFromContext(ctx)
	if _, err := Find(ctx, d, webhookID); err != nil {
		return nil, err
	}
	cursor, limit = pageArgs(cursor, limit)
	rows, err := db.New(d.Reader()).ListWebhookDeliveries(ctx, db.ListWebhookDeliveriesParams{WebhookID: &webhookID, AccountID: a.AccountID,
		ID: cursor, Limit: int32(limit + 1)})
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	out, err := withLog(ctx, d, rows)
	if err != nil {
		return nil, err
	}
	return deliveryPage(out, limit), nil
}

// ListIntegrationDeliveries returns the log of the handover and message webhooks of the
// actor's account, newest first.
func ListIntegrationDeliveries(ctx context.Context, d *store.DB, cursor string, limit int) (*DeliveryPage, error) {
	a := baton.ActorFromContext(ctx)
	cursor, limit = pageArgs(cursor, limit)
	rows, err := db.New(d.Reader()).ListIntegrationDeliveries(ctx, db.ListIntegrationDeliveriesParams{AccountID: a.AccountID,
		ID: cursor, Limit: int32(limit + 1)})
	if err != nil {
		return nil, fmt.Errorf("integration deliveries: %w", err)
	}
	out, err := withLog(ctx, d, rows)
	if err != nil {
		return nil, err
	}
	return deliveryPage(out, limit), nil
}

// OutgoingDelivery is what the delivery job sends.
type OutgoingDelivery struct {
	ID        string
	AccountID string
	Kind      string
	Event     string
	URL       string
	Status    string
	// Payload is the stored body (handover, message) or envelope part (event).
	Payload json.RawMessage
	// Secret signs the body: the subscription's, or the account's signing secret.
	Secret string
}

// DeliveryToSend loads a delivery for its job. ENOTFOUND when it (or its subscription)
// was deleted meanwhile.
func DeliveryToSend(ctx context.Context, d *store.DB, id string) (*OutgoingDelivery, error) {
	r, err := db.New(d.Reader()).GetWebhookDelivery(ctx, id)
	if store.IsNoRows(err) {
		return nil, baton.NotFound("Delivery")
	} else if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	out := &OutgoingDelivery{ID: r.ID, AccountID: r.AccountID, Kind: r.Kind, Event: r.Event, URL: r.Url, Status: r.Status,
		Payload: json.RawMessage(r.Payload)}
	if r.WebhookID != nil {
		w, err := db.New(d.Reader()).GetWebhook(ctx, db.GetWebhookParams{ID: *r.WebhookID, AccountID: r.AccountID})
		if store.IsNoRows(err) {
			return nil, baton.NotFound("Webhook")
		} else if err != nil {
			return nil, fmt.Errorf("delivery webhook: %w", err)
		}
		if out.Secret, err = d.Unseal(w.Secret); err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		return out, nil
	}
	if out.Secret, err = signingSecret(ctx, d, r.AccountID); err != nil {
		return nil, err
	}
	return out, nil
}

// RecordDeliveryAttempt logs one attempt and sets the delivery's status: succeeded,
// retrying (another attempt is scheduled) or failed (the last one).
func RecordDeliveryAttempt(ctx context.Context, d *store.DB, id string, att baton.WebhookAttempt, status string) error {
	return d.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.GetWebhookDelivery(ctx, id)
		if store.IsNoRows(err) {
			return nil // deleted with its subscription meanwhile
		} else if err != nil {
			return err
		}
		if err := tx.RecordWebhookAttempt(ctx, db.RecordWebhookAttemptParams{DeliveryID: id, Attempt: int64(att.Attempt),
			StatusCode: int64(att.StatusCode), DurationMs: att.DurationMS, Error: truncate(att.Error, 500), CreatedAt: tx.Now()}); err != nil {
			return err
		}
		var done *time.Time
		if status == baton.WebhookSucceeded || status == baton.WebhookFailed {
			done = ptr(tx.Now())
		}
		return tx.UpdateWebhookDelivery(ctx, db.UpdateWebhookDeliveryParams{ID: id, Status: status,
			Attempts: max(r.Attempts, int64(att.Attempt)), LastStatusCode: int64(att.StatusCode), LastError: truncate(att.Error, 500),
			UpdatedAt: tx.Now(), CompletedAt: done})
	})
}
