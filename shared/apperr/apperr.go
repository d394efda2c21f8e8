package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error; the HTTP edge maps each kind to one status.
type Kind int

const (
	KindInternal         Kind = iota
	KindInvalid               // 400
	KindUnauthenticated       // 401
	KindForbidden             // 403
	KindNotFound              // 404
	KindConflict              // 409
	KindTooLarge              // 413
	KindUnsupportedMedia      // 415
	KindValidation            // 422
	KindTooMany               // 429
	KindUnavailable           // 503
)

// FieldError is one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an application error. Message is safe to show to a client; Err is
// the cause, kept for logs and error reports only.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Fields     []FieldError
	RetryAfter int // seconds; set on 429 and 503
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error of a kind with a code and a client-safe message.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Wrap makes an error that carries cause for the logs.
func Wrap(cause error, kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message, Err: cause}
}

// Invalid is a 400 invalid_request.
func Invalid(message string) *Error { return New(KindInvalid, "invalid_request", message) }

// NotFound is a 404 not_found.
func NotFound(what string) *Error { return New(KindNotFound, "not_found", what+" not found") }

// Validation is a 422 validation_failed with the fields at fault.
func Validation(fields ...FieldError) *Error {
	return &Error{Kind: KindValidation, Code: "validation_failed", Message: "the request has invalid fields", Fields: fields}
}

// Internal wraps an unexpected failure; clients see a generic sentence.
func Internal(cause error) *Error {
	return Wrap(cause, KindInternal, "internal", "an internal error occurred; quote the request id when reporting it")
}

// As returns err as an *Error, or an internal error wrapping err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
