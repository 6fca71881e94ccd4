// Package widget serves Baton's embeddable chat widget: the built script at /widget.js and
// a sample page that embeds it at /demo. The files come from dist/, built by `make web`
// (Vite) and embedded at compile time; without a build, /widget.js answers 503 and says so.
package widget

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Handler serves GET /widget.js and GET /demo. Mount it on both paths, e.g.
//
//	mux.Handle("GET /widget.js", widget.Handler())
//	mux.Handle("GET /demo", widget.Handler())
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // The embed pattern guarantees the directory.
	}
	return newHandler(sub)
}

// asset is one file read at start-up, with its validator.
type asset struct {
	body []byte
	etag string
}

type handler struct {
	js   *asset
	demo *asset
}

// newHandler reads the widget and the demo page from fsys (dist/ in production, a
// fstest.MapFS in tests); a missing file is served as 503.
func newHandler(fsys fs.FS) http.Handler {
	h := &handler{js: load(fsys, "widget.js"), demo: load(fsys, "demo.html")}
	if h.demo == nil {
		h.demo = load(fsys, "demo/index.html")
	}
	return h
}

func load(fsys fs.FS, name string) *asset {
	b, err := fs.ReadFile(fsys, name)
	if err != nil || len(b) == 0 {
		return nil
	}
	sum := sha256.Sum256(b)
	return &asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

const notBuiltJS = "/* The Baton widget has not been built: run `make web`, then rebuild the server. */\n"

const notBuiltHTML = `<!doctype html><meta charset="utf-8"><title>Widget not built</title>
<p>The Baton widget has not been built: run <code>make web</code>, then rebuild the server.</p>
`

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	switch r.URL.Path {
	case "/widget.js":
		hd.Set("Content-Type", "text/javascript; charset=utf-8")
		// The widget runs on other sites: let them load it from any origin.
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
		if h.js == nil {
			hd.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(notBuiltJS))
			return
		}
		hd.Set("Cache-Control", "public, max-age=300")
		serve(w, r, "widget.js", h.js)
	case "/demo", "/demo/":
		hd.Set("Content-Type", "text/html; charset=utf-8")
		setDemoSecurity(hd)
		if h.demo == nil {
			hd.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(notBuiltHTML))
			return
		}
		hd.Set("Cache-Control", "no-cache")
		serve(w, r, "demo.html", h.demo)
	default:
		http.NotFound(w, r)
	}
}

// setDemoSecurity gives the demo page the console's protection (issue 18, item 11), fitted
// to what it loads: its own inline styles, the widget script from this server, and the
// widget's API and socket on this server. No other script runs and no site may frame it.
func setDemoSecurity(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data: blob:; media-src 'self' data: blob:; connect-src 'self'; "+
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
}

// serve writes an asset, answering If-None-Match with 304.
func serve(w http.ResponseWriter, r *http.Request, name string, a *asset) {
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
