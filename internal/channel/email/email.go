// Package email is the email channel (C5): mail comes in from a chatbot's IMAP mailbox
// (IDLE, with polling where the server has no IDLE) or from an inbound HTTP hook fed by
// a mail provider, and goes out by SMTP with Message-ID, In-Reply-To and References so
// that replies thread in the visitor's mail client. A visitor's session id is
// email:<address>; the subject titles the conversation.
package email

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/outbound"
	"github.com/baton-chat/baton/internal/store"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/wneessen/go-mail"
)

// Adapter sends mail by SMTP and takes mail posted to the inbound hook.
type Adapter struct {
	Logger *slog.Logger
	// Timeout bounds each SMTP and IMAP conversation (0: 30 s).
	Timeout time.Duration
	// TLSConfig, when set, is the base of the TLS settings with the mail servers (tests
	// trust their own certificate with it); nil means the system's roots.
	TLSConfig *tls.Config
	// Guard checks the mail servers when they are configured and every connection made
	// to them (SSRF); its zero value refuses private addresses.
	Guard outbound.Guard
}

// connectError is a mail server that could not be reached: connection refused, timeout,
// no route, a TLS failure, a service that is not a mail server, or an address the guard
// refuses. Its text is the same whatever the cause, so that the settings cannot be used
// to probe the network; the cause is for the log only.
type connectError struct {
	proto, addr string
	err         error
}

func (e *connectError) Error() string {
	return fmt.Sprintf("Could not connect to the %s server at %s.", e.proto, e.addr)
}

func (e *connectError) Unwrap() error { return e.err }

// detail is the text of err for the log: the cause of a connectError included.
func detail(err error) string {
	var ce *connectError
	if errors.As(err, &ce) {
		return ce.Error() + " " + errorText(ce.err)
	}
	return errorText(err)
}

func (a *Adapter) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// tlsFor is the TLS configuration for a server host.
func tlsFor(base *tls.Config, host string) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		c = base.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	return c
}

var _ channel.Adapter = (*Adapter)(nil)

// Kind is baton.ChannelEmail.
func (a *Adapter) Kind() string { return baton.ChannelEmail }

// Fields are those of API.md, plus inbound_secret: the bearer token of the inbound hook
// (generated when left empty, shown once). IMAP is optional: without it, mail comes in by
// the hook only.
func (a *Adapter) Fields() []channel.Field {
	return []channel.Field{
		{Name: "from_address", Type: "string", Required: true},
		{Name: "imap_host", Type: "string"},
		{Name: "imap_port", Type: "int"},
		{Name: "imap_user", Type: "string"},
		{Name: "imap_password", Type: "string", Secret: true},
		{Name: "imap_tls", Type: "bool"},
		{Name: "smtp_host", Type: "string", Required: true},
		{Name: "smtp_port", Type: "int", Required: true},
		{Name: "smtp_user", Type: "string"},
		{Name: "smtp_password", Type: "string", Secret: true},
		{Name: "smtp_tls", Type: "bool"},
		{Name: "inbound_secret", Type: "string", Secret: true, Generated: true},
	}
}

func (a *Adapter) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return 30 * time.Second
}

// Connect checks the from address and the servers' hosts (the outbound guard), signs in
// to the IMAP server (when one is set) and opens an SMTP session. A server that cannot be
// reached is refused with the same message whatever the cause (logged).
func (a *Adapter) Connect(ctx context.Context, c *store.ChannelConfig, hookURL string) error {
	if _, err := mail.ParseAddress(c.Setting("from_address")); err != nil {
		return baton.Invalid("from_address is not an email address.")
	}
	for _, field := range []string{"imap_host", "smtp_host"} {
		if h := c.Setting(field); h != "" {
			if err := a.Guard.CheckHost(ctx, h); err != nil {
				return baton.Invalid("%s: %s.", field, strings.TrimSuffix(err.Error(), "."))
			}
		}
	}
	if c.Setting("imap_host") != "" {
		if c.Setting("imap_user") == "" {
			return baton.Invalid("imap_user is required with an IMAP server.")
		}
		cl, err := dialIMAP(c, &imapclient.Options{TLSConfig: tlsFor(a.TLSConfig, c.Setting("imap_host"))}, a.timeout(), a.Guard)
		if err != nil {
			a.logger().Warn("email: IMAP server", "chatbot", c.ChatbotID, "err", detail(err))
			return baton.Invalid("%s", err.Error())
		}
		defer cl.Close()
		if err := cl.Login(c.Setting("imap_user"), c.Secrets["imap_password"]).Wait(); err != nil {
			return baton.Invalid("The IMAP server refused the sign-in: %s", errorText(err))
		}
		if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
			return baton.Invalid("The IMAP mailbox INBOX cannot be opened: %s", errorText(err))
		}
		_ = cl.Logout().Wait()
	}
	cl, err := a.smtpClient(c)
	if err != nil {
		return baton.Invalid("The SMTP settings are not valid: %s", errorText(err))
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout())
	defer cancel()
	if err := cl.DialWithContext(ctx); err != nil {
		a.logger().Warn("email: SMTP server", "chatbot", c.ChatbotID, "err", errorText(err))
		if smtpAuthFailed(err) {
			return baton.Invalid("The SMTP server refused the sign-in.")
		}
		return baton.Invalid("%s", smtpUnreachable(c).Error())
	}
	return cl.Close()
}

