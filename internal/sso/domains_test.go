package sso

import (
	"strings"
	"testing"
)

func TestNormalizeDomain(t *testing.T) {
	good := map[string]string{
		"example.com":       "example.com",
		" Example.COM. ":    "example.com",
		"@mail.acme.co.uk":  "mail.acme.co.uk",
		"xn--bung-zra.test": "xn--bung-zra.test",
		"a-b.example":       "a-b.example",
		"123.example":       "123.example",
	}
	for in, want := range good {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "localhost", ".com", "a..com", "-a.com", "a-.com", "a b.com", "ex@mple.com",
		"übung.test", "a.com/x", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "com"} {
		if got, err := NormalizeDomain(bad); err == nil {
			t.Errorf("NormalizeDomain(%q) = %q, want an error", bad, got)
		}
	}
}
