package channel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/email"
	"github.com/baton-chat/baton/internal/channel/meta"
	"github.com/baton-chat/baton/internal/channel/telegram"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"gopkg.in/yaml.v3"
)

// adapters are the four channels, pointed at an address nothing listens on: these tests
// never reach a provider.
func adapters() []channel.Adapter {
	g := &meta.Graph{BaseURL: "http://127.0.0.1:1"}
	return []channel.Adapter{&telegram.Adapter{APIURL: "http://127.0.0.1:1"}, &meta.WhatsApp{Graph: g}, &meta.Messenger{Graph: g}, &email.Adapter{}}
}

// channelRoutes are the routes Register adds to a server.
func channelRoutes(t *testing.T, db *store.DB) []string {
	t.Helper()
	api := httpapi.NewServer(db, slog.New(slog.DiscardHandler))
	before := len(api.Routes())
	byKind := map[string]channel.Adapter{}
	for _, a := range adapters() {
		byKind[a.Kind()] = a
	}
	(&channel.Service{DB: db, Adapters: byKind}).Register(api)
	return api.Routes()[before:]
}

// TestRoutesAreInTheOpenAPIDocument fails when a channel route is missing from
// docs/openapi.yaml.
func TestRoutesAreInTheOpenAPIDocument(t *testing.T) {
	b, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	routes := channelRoutes(t, storetest.Open(t, store.SQLite))
	if len(routes) < 15 {
		t.Fatalf("Register added %d routes: %v", len(routes), routes)
	}
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)].(map[string]any)
		if !ok {
			t.Errorf("route %q is missing from docs/openapi.yaml", r)
			continue
		}
		if _, ok := op["responses"].(map[string]any)["200"]; !ok && method != "POST" && method != "DELETE" {
			t.Errorf("route %q documents no 200 answer", r)
		}
	}
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// TestRoutesAreTenantIsolated calls every channel route of the API with another
// account's chatbot, template and conversation: each is 404 and changes nothing (K1).
func TestRoutesAreTenantIsolated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := channeltest.New(t, db, adapters()...)
		ctx := context.Background()
		globex, gbot, err := db.CreateAccount(ctx, "Globex", "globex", "Globex Bot")
		if err != nil {
			t.Fatal(err)
		}
		gctx := baton.NewContextWithActor(ctx, &baton.Actor{AccountID: globex.ID})
		tpl, err := db.CreateTemplate(gctx, gbot.ID, baton.ChannelTemplate{Name: "globex_hello", Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveChannel(gctx, gbot.ID, baton.ChannelTelegram, nil, map[string]string{"bot_token": "1:globex", "webhook_secret": "g"}); err != nil {
			t.Fatal(err)
		}
		m, _, err := db.ReceiveMessage(ctx, &store.InboundMessage{ChatbotID: gbot.ID, SessionID: "wa:1999", Key: "wamid.g1", Content: "Hi Globex"})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{"chatbot": gbot.ID, "kind": baton.ChannelTelegram, "id": m.ConversationID}
		bodies := map[string]any{
			"PUT /api/v1/chatbots/{chatbot}/channels/{kind}":   map[string]any{"bot_token": "123:hacked", "webhook_secret": "hacked"},
			"POST /api/v1/chatbots/{chatbot}/templates":        map[string]any{"name": "hacked", "language": "en"},
			"PATCH /api/v1/chatbots/{chatbot}/templates/{id}":  map[string]any{"name": "hacked", "body": "Hacked {{1}}", "parameters": []string{"x"}},
			"POST /api/v1/conversations/{id}/template":         map[string]any{"template_id": tpl.ID, "parameters": []string{}},
			"DELETE /api/v1/chatbots/{chatbot}/templates/{id}": nil,
		}
		checked := 0
		for _, route := range channelRoutes(t, db) {
			method, path, _ := strings.Cut(route, " ")
			if strings.HasPrefix(path, "/hooks/") {
				continue // authenticated by the channel's own secret
			}
			local := ids
			if strings.Contains(path, "/templates/{id}") {
				local = map[string]string{"chatbot": gbot.ID, "id": tpl.ID}
			}
			for _, ref := range []string{gbot.ID, gbot.Slug} {
				u := pathParam.ReplaceAllStringFunc(path, func(p string) string {
					name := p[1 : len(p)-1]
					if name == "chatbot" {
						return ref
					}
					v, ok := local[name]
					if !ok {
						t.Fatalf("route %s has a path parameter %s this test does not know", route, p)
					}
					return v
				})
				r := e.AsOwner(t, method, u, bodies[route])
				if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "No such API route") {
					t.Errorf("%s %s with another account's ids = %d %s, want 404", method, u, r.Status, r.Body)
				}
			}
			checked++
		}
		if checked < 9 {
			t.Errorf("checked %d routes", checked)
		}
		if c, _ := db.ChannelByID(ctx, gbot.ID, baton.ChannelTelegram); c.Status != baton.ChannelConnected || c.Secrets["bot_token"] != "1:globex" {
			t.Errorf("the other account's channel changed: %+v", c)
		}
		if ts, _ := db.Templates(gctx, gbot.ID); len(ts) != 1 || ts[0].Name != "globex_hello" || ts[0].Body != "" || len(ts[0].Parameters) != 0 {
			t.Errorf("the other account's templates changed: %+v", ts)
		}
		// This account's chatbot with the other account's template id is 404 too.
		for _, method := range []string{"PATCH", "DELETE"} {
			r := e.AsOwner(t, method, "/api/v1/chatbots/demo/templates/"+tpl.ID, map[string]any{"name": "hacked"})
			if r.Status != http.StatusNotFound {
				t.Errorf("%s of another account's template through this account's chatbot = %d %s, want 404", method, r.Status, r.Body)
			}
		}
	})
}

