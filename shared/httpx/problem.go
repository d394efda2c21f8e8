package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// Problem is the RFC 9457 body of every error answer.
type Problem struct {
	Type      string              `json:"type" doc:"URI naming the problem type"`
	Title     string              `json:"title" doc:"HTTP status text"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail" doc:"what went wrong, safe to show"`
	Code      string              `json:"code" doc:"stable snake_case error code"`
	RequestID string              `json:"request_id" doc:"quote it when reporting a problem"`
	Errors    []apperr.FieldError `json:"errors,omitempty" doc:"the fields at fault"`

	retryAfter int
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus lets huma write the problem with its status.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma answer application/problem+json.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

var kindStatus = map[apperr.Kind]int{
	apperr.KindInternal:         http.StatusInternalServerError,
	apperr.KindInvalid:          http.StatusBadRequest,
	apperr.KindUnauthenticated:  http.StatusUnauthorized,
	apperr.KindForbidden:        http.StatusForbidden,
	apperr.KindNotFound:         http.StatusNotFound,
	apperr.KindConflict:         http.StatusConflict,
	apperr.KindTooLarge:         http.StatusRequestEntityTooLarge,
	apperr.KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	apperr.KindValidation:       http.StatusUnprocessableEntity,
	apperr.KindTooMany:          http.StatusTooManyRequests,
	apperr.KindUnavailable:      http.StatusServiceUnavailable,
}

// statusCode is the code of an error the framework raised with only a status.
var statusCode = map[int]string{
	http.StatusBadRequest:                  "invalid_request",
	http.StatusUnauthorized:                "unauthenticated",
	http.StatusForbidden:                   "forbidden",
	http.StatusNotFound:                    "not_found",
	http.StatusMethodNotAllowed:            "method_not_allowed",
	http.StatusNotAcceptable:               "not_acceptable",
	http.StatusRequestTimeout:              "request_timeout",
	http.StatusConflict:                    "conflict",
	http.StatusRequestEntityTooLarge:       "payload_too_large",
	http.StatusUnsupportedMediaType:        "unsupported_media_type",
	http.StatusUnprocessableEntity:         "validation_failed",
	http.StatusTooManyRequests:             "too_many_requests",
	http.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
	http.StatusServiceUnavailable:          "unavailable",
}

// internalDetail is all a client learns of a 5xx.
const internalDetail = "an internal error occurred; quote the request id when reporting it"

// problemFromApp turns an application error into its problem. Internal
// errors are logged with their cause and reported; clients see nothing of it.
func problemFromApp(ctx context.Context, e *apperr.Error) *Problem {
	status, ok := kindStatus[e.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 && e.Kind == apperr.KindInternal {
		if unreachable(e.Err) {
			return unavailableProblem(ctx, e)
		}
		reportInternal(ctx, e)
		return newProblem(ctx, status, "internal", internalDetail)
	}
	p := newProblem(ctx, status, e.Code, e.Message)
	p.Errors = e.Fields
	p.retryAfter = e.RetryAfter
	return p
}

// problemFromStatus covers errors raised by the framework: routing, body
// limits, huma's parsing and validation.
func problemFromStatus(ctx context.Context, status int, msg string, errs []error) *Problem {
	if status >= 500 {
		if cause := errors.Join(errs...); unreachable(cause) {
			return unavailableProblem(ctx, cause)
		}
		reportInternal(ctx, errors.Join(append([]error{errors.New(msg)}, errs...)...))
		return newProblem(ctx, http.StatusInternalServerError, "internal", internalDetail)
	}
	fields := fieldErrors(errs)
	for _, f := range fields {
		if f.Message == validation.MsgUnexpectedProperty {
			// An unknown field is a malformed request, not an invalid value.
			p := newProblem(ctx, http.StatusBadRequest, "invalid_request", "the request has an unknown field")
			p.Errors = fields
			return p
		}
	}
	code, ok := statusCode[status]
	if !ok {
		code = "invalid_request"
	}
	detail := msg
	switch status {
	case http.StatusBadRequest:
		detail = "the request is malformed"
		if len(fields) > 0 && strings.HasPrefix(fields[0].Field, "body") {
			detail = "the request body is not valid JSON"
		}
	case http.StatusUnprocessableEntity:
		detail = "the request has invalid fields"
	case http.StatusRequestEntityTooLarge:
		detail = "the request body is too large"
	case http.StatusUnsupportedMediaType:
		detail = "request bodies must be application/json"
	}
	p := newProblem(ctx, status, code, detail)
	if status == http.StatusUnprocessableEntity || status == http.StatusBadRequest {
		p.Errors = fields
	}
	return p
}

func newProblem(ctx context.Context, status int, code, detail string) *Problem {
	return &Problem{
		Type:      "urn:chatbot:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Code:      code,
		RequestID: observability.RequestID(ctx),
	}
}

// fieldErrors maps huma's error details to {field, message}; the rejected
// value is never echoed back.
func fieldErrors(errs []error) []apperr.FieldError {
	var out []apperr.FieldError
	for _, err := range errs {
		var d *huma.ErrorDetail
		if errors.As(err, &d) {
			out = append(out, apperr.FieldError{Field: strings.TrimPrefix(d.Location, "body."), Message: plainFieldMessage(d.Message)})
		}
	}
	return out
}

// plainFieldMessage rewrites the few parameter messages of huma that speak
// Go: a time layout, or a parser's own error.
func plainFieldMessage(m string) string {
	switch {
	case strings.HasPrefix(m, "invalid date/time for format "):
		return "must be an RFC 3339 time, such as 2026-01-02T15:04:05Z"
	case strings.HasPrefix(m, "invalid value: "):
		return "is not a valid value"
	}
	return m
}

// reportInternal sends the cause to Sentry and to the request's access
// line (logged at error there, once), or logs it outside a request.
func reportInternal(ctx context.Context, err error) {
	if !noteFailure(ctx, err) {
		slog.ErrorContext(ctx, "request failed", "err", err)
	}
	observability.ReportError(ctx, err, nil)
}

// ProblemFor maps any error to the problem the client receives.
func ProblemFor(ctx context.Context, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return problemFromApp(ctx, apperr.As(err))
}

// installErrors makes every error huma writes, from validation or from a
// handler, pass through the one table (kindStatus) into a problem. Huma
// keeps its error constructor in package variables, so New sets them,
// once, as it configures the first API.
var installErrors = sync.OnceFunc(func() {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		ctx := context.Background()
		if hctx != nil {
			ctx = hctx.Context()
		}
		for _, err := range errs {
			var ae *apperr.Error
			if errors.As(err, &ae) {
				p := problemFromApp(ctx, ae)
				if p.retryAfter > 0 && hctx != nil {
					hctx.SetHeader("Retry-After", strconv.Itoa(p.retryAfter))
				}
				return p
			}
		}
		p := problemFromStatus(ctx, status, msg, errs)
		if p.retryAfter > 0 && hctx != nil {
			hctx.SetHeader("Retry-After", strconv.Itoa(p.retryAfter))
		}
		return p
	}
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return huma.NewErrorWithContext(nil, status, msg, errs...)
	}
})

// StatusOf is the status the one table gives err.
func StatusOf(err error) int {
	if status, ok := kindStatus[apperr.As(err).Kind]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// WriteError answers err before an operation ran (a middleware's
// refusal), with the status and the problem the one table gives it.
func WriteError(api huma.API, hctx huma.Context, err error) error {
	return huma.WriteErr(api, hctx, StatusOf(err), "", err)
}
