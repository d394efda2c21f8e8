// Package apperr is the one error type of the application: a kind that maps
// to an HTTP status, a stable snake_case code, a safe message, field errors,
// and the wrapped cause that is logged but never sent to a client.
package apperr
