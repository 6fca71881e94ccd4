package baton

import "testing"

func TestValidatePassword(t *testing.T) {
	refused := []struct{ name, password, email string }{
		{"too short", "Tr0ub4dor&3", ""},
		{"a common password", "password1234", ""},
		{"a common word padded", "Password123!", ""},
		{"a common word padded on both sides", "!!!Qwerty2026###", ""},
		{"one character repeated", "aaaaaaaaaaaaaa", ""},
		{"a short unit repeated", "abcabcabcabc", ""},
		{"a digit sequence", "123456789012", ""},
		{"a keyboard row", "qwertyuiopas", ""},
		{"a sequence backwards", "lkjhgfdsapoiu", ""},
		{"the email", "sam@example.com", "Sam@Example.com"},
		{"the email's name padded", "samantha.jones1!", "samantha.jones@example.com"},
		{"over the maximum", string(make([]byte, 1025)), ""},
	}
	for _, c := range refused {
		t.Run("refuses "+c.name, func(t *testing.T) {
			if err := ValidatePassword(c.password, c.email); ErrorCode(err) != EINVALID {
				t.Errorf("ValidatePassword(%q) = %v, want %s", c.password, err, EINVALID)
			}
		})
	}
	accepted := []string{"correct-horse-1", "s3cret-passw0rd", "bench-pass-1", "Blue kettles sing at dawn", "zebra-orbit-7741"}
	for _, p := range accepted {
		t.Run("accepts "+p, func(t *testing.T) {
			if err := ValidatePassword(p, "sam@example.com"); err != nil {
				t.Errorf("ValidatePassword(%q) = %v, want nil", p, err)
			}
		})
	}
}
