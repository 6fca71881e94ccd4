package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of every outgoing webhook.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the raw body, keyed
	// with the secret (API.md "External handover").
	SignatureHeader = "X-Baton-Signature"
	// TimestampHeader is the Unix time of the attempt. Subscription deliveries and the
	// message webhook carry the same number as "timestamp" inside the signed body, so a
	// receiver that checks both refuses a replayed request.
	TimestampHeader = "X-Baton-Timestamp"
	EventHeader     = "X-Baton-Event"
	DeliveryHeader  = "X-Baton-Delivery"
	AttemptHeader   = "X-Baton-Attempt"
)

// Sign returns the X-Baton-Signature value of body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's X-Baton-Signature under secret, in constant
// time.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(strings.TrimSpace(signature)))
}

// Errors of VerifyRequest.
var (
	ErrBadSignature = errors.New("handover: the signature does not match the body")
	ErrStale        = errors.New("handover: the timestamp is missing or too far from now")
)

// VerifyRequest checks a received webhook as a receiver should: the signature of the raw
// body, and a timestamp within tolerance of now (against replays).
func VerifyRequest(secret string, body []byte, signature, timestamp string, now time.Time, tolerance time.Duration) error {
	if !Verify(secret, body, signature) {
		return ErrBadSignature
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
