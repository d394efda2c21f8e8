package testkit

import (
	"errors"
	"net"
	"testing"
)

// Serve runs serve on ln in the background until the test ends, then
// stops it with shutdown and reports what either returned:
// testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown).
func Serve(tb testing.TB, ln net.Listener, serve func(net.Listener) error, shutdown func() error) {
	tb.Helper()
	served := make(chan error, 1)
	go func() { served <- serve(ln) }()
	tb.Cleanup(func() {
		if err := shutdown(); err != nil {
			tb.Errorf("shut the server down: %v", err)
		}
		// Shutdown closed the listener, unless it came before serve took
		// it: closing it here ends a serve that began late.
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			tb.Errorf("close the listener: %v", err)
		}
		if err := <-served; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
}
