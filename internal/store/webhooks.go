package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/riverqueue/river"
)

// Outgoing webhooks (X5): an account's subscriptions to events, and the deliveries of
// every outgoing webhook (subscriptions, and the external handover's handover and message
// webhooks), each a durable job with its log of attempts.

// WebhookSecretPrefix starts every webhook signing secret.
const WebhookSecretPrefix = "whsec_"

// Webhook limits.
const (
	MaxWebhooks               = 20
	MaxWebhookDescription     = 200
	DefaultWebhookMaxAttempts = 8
)

// WebhookDeliveryArgs is the job that sends one delivery.
type WebhookDeliveryArgs struct {
	AccountID  string `json:"account_id"`
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job for River.
func (WebhookDeliveryArgs) Kind() string { return "webhook_delivery" }

func webhookFromRow(w db.Webhook) *baton.Webhook {
	return &baton.Webhook{ID: w.ID, URL: w.Url, Description: w.Description, Events: splitEvents(w.Events), Active: w.Active,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func splitEvents(s string) []string {
	out := []string{}
	for _, e := range strings.Split(s, ",") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// checkEvents validates and deduplicates a subscription's events, in the canonical order.
func checkEvents(events []string) (string, error) {
	if len(events) == 0 {
		return "", baton.Invalid("A webhook needs at least one event: %s.", strings.Join(baton.WebhookEvents, ", "))
	}
	for _, e := range events {
		if !slices.Contains(baton.WebhookEvents, e) {
			return "", baton.Invalid("Unknown event %q: use %s.", e, strings.Join(baton.WebhookEvents, ", "))
		}
	}
	var out []string
	for _, e := range baton.WebhookEvents {
		if slices.Contains(events, e) {
			out = append(out, e)
		}
	}
	return strings.Join(out, ","), nil
}

func checkWebhookURL(u string) error {
	if strings.TrimSpace(u) == "" {
		return baton.Invalid("url is required.")
	}
	return checkHTTPURL("url", u)
}

func checkDescription(s string) error {
	if utf8.RuneCountInString(s) > MaxWebhookDescription {
		return baton.Invalid("description is too long (%d characters at most).", MaxWebhookDescription)
	}
	return nil
}

// CreateWebhook subscribes a URL of the actor's account to events; the secret that signs
// the deliveries is returned this once. EINVALID for a bad URL or event, ECONFLICT past
// MaxWebhooks subscriptions.
func (d *DB) CreateWebhook(ctx context.Context, in baton.WebhookInput) (*baton.Webhook, error) {
	a := baton.ActorFromContext(ctx)
	in.URL = strings.TrimSpace(in.URL)
	if err := checkWebhookURL(in.URL); err != nil {
		return nil, err
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	events, err := checkEvents(in.Events)
	if err != nil {
		return nil, err
	}
	active := in.Active == nil || *in.Active
	secret := randomToken(WebhookSecretPrefix)
	var row db.Webhook
	err = d.Write(ctx, func(tx *Tx) error {
		existing, err := tx.ListWebhooks(ctx, a.AccountID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxWebhooks {
			return baton.Errorf(baton.ECONFLICT, "An account has at most %d webhooks.", MaxWebhooks)
		}
		row = db.Webhook{ID: d.NewID(), AccountID: a.AccountID, Url: in.URL, Description: strings.TrimSpace(in.Description),
			Events: events, Secret: d.seal(secret), Active: active, CreatedAt: tx.Now(), UpdatedAt: tx.Now()}
		return tx.CreateWebhook(ctx, db.CreateWebhookParams{ID: row.ID, AccountID: row.AccountID, Url: row.Url,
			Description: row.Description, Events: row.Events, Secret: row.Secret, Active: row.Active, CreatedAt: row.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	d.webhookSubs().invalidate(a.AccountID)
	w := webhookFromRow(row)
	w.Secret = secret
	return w, nil
}

// ListWebhooks lists the actor's account's subscriptions (without secrets).
func (d *DB) ListWebhooks(ctx context.Context) ([]*baton.Webhook, error) {
	rows, err := d.read().ListWebhooks(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out := make([]*baton.Webhook, len(rows))
	for i, r := range rows {
		out[i] = webhookFromRow(r)
	}
	return out, nil
}

// FindWebhook returns a subscription of the actor's account (ENOTFOUND otherwise).
func (d *DB) FindWebhook(ctx context.Context, id string) (*baton.Webhook, error) {
	w, err := d.read().GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: baton.ActorFromContext(ctx).AccountID})
	if isNoRows(err) {
		return nil, baton.NotFound("Webhook")
	} else if err != nil {
		return nil, fmt.Errorf("find webhook: %w", err)
	}
	return webhookFromRow(w), nil
}

// UpdateWebhook changes a subscription of the actor's account.
func (d *DB) UpdateWebhook(ctx context.Context, id string, up baton.WebhookUpdate) (*baton.Webhook, error) {
	a := baton.ActorFromContext(ctx)
	var out db.Webhook
	err := d.Write(ctx, func(tx *Tx) error {
		w, err := tx.GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: a.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Webhook")
		} else if err != nil {
			return err
		}
		if up.URL != nil {
			u := strings.TrimSpace(*up.URL)
			if err := checkWebhookURL(u); err != nil {
				return err
			}
			w.Url = u
		}
		if up.Description != nil {
			if err := checkDescription(*up.Description); err != nil {
				return err
			}
			w.Description = strings.TrimSpace(*up.Description)
		}
		if up.Events != nil {
			if w.Events, err = checkEvents(*up.Events); err != nil {
				return err
			}
		}
		if up.Active != nil {
			w.Active = *up.Active
		}
		w.UpdatedAt = tx.Now()
		out = w
		return tx.UpdateWebhook(ctx, db.UpdateWebhookParams{ID: w.ID, AccountID: w.AccountID, Url: w.Url,
			Description: w.Description, Events: w.Events, Active: w.Active, UpdatedAt: w.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	d.webhookSubs().invalidate(a.AccountID)
	return webhookFromRow(out), nil
}

// RotateWebhookSecret gives a subscription a new secret, returned this once.
func (d *DB) RotateWebhookSecret(ctx context.Context, id string) (*baton.Webhook, error) {
	a := baton.ActorFromContext(ctx)
	secret := randomToken(WebhookSecretPrefix)
	var out db.Webhook
	err := d.Write(ctx, func(tx *Tx) error {
		w, err := tx.GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: a.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Webhook")
		} else if err != nil {
			return err
		}
		w.UpdatedAt = tx.Now()
		out = w
		return tx.SetWebhookSecret(ctx, db.SetWebhookSecretParams{ID: id, AccountID: a.AccountID, Secret: d.seal(secret), UpdatedAt: w.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	w := webhookFromRow(out)
	w.Secret = secret
	return w, nil
}

// DeleteWebhook removes a subscription of the actor's account with its deliveries; jobs
// still queued for it find nothing to send.
func (d *DB) DeleteWebhook(ctx context.Context, id string) error {
	a := baton.ActorFromContext(ctx)
	err := d.Write(ctx, func(tx *Tx) error {
		n, err := tx.DeleteWebhook(ctx, db.DeleteWebhookParams{ID: id, AccountID: a.AccountID})
		if err != nil {
			return err
		}
		if n == 0 {
			return baton.NotFound("Webhook")
		}
		return nil
	})
	if err == nil {
		d.webhookSubs().invalidate(a.AccountID)
	}
	return err
}

// PingWebhook queues a ping delivery to a subscription, whatever its events, so that an
// admin can check the receiver and its signature check.
func (d *DB) PingWebhook(ctx context.Context, id string) (*baton.WebhookDelivery, error) {
	a := baton.ActorFromContext(ctx)
	var deliveryID string
	err := d.Write(ctx, func(tx *Tx) error {
		w, err := tx.GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: a.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Webhook")
		} else if err != nil {
			return err
		}
		if d.Jobs == nil {
			return errNoJobs
		}
		payload := eventPayload{OccurredAt: tx.Now(), Data: map[string]any{"webhook_id": w.ID, "message": "Hello from Baton."}}
		deliveryID, err = d.queueDelivery(ctx, tx, a.AccountID, &w.ID, baton.DeliveryKindEvent, baton.WebhookPing, w.Url,
			mustJSON(payload), DefaultWebhookMaxAttempts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.findDelivery(ctx, a.AccountID, deliveryID)
}

// eventPayload is what a subscription's delivery stores: the envelope but for the fields
// of each attempt (id, event, timestamp, attempt), added when it is sent.
type eventPayload struct {
	ConversationID string    `json:"conversation_id,omitempty"`
	OccurredAt     time.Time `json:"occurred_at"`
	Data           any       `json:"data"`
}

// queueDelivery stores a delivery and enqueues its job in tx. Without a job queue (tests
// of other parts, CLI tools) nothing is stored: nothing would ever send it.
func (d *DB) queueDelivery(ctx context.Context, tx *Tx, accountID string, webhookID *string, kind, event, url string, payload []byte, maxAttempts int) (string, error) {
	if d.Jobs == nil {
		return "", nil
	}
	id := d.NewID()
	if err := tx.CreateWebhookDelivery(ctx, db.CreateWebhookDeliveryParams{ID: id, AccountID: accountID, WebhookID: webhookID,
		Kind: kind, Event: event, Url: url, Payload: string(payload), MaxAttempts: int64(maxAttempts), CreatedAt: tx.Now()}); err != nil {
		return "", fmt.Errorf("create webhook delivery: %w", err)
	}
	if err := d.Jobs.InsertTx(ctx, tx, WebhookDeliveryArgs{AccountID: accountID, DeliveryID: id},
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

func (d *DB) withLog(ctx context.Context, rows []db.WebhookDelivery) ([]*baton.WebhookDelivery, error) {
	out := make([]*baton.WebhookDelivery, len(rows))
	for i, r := range rows {
		out[i] = deliveryFromRow(r)
		atts, err := d.read().ListWebhookAttempts(ctx, r.ID)
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

func (d *DB) findDelivery(ctx context.Context, accountID, id string) (*baton.WebhookDelivery, error) {
	r, err := d.read().GetWebhookDelivery(ctx, id)
	if isNoRows(err) || (err == nil && r.AccountID != accountID) {
		return nil, baton.NotFound("Delivery")
	} else if err != nil {
		return nil, fmt.Errorf("find delivery: %w", err)
	}
	out, err := d.withLog(ctx, []db.WebhookDelivery{r})
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
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	return cursor, limit
}

// ListWebhookDeliveries returns a subscription's delivery log, newest first, each delivery
// with its attempts. cursor is the next_cursor of the previous page.
func (d *DB) ListWebhookDeliveries(ctx context.Context, webhookID, cursor string, limit int) (*DeliveryPage, error) {
	a := baton.ActorFromContext(ctx)
	if _, err := d.FindWebhook(ctx, webhookID); err != nil {
		return nil, err
	}
	cursor, limit = pageArgs(cursor, limit)
	rows, err := d.read().ListWebhookDeliveries(ctx, db.ListWebhookDeliveriesParams{WebhookID: &webhookID, AccountID: a.AccountID,
		ID: cursor, Limit: int32(limit + 1)})
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	out, err := d.withLog(ctx, rows)
	if err != nil {
		return nil, err
	}
	return deliveryPage(out, limit), nil
}

// ListIntegrationDeliveries returns the log of the handover and message webhooks of the
// actor's account, newest first.
func (d *DB) ListIntegrationDeliveries(ctx context.Context, cursor string, limit int) (*DeliveryPage, error) {
	a := baton.ActorFromContext(ctx)
	cursor, limit = pageArgs(cursor, limit)
	rows, err := d.read().ListIntegrationDeliveries(ctx, db.ListIntegrationDeliveriesParams{AccountID: a.AccountID,
		ID: cursor, Limit: int32(limit + 1)})
	if err != nil {
		return nil, fmt.Errorf("integration deliveries: %w", err)
	}
	out, err := d.withLog(ctx, rows)
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
func (d *DB) DeliveryToSend(ctx context.Context, id string) (*OutgoingDelivery, error) {
	r, err := d.read().GetWebhookDelivery(ctx, id)
	if isNoRows(err) {
		return nil, baton.NotFound("Delivery")
	} else if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	out := &OutgoingDelivery{ID: r.ID, AccountID: r.AccountID, Kind: r.Kind, Event: r.Event, URL: r.Url, Status: r.Status,
		Payload: json.RawMessage(r.Payload)}
	if r.WebhookID != nil {
		w, err := d.read().GetWebhook(ctx, db.GetWebhookParams{ID: *r.WebhookID, AccountID: r.AccountID})
		if isNoRows(err) {
			return nil, baton.NotFound("Webhook")
		} else if err != nil {
			return nil, fmt.Errorf("delivery webhook: %w", err)
		}
		if out.Secret, err = d.Unseal(w.Secret); err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		return out, nil
	}
	if out.Secret, err = d.signingSecret(ctx, r.AccountID); err != nil {
		return nil, err
	}
	return out, nil
}

// RecordDeliveryAttempt logs one attempt and sets the delivery's status: succeeded,
// retrying (another attempt is scheduled) or failed (the last one).
func (d *DB) RecordDeliveryAttempt(ctx context.Context, id string, att baton.WebhookAttempt, status string) error {
	return d.Write(ctx, func(tx *Tx) error {
		r, err := tx.GetWebhookDelivery(ctx, id)
		if isNoRows(err) {
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

// webhookSub is a subscription as the integrations hook matches it.
type webhookSub struct {
	id, url string
	events  []string
}

// subsCache keeps each account's active subscriptions for a few seconds, so that the
// integrations hook does not query them in every transaction. Changes made through this
// DB invalidate it at once; other nodes see them within subsTTL.
type subsCache struct {
	mu sync.Mutex
	m  map[string]subsEntry
}

type subsEntry struct {
	at   time.Time
	subs []webhookSub
}

// subsTTL is how long a node trusts its cached subscriptions. It is wall-clock time, not
// the store's clock: tests that stop the store's clock must not freeze the cache.
const subsTTL = 5 * time.Second

var subsCaches sync.Map // *DB → *subsCache

func (d *DB) webhookSubs() *subsCache {
	v, _ := subsCaches.LoadOrStore(d, &subsCache{m: map[string]subsEntry{}})
	return v.(*subsCache)
}

func (c *subsCache) invalidate(accountID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, accountID)
}

// subscribers returns the account's active subscriptions to event.
func (c *subsCache) subscribers(ctx context.Context, tx *Tx, accountID, event string) ([]webhookSub, error) {
	c.mu.Lock()
	e, ok := c.m[accountID]
	c.mu.Unlock()
	if !ok || time.Since(e.at) > subsTTL {
		rows, err := tx.ActiveWebhooks(ctx, accountID)
		if err != nil {
			return nil, fmt.Errorf("active webhooks: %w", err)
		}
		e = subsEntry{at: time.Now()}
		for _, r := range rows {
			e.subs = append(e.subs, webhookSub{id: r.ID, url: r.Url, events: splitEvents(r.Events)})
		}
		c.mu.Lock()
		c.m[accountID] = e
		c.mu.Unlock()
	}
	var out []webhookSub
	for _, s := range e.subs {
		if slices.Contains(s.events, event) {
			out = append(out, s)
		}
	}
	return out, nil
}
