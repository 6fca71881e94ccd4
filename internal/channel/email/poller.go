package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Poller runs one loop per chatbot whose email channel has an IMAP mailbox: it reads the
// unseen mails of INBOX, stores each (once: C6), marks it seen, then waits for new mail
// with IDLE — or polls, where the server has no IDLE. A loop that fails reconnects with
// a growing backoff and reports the problem on the channel (its error field). Loops
// follow configuration changes: Reload rescans at once, and every Rescan anyway (for
// changes made on another node).
type Poller struct {
	DB *store.DB
	// Adapter gives the TLS settings (nil: the system's roots).
	Adapter *Adapter
	Service *channel.Service
	Logger  *slog.Logger
	// PollInterval is how often a mailbox without IDLE is checked, and how long an IDLE
	// lasts before it is renewed (0: one minute).
	PollInterval time.Duration
	// Rescan is how often the configurations are re-read (0: one minute).
	Rescan time.Duration
	// Timeout bounds connecting and each command (0: 30 s).
	Timeout time.Duration

	once   sync.Once
	reload chan struct{}
}

func (p *Poller) init() { p.once.Do(func() { p.reload = make(chan struct{}, 1) }) }

// Reload makes the loops follow the configurations now.
func (p *Poller) Reload() {
	p.init()
	select {
	case p.reload <- struct{}{}:
	default:
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

type loop struct {
	cancel  context.CancelFunc
	updated time.Time
}

// Start runs the loops in the background until the returned stop is called; stop waits
// for them to end.
func (p *Poller) Start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// Run runs the loops until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	p.init()
	var wg sync.WaitGroup
	running := map[string]*loop{}
	scan := func() {
		cs, err := p.DB.ConnectedChannels(ctx, baton.ChannelEmail)
		if err != nil {
			if ctx.Err() == nil {
				p.Logger.Warn("email: read the mailbox configurations", "err", err)
			}
			return
		}
		want := map[string]*store.ChannelConfig{}
		for _, c := range cs {
			if c.Setting("imap_host") != "" {
				want[c.ChatbotID] = c
			}
		}
		for id, l := range running {
			if c, ok := want[id]; !ok || !c.UpdatedAt.Equal(l.updated) {
				l.cancel()
				delete(running, id)
			}
		}
		for id, c := range want {
			if _, ok := running[id]; ok {
				continue
			}
			lctx, cancel := context.WithCancel(ctx)
			running[id] = &loop{cancel: cancel, updated: c.UpdatedAt}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.mailbox(lctx, c)
			}()
		}
	}
	scan()
	ticker := time.NewTicker(orDefault(p.Rescan, time.Minute))
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			for _, l := range running {
				l.cancel()
			}
			wg.Wait()
			return
		case <-ticker.C:
			scan()
		case <-p.reload:
			scan()
		}
	}
}

