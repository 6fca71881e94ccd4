package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/store"
	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

var msgIDRe = regexp.MustCompile(`<([^<>\s]+)>`)

// messageIDs reads the ids of a Message-ID, In-Reply-To or References header.
func messageIDs(h string) []string {
	var out []string
	for _, m := range msgIDRe.FindAllStringSubmatch(h, -1) {
		out = append(out, m[1])
	}
	return out
}

// Parse reads a raw mail (RFC 5322) into an inbound message of session email:<from>.
// ownAddress is the channel's from_address: a mail from it (our own, looping back) is
// skipped and Parse returns nil. The text is the plain part, or the HTML part turned
// into text; quoted history is cut off; attachments are kept; CC and BCC are ignored.
// Auto-replies and bounces are marked Automated.
func Parse(raw []byte, ownAddress string) (*channel.Inbound, error) {
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	from, err := mail.ParseAddress(env.GetHeader("From"))
	if err != nil || from.Address == "" {
		return nil, fmt.Errorf("email: the From header is not an address: %q", env.GetHeader("From"))
	}
	addr := strings.ToLower(from.Address)
	if own, err := mail.ParseAddress(ownAddress); err == nil && strings.EqualFold(own.Address, addr) {
		return nil, nil
	}
	id := ""
	if ids := messageIDs(env.GetHeader("Message-Id")); len(ids) > 0 {
		id = ids[0]
	}
	key := id
	if key == "" {
		sum := sha256.Sum256(raw)
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	in := &channel.Inbound{InboundMessage: store.InboundMessage{
		SessionID:  "email:" + addr,
		Key:        "mid:" + key,
		ExternalID: id,
		Name:       strings.TrimSpace(from.Name),
		Email:      addr,
		Subject:    strings.TrimSpace(headerText(env, env.GetHeader("Subject"))),
		Automated:  automated(env, addr),
	}}
	// The mail answered first, then the rest of the thread, newest first.
	seen := map[string]bool{}
	for _, ref := range messageIDs(env.GetHeader("In-Reply-To")) {
		if !seen[ref] {
			seen[ref] = true
			in.References = append(in.References, ref)
		}
	}
	refs := messageIDs(env.GetHeader("References"))
	for i := len(refs) - 1; i >= 0; i-- {
		if !seen[refs[i]] {
			seen[refs[i]] = true
			in.References = append(in.References, refs[i])
		}
	}
	if len(in.References) > 50 {
		in.References = in.References[:50]
	}
	text := strings.ReplaceAll(env.Text, "\r\n", "\n")
	in.Content = StripQuoted(text)
	for _, p := range env.Attachments {
		in.Files = append(in.Files, partFile(p))
	}
	for _, p := range env.Inlines {
		// Inline parts referenced by the HTML (logos, signatures) are decoration.
		if p.FileName != "" && p.ContentID == "" {
			in.Files = append(in.Files, partFile(p))
		}
	}
	if strings.TrimSpace(in.Content) == "" && len(in.Files) == 0 {
		in.Content = "(no text)"
	}
	return in, nil
}

// headerText decodes a header that came as raw 8-bit text instead of RFC 2047 words (old
// mailers send Latin-1 so): in the charset the mail declares for its text, as its body is
// decoded, else Windows-1252 (a superset of Latin-1 and what such mail nearly always is).
func headerText(env *enmime.Envelope, v string) string {
	if utf8.ValidString(v) {
		return v
	}
	charset := ""
	if env.Root != nil {
		for p := env.Root; p != nil; p = p.NextSibling {
			if charset = textCharset(p); charset != "" {
				break
			}
		}
	}
	if c := strings.ToLower(charset); c == "" || c == "utf-8" || c == "utf8" || c == "us-ascii" {
		// The header is not UTF-8 whatever the body says.
		charset = "windows-1252"
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		enc = charmap.Windows1252
	}
	out, err := enc.NewDecoder().String(v)
	if err != nil {
		return strings.ToValidUTF8(v, "\uFFFD")
	}
	return out
}

// textCharset is the declared charset of the first text part at or under p.
func textCharset(p *enmime.Part) string {
	if strings.HasPrefix(p.ContentType, "text/") && p.Charset != "" {
		return p.Charset
	}
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		if cs := textCharset(c); cs != "" {
			return cs
		}
	}
	return ""
}

func partFile(p *enmime.Part) channel.File {
	name := p.FileName
	if name == "" {
		name = "attachment"
	}
	content := p.Content
	return channel.File{Name: name, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}}
}

// automated recognises auto-replies and bounces (RFC 3834 Auto-Submitted, the
// X-Autoreply family, Precedence bulk/auto_reply/junk/list, delivery reports and the
// mailer daemon): they are stored, never answered by the bot.
func automated(env *enmime.Envelope, from string) bool {
	if v := strings.ToLower(strings.TrimSpace(env.GetHeader("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	for _, h := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Failed-Recipients"} {
		if env.GetHeader(h) != "" {
			return true
		}
	}
	switch strings.ToLower(strings.TrimSpace(env.GetHeader("Precedence"))) {
	case "bulk", "auto_reply", "junk", "list":
		return true
	}
	if env.Root != nil && strings.EqualFold(env.Root.ContentType, "multipart/report") {
		return true
	}
	if strings.TrimSpace(env.GetHeader("Return-Path")) == "<>" {
		return true
	}
	local, _, _ := strings.Cut(from, "@")
	return local == "mailer-daemon" || local == "postmaster"
}

var (
	wroteRe    = regexp.MustCompile(`(?i)^(on|le|am|el|il|op) .+(wrote|a écrit|schrieb|escribió|ha scritto|schreef)\s?:$`)
	wroteEndRe = regexp.MustCompile(`(?i)(wrote|a écrit|schrieb|escribió|ha scritto|schreef)\s?:$`)
	outlookRe  = regexp.MustCompile(`(?i)^(-{2,}\s*original message\s*-{2,}|_{10,}|from: .+)$`)
)

// StripQuoted cuts the quoted history off a reply: from an "On … wrote:" line (or an
// Outlook separator) on, and trailing "> " lines. A text that is nothing but a quote is
// kept whole.
func StripQuoted(text string) string {
	lines := strings.Split(text, "\n")
	cut := len(lines)
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if wroteRe.MatchString(t) || (i+1 < len(lines) && strings.HasPrefix(strings.ToLower(t), "on ") &&
			wroteEndRe.MatchString(strings.TrimSpace(lines[i+1])) && len(t) < 200) {
			cut = i
			break
		}
		if outlookRe.MatchString(t) && i > 0 && nextQuoted(lines[i:]) {
			cut = i
			break
		}
	}
	lines = lines[:cut]
	for len(lines) > 0 {
		t := strings.TrimSpace(lines[len(lines)-1])
		if t != "" && !strings.HasPrefix(t, ">") {
			break
		}
		lines = lines[:len(lines)-1]
	}
	out := strings.TrimSpace(strings.Join(lines, "\n"))
	if out == "" {
		return strings.TrimSpace(text)
	}
	return out
}

// nextQuoted reports whether lines look like a forwarded header block (From:, Sent:,
// To:, Subject:) — Outlook's way of quoting.
func nextQuoted(lines []string) bool {
	n := 0
	for _, l := range lines[:min(len(lines), 6)] {
		t := strings.ToLower(strings.TrimSpace(l))
		for _, p := range []string{"from:", "sent:", "to:", "subject:", "date:", "-----original message"} {
			if strings.HasPrefix(t, p) {
				n++
				break
			}
		}
	}
	return n >= 2
}