func TestOnlyAdminsConfigureChannels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := channeltest.New(t, db, adapters()...)
		ctx := context.Background()
		if _, err := db.CreateUser(ctx, baton.UserCreate{AccountID: e.Account.ID, Email: "ana@acme.test", Password: "correct horse battery",
			FirstName: "Ana", Role: baton.RoleAgent}); err != nil {
			t.Fatal(err)
		}
		sess, err := db.Login(ctx, "ana@acme.test", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		agent := http.Header{"Authorization": {"Bearer " + sess.Token}}
		channeltest.Want(t, e.Do(t, "PUT", "/api/v1/chatbots/demo/channels/telegram", agent, map[string]any{"bot_token": "1:x"}), http.StatusForbidden, "an agent configuring a channel")
		channeltest.Want(t, e.Do(t, "DELETE", "/api/v1/chatbots/demo/channels/telegram", agent, nil), http.StatusForbidden, "an agent disconnecting a channel")
		channeltest.Want(t, e.Do(t, "POST", "/api/v1/chatbots/demo/templates", agent, map[string]any{"name": "x", "language": "en"}), http.StatusForbidden, "an agent adding a template")
		tpl := channeltest.Want(t, e.AsOwner(t, "POST", "/api/v1/chatbots/demo/templates", map[string]any{"name": "hello", "language": "en"}),
			http.StatusCreated, "the owner adding a template").JSON(t)
		channeltest.Want(t, e.Do(t, "PATCH", "/api/v1/chatbots/demo/templates/"+tpl["id"].(string), agent, map[string]any{"name": "changed"}),
			http.StatusForbidden, "an agent editing a template")
		channeltest.Want(t, e.Do(t, "DELETE", "/api/v1/chatbots/demo/templates/"+tpl["id"].(string), agent, nil),
			http.StatusForbidden, "an agent deleting a template")
		if ts, _ := db.Templates(e.Actor(), "demo"); len(ts) != 1 || ts[0].Name != "hello" {
			t.Errorf("templates after an agent's attempts = %+v, want hello unchanged", ts)
		}
		list := channeltest.Want(t, e.Do(t, "GET", "/api/v1/chatbots/demo/channels", agent, nil), http.StatusOK, "an agent listing the channels").JSON(t)
		var kinds []string
		for _, c := range list["channels"].([]any) {
			cm := c.(map[string]any)
			kinds = append(kinds, cm["kind"].(string))
			if cm["status"] != baton.ChannelNotConfigured || len(cm["fields"].([]any)) == 0 {
				t.Errorf("channel %v", cm)
			}
		}
		if strings.Join(kinds, ",") != "email,messenger,telegram,whatsapp" {
			t.Errorf("channels = %v", kinds)
		}
		channeltest.Want(t, e.AsOwner(t, "GET", "/api/v1/chatbots/demo/channels/web", nil), http.StatusNotFound, "the widget's channel")
		channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/telegram", map[string]any{"bot_token": "1:x", "api_key": "?"}),
			http.StatusBadRequest, "a field telegram does not have")
		channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/telegram", map[string]any{"bot_token": "1:x", "webhook_secret": "has spaces"}),
			http.StatusBadRequest, "a webhook secret Telegram refuses")
		channeltest.Want(t, e.AsOwner(t, "DELETE", "/api/v1/chatbots/demo/channels/telegram", nil), http.StatusNotFound, "disconnecting a channel never configured")
	})
}

