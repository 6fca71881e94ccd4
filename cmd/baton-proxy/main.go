// Command baton-proxy is a tiny round-robin reverse proxy for trying several Baton nodes on
// one machine (scripts/cluster.sh). It passes WebSocket upgrades through and skips a node
// that refuses connections. Production deployments use a real load balancer (see
// docs/deploy.md).
//
//	baton-proxy -addr 127.0.0.1:8080 -backends http://127.0.0.1:8081,http://127.0.0.1:8082
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	list := flag.String("backends", "http://127.0.0.1:8081,http://127.0.0.1:8082", "comma-separated node URLs")
	flag.Parse()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	var backends []*url.URL
	for _, s := range strings.Split(*list, ",") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Host == "" {
			logger.Error("bad backend", "url", s)
			os.Exit(2)
		}
		backends = append(backends, u)
	}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			// Try nodes in turn from the next one; the first that accepts a TCP connection serves.
			start := next.Add(1)
			for i := range backends {
				b := backends[(int(start)+i)%len(backends)]
				if c, err := net.DialTimeout("tcp", b.Host, 200*time.Millisecond); err == nil {
					c.Close()
					r.SetURL(b)
					r.SetXForwarded()
					return
				}
			}
			r.SetURL(backends[int(start)%len(backends)])
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logger.Warn("proxy", "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`{"error":{"code":"internal","message":"No Baton node answered."}}`))
		},
	}
	srv := &http.Server{Addr: *addr, Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	logger.Info("proxy listening", "addr", *addr, "backends", *list)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("proxy", "err", err)
		os.Exit(1)
	}
}
