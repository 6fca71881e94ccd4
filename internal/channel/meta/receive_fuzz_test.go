package meta_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/channel/meta"
	"github.com/baton-chat/baton/internal/store"
)

// The Graph webhooks' parsers take any body Meta signs. These targets sign what the fuzzer
// makes (a parser only ever sees a body whose signature matched) and check what comes out
// is something the store can take: sessions of the channel's kind, valid UTF-8, no empty
// ids, known statuses. A second signature, made up by the fuzzer, must never pass unless it
// is the body's own. No request leaves the process: Receive only describes the files.

func FuzzWhatsAppReceive(f *testing.F) {
	addCaptures(f, "wa_")
	c := &store.ChannelConfig{Kind: baton.ChannelWhatsApp, Settings: map[string]any{"phone_number_id": phoneNumberID},
		Secrets: map[string]string{"app_secret": appSecret, "access_token": waToken}}
	fuzzReceive(f, &meta.WhatsApp{Graph: &meta.Graph{BaseURL: "http://127.0.0.1:9"}}, c, "wa:")
}

func FuzzMessengerReceive(f *testing.F) {
	addCaptures(f, "fb_")
	f.Add([]byte(`{"object":"page","entry":[{"id":"`+pageID+`","messaging":[{"sender":{"id":"1"},"message":{"mid":"m1","attachments":[{"type":""}]}}]}]}`), "")
	f.Add([]byte(`{"object":"page","entry":[{"id":"`+pageID+`","messaging":[{"sender":{"id":"1"},"delivery":{"mids":[""]}}]}]}`), "")
	c := &store.ChannelConfig{Kind: baton.ChannelMessenger, Settings: map[string]any{"page_id": pageID},
		Secrets: map[string]string{"app_secret": appSecret, "page_access_token": pageToken}}
	fuzzReceive(f, &meta.Messenger{Graph: &meta.Graph{BaseURL: "http://127.0.0.1:9"}}, c, "fb:")
}

// addCaptures seeds the corpus with the captured notifications whose names start with
// prefix, with no made-up signature and with a wrong one.
func addCaptures(f *testing.F, prefix string) {
	for _, b := range channeltest.Captures(f, prefix+"*.json") {
		f.Add(b, "")
		f.Add(b, "sha256=00")
	}
}

type receiver interface {
	Receive(ctx context.Context, c *store.ChannelConfig, r *http.Request, body []byte) (*channel.Batch, error)
}

func fuzzReceive(f *testing.F, a receiver, c *store.ChannelConfig, prefix string) {
	f.Fuzz(func(t *testing.T, body []byte, madeUp string) {
		r, _ := http.NewRequest("POST", "/hooks", nil)
		if madeUp != "" {
			r.Header.Set(meta.SignatureHeader, madeUp)
			if _, err := a.Receive(context.Background(), c, r, body); err == nil && !strings.EqualFold(madeUp, meta.Sign(appSecret, body)) {
				t.Fatalf("signature %q accepted for a body it does not sign", madeUp)
			}
		}
		r.Header.Set(meta.SignatureHeader, meta.Sign(appSecret, body))
		batch, err := a.Receive(context.Background(), c, r, body)
		if err != nil {
			if code := baton.ErrorCode(err); code != baton.EINVALID {
				t.Fatalf("a signed body refused with %q (%v), want invalid", code, err)
			}
			return
		}
		channeltest.CheckBatch(t, batch, prefix)
	})
}
