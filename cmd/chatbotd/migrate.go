package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/postgres"
)

// runMigrate runs one migrate action and prints the schema version it
// leaves.
func runMigrate(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) == 0 {
		return usageError("missing action")
	}
	action, rest := args[0], args[1:]
	if action == "up" {
		// Create the database on a fresh machine before migrating it.
		pool, err := postgres.Open(ctx, cfg.DatabaseURL, 1, true)
		if err != nil {
			return err
		}
		pool.Close()
	}
	mg, err := postgres.NewMigrator(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer mg.Close()
	if err := migrateAction(mg, action, rest); err != nil {
		return err
	}
	v, dirty, err := mg.Version()
	if err != nil {
		return fmt.Errorf("read migration version: %v", err)
	}
	state := "clean"
	if dirty {
		state = "dirty: fix the failed migration, then run `chatbotd migrate force V`"
	}
	fmt.Fprintf(e.stdout, "schema version %d (%s)\n", v, state)
	return nil
}

// migrateAction runs action, with its arguments rest, on mg; version
// changes nothing.
func migrateAction(mg *postgres.Migrator, action string, rest []string) error {
	var err error
	switch action {
	case "up":
		if len(rest) > 0 {
			return usageError("up takes no arguments")
		}
		err = mg.Up()
	case "down":
		n, perr := downSteps(rest)
		if perr != nil {
			return perr
		}
		err = mg.Down(n)
	case "force":
		if len(rest) != 1 {
			return usageError("force needs a version")
		}
		v, perr := strconv.Atoi(rest[0])
		if perr != nil || v < -1 {
			return usageError("force needs a version number")
		}
		err = mg.Force(v)
	case "version":
		if len(rest) > 0 {
			return usageError("version takes no arguments")
		}
	default:
		return usageError(fmt.Sprintf("unknown action %q", action))
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %v", action, err)
	}
	return nil
}

// downSteps reads [N|all]; no argument means one step.
func downSteps(rest []string) (int, error) {
	switch {
	case len(rest) == 0:
		return 1, nil
	case len(rest) > 1:
		return 0, usageError("down takes at most one argument")
	case rest[0] == "all":
		return 0, nil
	}
	n, err := strconv.Atoi(rest[0])
	if err != nil || n < 1 {
		return 0, usageError("down takes a positive number of steps or all")
	}
	return n, nil
}
