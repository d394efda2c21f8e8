package app_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestCreateChatbot(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	ctx := context.Background()
	store, err := eventstore.Open(ctx, js, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bots := app.CreateChatbot{Store: store}
	company := uuid.NewString()
	ref := eventstore.Ref{Tenant: company, Type: events.AggregateCompany, ID: company}
	if _, err := store.Append(ctx, ref, eventstore.Loaded{}, events.Event{Type: events.CompanyRegistered, Data: events.CompanyRegisteredData{Name: "Acme"}}); err != nil {
		t.Fatal(err)
	}
	var gets atomic.Int64
	sub, err := n.Conn.Subscribe("$JS.API.DIRECT.GET."+events.StreamName+".>", func(*nats.Msg) { gets.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sub.Unsubscribe(); err != nil {
			t.Errorf("unsubscribe: %v", err)
		}
	}()

	t.Run("a company never registered answers 404", func(t *testing.T) {
		_, err := bots.Handle(ctx, app.CreateChatbotCmd{CompanyID: uuid.NewString(), Name: "Bot"})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.KindNotFound {
			t.Fatalf("got %v, want not found", err)
		}
	})
	t.Run("creates in a known company read nothing from the stream", func(t *testing.T) {
		if _, err := bots.Handle(ctx, app.CreateChatbotCmd{CompanyID: company, Name: "First"}); err != nil {
			t.Fatal(err)
		}
		if err := n.Conn.Flush(); err != nil {
			t.Fatal(err)
		}
		before := gets.Load()
		at, err := bots.Handle(ctx, app.CreateChatbotCmd{CompanyID: company, Name: "Second", Description: "the second"})
		b, pos := at.Chatbot, at.Position
		if err != nil || pos == 0 || b.Name != "Second" || b.Status != "active" || b.Settings.FallbackReply != app.DefaultSettings.FallbackReply {
			t.Fatalf("got %+v at %d, %v", b, pos, err)
		}
		if err := n.Conn.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := gets.Load() - before; got != 0 {
			t.Errorf("the second create made %d direct gets, want none", got)
		}
		var stored chatbot.Chatbot
		loaded, err := store.Load(ctx, app.ChatbotRef(company, b.ID), &stored)
		if err != nil || loaded.Seq != pos || stored.Name != "Second" || stored.Description != "the second" {
			t.Fatalf("stored %+v at %d, %v; want it at %d", stored, loaded.Seq, err, pos)
		}
	})
	t.Run("a create retried under its Idempotency-Key is done once", func(t *testing.T) {
		at := time.Now()
		key := func() context.Context { return events.WithIDSeed(ctx, events.NewIDSeed([]byte("bot-1"), at)) }
		first, err := bots.Handle(key(), app.CreateChatbotCmd{CompanyID: company, Name: "Third"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := bots.Handle(key(), app.CreateChatbotCmd{CompanyID: company, Name: "Third"})
		if err != nil || again.Chatbot.ID != first.Chatbot.ID || again.Position != first.Position {
			t.Fatalf("the retry: %+v, %v; want %s at %d", again, err, first.Chatbot.ID, first.Position)
		}
		// A retry that decides otherwise (another body after the claim
		// was abandoned) finds the chatbot there.
		_, err = bots.Handle(key(), app.CreateChatbotCmd{CompanyID: company, Name: "Fourth"})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.KindConflict {
			t.Fatalf("got %v, want a conflict", err)
		}
	})
}
