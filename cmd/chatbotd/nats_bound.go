package main

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// natsCallBound is how long one NATS call of a request may take: a third
// of the request's deadline, between 1 and 5 s. A request that meets a
// NATS outage answers 503 within it, with time left to answer.
func natsCallBound(requestTimeout time.Duration) time.Duration {
	return min(max(requestTimeout/3, time.Second), 5*time.Second)
}

// requestJetStream is JetStream for the request path of the command side,
// each call bounded and refused at once while the connection is down.
func (rt *runtime) requestJetStream() jetstream.JetStream {
	return natsx.NewBounded(rt.js, natsCallBound(rt.cfg.RequestTimeout))
}
