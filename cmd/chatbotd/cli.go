package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chatbotsaas/chatbot/shared/config"
)

// env is what a run sees of the outside world, so tests run the real
// command in-process.
type env struct {
	lookup func(string) (string, bool)
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// testBcryptCost, set only by tests, lowers the bcrypt cost below the
	// product's floor of 10 so that suites with many logins stay fast.
	testBcryptCost int
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || isHelp(args[0]) {
		printUsage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var sub *subcommand
	for _, s := range subcommands() {
		if s.name == args[0] {
			sub = &s
			break
		}
	}
	if sub == nil {
		fmt.Fprintf(e.stderr, "chatbotd: unknown command %q (see chatbotd --help)\n", args[0])
		return 2
	}
	rest := args[1:]
	for _, a := range rest {
		if isHelp(a) {
			printSubUsage(e.stdout, *sub)
			return 0
		}
	}
	var cfg config.Config
	var err error
	if sub.settings == nil || len(sub.settings) > 0 {
		cfg, err = config.Load(e.lookup)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "chatbotd %s: %v\n", sub.name, err)
		return 2
	}
	if err := sub.run(ctx, e, cfg, rest); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "chatbotd %s: %v (usage: chatbotd %s)\n", sub.name, err, sub.usage)
			return 2
		}
		fmt.Fprintf(e.stderr, "chatbotd %s: %s\n", sub.name, oneLine(err.Error()))
		return 1
	}
	return 0
}

// usageError is a mistake in the command line itself.
type usageError string

func (u usageError) Error() string { return string(u) }

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "help" }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "chatbotd: the chatbot platform (event-sourced on NATS JetStream, read models in Postgres)")
	fmt.Fprintln(w, "\nUsage: chatbotd <command> [arguments]\n\nCommands:")
	for _, s := range subcommands() {
		fmt.Fprintf(w, "  %-13s %s\n", s.name, s.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from environment variables; `chatbotd <command> --help` lists those it reads.")
}

func printSubUsage(w io.Writer, s subcommand) {
	fmt.Fprintf(w, "Usage: chatbotd %s\n\n%s.\n", s.usage, capitalize(s.summary))
	if s.detail != "" {
		fmt.Fprintf(w, "\n%s\n", s.detail)
	}
	if len(s.settings) == 0 {
		return
	}
	fmt.Fprintln(w, "\nSettings (environment variables):")
	for _, name := range s.settings {
		for _, st := range config.Settings {
			if st.Name == name {
				def := st.Default
				if def == "" {
					def = "(empty)"
				}
				fmt.Fprintf(w, "  %-22s %s\n  %-22s default: %s\n", st.Name, st.Help, "", def)
			}
		}
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
