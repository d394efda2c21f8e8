package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/config"
)

const eventsTailUsage = "events tail [--subject S] [--tenant T] [--type A,B] [--since D | --from-position N] [--follow] [--format json|text]"

// runEventsTail prints the events of the stream, as stored, from the start
// (or --since, --from-position) to the end, or on and on with --follow.
func runEventsTail(ctx context.Context, e env, cfg config.Config, args []string) error {
	opts, format, err := parseTailFlags(args)
	if err != nil {
		return err
	}
	rt, err := openStreamReader(e, cfg, "events tail")
	if err != nil {
		return err
	}
	defer rt.close()
	out := bufio.NewWriter(e.stdout)
	err = events.Tail(ctx, rt.js, opts, func(pos uint64, raw []byte) error {
		line, err := events.FormatTail(format, pos, raw)
		if err != nil { // said, not hidden: an audit trail has no quiet gaps
			fmt.Fprintf(e.stderr, "chatbotd events tail: %v\n", err)
			return nil
		}
		if _, err := out.Write(append(line, '\n')); err != nil {
			return err
		}
		if opts.Follow {
			return out.Flush()
		}
		return nil
	})
	if flushErr := out.Flush(); err == nil && flushErr != nil {
		return fmt.Errorf("write the events: %v", flushErr)
	}
	return err
}

// parseTailFlags reads the command line; every mistake is a usage error
// (exit 2) naming the flag.
func parseTailFlags(args []string) (events.TailOptions, string, error) {
	var o events.TailOptions
	fs := flag.NewFlagSet("events tail", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Subject, "subject", "", "")
	fs.StringVar(&o.Tenant, "tenant", "", "")
	types := fs.String("type", "", "")
	fs.DurationVar(&o.Since, "since", 0, "")
	fs.Uint64Var(&o.FromPosition, "from-position", 0, "")
	fs.BoolVar(&o.Follow, "follow", false, "")
	format := fs.String("format", events.TailJSON, "")
	if err := fs.Parse(args); err != nil {
		return o, "", usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return o, "", usageError(fmt.Sprintf("events tail takes flags only, not %q", fs.Arg(0)))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["from-position"] && o.FromPosition == 0 {
		return o, "", usageError("--from-position starts at 1, the stream's first position")
	}
	if set["type"] {
		if o.Types = events.ParseTypes(*types); len(o.Types) == 0 {
			return o, "", usageError("--type needs at least one event type")
		}
	}
	if set["since"] && o.Since == 0 {
		return o, "", usageError("--since needs a duration above zero, such as 90m or 24h")
	}
	if !slices.Contains(events.TailFormats, *format) {
		return o, "", usageError(fmt.Sprintf("--format %q: the formats are %s", *format, strings.Join(events.TailFormats, ", ")))
	}
	if err := o.Validate(events.Default); err != nil {
		return o, "", usageError(err.Error())
	}
	return o, *format, nil
}
