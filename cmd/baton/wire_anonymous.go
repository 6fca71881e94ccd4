package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/riverqueue/river"
)

func init() { wirers = append(wirers, wireAnonymous) }

// anonymousFlags registers the flags of the anonymous endpoints (their env variables are
// in Config).
func anonymousFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.RateLimits, "rate-limits", c.RateLimits, "budgets of the anonymous widget endpoints: on, or off for load tests (BATON_RATE_LIMITS)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated CIDR prefixes of reverse proxies whose X-Forwarded-For names the client (BATON_TRUSTED_PROXIES)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "also serve /metrics, without auth, on this address, e.g. 127.0.0.1:9090 (BATON_METRICS_ADDR)")
	fs.DurationVar(&c.VisitorTokenIdle, "visitor-token-idle", c.VisitorTokenIdle, "a visitor token unused this long expires (BATON_VISITOR_TOKEN_IDLE)")
	fs.DurationVar(&c.VisitorTokenLifetime, "visitor-token-lifetime", c.VisitorTokenLifetime, "a visitor token expires this long after it was made (BATON_VISITOR_TOKEN_LIFETIME)")
}

func (c *Config) checkAnonymous() error {
	if c.RateLimits != "on" && c.RateLimits != "off" {
		return errors.New("BATON_RATE_LIMITS must be on or off")
	}
	if _, err := httpapi.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("BATON_TRUSTED_PROXIES: %w", err)
	}
	if c.VisitorTokenIdle <= 0 || c.VisitorTokenLifetime <= 0 {
		return errors.New("BATON_VISITOR_TOKEN_IDLE and BATON_VISITOR_TOKEN_LIFETIME must be positive durations (e.g. 720h)")
	}
	return nil
}

// wireAnonymous applies the settings of the anonymous endpoints: the widget's budgets,
// trusted proxies, the metrics token and listener, and the visitor token lifetimes.
func wireAnonymous(m *Main, api *httpapi.Server, _ *river.Workers) error {
	c := m.Config
	api.NoRateLimits = c.RateLimits == "off"
	m.Hub.NoRateLimits = api.NoRateLimits
	api.TrustedProxies, _ = httpapi.ParseTrustedProxies(c.TrustedProxies) // checked at parse
	api.MetricsToken = c.MetricsToken
	m.DB.SetVisitorTokenLifetime(c.VisitorTokenIdle, c.VisitorTokenLifetime)
	return m.startMetrics()
}

// startMetrics serves /metrics on its own listener when --metrics-addr is set, for a
// scraper on a private network; the main listener keeps its own rule (loopback or token).
func (m *Main) startMetrics() error {
	if m.Config.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", httpapi.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Warn("metrics server", "err", err)
		}
	}()
	m.closers = append(m.closers, func() { srv.Shutdown(context.Background()) })
	m.metricsAddr = ln.Addr().String()
	m.Logger.Info("metrics served", "addr", m.metricsAddr)
	return nil
}
