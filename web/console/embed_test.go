package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><title>Baton</title><script type="module" src="/app/assets/index-AbCdEf12.js"></script>`

func built() fstest.MapFS {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("console.log('big')"))
	zw.Close()
	return fstest.MapFS{
		"index.html":                  {Data: []byte(indexHTML)},
		"assets/index-AbCdEf12.js":    {Data: []byte("console.log('big')")},
		"assets/index-AbCdEf12.js.gz": {Data: gz.Bytes()},
		"assets/index-XyZ98765.css":   {Data: []byte("body{}")},
		"sounds/handoff.wav":          {Data: []byte("RIFF....WAVE")},
		"sounds/handoff.mp3":          {Data: []byte{0xff, 0xf3, 0x84, 0xc4}},
		".keep":                       {Data: nil},
	}
}

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandler(t *testing.T) {
	h := newHandler(built())
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
		wantCache  string
	}{
		{"the root serves index.html", "/app/", 200, indexHTML, "no-cache"},
		{"index.html by name serves the app", "/app/index.html", 200, indexHTML, "no-cache"},
		{"an app route falls back to index.html", "/app/conversations/0192abc", 200, indexHTML, "no-cache"},
		{"a settings route falls back to index.html", "/app/settings/tokens", 200, indexHTML, "no-cache"},
		{"an unknown file falls back to index.html", "/app/whatever.txt", 200, indexHTML, "no-cache"},
		{"a hashed asset is cached for a year", "/app/assets/index-XyZ98765.css", 200, "body{}", "public, max-age=31536000, immutable"},
		{"a public file is revalidated", "/app/sounds/handoff.wav", 200, "RIFF....WAVE", "no-cache"},
		{"a missing asset is a 404, not the app", "/app/assets/index-Old00000.js", 404, "", ""},
		{"a path escaping the root stays inside", "/app/../../etc/passwd", 200, indexHTML, "no-cache"},
		{"a directory falls back to index.html", "/app/assets/", 200, indexHTML, "no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, tt.path)
			if w.Code != tt.wantStatus {
				t.Fatalf("GET %s = %d, want %d", tt.path, w.Code, tt.wantStatus)
			}
			if tt.wantBody != "" && w.Body.String() != tt.wantBody {
				t.Errorf("GET %s body = %q, want %q", tt.path, w.Body.String(), tt.wantBody)
			}
			if got := w.Header().Get("Cache-Control"); tt.wantCache != "" && got != tt.wantCache {
				t.Errorf("GET %s Cache-Control = %q, want %q", tt.path, got, tt.wantCache)
			}
		})
	}
}

func TestIndexHeaders(t *testing.T) {
	w := get(t, newHandler(built()), "/app/conversations/x")
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q, want script-src 'self'", csp)
	}
	if xfo := w.Header().Get("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("X-Frame-Options = %q, want DENY", xfo)
	}
}

// The chime is /sounds/handoff.mp3 (reference 000): served as audio/mpeg, since Go's own
// table lacks .mp3 and the console sends nosniff.
func TestChimeContentType(t *testing.T) {
	h := newHandler(built())
	for path, want := range map[string]string{"/app/sounds/handoff.mp3": "audio/mpeg", "/app/sounds/handoff.wav": "audio/wav"} {
		w := get(t, h, path)
		if w.Code != 200 || w.Header().Get("Content-Type") != want {
			t.Errorf("GET %s = %d, Content-Type %q; want 200 %s", path, w.Code, w.Header().Get("Content-Type"), want)
		}
	}
}

func TestGzipAsset(t *testing.T) {
	h := newHandler(built())
	w := get(t, h, "/app/assets/index-AbCdEf12.js", "Accept-Encoding", "gzip, deflate")
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET js with gzip = %d, Content-Encoding %q; want 200 gzip", w.Code, w.Header().Get("Content-Encoding"))
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q, want text/javascript", ct)
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != "console.log('big')" {
		t.Errorf("gunzipped body = %q", b)
	}

	plain := get(t, h, "/app/assets/index-AbCdEf12.js")
	if plain.Header().Get("Content-Encoding") != "" || plain.Body.String() != "console.log('big')" {
		t.Errorf("GET js without gzip: Content-Encoding %q, body %q; want plain", plain.Header().Get("Content-Encoding"), plain.Body.String())
	}
}

func TestNotBuilt(t *testing.T) {
	h := newHandler(fstest.MapFS{".keep": {Data: nil}})
	for _, p := range []string{"/app/", "/app/conversations/1"} {
		w := get(t, h, p)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("GET %s without a build = %d, want 503", p, w.Code)
		}
		if !strings.Contains(w.Body.String(), "make web") {
			t.Errorf("GET %s without a build: body does not say to run make web: %q", p, w.Body.String())
		}
	}
}

func TestRedirectAndMethods(t *testing.T) {
	h := newHandler(built())
	w := get(t, h, "/app")
	if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/app/" {
		t.Errorf("GET /app = %d to %q, want 301 to /app/", w.Code, w.Header().Get("Location"))
	}
	r := httptest.NewRequest(http.MethodPost, "/app/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /app/ = %d, want 405", rec.Code)
	}
}

func TestEmbeddedHandlerServes(t *testing.T) {
	// Whatever the state of dist/ (built or only .keep), the real handler answers.
	w := get(t, Handler(), "/app/")
	if w.Code != http.StatusOK && w.Code != http.StatusServiceUnavailable {
		t.Fatalf("GET /app/ = %d, want 200 (built) or 503 (not built)", w.Code)
	}
}
