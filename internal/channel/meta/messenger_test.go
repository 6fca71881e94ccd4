package meta_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/meta"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

func TestMessenger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newGraph(t)
		e := channeltest.New(t, db, &meta.Messenger{Graph: g.graph()})
		const hookPath = "/hooks/messenger/demo"
		send := "POST " + pageID + "/messages"
		var conv string

		channeltest.Step(t, "configuring checks the page token and subscribes the app to the page", func(t *testing.T) {
			cfg := map[string]any{"page_id": pageID, "page_access_token": "EAA-wrong", "app_secret": appSecret, "verify_token": verifyToken}
			channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/messenger", cfg), http.StatusBadRequest, "PUT with a bad token")
			cfg["page_access_token"] = pageToken
			channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/messenger", cfg), http.StatusOK, "PUT messenger")
			subs := g.sends("POST "+pageID+"/subscribed_apps", "")
			if len(subs) != 1 || subs[0].Body["subscribed_fields"] != "messages,message_deliveries,message_reads" {
				t.Errorf("subscribed_apps calls = %+v", subs)
			}
			q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"CHALLENGE_ACCEPTED"}}
			r := channeltest.Want(t, e.Do(t, "GET", hookPath+"?"+q.Encode(), nil, nil), http.StatusOK, "the verification challenge")
			if string(r.Body) != "CHALLENGE_ACCEPTED" {
				t.Errorf("challenge answer = %q", r.Body)
			}
			wantPlainEcho(t, r)
			q.Set("hub.mode", "unsubscribe")
			channeltest.Want(t, e.Do(t, "GET", hookPath+"?"+q.Encode(), nil, nil), http.StatusForbidden, "a challenge of another mode")
		})

		channeltest.Step(t, "a missing or wrong signature is refused and stores nothing", func(t *testing.T) {
			channeltest.Want(t, notify(t, e, hookPath, "", testdata(t, "fb_text.json")), http.StatusUnauthorized, "an unsigned notification")
			channeltest.Want(t, notify(t, e, hookPath, "not-the-app-secret", testdata(t, "fb_text.json")), http.StatusForbidden, "a wrongly signed notification")
			if n := len(e.Conversations(t)); n != 0 {
				t.Errorf("conversations = %d, want 0", n)
			}
		})

		channeltest.Step(t, "a message creates the conversation, named from the profile, and the bot answers", func(t *testing.T) {
			channeltest.Want(t, notify(t, e, hookPath, appSecret, testdata(t, "fb_text.json")), http.StatusOK, "a text notification")
			cs := e.Conversations(t)
			if len(cs) != 1 {
				t.Fatalf("conversations = %d, want 1", len(cs))
			}
			c := cs[0]
			conv = c.ID
			if c.Channel != baton.ChannelMessenger || c.Contact.SessionID != "fb:"+psid || c.Contact.Name != "Peter Chang" {
				t.Errorf("conversation = channel %s, contact %+v", c.Channel, c.Contact)
			}
			var answer *baton.Message
			e.Eventually(t, "the bot's answer", func() bool { answer = e.LastOfKind(t, conv, baton.KindBot); return answer != nil })
			answer = e.DeliveryOf(t, conv, answer.ID)
			got := g.sends(send, answer.Content)
			if answer.DeliveryStatus != baton.DeliverySent || len(got) != 1 || got[0].Body["messaging_type"] != "RESPONSE" ||
				got[0].Body["recipient"].(map[string]any)["id"] != psid {
				t.Errorf("answer %s, sends %+v", answer.DeliveryStatus, got)
			}
		})

		channeltest.Step(t, "retries and echoes are stored once, the next message continues with its image", func(t *testing.T) {
			channeltest.Want(t, notify(t, e, hookPath, appSecret, testdata(t, "fb_text.json")), http.StatusOK, "the same notification again")
			channeltest.Want(t, notify(t, e, hookPath, appSecret, testdata(t, "fb_echo.json")), http.StatusOK, "an echo")
			second := strings.ReplaceAll(string(testdata(t, "fb_text_second.json")), "https://scontent.xx.fbcdn.net/v/t1.15752-9/", g.srv.URL+"/cdn/")
			channeltest.Want(t, notify(t, e, hookPath, appSecret, []byte(second)), http.StatusOK, "the next message")
			var visitor []*baton.Message
			for _, m := range e.Messages(t, conv) {
				if m.Kind == baton.KindVisitor {
					visitor = append(visitor, m)
				}
			}
			if len(e.Conversations(t)) != 1 || len(visitor) != 2 {
				t.Fatalf("conversations %d, visitor messages %d; want 1 and 2", len(e.Conversations(t)), len(visitor))
			}
			if a := visitor[1].Attachments; len(a) != 1 || a[0].Name != "label_photo.jpg" || a[0].ContentType != "image/png" {
				t.Errorf("the second message's attachments = %+v", a)
			}
			if n := len(g.sends("GET "+psid, "")); n != 1 {
				t.Errorf("profile lookups = %d, want 1 (only for a visitor not known yet)", n)
			}
		})

		channeltest.Step(t, "an agent reply reaches the visitor and its receipts follow", func(t *testing.T) {
			e.HandOff(t, conv)
			r := channeltest.Want(t, e.Reply(t, conv, "Sure, a medium it is."), http.StatusCreated, "reply").JSON(t)
			id := r["id"].(string)
			m := e.DeliveryOf(t, conv, id)
			got := g.sends(send, "Sure, a medium it is.")
			if m.DeliveryStatus != baton.DeliverySent || len(got) != 1 || got[0].Body["messaging_type"] != "RESPONSE" || got[0].Body["tag"] != nil {
				t.Fatalf("reply %s, sends %+v", m.DeliveryStatus, got)
			}
			mid := ""
			for i, c := range g.sendsAll() {
				if c.Path == send && c.text() == "Sure, a medium it is." {
					mid = sentMid + "-" + strconv.Itoa(i+1)
				}
			}
			delivery := strings.ReplaceAll(string(testdata(t, "fb_delivery.json")), sentMid, mid)
			channeltest.Want(t, notify(t, e, hookPath, appSecret, []byte(delivery)), http.StatusOK, "a delivery receipt")
			if m := e.Message(t, conv, id); m.DeliveryStatus != baton.DeliveryDelivered {
				t.Errorf("after the delivery receipt the reply is %s", m.DeliveryStatus)
			}
			// The read watermark is a time: everything sent until then was read.
			read := strings.ReplaceAll(string(testdata(t, "fb_read.json")), "1749416409000", strconv.Itoa(int(e.Clock.Now().Add(time.Minute).UnixMilli())))
			channeltest.Want(t, notify(t, e, hookPath, appSecret, []byte(read)), http.StatusOK, "a read receipt")
			if m := e.Message(t, conv, id); m.DeliveryStatus != baton.DeliveryRead {
				t.Errorf("after the read receipt the reply is %s", m.DeliveryStatus)
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
			if n := len(g.sends(send, "Never arrives")); m.DeliveryStatus != baton.DeliveryFailed || n != 3 || !strings.HasPrefix(m.DeliveryError, "Messenger: ") {
				t.Errorf("message %s %q after %d attempts, want failed after 3", m.DeliveryStatus, m.DeliveryError, n)
			}
		})

		channeltest.Step(t, "after 24 hours the reply carries the HUMAN_AGENT tag; after 7 days it is refused", func(t *testing.T) {
			e.Clock.Add(25 * time.Hour)
			w := channeltest.Want(t, e.AsOwner(t, "GET", "/api/v1/conversations/"+conv+"/window", nil), http.StatusOK, "GET window").JSON(t)
			if w["open"] != true || w["tag"] != baton.TagHumanAgent {
				t.Errorf("window after 25 hours = %v", w)
			}
			r := channeltest.Want(t, e.Reply(t, conv, "Sorry for the wait!"), http.StatusCreated, "reply after 25 hours").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			got := g.sends(send, "Sorry for the wait!")
			if m.DeliveryStatus != baton.DeliverySent || len(got) != 1 || got[0].Body["messaging_type"] != "MESSAGE_TAG" || got[0].Body["tag"] != "HUMAN_AGENT" {
				t.Errorf("reply %s, sends %+v", m.DeliveryStatus, got)
			}
			g.failNext("Outside the window", "fb_error_window.json")
			r = channeltest.Want(t, e.Reply(t, conv, "Outside the window"), http.StatusCreated, "reply").JSON(t)
			if m := e.DeliveryOf(t, conv, r["id"].(string)); m.DeliveryStatus != baton.DeliveryFailed || !strings.Contains(m.DeliveryError, "outside of allowed window") {
				t.Errorf("Messenger's own window refusal: message %s %q, want failed at once", m.DeliveryStatus, m.DeliveryError)
			}
			e.Clock.Add(6 * 24 * time.Hour)
			before := len(e.Messages(t, conv))
			r = channeltest.Want(t, e.Reply(t, conv, "Anyone?"), http.StatusConflict, "a reply after 7 days").JSON(t)
			if r["error"].(map[string]any)["code"] != "window_closed" || len(e.Messages(t, conv)) != before {
				t.Errorf("refusal = %v; messages %d → %d", r, before, len(e.Messages(t, conv)))
			}
		})
	})
}

// sendsAll returns every call, in order.
func (g *fakeGraph) sendsAll() []sent {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]sent(nil), g.calls...)
}
