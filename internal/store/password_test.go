package store

import (
	"strings"
	"testing"
)

// The dummy hash an unknown email is checked against costs what a real one costs (the same
// parameters) and matches no password.
func TestDummyHash(t *testing.T) {
	real := HashPassword("a password")
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if params(dummyHash) != params(real) {
		t.Errorf("dummy hash parameters %q, a real hash's %q", params(dummyHash), params(real))
	}
	for _, pw := range []string{"", "a password", "baton-dummy-password"} {
		if CheckPassword(dummyHash, pw) {
			t.Errorf("the dummy hash matches %q", pw)
		}
	}
	if !CheckPassword(real, "a password") || CheckPassword(real, "another") {
		t.Error("CheckPassword on a real hash")
	}
}
