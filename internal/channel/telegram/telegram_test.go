package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/telegram"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

const token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// call is one request the fake Bot API received.
type call struct {
	Method   string
	Fields   map[string]string
	FileName string
	File     []byte
	At       time.Time
}

// fakeTelegram is the Bot API as documented: POST /bot<token>/<method> with
// multipart/form-data (what go-telegram/bot sends), answers {"ok": …} with the captured
// payloads of testdata/, and files under /file/bot<token>/<path>.
type fakeTelegram struct {
	t     testing.TB
	srv   *httptest.Server
	mu    sync.Mutex
	calls []call
	// fail holds, per method and text, the error answers (testdata files) to give next.
	fail  map[string][]string
	photo []byte
	next  int
}

func newFake(t testing.TB) *fakeTelegram {
	f := &fakeTelegram{t: t, fail: map[string][]string{}, next: 2000}
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for x := 0; x < 8; x++ {
		img.Set(x, x%6, color.RGBA{200, 30, 30, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	f.photo = buf.Bytes()
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// failNext makes the next calls of method with text (or caption) fail with the error
// answers of files, in order.
func (f *fakeTelegram) failNext(method, text string, files ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method+"\x00"+text] = append(f.fail[method+"\x00"+text], files...)
}

func (f *fakeTelegram) answer(w http.ResponseWriter, name string, patch func(result map[string]any)) {
	// Read without f.t's helpers: this runs on the server's goroutines, where a fuzz
	// target's F may not be used.
	var body map[string]any
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err == nil {
		err = json.Unmarshal(b, &body)
	}
	if err != nil {
		http.Error(w, "testdata "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	status := http.StatusOK
	if code, ok := body["error_code"].(float64); ok {
		status = int(code)
	}
	if r, ok := body["result"].(map[string]any); ok && patch != nil {
		patch(r)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func (f *fakeTelegram) serve(w http.ResponseWriter, r *http.Request) {
	if path, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+token+"/"); ok {
		if path != "photos/file_42.jpg" {
			http.NotFound(w, r)
			return
		}
		w.Write(f.photo)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	tok, method, _ := strings.Cut(rest, "/")
	if !ok || tok != token {
		f.answer(w, "error_401.json", nil)
		return
	}
	c := call{Method: method, Fields: map[string]string{}, At: time.Now()}
	if err := r.ParseMultipartForm(32 << 20); err != nil && r.ContentLength > 0 {
		f.t.Errorf("%s: the body is not multipart/form-data: %v", method, err)
	}
	if r.MultipartForm != nil {
		for k, v := range r.MultipartForm.Value {
			c.Fields[k] = v[0]
		}
		for _, fhs := range r.MultipartForm.File {
			fh := fhs[0]
			rd, _ := fh.Open()
			c.FileName, c.File = fh.Filename, mustRead(rd)
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	var failWith string
	key := method + "\x00" + c.Fields["text"] + c.Fields["caption"]
	if q := f.fail[key]; len(q) > 0 {
		failWith, f.fail[key] = q[0], q[1:]
	}
	f.next++
	id := f.next
	f.mu.Unlock()
	if failWith != "" {
		f.answer(w, failWith, nil)
		return
	}
	switch method {
	case "getMe":
		f.answer(w, "getme.json", nil)
	case "setWebhook":
		f.answer(w, "setwebhook.json", nil)
	case "getFile":
		f.answer(w, "getfile.json", func(res map[string]any) { res["file_id"] = c.Fields["file_id"] })
	case "sendMessage", "sendPhoto", "sendDocument":
		f.answer(w, "sendmessage.json", func(res map[string]any) {
			res["message_id"] = id
			chat := res["chat"].(map[string]any)
			chat["id"], _ = strconv.ParseInt(c.Fields["chat_id"], 10, 64)
			res["text"] = c.Fields["text"]
		})
	default:
		f.answer(w, "error_500.json", nil)
	}
}

func mustRead(r io.ReadCloser) []byte {
	defer r.Close()
	b, _ := io.ReadAll(r)
	return b
}

// sent returns the calls of a method whose field has a value.
func (f *fakeTelegram) sent(method, field, value string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method && (field == "" || c.Fields[field] == value) {
			out = append(out, c)
		}
	}
	return out
}

func hook(e *channeltest.Env, t *testing.T, secret string, body []byte) channeltest.Response {
	t.Helper()
	h := http.Header{}
	if secret != "" {
		h.Set(telegram.SecretHeader, secret)
	}
	return e.Do(t, "POST", "/hooks/telegram/demo", h, body)
}

func TestTelegram(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := newFake(t)
		e := channeltest.New(t, db, &telegram.Adapter{APIURL: fake.srv.URL, Logger: nil})
		const secret = "s3cr3t-hook_token"
		var conv string

		channeltest.Step(t, "configuring checks the token and sets the webhook with the secret", func(t *testing.T) {
			r := channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/telegram",
				map[string]any{"bot_token": "123:wrong", "webhook_secret": secret}), http.StatusBadRequest, "PUT with a token Telegram refuses")
			if !strings.Contains(string(r.Body), "Unauthorized") || strings.Contains(string(r.Body), "123:wrong") {
				t.Errorf("the refusal says %s: want Telegram's reason and never the token", r.Body)
			}
			r = channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/telegram",
				map[string]any{"bot_token": token, "webhook_secret": secret}), http.StatusOK, "PUT telegram")
			if strings.Contains(string(r.Body), token) || strings.Contains(string(r.Body), secret) {
				t.Errorf("the answer holds a secret: %s", r.Body)
			}
			hooks := fake.sent("setWebhook", "", "")
			if len(hooks) != 1 || hooks[0].Fields["url"] != e.URL+"/hooks/telegram/demo" || hooks[0].Fields["secret_token"] != secret {
				t.Fatalf("setWebhook calls = %+v", hooks)
			}
			g := channeltest.Want(t, e.AsOwner(t, "GET", "/api/v1/chatbots/demo/channels/telegram", nil), http.StatusOK, "GET telegram").JSON(t)
			if g["status"] != baton.ChannelConnected || strings.Contains(string(mustJSON(g)), token) ||
				strings.Join(asStrings(g["secrets_set"]), ",") != "bot_token,webhook_secret" {
				t.Errorf("GET telegram = %v", g)
			}
			if g["webhook_url"] != e.URL+"/hooks/telegram/demo" {
				t.Errorf("webhook_url = %v", g["webhook_url"])
			}
		})

		channeltest.Step(t, "a missing or wrong secret is refused and stores nothing", func(t *testing.T) {
			channeltest.Want(t, hook(e, t, "", testdata(t, "update_text.json")), http.StatusUnauthorized, "an update without the secret header")
			channeltest.Want(t, hook(e, t, "not-the-secret", testdata(t, "update_text.json")), http.StatusForbidden, "an update with a wrong secret")
			if n := len(e.Conversations(t)); n != 0 {
				t.Errorf("conversations = %d, want 0", n)
			}
			channeltest.Want(t, e.Do(t, "POST", "/hooks/telegram/nosuchbot", http.Header{telegram.SecretHeader: {secret}}, testdata(t, "update_text.json")),
				http.StatusNotFound, "an update for an unknown chatbot")
		})

		channeltest.Step(t, "an update creates the conversation and the bot answers the chat", func(t *testing.T) {
			channeltest.Want(t, hook(e, t, secret, testdata(t, "update_text.json")), http.StatusOK, "the first update")
			cs := e.Conversations(t)
			if len(cs) != 1 {
				t.Fatalf("conversations = %d, want 1", len(cs))
			}
			c := cs[0]
			conv = c.ID
			if c.Channel != baton.ChannelTelegram || c.Contact.SessionID != "tg:1111111" || c.Contact.Name != "Ada Lovelace" {
				t.Errorf("conversation = channel %s, contact %+v", c.Channel, c.Contact)
			}
			var answer *baton.Message
			e.Eventually(t, "the bot's answer", func() bool { answer = e.LastOfKind(t, conv, baton.KindBot); return answer != nil })
			answer = e.DeliveryOf(t, conv, answer.ID)
			if answer.DeliveryStatus != baton.DeliverySent {
				t.Fatalf("the bot's answer is %s (%s), want sent", answer.DeliveryStatus, answer.DeliveryError)
			}
			got := fake.sent("sendMessage", "text", answer.Content)
			if len(got) != 1 || got[0].Fields["chat_id"] != "1111111" {
				t.Errorf("sendMessage calls with the answer = %+v, want one to chat 1111111", got)
			}
		})

		channeltest.Step(t, "a retried update is stored once and the next continues the conversation", func(t *testing.T) {
			r := channeltest.Want(t, hook(e, t, secret, testdata(t, "update_text.json")), http.StatusOK, "the same update again").JSON(t)
			if r["duplicates"] != float64(1) {
				t.Errorf("answer = %v, want one duplicate", r)
			}
			channeltest.Want(t, hook(e, t, secret, testdata(t, "update_edited.json")), http.StatusOK, "an edited_message update")
			channeltest.Want(t, hook(e, t, secret, testdata(t, "update_text_second.json")), http.StatusOK, "the second update")
			if n := len(e.Conversations(t)); n != 1 {
				t.Fatalf("conversations = %d, want 1", n)
			}
			var texts []string
			for _, m := range e.Messages(t, conv) {
				if m.Kind == baton.KindVisitor {
					texts = append(texts, m.Content)
				}
			}
			if strings.Join(texts, "|") != "Hello, where is my order?|It was order 1234." {
				t.Errorf("visitor messages = %q", texts)
			}
		})

		channeltest.Step(t, "a photo is kept as an attachment checked by its content", func(t *testing.T) {
			channeltest.Want(t, hook(e, t, secret, testdata(t, "update_photo.json")), http.StatusOK, "a photo update")
			m := e.LastOfKind(t, conv, baton.KindVisitor)
			if m.Content != "The parcel arrived like this" || len(m.Attachments) != 1 {
				t.Fatalf("photo message = %+v", m)
			}
			a := m.Attachments[0]
			if a.ContentType != "image/jpeg" || a.Size != int64(len(fake.photo)) || a.URL != "/api/v1/attachments/"+a.ID {
				t.Errorf("attachment = %+v", a)
			}
			if got := fake.sent("getFile", "file_id", "AgACAgIAAxkBAAIBZWZ0bGFyZ2U"); len(got) != 1 {
				t.Errorf("getFile calls for the largest size = %d, want 1", len(got))
			}
		})

		channeltest.Step(t, "an agent reply reaches the visitor's chat", func(t *testing.T) {
			e.HandOff(t, conv)
			r := channeltest.Want(t, e.Reply(t, conv, "Hi Ada, Olivia here."), http.StatusCreated, "reply").JSON(t)
			if r["delivery_status"] != baton.DeliveryQueued {
				t.Errorf("a reply on Telegram is %v at first, want queued", r["delivery_status"])
			}
			m := e.DeliveryOf(t, conv, r["id"].(string))
			got := fake.sent("sendMessage", "text", "Hi Ada, Olivia here.")
			if m.DeliveryStatus != baton.DeliverySent || len(got) != 1 || got[0].Fields["chat_id"] != "1111111" {
				t.Errorf("reply %s, sendMessage calls %+v", m.DeliveryStatus, got)
			}
		})

		channeltest.Step(t, "a provider failing twice then succeeding is tried three times", func(t *testing.T) {
			fake.failNext("sendMessage", "Third time lucky", "error_500.json", "error_500.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Third time lucky"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			if n := len(fake.sent("sendMessage", "text", "Third time lucky")); m.DeliveryStatus != baton.DeliverySent || n != 3 {
				t.Errorf("after two failures the message is %s after %d attempts, want sent after 3", m.DeliveryStatus, n)
			}
		})

		channeltest.Step(t, "failing three times leaves the message failed with the reason", func(t *testing.T) {
			fake.failNext("sendMessage", "Never arrives", "error_500.json", "error_500.json", "error_500.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Never arrives"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			if m.DeliveryStatus != baton.DeliveryFailed || !strings.Contains(m.DeliveryError, "Internal Server Error") || strings.Contains(m.DeliveryError, token) {
				t.Errorf("message = %s %q, want failed with Telegram's reason", m.DeliveryStatus, m.DeliveryError)
			}
			if n := len(fake.sent("sendMessage", "text", "Never arrives")); n != store.DeliveryAttempts {
				t.Errorf("attempts = %d, want %d", n, store.DeliveryAttempts)
			}
			// Events are published just after the commit the test has seen.
			e.Eventually(t, "a message_updated event telling the console the message failed", func() bool {
				for _, ev := range e.Events.OfType(baton.EventMessageUpdated) {
					var p baton.Message
					json.Unmarshal(ev.Payload, &p)
					if p.ID == m.ID && p.DeliveryStatus == baton.DeliveryFailed && p.DeliveryError == m.DeliveryError {
						return true
					}
				}
				return false
			})
		})

		channeltest.Step(t, "a bot the visitor blocked fails at once", func(t *testing.T) {
			fake.failNext("sendMessage", "Are you there?", "error_403.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Are you there?"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			if n := len(fake.sent("sendMessage", "text", "Are you there?")); m.DeliveryStatus != baton.DeliveryFailed || n != 1 ||
				!strings.Contains(m.DeliveryError, "bot was blocked by the user") {
				t.Errorf("message = %s %q after %d attempts, want failed after 1", m.DeliveryStatus, m.DeliveryError, n)
			}
		})

		channeltest.Step(t, "retry_after of a 429 is honoured without using up an attempt", func(t *testing.T) {
			fake.failNext("sendMessage", "Slow down", "error_429.json", "error_500.json")
			r := channeltest.Want(t, e.Reply(t, conv, "Slow down"), http.StatusCreated, "reply").JSON(t)
			m := e.DeliveryOf(t, conv, r["id"].(string))
			calls := fake.sent("sendMessage", "text", "Slow down")
			if m.DeliveryStatus != baton.DeliverySent || len(calls) != 3 {
				t.Fatalf("message = %s after %d attempts, want sent after 3 (a 429, a 500, then success)", m.DeliveryStatus, len(calls))
			}
			if wait := calls[1].At.Sub(calls[0].At); wait < 900*time.Millisecond {
				t.Errorf("the retry after a 429 with retry_after 1 came %s later, want at least 1 s", wait)
			}
		})

		channeltest.Step(t, "an agent's image goes out as a photo", func(t *testing.T) {
			key, size, err := e.Blobs.Put(context.Background(), bytes.NewReader(fake.photo))
			if err != nil {
				t.Fatal(err)
			}
			e.Clock.Add(store.ReplyInterval)
			m, err := db.ReplyWithAttachments(e.Actor(), conv, "Is it this one?", false,
				[]store.NewAttachment{{BlobKey: key, Name: "box.jpg", ContentType: "image/jpeg", Size: size}})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.DeliveryOf(t, conv, m.ID); got.DeliveryStatus != baton.DeliverySent {
				t.Fatalf("the photo is %s (%s)", got.DeliveryStatus, got.DeliveryError)
			}
			photos := fake.sent("sendPhoto", "caption", "Is it this one?")
			if len(photos) != 1 || photos[0].Fields["chat_id"] != "1111111" || !bytes.Equal(photos[0].File, fake.photo) || photos[0].FileName != "box.jpg" {
				t.Errorf("sendPhoto calls = %d (%+v)", len(photos), photos)
			}
		})

		channeltest.Step(t, "a disconnected channel logs a warning and sends nothing", func(t *testing.T) {
			channeltest.Want(t, e.AsOwner(t, "DELETE", "/api/v1/chatbots/demo/channels/telegram", nil), http.StatusOK, "DELETE telegram")
			channeltest.Want(t, hook(e, t, secret, testdata(t, "update_text.json")), http.StatusNotFound, "an update to a disconnected channel")
			r := channeltest.Want(t, e.Reply(t, conv, "Into the void"), http.StatusCreated, "reply").JSON(t)
			e.Eventually(t, "the warning", func() bool {
				return e.LogContains("the channel is not connected; nothing sent") && e.LogContains(r["id"].(string))
			})
			if n := len(fake.sent("sendMessage", "text", "Into the void")); n != 0 {
				t.Errorf("the fake got %d calls for a disconnected channel", n)
			}
			if m := e.Message(t, conv, r["id"].(string)); m.DeliveryStatus != baton.DeliveryQueued {
				t.Errorf("the message is %s, want it left queued", m.DeliveryStatus)
			}
		})
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func asStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
