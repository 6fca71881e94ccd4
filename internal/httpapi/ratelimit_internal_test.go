package httpapi

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestKeyedLimiterSpendsAndRefills(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newKeyedLimiter(3, time.Second)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("allow(a) #%d = false, want true within the burst", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Errorf("allow(a) past the burst = %v, %v; want false and a wait of at most 1s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("allow(b) = false, want true: each key has its own bucket")
	}
	now = now.Add(time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Error("allow(a) a second later = false, want true (refilled)")
	}
}

func TestKeyedLimiterStaysBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newKeyedLimiter(2, time.Minute)
	l.now = func() time.Time { return now }
	l.max = 100
	for i := range 1000 {
		l.allow(fmt.Sprint("k", i))
		if len(l.buckets) > l.max {
			t.Fatalf("after %d keys the map holds %d, want at most %d", i+1, len(l.buckets), l.max)
		}
	}
	// Buckets that refilled (or sat idle) are dropped by the next sweep: they are no
	// different from new ones.
	now = now.Add(2 * time.Minute)
	l.allow("fresh")
	if len(l.buckets) != 1 {
		t.Errorf("after a sweep the map holds %d buckets, want 1", len(l.buckets))
	}
}

func TestClientAddr(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote, xff string
		trusted           bool
		want              string
	}{
		{"the peer without trusted proxies", "203.0.113.5:1234", "198.51.100.1", false, "203.0.113.5"},
		{"the forwarded client behind a trusted proxy", "10.1.2.3:1234", "198.51.100.1", true, "198.51.100.1"},
		{"the right-most untrusted hop, not a forged left one", "10.1.2.3:1234", "6.6.6.6, 198.51.100.1, 10.9.9.9", true, "198.51.100.1"},
		{"an untrusted peer's header is ignored", "203.0.113.5:1234", "198.51.100.1", true, "203.0.113.5"},
		{"a garbled header leaves the last trusted hop", "127.0.0.1:1234", "junk", true, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{}
			if tt.trusted {
				s.TrustedProxies = proxies
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			r.Header.Set("X-Forwarded-For", tt.xff)
			if got := s.clientAddr(r); got != tt.want {
				t.Errorf("clientAddr(%s, XFF %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("10.0.0.0/8,nope"); err == nil {
		t.Error("ParseTrustedProxies(nope) = nil error, want one")
	}
	if p, _ := ParseTrustedProxies("::ffff:10.0.0.1"); len(p) != 1 || p[0] != netip.MustParsePrefix("10.0.0.1/32") {
		t.Errorf("ParseTrustedProxies(mapped) = %v, want 10.0.0.1/32", p)
	}
}
