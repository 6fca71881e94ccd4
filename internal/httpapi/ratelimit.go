package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/baton-chat/baton"
	"golang.org/x/time/rate"
)

// Budgets of the anonymous widget endpoints (issue 18, item 6). Each is a token bucket: a
// burst, then one more every interval. They are sized so that a real visitor never meets
// them — a reload every 2 s, a message a second with pastes of several at once (see
// TestWidgetBudgets) — while a script that opens hundreds of sessions or posts hundreds of
// messages is stopped after the burst. docs/security.md explains the numbers.
var (
	// Sessions per client address: generous, because a whole office or a mobile carrier's
	// NAT can share one address.
	sessionsPerAddress = budget{burst: 60, every: time.Second}
	// Offline tickets: a visitor leaves one or two; an address (NAT) a few more.
	offlinePerVisitor = budget{burst: 5, every: time.Minute}
	offlinePerAddress = budget{burst: 20, every: 30 * time.Second}
	// Messages per visitor: a paste of many lines at once, then one a second sustained.
	messagesPerVisitor = budget{burst: 30, every: time.Second}
	// Attachments per visitor: a handful of files dropped at once, then one every 10 s.
	attachmentsPerVisitor = budget{burst: 10, every: 10 * time.Second}
)

// budget is a token bucket's size and refill interval.
type budget struct {
	burst int
	every time.Duration
}

// Bounds of a keyedLimiter's map: a key unused for limiterIdle is forgotten, and at most
// limiterMaxKeys are kept.
const (
	limiterIdle    = 15 * time.Minute
	limiterMaxKeys = 100_000
)

// keyedLimiter is a set of token buckets by key (a client address, a visitor), all of one
// budget. Buckets that are full again — indistinguishable from new ones — and buckets idle
// for limiterIdle are dropped when the map is swept (once a minute, or when it is full), so
// it stays small under normal traffic. When a flood of distinct keys still fills it, half
// of the buckets are dropped at random: memory stays bounded at the cost of resetting some
// budgets early.
type keyedLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*keyedBucket
	swept   time.Time
	max     int
	now     func() time.Time
}

type keyedBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newKeyedLimiter makes the buckets of a budget: burst at once, then one per every.
func newKeyedLimiter(burst int, every time.Duration) *keyedLimiter {
	return &keyedLimiter{limit: rate.Every(every), burst: burst, buckets: map[string]*keyedBucket{},
		max: limiterMaxKeys, now: time.Now}
}

// allow takes one token from key's bucket. When it is empty, allow takes nothing and says
// how long until a token is free.
func (l *keyedLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > time.Minute || len(l.buckets) >= l.max {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &keyedBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return false, wait
	}
	return true, 0
}

func (l *keyedLimiter) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) > limiterIdle || b.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		n := len(l.buckets) / 2
		for k := range l.buckets {
			if n == 0 {
				break
			}
			delete(l.buckets, k)
			n--
		}
	}
}

// errTooFast is the 429 of a spent budget, with Retry-After in whole seconds (at least 1).
func errTooFast(wait time.Duration) error {
	return &baton.Error{Code: baton.ERATELIMITED, RetryAfter: int((wait + time.Second - 1) / time.Second),
		Message: "Too many requests: please wait a moment and try again."}
}

// limited runs h only while every (limiter, key) pair has budget left; keys come from the
// request (an empty key is not limited). It makes its limiters when the route is
// registered; Server.NoRateLimits turns them all off.
func (s *Server) limited(h handlerFunc, rules ...limitRule) handlerFunc {
	type armed struct {
		lim *keyedLimiter
		key func(*http.Request) string
	}
	lims := make([]armed, len(rules))
	for i, r := range rules {
		l := newKeyedLimiter(r.budget.burst, r.budget.every)
		l.now = func() time.Time { return s.DB.Now() } // the store's clock, which tests control
		lims[i] = armed{l, r.key}
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		if !s.NoRateLimits {
			for _, l := range lims {
				if k := l.key(r); k != "" {
					if ok, wait := l.lim.allow(k); !ok {
						return errTooFast(wait)
					}
				}
			}
		}
		return h(w, r)
	}
}

// limitRule is one budget of a route and what it counts by.
type limitRule struct {
	budget budget
	key    func(*http.Request) string
}

// perAddress counts by client address (see Server.clientAddr).
func (s *Server) perAddress(b budget) limitRule {
	return limitRule{b, s.clientAddr}
}

// perVisitor counts by the visitor the token names (its contact), so that a visitor who
// opens new sessions of the same user id shares one budget. It must run inside s.visitor.
func perVisitor(b budget) limitRule {
	return limitRule{b, func(r *http.Request) string {
		if v := visitorFrom(r.Context()); v != nil {
			return v.ContactID
		}
		return ""
	}}
}

// clientAddr is the address a request came from: the connection's peer, or, when that peer
// is one of the operator's TrustedProxies, the nearest address in X-Forwarded-For that is
// not a trusted proxy. Without trusted proxies, forwarded headers are ignored (anyone can
// write them).
func (s *Server) clientAddr(r *http.Request) string {
	peer := peerIP(r)
	if len(s.TrustedProxies) == 0 {
		return peer
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !s.trusted(addr) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: trust nothing further left
		}
		if !s.trusted(a) {
			return a.Unmap().String()
		}
		addr = a
	}
	return addr.Unmap().String()
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of CIDR prefixes or single addresses
// (--trusted-proxies).
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, baton.Invalid("trusted proxy %q is not an address or CIDR prefix", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, baton.Invalid("trusted proxy %q is not an address or CIDR prefix", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// isLoopback tells whether the connection's peer (never a forwarded header) is this host.
func isLoopback(r *http.Request) bool {
	ip := net.ParseIP(peerIP(r))
	return ip != nil && ip.IsLoopback()
}
