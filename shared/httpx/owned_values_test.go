package httpx_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// What an operation is given of its path, query and headers is its own:
// the requests served after it, on the same pooled context, leave the
// values it kept unchanged.
func TestAnOperationKeepsItsRequestValuesPastTheRequest(t *testing.T) {
	srv := httpx.New(httpx.Options{Title: "t", Version: "t", BodyLimit: 1 << 20, ReadTimeout: time.Second,
		WriteTimeout: time.Second, IdleTimeout: time.Second, RequestTimeout: time.Second,
		Origins: httpx.NewOrigins(nil), Metrics: observability.NewMetrics(), Logger: observability.NewLogger(io.Discard, "error", "text")})
	type input struct {
		ID  string `path:"id"`
		Q   string `query:"q"`
		Tag string `header:"X-Tag"`
	}
	var kept [][3]string
	huma.Register(srv.API, huma.Operation{OperationID: "thing", Method: "GET", Path: "/things/{id}", Metadata: map[string]any{"public": true}},
		func(_ context.Context, in *input) (*struct{}, error) {
			kept = append(kept, [3]string{in.ID, in.Q, in.Tag})
			return nil, nil
		})
	var sent [][3]string
	for i := range 40 {
		// Each longer than the last, so each writes over where the
		// previous values were.
		v := [3]string{strings.Repeat(fmt.Sprint(i%10), 4+i), strings.Repeat("q", 4+i), strings.Repeat("t", 4+i)}
		req := httptest.NewRequest("GET", "/things/"+v[0]+"?q="+v[1], nil)
		req.Header.Set("X-Tag", v[2])
		res, err := srv.App.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Body.Close(); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 204 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
		sent = append(sent, v)
	}
	if len(kept) != len(sent) {
		t.Fatalf("%d requests reached the operation, want %d", len(kept), len(sent))
	}
	changed := 0
	for i := range sent {
		if kept[i] != sent[i] {
			changed++
			if changed <= 3 {
				t.Errorf("request %d: kept %q, sent %q", i, kept[i], sent[i])
			}
		}
	}
	if changed > 0 {
		t.Errorf("%d of %d requests' values changed after they were served", changed, len(sent))
	}
}
