package testkit

import (
	"io"
	"testing"
)

// Close closes c and reports a failure as an error of tb naming what was
// closed. It does not stop the test, so it serves in a defer and in a
// Cleanup alike: defer testkit.Close(t, "the response body", res.Body).
func Close(tb testing.TB, what string, c io.Closer) {
	tb.Helper()
	if err := c.Close(); err != nil {
		tb.Errorf("close %s: %v", what, err)
	}
}
