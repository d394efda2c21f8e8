package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/chatbotsaas/chatbot/shared/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// versionString is the version plus the VCS revision the binary was built from.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return version
	}
	if dirty {
		rev += "-dirty"
	}
	return version + "+" + rev
}

func runVersion(_ context.Context, e env, _ config.Config, args []string) error {
	if len(args) > 0 {
		return usageError("version takes no arguments")
	}
	fmt.Fprintf(e.stdout, "chatbotd %s\n", versionString())
	if info, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(e.stdout, "go %s\n", info.GoVersion)
		for _, d := range info.Deps {
			switch d.Path {
			case "github.com/nats-io/nats-server/v2", "github.com/nats-io/nats.go", "github.com/gofiber/fiber/v2", "github.com/jackc/pgx/v5":
				fmt.Fprintf(e.stdout, "%s %s\n", d.Path, d.Version)
			}
		}
	}
	return nil
}
