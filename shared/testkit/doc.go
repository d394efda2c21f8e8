// Package testkit gives tests the real services they run against: a fresh
// Postgres database with the migrations applied, an embedded NATS server on
// a random port, the local Redis, and a TCP proxy that can cut a
// connection to any of them. It never skips: a missing service fails the
// test with the command that starts it.
package testkit