// TestEditingATemplate: PATCH changes only the fields given, with the limits of POST, and
// refuses a name and language another template of the chatbot has.
func TestEditingATemplate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := channeltest.New(t, db, adapters()...)
		base := "/api/v1/chatbots/demo/templates"
		tpl := channeltest.Want(t, e.AsOwner(t, "POST", base, map[string]any{"name": "order_update", "language": "en_US",
			"parameters": []string{"first_name"}, "body": "Hi {{1}}, your order shipped."}), http.StatusCreated, "POST template").JSON(t)
		channeltest.Want(t, e.AsOwner(t, "POST", base, map[string]any{"name": "order_update", "language": "pt_BR"}), http.StatusCreated, "POST its Portuguese twin")
		id := tpl["id"].(string)
		u := base + "/" + id

		got := channeltest.Want(t, e.AsOwner(t, "PATCH", u, map[string]any{"body": "Hi {{1}}, order {{2}} shipped.",
			"parameters": []string{"first_name", "order"}}), http.StatusOK, "PATCH body and parameters").JSON(t)
		if got["id"] != id || got["name"] != "order_update" || got["language"] != "en_US" || got["body"] != "Hi {{1}}, order {{2}} shipped." ||
			len(got["parameters"].([]any)) != 2 || got["created_at"] != tpl["created_at"] {
			t.Errorf("PATCH body and parameters = %v, want the name, language and created_at unchanged", got)
		}
		got = channeltest.Want(t, e.AsOwner(t, "PATCH", u, map[string]any{"name": "  order_shipped ", "language": "en_GB"}),
			http.StatusOK, "PATCH name and language").JSON(t)
		if got["name"] != "order_shipped" || got["language"] != "en_GB" || got["body"] != "Hi {{1}}, order {{2}} shipped." || len(got["parameters"].([]any)) != 2 {
			t.Errorf("PATCH name and language = %v, want them trimmed and the body and parameters kept", got)
		}
		got = channeltest.Want(t, e.AsOwner(t, "PATCH", u, map[string]any{"parameters": []string{}, "body": ""}), http.StatusOK, "PATCH clearing").JSON(t)
		if got["body"] != "" || len(got["parameters"].([]any)) != 0 {
			t.Errorf("PATCH clearing the body and parameters = %v", got)
		}

		long := strings.Repeat("x", 101)
		for _, c := range []struct {
			what   string
			body   any
			status int
			code   string
		}{
			{"a name with a space", map[string]any{"name": "order update"}, http.StatusBadRequest, "invalid"},
			{"an empty name", map[string]any{"name": "  "}, http.StatusBadRequest, "invalid"},
			{"a name of 513 characters", map[string]any{"name": strings.Repeat("n", 513)}, http.StatusBadRequest, "invalid"},
			{"a language of 16 characters", map[string]any{"language": strings.Repeat("l", 16)}, http.StatusBadRequest, "invalid"},
			{"21 parameters", map[string]any{"parameters": make([]string, 21)}, http.StatusBadRequest, "invalid"},
			{"a blank parameter name", map[string]any{"parameters": []string{" "}}, http.StatusBadRequest, "invalid"},
			{"a parameter name of 101 characters", map[string]any{"parameters": []string{long}}, http.StatusBadRequest, "invalid"},
			{"a body of 1025 characters", map[string]any{"body": strings.Repeat("é", 1025)}, http.StatusBadRequest, "invalid"},
			{"an unknown field", map[string]any{"category": "MARKETING"}, http.StatusBadRequest, "invalid"},
			{"a number for a name", map[string]any{"name": 7}, http.StatusBadRequest, "invalid"},
			{"the name and language of the other template", map[string]any{"name": "order_update", "language": "pt_BR"}, http.StatusConflict, "conflict"},
		} {
			r := e.AsOwner(t, "PATCH", u, c.body)
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != c.status || body.Error.Code != c.code || body.Error.Message == "" {
				t.Errorf("PATCH with %s = %d %s, want %d %s with a message", c.what, r.Status, r.Body, c.status, c.code)
			}
		}
		if ts, _ := db.Templates(e.Actor(), "demo"); len(ts) != 2 || ts[0].Name != "order_shipped" || ts[0].Language != "en_GB" || ts[0].Body != "" {
			t.Errorf("templates after the refused edits = %+v, want the last accepted one", ts)
		}
		channeltest.Want(t, e.AsOwner(t, "PATCH", base+"/nope", map[string]any{"name": "x"}), http.StatusNotFound, "PATCH an unknown template")
		channeltest.Want(t, e.AsOwner(t, "PATCH", "/api/v1/chatbots/nope/templates/"+id, map[string]any{"name": "x"}), http.StatusNotFound, "PATCH through an unknown chatbot")
		channeltest.Want(t, e.AsOwner(t, "DELETE", u, nil), http.StatusNoContent, "DELETE it")
		channeltest.Want(t, e.AsOwner(t, "PATCH", u, map[string]any{"name": "x"}), http.StatusNotFound, "PATCH a deleted template")
	})
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func file(name string, data []byte) channel.File {
	return channel.File{Name: name, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

func blobCount(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestStoreKeepsFilesByTheirContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := channeltest.New(t, db, adapters()...)
		ctx := context.Background()
		c := &store.ChannelConfig{ChatbotID: e.Bot.ID, Kind: baton.ChannelTelegram}
		unknown := append([]byte("BM?not-a-known-format"), make([]byte, 64)...)
		mp4 := append([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2'}, make([]byte, 64)...)
		huge := append([]byte("%PDF-1.4\n"), make([]byte, store.MaxAttachmentSize)...)
		in := &channel.Inbound{InboundMessage: store.InboundMessage{SessionID: "tg:5", Key: "update:5", Content: "Files"},
			Files: []channel.File{
				file("holiday.exe", pngBytes(t)),
				file("drawing.bmp", unknown),
				file("clip.mp4", mp4),
				file("scan.pdf", huge),
				{Name: "gone.pdf", Open: func(context.Context) (io.ReadCloser, error) { return nil, errors.New("404") }},
			},
			NameLookup: func(context.Context) string { return "Looked Up" }}
		m, dup, err := e.Service.Store(ctx, c, in)
		if err != nil || dup {
			t.Fatalf("Store = %v, duplicate %v", err, dup)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "image/png" || m.Attachments[0].Name != "holiday.exe" {
			t.Errorf("attachments = %+v, want the PNG only, typed by its content", m.Attachments)
		}
		for _, want := range []string{"[Attachment drawing.bmp not kept: Files of type application/octet-stream cannot be attached",
			"[Attachment clip.mp4 not kept: Files of type video/mp4 cannot be attached", "[Attachment scan.pdf not kept: it is larger than 16 MB.]",
			"[Attachment gone.pdf not kept: it could not be downloaded from the provider.]"} {
			if !strings.Contains(m.Content, want) {
				t.Errorf("content = %q, want it to say %q", m.Content, want)
			}
		}
		if !strings.HasPrefix(m.Content, "Files\n") || e.Conversation(t, m.ConversationID).Contact.Name != "Looked Up" {
			t.Errorf("content %q, contact %q", m.Content, e.Conversation(t, m.ConversationID).Contact.Name)
		}
		if n := blobCount(t, e.Blobs.Root); n != 1 {
			t.Errorf("blobs = %d, want 1", n)
		}

		// A retry of the same message: nothing fetched, nothing kept.
		fetched := false
		again := &channel.Inbound{InboundMessage: store.InboundMessage{SessionID: "tg:5", Key: "update:5", Content: "Files"},
			Files: []channel.File{{Name: "x.png", Open: func(context.Context) (io.ReadCloser, error) { fetched = true; return nil, errors.New("no") }}}}
		if _, dup, err := e.Service.Store(ctx, c, again); err != nil || !dup || fetched {
			t.Errorf("Store(the same key) = duplicate %v, %v, fetched %v; want a duplicate, nothing fetched", dup, err, fetched)
		}
		// On WhatsApp, an MP4 is kept (M2).
		wa := &store.ChannelConfig{ChatbotID: e.Bot.ID, Kind: baton.ChannelWhatsApp}
		v, _, err := e.Service.Store(ctx, wa, &channel.Inbound{InboundMessage: store.InboundMessage{SessionID: "wa:5", Key: "wamid.v"},
			Files: []channel.File{file("clip.mp4", mp4)}})
		if err != nil || len(v.Attachments) != 1 || v.Attachments[0].ContentType != "video/mp4" {
			t.Errorf("an MP4 on WhatsApp = %+v, %v", v, err)
		}
	})
}
