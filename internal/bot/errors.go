package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/baton-chat/baton/internal/outbound"
)

// Errors of the remote responders ([OpenAI], [Webhook]). Test with errors.Is; an
// [HTTPError] matches the one that fits its status.
var (
	ErrUnauthorized = errors.New("bot: the provider refused the credentials")   // 401, 403
	ErrRateLimited  = errors.New("bot: the provider is rate limiting requests") // 429
	ErrUnavailable  = errors.New("bot: the provider is unavailable")            // 5xx
	ErrRejected     = errors.New("bot: the provider rejected the request")      // other 4xx
	ErrTimeout      = errors.New("bot: the provider did not answer in time")
	ErrMalformed    = errors.New("bot: the provider's answer is malformed")
)

// HTTPError is an error status from a provider. Message is the provider's own message
// (it can name the model or part of the key: log it, never show it to visitors).
type HTTPError struct {
	Status  int
	Code    string // the provider's error code, e.g. "rate_limit_exceeded"
	Message string
	// RetryAfter is how long the provider asked to wait (429, 503), 0 if it did not say.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("bot: provider answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the sentinel error of the status.
func (e *HTTPError) Unwrap() error {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return ErrUnauthorized
	case e.Status == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.Status >= 500:
		return ErrUnavailable
	}
	return ErrRejected
}

// RetryAfter returns how long the provider asked to wait before the next attempt, if
// err carries such a request.
func RetryAfter(err error) (time.Duration, bool) {
	var h *HTTPError
	if errors.As(err, &h) && h.RetryAfter > 0 {
		return h.RetryAfter, true
	}
	return 0, false
}

// Temporary reports whether trying again later may succeed: timeouts, rate limits
// (except an exhausted quota) and provider outages. Credentials, rejected requests and
// malformed answers will fail again.
func Temporary(err error) bool {
	var h *HTTPError
	if errors.As(err, &h) && h.Code == "insufficient_quota" {
		return false
	}
	return errors.Is(err, ErrTimeout) || errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnavailable)
}

// transportError classifies an error of http.Client.Do: a target the outbound guard
// refuses is ErrRejected (for good); a passed deadline (ours or the caller's) is
// ErrTimeout; a cancellation stays a cancellation; anything else (refused connection,
// DNS) means the provider is unavailable.
func transportError(ctx context.Context, err error) error {
	var refused *outbound.TargetError
	switch {
	case errors.As(err, &refused):
		return fmt.Errorf("%w: %w", ErrRejected, refused)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	case errors.Is(err, context.Canceled):
		return err
	}
	var t interface{ Timeout() bool }
	if errors.As(err, &t) && t.Timeout() {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// parseRetryAfter reads the wait a provider asks for: "retry-after-ms" (OpenAI), then
// Retry-After in seconds or as an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
