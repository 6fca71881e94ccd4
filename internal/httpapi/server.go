// Package httpapi serves Baton's HTTP interface: the agent API (/api/v1), the visitor API
// (/widget/v1), health and metrics. Handlers return errors; one writer turns them into the
// JSON error shape of API.md.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Server holds what the handlers need.
type Server struct {
	DB     *store.DB
	Logger *slog.Logger
	// Ready reports whether dependencies besides the database answer (the bus).
	Ready func(ctx context.Context) error
	// Blobs keeps attachment bytes (nil: attachments are off).
	Blobs blob.Store
	// OnPresence is told when an agent changes their availability (for live presence).
	OnPresence func(ctx context.Context, accountID, userID string, a baton.Availability)
	// OnRevoke is told when credentials stop working, to close the sockets that use them.
	OnRevoke func(ctx context.Context, r baton.Revocation)
	// NoRateLimits turns off the budgets of the anonymous widget endpoints (load tests).
	NoRateLimits bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, is the bearer token GET /metrics requires on this listener.
	MetricsToken string
	// Outbound checks the targets of outbound requests when they are configured (the
	// chatbots' AI endpoints); its zero value refuses private addresses.
	Outbound outbound.Guard

	mux      *http.ServeMux
	routes   []string
	cop      *http.CrossOriginProtection
	throttle *loginThrottle
}

// NewServer builds the routing table.
func NewServer(db *store.DB, logger *slog.Logger) *Server {
	s := &Server{DB: db, Logger: logger, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection(), throttle: newLoginThrottle()}
	s.routesTable()
	return s
}

// Routes lists the registered patterns ("GET /api/v1/…"), for the OpenAPI coverage test.
func (s *Server) Routes() []string { return s.routes }

// Handle registers an extra handler (for other packages: sockets, channel hooks, assets).
func (s *Server) Handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.instrument(pattern, h))
}

func (s *Server) handle(pattern string, h handlerFunc) {
	s.Handle(pattern, s.adapt(h))
}

