package main

// End-to-end test of the external handover (SPEC §9, API.md "External handover") against
// real `baton serve` processes (rtNode): the reference sequence of issue 7, played by a
// visitor on the widget socket and a third-party desk with an integration token and
// webhook receivers on loopback (hence BATON_ALLOW_PRIVATE_WEBHOOKS=1).

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
)

// desk is a third party's webhook receiver.
type desk struct {
	*httptest.Server
	got chan deskRequest
}

type deskRequest struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newDesk(t *testing.T) *desk {
	d := &desk{got: make(chan deskRequest, 100)}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d.got <- deskRequest{Path: r.URL.Path, Header: r.Header.Clone(), Body: b}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(d.Close)
	return d
}

// next returns the next request to path, failing after 20 s.
func (d *desk) next(t *testing.T, path string) deskRequest {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case r := <-d.got:
			if r.Path == path {
				return r
			}
		case <-timeout:
			t.Fatalf("the desk got no request to %s within 20 s", path)
		}
	}
}

// lastSeq reads a conversation's last_seq as the admin.
func lastSeq(t *testing.T, admin *rtClient, conv string) int64 {
	t.Helper()
	var c struct {
		LastSeq int64  `json:"last_seq"`
		Status  string `json:"status"`
	}
	admin.call("GET", "/api/v1/conversations/"+conv, nil, 200, &c)
	return c.LastSeq
}

