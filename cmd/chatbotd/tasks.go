package main

import (
	"context"
	"github.com/chatbotsaas/chatbot/shared/pii"
	"log/slog"
	"time"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/policy"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
	"github.com/chatbotsaas/chatbot/tasks"
)

// startTasks runs every background task on one router, in the processes
// that run the projector (serve, projector): the unlock timers, the
// erasures, the session clean-up, the operators' dead letter requests and,
// when SMTP_HOST is set, the mail.
// Each task's consumer is pinned to one of those processes at a time.
func startTasks(ctx context.Context, rt *runtime, cfg config.Config, pol *policy.Holder) (stop func(), err error) {
	vault, err := rt.personalData(ctx)
	if err != nil {
		return nil, err
	}
	store, err := eventstore.Open(ctx, rt.js, eventstore.Options{Replicas: cfg.NATSReplicas, Logger: rt.log, Vault: vault, Metrics: rt.storeMetrics()})
	if err != nil {
		return nil, err
	}
	cmds, err := app.New(ctx, app.Deps{Store: store, JS: rt.js, Replicas: cfg.NATSReplicas, Policy: pol, Now: time.Now, Logger: rt.log})
	if err != nil {
		return nil, err
	}
	// Watermill's subscriber drains the connection it is given when it
	// closes: the router has its own.
	conn, err := natsx.Connect(rt.natsURL, rt.embedded, "chatbotd tasks", rt.log, rt.natsAuth...)
	if err != nil {
		return nil, err
	}
	router, err := taskrouter.New(taskrouter.Options{Conn: conn, Pool: rt.pool, Log: rt.log, Metrics: taskrouter.NewMetrics(rt.metrics.Registry)})
	if err != nil {
		conn.Close()
		return nil, err
	}
	cleanup := &tasks.SessionCleanup{Pool: rt.pool, JS: rt.js, Retention: cfg.SessionRetention}
	requests := tasks.DeadLetterRequests{Pool: rt.pool, NATS: rt.js.Conn()}
	for _, h := range []taskrouter.Handler{app.UnlockTimerTask(cmds.ExpireLock), cmds.Eraser.ErasureTask(), cleanup.Handler(), requests.Handler()} {
		router.Add(h)
	}
	closeFollower, err := addMail(rt, cfg, pol, vault, router)
	if err != nil {
		conn.Close()
		return nil, err
	}
	stop = func() { router.Stop(); closeFollower() }
	if err := router.Start(context.WithoutCancel(ctx)); err != nil {
		closeFollower()
		return nil, err
	}
	if err := cleanup.Start(ctx); err != nil {
		// A server busy with a burst of appends can take longer than one
		// publish waits. The schedule is one message on its subject, so
		// setting it again later is safe: the process need not stop for it.
		rt.log.Warn("session clean-up not scheduled yet; retrying", "err", err)
		go scheduleCleanup(ctx, cleanup, rt.log)
	}
	return stop, nil
}

// scheduleCleanup sets the clean-up's schedule, retrying until it is set or
// the process stops.
func scheduleCleanup(ctx context.Context, cleanup *tasks.SessionCleanup, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		err := cleanup.Start(ctx)
		if err == nil {
			log.Info("session clean-up scheduled")
			return
		}
		log.Warn("session clean-up not scheduled yet; retrying", "err", err)
	}
}

// addMail adds the mail tasks when SMTP_HOST is set, and answers what
// stops the follower of projections they read through.
func addMail(rt *runtime, cfg config.Config, pol *policy.Holder, vault *pii.Vault, router *taskrouter.Router) (func(), error) {
	m := cfg.Mail
	if !m.Enabled() {
		rt.log.Info("mail is off: SMTP_HOST is empty; no notifications or password reset links are sent")
		return func() {}, nil
	}
	sender, err := mail.NewSMTP(mail.Settings{Host: m.SMTPHost, Port: m.SMTPPort, Username: m.SMTPUsername,
		Password: m.SMTPPassword, From: m.SMTPFrom, TLS: m.SMTPTLS})
	if err != nil {
		return nil, err
	}
	follower, err := readmodel.Follow(rt.nc, rt.log)
	if err != nil {
		return nil, err
	}
	n := &tasks.Notifier{Pool: rt.pool, Progress: follower, Mail: mail.Counted(sender, rt.metrics.Registry), ResetKey: vault, Policy: pol, PublicURL: m.PublicURL, ResetURL: m.ResetURL}
	for _, h := range n.Handlers() {
		router.Add(h)
	}
	rt.log.Info("mail is on", "smtp", m.SMTPHost, "port", m.SMTPPort, "tls", m.SMTPTLS)
	return follower.Close, nil
}
