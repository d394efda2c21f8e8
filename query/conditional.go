package query

import (
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// ReadHeaders are the request headers every read of the read models takes.
type ReadHeaders struct {
	MinPosition uint64 `header:"X-Min-Position" doc:"answer only once the data reflects this stream position (waits up to READ_WAIT_TIMEOUT, then 503 projection_lagging)"`
	Revalidate
}

// Revalidate is the request header of a conditional GET.
type Revalidate struct {
	IfNoneMatch string `header:"If-None-Match" doc:"the ETag of the copy the client holds: 304 Not Modified, without a body, while it is current" maxLength:"1024"`
}

// Validators are the response headers of every authenticated read.
type Validators struct {
	ETag         string `header:"ETag" doc:"the answer's tag, for If-None-Match"`
	CacheControl string `header:"Cache-Control" doc:"private, no-cache: a client or proxy may keep the answer for this caller only, and must revalidate it (If-None-Match) before reuse"`
}

// authenticatedCache is the Cache-Control of an authenticated read.
const authenticatedCache = "private, no-cache"

// readOutput is the answer of an authenticated read: 200 with the body,
// or 304 without it when the client's copy is current.
type readOutput[T any] struct {
	Status int
	Validators
	Body T
}

// answer is the output of read r for a request that sent rv.
func answer[T any](rv Revalidate, r Read[T]) *readOutput[T] {
	out := &readOutput[T]{Status: http.StatusOK, Body: r.Value,
		Validators: Validators{ETag: r.ETag, CacheControl: authenticatedCache}}
	if rv.IfNoneMatch != "" && noneMatchHas(rv.IfNoneMatch, r.ETag) {
		out.Status = http.StatusNotModified
	}
	return out
}

// answerValue is answer for a value read outside the Reader.
func answerValue[T any](rv Revalidate, v T) (*readOutput[T], error) {
	r, err := sealed(v, 0)
	if err != nil {
		return nil, err
	}
	return answer(rv, r), nil
}

// noneMatchHas reports whether an If-None-Match value names etag: "*",
// or a list of tags compared weakly (RFC 9110 13.1.2: W/ is ignored).
func noneMatchHas(header, etag string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	etag = strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == etag {
			return true
		}
	}
	return false
}

// declareNotModified documents the 304 of every GET registered so far that
// answers an ETag: huma knows only the status an output declares.
func declareNotModified(api huma.API) {
	for _, item := range api.OpenAPI().Paths {
		op := item.Get
		if op == nil || op.Responses["304"] != nil {
			continue
		}
		ok := op.Responses["200"]
		if ok == nil || ok.Headers["ETag"] == nil {
			continue
		}
		op.Responses["304"] = &huma.Response{
			Description: "Not Modified: the tag in If-None-Match is current; no body",
			Headers:     map[string]*huma.Param{"ETag": ok.Headers["ETag"], "Cache-Control": ok.Headers["Cache-Control"]},
		}
	}
}
