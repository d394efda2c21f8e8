// Package command is the write side: HTTP handlers that load an aggregate,
// decide, and append events to the stream. New returns the side that
// `chatbotd command` and `chatbotd serve` mount on their HTTP server.
package command
