// Package webhooks holds the outgoing webhooks: an account's subscriptions to events (X5)
// and the integrations' webhooks — the chatbot's handover webhook (X1) and the message
// webhook of listen mode (X3) — with their settings, which events make a delivery (the
// transaction hook), and the signed deliveries: each a durable job with its log of
// attempts, sent through the SSRF guard of package outbound.
package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/store/db"
)

// SecretPrefix starts every webhook signing secret.
const SecretPrefix = "whsec_"

// Webhook limits.
const (
	MaxWebhooks        = 20
	MaxDescription     = 200
	DefaultMaxAttempts = 8
)

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
	return store.CheckHTTPURL("url", u)
}

func checkDescription(s string) error {
	if utf8.RuneCountInString(s) > MaxDescription {
		return baton.Invalid("description is too long (%d characters at most).", MaxDescription)
	}
	return nil
}

// Create subscribes a URL of the actor's account to events; the secret that signs the
// deliveries is returned this once. EINVALID for a bad URL or event, ECONFLICT past
// MaxWebhooks subscriptions.
func Create(ctx context.Context, d *store.DB, in baton.WebhookInput) (*baton.Webhook, error) {
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
	secret := store.RandomToken(SecretPrefix)
	var row db.Webhook
	err = d.Write(ctx, func(tx *store.Tx) error {
		existing, err := tx.ListWebhooks(ctx, a.AccountID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxWebhooks {
			return baton.Errorf(baton.ECONFLICT, "An account has at most %d webhooks.", MaxWebhooks)
		}
		row = db.Webhook{ID: d.NewID(), AccountID: a.AccountID, Url: in.URL, Description: strings.TrimSpace(in.Description),
			Events: events, Secret: d.Seal(secret), Active: active, CreatedAt: tx.Now(), UpdatedAt: tx.Now()}
		return tx.CreateWebhook(ctx, db.CreateWebhookParams{ID: row.ID, AccountID: row.AccountID, Url: row.Url,
			Description: row.Description, Events: row.Events, Secret: row.Secret, Active: row.Active, CreatedAt: row.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	subsOf(d).invalidate(a.AccountID)
	w := webhookFromRow(row)
	w.Secret = secret
	return w, nil
}

// List lists the actor's account's subscriptions (without secrets).
func List(ctx context.Context, d *store.DB) ([]*baton.Webhook, error) {
	rows, err := db.New(d.Reader()).ListWebhooks(ctx, baton.ActorFromContext(ctx).AccountID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out := make([]*baton.Webhook, len(rows))
	for i, r := range rows {
		out[i] = webhookFromRow(r)
	}
	return out, nil
}

// Find returns a subscription of the actor's account (ENOTFOUND otherwise).
func Find(ctx context.Context, d *store.DB, id string) (*baton.Webhook, error) {
	w, err := db.New(d.Reader()).GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: baton.ActorFromContext(ctx).AccountID})
	if store.IsNoRows(err) {
		return nil, baton.NotFound("Webhook")
	} else if err != nil {
		return nil, fmt.Errorf("find webhook: %w", err)
	}
	return webhookFromRow(w), nil
}

// Update changes a subscription of the actor's account.
func Update(ctx context.Context, d *store.DB, id string, up baton.WebhookUpdate) (*baton.Webhook, error) {
	a := baton.ActorFromContext(ctx)
	var out db.Webhook
	err := d.Write(ctx, func(tx *store.Tx) error {
		w, err := tx.GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: a.AccountID})
		if store.IsNoRows(err) {
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
	subsOf(d).invalidate(a.AccountID)
	return webhookFromRow(out), nil
}

// RotateSecret gives a subscription a new secret, returned this once.
func RotateSecret(ctx context.Context, d *store.DB, id string) (*baton.Webhook, error) {
	a := baton.ActorFromContext(ctx)
	secret := store.RandomToken(SecretPrefix)
	var out db.Webhook
	err := d.Write(ctx, func(tx *store.Tx) error {
		w, err := tx.GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: a.AccountID})
		if store.IsNoRows(err) {
			return baton.NotFound("Webhook")
		} else if err != nil {
			return err
		}
		w.UpdatedAt = tx.Now()
		out = w
		return tx.SetWebhookSecret(ctx, db.SetWebhookSecretParams{ID: id, AccountID: a.AccountID, Secret: d.Seal(secret), UpdatedAt: w.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	w := webhookFromRow(out)
	w.Secret = secret
	return w, nil
}

// Delete removes a subscription of the actor's account with its deliveries; jobs still
// queued for it find nothing to send.
func Delete(ctx context.Context, d *store.DB, id string) error {
	a := baton.ActorFromContext(ctx)
	err := d.Write(ctx, func(tx *store.Tx) error {
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
		subsOf(d).invalidate(a.AccountID)
	}
	return err
}

// Ping queues a ping delivery to a subscription, whatever its events, so that an admin can
// check the receiver and its signature check.
func Ping(ctx context.Context, d *store.DB, id string) (*baton.WebhookDelivery, error) {
	a := baton.ActorFromContext(ctx)
	var deliveryID string
	err := d.Write(ctx, func(tx *store.Tx) error {
		w, err := tx.GetWebhook(ctx, db.GetWebhookParams{ID: id, AccountID: a.AccountID})
		if store.IsNoRows(err) {
			return baton.NotFound("Webhook")
		} else if err != nil {
			return err
		}
		if d.Jobs == nil {
			return store.ErrNoJobs
		}
		payload := eventPayload{OccurredAt: tx.Now(), Data: map[string]any{"webhook_id": w.ID, "message": "Hello from Baton."}}
		deliveryID, err = queueDelivery(ctx, d, tx, a.AccountID, &w.ID, baton.DeliveryKindEvent, baton.WebhookPing, w.Url,
			mustJSON(payload), DefaultMaxAttempts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return findDelivery(ctx, d, a.AccountID, deliveryID)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("webhooks: marshal %T: %v", v, err)) // our own types always marshal
	}
	return b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }

// truncate cuts s to n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
