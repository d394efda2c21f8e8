package query

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// Reader is a company's own reads, the hot ones: the Postgres reader
// answers them, and the cached reader wraps it with the same methods, so
// a handler cannot tell which it got. Each read answers once the data
// reflects stream position min (a client's X-Min-Position; 0 for none),
// or fails with 503 projection_lagging.
type Reader interface {
	Me(ctx context.Context, min uint64, tenant, userID string) (Read[Me], error)
	Company(ctx context.Context, min uint64, tenant string) (Read[Company], error)
	Chatbot(ctx context.Context, min uint64, tenant, id string) (Read[Chatbot], error)
	Members(ctx context.Context, min uint64, tenant string, p Page) (Read[List[Member]], error)
	Chatbots(ctx context.Context, min uint64, tenant string, p Page) (Read[List[Chatbot]], error)
	APIKeys(ctx context.Context, min uint64, tenant, chatbotID string, p Page) (Read[List[APIKey]], error)
}

// Read is one answer: the value, its ETag, and the stream position its
// data reflects at least.
type Read[T any] struct {
	Value   T
	ETag    string
	Through uint64
	json    []byte // Value encoded, for the cache
}

// sealed is a read of v, with its JSON and a tag that changes exactly
// when the JSON does. The tag is a hash of what is served rather than a
// row's position: an answer also depends on rows it joins (a chatbot's
// effective limits come from its company) and on the configuration in
// force, and a list changes when a row leaves it.
func sealed[T any](v T, through uint64) (Read[T], error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Read[T]{}, err
	}
	return Read[T]{Value: v, ETag: etagOf(b), Through: through, json: b}, nil
}

// etagOf is the strong tag of a representation.
func etagOf(b []byte) string {
	return `"` + strconv.FormatUint(xxhash.Sum64(b), 36) + `"`
}

// List is a page of a list and the cursor of the next one.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor" doc:"the cursor of the next page; null on the last page"`
}

// Page is which page of a list: after a position (decoded from a cursor)
// and at most Limit items.
type Page struct {
	After string
	Limit int
}
