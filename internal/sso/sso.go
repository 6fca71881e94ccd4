// Package sso signs agents in with OpenID Connect ("Sign in with SSO"): the operator
// names one identity provider (issuer, client id and secret); an agent whose verified
// email matches a Baton user is signed in as that user, and an unknown one is created as an
// agent of the account that lists the email's domain among its SSO sign-up domains.
//
// The flow is the authorization-code flow with PKCE. The state, the nonce and the PKCE
// verifier travel in a short-lived sealed cookie, so any instance behind a load balancer
// can finish a sign-in another one started.
package sso

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Paths of the flow. CallbackPath, under the public URL, is the redirect URI to register
// at the identity provider.
const (
	LoginPath    = "/auth/oidc/login"
	CallbackPath = "/auth/oidc/callback"
)

// retryAfter is how long a failed discovery of the provider is remembered before the next
// sign-in tries again.
const retryAfter = 10 * time.Second

// Sealer seals and opens the flow cookie (the server's secret.Box).
type Sealer interface {
	Seal(plaintext string) string
	Open(sealed string) (string, error)
}

// Config is the operator's identity provider. An empty Issuer turns SSO off.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Name labels the sign-in button ("Sign in with <Name>"); "SSO" when empty.
	Name string
	// BaseURL returns Baton's public URL (no trailing slash); the redirect URI is
	// BaseURL() + CallbackPath.
	BaseURL func() string
	// Sealer protects the flow cookie.
	Sealer Sealer
	// Client calls the identity provider; nil means a client with a 15 s timeout.
	Client *http.Client
}

// Service serves the SSO routes.
type Service struct {
	DB     *store.DB
	Logger *slog.Logger
	cfg    Config

	mu       sync.Mutex
	provider *oidc.Provider
	tried    time.Time
	err      error
}

// New returns the service of c.
func New(d *store.DB, logger *slog.Logger, c Config) *Service {
	if c.Name == "" {
		c.Name = "SSO"
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Service{DB: d, Logger: logger, cfg: c}
}

// Enabled reports whether an identity provider is configured.
func (s *Service) Enabled() bool { return s.cfg.Issuer != "" }

// Register adds the SSO routes to api: the public configuration for the sign-in page, the
// flow's two steps, and the admins' sign-up domain settings.
func (s *Service) Register(api *httpapi.Server) {
	api.HandleFunc("GET /api/v1/sso/config", s.config)
	api.HandleFunc("GET /api/v1/sso/settings", api.Authed(baton.ScopeRead, baton.RoleAdmin, s.getSettings))
	api.HandleFunc("PUT /api/v1/sso/settings", api.Authed(baton.ScopeWrite, baton.RoleAdmin, s.putSettings))
	api.Handle("GET "+LoginPath, http.HandlerFunc(s.login))
	api.Handle("GET "+CallbackPath, http.HandlerFunc(s.callback))
}

func (s *Service) config(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"enabled": s.Enabled(), "name": s.cfg.Name})
}

// discover finds the provider's endpoints and keys on first use, so that an identity
// provider that is down does not stop Baton from starting; a failure is retried by a
// sign-in after retryAfter.
func (s *Service) discover() (*oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	if s.err != nil && time.Since(s.tried) < retryAfter {
		return nil, s.err
	}
	// The key set keeps this context's values (the HTTP client) but not its deadline.
	ctx, cancel := context.WithTimeout(s.clientContext(context.Background()), s.cfg.Client.Timeout+time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	if err != nil {
		s.tried, s.err = time.Now(), fmt.Errorf("discover the OpenID provider %s: %w", s.cfg.Issuer, err)
		return nil, s.err
	}
	s.provider, s.err = p, nil
	return p, nil
}

func (s *Service) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.cfg.Client)
}

func (s *Service) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: strings.TrimSuffix(s.cfg.BaseURL(), "/") + CallbackPath,
		Scopes:      []string{oidc.ScopeOpenID, "email", "profile"}}
}

// errDisabled is logged when a flow path is reached with SSO off.
var errDisabled = errors.New("single sign-on is not configured (BATON_OIDC_ISSUER)")
