package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
// mail of INBOX that arrived since it last read it, by UID (a mail someone already opened
// in another client is read too), stores each (once: C6), marks it seen, then waits for
// new mail with IDLE — or polls, where the server has no IDLE. The first time a mailbox is
// connected, the mail already in it is left to people: only mail that arrives from then on
// is imported, so the bot does not answer a backlog. A loop that fails — or whose server
// closes the connection (BYE), noticed at once in IDLE and between polls — reconnects
// with a growing backoff and reports the problem on the channel (its error field). Loops
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
	sel, err := cl.Select("INBOX", nil).Wait()
	if err != nil {
		return fmt.Errorf("open INBOX: %w", err)
	}
	cur, err := p.open(ctx, cl, c, sel)
	if err != nil {
		return err
	}
	connected()
	idle := cl.Caps().Has(imap.CapIdle)
	p.Logger.Debug("email: mailbox open", "chatbot", c.ChatbotID, "idle", idle)
	interval := orDefault(p.PollInterval, time.Minute)
	for {
		if err := p.fetchNew(ctx, cl, c, &cur); err != nil {
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
			case <-cl.Closed():
				return errServerClosed
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
			case <-cl.Closed():
				return errServerClosed
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// errServerClosed is a connection the server ended (a BYE, a restart, a dropped link).
var errServerClosed = errors.New("the server closed the connection")

// open finds where to read the selected INBOX from. The first time (or when the mailbox
// was recreated: a new UIDVALIDITY), the mail already there is the team's backlog: reading
// starts after it. Unseen mail that arrived after the channel was configured is still
// imported then (a mailbox connected before its first read, or a server upgraded while
// mail arrived).
func (p *Poller) open(ctx context.Context, cl *imapclient.Client, c *store.ChannelConfig, sel *imap.SelectData) (cursor, error) {
	cur, known, err := readCursor(ctx, p.DB, c.ChatbotID)
	if err != nil {
		return cursor{}, err
	}
	if known && cur.UIDValidity == sel.UIDValidity {
		return cur, nil
	}
	last := uint32(0)
	if sel.UIDNext > 0 {
		last = uint32(sel.UIDNext) - 1
	} else if sel.NumMessages > 0 {
		all, err := cl.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			return cursor{}, fmt.Errorf("search: %w", err)
		}
		for _, uid := range all.AllUIDs() {
			last = max(last, uint32(uid))
		}
	}
	cur = cursor{UIDValidity: sel.UIDValidity, LastUID: last}
	p.Logger.Info("email: mailbox connected; the mail already in it is left to people", "chatbot", c.ChatbotID,
		"messages", sel.NumMessages, "uid_validity", sel.UIDValidity, "new_uid_validity", known)
	if err := saveCursor(ctx, p.DB, c.ChatbotID, cur); err != nil {
		return cursor{}, err
	}
	if last == 0 {
		return cur, nil
	}
	// Unseen mail that came after the channel was configured.
	data, err := cl.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}, Since: c.UpdatedAt.Truncate(24 * time.Hour),
		UID: []imap.UIDSet{{imap.UIDRange{Start: 1, Stop: imap.UID(last)}}}}, nil).Wait()
	if err != nil {
		return cursor{}, fmt.Errorf("search: %w", err)
	}
	for _, uid := range data.AllUIDs() {
		if ctx.Err() != nil {
			return cur, nil
		}
		msgs, err := cl.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, InternalDate: true}).Collect()
		if err != nil {
			return cursor{}, fmt.Errorf("fetch: %w", err)
		}
		if len(msgs) == 0 || msgs[0].InternalDate.Before(c.UpdatedAt) {
			continue
		}
		if err := p.importMail(ctx, cl, c, uid); err != nil {
			return cursor{}, err
		}
	}
	return cur, nil
}

// fetchNew imports every mail of the selected mailbox after the cursor, in UID order, and
// moves the cursor past each one as it is stored.
func (p *Poller) fetchNew(ctx context.Context, cl *imapclient.Client, c *store.ChannelConfig, cur *cursor) error {
	data, err := cl.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(cur.LastUID + 1), Stop: 0}}}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	for _, uid := range uids {
		if ctx.Err() != nil {
			return nil
		}
		if uint32(uid) <= cur.LastUID {
			continue // "n:*" always names the last mail, even below n
		}
		if err := p.importMail(ctx, cl, c, uid); err != nil {
			return err
		}
		cur.LastUID = uint32(uid)
		if err := saveCursor(ctx, p.DB, c.ChatbotID, *cur); err != nil {
			return err
		}
	}
	return nil
}

// importMail stores one mail and marks it seen. A mail that cannot be parsed, or is too
// large, is logged and left to a person in the mailbox; a mail that cannot be stored is an
// error (the loop reconnects and reads it again).
func (p *Poller) importMail(ctx context.Context, cl *imapclient.Client, c *store.ChannelConfig, uid imap.UID) error {
	set := imap.UIDSetNum(uid)
	msgs, err := cl.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	if len(msgs) == 0 {
		return nil
	}
	if msgs[0].RFC822Size > channel.MaxMailBody {
		p.Logger.Warn("email: mail too large, left in the mailbox", "chatbot", c.ChatbotID, "uid", uid, "size", msgs[0].RFC822Size)
	} else {
		section := &imap.FetchItemBodySection{Peek: true}
		msgs, err = cl.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		if len(msgs) == 0 {
			return nil
		}
		if err := p.store(ctx, c, msgs[0].FindBodySection(section)); err != nil {
			return err
		}
	}
	if err := cl.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		return fmt.Errorf("mark seen: %w", err)
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
