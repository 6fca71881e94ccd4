package sso

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/secret"
)

func testService(t *testing.T) *Service {
	t.Helper()
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return New(nil, nil, Config{Issuer: "https://idp.test", ClientID: "baton", Sealer: box})
}

// callbackWith is a callback request carrying the flow cookie that setFlow wrote for f.
func callbackWith(t *testing.T, s *Service, f flow, state string) *http.Request {
	t.Helper()
	w := httptest.NewRecorder()
	if err := s.setFlow(w, httptest.NewRequest("GET", LoginPath, nil), f); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", CallbackPath+"?code=c&state="+state, nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	return r
}

func TestTakeFlow(t *testing.T) {
	s := testService(t)
	now := time.Now()
	good := flow{Purpose: flowPurpose, State: "st", Nonce: "n", Verifier: "v", Expires: now.Add(stateTTL).Unix()}
	tests := []struct {
		name  string
		f     flow
		state string
		at    time.Time
		ok    bool
	}{
		{"the matching state is taken", good, "st", now, true},
		{"another state is refused", good, "other", now, false},
		{"an empty state is refused", good, "", now, false},
		{"an expired flow is refused", good, "st", now.Add(stateTTL + time.Minute), false},
		{"a value sealed for something else is refused", flow{Purpose: "other", State: "st", Nonce: "n", Verifier: "v", Expires: good.Expires}, "st", now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			_, ok := s.takeFlow(w, callbackWith(t, s, tt.f, tt.state), tt.at)
			if ok != tt.ok {
				t.Errorf("takeFlow = %v, want %v", ok, tt.ok)
			}
			if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
				t.Errorf("takeFlow cookies = %v, want the flow cookie deleted", c)
			}
		})
	}
	t.Run("a cookie sealed with another key is refused", func(t *testing.T) {
		other := testService(t)
		box, _ := secret.New([]byte("0123456789abcdef0123456789abcdef"))
		other.cfg.Sealer = box
		if _, ok := s.takeFlow(httptest.NewRecorder(), callbackWith(t, other, good, "st"), now); ok {
			t.Error("takeFlow accepted a cookie sealed with another key")
		}
	})
	t.Run("the cookie is HttpOnly, Lax, scoped to the flow and short-lived", func(t *testing.T) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", LoginPath, nil)
		r.Header.Set("X-Forwarded-Proto", "https")
		s.setFlow(w, r, good)
		c := w.Result().Cookies()[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || !c.Secure || c.Path != "/auth/oidc/" || c.MaxAge != 600 {
			t.Errorf("flow cookie = %+v", c)
		}
	})
}
