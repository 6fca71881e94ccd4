package email_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/email"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jhillyerd/enmime/v2"
)

const (
	imapUser = "support@acme.test"
	imapPass = "imap-password-1"
	smtpUser = "relay-user"
	smtpPass = "smtp-password-2"
)

func readMail(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n"))
}

// mailbox is an in-memory IMAP server (go-imap's imapmemserver) with one user.
type mailbox struct {
	addr string
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(imapUser, imapPass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       quietLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &mailbox{addr: ln.Addr().String()}
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// client signs in to the mailbox as its user.
func (m *mailbox) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(m.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(imapUser, imapPass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// deliver appends a mail to INBOX, as the mail server does when mail arrives.
func (m *mailbox) deliver(t *testing.T, raw []byte) {
	t.Helper()
	c := m.client(t)
	w := c.Append("INBOX", int64(len(raw)), nil)
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

// unseen counts the mails of INBOX not marked \Seen.
func (m *mailbox) unseen(t *testing.T) int {
	t.Helper()
	c := m.client(t)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	d, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(d.AllUIDs())
}

// relay is an SMTP server (go-smtp) that needs PLAIN authentication and keeps what it
// is given; fail makes the next deliveries answer with SMTP errors.
type relay struct {
	addr string
	mu   sync.Mutex
	got  []relayed
	// tries holds the text of every mail offered, accepted or not.
	tries []string
	// fail holds, per text a mail carries, the errors to answer its next deliveries with.
	fail map[string][]*smtp.SMTPError
}

type relayed struct {
	From string
	To   []string
	Raw  []byte
	Msg  *mail.Message
	// Body is the decoded text.
	Body string
}

// testTLS is a certificate for 127.0.0.1 and the client configuration that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(ts.Close)
	return &tls.Config{Certificates: ts.TLS.Certificates},
		&tls.Config{RootCAs: ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
}

// newRelay starts the relay with STARTTLS (the password goes over TLS only).
func newRelay(t *testing.T, tlsConfig *tls.Config) *relay {
	t.Helper()
	r := &relay{fail: map[string][]*smtp.SMTPError{}}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }))
	s.Domain = "relay.test"
	s.TLSConfig = tlsConfig
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	r.addr = ln.Addr().String()
	return r
}

func (r *relay) failNext(text string, errs ...*smtp.SMTPError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[text] = append(r.fail[text], errs...)
}

// to returns the mails whose body holds text.
func (r *relay) with(text string) []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []relayed
	for _, g := range r.got {
		if strings.Contains(g.Body, text) {
			out = append(out, g)
		}
	}
	return out
}

// triesWith counts the mails offered with text.
func (r *relay) triesWith(text string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range r.tries {
		if strings.Contains(b, text) {
			n++
		}
	}
	return n
}

type relaySession struct {
	r      *relay
	authed bool
	from   string
	to     []string
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *relaySession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != smtpUser || password != smtpPass {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *relaySession) Data(rd io.Reader) error {
	raw, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.tries = append(s.r.tries, env.Text)
	for text, errs := range s.r.fail {
		if len(errs) > 0 && strings.Contains(env.Text, text) {
			s.r.fail[text] = errs[1:]
			return errs[0]
		}
	}
	s.r.got = append(s.r.got, relayed{From: s.from, To: append([]string(nil), s.to...), Raw: raw, Msg: msg, Body: env.Text})
	return nil
}

func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, _ := net.SplitHostPort(addr)
	var port int
	for _, c := range p {
		port = port*10 + int(c-'0')
	}
	return h, port
}

func TestEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		serverTLS, clientTLS := testTLS(t)
		box, out := newMailbox(t), newRelay(t, serverTLS)
		adapter := &email.Adapter{TLSConfig: clientTLS, Guard: outbound.Guard{AllowPrivate: true}}
		e := channeltest.New(t, db, adapter)
		// IDLE only: new mail must arrive long before a poll would find it.
		poller := &email.Poller{DB: db, Service: e.Service, Adapter: adapter, Logger: e.Logger, PollInterval: channeltest.Timeout * 10}
		e.Service.OnChange = poller.Reload
		stop := poller.Start()
		t.Cleanup(stop)
		// deliver puts a mail in the mailbox once the loop waits in IDLE again after the
		// previous delivery: the mail must then come by IDLE, the poll being far away.
		idled := 0
		deliver := func(t *testing.T, raw []byte) {
			t.Helper()
			e.Eventually(t, "the mailbox loop in IDLE", func() bool { return e.LogCount("email: waiting for new mail") > idled })
			idled = e.LogCount("email: waiting for new mail")
			box.deliver(t, raw)
		}
		imapHost, imapPort := hostPort(t, box.addr)
		smtpHost, smtpPort := hostPort(t, out.addr)
		var conv, secret, agentMsgID string

		channeltest.Step(t, "configuring signs in to both servers and shows the hook secret once", func(t *testing.T) {
			cfg := map[string]any{"from_address": "Acme Support <support@acme.test>", "imap_host": imapHost, "imap_port": imapPort,
				"imap_user": imapUser, "imap_password": "wrong", "imap_tls": false, "smtp_host": smtpHost, "smtp_port": smtpPort,
				"smtp_user": smtpUser, "smtp_password": smtpPass, "smtp_tls": false}
			channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/email", cfg), http.StatusBadRequest, "PUT with a wrong IMAP password")
			cfg["imap_password"] = imapPass
			r := channeltest.Want(t, e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/email", cfg), http.StatusOK, "PUT email")
			if strings.Contains(string(r.Body), imapPass) || strings.Contains(string(r.Body), smtpPass) {
				t.Errorf("the answer holds a password: %s", r.Body)
			}
			secret, _ = r.JSON(t)["inbound_secret"].(string)
			if len(secret) < 32 {
				t.Fatalf("inbound_secret = %q, want a generated secret shown once", secret)
			}
			g := channeltest.Want(t, e.AsOwner(t, "GET", "/api/v1/chatbots/demo/channels/email", nil), http.StatusOK, "GET email")
			if strings.Contains(string(g.Body), secret) || !strings.Contains(string(g.Body), `"inbound_secret"`) {
				t.Errorf("GET email = %s: want inbound_secret among the secrets set, never its value", g.Body)
			}
		})

		channeltest.Step(t, "a mail in the mailbox becomes a conversation titled with its subject", func(t *testing.T) {
			deliver(t, readMail(t, "mail_first.eml"))
			e.Eventually(t, "the mail's conversation", func() bool { return len(e.Conversations(t)) == 1 })
			c := e.Conversations(t)[0]
			conv = c.ID
			if c.Channel != baton.ChannelEmail || c.Subject != "Order 1234 arrived damaged" || c.Contact.SessionID != "email:ada@example.com" ||
				c.Contact.Name != "Ada Lovelace" || c.Contact.Email != "ada@example.com" {
				t.Errorf("conversation = channel %s, subject %q, contact %+v", c.Channel, c.Subject, c.Contact)
			}
			m := e.LastOfKind(t, conv, baton.KindVisitor)
			if !strings.HasPrefix(m.Content, "Hello,") || len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/pdf" {
				t.Errorf("message = %q with %+v", m.Content, m.Attachments)
			}
			e.Eventually(t, "the mail marked seen", func() bool { return box.unseen(t) == 0 })
		})

		channeltest.Step(t, "the bot's answer goes out threaded, to the sender only, marked auto-replied", func(t *testing.T) {
			var answer *baton.Message
			e.Eventually(t, "the bot's answer", func() bool { answer = e.LastOfKind(t, conv, baton.KindBot); return answer != nil })
			if m := e.DeliveryOf(t, conv, answer.ID); m.DeliveryStatus != baton.DeliverySent {
				t.Fatalf("the answer is %s (%s)", m.DeliveryStatus, m.DeliveryError)
			}
			got := out.with(firstLine(answer.Content))
			if len(got) != 1 {
				t.Fatalf("mails with the answer = %d, want 1", len(got))
			}
			h := got[0].Msg.Header
			if strings.Join(got[0].To, ",") != "ada@example.com" || h.Get("Cc") != "" || h.Get("Bcc") != "" {
				t.Errorf("recipients = %v (Cc %q, Bcc %q), want the sender only", got[0].To, h.Get("Cc"), h.Get("Bcc"))
			}
			if h.Get("In-Reply-To") != "<CAF=first.4711@mail.example.com>" || h.Get("Subject") != "Re: Order 1234 arrived damaged" ||
				h.Get("Auto-Submitted") != "auto-replied" || !strings.Contains(h.Get("From"), "support@acme.test") {
				t.Errorf("headers = %v", h)
			}
		})

		channeltest.Step(t, "the agent's reply goes out with Message-ID, In-Reply-To and References", func(t *testing.T) {
			e.HandOff(t, conv)
			r := channeltest.Want(t, e.Reply(t, conv, "Hi Ada, we are sending a new one today."), http.StatusCreated, "reply").JSON(t)
			id := r["id"].(string)
			if m := e.DeliveryOf(t, conv, id); m.DeliveryStatus != baton.DeliverySent {
				t.Fatalf("the reply is %s (%s)", m.DeliveryStatus, m.DeliveryError)
			}
			got := out.with("we are sending a new one today")
			if len(got) != 1 {
				t.Fatalf("mails with the reply = %d, want 1", len(got))
			}
			h := got[0].Msg.Header
			agentMsgID = email.MessageID(id, "support@acme.test")
			refs := strings.Fields(h.Get("References"))
			// References end with the mail replied to (the bot's answer sent since is a
			// sibling, not an ancestor), so clients thread the reply under it.
			if h.Get("Message-Id") != "<"+agentMsgID+">" || h.Get("In-Reply-To") != "<CAF=first.4711@mail.example.com>" ||
				len(refs) == 0 || refs[0] != "<CAF=first.4711@mail.example.com>" || refs[len(refs)-1] != h.Get("In-Reply-To") ||
				h.Get("Auto-Submitted") != "" {
				t.Errorf("headers: Message-Id %q, In-Reply-To %q, References %q, Auto-Submitted %q",
					h.Get("Message-Id"), h.Get("In-Reply-To"), h.Get("References"), h.Get("Auto-Submitted"))
			}
		})

		channeltest.Step(t, "the visitor's answer in the thread joins the same conversation", func(t *testing.T) {
			deliver(t, []byte(strings.ReplaceAll(string(readMail(t, "mail_reply.eml")), "AGENT_MESSAGE_ID", agentMsgID)))
			e.Eventually(t, "the answer stored", func() bool {
				m := e.LastOfKind(t, conv, baton.KindVisitor)
				return m != nil && strings.HasPrefix(m.Content, "Perfect")
			})
			if m := e.LastOfKind(t, conv, baton.KindVisitor); m.Content != "Perfect, thank you! The address is still the same." {
				t.Errorf("content = %q, want the quote cut off", m.Content)
			}
			if n := len(e.Conversations(t)); n != 1 {
				t.Errorf("conversations = %d, want 1", n)
			}
		})

		channeltest.Step(t, "an auto-reply is stored and not answered by the bot", func(t *testing.T) {
			deliver(t, readMail(t, "mail_autoreply.eml"))
			box.deliver(t, readMail(t, "mail_new.eml"))
			var auto, fresh *baton.Conversation
			e.Eventually(t, "both mails stored and the second one answered", func() bool {
				auto, fresh = nil, nil
				for _, c := range e.Conversations(t) {
					switch c.Contact.Email {
					case "grace@example.org":
						auto = c
					case "bob@example.com":
						fresh = c
					}
				}
				if auto == nil || fresh == nil {
					return false
				}
				b := e.LastOfKind(t, fresh.ID, baton.KindBot)
				return b != nil && b.DeliveryStatus == baton.DeliverySent
			})
			if e.LastOfKind(t, auto.ID, baton.KindVisitor) == nil || e.LastOfKind(t, auto.ID, baton.KindBot) != nil {
				t.Errorf("the auto-reply's conversation holds %d messages with a bot answer: want it stored and unanswered", len(e.Messages(t, auto.ID)))
			}
		})

		channeltest.Step(t, "the inbound hook takes raw mail with the bearer secret, once", func(t *testing.T) {
			raw := readMail(t, "mail_html.eml")
			channeltest.Want(t, e.Do(t, "POST", "/hooks/email/demo", http.Header{"Content-Type": {"message/rfc822"}}, raw), http.StatusUnauthorized, "no token")
			channeltest.Want(t, e.Do(t, "POST", "/hooks/email/demo", http.Header{"Authorization": {"Bearer nope"}}, raw), http.StatusForbidden, "a wrong token")
			before := len(e.Conversations(t))
			h := http.Header{"Authorization": {"Bearer " + secret}, "Content-Type": {"message/rfc822"}}
			channeltest.Want(t, e.Do(t, "POST", "/hooks/email/demo", h, raw), http.StatusOK, "a mail by the hook")
			r := channeltest.Want(t, e.Do(t, "POST", "/hooks/email/demo", h, raw), http.StatusOK, "the same mail again").JSON(t)
			if r["duplicates"] != float64(1) || len(e.Conversations(t)) != before+1 {
				t.Errorf("answer %v; conversations %d → %d, want one more", r, before, len(e.Conversations(t)))
			}
			channeltest.Want(t, e.Do(t, "POST", "/hooks/email/demo", h, "not a mail"), http.StatusBadRequest, "a body that is no mail")
		})

		channeltest.Step(t, "an SMTP server failing twice then accepting is tried three times; a 550 fails at once", func(t *testing.T) {
			out.failNext("Tracking number: 1Z999", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"},
				&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"})
			r := channeltest.Want(t, e.Reply(t, conv, "Tracking number: 1Z999"), http.StatusCreated, "reply").JSON(t)
			if m := e.DeliveryOf(t, conv, r["id"].(string)); m.DeliveryStatus != baton.DeliverySent || len(out.with("Tracking number: 1Z999")) != 1 ||
				out.triesWith("Tracking number: 1Z999") != 3 {
				t.Errorf("after two 451s the reply is %s (%s)", m.DeliveryStatus, m.DeliveryError)
			}
			out.failNext("This one bounces", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"})
			r = channeltest.Want(t, e.Reply(t, conv, "This one bounces"), http.StatusCreated, "reply").JSON(t)
			if m := e.DeliveryOf(t, conv, r["id"].(string)); m.DeliveryStatus != baton.DeliveryFailed || !strings.Contains(m.DeliveryError, "Mailbox unavailable") ||
				out.triesWith("This one bounces") != 1 {
				t.Errorf("after a 550 the reply is %s %q, want failed", m.DeliveryStatus, m.DeliveryError)
			}
		})
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// noIdle forwards an IMAP connection to the mailbox with IDLE struck from every capability
// list the server sends, as a server without IDLE (RFC 2177) would answer.
func noIdle(t *testing.T, target string) string {
	t.Helper()
	return newIMAPProxy(t, target, func(line string) string {
		if strings.Contains(line, "CAPABILITY") {
			return strings.ReplaceAll(line, " IDLE", "")
		}
		return line
	}).addr
}

// Where the server has no IDLE, the mailbox is polled: a new mail arrives within a poll
// interval, and IDLE is never tried.
func TestEmailPollsWithoutIdle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box := newMailbox(t)
		e := connectMailbox(t, db, box, noIdle(t, box.addr), 200*time.Millisecond)
		e.Eventually(t, "the mailbox open without IDLE", func() bool { return e.LogCount(`"idle":false`) > 0 })

		box.deliver(t, readMail(t, "mail_first.eml"))
		e.Eventually(t, "the mail's conversation", func() bool { return len(e.Conversations(t)) == 1 })
		if c := e.Conversations(t)[0]; c.Subject != "Order 1234 arrived damaged" {
			t.Errorf("conversation subject = %q", c.Subject)
		}
		if n := e.LogCount("email: waiting for new mail"); n != 0 {
			t.Errorf("IDLE was tried %d times on a server without it", n)
		}
	})
}

