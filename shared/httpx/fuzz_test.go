package httpx_test

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// FuzzRequestDecoding sends arbitrary bodies through the whole edge (body
// checks, huma's decoding and validation, the problem writer) and checks
// that no answer is a 5xx and no 4xx shows decoder or runtime internals.
// Seeds are in testdata/fuzz/FuzzRequestDecoding; run it with
// go test -fuzz FuzzRequestDecoding -fuzzminimizetime 200x ./shared/httpx/ (the
// default minimization, a minute an input, stalls the run on this target).
func FuzzRequestDecoding(f *testing.F) {
	for _, seed := range []string{
		`{"message":"hi"}`,
		`{"message":"hi","ratio":1e400}`,
		`{"message":"hi","MESSAGE":"x"}`,
		`{"message":"hi","settings":{"replies":[{"keywords":["a"],"reply":"r"}]}}`,
		`{"count":-9223372036854775809}`,
		`[1,2,3]`,
		`"text"`,
		`{"message":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	srv := newEdgeServer(1 << 16)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, target := range []struct{ method, path string }{{"POST", "/edge"}, {"PATCH", "/edge/1"}} {
			req := httptest.NewRequest(target.method, target.path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			res, err := srv.App.Test(req, 5000)
			if err != nil {
				t.Fatalf("%s %q: %v", target.method, body, err)
			}
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatalf("%s %q: read the answer: %v", target.method, body, err)
			}
			testkit.Close(t, "the response body", res.Body)
			if res.StatusCode >= 500 {
				t.Fatalf("%s %q: %d %s", target.method, body, res.StatusCode, b)
			}
			if res.StatusCode >= 400 {
				if leak := internals(string(b)); leak != "" {
					t.Fatalf("%s %q: the answer shows %q: %s", target.method, body, leak, b)
				}
			}
		}
	})
}
