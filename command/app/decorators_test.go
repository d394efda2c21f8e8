package app_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/testkit/scenario"
)

func TestDecoratorsWrapEveryCommandOnce(t *testing.T) {
	h := newHarness(t, 4)
	reg := prometheus.NewRegistry()
	metrics := app.NewMetrics(reg)
	var observed []string
	metrics.Observe(func(command string, err error) { observed = append(observed, command+":"+app.Outcome(err)) })
	cmds, err := app.New(context.Background(), app.Deps{Store: h.store, JS: h.js, Hasher: h.registrar(nil).Hasher,
		Tokens: h.tokens, Policy: h.policy, Revocations: h.revoked, Now: h.clock.Now, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	res := h.signup("ada@example.com")
	p := auth.Principal{UserID: res.UserID, CompanyID: res.CompanyID, Role: auth.RoleCompany, SessionID: "s1"}

	t.Run("the principal is the actor of what its command appends", func(t *testing.T) {
		spec := scenario.New(t, h.js).When(func() error {
			_, err := cmds.UpdateProfile.Handle(auth.WithPrincipal(context.Background(), p), app.UpdateProfileCmd{Principal: p, Name: "Ada L."})
			return err
		})
		got := spec.Then(events.UserProfileUpdated)
		if got[0].Actor != events.UserActor(res.UserID) {
			t.Fatalf("actor %+v, want the principal", got[0].Actor)
		}
	})
	t.Run("commands are counted by outcome", func(t *testing.T) {
		if _, err := cmds.Login.Handle(context.Background(), app.LoginCmd{Email: "ada@example.com", Password: "wrong password here", Client: client}); err != app.ErrInvalidCredentials {
			t.Fatalf("got %v", err)
		}
		want := map[string]float64{"update_profile/ok": 1, "login/invalid_credentials": 1}
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			if f.GetName() != "chatbot_commands_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				got[labels["command"]+"/"+labels["outcome"]] = m.GetCounter().GetValue()
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s counted %v, want %v (all: %v)", k, got[k], v, got)
			}
		}
		if len(observed) != 2 || observed[1] != "login:invalid_credentials" {
			t.Errorf("observers saw %v", observed)
		}
	})
}
