package baton

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the API layer (see API.md "Errors").
const (
	EINVALID      = "invalid"                // 400
	EUNAUTHORIZED = "unauthorized"           // 401
	EFORBIDDEN    = "forbidden"              // 403
	ENOTFOUND     = "not_found"              // 404
	ECONFLICT     = "conflict"               // 409
	ETOOLARGE     = "too_large"              // 413
	EUNSUPPORTED  = "unsupported_media_type" // 415
	ERATELIMITED  = "rate_limited"           // 429
	EINTERNAL     = "internal"               // 500
)

// Error is a domain error whose Message is safe to show to the user. Any other error is
// internal: callers see only "internal" and a generic message.
type Error struct {
	// Code is one of the E* constants, or a more specific snake_case code whose HTTP
	// status is given by Status (for example "invalid_status" is a 400).
	Code    string
	Message string
	// Status overrides the HTTP status implied by Code (0 means implied).
	Status int
	// RetryAfter is set on rate-limit errors, in whole seconds.
	RetryAfter int
}

func (e *Error) Error() string {
	return fmt.Sprintf("baton error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted, user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err, or a generic one for internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// NotFound is a shorthand for the common not-found error.
func NotFound(what string) *Error { return Errorf(ENOTFOUND, "%s not found.", what) }

// Invalid is a shorthand for a validation error.
func Invalid(format string, args ...any) *Error { return Errorf(EINVALID, format, args...) }
