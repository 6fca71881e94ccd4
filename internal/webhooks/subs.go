package webhooks

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/baton-chat/baton/internal/store"
)

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

var subsCaches sync.Map // *store.DB → *subsCache

// subsOf is the cache of d's subscriptions (one per database, whoever asks).
func subsOf(d *store.DB) *subsCache {
	v, _ := subsCaches.LoadOrStore(d, &subsCache{m: map[string]subsEntry{}})
	return v.(*subsCache)
}

func (c *subsCache) invalidate(accountID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, accountID)
}

// subscribers returns the account's active subscriptions to event.
func (c *subsCache) subscribers(ctx context.Context, tx *store.Tx, accountID, event string) ([]webhookSub, error) {
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
