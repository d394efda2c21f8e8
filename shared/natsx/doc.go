// Package natsx connects to NATS: to the server named by NATS_URL, or to an
// embedded nats-server with JetStream on disk that this process starts and
// stops itself.
package natsx
