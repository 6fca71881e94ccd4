package store_test

import (
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
)

// Prune deletes finished deliveries and inbound receipts past their retention and keeps
// the rest: a delivery still pending or retrying, and everything recent.
func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _, _ := channelEnv(t, db)
		w, err := webhooks.Create(e.ctx, db, baton.WebhookInput{URL: "https://hooks.example/in", Events: []string{baton.WebhookTicketCreated}})
		if err != nil {
			t.Fatal(err)
		}
		ping := func(status string) string {
			t.Helper()
			d, err := webhooks.Ping(e.ctx, db, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if status != baton.WebhookPending {
				if err := webhooks.RecordDeliveryAttempt(e.ctx, db, d.ID, baton.WebhookAttempt{Attempt: 1, StatusCode: 200, At: e.clock.Now()}, status); err != nil {
					t.Fatal(err)
				}
			}
			return d.ID
		}
		oldDone, oldFailed, oldRetrying := ping(baton.WebhookSucceeded), ping(baton.WebhookFailed), ping(baton.WebhookRetrying)
		e.receive(t, store.InboundMessage{SessionID: "tg:1", Key: "update:1", Content: "hello"})

		e.clock.Add(store.DeliveryLogRetention + time.Hour)
		newDone := ping(baton.WebhookSucceeded)
		e.receive(t, store.InboundMessage{SessionID: "tg:1", Key: "update:2", Content: "again"})

		p, err := db.Prune(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Deliveries != 2 || p.Receipts != 1 {
			t.Errorf("Prune = %+v, want 2 deliveries and 1 receipt", p)
		}
		page, err := webhooks.ListDeliveries(e.ctx, db, w.ID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		kept := map[string]bool{}
		for _, d := range page.Deliveries {
			kept[d.ID] = true
		}
		if kept[oldDone] || kept[oldFailed] || !kept[oldRetrying] || !kept[newDone] {
			t.Errorf("kept %v; want the retrying one and the recent one only", kept)
		}
		// A receipt still within its retention keeps its message idempotent.
		if _, dup := e.receive(t, store.InboundMessage{SessionID: "tg:1", Key: "update:2", Content: "again"}); !dup {
			t.Errorf("a recent update was stored twice after pruning")
		}
	})
}