// smtpAuthFailed reports whether a failed SMTP session got as far as the sign-in: the
// server is a mail server, whose refusal may be said.
func smtpAuthFailed(err error) bool {
	return strings.Contains(err.Error(), "SMTP AUTH failed") || strings.Contains(err.Error(), "does not support SMTP AUTH")
}

// smtpUnreachable is the error of an SMTP server that could not be reached.
func smtpUnreachable(c *store.ChannelConfig) *connectError {
	return &connectError{proto: "SMTP", addr: net.JoinHostPort(c.Setting("smtp_host"), c.Setting("smtp_port"))}
}

// dialIMAP connects to the channel's IMAP server through the guard and waits for its
// greeting: TLS from the start when imap_tls, plain text otherwise (for a server on the
// same host or network). Any failure is a *connectError.
func dialIMAP(c *store.ChannelConfig, opts *imapclient.Options, timeout time.Duration, guard outbound.Guard) (*imapclient.Client, error) {
	port := c.Setting("imap_port")
	if port == "" || port == "0" {
		port = "143"
		if c.Setting("imap_tls") == "true" {
			port = "993"
		}
	}
	if opts == nil {
		opts = &imapclient.Options{}
	}
	opts.Dialer = guard.Dialer(timeout)
	addr := net.JoinHostPort(c.Setting("imap_host"), port)
	dial := imapclient.DialInsecure
	if c.Setting("imap_tls") == "true" {
		dial = imapclient.DialTLS
	}
	cl, err := dial(addr, opts)
	if err != nil {
		return nil, &connectError{proto: "IMAP", addr: addr, err: err}
	}
	// An open port that is not an IMAP server fails here, as a closed one fails above:
	// the same error. A server that says nothing is given up after timeout.
	silent := time.AfterFunc(timeout, func() { cl.Close() })
	err = cl.WaitGreeting()
	silent.Stop()
	if err != nil {
		cl.Close()
		return nil, &connectError{proto: "IMAP", addr: addr, err: err}
	}
	return cl, nil
}

// smtpClient builds the SMTP client of a channel: implicit TLS when smtp_tls, else
// STARTTLS when the server offers it; authentication when a user is set (over TLS only,
// for the mechanisms that send the password).
func (a *Adapter) smtpClient(c *store.ChannelConfig) (*gomail.Client, error) {
	port, _ := strconv.Atoi(c.Setting("smtp_port"))
	tlsConfig := tlsFor(a.TLSConfig, c.Setting("smtp_host"))
	// Every connection passes the guard. With implicit TLS the dialer makes the TLS
	// connection itself (go-mail does not wrap a dialer of its own); go-mail then finds the
	// connection encrypted, as it would with WithSSL.
	dial := a.Guard.Dialer(a.timeout()).DialContext
	if c.Setting("smtp_tls") == "true" {
		dial = (&tls.Dialer{NetDialer: a.Guard.Dialer(a.timeout()), Config: tlsConfig}).DialContext
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(a.timeout()), gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(dial), gomail.WithTLSPolicy(gomail.TLSOpportunistic)}
	if u := c.Setting("smtp_user"); u != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(u),
			gomail.WithPassword(c.Secrets["smtp_password"]))
	}
	return gomail.NewClient(c.Setting("smtp_host"), opts...)
}

// Receive takes one raw mail (message/rfc822) posted to the inbound hook with
// "Authorization: Bearer <inbound_secret>".
func (a *Adapter) Receive(ctx context.Context, c *store.ChannelConfig, r *http.Request, body []byte) (*channel.Batch, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if auth == "" || !ok {
		return nil, baton.Errorf(baton.EUNAUTHORIZED, "The inbound email hook needs Authorization: Bearer <inbound_secret>.")
	}
	if secret := c.Secrets["inbound_secret"]; secret == "" || subtle.ConstantTimeCompare([]byte(token), []byte(secret)) != 1 {
		return nil, baton.Errorf(baton.EFORBIDDEN, "The bearer token does not match this channel's inbound secret.")
	}
	in, err := Parse(body, c.Setting("from_address"))
	if err != nil {
		return nil, baton.Invalid("The body is not a mail message (RFC 5322) with a From address.")
	}
	batch := &channel.Batch{}
	if in != nil {
		batch.Messages = append(batch.Messages, in)
	}
	return batch, nil
}

