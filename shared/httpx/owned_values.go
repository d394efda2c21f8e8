package httpx

import (
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// ownedValues hands every operation copies of the request's path, query
// and header values, the ones huma binds into its input. Fiber's are views
// of the pooled request context's buffers, which the next request served
// on it writes over: a path parameter kept past the request (an event's
// aggregate id, a key in a process's revocation view or its aggregate
// cache) would silently change under its holder. A demoted manager's user
// id, kept so as the revocation view's key, stopped matching the user as
// soon as a longer path came through, and the revoked token was accepted
// again until the stream brought the event a second time.
//
// It is the API's first middleware, so the guard and every operation see
// only copies. The cost is one small allocation a value read.
func ownedValues(ctx huma.Context, next func(huma.Context)) {
	next(owned{ctx})
}

// humaContext names the embedded context apart from huma.Context's own
// Context method.
type humaContext = huma.Context

type owned struct{ humaContext }

// Unwrap lets humafiber.Unwrap reach the Fiber context beneath.
func (o owned) Unwrap() huma.Context { return o.humaContext }

func (o owned) Param(name string) string  { return strings.Clone(o.humaContext.Param(name)) }
func (o owned) Query(name string) string  { return strings.Clone(o.humaContext.Query(name)) }
func (o owned) Header(name string) string { return strings.Clone(o.humaContext.Header(name)) }
