package webhooks_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/baton-chat/baton/internal/webhooks/webhookstest"
)

func TestWebhookDeliveredAndSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := webhookstest.New(t, d, webhookstest.Options{AllowPrivate: true})
		rc := webhookstest.NewReceiver(t)
		var wh baton.Webhook
		h.Call(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": rc.URL + "/hook",
			"events": []string{"message.created"}, "description": "CRM"}, http.StatusCreated, &wh)
		if !strings.HasPrefix(wh.Secret, webhooks.SecretPrefix) {
			t.Fatalf("created webhook = %+v, want its secret shown once", wh)
		}
		v := h.OpenVisitor(t, "Vera")
		h.Say(t, v, "Where is my order A-1234?")

		r := rc.Next(t)
		if !webhooks.Verify(wh.Secret, r.Body, r.Header.Get("X-Baton-Signature")) {
			t.Errorf("signature %q does not verify the body %s", r.Header.Get("X-Baton-Signature"), r.Body)
		}
		if webhooks.Verify("whsec_wrong", r.Body, r.Header.Get("X-Baton-Signature")) {
			t.Error("the signature verifies with another secret")
		}
		if err := webhooks.VerifyRequest(wh.Secret, r.Body, r.Header.Get("X-Baton-Signature"), r.Header.Get("X-Baton-Timestamp"),
			time.Now(), 5*time.Minute); err != nil {
			t.Errorf("VerifyRequest = %v", err)
		}
		var env webhooks.Envelope
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatal(err)
		}
		ts, _ := strconv.ParseInt(r.Header.Get("X-Baton-Timestamp"), 10, 64)
		if env.Event != "message.created" || env.AccountID != h.Account.ID || env.ConversationID != v.ConversationID ||
			env.Timestamp != ts || env.Attempt != 1 || r.Header.Get("X-Baton-Event") != "message.created" ||
			r.Header.Get("X-Baton-Delivery") != env.ID || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("envelope %+v with headers %v", env, r.Header)
		}
		var data struct {
			Message baton.Message `json:"message"`
		}
		if err := json.Unmarshal(env.Data, &data); err != nil || data.Message.Content != "Where is my order A-1234?" || data.Message.Kind != baton.KindVisitor {
			t.Errorf("data = %s, want the visitor's message", env.Data)
		}
		// A tampered body or a replayed old request fails the receiver's check.
		tampered := []byte(strings.Replace(string(r.Body), "A-1234", "A-9999", 1))
		if webhooks.Verify(wh.Secret, tampered, r.Header.Get("X-Baton-Signature")) {
			t.Error("a tampered body verifies")
		}
		if err := webhooks.VerifyRequest(wh.Secret, r.Body, r.Header.Get("X-Baton-Signature"), r.Header.Get("X-Baton-Timestamp"),
			time.Now().Add(10*time.Minute), 5*time.Minute); err != webhooks.ErrStale {
			t.Errorf("VerifyRequest ten minutes later = %v, want ErrStale", err)
		}

		got := h.Settled(t, h.WebhookLog(t, wh.ID), env.ID)
		if got.Status != baton.WebhookSucceeded || got.Attempts != 1 || len(got.Log) != 1 || got.Log[0].StatusCode != 200 || got.Log[0].Error != "" {
			t.Errorf("delivery = %+v, want succeeded at the first attempt with 200 logged", got)
		}

		// The log is listed by the API.
		var page webhooks.DeliveryPage
		h.Call(t, "GET", "/api/v1/webhooks/"+wh.ID+"/deliveries", h.OwnerToken, nil, http.StatusOK, &page)
		if len(page.Deliveries) != 1 || page.Deliveries[0].ID != env.ID || len(page.Deliveries[0].Log) != 1 {
			t.Errorf("GET deliveries = %+v", page)
		}

		// The ping checks a receiver whatever the events.
		var ping baton.WebhookDelivery
		h.Call(t, "POST", "/api/v1/webhooks/"+wh.ID+"/ping", h.OwnerToken, nil, http.StatusAccepted, &ping)
		pr := rc.Next(t)
		if pr.Header.Get("X-Baton-Event") != "ping" || !webhooks.Verify(wh.Secret, pr.Body, pr.Header.Get("X-Baton-Signature")) {
			t.Errorf("ping = %v %s", pr.Header, pr.Body)
		}
		// After a rotation, the new secret signs.
		var rotated baton.Webhook
		h.Call(t, "POST", "/api/v1/webhooks/"+wh.ID+"/secret", h.OwnerToken, nil, http.StatusOK, &rotated)
		h.Call(t, "POST", "/api/v1/webhooks/"+wh.ID+"/ping", h.OwnerToken, nil, http.StatusAccepted, nil)
		pr = rc.Next(t)
		if !webhooks.Verify(rotated.Secret, pr.Body, pr.Header.Get("X-Baton-Signature")) || webhooks.Verify(wh.Secret, pr.Body, pr.Header.Get("X-Baton-Signature")) {
			t.Error("after rotating, the ping is not signed with the new secret only")
		}
	})
}

func TestWebhookRetriesThenSucceeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := webhookstest.New(t, d, webhookstest.Options{AllowPrivate: true, Attempts: 5})
		rc := webhookstest.NewReceiver(t, 500, 500, 200)
		wh, err := webhooks.Create(h.Ctx, d, baton.WebhookInput{URL: rc.URL, Events: []string{baton.WebhookConversationCreated}})
		if err != nil {
			t.Fatal(err)
		}
		h.OpenVisitor(t, "Vera")
		var ids []string
		for i := 1; i <= 3; i++ {
			r := rc.Next(t)
			if got := r.Header.Get("X-Baton-Attempt"); got != strconv.Itoa(i) {
				t.Errorf("request %d carries attempt %s", i, got)
			}
			if !webhooks.Verify(wh.Secret, r.Body, r.Header.Get("X-Baton-Signature")) {
				t.Errorf("attempt %d is not signed", i)
			}
			ids = append(ids, r.Header.Get("X-Baton-Delivery"))
		}
		if ids[0] != ids[1] || ids[1] != ids[2] {
			t.Errorf("the attempts carry delivery ids %v, want one id", ids)
		}
		got := h.Settled(t, h.WebhookLog(t, wh.ID), ids[0])
		if got.Status != baton.WebhookSucceeded || got.Attempts != 3 || len(got.Log) != 3 ||
			got.Log[0].StatusCode != 500 || got.Log[1].StatusCode != 500 || got.Log[2].StatusCode != 200 ||
			!strings.Contains(got.Log[0].Error, "500") || got.Log[2].Error != "" {
			t.Errorf("delivery = %+v, want two 500s logged then success", got)
		}
	})
}

func TestWebhookGivesUpAfterTheLastAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := webhookstest.New(t, d, webhookstest.Options{AllowPrivate: true, Attempts: 3})
		rc := webhookstest.NewReceiver(t, 500)
		wh, err := webhooks.Create(h.Ctx, d, baton.WebhookInput{URL: rc.URL, Events: []string{baton.WebhookConversationCreated}})
		if err != nil {
			t.Fatal(err)
		}
		h.OpenVisitor(t, "Vera")
		id := rc.Next(t).Header.Get("X-Baton-Delivery")
		got := h.Settled(t, h.WebhookLog(t, wh.ID), id)
		if got.Status != baton.WebhookFailed || got.Attempts != 3 || len(got.Log) != 3 || got.CompletedAt == nil ||
			!strings.Contains(got.LastError, "given up") || got.LastStatusCode != 500 {
			t.Errorf("delivery = %+v, want failed after 3 attempts, the last one saying it gave up", got)
		}
		time.Sleep(200 * time.Millisecond) // no fourth attempt comes
		if n := rc.Hits(); n != 3 {
			t.Errorf("the receiver was called %d times, want 3", n)
		}
	})
}

func TestWebhookRefusesPrivateTargets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := webhookstest.New(t, d, webhookstest.Options{AllowPrivate: false, Attempts: 3})
		rc := webhookstest.NewReceiver(t)

		// Configuring a loopback URL is refused...
		status, body := h.Do(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": rc.URL, "events": []string{"message.created"}})
		if status != http.StatusBadRequest || !strings.Contains(string(body), "loopback") {
			t.Errorf("POST /api/v1/webhooks with a loopback URL = %d %s, want 400 naming loopback", status, body)
		}
		for _, u := range []string{"http://localhost:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x"} {
			if status, body := h.Do(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": u, "events": []string{"message.created"}}); status != http.StatusBadRequest {
				t.Errorf("POST /api/v1/webhooks with %s = %d %s, want 400", u, status, body)
			}
		}
		if status, body := h.Do(t, "PATCH", "/api/v1/integrations", h.OwnerToken, map[string]any{"message_webhook_url": rc.URL}); status != http.StatusBadRequest {
			t.Errorf("PATCH /api/v1/integrations with a loopback URL = %d %s, want 400", status, body)
		}
		if list, _ := webhooks.List(h.Ctx, d); len(list) != 0 {
			t.Errorf("refused webhooks were stored: %+v", list)
		}

		// ...and a loopback target that got in another way (the chatbot's handover webhook)
		// is refused when delivering, at once, without calling it.
		if _, err := d.UpdateChatbot(h.Ctx, "demo", baton.ChatbotUpdate{HandoverWebhookURL: &rc.URL}); err != nil {
			t.Fatal(err)
		}
		v := h.OpenVisitor(t, "Vera")
		if _, err := d.Act(h.Ctx, v.ConversationID, baton.ActionRequest{Action: baton.ActionJoin}); err != nil {
			t.Fatal(err)
		}
		log := h.IntegrationLog(t)
		var id string
		if ds := log(); len(ds) == 1 {
			id = ds[0].ID
		} else {
			t.Fatalf("deliveries = %+v, want the handover webhook", ds)
		}
		got := h.Settled(t, log, id)
		if got.Status != baton.WebhookFailed || got.Attempts != 1 || !strings.Contains(got.LastError, "loopback") || got.Log[0].StatusCode != 0 {
			t.Errorf("delivery = %+v, want failed at once, refused as loopback", got)
		}
		if n := rc.Hits(); n != 0 {
			t.Errorf("the refused receiver was called %d times", n)
		}
	})
}

func TestWebhookAllowsPrivateTargetsWhenTheOperatorSaysSo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		h := webhookstest.New(t, d, webhookstest.Options{AllowPrivate: true})
		rc := webhookstest.NewReceiver(t)
		var wh baton.Webhook
		h.Call(t, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": rc.URL, "events": []string{"conversation.created"}},
			http.StatusCreated, &wh)
		h.OpenVisitor(t, "Vera")
		r := rc.Next(t)
		if got := h.Settled(t, h.WebhookLog(t, wh.ID), r.Header.Get("X-Baton-Delivery")); got.Status != baton.WebhookSucceeded {
			t.Errorf("delivery to a loopback receiver with private targets allowed = %+v", got)
		}
	})
}
