package handover_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel/channeltest"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks/webhookstest"
)

// FuzzHandoverAPI sends what the fuzzer makes to the external desk's paths (the visitor's
// id in the path, the reply's body) and to the webhook settings, on every database under
// test: every answer is a success or a 4xx in the API's error shape, never a server error.
// Host names resolve nowhere, so no request leaves the machine.
func FuzzHandoverAPI(f *testing.F) {
	for _, s := range []struct{ body, user string }{
		{`{"message":"Hello from the desk","agent_name":"Dana"}`, ""},
		{`{"message":""}`, "nobody"},
		{`{"message":"a\u0000b"}`, "a/b"},
		{`{"message":1}`, "%00"},
		{`{"url":"http://desk.example/hook","events":["message.created"],"description":"d"}`, "tg:1"},
		{`{"url":"ftp://x","events":["nope"]}`, strings.Repeat("u", 600)},
		{`{"message_webhook_url":"http://127.0.0.1/x"}`, "\xff"},
		{`{"active":false,"events":[]}`, " "},
		{`[]`, ".."},
		{`{"message":"` + strings.Repeat("é", 5000) + `"}`, "wa:+1"},
	} {
		f.Add(s.body, s.user)
	}
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no name resolution in this test")
	}}
	type target struct {
		h          *webhookstest.Harness
		desk       string // a token with the handover scope
		session    string // a visitor the desk has taken over
		webhookURL string // an existing webhook
	}
	var targets []target
	for _, d := range storetest.Dialects() {
		h := newHarness(f, storetest.Open(f, d), webhookstest.Options{Resolver: noDNS, Attempts: 1})
		v := h.OpenVisitor(f, "Vera Lynn")
		h.Say(f, v, "My parcel is damaged")
		desk := h.Token(f, baton.ScopeHandover)
		h.Call(f, "GET", handoverURL("demo", v.SessionID), desk, nil, http.StatusOK, nil)
		var wh baton.Webhook
		h.Call(f, "POST", "/api/v1/webhooks", h.OwnerToken, map[string]any{"url": "http://desk.example/hook",
			"events": []string{"message.created"}}, http.StatusCreated, &wh)
		targets = append(targets, target{h: h, desk: desk, session: v.SessionID, webhookURL: "/api/v1/webhooks/" + wh.ID})
	}

	f.Fuzz(func(t *testing.T, body, user string) {
		for _, tg := range targets {
			other := handoverURL("demo", url.PathEscape(user))
			for _, r := range []struct{ method, path, token, body string }{
				{"POST", handoverURL("demo", tg.session), tg.desk, body},
				{"POST", other, tg.desk, body},
				{"GET", other, tg.desk, ""},
				{"DELETE", other, tg.desk, ""},
				{"PATCH", tg.webhookURL, tg.h.OwnerToken, body},
				{"POST", "/api/v1/webhooks", tg.h.OwnerToken, body},
				{"PATCH", "/api/v1/integrations", tg.h.OwnerToken, body},
			} {
				status, b := rawRequest(t, tg.h.URL+r.path, r.method, r.token, r.body)
				channeltest.NoServerError(t, channeltest.Response{Status: status, Body: b}, r.method+" "+r.path)
			}
		}
	})
}

// rawRequest sends body as it is (none when empty) and returns the answer.
func rawRequest(t *testing.T, u, method, token, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
