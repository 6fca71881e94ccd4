package store

import (
	"encoding/base64"

	"github.com/baton-chat/baton"
)

func encodeB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// hashToken is how tokens are stored: a SHA-256 of 256 random bits needs no salt.
func hashToken(t string) string { return baton.TokenHash(t) }
