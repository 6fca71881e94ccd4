package email

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readMail(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReadsAMail(t *testing.T) {
	in, err := Parse(readMail(t, "mail_first.eml"), "Acme Support <support@acme.test>")
	if err != nil || in == nil {
		t.Fatalf("Parse = %v, %v", in, err)
	}
	if in.SessionID != "email:ada@example.com" || in.Email != "ada@example.com" || in.Name != "Ada Lovelace" {
		t.Errorf("sender = %s %s %q", in.SessionID, in.Email, in.Name)
	}
	if in.Key != "mid:CAF=first.4711@mail.example.com" || in.ExternalID != "CAF=first.4711@mail.example.com" {
		t.Errorf("key %q, external id %q", in.Key, in.ExternalID)
	}
	if in.Subject != "Order 1234 arrived damaged" || in.Automated || len(in.References) != 0 {
		t.Errorf("subject %q, automated %v, references %v", in.Subject, in.Automated, in.References)
	}
	if !strings.HasPrefix(in.Content, "Hello,\n\nmy order 1234 arrived with a broken lid.") || strings.Contains(in.Content, "<") {
		t.Errorf("content = %q, want the plain part", in.Content)
	}
	if len(in.Files) != 1 || in.Files[0].Name != "delivery-note.pdf" {
		t.Fatalf("files = %+v", in.Files)
	}
	rc, _ := in.Files[0].Open(context.Background())
	b, _ := io.ReadAll(rc)
	if !strings.HasPrefix(string(b), "%PDF-1.4") {
		t.Errorf("the attachment holds %q", b)
	}
}

func TestParseThreadsAndStripsQuotes(t *testing.T) {
	raw := strings.ReplaceAll(string(readMail(t, "mail_reply.eml")), "AGENT_MESSAGE_ID", "baton.m1@acme.test")
	in, err := Parse([]byte(raw), "support@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(in.References, " ") != "baton.m1@acme.test CAF=first.4711@mail.example.com" {
		t.Errorf("references = %v, want In-Reply-To first, then References newest first", in.References)
	}
	if in.Content != "Perfect, thank you! The address is still the same." {
		t.Errorf("content = %q, want the quote cut off", in.Content)
	}
}

func TestParseTurnsHTMLIntoText(t *testing.T) {
	in, err := Parse(readMail(t, "mail_html.eml"), "support@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if in.Subject != "Rückfrage zu Rechnung" {
		t.Errorf("subject = %q, want it decoded", in.Subject)
	}
	if !strings.Contains(in.Content, "Hallo,") || !strings.Contains(in.Content, "invoice 77") ||
		strings.ContainsAny(in.Content, "<>") || strings.Contains(in.Content, "alert") || strings.Contains(in.Content, "color") {
		t.Errorf("content = %q, want safe text", in.Content)
	}
	if in.Name != "Linus T." {
		t.Errorf("name = %q", in.Name)
	}
}

func TestParseRecognisesAutoRepliesAndBounces(t *testing.T) {
	plain := "From: A <a@example.com>\r\nTo: support@acme.test\r\nSubject: Hi\r\nMessage-ID: <x@example.com>\r\n"
	tests := []struct {
		name      string
		raw       string
		automated bool
	}{
		{"an out-of-office reply", string(readMail(t, "mail_autoreply.eml")), true},
		{"a bounce from the mailer daemon", string(readMail(t, "mail_bounce.eml")), true},
		{"Auto-Submitted: auto-generated", plain + "Auto-Submitted: auto-generated\r\n\r\nHello", true},
		{"Auto-Submitted: no", plain + "Auto-Submitted: no\r\n\r\nHello", false},
		{"Precedence: bulk", plain + "Precedence: bulk\r\n\r\nNewsletter", true},
		{"X-Autorespond", plain + "X-Autorespond: 1\r\n\r\nAway", true},
		{"a person's mail", plain + "\r\nHello", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Parse([]byte(tt.raw), "support@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			if in.Automated != tt.automated {
				t.Errorf("Parse(%s).Automated = %v, want %v", tt.name, in.Automated, tt.automated)
			}
		})
	}
}

