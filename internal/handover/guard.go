package handover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Guard keeps outgoing webhooks away from the server's own network (SSRF): loopback,
// private, link-local, multicast and other special-purpose addresses are refused unless
// the operator allows them (BATON_ALLOW_PRIVATE_WEBHOOKS=1). A URL is checked when it is
// configured (every address its host resolves to), and again at delivery time on the
// address actually dialled, so that a name re-pointed to a private address afterwards
// (DNS rebinding) is refused too.
type Guard struct {
	AllowPrivate bool
	// Resolver resolves hosts for Check and for the deliveries of Client (nil:
	// net.DefaultResolver).
	Resolver *net.Resolver
}

// TargetError is a refused webhook target. It is permanent: retrying cannot help.
type TargetError struct {
	Addr   string
	Reason string
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("webhook target %s refused: %s (outgoing webhooks may not reach private addresses unless BATON_ALLOW_PRIVATE_WEBHOOKS=1)", e.Addr, e.Reason)
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

// refusal says why ip may not be a webhook target, or "" if it may.
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

// Check validates a webhook URL when it is configured: http or https, and (unless private
// targets are allowed) a host whose every address is public. A host that does not resolve
// now is accepted: the delivery checks again.
func (g Guard) Check(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return errors.New("the URL must be an http or https URL")
	}
	if g.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.CheckAddr(ip)
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

// Client returns an HTTP client for webhooks: every connection passes the guard, no proxy
// (it would hide the target), no redirects (a 3xx is an answer, not a new target), and
// timeout bounds each request.
func (g Guard) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control, Resolver: g.Resolver}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Timeout: timeout, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
