package meta_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/meta"
)

// The ids of the captured payloads in testdata/.
const (
	phoneNumberID = "106540352242922"
	waID          = "16505551234"
	waToken       = "EAAJB-whatsapp-access-token"
	pageID        = "118190054559331"
	psid          = "6917223448326432"
	pageToken     = "EAAJB-page-access-token"
	appSecret     = "3b8a1f0c2d4e6f8091a2b3c4d5e6f708"
	verifyToken   = "acme-verify-4242"
	// sentWamid and sentMid are the ids the captured send answers carry; the fake
	// numbers them per send (…-2, …-3).
	sentWamid = "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
	sentMid   = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"
)

// testdata reads a captured payload with its timestamps moved to now, keeping their
// order and spacing: the captures are from 2025-06-08, and a visitor message that old
// would (rightly) open no reply window.
func testdata(t *testing.T, name string) []byte {
	t.Helper()
	return testdataAt(t, name, time.Now())
}

// testdataAt is testdata with the capture moved to a minute before now.
func testdataAt(t *testing.T, name string, now time.Time) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	shift := now.Add(-time.Minute).Unix() - captured
	return capturedTime.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := capturedTime.FindSubmatch(m)
		n, _ := strconv.ParseInt(string(sub[2]), 10, 64)
		if len(sub[2]) == 13 { // milliseconds (Messenger)
			n += shift * 1000
		} else {
			n += shift
		}
		return []byte(string(sub[1]) + strconv.FormatInt(n, 10))
	})
}

// captured is the first instant of the captures (Unix seconds); capturedTime finds their
// timestamps, in seconds as a string (WhatsApp) or in milliseconds (Messenger).
const captured = 1749416383

var capturedTime = regexp.MustCompile(`("timestamp":\s*"?)(\d{10}(?:\d{3})?)`)

// sent is one request the fake Graph API received.
type sent struct {
	Path string
	// Body is the JSON body, or the multipart fields (with "file" and "filedata" for files).
	Body map[string]any
	File []byte
	At   time.Time
}

// text is what a send carried: its text, caption or template name.
func (s sent) text() string {
	get := func(m any, keys ...string) string {
		for _, k := range keys {
			mm, ok := m.(map[string]any)
			if !ok {
				return ""
			}
			m = mm[k]
		}
		v, _ := m.(string)
		return v
	}
	for _, p := range [][]string{{"text", "body"}, {"message", "text"}, {"template", "name"}, {"image", "caption"}, {"document", "caption"}} {
		if v := get(s.Body, p...); v != "" {
			return v
		}
	}
	return ""
}

// fakeGraph is the Graph API as documented for WhatsApp Cloud API and Messenger: bearer
// tokens, JSON (or multipart for uploads) in, the captured answers of testdata/ out.
type fakeGraph struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	calls []sent
	// fail holds, per text sent, the error answers (testdata files) to give next.
	fail  map[string][]string
	image []byte
	n     int
}

