package secret

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealedValuesOpenOnlyWithTheirKey(t *testing.T) {
	a, _ := New(bytes.Repeat([]byte{1}, 32))
	b, _ := New(bytes.Repeat([]byte{2}, 32))
	s := a.Seal("bot-token-123")
	if strings.Contains(s, "bot-token-123") {
		t.Fatalf("Seal leaked the plaintext: %s", s)
	}
	if got, err := a.Open(s); err != nil || got != "bot-token-123" {
		t.Fatalf("Open = %q, %v; want the plaintext", got, err)
	}
	if _, err := b.Open(s); err == nil {
		t.Fatal("Open with another key succeeded")
	}
	if a.Seal("x") == a.Seal("x") {
		t.Fatal("two seals of the same value are equal: the nonce is not random")
	}
	for _, bad := range []string{"plain", "v1:!!!", "v1:AAAA"} {
		if _, err := a.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
	if got, err := a.Open(a.Seal("")); err != nil || got != "" {
		t.Fatalf("empty round trip = %q, %v", got, err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("New accepted a short key")
	}
}
