package webhooks_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/webhooks"
)

func TestSign(t *testing.T) {
	body := []byte(`{"event":"ping"}`)
	// Computed independently: HMAC-SHA256 with key "whsec_test" of the body, in hex.
	const want = "sha256=645e86a36ef1ed458be359c7d3c57737f8a202a88274a809a507f208ba54d991"
	if got := webhooks.Sign("whsec_test", body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	for _, c := range []struct {
		name, secret, sig string
		body              string
		ok                bool
	}{
		{"the right signature", "whsec_test", want, `{"event":"ping"}`, true},
		{"surrounding spaces", "whsec_test", " " + want + " ", `{"event":"ping"}`, true},
		{"another secret", "whsec_other", want, `{"event":"ping"}`, false},
		{"another body", "whsec_test", want, `{"event":"pong"}`, false},
		{"no prefix", "whsec_test", want[len("sha256="):], `{"event":"ping"}`, false},
		{"nothing", "whsec_test", "", `{"event":"ping"}`, false},
	} {
		if got := webhooks.Verify(c.secret, []byte(c.body), c.sig); got != c.ok {
			t.Errorf("Verify with %s = %v, want %v", c.name, got, c.ok)
		}
	}
}

func TestVerifyRequest(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"timestamp":1800000000}`)
	sig := webhooks.Sign("s", body)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, c := range []struct {
		name      string
		sig, ts   string
		at        time.Time
		wantError error
	}{
		{"a fresh request", sig, ts, now.Add(time.Minute), nil},
		{"a request from the near future (clock skew)", sig, ts, now.Add(-time.Minute), nil},
		{"a replay ten minutes later", sig, ts, now.Add(10 * time.Minute), webhooks.ErrStale},
		{"no timestamp", sig, "", now, webhooks.ErrStale},
		{"a bad signature", "sha256=00", ts, now, webhooks.ErrBadSignature},
	} {
		if err := webhooks.VerifyRequest("s", body, c.sig, c.ts, c.at, 5*time.Minute); err != c.wantError {
			t.Errorf("VerifyRequest with %s = %v, want %v", c.name, err, c.wantError)
		}
	}
}
