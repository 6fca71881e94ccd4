package baton

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password length limits (K2). Twelve characters is ASVS 4's minimum; the upper bound
// keeps hashing cheap and bounded.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 1024
)

//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords are the embedded list's entries, lower-cased, and the words that common
// passwords are built from ("password", "qwerty", …).
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// ValidatePassword checks a new password against the policy: 12 to 1024 characters, not a
// common password or a common word padded with digits and symbols ("Password123!"), not
// one character or a short run repeated, not a keyboard or digit sequence, and not the
// user's own email or its name part. It returns EINVALID with a message saying which.
func ValidatePassword(password, email string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength || len(password) > MaxPasswordLength {
		return Invalid("The password must be %d to %d characters long.", MinPasswordLength, MaxPasswordLength)
	}
	p := strings.ToLower(password)
	if commonPasswords[p] || commonPasswords[core(p)] {
		return Invalid("This password is too common: choose a longer phrase that others would not guess.")
	}
	if repeated(p) || sequence(p) {
		return Invalid("This password is too easy to guess (a repeated or sequential pattern).")
	}
	if email != "" {
		e := strings.ToLower(strings.TrimSpace(email))
		local, _, _ := strings.Cut(e, "@")
		if p == e || (len(local) >= 4 && core(p) == local) || strings.Contains(p, e) {
			return Invalid("The password must not be your email address.")
		}
	}
	return nil
}

// core is p without the digits, symbols and spaces around its letters: "!!password123"
// → "password"; what is left must not be a common word by itself.
func core(p string) string {
	return strings.TrimFunc(p, func(r rune) bool { return !unicode.IsLetter(r) })
}

// repeated reports a string made of one unit of 1 to 4 characters said again ("aaaa…",
// "abcabc…", "1234" × 3).
func repeated(p string) bool {
	r := []rune(p)
	for unit := 1; unit <= 4 && unit < len(r); unit++ {
		if len(r)%unit != 0 {
			continue
		}
		same := true
		for i := unit; i < len(r); i++ {
			if r[i] != r[i-unit] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// rows are the runs that sequences follow: digits, the alphabet and keyboard rows.
var rows = []string{"01234567890123456789", "abcdefghijklmnopqrstuvwxyzabc", "qwertyuiopasdfghjklzxcvbnm",
	"qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"}

// sequence reports a password that is a stretch of one of rows, forwards or backwards.
func sequence(p string) bool {
	for _, r := range rows {
		if strings.Contains(r, p) || strings.Contains(reverse(r), p) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
