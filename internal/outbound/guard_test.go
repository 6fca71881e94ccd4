package outbound_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/outbound/outboundtest"
)

func TestGuardRefusesNonPublicAddresses(t *testing.T) {
	for _, c := range []struct {
		addr   string
		reason string // "" for allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.0.0.7", "private"},
		{"172.16.3.4", "private"},
		{"192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"239.1.2.3", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"100.64.1.1", "carrier-grade NAT"},
		{"198.18.0.1", "benchmarking"},
		{"64:ff9b::a00:1", "private"},  // NAT64 of 10.0.0.1
		{"2002:7f00:1::1", "loopback"}, // 6to4 of 127.0.0.1
		{"8.8.8.8", ""},                // public
		{"93.184.215.14", ""},          // public
		{"2606:4700:4700::1111", ""},   // public
		{"64:ff9b::808:808", ""},       // NAT64 of a public address
	} {
		err := outbound.Guard{}.CheckAddr(netip.MustParseAddr(c.addr))
		var te *outbound.TargetError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("CheckAddr(%s) = %v, want allowed", c.addr, err)
		case c.reason != "" && (!errors.As(err, &te) || !strings.Contains(te.Reason, c.reason)):
			t.Errorf("CheckAddr(%s) = %v, want refused as %s", c.addr, err, c.reason)
		}
		if err := (outbound.Guard{AllowPrivate: true}).CheckAddr(netip.MustParseAddr(c.addr)); err != nil {
			t.Errorf("CheckAddr(%s) with private targets allowed = %v", c.addr, err)
		}
	}
}

func TestGuardCheck(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		url     string
		refused bool
	}{
		{"http://127.0.0.1:8080/hook", true},
		{"https://[::1]/hook", true},
		{"http://localhost:9/hook", true}, // resolves to loopback
		{"http://169.254.169.254/latest/meta-data/", true},
		{"https://8.8.8.8/hook", false},
		{"https://desk.invalid/hook", false}, // does not resolve now: checked at delivery
	} {
		err := outbound.Guard{}.Check(ctx, c.url)
		if (err != nil) != c.refused {
			t.Errorf("Check(%s) = %v, want refused %v", c.url, err, c.refused)
		}
		if err := (outbound.Guard{AllowPrivate: true}).Check(ctx, c.url); err != nil {
			t.Errorf("Check(%s) with private targets allowed = %v", c.url, err)
		}
	}
	for _, bad := range []string{"ftp://example.com/x", "example.com/x", "http:///x", "javascript:alert(1)"} {
		if err := (outbound.Guard{AllowPrivate: true}).Check(ctx, bad); err == nil {
			t.Errorf("Check(%s) = nil, want an error", bad)
		}
	}
}

// TestGuardClientChecksTheDialledAddress: the check runs on the address a connection is
// made to, whatever the URL says, so a name that resolves to loopback is refused too.
func TestGuardClientChecksTheDialledAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, u := range []string{srv.URL, "http://localhost:" + port} {
		_, err := outbound.Guard{}.Client(5 * time.Second).Get(u)
		var te *outbound.TargetError
		if !errors.As(err, &te) || !strings.Contains(te.Reason, "loopback") {
			t.Errorf("GET %s through the guarded client = %v, want refused as loopback", u, err)
		}
		resp, err := outbound.Guard{AllowPrivate: true}.Client(5 * time.Second).Get(u)
		if err != nil {
			t.Errorf("GET %s with private targets allowed = %v", u, err)
		} else {
			resp.Body.Close()
		}
	}
}

func TestGuardClientDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	resp, err := outbound.Guard{AllowPrivate: true}.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want the 302 itself (not followed)", resp.StatusCode)
	}
}

