package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"reads whole seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"reads fractional seconds", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{"reads an HTTP date", map[string]string{"Retry-After": now.Add(time.Minute).Format(http.TimeFormat)}, time.Minute},
		{"prefers milliseconds", map[string]string{"Retry-After": "7", "Retry-After-Ms": "250"}, 250 * time.Millisecond},
		{"ignores a date in the past", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"ignores a negative value", map[string]string{"Retry-After": "-3"}, 0},
		{"ignores garbage", map[string]string{"Retry-After": "soon"}, 0},
		{"is zero without the header", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := parseRetryAfter(h, now); got != tt.want {
				t.Errorf("parseRetryAfter(%v) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestHTTPErrorMatchesItsStatus(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{401, ErrUnauthorized}, {403, ErrUnauthorized}, {429, ErrRateLimited},
		{500, ErrUnavailable}, {503, ErrUnavailable}, {400, ErrRejected}, {404, ErrRejected},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d is %v", tt.status, tt.want), func(t *testing.T) {
			err := fmt.Errorf("answer: %w", &HTTPError{Status: tt.status})
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(HTTPError{%d}, %v) = false, want true", tt.status, tt.want)
			}
		})
	}
}

func TestTransportError(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantIs  error
		wantNot error
	}{
		{"a passed deadline is a timeout", fmt.Errorf("post: %w", context.DeadlineExceeded), ErrTimeout, nil},
		{"a cancellation stays a cancellation", fmt.Errorf("post: %w", context.Canceled), context.Canceled, ErrTimeout},
		{"a refused connection means unavailable", errors.New("dial tcp: connection refused"), ErrUnavailable, ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := transportError(context.Background(), tt.err)
			if !errors.Is(got, tt.wantIs) || (tt.wantNot != nil && errors.Is(got, tt.wantNot)) {
				t.Errorf("transportError(%v) = %v, want it to be %v and not %v", tt.err, got, tt.wantIs, tt.wantNot)
			}
		})
	}
}
