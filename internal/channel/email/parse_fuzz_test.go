package email

import (
	"context"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// FuzzParseMail reads what the fuzzer makes as an inbound mail (IMAP and the inbound hook
// hand the same bytes to Parse) and stores what Parse returns on every database under
// test: Parse never panics, a message it returns names an email: session and has a key,
// and the store takes it or refuses it as bad input — never with an internal error (the
// poller would fetch the same mail again and again).
func FuzzParseMail(f *testing.F) {
	for _, b := range channeltest.Captures(f, "*.eml") {
		f.Add(b)
	}
	// NUL characters (which PostgreSQL's text refuses) in the id, the subject and the text,
	// raw and quoted-printable.
	f.Add([]byte("From: Nul <nul@example.com>\r\nSubject: a\x00b\r\nMessage-ID: <x\x00y@example.com>\r\n\r\nhello\x00world\r\n"))
	f.Add([]byte("From: Nul <nul@example.com>\r\nSubject: =?utf-8?q?a=00b?=\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nhello=00world\r\n"))
	f.Add([]byte("From: \xff\xfe <bad@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\nIn-Reply-To: <" + strings.Repeat("r", 2000) + "@x>\r\n\r\n\xc3\x28 \xf0\x28\x8c\xbc\r\n"))
	f.Add([]byte("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Disposition: attachment; filename=\"\x00.txt\"\r\n\r\nx\r\n--b--\r\n"))

	ctx := context.Background()
	type target struct {
		db  *store.DB
		bot string
	}
	var targets []target
	for _, d := range storetest.Dialects() {
		db := storetest.Open(f, d)
		_, bot, err := db.CreateAccount(ctx, "Acme", "acme", "Acme Bot")
		if err != nil {
			f.Fatal(err)
		}
		targets = append(targets, target{db, bot.ID})
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := Parse(raw, "Acme Support <support@acme.test>")
		if err != nil || in == nil {
			return
		}
		if !strings.HasPrefix(in.SessionID, "email:") || len(in.SessionID) == len("email:") || in.Key == "" {
			t.Fatalf("Parse gave session %q, key %q", in.SessionID, in.Key)
		}
		if strings.TrimSpace(in.Content) == "" && len(in.Files) == 0 {
			t.Fatalf("a mail with neither text nor files")
		}
		for _, tg := range targets {
			m := in.InboundMessage
			m.ChatbotID = tg.bot
			if _, _, err := tg.db.ReceiveMessage(ctx, &m); err != nil && baton.ErrorCode(err) == baton.EINTERNAL {
				t.Fatalf("%s: storing the mail failed: %v", tg.db.Dialect, err)
			}
		}
	})
}
