package widget

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, method, path string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerServesABuiltWidget(t *testing.T) {
	h := newHandler(fstest.MapFS{
		"widget.js": {Data: []byte("(function(){})();")},
		"demo.html": {Data: []byte("<!doctype html><title>Acme</title>")},
		".keep":     {Data: nil},
	})
	tests := []struct {
		name, path, wantType, wantCache, wantBody string
	}{
		{"the script is JavaScript cached for five minutes", "/widget.js", "text/javascript; charset=utf-8", "public, max-age=300", "(function(){})();"},
		{"the demo page is HTML", "/demo", "text/html; charset=utf-8", "no-cache", "<!doctype html><title>Acme</title>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, h, "GET", tt.path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s status = %d, want 200", tt.path, res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("GET %s Content-Type = %q, want %q", tt.path, got, tt.wantType)
			}
			if got := res.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("GET %s Cache-Control = %q, want %q", tt.path, got, tt.wantCache)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("GET %s X-Content-Type-Options = %q, want nosniff", tt.path, got)
			}
			if got := body(t, res); got != tt.wantBody {
				t.Errorf("GET %s body = %q, want %q", tt.path, got, tt.wantBody)
			}
		})
	}

	t.Run("a matching ETag gets 304", func(t *testing.T) {
		etag := get(t, h, "GET", "/widget.js", nil).Header.Get("ETag")
		if etag == "" {
			t.Fatal("GET /widget.js sent no ETag")
		}
		if res := get(t, h, "GET", "/widget.js", map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("GET /widget.js with If-None-Match status = %d, want 304", res.StatusCode)
		}
	})
	t.Run("other paths are not found", func(t *testing.T) {
		if res := get(t, h, "GET", "/demo.html.bak", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /demo.html.bak status = %d, want 404", res.StatusCode)
		}
	})
	t.Run("only GET and HEAD are allowed", func(t *testing.T) {
		if res := get(t, h, "POST", "/widget.js", nil); res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST /widget.js status = %d, want 405", res.StatusCode)
		}
	})
}

func TestHandlerWithoutABuildSaysToRunMakeWeb(t *testing.T) {
	h := newHandler(fstest.MapFS{".keep": {Data: nil}})
	res := get(t, h, "GET", "/widget.js", nil)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /widget.js status = %d, want 503", res.StatusCode)
	}
	if got := res.Header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("GET /widget.js Content-Type = %q, want text/javascript", got)
	}
	b := body(t, res)
	if !strings.HasPrefix(b, "/*") || !strings.Contains(b, "make web") {
		t.Errorf("GET /widget.js body = %q, want a JS comment that says to run make web", b)
	}
	if res := get(t, h, "GET", "/demo", nil); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /demo status = %d, want 503", res.StatusCode)
	}
}

// The embedded dist/ holds either a build or only the placeholder; the handler answers
// sensibly in both cases.
func TestHandlerServesTheEmbeddedDist(t *testing.T) {
	res := get(t, Handler(), "GET", "/widget.js", nil)
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /widget.js status = %d, want 200 (built) or 503 (not built)", res.StatusCode)
	}
	if got := res.Header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("GET /widget.js Content-Type = %q, want text/javascript; charset=utf-8", got)
	}
	res = get(t, Handler(), "GET", "/demo", nil)
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("GET /demo Content-Type = %q, want text/html; charset=utf-8", got)
	}
}

func TestDemoPageHasThePageSecurityHeaders(t *testing.T) {
	h := newHandler(fstest.MapFS{
		"widget.js": {Data: []byte("(function(){})();")},
		"demo.html": {Data: []byte("<!doctype html><title>Acme</title>")},
	})
	res := get(t, h, "GET", "/demo", nil)
	want := map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("GET /demo %s = %q, want %q", k, got, v)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, d := range []string{"script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("GET /demo Content-Security-Policy = %q, want %s", csp, d)
		}
	}
}
