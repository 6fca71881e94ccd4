package email_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/email"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/emersion/go-imap/v2"
)

// mailboxEnv is a chatbot whose email channel reads box (through addr, which may be a
// proxy in front of it) and sends through out.
type mailboxEnv struct {
	*channeltest.Env
	box *mailbox
	out *relay
}

func connectMailbox(t *testing.T, db *store.DB, box *mailbox, addr string, poll time.Duration) *mailboxEnv {
	t.Helper()
	serverTLS, clientTLS := testTLS(t)
	out := newRelay(t, serverTLS)
	adapter := &email.Adapter{TLSConfig: clientTLS, Guard: outbound.Guard{AllowPrivate: true}}
	e := channeltest.New(t, db, adapter)
	poller := &email.Poller{DB: db, Service: e.Service, Adapter: adapter, Logger: e.Logger, PollInterval: poll}
	e.Service.OnChange = poller.Reload
	t.Cleanup(poller.Start())
	imapHost, imapPort := hostPort(t, addr)
	smtpHost, smtpPort := hostPort(t, out.addr)
	cfg := map[string]any{"from_address": "support@acme.test", "imap_host": imapHost, "imap_port": imapPort,
		"imap_user": imapUser, "imap_password": imapPass, "imap_tls": false, "smtp_host": smtpHost, "smtp_port": smtpPort,
		"smtp_user": smtpUser, "smtp_password": smtpPass, "smtp_tls": false}
	channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/email", cfg), http.StatusOK, "PUT email")
	return &mailboxEnv{Env: e, box: box, out: out}
}

// mailFrom is a small mail from a sender with a subject.
func mailFrom(from, subject string) []byte {
	return []byte("From: " + from + "\r\nTo: support@acme.test\r\nSubject: " + subject + "\r\nMessage-ID: <" +
		strings.ReplaceAll(subject, " ", ".") + "@example.com>\r\nContent-Type: text/plain\r\n\r\n" + subject + "\r\n")
}

// appendSeen puts a mail in INBOX already marked \Seen, as when someone opened it in
// another client before Baton read it.
func (m *mailbox) appendSeen(t *testing.T, raw []byte) {
	t.Helper()
	c := m.client(t)
	w := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Wait(); err != nil {
		t.Fatalf("append: %v", err)
	}
}

// TestConnectingAMailboxLeavesItsBacklog: the mail already in a mailbox when it is
// connected is not imported nor answered; mail arriving afterwards is, even if someone
// opened it in another client first.
func TestConnectingAMailboxLeavesItsBacklog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox(t)
		for _, s := range []string{"old one", "old two", "old three"} {
			box.deliver(t, mailFrom("old@example.com", s))
		}
		e := connectMailbox(t, db, box, box.addr, channeltest.Timeout*10)
		e.Eventually(t, "the mailbox connected", func() bool { return e.LogCount("email: mailbox connected") > 0 })
		e.Eventually(t, "the loop in IDLE", func() bool { return e.LogCount("email: waiting for new mail") > 0 })
		idled := e.LogCount("email: waiting for new mail")
		box.deliver(t, mailFrom("new@example.com", "fresh mail"))
		e.Eventually(t, "the new mail's conversation", func() bool { return len(e.Conversations(t)) == 1 })
		e.Eventually(t, "the loop in IDLE again", func() bool { return e.LogCount("email: waiting for new mail") > idled })
		box.appendSeen(t, mailFrom("seen@example.com", "opened elsewhere"))
		e.Eventually(t, "the seen mail's conversation", func() bool { return len(e.Conversations(t)) == 2 })
		for _, c := range e.Conversations(t) {
			if c.Contact.Email == "old@example.com" {
				t.Errorf("a mail of the backlog became conversation %s", c.ID)
			}
		}
		if got := e.out.with("old one"); len(got) != 0 {
			t.Errorf("the bot answered the backlog: %d mails", len(got))
		}
		if n := box.unseen(t); n != 3 {
			t.Errorf("unseen mails = %d, want the backlog's 3 left to people", n)
		}
	})
}

// imapProxy forwards IMAP connections to target, passing each line the server sends
// through edit; bye() makes it send "* BYE" on every open connection and close them, as a
// server that restarts does.
type imapProxy struct {
	addr  string
	mu    sync.Mutex
	conns []net.Conn
}

func newIMAPProxy(t *testing.T, target string, edit func(line string) string) *imapProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &imapProxy{addr: ln.Addr().String()}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, client)
			p.mu.Unlock()
			go func() { io.Copy(server, client); server.Close() }()
			go func() {
				r := bufio.NewReader(server)
				for {
					line, err := r.ReadString('\n')
					p.mu.Lock()
					_, werr := io.WriteString(client, edit(line))
					p.mu.Unlock()
					if werr != nil || err != nil {
						client.Close()
						return
					}
				}
			}()
		}
	}()
	return p
}

func (p *imapProxy) bye() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		io.WriteString(c, "* BYE Server shutting down\r\n")
		c.Close()
	}
	p.conns = nil
}

// TestAServerThatSaysByeInIdleIsNoticedAtOnce: the mailbox loop does not wait for the
// next IDLE renewal (minutes away here): the channel shows the problem, reconnects, and the
// problem clears.
func TestAServerThatSaysByeInIdleIsNoticedAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox(t)
		proxy := newIMAPProxy(t, box.addr, func(line string) string { return line })
		e := connectMailbox(t, db, box, proxy.addr, 10*time.Minute)
		e.Eventually(t, "the loop in IDLE", func() bool { return e.LogCount("email: waiting for new mail") > 0 })
		proxy.bye()
		e.Eventually(t, "the problem shown on the channel", func() bool {
			r := e.AsOwner(t, "GET", "/api/v1/chatbots/demo/channels/email", nil)
			return strings.Contains(string(r.Body), "closed the connection")
		})
		e.Eventually(t, "reconnected and back in IDLE", func() bool { return e.LogCount("email: waiting for new mail") > 1 })
		e.Eventually(t, "the problem cleared", func() bool {
			r := e.AsOwner(t, "GET", "/api/v1/chatbots/demo/channels/email", nil)
			return !strings.Contains(string(r.Body), "closed the connection")
		})
		box.deliver(t, mailFrom("after@example.com", "after the restart"))
		e.Eventually(t, "mail after the reconnect", func() bool { return len(e.Conversations(t)) == 1 })
	})
}
