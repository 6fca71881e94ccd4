package store

import (
	"context"
	"fmt"
	"time"
)

// Retention of the logs that would otherwise grow without end. Conversations, messages,
// tickets and their events are kept: they are the account's data, deleted only by people.
const (
	// DeliveryLogRetention keeps finished webhook deliveries (and their attempts) this long.
	DeliveryLogRetention = 30 * 24 * time.Hour
	// ReceiptRetention keeps the ids of inbound provider messages, which make a provider's
	// retries idempotent, far longer than any provider retries (Meta: up to 7 days).
	ReceiptRetention = 30 * 24 * time.Hour
	// rateMarkRetention: a rate mark older than a day limits nothing.
	rateMarkRetention = 24 * time.Hour
)

// Pruned counts what Prune deleted.
type Pruned struct {
	Deliveries, Receipts, RateMarks, Sessions int64
}

// Prune deletes finished webhook deliveries and inbound receipts past their retention,
// stale rate marks and expired sessions. Pending and retrying deliveries are never deleted.
func (d *DB) Prune(ctx context.Context) (Pruned, error) {
	var p Pruned
	err := d.Write(ctx, func(tx *Tx) error {
		now := tx.Now()
		var err error
		if p.Deliveries, err = tx.PruneWebhookDeliveries(ctx, now.Add(-DeliveryLogRetention)); err != nil {
			return fmt.Errorf("prune deliveries: %w", err)
		}
		if p.Receipts, err = tx.PruneChannelReceipts(ctx, now.Add(-ReceiptRetention)); err != nil {
			return fmt.Errorf("prune receipts: %w", err)
		}
		if p.RateMarks, err = tx.PruneRateMarks(ctx, now.Add(-rateMarkRetention)); err != nil {
			return fmt.Errorf("prune rate marks: %w", err)
		}
		if p.Sessions, err = tx.PruneExpiredSessions(ctx, now); err != nil {
			return fmt.Errorf("prune sessions: %w", err)
		}
		return nil
	})
	return p, err
}
