package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The anonymous endpoints' settings reach the server: the widget's budgets are on by
// default, --metrics-addr serves /metrics on its own listener, and BATON_METRICS_TOKEN
// guards it on the main one.
func TestAnonymousEndpointSettings(t *testing.T) {
	t.Setenv("BATON_METRICS_TOKEN", "scrape-secret-1")
	s := start(t, "--data-dir", t.TempDir(), "--rate-limits", "on", "--metrics-addr", "127.0.0.1:0")
	base := s.URL()

	// A burst of 60, then one a second: on a slow machine the loop earns a session back
	// for each second it takes.
	started := time.Now()
	budget := func() int { return 60 + int(time.Since(started)/time.Second) }
	for i := 0; ; i++ {
		r := call(t, "POST", base+"/widget/v1/sessions", "", map[string]string{"chatbot": "demo"})
		if r.Status == http.StatusTooManyRequests {
			if i < 60 || i > budget() || r.Header.Get("Retry-After") == "" {
				t.Errorf("session %d refused with Retry-After %q, want a refusal after the 60 of the burst (and what the rate added: %d), with Retry-After",
					i+1, r.Header.Get("Retry-After"), budget())
			}
			break
		}
		if r.Status != http.StatusCreated || i > budget() {
			t.Fatalf("session %d = %d %s, want 201 up to the budget (%d) then 429", i+1, r.Status, r.Body, budget())
		}
	}

	want(t, "GET /metrics without the token", call(t, "GET", base+"/metrics", "", nil), 401, `"unauthorized"`)
	want(t, "GET /metrics with the token", call(t, "GET", base+"/metrics", "scrape-secret-1", nil), 200, "baton_http_requests_total")
	res, err := http.Get("http://" + s.metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics on --metrics-addr: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "baton_http_requests_total") {
		t.Errorf("GET /metrics on --metrics-addr = %d, want 200 with the metrics", res.StatusCode)
	}
}

func TestAnonymousEndpointConfigRefusesNonsense(t *testing.T) {
	for _, args := range [][]string{
		{"--rate-limits", "maybe"},
		{"--trusted-proxies", "10.0.0.0/8,not-an-address"},
		{"--visitor-token-idle", "0s"},
	} {
		if _, err := NewMain(append(args, "--data-dir", t.TempDir()), io.Discard, io.Discard); err == nil {
			t.Errorf("NewMain(%v) = nil error, want a refusal", args)
		}
	}
}