// MessageID is the Message-ID (without brackets) of an outbound message: the same on
// every attempt, so a retried send is recognised as one mail.
func MessageID(messageID, fromAddress string) string {
	domain := "baton.local"
	if a, err := mail.ParseAddress(fromAddress); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	return "baton." + messageID + "@" + domain
}

// maxReferences bounds the References header: the thread's first mail and the latest
// ones are kept.
const maxReferences = 20

// Send mails a message to the visitor: To the visitor only (no CC, no BCC), subject
// "Re: <subject>", In-Reply-To their latest mail and References the thread, the
// attachments attached. The bot's mails say Auto-Submitted: auto-replied (RFC 3834) so
// that auto-responders do not answer them.
func (a *Adapter) Send(ctx context.Context, c *store.ChannelConfig, m *channel.Outbound) (string, error) {
	to, ok := strings.CutPrefix(m.SessionID, "email:")
	if !ok || to == "" {
		to = m.ContactEmail
	}
	if _, err := mail.ParseAddress(to); err != nil {
		return "", channel.Permanent("The visitor has no email address.")
	}
	from := c.Setting("from_address")
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return "", channel.Permanent("The channel's from_address is not an email address.")
	}
	if err := msg.To(to); err != nil {
		return "", channel.Permanent("The visitor's address %s is not valid.", to)
	}
	msg.Subject(replySubject(m.Subject))
	id := MessageID(m.Message.ID, from)
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(m.Message.CreatedAt)
	if m.InReplyTo != "" {
		msg.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, "<"+m.InReplyTo+">")
	}
	if refs := references(m.Thread, m.InReplyTo); len(refs) > 0 {
		msg.SetGenHeaderPreformatted(gomail.HeaderReferences, "<"+strings.Join(refs, ">\r\n <")+">")
	}
	if m.Message.Kind == baton.KindBot {
		msg.SetGenHeader("Auto-Submitted", "auto-replied")
		msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	}
	body := m.Message.Content
	if body == "" {
		body = "(see the attachments)"
	}
	msg.SetBodyString(gomail.TypeTextPlain, body)
	for _, f := range m.Files {
		rc, err := m.Open(ctx, f)
		if err != nil {
			return "", channel.Temporary("The attachment %s could not be read.", f.Name)
		}
		err = msg.AttachReader(f.Name, rc, gomail.WithFileContentType(gomail.ContentType(f.ContentType)))
		rc.Close()
		if err != nil {
			return "", channel.Temporary("The attachment %s could not be read.", f.Name)
		}
	}
	cl, err := a.smtpClient(c)
	if err != nil {
		return "", channel.Permanent("Email: the SMTP settings are not valid: %s", err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, 2*a.timeout())
	defer cancel()
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		return "", a.smtpError(c, err)
	}
	return id, nil
}

// smtpError sorts an SMTP failure: 5xx answers are final, the rest is retried. What is
// not a server's answer (the server could not be reached) says so in the same words
// whatever the cause, which is logged.
func (a *Adapter) smtpError(c *store.ChannelConfig, err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.ErrorCode() == 0 {
		a.logger().Warn("email: SMTP server", "chatbot", c.ChatbotID, "err", errorText(err))
		return channel.Temporary("Email: %s", smtpUnreachable(c).Error())
	}
	reason := "Email: " + err.Error()
	if !se.IsTemp() && se.ErrorCode() >= 500 {
		return channel.Permanent("%s", reason)
	}
	return channel.Temporary("%s", reason)
}

// replySubject is "Re: " and the conversation's subject.
func replySubject(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "Re: your message"
	}
	if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
		return s
	}
	return "Re: " + s
}

// references is the References header of a reply to parent (RFC 5322 §3.6.4): the thread
// up to and including the mail replied to, so that it ends with the In-Reply-To id and
// clients thread the reply under the customer's mail (the bot's mails sent after it are
// its siblings, not its ancestors). It keeps the thread's first id and the latest ones.
func references(thread []string, parent string) []string {
	if parent != "" {
		if i := slices.Index(thread, parent); i >= 0 {
			thread = thread[:i+1]
		} else {
			thread = append(slices.Clone(thread), parent)
		}
	}
	if len(thread) <= maxReferences {
		return thread
	}
	return append([]string{thread[0]}, thread[len(thread)-maxReferences+1:]...)
}

// errorText is an error as one line (IMAP servers' texts can hold line breaks).
func errorText(err error) string {
	return strings.Join(strings.Fields(fmt.Sprint(err)), " ")
}
