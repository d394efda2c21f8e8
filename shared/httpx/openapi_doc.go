package httpx

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// Security schemes of the spec: a session's access token, and a chatbot's
// API key, both sent as a bearer token.
const (
	SchemeBearer = "bearer"
	SchemeAPIKey = "apiKey"
)

const problemContentType = "application/problem+json"

// tags describe the route groups, in the order the reference shows them.
var tags = []*huma.Tag{
	{Name: "Auth", Description: "Sign up, log in, refresh and log out; password resets; the token verification keys."},
	{Name: "Me", Description: "The caller's own profile and password."},
	{Name: "Company", Description: "A company's profile, members, chatbots, API keys, limits and usage."},
	{Name: "Bot", Description: "The chatbot API, authenticated with a chatbot's API key."},
	{Name: "Admin", Description: "Platform administration: companies, users, configuration, events, projections, dead letters."},
	{Name: "Operations", Description: "Liveness and readiness of a process."},
}

// describe sets what the spec says of the API as a whole: where it is
// served, its route groups and how callers authenticate.
func describe(cfg *huma.Config) {
	cfg.Servers = []*huma.Server{{URL: "/", Description: "this server"}}
	cfg.Tags = tags
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		SchemeBearer: {Type: "http", Scheme: "bearer", BearerFormat: "JWT",
			Description: "The access token of a session (POST /v1/auth/login), as `Authorization: Bearer <token>`."},
		SchemeAPIKey: {Type: "http", Scheme: "bearer", BearerFormat: "cbk_ API key",
			Description: "A chatbot's API key, as `Authorization: Bearer cbk_...`; only POST /v1/bot/messages takes one."},
	}
	cfg.OnAddOperation = append(cfg.OnAddOperation, documentOperation)
}

// header documents a response header.
func header(description string, schema *huma.Schema) *huma.Param {
	return &huma.Param{Description: description, Schema: schema}
}

var (
	requestIDHeader = header("the request's id: the client's X-Request-Id if sane, else a new one; quote it when reporting a problem",
		&huma.Schema{Type: "string"})
	retryAfterHeader = header("seconds to wait before trying again", &huma.Schema{Type: "integer", Minimum: new(float64(0))})
)

// documentOperation lists, for each operation, the errors it may answer
// (each an application/problem+json Problem), who may call it, and the
// headers of its answers.
func documentOperation(oapi *huma.OpenAPI, op *huma.Operation) {
	if op.Metadata[MetaPublic] == true && op.Security == nil {
		op.Security = []map[string][]string{} // open to anyone: no scheme applies
	}
	problem := problemResponse(oapi, op)
	for _, code := range errorsOf(op) {
		key := strconv.Itoa(code)
		if _, ok := op.Responses[key]; ok {
			continue
		}
		op.Responses[key] = &huma.Response{Description: http.StatusText(code), Content: problem}
	}
	for code, r := range op.Responses {
		if r.Headers == nil {
			r.Headers = map[string]*huma.Param{}
		}
		r.Headers[HeaderRequestID] = requestIDHeader
		if code == "429" || code == "503" {
			r.Headers["Retry-After"] = retryAfterHeader
		}
	}
}

// problemResponse is the content of the operation's error answers.
func problemResponse(oapi *huma.OpenAPI, op *huma.Operation) map[string]*huma.MediaType {
	for _, r := range op.Responses {
		if mt, ok := r.Content[problemContentType]; ok {
			return map[string]*huma.MediaType{problemContentType: mt}
		}
	}
	if oapi == nil {
		return map[string]*huma.MediaType{problemContentType: {}}
	}
	t := reflect.TypeOf(huma.NewError(0, "")).Elem()
	return map[string]*huma.MediaType{problemContentType: {Schema: oapi.Components.Schemas.Schema(t, true, "Problem")}}
}

// errorsOf are the 4xx and 5xx an operation can answer, from what it takes:
// a secured route 401 and 403; a path with ids 404; a body or parameters
// 400 and 422; a write 409 (a conflict); a read waiting on X-Min-Position,
// and any route whose store is out of reach, 503.
func errorsOf(op *huma.Operation) []int {
	codes := []int{}
	if len(op.Security) > 0 {
		codes = append(codes, http.StatusUnauthorized, http.StatusForbidden)
	}
	if strings.Contains(op.Path, "{") {
		codes = append(codes, http.StatusNotFound)
	}
	if op.RequestBody != nil || len(op.Parameters) > 0 {
		codes = append(codes, http.StatusBadRequest, http.StatusUnprocessableEntity)
	}
	if op.RequestBody != nil {
		codes = append(codes, http.StatusRequestEntityTooLarge)
	}
	switch op.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		codes = append(codes, http.StatusConflict)
	}
	if op.Path != "/healthz" {
		codes = append(codes, http.StatusServiceUnavailable)
	}
	return codes
}

var replayedHeader = header("`true` when the answer is the stored one of an earlier request with the same Idempotency-Key",
	&huma.Schema{Type: "string", Enum: []any{"true"}})

// documentIdempotency adds to a POST that takes Idempotency-Key what the
// key brings: Idempotent-Replayed on its successes, 422 for the same key
// with another body, 409 with Retry-After while the first request runs.
func documentIdempotency(op *huma.Operation) {
	problem := problemResponse(nil, op)
	for _, code := range []int{http.StatusConflict, http.StatusUnprocessableEntity} {
		key := strconv.Itoa(code)
		if _, ok := op.Responses[key]; !ok {
			op.Responses[key] = &huma.Response{Description: http.StatusText(code), Content: problem,
				Headers: map[string]*huma.Param{HeaderRequestID: requestIDHeader}}
		}
	}
	for code, r := range op.Responses {
		if r.Headers == nil {
			r.Headers = map[string]*huma.Param{}
		}
		switch {
		case code == "409":
			r.Headers["Retry-After"] = retryAfterHeader
		case strings.HasPrefix(code, "2"):
			r.Headers[HeaderReplayed] = replayedHeader
		}
	}
}
