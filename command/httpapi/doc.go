// Package httpapi is the write side's HTTP surface: thin huma handlers
// that bind, build a command, run it and answer.
package httpapi
