package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"syscall"
	"time"

	"encoding/json"
	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/bot"
	botpkg "github.com/baton-chat/baton/internal/bot"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/jobs"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/realtime"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/web/console"
	"github.com/baton-chat/baton/web/widget"
	"github.com/riverqueue/river"
)

// wirers connect optional parts (channels, integrations) to the server: their routes on
// api, their job workers on workers. Each part's wire_*.go file appends its function in
// init, so adding a part does not touch Start.
var wirers []func(m *Main, api *httpapi.Server, workers *river.Workers) error

// Main is a running server: the program wired together.
type Main struct {
	Config *Config
	DB     *store.DB
	Logger *slog.Logger
	// Blobs keeps attachments (a directory under the data dir).
	Blobs blob.Store
	Bus   realtime.Bus
	Hub   *realtime.Hub
	Jobs  *jobs.Queue

	stdout   io.Writer
	closers  []func() // background parts of optional pieces, stopped on Close
	ln       net.Listener
	http     *http.Server
	serveErr chan error

	// metricsAddr is where --metrics-addr listens (its port chosen when :0).
	metricsAddr string
}

// NewMain parses the configuration of `baton serve`.
func NewMain(args []string, stdout, stderr io.Writer) (*Main, error) {
	c, _, err := parseConfig("serve", args, stderr, nil)
	if err != nil {
		return nil, err
	}
	return &Main{Config: c, Logger: newLogger(stderr, c.LogLevel), stdout: stdout}, nil
}

// Start opens the database, bootstraps the demo account and starts listening.
func (m *Main) Start(ctx context.Context) error {
	started := time.Now()
	c := m.Config
	key, err := c.secretKey()
	if err != nil {
		return err
	}
	d, err := store.Open(ctx, store.Config{URL: c.DatabaseURL, DataDir: c.DataDir})
	if err != nil {
		return err
	}
	m.DB = d
	if d.Dialect == store.Postgres {
		// Every message rewrites its conversation's row: without autovacuum the dead
		// versions and missing statistics make each minute slower than the last.
		var av string
		if err := d.Pool().QueryRow(ctx, "SHOW autovacuum").Scan(&av); err == nil && av == "off" {
			m.Logger.Warn("PostgreSQL's autovacuum is off: conversations will slow down as their rows' old versions pile up; turn it on (docs/deploy.md)")
		}
	}
	login, err := m.bootstrap(ctx)
	if err != nil {
		return err
	}
	if c.NATSURL != "" {
		if m.Bus, err = realtime.NewNATSBus(c.NATSURL, m.Logger); err != nil {
			return err
		}
	} else {
		m.Bus = realtime.NewLocalBus()
	}
	if m.Hub, err = realtime.NewHub(m.Bus, d, m.Logger); err != nil {
		return err
	}
	d.Publisher = m.Hub
	box, err := secret.New(key)
	if err != nil {
		return err
	}
	d.Secrets = box
	d.SessionIdle, d.SessionMax = c.SessionIdle, c.SessionMax
	d.Brief = jobs.ExtractiveBrief
	d.AsksForPerson = func(text string) (bool, string, string) { return bot.AsksForPerson(text, "") }
	if c.AttachmentsDir == "" {
		c.AttachmentsDir = filepath.Join(c.DataDir, "attachments")
	}
	m.Blobs = blob.Dir{Root: c.AttachmentsDir}
	workers := river.NewWorkers()
	// The one guard of every outbound request (SSRF): the AI endpoints, the webhooks, the
	// mail servers; BATON_ALLOW_PRIVATE_WEBHOOKS=1 lets them reach private addresses.
	guard := outbound.Guard{AllowPrivate: c.AllowPrivateWebhooks}
	river.AddWorker(workers, &jobs.BotReply{DB: d, Logger: m.Logger, Client: guard.Client(30 * time.Second),
		Typing: func(ctx context.Context, accountID, convID, name string, typing bool) {
			data, _ := json.Marshal(map[string]any{"typing": typing, "name": name, "who": "bot"})
			m.Hub.PublishEphemeral(ctx, &realtime.Ephemeral{AccountID: accountID, ConversationID: convID,
				Audience: "visitor", Type: "typing", Data: data})
		}})
	river.AddWorker(workers, &jobs.RingTimeout{DB: d})
	river.AddWorker(workers, &jobs.AutoResolve{DB: d})
	river.AddWorker(workers, &jobs.Abandon{DB: d})
	river.AddWorker(workers, &jobs.Prune{DB: d, Logger: m.Logger})
	api := httpapi.NewServer(d, m.Logger)
	api.Outbound = guard
	api.Ready = m.Bus.Ping
	api.Blobs = m.Blobs
	api.OnPresence = m.Hub.SetPresence
	api.OnRevoke = m.Hub.Revoke
	api.Handle("GET /widget/v1/ws", m.Hub.VisitorHandler(d))
	api.Handle("GET /api/v1/ws", m.Hub.AgentHandler(api.AuthenticateSocket, d, func(ctx context.Context, a *baton.Actor) {
		if err := d.AgentConnected(ctx, a.AccountID, a.User.ID); err != nil {
			m.Logger.Warn("agent presence", "err", err)
		}
	}))
	for _, wire := range wirers {
		if err := wire(m, api, workers); err != nil {
			return err
		}
	}
	if m.Jobs, err = jobs.New(ctx, d, jobs.Config{Workers: workers, Logger: m.Logger.With("component", "river"),
		Periodic: []*river.PeriodicJob{jobs.PrunePeriodically()}}); err != nil {
		return err
	}
	d.Jobs = m.Jobs
	if err := m.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.Handle("GET /widget.js", widget.Handler())
	mux.Handle("GET /demo", widget.Handler())
	mux.Handle("/app/", console.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app/", http.StatusFound)
	})
	m.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn)}
	if m.ln, err = net.Listen("tcp", c.Addr); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("listen on %s: the address is in use by another program; choose another with --addr or BATON_ADDR (e.g. --addr 127.0.0.1:8081)", c.Addr)
		}
		return fmt.Errorf("listen on %s: %w (choose the address with --addr or BATON_ADDR)", c.Addr, err)
	}
	if err := m.startPprof(); err != nil {
		return err
	}
	m.serveErr = make(chan error, 1)
	go func() { m.serveErr <- m.http.Serve(m.ln) }()
	url := m.URL()
	m.Logger.Info("baton started", "addr", m.ln.Addr().String(), "database", string(d.Dialect), "startup", time.Since(started).String())
	fmt.Fprintf(m.stdout, "Baton is running.\n  Console: %s/app/\n  Widget demo: %s/demo\n", url, url)
	if login != "" {
		fmt.Fprint(m.stdout, login)
	}
	return nil
}

