package httpapi

import (
	"crypto/subtle"
	"net/http"

	"github.com/baton-chat/baton"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var metricsHandler = promhttp.Handler()

// metrics serves GET /metrics on the main listener (issue 18, item 7): with a MetricsToken,
// to requests that bear it; without one, to loopback clients only (by the connection's
// peer, not a forwarded header), so that a local scrape works and the Internet sees a 404.
// Operators who scrape from elsewhere set the token or serve metrics on their own listener
// (--metrics-addr, which uses MetricsHandler).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.MetricsToken != "" {
		if subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.MetricsToken)) != 1 {
			return baton.Errorf(baton.EUNAUTHORIZED, "A valid metrics token is required.")
		}
	} else if !isLoopback(r) {
		return errNoRoute
	}
	metricsHandler.ServeHTTP(w, r)
	return nil
}

// MetricsHandler serves the Prometheus metrics with no check, for a separate listener.
func MetricsHandler() http.Handler { return metricsHandler }