func TestParseSkipsOurOwnMailAndKeysMailsWithoutID(t *testing.T) {
	own := "From: Acme Support <SUPPORT@acme.test>\r\nTo: ada@example.com\r\nSubject: Re: x\r\n\r\nHello"
	if in, err := Parse([]byte(own), "Acme Support <support@acme.test>"); err != nil || in != nil {
		t.Errorf("Parse(our own mail) = %v, %v; want it skipped", in, err)
	}
	noID := "From: ada@example.com\r\nSubject: x\r\n\r\nHello"
	a, _ := Parse([]byte(noID), "support@acme.test")
	b, _ := Parse([]byte(noID+"!"), "support@acme.test")
	if !strings.HasPrefix(a.Key, "mid:sha256:") || a.Key == b.Key || a.ExternalID != "" {
		t.Errorf("keys without a Message-ID: %q and %q", a.Key, b.Key)
	}
	if _, err := Parse([]byte("Subject: no sender\r\n\r\nHello"), "support@acme.test"); err == nil {
		t.Errorf("Parse(a mail without From) succeeded")
	}
}

func TestStripQuoted(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a Gmail quote", "Yes please.\n\nOn Mon, 3 Nov 2026 at 10:00, Acme <s@acme.test> wrote:\n> Shall we?\n", "Yes please."},
		{"a quote header over two lines", "Fine.\n\nOn Mon, 3 Nov 2026 at 10:00, Acme Support\n<s@acme.test> wrote:\n> Shall we?", "Fine."},
		{"an Outlook quote", "Thanks!\n\n-----Original Message-----\nFrom: Acme\nSent: Monday\nTo: Ada\nSubject: x\n\nold text", "Thanks!"},
		{"a French client", "Merci.\n\nLe lun. 3 nov. 2026 à 10:00, Acme <s@acme.test> a écrit :\n> Alors ?", "Merci."},
		{"trailing quoted lines", "Sure.\n> earlier\n> text", "Sure."},
		{"a text that is only a quote is kept", "> just a quote", "> just a quote"},
		{"no quote", "Line one\nLine two", "Line one\nLine two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripQuoted(tt.in); got != tt.want {
				t.Errorf("StripQuoted(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReplyHeaders(t *testing.T) {
	if got := replySubject("Order 1234"); got != "Re: Order 1234" {
		t.Errorf("replySubject = %q", got)
	}
	if got := replySubject("RE: Order 1234"); got != "RE: Order 1234" {
		t.Errorf("replySubject(a reply) = %q", got)
	}
	if got := MessageID("0193", "Acme <support@acme.test>"); got != "baton.0193@acme.test" {
		t.Errorf("MessageID = %q", got)
	}
	var thread []string
	for i := 0; i < 30; i++ {
		thread = append(thread, string(rune('a'+i%26))+"@x")
	}
	refs := references(thread, "")
	if len(refs) != maxReferences || refs[0] != thread[0] || refs[len(refs)-1] != thread[29] {
		t.Errorf("references(30 ids) = %v", refs)
	}
	// A reply to the customer's mail: the thread up to it, ending with it, whatever came
	// after (the bot's answers).
	short := []string{"first@x", "bot1@x", "customer2@x", "bot2@x"}
	if got := references(short, "customer2@x"); !slices.Equal(got, []string{"first@x", "bot1@x", "customer2@x"}) {
		t.Errorf("references(thread, customer2) = %v, want the thread up to customer2", got)
	}
	if got := references(short, "elsewhere@x"); got[len(got)-1] != "elsewhere@x" {
		t.Errorf("references(thread, a parent outside it) = %v, want it last", got)
	}
	if got := references(thread, thread[3]); len(got) != 4 || got[3] != thread[3] {
		t.Errorf("references(30 ids, the 4th) = %v", got)
	}
}

// TestParseDecodesAn8BitSubject: a subject sent as raw Latin-1 bytes (no RFC 2047 words)
// is decoded as the body is, not turned into U+FFFD.
func TestParseDecodesAn8BitSubject(t *testing.T) {
	for _, c := range []struct{ name, contentType, want string }{
		{"declared Latin-1 body", "text/plain; charset=iso-8859-1", "Café crème, commande n°12"},
		{"no charset declared", "text/plain", "Café crème, commande n°12"},
		{"a UTF-8 body", "text/plain; charset=utf-8", "Café crème, commande n°12"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := "From: Zoé <zoe@example.fr>\r\nTo: support@acme.test\r\nSubject: Caf\xe9 cr\xe8me, commande n\xb012\r\n" +
				"Message-ID: <latin@example.fr>\r\nMIME-Version: 1.0\r\nContent-Type: " + c.contentType + "\r\n\r\nBonjour\r\n"
			in, err := Parse([]byte(raw), "support@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			if in.Subject != c.want {
				t.Errorf("Subject = %q, want %q", in.Subject, c.want)
			}
		})
	}
}
