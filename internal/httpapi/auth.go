package httpapi

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/baton-chat/baton"
	"golang.org/x/time/rate"
)

// SessionCookie is the name of the agent session cookie.
const SessionCookie = "baton_session"

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// AuthenticateSocket resolves the actor of a WebSocket upgrade: a bearer token, a
// ?token= query parameter (browsers cannot set headers on sockets), or the session cookie
// (the socket library refuses cross-origin upgrades).
func (s *Server) AuthenticateSocket(r *http.Request) (*baton.Actor, error) {
	if t := r.URL.Query().Get("token"); t != "" && bearer(r) == "" {
		if len(t) > 256 {
			return nil, baton.Errorf(baton.EUNAUTHORIZED, "The token is not valid.")
		}
		return s.DB.Authenticate(r.Context(), t)
	}
	if r.Method == http.MethodGet {
		token := bearer(r)
		if token == "" {
			if c, err := r.Cookie(SessionCookie); err == nil {
				token = c.Value
			}
		}
		if token == "" || len(token) > 256 {
			return nil, baton.Errorf(baton.EUNAUTHORIZED, "Sign in first.")
		}
		return s.DB.Authenticate(r.Context(), token)
	}
	return s.authenticate(r)
}

// authenticate resolves the request's actor from a bearer token or the session cookie.
// Cookie-authenticated unsafe requests must pass the cross-origin check (CSRF).
func (s *Server) authenticate(r *http.Request) (*baton.Actor, error) {
	token := bearer(r)
	fromCookie := false
	if token == "" {
		if c, err := r.Cookie(SessionCookie); err == nil {
			token, fromCookie = c.Value, true
		}
	}
	if token == "" {
		return nil, baton.Errorf(baton.EUNAUTHORIZED, "Sign in first: send a session cookie or an Authorization: Bearer token.")
	}
	if len(token) > 256 {
		return nil, baton.Errorf(baton.EUNAUTHORIZED, "The token is not valid.")
	}
	if fromCookie {
		if err := s.cop.Check(r); err != nil {
			return nil, baton.Errorf(baton.EFORBIDDEN, "Cross-origin request refused.")
		}
	}
	return s.DB.Authenticate(r.Context(), token)
}

func (s *Server) authWith(h handlerFunc, check func(a *baton.Actor) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if err := check(a); err != nil {
			return err
		}
		return h(w, r.WithContext(baton.NewContextWithActor(r.Context(), a)))
	}
}

var errScope = func(s baton.Scope) error {
	return baton.Errorf(baton.EFORBIDDEN, "This token lacks the %q scope.", s)
}

// auth requires a signed-in user or a token with the read scope.
func (s *Server) auth(h handlerFunc) handlerFunc {
	return s.authWith(h, func(a *baton.Actor) error {
		if !a.Can(baton.ScopeRead) {
			return errScope(baton.ScopeRead)
		}
		return nil
	})
}

// authWrite requires a signed-in user or a token with the write scope.
func (s *Server) authWrite(h handlerFunc) handlerFunc {
	return s.authWith(h, func(a *baton.Actor) error {
		if !a.Can(baton.ScopeWrite) {
			return errScope(baton.ScopeWrite)
		}
		return nil
	})
}

// admin requires an admin or owner (and, for tokens, the write scope).
func (s *Server) admin(h handlerFunc) handlerFunc {
	return s.authWith(h, func(a *baton.Actor) error {
		if !a.Role().AtLeast(baton.RoleAdmin) {
			return baton.Errorf(baton.EFORBIDDEN, "Only an admin or the owner can do this.")
		}
		if !a.Can(baton.ScopeWrite) {
			return errScope(baton.ScopeWrite)
		}
		return nil
	})
}

// loginThrottle slows password guessing (K2) without letting anyone lock a user out:
// only failures count, per client address and per email (a burst of 10, then one every 6
// seconds), and an address that has not failed for that email is never refused — a
// guesser elsewhere exhausts the email's budget, not its owner's right to sign in.
type loginThrottle struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	last    time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxThrottled bounds the throttle's memory under a flood of made-up emails.
const maxThrottled = 100_000

func newLoginThrottle() *loginThrottle { return &loginThrottle{buckets: map[string]*bucket{}} }

func throttleKeys(ip, email string) (addr, pair, mail string) {
	return "ip:" + ip, "pair:" + ip + "|" + email, "email:" + email
}

// allow reports whether a sign-in from ip for email may be tried now, and if not, how long
// to wait. The address's failures, and its failures for that email, are checked; the
// email's failures from everywhere only when this address has failed for it too.
func (t *loginThrottle) allow(ip, email string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.sweep(now)
	addr, pair, mail := throttleKeys(ip, email)
	keys := []string{addr, pair}
	if t.buckets[pair] != nil {
		keys = append(keys, mail)
	}
	var wait time.Duration
	for _, k := range keys {
		b := t.buckets[k]
		if b == nil {
			continue
		}
		if d := b.lim.TokensAt(now); d < 1 {
			r := b.lim.ReserveN(now, 1)
			if w := r.DelayFrom(now); w > wait {
				wait = w
			}
			r.CancelAt(now)
		}
	}
	return wait == 0, wait
}

// failed counts a failed attempt against the address, the pair and the email.
func (t *loginThrottle) failed(ip, email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	addr, pair, mail := throttleKeys(ip, email)
	if len(t.buckets) >= maxThrottled {
		t.last = time.Time{}
		t.sweep(now.Add(14 * time.Minute)) // forget all but the last minute's
	}
	for _, k := range []string{addr, pair, mail} {
		b := t.buckets[k]
		if b == nil {
			b = &bucket{lim: rate.NewLimiter(rate.Every(6*time.Second), 10)}
			t.buckets[k] = b
		}
		b.seen = now
		b.lim.AllowN(now, 1)
	}
}

// succeeded forgets the pair's failures: its owner is back.
func (t *loginThrottle) succeeded(ip, email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, pair, _ := throttleKeys(ip, email)
	delete(t.buckets, pair)
}

func (t *loginThrottle) sweep(now time.Time) {
	if now.Sub(t.last) <= time.Minute {
		return
	}
	for k, b := range t.buckets {
		if now.Sub(b.seen) > 15*time.Minute {
			delete(t.buckets, k)
		}
	}
	t.last = now
}

// clientIP is the address of the request's client: the connection's peer, or behind a
// trusted proxy the client it names (ServeHTTP resolved it, see clientAddr). Sign-in
// throttling, the rate limits and the audit log all use it.
func clientIP(r *http.Request) string {
	if a, ok := r.Context().Value(clientKey{}).(string); ok {
		return a
	}
	return peerIP(r)
}

type clientKey struct{}

// peerIP is the address of the connection's peer.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
