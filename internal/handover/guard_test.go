package handover_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/handover"
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
		err := handover.Guard{}.CheckAddr(netip.MustParseAddr(c.addr))
		var te *handover.TargetError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("CheckAddr(%s) = %v, want allowed", c.addr, err)
		case c.reason != "" && (!errors.As(err, &te) || !strings.Contains(te.Reason, c.reason)):
			t.Errorf("CheckAddr(%s) = %v, want refused as %s", c.addr, err, c.reason)
		}
		if err := (handover.Guard{AllowPrivate: true}).CheckAddr(netip.MustParseAddr(c.addr)); err != nil {
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
		err := handover.Guard{}.Check(ctx, c.url)
		if (err != nil) != c.refused {
			t.Errorf("Check(%s) = %v, want refused %v", c.url, err, c.refused)
		}
		if err := (handover.Guard{AllowPrivate: true}).Check(ctx, c.url); err != nil {
			t.Errorf("Check(%s) with private targets allowed = %v", c.url, err)
		}
	}
	for _, bad := range []string{"ftp://example.com/x", "example.com/x", "http:///x", "javascript:alert(1)"} {
		if err := (handover.Guard{AllowPrivate: true}).Check(ctx, bad); err == nil {
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
		_, err := handover.Guard{}.Client(5 * time.Second).Get(u)
		var te *handover.TargetError
		if !errors.As(err, &te) || !strings.Contains(te.Reason, "loopback") {
			t.Errorf("GET %s through the guarded client = %v, want refused as loopback", u, err)
		}
		resp, err := handover.Guard{AllowPrivate: true}.Client(5 * time.Second).Get(u)
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
	resp, err := handover.Guard{AllowPrivate: true}.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want the 302 itself (not followed)", resp.StatusCode)
	}
}
