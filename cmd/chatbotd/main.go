// Command chatbotd is the chatbot platform: one binary whose subcommands run
// the whole product in one process (serve) or its parts separately
// (command, query, projector), and administer it (migrate, version).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/google/uuid"
)

func main() {
	// Ids (request, event, conversation) draw from the system's randomness
	// 256 bytes at a time instead of one system call per id. Before anything
	// else runs: the pool cannot be switched on while ids are made.
	uuid.EnableRandPool()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{lookup: os.LookupEnv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}