// URL is the server's base URL.
func (m *Main) URL() string {
	if m.Config.PublicURL != "" {
		return m.Config.PublicURL
	}
	return "http://" + m.ln.Addr().String()
}

// Close shuts down gracefully: in-flight requests finish (up to 15 s), then the database
// closes.
func (m *Main) Close() error {
	var err error
	if m.Hub != nil {
		// Sockets first: they are hijacked, so http.Server.Shutdown would not wait for them.
		m.Hub.Close()
	}
	if m.http != nil && m.serveErr != nil { // serveErr is nil when Start failed before serving
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err = m.http.Shutdown(ctx)
		if serr := <-m.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	for _, stop := range m.closers {
		stop()
	}
	if m.Jobs != nil {
		// Running jobs get 10 s to finish; the rest are handed back to the queue (O4).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = errors.Join(err, m.Jobs.Stop(ctx))
		cancel()
	}
	if m.Bus != nil {
		err = errors.Join(err, m.Bus.Close())
	}
	if m.DB != nil {
		err = errors.Join(err, m.DB.Close())
	}
	m.Logger.Info("baton stopped")
	return err
}

// bootstrap creates the demo account on first start and the first admin; it returns the
// login lines to print (the generated password is shown this once only).
func (m *Main) bootstrap(ctx context.Context) (string, error) {
	c := m.Config
	accounts, err := m.DB.Accounts(ctx)
	if err != nil {
		return "", err
	}
	if len(accounts) == 0 {
		if c.NoDemo {
			acc, _, err := m.DB.CreateAccount(ctx, "My company", "support", "Support Bot")
			if err != nil {
				return "", err
			}
			accounts = append(accounts, acc)
		} else {
			acc, bot, err := m.DB.CreateAccount(ctx, "Demo", "demo", "Baton Demo Bot")
			if err != nil {
				return "", err
			}
			accounts = append(accounts, acc)
			actx := baton.NewContextWithActor(ctx, &baton.Actor{AccountID: acc.ID})
			var entries []baton.KnowledgeEntry
			for _, e := range botpkg.DemoKnowledge() {
				entries = append(entries, baton.KnowledgeEntry{Question: e.Question, Answer: e.Answer, Keywords: e.Keywords})
			}
			if _, err := m.DB.CreateKnowledge(actx, bot.ID, entries); err != nil {
				return "", fmt.Errorf("demo knowledge: %w", err)
			}
		}
	}
	email := c.AdminEmail
	if email == "" {
		email = "admin@baton.local"
	}
	if _, err := m.DB.FindUserByEmail(ctx, email); err == nil {
		return fmt.Sprintf("  Sign in as %s\n", email), nil
	} else if baton.ErrorCode(err) != baton.ENOTFOUND {
		return "", err
	}
	if c.AdminEmail == "" {
		// Without BATON_ADMIN_EMAIL, a generated admin is made only on a fresh install.
		users, err := m.DB.ListUsers(ctx, accounts[0].ID)
		if err != nil {
			return "", err
		}
		if len(users) > 0 {
			return "", nil
		}
	}
	password := c.AdminPassword
	generated := password == ""
	if generated {
		password = generatePassword()
	}
	if _, err := m.DB.CreateUser(ctx, baton.UserCreate{AccountID: accounts[0].ID, Email: email, Password: password,
		FirstName: "Admin", Role: baton.RoleOwner, Capacity: 10}); err != nil {
		return "", fmt.Errorf("create admin: %s", baton.ErrorMessage(err))
	}
	if generated {
		return fmt.Sprintf("  Sign in as %s with password %s\n  (generated; shown this once — change it in Settings → Profile;\n   forgotten: baton user reset-password --email %s)\n", email, password, email), nil
	}
	return fmt.Sprintf("  Sign in as %s\n", email), nil
}

func generatePassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}