// mailbox keeps one chatbot's mailbox read until ctx ends.
func (p *Poller) mailbox(ctx context.Context, c *store.ChannelConfig) {
	log := p.Logger.With("chatbot", c.ChatbotID, "imap_host", c.Setting("imap_host"))
	backoff := time.Second
	reported := c.Error
	for {
		err := p.session(ctx, c, func() {
			backoff = time.Second
			if reported != "" {
				reported = ""
				p.report(c, "")
			}
		})
		if ctx.Err() != nil {
			return
		}
		problem := "IMAP: " + errorText(err)
		log.Warn("email: mailbox", "err", "IMAP: "+detail(err), "retry_in", backoff.String())
		if problem != reported {
			reported = problem
			p.report(c, problem)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

func (p *Poller) report(c *store.ChannelConfig, problem string) {
	if err := p.DB.SetChannelError(context.Background(), c.ChatbotID, baton.ChannelEmail, problem); err != nil {
		p.Logger.Warn("email: report the mailbox problem", "err", err)
	}
}

// session signs in and reads the mailbox until ctx ends (nil) or something fails.
func (p *Poller) session(ctx context.Context, c *store.ChannelConfig, connected func()) error {
	arrived := make(chan struct{}, 1)
	var base *tls.Config
	var guard outbound.Guard
	if p.Adapter != nil {
		base, guard = p.Adapter.TLSConfig, p.Adapter.Guard
	}
	opts := &imapclient.Options{TLSConfig: tlsFor(base, c.Setting("imap_host")), UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case arrived <- struct{}{}:
				default:
				}
			}
		},
	}}
	cl, err := dialIMAP(c, opts, orDefault(p.Timeout, 30*time.Second), guard)
	if err != nil {
		return err
	}
	defer cl.Close()
	// A cancelled ctx closes the connection, which ends whatever command waits.
	defer context.AfterFunc(ctx, func() { cl.Close() })()
	if err := cl.Login(c.Setting("imap_user"), c.Secrets["imap_password"]).Wait(); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
		return fmt.Errorf("open INBOX: %w", err)
	}
	connected()
	idle := cl.Caps().Has(imap.CapIdle)
	p.Logger.Debug("email: mailbox open", "chatbot", c.ChatbotID, "idle", idle)
	interval := orDefault(p.PollInterval, time.Minute)
	for {
		if err := p.fetchUnseen(ctx, cl, c); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if idle {
			// Servers report mail that arrived between commands at the next command, not
			// always when IDLE starts: a NOOP first flushes what the search missed.
			if err := cl.Noop().Wait(); err != nil {
				return fmt.Errorf("noop: %w", err)
			}
			cmd, err := cl.Idle()
			if err != nil {
				return fmt.Errorf("idle: %w", err)
			}
			p.Logger.Debug("email: waiting for new mail", "chatbot", c.ChatbotID)
			select {
			case <-arrived:
			case <-time.After(interval):
			case <-ctx.Done():
			}
			if err := cmd.Close(); err != nil && ctx.Err() == nil {
				return fmt.Errorf("idle: %w", err)
			}
			if err := cmd.Wait(); err != nil && ctx.Err() == nil {
				return fmt.Errorf("idle: %w", err)
			}
		} else {
			select {
			case <-arrived:
			case <-time.After(interval):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// fetchUnseen stores every unseen mail of the selected mailbox and marks it seen. A mail
// that cannot be parsed, or is too large, is marked seen and logged (a person reads it in
// the mailbox); a mail that cannot be stored stays unseen, for the next round.
func (p *Poller) fetchUnseen(ctx context.Context, cl *imapclient.Client, c *store.ChannelConfig) error {
	data, err := cl.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range data.AllUIDs() {
		if ctx.Err() != nil {
			return nil
		}
		set := imap.UIDSetNum(uid)
		msgs, err := cl.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
		if err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		if len(msgs) == 0 {
			continue
		}
		if msgs[0].RFC822Size > channel.MaxMailBody {
			p.Logger.Warn("email: mail too large, left in the mailbox", "chatbot", c.ChatbotID, "uid", uid, "size", msgs[0].RFC822Size)
		} else {
			msgs, err = cl.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
			if err != nil {
				return fmt.Errorf("fetch: %w", err)
			}
			if len(msgs) == 0 {
				continue
			}
			if err := p.store(ctx, c, msgs[0].FindBodySection(section)); err != nil {
				return err
			}
		}
		if err := cl.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return fmt.Errorf("mark seen: %w", err)
		}
	}
	return nil
}

// store parses and stores one mail; only a failure to store is an error.
func (p *Poller) store(ctx context.Context, c *store.ChannelConfig, raw []byte) error {
	in, err := Parse(raw, c.Setting("from_address"))
	if err != nil {
		p.Logger.Warn("email: mail skipped", "chatbot", c.ChatbotID, "err", err)
		return nil
	}
	if in == nil {
		return nil
	}
	if _, _, err := p.Service.Store(ctx, c, in); err != nil {
		var be *baton.Error
		if errors.As(err, &be) {
			p.Logger.Warn("email: mail refused", "chatbot", c.ChatbotID, "err", be.Message)
			return nil
		}
		return fmt.Errorf("store mail: %w", err)
	}
	return nil
}