func newGraph(t *testing.T) *fakeGraph {
	g := &fakeGraph{t: t, fail: map[string][]string{}}
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{10, 200, 10, 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	g.image = buf.Bytes()
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGraph) graph() *meta.Graph { return &meta.Graph{BaseURL: g.srv.URL} }

func (g *fakeGraph) failNext(text string, files ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail[text] = append(g.fail[text], files...)
}

func (g *fakeGraph) write(w http.ResponseWriter, name string, patch func(map[string]any)) {
	var body map[string]any
	if err := json.Unmarshal(testdata(g.t, name), &body); err != nil {
		g.t.Errorf("testdata %s: %v", name, err)
	}
	if patch != nil {
		patch(body)
	}
	status := http.StatusOK
	if e, ok := body["error"].(map[string]any); ok {
		status = http.StatusBadRequest
		if e["is_transient"] == true {
			status = http.StatusInternalServerError
		}
		if e["code"] == float64(190) {
			status = http.StatusUnauthorized
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func (g *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/media/") || strings.HasPrefix(r.URL.Path, "/cdn/") {
		if strings.HasPrefix(r.URL.Path, "/media/") && r.Header.Get("Authorization") != "Bearer "+waToken {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(g.image)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/"+meta.DefaultVersion+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	auth := r.Header.Get("Authorization")
	if auth != "Bearer "+waToken && auth != "Bearer "+pageToken {
		g.write(w, "error_190.json", nil)
		return
	}
	c := sent{Path: r.Method + " " + path, Body: map[string]any{}, At: time.Now()}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			g.t.Errorf("%s: %v", c.Path, err)
		}
		for k, v := range r.MultipartForm.Value {
			var j any
			if json.Unmarshal([]byte(v[0]), &j) == nil {
				c.Body[k] = j
			} else {
				c.Body[k] = v[0]
			}
		}
		for k, fhs := range r.MultipartForm.File {
			f, _ := fhs[0].Open()
			c.File, _ = io.ReadAll(f)
			f.Close()
			c.Body[k] = fhs[0].Filename
			c.Body[k+"_type"] = fhs[0].Header.Get("Content-Type")
		}
	} else if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&c.Body); err != nil {
			g.t.Errorf("%s: the body is not JSON: %v", c.Path, err)
		}
	} else if r.Method == http.MethodPost {
		r.ParseForm()
		for k := range r.PostForm {
			c.Body[k] = r.PostForm.Get(k)
		}
	}
	g.mu.Lock()
	g.calls = append(g.calls, c)
	g.n++
	n := g.n
	var failWith string
	if q := g.fail[c.text()]; len(q) > 0 && strings.HasSuffix(path, "/messages") {
		failWith, g.fail[c.text()] = q[0], q[1:]
	}
	g.mu.Unlock()
	if failWith != "" {
		g.write(w, failWith, nil)
		return
	}
	switch {
	case r.Method == "GET" && path == phoneNumberID:
		g.write(w, "wa_phone_number.json", nil)
	case r.Method == "POST" && path == phoneNumberID+"/messages":
		g.write(w, "wa_send_response.json", func(b map[string]any) {
			b["contacts"].([]any)[0].(map[string]any)["input"] = c.Body["to"]
			b["messages"].([]any)[0].(map[string]any)["id"] = fmt.Sprintf("%s-%d", sentWamid, n)
		})
	case r.Method == "POST" && path == phoneNumberID+"/media":
		g.write(w, "wa_upload_response.json", nil)
	case r.Method == "GET" && path == "1003383421387256":
		g.write(w, "wa_media.json", func(b map[string]any) { b["url"] = g.srv.URL + "/media/1003383421387256" })
	case r.Method == "GET" && path == pageID:
		g.write(w, "fb_page.json", nil)
	case r.Method == "POST" && path == pageID+"/subscribed_apps":
		g.write(w, "fb_subscribed_apps.json", nil)
	case r.Method == "GET" && path == psid:
		g.write(w, "fb_profile.json", nil)
	case r.Method == "POST" && path == pageID+"/messages":
		g.write(w, "fb_send_response.json", func(b map[string]any) {
			b["message_id"] = fmt.Sprintf("%s-%d", sentMid, n)
		})
	default:
		g.t.Errorf("the fake Graph API got an unexpected %s %s", r.Method, path)
		g.write(w, "error_190.json", nil)
	}
}

// sends returns the calls to a path ("POST 106540352242922/messages") that carried text.
func (g *fakeGraph) sends(path, text string) []sent {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []sent
	for _, c := range g.calls {
		if c.Path == path && (text == "" || c.text() == text) {
			out = append(out, c)
		}
	}
	return out
}

// notify posts a notification to a hook, signed with secret ("" for no signature).
func notify(t *testing.T, e *channeltest.Env, path, secret string, body []byte) channeltest.Response {
	t.Helper()
	h := http.Header{}
	if secret != "" {
		h.Set(meta.SignatureHeader, meta.Sign(secret, body))
	}
	return e.Do(t, "POST", path, h, body)
}
