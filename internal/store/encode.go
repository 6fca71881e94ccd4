package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

func encodeB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// hashToken is how tokens are stored: a SHA-256 of 256 random bits needs no salt.
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}
