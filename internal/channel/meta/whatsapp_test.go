package meta_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/meta"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func TestWhatsApp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newGraph(t)
		e := channeltest.New(t, db, &meta.WhatsApp{Graph: g.graph()})
		const hookPath = "/hooks/whatsapp/demo"
		send := "POST " + phoneNumberID + "/messages"
		var conv string

		channeltest.Step(t, "configuring checks the access token and the webhook answers the challenge", func(t *testing.T) {
			cfg := map[string]any{"phone_number_id": phoneNumberID, "access_token": "EAA-wrong", "app_secret": appSecret, "verify_token": verifyToken}
			r := channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/whatsapp", cfg), http.StatusBadRequest, "PUT with a bad token")
			if !strings.Contains(string(r.Body), "Invalid OAuth access token") {
				t.Errorf("the refusal says %s, want the Graph API's reason", r.Body)
			}
			channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/whatsapp", map[string]any{"phone_number_id": phoneNumberID}),
				http.StatusBadRequest, "PUT without the secrets")
			cfg["access_token"] = waToken
			r = channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/whatsapp", cfg), http.StatusOK, "PUT whatsapp")
			for _, s := range []string{waToken, appSecret, verifyToken} {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("the answer holds a secret: %s", r.Body)
				}
			}
			// Saving the form again without the secrets keeps them.
			channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/whatsapp", map[string]any{"phone_number_id": phoneNumberID}),
				http.StatusOK, "PUT with the stored secrets")

			q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"1158201444"}}
			r = channeltest.Want(t, e.Do(t, "GET", hookPath+"?"+q.Encode(), nil, nil), http.StatusOK, "the verification challenge")
			if string(r.Body) != "1158201444" {
				t.Errorf("challenge answer = %q, want the challenge", r.Body)
			}
			wantPlainEcho(t, r)
			q.Set("hub.verify_token", "guess")
			channeltest.Want(t, e.Do(t, "GET", hookPath+"?"+q.Encode(), nil, nil), http.StatusForbidden, "a challenge with a wrong verify token")
		})

		channeltest.Step(t, "a missing or wrong signature is refused and stores nothing", func(t *testing.T) {
			channeltest.Want(t, notify(t, e, hookPath, "", testdata(t, "wa_text.json")), http.StatusUnauthorized, "an unsigned notification")
			channeltest.Want(t, notify(t, e, hookPath, "another-secret", testdata(t, "wa_text.json")), http.StatusForbidden, "a wrongly signed notification")
			body := testdata(t, "wa_text.json")
			h := http.Header{meta.SignatureHeader: {meta.Sign(appSecret, body)}}
			tampered := []byte(strings.Replace(string(body), "another color", "free upgrade", 1))
			channeltest.Want(t, e.Do(t, "POST", hookPath, h, tampered), http.StatusForbidden, "a notification changed after signing")
			if n := len(e.Conversations(t)); n != 0 {
				t.Errorf("conversations = %d, want 0", n)
			}
		})

		channeltest.Step(t, "a message creates the conversation and the bot answers the number", func(t *testing.T) {
			channeltest.Want(t, notify(t, e, hookPath, appSecret, testdata(t, "wa_text.json")), http.StatusOK, "a text notification")
			cs := e.Conversations(t)
			if len(cs) != 1 {
				t.Fatalf("conversations = %d, want 1", len(cs))
			}
			c := cs[0]
			conv = c.ID
			if c.Channel != baton.ChannelWhatsApp || c.Contact.SessionID != "wa:"+waID || c.Contact.Name != "Sheena Nelson" || c.Contact.Phone != "+"+waID {
				t.Errorf("conversation = channel %s, contact %+v", c.Channel, c.Contact)
			}
			var answer *baton.Message
			e.Eventually(t, "the bot's answer", func() bool { answer = e.LastOfKind(t, conv, baton.KindBot); return answer != nil })
			answer = e.DeliveryOf(t, conv, answer.ID)
			got := g.sends(send, answer.Content)
			if answer.DeliveryStatus != baton.DeliverySent || len(got) != 1 || got[0].Body["to"] != waID || got[0].Body["type"] != "text" ||
				got[0].Body["messaging_product"] != "whatsapp" {
				t.Errorf("answer %s, sends %+v", answer.DeliveryStatus, got)
			}
		})

		channeltest.Step(t, "a retried notification is stored once and the next continues the conversation", func(t *testing.T) {
			r := channeltest.Want(t, notify(t, e, hookPath, appSecret, testdata(t, "wa_text.json")), http.StatusOK, "the same notification again").JSON(t)
			if r["duplicates"] != float64(1) {
				t.Errorf("answer = %v, want one duplicate", r)
			}
			channeltest.Want(t, notify(t, e, hookPath, appSecret, testdata(t, "wa_text_second.json")), http.StatusOK, "the next message")
			var texts []string
			for _, m := range e.Messages(t, conv) {
				if m.Kind == baton.KindVisitor {
					texts = append(texts, m.Content)
				}
			}
			if len(e.Conversations(t)) != 1 || strings.Join(texts, "|") != "Does it come in another color?|The blue one, please." {
				t.Errorf("visitor messages = %q", texts)
			}
		})

		channeltest.Step(t, "an image is downloaded with the token and kept", func(t *testing.T) {
			channeltest.Want(t, notify(t, e, hookPath, appSecret, testdata(t, "wa_image.json")), http.StatusOK, "an image notification")
			m := e.LastOfKind(t, conv, baton.KindVisitor)
			if m.Content != "This is the one I got" || len(m.Attachments) != 1 || m.Attachments[0].ContentType != "image/png" ||
				m.Attachments[0].Size != int64(len(g.image)) {
				t.Errorf("image message = %+v", m)
			}
		})

		var reply string
		channeltest.Step(t, "an agent reply reaches the visitor's number", func(t *testing.T) {
			e.HandOff(t, conv)
			r := channeltest.Want(t, e.Reply(t, conv, "Yes, it comes in blue."), http.StatusCreated, "reply").JSON(t)
			reply = r["id"].(string)
			m := e.DeliveryOf(t, conv, reply)
			got := g.sends(send, "Yes, it comes in blue.")
			if m.DeliveryStatus != baton.DeliverySent || len(got) != 1 || got[0].Body["to"] != waID || got[0].Body["recipient_type"] != "individual" {
				t.Errorf("reply %s, sends %+v", m.DeliveryStatus, got)
			}
		})

		channeltest.Step(t, "statuses move the message to delivered and read", func(t *testing.T) {
			id := g.wamidOf(t, "Yes, it comes in blue.")
			status := func(s string) []byte {
				b := strings.ReplaceAll(string(testdata(t, "wa_status.json")), sentWamid, id)
				return []byte(strings.Replace(b, `"status": "delivered"`, `"status": "`+s+`"`, 1))
			}
			channeltest.Want(t, notify(t, e, hookPath, appSecret, status("delivered")), http.StatusOK, "a delivered status")
			if m := e.Message(t, conv, reply); m.DeliveryStatus != baton.DeliveryDelivered {
				t.Errorf("after delivered the reply is %s", m.DeliveryStatus)
			}
			channeltest.Want(t, notify(t, e, hookPath, appSecret, status("read")), http.StatusOK, "a read status")
			channeltest.Want(t, notify(t, e, hookPath, appSecret, status("delivered")), http.StatusOK, "a late delivered status")
			if m := e.Message(t, conv, reply); m.DeliveryStatus != baton.DeliveryRead {
				t.Errorf("after read (and a late delivered) the reply is %s, want read", m.DeliveryStatus)
			}
		})

		channeltest.Step(t, "a failed status marks a sent message failed with WhatsApp's reason", func(t *testing.T) {
			r := channeltest.Want(t, e.Reply(t, conv, "Did you get this?"), http.StatusCreated, "reply").JSON(t)
			e.DeliveryOf(t, conv, r["id"].(string))
			id := g.wamidOf(t, "Did you get this?")
			body := []byte(strings.ReplaceAll(string(testdata(t, "wa_status_failed.json")), sentWamid, id))
			channeltest.Want(t, notify(t, e, hookPath, appSecret, body), http.StatusOK, "a failed status")
			if m := e.Message(t, conv, r["id"].(string)); m.DeliveryStatus != baton.DeliveryFailed || !strings.Contains(m.DeliveryError, "131026") {
				t.Errorf("after a failed status the message is %s %q", m.DeliveryStatus, m.DeliveryError)
			}
		})

		channeltest.Step(t, "a provider failing twice then succeeding is tried three times", func(t *testing.T) {
			g.failNext("Third time lucky", "error_500.json", "error_500.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Third time lucky"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			if n := len(g.sends(send, "Third time lucky")); m.DeliveryStatus != baton.DeliverySent || n != 3 {
				t.Errorf("message %s after %d attempts, want sent after 3", m.DeliveryStatus, n)
			}
		})

		channeltest.Step(t, "failing three times leaves the message failed with the reason", func(t *testing.T) {
			g.failNext("Never arrives", "error_500.json", "error_500.json", "error_500.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Never arrives"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			if n := len(g.sends(send, "Never arrives")); m.DeliveryStatus != baton.DeliveryFailed || n != 3 ||
				!strings.Contains(m.DeliveryError, "An unknown error has occurred") || strings.Contains(m.DeliveryError, waToken) {
				t.Errorf("message %s %q after %d attempts, want failed after 3", m.DeliveryStatus, m.DeliveryError, n)
			}
		})

		channeltest.Step(t, "a throughput limit waits and retries", func(t *testing.T) {
			g.failNext("Easy now", "error_130429.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Easy now"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			if n := len(g.sends(send, "Easy now")); m.DeliveryStatus != baton.DeliverySent || n != 2 {
				t.Errorf("message %s after %d attempts, want sent after 2", m.DeliveryStatus, n)
			}
		})

		channeltest.Step(t, "after 24 hours free text is refused before sending and a template goes out", func(t *testing.T) {
			e.Clock.Add(24*time.Hour + time.Minute)
			before := len(e.Messages(t, conv))
			r := channeltest.Want(t, e.Reply(t, conv, "Still interested?"), http.StatusConflict, "free text after 24 hours").JSON(t)
			if r["error"].(map[string]any)["code"] != "window_closed" {
				t.Errorf("refusal = %v, want code window_closed", r)
			}
			if len(e.Messages(t, conv)) != before || len(g.sends(send, "Still interested?")) != 0 {
				t.Errorf("a refused reply was stored or sent")
			}
			w := channeltest.Want(t, e.AsOwner(t, "GET", "/api/v1/conversations/"+conv+"/window", nil), http.StatusOK, "GET window").JSON(t)
			if w["open"] != false || w["template_required"] != true {
				t.Errorf("window = %v", w)
			}
			tpl := channeltest.Want(t, e.AsOwner(t, "POST", "/api/v1/chatbots/demo/templates", map[string]any{"name": "order_follow_up",
				"language": "en_US", "parameters": []string{"first_name", "product"}, "body": "Hi {{1}}, are you still interested in {{2}}?"}),
				http.StatusCreated, "POST template").JSON(t)
			list := channeltest.Want(t, e.AsOwner(t, "GET", "/api/v1/chatbots/demo/templates", nil), http.StatusOK, "GET templates").JSON(t)
			if len(list["templates"].([]any)) != 1 {
				t.Errorf("templates = %v", list)
			}
			r = channeltest.Want(t, e.AsOwner(t, "POST", "/api/v1/conversations/"+conv+"/template", map[string]any{"template_id": tpl["id"],
				"parameters": []string{"Sheena", "the blue one"}}), http.StatusCreated, "POST template message").JSON(t)
			if r["content"] != "Hi Sheena, are you still interested in the blue one?" {
				t.Errorf("template message content = %v", r["content"])
			}
			m := e.DeliveryOf(t, conv, r["id"].(string))
			got := g.sends(send, "order_follow_up")
			if m.DeliveryStatus != baton.DeliverySent || len(got) != 1 || got[0].Body["type"] != "template" || got[0].Body["to"] != waID {
				t.Fatalf("template %s, sends %+v", m.DeliveryStatus, got)
			}
			tp := got[0].Body["template"].(map[string]any)
			params := tp["components"].([]any)[0].(map[string]any)["parameters"].([]any)
			if tp["language"].(map[string]any)["code"] != "en_US" || len(params) != 2 || params[1].(map[string]any)["text"] != "the blue one" {
				t.Errorf("template payload = %v", tp)
			}
		})

		channeltest.Step(t, "WhatsApp's own re-engagement refusal fails the message at once", func(t *testing.T) {
			// The visitor writes again (now, by the test's clock): the window opens.
			body := strings.ReplaceAll(string(testdataAt(t, "wa_text_second.json", e.Clock.Now())), "MUMxMQA=", "MUMxNQA=")
			channeltest.Want(t, notify(t, e, hookPath, appSecret, []byte(body)), http.StatusOK, "a new message")
			g.failNext("Too late after all", "wa_error_131047.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Too late after all"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			if n := len(g.sends(send, "Too late after all")); m.DeliveryStatus != baton.DeliveryFailed || n != 1 || !strings.Contains(m.DeliveryError, "131047") {
				t.Errorf("message %s %q after %d attempts, want failed after 1", m.DeliveryStatus, m.DeliveryError, n)
			}
		})
	})
}

// wamidOf is the id the fake gave the last WhatsApp send that carried text.
func (g *fakeGraph) wamidOf(t *testing.T, text string) string {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	id := ""
	for i, c := range g.calls {
		if c.Path == "POST "+phoneNumberID+"/messages" && c.text() == text {
			id = fmt.Sprintf("%s-%d", sentWamid, i+1)
		}
	}
	if id == "" {
		t.Fatalf("nothing was sent with %q", text)
	}
	return id
}

// wantPlainEcho checks that the echoed verification challenge cannot be read as a page
// (issue 18, item 14).
func wantPlainEcho(t *testing.T, r channeltest.Response) {
	t.Helper()
	if got := r.Header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("challenge Content-Type = %q, want text/plain; charset=utf-8", got)
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("challenge X-Content-Type-Options = %q, want nosniff", got)
	}
}
