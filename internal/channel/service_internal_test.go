package channel

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
)

var testFields = []Field{
	{Name: "host", Type: "string", Required: true},
	{Name: "port", Type: "int", Required: true},
	{Name: "tls", Type: "bool"},
	{Name: "password", Type: "string", Secret: true, Required: true},
	{Name: "hook_secret", Type: "string", Secret: true, Generated: true},
}

func body(t *testing.T, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseFields(t *testing.T) {
	none := &store.ChannelConfig{Kind: "test", Settings: map[string]any{}, Secrets: map[string]string{}}
	stored := &store.ChannelConfig{Kind: "test", Settings: map[string]any{"host": "mail.example.com", "port": float64(993), "tls": true},
		Secrets: map[string]string{"password": "old-password", "hook_secret": "kept-secret"}}

	t.Run("a new configuration takes every field and generates the missing secret", func(t *testing.T) {
		settings, secrets, generated, err := parseFields(testFields, body(t, `{"host":" imap.example.com ","port":143,"tls":false,"password":"pw"}`), none)
		if err != nil {
			t.Fatal(err)
		}
		if settings["host"] != "imap.example.com" || settings["port"] != 143 || settings["tls"] != false || secrets["password"] != "pw" {
			t.Errorf("settings %v, secrets %v", settings, secrets)
		}
		if len(generated) != 1 || generated[0] != "hook_secret" || len(secrets["hook_secret"]) < 40 || strings.ContainsAny(secrets["hook_secret"], "+/=") {
			t.Errorf("generated %v, hook_secret %q", generated, secrets["hook_secret"])
		}
	})

	t.Run("an update keeps the stored secrets and settings it leaves out", func(t *testing.T) {
		settings, secrets, generated, err := parseFields(testFields, body(t, `{"host":"imap2.example.com","password":""}`), stored)
		if err != nil {
			t.Fatal(err)
		}
		if settings["host"] != "imap2.example.com" || settings["port"] != 993 || settings["tls"] != true ||
			secrets["password"] != "old-password" || secrets["hook_secret"] != "kept-secret" || len(generated) != 0 {
			t.Errorf("settings %v, secrets %v, generated %v", settings, secrets, generated)
		}
	})

	bad := []struct{ name, body string }{
		{"an unknown field", `{"host":"h","port":1,"password":"p","bogus":1}`},
		{"a missing required setting", `{"port":1,"password":"p"}`},
		{"a missing required secret", `{"host":"h","port":1}`},
		{"a port out of range", `{"host":"h","port":70000,"password":"p"}`},
		{"a port that is text", `{"host":"h","port":"993","password":"p"}`},
		{"a flag that is text", `{"host":"h","port":1,"password":"p","tls":"yes"}`},
		{"a number for text", `{"host":5,"port":1,"password":"p"}`},
		{"an overlong value", `{"host":"` + strings.Repeat("h", 1001) + `","port":1,"password":"p"}`},
	}
	for _, b := range bad {
		t.Run(b.name+" is refused", func(t *testing.T) {
			if _, _, _, err := parseFields(testFields, body(t, b.body), none); baton.ErrorCode(err) != baton.EINVALID {
				t.Errorf("parseFields(%s) = %v, want invalid", b.body, err)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	if se := AsSendError(Permanent("blocked")); !se.Permanent || se.Reason != "blocked" {
		t.Errorf("Permanent = %+v", se)
	}
	if se := AsSendError(RateLimited(0, "slow")); se.RetryAfter <= 0 || se.Permanent {
		t.Errorf("RateLimited without a wait = %+v, want a default wait", se)
	}
	if se := AsSendError(errString("dial tcp: secret-token-in-url")); se.Permanent || strings.Contains(se.Reason, "secret") {
		t.Errorf("an unknown error = %+v, want a temporary failure with a generic reason", se)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
