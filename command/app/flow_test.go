package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/testkit/scenario"
)

// errInjected is the failure a test injects before a step of a flow.
var errInjected = errors.New("injected failure")

// failAt fails the named step, once; the steps of flows are named in
// registration.go and beside each flow.
func failAt(step string) app.Faults {
	return func(s string) error {
		if s == step {
			return errInjected
		}
		return nil
	}
}

// registrar is the harness's account claims, failing at fault.
func (h *harness) registrar(fault app.Faults) app.Registrar {
	h.t.Helper()
	creds, err := app.OpenCredentials(context.Background(), h.js, 1)
	if err != nil {
		h.t.Fatal(err)
	}
	hasher, err := auth.NewHasher(4, []byte("pepper"), true)
	if err != nil {
		h.t.Fatal(err)
	}
	return app.Registrar{Store: h.store, Creds: creds, Hasher: hasher, Policy: h.policy, Faults: fault}
}

// seeded is a request under an Idempotency-Key, and the ids its first
// and second aggregate get.
func seeded(key string) (ctx func() context.Context, first, second string) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ctx = func() context.Context {
		return events.WithIDSeed(context.Background(), events.NewIDSeed([]byte(key), at))
	}
	ids := ctx()
	return ctx, events.NewAggregateID(ids), events.NewAggregateID(ids)
}

// noTrace checks that nothing of an account is left outside the stream:
// neither its email's nor its id's reservation, nor its password hash.
func (h *harness) noTrace(reg app.Registrar, email, userID string) {
	h.t.Helper()
	ctx := context.Background()
	for kind, value := range map[string]string{"email": email, "user": userID} {
		owner, err := h.store.Owner(ctx, kind, value)
		if err != nil {
			h.t.Fatal(err)
		}
		if owner != "" {
			h.t.Errorf("the %s reservation outlived the failed create: held by %s", kind, owner)
		}
	}
	hash, err := reg.Creds.Get(ctx, userID)
	if err != nil {
		h.t.Fatal(err)
	}
	if hash != nil {
		h.t.Error("the password hash outlived the failed create")
	}
}

var registrationSteps = []string{"email", "hash", "id", "append"}

func TestASignupThatFailsAtAnyStepLeavesNoCompanyAndNoClaim(t *testing.T) {
	h := newHarness(t, 4)
	in := app.SignupInput{CompanyName: "Acme", Name: "Ada", Email: "ada@example.com", Password: password}
	for _, step := range registrationSteps {
		t.Run("failing at "+step, func(t *testing.T) {
			reg := h.registrar(failAt(step))
			ctx, _, userID := seeded("signup-" + step)
			spec := scenario.New(t, h.js).When(func() error {
				_, err := app.Signup{Registrar: reg, Policy: h.policy}.Handle(ctx(), in)
				return err
			})
			if !errors.Is(spec.Err(), errInjected) {
				t.Fatalf("got %v, want the injected failure", spec.Err())
			}
			spec.Then() // no company, no user
			h.noTrace(reg, in.Email, userID)
		})
	}
	t.Run("without a failure, the company and its user are one batch", func(t *testing.T) {
		ctx, companyID, userID := seeded("signup-whole")
		var res app.SignupResult
		spec := scenario.New(t, h.js).When(func() error {
			var err error
			res, err = app.Signup{Registrar: h.registrar(nil), Policy: h.policy}.Handle(ctx(), in)
			return err
		})
		got := spec.Then(events.CompanyRegistered, events.CompanyManagersChanged, events.UserRegistered)
		if res.CompanyID != companyID || res.UserID != userID || got[2].AggregateID != userID || res.Position != got[2].Position {
			t.Fatalf("signed up %+v, stored %+v", res, got)
		}
	})
}

func TestAManagerCreatedIntoACompanyIsListedInTheSameBatch(t *testing.T) {
	h := newHarness(t, 4)
	company := h.signup("ada@example.com")
	in := app.CreateUserInput{Email: "bob@example.com", Name: "Bob", Password: password, Role: auth.RoleCompany, CompanyID: company.CompanyID}
	for _, step := range registrationSteps {
		t.Run("failing at "+step, func(t *testing.T) {
			reg := h.registrar(failAt(step))
			ctx, userID, _ := seeded("create-" + step)
			spec := scenario.New(t, h.js).When(func() error {
				_, err := app.CreateUser{Registrar: reg}.Handle(ctx(), in)
				return err
			})
			if !errors.Is(spec.Err(), errInjected) {
				t.Fatalf("got %v, want the injected failure", spec.Err())
			}
			spec.Then() // the company lists no one new, no user
			h.noTrace(reg, in.Email, userID)
		})
	}
	t.Run("without a failure", func(t *testing.T) {
		var created app.CreatedUser
		spec := scenario.New(t, h.js).When(func() error {
			var err error
			created, err = app.CreateUser{Registrar: h.registrar(nil)}.Handle(context.Background(), in)
			return err
		})
		got := spec.Then(events.CompanyManagersChanged, events.UserRegistered)
		if got[0].AggregateID != company.CompanyID || got[1].AggregateID != created.UserID || got[1].Position != got[0].Position+1 {
			t.Fatalf("stored %+v for %+v", got, created)
		}
	})
}
