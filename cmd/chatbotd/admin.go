package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// runAdmin handles `chatbotd admin create --email E [--name N] --password-stdin`
// and `chatbotd admin rebuild PROJECTION`.
func runAdmin(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) > 0 && args[0] == "rebuild" {
		return runRebuild(ctx, e, cfg, args[1:])
	}
	if len(args) == 0 || args[0] != "create" {
		return usageError("the actions are create and rebuild")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "")
	name := fs.String("name", "Administrator", "")
	fromStdin := fs.Bool("password-stdin", false, "")
	if err := fs.Parse(args[1:]); err != nil || *email == "" || !*fromStdin || fs.NArg() > 0 {
		return usageError("admin create needs --email and --password-stdin")
	}
	password, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password from standard input: %v", err)
	}
	password = strings.TrimRight(password, "\r\n")

	rt, err := openRuntime(ctx, e, cfg, "admin", natsShared, withPostgres)
	if err != nil {
		return err
	}
	defer rt.close()
	cmds, err := openCommands(ctx, rt, cfg, e.testBcryptCost)
	if err != nil {
		return err
	}
	created, err := cmds.CreateUser.Handle(ctx, app.CreateUserInput{Email: *email, Name: *name, Password: password, Role: auth.RoleAdmin})
	if err != nil {
		return describeAppError(err)
	}
	fmt.Fprintf(e.stdout, "admin %s created\n", created.UserID)
	return nil
}

// openCommands builds the commands outside an HTTP process.
func openCommands(ctx context.Context, rt *runtime, cfg config.Config, testCost int) (*app.Commands, error) {
	vault, err := rt.personalData(ctx)
	if err != nil {
		return nil, err
	}
	store, err := eventstore.Open(ctx, rt.js, eventstore.Options{Replicas: cfg.NATSReplicas, Logger: rt.log, Vault: vault})
	if err != nil {
		return nil, err
	}
	cost := cfg.BcryptCost
	if testCost > 0 {
		cost = testCost
	}
	hasher, err := auth.NewHasher(cost, []byte(cfg.PasswordPepper), testCost > 0)
	if err != nil {
		return nil, err
	}
	pol := policy.NewHolder(policy.Default())
	if err := policy.Follow(ctx, rt.js, pol, nil, rt.log); err != nil {
		return nil, err
	}
	keys, err := auth.LoadKeys(cfg.JWTPrivateKeyFile, cfg.JWTPublicKeyFiles, cfg.DataDir, rt.log)
	if err != nil {
		return nil, err
	}
	return app.New(ctx, app.Deps{Store: store, JS: rt.js, Replicas: cfg.NATSReplicas, Hasher: hasher,
		Tokens: auth.NewTokens(keys, cfg.JWTIssuer, cfg.JWTAudience, time.Now), Policy: pol,
		Revocations: auth.NewRevocations(func() time.Duration { return pol.Get().AccessTTL }, time.Now), Now: time.Now})
}

// bootstrapAdmin creates ADMIN_EMAIL's account on a first start; an
// existing account with that email is left as it is.
func bootstrapAdmin(ctx context.Context, rt *runtime, cfg config.Config, cmds *app.Commands) error {
	if cfg.AdminEmail == "" {
		return nil
	}
	created, err := cmds.CreateUser.Handle(ctx, app.CreateUserInput{Email: cfg.AdminEmail, Name: "Administrator", Password: cfg.AdminPassword, Role: auth.RoleAdmin})
	if errors.Is(err, app.ErrEmailTaken) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ADMIN_EMAIL: %v", describeAppError(err))
	}
	rt.log.Info("administrator created from ADMIN_EMAIL", "user_id", created.UserID)
	return nil
}

// describeAppError turns a validation error into one line with its fields.
func describeAppError(err error) error {
	var parts []string
	if ae := asValidation(err); ae != nil {
		for _, f := range ae {
			parts = append(parts, f.Field+" "+f.Message)
		}
		return errors.New(strings.Join(parts, "; "))
	}
	return err
}

func asValidation(err error) []apperr.FieldError {
	var ae *apperr.Error
	if errors.As(err, &ae) && len(ae.Fields) > 0 {
		return ae.Fields
	}
	return nil
}

// runRebuild asks for a projection to be rebuilt from the stream, as
// POST /v1/admin/projections/{name}/rebuild does; a running projector does it.
func runRebuild(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) != 1 {
		return usageError("admin rebuild takes the name of one projection: " + projectionNames())
	}
	rt, err := openRuntime(ctx, e, cfg, "admin", natsShared, withPostgres)
	if err != nil {
		return err
	}
	defer rt.close()
	store, err := eventstore.Open(ctx, rt.js, eventstore.Options{Replicas: cfg.NATSReplicas, Logger: rt.log})
	if err != nil {
		return err
	}
	pos, err := (app.RequestRebuild{Store: store, Known: knownProjection}).Handle(ctx, app.RebuildCmd{Projection: args[0]})
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind == apperr.KindNotFound {
		return usageError("no projection " + args[0] + "; the projections are " + projectionNames())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuild of %s requested (event position %d); its projector rebuilds it beside the live one and swaps them (GET /v1/admin/projections)\n", args[0], pos)
	return nil
}

func projectionNames() string {
	var names []string
	for _, p := range projector.All() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}
