package awardtracker

import (
	"errors"
	"fmt"
	"time"
)

// Code is an error code: what kind of failure an Error is, in words a client
// can act on. Each maps to one HTTP status in the api package's error
// handler. (The type is not named ErrorCode because ErrorCode(err) is the
// function every caller uses to read one.)
type Code string

// Error codes.
const (
	EINVALID      Code = "invalid"           // the caller sent something wrong
	ENOTFOUND     Code = "not_found"         // no such thing (or not the caller's)
	ECONFLICT     Code = "conflict"          // it already exists
	EUNAUTHORIZED Code = "unauthorized"      // missing or wrong credentials
	EFORBIDDEN    Code = "forbidden"         // authenticated but not allowed
	ETOOLARGE     Code = "too_large"         // the body is over its limit
	ETOOMANY      Code = "too_many_requests" // slow down: try again later (Retry-After)
	EUNAVAILABLE  Code = "unavailable"       // a dependency (database, upstream) is down
	EINTERNAL     Code = "internal"          // a bug or an unexpected failure
)

// Error is the one error type the domain returns. Message is safe to show to
// the caller; anything else stays in the wrapped error for the logs.
type Error struct {
	Code    Code
	Message string
	Err     error // optional cause, never shown to callers
	// RetryAfter, when positive, says how long the caller should wait
	// before trying again (HTTP Retry-After), e.g. with ETOOMANY.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the given code and message around a cause.
func WrapError(code Code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err; other errors get a
// generic message so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error"
}

// RetryAfterOf returns the RetryAfter of the first *Error in err's chain that
// has one, 0 if none does.
func RetryAfterOf(err error) time.Duration {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return 0
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter
		}
		err = e.Err
	}
	return 0
}

// RetryAfterSeconds is d in whole seconds, rounded up, at least 1, as an
// HTTP Retry-After says it (a Retry-After of 0 invites an immediate retry
// that would be refused again).
func RetryAfterSeconds(d time.Duration) int64 {
	return max(int64((d+time.Second-1)/time.Second), 1)
}