// notMail is an open port that is not a mail server: it greets like an SSH server and
// counts the connections it accepts.
func notMail(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var accepted atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String(), &accepted
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestEmailServersPassTheOutboundGuard: imap_host and smtp_host are refused on a loopback
// or private address (400 naming the field and the switch) unless the operator allows
// private targets; allowed, a closed port and an open port that is not a mail server get
// the same message, which does not say why (the settings cannot probe the network).
func TestEmailServersPassTheOutboundGuard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		adapter := &email.Adapter{Timeout: 5 * time.Second}
		e := channeltest.New(t, db, adapter)
		put := func(cfg map[string]any) (int, string) {
			r := e.AsOwner(t, "PUT", "/api/v1/chatbots/demo/channels/email", cfg)
			var body struct {
				Error struct{ Code, Message string }
			}
			json.Unmarshal(r.Body, &body)
			if r.Status != http.StatusOK && body.Error.Code != "invalid" {
				t.Errorf("PUT email = %d %s, want 200 or 400 invalid", r.Status, r.Body)
			}
			return r.Status, body.Error.Message
		}
		relay := newRelay(t, nil)
		smtpHost, smtpPort := hostPort(t, relay.addr)
		cfg := func(imapAddr, smtpAddr string) map[string]any {
			c := map[string]any{"from_address": "support@acme.test", "smtp_host": smtpHost, "smtp_port": smtpPort, "smtp_tls": false,
				"imap_host": "", "imap_user": imapUser, "imap_password": imapPass, "imap_tls": false}
			if imapAddr != "" {
				c["imap_host"], c["imap_port"] = hostPort(t, imapAddr)
			}
			if smtpAddr != "" {
				c["smtp_host"], c["smtp_port"] = hostPort(t, smtpAddr)
			}
			return c
		}

		channeltest.Step(t, "private mail servers are refused at configuration", func(t *testing.T) {
			probe, accepted := notMail(t)
			for _, c := range []struct {
				field, host string
			}{{"imap_host", "127.0.0.1"}, {"imap_host", "localhost"}, {"imap_host", "169.254.169.254"}, {"imap_host", "10.0.0.5"},
				{"imap_host", "::1"}, {"imap_host", "2130706433"}, {"imap_host", "127.1"}, {"smtp_host", "127.0.0.1"}, {"smtp_host", "192.168.1.1"}} {
				body := cfg("", probe)
				if c.field == "imap_host" {
					body = cfg(probe, probe)
				}
				body[c.field] = c.host
				status, msg := put(body)
				if status != http.StatusBadRequest || !strings.Contains(msg, c.field) || !strings.Contains(msg, "BATON_ALLOW_PRIVATE_WEBHOOKS") {
					t.Errorf("PUT email with %s %s = %d %q, want 400 naming %s and BATON_ALLOW_PRIVATE_WEBHOOKS", c.field, c.host, status, msg, c.field)
				}
			}
			if n := accepted.Load(); n != 0 {
				t.Errorf("the loopback server got %d connections, want 0", n)
			}
		})

		adapter.Guard = outbound.Guard{AllowPrivate: true}
		channeltest.Step(t, "allowed, an unreachable server gets one message whatever the cause", func(t *testing.T) {
			for _, proto := range []string{"IMAP", "SMTP"} {
				var msgs []string
				open, _ := notMail(t)
				for _, addr := range []string{closedPort(t), open} {
					body := cfg(addr, "")
					if proto == "SMTP" {
						body = cfg("", addr)
					}
					status, msg := put(body)
					want := "Could not connect to the " + proto + " server at " + addr + "."
					if status != http.StatusBadRequest || msg != want {
						t.Errorf("PUT email with the %s server at %s = %d %q, want 400 %q", proto, addr, status, msg, want)
					}
					msgs = append(msgs, strings.ReplaceAll(msg, addr, "ADDR"))
					if l := strings.ToLower(msg); strings.Contains(l, "refused") || strings.Contains(l, "ssh") || strings.Contains(l, "greeting") {
						t.Errorf("the message says why: %q", msg)
					}
				}
				if msgs[0] != msgs[1] {
					t.Errorf("%s: closed port %q, open non-mail port %q: want the same message", proto, msgs[0], msgs[1])
				}
			}
			// And the real servers still work.
			if status, msg := put(cfg("", "")); status != http.StatusOK {
				t.Errorf("PUT email with the relay = %d %q, want 200", status, msg)
			}
		})
	})
}
