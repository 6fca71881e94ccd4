package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is Baton's start-up configuration (API.md "Start-up"): environment first, flags win.
type Config struct {
	Addr                 string `env:"BATON_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir              string `env:"BATON_DATA_DIR" envDefault:"./baton-data"`
	DatabaseURL          string `env:"BATON_DATABASE_URL"`
	NATSURL              string `env:"BATON_NATS_URL"`
	AdminEmail           string `env:"BATON_ADMIN_EMAIL"`
	AdminPassword        string `env:"BATON_ADMIN_PASSWORD"`
	SecretKey            string `env:"BATON_SECRET_KEY"`
	AllowPrivateWebhooks bool   `env:"BATON_ALLOW_PRIVATE_WEBHOOKS"`
	TelegramAPIURL       string `env:"BATON_TELEGRAM_API_URL" envDefault:"https://api.telegram.org"`
	GraphAPIURL          string `env:"BATON_GRAPH_API_URL" envDefault:"https://graph.facebook.com"`
	PublicURL            string `env:"BATON_PUBLIC_URL"`
	AttachmentsDir       string `env:"BATON_ATTACHMENTS_DIR"`
	LogLevel             string `env:"BATON_LOG_LEVEL" envDefault:"info"`
	NoDemo               bool   `env:"BATON_NO_DEMO"`
	// PprofAddr, when set, serves net/http/pprof on a separate (loopback) listener.
	PprofAddr string `env:"BATON_PPROF_ADDR"`
	// ChannelTimeout bounds each HTTP call to a channel provider (Telegram, the Graph API):
	// a provider that hangs costs a delivery attempt after this long.
	ChannelTimeout time.Duration `env:"BATON_CHANNEL_TIMEOUT" envDefault:"60s"`
	// ChannelRetryBackoff are the waits after failed delivery attempts 1, 2, … (the last
	// one repeats when there are fewer than attempts).
	ChannelRetryBackoff []time.Duration `env:"BATON_CHANNEL_RETRY_BACKOFF" envDefault:"10s,40s" envSeparator:","`
	// The anonymous endpoints (docs/security.md "Rate limits and anonymous endpoints"):
	// the widget's budgets (on/off), the reverse proxies whose X-Forwarded-For is believed,
	// where and to whom /metrics is served, and how long visitor tokens live.
	RateLimits           string        `env:"BATON_RATE_LIMITS" envDefault:"on"`
	TrustedProxies       string        `env:"BATON_TRUSTED_PROXIES"`
	MetricsAddr          string        `env:"BATON_METRICS_ADDR"`
	MetricsToken         string        `env:"BATON_METRICS_TOKEN"`
	VisitorTokenIdle     time.Duration `env:"BATON_VISITOR_TOKEN_IDLE" envDefault:"720h"`
	VisitorTokenLifetime time.Duration `env:"BATON_VISITOR_TOKEN_LIFETIME" envDefault:"4320h"`
	// SessionIdle and SessionMax end agents' sessions after this long without a request,
	// and this long after sign-in (docs/security.md "Sessions").
	SessionIdle time.Duration `env:"BATON_SESSION_IDLE" envDefault:"30m"`
	SessionMax  time.Duration `env:"BATON_SESSION_MAX" envDefault:"12h"`
	// OIDC* name the OpenID Connect provider of "Sign in with SSO" (off without an issuer);
	// the redirect URI to register there is <BATON_PUBLIC_URL>/auth/oidc/callback.
	OIDCIssuer       string `env:"BATON_OIDC_ISSUER"`
	OIDCClientID     string `env:"BATON_OIDC_CLIENT_ID"`
	OIDCClientSecret string `env:"BATON_OIDC_CLIENT_SECRET"`
	OIDCName         string `env:"BATON_OIDC_NAME" envDefault:"SSO"`
}

// parseConfig reads the environment, then the flags of a subcommand.
func parseConfig(name string, args []string, stderr io.Writer, extra func(fs *flag.FlagSet)) (*Config, *flag.FlagSet, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return nil, nil, fmt.Errorf("environment: %w", err)
	}
	fs := flag.NewFlagSet("baton "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on (BATON_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for SQLite, attachments and the secret key (BATON_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "postgres:// URL; empty means SQLite in the data dir (BATON_DATABASE_URL)")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "nats:// URL; empty means an in-process bus (BATON_NATS_URL)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (BATON_LOG_LEVEL)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, "OpenID Connect issuer URL for \"Sign in with SSO\"; off when empty (BATON_OIDC_ISSUER)")
	anonymousFlags(fs, &c)
	fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle, "end an agent's session after this long without a request (BATON_SESSION_IDLE)")
	fs.DurationVar(&c.SessionMax, "session-max", c.SessionMax, "end an agent's session this long after sign-in (BATON_SESSION_MAX)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", c.PprofAddr, "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off when empty (BATON_PPROF_ADDR)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := c.check(); err != nil {
		return nil, nil, err
	}
	return &c, fs, nil
}

// check refuses settings that parse but make no sense.
func (c *Config) check() error {
	if err := c.checkAnonymous(); err != nil {
		return err
	}
	if err := c.checkOIDC(); err != nil {
		return err
	}
	if c.SessionIdle < time.Minute || c.SessionMax < c.SessionIdle {
		return errors.New("BATON_SESSION_IDLE must be at least 1m, and BATON_SESSION_MAX at least BATON_SESSION_IDLE")
	}
	if c.ChannelTimeout <= 0 {
		return errors.New("BATON_CHANNEL_TIMEOUT must be a positive duration (e.g. 60s)")
	}
	if len(c.ChannelRetryBackoff) == 0 {
		return errors.New("BATON_CHANNEL_RETRY_BACKOFF must list at least one wait (e.g. 10s,40s)")
	}
	for _, d := range c.ChannelRetryBackoff {
		if d <= 0 {
			return errors.New("BATON_CHANNEL_RETRY_BACKOFF must list positive durations (e.g. 10s,40s)")
		}
	}
	return nil
}

// channelBackoff is the wait after failed delivery attempt n (from 1), taken from
// BATON_CHANNEL_RETRY_BACKOFF.
func (c *Config) channelBackoff(attempt int) time.Duration {
	waits := c.ChannelRetryBackoff
	return waits[max(1, min(attempt, len(waits)))-1]
}

// secretKey returns the key that encrypts stored channel secrets: BATON_SECRET_KEY, else a
// key generated once into the data dir.
func (c *Config) secretKey() ([]byte, error) {
	if c.SecretKey != "" {
		k, err := hex.DecodeString(c.SecretKey)
		if err != nil || len(k) != 32 {
			return nil, errors.New("BATON_SECRET_KEY must be 64 hex digits (32 bytes)")
		}
		return k, nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if b, err := os.ReadFile(path); err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s is not a 32-byte hex key", path)
		}
		return k, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, err
	}
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	return k, nil
}
