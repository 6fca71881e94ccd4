// Package console serves the agent console: the Svelte app in this directory, built into
// dist/ by `make web` and embedded in the binary. Mount Handler at /app/.
package console

import (
	"bytes"
	"embed"
	"io"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Prefix is where the console is mounted; the app is built with this base path.
const Prefix = "/app/"

// Handler serves the built console under /app/: hashed assets with a long cache, everything
// else (index.html and any unknown path, for the app's own routing) with no-cache. When the
// app has not been built it answers 503 with a page saying how to build it.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path name; "dist" is valid.
		panic(err)
	}
	return newHandler(sub)
}

type handler struct {
	files fs.FS
	index []byte // nil when the app is not built
}

func newHandler(files fs.FS) *handler {
	h := &handler{files: files}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		h.index = b
	}
	return h
}

// hashed matches the file names Vite gives build outputs: name-<8+ char hash>.ext.
var hashed = regexp.MustCompile(`-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$`)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p+"/" == Prefix {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	if !strings.HasPrefix(p, Prefix) {
		http.NotFound(w, r)
		return
	}
	if h.index == nil {
		h.notBuilt(w)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(p, Prefix)), "/")
	if name != "" && name != "index.html" && h.serveFile(w, r, name) {
		return
	}
	// A missing build asset is a real 404 (a stale tab asking for an old hash), not the app.
	if strings.HasPrefix(name, "assets/") {
		http.NotFound(w, r)
		return
	}
	h.serveIndex(w, r)
}

// serveFile serves a static file of the build; false if there is none by that name.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	st, err := fs.Stat(h.files, name)
	if err != nil || st.IsDir() {
		return false
	}
	hdr := w.Header()
	if strings.HasPrefix(name, "assets/") && hashed.MatchString(name) {
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Add("Vary", "Accept-Encoding")
	// The build writes name.gz beside large text assets.
	if acceptsGzip(r) {
		if gz, err := fs.ReadFile(h.files, name+".gz"); err == nil {
			if ct := contentType(name); ct != "" {
				hdr.Set("Content-Type", ct)
			}
			hdr.Set("Content-Encoding", "gzip")
			http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(gz))
			return true
		}
	}
	b, err := fs.ReadFile(h.files, name)
	if err != nil {
		return false
	}
	if ct := contentType(name); ct != "" {
		hdr.Set("Content-Type", ct)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	return true
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	setPageSecurity(hdr)
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

// setPageSecurity sets the headers of an HTML page of the console. Message text is never
// HTML (K4); the policy is a second wall: no inline or foreign script, no framing.
func setPageSecurity(hdr http.Header) {
	hdr.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data: blob: https:; media-src 'self' data: blob:; connect-src 'self'; "+
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "same-origin")
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton console not built</title>
<style>body{font:15px system-ui,sans-serif;max-width:36em;margin:15vh auto;padding:0 1em;color:#1d2433}code{background:#f2f4f7;padding:2px 5px;border-radius:4px}</style>
</head><body><h1>The agent console is not built</h1>
<p>This binary was compiled without the web app. Run <code>make web</code> (needs Node.js and npm), then rebuild Baton, or use <code>make run</code>.</p>
<p>The API is available at <code>/api/v1</code>.</p></body></html>
`

func (h *handler) notBuilt(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	setPageSecurity(hdr)
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, notBuiltPage)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	case ".mp3": // the handoff chime; not in Go's built-in table, and nosniff is set
		return "audio/mpeg"
	case ".wav":
		return "audio/wav"
	}
	return ""
}
