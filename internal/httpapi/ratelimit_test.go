package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// A fast real visitor, replayed on the store's clock, never meets a widget budget: a page
// reload every 2 s for a minute (each opening a session, as when storage is blocked), then
// a message every second for 2 minutes with a paste of 5 at once, three files dropped at
// once and the offline form sent twice.
func TestWidgetBudgetsLetARealVisitorThrough(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var v visitor
		for range 30 {
			r := e.do(t, req{Method: "POST", URL: "/widget/v1/sessions", Body: map[string]string{"chatbot": "demo"}})
			r.wantStatus(t, http.StatusCreated)
			r.decode(t, &v)
			e.do(t, req{Method: "GET", URL: "/widget/v1/config?chatbot=demo"}).wantStatus(t, http.StatusOK)
			e.Clock.Advance(2 * time.Second)
		}
		post := func(i int) {
			t.Helper()
			e.do(t, req{Method: "POST", URL: "/widget/v1/messages", Token: v.Token,
				Body: map[string]string{"content": "message " + strconv.Itoa(i)}}).wantStatus(t, http.StatusCreated)
		}
		for i := range 120 {
			post(i)
			if i == 30 {
				for j := range 5 { // a paste of several lines, sent as messages at once
					post(1000 + j)
				}
			}
			e.Clock.Advance(time.Second)
		}
		for range 3 {
			e.visitorFile(t, v.Token)
		}
		for range 2 {
			e.do(t, req{Method: "POST", URL: "/widget/v1/offline", Token: v.Token,
				Body: map[string]string{"name": "Vera", "email": "vera@example.com", "message": "Call me back"}}).wantStatus(t, http.StatusCreated)
		}
	})
}

// The attacks of the security review (issue 18, item 6) get 429 rate_limited with
// Retry-After once the budget is spent, and nothing past it is stored.
func TestWidgetBudgetsStopAttacks(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		v := e.openVisitor(t, "demo", "Mallory", "")

		count := func(n int, send func(i int) resp) (ok int) {
			t.Helper()
			for i := range n {
				r := send(i)
				switch r.Status {
				case http.StatusCreated:
					ok++
				case http.StatusTooManyRequests:
					if code, _, _ := errorShape(r.Body); code != "rate_limited" {
						t.Fatalf("%s %s error code = %q, want rate_limited", r.Method, r.URL, code)
					}
					if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
						t.Fatalf("%s %s Retry-After = %q, want whole seconds ≥ 1", r.Method, r.URL, r.Header.Get("Retry-After"))
					}
				default:
					t.Fatalf("%s %s = %d %s, want 201 or 429", r.Method, r.URL, r.Status, r.Body)
				}
			}
			return ok
		}

		t.Run("500 messages in a burst: 30 are stored", func(t *testing.T) {
			got := count(500, func(i int) resp {
				return e.do(t, req{Method: "POST", URL: "/widget/v1/messages", Token: v.Token,
					Body: map[string]string{"content": "spam " + strconv.Itoa(i)}})
			})
			if got != 30 {
				t.Errorf("messages accepted = %d, want 30", got)
			}
		})
		t.Run("60 offline tickets from one visitor: 5 are made", func(t *testing.T) {
			got := count(60, func(i int) resp {
				return e.do(t, req{Method: "POST", URL: "/widget/v1/offline", Token: v.Token,
					Body: map[string]string{"name": "M", "email": "m@example.com", "message": "ticket " + strconv.Itoa(i)}})
			})
			if got != 5 {
				t.Errorf("offline tickets accepted = %d, want 5", got)
			}
		})
		t.Run("a burst of files: 10 are stored", func(t *testing.T) {
			body, ct := multipartBody(t, "file.pdf", pdfBytes, nil)
			got := count(15, func(int) resp {
				return e.do(t, req{Method: "POST", URL: "/widget/v1/attachments", Token: v.Token, Body: body,
					Headers: map[string]string{"Content-Type": ct}})
			})
			if got != 10 {
				t.Errorf("attachments accepted = %d, want 10", got)
			}
		})
		t.Run("300 sessions in a burst from one address: 60 are opened", func(t *testing.T) {
			got := count(300, func(int) resp {
				return e.do(t, req{Method: "POST", URL: "/widget/v1/sessions", Body: map[string]string{"chatbot": "demo"}})
			})
			if got != 59 { // the visitor above opened the first
				t.Errorf("sessions accepted = %d, want 59", got)
			}
			open := func(base, xff string) int {
				t.Helper()
				r := req{Method: "POST", URL: "/widget/v1/sessions", Body: map[string]string{"chatbot": "demo"}}
				if xff != "" {
					r.Headers = map[string]string{"X-Forwarded-For": xff}
				}
				return doRequest(t, base, r).Status
			}
			if s := open(e.URL, "198.51.100.7"); s != http.StatusTooManyRequests {
				t.Errorf("with a forged X-Forwarded-For = %d, want 429 (no trusted proxies: the header is ignored)", s)
			}
			// A new listener for each setting: its connections are served after the change.
			e.API.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			behindProxy := httptest.NewServer(e.API)
			defer behindProxy.Close()
			if s := open(behindProxy.URL, "198.51.100.7"); s != http.StatusCreated {
				t.Errorf("another client behind a trusted proxy = %d, want 201", s)
			}
			if s := open(behindProxy.URL, "198.51.100.7, 127.0.0.1"); s != http.StatusCreated {
				t.Errorf("another client behind two trusted proxies = %d, want 201", s)
			}
			if s := open(behindProxy.URL, ""); s != http.StatusTooManyRequests {
				t.Errorf("the proxy's own address = %d, want 429", s)
			}
			e.API.NoRateLimits = true
			unlimited := httptest.NewServer(e.API)
			defer unlimited.Close()
			if s := open(unlimited.URL, ""); s != http.StatusCreated {
				t.Errorf("with the limits off = %d, want 201", s)
			}
		})
	})
}

// GET /metrics: loopback clients only, unless a token is set; then only with the token.
func TestMetricsAccess(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		get := func(remote, auth string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = remote
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			// A forwarded header never makes a client local.
			r.Header.Set("X-Forwarded-For", "127.0.0.1")
			w := httptest.NewRecorder()
			e.API.ServeHTTP(w, r)
			return w
		}
		if w := get("127.0.0.1:5555", ""); w.Code != http.StatusOK {
			t.Errorf("GET /metrics from loopback = %d, want 200", w.Code)
		}
		if w := get("[::1]:5555", ""); w.Code != http.StatusOK {
			t.Errorf("GET /metrics from ::1 = %d, want 200", w.Code)
		}
		if w := get("203.0.113.9:5555", ""); w.Code != http.StatusNotFound || errorCodeOf(w) != "not_found" {
			t.Errorf("GET /metrics from a public address = %d %s, want 404 not_found", w.Code, w.Body)
		}
		e.API.MetricsToken = "scrape-secret-1"
		if w := get("203.0.113.9:5555", ""); w.Code != http.StatusUnauthorized {
			t.Errorf("GET /metrics without the token = %d, want 401", w.Code)
		}
		if w := get("127.0.0.1:5555", "Bearer wrong"); w.Code != http.StatusUnauthorized {
			t.Errorf("GET /metrics with a wrong token = %d, want 401", w.Code)
		}
		if w := get("203.0.113.9:5555", "Bearer scrape-secret-1"); w.Code != http.StatusOK {
			t.Errorf("GET /metrics with the token = %d, want 200", w.Code)
		}
	})
}

func errorCodeOf(w *httptest.ResponseRecorder) string {
	code, _, _ := errorShape(w.Body.Bytes())
	return code
}
