package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks/webhookstest"
)

func TestWebhookChangesAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := webhookstest.New(t, d, webhookstest.Options{AllowPrivate: true})
		var wh baton.Webhook
		h.Call(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "https://hooks.example/a", "events": []string{"ticket.created"}},
			http.StatusCreated, &wh)
		h.Call(t, "PATCH", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, map[string]any{"active": false}, http.StatusOK, nil)
		h.Call(t, "POST", "/api/v1/webhooks/"+wh.ID+"/ping", h.OwnerToken, nil, http.StatusAccepted, nil) // not a change
		h.Call(t, "DELETE", "/api/v1/webhooks/"+wh.ID, h.OwnerToken, nil, http.StatusNoContent, nil)
		h.Call(t, "PATCH", "/api/v1/integrations", h.OwnerToken, map[string]any{"message_webhook_url": ""}, http.StatusOK, nil)

		p, err := audit.List(context.Background(), d, h.Account.ID, audit.Filter{Action: "webhook."}, "", 50)
		if err != nil {
			t.Fatalf("audit.List: %v", err)
		}
		var got []string
		for _, it := range p.Items {
			got = append(got, it.Target+" "+fmt.Sprint(it.Detail["route"]))
			if it.Actor == nil || it.Actor.ID != h.Owner.ID || it.IP == "" {
				t.Errorf("%s: actor %+v, ip %q; want the owner and an address", it.Target, it.Actor, it.IP)
			}
		}
		want := []string{
			"integrations PATCH /api/v1/integrations",
			"webhook:" + wh.ID + " DELETE /api/v1/webhooks/{id}",
			"webhook:" + wh.ID + " PATCH /api/v1/webhooks/{id}",
			"webhooks POST /api/v1/webhooks",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("webhook audit entries = %q, want %q", got, want)
		}
	})
}