func handoverFlow(t *testing.T, base string, d *desk) {
	admin := &rtClient{t: t, base: base}
	var login struct{ Token string }
	admin.call("POST", "/api/v1/session", map[string]string{"email": "admin@example.com", "password": "correct-horse-1"}, 200, &login)
	admin.token = login.Token

	var tok, readOnly struct{ Token string }
	admin.call("POST", "/api/v1/tokens", map[string]any{"name": "Zendesk", "scopes": []string{"handover"}}, 201, &tok)
	admin.call("POST", "/api/v1/tokens", map[string]any{"name": "Reports", "scopes": []string{"read", "write"}}, 201, &readOnly)
	var settings struct {
		SigningSecret string `json:"signing_secret"`
	}
	admin.call("POST", "/api/v1/integrations/signing-secret", nil, 200, &settings)
	secret := settings.SigningSecret
	admin.call("PATCH", "/api/v1/chatbots/demo", map[string]string{"handover_webhook_url": d.URL + "/handover",
		"message_webhook_url": d.URL + "/messages"}, 200, nil)
	deskAPI := &rtClient{t: t, base: base, token: tok.Token}

	// 1. The visitor chats with the bot.
	visitor := &rtClient{t: t, base: base}
	var sess struct {
		SessionID      string `json:"session_id"`
		Token          string `json:"token"`
		ConversationID string `json:"conversation_id"`
	}
	visitor.call("POST", "/widget/v1/sessions", map[string]string{"chatbot": "demo", "name": "Vera Lynn"}, 201, &sess)
	visitor.token = sess.Token
	conv := sess.ConversationID
	vs := rtDial(t, base, "/widget/v1/ws?token="+sess.Token)
	visitor.call("POST", "/widget/v1/messages", map[string]string{"content": "What is Baton?"}, 201, nil)
	if f := vs.await("bot_message"); !strings.Contains(f.Data["content"].(string), "Baton") {
		t.Fatalf("bot answer = %q", f.Data["content"])
	}

	// 2. A handoff fires the handover webhook, with the reference body.
	visitor.call("POST", "/widget/v1/messages", map[string]string{"content": "I want to talk to a human"}, 201, nil)
	vs.await("handoff_started")
	r := d.next(t, "/handover")
	if !webhooks.Verify(secret, r.Body, r.Header.Get("X-Baton-Signature")) || !strings.HasPrefix(r.Header.Get("X-Baton-Signature"), "sha256=") {
		t.Errorf("the handover webhook's signature %q does not verify", r.Header.Get("X-Baton-Signature"))
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	var fields []string
	for k := range body {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	wantFields := []string{"attachedMedia", "reply", "botId", "direction", "extractedData", "lastName", "sessionId",
		"customVariables", "from", "firstName", "to", "replyData", "moduleId", "botTrainedModelId"}
	sort.Strings(wantFields)
	if !slices.Equal(fields, wantFields) {
		t.Errorf("handover body fields = %v, want %v", fields, wantFields)
	}
	for k, v := range map[string]any{"botId": "demo", "sessionId": sess.SessionID, "to": sess.SessionID, "firstName": "Vera",
		"lastName": "Lynn", "direction": "out"} {
		if body[k] != v {
			t.Errorf("handover body %s = %v, want %v", k, body[k], v)
		}
	}
	if _, ok := body["extractedData"].(map[string]any); !ok {
		t.Errorf("extractedData = %v, want an object", body["extractedData"])
	}
	if _, ok := body["customVariables"].(map[string]any); !ok {
		t.Errorf("customVariables = %v, want an object", body["customVariables"])
	}

	// Refused calls change nothing: no or a wrong token 401, no handover scope 403,
	// unknown bot or user 404.
	seq := lastSeq(t, admin, conv)
	path := "/webbot/api/webchat/demo/handover/" + sess.SessionID + "/"
	for _, c := range []struct {
		name, token, path string
		status            int
	}{
		{"no token", "", path, 401},
		{"a wrong token", "bti_wrong", path, 401},
		{"a token without the handover scope", readOnly.Token, path, 403},
		{"an unknown bot", tok.Token, "/webbot/api/webchat/nobot/handover/" + sess.SessionID + "/", 404},
		{"an unknown user", tok.Token, "/webbot/api/webchat/demo/handover/web:nobody/", 404},
	} {
		cl := &rtClient{t: t, base: base, token: c.token}
		cl.call("GET", c.path, nil, c.status, nil)
		cl.call("POST", c.path, map[string]string{"message": "Hello from Agent!"}, c.status, nil)
		cl.call("DELETE", c.path, nil, c.status, nil)
	}
	if got := lastSeq(t, admin, conv); got != seq {
		t.Fatalf("refused handover calls changed the conversation: seq %d → %d", seq, got)
	}

	// 3. The desk takes over: listen mode. A second GET changes nothing.
	var ho struct {
		Status     string `json:"status"`
		ListenMode bool   `json:"listen_mode"`
		Changed    bool   `json:"changed"`
	}
	deskAPI.call("GET", path, nil, 200, &ho)
	if ho.Status != "human" || !ho.ListenMode || !ho.Changed {
		t.Fatalf("GET handover = %+v, want human in listen mode", ho)
	}
	for {
		if f := vs.await("status"); f.Data["status"] == "human" {
			break
		}
	}
	seq = lastSeq(t, admin, conv)
	deskAPI.call("GET", path, nil, 200, &ho)
	if ho.Changed || !ho.ListenMode || lastSeq(t, admin, conv) != seq {
		t.Errorf("the second GET handover = %+v and seq %d → %d, want nothing changed", ho, seq, lastSeq(t, admin, conv))
	}

	// 4. The visitor's next messages reach the message webhook; the bot stays silent.
	for _, text := range []string{"Are you there?", "My order is A-48213"} {
		visitor.call("POST", "/widget/v1/messages", map[string]string{"content": text}, 201, nil)
		r := d.next(t, "/messages")
		var m map[string]any
		json.Unmarshal(r.Body, &m)
		if m["interlocutor"] != "user" || m["message"] != text || m["userId"] != sess.SessionID || m["botId"] != "demo" {
			t.Errorf("message webhook = %s", r.Body)
		}
		if !webhooks.Verify(secret, r.Body, r.Header.Get("X-Baton-Signature")) {
			t.Errorf("the message webhook is not signed")
		}
	}
	if got := vs.collect("bot_message", 1500*time.Millisecond); len(got) != 0 {
		t.Fatalf("the bot answered in listen mode: %+v", got)
	}

	// 5. The desk answers: the visitor's socket receives an agent message.
	deskAPI.call("POST", path, map[string]string{"message": "Hello from Agent!"}, 201, nil)
	f := vs.await("agent_message")
	if f.Data["content"] != "Hello from Agent!" || f.Data["agent_name"] != "Admin" || f.ConversationID != conv {
		t.Errorf("agent_message = %+v", f)
	}

	// 6. The handover ends and the bot answers again.
	deskAPI.call("DELETE", path, nil, 200, &ho)
	if ho.Status != "bot" || ho.ListenMode {
		t.Errorf("DELETE handover = %+v, want back to the bot", ho)
	}
	vs.await("handoff_ended")
	visitor.call("POST", "/widget/v1/messages", map[string]string{"content": "Which channels do you support?"}, 201, nil)
	if f := vs.await("bot_message"); f.Data["content"] == "" {
		t.Fatal("the bot did not answer after the handover ended")
	}

	// The integrations' delivery log shows every webhook delivered.
	var page struct {
		Deliveries []struct {
			Kind   string `json:"kind"`
			Status string `json:"status"`
		} `json:"deliveries"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		admin.call("GET", "/api/v1/integrations/deliveries", nil, 200, &page)
		done := len(page.Deliveries) == 3
		for _, dl := range page.Deliveries {
			done = done && dl.Status == "succeeded"
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log = %+v, want the handover and two messages succeeded", page.Deliveries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestHandoverFlowOnSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	d := newDesk(t)
	u := rtNode(t, "BATON_DATA_DIR="+t.TempDir(), "BATON_ALLOW_PRIVATE_WEBHOOKS=1")
	handoverFlow(t, u, d)
}

func TestHandoverFlowOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	cfg := storetest.Config(t, store.Postgres) // skips without BATON_TEST_DATABASE_URL
	d := newDesk(t)
	u := rtNode(t, "BATON_DATA_DIR="+t.TempDir(), "BATON_DATABASE_URL="+cfg.URL, "BATON_ALLOW_PRIVATE_WEBHOOKS=1")
	handoverFlow(t, u, d)
}

// TestHandoverWebhookToLoopbackRefused: without BATON_ALLOW_PRIVATE_WEBHOOKS the same
// loopback desk is never called; the delivery log says why.
func TestHandoverWebhookToLoopbackRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	d := newDesk(t)
	dir := t.TempDir()
	// Configured while the operator allowed private targets…
	allowed, stop := rtNodeStoppable(t, "BATON_DATA_DIR="+dir, "BATON_ALLOW_PRIVATE_WEBHOOKS=1")
	admin := &rtClient{t: t, base: allowed}
	var login struct{ Token string }
	admin.call("POST", "/api/v1/session", map[string]string{"email": "admin@example.com", "password": "correct-horse-1"}, 200, &login)
	admin.token = login.Token
	admin.call("PATCH", "/api/v1/chatbots/demo", map[string]string{"handover_webhook_url": d.URL + "/handover"}, 200, nil)
	stop()
	// … then served without: refused when configured again, and when called.
	base := rtNode(t, "BATON_DATA_DIR="+dir)
	admin = &rtClient{t: t, base: base}
	admin.call("POST", "/api/v1/session", map[string]string{"email": "admin@example.com", "password": "correct-horse-1"}, 200, &login)
	admin.token = login.Token
	admin.call("POST", "/api/v1/webhooks", map[string]any{"url": d.URL, "events": []string{"message.created"}}, 400, nil)
	admin.call("PATCH", "/api/v1/chatbots/demo", map[string]string{"handover_webhook_url": d.URL + "/other"}, 400, nil)
	admin.call("PATCH", "/api/v1/chatbots/demo", map[string]string{"message_webhook_url": d.URL + "/messages"}, 400, nil)

	visitor := &rtClient{t: t, base: base}
	var sess struct{ Token string }
	visitor.call("POST", "/widget/v1/sessions", map[string]string{"chatbot": "demo"}, 201, &sess)
	visitor.token = sess.Token
	visitor.call("POST", "/widget/v1/messages", map[string]string{"content": "I want to talk to a human"}, 201, nil)

	var page struct {
		Deliveries []struct {
			Status    string `json:"status"`
			LastError string `json:"last_error"`
			Attempts  int    `json:"attempts"`
		} `json:"deliveries"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		admin.call("GET", "/api/v1/integrations/deliveries", nil, 200, &page)
		if len(page.Deliveries) == 1 && page.Deliveries[0].Status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log = %+v, want the handover webhook failed", page.Deliveries)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if dl := page.Deliveries[0]; dl.Attempts != 1 || !strings.Contains(dl.LastError, "loopback") || !strings.Contains(dl.LastError, "BATON_ALLOW_PRIVATE_WEBHOOKS") {
		t.Errorf("delivery = %+v, want refused at the first attempt as loopback", dl)
	}
	select {
	case r := <-d.got:
		t.Errorf("the loopback desk was called: %s %s", r.Path, r.Body)
	case <-time.After(300 * time.Millisecond):
	}
}
