package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// runEventsCredentials prints the flags with which the stock nats CLI
// connects to the embedded server as the read-only audit user:
//
//	nats $(chatbotd events credentials) sub 'events.>'
func runEventsCredentials(_ context.Context, e env, cfg config.Config, args []string) error {
	if len(args) > 0 {
		return usageError("events credentials takes no arguments")
	}
	if cfg.NATSURL != "" {
		return errors.New("NATS_URL is set: an external server's audit users are declared in its own configuration (docker/nats.conf has one), not by chatbotd")
	}
	url, err := embeddedURL(cfg)
	if err != nil {
		return err
	}
	users, err := embeddedUsers(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "--server %s --user %s --password %s\n", url, users.Audit.User, users.Audit.Password)
	return nil
}

// embeddedURL is the address a running serve announced under DATA_DIR, or
// else the one it will listen on (NATS_LISTEN).
func embeddedURL(cfg config.Config) (string, error) {
	if url := natsx.ReadAddrFile(cfg.DataDir); url != "" {
		return url, nil
	}
	host, port, _ := net.SplitHostPort(cfg.NATSListen)
	if port == "0" {
		return "", errors.New("no embedded NATS server announced itself under DATA_DIR, and NATS_LISTEN picks a random port: start chatbotd serve first")
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "nats://" + net.JoinHostPort(host, port), nil
}
