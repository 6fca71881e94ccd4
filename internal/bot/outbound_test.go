package bot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// internalService stands for a service of the server's own network: it counts the
// requests that reach it and answers with a secret, in both responders' formats.
func internalService(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"reply":"INTERNAL-SECRET","choices":[{"message":{"role":"assistant","content":"INTERNAL-SECRET"}}]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// remoteResponders are the two remote responders pointed at url with client.
func remoteResponders(url string, client *http.Client) map[string]Responder {
	o := &OpenAI{BaseURL: url, Model: "m", Client: client}
	w := newWebhook(url + "/chat/completions")
	w.Client = client
	return map[string]Responder{"openai": o, "webhook": w}
}

// TestRemoteRespondersRefusePrivateTargetsByDefault: without a client of their own the
// responders use the guard's (private targets refused), so the internal service is never
// asked, and the visitor gets the usual apology, never its answer nor the error's text.
func TestRemoteRespondersRefusePrivateTargetsByDefault(t *testing.T) {
	srv, hits := internalService(t)
	for name, r := range remoteResponders(srv.URL, nil) {
		_, err := r.Respond(context.Background(), Request{Transcript: visitorSays("Where is my order?")})
		if !errors.Is(err, ErrRejected) || Temporary(err) {
			t.Errorf("%s: Respond = %v, want a permanent ErrRejected", name, err)
		}
		got, err := (&Fallback{Responder: r}).Respond(context.Background(), Request{Transcript: visitorSays("Where is my order?")})
		if err != nil || got.Content != localeFor("").apology {
			t.Errorf("%s: the visitor got %+v, %v; want the apology", name, got, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal service got %d requests, want 0", n)
	}
}

// TestRemoteRespondersRefuseRedirects: an allowed endpoint that answers with a redirect to
// an internal service is not followed: the answer is an error whose text holds neither
// the redirect's body nor the target, and the visitor gets the apology.
func TestRemoteRespondersRefuseRedirects(t *testing.T) {
	internal, hits := internalService(t)
	for _, target := range []string{internal.URL + "/chat/completions", "http://169.254.169.254/latest/meta-data/"} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusFound)
			w.Write([]byte("REDIRECT-BODY"))
		}))
		for name, r := range remoteResponders(redirector.URL, loopbackClient) {
			_, err := r.Respond(context.Background(), Request{Transcript: visitorSays("Where is my order?")})
			if !errors.Is(err, ErrRejected) || strings.Contains(err.Error(), "REDIRECT-BODY") || strings.Contains(err.Error(), target) {
				t.Errorf("%s → %s: Respond = %v, want ErrRejected without the body or the target", name, target, err)
			}
			got, err := (&Fallback{Responder: r}).Respond(context.Background(), Request{Transcript: visitorSays("Where is my order?")})
			if err != nil || got.Content != localeFor("").apology {
				t.Errorf("%s → %s: the visitor got %+v, %v; want the apology", name, target, got, err)
			}
		}
		if _, err := (&OpenAI{BaseURL: redirector.URL, Model: "m", Client: loopbackClient}).Brief(context.Background(),
			visitorSays("Where is my order?")); !errors.Is(err, ErrRejected) {
			t.Errorf("Brief through a redirect = %v, want ErrRejected", err)
		}
		redirector.Close()
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal service got %d requests, want 0", n)
	}
}