func (s *Server) routesTable() {
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.adapt(s.metrics))
	s.routes = append(s.routes, "GET /metrics")

	// Session.
	s.handle("POST /api/v1/session", s.login)
	s.handle("DELETE /api/v1/session", s.auth(s.logout))
	s.handle("DELETE /api/v1/sessions", s.session(s.logoutEverywhere))
	s.handle("GET /api/v1/me", s.auth(s.me))
	s.handle("PATCH /api/v1/me", s.session(s.updateMe))

	// Conversations.
	s.handle("GET /api/v1/conversations", s.auth(s.listConversations))
	s.handle("GET /api/v1/conversations/{id}", s.auth(s.getConversation))
	s.handle("PATCH /api/v1/conversations/{id}", s.authWrite(s.updateConversation))
	s.handle("GET /api/v1/conversations/{id}/messages", s.auth(s.listMessages))
	s.handle("POST /api/v1/conversations/{id}/messages", s.authWrite(s.postMessage))
	s.handle("POST /api/v1/conversations/{id}/actions/{action}", s.authWrite(s.act))
	s.handle("PUT /api/v1/conversations/{id}/status", s.authWrite(s.putStatus))
	s.handle("GET /api/v1/conversations/{id}/events", s.auth(s.listEvents))
	s.handle("POST /api/v1/conversations/{id}/attachments", s.authWrite(s.postAttachment))
	s.handle("GET /api/v1/attachments/{id}", s.auth(s.getAttachment))
	s.handle("POST /api/v1/conversations/{id}/bot-reply", s.authWrite(s.botReply))

	// Team, chatbots, labels, tokens.
	s.handle("GET /api/v1/users", s.auth(s.listUsers))
	s.handle("POST /api/v1/users", s.teamAdmin(s.createUser))
	s.handle("PATCH /api/v1/users/{id}", s.teamAdmin(s.updateUser))
	s.handle("POST /api/v1/users/{id}/deactivate", s.teamAdmin(s.deactivateUser))
	s.handle("POST /api/v1/users/{id}/reactivate", s.teamAdmin(s.reactivateUser))
	s.handle("GET /api/v1/chatbots", s.auth(s.listChatbots))
	s.handle("GET /api/v1/chatbots/{chatbot}", s.auth(s.getChatbot))
	s.handle("PATCH /api/v1/chatbots/{chatbot}", s.admin(s.updateChatbot))
	s.handle("POST /api/v1/chatbots/{chatbot}/identity-secret", s.teamAdmin(s.rotateIdentitySecret))
	s.handle("GET /api/v1/chatbots/{chatbot}/knowledge", s.auth(s.listKnowledge))
	s.handle("POST /api/v1/chatbots/{chatbot}/knowledge", s.admin(s.createKnowledge))
	s.handle("PUT /api/v1/chatbots/{chatbot}/knowledge/{id}", s.admin(s.updateKnowledge))
	s.handle("DELETE /api/v1/chatbots/{chatbot}/knowledge/{id}", s.admin(s.deleteKnowledge))
	s.handle("GET /api/v1/labels", s.auth(s.listLabels))

	s.handle("POST /api/v1/labels", s.admin(s.createLabel))
	s.handle("PATCH /api/v1/labels/{id}", s.admin(s.updateLabel))
	s.handle("DELETE /api/v1/labels/{id}", s.admin(s.deleteLabel))
	s.handle("GET /api/v1/tags", s.auth(s.listTags))

	// Routing, canned responses, notifications.
	s.handle("GET /api/v1/queues", s.auth(s.listQueues))
	s.handle("POST /api/v1/queues", s.admin(s.createQueue))
	s.handle("GET /api/v1/queues/{id}", s.auth(s.getQueue))
	s.handle("PATCH /api/v1/queues/{id}", s.admin(s.updateQueue))
	s.handle("DELETE /api/v1/queues/{id}", s.admin(s.deleteQueue))
	s.handle("GET /api/v1/agents", s.auth(s.listAgents))
	s.handle("GET /api/v1/canned-responses", s.auth(s.listCanned))
	s.handle("POST /api/v1/canned-responses", s.authWrite(s.createCanned))
	s.handle("PATCH /api/v1/canned-responses/{id}", s.authWrite(s.updateCanned))
	s.handle("DELETE /api/v1/canned-responses/{id}", s.authWrite(s.deleteCanned))
	s.handle("GET /api/v1/canned-responses/{id}/render", s.auth(s.renderCanned))
	s.handle("GET /api/v1/notifications", s.auth(s.listNotifications))
	s.handle("POST /api/v1/notifications/{id}/read", s.authWrite(s.readNotification))

	// Tickets.
	s.handle("GET /api/v1/tickets", s.auth(s.listTickets))
	s.handle("POST /api/v1/tickets", s.authWrite(s.createTicket))
	s.handle("GET /api/v1/tickets/{id}", s.auth(s.getTicket))
	s.handle("PATCH /api/v1/tickets/{id}", s.authWrite(s.updateTicket))
	s.handle("GET /api/v1/conversations/{id}/tickets", s.auth(s.conversationTickets))
	s.handle("POST /api/v1/conversations/{id}/tickets", s.authWrite(s.createConversationTicket))
	s.handle("GET /api/v1/tokens", s.admin(s.listTokens))
	s.handle("POST /api/v1/tokens", s.teamAdmin(s.createToken))
	s.handle("DELETE /api/v1/tokens/{id}", s.teamAdmin(s.revokeToken))
	s.auditRoutes()

	// Visitor API.
	s.handle("GET /widget/v1/config", s.widgetConfig)
	s.handle("POST /widget/v1/sessions", s.limited(s.openSession, s.perAddress(sessionsPerAddress)))
	s.handle("POST /widget/v1/offline", s.visitor(s.limited(s.offlineMessage, perVisitor(offlinePerVisitor), s.perAddress(offlinePerAddress))))
	s.handle("POST /widget/v1/attachments", s.visitor(s.limited(s.postVisitorAttachment, perVisitor(attachmentsPerVisitor))))
	s.handle("GET /widget/v1/attachments/{id}", s.getVisitorAttachment)
	s.handle("POST /widget/v1/messages", s.visitor(s.limited(s.postVisitorMessage, perVisitor(messagesPerVisitor))))
	s.handle("GET /widget/v1/messages", s.visitor(s.visitorMessages))
	s.mux.HandleFunc("OPTIONS /widget/v1/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	s.handle("/api/", func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute
	})
	// The widget API answers unknown paths and methods in the error shape too (not the
	// mux's plain-text 404/405).
	s.handle("/widget/", func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute
	})
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/widget/") {
		// The widget runs on customers' sites and authenticates with a bearer token, never a
		// cookie, so any origin may call it.
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Max-Age", "600")
	}
	if len(s.TrustedProxies) > 0 {
		// Behind a proxy the client is the one it names: resolved once for every handler.
		r = r.WithContext(context.WithValue(r.Context(), clientKey{}, s.clientAddr(r)))
	}
	s.mux.ServeHTTP(w, r)
}

var (
	httpRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "baton_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	httpDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "baton_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
)

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (for WebSocket hijacking).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		httpRequests.WithLabelValues(route, http.StatusText(code)).Inc()
		httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.Logger.Warn("readyz: database", "err", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
	}
	if s.Ready != nil {
		if err := s.Ready(ctx); err != nil {
			s.Logger.Warn("readyz: bus", "err", err)
			return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "bus unavailable"})
		}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
