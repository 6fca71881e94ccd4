package sso

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestDiscoverRetries: a provider that is down fails the sign-ins of the next retryAfter
// without being asked again, then is asked again.
func TestDiscoverRetries(t *testing.T) {
	var up atomic.Bool
	var calls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if !up.Load() || r.URL.Path != "/.well-known/openid-configuration" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys"})
	}))
	defer srv.Close()
	s := testService(t)
	s.cfg.Issuer = srv.URL

	if _, err := s.discover(); err == nil {
		t.Fatal("discover() with the provider down = nil error")
	}
	up.Store(true)
	if _, err := s.discover(); err == nil || calls.Load() != 1 {
		t.Fatalf("discover() right after a failure = %v after %d calls, want the remembered error without a call", err, calls.Load())
	}
	s.tried = s.tried.Add(-retryAfter - time.Second)
	p, err := s.discover()
	if err != nil || p.Endpoint().TokenURL != srv.URL+"/token" {
		t.Fatalf("discover() after retryAfter = %v, %v, want the provider", p, err)
	}
	if _, err := s.discover(); err != nil || calls.Load() != 2 {
		t.Errorf("discover() once found = %v after %d calls, want the kept provider", err, calls.Load())
	}
}