// TestGuardCheckNumericForms: the IPv4 forms resolvers accept besides dotted decimal
// never pass (whatever the setting: what is checked must be what is dialled), and a
// trailing dot changes nothing.
func TestGuardCheckNumericForms(t *testing.T) {
	ctx := context.Background()
	for _, host := range []string{"127.1", "127.0.1", "2130706433", "0x7f000001", "0X7F000001", "0177.0.0.1",
		"0x7f.0.0.1", "0", "00", "0x", "169.254.43518", "10.1", "8.8.2056", "1.2.3.4.5", "127..0.1"} {
		for _, g := range []outbound.Guard{{}, {AllowPrivate: true}} {
			err := g.Check(ctx, "http://"+host+"/latest/")
			if err == nil || !strings.Contains(err.Error(), "dotted form") {
				t.Errorf("Check(http://%s/) allow private %v = %v, want refused as not in dotted form", host, g.AllowPrivate, err)
			}
			if err := g.CheckHost(ctx, host); err == nil {
				t.Errorf("CheckHost(%s) allow private %v = nil, want refused", host, g.AllowPrivate)
			}
		}
	}
	for _, c := range []struct {
		url    string
		reason string
	}{
		{"http://127.0.0.1./", "loopback"},
		{"http://127.0.0.1../", "loopback"},
		{"http://localhost./", "loopback"},
		{"http://[::ffff:127.0.0.1]/", "loopback"},
		{"http://[::1]:8080/", "loopback"},
		{"http://10.0.0.1/", "private"},
		{"http://169.254.169.254./latest/", "link-local"},
		{"http://[fe80::1%25eth0]/", "link-local"},
	} {
		err := outbound.Guard{}.Check(ctx, c.url)
		var te *outbound.TargetError
		if !errors.As(err, &te) || !strings.Contains(te.Reason, c.reason) {
			t.Errorf("Check(%s) = %v, want refused as %s", c.url, err, c.reason)
		}
		if err := (outbound.Guard{AllowPrivate: true}).Check(ctx, c.url); err != nil {
			t.Errorf("Check(%s) with private targets allowed = %v", c.url, err)
		}
	}
	// Names that merely contain digits are names.
	for _, u := range []string{"https://8.8.8.8/", "https://1password.invalid/", "https://api.123.invalid/", "https://x.0x1g/"} {
		if err := (outbound.Guard{}).Check(ctx, u); err != nil {
			t.Errorf("Check(%s) = %v, want accepted", u, err)
		}
	}
	for _, bad := range []string{"smtp.example.com/x", "a b", "user@host", "[::1", ""} {
		if err := (outbound.Guard{AllowPrivate: true}).CheckHost(ctx, bad); err == nil {
			t.Errorf("CheckHost(%q) = nil, want an error", bad)
		}
	}
}

// TestGuardCheckResolves: a public-looking name that resolves to a private address is
// refused at configuration (resolver answers from a fake DNS server).
func TestGuardCheckResolves(t *testing.T) {
	g := outbound.Guard{Resolver: outboundtest.Resolver(map[string]string{"ai.rebind.test": "127.0.0.1", "ok.rebind.test": "8.8.8.8"})}
	err := g.Check(context.Background(), "https://ai.rebind.test/v1")
	var te *outbound.TargetError
	if !errors.As(err, &te) || !strings.Contains(te.Reason, "loopback") {
		t.Errorf("Check(ai.rebind.test → 127.0.0.1) = %v, want refused as loopback", err)
	}
	if err := g.CheckHost(context.Background(), "ok.rebind.test"); err != nil {
		t.Errorf("CheckHost(ok.rebind.test → 8.8.8.8) = %v, want accepted", err)
	}
}

// TestGuardClientFollowsCheckedRedirects: with FollowRedirects, a redirect to an
// allowed target is followed, and one to a refused target (scheme, numeric form, private
// or metadata address) is refused before it is requested, as are more than MaxRedirects
// hops.
func TestGuardClientFollowsCheckedRedirects(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/numeric":
			http.Redirect(w, r, "http://2130706433/", http.StatusFound)
		case "/ftp":
			http.Redirect(w, r, "ftp://example.com/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/hop":
			http.Redirect(w, r, "/end", http.StatusMovedPermanently)
		default:
			w.Write([]byte("end"))
		}
	}))
	defer srv.Close()
	// The test server is on loopback, so this guard allows private targets.
	c := outbound.Guard{AllowPrivate: true}.Client(5*time.Second, outbound.FollowRedirects())
	resp, err := c.Get(srv.URL + "/hop")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/end" {
		t.Errorf("GET /hop = %d at %s, want 200 at /end", resp.StatusCode, resp.Request.URL.Path)
	}
	for _, p := range []string{"/numeric", "/ftp"} {
		hits.Store(0)
		if resp, err := c.Get(srv.URL + p); err == nil {
			resp.Body.Close()
			t.Errorf("GET %s followed its redirect, want an error", p)
		}
		if hits.Load() != 1 {
			t.Errorf("GET %s made %d requests, want 1", p, hits.Load())
		}
	}
	hits.Store(0)
	if resp, err := c.Get(srv.URL + "/loop"); err == nil {
		resp.Body.Close()
		t.Error("GET /loop followed its redirects for ever")
	} else if !errors.Is(err, outbound.ErrRedirect) {
		t.Errorf("GET /loop = %v, want ErrRedirect", err)
	}
	if n := hits.Load(); n != outbound.MaxRedirects+1 {
		t.Errorf("GET /loop made %d requests, want %d", n, outbound.MaxRedirects+1)
	}
	// A strict guard checks each hop's URL before requesting it.
	strict := outbound.Guard{Resolver: outboundtest.Resolver(map[string]string{"cdn.rebind.test": "10.1.2.3"})}.
		Client(5*time.Second, outbound.FollowRedirects())
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/", "http://[::1]/",
		"http://cdn.rebind.test/page", "http://0x7f000001/"} {
		req := httptest.NewRequest(http.MethodGet, u, nil)
		if err := strict.CheckRedirect(req, []*http.Request{httptest.NewRequest(http.MethodGet, "https://8.8.8.8/", nil)}); err == nil {
			t.Errorf("a redirect to %s is followed by the strict client", u)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "https://8.8.4.4/next", nil)
	if err := strict.CheckRedirect(req, []*http.Request{req}); err != nil {
		t.Errorf("a redirect to a public address is refused: %v", err)
	}
}
