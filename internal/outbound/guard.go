// Package outbound is the one guard every outbound request of Baton passes (SSRF): the
// webhooks, the AI endpoints of the chatbots (answers, handoff briefs, post-chat
// analysis), the mail servers of the email channel, and the crawls to come. Loopback,
// private, link-local (cloud metadata), multicast and other special-purpose addresses are
// refused unless the operator allows them (BATON_ALLOW_PRIVATE_WEBHOOKS=1, for a desk or
// a self-hosted model such as Ollama on the same host).
//
// A target is checked twice: when it is configured ([Guard.Check], [Guard.CheckHost]:
// every address its host resolves to), and when a connection is made, on the address
// actually dialled ([Guard.Dialer], [Guard.Client]), so that a name re-pointed to a
// private address afterwards (DNS rebinding) is refused too. The clients follow no
// redirect unless asked to ([FollowRedirects]), and then check every hop again.
//
// The providers' API base URLs (BATON_TELEGRAM_API_URL, BATON_GRAPH_API_URL) are operator
// settings, not user input, and do not pass the guard.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/baton-chat/baton"
)

// Guard keeps outbound requests away from the server's own network.
type Guard struct {
	// AllowPrivate lets requests reach any address (BATON_ALLOW_PRIVATE_WEBHOOKS=1).
	AllowPrivate bool
	// Resolver resolves hosts for Check and for the connections of Dialer and Client
	// (nil: net.DefaultResolver).
	Resolver *net.Resolver
}

// TargetError is a refused target. It is permanent: retrying cannot help.
type TargetError struct {
	Addr   string
	Reason string
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("target %s refused: %s (outbound requests may not reach private addresses unless BATON_ALLOW_PRIVATE_WEBHOOKS=1)", e.Addr, e.Reason)
}

// special are the special-purpose ranges that netip's predicates do not name.
var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
}

var (
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	sixTo = netip.MustParsePrefix("2002::/16")
)

// refusal says why ip may not be a target, or "" if it may.
func refusal(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "not an IP address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "a link-local address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	for _, s := range special {
		if s.prefix.Contains(ip) {
			return s.reason
		}
	}
	// IPv6 addresses that carry an IPv4 one: judged by the address they reach.
	if nat64.Contains(ip) || sixTo.Contains(ip) {
		b := ip.As16()
		var v4 [4]byte
		if nat64.Contains(ip) {
			copy(v4[:], b[12:16])
		} else {
			copy(v4[:], b[2:6])
		}
		if r := refusal(netip.AddrFrom4(v4)); r != "" {
			return r + " (embedded in IPv6)"
		}
	}
	return ""
}

// CheckAddr refuses an IP address that is not a public one (unless private ones are
// allowed).
func (g Guard) CheckAddr(ip netip.Addr) error {
	if g.AllowPrivate {
		return nil
	}
	if r := refusal(ip); r != "" {
		return &TargetError{Addr: ip.String(), Reason: r}
	}
	return nil
}

// Check validates a URL when it is configured: http or https, and a host that
// [Guard.CheckHost] accepts.
func (g Guard) Check(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return errors.New("the URL must be an http or https URL")
	}
	return g.CheckHost(ctx, u.Hostname())
}

// CheckURLField checks a URL setting of the API as Check does (an empty one passes) and
// returns a refusal as the API's 400 invalid error naming the field.
func (g Guard) CheckURLField(ctx context.Context, field, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	if err := g.Check(ctx, raw); err != nil {
		return baton.Invalid("%s: %s.", field, strings.TrimSuffix(err.Error(), "."))
	}
	return nil
}

// CheckHost validates a host name or IP address when it is configured. A numeric IPv4
// host must be written in dotted-decimal form: the other forms resolvers accept
// ("127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0") are refused whatever the
// setting, so that what is checked is what is dialled. A trailing dot is ignored
// ("127.0.0.1." is 127.0.0.1). Unless private targets are allowed, an IP address must be
// public, and so must every address a name resolves to; a name that does not resolve now
// is accepted (the connection checks again).
func (g Guard) CheckHost(ctx context.Context, host string) error {
	host = strings.TrimRight(host, ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.CheckAddr(ip)
	}
	if host == "" || strings.ContainsAny(host, "/\\@?#:%[] \t\r\n") {
		return fmt.Errorf("%q is not a host name or IP address", host)
	}
	if numericIPv4(host) {
		return fmt.Errorf("%s is a numeric address not in dotted form: write the address in dotted form, e.g. 192.0.2.10 "+
			"(private addresses are refused too, unless BATON_ALLOW_PRIVATE_WEBHOOKS=1)", host)
	}
	if g.AllowPrivate {
		return nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return &TargetError{Addr: host + " (" + a.String() + ")", Reason: err.(*TargetError).Reason}
		}
	}
	return nil
}

// numericIPv4 reports whether host is an IPv4 address in one of the forms of inet_aton
// and the WHATWG URL standard: a host whose last label is a number (decimal, 0x hex or
// 0 octal) is an address, never a name, e.g. "127.1", "2130706433", "0x7f000001",
// "0177.0.0.1", "0".
func numericIPv4(host string) bool {
	labels := strings.Split(host, ".")
	last := strings.ToLower(labels[len(labels)-1])
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// control runs before each connection is made, on the address being dialled.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &TargetError{Addr: address, Reason: "not a host and port"}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &TargetError{Addr: address, Reason: "not an IP address"}
	}
	return g.CheckAddr(ip)
}

// Dialer returns a dialer whose every connection passes the guard, on the address
// dialled (for the clients that are not HTTP: IMAP, SMTP).
func (g Guard) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control, Resolver: g.Resolver}
}

// MaxRedirects is how many redirects a client made with [FollowRedirects] follows.
const MaxRedirects = 5

// ErrRedirect is the error of a client that follows redirects and met too many.
var ErrRedirect = errors.New("too many redirects")

// Option changes a client of [Guard.Client].
type Option func(*clientOptions)

type clientOptions struct {
	follow bool
}

// FollowRedirects makes the client follow up to [MaxRedirects] redirects (for crawls),
// each hop's URL checked again with [Guard.Check] (scheme and address) before it is
// requested; the dialer still checks every address dialled.
func FollowRedirects() Option { return func(o *clientOptions) { o.follow = true } }

// Client returns an HTTP client whose every connection passes the guard, with no proxy
// (it would hide the target) and, by default, no redirects: a 3xx is the answer, not a
// new target (webhooks, AI endpoints). timeout bounds each request.
func (g Guard) Client(timeout time.Duration, opts ...Option) *http.Client {
	var o clientOptions
	for _, f := range opts {
		f(&o)
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.Dialer(10 * time.Second).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	c := &http.Client{Timeout: timeout, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if o.follow {
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return ErrRedirect
			}
			return g.Check(req.Context(), req.URL.String())
		}
	}
	return c
}
